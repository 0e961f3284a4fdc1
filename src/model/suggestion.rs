//! `.gemba/suggestions/<id>.yaml`: a proposed vocabulary change awaiting
//! review. `gemba concepts drift` writes them; a person approves or rejects
//! them (`gemba concepts approve|reject`), or writes one by hand:
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
    /// (`rename`, exactly one) or retired (`delete`).
    pub terms: Vec<String>,
    /// The surviving term (`merge`) or the new name (`rename`); absent for
    /// `delete`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
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
}

impl fmt::Display for SuggestionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SuggestionKind::Merge => "merge",
            SuggestionKind::Rename => "rename",
            SuggestionKind::Delete => "delete",
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
    /// The file's bytes: the schema modeline, then the fields.
    pub fn to_yaml(&self) -> String {
        crate::format::to_yaml_with_schema(SCHEMA, self)
    }

    /// Checks what serde cannot: the shape each kind needs.
    pub fn validate(&self) -> Result<(), String> {
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
    }
}
