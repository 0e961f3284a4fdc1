//! STARVING transitions: a `queue.starving` event (and the `on_starving`
//! hook) when an agent *becomes* starving (see [`super::status`] for the
//! rule), not on every look.
//!
//! The agents seen starving last time, with since when, are remembered in
//! `.gemba/index/starving.json`: derived, per clone, never committed. The
//! read-compare-write happens under `queues.lock`, so two commands that
//! look at once log each transition once. An agent that stops starving is
//! forgotten, so its next spell is a new transition. A lost or unreadable
//! memory (a fresh clone) is empty: each agent starving then is logged
//! once more.
//!
//! [`check`] is the cheap look for other commands (supply, the dispatch
//! tick, a take that found nothing): the queues, and the beads only when
//! some agent is idle; no log read.

use std::collections::BTreeMap;
use std::path::PathBuf;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::Result;
use super::status::{self, AgentStatus, Waiting};
use crate::model::{Event, EventKind, timestamp};
use crate::store::log::{self, Finished};
use crate::store::{IoContext, Scope, Store, index};

const FILE: &str = "starving.json";

/// What was seen starving last time: agent -> since (RFC 3339).
#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Memory {
    agents: BTreeMap<String, String>,
}

fn memory_path(store: &Store) -> PathBuf {
    store.root().join(index::INDEX_DIR).join(FILE)
}

/// The agents starving now and what changed.
#[derive(Debug, Default)]
pub struct Transition {
    /// Every agent starving now -> since when (RFC 3339).
    pub since: BTreeMap<String, String>,
    /// The agents that became starving with this look (one event each).
    pub newly: Vec<String>,
    pub finished: Finished,
}

/// Remember which of `agents` starve now, and log `queue.starving` for
/// each that did not last time.
pub fn transition(
    store: &Store,
    agents: &[AgentStatus],
    actor: &str,
    now: Timestamp,
) -> Result<Transition> {
    let starving: Vec<(&str, &Waiting)> = agents
        .iter()
        .filter_map(|a| Some((a.agent.as_str(), a.starving.as_ref()?)))
        .collect();
    let path = memory_path(store);
    if starving.is_empty() && !path.exists() {
        // Nobody starves, nobody did: nothing to lock, write or log.
        return Ok(Transition::default());
    }
    let lock = store.lock(Scope::Queues)?;
    let old: Memory = std::fs::read(&path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    let mut new = Memory::default();
    let mut newly = Vec::new();
    for (agent, _) in &starving {
        let since = match old.agents.get(*agent) {
            Some(since) => since.clone(),
            None => {
                newly.push(agent.to_string());
                timestamp(now)
            }
        };
        new.agents.insert(agent.to_string(), since);
    }
    if new.agents.is_empty() {
        // No file for nobody: the next look skips the lock.
        std::fs::remove_file(&path)
            .or_else(|e| match e.kind() {
                std::io::ErrorKind::NotFound => Ok(()),
                _ => Err(e),
            })
            .at(&path)?;
    } else if new != old {
        index::write_cache(&path, &crate::format::to_json_bytes(&new)).at(&path)?;
    }
    drop(lock);
    let events: Vec<Event> = starving
        .iter()
        .filter(|(a, _)| newly.iter().any(|n| n == a))
        .map(|(agent, waiting)| {
            Event::new(
                now,
                actor,
                EventKind::QueueStarving,
                waiting.beads.clone(),
                format!(
                    "{agent} is starving: idle, and could do {}",
                    waiting.describe()
                ),
            )
            .with("agent", agent)
            .with("packets", &waiting.packets)
            .with("packets_total", waiting.packets_total)
            .with("beads", &waiting.beads)
            .with("beads_total", waiting.beads_total)
        })
        .collect();
    let finished = if events.is_empty() {
        Finished::default()
    } else {
        log::record(store, &events)?
    };
    Ok(Transition {
        since: new.agents,
        newly,
        finished,
    })
}

/// Look at the queues now and log each agent that became starving
/// (cheap: see the module doc). For supply, the dispatch tick, a take
/// that found nothing.
pub fn check(store: &Store, actor: &str, now: Timestamp) -> Result<Transition> {
    let agents = status::current(store, now)?;
    transition(store, &agents, actor, now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::status::Activity;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join(".gemba");
        crate::store::init(&root).unwrap();
        let store = Store::open(&root, None).unwrap();
        (dir, store)
    }

    fn agent(name: &str, starving: bool) -> AgentStatus {
        AgentStatus {
            agent: name.into(),
            known: true,
            activity: if starving {
                Activity::Starving
            } else {
                Activity::Idle
            },
            ready: 0,
            blocked: 0,
            in_progress: vec![],
            done: 0,
            failed: 0,
            busy_secs: 0,
            utilization: 0.0,
            idle_since: None,
            starving: starving.then(|| Waiting {
                packets: vec![],
                packets_total: 0,
                beads: vec!["gm-1".into()],
                beads_total: 1,
                since: None,
            }),
        }
    }

    #[test]
    fn one_event_per_transition() {
        let (_dir, store) = store();
        let at = |m: u32| -> Timestamp { format!("2026-11-23T12:{m:02}:00Z").parse().unwrap() };
        let look = |m: u32, who: &[(&str, bool)]| {
            let agents: Vec<AgentStatus> = who.iter().map(|(a, s)| agent(a, *s)).collect();
            transition(&store, &agents, "t", at(m)).unwrap()
        };
        let t = look(0, &[("bob", true), ("amy", false)]);
        assert_eq!(t.newly, ["bob"]);
        assert_eq!(t.since["bob"], "2026-11-23T12:00:00Z");
        let t = look(1, &[("bob", true), ("amy", true)]);
        assert_eq!(t.newly, ["amy"]);
        assert_eq!(
            t.since["bob"], "2026-11-23T12:00:00Z",
            "since the first look"
        );
        assert!(look(2, &[("bob", true), ("amy", true)]).newly.is_empty());
        // Nobody starving: forgotten, and no file left.
        assert!(look(3, &[("bob", false), ("amy", false)]).since.is_empty());
        assert!(!memory_path(&store).exists());
        let t = look(4, &[("bob", true)]);
        assert_eq!(t.newly, ["bob"]);
        assert_eq!(t.since["bob"], "2026-11-23T12:04:00Z");
        let (events, _) = log::read(&store, None).unwrap();
        let who: Vec<&str> = events
            .iter()
            .map(|e| e.data["agent"].as_str().unwrap())
            .collect();
        assert_eq!(who, ["bob", "amy", "bob"]);
        assert_eq!(events[0].kind, EventKind::QueueStarving);
        assert_eq!(events[0].beads, ["gm-1"]);
        // An unreadable memory is an empty one: one event more, no error.
        std::fs::write(memory_path(&store), "{oops").unwrap();
        assert_eq!(look(5, &[("bob", true)]).newly, ["bob"]);
    }
}
