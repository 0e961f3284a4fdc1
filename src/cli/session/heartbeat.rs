use crate::cli::env::Ctx;
use crate::cli::error::CliResult;
use crate::cli::ui;
use crate::sessions;

/// Report a session's context use. The session file keeps the latest
/// figures; the log records a heartbeat only when it moves the context
/// pressure to another level (ok, warn, recycle).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba session heartbeat s-alice-3k9x --tokens 84000\n  gemba session heartbeat s-alice-3k9x --tokens 84000 --context-window 200000 --json"
)]
pub struct SessionHeartbeatArgs {
    session: String,
    /// Tokens in the context now.
    #[arg(long, value_name = "N")]
    tokens: u64,
    /// The context window in tokens [default: the last one given, else the agent's].
    #[arg(long, value_name = "N")]
    context_window: Option<u64>,
}

pub fn run(ctx: &Ctx, args: SessionHeartbeatArgs) -> CliResult {
    let store = ctx.store()?;
    let mut changes = store.changes();
    let (beat, event) = sessions::heartbeat(
        &mut changes,
        &args.session,
        args.tokens,
        args.context_window,
        &ctx.actor,
        ctx.now,
    )?;
    ui::finished(ctx, changes.finish(event.as_slice())?);
    if ctx.json {
        ui::json(&beat);
    } else {
        ui::out(&format!(
            "{}: {}\n",
            beat.session.id,
            super::health_line(&beat.health)
        ));
        if let Some(was) = beat.level_was {
            ui::status(
                ctx,
                &format!(
                    "context pressure moved from {was} to {}",
                    beat.health.pressure_level
                ),
            );
        }
    }
    Ok(())
}
