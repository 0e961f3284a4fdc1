//! `gemba queue status`: per agent, what its queue holds, how busy it was
//! over a window, how long it has been idle, and whether it is
//! **STARVING**. The pure core ([`summarize`], [`busy_intervals`],
//! [`busy_time`]) works on a frozen [`Input`]; [`status`] is the I/O edge.
//!
//! **Agents**: every agent file in `.gemba/agents/`, plus any queue
//! directory without one (shown as unknown: it fits nothing).
//!
//! **Utilization** = busy time / wall time over the window
//! `[now - window, now]`, where busy is the union of the intervals during
//! which the agent had a packet in progress. The intervals come from the
//! event log, not from packet files: a packet forgets when it was taken
//! once it is done (its lease is cleared), while the log keeps every take
//! and finish, append-only, merged across clones.
//! - `queue.take` opens an interval for its packet;
//! - `queue.done` or `queue.fail` closes it; `queue.recover` closes it
//!   when its lease ran out (the agent held the packet until then), or at
//!   the recover if that came first;
//! - a close whose take is before the window opens at the window's start;
//! - a packet in progress now is open until now, from its take (or its
//!   lease's `taken_at` when the take is before the window);
//! - a take whose packet is no longer in progress and whose close is not
//!   in the log (not merged here yet) is left out: its end is unknown.
//!
//! Overlapping intervals (a batch take) count once.
//!
//! **Done** and **failed** count the window's `queue.done` events that
//! finished a packet (a stage that hands on to the next is not counted)
//! and its `queue.fail` events (each failed attempt).
//!
//! **Idle since**: nothing in progress since the end of its last busy
//! interval in the window; else since the agent was created, when that is
//! in the window; else `null`: idle all window long.
//!
//! **STARVING**: a known agent with nothing in progress and nothing ready
//! in its own queue, while ready work it could do waits elsewhere:
//! - a ready packet in another agent's queue that it fits (no `requires`,
//!   or `requires` among its roles or tools) and that no packet in
//!   progress holds back (overlapping targets: nobody could take it now);
//! - a ready bead (bd's rule) that nobody has claimed (an unexpired
//!   claim), that no queued packet carries yet, and that it fits (band,
//!   tools, roles: [`crate::plan::fit`]).
//!
//! An agent with ready packets of its own is `ready`, not idle, even when
//! those are held back: its trouble is a conflict, not a lack of supply.

use std::collections::{BTreeMap, BTreeSet};

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use super::{Result, State, dag, locate_all, read_at};
use crate::format::ParseError;
use crate::model::duration::Duration;
use crate::model::{Agent, Event, EventKind, Packet, timestamp};
use crate::plan::fit::{self, Needs};
use crate::store::Store;
use crate::store::log::Finished;
use crate::store::snapshot::{Parts, Snapshot};

/// How many packets and beads a starving agent's report (and event) lists;
/// the totals are always given.
pub const LISTED: usize = 10;

/// A span of busy time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Interval {
    pub start: Timestamp,
    pub end: Timestamp,
}

/// The length of the union of `intervals`, each clipped to `[from, to]`.
pub fn busy_time(intervals: &[Interval], from: Timestamp, to: Timestamp) -> SignedDuration {
    let mut clipped: Vec<(Timestamp, Timestamp)> = intervals
        .iter()
        .map(|i| (i.start.max(from), i.end.min(to)))
        .filter(|(s, e)| s < e)
        .collect();
    clipped.sort();
    let mut total = SignedDuration::ZERO;
    let mut current: Option<(Timestamp, Timestamp)> = None;
    for (s, e) in clipped {
        current = match current {
            Some((cs, ce)) if s <= ce => Some((cs, ce.max(e))),
            Some((cs, ce)) => {
                total += ce.duration_since(cs);
                Some((s, e))
            }
            None => Some((s, e)),
        };
    }
    if let Some((cs, ce)) = current {
        total += ce.duration_since(cs);
    }
    total
}

/// Busy time over wall time in `[from, to]`, in `[0, 1]`; 0 for an empty
/// window.
pub fn utilization(intervals: &[Interval], from: Timestamp, to: Timestamp) -> f64 {
    let wall = to.duration_since(from).as_secs_f64();
    if wall <= 0.0 {
        return 0.0;
    }
    (busy_time(intervals, from, to).as_secs_f64() / wall).clamp(0.0, 1.0)
}

fn text<'e>(value: &'e serde_json::Value, key: &str) -> Option<&'e str> {
    value.get(key).and_then(serde_json::Value::as_str)
}

