//! Editors check hand edits: `.gemba/schema/<kind>.schema.json` is written
//! by `gemba init` and refreshed by the next change after an upgrade, and
//! every YAML file gemba writes names its schema in its first line
//! (`# yaml-language-server: $schema=<path relative to the file>`).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::*;

const KINDS: [&str; 6] = [
    "bead",
    "config",
    "enrichment",
    "event",
    "suggestion",
    "vocabulary",
];

/// The committed copy in the repository's `schema/` (kept equal to the
/// types by a unit test), which is what the binary generates.
fn expected_schema(kind: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("schema")
        .join(format!("{kind}.schema.json"));
    std::fs::read(path).unwrap()
}

fn schema_path(env: &TestEnv, kind: &str) -> PathBuf {
    env.gemba_dir()
        .join("schema")
        .join(format!("{kind}.schema.json"))
}

/// Every `*.yaml` under `.gemba/`, relative to it, sorted.
fn yaml_files(env: &TestEnv) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = env
        .snapshot()
        .into_iter()
        .map(|(p, _)| p.strip_prefix(env.gemba_dir()).unwrap().to_path_buf())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    out.sort();
    out
}

/// The schema a YAML file's first line names, resolved against the file's
/// directory the way the YAML language server does.
fn named_schema(env: &TestEnv, rel: &Path) -> PathBuf {
    let text = std::fs::read_to_string(env.gemba_dir().join(rel)).unwrap();
    let first = text.lines().next().unwrap_or_default();
    let schema = first
        .strip_prefix("# yaml-language-server: $schema=")
        .unwrap_or_else(|| panic!("{} starts with {first:?}", rel.display()));
    let mut path = env.gemba_dir().join(rel).parent().unwrap().to_path_buf();
    for part in schema.split('/') {
        if part == ".." {
            path.pop();
        } else {
            path.push(part);
        }
    }
    path
}

fn enable_auto_commit(env: &TestEnv) {
    let config = env.read(".gemba/config.yaml");
    env.write(
        ".gemba/config.yaml",
        &config.replace("auto_commit: false", "auto_commit: true"),
    );
    env.git(&["add", "-A"]);
    env.git(&["commit", "-q", "-m", "auto-commit on"]);
}

#[test]
fn init_writes_the_schemas() {
    let env = TestEnv::new();
    let report = env.json(&["init"]);
    for kind in KINDS {
        let path = schema_path(&env, kind);
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes, expected_schema(kind), "{}", path.display());
        let schema: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(
            schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "{kind}"
        );
        let shown = format!(".gemba/schema/{kind}.schema.json");
        assert!(
            report["created"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c == shown.as_str()),
            "{shown} not in {report}"
        );
    }
    // A second init writes nothing; on a store whose schemas are stale it
    // rewrites them (an upgrade) and says so.
    let before = env.snapshot();
    assert_eq!(env.json(&["init"])["created"], serde_json::json!([]));
    assert_eq!(env.snapshot(), before);
    std::fs::write(schema_path(&env, "bead"), "{}\n").unwrap();
    let report = env.json(&["init"]);
    assert_eq!(
        report["created"],
        serde_json::json!([".gemba/schema/bead.schema.json (updated)"])
    );
    assert!(
        std::fs::read(schema_path(&env, "bead")).unwrap() == expected_schema("bead"),
        "bead.schema.json was not rewritten"
    );
}

