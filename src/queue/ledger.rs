//! The artifact ledger: what shipped, from which source item, through
//! which stages and agents. It is no file of its own: it is the
//! `queue.shipped` events of the log, which `gemba queue done` writes when
//! a packet finishes its last stage (or a packet without stages is done).
//! [`Shipped`] is both the event's `data` and a ledger entry. Pure.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::packet::StageDone;
use crate::model::{Event, EventKind, Packet};

/// What shipped: the `data` of a `queue.shipped` event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Shipped {
    pub packet: String,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bead: Option<String>,
    /// The demand source item (`<source>:<item key>`), when supplied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Its stages in order (empty: it had none).
    pub stages: Vec<String>,
    /// The agents that worked on it, in order, each once.
    pub agents: Vec<String>,
    /// Every finished stage: who, which session, when.
    pub history: Vec<StageDone>,
    /// RFC 3339, UTC: when it was enqueued.
    pub created_at: String,
    /// RFC 3339, UTC: when its last stage was done.
    pub shipped_at: String,
}

impl Shipped {
    /// The record of a packet whose last stage is in its history.
    pub fn of(packet: &Packet) -> Shipped {
        let mut agents: Vec<String> = Vec::new();
        for done in &packet.history {
            if !agents.contains(&done.agent) {
                agents.push(done.agent.clone());
            }
        }
        Shipped {
            packet: packet.id.clone(),
            title: packet.spec.title.clone(),
            bead: packet.bead.clone(),
            source: packet.source.clone(),
            stages: packet.stages.clone(),
            agents,
            history: packet.history.clone(),
            created_at: packet.created_at.clone(),
            shipped_at: packet
                .history
                .last()
                .map_or_else(|| packet.updated_at.clone(), |d| d.at.clone()),
        }
    }

    /// Its fields as event `data` entries.
    pub fn data(&self) -> BTreeMap<String, Value> {
        match serde_json::to_value(self) {
            Ok(Value::Object(map)) => map.into_iter().collect(),
            _ => BTreeMap::new(),
        }
    }

    /// `scout alice → build bob → ship bob` (or the agents, without
    /// stages).
    pub fn route(&self) -> String {
        if self.history.iter().all(|d| d.stage.is_none()) {
            return self.agents.join(", ");
        }
        self.history
            .iter()
            .map(|d| format!("{} {}", d.stage.as_deref().unwrap_or("-"), d.agent))
            .collect::<Vec<_>>()
            .join(" → ")
    }
}

/// One ledger line: the event and what it says shipped.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    /// The event's id and time.
    pub event: String,
    pub at: String,
    pub actor: String,
    #[serde(flatten)]
    pub shipped: Shipped,
}

/// The ledger from `events` (oldest first, as the log reads), optionally
/// only what `agent` worked on; newest last. Events whose `data` is not a
/// shipped record (hand edits) are returned apart, with why.
pub fn entries(events: &[Event], agent: Option<&str>) -> (Vec<Entry>, Vec<(String, String)>) {
    let mut out = Vec::new();
    let mut bad = Vec::new();
    for e in events.iter().filter(|e| e.kind == EventKind::QueueShipped) {
        let data = Value::Object(e.data.clone().into_iter().collect());
        let shipped: Shipped = match serde_json::from_value(data) {
            Ok(s) => s,
            Err(err) => {
                bad.push((e.id.clone(), err.to_string()));
                continue;
            }
        };
        if agent.is_some_and(|a| !shipped.agents.iter().any(|x| x == a)) {
            continue;
        }
        out.push(Entry {
            event: e.id.clone(),
            at: e.at.clone(),
            actor: e.actor.clone(),
            shipped,
        });
    }
    (out, bad)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::packet::Spec;

    fn done(stage: Option<&str>, agent: &str, at: &str) -> StageDone {
        StageDone {
            stage: stage.map(String::from),
            agent: agent.into(),
            session: None,
            at: at.into(),
        }
    }

    fn packet(history: Vec<StageDone>, stages: &[&str]) -> Packet {
        serde_json::from_value::<Packet>(serde_json::json!({
            "id": "pk-1",
            "agent": "bob",
            "source": "ideas:42",
            "spec": {"title": "Ship it"},
            "priority": 2,
            "created_at": "2026-11-23T10:00:00Z",
            "updated_at": "2026-11-23T12:00:00Z",
        }))
        .map(|mut p| {
            p.history = history;
            p.stages = stages.iter().map(|s| s.to_string()).collect();
            p.spec = Spec {
                title: "Ship it".into(),
                ..Spec::default()
            };
            p
        })
        .unwrap()
    }

    fn event(s: &Shipped, id: &str) -> Event {
        let mut e = Event::new(
            "2026-11-23T12:00:00Z".parse().unwrap(),
            "t",
            EventKind::QueueShipped,
            vec![],
            "shipped".into(),
        );
        e.id = id.into();
        e.data = s.data();
        e
    }

    #[test]
    fn a_shipped_record_names_stages_and_agents() {
        let p = packet(
            vec![
                done(Some("scout"), "alice", "2026-11-23T10:30:00Z"),
                done(Some("build"), "bob", "2026-11-23T11:00:00Z"),
                done(Some("ship"), "bob", "2026-11-23T11:30:00Z"),
            ],
            &["scout", "build", "ship"],
        );
        let s = Shipped::of(&p);
        assert_eq!(s.agents, ["alice", "bob"]);
        assert_eq!(s.shipped_at, "2026-11-23T11:30:00Z");
        assert_eq!(s.source.as_deref(), Some("ideas:42"));
        assert_eq!(s.route(), "scout alice → build bob → ship bob");
        let plain = Shipped::of(&packet(
            vec![done(None, "bob", "2026-11-23T11:00:00Z")],
            &[],
        ));
        assert_eq!(plain.route(), "bob");
    }

    #[test]
    fn entries_round_trip_the_event_data_and_filter_by_agent() {
        let a = Shipped::of(&packet(
            vec![
                done(Some("scout"), "alice", "2026-11-23T10:30:00Z"),
                done(Some("build"), "bob", "2026-11-23T11:00:00Z"),
            ],
            &["scout", "build"],
        ));
        let b = Shipped::of(&packet(
            vec![done(None, "carol", "2026-11-23T11:00:00Z")],
            &[],
        ));
        let mut broken = event(&b, "3");
        broken
            .data
            .insert("agents".into(), serde_json::json!("carol"));
        let other = Event::new(
            "2026-11-23T12:00:00Z".parse().unwrap(),
            "t",
            EventKind::QueueDone,
            vec![],
            "done".into(),
        );
        let events = [event(&a, "1"), other, event(&b, "2"), broken];
        let (all, bad) = entries(&events, None);
        assert_eq!(
            all.iter().map(|e| e.event.as_str()).collect::<Vec<_>>(),
            ["1", "2"]
        );
        assert_eq!(all[0].shipped, a);
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].0, "3");
        let (alice, _) = entries(&events, Some("alice"));
        assert_eq!(alice.len(), 1);
        assert_eq!(alice[0].shipped.packet, "pk-1");
        assert!(entries(&events, Some("nobody")).0.is_empty());
    }
}
