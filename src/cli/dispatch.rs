//! `gemba dispatch on|off|status|tick|run`: auto-dispatch (the logic is
//! in `crate::dispatch::auto`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration as StdDuration, Instant};

use serde::Serialize;

use super::env::Ctx;
use super::error::{CliError, CliResult};
use super::ui;
use crate::dispatch::auto::{self, Entry, Tick};
use crate::model::duration::{self, Duration};

/// Feed idle sessions automatically: each tick claims the best bead for
/// every idle live session and enqueues it to the session's agent.
///
/// Off by default: `gemba dispatch on` turns it on (`.gemba/dispatch.yaml`,
/// committed, so every clone sees it); `gemba dispatch off` is the kill
/// switch, which stops a running `gemba dispatch run` at its next tick.
/// A tick passes over a session that is busy (a claim on an open bead, a
/// bead in hand, a packet ready or in progress for it), that was fed less
/// than `dispatch.min_interval` ago (5m), that is advised to recycle, or
/// whose best candidate scores under `dispatch.floor` (0.5); every
/// decision, "nothing, and why" included, is logged as a `dispatch.tick`
/// event with the justification and the digest of what was read.
#[derive(Debug, clap::Subcommand)]
pub enum DispatchCommand {
    On(SwitchArgs),
    Off(SwitchArgs),
    Status(StatusArgs),
    Tick(TickArgs),
    Run(RunArgs),
}

pub fn run(ctx: &Ctx, cmd: DispatchCommand) -> CliResult {
    match cmd {
        DispatchCommand::On(args) => run_switch(ctx, true, args),
        DispatchCommand::Off(args) => run_switch(ctx, false, args),
        DispatchCommand::Status(args) => run_status(ctx, args),
        DispatchCommand::Tick(args) => run_tick(ctx, args),
        DispatchCommand::Run(args) => run_loop(ctx, args),
    }
}

/// Turn auto-dispatch on or off (`.gemba/dispatch.yaml`, logged as
/// `dispatch.switch`).
///
/// `off` is the kill switch: a running `gemba dispatch run` stops at its
/// next tick, and a tick in progress stops before its next session. It
/// never waits on a running tick. Switching to the state it is in changes
/// nothing (unless a new --reason is given).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba dispatch on\n  gemba dispatch off --reason 'release freeze until Monday'\n  gemba dispatch on --json"
)]
pub struct SwitchArgs {
    /// Why, recorded in the file and the event.
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,
}

fn run_switch(ctx: &Ctx, enabled: bool, args: SwitchArgs) -> CliResult {
    let store = ctx.store()?;
    let switched = auto::set_switch(&store, enabled, args.reason, &ctx.actor, ctx.now)?;
    ui::finished(ctx, switched.finished.clone());
    if ctx.json {
        ui::json(&switched);
        return Ok(());
    }
    let word = if enabled { "on" } else { "off" };
    let text = match (switched.changed, switched.was == enabled) {
        (false, _) => format!("dispatch is already {word}\n"),
        (true, true) => format!("dispatch stays {word}; reason recorded\n"),
        (true, false) if enabled => {
            "dispatch on: `gemba dispatch run` (or a `gemba dispatch tick` from cron) now feeds idle sessions\n".to_string()
        }
        (true, false) => "dispatch off: a running `gemba dispatch run` stops at its next tick\n".into(),
    };
    ui::out(&text);
    Ok(())
}

/// Show the switch, the last tick and every live session: idle or busy
/// (as a tick would judge it now), its last dispatch and when the rate
/// limit lets the next one through.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  gemba dispatch status\n  gemba dispatch status --json")]
pub struct StatusArgs {}

