use crate::cli::env::Ctx;
use crate::cli::error::CliResult;
use crate::cli::ui;
use crate::retro::review;

/// Reject a pending suggestion, saying why. Nothing else changes.
///
/// A vocabulary suggestion is rejected as `gemba concepts reject` does it
/// (event `concepts.reject`); a tune suggestion logs `suggestion.reject`.
/// Neither is proposed again for vocab.repropose_after_days (30).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba suggestions reject tune-scoring.affinity_share --reason 'a bad week, not a trend'\n  gemba suggestions reject delete-0pz81c4m --reason 'still planned' --by alice"
)]
pub struct SuggestionsRejectArgs {
    /// The suggestion's id (its file name in .gemba/suggestions/).
    #[arg(value_name = "SUG_ID")]
    id: String,
    /// Why: kept in the suggestion file and the log.
    #[arg(long, short, value_name = "TEXT")]
    reason: String,
    /// Who decided [default: the actor].
    #[arg(long, value_name = "NAME")]
    by: Option<String>,
}

pub fn run(ctx: &Ctx, args: SuggestionsRejectArgs) -> CliResult {
    crate::model::id::validate(&args.id)?;
    let store = ctx.store()?;
    let mut changes = store.changes();
    let by = args.by.as_deref().unwrap_or(&ctx.actor);
    let (suggestion, ev) = review::reject(
        &mut changes,
        &args.id,
        &args.reason,
        by,
        &ctx.actor,
        ctx.now,
    )?;
    ui::finished(ctx, changes.finish(&[ev])?);
    if ctx.json {
        ui::json(&suggestion);
    } else {
        ui::out(&format!(
            "rejected {}: {}\n",
            suggestion.id,
            suggestion.describe()
        ));
    }
    Ok(())
}
