//! Enrichment commands: targets, concepts, status, size, extract, backfill,
//! and the list filters that read enrichment.

use crate::common::*;

/// A repo with a few tracked files and one bead whose text names them.
fn setup() -> (TestEnv, String) {
    let env = TestEnv::init();
    for f in [
        "src/auth/login.rs",
        "src/auth/mod.rs",
        "src/main.rs",
        "docs/auth.md",
        "cmd/bd/sync.go",
    ] {
        env.write(f, "x\n");
    }
    env.git(&["add", "-A"]);
    env.git(&["commit", "-q", "-m", "files"]);
    let bead = env.json(&[
        "bead",
        "create",
        "--title",
        "Fix login redirect in `src/auth/login.rs`",
        "--body",
        "See docs/auth.md and src/auth/session.rs:42-50; sync.go too. Not paths: v1.2.3, a@b.com, https://x.y/z.",
    ]);
    (env, bead["id"].as_str().unwrap().to_string())
}

fn enrichment(env: &TestEnv, id: &str) -> serde_json::Value {
    env.json(&["bead", "show", id])["enrichment"].clone()
}

#[test]
fn extract_finds_targets_and_stamps_heuristic() {
    let (env, id) = setup();
    let dry = env.json(&["bead", "extract", &id, "--dry-run"]);
    assert_eq!(
        dry["found"]["targets"],
        serde_json::json!([
            "src/auth/login.rs",
            "docs/auth.md",
            "src/auth/session.rs",
            "cmd/bd/sync.go"
        ])
    );
    assert!(
        !env.root
            .join(format!(".gemba/enrichment/{id}.yaml"))
            .exists(),
        "--dry-run wrote a file"
    );

    env.ok(&["bead", "extract", &id]);
    let e = enrichment(&env, &id);
    assert_eq!(e["targets"]["source"], "heuristic");
    assert_eq!(e["targets"]["updated_at"], NOW);
    assert_eq!(e["estimated_size"]["value"], "small");

    // Same text again: nothing changes, not even the timestamp.
    let before = env.read(&format!(".gemba/enrichment/{id}.yaml"));
    let again = env.json(&["bead", "extract", &id]);
    assert_eq!(again["changed"], false);
    assert_eq!(env.read(&format!(".gemba/enrichment/{id}.yaml")), before);
}

#[test]
fn operator_values_survive_extraction_and_merge_unions() {
    let (env, id) = setup();
    env.ok(&["bead", "targets", "set", &id, "src/auth/**"]);
    env.ok(&["bead", "extract", &id, "--body", "touches src/main.rs"]);
    let e = enrichment(&env, &id);
    assert_eq!(
        e["targets"]["value"],
        serde_json::json!(["src/auth/**"]),
        "operator targets replaced"
    );
    assert_eq!(e["targets"]["source"], "operator");

    env.ok(&[
        "bead",
        "extract",
        &id,
        "--body",
        "touches src/main.rs",
        "--merge",
    ]);
    let e = enrichment(&env, &id);
    assert_eq!(
        e["targets"]["value"],
        serde_json::json!(["src/auth/**", "src/auth/login.rs", "src/main.rs"])
    );
    assert_eq!(
        e["targets"]["source"], "operator",
        "merge must keep the operator stamp"
    );
}

