use crate::cli::env::Ctx;
use crate::cli::error::CliResult;
use crate::cli::ui;
use crate::model::Session;
use crate::sessions::{self, describe_scope};

/// Show one session (any status), or every live session: agent, branch,
/// tokens, bead in hand, focus, last heartbeat. With --json: the session's
/// file as an object, or an array of them.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba session status\n  gemba session status s-alice-3k9x --json"
)]
pub struct SessionStatusArgs {
    /// The session [default: every live session].
    session: Option<String>,
}

pub fn run(ctx: &Ctx, args: SessionStatusArgs) -> CliResult {
    let store = ctx.store()?;
    let list = match &args.session {
        Some(id) => vec![sessions::read(&store, id)?],
        None => sessions::list(&store, true)?,
    };
    if ctx.json {
        match (&args.session, list.first()) {
            (Some(_), Some(one)) => ui::json(one),
            _ => ui::json(&list),
        }
        return Ok(());
    }
    if list.is_empty() {
        ui::status(
            ctx,
            "no live sessions (start one with `gemba session start --agent NAME`)",
        );
        return Ok(());
    }
    let rows = list.iter().map(row).collect();
    ui::out(&ui::table(
        &[
            "session",
            "agent",
            "status",
            "branch",
            "tokens",
            "bead",
            "focus",
            "heartbeat",
        ],
        rows,
    ));
    Ok(())
}

fn row(s: &Session) -> Vec<String> {
    let dash = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    let status = match s.status {
        crate::model::session::SessionStatus::Live => "live",
        crate::model::session::SessionStatus::Ended => "ended",
    };
    let tokens = match s.telemetry.context_window {
        Some(w) => format!("{}/{w}", s.telemetry.tokens),
        None => s.telemetry.tokens.to_string(),
    };
    vec![
        s.id.clone(),
        s.agent.clone(),
        status.into(),
        dash(s.workspace.branch.clone()),
        tokens,
        dash(s.telemetry.bead.clone()),
        dash(s.intent.as_ref().map(|i| describe_scope(&i.scope))),
        dash(s.telemetry.heartbeat_at.clone()),
    ]
}
