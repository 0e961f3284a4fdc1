//! `gemba next --claim`, `pick` and `coach`, and workspace conflict edges,
//! on temp repositories: 16 processes racing `next --claim` never get one
//! bead twice and the claim files and the log agree; a claim lands in the
//! session's profile; a pick logs the recommendation, the pick and the
//! reason; coach lays out every live session and ready bead.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::common::*;

const LOG: &str = ".gemba/log/2026-11-23.jsonl";

fn events(env: &TestEnv) -> Vec<Value> {
    env.read(LOG)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .collect()
}

fn of_kind(env: &TestEnv, kind: &str) -> Vec<Value> {
    events(env)
        .into_iter()
        .filter(|e| e["kind"] == kind)
        .collect()
}

fn read_json(env: &TestEnv, rel: &str) -> Value {
    serde_json::from_str(&env.read(rel)).unwrap()
}

/// An agent file (max band skilled).
fn agent(env: &TestEnv, name: &str) {
    env.write(
        &format!(".gemba/agents/{name}.yaml"),
        &format!(
            "name: {name}\nmax_band: skilled\ncontext_window: 100000\ncreated_at: 2026-11-23T10:00:00Z\n"
        ),
    );
}

/// A live session of `agent` in `workspace`, as `session start` writes it.
fn session(env: &TestEnv, id: &str, agent: &str, workspace: Value) {
    let s = json!({
        "id": id,
        "agent": agent,
        "status": "live",
        "workspace": workspace,
        "started_at": "2026-11-23T10:00:00Z",
        "telemetry": {"tokens": 10000},
    });
    env.write(
        &format!(".gemba/sessions/{id}.json"),
        &serde_json::to_string_pretty(&s).unwrap(),
    );
}

fn home(env: &TestEnv) -> Value {
    let repo = canonical(&env.root).display().to_string();
    json!({"repo": repo, "branch": "main", "path": repo})
}

fn enrich(env: &TestEnv, id: &str, concepts: &str, target: &str) {
    env.write(
        &format!(".gemba/enrichment/{id}.yaml"),
        &format!(
            "targets:\n  value: [{target}]\n  source: operator\nconcepts:\n  value: [{concepts}]\n  source: operator\n"
        ),
    );
}

/// `beads` open beads `r-00` … and `sessions` sessions `s-00` … (agents
/// `a-00` …), all in the main worktree.
fn crowd(beads: usize, sessions: usize) -> TestEnv {
    let env = TestEnv::init();
    let text: String = (0..beads)
        .map(|i| {
            format!("{{\"id\":\"r-{i:02}\",\"title\":\"task {i}\",\"created_at\":\"2026-11-20T12:00:00Z\"}}\n")
        })
        .collect();
    let out = env.import_text(&text);
    assert!(out.status.success(), "{}", render(&out));
    for i in 0..sessions {
        agent(&env, &format!("a-{i:02}"));
        session(&env, &format!("s-{i:02}"), &format!("a-{i:02}"), home(&env));
    }
    env
}

