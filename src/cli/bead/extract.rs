use std::path::PathBuf;

use crate::cli::env::Ctx;
use crate::cli::error::{CliError, CliResult};
use crate::cli::ui;
use crate::enrich::ops::{self, Texts};

/// Run the heuristic extractor on a bead's text (or on text given here)
/// and store targets, concepts and size, stamped `heuristic`.
///
/// Without --merge, heuristic values replace earlier machine values only;
/// operator values always survive. With --merge, lists are unioned with
/// what is there and operator stamps are kept.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba bead extract gm-a1b2 --dry-run\n  gemba bead extract gm-a1b2 --merge\n  gemba bead extract gm-a1b2 --spec-file design.md"
)]
pub struct BeadExtractArgs {
    id: String,
    /// Use this title instead of the bead's.
    #[arg(long)]
    title: Option<String>,
    /// Use this description instead of the bead's.
    #[arg(long, conflicts_with = "body_file")]
    body: Option<String>,
    /// Use this spec (design, acceptance criteria, notes) instead of the bead's.
    #[arg(long, conflicts_with = "spec_file")]
    spec: Option<String>,
    /// Read the description from a file.
    #[arg(long, value_name = "FILE")]
    body_file: Option<PathBuf>,
    /// Read the spec from a file.
    #[arg(long, value_name = "FILE")]
    spec_file: Option<PathBuf>,
    /// Show what would be stored; write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Union with the existing enrichment instead of replacing machine values.
    #[arg(long)]
    merge: bool,
}

fn read(ctx: &Ctx, text: Option<String>, file: Option<PathBuf>) -> CliResult<Option<String>> {
    match file {
        Some(f) => std::fs::read_to_string(ctx.cwd.join(&f))
            .map(Some)
            .map_err(|e| CliError::io(format!("{}: {e}", f.display()))),
        None => Ok(text),
    }
}

pub fn run(ctx: &Ctx, args: BeadExtractArgs) -> CliResult {
    let texts = Texts {
        title: args.title,
        body: read(ctx, args.body, args.body_file)?,
        spec: read(ctx, args.spec, args.spec_file)?,
    };
    let store = ctx.store()?;
    let mut changes = store.changes();
    let (result, ev) = ops::extract_one(
        &mut changes,
        &args.id,
        &texts,
        args.merge,
        args.dry_run,
        &ctx.actor,
        ctx.now,
    )?;
    ui::finished(ctx, changes.finish(ev.as_slice())?);
    if ctx.json {
        ui::json(&result);
        return Ok(());
    }
    let f = &result.found;
    let mut text = format!(
        "found for {}: targets [{}], concepts [{}], size {}\n",
        result.id,
        f.targets.join(", "),
        f.concepts.join(", "),
        super::name_of(&f.estimated_size)
    );
    text.push_str(&super::render_enrichment(&result.after));
    ui::out(&text);
    let verb = match (result.changed, result.dry_run) {
        (false, _) => "nothing changed",
        (true, true) => "dry run: nothing written",
        (true, false) => "stored",
    };
    ui::status(ctx, verb);
    Ok(())
}
