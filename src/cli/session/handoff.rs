use crate::cli::env::Ctx;
use crate::cli::error::CliResult;
use crate::cli::ui;
use crate::sessions;

/// End a session and start a fresh one for the same agent, workspace and
/// focus, and print the new id. The new session's profile inherits the
/// agent's profile plus half the weight of the old session's
/// (`profile.handoff_share`), so it stays warm for the same work with an
/// empty context.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  S=$(gemba session handoff \"$S\")\n  gemba session handoff s-alice-3k9x --json | jq -r .to.id"
)]
pub struct SessionHandoffArgs {
    session: String,
}

pub fn run(ctx: &Ctx, args: SessionHandoffArgs) -> CliResult {
    let store = ctx.store()?;
    let mut changes = store.changes();
    let ((old, new), event) = sessions::handoff(&mut changes, &args.session, &ctx.actor, ctx.now)?;
    ui::finished(ctx, changes.finish(&[event])?);
    super::warn_bead_in_hand(ctx, &old);
    if ctx.json {
        ui::json(&serde_json::json!({"from": old, "to": new}));
    } else {
        ui::out(&format!("{}\n", new.id));
        ui::status(
            ctx,
            &format!(
                "handed off {} to {} ({} concepts, {} files inherited)",
                old.id,
                new.id,
                new.profile.concepts.len(),
                new.profile.files.len()
            ),
        );
    }
    Ok(())
}
