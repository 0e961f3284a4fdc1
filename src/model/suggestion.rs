//! `.gemba/suggestions/<id>.yaml`: a proposed change awaiting review, of
//! the vocabulary (`gemba concepts drift` writes them; `gemba concepts
//! approve|reject` decides) or of a config value (`kind: tune`, written by
//! `gemba calibrate`). `gemba suggestions list|approve|reject` is the one
//! queue for both. A vocabulary suggestion, as a person would write one:
//!
//! ```yaml
//! id: rename-auth
//! kind: rename
//! terms: [auth]
//! target: authentication
//! reason: "`auth` reads like `author`"
//! status: pending
//! created_at: 2026-11-23T12:00:00Z
//! ```
//!
//! `terms` are the terms the change acts on (merged away, renamed or
//! deleted); `target` is where they go (the surviving term of a merge, the
//! new name of a rename; absent for a delete).
//!
//! A tune suggestion names a config `key`, its `current` value and the
//! proposed `value` (as `gemba tune KEY=VALUE` takes it), the calibration
//! `finding` behind it and the `samples` (decision event ids or bead ids):
//!
//! ```yaml
//! id: tune-scoring.affinity_share
//! kind: tune
//! key: scoring.affinity_share
//! current: '0.7'
//! value: '0.6'
//! finding: leverage_miss
//! samples: [01KB..., 01KB...]
//! reason: 6 of 8 picks chose more leverage than recommended
//! status: pending
//! created_at: 2026-11-23T12:00:00Z
//! ```

use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Suggestion {
    /// Also the file name (`<id>.yaml`).
    pub id: String,
    pub kind: SuggestionKind,
    /// The terms the change acts on: merged away (`merge`), renamed
    /// (`rename`, exactly one) or retired (`delete`); empty for `tune`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub terms: Vec<String>,
    /// The surviving term (`merge`) or the new name (`rename`); absent for
    /// `delete` and `tune`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// `tune`: the dotted config key (`scoring.affinity_share`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// `tune`: its value when suggested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<String>,
    /// `tune`: the proposed value, as `gemba tune KEY=VALUE` takes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// `tune`: the calibration finding behind it (`intent_miss`,
    /// `leverage_miss`, `runway_over_trust`, `affinity_drift`, `size_drift`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finding: Option<String>,
    /// `tune`: the samples behind it: decision event ids (coach picks) or
    /// bead ids (size drift).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub samples: Vec<String>,
    /// One line of evidence for people (`jaccard 0.82, usage 9/11`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// The numbers behind `reason` (`jaccard`, `usage_from`, `days_unused`, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub evidence: BTreeMap<String, f64>,
    #[serde(default)]
    pub status: SuggestionStatus,
    /// RFC 3339, UTC.
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    /// Why it was rejected (or a note on approval).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision_reason: Option<String>,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum SuggestionKind {
    /// Fold `terms` into `target`: their names become aliases of `target`
    /// and every bead tagged with them is tagged with `target` instead.
    Merge,
    /// Give the one term in `terms` the name `target`; the old name becomes
    /// an alias.
    Rename,
    /// Retire `terms` and remove them from every bead.
    Delete,
    /// Set the config value `key` to `value` (`gemba tune`).
    Tune,
}

impl SuggestionKind {
    /// Whether approving it changes the vocabulary (`gemba concepts`).
    pub fn is_vocabulary(self) -> bool {
        self != SuggestionKind::Tune
    }
}

impl fmt::Display for SuggestionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SuggestionKind::Merge => "merge",
            SuggestionKind::Rename => "rename",
            SuggestionKind::Delete => "delete",
            SuggestionKind::Tune => "tune",
        })
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SuggestionStatus {
    #[default]
    Pending,
    Approved,
    Rejected,
}

impl fmt::Display for SuggestionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SuggestionStatus::Pending => "pending",
            SuggestionStatus::Approved => "approved",
            SuggestionStatus::Rejected => "rejected",
        })
    }
}

