//! `gemba queue reroute`: move ready packets to an agent that can do
//! them. The decision ([`plan`]) is pure; [`reroute`] reads the queues,
//! agents and sessions, and moves.
//!
//! A ready packet moves when its agent
//! - is **gone**: its agent file was removed, or every one of its sessions
//!   has been silent (ended, or no heartbeat) for `queue.absent_after`
//!   (24 h; an agent that never had a session is not gone by this rule);
//! - does **not fit** it: it lacks the packet's `requires`, or the role of
//!   its current stage (a stage handoff that found nobody, then an agent
//!   changed);
//! - is **saturated**: more ready + in-progress packets than
//!   `queue.target_depth`; the packets it would take last move, until it
//!   is back at the depth, and only to agents below the depth.
//!
//! It goes to the best agent that fits ([`super::fit::choose`]: capability,
//! then load). A packet that no agent fits waits where it is, reported
//! with why, rather than going to one that cannot do it.
//!
//! **The move.** Under the queues lock, the ready file is renamed into the
//! new agent's `blocked/` (a rename that never replaces: a racing taker
//! that got it first wins, and reroute moves on), rewritten there with
//! its new `agent`, then renamed into that agent's `ready/`. Takers never
//! look into `blocked/`, so nobody takes it half-moved; a crash in between
//! leaves it in `blocked/` with its prerequisites done, and the next done
//! or `gemba queue rescan` moves it to `ready/` with `agent` set to its
//! directory's.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use serde::Serialize;

use super::fit::{self, Candidate, Needs};
use super::{Result, State, dag};
use crate::model::duration::Duration;
use crate::model::session::SessionStatus;
use crate::model::{
    Agent, Bead, BeadHead, Enrichment, Event, EventKind, Packet, Session, timestamp,
};
use crate::plan::fit as bead_fit;
use crate::store::kind::PACKETS;
use crate::store::log::Finished;
use crate::store::{Handoff, Scope, Store};

/// Why a packet is rerouted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    Gone,
    Unfit,
    Saturated,
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Cause::Gone => "gone",
            Cause::Unfit => "unfit",
            Cause::Saturated => "saturated",
        })
    }
}

/// One packet reroute looked at: moved (`to`) or waiting (`waiting`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Route {
    pub packet: String,
    pub from: String,
    pub cause: Cause,
    /// Why it should leave `from`, for people.
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Why it stays: no agent fits it, or none has room.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiting: Option<String>,
}

/// One agent's queue, as [`plan`] sees it.
#[derive(Debug, Clone)]
pub struct Queue<'a> {
    pub agent: &'a str,
    /// Ready + in-progress packets.
    pub load: usize,
    /// Its ready packets in take order, each with its bead's needs (when
    /// it has a bead in the store).
    pub ready: Vec<(&'a Packet, Option<bead_fit::Needs<'a>>)>,
}

/// Everything [`plan`] decides from.
#[derive(Debug, Clone)]
pub struct Input<'a> {
    pub now: Timestamp,
    pub target_depth: usize,
    pub absent_after: Duration,
    pub stage_roles: &'a BTreeMap<String, String>,
    /// Every agent that has a file.
    pub agents: &'a [Agent],
    /// The last sign of life of each agent's sessions (agents that never
    /// had a session are absent).
    pub seen: &'a BTreeMap<String, Timestamp>,
    pub queues: Vec<Queue<'a>>,
}

/// Why `agent` is gone, if it is.
pub fn gone(
    agent: &str,
    agents: &[Agent],
    seen: &BTreeMap<String, Timestamp>,
    now: Timestamp,
    absent_after: Duration,
) -> Option<String> {
    if !agents.iter().any(|a| a.name == agent) {
        return Some(format!("{agent} is gone (its agent file was removed)"));
    }
    let last = seen.get(agent)?;
    (last.as_second() + absent_after.as_secs() <= now.as_second()).then(|| {
        format!("{agent} is gone (no live session since {last}, more than {absent_after})")
    })
}

