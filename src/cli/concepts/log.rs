use crate::cli::env::Ctx;
use crate::cli::error::CliResult;
use crate::cli::ui;
use crate::vocab::ops;

/// The vocabulary's history from the event log, oldest first: bootstraps,
/// drift runs, approvals and rejections (events `concepts.*`).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba concepts log\n  gemba concepts log --json | jq '.[] | select(.kind == \"concepts.approve\")'"
)]
pub struct ConceptsLogArgs {
    /// Show only the last N events.
    #[arg(long, short = 'n', value_name = "N")]
    limit: Option<usize>,
}

pub fn run(ctx: &Ctx, args: ConceptsLogArgs) -> CliResult {
    let store = ctx.store()?;
    let (mut events, problems) = ops::log(&store)?;
    ui::log_problems(ctx, &problems);
    if let Some(n) = args.limit {
        events = events.split_off(events.len().saturating_sub(n));
    }
    if ctx.json {
        ui::json(&events);
    } else {
        let rows = events
            .iter()
            .map(|e| {
                vec![
                    e.at.clone(),
                    e.kind
                        .as_str()
                        .trim_start_matches(ops::EVENT_PREFIX)
                        .to_string(),
                    e.actor.clone(),
                    ui::clip(&e.message, 90),
                ]
            })
            .collect();
        ui::out(&ui::table(&["at", "kind", "actor", "message"], rows));
    }
    Ok(())
}
