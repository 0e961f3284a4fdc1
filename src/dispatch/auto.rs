//! Auto-dispatch: a tick feeds every idle live session its best bead,
//! claimed inline and enqueued to the session's agent, behind a switch.
//!
//! **The switch** is `.gemba/dispatch.yaml` ([`DispatchSwitch`]), off
//! when the file is missing. [`set_switch`] writes it atomically and logs
//! `dispatch.switch`, without a lock: the kill switch never waits on a
//! tick. A tick reads it before every session, so `off` also stops a tick
//! half-way, and `gemba dispatch run` stops at its next tick.
//!
//! **A tick** ([`tick`]) holds `dispatch.lock` (one tick at a time, so two
//! never feed one session) and decides for every live session, in id
//! order, with the pure [`gate`] and [`choose`]:
//! 1. switched off → nothing;
//! 2. busy ([`busy`]) → nothing. A session is *idle* when it holds no
//!    unexpired claim on an open bead (one that exists and is neither
//!    closed nor pinned), the bead in hand in its telemetry (if any) is
//!    not open, and its agent's queue has no packet for it in `ready/`
//!    (kept for it, or for no session: any session of the agent may take
//!    it) nor in `in_progress/` (leased to it, or taken without a session,
//!    which may be its own). Blocked packets do not count: they wait on
//!    other work, not on the session;
//! 3. dispatched less than `dispatch.min_interval` ago (the log's
//!    `dispatch.tick` events say when) → rate-limited;
//! 4. selection exactly as `gemba next` makes it (auto mode): no
//!    candidate → nothing, with the why-not summary;
//! 5. recycle advice for the best candidate says recycle → nothing (gemba
//!    never ends a session; it stops feeding one it advises to recycle);
//! 6. the best score under `dispatch.floor` → nothing;
//! 7. otherwise claim the best candidate, the next one at or above the
//!    floor after a lost race, at most [`MAX_TRIES`] claims
//!    ([`take::take_first`]), and enqueue a packet for the bead won to the
//!    session's agent, kept for that session. An enqueue that fails
//!    releases the claim, so nothing is half-dispatched.
//!
//! After a dispatch the store is read again, so the next session's
//! selection sees the new claim and its conflicts. Every tick, including
//! one that does nothing, logs one `dispatch.tick` event with one entry
//! per session: the outcome, the reason, the digests of what was read and,
//! for a selection, the justification, the runners-up and the claims
//! tried. The claim and the enqueue log their own events.

use std::collections::BTreeMap;
use std::path::Path;

use jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;

use super::claims;
use super::take::{self, MAX_TRIES, Try};
use crate::beads::select::{Asking, Loaded};
use crate::format::ParseError;
use crate::model::config::DispatchConfig;
use crate::model::dispatch::DispatchSwitch;
use crate::model::duration::Duration;
use crate::model::packet::MAX_PRIORITY;
use crate::model::session::SessionStatus;
use crate::model::{BeadHead, Claim, Event, EventKind, Packet, Session, timestamp};
use crate::plan::select::{self, Options, Selection};
use crate::profile::health::Advice;
use crate::queue::{self, Enqueue, State};
use crate::store::log::{self, Finished};
use crate::store::{self, Scope, Store};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error(transparent)]
    Queue(#[from] queue::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Runners-up recorded per session decision.
const ALTERNATIVES: usize = 5;

// ------------------------------------------------------------ pure core

/// Why a live session is not idle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "by")]
pub enum Busy {
    /// An unexpired claim on an open bead.
    Claim { bead: String },
    /// An open bead in hand (its telemetry), whatever its claim says.
    InHand { bead: String },
    /// A packet in its agent's `ready/`, kept for it or for no session.
    Ready { packet: String },
    /// A packet in progress leased to it, or taken without a session.
    InProgress { packet: String },
}

impl Busy {
    pub fn line(&self) -> String {
        match self {
            Busy::Claim { bead } => format!("holds a claim on {bead}"),
            Busy::InHand { bead } => format!("has {bead} in hand"),
            Busy::Ready { packet } => format!("its agent's queue has {packet} ready for it"),
            Busy::InProgress { packet } => format!("{packet} is in progress for it"),
        }
    }
}

fn claim_expired(claim: &Claim, now: Timestamp) -> bool {
    claim
        .lease_until
        .parse::<Timestamp>()
        .is_ok_and(|t| t <= now)
}

/// Why `session` is busy, or `None` when it is idle (see the module doc).
/// `open` says whether a bead exists and is not done; `queue` holds its
/// agent's ready and in-progress packets.
pub fn busy(
    session: &Session,
    claims: &[Claim],
    open: &dyn Fn(&str) -> bool,
    queue: &[(State, Packet)],
    now: Timestamp,
) -> Option<Busy> {
    let me = session.id.as_str();
    if let Some(c) = claims
        .iter()
        .find(|c| c.session == me && !claim_expired(c, now) && open(&c.bead))
    {
        return Some(Busy::Claim {
            bead: c.bead.clone(),
        });
    }
    if let Some(bead) = session.telemetry.bead.as_deref().filter(|b| open(b)) {
        return Some(Busy::InHand { bead: bead.into() });
    }
    for (state, p) in queue {
        let kept_for_me = p.session.as_deref().is_none_or(|s| s == me);
        match state {
            State::Ready if kept_for_me => {
                return Some(Busy::Ready {
                    packet: p.id.clone(),
                });
            }
            State::InProgress
                if p.lease.as_ref().map_or(kept_for_me, |l| {
                    l.session.as_deref().is_none_or(|s| s == me)
                }) =>
            {
                return Some(Busy::InProgress {
                    packet: p.id.clone(),
                });
            }
            _ => {}
        }
    }
    None
}

/// What a tick decided for one session before any claim.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// The switch is off.
    Off,
    Busy(Busy),
    /// Dispatched at `last`; the next dispatch may come at `until`.
    RateLimited {
        last: Timestamp,
        until: Timestamp,
    },
    /// No candidate: the why-not summary.
    Nothing {
        why_not: String,
    },
    /// Recycle advised before `bead`, the best candidate.
    Recycle {
        bead: String,
    },
    /// The best candidate scores under the floor.
    BelowFloor {
        bead: String,
        score: f64,
        floor: f64,
    },
    /// Claim the first of these that can be won (best first, all at or
    /// above the floor).
    Claim {
        candidates: Vec<String>,
    },
}