/// What reroute would do (see the module doc), in a stable order: first
/// the packets of gone agents and unfit ones, queue by queue, then those
/// of saturated queues.
pub fn plan<'a>(input: &Input<'a>) -> Vec<Route> {
    let gone: BTreeMap<&'a str, String> = input
        .queues
        .iter()
        .map(|q| q.agent)
        .chain(input.agents.iter().map(|a| a.name.as_str()))
        .filter_map(|name| {
            gone(
                name,
                input.agents,
                input.seen,
                input.now,
                input.absent_after,
            )
            .map(|why| (name, why))
        })
        .collect();
    let mut loads: BTreeMap<&'a str, usize> =
        input.agents.iter().map(|a| (a.name.as_str(), 0)).collect();
    for q in &input.queues {
        loads.insert(q.agent, q.load);
    }
    let live: Vec<&Agent> = input
        .agents
        .iter()
        .filter(|a| !gone.contains_key(a.name.as_str()))
        .collect();
    let needs_of = |packet: &'a Packet, bead: &Option<bead_fit::Needs<'a>>| -> Needs<'a> {
        let mut needs = Needs::of(packet, input.stage_roles);
        needs.bead = bead.clone();
        needs
    };

    let mut routes = Vec::new();
    let mut routed: BTreeSet<&str> = BTreeSet::new();
    // Gone or unfit: any agent that fits may take it.
    for q in &input.queues {
        let holder = input.agents.iter().find(|a| a.name == q.agent);
        for (packet, bead) in &q.ready {
            let (cause, reason) = match (gone.get(q.agent), holder) {
                (Some(why), _) => (Cause::Gone, why.clone()),
                (None, Some(holder)) => {
                    match fit::why_not(&Needs::of(packet, input.stage_roles), holder) {
                        Some(why) => (Cause::Unfit, why),
                        None => continue,
                    }
                }
                (None, None) => continue,
            };
            routed.insert(&packet.id);
            let needs = needs_of(packet, bead);
            routes.push(route_one(
                &live,
                &mut loads,
                q.agent,
                packet,
                &needs,
                (cause, reason),
                None,
            ));
        }
    }
    // Saturated: what it would take last, to agents below the depth.
    let depth = input.target_depth;
    for q in &input.queues {
        if gone.contains_key(q.agent) {
            continue;
        }
        // The surplus, counted once: a packet that cannot move still
        // counts, so the agent keeps the rest.
        let load = loads.get(q.agent).copied().unwrap_or(0);
        let surplus = load.saturating_sub(depth);
        let mut looked = 0;
        for (packet, bead) in q.ready.iter().rev() {
            if looked >= surplus {
                break;
            }
            if routed.contains(packet.id.as_str()) {
                continue;
            }
            looked += 1;
            let reason = format!(
                "{} is saturated ({load} ready or in progress, target depth {depth})",
                q.agent
            );
            let needs = needs_of(packet, bead);
            routes.push(route_one(
                &live,
                &mut loads,
                q.agent,
                packet,
                &needs,
                (Cause::Saturated, reason),
                Some(depth),
            ));
        }
    }
    routes
}

/// Choose an agent for one packet and count it in the loads.
fn route_one<'a>(
    live: &[&'a Agent],
    loads: &mut BTreeMap<&'a str, usize>,
    from: &'a str,
    packet: &Packet,
    needs: &Needs<'_>,
    (cause, reason): (Cause, String),
    max_load: Option<usize>,
) -> Route {
    let candidates: Vec<Candidate<'a>> = live
        .iter()
        .map(|&agent| Candidate {
            agent,
            load: loads.get(agent.name.as_str()).copied().unwrap_or(0),
        })
        .collect();
    let (to, waiting) = match fit::choose(needs, &candidates, from, max_load) {
        Ok(c) => {
            let to: &'a str = c.agent.name.as_str();
            *loads.entry(from).or_default() -= 1;
            *loads.entry(to).or_default() += 1;
            (Some(to.to_string()), None)
        }
        Err(no) => (None, Some(no.0)),
    };
    Route {
        packet: packet.id.clone(),
        from: from.to_string(),
        cause,
        reason,
        to,
        waiting,
    }
}

