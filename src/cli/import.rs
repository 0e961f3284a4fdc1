//! `gemba import beads FILE|-`

use std::path::PathBuf;

use super::env::Ctx;
use super::error::{CliError, CliResult, Kind};
use super::{read_input, ui};
use crate::import::beads::{self, Options};

/// Import work items from another tracker.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    #[command(subcommand)]
    source: Source,
}

#[derive(Debug, clap::Subcommand)]
enum Source {
    Beads(BeadsArgs),
}

/// Import bd (beads) issues: a JSONL export, a `bd list --json` array, a
/// `{"schema_version":..,"data":[..]}` envelope or an `{"issues":[..]}` object.
///
/// Tombstones and infrastructure types (event, message, agent, role, rig,
/// molecule, merge-request, gate, convoy) are skipped and counted. Re-import
/// is idempotent: unchanged beads are not rewritten; enrichment files are
/// never touched. A malformed line is reported with its line number and the
/// rest import, unless --strict.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  bd export | gemba import beads -\n  gemba import beads .beads/issues.jsonl --dry-run\n  gemba import beads issues.json --strict --json"
)]
struct BeadsArgs {
    /// The file to read, or `-` for standard input.
    file: PathBuf,
    /// Write nothing if any line is invalid.
    #[arg(long)]
    strict: bool,
    /// Report what would change; write nothing.
    #[arg(long)]
    dry_run: bool,
}

pub fn run(ctx: &Ctx, args: ImportArgs) -> CliResult {
    let Source::Beads(args) = args.source;
    let store = ctx.store()?;
    let (path, text) = read_input(ctx, &args.file)?;
    let options = Options {
        strict: args.strict,
        dry_run: args.dry_run,
    };
    let mut changes = store.changes();
    let report = beads::run(&mut changes, &path, &text, &options)?;
    let ev = crate::model::Event::new(
        ctx.now,
        &ctx.actor,
        crate::model::EventKind::Import,
        vec![],
        format!(
            "import beads from {}: {} created, {} updated",
            path.display(),
            report.created,
            report.updated
        ),
    )
    .with("source", path.display().to_string())
    .with("created", report.created)
    .with("updated", report.updated)
    .with("unchanged", report.unchanged)
    .with("skipped", &report.skipped)
    .about_many(&report.written);
    ui::finished(ctx, changes.finish(&[ev])?);

    if ctx.json {
        ui::json(&report);
    } else {
        let mut text = format!(
            "{}{} created, {} updated, {} unchanged",
            if report.dry_run { "dry run: " } else { "" },
            report.created,
            report.updated,
            report.unchanged
        );
        if !report.skipped.is_empty() {
            let parts: Vec<String> = report
                .skipped
                .iter()
                .map(|(k, v)| format!("{v} {k}"))
                .collect();
            text.push_str(&format!("; skipped {}", parts.join(", ")));
        }
        text.push('\n');
        ui::out(&text);
        for e in &report.errors {
            ui::warn(
                ctx,
                &format!("{}:{}: {}", path.display(), e.line, e.message),
            );
        }
    }
    if report.errors.is_empty() {
        Ok(())
    } else {
        if !ctx.json {
            eprintln!(
                "gemba: {} invalid item(s) were not imported",
                report.errors.len()
            );
        }
        Err(CliError::exit(Kind::User))
    }
}
