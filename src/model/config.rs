//! `.gemba/config.yaml`: every default lives in `Default` here and nowhere
//! else; `gemba config show` prints the effective values.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub ids: IdsConfig,
    pub store: StoreConfig,
    pub git: GitConfig,
    /// Caps and size thresholds of the heuristic extractor.
    pub enrich: Limits,
    /// Thresholds of `gemba concepts bootstrap` and `gemba concepts drift`.
    pub vocab: VocabConfig,
    /// bd's cross-project dependencies: project name → path of its
    /// repository (relative to the directory holding `.gemba/`, unless
    /// absolute). An `external:<project>:<capability>` edge blocks until
    /// that project's tracker has a closed bead labelled
    /// `provides:<capability>`.
    pub external_projects: BTreeMap<String, String>,
    /// Source analysis: where the import graph behind `semantic` conflict
    /// edges comes from (`gemba index build`).
    pub analysis: AnalysisConfig,
    /// Affinity and leverage (`gemba affinity`, `gemba leverage`).
    pub scoring: ScoringConfig,
    /// The gates and adjustments of selection (`gemba next`).
    pub selection: SelectionConfig,
}

/// Weights of the affinity components; any non-negative numbers (the
/// score divides by their sum), defaults summing to 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AffinityWeights {
    /// Concept overlap (cosine) with the session's and the agent's profile.
    pub concept: f64,
    /// The bead's targets among the files the session worked on.
    pub file: f64,
    /// Same repository and branch as the bead's work.
    pub workspace: f64,
    /// A sibling of a bead the session closed.
    pub epic: f64,
    /// The session's last beads shared a concept with it.
    pub recency: f64,
    /// Room left in the session's context window.
    pub headroom: f64,
}

impl Default for AffinityWeights {
    fn default() -> AffinityWeights {
        AffinityWeights {
            concept: 0.25,
            file: 0.15,
            workspace: 0.15,
            epic: 0.15,
            recency: 0.15,
            headroom: 0.15,
        }
    }
}

