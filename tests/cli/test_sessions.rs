//! `gemba agent …` and `gemba session …`: agents' envelopes, the session
//! lifecycle, handoff inheritance, focus, heartbeats, health and context,
//! and bad input that changes nothing.

use serde_json::Value;

use crate::common::*;

/// Events of `kind` in the log, oldest first.
fn events(env: &TestEnv, kind: &str) -> Vec<Value> {
    let log = env.json(&["log", "--kind", kind]);
    log.as_array().unwrap().clone()
}

/// An initialized repo with agent `alice` (window 200000).
fn with_alice() -> TestEnv {
    let env = TestEnv::init();
    env.ok(&[
        "agent",
        "add",
        "alice",
        "--role",
        "build",
        "--max-band",
        "skilled",
        "--tool",
        "cargo",
        "--tool",
        "git",
        "--model",
        "claude-sonnet",
        "--context-window",
        "200000",
    ]);
    env
}

/// Replace alice's (empty) profile with `yaml`, as a person would.
fn set_agent_profile(env: &TestEnv, yaml: &str) {
    let agent = env.read(".gemba/agents/alice.yaml");
    assert!(agent.ends_with("profile:\n  events: 0\n"), "{agent}");
    let agent = agent.replace("profile:\n  events: 0\n", yaml);
    env.write(".gemba/agents/alice.yaml", &agent);
}

fn start(env: &TestEnv, agent: &str) -> String {
    let id = env.ok(&["session", "start", "--agent", agent]);
    id.trim().to_string()
}

#[test]
fn agent_add_show_list_edit() {
    let env = with_alice();
    let file = env.read(".gemba/agents/alice.yaml");
    assert!(
        file.starts_with("# yaml-language-server: $schema=../schema/agent.schema.json\n"),
        "{file}"
    );
    for line in [
        "name: alice",
        "max_band: skilled",
        "cost_tier: standard",
        "context_window: 200000",
        "created_at: \"2026-11-23T12:00:00Z\"",
        "profile:\n  events: 0\n",
    ] {
        assert!(file.contains(line), "{line} not in\n{file}");
    }

    let shown = env.json(&["agent", "show", "alice"]);
    assert_eq!(shown["roles"], serde_json::json!(["build"]));
    assert_eq!(shown["tools"], serde_json::json!(["cargo", "git"]));
    assert_eq!(shown["model"], "claude-sonnet");
    assert_eq!(shown["live_sessions"], serde_json::json!([]));
    let text = env.ok(&["agent", "show", "alice"]);
    assert!(text.contains("max band        skilled"), "{text}");

    env.ok(&["agent", "add", "scout", "--cost-tier", "economy"]);
    let list = env.json(&["agent", "list"]);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alice", "scout"]);
    assert_eq!(list[1]["max_band"], "routine", "the default band");
    let table = env.ok(&["agent", "list"]);
    assert!(
        table.contains("NAME") && table.contains("economy"),
        "{table}"
    );

    let edited = env.json(&[
        "agent",
        "edit",
        "alice",
        "--max-band",
        "expert",
        "--tool",
        "browser",
    ]);
    assert_eq!(edited["max_band"], "expert");
    assert_eq!(edited["tools"], serde_json::json!(["browser"]));
    assert_eq!(edited["roles"], serde_json::json!(["build"]), "roles kept");
    let edits = events(&env, "agent.edit");
    assert_eq!(edits.len(), 1);
    assert_eq!(
        edits[0]["data"]["fields"],
        serde_json::json!(["max_band", "tools"])
    );
    // The same edit again changes nothing and logs nothing.
    let before = env.snapshot();
    env.ok(&["agent", "edit", "alice", "--max-band", "expert"]);
    assert_eq!(env.snapshot(), before);
    assert_eq!(events(&env, "agent.add").len(), 2);
}

