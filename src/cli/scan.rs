//! `gemba scan …`: when to rebuild the source-analysis index. The decision
//! is [`crate::scan::decide`], the state, locks and runs are
//! [`crate::scan::schedule`]'s; this file starts background scans and
//! renders.

use serde::Serialize;

use super::env::Ctx;
use super::error::{CliError, CliResult};
use super::ui;
use crate::scan::schedule::{self, Who};
use crate::scan::{Decision, Outcome, Reason, Run, State};
use crate::store::Store;

/// Schedule rebuilds of the source index (`gemba index build`).
///
/// Triggers: a post-merge wave (>= 5 merges within 15 min), a wall-clock
/// floor (>= 4 h since the last scan and merges since), a parallel-batch
/// barrier, drift reported by the index, and manual requests. At most one
/// scan per 10 min (these are the defaults of `scan:` in config.yaml; the
/// git hooks of `gemba hooks install` count merges); a trigger while a scan runs queues one rerun for a new
/// reason and drops a repeated one; `pause` holds automatic triggers
/// (manual ones still run). Scans run in the background under a lock, so
/// two hooks never start two scans. Every trigger and run is logged
/// (`gemba log --kind scan`); state is in .gemba/scan/state.json.
#[derive(Debug, clap::Subcommand)]
pub enum ScanCommand {
    Trigger(TriggerArgs),
    Now(NowArgs),
    Pause(PauseArgs),
    Resume(ResumeArgs),
    Status(StatusArgs),
    /// Run the scan a trigger decided on (what the background process runs).
    #[command(hide = true)]
    Run(RunArgs),
}

/// Ask for a scan; the scheduler decides whether it runs now, queues,
/// or is dropped (and says why).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba scan trigger --reason post-merge\n  gemba scan trigger --reason barrier --wait --json"
)]
pub struct TriggerArgs {
    #[arg(long, value_enum)]
    reason: Reason,
    /// Run the scan in this process instead of the background.
    #[arg(long)]
    wait: bool,
}

/// Scan now, whatever the cooldown and pause say (queued behind a
/// running scan). Runs in the foreground.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  gemba scan now\n  gemba scan now --background")]
pub struct NowArgs {
    /// Start it in the background and return at once.
    #[arg(long)]
    background: bool,
}

/// Hold automatic scan triggers for DURATION (e.g. `30m`, `2h`).
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  gemba scan pause 2h\n  gemba scan pause 45m")]
pub struct PauseArgs {
    duration: String,
}

/// Let automatic scan triggers run again.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  gemba scan resume")]
pub struct ResumeArgs {}

/// The scheduler's state: the last run, the running scan, the queued
/// rerun, the pause, and why the last trigger did or did not run.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  gemba scan status\n  gemba scan status --json")]
pub struct StatusArgs {}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    #[arg(long, value_enum)]
    reason: Reason,
}

pub fn run(ctx: &Ctx, cmd: ScanCommand) -> CliResult {
    let store = ctx.store()?;
    match cmd {
        ScanCommand::Trigger(args) => {
            let mut warnings = Vec::new();
            let decision = trigger(ctx, &store, args.reason, !args.wait, &mut warnings)?;
            warn_all(ctx, &warnings);
            report_decision(ctx, args.reason, &decision);
            Ok(())
        }
        ScanCommand::Now(args) => {
            let mut warnings = Vec::new();
            let decision = trigger(ctx, &store, Reason::Manual, args.background, &mut warnings)?;
            warn_all(ctx, &warnings);
            report_decision(ctx, Reason::Manual, &decision);
            Ok(())
        }
        ScanCommand::Run(args) => run_scans(ctx, &store, args.reason).map(|_| ()),
        ScanCommand::Pause(args) => pause(ctx, &store, Some(&args.duration)),
        ScanCommand::Resume(_) => pause(ctx, &store, None),
        ScanCommand::Status(_) => status(ctx, &store),
    }
}

fn report_decision(ctx: &Ctx, reason: Reason, decision: &Decision) {
    if ctx.json {
        ui::json(&serde_json::json!({
            "reason": reason,
            "decision": decision.name(),
            "why": decision.why(),
        }));
    } else {
        ui::out(&format!(
            "{reason}: {} ({})\n",
            decision.name(),
            decision.why()
        ));
    }
}

fn who(ctx: &Ctx) -> Who<'_> {
    Who {
        actor: &ctx.actor,
        holder: &ctx.command,
    }
}

fn warn_all(ctx: &Ctx, warnings: &[String]) {
    for w in warnings {
        ui::warn(ctx, w);
    }
}

/// Decide on a trigger, record it, and start the scan it calls for (in
/// the background, or in this process). What went wrong logging the
/// trigger goes to `warnings` (the git hooks print one line, not several).
pub(crate) fn trigger(
    ctx: &Ctx,
    store: &Store,
    reason: Reason,
    background: bool,
    warnings: &mut Vec<String>,
) -> CliResult<Decision> {
    let decision = schedule::decide_now(store, reason, ctx.now, who(ctx), warnings)?;
    if matches!(decision, Decision::Run { .. }) {
        if background {
            spawn_background(store, reason)?;
        } else {
            run_scans(ctx, store, reason)?;
        }
    }
    Ok(decision)
}

