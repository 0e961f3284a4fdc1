//! `gemba concepts bootstrap|list|drift|review|approve|reject|log`: the
//! controlled vocabulary, its drift suggestions and their review.

use serde_json::{Value, json};

use crate::common::*;

/// A repo with a Cargo workspace, Rust modules, Go and Python packages, a
/// component directory, and three imported beads with labels.
fn structured_repo() -> TestEnv {
    let env = TestEnv::init();
    env.write(
        "Cargo.toml",
        "[workspace]\nmembers = [\"crates/*\"]\n\n[package]\nname = \"app\"\n",
    );
    for f in [
        "crates/token_store/Cargo.toml",
        "crates/token_store/src/lib.rs",
        "crates/token_store/src/cache.rs",
        "crates/parser/Cargo.toml",
        "crates/parser/src/lib.rs",
        "src/main.rs",
        "src/store.rs",
        "src/plan/mod.rs",
        "src/plan/deps.rs",
        "src/cli/mod.rs",
        "go/auth/login.go",
        "cmd/server/main.go",
        "vendor/dep/x.go",
        "py/billing/__init__.py",
        "py/billing/tests/__init__.py",
        "lib/render/index.js",
    ] {
        env.write(f, "x\n");
    }
    env.git(&["add", "-A"]);
    env.git(&["commit", "-q", "-m", "layout"]);
    let out = env.import_text(concat!(
        "{\"id\":\"t-1\",\"title\":\"one\",\"labels\":[\"backend\",\"gh:12\"]}\n",
        "{\"id\":\"t-2\",\"title\":\"two\",\"labels\":[\"backend\",\"Auth\",\"v1.2.3\"]}\n",
        "{\"id\":\"t-3\",\"title\":\"three\",\"labels\":[\"ux\"]}\n",
    ));
    assert!(out.status.success(), "{}", render(&out));
    // A term the operator wrote, under another name with `store` as alias.
    env.write(
        ".gemba/vocabulary.yaml",
        "terms:\n- name: storage\n  aliases: [store]\n",
    );
    env
}

