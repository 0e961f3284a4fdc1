use super::targets::Op;
use crate::cli::env::Ctx;
use crate::cli::error::CliResult;
use crate::cli::ui;
use crate::enrich::ops;

/// Set, add or remove a bead's concept tags.
///
/// Tags are matched against the vocabulary (names and aliases, case and
/// `-`/`_`/space insensitive) and stored by canonical name. An unknown tag
/// is a warning, not an error: the edit still applies (--force silences it).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba bead concepts set gm-a1b2 auth react-query\n  gemba bead concepts add gm-a1b2 'React Query'\n  gemba bead concepts rm gm-a1b2 auth"
)]
pub struct BeadConceptsArgs {
    #[arg(value_enum)]
    op: Op,
    id: String,
    #[arg(required = true, value_name = "TAG")]
    tags: Vec<String>,
    /// Don't warn about tags missing from the vocabulary.
    #[arg(long)]
    force: bool,
}

pub fn run(ctx: &Ctx, args: BeadConceptsArgs) -> CliResult {
    let store = ctx.store()?;
    let mut changes = store.changes();
    let (edited, ev) = ops::edit_concepts(
        &mut changes,
        &args.id,
        args.op.into(),
        &args.tags,
        &ctx.actor,
        ctx.now,
    )?;
    ui::finished(ctx, changes.finish(ev.as_slice())?);
    if !args.force {
        for tag in &edited.unknown_concepts {
            ui::warn(
                ctx,
                &format!(
                    "concept {tag:?} is not in the vocabulary (add it to .gemba/vocabulary.yaml, or --force)"
                ),
            );
        }
    }
    super::report_edit(ctx, &edited);
    Ok(())
}
