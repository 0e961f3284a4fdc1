use crate::cli::env::Ctx;
use crate::cli::error::CliResult;
use crate::cli::ui;
use crate::enrich::ops::{self, ListOp};

/// Set, add or remove the path globs a bead is expected to touch.
///
/// Globs are relative to the repository root; `*` never crosses `/`, `**`
/// matches any depth (`src/auth/**`, `docs/*.md`). Values set here are
/// stamped `operator` and survive every later extraction.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba bead targets set gm-a1b2 'src/auth/**' docs/auth.md\n  gemba bead targets add gm-a1b2 'tests/auth_*.rs'\n  gemba bead targets rm gm-a1b2 docs/auth.md"
)]
pub struct BeadTargetsArgs {
    #[arg(value_enum)]
    op: Op,
    id: String,
    #[arg(required = true, value_name = "GLOB")]
    globs: Vec<String>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Op {
    Set,
    Add,
    Rm,
}

impl From<Op> for ListOp {
    fn from(op: Op) -> ListOp {
        match op {
            Op::Set => ListOp::Set,
            Op::Add => ListOp::Add,
            Op::Rm => ListOp::Rm,
        }
    }
}

pub fn run(ctx: &Ctx, args: BeadTargetsArgs) -> CliResult {
    let store = ctx.store()?;
    let mut changes = store.changes();
    let (edited, ev) = ops::edit_targets(
        &mut changes,
        &args.id,
        args.op.into(),
        &args.globs,
        &ctx.actor,
        ctx.now,
    )?;
    ui::finished(ctx, changes.finish(ev.as_slice())?);
    super::report_edit(ctx, &edited);
    Ok(())
}
