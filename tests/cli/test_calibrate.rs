//! `gemba calibrate`, `gemba tune` and `gemba suggestions`: coach picks made
//! with the real `gemba pick` and closed beads become tune suggestions;
//! the one review queue lists them beside a vocabulary suggestion;
//! approving a tune changes one line of config.yaml (comments kept);
//! rejecting records why; bad keys and values change nothing; `gemba log`
//! shows every step.

use serde_json::{Value, json};

use crate::common::*;

/// An agent file (max band skilled).
fn agent(env: &TestEnv, name: &str) {
    env.write(
        &format!(".gemba/agents/{name}.yaml"),
        &format!(
            "name: {name}\nmax_band: skilled\ncontext_window: 100000\ncreated_at: 2026-11-23T10:00:00Z\n"
        ),
    );
}

/// A live session of `agent` in the main worktree.
fn session(env: &TestEnv, id: &str, agent: &str) {
    let repo = canonical(&env.root).display().to_string();
    let s = json!({
        "id": id,
        "agent": agent,
        "status": "live",
        "workspace": {"repo": repo, "branch": "main", "path": repo},
        "started_at": "2026-11-23T10:00:00Z",
        "telemetry": {"tokens": 10000},
    });
    env.write(
        &format!(".gemba/sessions/{id}.json"),
        &serde_json::to_string_pretty(&s).unwrap(),
    );
}

/// A session focused on label `ui` whose person picked five beads outside
/// the focus while `ui-1` (inside it) was recommended each time; five small
/// beads that each took 10 h to close (2 h expected); a vocabulary
/// suggestion written by hand.
fn repo() -> TestEnv {
    let env = TestEnv::init();
    let mut text = String::from(
        "{\"id\":\"ui-1\",\"title\":\"ui work\",\"labels\":[\"ui\"],\"created_at\":\"2026-11-20T12:00:00Z\"}\n",
    );
    for i in 0..5 {
        text.push_str(&format!(
            "{{\"id\":\"bg-{i}\",\"title\":\"background {i}\",\"created_at\":\"2026-11-20T12:00:00Z\"}}\n"
        ));
        text.push_str(&format!(
            "{{\"id\":\"done-{i}\",\"title\":\"done {i}\",\"status\":\"closed\",\"created_at\":\"2026-11-20T00:00:00Z\",\"closed_at\":\"2026-11-20T10:00:00Z\"}}\n"
        ));
    }
    let out = env.import_text(&text);
    assert!(out.status.success(), "{}", render(&out));
    for i in 0..5 {
        env.write(
            &format!(".gemba/enrichment/done-{i}.yaml"),
            "estimated_size:\n  value: small\n  source: operator\n",
        );
    }
    agent(&env, "alice");
    session(&env, "s-alice", "alice");
    env.ok(&["session", "focus", "s-alice", "--label", "ui"]);
    for i in 0..5 {
        let v = env.json(&["pick", &format!("bg-{i}"), "--session", "s-alice"]);
        assert_eq!(v["recommendation"]["id"], "ui-1", "{v:#}");
        assert_eq!(v["agreed"], false);
    }
    env.write(
        ".gemba/vocabulary.yaml",
        "terms:\n- name: legacy\n- name: ui\n",
    );
    env.write(
        ".gemba/suggestions/drop-legacy.yaml",
        "id: drop-legacy\nkind: delete\nterms: [legacy]\nstatus: pending\ncreated_at: 2026-11-22T00:00:00Z\n",
    );
    env
}

fn events(env: &TestEnv, kind: &str) -> Vec<Value> {
    env.json(&["log", "--kind", kind])
        .as_array()
        .unwrap()
        .clone()
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect()
}

/// Lines that differ between two texts of the same length.
fn changed_lines(a: &str, b: &str) -> Vec<(String, String)> {
    assert_eq!(a.lines().count(), b.lines().count(), "{a}\n---\n{b}");
    a.lines()
        .zip(b.lines())
        .filter(|(x, y)| x != y)
        .map(|(x, y)| (x.to_string(), y.to_string()))
        .collect()
}

