use crate::cli::env::Ctx;
use crate::cli::error::CliResult;
use crate::cli::ui;
use crate::vocab::ops::{self, BootstrapOptions};

/// Propose vocabulary terms from the repository's own structure and add
/// them to .gemba/vocabulary.yaml.
///
/// Sources, first one wins on a name: Cargo workspace members, top-level
/// Rust modules (src/<m>.rs, src/<m>/mod.rs), package.json workspaces, Go
/// packages, Python packages, directories right under src/ lib/ internal/
/// cmd/ pkg/ app/, and labels on beads. Terms already in the vocabulary
/// (as a name or alias, retired ones too) are not added again; new terms
/// get `source: bootstrap:<source>`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba concepts bootstrap --dry-run\n  gemba concepts bootstrap --max 20\n  gemba concepts bootstrap --json | jq '.added[].name'"
)]
pub struct ConceptsBootstrapArgs {
    /// Add at most N new terms [default: vocab.bootstrap_max, 60].
    #[arg(long, value_name = "N")]
    max: Option<usize>,
    /// Show what would be added; write nothing.
    #[arg(long)]
    dry_run: bool,
}

pub fn run(ctx: &Ctx, args: ConceptsBootstrapArgs) -> CliResult {
    let store = ctx.store()?;
    let mut changes = store.changes();
    let options = BootstrapOptions {
        max: args.max,
        dry_run: args.dry_run,
    };
    let (report, ev) = ops::bootstrap(&mut changes, &options, &ctx.actor, ctx.now)?;
    ui::finished(ctx, changes.finish(ev.as_slice())?);
    if ctx.json {
        ui::json(&report);
        return Ok(());
    }
    let rows = report
        .added
        .iter()
        .map(|t| vec![t.name.clone(), t.source.clone()])
        .collect();
    if !report.added.is_empty() {
        ui::out(&ui::table(&["name", "source"], rows));
    }
    let verb = if report.dry_run { "would add" } else { "added" };
    let mut line = format!(
        "{verb} {} new terms ({} already in the vocabulary",
        report.added.len(),
        report.existing
    );
    if report.over_cap > 0 {
        line.push_str(&format!(
            ", {} more left out by --max {}",
            report.over_cap, report.max
        ));
    }
    line.push(')');
    ui::status(ctx, &line);
    Ok(())
}