fn run_status(ctx: &Ctx, _args: StatusArgs) -> CliResult {
    let status = auto::status(ctx.store()?, ctx.now)?;
    if ctx.json {
        ui::json(&status);
        return Ok(());
    }
    let s = &status.switch;
    let mut out = format!(
        "dispatch: {}{}{}\n",
        if s.enabled { "on" } else { "off" },
        match (&s.changed_at, &s.changed_by) {
            (Some(at), Some(by)) => format!(" (since {at}, by {by})"),
            (Some(at), None) => format!(" (since {at})"),
            _ => String::new(),
        },
        s.reason
            .as_deref()
            .map(|r| format!(": {r}"))
            .unwrap_or_default()
    );
    let c = &status.config;
    out.push_str(&format!(
        "floor {:.2}, at most one dispatch per session per {}, `run` ticks every {}\n",
        c.floor, c.min_interval, c.interval
    ));
    out.push_str(&match &status.last_tick {
        Some(t) => format!("last tick: {} ({}): {}\n", t.at, t.event, t.message),
        None => "last tick: none yet\n".into(),
    });
    if status.sessions.is_empty() {
        out.push_str("no live session\n");
    } else {
        let rows = status
            .sessions
            .iter()
            .map(|r| {
                vec![
                    r.session.clone(),
                    r.agent.clone(),
                    match &r.busy {
                        Some(b) => format!("busy: {}", b.line()),
                        None => "idle".into(),
                    },
                    r.last_dispatch.clone().unwrap_or_else(|| "-".into()),
                    r.bead.clone().unwrap_or_else(|| "-".into()),
                    r.next_from.clone().unwrap_or_else(|| "-".into()),
                ]
            })
            .collect();
        out.push('\n');
        out.push_str(&ui::table(
            &[
                "session",
                "agent",
                "state",
                "last dispatch",
                "bead",
                "next from",
            ],
            rows,
        ));
    }
    ui::out(&out);
    Ok(())
}

/// Run one auto-dispatch tick: every idle live session gets its best bead
/// claimed and enqueued to its agent (a packet kept for that session).
///
/// For each live session, in id order: busy (an unexpired claim on an
/// open bead, an open bead in hand, a packet of its agent's queue ready
/// for it or in progress for it) → nothing; fed less than
/// `dispatch.min_interval` ago → nothing (rate limit); no eligible bead →
/// nothing; recycle advised before the best bead → nothing; best score
/// under `dispatch.floor` → nothing; otherwise claim it as `gemba next
/// --claim` does (a lost race moves on to the next bead at or above the
/// floor, at most 3 claims) and enqueue it. An enqueue that fails
/// releases the claim. Every decision goes into one `dispatch.tick` event
/// (`gemba log --kind dispatch --json`), also when the switch is off.
///
/// Before that, while dispatch is on, a stale or missing source index is
/// rebuilt and the tick waits for it (a `scan.trigger` with reason
/// `demand`, subject to the scan cooldown and pause: see `gemba scan`).
///
/// Exits 0 when the tick ran, whatever it decided (the report and the
/// event say what); --dry-run decides as if the switch were on and
/// changes and logs nothing.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba dispatch tick\n  gemba dispatch tick --dry-run --explain\n  gemba dispatch tick --json | jq '.sessions[] | select(.outcome == \"dispatched\")'\n  */1 * * * * cd /srv/repo && gemba dispatch tick --quiet   # cron, instead of `dispatch run`"
)]
pub struct TickArgs {
    /// Decide as if dispatch were on; claim, enqueue and log nothing.
    #[arg(long)]
    dry_run: bool,
    /// Show each session's justification (score components and gates),
    /// runners-up and recycle advice.
    #[arg(long)]
    explain: bool,
}

fn run_tick(ctx: &Ctx, args: TickArgs) -> CliResult {
    let store = ctx.store()?;
    if !args.dry_run {
        demand_scan(ctx, &store);
    }
    let tick = auto::tick(store, args.dry_run, &ctx.actor, ctx.now)?;
    for w in &tick.warnings {
        ui::warn(ctx, w);
    }
    if ctx.json {
        ui::json(&tick);
    } else {
        ui::out(&render_tick(&tick, args.explain));
    }
    Ok(())
}

