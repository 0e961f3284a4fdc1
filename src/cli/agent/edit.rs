use super::EnvelopeArgs;
use crate::cli::env::Ctx;
use crate::cli::error::CliResult;
use crate::cli::ui;
use crate::sessions::agents;

/// Change an agent's capability envelope: only the flags given change
/// (`--role` and `--tool` replace the whole list).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba agent edit alice --max-band expert\n  gemba agent edit alice --tool cargo --tool git --tool browser"
)]
pub struct AgentEditArgs {
    name: String,
    #[command(flatten)]
    envelope: EnvelopeArgs,
}

pub fn run(ctx: &Ctx, args: AgentEditArgs) -> CliResult {
    let store = ctx.store()?;
    let mut changes = store.changes();
    let (agent, event) = agents::edit(
        &mut changes,
        &args.name,
        args.envelope.into(),
        &ctx.actor,
        ctx.now,
    )?;
    let changed = event.is_some();
    ui::finished(ctx, changes.finish(event.as_slice())?);
    if ctx.json {
        ui::json(&agent);
    } else {
        ui::out(&super::render(&agent));
        if !changed {
            ui::status(ctx, "nothing changed");
        }
    }
    Ok(())
}
