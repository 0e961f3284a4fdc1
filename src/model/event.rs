//! One line of `.gemba/log/<YYYY-MM-DD>.jsonl`: something that changed state.

use std::collections::BTreeMap;

use jiff::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// RFC 3339, UTC.
    pub at: String,
    /// What happened: `init`, `import`, `bead.create`, `bead.update`, ...
    pub kind: String,
    /// Who did it: `--actor`, `GEMBA_ACTOR`, or the user name.
    pub actor: String,
    /// The bead it concerns, when it concerns one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bead: Option<String>,
    /// One line for people; also the auto-commit message.
    pub message: String,
    /// Kind-specific details.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub data: BTreeMap<String, Value>,
}

impl Event {
    /// A new event stamped with `now` and `actor`.
    pub fn new(
        now: Timestamp,
        actor: &str,
        kind: &str,
        bead: Option<&str>,
        message: String,
    ) -> Event {
        Event {
            at: super::timestamp(now),
            kind: kind.into(),
            actor: actor.into(),
            bead: bead.map(String::from),
            message,
            data: Default::default(),
        }
    }

    pub fn with(mut self, key: &str, value: impl Serialize) -> Event {
        self.data.insert(
            key.to_string(),
            serde_json::to_value(value).unwrap_or(Value::Null),
        );
        self
    }
}