/// Every agent's busy intervals in `[from, now]` from the queue events
/// (time-ordered) and the packets in progress now (see the module doc).
pub fn busy_intervals(
    events: &[Event],
    in_progress: &[&Packet],
    from: Timestamp,
    now: Timestamp,
) -> BTreeMap<String, Vec<Interval>> {
    let mut out: BTreeMap<String, Vec<Interval>> = BTreeMap::new();
    // Packet id -> (agent, start).
    let mut open: BTreeMap<String, (String, Timestamp)> = BTreeMap::new();
    let close = |out: &mut BTreeMap<String, Vec<Interval>>,
                 open: &mut BTreeMap<String, (String, Timestamp)>,
                 packet: &str,
                 agent: &str,
                 end: Timestamp| {
        let start = match open.remove(packet) {
            Some((_, start)) => start,
            None => from,
        };
        if start < end {
            out.entry(agent.to_string())
                .or_default()
                .push(Interval { start, end });
        }
    };
    for event in events {
        let Some(at) = event.timestamp().filter(|t| *t >= from && *t <= now) else {
            continue;
        };
        let field = |key: &str| event.data.get(key).and_then(serde_json::Value::as_str);
        match event.kind {
            EventKind::QueueTake => {
                if let (Some(packet), Some(agent)) = (field("packet"), field("agent")) {
                    open.insert(packet.to_string(), (agent.to_string(), at));
                }
            }
            EventKind::QueueDone | EventKind::QueueFail => {
                if let (Some(packet), Some(agent)) = (field("packet"), field("agent")) {
                    close(&mut out, &mut open, packet, agent, at);
                }
            }
            EventKind::QueueRecover => {
                for r in event
                    .data
                    .get("packets")
                    .and_then(serde_json::Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let (Some(packet), Some(agent)) = (text(r, "packet"), text(r, "agent")) else {
                        continue;
                    };
                    let lease_end = r
                        .get("lease")
                        .and_then(|l| text(l, "until"))
                        .and_then(|u| u.parse::<Timestamp>().ok());
                    let end = lease_end.map_or(at, |u| u.min(at));
                    close(&mut out, &mut open, packet, agent, end);
                }
            }
            _ => {}
        }
    }
    for p in in_progress {
        let start = match open.remove(&p.id) {
            Some((_, start)) => start,
            None => p
                .lease
                .as_ref()
                .and_then(|l| l.taken_at.parse::<Timestamp>().ok())
                .unwrap_or(from)
                .max(from),
        };
        if start < now {
            out.entry(p.agent.clone())
                .or_default()
                .push(Interval { start, end: now });
        }
    }
    for intervals in out.values_mut() {
        intervals.sort();
    }
    out
}

/// Whether `agent` could do `packet`: its `requires` and its stage's
/// role ([`super::fit`], the rule take and reroute use).
pub fn packet_fits(packet: &Packet, stage_roles: &BTreeMap<String, String>, agent: &Agent) -> bool {
    super::fit::why_not(&super::fit::Needs::of(packet, stage_roles), agent).is_none()
}

/// A queued packet as status sees it: the queue it is in and its state.
#[derive(Debug, Clone)]
pub struct Queued {
    /// The queue (directory) it is in.
    pub agent: String,
    pub state: State,
    pub packet: Packet,
}

/// A ready bead nobody has claimed or queued, with what it needs.
#[derive(Debug, Clone)]
pub struct ReadyBead<'a> {
    pub id: String,
    pub needs: Needs<'a>,
}

/// Everything [`summarize`] reads: no clock, no files.
#[derive(Debug)]
pub struct Input<'a> {
    pub now: Timestamp,
    pub window: Duration,
    /// Every agent file, by name.
    pub agents: &'a BTreeMap<String, Agent>,
    /// Agents with a queue directory (known or not).
    pub queue_agents: &'a [String],
    /// Every packet that is ready, blocked or in progress.
    pub packets: &'a [Queued],
    /// The queue events of the window, time-ordered (may be empty: then
    /// the busy figures are only what is in progress now).
    pub events: &'a [Event],
    /// Ready beads nobody has claimed or queued.
    pub beads: &'a [ReadyBead<'a>],
    /// `queue.stage_roles`: which role does a stage.
    pub stage_roles: &'a BTreeMap<String, String>,
}

impl Input<'_> {
    pub fn from(&self) -> Timestamp {
        self.now - self.window.signed()
    }
}

/// What an agent is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Activity {
    /// A packet in progress.
    Busy,
    /// Nothing in progress, ready packets in its own queue.
    Ready,
    /// Nothing in progress or ready, and no ready work it fits anywhere.
    Idle,
    /// Nothing in progress or ready, while ready work it fits waits.
    Starving,
}

