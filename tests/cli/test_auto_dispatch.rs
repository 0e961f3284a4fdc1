//! `gemba dispatch on|off|status|tick|run` on temp repositories: a tick
//! with dispatch off does nothing and says so; on, it claims and enqueues
//! for an idle session and logs why; a second tick within
//! `dispatch.min_interval` is rate-limited; a concurrent `gemba claim` of
//! the top bead sends the tick to the next; `run` stops after
//! `--max-ticks`, on `dispatch off` and on SIGTERM.

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::*;

const LOG: &str = ".gemba/log/2026-11-23.jsonl";

fn events(env: &TestEnv) -> Vec<Value> {
    let Ok(text) = std::fs::read_to_string(env.root.join(LOG)) else {
        return Vec::new();
    };
    text.lines()
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

fn agent(env: &TestEnv, name: &str) {
    env.write(
        &format!(".gemba/agents/{name}.yaml"),
        &format!(
            "name: {name}\nmax_band: skilled\ncontext_window: 100000\ncreated_at: 2026-11-23T10:00:00Z\n"
        ),
    );
}

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

/// Alice's live session `s-alice` and two chains of work: `r-1` blocks
/// `r-2` blocks `r-3`, and `r-4` blocks `r-5`. Unblocking work is what
/// lifts a fresh session's score over the 0.5 floor: `r-1` first, then
/// `r-4`. With `bob`, also bob's session `s-bob`, kept busy by a packet
/// waiting in his queue (so the tick feeds alice only).
fn fleet(bob: bool) -> TestEnv {
    let env = TestEnv::init();
    let bead = |id: &str, after: Option<&str>| {
        let deps = after
            .map(|a| {
                format!(",\"dependencies\":[{{\"depends_on_id\":\"{a}\",\"type\":\"blocks\"}}]")
            })
            .unwrap_or_default();
        format!(
            "{{\"id\":\"{id}\",\"title\":\"task {id}\",\"created_at\":\"2026-11-20T12:00:00Z\"{deps}}}\n"
        )
    };
    let text = [
        bead("r-1", None),
        bead("r-2", Some("r-1")),
        bead("r-3", Some("r-2")),
        bead("r-4", None),
        bead("r-5", Some("r-4")),
    ]
    .concat();
    let out = env.import_text(&text);
    assert!(out.status.success(), "{}", render(&out));
    agent(&env, "alice");
    session(&env, "s-alice", "alice");
    if bob {
        agent(&env, "bob");
        session(&env, "s-bob", "bob");
        env.ok(&[
            "queue",
            "enqueue",
            "--target",
            "bob",
            "--title",
            "bob's own work",
        ]);
    }
    env.git(&["add", "-A"]);
    env.git(&["commit", "-q", "-m", "fleet"]);
    env
}

fn tick(env: &TestEnv) -> Value {
    env.json(&["dispatch", "tick"])
}

fn entry<'a>(tick: &'a Value, session: &str) -> &'a Value {
    tick["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["session"] == session)
        .unwrap_or_else(|| panic!("no entry for {session}: {tick:#}"))
}

#[test]
fn a_tick_with_dispatch_off_does_nothing_and_says_so() {
    let env = fleet(false);
    let before = env.snapshot();
    let out = env.ok(&["dispatch", "tick"]);
    assert!(out.contains("dispatch is off: nothing done"), "{out}");
    let v = tick(&env);
    assert_eq!(
        (v["on"].clone(), v["sessions"].clone()),
        (json!(false), json!([]))
    );
    // Nothing changed but the log: one event per tick, saying off.
    let after: Vec<_> = env
        .snapshot()
        .into_iter()
        .filter(|(p, _)| !p.ends_with("2026-11-23.jsonl"))
        .collect();
    let before: Vec<_> = before
        .into_iter()
        .filter(|(p, _)| !p.ends_with("2026-11-23.jsonl"))
        .collect();
    assert_eq!(before, after);
    let ticks = of_kind(&env, "dispatch.tick");
    assert_eq!(ticks.len(), 2);
    assert_eq!(ticks[0]["data"]["on"], false);
    assert_eq!(ticks[0]["message"], "dispatch tick: off, nothing done");
    assert!(of_kind(&env, "claim").is_empty());
    let status = env.json(&["dispatch", "status"]);
    assert_eq!(status["enabled"], false);
    assert_eq!(status["last_tick"]["on"], false);
    assert_eq!(status["sessions"][0]["idle"], true, "{status:#}");
}