fn render_tick(tick: &Tick, explain: bool) -> String {
    let mut out = String::new();
    if !tick.on && !tick.dry_run {
        out.push_str("dispatch is off: nothing done (`gemba dispatch on` to start)\n");
        return out;
    }
    if !tick.on {
        out.push_str("dry run (dispatch is off: a real tick would do nothing)\n");
    } else if tick.dry_run {
        out.push_str("dry run: nothing claimed, enqueued or logged\n");
    }
    if tick.sessions.is_empty() {
        out.push_str("no live session\n");
        return out;
    }
    let rows = tick
        .sessions
        .iter()
        .map(|e| {
            vec![
                e.session.clone(),
                e.agent.clone(),
                e.outcome.to_string(),
                e.bead.clone().unwrap_or_else(|| "-".into()),
                e.reason.clone(),
            ]
        })
        .collect();
    out.push_str(&ui::table(
        &["session", "agent", "outcome", "bead", "why"],
        rows,
    ));
    if explain {
        for e in &tick.sessions {
            out.push_str(&explain_entry(e));
        }
    }
    out
}

fn explain_entry(e: &Entry) -> String {
    if e.justification.is_empty() && e.advice.is_none() && e.tries.is_empty() {
        return String::new();
    }
    let mut out = format!("\n{} ({}):\n", e.session, e.outcome);
    if let (Some(bead), Some(score)) = (&e.bead, e.score) {
        out.push_str(&format!("  {bead}  {score:.3}\n"));
    }
    for line in &e.justification {
        out.push_str(&format!("    {line}\n"));
    }
    if !e.alternatives.is_empty() {
        let alts: Vec<String> = e
            .alternatives
            .iter()
            .map(|a| format!("{} {:.3}", a.id, a.score))
            .collect();
        out.push_str(&format!("  runners-up: {}\n", alts.join(", ")));
    }
    for t in &e.tries {
        out.push_str(&format!(
            "  claim {}: {}{}\n",
            t.bead,
            t.outcome,
            t.holder
                .as_deref()
                .map(|h| format!(" (held by {h})"))
                .unwrap_or_default()
        ));
    }
    if !e.skipped.is_empty() {
        out.push_str(&format!(
            "  passed over {} (claimed since the store was read)\n",
            e.skipped.join(", ")
        ));
    }
    if let Some(a) = &e.advice {
        out.push_str("  recycle advice:\n");
        for line in &a.justification {
            out.push_str(&format!("    {line}\n"));
        }
    }
    out
}

/// Tick in a loop until `gemba dispatch off`, a signal, or --max-ticks.
///
/// Each tick is `gemba dispatch tick` on a freshly read store (config and
/// switch edits are picked up). The loop stops, exit 0, when a tick finds
/// dispatch off, after --max-ticks ticks, or on SIGINT or SIGTERM: the
/// tick in hand finishes first (a second signal exits at once, status
/// 130). A tick that fails is reported on stderr and the loop goes on.
/// Text output: one line per tick; --json: one document when it stops.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba dispatch on && gemba dispatch run\n  gemba dispatch run --interval 1m\n  gemba dispatch run --max-ticks 10 --interval 5s --json\n  gemba dispatch off     # from anywhere: the loop stops at its next tick"
)]
pub struct RunArgs {
    /// The wait between ticks: 30s, 1m, 5m [default: dispatch.interval, 30s].
    #[arg(long, value_name = "DURATION", value_parser = duration::parse)]
    interval: Option<Duration>,
    /// Stop after this many ticks.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    max_ticks: Option<u64>,
}

/// `--json` of `dispatch run`.
#[derive(Debug, Serialize)]
struct RunReport {
    ticks: u64,
    /// `off`, `max_ticks` or `signal`.
    stopped_by: &'static str,
    /// Every dispatch made, in order.
    dispatched: Vec<RunDispatch>,
    /// Ticks that failed.
    errors: Vec<RunError>,
}

#[derive(Debug, Serialize)]
struct RunDispatch {
    at: String,
    session: String,
    bead: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    packet: Option<String>,
}

