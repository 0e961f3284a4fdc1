//! `.gemba/queues/<agent>/<state>/<packet>.json`: one unit of work for one
//! agent. The state is the directory the file is in (`ready`, `blocked`,
//! `in_progress`, `done`, `failed`), never a field: a state change is one
//! rename, so a packet is always in exactly one state.
//!
//! ```json
//! {
//!   "id": "pk-3k9x2a",
//!   "agent": "alice",
//!   "spec": {"title": "Add token refresh", "targets": ["src/auth/**"]},
//!   "priority": 1,
//!   "after": ["pk-77aa01"],
//!   "attempts": 0,
//!   "created_at": "2026-11-23T12:00:00Z",
//!   "updated_at": "2026-11-23T12:00:00Z"
//! }
//! ```

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::enrichment::Glob;

/// The highest (most urgent) priority is 0, as for beads; the lowest 4.
pub const MAX_PRIORITY: u8 = 4;
pub const DEFAULT_PRIORITY: u8 = 2;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Packet {
    /// Unique over every queue; also the file name.
    pub id: String,
    /// The agent whose queue holds it.
    pub agent: String,
    /// The bead it comes from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bead: Option<String>,
    /// The demand source item it came from (`gemba supply`), as
    /// `<source>:<item key>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The session it is kept for: auto-dispatch claimed its bead for
    /// that session, so only a take by that session gets it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    pub spec: Spec,
    /// 0 (most urgent) to 4, as for beads.
    #[schemars(range(max = 4))]
    pub priority: u8,
    /// Packets (in any agent's queue) that must be done first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<String>,
    /// The role or capability the agent needs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires: Option<String>,
    /// Its stages in order (`scout`, `build`, `verify`, `ship`); empty: one
    /// stage.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<String>,
    /// The current stage (one of `stages`), when it has stages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// Failed attempts so far (`gemba queue fail`).
    #[serde(default)]
    pub attempts: u32,
    /// Corrective notes, one per failed attempt, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Note>,
    /// Its finished stages, oldest first: who did each, and when (a
    /// packet without stages gets one entry, without `stage`, when done).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<StageDone>,
    /// Who works on it and until when; only while in progress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease: Option<Lease>,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// RFC 3339, UTC: the last change of state or content.
    pub updated_at: String,
}

/// What to do: the packet's work description.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    pub title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub body: String,
    /// Acceptance criteria, one per entry.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acceptance: Vec<String>,
    /// Path globs it is expected to touch: a ready packet whose targets
    /// overlap a packet in progress (any agent) is held back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<Glob>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub concepts: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Note {
    /// RFC 3339, UTC.
    pub at: String,
    /// The attempt it concerns (1 for the first failure).
    pub attempt: u32,
    pub text: String,
}

/// One finished stage of a packet (`gemba queue done`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StageDone {
    /// The stage finished; absent for a packet without stages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// The agent whose queue held it.
    pub agent: String,
    /// The session that held it, when one was named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// RFC 3339, UTC.
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Lease {
    /// The session working on it, when the taker named one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// RFC 3339, UTC.
    pub taken_at: String,
    /// RFC 3339, UTC: after this `gemba queue recover` returns it to ready.
    pub until: String,
    /// The take ref this take won on `claims.remote` (see
    /// `crate::queue::remote`): what giving the packet back updates, on
    /// exactly this value. None: taken on this clone only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote: Option<RemoteRef>,
    /// The other packets one `take --batch` took with it: a parallel batch
    /// (mutually conflict-free). When the last of them is done, the
    /// source index is rescanned (the scan scheduler's barrier).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub batch: Vec<String>,
}

/// A ref on a git remote and the commit it was set to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoteRef {
    /// The remote, as `claims.remote` names it.
    pub remote: String,
    /// The commit (hex) the ref was set to.
    pub commit: String,
}

impl Lease {
    /// Whether the lease has run out at `now`; an unreadable `until` (a
    /// hand edit) never expires by itself.
    pub fn expired(&self, now: jiff::Timestamp) -> bool {
        self.until
            .parse::<jiff::Timestamp>()
            .is_ok_and(|end| now >= end)
    }
}

