use crate::cli::env::Ctx;
use crate::cli::error::CliResult;
use crate::cli::ui;
use crate::enrich::Size;
use crate::enrich::ops::{self, Texts};
use crate::model::enrichment::Source;

/// Set, clear or estimate a bead's size (small, medium, large).
///
/// `estimate` runs the size heuristic on the bead's text (thresholds in
/// `enrich:` of config.yaml) and stamps the value `heuristic`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba bead size set gm-a1b2 large\n  gemba bead size estimate gm-a1b2\n  gemba bead size clear gm-a1b2"
)]
pub struct BeadSizeArgs {
    #[command(subcommand)]
    op: SizeOp,
}

#[derive(Debug, clap::Subcommand)]
enum SizeOp {
    /// Set the size (stamped `operator`).
    Set {
        id: String,
        #[arg(value_parser = super::one_of(&Size::ALL, Size::as_str))]
        size: Size,
    },
    /// Remove the size.
    Clear { id: String },
    /// Estimate the size from the bead's text.
    Estimate { id: String },
}

pub fn run(ctx: &Ctx, args: BeadSizeArgs) -> CliResult {
    let store = ctx.store()?;
    let (id, size) = match args.op {
        SizeOp::Set { id, size } => (id, Some((size, Source::Operator))),
        SizeOp::Clear { id } => (id, None),
        SizeOp::Estimate { id } => {
            let bead = store.read_bead(&id)?;
            let context = ops::Context::new(
                Vec::new(),
                &Default::default(),
                store.config().enrich.clone(),
            );
            let size = ops::extract(&bead, &Texts::default(), &context).estimated_size;
            (id, Some((size, Source::Heuristic)))
        }
    };
    let mut changes = store.changes();
    let (edited, ev) = ops::set_size(&mut changes, &id, size, &ctx.actor, ctx.now)?;
    ui::finished(ctx, changes.finish(ev.as_slice())?);
    super::report_edit(ctx, &edited);
    Ok(())
}
