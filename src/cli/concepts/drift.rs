use crate::cli::env::Ctx;
use crate::cli::error::CliResult;
use crate::cli::ui;
use crate::vocab::ops;

/// Look for vocabulary drift and write suggestions to
/// .gemba/suggestions/ for review. Never changes the vocabulary itself.
///
/// Near-duplicates: two terms whose sets of beads overlap (Jaccard) at
/// least vocab.merge_min_jaccard (0.7), with usage ratio (smaller/larger)
/// at least vocab.merge_min_usage_ratio (0.5): merge the less-used term
/// into the more-used one. Singletons: terms used by fewer than
/// vocab.singleton_usage_below (3) beads and unused for
/// vocab.singleton_unused_days (90): delete.
///
/// Running it again writes nothing new for a change already pending. A
/// rejected change may be proposed again once
/// vocab.repropose_after_days (30) have passed since its rejection.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba concepts drift\n  gemba concepts drift --json | jq '.new[].id'\n  gemba concepts review"
)]
pub struct ConceptsDriftArgs {}

pub fn run(ctx: &Ctx, _args: ConceptsDriftArgs) -> CliResult {
    let store = ctx.store()?;
    let mut changes = store.changes();
    let (report, ev) = ops::drift(&mut changes, &ctx.actor, ctx.now)?;
    ui::finished(ctx, changes.finish(ev.as_slice())?);
    if ctx.json {
        ui::json(&report);
        return Ok(());
    }
    if !report.new.is_empty() {
        ui::out(&super::suggestion_table(&report.new, false));
    }
    ui::status(
        ctx,
        &format!(
            "{} new suggestions ({} already pending, {} rejected recently)",
            report.new.len(),
            report.pending.len(),
            report.recently_rejected.len()
        ),
    );
    if !report.new.is_empty() {
        ui::status(ctx, "review them with `gemba concepts review`");
    }
    Ok(())
}
