use crate::cli::env::Ctx;
use crate::cli::error::CliResult;
use crate::cli::ui;
use crate::queue::remote;

/// Fetch the other clones' takes from `claims.remote`.
///
/// Copies refs/gemba/takes/* into .gemba/index/remote-takes.json (never
/// committed), so that takes on this clone skip packets another clone
/// holds without trying them, and try again those it gave back. Run it
/// after merging the queue files from the other clones, or from cron; the
/// take itself is decided on the remote either way.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  gemba queue sync\n  gemba queue sync --json")]
pub struct QueueSyncArgs {}

pub fn run(ctx: &Ctx, _args: QueueSyncArgs) -> CliResult {
    let store = ctx.store()?;
    let synced = remote::sync(&store, ctx.now)?;
    for w in &synced.warnings {
        ui::warn(ctx, w);
    }
    if ctx.json {
        ui::json(&synced);
    } else {
        let mut text = format!(
            "{} takes on {} ({} of the packets ready here are taken on another clone)\n",
            synced.takes.len(),
            synced.remote,
            synced.elsewhere.len()
        );
        if !synced.elsewhere.is_empty() {
            text.push_str(&format!("  elsewhere: {}\n", synced.elsewhere.join(", ")));
        }
        ui::out(&text);
    }
    Ok(())
}