impl Verdict {
    /// The outcome's name in the event and the report.
    pub fn outcome(&self) -> &'static str {
        match self {
            Verdict::Off => "off",
            Verdict::Busy(_) => "busy",
            Verdict::RateLimited { .. } => "rate_limited",
            Verdict::Nothing { .. } => "nothing",
            Verdict::Recycle { .. } => "recycle",
            Verdict::BelowFloor { .. } => "below_floor",
            Verdict::Claim { .. } => "dispatch",
        }
    }

    /// One line that says why.
    pub fn reason(&self, config: &DispatchConfig) -> String {
        match self {
            Verdict::Off => "dispatch is off (`gemba dispatch on`)".into(),
            Verdict::Busy(b) => b.line(),
            Verdict::RateLimited { last, until } => format!(
                "dispatched at {}: no other before {} (dispatch.min_interval {})",
                timestamp(*last),
                timestamp(*until),
                config.min_interval
            ),
            Verdict::Nothing { why_not } => format!("nothing to dispatch: {why_not}"),
            Verdict::Recycle { bead } => {
                format!("recycle advised before {bead}: a fresh session should take the next bead")
            }
            Verdict::BelowFloor { bead, score, floor } => format!(
                "best candidate {bead} scores {score:.3}, under the floor {floor:.3} (dispatch.floor)"
            ),
            Verdict::Claim { candidates } => {
                format!("claim the best of {}", candidates.join(", "))
            }
        }
    }
}

/// What [`gate`] weighs: everything before a selection is made.
#[derive(Debug, Clone)]
pub struct Gate<'a> {
    pub on: bool,
    pub busy: Option<Busy>,
    /// This session's last dispatch, if any is recent enough to matter.
    pub last_dispatch: Option<Timestamp>,
    pub config: &'a DispatchConfig,
    pub now: Timestamp,
}

/// The switch, idleness and the rate limit, in that order: `Some` stops
/// the session's decision there.
pub fn gate(g: Gate<'_>) -> Option<Verdict> {
    if !g.on {
        return Some(Verdict::Off);
    }
    if let Some(b) = g.busy {
        return Some(Verdict::Busy(b));
    }
    let until = g
        .last_dispatch
        .and_then(|last| Some((last, last.checked_add(g.config.min_interval.signed()).ok()?)));
    match until {
        Some((last, until)) if g.now < until => Some(Verdict::RateLimited { last, until }),
        _ => None,
    }
}

/// After the selection: recycle advice for the best candidate (`advice`,
/// computed for `selection.candidates[0]`), then the floor.
pub fn choose(selection: &Selection<'_>, advice: Option<&Advice>, floor: f64) -> Verdict {
    let Some(top) = selection.candidates.first() else {
        return Verdict::Nothing {
            why_not: selection.why_not(),
        };
    };
    if advice.is_some_and(|a| a.recycle) {
        return Verdict::Recycle {
            bead: top.id.to_string(),
        };
    }
    if top.score < floor {
        return Verdict::BelowFloor {
            bead: top.id.to_string(),
            score: top.score,
            floor,
        };
    }
    Verdict::Claim {
        candidates: selection
            .candidates
            .iter()
            .take_while(|c| c.score >= floor)
            .map(|c| c.id.to_string())
            .collect(),
    }
}

// ------------------------------------------------------------- records

/// A runner-up: id and score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alternative {
    pub id: String,
    pub score: f64,
}

/// One session's decision in a tick: the `dispatch.tick` event's
/// `data.sessions` entries, and the report's.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    pub session: String,
    pub agent: String,
    /// `dispatched`, `would_dispatch` (dry run), `off`, `busy`,
    /// `rate_limited`, `nothing`, `recycle`, `below_floor`, `lost` (every
    /// claim tried was lost) or `error`.
    pub outcome: &'static str,
    pub reason: String,
    /// The bead dispatched (or that would be), else the best candidate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bead: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub packet: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// The bead's score components and gates, one line each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub justification: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alternatives: Vec<Alternative>,
    /// Excluded beads per reason.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub excluded: BTreeMap<&'static str, usize>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tries: Vec<Try>,
    /// Candidates claimed by others since the store was read.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<String>,
    /// Recycle advice for the best candidate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advice: Option<Advice>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub busy: Option<Busy>,
    /// RFC 3339: the last dispatch the rate limit weighed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_dispatch: Option<String>,
    /// The digest of the snapshot read, and of it with every session,
    /// agent and claim (as `gemba next` records them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inputs: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl Entry {
    fn new(session: &str, agent: &str) -> Entry {
        Entry {
            session: session.into(),
            agent: agent.into(),
            outcome: "error",
            reason: String::new(),
            bead: None,
            packet: None,
            score: None,
            justification: Vec::new(),
            alternatives: Vec::new(),
            excluded: BTreeMap::new(),
            tries: Vec::new(),
            skipped: Vec::new(),
            advice: None,
            busy: None,
            last_dispatch: None,
            snapshot: None,
            inputs: None,
            warnings: Vec::new(),
        }
    }

    fn error(mut self, message: String) -> Entry {
        self.outcome = "error";
        self.reason = message;
        self
    }
}

