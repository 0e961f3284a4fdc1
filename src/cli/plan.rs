//! `gemba plan`

use serde::Serialize;

use super::env::Ctx;
use super::error::{CliError, CliResult, Kind};
use super::ui;
use crate::beads::conflicts::graph;
use crate::plan::batches::{self, Plan};
use crate::store::snapshot::{Parts, Snapshot};

/// Waves of parallel-safe batches over the work that can start.
///
/// Wave 1 is the ready set; a later wave holds what the earlier waves
/// unblock. Each wave is split into batches with no hard conflict edge
/// inside (`gemba conflicts` explains the edges; `--soft` honours the soft
/// ones too), at most `--agents` beads each:
/// the beads of a batch can go to different agents at once. Of two
/// conflicting beads the one with higher priority, or that unblocks more,
/// goes first. Every bead's placement has a reason. Exits 3 when nothing
/// can be planned.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba plan\n  gemba plan --agents 4\n  gemba plan --json | jq '.waves[0].batches[0]'\n  gemba plan --format mermaid"
)]
pub struct PlanArgs {
    /// Most beads per batch: the number of agents working at once.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    agents: Option<u32>,
    /// Print a graph for Graphviz or Mermaid instead of a table.
    #[arg(long, value_enum)]
    format: Option<super::conflicts::Format>,
    /// Also keep beads joined by a soft edge (epic, similar) apart.
    #[arg(long)]
    soft: bool,
}

#[derive(Serialize)]
struct Report<'a> {
    #[serde(flatten)]
    plan: &'a Plan,
    semantic: &'a str,
}

pub fn run(ctx: &Ctx, args: PlanArgs) -> CliResult {
    let store = ctx.store()?;
    let snapshot = Snapshot::load(&store, Parts::ALL)?;
    let heads = snapshot.beads()?;
    let (ready, _) = crate::beads::ready::ready(&store, &snapshot, ctx.now, false)?;
    let ready: Vec<&str> = ready.ids.iter().map(String::as_str).collect();
    let open: Vec<_> = heads.iter().filter(|b| !b.is_done()).collect();
    let graph = graph(&store, &snapshot, &heads, &open)?;
    let semantic = graph.semantic.clone();
    if let Some(note) = &graph.note
        && !ctx.quiet
    {
        ui::status(ctx, note);
    }
    if graph.semantic == "stale" {
        super::scan::on_drift(ctx, &store);
    }
    let options = batches::Options {
        agents: args.agents.map(|n| n as usize),
    };
    let edges: Vec<_> = graph
        .edges
        .into_iter()
        .filter(|e| args.soft || e.kind.is_hard())
        .collect();
    let plan = batches::plan(&heads, &ready, &edges, &options);
    match args.format {
        Some(format) => ui::out(&diagram(&plan, format)),
        None if ctx.json => ui::json(&Report {
            plan: &plan,
            semantic: &semantic,
        }),
        None => ui::out(&render(&plan, &snapshot)?),
    }
    if plan.waves.is_empty() {
        Err(CliError::exit(Kind::NothingToDo))
    } else {
        Ok(())
    }
}

fn render(plan: &Plan, snapshot: &Snapshot) -> CliResult<String> {
    let mut rows = Vec::new();
    for (w, wave) in plan.waves.iter().enumerate() {
        for (b, batch) in wave.batches.iter().enumerate() {
            for id in batch {
                let title = snapshot
                    .bead(id)?
                    .map(|h| h.title.to_string())
                    .unwrap_or_default();
                let why = plan.reasons.get(id).map(String::as_str).unwrap_or("");
                let why = why.split_once(": ").map_or(why, |(_, rest)| rest);
                rows.push(vec![
                    (w + 1).to_string(),
                    (b + 1).to_string(),
                    id.clone(),
                    ui::clip(&title, 48),
                    ui::clip(why, 70),
                ]);
            }
        }
    }
    let mut out = ui::table(&["wave", "batch", "id", "title", "why"], rows);
    let beads: usize = plan
        .waves
        .iter()
        .flat_map(|w| &w.batches)
        .map(Vec::len)
        .sum();
    let batches: usize = plan.waves.iter().map(|w| w.batches.len()).sum();
    out.push_str(&format!(
        "{beads} beads in {} waves, {batches} batches; {} conflict edges\n",
        plan.waves.len(),
        plan.conflicts
    ));
    const SHOWN: usize = 3;
    for id in plan.left_out.iter().take(SHOWN) {
        out.push_str(&format!("left out: {id}: {}\n", plan.reasons[id]));
    }
    if plan.left_out.len() > SHOWN {
        out.push_str(&format!(
            "... and {} more left out (`gemba plan --json` lists every reason)\n",
            plan.left_out.len() - SHOWN
        ));
    }
    Ok(out)
}

fn diagram(plan: &Plan, format: super::conflicts::Format) -> String {
    use super::conflicts::Format;
    let mut out = match format {
        Format::Dot => String::from("digraph plan {\n  rankdir=LR;\n  node [shape=box];\n"),
        Format::Mermaid => String::from("graph LR\n"),
    };
    for (w, wave) in plan.waves.iter().enumerate() {
        for (b, batch) in wave.batches.iter().enumerate() {
            let name = format!("wave {} batch {}", w + 1, b + 1);
            match format {
                Format::Dot => {
                    out.push_str(&format!(
                        "  subgraph cluster_{w}_{b} {{\n    label=\"{name}\";\n"
                    ));
                    for id in batch {
                        out.push_str(&format!("    \"{}\";\n", id.replace('"', "\\\"")));
                    }
                    out.push_str("  }\n");
                }
                Format::Mermaid => {
                    out.push_str(&format!("  subgraph w{w}b{b}[\"{name}\"]\n"));
                    for (i, id) in batch.iter().enumerate() {
                        out.push_str(&format!("    w{w}b{b}n{i}[\"{}\"]\n", id.replace('"', "'")));
                    }
                    out.push_str("  end\n");
                }
            }
        }
    }
    if matches!(format, Format::Dot) {
        out.push_str("}\n");
    }
    out
}