#[test]
fn list_edits_and_filters() {
    let (env, id) = setup();
    let other = env.json(&["bead", "create", "--title", "Unrelated"])["id"]
        .as_str()
        .unwrap()
        .to_string();
    env.ok(&["bead", "targets", "set", &id, "src/auth/**", "docs/*.md"]);
    env.ok(&["bead", "targets", "add", &id, "src/main.rs", "docs/*.md"]);
    env.ok(&["bead", "targets", "rm", &id, "docs/*.md"]);
    assert_eq!(
        enrichment(&env, &id)["targets"]["value"],
        serde_json::json!(["src/auth/**", "src/main.rs"])
    );

    let ids = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["bead", "list"];
        all.extend_from_slice(args);
        env.json(&all)
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&["--target", "src/auth/login.rs"]), vec![id.clone()]);
    assert_eq!(
        ids(&["--target", "src/auth/deep/x.rs"]),
        vec![id.clone()],
        "** crosses directories"
    );
    assert!(ids(&["--target", "src/lib.rs"]).is_empty());
    assert_eq!(ids(&["--unenriched"]), vec![other.clone()]);

    env.ok(&["bead", "status", "set", &id, "awaiting-design"]);
    assert_eq!(
        ids(&["--dispatch-status", "awaiting-design"]),
        vec![id.clone()]
    );
    assert_eq!(
        ids(&["--dispatch-status", "ready"]),
        vec![other.clone()],
        "absent status counts as ready"
    );
    env.ok(&["bead", "status", "clear", &id]);
    assert!(ids(&["--dispatch-status", "awaiting-design"]).is_empty());
    env.fails(2, &["bead", "status", "set", &id, "someday"]);
    env.fails(2, &["bead", "list", "--dispatch-status", "someday"]);

    env.ok(&["bead", "size", "set", &id, "large"]);
    assert_eq!(
        enrichment(&env, &id)["estimated_size"],
        serde_json::json!({"value": "large", "source": "operator", "updated_at": NOW})
    );
    env.ok(&["bead", "size", "estimate", &id]);
    assert_eq!(
        enrichment(&env, &id)["estimated_size"]["source"],
        "heuristic"
    );
    env.ok(&["bead", "size", "clear", &id]);
    assert!(enrichment(&env, &id).get("estimated_size").is_none());
}

#[test]
fn concepts_resolve_aliases_and_warn_on_unknown() {
    let (env, id) = setup();
    env.write(
        ".gemba/vocabulary.yaml",
        "terms:\n  - name: react-query\n    aliases: [tanstack query]\n  - name: auth\n",
    );
    let out = env.run(&[
        "bead",
        "concepts",
        "set",
        &id,
        "React Query",
        "Tanstack_Query",
        "AUTH",
        "billing",
    ]);
    assert!(out.status.success(), "{}", render(&out));
    let err = stderr(&out);
    assert!(
        err.contains("\"billing\" is not in the vocabulary"),
        "{err}"
    );
    assert!(!err.contains("auth\" is not"), "{err}");
    assert_eq!(
        enrichment(&env, &id)["concepts"]["value"],
        serde_json::json!(["react-query", "auth", "billing"])
    );

    let out = env.run(&["bead", "concepts", "add", &id, "payments", "--force"]);
    assert!(out.status.success());
    assert!(
        !stderr(&out).contains("warning"),
        "--force must silence the warning"
    );
    env.ok(&["bead", "concepts", "rm", &id, "billing", "payments"]);
    let listed: Vec<String> = env
        .json(&["bead", "list", "--concept", "tanstack QUERY"])
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(listed, vec![id]);
}

#[test]
fn bad_globs_and_hand_edit_typos_are_errors_with_positions() {
    let (env, id) = setup();
    let before = env.snapshot();
    for glob in ["/etc/*", "../x/**", "src/[oops"] {
        let out = env.fails(1, &["bead", "targets", "set", &id, glob]);
        assert!(stderr(&out).contains("glob"), "{}", render(&out));
    }
    assert_eq!(env.snapshot(), before, "a rejected edit changed files");

    let path = format!(".gemba/enrichment/{id}.yaml");
    env.write(&path, "targets:\n  value: [src/**]\n  source: operator\nconcept:\n  value: [auth]\n  source: operator\n");
    let out = env.fails(1, &["bead", "show", &id]);
    assert!(
        stderr(&out).contains(&format!("{path}:4:1")),
        "{}",
        render(&out)
    );
    assert!(stderr(&out).contains("concept"), "{}", render(&out));

    env.write(
        &path,
        "targets:\n  value:\n    - src/ok/**\n    - src/[bad\n  source: operator\n",
    );
    let out = env.fails(1, &["bead", "targets", "add", &id, "x/**"]);
    assert!(
        stderr(&out).contains(&format!("{path}:4:")),
        "{}",
        render(&out)
    );

    env.write(
        &path,
        "dispatch_status:\n  value: someday\n  source: operator\n",
    );
    let out = env.fails(1, &["check"]);
    assert!(
        stderr(&out).contains(&format!("{path}:2:")),
        "{}",
        render(&out)
    );
}

