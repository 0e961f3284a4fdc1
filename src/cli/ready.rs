//! `gemba ready`

use super::env::Ctx;
use super::error::{CliError, CliResult, Kind};
use super::ui;
use crate::plan::external;
use crate::plan::ready::{ExternalBlocker, MissingEdge};
use crate::store::snapshot::{Parts, Snapshot};

/// List beads that can start now (bd's ready rule).
///
/// bd's rule: open; not pinned, ephemeral or infrastructure; no open
/// `blocks`/`conditional-blocks` dependency; no blocked parent
/// (transitively); not deferred (nor any ancestor); no unresolved
/// `external:<project>:<capability>` dependency (see `external_projects`
/// in config.yaml).
///
/// Edges to beads missing from the store are ignored, counted in one
/// warning; unresolved external dependencies are summed up in another.
/// `gemba check` lists both, edge by edge.
///
/// Sorted by priority, then newest first, then id. Exits 3 when nothing is
/// ready.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  gemba ready\n  gemba ready --limit 3 --json | jq -r '.[].id'")]
pub struct ReadyArgs {
    /// Show at most N beads.
    #[arg(long, short = 'n', value_name = "N")]
    limit: Option<usize>,
    /// bd's older rule: count in_progress beads as ready too.
    #[arg(long)]
    include_in_progress: bool,
}

pub fn run(ctx: &Ctx, args: ReadyArgs) -> CliResult {
    let store = ctx.store()?;
    let snapshot = Snapshot::load(&store, Parts::BEADS)?;
    let (result, _) =
        crate::beads::ready::ready(&store, &snapshot, ctx.now, args.include_in_progress)?;
    if !ctx.quiet {
        for w in &result.warnings {
            ui::warn(ctx, w);
        }
        if let Some(line) = missing_summary(&result.missing) {
            ui::warn(ctx, &line);
        }
        if let Some(line) = external_summary(&result.external) {
            ui::warn(ctx, &line);
        }
    }
    let total = result.ids.len();
    let shown: Vec<&str> = result
        .ids
        .iter()
        .take(args.limit.unwrap_or(usize::MAX))
        .map(String::as_str)
        .collect();
    if ctx.json {
        ui::bead_files(&store, &shown)?;
    } else if total == 0 {
        ui::status(ctx, "no ready work");
    } else {
        let mut rows = Vec::with_capacity(shown.len());
        for id in &shown {
            let Some(b) = snapshot.bead(id)? else {
                continue;
            };
            rows.push(vec![
                b.id.to_string(),
                format!("P{}", b.priority),
                b.issue_type.to_string(),
                ui::clip(b.title, 70),
            ]);
        }
        ui::out(&ui::table(&["id", "pri", "type", "title"], rows));
        if shown.len() < total {
            ui::status(
                ctx,
                &format!("({} of {total} ready beads shown)", shown.len()),
            );
        }
    }
    if total == 0 {
        Err(CliError::exit(Kind::NothingToDo))
    } else {
        Ok(())
    }
}

/// One line for every edge to a bead that is not in the store.
fn missing_summary(missing: &[MissingEdge]) -> Option<String> {
    match missing.len() {
        0 => None,
        1 => Some(format!(
            "1 edge points to a bead not in the store ({}); gemba check lists it",
            missing[0]
        )),
        n => Some(format!(
            "{n} edges point to beads not in the store; gemba check lists them"
        )),
    }
}

/// Most distinct references named in the summary line.
const SHOWN_REFS: usize = 3;

/// One line for the beads that unresolved `external:` edges hold back,
/// naming the first few references and why each is unresolved.
fn external_summary(blockers: &[ExternalBlocker]) -> Option<String> {
    if blockers.is_empty() {
        return None;
    }
    let beads: std::collections::BTreeSet<&str> =
        blockers.iter().map(|b| b.bead.as_str()).collect();
    let refs: std::collections::BTreeSet<String> = blockers
        .iter()
        .map(|b| {
            let target = b.target.strip_prefix(external::PREFIX).unwrap_or(&b.target);
            format!("{target} ({})", b.reason)
        })
        .collect();
    let mut named: Vec<&str> = refs.iter().take(SHOWN_REFS).map(String::as_str).collect();
    let more = refs.len().saturating_sub(SHOWN_REFS);
    let more_text = format!("{more} more");
    if more > 0 {
        named.push(&more_text);
    }
    let (n, noun) = match beads.len() {
        1 => (1, "bead is"),
        n => (n, "beads are"),
    };
    Some(format!(
        "{n} {noun} blocked by external dependencies: {}; gemba check lists them",
        named.join(", ")
    ))
}