impl Packet {
    /// Rules serde cannot express.
    pub fn validate(&self) -> Result<(), String> {
        super::id::validate(&self.id).map_err(|e| e.to_string())?;
        super::id::validate(&self.agent).map_err(|e| format!("agent: {e}"))?;
        if self.spec.title.trim().is_empty() {
            return Err("spec.title: must not be empty".into());
        }
        if self.priority > MAX_PRIORITY {
            return Err(format!(
                "priority: {} is out of range (0 most urgent .. {MAX_PRIORITY})",
                self.priority
            ));
        }
        if let Some(session) = &self.session {
            super::id::validate(session).map_err(|e| format!("session: {e}"))?;
        }
        for after in &self.after {
            super::id::validate(after).map_err(|e| format!("after: {e}"))?;
        }
        if let Some(stage) = &self.stage
            && !self.stages.contains(stage)
        {
            return Err(format!("stage: {stage:?} is not one of stages"));
        }
        for (i, stage) in self.stages.iter().enumerate() {
            if !is_word(stage) {
                return Err(format!(
                    "stages: {stage:?} is not a stage name (one word, no commas)"
                ));
            }
            if self.stages[..i].contains(stage) {
                return Err(format!("stages: {stage:?} is listed twice"));
            }
        }
        if let Some(r) = &self.requires
            && !is_word(r)
        {
            return Err(format!(
                "requires: {r:?} is not a role or capability name (one word)"
            ));
        }
        for (i, done) in self.history.iter().enumerate() {
            super::id::validate(&done.agent).map_err(|e| format!("history[{i}].agent: {e}"))?;
            if done.at.parse::<jiff::Timestamp>().is_err() {
                return Err(format!(
                    "history[{i}].at: {:?} is not an RFC 3339 time",
                    done.at
                ));
            }
        }
        for (field, at) in [
            ("created_at", &self.created_at),
            ("updated_at", &self.updated_at),
        ] {
            if at.parse::<jiff::Timestamp>().is_err() {
                return Err(format!("{field}: {at:?} is not an RFC 3339 time"));
            }
        }
        Ok(())
    }
}

/// A stage, role or capability name: one word, no commas.
fn is_word(text: &str) -> bool {
    !text.is_empty() && !text.contains(',') && !text.chars().any(char::is_whitespace)
}

#[cfg(test)]
impl Packet {
    /// A ready packet for tests: titled `id`, priority 2, created
    /// 2026-11-23T12:00:00Z, nothing else set (the one literal the tests
    /// share, so a new field is added in one place).
    pub fn sample(id: &str, agent: &str) -> Packet {
        Packet {
            id: id.into(),
            agent: agent.into(),
            bead: None,
            source: None,
            session: None,
            spec: Spec {
                title: id.into(),
                ..Spec::default()
            },
            priority: DEFAULT_PRIORITY,
            after: vec![],
            requires: None,
            stages: vec![],
            stage: None,
            attempts: 0,
            notes: vec![],
            history: vec![],
            lease: None,
            created_at: "2026-11-23T12:00:00Z".into(),
            updated_at: "2026-11-23T12:00:00Z".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet() -> Packet {
        Packet::sample("pk-1", "alice")
    }

    #[test]
    fn validate_rejects_what_serde_cannot() {
        assert_eq!(packet().validate(), Ok(()));
        let bad: [(&str, Packet); 9] = [
            (
                "invalid id",
                Packet {
                    id: "../x".into(),
                    ..packet()
                },
            ),
            (
                "spec.title",
                Packet {
                    spec: Spec::default(),
                    ..packet()
                },
            ),
            (
                "priority",
                Packet {
                    priority: 5,
                    ..packet()
                },
            ),
            (
                "stage",
                Packet {
                    stage: Some("ship".into()),
                    ..packet()
                },
            ),
            (
                "created_at",
                Packet {
                    created_at: "soon".into(),
                    ..packet()
                },
            ),
            (
                "not a stage name",
                Packet {
                    stages: vec!["scout".into(), "two words".into()],
                    ..packet()
                },
            ),
            (
                "listed twice",
                Packet {
                    stages: vec!["build".into(), "build".into()],
                    ..packet()
                },
            ),
            (
                "requires",
                Packet {
                    requires: Some("".into()),
                    ..packet()
                },
            ),
            (
                "history[0].at",
                Packet {
                    history: vec![StageDone {
                        stage: None,
                        agent: "alice".into(),
                        session: None,
                        at: "later".into(),
                    }],
                    ..packet()
                },
            ),
        ];
        for (what, p) in bad {
            let err = p.validate().unwrap_err();
            assert!(err.contains(what), "{what}: {err}");
        }
    }

    #[test]
    fn lease_expires_at_its_end() {
        let lease = Lease {
            session: None,
            taken_at: "2026-11-23T12:00:00Z".into(),
            until: "2026-11-23T14:00:00Z".into(),
            remote: None,
            batch: Vec::new(),
        };
        let at = |t: &str| t.parse::<jiff::Timestamp>().unwrap();
        assert!(!lease.expired(at("2026-11-23T13:59:59Z")));
        assert!(lease.expired(at("2026-11-23T14:00:00Z")));
    }
}