impl AffinityWeights {
    /// `(name, weight)` in the order scores list them.
    pub fn named(&self) -> [(&'static str, f64); 6] {
        [
            ("concept", self.concept),
            ("file", self.file),
            ("workspace", self.workspace),
            ("epic", self.epic),
            ("recency", self.recency),
            ("headroom", self.headroom),
        ]
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ScoringConfig {
    pub affinity: AffinityWeights,
    /// Concept overlap: the session profile's share; the agent profile
    /// gets the rest.
    #[schemars(range(min = 0.0, max = 1.0))]
    pub session_share: f64,
    /// Headroom is 1 below this context pressure (tokens / window)...
    pub headroom_full_below: f64,
    /// ...falls linearly to 0 at this pressure, and stays 0 above.
    pub headroom_zero_at: f64,
    /// Epic affinity halves every this many bead events since the sibling
    /// was closed.
    pub epic_half_life: f64,
    /// Recency falls linearly from 1 (the last bead shared a concept) to 0
    /// over this many beads.
    pub recency_beads: f64,
    /// Leverage = 1 - exp(-k * n), n = open beads it transitively blocks.
    pub leverage_k: f64,
    /// Score = this * affinity + (1 - this) * leverage, before the gates.
    #[schemars(range(min = 0.0, max = 1.0))]
    pub affinity_share: f64,
}

impl Default for ScoringConfig {
    fn default() -> ScoringConfig {
        ScoringConfig {
            affinity: AffinityWeights::default(),
            session_share: 0.7,
            headroom_full_below: 0.5,
            headroom_zero_at: 0.85,
            epic_half_life: 5.0,
            recency_beads: 10.0,
            leverage_k: 1.0,
            affinity_share: 0.7,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SelectionConfig {
    /// Score multiplier when the session's runway is shorter than the
    /// bead's size.
    #[schemars(range(min = 0.0, max = 1.0))]
    pub runway_demotion: f64,
    /// Score multiplier for an over-qualified agent when a cheaper agent
    /// that fits the bead has a live session.
    #[schemars(range(min = 0.0, max = 1.0))]
    pub cost_demotion: f64,
    /// Fairness: a bead that an idle live session fits better by at least
    /// this much affinity...
    #[schemars(range(min = 0.0, max = 1.0))]
    pub fairness_margin: f64,
    /// ...is demoted by this multiplier...
    #[schemars(range(min = 0.0, max = 1.0))]
    pub fairness_demotion: f64,
    /// ...weighed for this many of the best candidates.
    pub fairness_top: usize,
    /// Age in ready: bonus per day since the bead became ready...
    pub age_bonus_per_day: f64,
    /// ...up to this much.
    pub age_bonus_cap: f64,
}

impl Default for SelectionConfig {
    fn default() -> SelectionConfig {
        SelectionConfig {
            runway_demotion: 0.5,
            cost_demotion: 0.7,
            fairness_margin: 0.2,
            fairness_demotion: 0.8,
            fairness_top: 10,
            age_bonus_per_day: 0.005,
            age_bonus_cap: 0.05,
        }
    }
}

impl ScoringConfig {
    pub fn validate(&self) -> Result<(), String> {
        let weights = self.affinity.named();
        for (name, w) in weights {
            if !(w.is_finite() && w >= 0.0) {
                return Err(format!("scoring.affinity.{name}: must be a number >= 0"));
            }
        }
        if weights.iter().map(|(_, w)| w).sum::<f64>() <= 0.0 {
            return Err("scoring.affinity: at least one weight must be above 0".into());
        }
        for (name, v) in [
            ("session_share", self.session_share),
            ("affinity_share", self.affinity_share),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(format!("scoring.{name}: must be between 0 and 1"));
            }
        }
        if !(0.0 <= self.headroom_full_below
            && self.headroom_full_below < self.headroom_zero_at
            && self.headroom_zero_at <= 1.0)
        {
            return Err(
                "scoring.headroom_full_below and headroom_zero_at: need 0 <= full_below < zero_at <= 1"
                    .into(),
            );
        }
        for (name, v) in [
            ("epic_half_life", self.epic_half_life),
            ("recency_beads", self.recency_beads),
            ("leverage_k", self.leverage_k),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(format!("scoring.{name}: must be a number above 0"));
            }
        }
        Ok(())
    }
}

impl SelectionConfig {
    pub fn validate(&self) -> Result<(), String> {
        for (name, v) in [
            ("runway_demotion", self.runway_demotion),
            ("cost_demotion", self.cost_demotion),
            ("fairness_margin", self.fairness_margin),
            ("fairness_demotion", self.fairness_demotion),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(format!("selection.{name}: must be between 0 and 1"));
            }
        }
        for (name, v) in [
            ("age_bonus_per_day", self.age_bonus_per_day),
            ("age_bonus_cap", self.age_bonus_cap),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(format!("selection.{name}: must be a number >= 0"));
            }
        }
        Ok(())
    }
}

/// Which source analysis backs `gemba index` and semantic conflict edges.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AnalysisBackend {
    /// gemba's own import graph of Rust, Go, Python and JavaScript/TypeScript.
    #[default]
    Builtin,
    /// A configured command that prints the edges as JSON.
    External,
    /// No source analysis: semantic edges are never computed.
    None,
}

impl AnalysisBackend {
    pub fn as_str(self) -> &'static str {
        match self {
            AnalysisBackend::Builtin => "builtin",
            AnalysisBackend::External => "external",
            AnalysisBackend::None => "none",
        }
    }
}