#[test]
fn calibrate_suggests_and_the_queue_decides() {
    let env = repo();

    // A dry run finds both and writes nothing.
    let before = env.snapshot();
    let dry = env.json(&["calibrate", "--dry-run"]);
    assert_eq!(env.snapshot(), before, "a dry run changes nothing");
    assert_eq!(dry["picks"], 5, "{dry:#}");
    assert_eq!(dry["closed"], 5, "{dry:#}");
    let kinds: Vec<(&str, &str)> = dry["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap(),
                f["change"]["key"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("intent_miss", "profile.focus_demotion"),
            ("size_drift", "enrich.size_small_max_chars")
        ],
        "{dry:#}"
    );

    let text = env.ok(&["calibrate", "--dry-run"]);
    for want in [
        "intent_miss  profile.focus_demotion: 0.4 -> 0.7  [dry run]",
        "  5 of 5 picks left the session's focus",
        "  picked: bg-0, bg-1, bg-2, bg-3, bg-4",
        "size_drift  enrich.size_small_max_chars: 400 -> 200  [dry run]",
        "  5 small beads closed in a median 10.0 h, 5.0x over the expected 2 h",
        "  beads: done-0, done-1, done-2, done-3, done-4",
    ] {
        assert!(text.contains(want), "{want:?} in\n{text}");
    }
    assert_eq!(env.snapshot(), before, "a dry run changes nothing");

    // For real: two tune suggestions with their evidence, one event.
    let report = env.json(&["calibrate"]);
    assert_eq!(
        report["new"],
        json!([
            "tune-profile.focus_demotion",
            "tune-enrich.size_small_max_chars"
        ])
    );
    let intent = &report["findings"][0];
    assert_eq!(intent["evidence"]["misses"], 5.0);
    assert_eq!(intent["change"]["proposed"], 0.7);
    assert_eq!(intent["samples"].as_array().unwrap().len(), 5);
    assert_eq!(
        intent["beads"],
        json!(["bg-0", "bg-1", "bg-2", "bg-3", "bg-4"])
    );
    // The samples are the pick decisions.
    let picks: Vec<Value> = events(&env, "decision");
    assert_eq!(
        intent["samples"],
        json!(picks.iter().map(|e| e["id"].clone()).collect::<Vec<_>>())
    );
    let file = env.read(".gemba/suggestions/tune-profile.focus_demotion.yaml");
    for want in [
        "kind: tune\n",
        "key: profile.focus_demotion\n",
        "finding: intent_miss\n",
        "status: pending\n",
    ] {
        assert!(file.contains(want), "{want:?} in\n{file}");
    }
    let size = env.read(".gemba/suggestions/tune-enrich.size_small_max_chars.yaml");
    assert!(
        size.contains("value: '200'") || size.contains("value: \"200\""),
        "{size}"
    );
    assert!(size.contains("- done-0\n"), "{size}");
    let logged = events(&env, "calibrate");
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0]["data"]["new"], report["new"]);

    // Again: nothing duplicated, still one event per run.
    let again = env.json(&["calibrate"]);
    assert_eq!(again["new"], json!([]));
    assert_eq!(again["findings"][0]["outcome"], "pending");
    assert_eq!(
        again["findings"][0]["suggestion"],
        "tune-profile.focus_demotion"
    );
    assert_eq!(events(&env, "calibrate").len(), 2);

    // One queue, both kinds; `concepts review` keeps to the vocabulary.
    let all = env.json(&["suggestions", "list"]);
    assert_eq!(
        ids(&all),
        [
            "drop-legacy",
            "tune-enrich.size_small_max_chars",
            "tune-profile.focus_demotion"
        ]
    );
    assert_eq!(
        ids(&env.json(&["suggestions", "list", "--kind", "tune"])),
        [
            "tune-enrich.size_small_max_chars",
            "tune-profile.focus_demotion"
        ]
    );
    assert_eq!(
        ids(&env.json(&["suggestions", "list", "--kind", "vocabulary"])),
        ["drop-legacy"]
    );
    assert_eq!(ids(&env.json(&["concepts", "review"])), ["drop-legacy"]);
    let table = env.ok(&["suggestions", "list"]);
    assert!(
        table.contains("set profile.focus_demotion from 0.4 to 0.7"),
        "{table}"
    );

    // Approving a tune changes exactly one line of config.yaml.
    let config_before = env.read(".gemba/config.yaml");
    let out = env.ok(&[
        "suggestions",
        "approve",
        "tune-profile.focus_demotion",
        "--reason",
        "people do leave the focus",
    ]);
    assert!(out.contains("profile.focus_demotion: 0.4 -> 0.7"), "{out}");
    let config_after = env.read(".gemba/config.yaml");
    assert_eq!(
        changed_lines(&config_before, &config_after),
        [(
            "  focus_demotion: 0.4".to_string(),
            "  focus_demotion: 0.7".to_string()
        )]
    );
    assert_eq!(
        env.json(&["config", "show"])["profile"]["focus_demotion"],
        0.7
    );
    let file = env.read(".gemba/suggestions/tune-profile.focus_demotion.yaml");
    assert!(file.contains("status: approved\n"), "{file}");
    assert!(
        file.contains("decision_reason: people do leave the focus\n"),
        "{file}"
    );
    let tune = events(&env, "tune");
    assert_eq!(tune.len(), 1);
    assert_eq!(tune[0]["data"]["suggestion"], "tune-profile.focus_demotion");
    assert_eq!(tune[0]["data"]["old"], 0.4);
    assert_eq!(tune[0]["data"]["new"], 0.7);
    // Decided once.
    let out = env.fails(
        1,
        &["suggestions", "approve", "tune-profile.focus_demotion"],
    );
    assert!(stderr(&out).contains("not pending"), "{}", render(&out));

    // Rejecting records the reason and changes nothing else.
    let before = env.read(".gemba/config.yaml");
    let out = env.fails(
        2,
        &["suggestions", "reject", "tune-enrich.size_small_max_chars"],
    );
    assert!(stderr(&out).contains("--reason"), "{}", render(&out));
    env.ok(&[
        "suggestions",
        "reject",
        "tune-enrich.size_small_max_chars",
        "--reason",
        "reviews were slow that week",
    ]);
    assert_eq!(env.read(".gemba/config.yaml"), before);
    let file = env.read(".gemba/suggestions/tune-enrich.size_small_max_chars.yaml");
    assert!(file.contains("status: rejected\n"), "{file}");
    assert!(
        file.contains("decision_reason: reviews were slow that week\n"),
        "{file}"
    );
    let rejected = events(&env, "suggestion.reject");
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0]["data"]["reason"], "reviews were slow that week");
    // A rejected key is not proposed again right away.
    let third = env.json(&["calibrate"]);
    let size = third["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "size_drift")
        .unwrap()
        .clone();
    assert_eq!(size["outcome"], "recently_rejected", "{third:#}");
    // The picks were made before focus_demotion was tuned: they no longer
    // count for it, so the approved change is not proposed again.
    assert_eq!(third["findings"].as_array().unwrap().len(), 1, "{third:#}");

    // `concepts approve` refuses a tune; the vocabulary one goes through
    // `suggestions approve` exactly as through `concepts approve`.
    env.write(
        ".gemba/suggestions/tune-x.yaml",
        "id: tune-x\nkind: tune\nkey: scoring.affinity_share\nvalue: '0.6'\nstatus: pending\ncreated_at: 2026-11-22T00:00:00Z\n",
    );
    let out = env.fails(1, &["concepts", "approve", "tune-x"]);
    assert!(
        stderr(&out).contains("gemba suggestions approve tune-x"),
        "{}",
        render(&out)
    );
    env.ok(&["suggestions", "approve", "drop-legacy"]);
    assert!(
        env.read(".gemba/vocabulary.yaml").contains("retired: true"),
        "{}",
        env.read(".gemba/vocabulary.yaml")
    );
    assert_eq!(events(&env, "concepts.approve").len(), 1);
}

