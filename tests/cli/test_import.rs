//! `gemba import beads`: input shapes, skips, lossless fields, idempotent
//! re-import, per-line errors, `--strict`, `--dry-run`.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Output;

use serde_json::{Value, json};

use crate::common::*;

fn run_stdin(env: &TestEnv, args: &[&str], input: &str) -> Output {
    assert_cmd::Command::from_std(env.cmd(args))
        .write_stdin(input)
        .output()
        .unwrap()
}

/// Run `import beads FILE --json` (plus `extra` flags) and parse the report,
/// whatever the exit code; returns (exit code, report).
fn import_json(env: &TestEnv, file: &str, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["import", "beads", file, "--json"];
    args.extend_from_slice(extra);
    let out = env.run(&args);
    let report =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}\n{}", render(&out)));
    (out.status.code().unwrap(), report)
}

/// Files under `.gemba/beads/` with their bytes, by file name.
fn bead_bytes(env: &TestEnv) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(env.gemba_dir().join("beads"))
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect()
}

fn is_tombstone(v: &Value) -> bool {
    v["status"] == "tombstone" || !v["deleted_at"].is_null()
}

fn issue_type(v: &Value) -> &str {
    v["issue_type"].as_str().unwrap_or("task")
}

const ISSUE_1: &str = r#"{"id":"t-1","title":"First","description":"Touch src/a.rs","status":"open","priority":1,"issue_type":"bug","labels":["backend"],"created_at":"2025-01-01T00:00:00Z","source_repo":"."}"#;
const ISSUE_2: &str = r#"{"id":"t-2","title":"Second","status":"in_progress","priority":3,"issue_type":"task","assignee":"alice","dependencies":[{"issue_id":"t-2","depends_on_id":"t-1","type":"blocks","created_at":"2025-01-02T00:00:00Z","created_by":"bob"}],"created_at":"2025-01-02T00:00:00Z"}"#;

/// `bd list --json` adds computed counts; they are not data.
fn with_counts(issue: &str) -> String {
    issue.replacen(
        '{',
        r#"{"dependency_count":1,"dependent_count":0,"comment_count":0,"#,
        1,
    )
}

#[test]
fn all_input_shapes_give_the_same_beads() {
    let jsonl = format!("{ISSUE_1}\n{ISSUE_2}\n");
    let array = format!(
        "[\n  {},\n  {}\n]\n",
        with_counts(ISSUE_1),
        with_counts(ISSUE_2)
    );
    let envelope = format!("{{\"schema_version\":1,\"data\":[\n{ISSUE_1},\n{ISSUE_2}\n]}}\n");
    let issues = format!("{{\"issues\": [{ISSUE_1}, {ISSUE_2}]}}");

    let mut results = Vec::new();
    for (name, text) in [
        ("jsonl", &jsonl),
        ("array", &array),
        ("envelope", &envelope),
        ("issues", &issues),
    ] {
        let env = TestEnv::init();
        env.write("in.json", text);
        let (code, report) = import_json(&env, "in.json", &[]);
        assert_eq!(code, 0, "{name}: {report}");
        assert_eq!(report["created"], 2, "{name}: {report}");
        assert_eq!(report["errors"], json!([]), "{name}");
        results.push((name, bead_bytes(&env)));
    }
    // stdin via `-`.
    let env = TestEnv::init();
    let out = run_stdin(&env, &["import", "beads", "-", "--json"], &jsonl);
    assert!(out.status.success(), "{}", render(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["created"], 2);
    results.push(("stdin", bead_bytes(&env)));

    let first = &results[0].1;
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        vec!["t-1.json", "t-2.json"]
    );
    for (name, beads) in &results[1..] {
        assert_eq!(beads, first, "{name} differs from jsonl");
    }

    // What was kept, exactly.
    let t1: Value = serde_json::from_slice(&first["t-1.json"]).unwrap();
    assert_eq!(
        t1,
        json!({
            "id": "t-1", "title": "First", "description": "Touch src/a.rs", "status": "open",
            "priority": 1, "issue_type": "bug", "labels": ["backend"],
            "created_at": "2025-01-01T00:00:00Z", "extra": {"source_repo": "."}
        })
    );
    let t2: Value = serde_json::from_slice(&first["t-2.json"]).unwrap();
    assert_eq!(
        t2,
        json!({
            "id": "t-2", "title": "Second", "status": "in_progress", "priority": 3,
            "issue_type": "task", "assignee": "alice",
            "dependencies": [{"depends_on_id": "t-1", "type": "blocks",
                              "created_at": "2025-01-02T00:00:00Z", "created_by": "bob"}],
            "created_at": "2025-01-02T00:00:00Z"
        })
    );
    // Stable bytes: sorted-by-schema fields, two-space indent, trailing newline.
    assert!(first["t-1.json"].ends_with(b"}\n"));
}