fn names_and_sources(report: &Value) -> Vec<(String, String)> {
    report["added"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_string(),
                t["source"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(n, s)| (n.to_string(), format!("bootstrap:{s}")))
        .collect()
}

fn log_kinds(env: &TestEnv) -> Vec<String> {
    env.json(&["concepts", "log"])
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn bootstrap_proposes_terms_from_the_repository() {
    let env = structured_repo();
    let all = [
        ("parser", "cargo-workspace"),
        ("token-store", "cargo-workspace"),
        ("cache", "cargo-module"),
        ("cli", "cargo-module"),
        ("plan", "cargo-module"),
        // `store` is already an alias of `storage`.
        ("auth", "go-package"),
        ("server", "go-package"),
        ("billing", "python-package"),
        ("render", "top-level-dir"),
        // Most used first; `Auth` was proposed by an earlier source,
        // `gh:12` and `v1.2.3` are bookkeeping.
        ("backend", "bead-label"),
        ("ux", "bead-label"),
    ];

    let before = env.snapshot();
    let dry = env.json(&["concepts", "bootstrap", "--dry-run"]);
    assert_eq!(names_and_sources(&dry), pairs(&all));
    assert_eq!(
        (
            dry["existing"].clone(),
            dry["over_cap"].clone(),
            dry["dry_run"].clone()
        ),
        (json!(1), json!(0), json!(true))
    );
    assert_eq!(env.snapshot(), before, "--dry-run wrote something");

    let capped = env.json(&["concepts", "bootstrap", "--max", "3"]);
    assert_eq!(names_and_sources(&capped), pairs(&all[..3]));
    assert_eq!(capped["over_cap"], 8);
    let rest = env.json(&["concepts", "bootstrap"]);
    assert_eq!(names_and_sources(&rest), pairs(&all[3..]));
    assert_eq!(rest["existing"], 4);

    let vocabulary = env.read(".gemba/vocabulary.yaml");
    assert!(
        vocabulary_terms(&vocabulary).is_some_and(|v| v.starts_with(
            "terms:\n- name: storage\n  aliases:\n  - store\n  source: operator\n- name: parser\n  source: bootstrap:cargo-workspace\n  created_at: \"2026-11-23T12:00:00Z\"\n  updated_at: \"2026-11-23T12:00:00Z\"\n"
        )),
        "{vocabulary}"
    );
    let listed: Vec<String> = env.json(&["concepts", "list"])["terms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(listed.len(), 12);

    // Nothing new: nothing written, nothing logged.
    let before = env.snapshot();
    let again = env.json(&["concepts", "bootstrap"]);
    assert_eq!(again["added"], json!([]));
    assert_eq!(again["existing"], 12);
    assert_eq!(env.snapshot(), before);
    assert_eq!(
        log_kinds(&env),
        ["concepts.bootstrap", "concepts.bootstrap"]
    );

    let out = env.run(&["concepts", "bootstrap", "--dry-run"]);
    assert!(
        stderr(&out).contains("would add 0 new terms (12 already in the vocabulary)"),
        "{}",
        render(&out)
    );
}

/// The vocabulary and enrichment files of the drift and review tests:
/// - `auth` on b1-b4, `authn` on b1-b3: near-duplicates (jaccard 0.75);
/// - `cache` on b5-b7: used enough;
/// - `legacy` on b8 only, last used in January: a stale singleton;
/// - `fresh`: unused but created this month;
/// - `security`: unused, but updated recently;
/// - `old`: retired.
fn vocabulary_repo() -> TestEnv {
    let env = TestEnv::init();
    env.write(
        ".gemba/vocabulary.yaml",
        "terms:
- name: auth
  aliases: [login]
- name: authn
  aliases: [authentication]
- name: cache
- name: legacy
  created_at: 2025-06-01T00:00:00Z
- name: fresh
  created_at: 2026-11-20T00:00:00Z
- name: security
  created_at: 2025-01-01T00:00:00Z
  updated_at: 2026-11-01T00:00:00Z
- name: old
  retired: true
",
    );
    let recent = "2026-11-01T00:00:00Z";
    enrich(&env, "b1", &["auth", "authn"], recent);
    enrich(
        &env,
        "b2",
        &["Login", "authentication", "cache-miss"],
        recent,
    );
    enrich(&env, "b3", &["authn", "auth"], recent);
    enrich(&env, "b4", &["auth"], recent);
    for b in ["b5", "b6", "b7"] {
        enrich(&env, b, &["cache"], recent);
    }
    enrich(&env, "b8", &["legacy", "old"], "2026-01-10T00:00:00Z");
    env
}

fn enrichment_text(concepts: &[&str], at: &str) -> String {
    let list: Vec<String> = concepts.iter().map(|c| format!("  - {c}\n")).collect();
    format!(
        "concepts:\n  value:\n{}  source: operator\n  updated_at: \"{at}\"\n",
        list.concat()
    )
}

/// The first line of every YAML file gemba writes: the JSON Schema editors
/// check it against, relative to the file.
fn modeline(schema: &str) -> String {
    format!("# yaml-language-server: $schema={schema}\n")
}

/// An enrichment file as gemba writes it: the modeline, then `text`.
fn written(text: String) -> String {
    format!("{}{text}", modeline("../schema/enrichment.schema.json"))
}

/// `vocabulary.yaml` after its modeline and header comment.
fn vocabulary_terms(text: &str) -> Option<&str> {
    text.strip_prefix(modeline("schema/vocabulary.schema.json").as_str())
        .and_then(|t| t.strip_prefix(gemba::model::vocabulary::VOCABULARY_HEADER))
}

fn enrich(env: &TestEnv, id: &str, concepts: &[&str], at: &str) {
    env.write(
        &format!(".gemba/enrichment/{id}.yaml"),
        &enrichment_text(concepts, at),
    );
}

fn read_enrichment(env: &TestEnv, id: &str) -> Option<String> {
    std::fs::read_to_string(env.gemba_dir().join(format!("enrichment/{id}.yaml"))).ok()
}

#[test]
fn list_counts_usage_by_name_and_alias() {
    let env = vocabulary_repo();
    let report = env.json(&["concepts", "list"]);
    let usage: Vec<(String, u64)> = report["terms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_string(),
                t["usage"].as_u64().unwrap(),
            )
        })
        .collect();
    let want: Vec<(String, u64)> = [
        ("auth", 4),
        ("authn", 3),
        ("cache", 3),
        ("fresh", 0),
        ("legacy", 1),
        ("security", 0),
    ]
    .iter()
    .map(|(n, u)| (n.to_string(), *u))
    .collect();
    assert_eq!(usage, want);
    assert_eq!(report["terms"][0]["aliases"], json!(["login"]));
    assert_eq!(report["terms"][0]["last_used"], "2026-11-01T00:00:00Z");
    assert_eq!(
        report["unknown"],
        json!([{"name": "cache-miss", "usage": 1}])
    );

    let all = env.json(&["concepts", "list", "--all"]);
    let old = all["terms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "old")
        .unwrap();
    assert_eq!(
        (old["usage"].clone(), old["retired"].clone()),
        (json!(1), json!(true))
    );

    let out = env.ok(&["concepts", "list"]);
    let lines: Vec<&str> = out.lines().map(str::trim_end).collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["NAME", "USAGE", "ALIASES", "SOURCE"]
    );
    assert_eq!(
        lines[1].split_whitespace().collect::<Vec<_>>(),
        ["auth", "4", "login", "operator"]
    );
    let out = env.run(&["concepts", "list"]);
    assert!(
        stderr(&out).contains("not in the vocabulary: cache-miss (1)"),
        "{}",
        render(&out)
    );
}

/// The `new` suggestions of a drift report, by kind.
fn new_suggestions(report: &Value) -> Vec<Value> {
    report["new"].as_array().unwrap().clone()
}

fn drift_ids(env: &TestEnv) -> (String, String) {
    let report = env.json(&["concepts", "drift"]);
    let new = new_suggestions(&report);
    assert_eq!(new.len(), 2, "{report:#}");
    (
        new[0]["id"].as_str().unwrap().to_string(),
        new[1]["id"].as_str().unwrap().to_string(),
    )
}

#[test]
fn drift_writes_suggestions_once() {
    let env = vocabulary_repo();
    let report = env.json(&["concepts", "drift"]);
    let new = new_suggestions(&report);
    let summary: Vec<Value> = new
        .iter()
        .map(|s| json!([s["kind"], s["terms"], s["target"], s["reason"], s["status"]]))
        .collect();
    assert_eq!(
        summary,
        [
            json!([
                "merge",
                ["authn"],
                "auth",
                "jaccard 0.75, usage 3/4, 3 shared beads",
                "pending"
            ]),
            json!([
                "delete",
                ["legacy"],
                null,
                "used by 1 bead, last used 317 days ago",
                "pending"
            ]),
        ]
    );
    assert_eq!(
        new[0]["evidence"],
        json!({"jaccard": 0.75, "shared": 3.0, "usage_from": 3.0, "usage_into": 4.0, "usage_ratio": 0.75})
    );
    let merge_id = new[0]["id"].as_str().unwrap();
    let delete_id = new[1]["id"].as_str().unwrap();
    assert!(
        merge_id.starts_with("merge-") && delete_id.starts_with("delete-"),
        "{merge_id} {delete_id}"
    );
    let text = env.read(&format!(".gemba/suggestions/{merge_id}.yaml"));
    assert_eq!(
        text,
        format!(
            "{}id: {merge_id}\nkind: merge\nterms:\n- authn\ntarget: auth\nreason: jaccard 0.75, usage 3/4, 3 shared beads\nevidence:\n  jaccard: 0.75\n  shared: 3.0\n  usage_from: 3.0\n  usage_into: 4.0\n  usage_ratio: 0.75\nstatus: pending\ncreated_at: \"2026-11-23T12:00:00Z\"\n",
            modeline("../schema/suggestion.schema.json")
        )
    );
    // Drift never applies anything.
    assert!(env.read(".gemba/vocabulary.yaml").contains("- name: authn"));

    let before = env.snapshot();
    let again = env.json(&["concepts", "drift"]);
    assert_eq!(again["new"], json!([]));
    assert_eq!(again["pending"], json!([merge_id, delete_id]));
    assert_eq!(env.snapshot(), before, "a second drift wrote something");
    assert_eq!(log_kinds(&env), ["concepts.drift"]);

    // Other thresholds come from config.
    let config = env
        .read(".gemba/config.yaml")
        .replace("singleton_unused_days: 90", "singleton_unused_days: 400");
    env.write(".gemba/config.yaml", &config);
    std::fs::remove_dir_all(env.gemba_dir().join("suggestions")).unwrap();
    let report = env.json(&["concepts", "drift"]);
    assert_eq!(new_suggestions(&report).len(), 1, "{report:#}");
}

#[test]
fn approve_merge_rewrites_enrichment_and_chains_aliases() {
    let env = vocabulary_repo();
    let (merge_id, _) = drift_ids(&env);
    let b4 = read_enrichment(&env, "b4");
    let b5 = read_enrichment(&env, "b5");

    let report = env.json(&["concepts", "approve", &merge_id, "--by", "alice"]);
    assert_eq!(report["rewritten"], json!(["b1", "b2", "b3"]));
    assert_eq!(report["suggestion"]["status"], "approved");
    let recent = "2026-11-01T00:00:00Z";
    assert_eq!(
        read_enrichment(&env, "b1").unwrap(),
        written(enrichment_text(&["auth"], recent)),
        "deduplicated, stamp kept"
    );
    // `Login` already means `auth`: one spelling per term is kept.
    assert_eq!(
        read_enrichment(&env, "b2").unwrap(),
        written(enrichment_text(&["Login", "cache-miss"], recent))
    );
    assert_eq!(
        read_enrichment(&env, "b3").unwrap(),
        written(enrichment_text(&["auth"], recent))
    );
    assert_eq!(read_enrichment(&env, "b4"), b4, "b4 did not use authn");
    assert_eq!(read_enrichment(&env, "b5"), b5);
    let vocabulary = env.read(".gemba/vocabulary.yaml");
    assert!(
        vocabulary_terms(&vocabulary).is_some_and(|v| v.starts_with(
            "terms:\n- name: auth\n  aliases:\n  - login\n  - authn\n  - authentication\n  source: operator\n  updated_at: \"2026-11-23T12:00:00Z\"\n- name: cache\n"
        )),
        "{vocabulary}"
    );
    let file = env.read(&format!(".gemba/suggestions/{merge_id}.yaml"));
    assert!(
        file.contains("status: approved\n") && file.contains("decided_by: alice\n"),
        "{file}"
    );

    // A hand-written merge of the survivor into another term: the chain
    // keeps every old spelling.
    env.write(
        ".gemba/suggestions/fold-auth.yaml",
        "id: fold-auth\nkind: merge\nterms: [auth]\ntarget: security\nreason: one area\nstatus: pending\ncreated_at: 2026-11-22T00:00:00Z\n",
    );
    let report = env.json(&["concepts", "approve", "fold-auth"]);
    assert_eq!(report["rewritten"], json!(["b1", "b2", "b3", "b4"]));
    let list = env.json(&["concepts", "list"]);
    let security = list["terms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "security")
        .unwrap()
        .clone();
    assert_eq!(
        security["aliases"],
        json!(["auth", "login", "authn", "authentication"])
    );
    assert_eq!(security["usage"], 4);
    assert!(
        list["terms"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["name"] != "auth" && t["name"] != "authn")
    );
    assert_eq!(
        read_enrichment(&env, "b2").unwrap(),
        written(enrichment_text(&["security", "cache-miss"], recent))
    );

    let log = env.json(&["concepts", "log"]);
    let approvals: Vec<&Value> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "concepts.approve")
        .collect();
    assert_eq!(approvals.len(), 2);
    assert_eq!(
        approvals[0]["message"],
        format!("approve {merge_id}: merge authn into auth (3 beads rewritten)")
    );
    assert_eq!(approvals[0]["data"]["decided_by"], "alice");
    assert_eq!(approvals[1]["data"]["decided_by"], "tester");
    // The beads it rewrote are the event's `beads`, so `log --bead` finds it.
    assert_eq!(approvals[1]["beads"], json!(["b1", "b2", "b3", "b4"]));
    let about_b3 = env.json(&["log", "--bead", "b3", "--kind", "concepts"]);
    assert_eq!(about_b3.as_array().unwrap().len(), 2, "{about_b3}");

    // Approving twice is refused.
    let out = env.fails(1, &["concepts", "approve", &merge_id]);
    assert!(
        stderr(&out).contains("is approved, not pending"),
        "{}",
        render(&out)
    );
}

#[test]
fn approve_delete_retires_and_removes_the_term() {
    let env = vocabulary_repo();
    let (_, delete_id) = drift_ids(&env);
    // b8 keeps `old` (retired, but still written there).
    let report = env.json(&["concepts", "approve", &delete_id]);
    assert_eq!(report["rewritten"], json!(["b8"]));
    assert_eq!(
        read_enrichment(&env, "b8").unwrap(),
        written(enrichment_text(&["old"], "2026-01-10T00:00:00Z"))
    );
    let all = env.json(&["concepts", "list", "--all"]);
    let legacy = all["terms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "legacy")
        .unwrap()
        .clone();
    assert_eq!(
        (legacy["retired"].clone(), legacy["usage"].clone()),
        (json!(true), json!(0))
    );
    assert!(
        env.json(&["concepts", "list"])["terms"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["name"] != "legacy")
    );

    // A bead left with no concepts and nothing else loses its file.
    env.write(
        ".gemba/suggestions/drop-cache.yaml",
        "id: drop-cache\nkind: delete\nterms: [cache]\nstatus: pending\ncreated_at: 2026-11-22T00:00:00Z\n",
    );
    env.ok(&["concepts", "approve", "drop-cache"]);
    assert_eq!(read_enrichment(&env, "b5"), None);
}

#[test]
fn rename_onto_an_existing_term_is_refused() {
    let env = vocabulary_repo();
    let write = |id: &str, target: &str| {
        env.write(
            &format!(".gemba/suggestions/{id}.yaml"),
            &format!("id: {id}\nkind: rename\nterms: [authn]\ntarget: {target}\nstatus: pending\ncreated_at: 2026-11-22T00:00:00Z\n"),
        );
    };
    for (target, what) in [
        ("cache", "is already a term"),
        ("Login", "is already an alias of \"auth\""),
        ("old", "is already a term"),
    ] {
        write("rn", target);
        let before = env.snapshot();
        let out = env.fails(1, &["concepts", "approve", "rn"]);
        assert!(stderr(&out).contains(what), "{}", render(&out));
        assert!(stderr(&out).contains("hint: "), "{}", render(&out));
        assert_eq!(env.snapshot(), before, "a refused rename changed files");
    }

    write("rn", "identity");
    let report = env.json(&["concepts", "approve", "rn"]);
    assert_eq!(report["rewritten"], json!(["b1", "b2", "b3"]));
    assert_eq!(
        read_enrichment(&env, "b3").unwrap(),
        written(enrichment_text(
            &["identity", "auth"],
            "2026-11-01T00:00:00Z"
        ))
    );
    let list = env.json(&["concepts", "list"]);
    let renamed = list["terms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "identity")
        .unwrap()
        .clone();
    assert_eq!(renamed["aliases"], json!(["authentication", "authn"]));
    assert_eq!(renamed["usage"], 3);
}

#[test]
fn a_malformed_enrichment_file_stops_an_approval_before_any_write() {
    let env = vocabulary_repo();
    let (merge_id, _) = drift_ids(&env);
    env.write(
        ".gemba/enrichment/b9.yaml",
        "concepts:\n  value: [authn]\n  sorce: operator\n",
    );
    let before = env.snapshot();
    let out = env.fails(1, &["concepts", "approve", &merge_id]);
    assert!(
        stderr(&out).contains(".gemba/enrichment/b9.yaml:3:3"),
        "{}",
        render(&out)
    );
    assert_eq!(env.snapshot(), before);
}

#[test]
fn reject_with_a_reason_and_propose_again_later() {
    let env = vocabulary_repo();
    let (merge_id, delete_id) = drift_ids(&env);
    let out = env.fails(2, &["concepts", "reject", &merge_id]);
    assert!(stderr(&out).contains("--reason"), "{}", render(&out));

    let before_vocabulary = env.read(".gemba/vocabulary.yaml");
    let out = env.ok(&[
        "concepts",
        "reject",
        &merge_id,
        "--reason",
        "different things",
        "--by",
        "bob",
    ]);
    assert_eq!(out, format!("rejected {merge_id}: merge authn into auth\n"));
    assert_eq!(env.read(".gemba/vocabulary.yaml"), before_vocabulary);
    let file = env.read(&format!(".gemba/suggestions/{merge_id}.yaml"));
    assert!(
        file.ends_with(
            "status: rejected\ncreated_at: \"2026-11-23T12:00:00Z\"\ndecided_at: \"2026-11-23T12:00:00Z\"\ndecided_by: bob\ndecision_reason: different things\n"
        ),
        "{file}"
    );
    let out = env.fails(1, &["concepts", "reject", &merge_id, "--reason", "again"]);
    assert!(
        stderr(&out).contains("is rejected, not pending"),
        "{}",
        render(&out)
    );

    let pending = env.json(&["concepts", "review"]);
    assert_eq!(
        pending
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].clone())
            .collect::<Vec<_>>(),
        [json!(delete_id)]
    );
    assert_eq!(
        env.json(&["concepts", "review", "--all"])
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Not again within `repropose_after_days` (30) of the rejection...
    let report = env.json(&["concepts", "drift"]);
    assert_eq!(report["new"], json!([]));
    assert_eq!(report["recently_rejected"], json!([merge_id]));
    // ...but afterwards, under a new id.
    let later = env
        .cmd(&["concepts", "drift", "--json"])
        .env("GEMBA_NOW", "2026-12-24T12:00:00Z")
        .output()
        .unwrap();
    assert!(later.status.success(), "{}", render(&later));
    let report: Value = serde_json::from_slice(&later.stdout).unwrap();
    let new = new_suggestions(&report);
    assert_eq!(new.len(), 1, "{report:#}");
    assert_eq!(new[0]["id"], format!("{merge_id}-2"));
    assert_eq!(report["pending"], json!([delete_id]));
}

#[test]
fn review_and_log_for_people() {
    let env = vocabulary_repo();
    let out = env.run(&["concepts", "review"]);
    assert!(
        stderr(&out).contains("no pending suggestions"),
        "{}",
        render(&out)
    );
    let (merge_id, delete_id) = drift_ids(&env);

    let out = env.ok(&["concepts", "review"]);
    let rows: Vec<Vec<&str>> = out
        .lines()
        .map(|l| {
            l.split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect()
        })
        .collect();
    assert_eq!(
        rows,
        [
            vec!["ID", "CHANGE", "REASON", "CREATED"],
            vec![
                delete_id.as_str(),
                "delete legacy",
                "used by 1 bead, last used 317 days ago",
                "2026-11-23T12:00:00Z"
            ],
            vec![
                merge_id.as_str(),
                "merge authn into auth",
                "jaccard 0.75, usage 3/4, 3 shared beads",
                "2026-11-23T12:00:00Z"
            ],
        ]
    );
    env.ok(&["concepts", "approve", &merge_id]);
    env.ok(&[
        "concepts",
        "reject",
        &delete_id,
        "--reason",
        "still used in docs",
    ]);
    let out = env.ok(&["concepts", "review", "--all"]);
    assert!(out.contains("rejected: still used in docs"), "{out}");

    let out = env.ok(&["concepts", "log"]);
    let rows: Vec<Vec<&str>> = out
        .lines()
        .skip(1)
        .map(|l| {
            l.split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect()
        })
        .collect();
    assert_eq!(
        rows,
        [
            vec![
                "2026-11-23T12:00:00.000Z",
                "drift",
                "tester",
                &format!("concept drift: 2 new suggestions ({merge_id}, {delete_id})")
            ],
            vec![
                "2026-11-23T12:00:00.000Z",
                "approve",
                "tester",
                &format!("approve {merge_id}: merge authn into auth (3 beads rewritten)")
            ],
            vec![
                "2026-11-23T12:00:00.000Z",
                "reject",
                "tester",
                &format!("reject {delete_id}: delete legacy (still used in docs)")
            ],
        ]
    );
    // The general log has the same events.
    let all = env.json(&["log", "--kind", "concepts"]);
    assert_eq!(all.as_array().unwrap().len(), 3);
}

#[test]
fn hand_edited_files_with_typos_fail_with_positions() {
    let env = vocabulary_repo();
    env.write(
        ".gemba/vocabulary.yaml",
        "terms:\n- name: auth\n  alias: [login]\n",
    );
    for args in [
        &["concepts", "list"][..],
        &["concepts", "drift"],
        &["concepts", "bootstrap", "--dry-run"],
    ] {
        let out = env.fails(1, args);
        assert!(
            stderr(&out).contains(".gemba/vocabulary.yaml:3:3"),
            "{args:?}: {}",
            render(&out)
        );
        assert!(stderr(&out).contains("alias"), "{}", render(&out));
    }

    let env = vocabulary_repo();
    env.write(
        ".gemba/suggestions/s1.yaml",
        "id: s1\nkind: merge\nterms: [authn]\ntarget: auth\nstatus: maybe\ncreated_at: x\n",
    );
    for args in [
        &["concepts", "review"][..],
        &["concepts", "drift"],
        &["concepts", "approve", "s1"],
    ] {
        let out = env.fails(1, args);
        assert!(
            stderr(&out).contains(".gemba/suggestions/s1.yaml:5:9"),
            "{args:?}: {}",
            render(&out)
        );
    }
    env.write(
        ".gemba/suggestions/s1.yaml",
        "id: s2\nkind: delete\nterms: [legacy]\ncreated_at: x\n",
    );
    let out = env.fails(1, &["concepts", "review"]);
    assert!(
        stderr(&out).contains("does not match the file name"),
        "{}",
        render(&out)
    );
    env.write(
        ".gemba/suggestions/s1.yaml",
        "id: s1\nkind: delete\nterms: [legacy]\ntarget: cache\ncreated_at: x\n",
    );
    let out = env.fails(1, &["concepts", "review"]);
    assert!(
        stderr(&out).contains("a delete suggestion has no `target`"),
        "{}",
        render(&out)
    );

    env.write(
        ".gemba/suggestions/s1.yaml",
        "id: s1\nkind: delete\nterms: [legacy]\ncreated_at: x\n",
    );
    let out = env.fails(1, &["concepts", "approve", "../s1"]);
    assert!(stderr(&out).contains("s1"), "{}", render(&out));
    let out = env.fails(1, &["concepts", "approve", "nope"]);
    assert!(
        stderr(&out).contains("no suggestion \"nope\""),
        "{}",
        render(&out)
    );

    let config = env
        .read(".gemba/config.yaml")
        .replace("merge_min_jaccard: 0.7", "merge_min_jacard: 0.7");
    env.write(".gemba/config.yaml", &config);
    let out = env.fails(1, &["concepts", "drift"]);
    assert!(
        stderr(&out).contains("config.yaml:") && stderr(&out).contains("merge_min_jacard"),
        "{}",
        render(&out)
    );
}
