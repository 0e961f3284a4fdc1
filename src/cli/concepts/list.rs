use crate::cli::env::Ctx;
use crate::cli::error::CliResult;
use crate::cli::ui;
use crate::vocab::ops;

/// List the vocabulary's terms with their usage: how many beads'
/// enrichment uses each term (by name or alias).
///
/// Concepts used in enrichment files but missing from the vocabulary are
/// reported as a warning (and under `unknown` with --json).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba concepts list\n  gemba concepts list --all\n  gemba concepts list --json | jq '.terms[] | select(.usage == 0) | .name'"
)]
pub struct ConceptsListArgs {
    /// Include retired terms.
    #[arg(long, short)]
    all: bool,
}

pub fn run(ctx: &Ctx, args: ConceptsListArgs) -> CliResult {
    let store = ctx.store()?;
    let report = ops::list(&store, args.all)?;
    if ctx.json {
        ui::json(&report);
        return Ok(());
    }
    let mut header = vec!["name", "usage", "aliases", "source"];
    if args.all {
        header.push("status");
    }
    let rows = report
        .terms
        .iter()
        .map(|t| {
            let mut row = vec![
                t.name.clone(),
                t.usage.to_string(),
                ui::clip(&t.aliases.join(", "), 40),
                t.source.clone(),
            ];
            if args.all {
                row.push(if t.retired { "retired" } else { "live" }.to_string());
            }
            row
        })
        .collect();
    ui::out(&ui::table(&header, rows));
    if !report.unknown.is_empty() {
        let list: Vec<String> = report
            .unknown
            .iter()
            .map(|u| format!("{} ({})", u.name, u.usage))
            .collect();
        ui::warn(
            ctx,
            &format!(
                "concepts used but not in the vocabulary: {}",
                list.join(", ")
            ),
        );
    }
    Ok(())
}
