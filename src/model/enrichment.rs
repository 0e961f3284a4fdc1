//! `.gemba/enrichment/<id>.yaml`: what a bead is about, kept apart from the
//! bead so re-importing never clobbers it. Humans edit these files; every
//! field carries the source that set it, so an operator's value is never
//! replaced by a heuristic one.
//!
//! ```yaml
//! targets:
//!   value: [src/auth/**, docs/*.md]
//!   source: operator
//!   updated_at: 2026-11-23T12:00:00Z
//! dispatch_status:
//!   value: awaiting-design
//!   source: operator
//! ```

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

use super::agent::Band;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Enrichment {
    /// Path globs the work is expected to touch (`*` stays within one
    /// directory, `**` crosses any number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub targets: Option<Stamped<Vec<Glob>>>,
    /// Tags from the controlled vocabulary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concepts: Option<Stamped<Vec<String>>>,
    /// Soft block: whether the bead may be handed out (absent: `ready`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispatch_status: Option<Stamped<DispatchStatus>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_size: Option<Stamped<Size>>,
    /// How hard the work is (`trivial` to `decompose`): estimated by
    /// extraction and backfill, pinned by `gemba bead complexity --set`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complexity: Option<Stamped<Band>>,
}

/// A value and who set it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Stamped<T> {
    pub value: T,
    pub source: Source,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// A person (a command or a hand edit): always wins.
    Operator,
    /// `gemba bead extract`.
    Heuristic,
    /// `gemba bead backfill`.
    Backfill,
    /// Learned from a merge retrospective.
    Retro,
    /// Borrowed by `gemba bead backfill` from related beads (parts of the
    /// same epic, or the most similar texts) when the bead's own text names
    /// no files; the backfill event says which beads.
    Similar,
    /// Learned by `gemba bead backfill` from the files that the closed
    /// beads most like it touched (their `retro` targets), when its own
    /// text names no files; may follow targets borrowed as `similar`.
    /// `backfill --json` says which beads lent each file.
    History,
}

impl Source {
    /// Machine-set values may be replaced by other machine-set values;
    /// operator values only by an operator.
    pub fn is_operator(self) -> bool {
        self == Source::Operator
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Source::Operator => "operator",
            Source::Heuristic => "heuristic",
            Source::Backfill => "backfill",
            Source::Retro => "retro",
            Source::Similar => "similar",
            Source::History => "history",
        })
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DispatchStatus {
    #[default]
    Ready,
    AwaitingDesign,
    AwaitingVendor,
    AwaitingReview,
    NotNow,
}

impl DispatchStatus {
    /// Every value, in the order `--help` lists them.
    pub const ALL: [DispatchStatus; 5] = [
        DispatchStatus::Ready,
        DispatchStatus::AwaitingDesign,
        DispatchStatus::AwaitingVendor,
        DispatchStatus::AwaitingReview,
        DispatchStatus::NotNow,
    ];

    /// The name on disk and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            DispatchStatus::Ready => "ready",
            DispatchStatus::AwaitingDesign => "awaiting-design",
            DispatchStatus::AwaitingVendor => "awaiting-vendor",
            DispatchStatus::AwaitingReview => "awaiting-review",
            DispatchStatus::NotNow => "not-now",
        }
    }
}

impl fmt::Display for DispatchStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A validated, repository-relative path glob. Checked when parsed, so a
/// bad glob in a hand-edited file is an error at its line and column.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct Glob(String);

impl Glob {
    pub fn new(text: &str) -> Result<Glob, String> {
        let text = text.trim();
        let t = text.strip_prefix("./").unwrap_or(text);
        if t.is_empty() {
            return Err("empty glob".into());
        }
        if t.starts_with('/') {
            return Err(format!(
                "glob {t:?} must be relative to the repository root"
            ));
        }
        if t.split('/').any(|s| s == ".." || s == ".") {
            return Err(format!("glob {t:?} must not contain `.` or `..` segments"));
        }
        if t.contains('\\') {
            return Err(format!("glob {t:?}: use `/` as the separator"));
        }
        let normal = normalize_glob(t).map_err(|e| format!("glob {t:?}: {e}"))?;
        globset::GlobBuilder::new(&normal)
            .literal_separator(true)
            .build()
            .map_err(|e| format!("invalid glob {t:?}: {}", e.kind()))?;
        Ok(Glob(t.to_string()))
    }

