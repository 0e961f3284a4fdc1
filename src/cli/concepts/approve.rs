use crate::cli::env::Ctx;
use crate::cli::error::CliResult;
use crate::cli::ui;
use crate::vocab::ops;

/// Approve a pending suggestion and apply it: the vocabulary, every
/// enrichment file that uses the term, and the suggestion change together,
/// all or nothing.
///
/// merge: the merged term's name and aliases become aliases of the target
/// (chains keep every old spelling); rename: the old name becomes an alias
/// (refused when the new name is already a term or alias); delete: the
/// term is retired and removed from every bead.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba concepts approve merge-k3x9a2bq\n  gemba concepts approve delete-0pz81c4m --by alice --json"
)]
pub struct ConceptsApproveArgs {
    /// The suggestion's id (its file name in .gemba/suggestions/).
    #[arg(value_name = "SUG_ID")]
    id: String,
    /// Who decided [default: the actor].
    #[arg(long, value_name = "NAME")]
    by: Option<String>,
}

pub fn run(ctx: &Ctx, args: ConceptsApproveArgs) -> CliResult {
    let store = ctx.store()?;
    let mut changes = store.changes();
    let by = args.by.as_deref().unwrap_or(&ctx.actor);
    let (report, ev) = ops::approve(&mut changes, &args.id, by, &ctx.actor, ctx.now)?;
    ui::finished(ctx, changes.finish(&[ev])?);
    if ctx.json {
        ui::json(&report);
    } else {
        ui::out(&format!(
            "approved {}: {} ({} beads rewritten)\n",
            report.suggestion.id,
            report.suggestion.describe(),
            report.rewritten.len()
        ));
    }
    Ok(())
}
