use crate::cli::env::Ctx;
use crate::cli::error::{CliError, CliResult, Kind};
use crate::cli::ui;
use crate::enrich::ops::{self, BackfillOptions};

/// Run the extractor over many beads and store what it finds.
///
/// Beads that are not closed (all with --all); values are stamped
/// `backfill`, and operator values always survive. A bead whose text names
/// no files borrows the literal file targets of the other parts of its epic
/// or of its most similar beads (stamped `similar`), then the files that the
/// closed beads most like it touched, closed before it was created (their
/// `retro` targets; stamped `history`, tuned by `retro.history`); --json
/// lists the lenders.
/// A failing bead (e.g. a malformed enrichment file) is reported and the
/// loop goes on.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba bead backfill --dry-run\n  gemba bead backfill --all --skip-existing=false\n  gemba bead backfill --filter '^bd-' --limit 100 --json"
)]
pub struct BeadBackfillArgs {
    /// Closed beads too.
    #[arg(long)]
    all: bool,
    /// Leave beads that already have enrichment alone.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    skip_existing: bool,
    /// Only beads whose id or title matches this regular expression (applied before --limit).
    #[arg(long, value_name = "REGEX")]
    filter: Option<String>,
    /// At most N beads.
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    /// Report what would change; write nothing.
    #[arg(long)]
    dry_run: bool,
}

pub fn run(ctx: &Ctx, args: BeadBackfillArgs) -> CliResult {
    let filter = args
        .filter
        .as_deref()
        .map(regex::Regex::new)
        .transpose()
        .map_err(|e| CliError::usage(format!("--filter: {e}")))?;
    let options = BackfillOptions {
        all: args.all,
        skip_existing: args.skip_existing,
        filter,
        limit: args.limit,
        dry_run: args.dry_run,
    };
    let store = ctx.store()?;
    let mut changes = store.changes();
    let bar = ui::progress(ctx, "backfill");
    let progress = |done: usize, total: usize| {
        if let Some(bar) = &bar {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
    };
    let report = ops::backfill(&mut changes, &options, &progress, ctx.now)?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let ev = crate::model::Event::new(
        ctx.now,
        &ctx.actor,
        crate::model::EventKind::EnrichBackfill,
        vec![],
        format!(
            "backfill enrichment: {} enriched, {} skipped, {} failed",
            report.enriched,
            report.skipped,
            report.failed.len()
        ),
    )
    .about_many(&report.written);
    ui::finished(ctx, changes.finish(&[ev])?);
    if ctx.json {
        ui::json(&report);
    } else {
        ui::out(&format!(
            "{}{} beads: {} enriched{}, {} skipped, {} failed\n",
            if report.dry_run { "dry run: " } else { "" },
            report.considered,
            report.enriched,
            match (report.borrowed.len(), report.learned.len()) {
                (0, 0) => String::new(),
                (n, 0) => format!(" ({n} with targets borrowed from related beads)"),
                (n, m) => format!(
                    " ({n} with targets borrowed from related beads, {m} learned from history)"
                ),
            },
            report.skipped,
            report.failed.len()
        ));
        for f in &report.failed {
            ui::warn(ctx, &format!("{}: {}", f.id, f.error));
        }
    }
    if report.failed.is_empty() {
        Ok(())
    } else {
        Err(CliError::exit(Kind::User))
    }
}