impl Activity {
    pub fn as_str(self) -> &'static str {
        match self {
            Activity::Busy => "busy",
            Activity::Ready => "ready",
            Activity::Idle => "idle",
            Activity::Starving => "STARVING",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InProgress {
    pub packet: String,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// When it was taken (RFC 3339), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// Seconds since then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub age_secs: Option<i64>,
}

/// The ready work a starving agent could do.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Waiting {
    /// Ready packets in other agents' queues that it fits (the first
    /// [`LISTED`]).
    pub packets: Vec<WaitingPacket>,
    pub packets_total: usize,
    /// Ready, unclaimed, unqueued beads that it fits (the first [`LISTED`]).
    pub beads: Vec<String>,
    pub beads_total: usize,
    /// Starving since (RFC 3339): when this was first seen (filled in
    /// by [`status`] from the transition memory).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WaitingPacket {
    pub packet: String,
    /// Whose queue it is in.
    pub agent: String,
    pub title: String,
}

impl Waiting {
    /// `2 ready packets (pk-1 in alice's queue, ...) and 1 ready bead (gm-a1)`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.packets_total > 0 {
            let listed: Vec<String> = self
                .packets
                .iter()
                .take(3)
                .map(|p| format!("{} in {}'s queue", p.packet, p.agent))
                .collect();
            parts.push(format!(
                "{} ready packet{} ({}{})",
                self.packets_total,
                plural(self.packets_total),
                listed.join(", "),
                more(self.packets_total, listed.len())
            ));
        }
        if self.beads_total > 0 {
            let listed: Vec<&str> = self.beads.iter().take(3).map(String::as_str).collect();
            parts.push(format!(
                "{} ready bead{} ({}{})",
                self.beads_total,
                plural(self.beads_total),
                listed.join(", "),
                more(self.beads_total, listed.len())
            ));
        }
        parts.join(" and ")
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn more(total: usize, listed: usize) -> String {
    if total > listed {
        format!(", +{} more", total - listed)
    } else {
        String::new()
    }
}

/// One agent's line of `gemba queue status`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgentStatus {
    pub agent: String,
    /// It has an agent file (a queue directory without one fits nothing).
    pub known: bool,
    pub activity: Activity,
    pub ready: usize,
    pub blocked: usize,
    pub in_progress: Vec<InProgress>,
    /// Packets finished in the window.
    pub done: usize,
    /// Failed attempts in the window.
    pub failed: usize,
    /// Busy seconds in the window.
    pub busy_secs: i64,
    /// Busy time / wall time over the window, 0 to 1.
    pub utilization: f64,
    /// Idle since (RFC 3339); `null` while busy, or when idle all window.
    pub idle_since: Option<String>,
    /// The work it could do, when starving.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub starving: Option<Waiting>,
}

