//! `.gemba/agents/<name>.yaml`: an agent's capability envelope and its
//! long-lived profile. People edit the envelope; gemba updates the profile.
//!
//! ```yaml
//! name: alice
//! roles: [build]
//! max_band: skilled
//! cost_tier: standard
//! tools: [cargo, git]
//! model: claude-sonnet
//! context_window: 200000
//! created_at: 2026-11-30T10:00:00Z
//! ```

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::profile::Profile;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Agent {
    /// Also the file name (`<name>.yaml`).
    pub name: String,
    /// Roles it takes work for (`scout`, `build`, `verify`, `ship`, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// The hardest complexity band it is trusted with.
    #[serde(default)]
    pub max_band: Band,
    #[serde(default)]
    pub cost_tier: CostTier,
    /// Tools it can use; a bead that needs another one does not fit.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Tokens; the default window of its sessions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_window: Option<u64>,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// What it has worked on, decayed by wall time (gemba writes this).
    #[serde(default)]
    pub profile: Profile,
}

/// How hard a bead is, and how hard an agent may go: ordered.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Band {
    Trivial,
    #[default]
    Routine,
    Skilled,
    Expert,
    /// Too big or too vague for one agent: split it first.
    Decompose,
}

impl Band {
    pub const ALL: [Band; 5] = [
        Band::Trivial,
        Band::Routine,
        Band::Skilled,
        Band::Expert,
        Band::Decompose,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Band::Trivial => "trivial",
            Band::Routine => "routine",
            Band::Skilled => "skilled",
            Band::Expert => "expert",
            Band::Decompose => "decompose",
        }
    }
}

impl fmt::Display for Band {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an agent costs to run, ordered cheap to dear.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum CostTier {
    Economy,
    #[default]
    Standard,
    Premium,
}

impl CostTier {
    pub const ALL: [CostTier; 3] = [CostTier::Economy, CostTier::Standard, CostTier::Premium];

    pub fn as_str(self) -> &'static str {
        match self {
            CostTier::Economy => "economy",
            CostTier::Standard => "standard",
            CostTier::Premium => "premium",
        }
    }
}

impl fmt::Display for CostTier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
