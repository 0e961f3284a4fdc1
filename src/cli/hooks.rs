//! `gemba hooks install|uninstall|status`: the git hooks that call
//! `gemba hook …` ([`crate::githooks`]).

use serde::Serialize;

use super::env::Ctx;
use super::error::{CliError, CliResult};
use super::ui;
use crate::githooks::{self, Action, Report, State};
use crate::model::{Event, EventKind};

/// Install, remove or inspect the git hooks that keep gemba current after
/// merges (post-merge, post-rewrite).
///
/// The hooks go where git looks for them: `core.hooksPath` if set, else
/// the repository's hooks directory (shared by all its worktrees). A hook
/// already there is never overwritten: it is kept as
/// `<name>.gemba-chained` and still runs, first, with the same arguments
/// and input; `uninstall` puts it back exactly. The hooks never fail git
/// (see `gemba hook --help`).
#[derive(Debug, clap::Subcommand)]
pub enum HooksCommand {
    Install(InstallArgs),
    Uninstall(UninstallArgs),
    Status(StatusArgs),
}

/// Install the post-merge and post-rewrite hooks (again: updates them).
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  gemba hooks install\n  gemba hooks install --json")]
pub struct InstallArgs {}

/// Remove gemba's hooks and restore the ones they replaced; hooks that are
/// not gemba's are left alone.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  gemba hooks uninstall")]
pub struct UninstallArgs {}

/// Each hook: installed, installed+chained (ours, running the replaced
/// hook first), foreign (someone else's) or absent.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  gemba hooks status\n  gemba hooks status --json")]
pub struct StatusArgs {}

#[derive(Serialize)]
struct HooksReport {
    hooks_dir: String,
    hooks: Vec<Report>,
}

pub fn run(ctx: &Ctx, cmd: HooksCommand) -> CliResult {
    let dir = crate::git::hooks_dir(&ctx.cwd)?;
    let (action, reports) = match cmd {
        HooksCommand::Install(_) => ("install", githooks::install(&dir).map_err(hooks_error)?),
        HooksCommand::Uninstall(_) => {
            ("uninstall", githooks::uninstall(&dir).map_err(hooks_error)?)
        }
        HooksCommand::Status(_) => ("status", githooks::status(&dir).map_err(hooks_error)?),
    };
    if action != "status" {
        log(ctx, action, &reports);
    }
    if ctx.json {
        ui::json(&HooksReport {
            hooks_dir: dir.display().to_string(),
            hooks: reports,
        });
        return Ok(());
    }
    let rows = reports
        .iter()
        .map(|r| {
            vec![
                r.hook.to_string(),
                r.state.as_str().to_string(),
                describe(r),
            ]
        })
        .collect();
    ui::out(&format!(
        "hooks directory: {}\n{}",
        ctx.show_path(&dir),
        ui::table(&["HOOK", "STATE", "NOTE"], rows)
    ));
    if action == "install" && !ctx.gemba_dir.exists() {
        ui::warn(
            ctx,
            "no .gemba/ here yet: the hooks will say so after every merge until `gemba init`",
        );
    }
    Ok(())
}

fn describe(r: &Report) -> String {
    let did = match r.action {
        Some(Action::Write) => "installed",
        Some(Action::Chain) => "installed; the existing hook runs first",
        Some(Action::Update) => "updated to this version",
        Some(Action::Remove) => "removed",
        Some(Action::Restore) => "removed; the hook it replaced is back",
        Some(Action::LeaveForeign) => "not gemba's: left alone",
        Some(Action::Keep) | Some(Action::Refuse) | None => "",
    };
    let state = match r.state {
        State::Installed | State::InstalledChained if !r.up_to_date => {
            "an older version: `gemba hooks install` updates it"
        }
        State::InstalledChained if r.action.is_none() => "runs the hook it replaced first",
        State::Foreign if r.action.is_none() => "not gemba's: install keeps it and runs it first",
        _ => "",
    };
    match (did.is_empty(), state.is_empty()) {
        (false, false) => format!("{did} ({state})"),
        (false, true) => did.to_string(),
        _ => state.to_string(),
    }
}

fn hooks_error(e: githooks::Error) -> CliError {
    match e {
        githooks::Error::Conflict { .. } => CliError::conflict(e),
        githooks::Error::Io { .. } => CliError::io(e),
    }
}

/// Log what install/uninstall did, when there is a `.gemba/` to log to
/// (the hooks themselves are not gemba state).
fn log(ctx: &Ctx, action: &str, reports: &[Report]) {
    let Ok(store) = ctx.store() else {
        return;
    };
    let changed: Vec<String> = reports
        .iter()
        .filter(|r| !matches!(r.action, Some(Action::Keep | Action::LeaveForeign) | None))
        .map(|r| format!("{} {}", r.hook, r.state.as_str()))
        .collect();
    if changed.is_empty() {
        return;
    }
    let event = Event::new(
        ctx.now,
        &ctx.actor,
        EventKind::GitHook,
        vec![],
        format!("hooks {action}: {}", changed.join(", ")),
    )
    .with("action", action)
    .with("hooks", reports);
    match crate::store::log::record(&store, &[event]) {
        Ok(finished) => ui::finished(ctx, finished),
        Err(e) => ui::warn(ctx, &format!("could not log: {e}")),
    }
}