#[test]
fn report_has_exactly_the_documented_keys() {
    let env = TestEnv::init();
    env.write("in.jsonl", &format!("{ISSUE_1}\n"));
    let (code, report) = import_json(&env, "in.jsonl", &[]);
    assert_eq!(code, 0);
    assert_eq!(
        report,
        json!({"created": 1, "updated": 0, "unchanged": 0, "skipped": {}, "errors": [], "dry_run": false})
    );
    let keys: Vec<&String> = report.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        vec![
            "created",
            "dry_run",
            "errors",
            "skipped",
            "unchanged",
            "updated"
        ]
    );
    // Text mode.
    let out = env.ok(&["import", "beads", "in.jsonl"]);
    assert_eq!(out, "0 created, 0 updated, 1 unchanged\n");
}

#[test]
fn real_beads_export_skips_are_counted_exactly() {
    let issues = read_issues(BEADS);
    let mut skipped: BTreeMap<String, u64> = BTreeMap::new();
    let mut kept: Vec<&Value> = Vec::new();
    for v in &issues {
        if is_tombstone(v) {
            *skipped.entry("tombstone".into()).or_default() += 1;
        } else if INFRASTRUCTURE.contains(&issue_type(v)) {
            *skipped
                .entry(format!("type:{}", issue_type(v)))
                .or_default() += 1;
        } else {
            kept.push(v);
        }
    }
    // Sanity of the independent count against BEADS.md.
    assert_eq!(issues.len(), 3003);
    assert_eq!(
        issues.iter().filter(|v| v["status"] == "tombstone").count(),
        346
    );

    let env = TestEnv::init();
    let (code, report) = import_json(&env, shared_data(BEADS).to_str().unwrap(), &[]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["skipped"], serde_json::to_value(&skipped).unwrap());
    assert_eq!(report["created"], kept.len());
    assert_eq!(report["updated"], 0);
    assert_eq!(report["unchanged"], 0);
    assert_eq!(report["errors"], json!([]));

    // Every kept issue is a bead; ephemeral ones keep the flag; unknown
    // fields land under `extra`.
    let list = env.json(&["bead", "list", "--all"]);
    let beads: BTreeMap<&str, &Value> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["id"].as_str().unwrap(), b))
        .collect();
    let expected_ids: BTreeSet<&str> = kept.iter().map(|v| v["id"].as_str().unwrap()).collect();
    assert_eq!(beads.keys().copied().collect::<BTreeSet<_>>(), expected_ids);
    let mut ephemeral = 0;
    let mut with_external_ref = 0;
    for v in &kept {
        let b = beads[v["id"].as_str().unwrap()];
        assert_eq!(b["title"], v["title"]);
        assert_eq!(b["status"], v["status"]);
        assert_eq!(b["priority"], v["priority"]);
        if v["ephemeral"] == true {
            ephemeral += 1;
            assert_eq!(b["ephemeral"], true, "{}", v["id"]);
        } else {
            assert!(b.get("ephemeral").is_none(), "{}", v["id"]);
        }
        if !v["external_ref"].is_null() {
            with_external_ref += 1;
            assert_eq!(b["extra"]["external_ref"], v["external_ref"], "{}", v["id"]);
        }
        let deps = v["dependencies"].as_array().map_or(0, Vec::len);
        assert_eq!(
            b["dependencies"].as_array().map_or(0, Vec::len),
            deps,
            "{}",
            v["id"]
        );
    }
    assert!(ephemeral > 0, "the data set has ephemeral beads to keep");
    assert!(with_external_ref > 0);
    // Skipped ids have no file.
    for v in issues.iter().filter(|v| is_tombstone(v)).take(5) {
        let id = v["id"].as_str().unwrap();
        assert!(!beads.contains_key(id), "{id}");
    }
}

