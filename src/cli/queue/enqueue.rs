use std::path::{Path, PathBuf};

use crate::cli::env::Ctx;
use crate::cli::error::{CliError, CliResult};
use crate::cli::ui;
use crate::format::ParseError;
use crate::model::enrichment::Glob;
use crate::model::packet::{DEFAULT_PRIORITY, MAX_PRIORITY, Spec};
use crate::queue::{self, Enqueue};
use crate::store::Store;

/// Put a work packet in an agent's queue.
///
/// The packet goes to ready/, or to blocked/ while one of its --after
/// packets is not done (it moves to ready/ when the last one is). Its
/// spec comes from a bead (title, description, acceptance criteria, and
/// the enrichment's targets and concepts), from a spec file (YAML or
/// JSON: title, body, acceptance, targets, concepts), or from --title and
/// --body. An unknown agent or --after packet, or an --after that closes
/// a dependency cycle, is an error and changes nothing.
///
/// The agent must fit the packet: it must list --requires among its roles
/// or its tools, and do the role of the first stage (queue.stage_roles,
/// default: the stage's name; an agent without roles does every stage).
/// Otherwise it is an error naming what the agent has.
///
/// --from FILE enqueues many packets at once, one JSON object per line
/// (JSONL): `target` (default: --target), `id`, `bead`, `title`, `body`,
/// `acceptance`, `targets`, `concepts`, `priority` (default: --priority),
/// `after` (may name packets earlier or later in the file), `requires`,
/// `stages`. A line with `bead` and no `title` takes its spec from the
/// bead. Every line is checked before anything is written: one bad line
/// (named with its line and column) changes nothing.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba queue enqueue --target alice --bead gm-a1b2\n  gemba queue enqueue --target alice --title 'Fix login' --body 'See #12' --priority 1\n  gemba queue enqueue --target bob --spec spec.yaml --after pk-3k9x2a --json\n  gemba queue enqueue --target alice --title 'Ship it' --stages scout,build,verify,ship\n  gemba queue enqueue --target bob --title 'GPU kernels' --requires cuda\n  gemba queue enqueue --from packets.jsonl --json\n    with lines like {\"target\":\"alice\",\"id\":\"pk-a\",\"title\":\"Parse\"}\n               and {\"target\":\"bob\",\"title\":\"Render\",\"after\":[\"pk-a\"]}"
)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["bead", "spec", "title", "from"])))]
pub struct QueueEnqueueArgs {
    /// The agent whose queue gets it (with --from: lines without `target`).
    #[arg(long, value_name = "AGENT", required_unless_present = "from")]
    target: Option<String>,
    /// Make the packet from this bead.
    #[arg(long, value_name = "ID")]
    bead: Option<String>,
    /// Read the spec from this YAML or JSON file (`-`: stdin).
    #[arg(long, value_name = "FILE")]
    spec: Option<PathBuf>,
    /// The packet's title (with --body: its spec).
    #[arg(long, value_name = "TEXT")]
    title: Option<String>,
    /// The packet's body (with --title).
    #[arg(long, value_name = "TEXT", requires = "title")]
    body: Option<String>,
    /// 0 (most urgent) to 4, as for beads.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_PRIORITY,
          value_parser = clap::value_parser!(u8).range(0..=MAX_PRIORITY as i64))]
    priority: u8,
    /// Packets that must be done first (repeat, or comma-separate).
    #[arg(long, value_name = "PACKET", num_args = 1.., value_delimiter = ',')]
    after: Vec<String>,
    /// The role or capability the work needs: the agent must list it
    /// among its roles or tools (so must every agent it moves to).
    #[arg(long, value_name = "ROLE")]
    requires: Option<String>,
    /// Its stages, in order (`queue done` advances them and hands each to
    /// an agent that does its role).
    #[arg(long, value_name = "STAGES", value_delimiter = ',')]
    stages: Vec<String>,
    /// The packet id [default: a fresh pk-…].
    #[arg(long, value_name = "ID")]
    id: Option<String>,
    /// Enqueue every packet of this JSONL file (`-`: stdin), under one lock
    /// and with one flush for all.
    #[arg(long, value_name = "FILE",
          conflicts_with_all = ["after", "requires", "stages", "id", "body"])]
    from: Option<PathBuf>,
}

/// One line of `--from`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    target: Option<String>,
    id: Option<String>,
    bead: Option<String>,
    title: Option<String>,
    #[serde(default)]
    body: String,
    #[serde(default)]
    acceptance: Vec<String>,
    #[serde(default)]
    targets: Vec<Glob>,
    #[serde(default)]
    concepts: Vec<String>,
    priority: Option<u8>,
    #[serde(default)]
    after: Vec<String>,
    requires: Option<String>,
    #[serde(default)]
    stages: Vec<String>,
}

