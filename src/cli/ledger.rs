//! `gemba ledger`

use super::env::Ctx;
use super::error::CliResult;
use super::ui;
use crate::queue::ledger;

/// What shipped: the artifact ledger, newest last.
///
/// A packet ships when its last stage is done (or, without stages, when it
/// is done): `gemba queue done` logs a `queue.shipped` event saying what
/// shipped (title, packet, bead or demand source item), through which
/// stages and agents, and when. The ledger is those events; there is no
/// other file to keep in step. A malformed line is skipped with a warning
/// naming `file:line` (as for `gemba log`).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba ledger\n  gemba ledger --since 2026-11-01 --json\n  gemba ledger --agent bob\n  gemba log --kind queue.shipped --json   # the same events, raw"
)]
pub struct LedgerArgs {
    /// Only what shipped at or after this time (RFC 3339 or YYYY-MM-DD).
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// Only what this agent worked on (any stage).
    #[arg(long, value_name = "AGENT")]
    agent: Option<String>,
}

pub fn run(ctx: &Ctx, args: LedgerArgs) -> CliResult {
    let since = args
        .since
        .as_deref()
        .map(super::log::parse_since)
        .transpose()?;
    if let Some(a) = &args.agent {
        crate::model::id::validate(a)
            .map_err(|e| super::error::CliError::invalid_input(format!("--agent: {e}")))?;
    }
    let store = ctx.store()?;
    let (events, problems) = crate::store::log::read(&store, since)?;
    ui::log_problems(ctx, &problems);
    let (entries, bad) = ledger::entries(&events, args.agent.as_deref());
    for (id, why) in &bad {
        ui::warn(
            ctx,
            &format!("queue.shipped event {id}: not a shipped record ({why}); skipped"),
        );
    }
    if ctx.json {
        ui::json(&entries);
        return Ok(());
    }
    if entries.is_empty() {
        ui::status(ctx, "nothing shipped");
        return Ok(());
    }
    let rows = entries
        .iter()
        .map(|e| {
            let s = &e.shipped;
            let from = s
                .source
                .clone()
                .or_else(|| s.bead.as_ref().map(|b| format!("bead {b}")))
                .unwrap_or_default();
            vec![
                s.shipped_at.clone(),
                s.packet.clone(),
                ui::clip(&s.title, 40),
                from,
                s.route(),
            ]
        })
        .collect();
    ui::out(&ui::table(
        &["shipped", "packet", "title", "from", "stages and agents"],
        rows,
    ));
    Ok(())
}
