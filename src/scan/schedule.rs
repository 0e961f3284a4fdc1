//! The scheduler's I/O: the state file `.gemba/scan/state.json` (read and
//! written under `scan/state.lock`, one read-modify-write at a time), the
//! run lock `scan/run.lock` a scan holds for its whole run (so two hooks
//! never start two scans), and the `scan.*` events. What to do is
//! [`super::decide`]'s; starting a background process is the caller's.

use std::fs::File;
use std::path::PathBuf;
use std::time::Duration;

use jiff::Timestamp;

use super::{Decision, Outcome, Reason, Rules, Run, Running, STATE_FILE, State};
use crate::model::{Event, EventKind};
use crate::store::lock::Lock;
use crate::store::{Error, Result, Store, atomic};

/// Who is acting: `actor` for the log, `holder` for lock messages (the
/// command line).
#[derive(Debug, Clone, Copy)]
pub struct Who<'a> {
    pub actor: &'a str,
    pub holder: &'a str,
}

fn state_path(store: &Store) -> PathBuf {
    store.scan_dir().join(STATE_FILE)
}

fn io(path: PathBuf) -> impl FnOnce(std::io::Error) -> Error {
    move |source| Error::Io { path, source }
}

/// Hold the state file for one read-modify-write.
fn state_lock(store: &Store, who: Who<'_>) -> Result<Lock> {
    let dir = store.scan_dir();
    std::fs::create_dir_all(&dir).map_err(io(dir.clone()))?;
    let path = dir.join("state.lock");
    Ok(Lock::acquire(
        &path,
        &store.show(&path),
        who.holder,
        Duration::from_secs(30),
        &|m| eprintln!("gemba: {m}"),
    )?)
}

/// The scheduler's state; none yet is the default.
pub fn read_state(store: &Store) -> Result<State> {
    let path = state_path(store);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(State::default()),
        Err(e) => return Err(io(path)(e)),
    };
    crate::format::from_json(&path, &bytes).map_err(|mut e| {
        e.message
            .push_str(" (fix or delete the file: it only holds scheduling state)");
        Error::Parse(e)
    })
}

fn write_state(store: &Store, state: &State) -> Result<()> {
    let path = state_path(store);
    let mut bytes = serde_json::to_vec_pretty(state).expect("state serializes");
    bytes.push(b'\n');
    atomic::write(&path, &bytes).map_err(io(path))
}

/// Read, change and write the state under its lock.
fn update<T>(store: &Store, who: Who<'_>, change: impl FnOnce(&mut State) -> T) -> Result<T> {
    let _lock = state_lock(store, who)?;
    let mut state = read_state(store)?;
    let out = change(&mut state);
    write_state(store, &state)?;
    Ok(out)
}

/// The lock a running scan holds for its whole run.
fn run_lock_path(store: &Store) -> PathBuf {
    store.scan_dir().join("run.lock")
}

/// Whether a scan process holds the run lock now.
pub fn scanning(store: &Store) -> bool {
    let path = run_lock_path(store);
    let Ok(file) = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
    else {
        return false;
    };
    matches!(file.try_lock(), Err(std::fs::TryLockError::WouldBlock))
}

/// Wait up to `timeout` for the running scan (and the rerun it took on)
/// to end.
pub fn wait_for_scan(store: &Store, who: Who<'_>, timeout: Duration) -> Result<()> {
    let path = run_lock_path(store);
    Lock::acquire(&path, &store.show(&path), who.holder, timeout, &|_| {})?;
    Ok(())
}

/// Log `event`; what went wrong (a failed auto-commit, an unwritable log)
/// goes to `warnings`: scheduling never fails for its log.
fn log_into(store: &Store, event: Event, warnings: &mut Vec<String>) {
    match crate::store::log::record(store, &[event]) {
        Ok(finished) => warnings.extend(finished.warnings),
        Err(e) => warnings.push(format!("could not log: {e}")),
    }
}

/// What [`decide_now`] would answer for `reason`, changing nothing.
pub fn would(store: &Store, reason: Reason, now: Timestamp) -> Result<Decision> {
    let state = read_state(store)?;
    let rules = Rules::from(&store.config().scan);
    let running = state.running.is_some() && scanning(store);
    Ok(super::decide(&state, reason, now, running, &rules))
}

