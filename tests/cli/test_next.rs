//! `gemba next`, `affinity`, `leverage` and `bead complexity` on a temp
//! repository: two sessions with different histories get different beads
//! from the same ready set and say why; nothing eligible is exit 3 with a
//! why-not summary; every call logs a decision.

use serde_json::{Value, json};

use crate::common::*;

const LOG: &str = ".gemba/log/2026-11-23.jsonl";

/// Five beads: two about different areas, one blocked by the db bead, one
/// awaiting design, one about the web; two agents and their sessions with
/// different histories; the store's main worktree as their workspace.
fn setup() -> TestEnv {
    let env = TestEnv::init();
    let out = env.import_text(concat!(
        "{\"id\":\"auth-1\",\"title\":\"Harden token refresh\",\"created_at\":\"2026-11-20T12:00:00Z\"}\n",
        "{\"id\":\"db-1\",\"title\":\"Index the sessions table\",\"created_at\":\"2026-11-20T12:00:00Z\"}\n",
        "{\"id\":\"db-2\",\"title\":\"Use the new index\",\"created_at\":\"2026-11-20T12:00:00Z\",",
        "\"dependencies\":[{\"depends_on_id\":\"db-1\",\"type\":\"blocks\"}]}\n",
        "{\"id\":\"web-1\",\"title\":\"Render the login page\",\"created_at\":\"2026-11-20T12:00:00Z\"}\n",
        "{\"id\":\"design-1\",\"title\":\"Rethink sessions\",\"priority\":0}\n",
    ));
    assert!(out.status.success(), "{}", render(&out));
    let enrich = |id: &str, concepts: &str, target: &str| {
        env.write(
            &format!(".gemba/enrichment/{id}.yaml"),
            &format!(
                "targets:\n  value: [{target}]\n  source: operator\nconcepts:\n  value: [{concepts}]\n  source: operator\n"
            ),
        );
    };
    enrich("auth-1", "auth", "src/auth/**");
    enrich("db-1", "db", "src/db/**");
    enrich("db-2", "db", "src/db/query.rs");
    enrich("web-1", "web", "web/login.ts");
    env.write(
        ".gemba/enrichment/design-1.yaml",
        "dispatch_status:\n  value: awaiting-design\n  source: operator\n",
    );
    for name in ["alice", "bob"] {
        env.write(
            &format!(".gemba/agents/{name}.yaml"),
            &format!("name: {name}\nmax_band: skilled\ncontext_window: 100000\ncreated_at: 2026-11-23T10:00:00Z\n"),
        );
    }
    let repo = canonical(&env.root).display().to_string();
    let session = |id: &str, agent: &str, concept: &str, file: &str| {
        let s = json!({
            "id": id,
            "agent": agent,
            "status": "live",
            "workspace": {"repo": repo, "branch": "main"},
            "started_at": "2026-11-23T10:00:00Z",
            "telemetry": {"tokens": 20000},
            "profile": {
                "concepts": {concept: 3.0},
                "files": {file: 2.0},
                "events": 4,
                "recent": [{"bead": format!("old-{concept}"), "event": 4, "concepts": [concept], "files": [file], "source": "actual", "closed": true}]
            }
        });
        env.write(
            &format!(".gemba/sessions/{id}.json"),
            &serde_json::to_string_pretty(&s).unwrap(),
        );
    };
    session("s-alice", "alice", "auth", "src/auth/token.rs");
    session("s-bob", "bob", "db", "src/db/schema.rs");
    env.git(&["add", "-A"]);
    env.git(&["commit", "-q", "-m", "beads, agents, sessions"]);
    env
}

fn decisions(env: &TestEnv) -> Vec<Value> {
    env.read(LOG)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["kind"] == "decision")
        .collect()
}

