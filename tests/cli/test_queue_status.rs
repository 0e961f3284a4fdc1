//! `gemba queue status`: utilization over take/done cycles at explicit
//! times, STARVING for an idle agent while work it fits waits elsewhere
//! (a packet in another queue, a ready bead), `queue.starving` and its
//! hook once per transition, bad input.

use serde_json::Value;

use crate::common::{TestEnv, render, stderr};
use crate::test_hooks::{recorded, recorder, set_hook};

/// `gemba ARGS` with the clock at `2026-11-23T<hm>:00Z`; asserts exit 0.
fn at(env: &TestEnv, hm: &str, args: &[&str]) -> String {
    let out = env
        .cmd(args)
        .env("GEMBA_NOW", format!("2026-11-23T{hm}:00Z"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?} at {hm}:\n{}", render(&out));
    String::from_utf8(out.stdout).unwrap()
}

fn status(env: &TestEnv, hm: &str, extra: &[&str]) -> Value {
    let mut args = vec!["--json", "queue", "status", "--window", "4h"];
    args.extend_from_slice(extra);
    serde_json::from_str(&at(env, hm, &args)).unwrap()
}

fn agent<'v>(report: &'v Value, name: &str) -> &'v Value {
    report["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["agent"] == name)
        .unwrap_or_else(|| panic!("no {name} in {report}"))
}

fn enqueue(env: &TestEnv, hm: &str, agent: &str, id: &str, extra: &[&str]) {
    let mut args = vec![
        "queue", "enqueue", "--target", agent, "--title", id, "--id", id,
    ];
    args.extend_from_slice(extra);
    at(env, hm, &args);
}

fn starving_events(env: &TestEnv) -> Vec<Value> {
    env.json(&["log", "--kind", "queue.starving"])
        .as_array()
        .unwrap()
        .clone()
}

/// alice and bob build, carol verifies. By 12:00: alice worked 09:00-11:00
/// and since 11:30; bob 10:00-11:00, then nothing, while alice's queue
/// holds a build packet nobody holds back.
fn fleet() -> TestEnv {
    let env = TestEnv::init();
    env.ok(&["agent", "add", "alice", "--role", "build"]);
    env.ok(&["agent", "add", "bob", "--role", "build"]);
    env.ok(&["agent", "add", "carol", "--role", "verify"]);
    enqueue(&env, "08:00", "alice", "a", &[]);
    at(&env, "09:00", &["queue", "take", "--agent", "alice"]);
    enqueue(&env, "09:00", "bob", "x", &[]);
    at(
        &env,
        "10:00",
        &["queue", "take", "--agent", "bob", "-s", "s-bob"],
    );
    at(&env, "11:00", &["queue", "done", "a"]);
    at(&env, "11:00", &["queue", "done", "x"]);
    enqueue(&env, "11:30", "alice", "c", &[]);
    at(&env, "11:30", &["queue", "take", "--agent", "alice"]);
    enqueue(&env, "11:30", "alice", "d", &["--requires", "build"]);
    env
}