/// 16 processes run `next --session s-NN --claim` at once over `beads`
/// ready beads. Every process gets its own bead, or exits 3 or 4; no bead
/// is claimed twice; claim files, beads, sessions and the log agree.
/// Returns how many won.
fn sixteen_racers(beads: usize) -> usize {
    const RACERS: usize = 16;
    let env = crowd(beads, RACERS);
    let start = std::time::Instant::now();
    let outs = race_all(
        (0..RACERS)
            .map(|i| {
                env.cmd(&[
                    "--json",
                    "next",
                    "--session",
                    &format!("s-{i:02}"),
                    "--claim",
                ])
            })
            .collect(),
    );
    eprintln!(
        "16 racers over {beads} beads: {:?}, exits {:?}",
        start.elapsed(),
        outs.iter().map(|o| o.status.code()).collect::<Vec<_>>()
    );
    // Who won what, from each process's own report.
    let mut won: BTreeMap<String, String> = BTreeMap::new(); // bead -> session
    for (i, out) in outs.iter().enumerate() {
        let me = format!("s-{i:02}");
        match out.status.code() {
            Some(0) => {
                let v: Value = serde_json::from_slice(&out.stdout)
                    .unwrap_or_else(|e| panic!("{e}: {}", render(out)));
                assert_eq!(v["claimed"], true, "{v:#}");
                let bead = v["bead"]["id"].as_str().unwrap().to_string();
                assert_eq!(v["claim"]["bead"], bead.as_str());
                assert_eq!(v["claim"]["session"], me.as_str());
                assert!(
                    won.insert(bead.clone(), me.clone()).is_none(),
                    "{bead} claimed twice"
                );
            }
            Some(3) => {}
            Some(4) => {
                let err: Value = serde_json::from_str(stderr(out).lines().last().unwrap())
                    .unwrap_or_else(|e| panic!("{e}: {}", render(out)));
                assert_eq!(err["code"], "already_taken", "{}", render(out));
                let v: Value = serde_json::from_slice(&out.stdout).unwrap();
                assert_eq!(v["claimed"], false);
                assert_eq!(v["bead"], Value::Null);
                assert!(v["tries"].as_array().unwrap().len() <= 3, "{v:#}");
            }
            _ => panic!("{me}: {}", render(out)),
        }
    }
    assert!(won.len() <= beads);
    // Anyone who lost every try lost to three different winners.
    if outs.iter().any(|o| o.status.code() == Some(4)) {
        assert!(won.len() >= 3.min(beads), "{won:?}");
    }
    assert!(!won.is_empty(), "nobody won");

    // The claim files say the same.
    let files: BTreeMap<String, String> = std::fs::read_dir(env.gemba_dir().join("claims"))
        .unwrap()
        .map(|e| {
            let v: Value =
                serde_json::from_str(&std::fs::read_to_string(e.unwrap().path()).unwrap()).unwrap();
            (
                v["bead"].as_str().unwrap().to_string(),
                v["session"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(files, won);
    // So do the beads, the sessions and the log: one claim event per win,
    // one decision per process, and the decisions that claimed are the wins.
    for (bead, s) in &won {
        let b = read_json(&env, &format!(".gemba/beads/{bead}.json"));
        assert_eq!(b["status"], "in_progress");
        assert_eq!(b["assignee"], s.replace("s-", "a-").as_str());
        let sf = read_json(&env, &format!(".gemba/sessions/{s}.json"));
        assert_eq!(sf["telemetry"]["bead"], bead.as_str(), "{sf:#}");
    }
    let claims: BTreeMap<String, String> = of_kind(&env, "claim")
        .iter()
        .map(|e| {
            (
                e["beads"][0].as_str().unwrap().to_string(),
                e["data"]["session"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(claims, won);
    assert_eq!(of_kind(&env, "claim").len(), won.len());
    let decisions = of_kind(&env, "decision");
    assert_eq!(decisions.len(), RACERS, "one decision per call");
    let claimed: BTreeMap<String, String> = decisions
        .iter()
        .filter(|d| d["data"]["claimed"] == true)
        .map(|d| {
            (
                d["data"]["result"].as_str().unwrap().to_string(),
                d["data"]["session"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(claimed, won);
    let (code, report) = check_report(&env);
    assert_eq!(code, Some(0), "{report:#}");
    won.len()
}

#[test]
fn sixteen_racers_over_sixteen_beads_never_share_one() {
    let won = sixteen_racers(16);
    eprintln!("{won} of 16 won a bead");
}

#[test]
fn sixteen_racers_over_five_beads_never_share_one() {
    let won = sixteen_racers(5);
    eprintln!("{won} of 16 won one of 5 beads");
}

/// Alice (auth history) and bob; four beads, two of them sharing a file.
fn team() -> TestEnv {
    let env = TestEnv::init();
    let out = env.import_text(concat!(
        "{\"id\":\"auth-1\",\"title\":\"Harden token refresh\",\"created_at\":\"2026-11-20T12:00:00Z\"}\n",
        "{\"id\":\"auth-2\",\"title\":\"Rotate signing keys\",\"created_at\":\"2026-11-20T12:00:00Z\"}\n",
        "{\"id\":\"db-1\",\"title\":\"Index the sessions table\",\"created_at\":\"2026-11-20T12:00:00Z\"}\n",
        "{\"id\":\"web-1\",\"title\":\"Render the login page\",\"created_at\":\"2026-11-20T12:00:00Z\"}\n",
    ));
    assert!(out.status.success(), "{}", render(&out));
    enrich(&env, "auth-1", "auth", "src/auth/token.rs");
    enrich(&env, "auth-2", "auth", "src/auth/**");
    enrich(&env, "db-1", "db", "src/db/**");
    enrich(&env, "web-1", "web", "web/login.ts");
    agent(&env, "alice");
    agent(&env, "bob");
    session(&env, "s-alice", "alice", home(&env));
    session(&env, "s-bob", "bob", home(&env));
    let path = ".gemba/sessions/s-alice.json";
    let mut alice = read_json(&env, path);
    alice["profile"] = json!({
        "concepts": {"auth": 3.0},
        "events": 2,
        "recent": [{"bead": "old-auth", "event": 2, "concepts": ["auth"], "files": [], "source": "actual", "closed": true}]
    });
    env.write(path, &serde_json::to_string_pretty(&alice).unwrap());
    env.git(&["add", "-A"]);
    env.git(&["commit", "-q", "-m", "team"]);
    env
}

#[test]
fn next_claim_takes_the_bead_into_the_session_and_says_so() {
    let env = team();
    let v = env.json(&["next", "--session", "s-alice", "--claim", "--lease", "30m"]);
    assert_eq!(v["claimed"], true, "{v:#}");
    let bead = v["bead"]["id"].as_str().unwrap().to_string();
    assert!(bead.starts_with("auth-"), "{v:#}");
    assert_eq!(v["claim"]["lease_until"], "2026-11-23T12:30:00Z");
    assert_eq!(v["tries"], json!([{"bead": bead, "outcome": "won"}]));
    assert_eq!(v["advice"]["recycle"], false, "{v:#}");
    assert!(!v["justification"].as_array().unwrap().is_empty());

    // The session has it in hand, in its ring, its concepts folded in;
    // the agent's profile too.
    let s = read_json(&env, ".gemba/sessions/s-alice.json");
    assert_eq!(s["telemetry"]["bead"], bead.as_str());
    assert_eq!(s["telemetry"]["bead_since"], NOW);
    let ring: Vec<&str> = s["profile"]["recent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["bead"].as_str().unwrap())
        .collect();
    assert_eq!(ring, ["old-auth", bead.as_str()], "{s:#}");
    let a = env.read(".gemba/agents/alice.yaml");
    assert!(a.contains("auth"), "{a}");
    let claim = read_json(&env, &format!(".gemba/claims/{bead}.json"));
    assert_eq!(claim["session"], "s-alice");

    // One decision, saying what was claimed.
    let d = of_kind(&env, "decision");
    assert_eq!(d.len(), 1);
    assert_eq!(d[0]["data"]["claimed"], true);
    assert_eq!(d[0]["data"]["result"], bead.as_str());
    assert_eq!(
        d[0]["message"],
        format!(
            "next for s-alice: claimed {bead} (score {:.3})",
            v["score"].as_f64().unwrap()
        )
    );

    // Bob sees it held: the next bead for him is another, and the human
    // form says what was claimed.
    let out = env.ok(&["next", "--session", "s-bob", "--claim"]);
    assert!(
        out.lines()
            .any(|l| l.starts_with("claimed for s-bob (agent bob) until 2026-11-23T14:00:00Z")),
        "{out}"
    );
    assert!(!out.starts_with(&bead), "{out}");
    // Released: no longer in hand.
    env.ok(&["release", &bead, "--session", "s-alice"]);
    let s = read_json(&env, ".gemba/sessions/s-alice.json");
    assert_eq!(s["telemetry"].get("bead"), None, "{s:#}");

    // Nothing left for a third session... a fresh one, once all is held.
    agent(&env, "carol");
    session(&env, "s-carol", "carol", home(&env));
    for _ in 0..3 {
        env.run(&["next", "--session", "s-carol", "--claim"]);
    }
    let out = env.fails(3, &["next", "--session", "s-carol", "--claim"]);
    assert!(
        stderr(&out).contains("nothing for s-carol to do"),
        "{}",
        render(&out)
    );
    let last = of_kind(&env, "decision").pop().unwrap();
    assert_eq!(last["data"]["claimed"], false);
    assert_eq!(last["data"]["tries"], json!([]));
    // --lease needs --claim.
    env.fails(2, &["next", "--session", "s-bob", "--lease", "1h"]);
}

#[test]
fn pick_claims_and_logs_recommendation_pick_and_reason() {
    let env = team();
    let next = env.json(&["next", "--session", "s-alice"]);
    let top = next["bead"]["id"].as_str().unwrap().to_string();
    assert_ne!(top, "db-1");
    let v = env.json(&[
        "pick",
        "db-1",
        "--session",
        "s-alice",
        "--reason",
        "the index is blocking the release",
    ]);
    assert_eq!(v["claimed"], true, "{v:#}");
    assert_eq!(v["recommendation"]["id"], top.as_str());
    assert_eq!(v["pick"]["id"], "db-1");
    assert!(v["pick"]["rank"].as_u64().unwrap() > 1, "{v:#}");
    assert!(!v["pick"]["justification"].as_array().unwrap().is_empty());
    assert_eq!(v["agreed"], false);
    assert_eq!(
        read_json(&env, ".gemba/claims/db-1.json")["session"],
        "s-alice"
    );
    let d = of_kind(&env, "decision").pop().unwrap();
    assert_eq!(d["data"]["what"], "pick");
    assert_eq!(d["data"]["recommendation"]["id"], top.as_str());
    assert_eq!(
        d["data"]["recommendation"]["score"], next["score"],
        "what next would have picked, with its score"
    );
    assert_eq!(d["data"]["pick"]["id"], "db-1");
    assert_eq!(d["data"]["reason"], "the index is blocking the release");
    assert_eq!(d["data"]["claimed"], true);
    assert_eq!(d["beads"], json!(["db-1"]));
    assert!(
        d["message"].as_str().unwrap().starts_with(&format!(
            "pick for s-alice: claimed db-1 (recommended {top}, score 0."
        )),
        "{d:#}"
    );

    // Bob picks the same bead: lost (exit 4), logged all the same.
    let out = env.fails(4, &["--json", "pick", "db-1", "--session", "s-bob"]);
    let err: Value = serde_json::from_str(stderr(&out).lines().last().unwrap()).unwrap();
    assert_eq!(err["code"], "already_taken");
    let d = of_kind(&env, "decision").pop().unwrap();
    assert_eq!(d["data"]["claimed"], false);
    assert_eq!(d["data"]["holder"], "s-alice");
    assert_eq!(d["data"]["reason"], Value::Null);
    assert_eq!(d["data"]["pick"]["excluded"]["reason"], "not-ready");

    // A bead selection leaves out is picked anyway, with a warning.
    env.write(
        ".gemba/enrichment/web-1.yaml",
        "dispatch_status:\n  value: awaiting-design\n  source: operator\n",
    );
    let out = env.run(&["pick", "web-1", "--session", "s-bob"]);
    assert!(out.status.success(), "{}", render(&out));
    assert!(
        stderr(&out).contains("`gemba next` leaves web-1 out (dispatch: awaiting-design"),
        "{}",
        render(&out)
    );
    let d = of_kind(&env, "decision").pop().unwrap();
    assert_eq!(d["data"]["pick"]["excluded"]["reason"], "awaiting-design");

    // Bad input changes nothing.
    let before = env.snapshot();
    for (args, code) in [
        (vec!["pick", "nope", "--session", "s-bob"], "not_found"),
        (vec!["pick", "../x", "--session", "s-bob"], "invalid_input"),
        (vec!["pick", "auth-1", "--session", "s-nobody"], "not_found"),
    ] {
        let mut all = args.clone();
        all.push("--json");
        let out = env.fails(1, &all);
        let err: Value = serde_json::from_slice(&out.stderr).unwrap();
        assert_eq!(err["code"], code, "{args:?}: {err}");
    }
    assert_eq!(env.snapshot(), before);
}

#[test]
fn coach_lays_out_sessions_and_the_grid_with_conflict_groups() {
    let env = team();
    // auth-2 is expert work: next excludes it for alice; coach warns.
    env.write(
        ".gemba/enrichment/auth-2.yaml",
        "targets:\n  value: [src/auth/**]\n  source: operator\nconcepts:\n  value: [auth]\n  source: operator\ncomplexity:\n  value: expert\n  source: operator\n",
    );
    let v = env.json(&["next", "--session", "s-alice", "--explain"]);
    assert!(
        v["excluded_beads"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["id"] == "auth-2" && e["reason"] == "under-qualified"),
        "{v:#}"
    );
    // Bob holds web-1.
    env.ok(&["claim", "web-1", "--session", "s-bob"]);
    // A focus for alice.
    env.ok(&["session", "focus", "s-alice", "--label", "security"]);

    let c = env.json(&["coach"]);
    let sessions = c["sessions"].as_array().unwrap();
    let names: Vec<&str> = sessions
        .iter()
        .map(|s| s["session"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["s-alice", "s-bob"]);
    assert_eq!(sessions[0]["column"], 1);
    assert_eq!(sessions[0]["agent"], "alice");
    assert_eq!(sessions[0]["health"]["pressure"], 0.1);
    assert_eq!(sessions[0]["health"]["runway"]["bucket"], "large");
    assert_eq!(sessions[0]["focus"], "label security");
    assert_eq!(sessions[1]["health"]["bead"], "web-1");
    // Every ready bead (web-1 is in progress now), one cell per session.
    assert_eq!(c["ready"], 3);
    let rows = c["beads"].as_array().unwrap();
    let ids: BTreeSet<&str> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, BTreeSet::from(["auth-1", "auth-2", "db-1"]));
    for r in rows {
        let cells = r["cells"].as_array().unwrap();
        assert_eq!(cells.len(), 2, "{r:#}");
        assert_eq!(cells[0]["session"], "s-alice");
        assert!(
            cells
                .iter()
                .all(|c| !c["reason"].as_str().unwrap().is_empty()),
            "{r:#}"
        );
    }
    let row = |id: &str| rows.iter().find(|r| r["id"] == id).unwrap();
    // Coach mode: the misfit is a warning in its cell, with a score.
    let hard = &row("auth-2")["cells"][0];
    assert_eq!(hard["warning"], true, "{hard:#}");
    assert!(hard["score"].as_f64().is_some());
    assert_eq!(
        hard["reason"],
        "warning: expert work is above the agent's max band skilled"
    );
    // auth-1 goes best to alice (she knows auth), for that reason.
    let best = &row("auth-1")["best"];
    assert_eq!(best["session"], "s-alice", "{best:#}");
    // The two auth beads share files: one conflict group.
    assert_eq!(row("auth-1")["group"], "A");
    assert_eq!(row("auth-2")["group"], "A");
    assert_eq!(row("db-1")["group"], Value::Null);
    assert_eq!(c["groups"][0]["group"], "A");
    assert_eq!(c["groups"][0]["beads"], json!(["auth-1", "auth-2"]));
    assert_eq!(c["groups"][0]["edges"][0]["kind"], "target");

    // The human form: the strip, the grid, the group, trimmed on request.
    let out = env.ok(&["coach"]);
    for want in [
        "2 live sessions",
        "web-1 (0.0 h)",
        "label security",
        "dispatch grid: 3 ready beads x 2 sessions",
        "conflict groups",
        "  A  auth-1, auth-2: target",
    ] {
        assert!(out.contains(want), "{want:?} in\n{out}");
    }
    assert!(out.contains("!"), "the warning mark:\n{out}");
    let out = env.ok(&["coach", "--limit", "1", "--sessions", "1"]);
    assert!(
        out.contains("(showing 1 of 3 beads and 1 of 2 sessions"),
        "{out}"
    );
    let out = env.fails(1, &["coach", "--session", "s-nobody"]);
    assert!(stderr(&out).contains("s-nobody"), "{}", render(&out));
    // Coach changes nothing.
    let before = env.snapshot();
    env.ok(&["coach"]);
    assert_eq!(env.snapshot(), before);
}

#[test]
fn sessions_sharing_a_workspace_make_workspace_edges_between_their_beads() {
    let env = team();
    // Carol works in the same worktree as alice; dave on another branch.
    agent(&env, "carol");
    agent(&env, "dave");
    session(&env, "s-carol", "carol", home(&env));
    let repo = canonical(&env.root).display().to_string();
    session(
        &env,
        "s-dave",
        "dave",
        json!({"repo": repo, "branch": "feature", "path": format!("{repo}-feature")}),
    );
    env.ok(&["claim", "auth-1", "--session", "s-alice"]);
    env.ok(&["claim", "db-1", "--session", "s-carol"]);
    env.ok(&["claim", "web-1", "--session", "s-dave"]);
    let g = env.json(&["conflicts"]);
    let ws: Vec<&Value> = g["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "workspace")
        .collect();
    assert_eq!(ws.len(), 1, "{g:#}");
    assert_eq!(
        (&ws[0]["a"], &ws[0]["b"]),
        (&json!("auth-1"), &json!("db-1"))
    );
    assert_eq!(
        ws[0]["reason"],
        format!("s-alice and s-carol work in the same worktree {repo}")
    );
    let out = env.ok(&["conflicts", "--bead", "db-1"]);
    assert!(out.contains("workspace (1)"), "{out}");
    // Released: the edge goes.
    env.ok(&["release", "db-1", "--session", "s-carol"]);
    let g = env.json(&["conflicts"]);
    assert!(
        g["edges"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["kind"] != "workspace"),
        "{g:#}"
    );
}
