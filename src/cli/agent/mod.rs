//! `gemba agent …`: add, show, list and edit agents
//! (`.gemba/agents/<name>.yaml`).

mod add;
mod edit;
mod list;
mod show;

use super::bead::one_of;
use crate::model::{Agent, Band, CostTier, Profile};
use crate::sessions::agents::Envelope;

/// Register agents and their capability envelopes.
#[derive(Debug, clap::Subcommand)]
pub enum AgentCommand {
    Add(add::AgentAddArgs),
    Show(show::AgentShowArgs),
    List(list::AgentListArgs),
    Edit(edit::AgentEditArgs),
}

pub fn run(ctx: &super::env::Ctx, cmd: AgentCommand) -> super::error::CliResult {
    match cmd {
        AgentCommand::Add(args) => add::run(ctx, args),
        AgentCommand::Show(args) => show::run(ctx, args),
        AgentCommand::List(args) => list::run(ctx, args),
        AgentCommand::Edit(args) => edit::run(ctx, args),
    }
}

/// The envelope flags shared by `add` and `edit`.
#[derive(Debug, clap::Args)]
struct EnvelopeArgs {
    /// A role it takes work for (scout, build, verify, ship, ...);
    /// repeatable; replaces the roles when given.
    #[arg(long = "role", value_name = "ROLE")]
    roles: Vec<String>,
    /// The hardest complexity band it is trusted with [add: routine].
    #[arg(long, value_name = "BAND", value_parser = one_of(&Band::ALL, Band::as_str))]
    max_band: Option<Band>,
    /// What it costs to run [add: standard].
    #[arg(long, value_name = "TIER", value_parser = one_of(&CostTier::ALL, CostTier::as_str))]
    cost_tier: Option<CostTier>,
    /// A tool it can use (cargo, git, browser, ...); repeatable; replaces
    /// the tools when given.
    #[arg(long = "tool", value_name = "TOOL")]
    tools: Vec<String>,
    /// The model it runs.
    #[arg(long)]
    model: Option<String>,
    /// Its sessions' context window in tokens (a heartbeat's
    /// --context-window overrides it).
    #[arg(long, value_name = "TOKENS")]
    context_window: Option<u64>,
}

impl From<EnvelopeArgs> for Envelope {
    fn from(a: EnvelopeArgs) -> Envelope {
        Envelope {
            roles: (!a.roles.is_empty()).then_some(a.roles),
            max_band: a.max_band,
            cost_tier: a.cost_tier,
            tools: (!a.tools.is_empty()).then_some(a.tools),
            model: a.model,
            context_window: a.context_window,
        }
    }
}

/// An agent's envelope, one field per line.
fn render(agent: &Agent) -> String {
    let mut s = format!("{}\n", agent.name);
    let mut field = |name: &str, value: String| s.push_str(&format!("  {name:<15} {value}\n"));
    let list = |v: &[String]| {
        if v.is_empty() {
            "(none)".to_string()
        } else {
            v.join(", ")
        }
    };
    field("roles", list(&agent.roles));
    field("max band", agent.max_band.to_string());
    field("cost tier", agent.cost_tier.to_string());
    field("tools", list(&agent.tools));
    field("model", agent.model.clone().unwrap_or_else(|| "-".into()));
    field(
        "context window",
        agent
            .context_window
            .map_or_else(|| "-".into(), |w| format!("{w} tokens")),
    );
    field("created", agent.created_at.clone());
    s
}

/// The heaviest `n` weights of a profile map, as `key 0.42, ...`.
pub(super) fn top_weights(weights: &std::collections::BTreeMap<String, f64>, n: usize) -> String {
    let mut items: Vec<(&String, &f64)> = weights.iter().collect();
    items.sort_by(|a, b| b.1.total_cmp(a.1).then(a.0.cmp(b.0)));
    let shown: Vec<String> = items
        .iter()
        .take(n)
        .map(|(k, w)| format!("{k} {w:.2}"))
        .collect();
    match (shown.is_empty(), items.len() > n) {
        (true, _) => "(none)".into(),
        (false, true) => format!("{}, … ({} in all)", shown.join(", "), items.len()),
        (false, false) => shown.join(", "),
    }
}

/// A profile in a few lines: beads, top concepts, top files, recent beads.
pub(super) fn render_profile(title: &str, p: &Profile) -> String {
    let mut s = format!("{title}\n");
    s.push_str(&format!("  {:<15} {}\n", "beads", p.events));
    s.push_str(&format!(
        "  {:<15} {}\n",
        "concepts",
        top_weights(&p.concepts, 8)
    ));
    s.push_str(&format!("  {:<15} {}\n", "files", top_weights(&p.files, 8)));
    if !p.recent.is_empty() {
        let recent: Vec<String> = p
            .recent
            .iter()
            .map(|r| {
                let closed = if r.closed { ", closed" } else { "" };
                let source = match r.source {
                    crate::model::profile::ProfileSource::Declared => "declared",
                    crate::model::profile::ProfileSource::Actual => "actual",
                };
                format!("{} ({source}{closed})", r.bead)
            })
            .collect();
        s.push_str(&format!("  {:<15} {}\n", "recent", recent.join(", ")));
    }
    s
}
