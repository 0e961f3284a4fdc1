//! What an agent or a session has been working on: concept and file
//! weights, kept inside `agents/<name>.yaml` and `sessions/<id>.json`.
//! The decay rules live in `profile/` (pure); this is only the data.
//!
//! A **session profile** decays by bead events, not wall time: `events` counts
//! the bead events folded in so far and the stored weights are already decayed
//! to that count (the weight of event i at event n is 0.5^((n-i)/h)). An
//! **agent profile** decays by wall time (half-life in days) from `updated_at`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Profile {
    /// Concept → weight (≥ 0), decayed to `events` / `updated_at`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub concepts: BTreeMap<String, f64>,
    /// Repository-relative file path (or glob) → weight (≥ 0).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub files: BTreeMap<String, f64>,
    /// Bead events folded in so far (a session's decay clock; an agent's
    /// lifetime bead count).
    pub events: u64,
    /// RFC 3339, UTC: when the weights were last decayed (agent profiles).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// The last beads, newest last (a session keeps 5).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub recent: Vec<RecentBead>,
}

impl Profile {
    /// Rules serde cannot express: weights are finite and not negative,
    /// `updated_at` is an RFC 3339 time.
    pub fn validate(&self) -> Result<(), String> {
        for (what, weights) in [("concepts", &self.concepts), ("files", &self.files)] {
            if let Some((key, w)) = weights.iter().find(|(_, w)| !(w.is_finite() && **w >= 0.0)) {
                return Err(format!(
                    "profile.{what}.{key}: weight {w} is not a number >= 0"
                ));
            }
        }
        if let Some(t) = &self.updated_at
            && t.parse::<jiff::Timestamp>().is_err()
        {
            return Err(format!(
                "profile.updated_at: {t:?} is not an RFC 3339 time (2026-11-30T10:00:00Z)"
            ));
        }
        Ok(())
    }
}

/// One bead in a profile's ring of recent work.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RecentBead {
    pub bead: String,
    /// The event count at which it was folded in.
    pub event: u64,
    /// Its parent epic, when it has one (epic affinity).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epic: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub concepts: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
    /// `declared` at claim time, `actual` once the retrospective replaced it.
    pub source: ProfileSource,
    /// Closed by this session (epic affinity counts closed siblings).
    pub closed: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ProfileSource {
    /// The bead's enrichment (targets, concepts) when it was claimed.
    #[default]
    Declared,
    /// The files the merge really touched (retrospective).
    Actual,
}
