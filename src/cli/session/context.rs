use crate::cli::agent::render_profile;
use crate::cli::env::Ctx;
use crate::cli::error::CliResult;
use crate::cli::ui;
use crate::sessions::context::{self, Context};
use crate::sessions::describe_scope;

/// The operational context of a session, for the agent running it: its
/// agent and envelope, workspace, telemetry, both profiles, health and
/// runway, focus, and the scope status (git clean or dirty, ahead/behind
/// upstream, source-index freshness).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba session context s-alice-3k9x\n  gemba session context s-alice-3k9x --json | jq .scope"
)]
pub struct SessionContextArgs {
    session: String,
}

pub fn run(ctx: &Ctx, args: SessionContextArgs) -> CliResult {
    let store = ctx.store()?;
    let report = context::context(&store, &args.session, ctx.now)?;
    if ctx.json {
        ui::json(&report);
    } else {
        ui::out(&render(&report));
    }
    Ok(())
}

fn render(c: &Context) -> String {
    let mut s = String::new();
    let line = |s: &mut String, name: &str, value: String| {
        s.push_str(&format!("  {name:<15} {value}\n"));
    };
    let status = match c.session.status {
        crate::model::session::SessionStatus::Live => "live",
        crate::model::session::SessionStatus::Ended => "ended",
    };
    s.push_str(&format!("session {} ({status})\n", c.session.id));
    line(&mut s, "started", c.session.started_at.clone());
    if let Some(p) = &c.session.parent {
        line(&mut s, "handed off from", p.clone());
    }
    let t = &c.session.telemetry;
    line(
        &mut s,
        "bead in hand",
        t.bead.clone().map_or_else(
            || "-".into(),
            |b| format!("{b} since {}", t.bead_since.as_deref().unwrap_or("?")),
        ),
    );
    s.push_str(&format!("agent {}\n", c.agent.name));
    line(&mut s, "max band", c.agent.max_band.to_string());
    line(&mut s, "cost tier", c.agent.cost_tier.to_string());
    if !c.agent.tools.is_empty() {
        line(&mut s, "tools", c.agent.tools.join(", "));
    }
    if let Some(m) = &c.agent.model {
        line(&mut s, "model", m.clone());
    }
    s.push_str("workspace\n");
    line(&mut s, "repo", c.workspace.repo.clone());
    line(
        &mut s,
        "branch",
        c.workspace.branch.clone().unwrap_or_else(|| "-".into()),
    );
    line(
        &mut s,
        "worktree",
        c.workspace.path.clone().unwrap_or_else(|| "-".into()),
    );
    s.push_str(&format!("health: {}\n", c.health.level));
    for j in &c.health.justification {
        s.push_str(&format!("  {j}\n"));
    }
    s.push_str(&format!("runway: {}\n", c.runway.bucket));
    for j in &c.runway.justification {
        s.push_str(&format!("  {j}\n"));
    }
    match &c.intent {
        Some(i) => {
            s.push_str(&format!(
                "focus: {} (others x{})\n",
                describe_scope(&i.scope),
                i.demotion
            ));
            if !i.rationale.is_empty() {
                line(&mut s, "rationale", i.rationale.clone());
            }
        }
        None => s.push_str("focus: none\n"),
    }
    s.push_str("scope\n");
    let git = match (&c.scope.git, &c.scope.git_error) {
        (Some(g), _) => {
            let state = if g.is_clean() {
                "clean".to_string()
            } else {
                let plural = if g.changed == 1 { "" } else { "s" };
                format!("dirty ({} changed file{plural})", g.changed)
            };
            let upstream = match &g.upstream {
                Some(u) => format!(", {} ahead / {} behind {u}", g.ahead, g.behind),
                None => ", no upstream".into(),
            };
            format!("{state}{upstream}")
        }
        (None, Some(e)) => format!("unknown: {e}"),
        (None, None) => "unknown".into(),
    };
    line(&mut s, "git", git);
    line(&mut s, "source index", c.scope.source_index.line());
    s.push_str(&render_profile("session profile", &c.session_profile));
    s.push_str(&render_profile(
        "agent profile (decayed to now)",
        &c.agent_profile,
    ));
    s
}
