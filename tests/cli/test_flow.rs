//! Packet flow: the DAG over the CLI, stages handed across roles, the
//! shipped ledger, `requires`, reroute, `queue list --state` and `gemba
//! check` of the queues.

use std::collections::BTreeMap;
use std::process::Output;

use serde_json::{Value, json};

use crate::common::{TestEnv, render, stderr};

const STATES: [&str; 5] = ["ready", "blocked", "in_progress", "done", "failed"];

/// `gemba agent add NAME ARGS...` for each.
fn setup(agents: &[&[&str]]) -> TestEnv {
    let env = TestEnv::init();
    for a in agents {
        let mut args = vec!["agent", "add"];
        args.extend_from_slice(a);
        env.ok(&args);
    }
    env
}

fn enqueue(env: &TestEnv, args: &[&str]) -> Value {
    let mut all = vec!["queue", "enqueue"];
    all.extend_from_slice(args);
    env.json(&all)
}

/// Every packet file by id: `agent/state` of each place it is in.
fn places(env: &TestEnv) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let Ok(agents) = std::fs::read_dir(env.gemba_dir().join("queues")) else {
        return out;
    };
    for agent in agents {
        let agent = agent.unwrap().path();
        for state in STATES {
            let Ok(entries) = std::fs::read_dir(agent.join(state)) else {
                continue;
            };
            for e in entries {
                let name = e.unwrap().file_name().into_string().unwrap();
                if let Some(id) = name.strip_suffix(".json") {
                    out.entry(id.to_string()).or_default().push(format!(
                        "{}/{state}",
                        agent.file_name().unwrap().to_string_lossy()
                    ));
                }
            }
        }
    }
    out
}

fn state_of(env: &TestEnv, id: &str) -> String {
    let p = places(env);
    assert_eq!(p[id].len(), 1, "{id} in {:?}", p[id]);
    p[id][0].clone()
}

/// The packet file's JSON at its one place.
fn packet_file(env: &TestEnv, id: &str) -> Value {
    let at = state_of(env, id);
    let text = env.read(&format!(".gemba/queues/{at}/{id}.json"));
    serde_json::from_str(&text).unwrap()
}

fn error_json(out: &Output) -> Value {
    serde_json::from_str(stderr(out).lines().last().unwrap_or(""))
        .unwrap_or_else(|e| panic!("no JSON error ({e}):\n{}", render(out)))
}

fn take(env: &TestEnv, agent: &str) -> String {
    let t = env.json(&["queue", "take", "--agent", agent]);
    t["packets"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("nothing taken: {t}"))
        .to_string()
}

fn events(env: &TestEnv, kind: &str) -> Vec<Value> {
    env.json(&["log", "--kind", kind])
        .as_array()
        .unwrap()
        .clone()
}