/// The JSON Schema a suggestion file names in its first line, relative to
/// `.gemba/suggestions/`.
pub const SCHEMA: &str = "../schema/suggestion.schema.json";

impl Suggestion {
    /// Record a review's decision (`at`: RFC 3339, UTC).
    pub fn decide(&mut self, status: SuggestionStatus, at: String, by: &str, reason: Option<&str>) {
        self.status = status;
        self.decided_at = Some(at);
        self.decided_by = Some(by.to_string());
        self.decision_reason = reason.map(String::from);
    }

    /// The file's bytes: the schema modeline, then the fields.
    pub fn to_yaml(&self) -> String {
        crate::format::to_yaml_with_schema(SCHEMA, self)
    }

    /// Checks what serde cannot: the shape each kind needs.
    pub fn validate(&self) -> Result<(), String> {
        if self.kind == SuggestionKind::Tune {
            if !self.terms.is_empty() || self.target.is_some() {
                return Err("a tune suggestion has no `terms` or `target`".into());
            }
            return match (&self.key, &self.value) {
                (Some(k), Some(_)) if !k.trim().is_empty() => Ok(()),
                _ => Err("a tune suggestion needs a `key` and a `value`".into()),
            };
        }
        if self.key.is_some() || self.value.is_some() {
            return Err(format!(
                "a {} suggestion has no `key` or `value` (those are for tune)",
                self.kind
            ));
        }
        if self.terms.is_empty() {
            return Err("`terms` must name at least one term".into());
        }
        if self.terms.iter().any(|t| t.trim().is_empty()) {
            return Err("`terms` must not hold an empty name".into());
        }
        match (self.kind, &self.target) {
            (SuggestionKind::Delete, Some(_)) => Err("a delete suggestion has no `target`".into()),
            (SuggestionKind::Merge | SuggestionKind::Rename, None) => {
                Err(format!("a {} suggestion needs a `target`", self.kind))
            }
            (SuggestionKind::Rename, Some(_)) if self.terms.len() != 1 => {
                Err("a rename suggestion renames exactly one term".into())
            }
            (_, Some(target)) if target.trim().is_empty() => {
                Err("`target` must not be empty".into())
            }
            (_, Some(target)) if self.terms.contains(target) => {
                Err(format!("`target` {target:?} is also in `terms`"))
            }
            _ => Ok(()),
        }
    }

