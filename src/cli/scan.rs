//! `gemba scan …`: when to rebuild the source-analysis index. The decision
//! is [`crate::scan::decide`]; this file reads the clock, the state file
//! and the locks, and runs the scans.

use std::fs::File;
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use super::env::Ctx;
use super::error::{CliError, CliResult};
use super::ui;
use crate::model::{Event, EventKind};
use crate::scan::{self, Decision, Outcome, Reason, Run, Running, State};
use crate::store::{Store, atomic, lock::Lock};

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

fn state_path(store: &Store) -> PathBuf {
    store.scan_dir().join(scan::STATE_FILE)
}

/// Hold the state file for one read-modify-write.
fn state_lock(ctx: &Ctx, store: &Store) -> CliResult<Lock> {
    let dir = store.scan_dir();
    std::fs::create_dir_all(&dir).map_err(|e| CliError::io(format!("{}: {e}", dir.display())))?;
    let path = dir.join("state.lock");
    Lock::acquire(
        &path,
        &store.show(&path),
        &ctx.command,
        Duration::from_secs(30),
        &|m| eprintln!("gemba: {m}"),
    )
    .map_err(CliError::lock_timeout)
}

pub(crate) fn read_state(store: &Store) -> CliResult<State> {
    let path = state_path(store);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(State::default()),
        Err(e) => return Err(CliError::io(format!("{}: {e}", store.show(&path)))),
    };
    serde_json::from_str(&text).map_err(|e| {
        CliError::parse_error(format!(
            "{}:{}:{}: {e}",
            store.show(&path),
            e.line(),
            e.column()
        ))
        .hint("fix or delete the file: it only holds scheduling state")
    })
}

fn write_state(store: &Store, state: &State) -> CliResult {
    let path = state_path(store);
    let mut bytes = serde_json::to_vec_pretty(state).expect("state serializes");
    bytes.push(b'\n');
    atomic::write(&path, &bytes).map_err(|e| CliError::io(format!("{}: {e}", store.show(&path))))
}

/// The lock a running scan holds for its whole run.
fn run_lock_path(store: &Store) -> PathBuf {
    store.scan_dir().join("run.lock")
}

/// Whether a scan process holds the run lock now.
fn scan_running(store: &Store) -> bool {
    let path = run_lock_path(store);
    let Ok(file) = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
    else {
        return false;
    };
    match file.try_lock() {
        Ok(()) => false,
        Err(std::fs::TryLockError::WouldBlock) => true,
        Err(std::fs::TryLockError::Error(_)) => false,
    }
}

fn log(ctx: &Ctx, store: &Store, event: Event) {
    let mut warnings = Vec::new();
    log_into(store, event, &mut warnings);
    warn_all(ctx, &warnings);
}