/// Every agent's status, by name. Pure.
pub fn summarize(input: &Input<'_>) -> Vec<AgentStatus> {
    let from = input.from();
    let now = input.now;
    let names: BTreeSet<&str> = input
        .agents
        .keys()
        .map(String::as_str)
        .chain(input.queue_agents.iter().map(String::as_str))
        .collect();
    let in_progress: Vec<&Packet> = input
        .packets
        .iter()
        .filter(|q| q.state == State::InProgress)
        .map(|q| &q.packet)
        .collect();
    let intervals = busy_intervals(input.events, &in_progress, from, now);
    // Ready packets nobody is held back from taking, by the queue they are in.
    let takeable: Vec<&Queued> = input
        .packets
        .iter()
        .filter(|q| q.state == State::Ready)
        .filter(|q| dag::held_back_by(&q.packet, in_progress.iter().copied()).is_none())
        .collect();
    let mut done: BTreeMap<&str, usize> = BTreeMap::new();
    let mut failed: BTreeMap<&str, usize> = BTreeMap::new();
    for e in input.events {
        if !e.timestamp().is_some_and(|t| t >= from && t <= now) {
            continue;
        }
        let agent = e.data.get("agent").and_then(|a| a.as_str());
        let state = e.data.get("state").and_then(|s| s.as_str());
        match (&e.kind, agent) {
            (EventKind::QueueDone, Some(a)) if state == Some(State::Done.dir()) => {
                *done.entry(a).or_default() += 1
            }
            (EventKind::QueueFail, Some(a)) => *failed.entry(a).or_default() += 1,
            _ => {}
        }
    }

    let mut out = Vec::new();
    for name in names {
        let agent = input.agents.get(name);
        let mine = |state: State| {
            input
                .packets
                .iter()
                .filter(move |q| q.agent == name && q.state == state)
        };
        let ready = mine(State::Ready).count();
        let blocked = mine(State::Blocked).count();
        let working: Vec<InProgress> = mine(State::InProgress)
            .map(|q| {
                let since = q
                    .packet
                    .lease
                    .as_ref()
                    .and_then(|l| l.taken_at.parse::<Timestamp>().ok());
                InProgress {
                    packet: q.packet.id.clone(),
                    title: q.packet.spec.title.clone(),
                    session: q.packet.lease.as_ref().and_then(|l| l.session.clone()),
                    since: since.map(timestamp),
                    age_secs: since.map(|s| now.duration_since(s).as_secs().max(0)),
                }
            })
            .collect();
        let spans = intervals.get(name).map(Vec::as_slice).unwrap_or_default();
        let busy = busy_time(spans, from, now);
        let idle_since = if working.is_empty() {
            spans
                .iter()
                .map(|i| i.end.min(now))
                .max()
                .or_else(|| {
                    agent
                        .and_then(|a| a.created_at.parse::<Timestamp>().ok())
                        .filter(|c| *c >= from && *c <= now)
                })
                .map(timestamp)
        } else {
            None
        };
        let starving = match agent {
            Some(a) if working.is_empty() && ready == 0 => {
                let packets: Vec<WaitingPacket> = takeable
                    .iter()
                    .filter(|q| q.agent != name && packet_fits(&q.packet, input.stage_roles, a))
                    .map(|q| WaitingPacket {
                        packet: q.packet.id.clone(),
                        agent: q.agent.clone(),
                        title: q.packet.spec.title.clone(),
                    })
                    .collect();
                let beads: Vec<String> = input
                    .beads
                    .iter()
                    .filter(|b| fit::fits(&b.needs, a))
                    .map(|b| b.id.clone())
                    .collect();
                (!packets.is_empty() || !beads.is_empty()).then(|| Waiting {
                    packets_total: packets.len(),
                    packets: packets.into_iter().take(LISTED).collect(),
                    beads_total: beads.len(),
                    beads: beads.into_iter().take(LISTED).collect(),
                    since: None,
                })
            }
            _ => None,
        };
        let activity = if !working.is_empty() {
            Activity::Busy
        } else if ready > 0 {
            Activity::Ready
        } else if starving.is_some() {
            Activity::Starving
        } else {
            Activity::Idle
        };
        out.push(AgentStatus {
            agent: name.to_string(),
            known: agent.is_some(),
            activity,
            ready,
            blocked,
            in_progress: working,
            done: done.get(name).copied().unwrap_or(0),
            failed: failed.get(name).copied().unwrap_or(0),
            busy_secs: busy.as_secs(),
            // Four places: stable JSON, finer than any table shows.
            utilization: (utilization(spans, from, now) * 10_000.0).round() / 10_000.0,
            idle_since,
            starving,
        });
    }
    out
}

// ------------------------------------------------------------- the edge

/// `gemba queue status`'s answer.
#[derive(Debug, Serialize)]
pub struct Report {
    /// RFC 3339.
    pub now: String,
    /// `24h`.
    pub window: String,
    /// The window's start (RFC 3339).
    pub from: String,
    pub agents: Vec<AgentStatus>,
    /// Agents that became starving with this call (a `queue.starving`
    /// event each).
    pub newly_starving: Vec<String>,
    /// Malformed log lines met (skipped).
    #[serde(skip)]
    pub problems: Vec<ParseError>,
    #[serde(skip)]
    pub finished: Finished,
}

/// What the queues hold: every agent file, the queue directories, and the
/// packets that are ready, blocked or in progress.
pub(super) struct Queues {
    pub agents: BTreeMap<String, Agent>,
    pub queue_agents: Vec<String>,
    pub packets: Vec<Queued>,
}

pub(super) fn load_queues(store: &Store) -> Result<Queues> {
    let agents: BTreeMap<String, Agent> = store.load_all::<Agent>()?.into_iter().collect();
    let queue_agents = store.queue_agents()?;
    let mut packets = Vec::new();
    for (id, loc) in locate_all(store)? {
        if !matches!(loc.state, State::Ready | State::Blocked | State::InProgress) {
            continue;
        }
        // Gone meanwhile (taken, finished): the next look will see it.
        if let Some(packet) = read_at(&loc.path, &id)? {
            packets.push(Queued {
                agent: loc.agent,
                state: loc.state,
                packet,
            });
        }
    }
    Ok(Queues {
        agents,
        queue_agents,
        packets,
    })
}

/// Whether some known agent has nothing in progress and nothing ready:
/// only then are the beads worth reading.
fn anyone_idle(q: &Queues) -> bool {
    q.agents.keys().any(|name| {
        !q.packets
            .iter()
            .any(|p| &p.agent == name && matches!(p.state, State::Ready | State::InProgress))
    })
}

