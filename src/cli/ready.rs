//! `gemba ready`

use super::env::Ctx;
use super::error::{CliError, CliResult, Kind};
use super::ui;
use crate::plan::ready::{Options, ready};

/// List beads that can start now (bd's ready rule).
///
/// bd's rule: open; not pinned, ephemeral or infrastructure; no open
/// `blocks`/`conditional-blocks` dependency; no blocked parent
/// (transitively); not deferred (nor any ancestor).
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
    let beads = store.load_beads()?;
    let result = ready(
        &beads,
        ctx.now,
        &Options {
            include_in_progress: args.include_in_progress,
        },
    );
    for w in &result.warnings {
        if !ctx.quiet {
            ui::warn(ctx, w);
        }
    }
    let total = result.beads.len();
    let shown: Vec<_> = result
        .beads
        .into_iter()
        .take(args.limit.unwrap_or(usize::MAX))
        .collect();
    if ctx.json {
        ui::json(&shown);
    } else if total == 0 {
        ui::status(ctx, "no ready work");
    } else {
        let rows = shown
            .iter()
            .map(|b| {
                vec![
                    b.id.clone(),
                    format!("P{}", b.priority),
                    b.issue_type.clone(),
                    ui::clip(&b.title, 70),
                ]
            })
            .collect();
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
