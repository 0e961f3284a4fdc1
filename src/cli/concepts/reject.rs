use crate::cli::env::Ctx;
use crate::cli::error::CliResult;
use crate::cli::ui;
use crate::vocab::ops;

/// Reject a pending suggestion, saying why. Nothing else changes.
///
/// `gemba concepts drift` does not propose the same change again until
/// vocab.repropose_after_days (30) have passed since the rejection.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba concepts reject merge-k3x9a2bq --reason 'different things'\n  gemba concepts reject delete-0pz81c4m --reason 'still planned' --by alice"
)]
pub struct ConceptsRejectArgs {
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

pub fn run(ctx: &Ctx, args: ConceptsRejectArgs) -> CliResult {
    let store = ctx.store()?;
    let mut changes = store.changes();
    let by = args.by.as_deref().unwrap_or(&ctx.actor);
    let (suggestion, ev) = ops::reject(
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
