use crate::cli::env::Ctx;
use crate::cli::error::CliResult;
use crate::cli::ui;
use crate::sessions;

/// End a session. gemba never ends one itself; a bead still in hand stays
/// claimed until released.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  gemba session end s-alice-3k9x")]
pub struct SessionEndArgs {
    session: String,
}

pub fn run(ctx: &Ctx, args: SessionEndArgs) -> CliResult {
    let store = ctx.store()?;
    let mut changes = store.changes();
    let (session, event) = sessions::end(&mut changes, &args.session, &ctx.actor, ctx.now)?;
    ui::finished(ctx, changes.finish(&[event])?);
    super::warn_bead_in_hand(ctx, &session);
    if ctx.json {
        ui::json(&session);
    } else {
        ui::status(ctx, &format!("ended session {}", session.id));
    }
    Ok(())
}