/// The requests of a `--from` file and the line of each; bad JSON or a
/// line that is no request is an error at its line and column.
fn read_lines(
    store: &Store,
    path: &Path,
    text: &str,
    args: &QueueEnqueueArgs,
) -> CliResult<(Vec<Enqueue>, Vec<usize>)> {
    let mut reqs = Vec::new();
    let mut lines = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let at = |column: usize, message: String| ParseError::new(path, n, column, message);
        let line: Line = serde_json::from_str(raw)
            .map_err(|e| at(e.column(), crate::format::json_message(&e)))?;
        let agent = line
            .target
            .or_else(|| args.target.clone())
            .ok_or_else(|| at(1, "no `target`, and no --target to default to".into()))?;
        let priority = line.priority.unwrap_or(args.priority);
        if priority > MAX_PRIORITY {
            let m =
                format!("priority: {priority} is out of range (0 most urgent .. {MAX_PRIORITY})");
            return Err(at(1, m).into());
        }
        let spec = match (&line.title, &line.bead) {
            (Some(title), _) => Spec {
                title: title.clone(),
                body: line.body,
                acceptance: line.acceptance,
                targets: line.targets,
                concepts: line.concepts,
            },
            (None, Some(bead)) => queue::spec_of_bead(store, bead)
                .map_err(|e| CliError::from(e).with_prefix(&format!("{}:{n}: ", path.display())))?,
            (None, None) => return Err(at(1, "give `title` or `bead`".into()).into()),
        };
        reqs.push(Enqueue {
            agent,
            id: line.id,
            bead: line.bead,
            spec,
            priority,
            after: line.after,
            requires: line.requires,
            stages: line.stages,
            session: None,
        });
        lines.push(n);
    }
    Ok((reqs, lines))
}

fn run_from(ctx: &Ctx, args: &QueueEnqueueArgs, file: &Path) -> CliResult {
    let store = ctx.store()?;
    let (path, text) = crate::cli::read_input(ctx, file)?;
    let (reqs, lines) = read_lines(&store, &path, &text, args)?;
    if reqs.is_empty() {
        return Err(CliError::new(
            crate::cli::error::Code::NothingToDo,
            format!("{}: no packets in it", path.display()),
        ));
    }
    let done = match queue::enqueue_all(&store, reqs, &ctx.actor, ctx.now) {
        Ok(done) => done,
        // Name the line, not the item.
        Err(queue::Error::Item { index, source }) => {
            let line = lines.get(index).copied().unwrap_or(0);
            let at = format!("{}:{line}: ", path.display());
            return Err(CliError::from(*source).with_prefix(&at));
        }
        Err(e) => return Err(e.into()),
    };
    ui::finished(ctx, done.finished.clone());
    if ctx.json {
        ui::json(&done);
        return Ok(());
    }
    let mut text = String::new();
    for e in &done.packets {
        text.push_str(&format!(
            "enqueued {} for {}: {}\n",
            e.packet.id, e.packet.agent, e.state
        ));
    }
    let blocked = done
        .packets
        .iter()
        .filter(|e| e.state == queue::State::Blocked)
        .count();
    text.push_str(&format!(
        "{} packets: {} ready, {blocked} blocked\n",
        done.packets.len(),
        done.packets.len() - blocked
    ));
    ui::out(&text);
    Ok(())
}

pub fn run(ctx: &Ctx, args: QueueEnqueueArgs) -> CliResult {
    if let Some(file) = args.from.clone() {
        return run_from(ctx, &args, &file);
    }
    let Some(target) = args.target.clone() else {
        return Err(CliError::usage("give --target (or --from FILE)"));
    };
    let store = ctx.store()?;
    let spec = match (&args.bead, &args.spec, &args.title) {
        (Some(bead), _, _) => queue::spec_of_bead(&store, bead)?,
        (_, Some(file), _) => {
            let (path, text) = crate::cli::read_input(ctx, file)?;
            crate::format::from_yaml::<Spec>(&path, &text)?
        }
        (_, _, Some(title)) => Spec {
            title: title.clone(),
            body: args.body.clone().unwrap_or_default(),
            ..Spec::default()
        },
        _ => return Err(CliError::usage("give --bead, --spec or --title")),
    };
    let enqueued = queue::enqueue(
        &store,
        Enqueue {
            agent: target,
            id: args.id,
            bead: args.bead,
            spec,
            priority: args.priority,
            after: args.after,
            requires: args.requires,
            stages: args.stages,
            session: None,
        },
        &ctx.actor,
        ctx.now,
    )?;
    ui::finished(ctx, enqueued.finished.clone());
    if ctx.json {
        ui::json(&enqueued);
    } else {
        let waiting = if enqueued.waiting_for.is_empty() {
            String::new()
        } else {
            format!(" (waiting for {})", enqueued.waiting_for.join(", "))
        };
        ui::out(&format!(
            "enqueued {} for {}: {}{waiting}\n",
            enqueued.packet.id, enqueued.packet.agent, enqueued.state
        ));
    }
    Ok(())
}