/// What one tick did.
#[derive(Debug, Clone, Serialize)]
pub struct Tick {
    /// RFC 3339, UTC.
    pub at: String,
    /// The switch as the tick found it.
    pub on: bool,
    pub dry_run: bool,
    pub floor: f64,
    pub min_interval: Duration,
    /// One per live session, in id order (none when off).
    pub sessions: Vec<Entry>,
    /// The `dispatch.tick` event's id (none in a dry run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// Problems that undid nothing (auto-commits, remote fallbacks).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl Tick {
    /// Sessions per outcome.
    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        let mut out = BTreeMap::new();
        for e in &self.sessions {
            *out.entry(e.outcome).or_default() += 1;
        }
        out
    }

    /// Session → bead, for the sessions fed (or that would be).
    pub fn dispatched(&self) -> BTreeMap<&str, &str> {
        self.sessions
            .iter()
            .filter(|e| matches!(e.outcome, "dispatched" | "would_dispatch"))
            .filter_map(|e| Some((e.session.as_str(), e.bead.as_deref()?)))
            .collect()
    }

    /// `s-a → gm-1 (pk-x); 2 busy, 1 rate_limited`, or why nothing ran.
    pub fn summary(&self) -> String {
        if !self.on && !self.dry_run {
            return "off, nothing done".into();
        }
        if self.sessions.is_empty() {
            return "no live session".into();
        }
        let mut parts: Vec<String> = self
            .sessions
            .iter()
            .filter(|e| matches!(e.outcome, "dispatched" | "would_dispatch"))
            .map(|e| {
                format!(
                    "{} → {}{}",
                    e.session,
                    e.bead.as_deref().unwrap_or("?"),
                    e.packet
                        .as_deref()
                        .map(|p| format!(" ({p})"))
                        .unwrap_or_default()
                )
            })
            .collect();
        if parts.is_empty() {
            parts.push("nothing dispatched".into());
        }
        let rest: Vec<String> = self
            .counts()
            .into_iter()
            .filter(|(k, _)| !matches!(*k, "dispatched" | "would_dispatch"))
            .map(|(k, n)| format!("{n} {k}"))
            .collect();
        if rest.is_empty() {
            parts.join(", ")
        } else {
            format!("{}; {}", parts.join(", "), rest.join(", "))
        }
    }
}

// --------------------------------------------------------- the switch

/// The switch; off when `.gemba/dispatch.yaml` is missing. A malformed
/// file is an error naming its line and column.
pub fn read_switch(store: &Store) -> Result<DispatchSwitch> {
    let path = store.dispatch_path();
    if !path.exists() {
        return Ok(DispatchSwitch::default());
    }
    let switch: DispatchSwitch = store::read_yaml(&path)?;
    switch
        .validate()
        .map_err(|m| store::Error::from(ParseError::new(&path, 0, 0, m)))?;
    Ok(switch)
}

/// What [`set_switch`] did.
#[derive(Debug, Serialize)]
pub struct Switched {
    pub switch: DispatchSwitch,
    /// Whether it was on before.
    pub was: bool,
    /// Whether the file changed (switching to the state it is in, with
    /// no new reason, changes nothing and logs nothing).
    pub changed: bool,
    #[serde(skip)]
    pub finished: Finished,
}

/// Turn auto-dispatch on or off; logs `dispatch.switch`. No lock: `off`
/// must work while a tick runs (the tick reads the switch before every
/// session).
pub fn set_switch(
    store: &Store,
    enabled: bool,
    reason: Option<String>,
    actor: &str,
    now: Timestamp,
) -> Result<Switched> {
    let before = read_switch(store)?;
    let reason = reason
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    if before.enabled == enabled && (reason.is_none() || reason == before.reason) {
        return Ok(Switched {
            was: before.enabled,
            switch: before,
            changed: false,
            finished: Finished::default(),
        });
    }
    let switch = DispatchSwitch {
        enabled,
        changed_at: Some(timestamp(now)),
        changed_by: Some(actor.to_string()),
        reason: reason.clone(),
    };
    let mut tx = store.changes();
    tx.write_file(&store.dispatch_path(), switch.to_yaml().as_bytes())?;
    let word = if enabled { "on" } else { "off" };
    let message = match &reason {
        Some(r) => format!("dispatch {word}: {r}"),
        None => format!("dispatch {word}"),
    };
    let event = Event::new(now, actor, EventKind::DispatchSwitch, vec![], message)
        .with("enabled", enabled)
        .with("was", before.enabled)
        .with("reason", &reason);
    let finished = tx.finish(&[event])?;
    Ok(Switched {
        switch,
        was: before.enabled,
        changed: true,
        finished,
    })
}

// ------------------------------------------------------------- history

/// A past dispatch, from the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dispatched {
    pub at: Timestamp,
    pub bead: String,
}

/// What the log's `dispatch.tick` events say.
#[derive(Debug, Default)]
pub struct History {
    /// The newest tick (with `last_tick`).
    pub last_tick: Option<Event>,
    /// Each session's last dispatch at or after `since`.
    pub last_dispatch: BTreeMap<String, Dispatched>,
}

/// The last dispatch of every session at or after `since` (all without
/// it), and with `last_tick` the newest tick however old. Day files are
/// read newest first and only lines naming `dispatch.tick` are parsed, so
/// a tick reads little more than today's file; a malformed line is left
/// to `gemba check` and `gemba log`, which report it.
pub fn history(store: &Store, since: Option<Timestamp>, last_tick: bool) -> Result<History> {
    let since_day = since.map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date());
    let mut out = History::default();
    for path in log::files(store)?.iter().rev() {
        let older = match (since_day, log::file_day(path)) {
            (Some(s), Some(day)) => day < s,
            _ => false,
        };
        if older && (!last_tick || out.last_tick.is_some()) {
            break;
        }
        for event in ticks_in(path)? {
            let Some(at) = event.timestamp() else {
                continue;
            };
            if since.is_none_or(|s| at >= s)
                && let Some(Value::Object(map)) = event.data.get("dispatched")
            {
                for (session, bead) in map {
                    let Some(bead) = bead.as_str() else { continue };
                    let slot = out.last_dispatch.entry(session.clone());
                    let newer = |d: &Dispatched| at > d.at;
                    match slot {
                        std::collections::btree_map::Entry::Vacant(v) => {
                            v.insert(Dispatched {
                                at,
                                bead: bead.into(),
                            });
                        }
                        std::collections::btree_map::Entry::Occupied(mut o) if newer(o.get()) => {
                            o.insert(Dispatched {
                                at,
                                bead: bead.into(),
                            });
                        }
                        _ => {}
                    }
                }
            }
            if last_tick
                && out
                    .last_tick
                    .as_ref()
                    .is_none_or(|t| t.timestamp().is_none_or(|t| at >= t))
            {
                out.last_tick = Some(event);
            }
        }
    }
    Ok(out)
}

