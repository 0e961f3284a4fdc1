use std::path::PathBuf;

use crate::cli::env::Ctx;
use crate::cli::error::CliResult;
use crate::cli::ui;
use crate::sessions;

/// Start a session for an agent and print its id. The workspace (repository,
/// branch, worktree) is detected from the current directory, or from
/// --workspace; --branch overrides the detected branch.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba session start --agent alice\n  S=$(gemba session start --agent alice --workspace ../wt-auth --branch auth)\n  gemba session start --agent alice --json | jq -r .id"
)]
pub struct SessionStartArgs {
    /// The agent (see `gemba agent list`).
    #[arg(long, value_name = "NAME")]
    agent: String,
    /// The worktree the session works in [default: the current directory].
    #[arg(long, value_name = "PATH")]
    workspace: Option<PathBuf>,
    /// The branch it works on [default: the one checked out there].
    #[arg(long, value_name = "BRANCH")]
    branch: Option<String>,
}

pub fn run(ctx: &Ctx, args: SessionStartArgs) -> CliResult {
    let dir = args
        .workspace
        .map_or_else(|| ctx.cwd.clone(), |p| ctx.cwd.join(p));
    if !dir.is_dir() {
        return Err(crate::cli::error::CliError::invalid_input(format!(
            "--workspace {}: not a directory",
            dir.display()
        )));
    }
    let store = ctx.store()?;
    sessions::agents::read(&store, &args.agent)?;
    let workspace = sessions::detect_workspace(&dir, args.branch)?;
    let mut changes = store.changes();
    let (session, event) =
        sessions::start(&mut changes, &args.agent, workspace, &ctx.actor, ctx.now)?;
    ui::finished(ctx, changes.finish(&[event])?);
    if ctx.json {
        ui::json(&session);
    } else {
        ui::out(&format!("{}\n", session.id));
        let ws = &session.workspace;
        ui::status(
            ctx,
            &format!(
                "started session {} for {} in {}{}",
                session.id,
                session.agent,
                ws.path.as_deref().unwrap_or(&ws.repo),
                ws.branch
                    .as_deref()
                    .map(|b| format!(" on {b}"))
                    .unwrap_or_default()
            ),
        );
    }
    Ok(())
}