    /// `merge a into b`, `rename a to b`, `delete a`: for messages.
    pub fn describe(&self) -> String {
        let terms = self.terms.join(", ");
        match (self.kind, &self.target) {
            (SuggestionKind::Tune, _) => format!(
                "set {} from {} to {}",
                self.key.as_deref().unwrap_or_default(),
                self.current.as_deref().unwrap_or("?"),
                self.value.as_deref().unwrap_or_default()
            ),
            (SuggestionKind::Merge, Some(t)) => format!("merge {terms} into {t}"),
            (SuggestionKind::Rename, Some(t)) => format!("rename {terms} to {t}"),
            _ => format!("{} {terms}", self.kind),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn parse(text: &str) -> Result<Suggestion, crate::format::ParseError> {
        crate::format::from_yaml(Path::new("s.yaml"), text)
    }

    #[test]
    fn round_trips_with_stable_bytes() {
        let s = Suggestion {
            id: "merge-abc".into(),
            kind: SuggestionKind::Merge,
            terms: vec!["authn".into()],
            target: Some("auth".into()),
            key: None,
            current: None,
            value: None,
            finding: None,
            samples: vec![],
            reason: "jaccard 0.82, usage 9/11".into(),
            evidence: [
                ("jaccard".to_string(), 0.82),
                ("usage_from".to_string(), 9.0),
            ]
            .into(),
            status: SuggestionStatus::Pending,
            created_at: "2026-11-23T12:00:00Z".into(),
            decided_at: None,
            decided_by: None,
            decision_reason: None,
        };
        let text = s.to_yaml();
        assert!(
            text.starts_with(
                "# yaml-language-server: $schema=../schema/suggestion.schema.json\nid: "
            ),
            "{text}"
        );
        let back = parse(&text).unwrap();
        assert_eq!(back, s);
        assert_eq!(back.to_yaml(), text, "stable bytes");
    }

    #[test]
    fn typos_and_bad_values_have_positions() {
        let err =
            parse("id: x\nkind: merge\nterms: [a]\ntarget: b\nstatuss: pending\ncreated_at: t\n")
                .unwrap_err();
        assert_eq!(err.line, 5, "{err}");
        let err = parse("id: x\nkind: smash\nterms: [a]\ncreated_at: t\n").unwrap_err();
        assert_eq!(err.line, 2, "{err}");
    }

    #[test]
    fn shape_per_kind() {
        let base = |kind, terms: &[&str], target: Option<&str>| Suggestion {
            id: "x".into(),
            kind,
            terms: terms.iter().map(|t| t.to_string()).collect(),
            target: target.map(String::from),
            key: None,
            current: None,
            value: None,
            finding: None,
            samples: vec![],
            reason: String::new(),
            evidence: BTreeMap::new(),
            status: SuggestionStatus::Pending,
            created_at: "t".into(),
            decided_at: None,
            decided_by: None,
            decision_reason: None,
        };
        use SuggestionKind::*;
        for (s, ok) in [
            (base(Merge, &["a"], Some("b")), true),
            (base(Merge, &["a", "c"], Some("b")), true),
            (base(Merge, &["a"], None), false),
            (base(Merge, &["a"], Some("a")), false),
            (base(Rename, &["a"], Some("b")), true),
            (base(Rename, &["a", "c"], Some("b")), false),
            (base(Delete, &["a"], None), true),
            (base(Delete, &["a"], Some("b")), false),
            (base(Delete, &[], None), false),
            (base(Delete, &[" "], None), false),
        ] {
            assert_eq!(s.validate().is_ok(), ok, "{s:?}");
        }
        let tune = |key: Option<&str>, value: Option<&str>| Suggestion {
            key: key.map(String::from),
            value: value.map(String::from),
            ..base(Tune, &[], None)
        };
        assert!(
            tune(Some("scoring.affinity_share"), Some("0.6"))
                .validate()
                .is_ok()
        );
        assert!(tune(None, Some("0.6")).validate().is_err());
        assert!(tune(Some("x"), None).validate().is_err());
        assert!(tune(Some(" "), Some("1")).validate().is_err());
        let with_terms = Suggestion {
            terms: vec!["a".into()],
            ..tune(Some("x"), Some("1"))
        };
        assert!(with_terms.validate().is_err());
        let vocab_with_key = Suggestion {
            key: Some("x".into()),
            ..base(Delete, &["a"], None)
        };
        assert!(vocab_with_key.validate().is_err());
    }

    #[test]
    fn tune_round_trips_and_vocabulary_bytes_are_unchanged() {
        let text = "id: tune-x\nkind: tune\nkey: scoring.affinity_share\ncurrent: '0.7'\nvalue: '0.6'\nfinding: leverage_miss\nsamples:\n- e1\nreason: r\nstatus: pending\ncreated_at: t\n";
        let s = parse(text).unwrap();
        assert_eq!(s.kind, SuggestionKind::Tune);
        assert_eq!(s.value.as_deref(), Some("0.6"));
        assert!(s.validate().is_ok());
        assert_eq!(parse(&s.to_yaml()).unwrap(), s);
        // A vocabulary file written before tune existed reads and writes
        // back byte for byte.
        let old = "# yaml-language-server: $schema=../schema/suggestion.schema.json\nid: d\nkind: delete\nterms:\n- a\nstatus: pending\ncreated_at: t\n";
        assert_eq!(parse(old).unwrap().to_yaml(), old);
    }
}
