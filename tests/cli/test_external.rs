//! bd's cross-project dependencies (`external:<project>:<capability>`) on
//! two real repositories, and the one-line summaries `gemba ready` prints
//! for edges it cannot decide.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::*;

fn ids(value: &Value) -> Vec<String> {
    let mut out: Vec<String> = value
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap().to_string())
        .collect();
    out.sort();
    out
}

/// Project A: one bead that depends on `external:B:auth-api`, one plain.
fn project_a() -> TestEnv {
    let env = TestEnv::init();
    let out = env.import_text(concat!(
        r#"{"id":"a-1","title":"Use auth","status":"open","created_at":"2025-01-01T00:00:00Z","dependencies":[{"depends_on_id":"external:B:auth-api","type":"blocks"},{"depends_on_id":"external:B:other","type":"related"}]}"#,
        "\n",
        r#"{"id":"a-2","title":"Plain","status":"open","created_at":"2025-01-01T00:00:00Z"}"#,
        "\n",
    ));
    assert!(out.status.success(), "{}", render(&out));
    env
}

/// Map project `B` to `path` in A's config.
fn configure(env: &TestEnv, path: &str) {
    let config = env.read(".gemba/config.yaml");
    assert!(config.contains("external_projects: {}\n"));
    env.write(
        ".gemba/config.yaml",
        &config.replace(
            "external_projects: {}\n",
            &format!("external_projects:\n  B: {path}\n"),
        ),
    );
}

/// A gemba repository for project B beside A's (`../b` from A's root),
/// holding `issues` (bd JSONL).
fn project_b(env: &TestEnv, issues: &str) -> PathBuf {
    let b = env.tmp.path().join("b");
    std::fs::create_dir_all(&b).unwrap();
    env.git_in(&b, &["init", "-q", "-b", "main"]);
    let out = env.cmd_in(&b, &["init"]).output().unwrap();
    assert!(out.status.success(), "{}", render(&out));
    import_into(env, &b, issues);
    b
}