#[test]
fn agent_add_twice_is_an_error_and_changes_nothing() {
    let env = with_alice();
    let before = env.snapshot();
    let out = env.fails(
        1,
        &["agent", "add", "alice", "--max-band", "expert", "--json"],
    );
    let err: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(err["code"], "conflict");
    assert!(
        err["message"].as_str().unwrap().contains("already exists"),
        "{err}"
    );
    assert!(
        err["hint"]
            .as_str()
            .unwrap()
            .contains("gemba agent edit alice"),
        "{err}"
    );
    assert_eq!(env.snapshot(), before);
}

#[test]
fn bad_input_changes_nothing() {
    let env = with_alice();
    // Take the sessions lock once, so its (ignored) file exists already.
    env.ok(&["agent", "edit", "alice", "--model", "m"]);
    let before = env.snapshot();
    let files = tree(env.tmp.path());

    // A band that does not exist: usage error listing the valid ones.
    let out = env.fails(2, &["agent", "add", "bob", "--max-band", "wizard"]);
    let err = stderr(&out);
    for band in ["trivial", "routine", "skilled", "expert", "decompose"] {
        assert!(err.contains(band), "{band} not listed: {err}");
    }
    env.fails(2, &["agent", "edit", "alice", "--cost-tier", "free"]);

    // Hostile and malformed names.
    for name in ["../x", "a/../../b", "/etc/passwd", ".hidden", "a b"] {
        let out = env.fails(1, &["agent", "add", name, "--json"]);
        let err: Value = serde_json::from_slice(&out.stderr).unwrap();
        assert_eq!(err["code"], "invalid_input", "{name}: {err}");
        env.fails(1, &["agent", "show", name]);
        env.fails(1, &["session", "start", "--agent", name]);
    }
    env.fails(1, &["session", "status", "../x"]);
    env.fails(1, &["session", "end", "../x"]);

    // An unknown agent.
    let out = env.fails(1, &["session", "start", "--agent", "nobody", "--json"]);
    let err: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(err["code"], "not_found");
    assert!(err["message"].as_str().unwrap().contains("nobody"), "{err}");
    env.fails(1, &["agent", "edit", "nobody", "--max-band", "expert"]);

    // Unknown sessions, zero windows, a workspace that is not a directory.
    env.fails(1, &["session", "heartbeat", "s-none-0000", "--tokens", "5"]);
    env.fails(
        2,
        &["session", "heartbeat", "s-none-0000", "--tokens", "-5"],
    );
    env.fails(1, &["agent", "edit", "alice", "--context-window", "0"]);
    env.fails(
        1,
        &[
            "session",
            "start",
            "--agent",
            "alice",
            "--workspace",
            "no/such/dir",
        ],
    );

    assert_eq!(env.snapshot(), before);
    assert_eq!(tree(env.tmp.path()), files, "no file created anywhere");
}

#[test]
fn session_lifecycle() {
    let env = with_alice();
    let id = start(&env, "alice");
    assert!(
        id.starts_with("s-alice-") && id.len() == "s-alice-".len() + 4,
        "{id}"
    );
    let root = canonical(&env.root).display().to_string();

    let session = env.json(&["session", "status", &id]);
    assert_eq!(session["status"], "live");
    assert_eq!(session["workspace"]["repo"], root.as_str());
    assert_eq!(session["workspace"]["path"], root.as_str());
    assert_eq!(session["workspace"]["branch"], "main");
    assert_eq!(session["started_at"], "2026-11-23T12:00:00Z");

    // A second session of the same agent at the same moment gets another id.
    let other = start(&env, "alice");
    assert_ne!(other, id);
    let live = env.json(&["session", "status"]);
    assert_eq!(live.as_array().unwrap().len(), 2);
    assert_eq!(
        env.json(&["agent", "show", "alice"])["live_sessions"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    let beat = env.json(&["session", "heartbeat", &id, "--tokens", "50000"]);
    assert_eq!(beat["health"]["pressure"], 0.25, "the agent's window");
    assert_eq!(
        beat["session"]["telemetry"]["heartbeat_at"],
        "2026-11-23T12:00:00Z"
    );
    assert!(
        events(&env, "session.heartbeat").is_empty(),
        "still ok: not logged"
    );

    env.ok(&["session", "end", &id]);
    let ended = env.json(&["session", "status", &id]);
    assert_eq!(ended["status"], "ended");
    assert_eq!(ended["ended_at"], "2026-11-23T12:00:00Z");
    let live = env.json(&["session", "status"]);
    let ids: Vec<&str> = live
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [other.as_str()]);

    // An ended session takes no more heartbeats, focus or end.
    let before = env.snapshot();
    let out = env.fails(1, &["session", "end", &id, "--json"]);
    let err: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(err["code"], "conflict");
    env.fails(1, &["session", "heartbeat", &id, "--tokens", "1"]);
    env.fails(1, &["session", "focus", &id, "--label", "x"]);
    assert_eq!(env.snapshot(), before);

    let kinds: Vec<String> = events(&env, "session")
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds, ["session.start", "session.start", "session.end"]);
}