/// Drift reported by the index itself: a command that wanted semantic
/// edges found the index stale. Starts a background scan only when one is
/// due (not in the cooldown, not paused, none running), so a read command
/// logs nothing and changes nothing otherwise. Says so on stderr.
pub(crate) fn on_drift(ctx: &Ctx, store: &Store) {
    let due = schedule::would(store, Reason::Drift, ctx.now)
        .is_ok_and(|d| matches!(d, Decision::Run { .. }));
    if !due {
        return;
    }
    let mut warnings = Vec::new();
    match trigger(ctx, store, Reason::Drift, true, &mut warnings) {
        Ok(Decision::Run { .. }) => ui::status(
            ctx,
            "rebuilding the stale source index in the background (`gemba scan status`)",
        ),
        Ok(_) => {}
        Err(e) => warnings.push(format!("scan for the stale index: {}", e.message)),
    }
    warn_all(ctx, &warnings);
}

/// Pre-dispatch demand ([`schedule::on_demand`]): the scans run here,
/// each said on stderr; returns what to warn about.
pub(crate) fn on_demand(ctx: &Ctx, store: &Store) -> Vec<String> {
    schedule::on_demand(store, ctx.now, who(ctx), |run| say_run(ctx, run))
}

/// `gemba scan run --reason R` detached from this process (and from git's
/// hook): its own process group, no inherited stdio.
fn spawn_background(store: &Store, reason: Reason) -> CliResult {
    use std::os::unix::process::CommandExt;
    use std::process::{Command, Stdio};
    let exe = std::env::current_exe()
        .map_err(|e| CliError::io(format!("cannot find the gemba binary: {e}")))?;
    Command::new(exe)
        .arg("--gemba-dir")
        .arg(store.root())
        .args(["--quiet", "scan", "run", "--reason", reason.as_str()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(|e| CliError::io(format!("cannot start a background scan: {e}")))?;
    Ok(())
}

/// Run the scan (and the queued rerun) here, saying how each went.
fn run_scans(ctx: &Ctx, store: &Store, first: Reason) -> CliResult<Vec<Run>> {
    let mut warnings = Vec::new();
    let runs = schedule::run_scans(store, first, ctx.now, who(ctx), &mut warnings, |run| {
        say_run(ctx, run)
    });
    warn_all(ctx, &warnings);
    Ok(runs?)
}

/// `scan (post-merge): ok` on stderr (not with --json).
fn say_run(ctx: &Ctx, run: &Run) {
    if !ctx.json {
        let how = match &run.error {
            None => "ok".to_string(),
            Some(e) => format!("failed: {e}"),
        };
        ui::status(ctx, &format!("scan ({}): {how}", run.reason));
    }
}

fn pause(ctx: &Ctx, store: &Store, duration: Option<&str>) -> CliResult {
    let until = match duration {
        None => None,
        Some(text) => {
            let d: jiff::SignedDuration = text.parse().map_err(|e| {
                CliError::usage(format!(
                    "pause {text:?}: expected a duration like 30m, 2h or 1h30m: {e}"
                ))
            })?;
            if d.is_negative() || d.is_zero() {
                return Err(CliError::usage(format!("pause {text:?}: must be positive")));
            }
            Some(
                ctx.now
                    .checked_add(d)
                    .map_err(|e| CliError::usage(format!("pause {text:?}: {e}")))?,
            )
        }
    };
    let mut warnings = Vec::new();
    let message = schedule::pause(store, until, ctx.now, who(ctx), &mut warnings)?;
    warn_all(ctx, &warnings);
    if ctx.json {
        ui::json(&serde_json::json!({"paused_until": until.map(|t| t.to_string())}));
    } else {
        ui::out(&format!("{message}\n"));
    }
    Ok(())
}

#[derive(Serialize)]
struct StatusReport<'a> {
    #[serde(flatten)]
    state: &'a State,
    /// A scan process holds the run lock now.
    scanning: bool,
    paused: bool,
}

fn status(ctx: &Ctx, store: &Store) -> CliResult {
    let state = schedule::read_state(store)?;
    let scanning = schedule::scanning(store);
    let paused = state.paused_until.is_some_and(|t| t > ctx.now);
    if ctx.json {
        ui::json(&StatusReport {
            state: &state,
            scanning,
            paused,
        });
        return Ok(());
    }
    let mut text = String::new();
    match &state.last_run {
        Some(r) => text.push_str(&format!(
            "last scan: {} ({}) {} .. {}{}\n",
            match r.result {
                Outcome::Ok => "ok",
                Outcome::Failed => "failed",
            },
            r.reason,
            r.started,
            r.ended,
            r.error
                .as_deref()
                .map(|e| format!(": {e}"))
                .unwrap_or_default()
        )),
        None => text.push_str("last scan: none yet\n"),
    }
    match (&state.running, scanning) {
        (Some(r), true) => text.push_str(&format!(
            "running: {} since {} (pid {})\n",
            r.reason, r.started, r.pid
        )),
        (Some(r), false) => text.push_str(&format!(
            "running: {} started {} (not holding the lock: starting or crashed)\n",
            r.reason, r.started
        )),
        _ => {}
    }
    if let Some(q) = state.queued {
        text.push_str(&format!("queued rerun: {q}\n"));
    }
    if paused && let Some(t) = state.paused_until {
        text.push_str(&format!("paused until {t} (manual scans still run)\n"));
    }
    text.push_str(&format!("merges noted since: {}\n", state.merges.len()));
    match &state.last_trigger {
        Some(t) => text.push_str(&format!(
            "last trigger: {} at {}: {} ({})\n",
            t.reason,
            t.at,
            t.decision.name(),
            t.decision.why()
        )),
        None => text.push_str("last trigger: none\n"),
    }
    ui::out(&text);
    Ok(())
}