fn import_into(env: &TestEnv, dir: &Path, issues: &str) {
    std::fs::write(dir.join("in.jsonl"), issues).unwrap();
    let out = env
        .cmd_in(dir, &["import", "beads", "in.jsonl"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", render(&out));
}

const SHIPPED: &str = r#"{"id":"b-1","title":"Auth API","status":"closed","labels":["export:auth-api","provides:auth-api"]}"#;
const UNLABELLED: &str =
    r#"{"id":"b-1","title":"Auth API","status":"closed","labels":["export:auth-api"]}"#;
const REOPENED: &str = r#"{"id":"b-1","title":"Auth API","status":"open","labels":["export:auth-api","provides:auth-api"]}"#;

/// `gemba ready --json`: the ready ids and stderr.
fn ready(env: &TestEnv) -> (Vec<String>, String) {
    let out = env.run(&["ready", "--json"]);
    assert!(
        out.status.success() || out.status.code() == Some(3),
        "{}",
        render(&out)
    );
    let value: Value = serde_json::from_slice(&out.stdout).unwrap();
    (ids(&value), stderr(&out))
}

/// `gemba check --json` warnings, as messages.
fn check_warnings(env: &TestEnv) -> Vec<String> {
    let (code, report) = check_report(env);
    assert_eq!(code, Some(0), "{report}");
    report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["message"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn shipped_capability_resolves_and_unshipped_blocks() {
    let env = project_a();
    configure(&env, "../b");
    let b = project_b(&env, SHIPPED);

    // B has a closed bead labelled provides:auth-api: a-1 is ready.
    let (got, err) = ready(&env);
    assert_eq!(got, vec!["a-1", "a-2"], "{err}");
    assert!(!err.contains("external"), "{err}");
    assert!(check_warnings(&env).is_empty());

    // The label is gone: blocked, and said so in one line.
    import_into(&env, &b, UNLABELLED);
    let (got, err) = ready(&env);
    assert_eq!(got, vec!["a-2"], "{err}");
    let expected = "1 bead is blocked by external dependencies: \
                    B:auth-api (no closed bead provides it); gemba check lists them";
    assert_eq!(err.matches(expected).count(), 1, "{err}");
    assert!(!err.contains("not in the store"), "{err}");
    // gemba check names the edge; it is not a missing bead.
    assert_eq!(
        check_warnings(&env),
        vec!["blocks dependency: blocked by external B:auth-api (no closed bead provides it)"]
    );
    // bead show marks it too.
    let show = env.ok(&["bead", "show", "a-1"]);
    assert!(
        show.contains("external:B:auth-api  (unresolved: no closed bead provides it)"),
        "{show}"
    );
    let shown = env.json(&["bead", "show", "a-1"]);
    assert_eq!(
        shown["external_blockers"][0]["reason"]["kind"],
        "not-provided"
    );

    // Labelled but not closed (bd: only closed beads provide): still blocked.
    import_into(&env, &b, REOPENED);
    assert_eq!(ready(&env).0, vec!["a-2"]);

    // Text output: the table and the summary line.
    let out = env.run(&["ready"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("a-2"), "{}", render(&out));
    assert!(!stdout(&out).contains("a-1"), "{}", render(&out));
    assert!(
        stderr(&out).contains("blocked by external dependencies: B:auth-api"),
        "{}",
        render(&out)
    );
}

#[test]
fn unconfigured_project_blocks() {
    let env = project_a();
    project_b(&env, SHIPPED);
    // B ships auth-api, but A's config does not name B.
    let (got, err) = ready(&env);
    assert_eq!(got, vec!["a-2"], "{err}");
    assert!(
        err.contains(
            "1 bead is blocked by external dependencies: \
             B:auth-api (project not configured in external_projects)"
        ),
        "{err}"
    );
    assert_eq!(
        check_warnings(&env),
        vec![
            "blocks dependency: blocked by external B:auth-api \
             (project not configured in external_projects)"
        ]
    );
}

#[test]
fn bd_export_in_the_other_project_works() {
    let env = project_a();
    // B is a bd repository: only .beads/issues.jsonl, no .gemba/. Absolute
    // path in the config this time.
    let b = env.tmp.path().join("bd-project");
    std::fs::create_dir_all(b.join(".beads")).unwrap();
    std::fs::write(
        b.join(".beads/issues.jsonl"),
        format!(
            "{}\n{}\n",
            r#"{"id":"bd-1","title":"Auth","status":"closed","issue_type":"task","labels":["provides:auth-api"]}"#,
            r#"{"id":"bd-2","title":"Gone","status":"tombstone","labels":["provides:gone"]}"#
        ),
    )
    .unwrap();
    configure(&env, b.to_str().unwrap());
    let (got, err) = ready(&env);
    assert_eq!(got, vec!["a-1", "a-2"], "{err}");

    // Unlabelled in the export: blocked.
    std::fs::write(
        b.join(".beads/issues.jsonl"),
        r#"{"id":"bd-1","title":"Auth","status":"closed","labels":[]}"#,
    )
    .unwrap();
    let (got, err) = ready(&env);
    assert_eq!(got, vec!["a-2"], "{err}");
    assert!(
        err.contains("B:auth-api (no closed bead provides it)"),
        "{err}"
    );
}

#[test]
fn unreadable_tracker_blocks_and_names_the_path() {
    let env = project_a();
    configure(&env, "../nowhere");
    let (got, err) = ready(&env);
    assert_eq!(got, vec!["a-2"], "{err}");
    let path = canonical(&env.root).join("../nowhere");
    let expected = format!(
        "B:auth-api (tracker unreadable at {}: no such directory)",
        path.display()
    );
    assert!(err.contains(&expected), "{err}");
    let warnings = check_warnings(&env);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains(&expected), "{warnings:?}");

    // A directory with no tracker in it.
    std::fs::create_dir_all(env.tmp.path().join("nowhere")).unwrap();
    let (_, err) = ready(&env);
    assert!(
        err.contains("neither .gemba/beads/ nor .beads/issues.jsonl exists"),
        "{err}"
    );
}

#[test]
fn missing_edges_are_one_line_and_external_edges_are_not_missing() {
    let env = TestEnv::init();
    let out = env.import_text(concat!(
        r#"{"id":"m-1","title":"One","status":"open","dependencies":[{"depends_on_id":"gone-1","type":"blocks"},{"depends_on_id":"gone-2","type":"parent-child"},{"depends_on_id":"external:X:cap","type":"related"}]}"#,
        "\n",
        r#"{"id":"m-2","title":"Two","status":"open","dependencies":[{"depends_on_id":"gone-3","type":"waits-for"},{"depends_on_id":"gone-4","type":"related"}]}"#,
        "\n",
        r#"{"id":"m-3","title":"Done","status":"closed","dependencies":[{"depends_on_id":"gone-5","type":"blocks"}]}"#,
        "\n",
    ));
    assert!(out.status.success(), "{}", render(&out));
    let (got, err) = ready(&env);
    // Missing targets do not block (bd's join finds nothing).
    assert_eq!(got, vec!["m-1", "m-2"], "{err}");
    assert_eq!(
        err.lines().collect::<Vec<_>>(),
        vec!["warning: 3 edges point to beads not in the store; gemba check lists them"],
    );
    // gemba check lists each (the closed bead's too); the related links and
    // the external link are not missing beads.
    let warnings = check_warnings(&env);
    assert_eq!(warnings.len(), 4, "{warnings:?}");
    assert!(warnings.iter().all(|w| w.contains("not in the store")));
    // --quiet drops the summary.
    let out = env.run(&["ready", "--quiet"]);
    assert_eq!(stderr(&out), "", "{}", render(&out));
}

#[test]
fn real_export_missing_edges_summarized_once() {
    // steveyegge/beads has edges to beads missing from the export.
    let issues = read_issues(BEADS);
    let present: std::collections::HashSet<&str> = issues
        .iter()
        .filter(|v| v["status"] != "tombstone" && v["deleted_at"].is_null())
        .filter(|v| !INFRASTRUCTURE.contains(&v["issue_type"].as_str().unwrap_or("task")))
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    let mut missing: Vec<(String, String, String)> = issues
        .iter()
        .filter(|v| present.contains(v["id"].as_str().unwrap()))
        .filter(|v| !matches!(v["status"].as_str(), Some("closed" | "pinned")))
        .flat_map(|v| {
            v["dependencies"]
                .as_array()
                .into_iter()
                .flatten()
                .map(move |d| (v, d))
        })
        .filter_map(|(v, d)| {
            let to = d["depends_on_id"].as_str().unwrap();
            let t = d["type"].as_str().unwrap_or("blocks");
            let ordering = matches!(
                t,
                "blocks" | "conditional-blocks" | "waits-for" | "parent-child"
            );
            (ordering && !present.contains(to) && !to.starts_with("external:")).then(|| {
                (
                    v["id"].as_str().unwrap().to_string(),
                    t.to_string(),
                    to.to_string(),
                )
            })
        })
        .collect();
    missing.sort();
    missing.dedup();
    assert!(!missing.is_empty());
    // No external edges in the data: the ready set is unchanged by them.
    let raw = std::fs::read_to_string(shared_data(BEADS)).unwrap();
    assert!(!raw.contains(r#""depends_on_id":"external:"#));

    let env = TestEnv::init();
    env.ok(&["import", "beads", shared_data(BEADS).to_str().unwrap()]);
    let out = env.run(&["ready", "--json"]);
    assert!(out.status.success(), "{}", render(&out));
    let err = stderr(&out);
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("not in the store"))
        .collect();
    let expected = match missing.as_slice() {
        [(from, t, to)] => format!(
            "warning: 1 edge points to a bead not in the store ({from} --{t}--> {to}); \
             gemba check lists it"
        ),
        many => format!(
            "warning: {} edges point to beads not in the store; gemba check lists them",
            many.len()
        ),
    };
    assert_eq!(lines, vec![expected.as_str()], "{err}");
    assert!(!err.contains("external"), "{err}");
}