#[derive(Debug, Serialize)]
struct RunError {
    tick: u64,
    message: String,
}

/// Set by SIGINT/SIGTERM: finish the tick in hand, then stop.
static STOP: AtomicBool = AtomicBool::new(false);

#[cfg(unix)]
fn on_signals() -> CliResult {
    use signal_hook::consts::{SIGINT, SIGTERM};
    use signal_hook::flag;
    for signal in [SIGINT, SIGTERM] {
        // A second signal, with the flag already set, exits at once (the
        // shutdown must be registered before the flag).
        flag::register_conditional_shutdown(signal, 130, &STOP)
            .and_then(|_| flag::register(signal, &STOP))
            .map_err(|e| CliError::io(format!("cannot handle signal {signal}: {e}")))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn on_signals() -> CliResult {
    Ok(())
}

fn run_loop(ctx: &Ctx, args: RunArgs) -> CliResult {
    // A store that cannot open fails now, not once per tick forever.
    let interval = args
        .interval
        .unwrap_or(ctx.store()?.config().dispatch.interval);
    on_signals()?;
    let wait = StdDuration::from_secs(interval.as_secs().unsigned_abs());
    let mut report = RunReport {
        ticks: 0,
        stopped_by: "signal",
        dispatched: Vec::new(),
        errors: Vec::new(),
    };
    loop {
        report.ticks += 1;
        let n = report.ticks;
        let result = super::env::now().and_then(|now| {
            let store = ctx.store()?;
            demand_scan(ctx, &store);
            let tick = auto::tick(store, false, &ctx.actor, now)?;
            Ok(tick)
        });
        match result {
            Ok(tick) => {
                for w in &tick.warnings {
                    ui::warn(ctx, w);
                }
                for e in tick.sessions.iter().filter(|e| e.outcome == "dispatched") {
                    report.dispatched.push(RunDispatch {
                        at: tick.at.clone(),
                        session: e.session.clone(),
                        bead: e.bead.clone().unwrap_or_default(),
                        packet: e.packet.clone(),
                    });
                }
                if !ctx.json {
                    ui::out(&format!("{}  tick {n}: {}\n", tick.at, tick.summary()));
                }
                if !tick.on {
                    report.stopped_by = "off";
                    break;
                }
            }
            Err(e) => {
                ui::warn(ctx, &format!("tick {n} failed: {}", e.message));
                report.errors.push(RunError {
                    tick: n,
                    message: e.message,
                });
            }
        }
        if args.max_ticks.is_some_and(|max| n >= max) {
            report.stopped_by = "max_ticks";
            break;
        }
        if sleep_unless_stopped(wait) {
            break;
        }
    }
    let why = match report.stopped_by {
        "off" => "dispatch is off",
        "max_ticks" => "--max-ticks reached",
        _ => "signalled",
    };
    ui::status(
        ctx,
        &format!(
            "stopped after {} tick(s) ({why}): {} dispatched, {} failed tick(s)",
            report.ticks,
            report.dispatched.len(),
            report.errors.len()
        ),
    );
    if ctx.json {
        ui::json(&report);
    }
    Ok(())
}

/// While dispatch is on, a stale source index is rebuilt before the tick
/// plans (`gemba scan`'s pre-dispatch demand trigger).
fn demand_scan(ctx: &Ctx, store: &crate::store::Store) {
    if !auto::read_switch(store).is_ok_and(|s| s.enabled) {
        return;
    }
    for w in super::scan::on_demand(ctx, store) {
        ui::warn(ctx, &w);
    }
}

/// Sleep `wait`, waking early on a signal; whether one came.
fn sleep_unless_stopped(wait: StdDuration) -> bool {
    const SLICE: StdDuration = StdDuration::from_millis(100);
    let end = Instant::now() + wait;
    loop {
        if STOP.load(Ordering::SeqCst) {
            return true;
        }
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        std::thread::sleep(left.min(SLICE));
    }
}