/// Decide on a trigger and record it (the state, a `scan.trigger` event).
/// A `Run` decision is claimed in the state at once, so a trigger before
/// the scan starts coalesces; starting it (here with [`run_scans`], or in
/// another process) is the caller's. Logging problems go to `warnings`.
pub fn decide_now(
    store: &Store,
    reason: Reason,
    now: Timestamp,
    who: Who<'_>,
    warnings: &mut Vec<String>,
) -> Result<Decision> {
    let rules = Rules::from(&store.config().scan);
    let decision = update(store, who, |state| {
        if reason == Reason::PostMerge {
            super::note_merge(state, now, &rules);
        }
        let running = state.running.is_some() && scanning(store);
        let decision = super::decide(state, reason, now, running, &rules);
        match decision {
            Decision::Queue { .. } => state.queued = Some(reason),
            Decision::Run { .. } => {
                state.running = Some(Running {
                    reason,
                    started: now,
                    pid: std::process::id(),
                });
            }
            _ => {}
        }
        state.last_trigger = Some(super::TriggerRecord {
            reason,
            at: now,
            decision: decision.clone(),
        });
        decision
    })?;
    log_into(
        store,
        Event::new(
            now,
            who.actor,
            EventKind::ScanTrigger,
            vec![],
            format!("scan trigger {reason}: {}", decision.name()),
        )
        .with("reason", reason)
        .with("decision", decision.name())
        .with("why", decision.why()),
        warnings,
    );
    Ok(decision)
}

/// Run one scan (`gemba index build`) and then the queued rerun, if any,
/// under the run lock; each run is recorded in the state and logged
/// (`scan.run`), and handed to `ran` as it ends. `now` is the clock at the
/// start; later times add the real time spent.
pub fn run_scans(
    store: &Store,
    first: Reason,
    now: Timestamp,
    who: Who<'_>,
    warnings: &mut Vec<String>,
    mut ran: impl FnMut(&Run),
) -> Result<Vec<Run>> {
    let path = run_lock_path(store);
    let _run = Lock::acquire(
        &path,
        &store.show(&path),
        who.holder,
        Duration::from_secs(3600),
        &|_| {},
    )?;
    let clock = std::time::Instant::now();
    let at = || {
        now.checked_add(jiff::SignedDuration::try_from(clock.elapsed()).unwrap_or_default())
            .unwrap_or(now)
    };
    let mut runs = Vec::new();
    let mut reason = first;
    loop {
        let started = at();
        update(store, who, |state| {
            state.running = Some(Running {
                reason,
                started,
                pid: std::process::id(),
            });
        })?;
        let built = crate::analysis::build(store, &());
        let ended = at();
        let error = built.as_ref().err().map(ToString::to_string);
        let run = Run {
            reason,
            started,
            ended,
            result: if error.is_none() {
                Outcome::Ok
            } else {
                Outcome::Failed
            },
            error: error.clone(),
        };
        let next = update(store, who, |state| {
            state.last_run = Some(run.clone());
            state.running = None;
            state.queued.take()
        })?;
        let mut event = Event::new(
            ended,
            who.actor,
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
        .with("result", run.result)
        .with("fresh", built.is_ok());
        if let Some(e) = &error {
            event = event.with("error", e);
        }
        if let Ok(report) = &built {
            event = event
                .with("commit", &report.commit)
                .with("edges", report.edges);
        }
        log_into(store, event, warnings);
        ran(&run);
        runs.push(run);
        match next {
            Some(r) => reason = r,
            None => return Ok(runs),
        }
    }
}

/// Pre-dispatch demand: when the source index is stale or missing, ask
/// for a scan and wait for it (run here, each run handed to `ran`, or wait
/// for the one running), so the tick plans with semantic edges. A scan
/// that is not due (cooldown, pause) or fails does not hold dispatch up:
/// the tick goes on without it, and the trigger's event says why. Returns
/// what to warn about.
pub fn on_demand(
    store: &Store,
    now: Timestamp,
    who: Who<'_>,
    ran: impl FnMut(&Run),
) -> Vec<String> {
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
    match decide_now(store, Reason::Demand, now, who, &mut warnings) {
        Ok(Decision::Run { .. }) => {
            if let Err(e) = run_scans(store, Reason::Demand, now, who, &mut warnings, ran) {
                warnings.push(format!("scan before dispatch: {e}"));
            }
        }
        // Another process is scanning: wait for it (and its rerun).
        Ok(Decision::Queue { .. } | Decision::Coalesced { .. }) => {
            if let Err(e) = wait_for_scan(store, who, Duration::from_secs(600)) {
                warnings.push(format!("gave up waiting for the running scan: {e}"));
            }
        }
        Ok(_) => {}
        Err(e) => warnings.push(format!("scan before dispatch: {e}")),
    }
    warnings
}

/// Hold automatic triggers until `until` (`None`: resume); logged
/// (`scan.pause`). Returns the event's message.
pub fn pause(
    store: &Store,
    until: Option<Timestamp>,
    now: Timestamp,
    who: Who<'_>,
    warnings: &mut Vec<String>,
) -> Result<String> {
    update(store, who, |state| state.paused_until = until)?;
    let message = match until {
        Some(t) => format!("automatic scans paused until {t}"),
        None => "automatic scans resumed".to_string(),
    };
    log_into(
        store,
        Event::new(
            now,
            who.actor,
            EventKind::ScanPause,
            vec![],
            message.clone(),
        )
        .with("until", until.map(|t| t.to_string())),
        warnings,
    );
    Ok(message)
}
