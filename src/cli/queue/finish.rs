use crate::cli::env::Ctx;
use crate::cli::error::CliResult;
use crate::cli::ui;
use crate::queue::{self, Finish};

/// Mark an in-progress packet (or its current stage) done.
///
/// A packet with stages finishes its current stage (--stage, when given,
/// must name it), recorded in the packet's history with the agent and
/// session. A stage before the last advances it to the next stage, back
/// to ready/: in this agent's queue while the agent does that stage's
/// role (queue.stage_roles maps a stage to a role; by default the role is
/// the stage's name; an agent without roles does every stage), else in
/// the queue of the best agent that does (least loaded, then cheapest),
/// else here, waiting for one (`gemba queue reroute` moves it later).
///
/// The last stage, or a packet without stages, goes to done/: its blocked
/// dependents whose prerequisites are now all done move to ready/, and a
/// `queue.shipped` event records what shipped, from which source, through
/// which stages and agents (`gemba ledger`).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba queue done pk-3k9x2a\n  gemba queue done pk-3k9x2a --stage build --json\n  gemba ledger   # what shipped"
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
    show(ctx, &f, "done")?;
    if f.batch_done.is_some() {
        // The last packet of a parallel batch: a barrier for the scan
        // scheduler (in the background; its problems are warnings).
        let mut warnings = Vec::new();
        if let Err(e) = crate::cli::scan::trigger(
            ctx,
            &store,
            crate::scan::Reason::Barrier,
            true,
            &mut warnings,
        ) {
            warnings.push(e.message);
        }
        for w in &warnings {
            ui::warn(ctx, w);
        }
    }
    Ok(())
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
    if let (Some(to), Some(stage)) = (&f.handed_to, &f.packet.stage) {
        text.push_str(&format!("  stage {stage} handed to {to}\n"));
    }
    if let Some(why) = &f.waiting {
        text.push_str(&format!(
            "  stage {} waits here for an agent: {why}\n",
            f.packet.stage.as_deref().unwrap_or("-")
        ));
    }
    if let Some(s) = &f.shipped {
        text.push_str(&format!("  shipped: {} ({})\n", s.title, s.route()));
    }
    ui::out(&text);
    Ok(())
}