/// Log `event`, keeping what went wrong (a failed auto-commit, an
/// unwritable log) in `warnings`.
fn log_into(store: &Store, event: Event, warnings: &mut Vec<String>) {
    match crate::store::log::record(store, &[event]) {
        Ok(finished) => warnings.extend(finished.warnings),
        Err(e) => warnings.push(format!("could not log: {e}")),
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
    let decision = {
        let _lock = state_lock(ctx, store)?;
        let mut state = read_state(store)?;
        let rules = scan::Rules::from(&store.config().scan);
        if reason == Reason::PostMerge {
            scan::note_merge(&mut state, ctx.now, &rules);
        }
        let running = state.running.is_some() && scan_running(store);
        let decision = scan::decide(&state, reason, ctx.now, running, &rules);
        if matches!(decision, Decision::Queue { .. }) {
            state.queued = Some(reason);
        }
        if matches!(decision, Decision::Run { .. }) {
            // Claimed now, so a trigger before the runner starts coalesces.
            state.running = Some(Running {
                reason,
                started: ctx.now,
                pid: std::process::id(),
            });
        }
        state.last_trigger = Some(scan::TriggerRecord {
            reason,
            at: ctx.now,
            decision: decision.clone(),
        });
        write_state(store, &state)?;
        decision
    };
    log_into(
        store,
        Event::new(
            ctx.now,
            &ctx.actor,
            EventKind::ScanTrigger,
            vec![],
            format!("scan trigger {reason}: {}", decision.name()),
        )
        .with("reason", reason)
        .with("decision", decision.name())
        .with("why", decision.why()),
        warnings,
    );
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
    let due = read_state(store).is_ok_and(|state| {
        let rules = scan::Rules::from(&store.config().scan);
        let running = state.running.is_some() && scan_running(store);
        matches!(
            scan::decide(&state, Reason::Drift, ctx.now, running, &rules),
            Decision::Run { .. }
        )
    });
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

/// Pre-dispatch demand: when the source index is stale or missing, ask
/// for a scan and wait for it (run here, or wait for the one running), so
/// the tick plans with semantic edges. A scan that is not due (cooldown,
/// pause) or fails does not hold dispatch up: the tick goes on without
/// them, and the trigger's event says why. Returns what to warn about.
pub(crate) fn on_demand(ctx: &Ctx, store: &Store) -> Vec<String> {
    let mut warnings = Vec::new();
    let freshness = match crate::analysis::open(store) {
        Ok(analysis) => analysis.describe().freshness,
        Err(_) => return warnings,
    };
    if !matches!(
        freshness,
        crate::analysis::Freshness::Stale { .. } | crate::analysis::Freshness::Missing { .. }
    ) {
        return warnings;
    }
    match trigger(ctx, store, Reason::Demand, false, &mut warnings) {
        Ok(Decision::Queue { .. } | Decision::Coalesced { .. }) => {
            // Another process is scanning: its run lock is free once it
            // (and the rerun it took on) is done.
            let path = run_lock_path(store);
            if let Err(e) = Lock::acquire(
                &path,
                &store.show(&path),
                &ctx.command,
                Duration::from_secs(600),
                &|_| {},
            ) {
                warnings.push(format!("gave up waiting for the running scan: {e}"));
            }
        }
        Ok(_) => {}
        Err(e) => warnings.push(format!("scan before dispatch: {}", e.message)),
    }
    warnings
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

/// Run one scan and then the queued rerun, if any, under the run lock.
fn run_scans(ctx: &Ctx, store: &Store, first: Reason) -> CliResult<Vec<Run>> {
    let path = run_lock_path(store);
    let _run = Lock::acquire(
        &path,
        &store.show(&path),
        &ctx.command,
        Duration::from_secs(3600),
        &|_| {},
    )
    .map_err(CliError::lock_timeout)?;
    let mut runs = Vec::new();
    let mut reason = first;
    // On gemba's clock (GEMBA_NOW pins it), advanced by the real time spent.
    let clock = std::time::Instant::now();
    let at = |ctx: &Ctx| {
        ctx.now
            .checked_add(jiff::SignedDuration::try_from(clock.elapsed()).unwrap_or_default())
            .unwrap_or(ctx.now)
    };
    loop {
        let started = at(ctx);
        {
            let _lock = state_lock(ctx, store)?;
            let mut state = read_state(store)?;
            state.running = Some(Running {
                reason,
                started,
                pid: std::process::id(),
            });
            write_state(store, &state)?;
        }
        let built = crate::analysis::build(store, &());
        let ended = at(ctx);
        let (result, error) = match &built {
            Ok(_) => (Outcome::Ok, None),
            Err(e) => (Outcome::Failed, Some(e.to_string())),
        };
        let run = Run {
            reason,
            started,
            ended,
            result,
            error: error.clone(),
        };
        let next = {
            let _lock = state_lock(ctx, store)?;
            let mut state = read_state(store)?;
            state.last_run = Some(run.clone());
            state.running = None;
            let next = state.queued.take();
            write_state(store, &state)?;
            next
        };
        let mut event = Event::new(
            ended,
            &ctx.actor,
            EventKind::ScanRun,
            vec![],
            match &error {
                None => format!("scan ({reason}) ok"),
                Some(e) => format!("scan ({reason}) failed: {e}"),
            },
        )
        .with("reason", reason)
        .with("started", started.to_string())
        .with("ended", ended.to_string())
        .with("result", result)
        .with("fresh", built.is_ok());
        if let Some(e) = &error {
            event = event.with("error", e);
        }
        if let Ok(report) = &built {
            event = event
                .with("commit", &report.commit)
                .with("edges", report.edges);
        }
        log(ctx, store, event);
        if !ctx.json {
            ui::status(
                ctx,
                &format!(
                    "scan ({reason}): {}",
                    match &error {
                        None => "ok".to_string(),
                        Some(e) => format!("failed: {e}"),
                    }
                ),
            );
        }
        runs.push(run);
        match next {
            Some(r) => reason = r,
            None => break,
        }
    }
    Ok(runs)
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
    {
        let _lock = state_lock(ctx, store)?;
        let mut state = read_state(store)?;
        state.paused_until = until;
        write_state(store, &state)?;
    }
    let message = match until {
        Some(t) => format!("automatic scans paused until {t}"),
        None => "automatic scans resumed".to_string(),
    };
    log(
        ctx,
        store,
        Event::new(
            ctx.now,
            &ctx.actor,
            EventKind::ScanPause,
            vec![],
            message.clone(),
        )
        .with("until", until.map(|t| t.to_string())),
    );
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
    let state = read_state(store)?;
    let scanning = scan_running(store);
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