impl std::fmt::Display for AnalysisBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AnalysisConfig {
    /// `builtin`, `external` or `none`.
    pub backend: AnalysisBackend,
    /// The external backend's command (argv, no shell), run in the
    /// repository root by `gemba index build`. It prints
    /// `{"commit": "<id>", "edges": [{"from": "<path>", "to": "<path>"}]}`:
    /// `from` imports (depends on) `to`, paths repository-relative with `/`.
    pub command: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct IdsConfig {
    /// Prefix of ids of beads created with `gemba bead create`.
    pub prefix: String,
    /// Shortest hash part of a new id; grows on collision.
    #[schemars(range(min = 3, max = 12))]
    pub min_hash_len: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct StoreConfig {
    /// Seconds a command waits for a lock another command holds (e.g. an
    /// import's batch) before giving up with `lock_timeout`. Claims and
    /// queue takes never wait on a lock.
    #[schemars(range(min = 0.0))]
    pub lock_timeout: f64,
}

impl Default for StoreConfig {
    fn default() -> StoreConfig {
        StoreConfig { lock_timeout: 10.0 }
    }
}

impl StoreConfig {
    pub fn lock_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs_f64(self.lock_timeout)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct GitConfig {
    /// Commit the files each mutating command changed, with a message that
    /// says what happened.
    pub auto_commit: bool,
}

/// Caps and size thresholds; lives in `config.yaml`.
///
/// Size heuristic (see [`Size`]): `chars` is the number of characters of
/// body + spec (the title is not counted); `dod` is the number of
/// definition-of-done lines, counted once per line:
/// - markdown checklist items (`- [ ]`, `- [x]`, also with `*`, `+` or `1.`)
///   anywhere in body or spec;
/// - bulleted (`-`, `*`, `+`) or numbered (`1.`, `1)`) list items under an
///   "Acceptance…", "Definition of done…" or "DoD" heading in the body
///   (a `#` heading, or a short line like `**Acceptance Criteria:**`);
///   the section ends at the next heading or `Label:` line;
/// - every bulleted or numbered list item in the spec.
///
/// Then, in this order:
/// - **large** if `chars >= size_large_min_chars` or `dod >= size_large_min_dod`;
/// - **small** if `chars <= size_small_max_chars` and `dod <= size_small_max_dod`;
/// - **medium** otherwise.
///
/// Defaults: small up to 400 chars and up to 2 DoD lines; large from
/// 2000 chars or from 8 DoD lines. On the 4,204 real beads in
/// `../shared/data/beads/` this gives 49% small, 41% medium, 10% large.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Most targets kept per bead (first mentioned first).
    pub max_targets: usize,
    /// Most concepts kept per bead (first mentioned first).
    pub max_concepts: usize,
    /// Small: at most this many characters of body + spec...
    pub size_small_max_chars: usize,
    /// Large: at least this many characters of body + spec...
    pub size_large_min_chars: usize,
    /// ...and small: at most this many definition-of-done lines.
    pub size_small_max_dod: usize,
    /// ...or large: at least this many definition-of-done lines.
    pub size_large_min_dod: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_targets: 8,
            max_concepts: 8,
            size_small_max_chars: 400,
            size_large_min_chars: 2000,
            size_small_max_dod: 2,
            size_large_min_dod: 8,
        }
    }
}

impl Default for IdsConfig {
    fn default() -> IdsConfig {
        IdsConfig {
            prefix: "gm".into(),
            min_hash_len: 4,
        }
    }
}

/// The concept vocabulary: bootstrap cap and drift thresholds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct VocabConfig {
    /// Most new terms one `gemba concepts bootstrap` adds (`--max` overrides).
    pub bootstrap_max: usize,
    /// Near-duplicates: Jaccard similarity of the sets of beads using two
    /// terms (shared / either), at least this...
    #[schemars(range(min = 0.0, max = 1.0))]
    pub merge_min_jaccard: f64,
    /// ...and usage of the less-used term / usage of the more-used one, at
    /// least this.
    #[schemars(range(min = 0.0, max = 1.0))]
    pub merge_min_usage_ratio: f64,
    /// ...and both terms used by at least this many beads (two tags that
    /// co-occur on a single bead are not evidence of a duplicate).
    pub merge_min_beads: usize,
    /// Singletons: used by fewer than this many beads...
    pub singleton_usage_below: usize,
    /// ...and not used for at least this many days.
    pub singleton_unused_days: u32,
    /// A rejected suggestion is not proposed again until this many days
    /// after its rejection.
    pub repropose_after_days: u32,
}

impl Default for VocabConfig {
    fn default() -> VocabConfig {
        VocabConfig {
            bootstrap_max: 60,
            merge_min_jaccard: 0.7,
            merge_min_usage_ratio: 0.5,
            merge_min_beads: 2,
            singleton_usage_below: 3,
            singleton_unused_days: 90,
            repropose_after_days: 30,
        }
    }
}

impl VocabConfig {
    pub fn validate(&self) -> Result<(), String> {
        for (name, value) in [
            ("merge_min_jaccard", self.merge_min_jaccard),
            ("merge_min_usage_ratio", self.merge_min_usage_ratio),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err(format!("vocab.{name}: must be between 0 and 1"));
            }
        }
        Ok(())
    }
}

/// The JSON Schema `config.yaml` names in its first line, relative to
/// `.gemba/`.
pub const SCHEMA: &str = "schema/config.schema.json";

/// What `gemba init` writes: the schema modeline, then the defaults, each
/// with a comment. A test checks that it parses to `Config::default()`.
pub const CONFIG_TEMPLATE: &str = r#"# yaml-language-server: $schema=schema/config.schema.json
# gemba configuration. Every key is optional: a missing key takes the
# default shown here (`gemba config show` prints the effective values).
# Unknown keys are an error, so a typo never silently falls back.