#[test]
fn tune_edits_one_line_or_nothing() {
    let env = TestEnv::init();
    let config = env.read(".gemba/config.yaml");

    // Bad keys and values: a clear error, nothing changed.
    for (args, code, want) in [
        (
            vec!["tune", "scoring.affinity.concpt=0.3", "--reason", "x"],
            1,
            "unknown config key \"scoring.affinity.concpt\" (known here: concept, epic, file",
        ),
        (
            vec!["tune", "scoring.affinity_share=1.5", "--reason", "x"],
            1,
            "between 0 and 1",
        ),
        (
            vec!["tune", "scoring.affinity_share=lots", "--reason", "x"],
            1,
            "invalid type",
        ),
        (
            vec!["tune", "scoring=1", "--reason", "x"],
            1,
            "is a section",
        ),
        (
            vec!["tune", "scoring.affinity_share", "--reason", "x"],
            2,
            "KEY=VALUE",
        ),
        (vec!["tune", "scoring.affinity_share=0.6"], 2, "--reason"),
        (
            vec!["tune", "scoring.affinity_share=0.7", "--reason", "x"],
            3,
            "already 0.7",
        ),
    ] {
        let before = env.snapshot();
        let out = env.fails(code, &args);
        assert!(stderr(&out).contains(want), "{args:?}: {}", render(&out));
        assert_eq!(env.snapshot(), before, "{args:?} changed something");
    }
    assert!(events(&env, "tune").is_empty());

    // A good one: one line, its comment kept in its column.
    let v = env.json(&[
        "tune",
        "scoring.affinity.concept=0.3",
        "--reason",
        "concepts matter more here",
    ]);
    assert_eq!(v["old"], 0.25);
    assert_eq!(v["new"], 0.3);
    assert!(v["how"]["in_place"]["line"].as_u64().is_some(), "{v:#}");
    let after = env.read(".gemba/config.yaml");
    assert_eq!(
        changed_lines(&config, &after),
        [(
            "    concept: 0.25    # concept overlap (cosine) with the session and agent profiles"
                .to_string(),
            "    concept: 0.3     # concept overlap (cosine) with the session and agent profiles"
                .to_string()
        )]
    );
    let logged = events(&env, "tune");
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0]["data"]["key"], "scoring.affinity.concept");
    assert_eq!(logged[0]["data"]["reason"], "concepts matter more here");
    assert!(
        logged[0]["message"]
            .as_str()
            .unwrap()
            .contains("scoring.affinity.concept: 0.25 -> 0.3"),
        "{logged:?}"
    );

    // A key the file does not set is added under its section.
    env.write(".gemba/config.yaml", "# mine\nscoring:\n  leverage_k: 2\n");
    let v = env.json(&["tune", "scoring.affinity_share=0.6", "--reason", "x"]);
    assert_eq!(v["how"]["added"]["line"], 4);
    assert_eq!(
        env.read(".gemba/config.yaml"),
        "# mine\nscoring:\n  leverage_k: 2\n  affinity_share: 0.6\n"
    );
    let text = env.ok(&["tune", "selection.runway_demotion=0.7", "--reason", "x"]);
    assert!(text.contains("added at line"), "{text}");
    assert!(
        env.read(".gemba/config.yaml")
            .ends_with("selection:\n  runway_demotion: 0.7\n")
    );
}

