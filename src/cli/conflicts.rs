//! `gemba conflicts`

use super::env::Ctx;
use super::error::CliResult;
use super::ui;
use crate::beads::conflicts::{Graph, graph, held_workspace_edges};
use crate::plan::conflicts::{Conflict, EdgeKind, strongest};
use crate::store::snapshot::{Parts, Snapshot};

/// Which beads must not run at the same time, and why.
///
/// An edge joins two beads that would fight over the same code. Hard
/// edges, from the code: `target` (their target globs share a tracked path,
/// or a path a literal target names), `may-overlap` (two wildcard globs that
/// could share a path that does not exist yet), `semantic` (a target of one
/// imports a target of the other: needs a fresh `gemba index build`),
/// `workspace` (two beads held, claimed or in hand, by live sessions that
/// work in the same worktree or on the same repository and branch; shown
/// whatever the scope, since held beads are not ready). Soft
/// edges, from structure and text: `epic` (parent and part, or two parts
/// of one epic of at most 40), `similar` (titles with TF-IDF cosine >=
/// 0.2). Each edge has a one-line reason; a pair keeps its strongest edge.
/// Ready beads by default; `--all` for every bead.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba conflicts\n  gemba conflicts --bead bd-a1b2\n  gemba conflicts --all --json | jq -c '.edges[] | {a, b}'\n  gemba conflicts --format dot | dot -Tsvg > conflicts.svg"
)]
pub struct ConflictsArgs {
    /// Only edges of this bead (repeatable).
    #[arg(long, value_name = "ID")]
    bead: Vec<String>,
    /// Every bead, not only the ready ones (closed ones too).
    #[arg(long)]
    all: bool,
    /// Print a graph for Graphviz or Mermaid instead of a list.
    #[arg(long, value_enum)]
    format: Option<Format>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    Dot,
    Mermaid,
}

pub fn run(ctx: &Ctx, args: ConflictsArgs) -> CliResult {
    let store = ctx.store()?;
    let snapshot = Snapshot::load(&store, Parts::ALL)?;
    let heads = snapshot.beads()?;
    for id in &args.bead {
        if !snapshot.contains(id) {
            return Err(crate::store::Error::NotFound {
                kind: "bead",
                id: id.clone(),
            }
            .into());
        }
    }
    let scope: Vec<_> = if args.all {
        heads.iter().collect()
    } else {
        let (ready, _) = crate::beads::ready::ready(&store, &snapshot, ctx.now, false)?;
        let wanted: crate::plan::Set<&str> = ready
            .ids
            .iter()
            .map(String::as_str)
            .chain(args.bead.iter().map(String::as_str))
            .collect();
        heads.iter().filter(|b| wanted.contains(b.id)).collect()
    };
    let mut graph = graph(&store, &snapshot, &heads, &scope)?;
    let mut edges = std::mem::take(&mut graph.edges);
    edges.extend(held_workspace_edges(&snapshot, ctx.now));
    graph.edges = strongest(edges);
    if !args.bead.is_empty() {
        graph
            .edges
            .retain(|e| args.bead.contains(&e.a) || args.bead.contains(&e.b));
    }
    if let Some(note) = &graph.note
        && !ctx.quiet
    {
        ui::status(ctx, note);
    }
    if graph.semantic == "stale" {
        super::scan::on_drift(ctx, &store);
    }
    match args.format {
        Some(Format::Dot) => ui::out(&dot(&graph.edges)),
        Some(Format::Mermaid) => ui::out(&mermaid(&graph.edges)),
        None if ctx.json => ui::json(&graph),
        None => ui::out(&render(&graph)),
    }
    Ok(())
}

fn render(graph: &Graph) -> String {
    let mut out = String::new();
    for kind in EdgeKind::ALL {
        let edges: Vec<&Conflict> = graph.edges.iter().filter(|e| e.kind == kind).collect();
        if edges.is_empty() {
            continue;
        }
        out.push_str(&format!("{kind} ({})\n", edges.len()));
        let rows = edges
            .iter()
            .map(|e| vec![e.a.clone(), e.b.clone(), ui::clip(&e.reason, 100)])
            .collect();
        for line in ui::table(&["bead", "bead", "why"], rows).lines().skip(1) {
            out.push_str(&format!("  {line}\n"));
        }
    }
    out.push_str(&format!(
        "{} edges between {} beads ({} with targets)\n",
        graph.edges.len(),
        graph.beads,
        graph.with_targets
    ));
    out
}

fn quoted(id: &str) -> String {
    format!("\"{}\"", id.replace('\\', "\\\\").replace('"', "\\\""))
}

fn dot(edges: &[Conflict]) -> String {
    let mut out = String::from("graph conflicts {\n  node [shape=box];\n");
    for e in edges {
        let style = match e.kind {
            EdgeKind::Target => "solid",
            EdgeKind::Semantic => "bold",
            _ => "dashed",
        };
        out.push_str(&format!(
            "  {} -- {} [label=\"{}\", style={style}];\n",
            quoted(&e.a),
            quoted(&e.b),
            e.kind
        ));
    }
    out.push_str("}\n");
    out
}

/// Mermaid node ids must be plain words; the id goes in the label.
fn mermaid(edges: &[Conflict]) -> String {
    let mut ids: Vec<&str> = edges
        .iter()
        .flat_map(|e| [e.a.as_str(), e.b.as_str()])
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let node = |id: &str| ids.binary_search(&id).map_or(0, |i| i);
    let mut out = String::from("graph LR\n");
    for (i, id) in ids.iter().enumerate() {
        out.push_str(&format!("  n{i}[{}]\n", quoted(id)));
    }
    for e in edges {
        let arrow = if e.kind == EdgeKind::Target {
            "---"
        } else {
            "-.-"
        };
        out.push_str(&format!(
            "  n{} {arrow}|{}| n{}\n",
            node(&e.a),
            e.kind,
            node(&e.b)
        ));
    }
    out
}
