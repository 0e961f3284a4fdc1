use std::path::PathBuf;

use crate::cli::env::Ctx;
use crate::cli::error::{CliError, CliResult};
use crate::cli::ui;
use crate::model::packet::{DEFAULT_PRIORITY, MAX_PRIORITY, Spec};
use crate::queue::{self, Enqueue};

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
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba queue enqueue --target alice --bead gm-a1b2\n  gemba queue enqueue --target alice --title 'Fix login' --body 'See #12' --priority 1\n  gemba queue enqueue --target bob --spec spec.yaml --after pk-3k9x2a --json\n  gemba queue enqueue --target alice --title 'Ship it' --stages scout,build,verify,ship\n  gemba queue enqueue --target bob --title 'GPU kernels' --requires cuda"
)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["bead", "spec", "title"])))]
pub struct QueueEnqueueArgs {
    /// The agent whose queue gets it.
    #[arg(long, value_name = "AGENT")]
    target: String,
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
}

pub fn run(ctx: &Ctx, args: QueueEnqueueArgs) -> CliResult {
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
            agent: args.target,
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