#[test]
fn an_idle_agent_is_starving_while_another_queue_holds_work_it_fits() {
    let env = fleet();
    let report = status(&env, "12:00", &[]);
    assert_eq!(report["window"], "4h");
    assert_eq!(report["from"], "2026-11-23T08:00:00Z");

    let alice = agent(&report, "alice");
    assert_eq!(alice["activity"], "busy");
    assert_eq!(
        (alice["ready"].as_u64(), alice["done"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(alice["in_progress"][0]["packet"], "c");
    assert_eq!(alice["in_progress"][0]["age_secs"], 1800);
    // 09:00-11:00 and 11:30-12:00 of 08:00-12:00.
    assert_eq!(alice["busy_secs"], 9000);
    assert_eq!(alice["utilization"], 0.625);
    assert_eq!(alice["idle_since"], Value::Null);

    let bob = agent(&report, "bob");
    assert_eq!(bob["activity"], "starving");
    assert_eq!(bob["utilization"], 0.25);
    assert_eq!(bob["done"], 1);
    assert_eq!(bob["idle_since"], "2026-11-23T11:00:00Z");
    let waiting = &bob["starving"];
    assert_eq!(waiting["packets_total"], 1);
    assert_eq!(waiting["packets"][0]["packet"], "d");
    assert_eq!(waiting["packets"][0]["agent"], "alice");
    assert_eq!(waiting["since"], "2026-11-23T12:00:00Z");

    // carol does not have the role d requires: idle, not starving.
    assert_eq!(agent(&report, "carol")["activity"], "idle");
    assert!(agent(&report, "carol").get("starving").is_none());
    assert_eq!(report["newly_starving"], serde_json::json!(["bob"]));

    // The event names bob and the work; a second look logs nothing new.
    let events = starving_events(&env);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["data"]["agent"], "bob");
    assert_eq!(events[0]["data"]["packets"][0]["packet"], "d");
    let again = status(&env, "12:05", &[]);
    assert_eq!(again["newly_starving"], serde_json::json!([]));
    assert_eq!(
        agent(&again, "bob")["starving"]["since"],
        "2026-11-23T12:00:00Z"
    );
    assert_eq!(starving_events(&env).len(), 1);

    // The table says it too; --agent shows one row.
    let text = at(
        &env,
        "12:05",
        &["queue", "status", "--window", "4h", "--agent", "bob"],
    );
    assert!(text.contains("STARVING"), "{text}");
    assert!(
        text.contains("bob is STARVING (since 2026-11-23T12:00:00Z): it could do 1 ready packet (d in alice's queue)"),
        "{text}"
    );
    assert!(!text.contains("alice  "), "{text}");
    assert!(
        text.contains("25%") && text.contains("11:00:00Z (1h05m ago)"),
        "{text}"
    );

    // Once alice takes d too, nothing waits that bob could do: idle.
    at(&env, "12:10", &["queue", "take", "--agent", "alice"]);
    let report = status(&env, "12:15", &[]);
    assert_eq!(agent(&report, "bob")["activity"], "idle");
    assert_eq!(agent(&report, "alice")["activity"], "busy");
}

#[test]
fn on_starving_runs_once_per_transition() {
    let env = fleet();
    let (argv, out) = recorder(&env);
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    set_hook(&env, "starving", &argv);
    status(&env, "12:00", &[]);
    status(&env, "12:01", &[]);
    let rec = recorded(&out);
    assert_eq!(rec.len(), 1, "{rec:?}");
    assert_eq!(rec[0].0["kind"], "queue.starving");
    assert_eq!(rec[0].0["data"]["agent"], "bob");
    assert!(
        rec[0].1.starts_with("GEMBA_EVENT=starving "),
        "{}",
        rec[0].1
    );

    // bob is fed: no longer starving, so forgotten.
    enqueue(&env, "12:02", "bob", "e", &["--requires", "build"]);
    assert_eq!(
        agent(&status(&env, "12:03", &[]), "bob")["activity"],
        "ready"
    );
    at(&env, "12:04", &["queue", "take", "--agent", "bob"]);
    at(&env, "12:05", &["queue", "done", "e"]);
    // Idle again while d still waits: a new transition, a second run.
    let report = status(&env, "12:06", &[]);
    assert_eq!(agent(&report, "bob")["activity"], "starving");
    assert_eq!(
        agent(&report, "bob")["starving"]["since"],
        "2026-11-23T12:06:00Z"
    );
    status(&env, "12:07", &[]);
    assert_eq!(recorded(&out).len(), 2);
    assert_eq!(starving_events(&env).len(), 2);
}

#[test]
fn a_ready_unclaimed_bead_it_fits_starves_an_idle_agent() {
    let env = TestEnv::init();
    env.ok(&["agent", "add", "alice"]);
    env.ok(&["agent", "add", "dockerless"]);
    let plain = env.ok(&["bead", "create", "--title", "Fix the login form"]);
    let plain = plain.trim();
    let docker = env.ok(&[
        "bead",
        "create",
        "--title",
        "Containerize",
        "--label",
        "tool:docker",
    ]);
    let docker = docker.trim();
    env.ok(&["agent", "edit", "alice", "--tool", "docker"]);

    let report = status(&env, "12:00", &[]);
    let alice = &agent(&report, "alice")["starving"];
    assert_eq!(alice["beads_total"], 2, "{report}");
    let other = &agent(&report, "dockerless")["starving"];
    assert_eq!(other["beads"], serde_json::json!([plain]));
    let events = starving_events(&env);
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["beads"].as_array().unwrap().len(), 2);

    // Claimed beads are nobody's supply.
    let s = env.ok(&["session", "start", "--agent", "alice"]);
    env.ok(&["claim", plain, "--session", s.trim()]);
    let report = status(&env, "12:01", &[]);
    assert_eq!(agent(&report, "dockerless")["activity"], "idle");
    assert_eq!(
        agent(&report, "alice")["starving"]["beads"],
        serde_json::json!([docker])
    );
    // Nor are beads a queued packet already carries (taken here: a ready
    // packet in another queue would be work alice could do).
    env.ok(&[
        "queue",
        "enqueue",
        "--target",
        "dockerless",
        "--bead",
        docker,
    ]);
    let taken = env.json(&["queue", "take", "--agent", "dockerless"]);
    let report = status(&env, "12:02", &[]);
    assert_eq!(agent(&report, "alice")["activity"], "idle", "{report}");
    // Done, its bead still open until the tracker closes it: finished
    // work, nobody's supply (and not handed out again by supply).
    let packet = taken["packets"][0]["id"].as_str().unwrap();
    env.ok(&["queue", "done", packet]);
    assert_eq!(
        env.json(&["bead", "show", docker])["status"],
        "open",
        "the tracker closes beads, not a done packet"
    );
    let report = status(&env, "12:03", &[]);
    assert_eq!(agent(&report, "alice")["activity"], "idle", "{report}");
    assert_eq!(agent(&report, "dockerless")["activity"], "idle", "{report}");
    env.ok(&["supply", "source", "add", "beads"]);
    let supplied = env.json(&["supply"]);
    assert_eq!(supplied["enqueued"], serde_json::json!([]), "{supplied:#}");
}

#[test]
fn bad_input_changes_nothing() {
    let env = TestEnv::init();
    env.ok(&["agent", "add", "alice"]);
    let before = env.snapshot();
    for (args, code, exit) in [
        (vec!["--agent", "../x"], "invalid_input", 1),
        (vec!["--agent", "nobody"], "not_found", 1),
        (vec!["--window", "0s"], "usage", 2),
        (vec!["--window", "3 months"], "usage", 2),
    ] {
        let mut all = vec!["--json", "queue", "status"];
        all.extend_from_slice(&args);
        let out = env.fails(exit, &all);
        let err: Value = serde_json::from_str(stderr(&out).lines().last().unwrap())
            .unwrap_or_else(|e| panic!("{e}: {}", render(&out)));
        assert_eq!(err["code"], code, "{args:?}");
    }
    assert_eq!(env.snapshot(), before);
    // No agents at all: an empty report, not an error.
    let env = TestEnv::init();
    assert_eq!(
        env.json(&["queue", "status"])["agents"],
        serde_json::json!([])
    );
}