/// The `dispatch.tick` events of one log file, in file order.
fn ticks_in(path: &Path) -> Result<Vec<Event>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(store::Error::Io {
                path: path.to_path_buf(),
                source,
            }
            .into());
        }
    };
    let name = EventKind::DispatchTick.as_str();
    Ok(text
        .lines()
        .filter(|l| l.contains(name))
        .filter_map(|l| serde_json::from_str::<Event>(l).ok())
        .filter(|e| e.kind == EventKind::DispatchTick)
        .collect())
}

// ------------------------------------------------------------ the tick

/// Run one tick (see the module doc). With `dry_run` it decides as if the
/// switch were on, claims nothing, enqueues nothing and logs nothing (a
/// bead it would dispatch is taken as claimed for the sessions after).
/// Errors are those before any session is weighed (the lock, the switch,
/// the store); a session's own failure is its entry's `error` outcome.
pub fn tick(store: Store, dry_run: bool, actor: &str, now: Timestamp) -> Result<Tick> {
    let _lock = if dry_run {
        None
    } else {
        Some(store.lock(Scope::Dispatch)?)
    };
    let config = store.config().dispatch.clone();
    let on = read_switch(&store)?.enabled;
    let mut out = Tick {
        at: timestamp(now),
        on,
        dry_run,
        floor: config.floor,
        min_interval: config.min_interval,
        sessions: Vec::new(),
        event: None,
        warnings: Vec::new(),
    };
    if !on && !dry_run {
        // Nothing is read but the switch; the event says so.
        return finish_tick(out, &store, actor, now);
    }
    let since = now.checked_sub(config.min_interval.signed()).ok();
    let recent = history(&store, since, false)?.last_dispatch;
    let mut loaded = Loaded::load(store, now)?;
    let ids: Vec<String> = loaded
        .world
        .sessions
        .iter()
        .filter(|s| s.status == SessionStatus::Live)
        .map(|s| s.id.clone())
        .collect();
    for (n, id) in ids.iter().enumerate() {
        let agent_of = |loaded: &Loaded| {
            let agent = loaded.world.session(id).map(|(s, _)| s.agent.clone());
            agent.unwrap_or_default()
        };
        // The kill switch, again before every session but the first; a
        // switch that cannot be read counts as off.
        if n > 0 && !dry_run {
            let off = match read_switch(&loaded.store) {
                Ok(s) if s.enabled => None,
                Ok(_) => Some("dispatch was switched off during the tick".to_string()),
                Err(e) => Some(format!("the switch cannot be read ({e}): taken as off")),
            };
            if let Some(reason) = off {
                let mut e = Entry::new(id, &agent_of(&loaded));
                e.outcome = "off";
                e.reason = reason;
                out.sessions.push(e);
                continue;
            }
        }
        let (entry, won) = match loaded.snapshot.beads() {
            Ok(heads) => one(&loaded, &heads, id, &recent, dry_run, actor, now),
            Err(e) => (
                Entry::new(id, &agent_of(&loaded)).error(e.to_string()),
                None,
            ),
        };
        out.warnings.extend(entry.warnings.iter().cloned());
        out.sessions.push(entry);
        match won {
            // Held for the sessions after this one in the dry run.
            Some(claim) if dry_run => loaded.world.claims.push(claim),
            // Read again: the next session must see the new claim. If the
            // store cannot be read, stop here: what was done is logged.
            Some(_) => {
                if let Err(e) = loaded.reload(now) {
                    out.warnings.push(format!(
                        "the store cannot be read again after a dispatch ({e}): the tick stops here"
                    ));
                    break;
                }
            }
            None => {}
        }
    }
    finish_tick(out, &loaded.store, actor, now)
}

/// Log the tick's event (not in a dry run).
fn finish_tick(mut out: Tick, store: &Store, actor: &str, now: Timestamp) -> Result<Tick> {
    if out.dry_run {
        return Ok(out);
    }
    let dispatched: BTreeMap<String, String> = out
        .dispatched()
        .into_iter()
        .map(|(s, b)| (s.to_string(), b.to_string()))
        .collect();
    let beads: Vec<String> = dispatched.values().cloned().collect();
    let event = Event::new(
        now,
        actor,
        EventKind::DispatchTick,
        beads,
        format!("dispatch tick: {}", out.summary()),
    )
    .with("on", out.on)
    .with("floor", out.floor)
    .with("min_interval", out.min_interval)
    .with("dispatched", &dispatched)
    .with("counts", out.counts())
    .with("sessions", &out.sessions);
    let event = match out.warnings.is_empty() {
        true => event,
        false => event.with("warnings", &out.warnings),
    };
    out.event = Some(event.id.clone());
    // A tick that fed nobody changed nothing: its line waits for the next
    // commit (a tick every 30 s must not be a commit every 30 s).
    let finished = match dispatched.is_empty() {
        true => log::record_pending(store, &[event])?,
        false => log::record(store, &[event])?,
    };
    out.warnings.extend(finished.warnings);
    Ok(out)
}

