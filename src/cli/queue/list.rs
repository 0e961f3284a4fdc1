use crate::cli::env::Ctx;
use crate::cli::error::CliResult;
use crate::cli::ui;
use crate::queue;

/// List the packets of every queue (or one agent's), with their state.
///
/// Blocked packets show the packets they wait for; ready packets held
/// back by an overlapping packet in progress show which one and why.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  gemba queue list\n  gemba queue list --agent alice --json")]
pub struct QueueListArgs {
    /// Only this agent's queue.
    #[arg(long, value_name = "AGENT")]
    agent: Option<String>,
}

pub fn run(ctx: &Ctx, args: QueueListArgs) -> CliResult {
    let store = ctx.store()?;
    let rows = queue::list(&store, args.agent.as_deref())?;
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
            let note = match (&r.held_by, r.waiting_for.is_empty()) {
                (Some(h), _) => format!("held back by {} ({})", h.by, h.reason),
                (None, false) => format!("waiting for {}", r.waiting_for.join(", ")),
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