/// Time to close runs from the last claim, not from creation: five medium
/// beads created weeks ago, claimed at noon and closed 30 h later (8 h
/// expected); four more are not enough for a finding of their own.
#[test]
fn time_to_close_counts_from_the_claim() {
    let env = TestEnv::init();
    let mut text = String::new();
    for i in 0..5 {
        text.push_str(&format!(
            "{{\"id\":\"m-{i}\",\"title\":\"medium {i}\",\"created_at\":\"2026-10-01T00:00:00Z\"}}\n"
        ));
    }
    for i in 0..4 {
        text.push_str(&format!(
            "{{\"id\":\"l-{i}\",\"title\":\"large {i}\",\"status\":\"closed\",\"created_at\":\"2026-11-01T00:00:00Z\",\"closed_at\":\"2026-11-01T01:00:00Z\"}}\n"
        ));
    }
    let out = env.import_text(&text);
    assert!(out.status.success(), "{}", render(&out));
    agent(&env, "alice");
    session(&env, "s-alice", "alice");
    for i in 0..5 {
        env.ok(&["bead", "size", "set", &format!("m-{i}"), "medium"]);
    }
    for i in 0..4 {
        env.ok(&["bead", "size", "set", &format!("l-{i}"), "large"]);
    }
    for i in 0..5 {
        let id = format!("m-{i}");
        env.ok(&["claim", &id, "--session", "s-alice"]);
        let out = env
            .cmd(&["bead", "close", &id])
            .env("GEMBA_NOW", "2026-11-24T18:00:00Z")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", render(&out));
    }
    let report = env.json(&["calibrate", "--dry-run"]);
    assert_eq!(report["closed"], 9, "{report:#}");
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{report:#}");
    let f = &findings[0];
    assert_eq!(f["kind"], "size_drift");
    assert_eq!(f["evidence"]["median_hours"], 30.0, "from the claim: {f:#}");
    assert_eq!(f["change"]["key"], "enrich.size_large_min_chars");
    assert_eq!(f["change"]["proposed"], 1000.0, "halved at most");
    assert_eq!(f["outcome"], "dry_run");
}
