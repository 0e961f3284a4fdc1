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
    if new != old {
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