fn lines(v: &Value) -> Vec<String> {
    v["justification"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn two_sessions_get_different_beads_and_say_why() {
    let env = setup();
    let alice = env.json(&["next", "--session", "s-alice"]);
    let bob = env.json(&["next", "--session", "s-bob"]);
    assert_eq!(alice["bead"]["id"], "auth-1", "{alice:#}");
    assert_eq!(bob["bead"]["id"], "db-1", "{bob:#}");
    assert_eq!(alice["claimed"], false);
    let (a, b) = (lines(&alice), lines(&bob));
    assert!(
        a.iter()
            .any(|l| l.starts_with("concept ") && l.contains("session shares auth")),
        "{a:#?}"
    );
    assert!(
        a.iter()
            .any(|l| l.starts_with("file 1.00") && l.contains("via src/auth/token.rs")),
        "{a:#?}"
    );
    assert!(
        a.iter()
            .any(|l| l.starts_with("recency 1.00") && l.contains("old-auth shared auth")),
        "{a:#?}"
    );
    assert!(
        b.iter()
            .any(|l| l.starts_with("concept ") && l.contains("session shares db")),
        "{b:#?}"
    );
    assert!(
        b.iter()
            .any(|l| l == "leverage 0.63: unblocks 1 open bead: db-2"),
        "{b:#?}"
    );
    // The gates, in order, after the scores.
    let gates: Vec<&str> = a
        .iter()
        .filter_map(|l| l.split(':').next())
        .filter(|g| {
            [
                "dispatch",
                "claim",
                "conflicts",
                "fit",
                "runway",
                "intent",
                "age",
            ]
            .contains(g)
        })
        .collect();
    assert_eq!(
        gates,
        [
            "dispatch",
            "claim",
            "conflicts",
            "fit",
            "runway",
            "intent",
            "age"
        ]
    );
    // Alice leaves db-1 to idle bob, who fits it clearly better.
    let explained = env.json(&["next", "--session", "s-alice", "--explain"]);
    let db1 = explained["alternatives"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "db-1")
        .unwrap_or_else(|| panic!("{explained:#}"));
    assert!(
        lines(db1)
            .iter()
            .any(|l| l.starts_with("fairness: idle s-bob fits better")),
        "{db1:#}"
    );
    assert_eq!(alice["excluded"], json!({"awaiting-design": 1}));
    assert_eq!(alice["why_not"], "3/4 eligible: 1 awaiting-design");

    // The human form: the bead and its score; --explain adds the lines,
    // the runners-up and the excluded beads with their gate's line.
    let out = env.ok(&["next", "--session", "s-alice"]);
    assert!(out.starts_with("auth-1  0."), "{out}");
    assert_eq!(out.lines().count(), 1, "{out}");
    let out = env.ok(&["next", "--session", "s-alice", "--explain"]);
    for want in [
        "  concept ",
        "runners-up:",
        "3/4 eligible: 1 awaiting-design:",
        "    design-1: dispatch: awaiting-design (set by operator)",
    ] {
        assert!(out.contains(want), "{want:?} in\n{out}");
    }
}

#[test]
fn nothing_eligible_exits_3_with_why_not_and_still_logs_a_decision() {
    let env = setup();
    // Carol's session (not live: ended) still holds unexpired claims.
    let claim = |bead: &str, until: &str| {
        env.write(
            &format!(".gemba/claims/{bead}.json"),
            &serde_json::to_string_pretty(&json!({
                "bead": bead, "session": "s-carol", "agent": "carol",
                "claimed_at": "2026-11-23T11:00:00Z", "lease_until": until,
            }))
            .unwrap(),
        );
    };
    claim("auth-1", "2026-11-23T14:00:00Z");
    claim("db-1", "2026-11-23T14:00:00Z");
    // An expired lease does not hold web-1 back; its bead conflicts with
    // nothing. Claim it for real: unexpired.
    claim("web-1", "2026-11-23T11:30:00Z");
    let v = env.json(&["next", "--session", "s-alice"]);
    assert_eq!(v["bead"]["id"], "web-1", "{v:#}");
    assert!(
        lines(&v)
            .iter()
            .any(|l| l.starts_with("claim: s-carol's lease ended")),
        "{v:#}"
    );
    claim("web-1", "2026-11-23T14:00:00Z");

    let before = env.snapshot();
    let out = env.fails(3, &["next", "--session", "s-alice"]);
    assert_eq!(stdout(&out), "");
    let err = stderr(&out);
    assert!(
        err.contains("nothing for s-alice to do: 0/4 eligible: 3 claimed, 1 awaiting-design"),
        "{err}"
    );
    let out = env.fails(3, &["next", "--session", "s-alice", "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["bead"], Value::Null);
    assert_eq!(v["excluded"], json!({"claimed": 3, "awaiting-design": 1}));
    assert_eq!(v["why_not"], "0/4 eligible: 3 claimed, 1 awaiting-design");
    // --explain names each excluded bead and its gate.
    let out = env.fails(3, &["next", "--session", "s-alice", "--explain"]);
    assert!(
        stdout(&out)
            .contains("    auth-1: claimed by s-carol (agent carol) until 2026-11-23T14:00:00Z"),
        "{}",
        render(&out)
    );

    // Only the log changed: three more decisions, the last ones empty.
    let after = env.snapshot();
    let changed: Vec<_> = after
        .iter()
        .filter(|f| !before.contains(f))
        .map(|(p, _)| p.strip_prefix(env.gemba_dir()).unwrap().to_path_buf())
        .collect();
    assert_eq!(changed, [std::path::PathBuf::from("log/2026-11-23.jsonl")]);
    let d = decisions(&env);
    assert_eq!(d.len(), 4, "one per call");
    let first = &d[0];
    assert_eq!(first["beads"], json!(["web-1"]));
    assert_eq!(first["data"]["what"], "selection");
    assert_eq!(first["data"]["result"], "web-1");
    assert!(first["data"]["justification"].as_array().unwrap().len() > 10);
    let last = &d[3];
    assert!(last.get("beads").is_none(), "{last:#}");
    assert_eq!(last["data"]["result"], Value::Null);
    assert_eq!(
        last["data"]["why_not"],
        "0/4 eligible: 3 claimed, 1 awaiting-design"
    );
    assert_eq!(
        last["message"],
        "next for s-alice: nothing (0/4 eligible: 3 claimed, 1 awaiting-design)"
    );
    for e in &d {
        assert_eq!(e["data"]["session"], "s-alice");
        assert_eq!(e["data"]["snapshot"].as_str().unwrap().len(), 16, "{e:#}");
        assert_eq!(e["data"]["inputs"].as_str().unwrap().len(), 16, "{e:#}");
    }
    // The claims changed between the first and the others: so did the
    // snapshot's digest (claims are part of the snapshot) and the inputs'.
    assert_ne!(d[0]["data"]["snapshot"], d[3]["data"]["snapshot"]);
    assert_eq!(d[1]["data"]["snapshot"], d[3]["data"]["snapshot"]);
    assert_ne!(d[0]["data"]["inputs"], d[3]["data"]["inputs"]);
    assert_eq!(d[1]["data"]["snapshot"], d[3]["data"]["snapshot"]);
    assert_eq!(d[1]["data"]["inputs"], d[3]["data"]["inputs"]);
}

#[test]
fn conflicts_with_work_in_progress_elsewhere_exclude() {
    let env = setup();
    // Bob has db-1 in hand: db work near it is out for alice.
    let path = ".gemba/sessions/s-bob.json";
    let mut bob: Value = serde_json::from_str(&env.read(path)).unwrap();
    bob["telemetry"]["bead"] = json!("db-1");
    env.write(path, &serde_json::to_string_pretty(&bob).unwrap());
    env.write(
        ".gemba/enrichment/web-1.yaml",
        "targets:\n  value: [src/db/schema.rs]\n  source: operator\n",
    );
    let v = env.json(&["next", "--session", "s-alice", "--explain"]);
    let excluded = &v["excluded_beads"];
    let web = excluded
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == "web-1")
        .unwrap();
    assert_eq!(web["reason"], "conflict", "{v:#}");
    assert!(
        web["why"]
            .as_str()
            .unwrap()
            .starts_with("conflict: may-overlap with db-1, in progress in s-bob")
            || web["why"]
                .as_str()
                .unwrap()
                .starts_with("conflict: target with db-1, in progress in s-bob"),
        "{web:#}"
    );
    let db1 = excluded
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == "db-1")
        .unwrap();
    assert_eq!(db1["reason"], "claimed");
    assert_eq!(db1["why"], "claimed: in progress in s-bob");
}

#[test]
fn complexity_is_estimated_stored_pinned_and_gates_fit() {
    let env = setup();
    let v = env.json(&["bead", "complexity", "auth-1"]);
    assert_eq!(v["stored"], Value::Null);
    let names: Vec<&str> = v["estimate"]["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["depth", "span", "risk", "ambiguity", "verification"]
    );
    assert_eq!(v["band"], v["estimate"]["band"]);

    // Backfill stores it; an operator's value survives backfill.
    let v = env.json(&["bead", "complexity", "auth-1", "--set", "expert"]);
    assert_eq!(v["stored"]["source"], "operator");
    assert_eq!(v["band"], "expert");
    assert_eq!(v["changed"], true);
    env.ok(&["bead", "backfill", "--skip-existing", "false"]);
    let auth = env.read(".gemba/enrichment/auth-1.yaml");
    assert!(
        auth.contains("complexity:\n  value: expert\n  source: operator\n"),
        "{auth}"
    );
    let web = env.read(".gemba/enrichment/web-1.yaml");
    assert!(
        web.contains("complexity:\n  value: ") && web.contains("source: backfill"),
        "{web}"
    );

    // Alice's max band is skilled: expert work is not hers in auto mode.
    let v = env.json(&["next", "--session", "s-alice", "--explain"]);
    assert_ne!(v["bead"]["id"], "auth-1");
    let auth = v["excluded_beads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == "auth-1")
        .unwrap()
        .clone();
    assert_eq!(auth["reason"], "under-qualified");
    assert_eq!(
        auth["why"],
        "fit: expert work is above the agent's max band skilled"
    );

    env.json(&["bead", "complexity", "auth-1", "--clear"]);
    assert!(
        !env.read(".gemba/enrichment/auth-1.yaml")
            .contains("complexity")
    );
    let out = env.fails(2, &["bead", "complexity", "auth-1", "--set", "huge"]);
    assert!(stderr(&out).contains("trivial"), "{}", render(&out));
}

#[test]
fn affinity_and_leverage_commands() {
    let env = setup();
    let v = env.json(&["affinity", "auth-1", "--session", "s-alice"]);
    let a = v["affinity"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&a), "{v:#}");
    let comps = v["components"].as_array().unwrap();
    let names: Vec<&str> = comps.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "concept",
            "file",
            "workspace",
            "epic",
            "recency",
            "headroom"
        ]
    );
    assert_eq!(comps[2]["value"], 1.0, "same repo and branch: {v:#}");
    assert_eq!(comps[5]["value"], 1.0, "20% of the window: {v:#}");
    let weighted: f64 = comps
        .iter()
        .map(|c| c["value"].as_f64().unwrap() * c["weight"].as_f64().unwrap())
        .sum();
    assert!((weighted - a).abs() < 1e-9, "weights sum to 1: {v:#}");
    let cold = env.json(&["affinity", "auth-1", "--session", "s-bob"])["affinity"]
        .as_f64()
        .unwrap();
    assert!(cold < a, "{cold} < {a}");
    let out = env.ok(&["affinity", "auth-1", "--session", "s-alice"]);
    assert!(
        out.starts_with("affinity of s-alice for auth-1: 0."),
        "{out}"
    );

    let v = env.json(&["leverage", "db-1"]);
    assert_eq!(v["blocked"], json!(["db-2"]));
    assert_eq!(v["count"], 1);
    assert!((v["leverage"].as_f64().unwrap() - 0.632_120_558_828_557_7).abs() < 1e-12);
    assert_eq!(
        v["justification"],
        "leverage 0.63: unblocks 1 open bead: db-2"
    );
    assert_eq!(env.json(&["leverage", "auth-1"])["leverage"], 0.0);
}

