use std::time::Duration as StdDuration;

use crate::cli::claim::parse_lease;
use crate::cli::env::Ctx;
use crate::cli::error::{CliError, CliResult};
use crate::cli::ui;
use crate::model::duration::Duration;
use crate::queue::{self, Take};

/// Take the next packet(s) from an agent's queue: exactly once.
///
/// Picks the ready packet with the highest priority (0 first), then the
/// lowest dependency depth, then the oldest, and moves it to in_progress/
/// by a rename that never replaces: of several racing takers exactly one
/// gets each packet; the others move on to the next. A packet whose
/// targets overlap a packet in progress (any agent's) is not handed out:
/// it stays ready (`gemba queue list` shows what holds it back). Nor is
/// a packet this agent does not fit: one whose `requires` it lists
/// neither among its roles nor its tools, or whose current stage needs a
/// role it does not do (`gemba queue reroute` finds one that does). --batch N
/// takes up to N packets whose targets do not overlap each other. Nothing
/// to take: exit 3, after waiting up to --wait seconds for work to appear.
///
/// With `claims.remote` set (clones sharing a queue through a remote), a
/// take must also create refs/gemba/takes/<packet> on that remote, which
/// only one clone can: a packet another clone holds stays in ready/ here,
/// is listed under `elsewhere` and is skipped from then on (`gemba queue
/// sync` refreshes what this clone knows). An unreachable remote fails the
/// take unless `claims.on_unreachable: local`.
/// A packet kept for one session (`gemba dispatch` claimed its bead for
/// it) goes only to a take with that --session.
/// While waiting it notices at once when the queue changes (an enqueue, a
/// done or failed packet, in any queue), and every queue.idle_rescan
/// (default 5m) it also rescans for blocked packets whose prerequisites
/// were finished elsewhere (`gemba queue rescan`).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba queue take --agent alice --json\n  gemba queue take --agent alice --session s-alice-3k9x --batch 3\n  gemba queue take --agent alice --wait 60 || echo 'nothing to do (exit 3)'"
)]
pub struct QueueTakeArgs {
    /// Whose queue.
    #[arg(long, value_name = "AGENT")]
    agent: String,
    /// The session that works on it (recorded in the lease).
    #[arg(long, short, value_name = "SESSION")]
    session: Option<String>,
    /// Take up to N mutually conflict-free packets.
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u16).range(1..=1000))]
    batch: u16,
    /// When nothing is ready, look again for up to this many seconds.
    #[arg(long, value_name = "SECS", default_value_t = 0)]
    wait: u64,
    /// The lease: 30m, 2h, 1d [default: queue.lease, 2h].
    #[arg(long, value_name = "DURATION", value_parser = parse_lease)]
    lease: Option<Duration>,
}

pub fn run(ctx: &Ctx, args: QueueTakeArgs) -> CliResult {
    let store = ctx.store()?;
    let req = Take {
        agent: args.agent.clone(),
        session: args.session.clone(),
        batch: usize::from(args.batch),
        lease: args.lease,
    };
    let taken = take_waiting(ctx, &store, &req, StdDuration::from_secs(args.wait))?;
    ui::finished(ctx, taken.finished.clone());
    for w in &taken.warnings {
        ui::warn(ctx, w);
    }
    if taken.packets.is_empty() {
        let mut why = match taken.held.first() {
            Some(h) => format!(
                "; {} ready but held back ({} by {}: {})",
                taken.held.len(),
                h.packet,
                h.hold.by,
                h.hold.reason
            ),
            None => String::new(),
        };
        if let Some(u) = taken.unfit.first() {
            why.push_str(&format!(
                "; {} ready but not for this agent ({}: {})",
                taken.unfit.len(),
                u.packet,
                u.why
            ));
        }
        if !taken.elsewhere.is_empty() {
            why.push_str(&format!(
                "; {} ready here but taken on another clone",
                taken.elsewhere.len()
            ));
        }
        // Idle now: log it if work it fits waits elsewhere (`queue.starving`
        // and its hook, once per spell). A failed look never fails the take.
        match queue::starving::check(&store, &ctx.actor, ctx.now) {
            Ok(t) if t.since.contains_key(&args.agent) => why
                .push_str("; STARVING: ready work it fits waits elsewhere (`gemba queue status`)"),
            Ok(_) => {}
            Err(e) => ui::warn(ctx, &format!("could not look for starving agents: {e}")),
        }
        if ctx.json {
            ui::json(&taken);
        }
        return Err(CliError::new(
            crate::cli::error::Code::NothingToDo,
            format!("nothing to take in {}'s queue{why}", args.agent),
        ));
    }
    if ctx.json {
        ui::json(&taken);
    } else {
        let mut text = String::new();
        for p in &taken.packets {
            text.push_str(&format!("took {}\n", super::line(p)));
        }
        ui::out(&text);
    }
    Ok(())
}

/// [`queue::take_waiting`], reporting each rescan's commit as it goes.
fn take_waiting(
    ctx: &Ctx,
    store: &crate::store::Store,
    req: &Take,
    wait: StdDuration,
) -> CliResult<queue::Taken> {
    let report = |finished| ui::finished(ctx, finished);
    Ok(queue::take_waiting(
        store, req, &ctx.actor, ctx.now, wait, report,
    )?)
}