ids:
  # Prefix of the ids of beads created with `gemba bead create` (gm-a1b2).
  prefix: gm
  # Length of the hash part of a new id; it grows when a new id collides.
  min_hash_len: 4

store:
  # Seconds to wait for a lock another command holds (a long import or
  # backfill takes its lock one batch at a time) before failing with
  # `lock_timeout`. Claims and queue takes never wait on a lock.
  lock_timeout: 10

git:
  # Commit the files each mutating command changed (and only those), with
  # a message that says what happened: `git log -- .gemba` is the audit trail.
  auto_commit: false

enrich:
  # Most targets and concepts the extractor keeps per bead.
  max_targets: 8
  max_concepts: 8
  # Size estimate from the description (body + design + acceptance + notes)
  # and its definition-of-done lines (checklists, items under an
  # "Acceptance" / "Definition of done" heading):
  #   large  if chars >= size_large_min_chars or dod >= size_large_min_dod
  #   small  if chars <= size_small_max_chars and dod <= size_small_max_dod
  #   medium otherwise
  size_small_max_chars: 400
  size_large_min_chars: 2000
  size_small_max_dod: 2
  size_large_min_dod: 8

vocab:
  # Most new terms one `gemba concepts bootstrap` adds (--max overrides).
  bootstrap_max: 60
  # `gemba concepts drift` suggests merging two terms when the sets of beads
  # using them overlap (Jaccard: shared / either) at least this much...
  merge_min_jaccard: 0.7
  # ...and the less-used term has at least this share of the other's usage.
  merge_min_usage_ratio: 0.5
  # ...and both terms used by at least this many beads.
  merge_min_beads: 2
  # It suggests deleting a term used by fewer than this many beads...
  singleton_usage_below: 3
  # ...when it has not been used for this many days.
  singleton_unused_days: 90
  # A rejected suggestion may be proposed again this many days after its
  # rejection (if the evidence still holds).
  repropose_after_days: 30

# bd's cross-project dependencies. A dependency on
# `external:<project>:<capability>` blocks its bead until the project's
# tracker has a closed bead labelled `provides:<capability>` (what `bd ship`
# sets). The tracker is the project's .gemba/beads/, else its
# .beads/issues.jsonl. Paths are relative to the repository root (the
# directory holding .gemba/) unless absolute. An unconfigured project blocks.
#   external_projects:
#     beads: ../beads
#     auth: /srv/repos/auth
external_projects: {}

# Source analysis: the file -> file import graph behind `semantic` conflict
# edges, built by `gemba index build` into .gemba/index/ (derived, never
# committed). A stale or missing index is never used: the edges are skipped
# and gemba says so.
analysis:
  # builtin: gemba's own import graph of Rust (mod, use crate::/super::),
  #          Go (imports resolved through go.mod), Python (import, from)
  #          and JavaScript/TypeScript (relative import ... from, require);
  # external: run `command` (argv, no shell) in the repository root; it
  #          prints {"commit": "<id>", "edges": [{"from": "a.rs", "to": "b.rs"}]}
  #          where `from` imports `to` (paths repository-relative with /);
  # none:    no source analysis.
  backend: builtin
  # e.g. command: [./tools/dump-edges, --json]
  command: []

# Scores (`gemba affinity`, `gemba leverage`, `gemba next --explain`).
scoring:
  # Affinity of a session for a bead, in [0, 1]: the weighted mean of
  affinity:
    concept: 0.25    # concept overlap (cosine) with the session and agent profiles
    file: 0.15       # the bead's targets among the files the session worked on
    workspace: 0.15  # same repo and branch 1, same repo 0.5, other 0
    epic: 0.15       # a sibling of a bead the session closed (decays)
    recency: 0.15    # the session's last beads shared a concept (decays)
    headroom: 0.15   # room left in the context window
  # Concept overlap = session_share * session cosine + the rest * agent cosine.
  session_share: 0.7
  # Headroom is 1 below this context pressure, falls linearly to 0 at
  # headroom_zero_at, and is 0 above.
  headroom_full_below: 0.5
  headroom_zero_at: 0.85
  # Epic affinity halves every this many bead events.
  epic_half_life: 5
  # Recency falls from 1 to 0 over this many beads.
  recency_beads: 10
  # Leverage = 1 - exp(-k * n), n = open beads the bead transitively blocks.
  leverage_k: 1
  # Score = affinity_share * affinity + (1 - affinity_share) * leverage.
  affinity_share: 0.7

