//! `gemba queue …`: per-agent work queues (`.gemba/queues/<agent>/`, see
//! `crate::queue`): enqueue, take, done, fail, list, renew, recover,
//! rescan, reroute, sync, status, archive.

mod archive;
mod enqueue;
mod finish;
mod lease;
mod list;
mod reroute;
mod status;
mod sync;
mod take;

use crate::model::Packet;

/// Per-agent queues of work packets: enqueue, take (exactly once), finish.
///
/// A packet's state is the directory it is in under
/// .gemba/queues/<agent>/: ready, blocked (waiting for its --after
/// packets), in_progress, done, failed. Every change is one rename, and
/// every change is logged (`gemba log --kind queue`). With
/// `claims.remote` set, clones sharing the queue take each packet once
/// (see `gemba queue take --help`).
#[derive(Debug, clap::Subcommand)]
pub enum QueueCommand {
    Enqueue(enqueue::QueueEnqueueArgs),
    Take(take::QueueTakeArgs),
    Done(finish::QueueDoneArgs),
    Fail(finish::QueueFailArgs),
    List(list::QueueListArgs),
    Renew(lease::QueueRenewArgs),
    Recover(lease::QueueRecoverArgs),
    Rescan(lease::QueueRescanArgs),
    Reroute(reroute::QueueRerouteArgs),
    Sync(sync::QueueSyncArgs),
    Status(status::QueueStatusArgs),
    Archive(archive::QueueArchiveArgs),
}

pub fn run(ctx: &super::env::Ctx, cmd: QueueCommand) -> super::error::CliResult {
    match cmd {
        QueueCommand::Enqueue(args) => enqueue::run(ctx, args),
        QueueCommand::Take(args) => take::run(ctx, args),
        QueueCommand::Done(args) => finish::run_done(ctx, args),
        QueueCommand::Fail(args) => finish::run_fail(ctx, args),
        QueueCommand::List(args) => list::run(ctx, args),
        QueueCommand::Renew(args) => lease::run_renew(ctx, args),
        QueueCommand::Recover(args) => lease::run_recover(ctx, args),
        QueueCommand::Rescan(args) => lease::run_rescan(ctx, args),
        QueueCommand::Reroute(args) => reroute::run(ctx, args),
        QueueCommand::Sync(args) => sync::run(ctx, args),
        QueueCommand::Status(args) => status::run(ctx, args),
        QueueCommand::Archive(args) => archive::run(ctx, args),
    }
}

/// `pk-3k9x2a  P1  Add token refresh  (bead gm-a1b2)`.
fn line(p: &Packet) -> String {
    let bead = p
        .bead
        .as_deref()
        .map(|b| format!("  (bead {b})"))
        .unwrap_or_default();
    format!("{}  P{}  {}{bead}", p.id, p.priority, p.spec.title)
}