#[test]
fn session_in_a_linked_worktree_records_its_branch_and_path() {
    let env = with_alice();
    let wt = env.tmp.path().join("wt-auth");
    env.git(&["worktree", "add", "-q", wt.to_str().unwrap(), "-b", "auth"]);
    let out = env
        .cmd_in(&wt, &["session", "start", "--agent", "alice", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", render(&out));
    let session: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        session["workspace"]["repo"],
        canonical(&env.root).display().to_string()
    );
    assert_eq!(
        session["workspace"]["path"],
        canonical(&wt).display().to_string()
    );
    assert_eq!(session["workspace"]["branch"], "auth");
    // The state is the main worktree's.
    let id = session["id"].as_str().unwrap();
    assert!(
        env.gemba_dir()
            .join(format!("sessions/{id}.json"))
            .is_file()
    );

    // --workspace and --branch from elsewhere.
    let s = env.json(&[
        "session",
        "start",
        "--agent",
        "alice",
        "--workspace",
        wt.to_str().unwrap(),
        "--branch",
        "other",
    ]);
    assert_eq!(s["workspace"]["path"], canonical(&wt).display().to_string());
    assert_eq!(s["workspace"]["branch"], "other");
}

#[test]
fn heartbeats_are_logged_when_the_pressure_level_changes() {
    let env = with_alice();
    let id = start(&env, "alice");
    for tokens in ["10000", "100000", "125000", "130000", "170000"] {
        env.ok(&["session", "heartbeat", &id, "--tokens", tokens]);
    }
    let logged = events(&env, "session.heartbeat");
    let levels: Vec<(&str, &str)> = logged
        .iter()
        .map(|e| {
            (
                e["data"]["level_was"].as_str().unwrap(),
                e["data"]["level"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(levels, [("ok", "warn"), ("warn", "recycle")]);
    // A heartbeat's own window replaces the agent's.
    let beat = env.json(&[
        "session",
        "heartbeat",
        &id,
        "--tokens",
        "170000",
        "--context-window",
        "1000000",
    ]);
    assert_eq!(beat["health"]["pressure"], 0.17);
    assert_eq!(beat["health"]["pressure_level"], "ok");
    assert_eq!(beat["session"]["telemetry"]["context_window"], 1_000_000);
}

#[test]
fn health_json() {
    let env = with_alice();
    let id = start(&env, "alice");
    env.ok(&["session", "heartbeat", &id, "--tokens", "130000"]);
    let later = "2026-11-23T17:00:00Z";
    let out = env
        .cmd(&["session", "health", &id, "--json"])
        .env("GEMBA_NOW", later)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", render(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["session"], id.as_str());
    assert_eq!(report["agent"], "alice");
    let h = &report["health"];
    assert_eq!(h["tokens"], 130_000);
    assert_eq!(h["context_window"], 200_000);
    assert_eq!(h["pressure"], 0.65);
    assert_eq!(h["pressure_level"], "warn");
    assert_eq!(h["drift"], Value::Null, "no bead yet");
    assert_eq!(h["drift_level"], "ok");
    assert_eq!(h["time_on_task_hours"], 5.0);
    assert_eq!(h["time_level"], "warn");
    assert_eq!(h["level"], "warn");
    assert_eq!(h["runway"]["bucket"], "small");
    assert_eq!(h["justification"].as_array().unwrap().len(), 3);
    assert_eq!(h["runway"]["justification"].as_array().unwrap().len(), 4);

    // Every live session, as an array; and the human table.
    let all = env.json(&["session", "health"]);
    assert_eq!(all.as_array().unwrap().len(), 1);
    let table = env.ok(&["session", "health"]);
    assert!(table.contains("0.65 (warn)"), "{table}");
    let text = env.ok(&["session", "health", &id]);
    assert!(
        text.contains("pressure 0.65 (130000 / 200000 tokens): warn"),
        "{text}"
    );
}

#[test]
fn focus_set_and_clear_are_logged() {
    let env = with_alice();
    let id = start(&env, "alice");
    env.write(
        ".gemba/beads/gm-epic.json",
        &bead_file("gm-epic", "Auth epic", &[]),
    );

    let s = env.json(&[
        "session",
        "focus",
        &id,
        "--epic",
        "gm-epic",
        "--rationale",
        "ship auth first",
    ]);
    assert_eq!(s["intent"]["scope"]["epic"], "gm-epic");
    assert_eq!(s["intent"]["rationale"], "ship auth first");
    assert_eq!(s["intent"]["demotion"], 0.4, "the configured default");
    let s = env.json(&[
        "session",
        "focus",
        &id,
        "--label",
        "backend",
        "--demotion",
        "0.2",
    ]);
    assert_eq!(s["intent"]["scope"]["label"], "backend");
    assert_eq!(s["intent"]["demotion"], 0.2);
    env.ok(&["session", "focus", &id, "--clear"]);
    assert_eq!(env.json(&["session", "status", &id]).get("intent"), None);
    // Clearing again changes nothing.
    env.ok(&["session", "focus", &id, "--clear"]);

    let logged = events(&env, "session.focus");
    assert_eq!(logged.len(), 3);
    assert_eq!(logged[0]["beads"], serde_json::json!(["gm-epic"]));
    assert_eq!(logged[1]["data"]["was"]["scope"]["epic"], "gm-epic");
    assert_eq!(logged[2]["data"]["intent"], Value::Null);
    assert!(
        logged[2]["message"].as_str().unwrap().contains("clear"),
        "{}",
        logged[2]
    );

    let before = env.snapshot();
    let out = env.fails(2, &["session", "focus", &id, "--regex", "(unclosed"]);
    assert!(
        stderr(&out).contains("not a valid regex"),
        "{}",
        render(&out)
    );
    env.fails(2, &["session", "focus", &id]);
    env.fails(
        2,
        &["session", "focus", &id, "--label", "a", "--regex", "b"],
    );
    env.fails(
        2,
        &["session", "focus", &id, "--label", "a", "--demotion", "1.5"],
    );
    env.fails(1, &["session", "focus", &id, "--epic", "gm-none"]);
    env.fails(1, &["session", "focus", &id, "--epic", "../x"]);
    assert_eq!(env.snapshot(), before);
}

#[test]
fn handoff_inherits_the_agent_profile_and_half_the_session() {
    let env = with_alice();
    let id = start(&env, "alice");
    env.ok(&[
        "session",
        "heartbeat",
        &id,
        "--tokens",
        "150000",
        "--context-window",
        "180000",
    ]);
    env.ok(&["session", "focus", &id, "--label", "backend"]);
    // Give both profiles weights by hand (claims write them in real use).
    let path = format!(".gemba/sessions/{id}.json");
    let mut session: Value = serde_json::from_str(&env.read(&path)).unwrap();
    session["profile"] = serde_json::json!({
        "concepts": {"db": 4.0, "auth": 2.0},
        "files": {"src/db.rs": 2.0},
        "events": 3,
    });
    env.write(
        &path,
        &format!("{}\n", serde_json::to_string_pretty(&session).unwrap()),
    );
    set_agent_profile(
        &env,
        "profile:\n  concepts:\n    auth: 0.5\n    ui: 0.25\n  events: 4\n  updated_at: 2026-11-23T12:00:00Z\n",
    );

    let handed = env.json(&["session", "handoff", &id]);
    let (old, new) = (&handed["from"], &handed["to"]);
    assert_eq!(old["status"], "ended");
    assert_eq!(new["status"], "live");
    assert_eq!(new["parent"], id.as_str());
    assert_eq!(new["agent"], "alice");
    assert_eq!(new["workspace"], old["workspace"]);
    assert_eq!(
        new["intent"]["scope"]["label"], "backend",
        "the focus carries over"
    );
    assert_eq!(new["telemetry"]["tokens"], 0, "a fresh context");
    assert_eq!(new["telemetry"]["context_window"], 180_000);
    // Each profile scaled to a largest weight of 1: agent (auth 1, ui 0.5)
    // + half the session's (db 1, auth 0.5, src/db.rs 1).
    let p = &new["profile"];
    assert_eq!(p["concepts"]["auth"], 1.25);
    assert_eq!(p["concepts"]["ui"], 0.5);
    assert_eq!(p["concepts"]["db"], 0.5);
    assert_eq!(p["files"]["src/db.rs"], 0.5);
    assert_eq!(p["events"], 0);

    let new_id = new["id"].as_str().unwrap();
    let live = env.json(&["session", "status"]);
    let ids: Vec<&str> = live
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [new_id]);
    let logged = events(&env, "session.handoff");
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0]["data"]["from"], id.as_str());
    assert_eq!(logged[0]["data"]["to"], new_id);
    // The human form prints the new id.
    let again = env.ok(&["session", "handoff", new_id]);
    assert!(
        again.trim().starts_with("s-alice-") && again.trim() != new_id,
        "{again}"
    );
}

#[test]
fn context_reports_a_dirty_worktree() {
    let env = with_alice();
    env.git(&["add", "-A"]);
    env.git(&["commit", "-q", "-m", "agent"]);
    let id = start(&env, "alice");
    env.git(&["add", "-A"]);
    env.git(&["commit", "-q", "-m", "session"]);

    let clean = env.json(&["session", "context", &id]);
    assert_eq!(clean["scope"]["clean"], true, "{}", clean["scope"]);
    assert_eq!(clean["scope"]["git"]["branch"], "main");
    assert_eq!(clean["scope"]["git"]["upstream"], Value::Null);

    env.write("src/lib.rs", "pub fn f() {}\n");
    env.write("README.md", "changed\n");
    // gemba's own pending files are not the agent's changes.
    env.ok(&["session", "heartbeat", &id, "--tokens", "1000"]);
    let c = env.json(&["session", "context", &id]);
    assert_eq!(c["scope"]["clean"], false);
    assert_eq!(c["scope"]["git"]["changed"], 2, "{}", c["scope"]);
    assert_eq!(c["scope"]["source_index"]["state"], "missing");
    assert_eq!(c["agent"]["name"], "alice");
    assert_eq!(c["agent"]["max_band"], "skilled");
    assert_eq!(c["workspace"]["branch"], "main");
    assert_eq!(c["session"]["id"], id.as_str());
    assert_eq!(c["session"]["telemetry"]["tokens"], 1000);
    assert_eq!(c["health"]["pressure"], 0.005);
    assert_eq!(c["runway"]["bucket"], "large");
    assert_eq!(c["intent"], Value::Null);
    assert!(c["session_profile"].is_object() && c["agent_profile"].is_object());

    let text = env.ok(&["session", "context", &id]);
    assert!(
        text.contains("dirty (2 changed files), no upstream"),
        "{text}"
    );
    assert!(text.contains("source index    missing"), "{text}");
}

#[test]
fn context_reports_ahead_and_behind_upstream() {
    let env = with_alice();
    let remote = env.tmp.path().join("remote.git");
    env.git(&["init", "-q", "--bare", remote.to_str().unwrap()]);
    env.git(&["add", "-A"]);
    env.git(&["commit", "-q", "-m", "agent"]);
    env.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    env.git(&["push", "-q", "-u", "origin", "main"]);
    env.write("a.txt", "a\n");
    env.git(&["add", "a.txt"]);
    env.git(&["commit", "-q", "-m", "ahead"]);
    let id = start(&env, "alice");
    let c = env.json(&["session", "context", &id]);
    let git = &c["scope"]["git"];
    assert_eq!(git["upstream"], "origin/main");
    assert_eq!(git["ahead"], 1);
    assert_eq!(git["behind"], 0);
}

#[test]
fn sessions_and_agents_are_in_the_snapshot_digest() {
    let env = with_alice();
    let digest = |env: &TestEnv| env.json(&["debug", "snapshot", "--sessions"]);
    let first = digest(&env);
    assert_eq!(first["agents"], 1);
    assert_eq!(first["sessions"], 0);
    let id = start(&env, "alice");
    let second = digest(&env);
    assert_eq!(second["sessions"], 1);
    assert_eq!(second["live_sessions"], 1);
    assert_ne!(first["digest"], second["digest"]);
    env.ok(&["session", "heartbeat", &id, "--tokens", "10"]);
    let third = digest(&env);
    assert_ne!(
        second["digest"], third["digest"],
        "a heartbeat changes the digest"
    );
    assert_eq!(
        digest(&env)["digest"],
        third["digest"],
        "stable when nothing changed"
    );
    env.ok(&["session", "end", &id]);
    assert_eq!(digest(&env)["live_sessions"], 0);
    // Without sessions the digest does not depend on them.
    let beads_only = env.json(&["debug", "snapshot"]);
    assert_eq!(beads_only["sessions"], 0);
    assert_ne!(beads_only["digest"], third["digest"]);
}

#[test]
fn auto_commit_records_agent_and_session_changes() {
    let env = TestEnv::init();
    env.enable_auto_commit();
    env.ok(&["agent", "add", "alice"]);
    let id = start(&env, "alice");
    env.ok(&["session", "focus", &id, "--label", "backend"]);
    let subjects = env.git(&["log", "--format=%s", "-3"]);
    let subjects: Vec<&str> = subjects.lines().collect();
    assert_eq!(
        subjects,
        [
            format!("gemba: focus session {id} on label backend").as_str(),
            format!("gemba: start session {id} for alice").as_str(),
            "gemba: add agent alice",
        ]
    );
    assert_eq!(env.git(&["status", "--porcelain", "--", ".gemba"]), "");
}

#[test]
fn check_accepts_what_the_commands_write() {
    let env = with_alice();
    let id = start(&env, "alice");
    env.ok(&["session", "heartbeat", &id, "--tokens", "10"]);
    env.ok(&["session", "handoff", &id]);
    let (code, report) = check_report(&env);
    assert_eq!(code, Some(0), "{report:#}");
    // A hand-edited agent with a negative weight is caught.
    set_agent_profile(&env, "profile:\n  concepts:\n    auth: -1\n  events: 1\n");
    let out = env.fails(1, &["agent", "show", "alice"]);
    assert!(stderr(&out).contains("alice.yaml"), "{}", render(&out));
    assert!(
        stderr(&out).contains("not a number >= 0"),
        "{}",
        render(&out)
    );
}
