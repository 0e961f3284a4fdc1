use crate::cli::claim::parse_lease;
use crate::cli::env::Ctx;
use crate::cli::error::CliResult;
use crate::cli::ui;
use crate::model::duration::Duration;
use crate::queue;

/// Remove finished packets (done/, failed/) older than --older-than whose
/// bead is closed (or that have none), so the queue directories stop
/// growing. One `queue.archive` event names every packet removed; git
/// history keeps the files. A done packet of a still-open bead stays: it
/// keeps that bead from being handed out again until it is closed. With
/// `claims.remote`, each packet's take ref on the remote is deleted too (a
/// packet whose ref cannot be deleted stays, for the next archive).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba queue archive --dry-run\n  gemba queue archive --older-than 7d --json"
)]
pub struct QueueArchiveArgs {
    /// Only packets finished longer ago than this: 12h, 7d, 30d.
    #[arg(long, value_name = "DURATION", value_parser = parse_lease, default_value = "30d")]
    older_than: Duration,
    /// Say what would go; change nothing.
    #[arg(long)]
    dry_run: bool,
}

pub fn run(ctx: &Ctx, args: QueueArchiveArgs) -> CliResult {
    let store = ctx.store()?;
    let a = queue::archive(&store, args.older_than, args.dry_run, &ctx.actor, ctx.now)?;
    ui::finished(ctx, a.finished.clone());
    for w in &a.warnings {
        ui::warn(ctx, w);
    }
    if ctx.json {
        ui::json(&a);
        return Ok(());
    }
    let verb = if a.dry_run {
        "would archive"
    } else {
        "archived"
    };
    let mut text = format!(
        "{verb} {} packet(s) finished before {}",
        a.packets.len(),
        a.before
    );
    if a.kept > 0 {
        text.push_str(&format!(
            "; kept {} whose bead is still open (close it first)",
            a.kept
        ));
    }
    text.push('\n');
    for p in &a.packets {
        let bead = p
            .bead
            .as_deref()
            .map(|b| format!(" (bead {b})"))
            .unwrap_or_default();
        text.push_str(&format!("  {} {} {}{bead}\n", p.agent, p.state, p.packet));
    }
    ui::out(&text);
    Ok(())
}
