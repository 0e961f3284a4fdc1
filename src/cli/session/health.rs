use serde::Serialize;

use crate::cli::env::Ctx;
use crate::cli::error::CliResult;
use crate::cli::ui;
use crate::profile::health::Health;
use crate::sessions::{self, agents};

/// Session health: context pressure (tokens / window), concept drift (last
/// beads vs the session's profile), time on task, each against its warn and
/// recycle thresholds (`health:` in config), and the runway bucket. Advice
/// only: gemba never ends a session. With --json: `{session, agent,
/// health}` for one session, or an array of them.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba session health\n  gemba session health s-alice-3k9x --json | jq .health.runway"
)]
pub struct SessionHealthArgs {
    /// The session [default: every live session].
    session: Option<String>,
}

#[derive(Serialize)]
struct Report {
    session: String,
    agent: String,
    health: Health,
}

pub fn run(ctx: &Ctx, args: SessionHealthArgs) -> CliResult {
    let store = ctx.store()?;
    let list = match &args.session {
        Some(id) => vec![sessions::read(&store, id)?],
        None => sessions::list(&store, true)?,
    };
    let agents = agents::list(&store)?;
    let reports: Vec<Report> = sessions::health_of(&list, &agents, store.config(), ctx.now)
        .into_iter()
        .zip(&list)
        .map(|((session, health), s)| Report {
            session,
            agent: s.agent.clone(),
            health,
        })
        .collect();
    if ctx.json {
        match (&args.session, reports.first()) {
            (Some(_), Some(one)) => ui::json(one),
            _ => ui::json(&reports),
        }
        return Ok(());
    }
    if reports.is_empty() {
        ui::status(ctx, "no live sessions");
        return Ok(());
    }
    if args.session.is_some() {
        let mut text = String::new();
        for r in &reports {
            text.push_str(&format!(
                "{} ({}): {}\n",
                r.session, r.agent, r.health.level
            ));
            for line in r
                .health
                .justification
                .iter()
                .chain(&r.health.runway.justification)
            {
                text.push_str(&format!("  {line}\n"));
            }
        }
        ui::out(&text);
        return Ok(());
    }
    let rows = reports
        .iter()
        .map(|r| {
            let h = &r.health;
            vec![
                r.session.clone(),
                r.agent.clone(),
                super::measure(h.pressure, h.pressure_level),
                super::measure(h.drift, h.drift_level),
                format!("{:.1} h", h.time_on_task_hours),
                h.runway.bucket.to_string(),
                h.level.to_string(),
            ]
        })
        .collect();
    ui::out(&ui::table(
        &[
            "session", "agent", "pressure", "drift", "on task", "runway", "level",
        ],
        rows,
    ));
    Ok(())
}