#[test]
fn backfill_enriches_open_beads_and_reports_failures() {
    let (env, id) = setup();
    let closed = env.json(&["bead", "create", "--title", "Old work in src/main.rs"])["id"]
        .as_str()
        .unwrap()
        .to_string();
    env.ok(&["bead", "close", &closed]);
    let broken = env.json(&["bead", "create", "--title", "Touch docs/auth.md"])["id"]
        .as_str()
        .unwrap()
        .to_string();
    env.write(&format!(".gemba/enrichment/{broken}.yaml"), "targets: [\n");

    let out = env.run(&["bead", "backfill", "--json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a failed bead makes the exit non-zero: {}",
        render(&out)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["considered"], 2);
    assert_eq!(report["enriched"], 1);
    assert_eq!(report["failed"][0]["id"], broken.as_str());
    assert_eq!(enrichment(&env, &id)["targets"]["source"], "backfill");
    assert!(
        !env.root
            .join(format!(".gemba/enrichment/{closed}.yaml"))
            .exists(),
        "closed bead enriched without --all"
    );

    // --all, --filter before --limit, --skip-existing.
    env.write(&format!(".gemba/enrichment/{broken}.yaml"), "{}\n");
    let report = env.json(&[
        "bead",
        "backfill",
        "--all",
        "--filter",
        "Old work",
        "--limit",
        "1",
        "--dry-run",
    ]);
    assert_eq!(
        (report["considered"].as_u64(), report["enriched"].as_u64()),
        (Some(1), Some(1))
    );
    assert!(
        !env.root
            .join(format!(".gemba/enrichment/{closed}.yaml"))
            .exists(),
        "--dry-run wrote"
    );
    let report = env.json(&["bead", "backfill", "--all"]);
    assert_eq!(
        report["skipped"], 1,
        "the already-enriched bead is skipped: {report}"
    );
    let report = env.json(&["bead", "backfill", "--all", "--skip-existing=false"]);
    assert_eq!(report["enriched"], 0, "nothing new to find: {report}");

    let log = env.json(&["log", "--kind", "enrich"]);
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "enrich.backfill")
    );
}

#[test]
fn reimport_never_touches_enrichment() {
    let env = TestEnv::init();
    env.import_text("{\"id\":\"t-1\",\"title\":\"Edit src/main.rs\"}\n");
    env.ok(&["bead", "targets", "set", "t-1", "src/**"]);
    let before = env.read(".gemba/enrichment/t-1.yaml");
    let out = env.import_text("{\"id\":\"t-1\",\"title\":\"Edit src/lib.rs instead\"}\n");
    assert!(out.status.success());
    assert_eq!(env.read(".gemba/enrichment/t-1.yaml"), before);
}

#[test]
fn backfill_borrows_literal_targets_from_epic_parts_and_similar_beads() {
    let (env, named) = setup();
    let create = |args: &[&str]| -> String {
        let mut all = vec!["bead", "create"];
        all.extend_from_slice(args);
        env.json(&all)["id"].as_str().unwrap().to_string()
    };
    let epic = create(&["--title", "Auth overhaul", "--type", "epic"]);
    let part = create(&[
        "--title",
        "Session cookie in `src/auth/mod.rs`",
        "--parent",
        &epic,
    ]);
    let sibling = create(&["--title", "Rotate keys on logout", "--parent", &epic]);
    let similar = create(&["--title", "Fix login redirect loop after timeout"]);
    let pinned = create(&["--title", "Login redirect for guests"]);
    env.write(
        &format!(".gemba/enrichment/{pinned}.yaml"),
        "targets:\n  value: []\n  source: operator\n",
    );

    let report = env.json(&["bead", "backfill", "--skip-existing=false"]);
    let borrowed = report["borrowed"].as_array().unwrap();
    let of = |id: &str| borrowed.iter().find(|b| b["id"] == id).cloned();
    assert_eq!(
        of(&sibling).expect("the epic part borrows")["from"],
        serde_json::json!([part])
    );
    assert_eq!(
        of(&similar).expect("the similar bead borrows")["via"],
        "similar beads"
    );
    assert!(
        of(&pinned).is_none(),
        "an operator's empty list stands: {report}"
    );
    let e = enrichment(&env, &sibling)["targets"].clone();
    assert_eq!(e["source"], "similar");
    assert_eq!(e["value"], serde_json::json!(["src/auth/mod.rs"]));
    // Only literal paths travel, and only a lender's own targets.
    let e = enrichment(&env, &similar)["targets"].clone();
    assert!(
        e["value"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| !g.as_str().unwrap().contains('*')),
        "{e}"
    );
    assert!(enrichment(&env, &named)["targets"]["source"] == "backfill");

    let again = env.json(&["bead", "backfill", "--skip-existing=false"]);
    assert_eq!(again["enriched"], 0, "re-running changes nothing: {again}");
}

