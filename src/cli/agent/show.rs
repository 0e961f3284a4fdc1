use crate::cli::env::Ctx;
use crate::cli::error::CliResult;
use crate::cli::ui;
use crate::profile;
use crate::sessions::{self, agents};

/// Show an agent: its capability envelope, its profile (decayed to now)
/// and its live sessions.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba agent show alice\n  gemba agent show alice --json | jq .profile.concepts"
)]
pub struct AgentShowArgs {
    name: String,
}

pub fn run(ctx: &Ctx, args: AgentShowArgs) -> CliResult {
    let store = ctx.store()?;
    let mut agent = agents::read(&store, &args.name)?;
    agent.profile = profile::agent::decay_to(&agent.profile, ctx.now, &store.config().profile);
    let live: Vec<String> = sessions::list(&store, true)?
        .into_iter()
        .filter(|s| s.agent == agent.name)
        .map(|s| s.id)
        .collect();
    if ctx.json {
        let mut value = serde_json::to_value(&agent).map_err(crate::cli::error::CliError::user)?;
        value["live_sessions"] = serde_json::json!(live);
        ui::json(&value);
    } else {
        let mut text = super::render(&agent);
        text.push_str(&format!(
            "  {:<15} {}\n",
            "live sessions",
            if live.is_empty() {
                "(none)".into()
            } else {
                live.join(", ")
            }
        ));
        text.push_str(&super::render_profile(
            "profile (decayed to now):",
            &agent.profile,
        ));
        ui::out(&text);
    }
    Ok(())
}
