//! All CLI tests in one binary: the real `gemba` on temporary git repos.

mod common;

mod test_auto_dispatch;
mod test_bad_input;
mod test_basics;
mod test_bead;
mod test_calibrate;
mod test_check;
mod test_claims;
mod test_commit;
mod test_concepts;
mod test_concurrency;
mod test_conflicts;
mod test_dispatch;
mod test_enrich;
mod test_errors;
mod test_external;
mod test_flow;
mod test_githooks;
mod test_handoff;
mod test_hooks;
mod test_import;
mod test_index;
mod test_init;
mod test_log;
mod test_next;
mod test_queue;
mod test_queue_remote;
mod test_queue_scale;
mod test_queue_status;
mod test_ready;
mod test_retro;
mod test_scan;
mod test_schema;
mod test_sessions;
mod test_snapshot;
mod test_supply;

#[test]
fn no_forgotten_test_files() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli");
    let main = std::fs::read_to_string(dir.join("main.rs")).unwrap();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if let Some(stem) = name.strip_suffix(".rs").filter(|s| s.starts_with("test_")) {
            assert!(
                main.contains(&format!("mod {stem};")),
                "tests/cli/{name} is not listed in main.rs"
            );
        }
    }
}