# Selection (`gemba next`): after the hard gates (dispatch status, claims,
# conflicts with work in progress, capability fit), these adjust the score.
selection:
  # A bead larger than the session's runway: score multiplied by this.
  runway_demotion: 0.5
  # An over-qualified agent while a cheaper agent that fits has a live session.
  cost_demotion: 0.7
  # A bead that an idle live session fits better by at least
  # fairness_margin affinity is multiplied by fairness_demotion (weighed
  # for the best fairness_top candidates).
  fairness_margin: 0.2
  fairness_demotion: 0.8
  fairness_top: 10
  # Age in ready: + age_bonus_per_day per day since the bead became ready,
  # at most age_bonus_cap.
  age_bonus_per_day: 0.005
  age_bonus_cap: 0.05
"#;

impl Config {
    pub fn validate(&self) -> Result<(), String> {
        super::id::validate(&format!("{}-x", self.ids.prefix))
            .map_err(|e| format!("ids.prefix: {}", e.reason))?;
        if self.ids.prefix.contains('/') {
            return Err("ids.prefix: must not contain `/`".into());
        }
        if !(3..=12).contains(&self.ids.min_hash_len) {
            return Err("ids.min_hash_len: must be between 3 and 12".into());
        }
        if !(self.store.lock_timeout >= 0.0 && self.store.lock_timeout <= 86_400.0) {
            return Err("store.lock_timeout: must be between 0 and 86400 seconds".into());
        }
        self.vocab.validate()?;
        self.scoring.validate()?;
        self.selection.validate()?;
        if self.analysis.backend == AnalysisBackend::External {
            match self.analysis.command.first() {
                None => {
                    return Err(
                        "analysis.command: the external backend needs a command (argv)".into(),
                    );
                }
                Some(program) if program.trim().is_empty() => {
                    return Err("analysis.command: the program name is empty".into());
                }
                Some(_) => {}
            }
        }
        for (name, path) in &self.external_projects {
            if name.is_empty() || name.contains(':') {
                return Err(format!(
                    "external_projects: {name:?} is not a project name (non-empty, no `:`)"
                ));
            }
            if path.trim().is_empty() {
                return Err(format!("external_projects.{name}: the path is empty"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn template_is_the_default() {
        let parsed: Config =
            crate::format::from_yaml(Path::new("config.yaml"), CONFIG_TEMPLATE).unwrap();
        assert_eq!(parsed, Config::default());
        parsed.validate().unwrap();
        assert!(
            CONFIG_TEMPLATE.starts_with(&crate::format::yaml_modeline(SCHEMA)),
            "the template names its schema in its first line"
        );
    }

    #[test]
    fn external_project_names_and_paths_are_checked() {
        let parsed: Config = crate::format::from_yaml(
            Path::new("c"),
            "external_projects:\n  beads: ../beads\n  abs: /srv/x\n",
        )
        .unwrap();
        assert_eq!(parsed.external_projects["beads"], "../beads");
        parsed.validate().unwrap();
        for bad in ["\"a:b\": ../x", "a: \"\""] {
            let c: Config =
                crate::format::from_yaml(Path::new("c"), &format!("external_projects:\n  {bad}\n"))
                    .unwrap();
            assert!(c.validate().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_external_backend_needs_a_command() {
        let parse =
            |text: &str| -> Config { crate::format::from_yaml(Path::new("c"), text).unwrap() };
        let ok = parse("analysis:\n  backend: external\n  command: [tool, --json]\n");
        assert_eq!(ok.analysis.backend, AnalysisBackend::External);
        assert_eq!(ok.analysis.command, ["tool", "--json"]);
        ok.validate().unwrap();
        for bad in [
            "analysis:\n  backend: external\n",
            "analysis:\n  backend: external\n  command: [\"\"]\n",
        ] {
            assert!(parse(bad).validate().is_err(), "{bad}");
        }
        parse("analysis:\n  backend: none\n").validate().unwrap();
        assert!(
            crate::format::from_yaml::<Config>(Path::new("c"), "analysis:\n  backend: lsp\n")
                .is_err()
        );
    }

    #[test]
    fn empty_file_is_the_default() {
        let parsed: Config = crate::format::from_yaml(Path::new("c"), "{}\n").unwrap();
        assert_eq!(parsed, Config::default());
    }
}
