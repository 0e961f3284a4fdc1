use crate::cli::env::Ctx;
use crate::cli::error::CliResult;
use crate::cli::ui;
use crate::vocab::ops;

/// List the suggestions awaiting review, oldest first, with the evidence
/// for each; decide with `approve` or `reject`.
///
/// A suggestion can also be written by hand as .gemba/suggestions/<id>.yaml
/// (id, kind: merge|rename|delete, terms, target, reason, status: pending,
/// created_at); see schema/suggestion.schema.json.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba concepts review\n  gemba concepts review --all --json\n  gemba concepts approve merge-k3x9a2bq --by alice\n  gemba concepts reject delete-0pz81c4m --reason 'still planned'"
)]
pub struct ConceptsReviewArgs {
    /// Include approved and rejected suggestions.
    #[arg(long, short)]
    all: bool,
}

pub fn run(ctx: &Ctx, args: ConceptsReviewArgs) -> CliResult {
    let store = ctx.store()?;
    let list = ops::review(&store, args.all)?;
    if ctx.json {
        ui::json(&list);
        return Ok(());
    }
    if list.is_empty() {
        ui::status(
            ctx,
            if args.all {
                "no suggestions"
            } else {
                "no pending suggestions"
            },
        );
        return Ok(());
    }
    ui::out(&super::suggestion_table(&list, args.all));
    Ok(())
}