#[test]
fn written_yaml_names_its_schema_in_the_first_line() {
    let env = TestEnv::init();
    let id = env
        .ok(&["bead", "create", "--title", "Fix login", "-q"])
        .trim()
        .to_string();
    env.ok(&["bead", "size", "set", &id, "large"]);
    env.ok(&["bead", "targets", "add", &id, "src/auth/**"]);
    // A hand-written vocabulary and suggestion (no modeline), rewritten by
    // an approval: the files gemba writes get their modeline back.
    env.write(
        ".gemba/vocabulary.yaml",
        "terms:\n- name: auth\n- name: authn\n",
    );
    env.write(
        ".gemba/suggestions/fold.yaml",
        "id: fold\nkind: merge\nterms: [authn]\ntarget: auth\nreason: same\nstatus: pending\ncreated_at: 2026-11-22T00:00:00Z\n",
    );
    env.ok(&["concepts", "approve", "fold"]);

    let files = yaml_files(&env);
    assert_eq!(
        files,
        [
            PathBuf::from("config.yaml"),
            format!("enrichment/{id}.yaml").into(),
            "suggestions/fold.yaml".into(),
            "vocabulary.yaml".into(),
        ]
    );
    for rel in &files {
        let schema = named_schema(&env, rel);
        let kind = match rel.parent().and_then(|p| p.to_str()) {
            Some("enrichment") => "enrichment",
            Some("suggestions") => "suggestion",
            _ => rel.file_stem().unwrap().to_str().unwrap(),
        };
        assert_eq!(schema, schema_path(&env, kind), "{}", rel.display());
        assert!(schema.is_file(), "{}", schema.display());
    }
    // The vocabulary keeps its own header comment after the modeline.
    let vocabulary = env.read(".gemba/vocabulary.yaml");
    let second = vocabulary.lines().nth(1).unwrap();
    assert!(
        second.starts_with("# Controlled concept vocabulary"),
        "{vocabulary}"
    );
    // Reading ignores the comment; the tree checks clean.
    let (code, report) = check_report(&env);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["warnings"], serde_json::json!([]), "{report}");
    // Stable bytes: writing an unchanged value changes nothing.
    let before = env.snapshot();
    env.ok(&["bead", "size", "set", &id, "large"]);
    env.ok(&["bead", "targets", "add", &id, "src/auth/**"]);
    assert_eq!(env.snapshot(), before);
}

#[test]
fn stale_schemas_are_refreshed_and_committed_by_the_next_change() {
    let env = TestEnv::init();
    enable_auto_commit(&env);
    // As an older gemba would have left it: one schema stale, one missing,
    // one for a kind that no longer exists, all committed.
    std::fs::write(schema_path(&env, "bead"), "{\"old\": true}\n").unwrap();
    std::fs::remove_file(schema_path(&env, "enrichment")).unwrap();
    env.write(".gemba/schema/retired.schema.json", "{}\n");
    env.git(&["add", "-A"]);
    env.git(&["commit", "-q", "-m", "as an older gemba left it"]);

    let (code, report) = check_report(&env);
    assert_eq!(code, Some(0), "stale schemas are a warning: {report}");
    let warnings = report["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{report}");
    assert!(
        warnings[0]["message"]
            .as_str()
            .unwrap()
            .contains("3 JSON Schema file(s) missing or out of date"),
        "{report}"
    );

    // Reading, a dry run and bad input change nothing.
    let before = env.snapshot();
    env.ok(&["bead", "list"]);
    env.run(&["ready"]);
    env.write("in.jsonl", "{\"id\":\"i-1\",\"title\":\"one\"}\n");
    env.ok(&["import", "beads", "in.jsonl", "--dry-run"]);
    env.fails(1, &["bead", "create", "--title", " "]);
    assert_eq!(env.snapshot(), before);

    // The next change rewrites them, in the same commit.
    let id = env
        .ok(&["bead", "create", "--title", "After the upgrade", "-q"])
        .trim()
        .to_string();
    for kind in KINDS {
        assert_eq!(
            std::fs::read(schema_path(&env, kind)).unwrap(),
            expected_schema(kind),
            "{kind}"
        );
    }
    assert!(!env.gemba_dir().join("schema/retired.schema.json").exists());
    let show = env.git(&["show", "--name-status", "--format=%s", "HEAD"]);
    assert!(show.starts_with(&format!("gemba: create {id}")), "{show}");
    for line in [
        "M\t.gemba/schema/bead.schema.json",
        "A\t.gemba/schema/enrichment.schema.json",
        "D\t.gemba/schema/retired.schema.json",
    ] {
        assert!(show.lines().any(|l| l == line), "{line} not in:\n{show}");
    }
    assert_eq!(env.git(&["status", "--porcelain", "--", ".gemba"]), "");
    let (code, report) = check_report(&env);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["warnings"], serde_json::json!([]), "{report}");

    // Up to date: the next change commits only its own files.
    env.ok(&["bead", "close", &id]);
    let show = env.git(&["show", "--name-only", "--format=", "HEAD"]);
    assert!(!show.contains(".gemba/schema/"), "{show}");
}

#[test]
fn check_does_not_validate_the_schema_dir() {
    let env = TestEnv::init();
    env.write(".gemba/schema/notes.txt", "not a schema\n");
    env.write(".gemba/schema/.gemba-tmp-abc", "half");
    let (code, report) = check_report(&env);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["errors"], serde_json::json!([]), "{report}");
    assert_eq!(report["warnings"], serde_json::json!([]), "{report}");
}
