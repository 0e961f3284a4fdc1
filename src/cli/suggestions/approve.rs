use crate::cli::env::Ctx;
use crate::cli::error::CliResult;
use crate::cli::ui;
use crate::retro::review::{self, Approved};
use crate::retro::tune::show;

/// Approve a pending suggestion and apply it.
///
/// A vocabulary suggestion is applied exactly as `gemba concepts approve`
/// applies it; a tune suggestion sets its key to its value in
/// .gemba/config.yaml as `gemba tune` does (checked the same way, logged
/// as a `tune` event naming the suggestion).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba suggestions approve tune-scoring.affinity_share\n  gemba suggestions approve merge-k3x9a2bq --by alice --reason 'same thing' --json"
)]
pub struct SuggestionsApproveArgs {
    /// The suggestion's id (its file name in .gemba/suggestions/).
    #[arg(value_name = "SUG_ID")]
    id: String,
    /// A note on the decision (kept in the log; for a tune, also in the
    /// suggestion file).
    #[arg(long, short, value_name = "TEXT")]
    reason: Option<String>,
    /// Who decided [default: the actor].
    #[arg(long, value_name = "NAME")]
    by: Option<String>,
}

pub fn run(ctx: &Ctx, args: SuggestionsApproveArgs) -> CliResult {
    crate::model::id::validate(&args.id)?;
    let store = ctx.store()?;
    let mut changes = store.changes();
    let by = args.by.as_deref().unwrap_or(&ctx.actor);
    let reason = args.reason.as_deref().filter(|r| !r.trim().is_empty());
    let (approved, ev) = review::approve(&mut changes, &args.id, reason, by, &ctx.actor, ctx.now)?;
    ui::finished(ctx, changes.finish(&[ev])?);
    if ctx.json {
        ui::json(&approved);
        return Ok(());
    }
    match &approved {
        Approved::Vocabulary(report) => ui::out(&format!(
            "approved {}: {} ({} beads rewritten)\n",
            report.suggestion.id,
            report.suggestion.describe(),
            report.rewritten.len()
        )),
        Approved::Tune { suggestion, tune } => ui::out(&format!(
            "approved {}: {}: {} -> {} ({})\n",
            suggestion.id,
            tune.key,
            show(&tune.old),
            show(&tune.new),
            tune.how
        )),
    }
    Ok(())
}
