//! `.gemba/config.yaml`: every default lives in `Default` here and nowhere
//! else; `gemba config show` prints the effective values.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub ids: IdsConfig,
    pub git: GitConfig,
    /// Caps and size thresholds of the heuristic extractor.
    pub enrich: crate::enrich::Limits,
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
pub struct GitConfig {
    /// Commit the files each mutating command changed, with a message that
    /// says what happened.
    pub auto_commit: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config { ids: IdsConfig::default(), git: GitConfig::default(), enrich: crate::enrich::Limits::default() }
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

impl Default for GitConfig {
    fn default() -> GitConfig {
        GitConfig { auto_commit: false }
    }
}

/// What `gemba init` writes: the defaults, each with a comment. A test
/// checks that it parses to `Config::default()`.
pub const CONFIG_TEMPLATE: &str = r#"# gemba configuration. Every key is optional: a missing key takes the
# default shown here (`gemba config show` prints the effective values).
# Unknown keys are an error, so a typo never silently falls back.

ids:
  # Prefix of the ids of beads created with `gemba bead create` (gm-a1b2).
  prefix: gm
  # Length of the hash part of a new id; it grows when a new id collides.
  min_hash_len: 4

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
"#;

impl Config {
    pub fn validate(&self) -> Result<(), String> {
        crate::store::id::validate(&format!("{}-x", self.ids.prefix))
            .map_err(|e| format!("ids.prefix: {}", e.reason))?;
        if self.ids.prefix.contains('/') {
            return Err("ids.prefix: must not contain `/`".into());
        }
        if !(3..=12).contains(&self.ids.min_hash_len) {
            return Err("ids.min_hash_len: must be between 3 and 12".into());
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
    }

    #[test]
    fn empty_file_is_the_default() {
        let parsed: Config = crate::format::from_yaml(Path::new("c"), "{}\n").unwrap();
        assert_eq!(parsed, Config::default());
    }
}
