//! `gemba log`

use jiff::Timestamp;

use super::env::Ctx;
use super::error::{CliError, CliResult};
use super::ui;
use crate::model::Event;

/// Read the event log (`.gemba/log/*.jsonl`), oldest first.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba log\n  gemba log --kind import\n  gemba log --bead gm-a1b2 --since 2026-11-01 --json"
)]
pub struct LogArgs {
    /// Only events of this kind; `bead` also matches `bead.create`, `bead.update`, ...
    #[arg(long, short)]
    kind: Option<String>,
    /// Only events about this bead.
    #[arg(long, short, value_name = "ID")]
    bead: Option<String>,
    /// Only events at or after this time (RFC 3339 or YYYY-MM-DD).
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// Show only the last N events.
    #[arg(long, short = 'n', value_name = "N")]
    limit: Option<usize>,
}

fn parse_since(text: &str) -> CliResult<Timestamp> {
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

fn matches_kind(event: &Event, kind: &str) -> bool {
    event.kind == kind
        || event
            .kind
            .strip_prefix(kind)
            .is_some_and(|rest| rest.starts_with('.'))
}

pub fn run(ctx: &Ctx, args: LogArgs) -> CliResult {
    let since = args.since.as_deref().map(parse_since).transpose()?;
    let store = ctx.store()?;
    let events = crate::store::log::read_all(&store)?;
    let mut shown: Vec<&Event> = events
        .iter()
        .filter(|e| args.kind.as_deref().is_none_or(|k| matches_kind(e, k)))
        .filter(|e| args.bead.is_none() || e.bead == args.bead)
        .filter(|e| since.is_none_or(|s| e.at.parse::<Timestamp>().is_ok_and(|t| t >= s)))
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
                    e.kind.clone(),
                    e.actor.clone(),
                    ui::clip(&e.message, 80),
                ]
            })
            .collect();
        ui::out(&ui::table(&["at", "kind", "actor", "message"], rows));
    }
    Ok(())
}
