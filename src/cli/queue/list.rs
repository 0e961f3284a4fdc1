use crate::cli::env::Ctx;
use crate::cli::error::CliResult;
use crate::cli::ui;
use crate::queue;

/// List the packets of every queue (or one agent's), with their state.
///
/// Blocked packets show the packets they wait for; ready packets held
/// back by an overlapping packet in progress show which one and why, and
/// ready packets their agent cannot do (their `requires`, or the role of
/// their stage) say so: they wait for `gemba queue reroute`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba queue list\n  gemba queue list --agent alice --json\n  gemba queue list --state in_progress\n  gemba queue list --agent bob --state failed --json"
)]
pub struct QueueListArgs {
    /// Only this agent's queue.
    #[arg(long, value_name = "AGENT")]
    agent: Option<String>,
    /// Only packets in this state.
    #[arg(long, value_name = "STATE",
          value_parser = ["ready", "blocked", "in_progress", "done", "failed"])]
    state: Option<String>,
}

pub fn run(ctx: &Ctx, args: QueueListArgs) -> CliResult {
    let store = ctx.store()?;
    let state = args.state.as_deref().and_then(queue::State::parse);
    let rows = queue::list(&store, args.agent.as_deref(), state)?;
    if ctx.json {
        ui::json(&rows);
        return Ok(());
    }
    if rows.is_empty() {
        ui::status(ctx, "no packets");
        return Ok(());
    }
    let table = rows
        .iter()
        .map(|r| {
            let note = match (&r.unfit, &r.held_by, r.waiting_for.is_empty()) {
                (Some(why), _, _) => format!("waits for an agent: {why}"),
                (None, Some(h), _) => format!("held back by {} ({})", h.by, h.reason),
                (None, None, false) => format!("waiting for {}", r.waiting_for.join(", ")),
                _ => r
                    .packet
                    .lease
                    .as_ref()
                    .map(|l| format!("lease until {}", l.until))
                    .unwrap_or_default(),
            };
            vec![
                r.packet.agent.clone(),
                r.state.to_string(),
                r.packet.id.clone(),
                format!("P{}", r.packet.priority),
                ui::clip(&r.packet.spec.title, 50),
                note,
            ]
        })
        .collect();
    ui::out(&ui::table(
        &["agent", "state", "packet", "pri", "title", "note"],
        table,
    ));
    Ok(())
}