#[test]
fn reimport_is_idempotent_and_updates_only_what_changed() {
    let env = TestEnv::init();
    let path = shared_data(FLYWHEEL);
    let raw = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = raw.lines().collect();
    assert_eq!(lines.len(), 1201);
    let (code, report) = import_json(&env, path.to_str().unwrap(), &[]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["created"], 1201);
    assert_eq!(report["skipped"], json!({}));

    // Unknown flywheel fields are kept under `extra`.
    let first: Value = serde_json::from_str(lines[0]).unwrap();
    let id = first["id"].as_str().unwrap();
    let bead: Value = serde_json::from_str(&env.read(&format!(".gemba/beads/{id}.json"))).unwrap();
    assert_eq!(
        bead["extra"],
        json!({"compaction_level": first["compaction_level"], "original_size": first["original_size"],
               "source_repo": first["source_repo"]})
    );
    assert!(bead.get("source_repo").is_none());

    env.git(&["add", "-A"]);
    env.git(&["commit", "-q", "-m", "import"]);
    let log_before = env.read(".gemba/log/2026-11-23.jsonl");

    // Same input again: nothing rewritten, nothing logged.
    let (code, report) = import_json(&env, path.to_str().unwrap(), &[]);
    assert_eq!(code, 0);
    assert_eq!(report["created"], 0);
    assert_eq!(report["updated"], 0);
    assert_eq!(report["unchanged"], 1201);
    assert_eq!(env.git(&["status", "--porcelain", ".gemba"]), "");
    assert_eq!(env.read(".gemba/log/2026-11-23.jsonl"), log_before);

    // One title changed: one file changes.
    let mut changed: Value = serde_json::from_str(lines[7]).unwrap();
    let target = changed["id"].as_str().unwrap().to_string();
    changed["title"] = json!("A brand new title");
    let changed_line = changed.to_string();
    let mut text: String = String::new();
    for (i, line) in lines.iter().enumerate() {
        text.push_str(if i == 7 { &changed_line } else { line });
        text.push('\n');
    }
    env.write("changed.jsonl", &text);
    let (code, report) = import_json(&env, "changed.jsonl", &[]);
    assert_eq!(code, 0);
    assert_eq!(
        (report["created"].as_u64(), report["updated"].as_u64()),
        (Some(0), Some(1))
    );
    assert_eq!(report["unchanged"], 1200);
    assert_eq!(
        env.git(&["status", "--porcelain", ".gemba/beads"]),
        format!(" M .gemba/beads/{target}.json\n")
    );
    let diff = env.git(&["diff", "--numstat", "--", ".gemba/beads"]);
    assert_eq!(diff, format!("1\t1\t.gemba/beads/{target}.json\n"));
    let bead = env.json(&["bead", "show", &target]);
    assert_eq!(bead["title"], "A brand new title");
}

#[test]
fn enrichment_files_are_never_touched() {
    let env = TestEnv::init();
    env.write("in.jsonl", &format!("{ISSUE_1}\n{ISSUE_2}\n"));
    env.ok(&["import", "beads", "in.jsonl"]);
    let enrichment = "# hand-written\ntargets:\n  - path: src/a.rs\n    source: human\n";
    env.write(".gemba/enrichment/t-1.yaml", enrichment);
    let before = std::fs::read(env.gemba_dir().join("enrichment/t-1.yaml")).unwrap();

    // Re-import unchanged, then with t-1 changed.
    env.ok(&["import", "beads", "in.jsonl"]);
    env.write(
        "in.jsonl",
        &format!(
            "{}\n{ISSUE_2}\n",
            ISSUE_1.replace("First", "First, renamed")
        ),
    );
    let (code, report) = import_json(&env, "in.jsonl", &[]);
    assert_eq!(code, 0);
    assert_eq!(report["updated"], 1);
    assert_eq!(
        std::fs::read(env.gemba_dir().join("enrichment/t-1.yaml")).unwrap(),
        before
    );
    let dir: Vec<_> = std::fs::read_dir(env.gemba_dir().join("enrichment"))
        .unwrap()
        .collect();
    assert_eq!(dir.len(), 1);
}

