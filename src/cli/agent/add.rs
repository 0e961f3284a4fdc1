use super::EnvelopeArgs;
use crate::cli::env::Ctx;
use crate::cli::error::CliResult;
use crate::cli::ui;
use crate::sessions::agents;

/// Add an agent: `.gemba/agents/<name>.yaml` with its capability envelope
/// (an agent that exists already is an error: use `agent edit`).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba agent add alice --role build --max-band skilled --tool cargo --tool git --context-window 200000\n  gemba agent add scout-1 --role scout --cost-tier economy --model claude-haiku"
)]
pub struct AgentAddArgs {
    /// Letters, digits, `-`, `_`, `.`; starts with a letter or digit.
    name: String,
    #[command(flatten)]
    envelope: EnvelopeArgs,
}

pub fn run(ctx: &Ctx, args: AgentAddArgs) -> CliResult {
    let store = ctx.store()?;
    let mut changes = store.changes();
    let (agent, event) = agents::add(
        &mut changes,
        &args.name,
        args.envelope.into(),
        &ctx.actor,
        ctx.now,
    )?;
    ui::finished(ctx, changes.finish(&[event])?);
    if ctx.json {
        ui::json(&agent);
    } else {
        ui::out(&format!("{}\n", agent.name));
        ui::status(
            ctx,
            &format!(
                "added agent {} (max band {}, cost tier {})",
                agent.name, agent.max_band, agent.cost_tier
            ),
        );
    }
    Ok(())
}
