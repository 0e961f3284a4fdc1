use crate::cli::claim::parse_lease;
use crate::cli::env::Ctx;
use crate::cli::error::CliResult;
use crate::cli::ui;
use crate::model::duration::Duration;
use crate::queue::status::{self, Activity, AgentStatus};

/// Per agent: its queue, how busy it was, and whether it is STARVING.
///
/// For every agent (agent files and queue directories): ready, blocked,
/// the packets in progress with their age, packets done and attempts
/// failed in the window, utilization (busy time / wall time over the
/// window; busy = a packet in progress, from the `queue.take` and
/// `queue.done`/`fail`/`recover` events of the log) and idle since.
///
/// An agent is STARVING when it has nothing in progress and nothing ready
/// in its own queue while ready work it could do waits: a ready packet in
/// another agent's queue that it fits (`requires` among its roles or
/// tools) and that nothing in progress holds back, or a ready bead nobody
/// has claimed or queued that it fits. The first look that finds an agent
/// starving logs `queue.starving` (and runs `hooks.on_starving`); later
/// looks do not, until it has stopped starving and starts again.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba queue status\n  gemba queue status --agent alice --window 8h\n  gemba queue status --json | jq '.agents[] | select(.activity == \"starving\") | .agent'"
)]
pub struct QueueStatusArgs {
    /// Only this agent (starving transitions are still logged for all).
    #[arg(long, value_name = "AGENT")]
    agent: Option<String>,
    /// The window for utilization, done and failed: 30m, 8h, 1d.
    #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = parse_lease)]
    window: Duration,
}

pub fn run(ctx: &Ctx, args: QueueStatusArgs) -> CliResult {
    let store = ctx.store()?;
    let report = status::status(
        &store,
        args.agent.as_deref(),
        args.window,
        &ctx.actor,
        ctx.now,
    )?;
    ui::log_problems(ctx, &report.problems);
    ui::finished(ctx, report.finished.clone());
    if !report.newly_starving.is_empty() {
        ui::status(
            ctx,
            &format!(
                "logged queue.starving for {}",
                report.newly_starving.join(", ")
            ),
        );
    }
    if ctx.json {
        ui::json(&report);
        return Ok(());
    }
    if report.agents.is_empty() {
        ui::status(ctx, "no agents (`gemba agent add NAME` adds one)");
        return Ok(());
    }
    let now = ctx.now;
    let rows = report.agents.iter().map(|a| row(ctx, a, now)).collect();
    let mut text = ui::table(
        &[
            "agent",
            "state",
            "ready",
            "blocked",
            "in progress",
            "done",
            "failed",
            "util",
            "idle since",
        ],
        rows,
    );
    for a in &report.agents {
        if let Some(w) = &a.starving {
            let since = w
                .since
                .as_deref()
                .map(|s| format!(" (since {s})"))
                .unwrap_or_default();
            text.push_str(&format!(
                "{} is STARVING{since}: it could do {}\n",
                a.agent,
                w.describe()
            ));
        }
    }
    text.push_str(&format!(
        "window {}: {} .. {}\n",
        report.window, report.from, report.now
    ));
    ui::out(&text);
    Ok(())
}

fn row(ctx: &Ctx, a: &AgentStatus, now: jiff::Timestamp) -> Vec<String> {
    let state = match a.activity {
        Activity::Starving => ui::paint(ctx, "STARVING", anstyle::AnsiColor::Red),
        other => other.as_str().to_string(),
    };
    let state = if a.known {
        state
    } else {
        format!("{state} (no agent file)")
    };
    let working = if a.in_progress.is_empty() {
        "-".to_string()
    } else {
        a.in_progress
            .iter()
            .map(|p| match p.age_secs {
                Some(s) => format!("{} ({})", p.packet, age(s)),
                None => p.packet.clone(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let idle = match (&a.idle_since, a.activity) {
        (_, Activity::Busy) => "-".to_string(),
        (Some(since), _) => {
            let ago = since
                .parse::<jiff::Timestamp>()
                .map(|t| format!(" ({} ago)", age(now.duration_since(t).as_secs().max(0))))
                .unwrap_or_default();
            format!("{since}{ago}")
        }
        (None, _) => "all window".to_string(),
    };
    vec![
        a.agent.clone(),
        state,
        a.ready.to_string(),
        a.blocked.to_string(),
        working,
        a.done.to_string(),
        a.failed.to_string(),
        format!("{:.0}%", a.utilization * 100.0),
        idle,
    ]
}

/// `45s`, `12m`, `1h05m`, `2d03h`.
fn age(secs: i64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
        s => format!("{}d{:02}h", s / 86_400, s % 86_400 / 3600),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn ages() {
        for (secs, want) in [
            (0, "0s"),
            (59, "59s"),
            (60, "1m"),
            (3599, "59m"),
            (3900, "1h05m"),
            (86_399, "23h59m"),
            (2 * 86_400 + 3 * 3600, "2d03h"),
        ] {
            assert_eq!(super::age(secs), want);
        }
    }
}