/// The last sign of life of each agent's sessions: the end of an ended
/// session, else its last heartbeat, else its start.
pub fn last_seen(sessions: &[Session]) -> BTreeMap<String, Timestamp> {
    let mut seen: BTreeMap<String, Timestamp> = BTreeMap::new();
    for s in sessions {
        let at = match s.status {
            SessionStatus::Ended => s.ended_at.as_deref(),
            SessionStatus::Live => s.telemetry.heartbeat_at.as_deref(),
        }
        .unwrap_or(&s.started_at);
        let Ok(at) = at.parse::<Timestamp>() else {
            continue;
        };
        let e = seen.entry(s.agent.clone()).or_insert(at);
        *e = (*e).max(at);
    }
    seen
}

// ------------------------------------------------------------- the edge

/// The agents, their sessions' last signs of life, and every queue's
/// load: what a choice of agent needs (reroute, a stage handoff).
pub(super) struct Fleet {
    pub agents: Vec<Agent>,
    pub seen: BTreeMap<String, Timestamp>,
    /// Ready + in progress, by agent with a queue directory.
    pub loads: BTreeMap<String, usize>,
}

impl Fleet {
    pub fn read(store: &Store) -> Result<Fleet> {
        let agents = store
            .load_all::<Agent>()?
            .into_iter()
            .map(|(_, a)| a)
            .collect();
        let sessions: Vec<Session> = store
            .load_all::<Session>()?
            .into_iter()
            .map(|(_, s)| s)
            .collect();
        let mut loads = BTreeMap::new();
        for agent in store.queue_agents()? {
            let mut n = 0;
            for state in [State::Ready, State::InProgress] {
                let dir = store.queue_dir(&agent, state.dir())?;
                n += store.list_dir(&dir, &PACKETS)?.entries.len();
            }
            loads.insert(agent, n);
        }
        Ok(Fleet {
            agents,
            seen: last_seen(&sessions),
            loads,
        })
    }

    /// The agents not gone, with their loads.
    pub fn candidates(&self, now: Timestamp, absent_after: Duration) -> Vec<Candidate<'_>> {
        self.agents
            .iter()
            .filter(|a| gone(&a.name, &self.agents, &self.seen, now, absent_after).is_none())
            .map(|agent| Candidate {
                agent,
                load: self.loads.get(&agent.name).copied().unwrap_or(0),
            })
            .collect()
    }
}

/// A packet's bead and enrichment, for its needs.
pub(super) fn bead_of(store: &Store, packet: &Packet) -> Result<Option<(Bead, Enrichment)>> {
    let Some(id) = &packet.bead else {
        return Ok(None);
    };
    match store.read::<Bead>(id)? {
        Some(bead) => Ok(Some((bead, store.read_enrichment(id)?))),
        None => Ok(None),
    }
}

/// What `gemba queue reroute` did (or, dry, would do).
#[derive(Debug, Serialize)]
pub struct Rerouted {
    pub dry_run: bool,
    /// Packets moved (dry: to be moved).
    pub moved: Vec<Route>,
    /// Packets that should leave their agent but stay: why.
    pub waiting: Vec<Route>,
    /// Packets a taker took while reroute was about to move them.
    pub lost: usize,
    #[serde(skip)]
    pub finished: Finished,
}