#[test]
fn bad_input_changes_nothing() {
    let env = setup();
    let ended = ".gemba/sessions/s-bob.json";
    let mut bob: Value = serde_json::from_str(&env.read(ended)).unwrap();
    bob["status"] = json!("ended");
    bob["ended_at"] = json!("2026-11-23T11:00:00Z");
    env.write(ended, &serde_json::to_string_pretty(&bob).unwrap());
    let before = env.snapshot();
    for (args, code, want) in [
        (
            vec!["next", "--session", "../x"],
            "invalid_input",
            "invalid id",
        ),
        (
            vec!["next", "--session", "s-nobody"],
            "not_found",
            "s-nobody",
        ),
        (
            vec!["next", "--session", "s-bob"],
            "invalid_input",
            "has ended",
        ),
        (
            vec!["affinity", "nope", "--session", "s-alice"],
            "not_found",
            "nope",
        ),
        (
            vec!["affinity", "auth-1", "--session", "../x"],
            "invalid_input",
            "invalid id",
        ),
        (vec!["leverage", "nope"], "not_found", "nope"),
        (
            vec!["bead", "complexity", "../x"],
            "invalid_input",
            "invalid id",
        ),
    ] {
        let mut all = args.clone();
        all.push("--json");
        let out = env.fails(1, &all);
        let err: Value =
            serde_json::from_slice(&out.stderr).unwrap_or_else(|e| panic!("{e}: {}", render(&out)));
        assert_eq!(err["code"], code, "{args:?}: {err}");
        assert!(
            err["message"].as_str().unwrap().contains(want),
            "{args:?}: {err}"
        );
    }
    // A session whose agent file is missing.
    env.write(
        ".gemba/sessions/s-ghost.json",
        &env.read(".gemba/sessions/s-alice.json")
            .replace("\"s-alice\"", "\"s-ghost\"")
            .replace("\"alice\"", "\"ghost\""),
    );
    let out = env.fails(1, &["next", "--session", "s-ghost"]);
    assert!(stderr(&out).contains("ghost"), "{}", render(&out));
    std::fs::remove_file(env.root.join(".gemba/sessions/s-ghost.json")).unwrap();
    assert_eq!(env.snapshot(), before);
    // A typo in a session file is an error naming the file.
    env.write(
        ".gemba/sessions/s-alice.json",
        &env.read(".gemba/sessions/s-alice.json")
            .replace("\"telemetry\"", "\"telemtry\""),
    );
    let out = env.fails(1, &["next", "--session", "s-alice"]);
    assert!(stderr(&out).contains("s-alice.json"), "{}", render(&out));
}