/// The ready beads nobody has claimed (unexpired) or queued, with their
/// needs, from `snapshot` (loaded with enrichment).
pub(super) fn ready_beads<'s>(
    store: &Store,
    snapshot: &'s Snapshot,
    now: Timestamp,
) -> Result<Vec<ReadyBead<'s>>> {
    let (ready, _) = crate::beads::ready::ready(store, snapshot, now, false)?;
    // Live packets, and done ones whose bead awaits its close.
    let queued = super::queued_beads(store)?;
    let claims = snapshot.claims();
    let mut out = Vec::new();
    for id in &ready.ids {
        if queued.contains_key(id) || claims.get(id).is_some_and(|c| !c.expired(now)) {
            continue;
        }
        let Some(head) = snapshot.bead(id)? else {
            continue;
        };
        out.push(ReadyBead {
            id: id.clone(),
            needs: Needs::of(&head, snapshot.enrichments().get(id)),
        });
    }
    Ok(out)
}

/// The ready beads an idle agent might fit: read only when some agent is
/// idle (most calls, in a busy fleet, read no bead at all).
fn beads_if_needed<'s>(
    store: &Store,
    q: &Queues,
    now: Timestamp,
    slot: &'s mut Option<Snapshot>,
) -> Result<Vec<ReadyBead<'s>>> {
    if !anyone_idle(q) {
        return Ok(Vec::new());
    }
    let snapshot = slot.insert(Snapshot::load(store, Parts::ALL)?);
    ready_beads(store, snapshot, now)
}

/// The statuses at `now` without the log (so without utilization, done
/// and failed): what [`super::starving::check`] needs, cheaply.
pub(super) fn current(store: &Store, now: Timestamp) -> Result<Vec<AgentStatus>> {
    let q = load_queues(store)?;
    let mut snapshot = None;
    let beads = beads_if_needed(store, &q, now, &mut snapshot)?;
    Ok(summarize(&Input {
        now,
        // No events, so no window to speak of: starving does not use it.
        window: Duration::from_secs(1),
        agents: &q.agents,
        queue_agents: &q.queue_agents,
        packets: &q.packets,
        events: &[],
        beads: &beads,
        stage_roles: &store.config().queue.stage_roles,
    }))
}

