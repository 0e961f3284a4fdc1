use crate::cli::env::Ctx;
use crate::cli::error::CliResult;
use crate::cli::ui;
use crate::enrich::ops;
use crate::model::enrichment::DispatchStatus;

/// Set or clear a bead's dispatch status, a soft block on handing it out:
/// ready (the default), awaiting-design, awaiting-vendor, awaiting-review,
/// not-now.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba bead status set gm-a1b2 awaiting-design\n  gemba bead status clear gm-a1b2"
)]
pub struct BeadStatusArgs {
    #[command(subcommand)]
    op: StatusOp,
}

#[derive(Debug, clap::Subcommand)]
enum StatusOp {
    /// Set the dispatch status.
    Set {
        id: String,
        #[arg(value_parser = super::one_of(&DispatchStatus::ALL, DispatchStatus::as_str))]
        status: DispatchStatus,
    },
    /// Remove the dispatch status (back to `ready`).
    Clear { id: String },
}

pub fn run(ctx: &Ctx, args: BeadStatusArgs) -> CliResult {
    let (id, status) = match args.op {
        StatusOp::Set { id, status } => (id, Some(status)),
        StatusOp::Clear { id } => (id, None),
    };
    let store = ctx.store()?;
    let mut changes = store.changes();
    let (edited, ev) = ops::set_status(&mut changes, &id, status, &ctx.actor, ctx.now)?;
    ui::finished(ctx, changes.finish(ev.as_slice())?);
    super::report_edit(ctx, &edited);
    Ok(())
}
