//! `gemba log`

use jiff::Timestamp;

use super::env::Ctx;
use super::error::{CliError, CliResult};
use super::ui;
use crate::model::Event;

/// Read the event log (`.gemba/log/*.jsonl`), oldest first.
///
/// Each event has a unique id, so a line that a `merge=union` merge
/// duplicated is shown once. A malformed line is skipped with a warning
/// naming `file:line` (the rest is still shown; `gemba check` reports it as
/// an error). With --since, earlier day files are not read.
///
/// Kinds: init, import, bead.create, bead.update, bead.close, enrich.edit,
/// enrich.extract, enrich.backfill, concepts.bootstrap, concepts.drift,
/// concepts.approve, concepts.reject, commit, decision, claim,
/// claim.release, claim.renew, claim.takeover, agent.add, agent.edit,
/// session.start, session.end, session.handoff, session.focus,
/// session.heartbeat, queue.enqueue, queue.take, queue.done, queue.fail,
/// queue.renew, queue.recover, queue.unblock, queue.shipped,
/// queue.reroute, queue.starving, queue.archive, supply, supply.source, dispatch.switch,
/// dispatch.tick, hook.failed, scan.trigger, scan.run, scan.pause,
/// retro, retro.learn, githook, calibrate, tune, suggestion.reject (see
/// schema/event.schema.json).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba log\n  gemba log --kind import\n  gemba log --kind decision --json\n  gemba log --bead gm-a1b2 --since 2026-11-01 --json"
)]
pub struct LogArgs {
    /// Only events of this kind; `bead` also matches `bead.create`, `bead.update`, ...
    #[arg(long, short)]
    kind: Option<String>,
    /// Only events about this bead (also batch events that list it).
    #[arg(long, short, value_name = "ID")]
    bead: Option<String>,
    /// Only events at or after this time (RFC 3339 or YYYY-MM-DD).
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// Show only the last N events.
    #[arg(long, short = 'n', value_name = "N")]
    limit: Option<usize>,
}

pub(crate) fn parse_since(text: &str) -> CliResult<Timestamp> {
    if let Ok(t) = text.parse::<Timestamp>() {
        return Ok(t);
    }
    text.parse::<jiff::civil::Date>()
        .ok()
        .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
        .map(|z| z.timestamp())
        .ok_or_else(|| {
            CliError::usage(format!(
                "--since {text:?}: expected RFC 3339 (2026-11-23T10:00:00Z) or a date (2026-11-23)"
            ))
        })
}

pub fn run(ctx: &Ctx, args: LogArgs) -> CliResult {
    let since = args.since.as_deref().map(parse_since).transpose()?;
    let store = ctx.store()?;
    let (events, problems) = crate::store::log::read(&store, since)?;
    ui::log_problems(ctx, &problems);
    let mut shown: Vec<&Event> = events
        .iter()
        .filter(|e| args.kind.as_deref().is_none_or(|k| e.kind.matches(k)))
        .filter(|e| args.bead.as_deref().is_none_or(|b| e.concerns(b)))
        .collect();
    if let Some(n) = args.limit {
        shown = shown.split_off(shown.len().saturating_sub(n));
    }
    if ctx.json {
        ui::json(&shown);
    } else {
        let rows = shown
            .iter()
            .map(|e| {
                vec![
                    e.at.clone(),
                    e.kind.to_string(),
                    e.actor.clone(),
                    ui::clip(&e.message, 80),
                ]
            })
            .collect();
        ui::out(&ui::table(&["at", "kind", "actor", "message"], rows));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn help_lists_every_known_kind() {
        use clap::CommandFactory;
        let mut cli = crate::cli::Cli::command();
        let log = cli.find_subcommand_mut("log").unwrap();
        let help = log.render_long_help().to_string().replace('\n', " ");
        for kind in crate::model::EventKind::KNOWN {
            assert!(
                help.contains(&format!(" {kind},")) || help.contains(&format!(" {kind} ")),
                "{kind} missing from `gemba log --help`"
            );
        }
    }
}
