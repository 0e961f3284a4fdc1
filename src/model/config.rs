//! `.gemba/config.yaml`: every default lives in `Default` here and nowhere
//! else; `gemba config show` prints the effective values.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::duration::Duration;

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
    /// Claims: the default lease, and the git remote that arbitrates
    /// claims between machines.
    pub claims: ClaimsConfig,
}

/// `claims:` in `config.yaml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ClaimsConfig {
    /// How long a claim holds unless renewed (`--lease` overrides); after
    /// that another session may take the bead over.
    pub lease: Duration,
    /// A git remote (name or URL) on which every claim must also win
    /// `refs/gemba/claims/<id>`, so that machines sharing it never claim
    /// the same bead. None: claims arbitrate on this machine only.
    pub remote: Option<String>,
    /// With a remote that cannot be reached: `fail` refuses to claim
    /// (fails closed), `local` claims on this machine only and warns.
    pub on_unreachable: OnUnreachable,
}

impl Default for ClaimsConfig {
    fn default() -> ClaimsConfig {
        ClaimsConfig {
            lease: Duration::from_secs(2 * 3600),
            remote: None,
            on_unreachable: OnUnreachable::Fail,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum OnUnreachable {
    /// Refuse to claim: no bead is handed out that another machine might
    /// also hand out.
    #[default]
    Fail,
    /// Claim on this machine only (the claim file says so: no `remote`).
    Local,
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

claims:
  # How long a claim holds unless renewed (`gemba renew`, `--lease`): 30m,
  # 2h, 1d. After that another session may take the bead over.
  lease: 2h
  # A git remote shared by several machines: each claim must also create
  # refs/gemba/claims/<id> there (a push that fails when the ref exists),
  # so no two machines claim the same bead. `gemba claims sync` fetches the
  # others' claims. Unset: claims arbitrate on this machine only.
  #   remote: origin
  # When the remote cannot be reached: fail (refuse to claim) or local
  # (claim on this machine only, with a warning).
  on_unreachable: fail
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
        if let Some(remote) = &self.claims.remote
            && (remote.trim().is_empty() || remote.starts_with('-'))
        {
            return Err(format!(
                "claims.remote: {remote:?} is not a git remote (a name like origin, or a URL)"
            ));
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
