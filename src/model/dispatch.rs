//! `.gemba/dispatch.yaml`: the auto-dispatch switch (`gemba dispatch
//! on|off`). Committed state, so every clone sees whether the fleet is fed
//! automatically; a missing file is *off*.
//!
//! ```yaml
//! enabled: true
//! changed_at: 2026-11-23T12:00:00Z
//! changed_by: alice
//! ```
//!
//! The key is `enabled`, not `on`: YAML 1.1 readers take a bare `on` for
//! `true`, so a hand edit in another tool would flip the meaning.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The JSON Schema `dispatch.yaml` names in its first line, relative to
/// `.gemba/`.
pub const SCHEMA: &str = "schema/dispatch.schema.json";

const HEADER: &str = "# Auto-dispatch: `gemba dispatch on|off` writes this file; `enabled: false`
# stops `gemba dispatch run` at its next tick.
";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DispatchSwitch {
    /// `true`: `gemba dispatch tick` claims beads for idle sessions and
    /// enqueues them; `false` (the default): a tick does nothing, and a
    /// running `gemba dispatch run` stops at its next tick.
    pub enabled: bool,
    /// RFC 3339, UTC: when it was last switched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed_at: Option<String>,
    /// Who switched it (`--actor`, `GEMBA_ACTOR`, the user name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed_by: Option<String>,
    /// Why (`gemba dispatch off --reason`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl DispatchSwitch {
    /// Rules serde cannot express.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(at) = &self.changed_at
            && at.parse::<jiff::Timestamp>().is_err()
        {
            return Err(format!(
                "changed_at: {at:?} is not an RFC 3339 time (2026-11-30T10:00:00Z)"
            ));
        }
        Ok(())
    }

    /// The file's stable bytes: the schema modeline, a comment, the fields.
    pub fn to_yaml(&self) -> String {
        format!(
            "{}{HEADER}{}",
            crate::format::yaml_modeline(SCHEMA),
            crate::format::to_yaml_string(self)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn round_trips_and_rejects_unknown_keys() {
        let s = DispatchSwitch {
            enabled: true,
            changed_at: Some("2026-11-23T12:00:00Z".into()),
            changed_by: Some("alice".into()),
            reason: None,
        };
        let text = s.to_yaml();
        let back: DispatchSwitch = crate::format::from_yaml(Path::new("d"), &text).unwrap();
        assert_eq!(back, s);
        assert!(back.validate().is_ok());
        let typo = crate::format::from_yaml::<DispatchSwitch>(Path::new("d"), "enabeld: true\n");
        assert!(typo.is_err());
        let bad = DispatchSwitch {
            changed_at: Some("yesterday".into()),
            ..DispatchSwitch::default()
        };
        assert!(bad.validate().is_err());
    }
}