#[test]
fn backfill_learns_targets_from_closed_beads_before_the_bead_was_created() {
    let env = TestEnv::init();
    for f in [
        "cmd/export.go",
        "daemon/flush.go",
        "daemon/late.go",
        "cmd/list.go",
    ] {
        env.write(f, "x\n");
    }
    env.git(&["add", "-A"]);
    env.git(&["commit", "-q", "-m", "files"]);
    let bead = |id: &str, title: &str, created: &str, closed: Option<&str>| {
        let mut b = serde_json::json!({
            "id": id, "title": title, "status": "open", "issue_type": "task",
            "created_at": created, "updated_at": created,
        });
        if let Some(c) = closed {
            b["status"] = "closed".into();
            b["closed_at"] = c.into();
        }
        b.to_string() + "\n"
    };
    let out = env.import_text(
        &[
            bead(
                "t-1",
                "Exporter hangs on flush",
                "2025-01-01T00:00:00Z",
                Some("2025-01-10T00:00:00Z"),
            ),
            // Closed after t-9 was created: it knows the future.
            bead(
                "t-2",
                "Exporter hangs on flush again",
                "2025-01-20T00:00:00Z",
                Some("2025-03-01T00:00:00Z"),
            ),
            // Closed in time, but no retrospective: nothing to lend.
            bead(
                "t-3",
                "Exporter hangs",
                "2025-01-02T00:00:00Z",
                Some("2025-01-05T00:00:00Z"),
            ),
            bead(
                "t-9",
                "Exporter hangs while flushing",
                "2025-02-01T00:00:00Z",
                None,
            ),
        ]
        .concat(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let retro = |id: &str, files: &[&str]| {
        let list: String = files.iter().map(|f| format!("  - {f}\n")).collect();
        env.write(
            &format!(".gemba/enrichment/{id}.yaml"),
            &format!("targets:\n  value:\n{list}  source: retro\n"),
        );
    };
    retro("t-1", &["cmd/export.go", "daemon/flush.go"]);
    retro("t-2", &["daemon/late.go"]);

    let report = env.json(&["bead", "backfill", "--skip-existing=false"]);
    let learned = report["learned"].as_array().unwrap();
    assert_eq!(learned.len(), 1, "{report}");
    assert_eq!(learned[0]["id"], "t-9");
    let lent: Vec<(&str, &serde_json::Value)> = learned[0]["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["path"].as_str().unwrap(), &t["from"]))
        .collect();
    assert_eq!(
        lent,
        [
            ("cmd/export.go", &serde_json::json!(["t-1"])),
            ("daemon/flush.go", &serde_json::json!(["t-1"])),
        ]
    );
    let e = enrichment(&env, "t-9")["targets"].clone();
    assert_eq!(e["source"], "history");
    assert_eq!(
        e["value"],
        serde_json::json!(["cmd/export.go", "daemon/flush.go"])
    );
    let again = env.json(&["bead", "backfill", "--skip-existing=false"]);
    assert_eq!(again["enriched"], 0, "re-running changes nothing: {again}");

    // Backfilling closed beads keeps what their commits really touched.
    env.json(&["bead", "backfill", "--all", "--skip-existing=false"]);
    let e = enrichment(&env, "t-1")["targets"].clone();
    assert_eq!(e["source"], "retro");
    assert_eq!(
        e["value"],
        serde_json::json!(["cmd/export.go", "daemon/flush.go"])
    );

    // Switched off: t-9 learns nothing.
    let config = env.read(".gemba/config.yaml");
    env.write(
        ".gemba/config.yaml",
        &config.replace(
            "  history:\n    enabled: true",
            "  history:\n    enabled: false",
        ),
    );
    let off = env.json(&["bead", "backfill", "--skip-existing=false"]);
    assert_eq!(off["learned"], serde_json::json!([]), "{off}");
    assert_ne!(enrichment(&env, "t-9")["targets"]["source"], "history");
}
