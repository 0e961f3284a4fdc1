use crate::cli::env::Ctx;
use crate::cli::error::CliResult;
use crate::cli::ui;
use crate::queue::{self, reroute::Route};

/// Move ready packets to an agent that can do them.
///
/// A ready packet moves when its agent is gone (its agent file removed,
/// or none of its sessions heard from for queue.absent_after, 24h; an
/// agent that never had a session is not gone by that rule), does not fit
/// it (lacks its --requires, or the role of its current stage), or is
/// saturated (more ready + in-progress packets than queue.target_depth,
/// 3: the packets it would take last move, and only to agents below the
/// depth). It goes to the agent that fits it best: capability (requires,
/// the stage's role, its bead's band and tools), then the least loaded,
/// then the cheapest. A packet that no agent fits stays where it is and
/// is reported as waiting, with why; it never goes to an agent that
/// cannot do it. Each move is one rename under the queues lock, logged as
/// `queue.reroute` with from, to and the reason.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba queue reroute --dry-run\n  gemba queue reroute --json | jq '.moved[] | {packet, from, to}'"
)]
pub struct QueueRerouteArgs {
    /// Say what would move, change nothing.
    #[arg(long)]
    dry_run: bool,
}

pub fn run(ctx: &Ctx, args: QueueRerouteArgs) -> CliResult {
    let store = ctx.store()?;
    let r = queue::reroute(&store, args.dry_run, &ctx.actor, ctx.now)?;
    ui::finished(ctx, r.finished.clone());
    if ctx.json {
        ui::json(&r);
        return Ok(());
    }
    if r.moved.is_empty() && r.waiting.is_empty() {
        ui::status(ctx, "nothing to reroute");
        return Ok(());
    }
    let verb = if r.dry_run { "would move" } else { "moved" };
    let mut text = String::new();
    for m in &r.moved {
        text.push_str(&format!(
            "{verb} {} from {} to {}: {}\n",
            m.packet,
            m.from,
            m.to.as_deref().unwrap_or("?"),
            m.reason
        ));
    }
    text.push_str(&waiting_lines(&r.waiting));
    if r.lost > 0 {
        text.push_str(&format!("{} taken meanwhile (left alone)\n", r.lost));
    }
    ui::out(&text);
    Ok(())
}

/// `w2 stays with bob (saturated): every agent that could take it ...`;
/// packets that stay for the same reason share a line (a saturated
/// queue can hold thousands).
fn waiting_lines(waiting: &[Route]) -> String {
    let mut groups: Vec<(&Route, Vec<&str>)> = Vec::new();
    for w in waiting {
        match groups
            .iter_mut()
            .find(|(g, _)| (&g.from, g.cause, &g.waiting) == (&w.from, w.cause, &w.waiting))
        {
            Some((_, ids)) => ids.push(&w.packet),
            None => groups.push((w, vec![&w.packet])),
        }
    }
    let mut text = String::new();
    for (w, ids) in groups {
        let who = match ids.as_slice() {
            [one] => one.to_string(),
            [first, second, third, ..] if ids.len() > 3 => {
                format!("{} packets ({first}, {second}, {third}, ...)", ids.len())
            }
            many => many.join(", "),
        };
        let verb = if ids.len() == 1 { "stays" } else { "stay" };
        text.push_str(&format!(
            "{who} {verb} with {} ({}): {}\n",
            w.from,
            w.cause,
            w.waiting.as_deref().unwrap_or("")
        ));
    }
    text
}
