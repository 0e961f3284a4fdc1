//! `.gemba/sessions/<id>.json`: one working session of an agent: where it
//! works, its telemetry, its event-decayed profile and its intent.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::profile::Profile;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Session {
    /// Also the file name (`<id>.json`), e.g. `s-alice-3k9x`.
    pub id: String,
    pub agent: String,
    pub status: SessionStatus,
    pub workspace: Workspace,
    /// RFC 3339, UTC.
    pub started_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<String>,
    /// The session this one took over from (`session handoff`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    #[serde(default)]
    pub telemetry: Telemetry,
    #[serde(default)]
    pub profile: Profile,
    /// What the operator wants this session to stay on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent: Option<Intent>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SessionStatus {
    #[default]
    Live,
    Ended,
}

/// Where a session works. Workspace match: same repo and branch 1, same
/// repo 0.5, other 0.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Workspace {
    /// The repository's identity: its main worktree path (or remote URL).
    pub repo: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// The worktree the session runs in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Telemetry {
    /// Tokens in the context at the last heartbeat.
    pub tokens: u64,
    /// Context window in tokens (from the heartbeat, else the agent's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context_window: Option<u64>,
    /// RFC 3339, UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heartbeat_at: Option<String>,
    /// The bead in hand and since when (time on task).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bead: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bead_since: Option<String>,
}

/// `session focus`: beads outside it are demoted, not excluded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Intent {
    pub scope: IntentScope,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub rationale: String,
    /// Score multiplier for beads outside the focus (default 0.4).
    pub demotion: f64,
    /// RFC 3339, UTC.
    pub set_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum IntentScope {
    /// The epic and its descendants.
    Epic(String),
    Label(String),
    /// Matched against the title and description.
    Regex(String),
}