/// `gemba queue status`: every agent's status over `window` (only
/// `agent`'s, when named: the starving transitions are still decided for
/// all). Logs `queue.starving` for each agent that became starving.
pub fn status(
    store: &Store,
    agent: Option<&str>,
    window: Duration,
    actor: &str,
    now: Timestamp,
) -> Result<Report> {
    let q = load_queues(store)?;
    if let Some(a) = agent {
        crate::model::id::validate(a).map_err(|e| super::Error::Invalid(format!("agent: {e}")))?;
        if !q.agents.contains_key(a) && !q.queue_agents.iter().any(|x| x == a) {
            return Err(super::Error::UnknownAgent(a.to_string()));
        }
    }
    let from = now - window.signed();
    let (events, problems) = crate::store::log::read(store, Some(from))?;
    let events: Vec<Event> = events
        .into_iter()
        .filter(|e| e.kind.matches("queue"))
        .collect();
    let mut snapshot = None;
    let beads = beads_if_needed(store, &q, now, &mut snapshot)?;
    let mut agents = summarize(&Input {
        now,
        window,
        agents: &q.agents,
        queue_agents: &q.queue_agents,
        packets: &q.packets,
        events: &events,
        beads: &beads,
        stage_roles: &store.config().queue.stage_roles,
    });
    let transition = super::starving::transition(store, &agents, actor, now)?;
    for a in &mut agents {
        if let Some(w) = &mut a.starving {
            w.since = transition.since.get(&a.agent).cloned();
        }
    }
    if let Some(name) = agent {
        agents.retain(|a| a.agent == name);
    }
    Ok(Report {
        now: timestamp(now),
        window: window.to_string(),
        from: timestamp(from),
        agents,
        newly_starving: transition.newly,
        problems,
        finished: transition.finished,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::enrichment::Glob;
    use crate::model::packet::Lease;
    use crate::model::{Band, CostTier};

    fn t(hm: &str) -> Timestamp {
        format!("2026-11-23T{hm}:00Z").parse().unwrap()
    }

    fn iv(a: &str, b: &str) -> Interval {
        Interval {
            start: t(a),
            end: t(b),
        }
    }

    fn agent(name: &str, roles: &[&str], tools: &[&str]) -> Agent {
        Agent {
            name: name.into(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            max_band: Band::Routine,
            cost_tier: CostTier::Standard,
            tools: tools.iter().map(|t| t.to_string()).collect(),
            model: None,
            context_window: None,
            created_at: "2026-11-01T00:00:00Z".into(),
            profile: Default::default(),
        }
    }

    fn packet(id: &str, agent: &str) -> Packet {
        let mut p = Packet::sample(id, agent);
        p.spec.title = format!("do {id}");
        p.created_at = "2026-11-23T00:00:00Z".into();
        p.updated_at = p.created_at.clone();
        p
    }

    fn taken(mut p: Packet, at: &str) -> Packet {
        p.lease = Some(Lease {
            session: Some("s-1".into()),
            taken_at: timestamp(t(at)),
            until: timestamp(t("23:00")),
            remote: None,
            batch: Vec::new(),
        });
        p
    }

    fn event(at: &str, kind: EventKind, data: &[(&str, serde_json::Value)]) -> Event {
        let mut e = Event::new(t(at), "t", kind, vec![], String::new());
        for (k, v) in data {
            e = e.with(k, v);
        }
        e
    }

    fn take(at: &str, p: &str, a: &str) -> Event {
        event(
            at,
            EventKind::QueueTake,
            &[("packet", p.into()), ("agent", a.into())],
        )
    }

    fn done(at: &str, p: &str, a: &str) -> Event {
        event(
            at,
            EventKind::QueueDone,
            &[
                ("packet", p.into()),
                ("agent", a.into()),
                ("state", "done".into()),
            ],
        )
    }

    #[test]
    fn busy_time_is_the_union_clipped_to_the_window() {
        let secs =
            |ivs: &[Interval], from: &str, to: &str| busy_time(ivs, t(from), t(to)).as_secs() / 60;
        let cases: &[(&[Interval], &str, &str, i64)] = &[
            (&[], "10:00", "12:00", 0),
            (&[iv("10:00", "11:00")], "10:00", "12:00", 60),
            // Overlapping and nested intervals count once.
            (
                &[iv("10:00", "11:00"), iv("10:30", "11:30")],
                "10:00",
                "12:00",
                90,
            ),
            (
                &[iv("10:00", "11:30"), iv("10:15", "10:45")],
                "10:00",
                "12:00",
                90,
            ),
            // Touching intervals merge; disjoint ones add up.
            (
                &[iv("10:00", "10:30"), iv("10:30", "11:00")],
                "10:00",
                "12:00",
                60,
            ),
            (
                &[iv("11:00", "11:10"), iv("10:00", "10:20")],
                "10:00",
                "12:00",
                30,
            ),
            // Window edges: clipped at both ends; outside counts nothing.
            (&[iv("09:00", "10:30")], "10:00", "12:00", 30),
            (&[iv("11:30", "13:00")], "10:00", "12:00", 30),
            (&[iv("08:00", "13:00")], "10:00", "12:00", 120),
            (
                &[iv("08:00", "09:00"), iv("12:00", "13:00")],
                "10:00",
                "12:00",
                0,
            ),
            // Empty and backwards intervals count nothing.
            (
                &[iv("10:30", "10:30"), iv("11:00", "10:00")],
                "10:00",
                "12:00",
                0,
            ),
        ];
        for (ivs, from, to, want) in cases {
            assert_eq!(secs(ivs, from, to), *want, "{ivs:?} in [{from}, {to}]");
        }
        assert_eq!(
            utilization(&[iv("08:00", "13:00")], t("10:00"), t("12:00")),
            1.0
        );
        assert_eq!(
            utilization(&[iv("10:00", "10:30")], t("10:00"), t("12:00")),
            0.25
        );
        assert_eq!(
            utilization(&[iv("10:00", "10:30")], t("10:00"), t("10:00")),
            0.0
        );
    }

    #[test]
    fn intervals_from_takes_closes_and_what_is_in_progress() {
        let recover = event(
            "11:30",
            EventKind::QueueRecover,
            &[(
                "packets",
                serde_json::json!([
                    {"packet": "d", "agent": "bob",
                     "lease": {"taken_at": "2026-11-23T10:00:00Z", "until": "2026-11-23T11:00:00Z"}},
                    {"packet": "e", "agent": "bob", "lease": null}
                ]),
            )],
        );
        let events = vec![
            // Taken before the window: its done opens at the window start.
            done("10:10", "a", "alice"),
            take("10:20", "b", "alice"),
            event(
                "10:50",
                EventKind::QueueFail,
                &[("packet", "b".into()), ("agent", "alice".into())],
            ),
            take("10:00", "d", "bob"),
            take("11:00", "e", "bob"),
            recover,
            // A take whose packet is no longer in progress and whose close
            // is not in the log: left out.
            take("11:40", "lost", "carol"),
            take("11:45", "c", "alice"),
            // After `now`: ignored.
            done("12:30", "c", "alice"),
        ];
        let in_progress = [
            taken(packet("c", "alice"), "11:45"),
            taken(packet("f", "dave"), "08:00"),
        ];
        let refs: Vec<&Packet> = in_progress.iter().collect();
        let got = busy_intervals(&events, &refs, t("10:00"), t("12:00"));
        let want: BTreeMap<String, Vec<Interval>> = [
            (
                "alice",
                vec![
                    iv("10:00", "10:10"),
                    iv("10:20", "10:50"),
                    iv("11:45", "12:00"),
                ],
            ),
            // d: until its lease ran out (11:00), before the recover; e
            // had no lease: until the recover.
            ("bob", vec![iv("10:00", "11:00"), iv("11:00", "11:30")]),
            // Taken before the window, still in progress: the whole window.
            ("dave", vec![iv("10:00", "12:00")]),
        ]
        .into_iter()
        .map(|(a, v)| (a.to_string(), v))
        .collect();
        assert_eq!(got, want);
    }

    struct World {
        agents: BTreeMap<String, Agent>,
        queue_agents: Vec<String>,
        packets: Vec<Queued>,
    }

    impl World {
        fn new(agents: Vec<Agent>) -> World {
            World {
                queue_agents: Vec::new(),
                agents: agents.into_iter().map(|a| (a.name.clone(), a)).collect(),
                packets: Vec::new(),
            }
        }

        fn with(mut self, state: State, p: Packet) -> World {
            if !self.queue_agents.contains(&p.agent) {
                self.queue_agents.push(p.agent.clone());
            }
            self.packets.push(Queued {
                agent: p.agent.clone(),
                state,
                packet: p,
            });
            self
        }

        fn summarize(&self, events: &[Event], beads: &[ReadyBead<'_>]) -> Vec<AgentStatus> {
            summarize(&Input {
                now: t("12:00"),
                window: Duration::from_secs(4 * 3600),
                agents: &self.agents,
                queue_agents: &self.queue_agents,
                packets: &self.packets,
                events,
                beads,
                stage_roles: &BTreeMap::new(),
            })
        }
    }

    fn by_name(all: &[AgentStatus], name: &str) -> AgentStatus {
        all.iter().find(|a| a.agent == name).unwrap().clone()
    }

    #[test]
    fn status_rows_utilization_idle_since_and_starving() {
        let mut needs_docker = packet("p-docker", "alice");
        needs_docker.requires = Some("docker".into());
        let mut needs_verify = packet("p-verify", "alice");
        needs_verify.requires = Some("verify".into());
        let w = World::new(vec![
            agent("alice", &["build"], &[]),
            agent("bob", &["build"], &["docker"]),
            agent("carol", &["verify"], &[]),
            agent("dave", &["ship"], &[]),
        ])
        .with(State::InProgress, taken(packet("p-now", "alice"), "11:00"))
        .with(State::Ready, needs_docker)
        .with(State::Ready, needs_verify)
        .with(State::Blocked, packet("p-later", "alice"))
        // A queue directory without an agent file.
        .with(State::Blocked, packet("p-ghost", "ghost"));
        let events = vec![
            take("07:00", "p-old", "bob"),
            done("08:30", "p-old", "bob"),
            take("10:00", "p-1", "bob"),
            done("11:00", "p-1", "bob"),
            take("11:00", "p-now", "alice"),
        ];
        let all = w.summarize(&events, &[]);
        assert_eq!(
            all.iter().map(|a| a.agent.as_str()).collect::<Vec<_>>(),
            ["alice", "bob", "carol", "dave", "ghost"]
        );
        let alice = by_name(&all, "alice");
        assert_eq!(alice.activity, Activity::Busy);
        assert_eq!((alice.ready, alice.blocked), (2, 1));
        assert_eq!(alice.in_progress[0].packet, "p-now");
        assert_eq!(alice.in_progress[0].age_secs, Some(3600));
        assert_eq!(alice.busy_secs, 3600);
        assert_eq!(alice.utilization, 0.25);
        assert_eq!(alice.idle_since, None);

        // bob: 1.5 h busy of the 4 h window from 08:00 (p-old counts from
        // the window's start), idle since 11:00, and alice's docker packet
        // fits him.
        let bob = by_name(&all, "bob");
        assert_eq!(bob.activity, Activity::Starving);
        assert_eq!((bob.done, bob.failed), (2, 0));
        assert_eq!(bob.busy_secs, 5400);
        assert_eq!(bob.utilization, 0.375);
        assert_eq!(bob.idle_since.as_deref(), Some("2026-11-23T11:00:00Z"));
        let waiting = bob.starving.unwrap();
        assert_eq!(waiting.packets_total, 1);
        assert_eq!(waiting.packets[0].packet, "p-docker");
        assert_eq!(waiting.packets[0].agent, "alice");
        assert_eq!(
            waiting.describe(),
            "1 ready packet (p-docker in alice's queue)"
        );

        let carol = by_name(&all, "carol");
        assert_eq!(carol.activity, Activity::Starving);
        assert_eq!(carol.starving.unwrap().packets[0].packet, "p-verify");
        // Never worked, created before the window: idle all window.
        assert_eq!(carol.idle_since, None);
        assert_eq!(carol.utilization, 0.0);

        // dave fits neither packet (requires), so he is only idle.
        assert_eq!(by_name(&all, "dave").activity, Activity::Idle);
        let ghost = by_name(&all, "ghost");
        assert!(!ghost.known);
        assert_eq!(ghost.activity, Activity::Idle);
    }

    #[test]
    fn held_back_packets_and_own_ready_work_are_not_starvation() {
        let mut busy = taken(packet("p-busy", "alice"), "11:00");
        busy.spec.targets = vec![Glob::new("src/auth/**").unwrap()];
        let mut held = packet("p-held", "alice");
        held.spec.targets = vec![Glob::new("src/auth/token.rs").unwrap()];
        let w = World::new(vec![agent("alice", &[], &[]), agent("bob", &[], &[])])
            .with(State::InProgress, busy)
            .with(State::Ready, held.clone());
        let all = w.summarize(&[], &[]);
        // The only ready packet is held back: nobody could take it now.
        assert_eq!(by_name(&all, "bob").activity, Activity::Idle);

        // bob with a held-back packet of his own is `ready`, not starving.
        let mut his = held;
        his.agent = "bob".into();
        his.id = "p-his".into();
        let w = World::new(vec![agent("alice", &[], &[]), agent("bob", &[], &[])])
            .with(State::InProgress, w.packets[0].packet.clone())
            .with(State::Ready, his)
            .with(State::Ready, packet("p-free", "alice"));
        assert_eq!(
            by_name(&w.summarize(&[], &[]), "bob").activity,
            Activity::Ready
        );
    }

    #[test]
    fn ready_beads_that_fit_starve_an_idle_agent() {
        use crate::model::{Bead, BeadHead};
        let mut docker = Bead::new("gm-d", "needs docker");
        docker.labels = vec!["tool:docker".into()];
        let plain = Bead::new("gm-p", "plain");
        let heads = [BeadHead::from(&docker), BeadHead::from(&plain)];
        let beads: Vec<ReadyBead<'_>> = heads
            .iter()
            .map(|h| ReadyBead {
                id: h.id.to_string(),
                needs: Needs::of(h, None),
            })
            .collect();
        let w = World::new(vec![
            agent("alice", &[], &[]),
            agent("bob", &[], &["docker"]),
        ]);
        let all = w.summarize(&[], &beads);
        let alice = by_name(&all, "alice").starving.unwrap();
        assert_eq!(
            (alice.beads.as_slice(), alice.beads_total),
            (&["gm-p".to_string()][..], 1)
        );
        let bob = by_name(&all, "bob").starving.unwrap();
        assert_eq!(bob.beads, ["gm-d", "gm-p"]);
        assert_eq!(bob.describe(), "2 ready beads (gm-d, gm-p)");
        // An agent created inside the window, never busy: idle since then.
        let mut w = w;
        w.agents.get_mut("alice").unwrap().created_at = "2026-11-23T09:30:00Z".into();
        assert_eq!(
            by_name(&w.summarize(&[], &[]), "alice")
                .idle_since
                .as_deref(),
            Some("2026-11-23T09:30:00Z")
        );
    }

    #[test]
    fn packet_fit_is_requires_among_roles_or_tools() {
        let roles = BTreeMap::new();
        let mut p = packet("p", "x");
        assert!(packet_fits(&p, &roles, &agent("a", &[], &[])));
        p.requires = Some("verify".into());
        assert!(!packet_fits(&p, &roles, &agent("a", &[], &[])));
        assert!(packet_fits(&p, &roles, &agent("a", &["verify"], &[])));
        assert!(packet_fits(&p, &roles, &agent("a", &[], &["verify"])));
        assert!(!packet_fits(
            &p,
            &roles,
            &agent("a", &["build"], &["docker"])
        ));
    }
}