    /// A glob validated before (read back from gemba's own cache).
    pub(crate) fn trusted(text: String) -> Glob {
        Glob(text)
    }

    /// The text as written (what the file holds).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form every match and comparison uses ([`normalize_glob`]).
    pub fn normalized(&self) -> String {
        normalize_glob(&self.0).unwrap_or_else(|_| self.0.clone())
    }

    /// A matcher of [`Glob::normalized`] where `*` never crosses `/`.
    pub fn matcher(&self) -> globset::GlobMatcher {
        globset::GlobBuilder::new(&self.normalized())
            .literal_separator(true)
            .build()
            .expect("validated when constructed")
            .compile_matcher()
    }
}

/// The one normal form of a target glob, used wherever globs are matched
/// or compared (the files keep the text as written): surrounding blanks,
/// empty and `.` segments and a leading `/` are dropped (`./src/x`,
/// `src//x`, `/src/x` are all `src/x`), and a trailing `/` means the
/// directory's contents (`src/` is `src/**`). `..`, `\` and NUL are errors,
/// as is a glob with no segment left. [`Glob::new`] is stricter still: it
/// rejects a leading `/` and `.` segments in what people write.
pub fn normalize_glob(text: &str) -> Result<String, String> {
    let t = text.trim();
    if t.contains('\\') {
        return Err("use `/` as the separator".into());
    }
    if t.contains('\0') {
        return Err("contains NUL".into());
    }
    let mut out = String::with_capacity(t.len() + 3);
    let mut last = "";
    for seg in t.split('/') {
        match seg {
            "" | "." => continue,
            ".." => return Err("must not contain `..` segments".into()),
            _ => {}
        }
        if !out.is_empty() {
            out.push('/');
        }
        out.push_str(seg);
        last = seg;
    }
    if out.is_empty() {
        return Err("empty glob".into());
    }
    if t.ends_with('/') && last != "**" {
        out.push_str("/**");
    }
    Ok(out)
}

impl fmt::Display for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Glob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Glob, D::Error> {
        let text = String::deserialize(d)?;
        Glob::new(&text).map_err(serde::de::Error::custom)
    }
}

/// Rough size of a bead, from the length of its text and its
/// definition-of-done lines; see [`Limits`] for the exact rule.
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
pub enum Size {
    Small,
    /// Also the neutral value when nothing was estimated.
    #[default]
    Medium,
    Large,
}

impl Size {
    pub const ALL: [Size; 3] = [Size::Small, Size::Medium, Size::Large];

    /// The name on disk and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Size::Small => "small",
            Size::Medium => "medium",
            Size::Large => "large",
        }
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The JSON Schema an enrichment file names in its first line, relative to
/// `.gemba/enrichment/`.
pub const SCHEMA: &str = "../schema/enrichment.schema.json";

impl Enrichment {
    /// The file's bytes: the schema modeline, then the fields.
    pub fn to_yaml(&self) -> String {
        crate::format::to_yaml_with_schema(SCHEMA, self)
    }

    pub fn is_empty(&self) -> bool {
        self.targets.is_none()
            && self.concepts.is_none()
            && self.dispatch_status.is_none()
            && self.estimated_size.is_none()
            && self.complexity.is_none()
    }

    pub fn target_globs(&self) -> &[Glob] {
        self.targets
            .as_ref()
            .map(|s| s.value.as_slice())
            .unwrap_or_default()
    }

    pub fn concept_names(&self) -> &[String] {
        self.concepts
            .as_ref()
            .map(|s| s.value.as_slice())
            .unwrap_or_default()
    }

