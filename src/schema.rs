//! JSON Schemas (draft 2020-12) for every file kind, generated from the
//! Rust types. `schema/` holds the committed copies; a test fails when they
//! drift (regenerate with `GEMBA_BLESS=1 cargo test schema`).

use schemars::schema_for;
use serde_json::Value;

use crate::model::{Bead, Config, Enrichment, Event, Vocabulary};

/// `(file kind, schema)` for each kind that exists so far.
pub fn all() -> Vec<(&'static str, Value)> {
    let v = |s: schemars::Schema| s.to_value();
    vec![
        ("agent", v(schema_for!(crate::model::Agent))),
        ("bead", v(schema_for!(Bead))),
        ("claim", v(schema_for!(crate::model::Claim))),
        ("config", v(schema_for!(Config))),
        (
            "dispatch",
            v(schema_for!(crate::model::dispatch::DispatchSwitch)),
        ),
        ("enrichment", v(schema_for!(Enrichment))),
        ("event", v(schema_for!(Event))),
        ("packet", v(schema_for!(crate::model::Packet))),
        ("lease", v(schema_for!(crate::model::packet::Lease))),
        ("scan-state", v(schema_for!(crate::scan::State))),
        ("session", v(schema_for!(crate::model::Session))),
        (
            "suggestion",
            v(schema_for!(crate::model::suggestion::Suggestion)),
        ),
        ("vocabulary", v(schema_for!(Vocabulary))),
        ("supplied", v(schema_for!(crate::model::supply::Supplied))),
        ("backlog", v(schema_for!(crate::model::supply::BacklogFile))),
    ]
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    #[test]
    fn committed_schemas_match_the_types() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema");
        let bless = std::env::var_os("GEMBA_BLESS").is_some();
        for (kind, schema) in super::all() {
            let path = dir.join(format!("{kind}.schema.json"));
            let text = crate::format::to_json_bytes(&schema);
            if bless {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(&path, &text).unwrap();
                continue;
            }
            let committed = std::fs::read(&path).unwrap_or_default();
            assert!(
                committed == text,
                "{} is out of date with the Rust types; run `GEMBA_BLESS=1 cargo test schema` and commit",
                path.display()
            );
        }
    }
}
