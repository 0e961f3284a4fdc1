use crate::cli::env::Ctx;
use crate::cli::error::CliResult;
use crate::cli::ui;
use crate::sessions::{self, agents};

/// List the agents with their envelopes and live session counts.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba agent list\n  gemba agent list --json | jq -r '.[].name'"
)]
pub struct AgentListArgs {}

pub fn run(ctx: &Ctx, _args: AgentListArgs) -> CliResult {
    let store = ctx.store()?;
    let agents = agents::list(&store)?;
    if ctx.json {
        ui::json(&agents);
        return Ok(());
    }
    if agents.is_empty() {
        ui::status(ctx, "no agents (add one with `gemba agent add NAME`)");
        return Ok(());
    }
    let live = sessions::list(&store, true)?;
    let rows = agents
        .iter()
        .map(|a| {
            let dash = |v: &[String]| {
                if v.is_empty() {
                    "-".into()
                } else {
                    v.join(",")
                }
            };
            vec![
                a.name.clone(),
                dash(&a.roles),
                a.max_band.to_string(),
                a.cost_tier.to_string(),
                dash(&a.tools),
                a.model.clone().unwrap_or_else(|| "-".into()),
                a.context_window
                    .map_or_else(|| "-".into(), |w| w.to_string()),
                live.iter()
                    .filter(|s| s.agent == a.name)
                    .count()
                    .to_string(),
            ]
        })
        .collect();
    ui::out(&ui::table(
        &[
            "name",
            "roles",
            "max band",
            "cost tier",
            "tools",
            "model",
            "window",
            "live",
        ],
        rows,
    ));
    Ok(())
}