#[test]
fn on_a_tick_claims_and_enqueues_for_an_idle_session_and_logs_why() {
    let env = fleet(false);
    let out = env.ok(&["dispatch", "on", "--reason", "trial run"]);
    assert!(out.contains("dispatch on"), "{out}");
    let switch = env.read(".gemba/dispatch.yaml");
    assert!(
        switch.contains("enabled: true") && switch.contains("reason: trial run"),
        "{switch}"
    );
    assert!(env.ok(&["dispatch", "on"]).contains("already on"));
    assert_eq!(of_kind(&env, "dispatch.switch").len(), 1);

    let v = tick(&env);
    assert_eq!(v["on"], true);
    let e = entry(&v, "s-alice");
    assert_eq!(e["outcome"], "dispatched", "{v:#}");
    assert_eq!(e["bead"], "r-1");
    assert!(e["score"].as_f64().unwrap() >= 0.5, "{e:#}");
    assert_eq!(e["tries"], json!([{"bead": "r-1", "outcome": "won"}]));
    let packet = e["packet"].as_str().unwrap().to_string();

    // Claimed for the session, in hand, and a packet kept for it.
    let claim = read_json(&env, ".gemba/claims/r-1.json");
    assert_eq!(
        (claim["session"].as_str(), claim["agent"].as_str()),
        (Some("s-alice"), Some("alice"))
    );
    assert_eq!(
        read_json(&env, ".gemba/beads/r-1.json")["status"],
        "in_progress"
    );
    let p = read_json(&env, &format!(".gemba/queues/alice/ready/{packet}.json"));
    assert_eq!(
        (p["bead"].as_str(), p["session"].as_str()),
        (Some("r-1"), Some("s-alice"))
    );
    assert_eq!(p["spec"]["title"], "task r-1");

    // The decision is logged with its justification and inputs' digests,
    // beside the claim and the enqueue.
    let ticks = of_kind(&env, "dispatch.tick");
    assert_eq!(ticks.len(), 1);
    let t = &ticks[0];
    assert_eq!(t["id"], v["event"]);
    assert_eq!(t["beads"], json!(["r-1"]));
    assert_eq!(t["data"]["dispatched"], json!({"s-alice": "r-1"}));
    let logged = &t["data"]["sessions"][0];
    assert_eq!(logged["outcome"], "dispatched");
    let lines: Vec<&str> = logged["justification"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert!(lines.iter().any(|l| l.starts_with("leverage")), "{lines:?}");
    assert!(
        lines.iter().any(|l| l.starts_with("final score")),
        "{lines:?}"
    );
    for key in ["snapshot", "inputs"] {
        assert!(
            logged[key].as_str().is_some_and(|d| !d.is_empty()),
            "{logged:#}"
        );
    }
    assert_eq!(logged["alternatives"][0]["id"], "r-4", "{logged:#}");
    assert_eq!(of_kind(&env, "claim").len(), 1);
    assert_eq!(of_kind(&env, "queue.enqueue").len(), 1);

    // Busy now; status says so and when the next dispatch may come.
    let again = tick(&env);
    let e = entry(&again, "s-alice");
    assert_eq!(e["outcome"], "busy");
    assert_eq!(e["busy"], json!({"by": "claim", "bead": "r-1"}));
    let status = env.json(&["dispatch", "status"]);
    assert_eq!(status["enabled"], true);
    assert_eq!(status["reason"], "trial run");
    let row = &status["sessions"][0];
    assert_eq!(row["last_dispatch"], "2026-11-23T12:00:00Z");
    assert_eq!(row["bead"], "r-1");
    assert_eq!(row["next_from"], "2026-11-23T12:05:00Z");
    assert_eq!(row["idle"], false);
    let text = env.ok(&["dispatch", "status"]);
    assert!(text.contains("busy: holds a claim on r-1"), "{text}");
    let (code, report) = check_report(&env);
    assert_eq!(code, Some(0), "{report:#}");
}

/// `gemba ARGS` at `now`.
fn at(env: &TestEnv, now: &str, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    let out = env.cmd(&all).env("GEMBA_NOW", now).output().unwrap();
    assert!(out.status.success(), "{}", render(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn with_auto_commit_only_a_tick_that_feeds_someone_is_a_commit() {
    let env = fleet(true);
    env.enable_auto_commit();
    env.ok(&["dispatch", "on"]);
    let commits = || {
        env.git(&["rev-list", "--count", "HEAD"])
            .trim()
            .parse::<u32>()
            .unwrap()
    };
    let dispatched = tick(&env);
    assert_eq!(entry(&dispatched, "s-alice")["outcome"], "dispatched");
    let after_dispatch = commits();
    let last = env.git(&["log", "-1", "--format=%s"]);
    assert!(last.starts_with("gemba: dispatch tick: "), "{last}");
    // Twice nothing to do: logged, not committed.
    for _ in 0..2 {
        let idle = tick(&env);
        assert_ne!(entry(&idle, "s-alice")["outcome"], "dispatched", "{idle:#}");
    }
    assert_eq!(commits(), after_dispatch, "an idle tick is no commit");
    assert_eq!(of_kind(&env, "dispatch.tick").len(), 3);
    assert!(
        !env.git(&["status", "--porcelain", "--", ".gemba/log"])
            .is_empty()
    );
    // The next change commits the pending lines with its own.
    env.ok(&["dispatch", "off", "--reason", "done for today"]);
    assert_eq!(commits(), after_dispatch + 1);
    assert_eq!(env.git(&["status", "--porcelain", "--", ".gemba/log"]), "");
}

#[test]
fn a_second_dispatch_within_the_min_interval_is_rate_limited() {
    let env = fleet(false);
    env.ok(&["dispatch", "on"]);
    let first = tick(&env);
    assert_eq!(entry(&first, "s-alice")["bead"], "r-1");
    let packet = entry(&first, "s-alice")["packet"]
        .as_str()
        .unwrap()
        .to_string();
    // Alice drains it and closes the bead: idle again two minutes later.
    let taken = at(
        &env,
        "2026-11-23T12:01:00Z",
        &["queue", "take", "--agent", "alice", "--session", "s-alice"],
    );
    assert_eq!(taken["packets"][0]["id"], packet.as_str(), "{taken:#}");
    at(&env, "2026-11-23T12:02:00Z", &["queue", "done", &packet]);
    at(&env, "2026-11-23T12:02:00Z", &["bead", "close", "r-1"]);
    let limited = at(&env, "2026-11-23T12:02:00Z", &["dispatch", "tick"]);
    let e = entry(&limited, "s-alice");
    assert_eq!(e["outcome"], "rate_limited", "{limited:#}");
    assert_eq!(e["last_dispatch"], "2026-11-23T12:00:00Z");
    assert!(
        e["reason"]
            .as_str()
            .unwrap()
            .contains("no other before 2026-11-23T12:05:00Z"),
        "{e:#}"
    );
    assert!(!env.root.join(".gemba/claims/r-2.json").exists());
    // Five minutes after the first: fed again (r-4 before r-2, which r-1
    // just unblocked: both unblock one bead, r-4 has waited longer).
    let later = at(&env, "2026-11-23T12:05:00Z", &["dispatch", "tick"]);
    let e = entry(&later, "s-alice");
    assert_eq!(e["outcome"], "dispatched", "{later:#}");
    assert_eq!(e["bead"], "r-4");
    assert_eq!(e["alternatives"][0]["id"], "r-2", "{e:#}");
    let logged: Vec<String> = of_kind(&env, "dispatch.tick")
        .iter()
        .map(|t| {
            t["data"]["sessions"][0]["outcome"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(logged, ["dispatched", "rate_limited", "dispatched"]);
}

#[test]
fn a_tick_under_the_floor_or_told_to_recycle_feeds_nobody() {
    let env = fleet(false);
    env.ok(&["dispatch", "on"]);
    let config = env
        .read(".gemba/config.yaml")
        .replace("  floor: 0.5", "  floor: 0.95");
    env.write(".gemba/config.yaml", &config);
    let no_claims = || {
        let dir = env.root.join(".gemba/claims");
        !dir.exists() || std::fs::read_dir(dir).unwrap().next().is_none()
    };
    let v = tick(&env);
    let e = entry(&v, "s-alice");
    assert_eq!(e["outcome"], "below_floor", "{v:#}");
    assert_eq!(e["bead"], "r-1");
    let reason = e["reason"].as_str().unwrap();
    assert!(reason.contains("under the floor 0.950"), "{e:#}");
    assert!(no_claims());
    let text = env.ok(&["dispatch", "tick", "--explain"]);
    assert!(
        text.contains("below_floor") && text.contains("final score"),
        "{text}"
    );

    // Six hours in, and every bead is a new concept area for the session
    // (its work was on `db`, the beads are `auth`): recycle advised before
    // the next bead, so nothing is claimed, whatever the floor.
    env.write(
        ".gemba/config.yaml",
        &config.replace("  floor: 0.95", "  floor: 0"),
    );
    for id in ["r-1", "r-2", "r-3", "r-4", "r-5"] {
        env.write(
            &format!(".gemba/enrichment/{id}.yaml"),
            "concepts:\n  value: [auth]\n  source: operator\n",
        );
    }
    let path = ".gemba/sessions/s-alice.json";
    let mut alice = read_json(&env, path);
    alice["started_at"] = json!("2026-11-23T06:00:00Z");
    alice["profile"] = json!({
        "concepts": {"db": 3.0},
        "events": 2,
        "recent": [{"bead": "old-db", "event": 2, "concepts": ["db"], "files": [], "source": "actual", "closed": true}]
    });
    env.write(path, &serde_json::to_string_pretty(&alice).unwrap());
    let v = tick(&env);
    let e = entry(&v, "s-alice");
    assert_eq!(e["outcome"], "recycle", "{v:#}");
    assert_eq!(e["advice"]["recycle"], true);
    assert_eq!(e["advice"]["rules"], json!(["long_session"]));
    assert!(no_claims());
    let logged = of_kind(&env, "dispatch.tick");
    assert_eq!(
        logged.last().unwrap()["data"]["sessions"][0]["outcome"],
        "recycle"
    );
}

#[test]
fn a_bead_already_in_a_queue_is_not_dispatched_again() {
    // Supply (or a person) put r-1 in bob's queue without a claim: the
    // tick must not hand it to alice too.
    let env = fleet(true);
    env.ok(&["queue", "enqueue", "--target", "bob", "--bead", "r-1"]);
    env.ok(&["dispatch", "on"]);
    let v = tick(&env);
    let e = entry(&v, "s-alice");
    assert_eq!(e["outcome"], "dispatched", "{v:#}");
    assert_eq!(e["bead"], "r-4", "{e:#}");
    assert_eq!(e["excluded"]["queued"], 1, "{e:#}");
    assert!(!env.root.join(".gemba/claims/r-1.json").exists());
    // `next` says why.
    let next = env.json(&["next", "--session", "s-alice", "--explain"]);
    let text = next.to_string();
    assert!(
        text.contains("queued: packet ") && text.contains("in bob's queue (ready)"),
        "{next:#}"
    );
}

#[test]
fn a_concurrent_claim_of_the_top_bead_sends_the_tick_to_the_next() {
    // The claim starts 0 to 40 ms after the tick, so the rounds spread
    // over the interleavings: before the tick reads, between its read and
    // its claim, after its claim.
    let mut paths: Vec<&str> = Vec::new();
    for (round, delay) in [0, 5, 10, 40].into_iter().enumerate() {
        let env = fleet(true);
        env.ok(&["dispatch", "on"]);
        // What the tick would take, before anyone races it.
        let dry = env.json(&["dispatch", "tick", "--dry-run"]);
        assert_eq!(entry(&dry, "s-alice")["bead"], "r-1", "{dry:#}");
        assert_eq!(entry(&dry, "s-bob")["outcome"], "busy");
        let mut tick = env.cmd(&["--json", "dispatch", "tick"]);
        let tick = tick
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay));
        let claim = env
            .cmd(&["claim", "r-1", "--session", "s-bob"])
            .output()
            .unwrap();
        let outs = [tick.wait_with_output().unwrap(), claim];
        assert_eq!(outs[0].status.code(), Some(0), "{}", render(&outs[0]));
        let v: Value = serde_json::from_slice(&outs[0].stdout).unwrap();
        let e = entry(&v, "s-alice");
        assert_eq!(e["outcome"], "dispatched", "round {round}: {v:#}");
        let holder = read_json(&env, ".gemba/claims/r-1.json")["session"].clone();
        match outs[1].status.code() {
            // Bob got r-1 first: the tick lost it (or passed over it) and
            // took the next.
            Some(0) => {
                let raced = e["skipped"] == json!(["r-1"])
                    || e["tries"][0]
                        == json!({"bead": "r-1", "outcome": "taken", "holder": "s-bob"});
                paths.push(if raced {
                    "lost the race"
                } else {
                    "claimed before the read"
                });
                assert_eq!(holder, "s-bob");
                assert_eq!(e["bead"], "r-4", "round {round}: {e:#}");
                assert_eq!(
                    read_json(&env, ".gemba/claims/r-4.json")["session"],
                    "s-alice"
                );
            }
            Some(4) => {
                paths.push("won the race");
                assert_eq!(holder, "s-alice");
                assert_eq!(e["bead"], "r-1", "round {round}: {e:#}");
            }
            other => panic!("claim exited {other:?}: {}", render(&outs[1])),
        }
        // One claim each, one packet for alice, one tick event.
        assert_eq!(
            of_kind(&env, "claim").len(),
            if outs[1].status.success() { 2 } else { 1 }
        );
        let ready = std::fs::read_dir(env.root.join(".gemba/queues/alice/ready"))
            .unwrap()
            .count();
        assert_eq!(ready, 1);
        assert_eq!(of_kind(&env, "dispatch.tick").len(), 1);
    }
    eprintln!("the tick, by round: {paths:?}");
}

#[test]
fn run_ticks_max_ticks_times_then_stops() {
    let env = fleet(false);
    env.ok(&["dispatch", "on"]);
    let start = Instant::now();
    let out = env.ok(&[
        "dispatch",
        "run",
        "--max-ticks",
        "2",
        "--interval",
        "1s",
        "--json",
    ]);
    let elapsed = start.elapsed();
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["ticks"], 2);
    assert_eq!(v["stopped_by"], "max_ticks");
    assert_eq!(
        v["dispatched"],
        json!([{"at": "2026-11-23T12:00:00Z", "session": "s-alice", "bead": "r-1", "packet": v["dispatched"][0]["packet"]}])
    );
    assert!(elapsed >= Duration::from_secs(1), "{elapsed:?}");
    let ticks = of_kind(&env, "dispatch.tick");
    assert_eq!(ticks.len(), 2);
    assert_eq!(ticks[1]["data"]["sessions"][0]["outcome"], "busy");
    // Text: one line per tick.
    let text = env.ok(&["dispatch", "run", "--max-ticks", "1", "--interval", "1s"]);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(
        text.contains("tick 1: nothing dispatched; 1 busy"),
        "{text}"
    );
}

fn spawn_run(env: &TestEnv) -> Child {
    env.cmd(&["--json", "dispatch", "run", "--interval", "1s"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Wait until the log has `n` tick events (the loop is running).
fn wait_for_ticks(env: &TestEnv, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while of_kind(env, "dispatch.tick").len() < n {
        assert!(Instant::now() < deadline, "no tick within 30 s");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The child's exit and its JSON report, failing after 30 s.
fn finish(child: Child) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut child = child;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("dispatch run did not stop within 30 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", render(&out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", render(&out)))
}

#[test]
fn dispatch_off_stops_a_running_loop_at_its_next_tick() {
    let env = fleet(false);
    env.ok(&["dispatch", "on"]);
    let child = spawn_run(&env);
    wait_for_ticks(&env, 1);
    env.ok(&["dispatch", "off", "--reason", "stop the test"]);
    let v = finish(child);
    assert_eq!(v["stopped_by"], "off", "{v:#}");
    // The tick that found it off logged so, and was the last.
    let ticks = of_kind(&env, "dispatch.tick");
    assert_eq!(ticks.last().unwrap()["data"]["on"], false);
    assert_eq!(v["ticks"].as_u64().unwrap() as usize, ticks.len());
    assert_eq!(
        of_kind(&env, "dispatch.switch").last().unwrap()["data"]["reason"],
        "stop the test"
    );
}

#[cfg(unix)]
#[test]
fn sigterm_ends_the_loop_after_its_tick_with_exit_0() {
    let env = fleet(false);
    env.ok(&["dispatch", "on"]);
    let child = spawn_run(&env);
    wait_for_ticks(&env, 1);
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let v = finish(child);
    assert_eq!(v["stopped_by"], "signal", "{v:#}");
    assert_eq!(
        v["ticks"].as_u64().unwrap() as usize,
        of_kind(&env, "dispatch.tick").len()
    );
}

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let env = fleet(false);
    for args in [
        &["dispatch", "run", "--interval", "0s"][..],
        &["dispatch", "run", "--interval", "../x"],
        &["dispatch", "run", "--max-ticks", "0"],
        &["dispatch", "tick", "--bogus"],
    ] {
        env.fails(2, args);
    }
    // A hand-edited switch with a typo: the error names the file and line.
    env.write(".gemba/dispatch.yaml", "enabled: true\nenabeld: false\n");
    let before = env.snapshot();
    let out = env.fails(1, &["dispatch", "tick"]);
    let err = stderr(&out);
    assert!(err.contains("dispatch.yaml:2"), "{err}");
    env.fails(1, &["dispatch", "status"]);
    assert_eq!(env.snapshot(), before);
    let (code, report) = check_report(&env);
    assert_eq!(code, Some(1), "{report:#}");
    assert!(report.to_string().contains("dispatch.yaml"), "{report:#}");
}
