use crate::beads;
use crate::cli::env::Ctx;
use crate::cli::error::CliResult;
use crate::cli::ui;

/// Close a bead; beads that depended on it may become ready.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  gemba bead close gm-a1b2 --reason 'fixed in 3f2c1a'")]
pub struct BeadCloseArgs {
    id: String,
    #[arg(long)]
    reason: Option<String>,
}

pub fn run(ctx: &Ctx, args: BeadCloseArgs) -> CliResult {
    let store = ctx.store()?;
    let mut changes = store.changes();
    let (bead, event) = beads::close(&mut changes, &args.id, args.reason, &ctx.actor, ctx.now)?;
    let changed = event.is_some();
    ui::finished(ctx, changes.finish(event.as_slice())?);
    if ctx.json {
        ui::json(&bead);
    } else if changed {
        ui::status(ctx, &format!("closed {}", bead.id));
    } else {
        ui::status(ctx, &format!("{} was already closed", bead.id));
    }
    Ok(())
}