    pub fn status(&self) -> DispatchStatus {
        self.dispatch_status
            .as_ref()
            .map(|s| s.value)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn globs() {
        for ok in ["src/auth/**", "docs/*.md", "./Cargo.toml", "src/{a,b}/*.rs"] {
            Glob::new(ok).unwrap();
        }
        for bad in ["", "/etc/*", "../x", "src/[", "a\\b", "src/./x"] {
            assert!(Glob::new(bad).is_err(), "{bad:?}");
        }
        let m = Glob::new("src/*.rs").unwrap().matcher();
        assert!(m.is_match("src/main.rs"));
        assert!(!m.is_match("src/cli/mod.rs"), "`*` must not cross `/`");
        // Matched in the normal form, kept as written.
        let g = Glob::new("src//cli/").unwrap();
        assert_eq!(
            (g.as_str(), g.normalized().as_str()),
            ("src//cli/", "src/cli/**")
        );
        assert!(g.matcher().is_match("src/cli/mod.rs"));
        assert!(!g.matcher().is_match("src/cli"));
        assert!(Glob::new("a\0b").is_err());
    }

    #[test]
    fn bad_glob_in_yaml_has_position() {
        let text = "targets:\n  value:\n    - src/ok/**\n    - src/[bad\n  source: operator\n";
        let err = crate::format::from_yaml::<Enrichment>(Path::new("e.yaml"), text).unwrap_err();
        assert_eq!(err.line, 4, "{err}");
        assert!(err.message.contains("invalid glob"), "{err}");
    }

    #[test]
    fn unknown_enum_and_typo_keys_fail() {
        for text in [
            "dispatch_status:\n  value: someday\n  source: operator\n",
            "targets:\n  value: []\n  source: robot\n",
            "concept:\n  value: [a]\n  source: operator\n",
            "estimated_size:\n  value: huge\n  source: heuristic\n",
        ] {
            assert!(
                crate::format::from_yaml::<Enrichment>(Path::new("e"), text).is_err(),
                "{text}"
            );
        }
    }

    #[test]
    fn round_trips() {
        let e = Enrichment {
            targets: Some(Stamped {
                value: vec![Glob::new("src/**").unwrap()],
                source: Source::Operator,
                updated_at: None,
            }),
            dispatch_status: Some(Stamped {
                value: DispatchStatus::AwaitingDesign,
                source: Source::Operator,
                updated_at: Some("2026-01-01T00:00:00Z".into()),
            }),
            ..Default::default()
        };
        let text = e.to_yaml();
        assert!(
            text.starts_with(
                "# yaml-language-server: $schema=../schema/enrichment.schema.json\ntargets:\n"
            ),
            "{text}"
        );
        let back: Enrichment = crate::format::from_yaml(Path::new("e"), &text).unwrap();
        assert_eq!(back, e);
        assert_eq!(back.to_yaml(), text, "stable bytes");
    }

    /// `ALL` holds every variant once, and `as_str` is the serde name (the
    /// command line and the files spell values the same way).
    #[test]
    fn closed_enums_list_every_value_by_its_serde_name() {
        fn exhaustive(d: DispatchStatus, s: Size) {
            match d {
                DispatchStatus::Ready
                | DispatchStatus::AwaitingDesign
                | DispatchStatus::AwaitingVendor
                | DispatchStatus::AwaitingReview
                | DispatchStatus::NotNow => {}
            }
            match s {
                Size::Small | Size::Medium | Size::Large => {}
            }
        }
        exhaustive(DispatchStatus::Ready, Size::Small);
        let names = |v: serde_json::Value| v.as_str().unwrap().to_string();
        for d in DispatchStatus::ALL {
            assert_eq!(names(serde_json::to_value(d).unwrap()), d.as_str());
            assert_eq!(d.to_string(), d.as_str());
        }
        for s in Size::ALL {
            assert_eq!(names(serde_json::to_value(s).unwrap()), s.as_str());
        }
        let unique = |n: Vec<&str>| n.iter().collect::<std::collections::BTreeSet<_>>().len();
        assert_eq!(unique(DispatchStatus::ALL.map(|d| d.as_str()).to_vec()), 5);
        assert_eq!(unique(Size::ALL.map(|s| s.as_str()).to_vec()), 3);
    }
}