/// `gemba ARGS --json` at another time.
fn json_at(env: &TestEnv, now: &str, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    let out = env.cmd(&all).env("GEMBA_NOW", now).output().unwrap();
    assert!(out.status.success(), "{}", render(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_diamond_completes_in_dependency_order_and_a_failure_keeps_its_join_blocked() {
    let env = setup(&[&["alice"]]);
    enqueue(&env, &["--target", "alice", "--title", "A", "--id", "a"]);
    for id in ["b", "c"] {
        let e = enqueue(
            &env,
            &[
                "--target", "alice", "--title", id, "--id", id, "--after", "a",
            ],
        );
        assert_eq!(e["state"], "blocked");
    }
    let d = enqueue(
        &env,
        &[
            "--target", "alice", "--title", "D", "--id", "d", "--after", "b,c",
        ],
    );
    assert_eq!(d["waiting_for"], json!(["b", "c"]));

    // Only a is ready; its done unblocks b and c, not d.
    assert_eq!(take(&env, "alice"), "a");
    env.fails(3, &["queue", "take", "--agent", "alice"]);
    let done = env.json(&["queue", "done", "a"]);
    assert_eq!(done["unblocked"], json!(["b", "c"]));
    assert_eq!(state_of(&env, "d"), "alice/blocked");

    // b fails: requeued with the notes, d stays blocked behind it.
    assert_eq!(take(&env, "alice"), "b");
    let f = env.json(&["queue", "fail", "b", "--notes", "needs the db fixture"]);
    assert_eq!(f["state"], "ready");
    assert_eq!(f["dependents"], json!(["d"]));
    assert_eq!(f["packet"]["notes"][0]["text"], "needs the db fixture");
    assert_eq!(state_of(&env, "b"), "alice/ready");
    assert_eq!(state_of(&env, "d"), "alice/blocked");
    let rows = env.json(&["queue", "list", "--state", "blocked"]);
    assert_eq!(rows[0]["packet"]["id"], "d");
    assert_eq!(rows[0]["waiting_for"], json!(["b", "c"]));

    // The rest completes: d only after both b and c.
    let mut order = vec!["a".to_string()];
    for _ in 0..3 {
        let id = take(&env, "alice");
        let done = env.json(&["queue", "done", &id]);
        assert_eq!(done["state"], "done");
        order.push(id);
        if order.len() < 3 {
            assert_eq!(state_of(&env, "d"), "alice/blocked", "after {order:?}");
        }
    }
    assert_eq!(order.last().unwrap(), "d", "{order:?}");
    let b = packet_file(&env, "b");
    assert_eq!(b["attempts"], 1);
    assert_eq!(b["notes"][0]["text"], "needs the db fixture");
    // Each packet shipped once, in the order it was done.
    let shipped: Vec<String> = events(&env, "queue.shipped")
        .iter()
        .map(|e| e["data"]["packet"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(shipped, order);
    let (code, report) = crate::common::check_report(&env);
    assert_eq!(code, Some(0), "{report}");
}

#[test]
fn stages_are_handed_across_roles_and_end_in_the_ledger() {
    let env = setup(&[
        &["alice", "--role", "scout"],
        &["bob", "--role", "build", "--role", "ship"],
        &["carol", "--role", "build"],
    ]);
    // carol is busier than bob, so the build goes to bob.
    enqueue(&env, &["--target", "carol", "--title", "other work"]);
    let e = enqueue(
        &env,
        &[
            "--target",
            "alice",
            "--title",
            "Token refresh",
            "--id",
            "pk-tok",
            "--stages",
            "scout,build,ship",
        ],
    );
    assert_eq!(e["packet"]["stage"], "scout");

    // A packet for a stage an agent does not do is refused.
    let out = env.fails(
        1,
        &[
            "--json",
            "queue",
            "enqueue",
            "--target",
            "bob",
            "--title",
            "X",
            "--stages",
            "scout,build",
        ],
    );
    let err = error_json(&out);
    assert_eq!(err["code"], "invalid_input");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("needs role scout (bob has roles build, ship)"),
        "{err}"
    );

    env.json(&[
        "queue",
        "take",
        "--agent",
        "alice",
        "--session",
        "s-alice-1",
    ]);
    let d = env.json(&["queue", "done", "pk-tok", "--stage", "scout"]);
    assert_eq!(d["state"], "ready");
    assert_eq!(d["handed_to"], "bob");
    assert_eq!(d["packet"]["stage"], "build");
    assert_eq!(d["packet"]["agent"], "bob");
    assert!(d.get("shipped").is_none(), "{d}");
    assert_eq!(state_of(&env, "pk-tok"), "bob/ready");
    assert_eq!(packet_file(&env, "pk-tok")["agent"], "bob");

    // A stage other than the current one is refused, changing nothing.
    env.json(&["queue", "take", "--agent", "bob", "--session", "s-bob-1"]);
    let before = env.snapshot();
    let out = env.fails(1, &["--json", "queue", "done", "pk-tok", "--stage", "ship"]);
    assert_eq!(error_json(&out)["code"], "invalid_input");
    assert_eq!(env.snapshot(), before);

    // bob does ship too: the packet stays in his queue.
    let d = env.json(&["queue", "done", "pk-tok", "--stage", "build"]);
    assert!(d.get("handed_to").is_none(), "{d}");
    assert_eq!(state_of(&env, "pk-tok"), "bob/ready");
    env.json(&["queue", "take", "--agent", "bob", "--session", "s-bob-2"]);
    // Without --stage: the current stage, here the last.
    let d = env.json(&["queue", "done", "pk-tok"]);
    assert_eq!(d["state"], "done");
    assert_eq!(d["shipped"]["agents"], json!(["alice", "bob"]));
    assert_eq!(state_of(&env, "pk-tok"), "bob/done");

    let history = json!([
        {"stage": "scout", "agent": "alice", "session": "s-alice-1", "at": "2026-11-23T12:00:00Z"},
        {"stage": "build", "agent": "bob", "session": "s-bob-1", "at": "2026-11-23T12:00:00Z"},
        {"stage": "ship", "agent": "bob", "session": "s-bob-2", "at": "2026-11-23T12:00:00Z"},
    ]);
    assert_eq!(packet_file(&env, "pk-tok")["history"], history);

    // The ledger and the log say the same.
    let ledger = env.json(&["ledger"]);
    assert_eq!(ledger.as_array().unwrap().len(), 1, "{ledger}");
    let entry = &ledger[0];
    assert_eq!(entry["packet"], "pk-tok");
    assert_eq!(entry["title"], "Token refresh");
    assert_eq!(entry["stages"], json!(["scout", "build", "ship"]));
    assert_eq!(entry["agents"], json!(["alice", "bob"]));
    assert_eq!(entry["history"], history);
    assert_eq!(entry["shipped_at"], "2026-11-23T12:00:00Z");
    let logged = events(&env, "queue.shipped");
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0]["id"], entry["event"]);
    assert_eq!(logged[0]["data"]["agents"], json!(["alice", "bob"]));
    assert!(
        logged[0]["message"]
            .as_str()
            .unwrap()
            .contains("scout alice → build bob → ship bob"),
        "{}",
        logged[0]
    );
    let text = env.ok(&["ledger"]);
    assert!(text.contains("pk-tok"), "{text}");
    assert!(
        text.contains("scout alice → build bob → ship bob"),
        "{text}"
    );
    assert_eq!(
        env.json(&["ledger", "--agent", "alice"])[0]["packet"],
        "pk-tok"
    );
    assert_eq!(env.json(&["ledger", "--agent", "carol"]), json!([]));
    assert_eq!(env.json(&["ledger", "--since", "2026-11-24"]), json!([]));
    assert_eq!(
        env.json(&["ledger", "--since", "2026-11-23T11:00:00Z"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let out = env.fails(1, &["--json", "ledger", "--agent", "../x"]);
    assert_eq!(error_json(&out)["code"], "invalid_input");
    env.fails(2, &["ledger", "--since", "soon"]);
    let (code, report) = crate::common::check_report(&env);
    assert_eq!(code, Some(0), "{report}");
}

#[test]
fn a_stage_nobody_does_waits_until_reroute_finds_one() {
    let env = setup(&[&["alice", "--role", "build"]]);
    let config = env.read(".gemba/config.yaml");
    env.write(
        ".gemba/config.yaml",
        &config.replacen(
            "\nqueue:\n",
            "\nqueue:\n  stage_roles:\n    verify: review\n",
            1,
        ),
    );
    enqueue(
        &env,
        &[
            "--target",
            "alice",
            "--title",
            "Parser",
            "--id",
            "p",
            "--stages",
            "build,verify",
        ],
    );
    take(&env, "alice");
    let d = env.json(&["queue", "done", "p", "--stage", "build"]);
    assert_eq!(d["state"], "ready");
    assert_eq!(d["waiting"], "no other agent does role review");
    assert_eq!(state_of(&env, "p"), "alice/ready");
    let done = events(&env, "queue.done");
    assert_eq!(
        done[0]["data"]["waiting"],
        "no other agent does role review"
    );

    // alice does not do review: take skips it, list says why.
    let out = env.fails(3, &["queue", "take", "--agent", "alice"]);
    assert!(
        stderr(&out).contains("not for this agent (p: its stage needs role review"),
        "{}",
        render(&out)
    );
    let rows = env.json(&["queue", "list", "--agent", "alice"]);
    assert!(
        rows[0]["unfit"]
            .as_str()
            .unwrap()
            .contains("its stage needs role review (alice has roles build)"),
        "{rows}"
    );
    let r = env.json(&["queue", "reroute"]);
    assert_eq!(r["moved"], json!([]));
    assert_eq!(r["waiting"][0]["cause"], "unfit");
    assert_eq!(
        r["waiting"][0]["waiting"],
        "no other agent does role review"
    );

    // A reviewer arrives: a dry run says so and changes nothing.
    env.ok(&["agent", "add", "vera", "--role", "review"]);
    let before = env.snapshot();
    let dry = env.json(&["queue", "reroute", "--dry-run"]);
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["moved"][0]["to"], "vera");
    assert_eq!(env.snapshot(), before, "a dry run changes nothing");
    let r = env.json(&["queue", "reroute"]);
    assert_eq!(r["moved"][0]["packet"], "p");
    assert_eq!(r["moved"][0]["from"], "alice");
    assert_eq!(r["moved"][0]["to"], "vera");
    assert_eq!(state_of(&env, "p"), "vera/ready");
    let moved = events(&env, "queue.reroute");
    assert_eq!(moved.len(), 1);
    assert_eq!(moved[0]["data"]["from"], "alice");
    assert_eq!(moved[0]["data"]["to"], "vera");
    assert_eq!(moved[0]["data"]["cause"], "unfit");
    take(&env, "vera");
    let d = env.json(&["queue", "done", "p", "--stage", "verify"]);
    assert_eq!(d["shipped"]["agents"], json!(["alice", "vera"]));
    // Nothing left to do: no output, no event.
    let r = env.json(&["queue", "reroute"]);
    assert_eq!(
        r,
        json!({"dry_run": false, "moved": [], "waiting": [], "lost": 0})
    );
    assert_eq!(events(&env, "queue.reroute").len(), 1);
}

#[test]
fn requires_is_checked_at_enqueue_and_take() {
    let env = setup(&[&["alice", "--role", "build", "--tool", "cargo"]]);
    let before = env.snapshot();
    let out = env.fails(
        1,
        &[
            "--json",
            "queue",
            "enqueue",
            "--target",
            "alice",
            "--title",
            "Kernels",
            "--requires",
            "cuda",
        ],
    );
    let err = error_json(&out);
    assert_eq!(err["code"], "invalid_input");
    assert_eq!(
        err["message"],
        "agent \"alice\" does not fit: requires cuda (alice has roles build; tools cargo)"
    );
    assert!(err["hint"].as_str().unwrap().contains("reroute"), "{err}");
    let out = env.fails(
        1,
        &[
            "--json",
            "queue",
            "enqueue",
            "--target",
            "alice",
            "--title",
            "X",
            "--requires",
            "two words",
        ],
    );
    assert_eq!(error_json(&out)["code"], "invalid_input");
    assert_eq!(env.snapshot(), before, "refused enqueues change nothing");

    // A role or a tool it lists will do.
    enqueue(
        &env,
        &[
            "--target",
            "alice",
            "--title",
            "A",
            "--id",
            "a",
            "--requires",
            "cargo",
        ],
    );
    enqueue(
        &env,
        &[
            "--target",
            "alice",
            "--title",
            "B",
            "--id",
            "b",
            "--requires",
            "build",
        ],
    );
    // alice loses cargo: a stays ready, not for her; b is still hers.
    env.ok(&["agent", "edit", "alice", "--tool", "git"]);
    assert_eq!(take(&env, "alice"), "b");
    let out = env.fails(3, &["--json", "queue", "take", "--agent", "alice"]);
    let t: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(t["unfit"][0]["packet"], "a");
    assert_eq!(state_of(&env, "a"), "alice/ready");
    let r = env.json(&["queue", "reroute"]);
    assert_eq!(r["waiting"][0]["waiting"], "no other agent has cargo");
    assert_eq!(state_of(&env, "a"), "alice/ready");
    // An agent with cargo, and a generalist without it: only the first fits.
    env.ok(&["agent", "add", "gen"]);
    env.ok(&["agent", "add", "rusty", "--tool", "cargo"]);
    enqueue(&env, &["--target", "rusty", "--title", "busy"]);
    let r = env.json(&["queue", "reroute"]);
    assert_eq!(r["moved"][0]["to"], "rusty", "{r}");
    assert_eq!(state_of(&env, "a"), "rusty/ready");
    assert_eq!(packet_file(&env, "a")["agent"], "rusty");
}

#[test]
fn reroute_moves_the_packets_of_gone_and_saturated_agents() {
    let env = setup(&[&["alice"], &["bob"], &["carol"], &["dave"]]);
    for (agent, n) in [("alice", 2), ("carol", 1)] {
        for i in 0..n {
            let id = format!("{agent}-{i}");
            enqueue(&env, &["--target", agent, "--title", &id, "--id", &id]);
        }
    }
    // alice's agent file is removed: her ready packets go to the least
    // loaded (bob, then dave: carol has one already).
    std::fs::remove_file(env.gemba_dir().join("agents/alice.yaml")).unwrap();
    let r = env.json(&["queue", "reroute"]);
    let moves: Vec<(String, String)> = r["moved"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            assert_eq!(m["cause"], "gone", "{m}");
            (
                m["packet"].as_str().unwrap().to_string(),
                m["to"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        moves,
        [
            ("alice-0".to_string(), "bob".to_string()),
            ("alice-1".to_string(), "dave".to_string())
        ]
    );
    assert_eq!(state_of(&env, "alice-0"), "bob/ready");
    assert_eq!(packet_file(&env, "alice-1")["agent"], "dave");
    let logged = events(&env, "queue.reroute");
    assert_eq!(logged.len(), 2);
    assert!(
        logged[0]["data"]["reason"]
            .as_str()
            .unwrap()
            .contains("agent file was removed"),
        "{}",
        logged[0]
    );

    // carol gets five more: the two she would take last move to the
    // agents below the depth (3).
    for p in 0..5 {
        let id = format!("c{p}");
        enqueue(
            &env,
            &[
                "--target",
                "carol",
                "--title",
                &id,
                "--id",
                &id,
                "--priority",
                &p.to_string(),
            ],
        );
    }
    let r = env.json(&["queue", "reroute"]);
    let moved: Vec<(&str, &str)> = r["moved"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["packet"].as_str().unwrap(), m["to"].as_str().unwrap()))
        .collect();
    // carol has 6 for a depth of 3: the last three in take order leave
    // (c4, c3, then carol-0: priority 2 like c2, whose id sorts first);
    // bob and dave have one each, so they have room for two each.
    assert_eq!(
        moved,
        [("c4", "bob"), ("c3", "dave"), ("carol-0", "bob")],
        "{r}"
    );
    assert_eq!(r["moved"][0]["cause"], "saturated");

    // dave's only session ended two days ago: he is gone, and his
    // packets go elsewhere; before that, he is not.
    let session = env.ok(&["session", "start", "--agent", "dave"]);
    env.ok(&["session", "end", session.trim()]);
    let r = env.json(&["queue", "reroute", "--dry-run"]);
    assert_eq!(r["moved"], json!([]), "{r}");
    let r = json_at(&env, "2026-11-25T13:00:00Z", &["queue", "reroute"]);
    let moved: Vec<&str> = r["moved"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["packet"].as_str().unwrap())
        .collect();
    assert_eq!(moved, ["alice-1", "c3"], "{r}");
    assert!(
        r["moved"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("no live session since"),
        "{r}"
    );
    for (id, at) in places(&env) {
        assert_eq!(at.len(), 1, "{id} in {at:?}");
        assert!(!at[0].starts_with("dave/"), "{id} at {at:?}");
    }
    let (code, report) = crate::common::check_report(&env);
    assert_eq!(code, Some(0), "{report}");
}

#[test]
fn list_filters_by_state() {
    let env = setup(&[&["alice"], &["bob"]]);
    for id in ["a", "b"] {
        enqueue(&env, &["--target", "alice", "--title", id, "--id", id]);
    }
    enqueue(&env, &["--target", "bob", "--title", "c", "--id", "c"]);
    take(&env, "alice");
    let ids = |v: Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| r["packet"]["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        ids(env.json(&["queue", "list", "--state", "in_progress"])),
        ["a"]
    );
    assert_eq!(
        ids(env.json(&["queue", "list", "--state", "ready"])),
        ["b", "c"]
    );
    assert_eq!(
        ids(env.json(&["queue", "list", "--state", "ready", "--agent", "bob"])),
        ["c"]
    );
    assert_eq!(env.json(&["queue", "list", "--state", "failed"]), json!([]));
    let text = env.ok(&["queue", "list", "--state", "ready"]);
    assert!(
        text.contains("ready") && !text.contains("in_progress"),
        "{text}"
    );
    env.fails(2, &["queue", "list", "--state", "stuck"]);
    let out = env.fails(1, &["--json", "queue", "list", "--agent", "../x"]);
    assert_eq!(error_json(&out)["code"], "invalid_input");
}

#[test]
fn check_reports_bad_packets_with_their_place() {
    let env = setup(&[&["alice"], &["bob"]]);
    enqueue(&env, &["--target", "alice", "--title", "A", "--id", "a"]);
    enqueue(&env, &["--target", "bob", "--title", "B", "--id", "b"]);
    let (code, report) = crate::common::check_report(&env);
    assert_eq!(code, Some(0), "{report}");

    let q = ".gemba/queues";
    let a = env.read(&format!("{q}/alice/ready/a.json"));
    // Malformed JSON, an unknown field, a name that is not its id, a copy
    // in a second state, a packet in the wrong agent's queue, an after
    // cycle, a queue of an agent that does not exist, a stray tmp file.
    env.write(
        &format!("{q}/alice/ready/broken.json"),
        "{\n  \"id\": \"broken\",\n  oops\n}\n",
    );
    env.write(
        &format!("{q}/alice/ready/typo.json"),
        &a.replace("\"id\": \"a\"", "\"id\": \"typo\"")
            .replace("\"priority\"", "\"colour\": 1,\n  \"priority\""),
    );
    env.write(&format!("{q}/bob/ready/renamed.json"), &a);
    env.write(&format!("{q}/alice/done/a.json"), &a);
    env.write(
        &format!("{q}/bob/blocked/moved.json"),
        &a.replace("\"id\": \"a\"", "\"id\": \"moved\""),
    );
    for (id, after) in [("x", "y"), ("y", "x")] {
        env.write(
            &format!("{q}/bob/blocked/{id}.json"),
            &a.replace("\"id\": \"a\"", &format!("\"id\": \"{id}\""))
                .replace("\"agent\": \"alice\"", "\"agent\": \"bob\"")
                .replace(
                    "\"priority\"",
                    &format!("\"after\": [\"{after}\", \"gone\"],\n  \"priority\""),
                ),
        );
    }
    env.write(
        &format!("{q}/ghost/ready/g.json"),
        &a.replace("\"id\": \"a\"", "\"id\": \"g\"")
            .replace("\"agent\": \"alice\"", "\"agent\": \"ghost\""),
    );
    env.write(&format!("{q}/alice/tmp/pk-half.json"), "{}");

    let (code, report) = crate::common::check_report(&env);
    assert_eq!(code, Some(1), "{report}");
    let find = |list: &str, path: &str, text: &str| -> Value {
        report[list]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| {
                p["path"].as_str().unwrap().ends_with(path)
                    && p["message"].as_str().unwrap().contains(text)
            })
            .cloned()
            .unwrap_or_else(|| panic!("no {list} for {path} with {text:?} in {report:#}"))
    };
    let broken = find("errors", "alice/ready/broken.json", "");
    assert_eq!(broken["line"], 3, "{broken}");
    assert!(broken["column"].as_u64().unwrap() > 0, "{broken}");
    let typo = find("errors", "alice/ready/typo.json", "colour");
    assert!(typo["line"].as_u64().unwrap() > 1, "{typo}");
    find(
        "errors",
        "bob/ready/renamed.json",
        "does not match the file name",
    );
    find("errors", "alice/done/a.json", "is also in");
    find(
        "errors",
        "bob/blocked/moved.json",
        "does not match its queue (bob)",
    );
    find("errors", "bob/blocked/moved.json", "gemba queue rescan");
    find(
        "errors",
        "bob/blocked/x.json",
        "dependency cycle: x -> y -> x",
    );
    find(
        "warnings",
        "bob/blocked/x.json",
        "after \"gone\", which is in no queue",
    );
    find("warnings", "queues/ghost", "which has no agent file");
    find("warnings", "alice/tmp/pk-half.json", "enqueue");
    find("warnings", "bob/blocked/moved.json", "rescan");
    // The text form names path:line:col.
    let out = env.fails(1, &["check"]);
    assert!(
        stderr(&out).contains("alice/ready/broken.json:3:"),
        "{}",
        render(&out)
    );
}

#[test]
fn a_half_done_reroute_is_repaired_by_rescan() {
    let env = setup(&[&["alice"], &["bob"]]);
    enqueue(&env, &["--target", "alice", "--title", "A", "--id", "a"]);
    // What a reroute killed between its two renames leaves: the file in
    // the new agent's blocked/, still naming the old agent.
    let q = env.gemba_dir().join("queues");
    std::fs::create_dir_all(q.join("bob/blocked")).unwrap();
    std::fs::rename(q.join("alice/ready/a.json"), q.join("bob/blocked/a.json")).unwrap();
    let (code, report) = crate::common::check_report(&env);
    assert_eq!(code, Some(1), "{report}");
    assert!(
        report["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("gemba queue rescan"),
        "{report}"
    );
    let r = env.json(&["queue", "rescan"]);
    assert_eq!(r["unblocked"], json!(["a"]));
    assert_eq!(state_of(&env, "a"), "bob/ready");
    assert_eq!(packet_file(&env, "a")["agent"], "bob");
    let (code, report) = crate::common::check_report(&env);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(take(&env, "bob"), "a");
}

#[test]
fn reroute_racing_takers_moves_or_loses_each_packet_never_both() {
    let env = setup(&[&["alice"], &["bob"], &["carol"]]);
    let config = env.read(".gemba/config.yaml");
    env.write(
        ".gemba/config.yaml",
        &config.replacen("\nqueue:\n", "\nqueue:\n  target_depth: 10\n", 1),
    );
    let n = 24;
    for i in 0..n {
        let id = format!("p{i:02}");
        enqueue(&env, &["--target", "alice", "--title", &id, "--id", &id]);
    }
    for _ in 0..3 {
        let mut cmds: Vec<std::process::Command> = (0..4)
            .map(|_| env.cmd(&["queue", "take", "--agent", "alice", "--batch", "2"]))
            .collect();
        cmds.insert(2, env.cmd(&["--json", "queue", "reroute"]));
        let outs = crate::common::race_all(cmds);
        for out in &outs {
            assert!(matches!(out.status.code(), Some(0 | 3)), "{}", render(out));
        }
        let p = places(&env);
        assert_eq!(p.len(), n, "no packet lost: {p:?}");
        for (id, at) in &p {
            assert_eq!(at.len(), 1, "{id} in {at:?}");
            let agent = at[0].split('/').next().unwrap();
            assert_eq!(packet_file(&env, id)["agent"], agent, "{id} at {at:?}");
        }
        // Everything back to ready (leases expire) for the next round.
        json_at(&env, "2030-01-01T00:00:00Z", &["queue", "recover"]);
    }
    let moved = events(&env, "queue.reroute").len();
    assert!(moved > 0, "reroute moved something");
    let (code, report) = crate::common::check_report(&env);
    assert_eq!(code, Some(0), "{report}");
}
