use crate::cli::env::Ctx;
use crate::cli::error::CliResult;
use crate::cli::ui;
use crate::queue::{self, Finish};

/// Mark an in-progress packet done.
///
/// Its blocked dependents whose prerequisites are now all done move to
/// ready/. With --stage (the packet's current stage), a stage before the
/// last advances it to the next stage and back to ready/.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba queue done pk-3k9x2a\n  gemba queue done pk-3k9x2a --stage build --json"
)]
pub struct QueueDoneArgs {
    packet: String,
    /// The stage finished (the packet's current stage).
    #[arg(long, value_name = "STAGE")]
    stage: Option<String>,
    /// Only if this session holds it.
    #[arg(long, short, value_name = "SESSION")]
    session: Option<String>,
}

/// Give an in-progress packet back as failed, with corrective notes.
///
/// Its attempts go up by one and the notes are appended; it returns to
/// ready/ for another attempt, or goes to failed/ once it has failed
/// queue.max_attempts times (default 3). Its dependents stay blocked.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba queue fail pk-3k9x2a --notes 'tests need the db fixture first'"
)]
pub struct QueueFailArgs {
    packet: String,
    /// What went wrong and what to do differently.
    #[arg(long, value_name = "TEXT")]
    notes: String,
    /// Only if this session holds it.
    #[arg(long, short, value_name = "SESSION")]
    session: Option<String>,
}

pub fn run_done(ctx: &Ctx, args: QueueDoneArgs) -> CliResult {
    let store = ctx.store()?;
    let f = queue::done(
        &store,
        &args.packet,
        args.stage.as_deref(),
        args.session.as_deref(),
        &ctx.actor,
        ctx.now,
    )?;
    show(ctx, &f, "done")
}

pub fn run_fail(ctx: &Ctx, args: QueueFailArgs) -> CliResult {
    let store = ctx.store()?;
    let f = queue::fail(
        &store,
        &args.packet,
        &args.notes,
        args.session.as_deref(),
        &ctx.actor,
        ctx.now,
    )?;
    show(ctx, &f, "failed")
}

fn show(ctx: &Ctx, f: &Finish, verb: &str) -> CliResult {
    ui::finished(ctx, f.finished.clone());
    for w in &f.warnings {
        ui::warn(ctx, w);
    }
    if ctx.json {
        ui::json(f);
        return Ok(());
    }
    let mut text = format!(
        "{verb} {} (attempts {}): now {}\n",
        f.packet.id, f.packet.attempts, f.state
    );
    if !f.unblocked.is_empty() {
        text.push_str(&format!("  unblocked: {}\n", f.unblocked.join(", ")));
    }
    if !f.dependents.is_empty() {
        text.push_str(&format!("  still blocked: {}\n", f.dependents.join(", ")));
    }
    ui::out(&text);
    Ok(())
}