/// One session's decision and, when it says so, the claim and the
/// enqueue. Returns the entry and the claim won (made up in a dry run).
fn one(
    loaded: &Loaded,
    heads: &[BeadHead<'_>],
    id: &str,
    recent: &BTreeMap<String, Dispatched>,
    dry_run: bool,
    actor: &str,
    now: Timestamp,
) -> (Entry, Option<Claim>) {
    let store = &loaded.store;
    let config = &store.config().dispatch;
    let (session, agent) = match loaded.world.session(id) {
        Ok(found) => found,
        Err(e) => {
            let agent = loaded
                .world
                .sessions
                .iter()
                .find(|s| s.id == id)
                .map(|s| s.agent.as_str())
                .unwrap_or_default();
            return (Entry::new(id, agent).error(e.to_string()), None);
        }
    };
    let mut entry = Entry::new(id, &agent.name);
    entry.snapshot = Some(loaded.snapshot.digest().to_string());
    entry.inputs = Some(loaded.world.digest.clone());
    let open = |bead: &str| {
        heads
            .binary_search_by(|b| b.id.cmp(bead))
            .is_ok_and(|i| !heads[i].is_done())
    };
    let queue = match queue::open_packets(store, &agent.name) {
        Ok(q) => q,
        Err(e) => {
            return (
                entry.error(format!("reading {}'s queue: {e}", agent.name)),
                None,
            );
        }
    };
    let last = recent.get(id).map(|d| d.at);
    entry.last_dispatch = last.map(timestamp);
    let gated = gate(Gate {
        on: true,
        busy: busy(session, &loaded.world.claims, &open, &queue, now),
        last_dispatch: last,
        config,
        now,
    });
    if let Some(verdict) = gated {
        entry.outcome = verdict.outcome();
        entry.reason = verdict.reason(config);
        if let Verdict::Busy(b) = verdict {
            entry.busy = Some(b);
        }
        return (entry, None);
    }

    let asking = Asking::new(loaded, heads, session, agent, now);
    let input = asking.input(loaded, heads, now);
    let mut selection = select::select(
        &input,
        &Options {
            explain: MAX_TRIES,
            reasons: false,
        },
    );
    let advice = selection
        .candidates
        .first()
        .map(|top| asking.advice(loaded, &selection, top));
    let verdict = choose(&selection, advice.as_ref(), config.floor);
    entry.excluded = selection.excluded_counts();
    entry.advice = advice;
    entry.reason = verdict.reason(config);
    let candidates = match verdict {
        Verdict::Claim { candidates } => candidates,
        other => {
            entry.outcome = other.outcome();
            if let Some(top) = selection.candidates.first() {
                describe(&mut entry, &selection, 0);
                entry.bead = Some(top.id.to_string());
            }
            return (entry, None);
        }
    };
    let ids: Vec<&str> = candidates.iter().map(String::as_str).collect();

    if dry_run {
        describe(&mut entry, &selection, 0);
        let top = &selection.candidates[0];
        entry.outcome = "would_dispatch";
        entry.bead = Some(top.id.to_string());
        entry.reason = format!(
            "would claim {} (score {:.3}) and enqueue it for {}",
            top.id, top.score, agent.name
        );
        let claim = Claim {
            bead: top.id.to_string(),
            session: id.to_string(),
            agent: agent.name.clone(),
            claimed_at: timestamp(now),
            lease_until: timestamp(now + store.config().claims.lease.signed()),
            remote: None,
        };
        return (entry, Some(claim));
    }

    let mut taken = take::take_first(store, &ids, loaded.snapshot.claims(), id, None, actor, now);
    entry.tries = taken.tries.clone();
    entry.skipped = taken.skipped.clone();
    if let Some(e) = taken.error.take() {
        describe(&mut entry, &selection, 0);
        return (entry.error(format!("claim failed: {e}")), None);
    }
    let Some((at, won)) = taken.won.take() else {
        describe(&mut entry, &selection, 0);
        entry.outcome = "lost";
        let lost: Vec<String> = taken
            .tries
            .iter()
            .map(|t| match &t.holder {
                Some(h) => format!("{} to {h}", t.bead),
                None => format!("{} ({})", t.bead, t.outcome),
            })
            .chain(
                taken
                    .skipped
                    .iter()
                    .map(|b| format!("{b} (claimed meanwhile)")),
            )
            .collect();
        entry.reason = format!("lost every race: {}", lost.join(", "));
        return (entry, None);
    };
    entry.warnings.extend(won.warnings.iter().cloned());
    entry.warnings.extend(won.finished.warnings.iter().cloned());
    // A claim won past the justified candidates: justify it too (the same
    // input ranks the same).
    if at >= MAX_TRIES {
        selection = select::select(
            &input,
            &Options {
                explain: at + 1,
                reasons: false,
            },
        );
    }
    describe(&mut entry, &selection, at);
    let bead = won.claim.bead.clone();
    entry.bead = Some(bead.clone());
    match enqueue(store, heads, &bead, &agent.name, id, actor, now) {
        Ok(enqueued) => {
            entry.outcome = "dispatched";
            entry.reason = format!(
                "claimed {bead} (score {:.3}) and enqueued {} for {}",
                entry.score.unwrap_or_default(),
                enqueued.packet.id,
                agent.name
            );
            entry.packet = Some(enqueued.packet.id.clone());
            entry.warnings.extend(enqueued.finished.warnings);
            (entry, Some(won.claim))
        }
        Err(e) => {
            // Nothing half-done: the claim goes too.
            let undo = match claims::release(store, &bead, Some(id), false, actor, now) {
                Ok(released) => {
                    entry.warnings.extend(released.finished.warnings);
                    format!("the claim on {bead} was released")
                }
                Err(r) => format!("releasing the claim on {bead} failed too: {r}"),
            };
            let message = format!("enqueue failed: {e}; {undo}");
            // The store changed (claim and release): read it again.
            (entry.error(message), Some(won.claim))
        }
    }
}

/// The entry's bead, score, justification and runners-up, for the
/// candidate at `at`.
fn describe(entry: &mut Entry, selection: &Selection<'_>, at: usize) {
    let Some(chosen) = selection.candidates.get(at) else {
        return;
    };
    entry.bead = Some(chosen.id.to_string());
    entry.score = Some(round(chosen.score));
    entry.justification = chosen.justification.clone();
    entry.alternatives = selection
        .candidates
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != at)
        .take(ALTERNATIVES)
        .map(|(_, c)| Alternative {
            id: c.id.to_string(),
            score: round(c.score),
        })
        .collect();
}

fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The packet for a dispatched bead: its spec from the bead, its priority,
/// kept for the session.
fn enqueue(
    store: &Store,
    heads: &[BeadHead<'_>],
    bead: &str,
    agent: &str,
    session: &str,
    actor: &str,
    now: Timestamp,
) -> queue::Result<queue::Enqueued> {
    let priority = heads
        .binary_search_by(|b| b.id.cmp(bead))
        .map(|i| heads[i].priority.min(MAX_PRIORITY))
        .unwrap_or(crate::model::packet::DEFAULT_PRIORITY);
    let spec = queue::spec_of_bead(store, bead)?;
    queue::enqueue(
        store,
        Enqueue {
            agent: agent.into(),
            id: None,
            bead: Some(bead.into()),
            spec,
            priority,
            after: Vec::new(),
            requires: None,
            stages: Vec::new(),
            session: Some(session.into()),
        },
        actor,
        now,
    )
}

// -------------------------------------------------------------- status

/// One live session as `gemba dispatch status` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct SessionRow {
    pub session: String,
    pub agent: String,
    pub idle: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub busy: Option<Busy>,
    /// RFC 3339: its last dispatch (since the session started).
    pub last_dispatch: Option<String>,
    /// The bead of that dispatch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bead: Option<String>,
    /// RFC 3339: when the rate limit lets the next dispatch through, if
    /// that is still ahead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_from: Option<String>,
}

/// The newest tick, from its event.
#[derive(Debug, Clone, Serialize)]
pub struct LastTick {
    pub event: String,
    pub at: String,
    pub message: String,
    pub on: bool,
    pub counts: Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// `enabled`, `changed_at`, `changed_by`, `reason`.
    #[serde(flatten)]
    pub switch: DispatchSwitch,
    pub config: DispatchConfig,
    pub last_tick: Option<LastTick>,
    pub sessions: Vec<SessionRow>,
}

