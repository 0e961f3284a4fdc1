use crate::cli::claim::parse_lease;
use crate::cli::env::Ctx;
use crate::cli::error::CliResult;
use crate::cli::ui;
use crate::model::duration::Duration;
use crate::queue;

/// Extend an in-progress packet's lease from now.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba queue renew pk-3k9x2a --session s-alice-3k9x\n  gemba queue renew pk-3k9x2a --lease 4h --json"
)]
pub struct QueueRenewArgs {
    packet: String,
    /// Only if this session holds it.
    #[arg(long, short, value_name = "SESSION")]
    session: Option<String>,
    /// The new lease, from now: 30m, 2h, 1d [default: queue.lease, 2h].
    #[arg(long, value_name = "DURATION", value_parser = parse_lease)]
    lease: Option<Duration>,
}

/// Return in-progress packets whose lease expired to ready/ (logged).
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  gemba queue recover\n  gemba queue recover --json")]
pub struct QueueRecoverArgs {}

/// Move blocked packets whose prerequisites are all done to ready/.
///
/// `queue done` does this itself; rescan catches prerequisites finished
/// elsewhere (merged from another clone, or edited by hand).
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  gemba queue rescan --json")]
pub struct QueueRescanArgs {}

pub fn run_renew(ctx: &Ctx, args: QueueRenewArgs) -> CliResult {
    let store = ctx.store()?;
    let r = queue::renew(
        &store,
        &args.packet,
        args.session.as_deref(),
        args.lease,
        &ctx.actor,
        ctx.now,
    )?;
    ui::finished(ctx, r.finished.clone());
    if ctx.json {
        ui::json(&r);
    } else {
        let until = r.packet.lease.as_ref().map_or("", |l| l.until.as_str());
        ui::out(&format!("renewed {} until {until}\n", r.packet.id));
    }
    Ok(())
}

pub fn run_recover(ctx: &Ctx, _args: QueueRecoverArgs) -> CliResult {
    let store = ctx.store()?;
    let r = queue::recover(&store, &ctx.actor, ctx.now)?;
    ui::finished(ctx, r.finished.clone());
    for w in &r.warnings {
        ui::warn(ctx, w);
    }
    if ctx.json {
        ui::json(&r);
    } else if r.packets.is_empty() {
        ui::status(ctx, "no expired leases");
    } else {
        let mut text = String::new();
        for p in &r.packets {
            text.push_str(&format!(
                "recovered {} ({}): ready again\n",
                p.packet, p.agent
            ));
        }
        ui::out(&text);
    }
    Ok(())
}

pub fn run_rescan(ctx: &Ctx, _args: QueueRescanArgs) -> CliResult {
    let store = ctx.store()?;
    let (moved, finished) = queue::rescan(&store, &ctx.actor, ctx.now)?;
    ui::finished(ctx, finished);
    if ctx.json {
        ui::json(&serde_json::json!({ "unblocked": moved }));
    } else if moved.is_empty() {
        ui::status(ctx, "nothing to unblock");
    } else {
        ui::out(&format!("unblocked {}\n", moved.join(", ")));
    }
    Ok(())
}