/// Plan under the queues lock and, unless `dry_run`, move (see the module
/// doc); one `queue.reroute` event per packet moved.
pub fn reroute(store: &Store, dry_run: bool, actor: &str, now: Timestamp) -> Result<Rerouted> {
    let config = &store.config().queue;
    let mut tx = store.changes();
    let lock = if dry_run {
        None
    } else {
        Some(store.lock(Scope::Queues)?)
    };
    let fleet = Fleet::read(store)?;
    let mut packets: Vec<(String, Vec<Packet>)> = Vec::new();
    for agent in store.queue_agents()? {
        let ready = super::load_state(store, &agent, State::Ready)?;
        packets.push((agent, ready));
    }
    let mut beads: BTreeMap<String, (Bead, Enrichment)> = BTreeMap::new();
    for (_, ready) in &packets {
        for p in ready {
            if let Some(b) = bead_of(store, p)? {
                beads.insert(b.0.id.clone(), b);
            }
        }
    }
    let heads: BTreeMap<&str, (BeadHead<'_>, &Enrichment)> = beads
        .iter()
        .map(|(id, (b, e))| (id.as_str(), (BeadHead::from(b), e)))
        .collect();
    let mut queues = Vec::new();
    for (agent, ready) in &packets {
        let ancestry = super::ancestry(store, ready)?;
        let edges: dag::Edges<'_> = ancestry
            .iter()
            .map(|(id, after)| (id.as_str(), after.as_slice()))
            .collect();
        let depth = dag::depths(&edges);
        let mut order: Vec<&Packet> = ready.iter().collect();
        dag::order(&mut order, &depth);
        queues.push(Queue {
            agent,
            load: fleet.loads.get(agent).copied().unwrap_or(0),
            ready: order
                .into_iter()
                .map(|p| {
                    let needs = p
                        .bead
                        .as_deref()
                        .and_then(|b| heads.get(b))
                        .map(|(head, e)| bead_fit::Needs::of(head, Some(e)));
                    (p, needs)
                })
                .collect(),
        });
    }
    let routes = plan(&Input {
        now,
        target_depth: config.target_depth,
        absent_after: config.absent_after,
        stage_roles: &config.stage_roles,
        agents: &fleet.agents,
        seen: &fleet.seen,
        queues,
    });
    let (mut moved, waiting): (Vec<Route>, Vec<Route>) =
        routes.into_iter().partition(|r| r.to.is_some());
    let mut lost = 0;
    let mut events = Vec::new();
    if !dry_run {
        let by_id: BTreeMap<&str, &Packet> = packets
            .iter()
            .flat_map(|(_, ready)| ready.iter().map(|p| (p.id.as_str(), p)))
            .collect();
        let mut done = Vec::new();
        for r in moved {
            let (Some(to), Some(&p)) = (&r.to, by_id.get(r.packet.as_str())) else {
                continue;
            };
            let from = store.queue_file(&r.from, State::Ready.dir(), &p.id)?;
            let mut p = p.clone();
            p.agent = to.clone();
            p.updated_at = timestamp(now);
            if super::relocate(store, &mut tx, &from, &p)? == Handoff::AlreadyTaken {
                lost += 1;
                continue;
            }
            events.push(
                Event::new(
                    now,
                    actor,
                    EventKind::QueueReroute,
                    p.bead.iter().cloned().collect(),
                    format!("reroute {} from {} to {to}: {}", p.id, r.from, r.reason),
                )
                .with("packet", &p.id)
                .with("from", &r.from)
                .with("to", to)
                .with("cause", r.cause)
                .with("reason", &r.reason),
            );
            done.push(r);
        }
        moved = done;
    }
    drop(lock);
    let finished = tx.finish(&events)?;
    Ok(Rerouted {
        dry_run,
        moved,
        waiting,
        lost,
        finished,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Band, CostTier};

    fn agent(name: &str, roles: &[&str], tools: &[&str]) -> Agent {
        Agent {
            name: name.into(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            max_band: Band::Routine,
            cost_tier: CostTier::Standard,
            tools: tools.iter().map(|t| t.to_string()).collect(),
            model: None,
            context_window: None,
            created_at: "2026-11-23T12:00:00Z".into(),
            profile: Default::default(),
        }
    }

    fn packet(id: &str, agent: &str, requires: Option<&str>, stage: Option<&str>) -> Packet {
        Packet {
            requires: requires.map(String::from),
            stages: stage.map(|s| vec![s.to_string()]).unwrap_or_default(),
            stage: stage.map(String::from),
            ..Packet::sample(id, agent)
        }
    }

    fn at(t: &str) -> Timestamp {
        t.parse().unwrap()
    }

    /// `packet -> to` or `packet waits: why`, for compact tables.
    fn show(routes: &[Route]) -> Vec<String> {
        routes
            .iter()
            .map(|r| match (&r.to, &r.waiting) {
                (Some(to), _) => format!("{} {:?} {}->{to}", r.packet, r.cause, r.from),
                (None, Some(why)) => format!("{} {:?} waits: {why}", r.packet, r.cause),
                _ => unreachable!(),
            })
            .collect()
    }

    struct Case {
        name: &'static str,
        agents: Vec<Agent>,
        seen: Vec<(&'static str, &'static str)>,
        /// (agent, load beyond its ready packets, ready packets in take order)
        queues: Vec<(&'static str, usize, Vec<Packet>)>,
        want: Vec<&'static str>,
    }

    fn run(case: &Case) -> Vec<String> {
        let roles = BTreeMap::from([("verify".to_string(), "review".to_string())]);
        let seen: BTreeMap<String, Timestamp> = case
            .seen
            .iter()
            .map(|(a, t)| (a.to_string(), at(t)))
            .collect();
        let input = Input {
            now: at("2026-11-23T12:00:00Z"),
            target_depth: 3,
            absent_after: Duration::from_secs(24 * 3600),
            stage_roles: &roles,
            agents: &case.agents,
            seen: &seen,
            queues: case
                .queues
                .iter()
                .map(|(agent, busy, ready)| Queue {
                    agent,
                    load: busy + ready.len(),
                    ready: ready.iter().map(|p| (p, None)).collect(),
                })
                .collect(),
        };
        show(&plan(&input))
    }

    #[test]
    fn plan_table() {
        let p = |id: &str, a: &str| packet(id, a, None, None);
        let cases = vec![
            Case {
                name: "nothing to do",
                agents: vec![agent("alice", &[], &[]), agent("bob", &[], &[])],
                seen: vec![],
                queues: vec![("alice", 1, vec![p("a1", "alice"), p("a2", "alice")])],
                want: vec![],
            },
            Case {
                name: "agent file removed: to the least loaded",
                agents: vec![agent("bob", &[], &[]), agent("carol", &[], &[])],
                seen: vec![],
                queues: vec![
                    ("alice", 0, vec![p("a1", "alice"), p("a2", "alice")]),
                    ("bob", 1, vec![]),
                ],
                want: vec!["a1 Gone alice->carol", "a2 Gone alice->bob"],
            },
            Case {
                name: "no live session for a day; recent ones count",
                agents: vec![
                    agent("alice", &[], &[]),
                    agent("bob", &[], &[]),
                    agent("old", &[], &[]),
                ],
                seen: vec![
                    ("alice", "2026-11-22T11:00:00Z"),
                    ("bob", "2026-11-23T11:00:00Z"),
                    ("old", "2026-11-01T00:00:00Z"),
                ],
                queues: vec![("alice", 0, vec![p("a1", "alice")])],
                // old is gone too, so never a target; bob is.
                want: vec!["a1 Gone alice->bob"],
            },
            Case {
                name: "requires waits for an agent that has it",
                agents: vec![agent("bob", &["build"], &[]), agent("gen", &[], &[])],
                seen: vec![],
                queues: vec![(
                    "alice",
                    0,
                    vec![
                        packet("gpu", "alice", Some("gpu"), None),
                        packet("bld", "alice", Some("build"), None),
                    ],
                )],
                want: vec![
                    "gpu Gone waits: no other agent has gpu",
                    "bld Gone alice->bob",
                ],
            },
            Case {
                name: "unfit: the stage's role, mapped; a busy specialist beats an idle generalist",
                agents: vec![
                    agent("alice", &["build"], &[]),
                    agent("rev", &["review"], &[]),
                    agent("gen", &[], &[]),
                ],
                seen: vec![],
                queues: vec![
                    ("alice", 0, vec![packet("v", "alice", None, Some("verify"))]),
                    ("rev", 2, vec![]),
                ],
                want: vec!["v Unfit alice->rev"],
            },
            Case {
                name: "saturated: the last in take order move, only to room below the depth",
                agents: vec![
                    agent("alice", &[], &[]),
                    agent("bob", &[], &[]),
                    agent("carol", &[], &[]),
                ],
                seen: vec![],
                queues: vec![
                    (
                        "alice",
                        1,
                        vec![
                            p("a1", "alice"),
                            p("a2", "alice"),
                            p("a3", "alice"),
                            p("a4", "alice"),
                            p("a5", "alice"),
                        ],
                    ),
                    ("bob", 2, vec![]),
                    ("carol", 3, vec![]),
                ],
                // alice has 6 for a depth of 3; bob has room for one,
                // carol none: a5 moves, a4 and a3 stay.
                want: vec![
                    "a5 Saturated alice->bob",
                    "a4 Saturated waits: every agent that could take it is at the target depth (3): bob, carol",
                    "a3 Saturated waits: every agent that could take it is at the target depth (3): bob, carol",
                ],
            },
            Case {
                name: "saturated: a packet nobody else fits stays, the next one moves",
                agents: vec![agent("alice", &["gpu"], &[]), agent("bob", &[], &[])],
                seen: vec![],
                queues: vec![(
                    "alice",
                    3,
                    vec![p("a1", "alice"), packet("g", "alice", Some("gpu"), None)],
                )],
                want: vec![
                    "g Saturated waits: no other agent has gpu",
                    "a1 Saturated alice->bob",
                ],
            },
        ];
        for case in &cases {
            assert_eq!(run(case), case.want, "{}", case.name);
        }
    }

    #[test]
    fn bead_needs_are_a_capability_filter() {
        let mut b = Bead::new("gm-1", "B");
        b.labels = vec!["tool:docker".into()];
        let head = BeadHead::from(&b);
        let agents = vec![agent("bob", &[], &[]), agent("dock", &[], &["docker"])];
        let roles = BTreeMap::new();
        let seen = BTreeMap::new();
        let p = packet("p", "gone", None, None);
        let input = Input {
            now: at("2026-11-23T12:00:00Z"),
            target_depth: 3,
            absent_after: Duration::from_secs(3600),
            stage_roles: &roles,
            agents: &agents,
            seen: &seen,
            queues: vec![Queue {
                agent: "gone",
                load: 1,
                ready: vec![(&p, Some(bead_fit::Needs::of(&head, None)))],
            }],
        };
        assert_eq!(show(&plan(&input)), ["p Gone gone->dock"]);
    }

    #[test]
    fn last_seen_is_the_latest_sign_of_life() {
        let session =
            |agent: &str, status, started: &str, beat: Option<&str>, ended: Option<&str>| {
                let mut s: Session = serde_json::from_value(serde_json::json!({
                    "id": format!("s-{agent}-{started}"),
                    "agent": agent,
                    "status": status,
                    "workspace": {"repo": "/r"},
                    "started_at": started,
                }))
                .unwrap();
                s.telemetry.heartbeat_at = beat.map(String::from);
                s.ended_at = ended.map(String::from);
                s
            };
        let seen = last_seen(&[
            session(
                "a",
                "ended",
                "2026-11-20T00:00:00Z",
                Some("2026-11-20T05:00:00Z"),
                Some("2026-11-20T06:00:00Z"),
            ),
            session(
                "a",
                "live",
                "2026-11-21T00:00:00Z",
                Some("2026-11-21T03:00:00Z"),
                None,
            ),
            session("b", "live", "2026-11-22T00:00:00Z", None, None),
        ]);
        assert_eq!(seen["a"], at("2026-11-21T03:00:00Z"));
        assert_eq!(seen["b"], at("2026-11-22T00:00:00Z"));
    }
}