/// The switch, the last tick, and every live session: idle or busy (as a
/// tick would judge it now), and its last dispatch.
pub fn status(store: Store, now: Timestamp) -> Result<Status> {
    let switch = read_switch(&store)?;
    let config = store.config().dispatch.clone();
    let loaded = Loaded::load(store, now)?;
    let live: Vec<&Session> = loaded
        .world
        .sessions
        .iter()
        .filter(|s| s.status == SessionStatus::Live)
        .collect();
    // A session is dispatched to only once it started.
    let since = live
        .iter()
        .filter_map(|s| s.started_at.parse::<Timestamp>().ok())
        .min();
    let history = history(&loaded.store, since.or(Some(now)), true)?;
    let heads = loaded.snapshot.beads()?;
    let open = |bead: &str| {
        heads
            .binary_search_by(|b| b.id.cmp(bead))
            .is_ok_and(|i| !heads[i].is_done())
    };
    let mut queues: BTreeMap<&str, Vec<(State, Packet)>> = BTreeMap::new();
    let mut sessions = Vec::new();
    for s in live {
        if !queues.contains_key(s.agent.as_str()) {
            let q = queue::open_packets(&loaded.store, &s.agent)?;
            queues.insert(&s.agent, q);
        }
        let busy = busy(
            s,
            &loaded.world.claims,
            &open,
            &queues[s.agent.as_str()],
            now,
        );
        let last = history.last_dispatch.get(&s.id);
        let next_from = last
            .and_then(|d| d.at.checked_add(config.min_interval.signed()).ok())
            .filter(|t| *t > now)
            .map(timestamp);
        sessions.push(SessionRow {
            session: s.id.clone(),
            agent: s.agent.clone(),
            idle: busy.is_none(),
            busy,
            last_dispatch: last.map(|d| timestamp(d.at)),
            bead: last.map(|d| d.bead.clone()),
            next_from,
        });
    }
    let last_tick = history.last_tick.map(|e| LastTick {
        on: e.data.get("on").and_then(Value::as_bool).unwrap_or(false),
        counts: e.data.get("counts").cloned().unwrap_or(Value::Null),
        event: e.id,
        at: e.at,
        message: e.message,
    });
    Ok(Status {
        switch,
        config,
        last_tick,
        sessions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::packet::Lease;
    use crate::model::{Agent, Band};
    use crate::plan::select::{Candidate, Excluded};
    use crate::profile::health::Rule;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    const NOW: &str = "2026-11-23T12:00:00Z";

    fn session(id: &str) -> Session {
        Session {
            id: id.into(),
            agent: "alice".into(),
            status: SessionStatus::Live,
            workspace: Default::default(),
            started_at: "2026-11-23T10:00:00Z".into(),
            ended_at: None,
            parent: None,
            telemetry: Default::default(),
            profile: Default::default(),
            intent: None,
        }
    }

    fn claim(bead: &str, session: &str, until: &str) -> Claim {
        Claim {
            bead: bead.into(),
            session: session.into(),
            agent: "alice".into(),
            claimed_at: "2026-11-23T11:00:00Z".into(),
            lease_until: until.into(),
            remote: None,
        }
    }

    fn packet(id: &str, kept_for: Option<&str>, leased_to: Option<Option<&str>>) -> Packet {
        Packet {
            session: kept_for.map(String::from),
            lease: leased_to.map(|s| Lease {
                session: s.map(String::from),
                taken_at: NOW.into(),
                until: "2026-11-23T14:00:00Z".into(),
                remote: None,
                batch: Vec::new(),
            }),
            created_at: NOW.into(),
            updated_at: NOW.into(),
            ..Packet::sample(id, "alice")
        }
    }

    #[test]
    fn idle_means_no_open_claim_no_bead_in_hand_and_no_queued_work_for_it() {
        let me = session("s-me");
        let now = at(NOW);
        let open = |b: &str| b != "closed-1";
        let idle =
            |claims: &[Claim], queue: &[(State, Packet)]| busy(&me, claims, &open, queue, now);
        assert_eq!(idle(&[], &[]), None);
        let live = claim("b-1", "s-me", "2026-11-23T13:00:00Z");
        assert_eq!(idle(&[live], &[]), Some(Busy::Claim { bead: "b-1".into() }));
        // Expired, on a closed bead, or someone else's: not held.
        for c in [
            claim("b-1", "s-me", "2026-11-23T12:00:00Z"),
            claim("closed-1", "s-me", "2026-11-23T13:00:00Z"),
            claim("b-1", "s-other", "2026-11-23T13:00:00Z"),
        ] {
            assert_eq!(idle(std::slice::from_ref(&c), &[]), None, "{c:?}");
        }
        // The bead in hand counts while it is open, whatever its claim says.
        let mut holding = session("s-me");
        holding.telemetry.bead = Some("b-2".into());
        assert_eq!(
            busy(&holding, &[], &open, &[], now),
            Some(Busy::InHand { bead: "b-2".into() })
        );
        holding.telemetry.bead = Some("closed-1".into());
        assert_eq!(busy(&holding, &[], &open, &[], now), None);
        // Ready work for it: kept for it, or for no session.
        for p in [
            packet("pk-1", None, None),
            packet("pk-1", Some("s-me"), None),
        ] {
            assert_eq!(
                idle(&[], &[(State::Ready, p)]),
                Some(Busy::Ready {
                    packet: "pk-1".into()
                })
            );
        }
        assert_eq!(
            idle(
                &[],
                &[(State::Ready, packet("pk-1", Some("s-other"), None))]
            ),
            None
        );
        // In progress for it: leased to it, or to no session.
        for lease in [Some("s-me"), None] {
            assert_eq!(
                idle(
                    &[],
                    &[(State::InProgress, packet("pk-2", None, Some(lease)))]
                ),
                Some(Busy::InProgress {
                    packet: "pk-2".into()
                }),
                "{lease:?}"
            );
        }
        assert_eq!(
            idle(
                &[],
                &[(
                    State::InProgress,
                    packet("pk-2", None, Some(Some("s-other")))
                )]
            ),
            None
        );
    }

    #[test]
    fn the_gate_weighs_the_switch_then_idleness_then_the_rate_limit() {
        let config = DispatchConfig::default();
        let now = at(NOW);
        let g = |on: bool, busy: Option<Busy>, last: Option<&str>| {
            gate(Gate {
                on,
                busy,
                last_dispatch: last.map(at),
                config: &config,
                now,
            })
        };
        let claimed = Some(Busy::Claim { bead: "b".into() });
        assert_eq!(g(false, claimed.clone(), Some(NOW)), Some(Verdict::Off));
        assert_eq!(
            g(true, claimed.clone(), Some(NOW)),
            Some(Verdict::Busy(Busy::Claim { bead: "b".into() }))
        );
        assert_eq!(
            g(true, None, Some("2026-11-23T11:55:01Z")),
            Some(Verdict::RateLimited {
                last: at("2026-11-23T11:55:01Z"),
                until: at("2026-11-23T12:00:01Z"),
            })
        );
        // Exactly min_interval later, and never dispatched: through.
        assert_eq!(g(true, None, Some("2026-11-23T11:55:00Z")), None);
        assert_eq!(g(true, None, None), None);
        let reason = g(true, None, Some("2026-11-23T11:58:00Z"))
            .unwrap()
            .reason(&config);
        assert!(
            reason.contains("no other before 2026-11-23T12:03:00Z"),
            "{reason}"
        );
    }

    fn candidate(id: &str, score: f64) -> Candidate<'_> {
        Candidate {
            id,
            priority: 2,
            score,
            affinity: score,
            leverage: 0.0,
            justification: vec![format!("final score {score:.3}")],
            reason: String::new(),
        }
    }

    fn advice(recycle: bool) -> Advice {
        Advice {
            recycle,
            rules: if recycle {
                vec![Rule::Pressure]
            } else {
                vec![]
            },
            after_current_bead: false,
            justification: vec!["pressure ...".into()],
        }
    }

    #[test]
    fn recycle_advice_comes_before_the_floor_and_the_floor_bounds_the_tries() {
        let empty = Selection {
            ready: 2,
            candidates: vec![],
            excluded: vec![Excluded {
                id: "b-1",
                reason: "claimed",
                why: "claimed by s-x".into(),
            }],
        };
        assert_eq!(
            choose(&empty, None, 0.5),
            Verdict::Nothing {
                why_not: "0/2 eligible: 1 claimed".into()
            }
        );
        let some = Selection {
            ready: 3,
            candidates: vec![
                candidate("b-1", 0.9),
                candidate("b-2", 0.5),
                candidate("b-3", 0.49),
            ],
            excluded: vec![],
        };
        assert_eq!(
            choose(&some, Some(&advice(true)), 0.5),
            Verdict::Recycle { bead: "b-1".into() }
        );
        assert_eq!(
            choose(&some, Some(&advice(false)), 0.5),
            Verdict::Claim {
                candidates: vec!["b-1".into(), "b-2".into()]
            }
        );
        assert_eq!(
            choose(&some, None, 0.95),
            Verdict::BelowFloor {
                bead: "b-1".into(),
                score: 0.9,
                floor: 0.95
            }
        );
    }

    /// A store with live sessions `s-alice` and `s-bob` (agents alice,
    /// bob), open beads `b-1`, `b-2`, and a floor of 0 (fresh sessions
    /// score low).
    fn store() -> (tempfile::TempDir, Store) {
        let (dir, store) = crate::dispatch::claims::tests::setup(&["alice", "bob"]);
        let mut tx = store.changes();
        for name in ["alice", "bob"] {
            let agent = Agent {
                name: name.into(),
                roles: vec![],
                max_band: Band::Skilled,
                cost_tier: Default::default(),
                tools: vec![],
                model: None,
                context_window: Some(100_000),
                created_at: "2026-11-23T10:00:00Z".into(),
                profile: Default::default(),
            };
            tx.write_all(&[(name, &agent)]).unwrap();
        }
        drop(tx);
        let config = store.config_path();
        let text = std::fs::read_to_string(&config).unwrap();
        std::fs::write(&config, text.replace("  floor: 0.5", "  floor: 0")).unwrap();
        let store = Store::open(store.root(), store.worktree().map(Path::to_path_buf)).unwrap();
        assert_eq!(store.config().dispatch.floor, 0.0);
        (dir, store)
    }

    #[test]
    fn a_bead_claimed_after_the_read_is_passed_over_for_the_next() {
        let (_dir, store) = store();
        let now = at(NOW);
        let loaded = Loaded::load(store, now).unwrap();
        // Bob claims b-1 between alice's read and her claim.
        let bob = claims::claim(&loaded.store, "b-1", "s-bob", None, "t", now).unwrap();
        assert!(matches!(bob, claims::Claimed::Won(_)));
        let heads = loaded.snapshot.beads().unwrap();
        let (entry, won) = one(
            &loaded,
            &heads,
            "s-alice",
            &BTreeMap::new(),
            false,
            "t",
            now,
        );
        assert_eq!(entry.outcome, "dispatched", "{entry:#?}");
        assert_eq!(entry.bead.as_deref(), Some("b-2"));
        assert_eq!(entry.skipped, ["b-1"]);
        assert_eq!(won.unwrap().bead, "b-2");
        // The packet is in alice's queue, kept for s-alice.
        let queued = queue::open_packets(&loaded.store, "alice").unwrap();
        assert_eq!(queued.len(), 1);
        let (state, p) = &queued[0];
        assert_eq!(*state, State::Ready);
        assert_eq!(p.id.as_str(), entry.packet.as_deref().unwrap());
        assert_eq!(
            (p.bead.as_deref(), p.session.as_deref()),
            (Some("b-2"), Some("s-alice"))
        );
        // Another session of alice's agent would not take it.
        let other = queue::take(
            &loaded.store,
            &queue::Take {
                agent: "alice".into(),
                session: Some("s-alice-2".into()),
                batch: 1,
                lease: None,
            },
            "t",
            now,
        )
        .unwrap();
        assert!(other.packets.is_empty());
    }

    #[test]
    fn a_failed_enqueue_releases_the_claim() {
        let (_dir, store) = store();
        let now = at(NOW);
        let loaded = Loaded::load(store, now).unwrap();
        // The agent vanishes after the read: the enqueue fails.
        std::fs::remove_file(
            loaded
                .store
                .path(&crate::store::kind::AGENTS, "alice")
                .unwrap(),
        )
        .unwrap();
        let heads = loaded.snapshot.beads().unwrap();
        let (entry, _) = one(
            &loaded,
            &heads,
            "s-alice",
            &BTreeMap::new(),
            false,
            "t",
            now,
        );
        assert_eq!(entry.outcome, "error");
        assert!(entry.reason.contains("enqueue failed"), "{}", entry.reason);
        assert!(entry.reason.contains("released"), "{}", entry.reason);
        let claims = crate::store::snapshot::Claims::load(&loaded.store)
            .unwrap()
            .merged();
        assert!(claims.is_empty(), "{claims:?}");
        assert_eq!(loaded.store.read_bead("b-1").unwrap().status, "open");
    }

    #[test]
    fn a_tick_feeds_each_idle_session_once_and_logs_every_decision() {
        let (_dir, store) = store();
        let now = at(NOW);
        let root = store.root().to_path_buf();
        let wt = store.worktree().map(Path::to_path_buf);
        let reopen = || Store::open(&root, wt.clone()).unwrap();
        // Off: nothing but the event.
        let t = tick(reopen(), false, "t", now).unwrap();
        assert!(!t.on && t.sessions.is_empty() && t.event.is_some());
        assert!(queue::open_packets(&reopen(), "alice").unwrap().is_empty());
        set_switch(&reopen(), true, None, "t", now).unwrap();
        // A dry run says what it would do, and does nothing.
        let dry = tick(reopen(), true, "t", now).unwrap();
        assert_eq!(dry.dispatched().len(), 2, "{dry:#?}");
        assert!(queue::open_packets(&reopen(), "alice").unwrap().is_empty());
        let t = tick(reopen(), false, "t", now).unwrap();
        let fed = t.dispatched();
        assert_eq!(fed.len(), 2, "{t:#?}");
        assert_ne!(fed["s-alice"], fed["s-bob"]);
        assert_eq!(fed, dry.dispatched());
        // Both busy now; and once the beads are closed, rate-limited.
        let t = tick(reopen(), false, "t", now).unwrap();
        assert_eq!(t.counts(), BTreeMap::from([("busy", 2)]));
        let store = reopen();
        for s in ["s-alice", "s-bob"] {
            let p = queue::take(
                &store,
                &queue::Take {
                    agent: s.trim_start_matches("s-").into(),
                    session: Some(s.into()),
                    batch: 1,
                    lease: None,
                },
                "t",
                now,
            )
            .unwrap();
            queue::done(&store, &p.packets[0].id, None, Some(s), "t", now).unwrap();
        }
        for b in ["b-1", "b-2"] {
            let mut tx = store.changes();
            let (_, ev) = crate::beads::close(&mut tx, b, None, "t", now).unwrap();
            let _ = tx.finish(&ev.into_iter().collect::<Vec<_>>()).unwrap();
        }
        let later = now + jiff::SignedDuration::from_secs(60);
        let t = tick(reopen(), false, "t", later).unwrap();
        assert_eq!(t.counts(), BTreeMap::from([("rate_limited", 2)]), "{t:#?}");
        let after = now + jiff::SignedDuration::from_secs(5 * 60);
        let t = tick(reopen(), false, "t", after).unwrap();
        assert_eq!(t.counts(), BTreeMap::from([("nothing", 2)]), "{t:#?}");
        // One event per tick (dry runs log nothing), and the history reads
        // the dispatches back.
        let h = history(&reopen(), None, true).unwrap();
        assert_eq!(h.last_dispatch.len(), 2);
        assert_eq!(h.last_tick.unwrap().id, t.event.unwrap());
        let (events, _) = log::read(&reopen(), None).unwrap();
        let ticks = events
            .iter()
            .filter(|e| e.kind == EventKind::DispatchTick)
            .count();
        assert_eq!(ticks, 5);
    }
}