#[test]
fn malformed_lines_are_reported_and_good_lines_import() {
    let env = TestEnv::init();
    let text = format!(
        "{ISSUE_1}\n{{\"id\":\"t-bad\",\n\n{ISSUE_2}\n{{\"id\":\"t-4\"}}\n{{\"id\":\"t-5\",\"title\":\"x\",\"priority\":\"high\"}}\n"
    );
    env.write("in.jsonl", &text);
    let (code, report) = import_json(&env, "in.jsonl", &[]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(report["created"], 2);
    let errors = report["errors"].as_array().unwrap();
    let lines: Vec<u64> = errors.iter().map(|e| e["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, vec![2, 5, 6]);
    assert!(
        errors[1]["message"].as_str().unwrap().contains("title"),
        "{report}"
    );
    assert!(
        errors[2]["message"].as_str().unwrap().contains("priority"),
        "{report}"
    );
    assert_eq!(
        bead_bytes(&env).keys().collect::<Vec<_>>(),
        vec!["t-1.json", "t-2.json"]
    );

    // Text mode names file and line on stderr.
    let out = env.fails(1, &["import", "beads", "in.jsonl"]);
    let err = stderr(&out);
    for line in [2, 5, 6] {
        assert!(err.contains(&format!("in.jsonl:{line}:")), "{err}");
    }
    assert!(err.contains("3 invalid item(s)"), "{err}");
}

#[test]
fn errors_in_an_array_carry_the_items_line() {
    let env = TestEnv::init();
    let text = format!(
        "[\n{ISSUE_1},\n{{\"id\":\"t-9\",\"title\":\"x\",\"priority\":\"high\"}},\n{ISSUE_2}\n]\n"
    );
    env.write("in.json", &text);
    let (code, report) = import_json(&env, "in.json", &[]);
    assert_eq!(code, 1);
    assert_eq!(report["created"], 2);
    assert_eq!(report["errors"].as_array().unwrap().len(), 1);
    assert_eq!(report["errors"][0]["line"], 3);
}

#[test]
fn strict_with_a_bad_line_writes_nothing() {
    let env = TestEnv::init();
    env.write(
        "in.jsonl",
        &format!("{ISSUE_1}\n{{\"id\":\"t-bad\",\n{ISSUE_2}\n"),
    );
    let before = env.snapshot();
    let out = env.fails(1, &["import", "beads", "in.jsonl", "--strict"]);
    assert!(stderr(&out).contains("--strict"), "{}", render(&out));
    assert_eq!(env.snapshot(), before);
    let out = env.fails(1, &["import", "beads", "in.jsonl", "--strict", "--json"]);
    let err: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(err["code"], "invalid_input");
    assert_eq!(env.snapshot(), before);
    // Without the bad line, --strict imports.
    env.write("in.jsonl", &format!("{ISSUE_1}\n{ISSUE_2}\n"));
    env.ok(&["import", "beads", "in.jsonl", "--strict"]);
    assert_eq!(bead_bytes(&env).len(), 2);
}

#[test]
fn strict_reports_the_bad_line_number() {
    let env = TestEnv::init();
    env.write(
        "in.jsonl",
        &format!("{ISSUE_1}\n{ISSUE_2}\n{{\"id\":\"t-bad\",\n"),
    );
    let out = env.fails(1, &["import", "beads", "in.jsonl", "--strict"]);
    assert!(stderr(&out).contains("in.jsonl:3"), "{}", render(&out));
}

#[test]
fn dry_run_writes_nothing_but_counts() {
    let env = TestEnv::init();
    env.write("in.jsonl", &format!("{ISSUE_1}\n"));
    env.ok(&["import", "beads", "in.jsonl"]);
    let before = env.snapshot();
    let tomb = r#"{"id":"t-0","title":"gone","status":"tombstone"}"#;
    let event = r#"{"id":"t-e","title":"ev","issue_type":"event"}"#;
    env.write(
        "in.jsonl",
        &format!(
            "{ISSUE_1}\n{ISSUE_2}\n{}\n{tomb}\n{event}\n",
            ISSUE_1.replace("t-1", "t-3")
        ),
    );
    let (code, report) = import_json(&env, "in.jsonl", &["--dry-run"]);
    assert_eq!(code, 0);
    assert_eq!(
        report,
        json!({"created": 2, "updated": 0, "unchanged": 1,
               "skipped": {"tombstone": 1, "type:event": 1}, "errors": [], "dry_run": true})
    );
    env.write(
        "in.jsonl",
        &format!("{}\n", ISSUE_1.replace("First", "Changed")),
    );
    let (code, report) = import_json(&env, "in.jsonl", &["--dry-run"]);
    assert_eq!(code, 0);
    assert_eq!(
        (report["created"].as_u64(), report["updated"].as_u64()),
        (Some(0), Some(1))
    );
    assert_eq!(env.snapshot(), before);
    let out = env.ok(&["import", "beads", "in.jsonl", "--dry-run"]);
    assert_eq!(out, "dry run: 0 created, 1 updated, 0 unchanged\n");
    assert_eq!(env.snapshot(), before);
}

#[test]
fn stdin_dash_reads_standard_input() {
    let env = TestEnv::init();
    let array = format!("[{ISSUE_1}]");
    let out = run_stdin(&env, &["import", "beads", "-"], &array);
    assert!(out.status.success(), "{}", render(&out));
    assert_eq!(stdout(&out), "1 created, 0 updated, 0 unchanged\n");
    assert_eq!(
        bead_bytes(&env).keys().collect::<Vec<_>>(),
        vec!["t-1.json"]
    );
    let log = env.read(".gemba/log/2026-11-23.jsonl");
    let last: Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
    assert_eq!(last["kind"], "import");
    assert_eq!(last["data"]["source"], "<stdin>");
}
