//! The queue at scale (issue 14's proofs): 8 processes drain 5,000 packets
//! over 2 agents' queues, each packet done exactly once; a drainer killed
//! with SIGKILL between take and done loses nothing (`queue recover` after
//! the lease returns its packet, which is then done); `take --wait` reacts
//! to a change at once and rescans every `queue.idle_rescan`; a take by a
//! session renews that session's other leases.
//!
//! The drainers are real processes racing on the files: this test binary
//! re-run as a child ([`queue_drainer_child`]) that drains through the
//! library, as a long-lived drainer would (whole commands for 5,000
//! packets would take minutes of process start-up on a debug build). The
//! whole-command path races too, on fewer packets by default
//! (`GEMBA_SCALE_COMMAND_PACKETS=5000` for the full figure).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{TestEnv, render};

const STATES: [&str; 5] = ["ready", "blocked", "in_progress", "done", "failed"];
const CHILD_ENV: &str = "GEMBA_TEST_DRAINER";

fn setup(agents: &[&str]) -> TestEnv {
    let env = TestEnv::init();
    for a in agents {
        env.ok(&["agent", "add", a]);
    }
    env
}

/// `n` packets, `pk-00000`.., alternating over `agents`, through
/// `queue enqueue --from` (one command).
fn enqueue_many(env: &TestEnv, agents: &[&str], n: usize) {
    let mut text = String::new();
    for i in 0..n {
        let line = serde_json::json!({
            "target": agents[i % agents.len()],
            "id": format!("pk-{i:05}"),
            "title": format!("packet {i}"),
            "priority": i % 5,
        });
        text.push_str(&format!("{line}\n"));
    }
    env.write("packets.jsonl", &text);
    let out = env.json(&["queue", "enqueue", "--from", "packets.jsonl"]);
    assert_eq!(out["packets"].as_array().unwrap().len(), n);
}

/// Every packet file by id: `agent/state` for each place it is in.
fn places(env: &TestEnv) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for agent in std::fs::read_dir(env.gemba_dir().join("queues")).unwrap() {
        let agent = agent.unwrap().path();
        let name = agent.file_name().unwrap().to_string_lossy().into_owned();
        for state in STATES {
            let Ok(entries) = std::fs::read_dir(agent.join(state)) else {
                continue;
            };
            for e in entries {
                let file = e.unwrap().file_name().into_string().unwrap();
                if let Some(id) = file.strip_suffix(".json") {
                    out.entry(id.to_string())
                        .or_default()
                        .push(format!("{name}/{state}"));
                }
            }
        }
    }
    out
}

/// The events of the log files, read directly (thousands of lines).
fn events(env: &TestEnv) -> Vec<Value> {
    let mut out = Vec::new();
    for day in std::fs::read_dir(env.gemba_dir().join("log")).unwrap() {
        let text = std::fs::read_to_string(day.unwrap().path()).unwrap();
        out.extend(
            text.lines()
                .map(|l| serde_json::from_str::<Value>(l).unwrap()),
        );
    }
    out
}

/// How many events of `kind` name each packet.
fn per_packet(events: &[Value], kind: &str) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for e in events.iter().filter(|e| e["kind"] == kind) {
        let id = e["data"]["packet"].as_str().unwrap().to_string();
        *out.entry(id).or_insert(0) += 1;
    }
    out
}

/// A drainer process: this test binary running [`queue_drainer_child`].
fn spawn_drainer(env: &TestEnv, agent: &str, session: &str, work_ms: u64) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "test_queue_scale::queue_drainer_child",
            "--nocapture",
            "--test-threads=1",
            "-q",
        ])
        .env(
            CHILD_ENV,
            format!("{}|{agent}|{session}|{work_ms}", env.gemba_dir().display()),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The ids a drainer printed as `done <id>` lines.
fn done_lines(out: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(out)
        .lines()
        .filter_map(|l| l.strip_prefix("done "))
        .map(String::from)
        .collect()
}

/// Not a test of its own: the body of a drainer process (see
/// [`spawn_drainer`]). Takes from its agent's queue through the library
/// until nothing is left, printing `took <id>` and `done <id>`, with
/// `work_ms` of "work" between take and done.
#[test]
#[ignore = "run as a child process by the scale tests"]
fn queue_drainer_child() {
    use std::io::Write;
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let parts: Vec<&str> = spec.split('|').collect();
    let (root, agent, session) = (PathBuf::from(parts[0]), parts[1], parts[2]);
    let work = Duration::from_millis(parts[3].parse().unwrap());
    let store = gemba::store::Store::open(&root, None).unwrap();
    let req = gemba::queue::Take {
        agent: agent.to_string(),
        session: Some(session.to_string()),
        batch: 1,
        lease: None,
    };
    let mut stdout = std::io::stdout().lock();
    loop {
        let now = jiff::Timestamp::now();
        let taken = gemba::queue::take(&store, &req, "drainer", now).unwrap();
        let Some(p) = taken.packets.first() else {
            break;
        };
        writeln!(stdout, "took {}", p.id).unwrap();
        stdout.flush().unwrap();
        std::thread::sleep(work);
        let now = jiff::Timestamp::now();
        gemba::queue::done(&store, &p.id, None, Some(session), "drainer", now).unwrap();
        writeln!(stdout, "done {}", p.id).unwrap();
    }
}

#[test]
fn eight_processes_drain_5000_packets_exactly_once() {
    const N: usize = 5_000;
    let agents = ["alice", "bob"];
    let env = setup(&agents);
    let start = Instant::now();
    enqueue_many(&env, &agents, N);
    let enqueued = start.elapsed();

    let start = Instant::now();
    let children: Vec<Child> = (0..8)
        .map(|i| spawn_drainer(&env, agents[i % 2], &format!("s-drain-{i}"), 0))
        .collect();
    let mut by_child = Vec::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "drainer:\n{}", render(&out));
        by_child.push(done_lines(&out.stdout));
    }
    let drained = start.elapsed();
    eprintln!(
        "{N} packets: enqueued in {:.1} s, drained by 8 processes in {:.1} s ({:.0} packets/s, debug build)",
        enqueued.as_secs_f64(),
        drained.as_secs_f64(),
        N as f64 / drained.as_secs_f64()
    );

    // Every packet done exactly once, by one drainer; none lost.
    let all: Vec<String> = by_child.iter().flatten().cloned().collect();
    let unique: BTreeSet<&String> = all.iter().collect();
    assert_eq!(all.len(), N, "done reports");
    assert_eq!(unique.len(), N, "no packet done twice");
    assert!(
        by_child.iter().filter(|d| !d.is_empty()).count() >= 2,
        "several drainers got work"
    );
    let p = places(&env);
    assert_eq!(p.len(), N, "no packet lost");
    for (id, at) in &p {
        assert_eq!(at.len(), 1, "{id} in {at:?}");
        assert!(at[0].ends_with("/done"), "{id} in {at:?}");
    }
    for a in agents {
        let n = std::fs::read_dir(env.gemba_dir().join("queues").join(a).join("done"))
            .unwrap()
            .count();
        assert_eq!(n, N / 2, "{a}'s done/");
    }
    // And the log says so: one take and one done per packet.
    let ev = events(&env);
    for kind in ["queue.enqueue", "queue.take", "queue.done"] {
        let counts = per_packet(&ev, kind);
        assert_eq!(counts.len(), N, "{kind}: every packet");
        assert!(counts.values().all(|&c| c == 1), "{kind}: once each");
    }
    let (code, report) = crate::common::check_report(&env);
    assert_eq!(code, Some(0), "{report}");
}

#[test]
fn racing_take_and_done_commands_lose_and_duplicate_nothing() {
    let n: usize = std::env::var("GEMBA_SCALE_COMMAND_PACKETS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(160);
    let agents = ["alice", "bob"];
    let env = setup(&agents);
    enqueue_many(&env, &agents, n);
    let start = Instant::now();
    let draining = std::sync::atomic::AtomicBool::new(true);
    let mut lists = 0;
    let done: Vec<Vec<String>> = std::thread::scope(|s| {
        // Listing every queue while takes move packets between listings
        // must never see one in two places.
        let lister = s.spawn(|| {
            let mut n = 0;
            while draining.load(std::sync::atomic::Ordering::Relaxed) {
                let out = env.cmd(&["--json", "queue", "list"]).output().unwrap();
                assert!(out.status.success(), "list:\n{}", render(&out));
                n += 1;
            }
            n
        });
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let env = &env;
                s.spawn(move || {
                    let agent = agents[i % 2];
                    let session = format!("s-cmd-{i}");
                    let mut mine = Vec::new();
                    loop {
                        let out = env
                            .cmd(&["--json", "queue", "take", "--agent", agent, "-s", &session])
                            .output()
                            .unwrap();
                        match out.status.code() {
                            Some(0) => {}
                            Some(3) => break,
                            _ => panic!("take:\n{}", render(&out)),
                        }
                        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
                        let id = v["packets"][0]["id"].as_str().unwrap().to_string();
                        let out = env
                            .cmd(&["queue", "done", &id, "-s", &session])
                            .output()
                            .unwrap();
                        assert!(out.status.success(), "done {id}:\n{}", render(&out));
                        mine.push(id);
                    }
                    mine
                })
            })
            .collect();
        let done = handles.into_iter().map(|h| h.join().unwrap()).collect();
        draining.store(false, std::sync::atomic::Ordering::Relaxed);
        lists = lister.join().unwrap();
        done
    });
    assert!(lists > 0);
    eprintln!(
        "{n} packets drained by 8 command loops in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    let all: Vec<&String> = done.iter().flatten().collect();
    let unique: BTreeSet<&&String> = all.iter().collect();
    assert_eq!((all.len(), unique.len()), (n, n), "each packet once");
    let p = places(&env);
    assert_eq!(p.len(), n);
    assert!(
        p.values()
            .all(|at| at.len() == 1 && at[0].ends_with("/done"))
    );
    let ev = events(&env);
    for kind in ["queue.take", "queue.done"] {
        let counts = per_packet(&ev, kind);
        assert_eq!(counts.len(), n, "{kind}");
        assert!(counts.values().all(|&c| c == 1), "{kind}: once each");
    }
}

/// Set `queue.lease` in config.yaml.
fn set_lease(env: &TestEnv, lease: &str) {
    let config = env.read(".gemba/config.yaml");
    let at = config.find("\nqueue:").expect("a queue section");
    let (head, tail) = config.split_at(at);
    let tail = tail.replacen("lease: 2h", &format!("lease: {lease}"), 1);
    env.write(".gemba/config.yaml", &format!("{head}{tail}"));
}

/// Read a child's stdout lines until one starts with `took `.
fn first_take(child: &mut Child) -> (String, BufReader<std::process::ChildStdout>) {
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            reader.read_line(&mut line).unwrap() > 0,
            "drainer took nothing"
        );
        if let Some(id) = line.trim().strip_prefix("took ") {
            return (id.to_string(), reader);
        }
    }
}

fn real_now() -> String {
    jiff::Timestamp::now().to_string()
}

#[test]
fn a_drainer_killed_mid_packet_loses_nothing() {
    const N: usize = 40;
    let env = setup(&["alice"]);
    set_lease(&env, "3s");
    enqueue_many(&env, &["alice"], N);

    // One drainer is killed between its take and its done; another is
    // killed wherever it is; a third drains what is left.
    let mut victim = spawn_drainer(&env, "alice", "s-victim", 60_000);
    let (held, _out) = first_take(&mut victim);
    let mut random = spawn_drainer(&env, "alice", "s-random", 5);
    let survivor = spawn_drainer(&env, "alice", "s-survivor", 2);
    std::thread::sleep(Duration::from_millis(150));
    victim.kill().unwrap(); // SIGKILL
    random.kill().unwrap();
    let _ = victim.wait();
    let _ = random.wait();
    let killed_at = Instant::now();
    let out = survivor.wait_with_output().unwrap();
    assert!(out.status.success(), "survivor:\n{}", render(&out));

    let p = places(&env);
    assert_eq!(p.len(), N, "nothing lost");
    assert!(p.values().all(|at| at.len() == 1), "nothing in two places");
    assert_eq!(p[&held], ["alice/in_progress"], "the victim's packet waits");
    let stuck: Vec<String> = p
        .iter()
        .filter(|(_, at)| at[0] != "alice/done")
        .map(|(id, _)| id.clone())
        .collect();
    assert!(
        stuck.len() <= 2,
        "only the killed drainers' packets: {stuck:?}"
    );

    // Once the 3 s lease is over, recover returns them to ready/ ...
    let left = Duration::from_millis(3_200).saturating_sub(killed_at.elapsed());
    std::thread::sleep(left);
    let out = env
        .cmd(&["--json", "queue", "recover"])
        .env("GEMBA_NOW", real_now())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", render(&out));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let recovered: BTreeSet<&str> = r["packets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["packet"].as_str().unwrap())
        .collect();
    assert_eq!(recovered, stuck.iter().map(String::as_str).collect(), "{r}");
    assert!(recovered.contains(held.as_str()));

    // ... and then they are done like any other: every packet done once.
    let finisher = spawn_drainer(&env, "alice", "s-finisher", 0);
    let out = finisher.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", render(&out));
    assert!(done_lines(&out.stdout).contains(&held));
    let p = places(&env);
    assert_eq!(p.len(), N);
    assert!(p.values().all(|at| at == &["alice/done"]), "{p:?}");
    let ev = events(&env);
    let done = per_packet(&ev, "queue.done");
    assert!(done.values().all(|&c| c == 1), "done once each");
    // A kill between the rename to done/ and the log append loses that
    // one line, never a packet.
    assert!(done.len() >= N - 1, "{} done events", done.len());
    assert_eq!(
        ev.iter().filter(|e| e["kind"] == "queue.recover").count(),
        1
    );
}

/// A `take --wait` process, its start time.
fn waiting_take(env: &TestEnv, wait: &str) -> (Child, Instant) {
    let child = env
        .cmd(&[
            "--json", "queue", "take", "--agent", "alice", "--wait", wait,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    (child, Instant::now())
}

fn taken_id(child: Child) -> (Option<String>, Option<i32>) {
    let out = child.wait_with_output().unwrap();
    let id = serde_json::from_slice::<Value>(&out.stdout)
        .ok()
        .and_then(|v| v["packets"][0]["id"].as_str().map(String::from));
    (id, out.status.code())
}

fn move_by_hand(env: &TestEnv, id: &str, from: &str, to: &str) {
    let q = env.gemba_dir().join("queues/alice");
    let to_dir = q.join(to);
    std::fs::create_dir_all(&to_dir).unwrap();
    std::fs::rename(
        q.join(from).join(format!("{id}.json")),
        to_dir.join(format!("{id}.json")),
    )
    .unwrap();
}

#[test]
fn take_wait_reacts_at_once_and_rescans_when_idle() {
    let env = setup(&["alice"]);
    // 1. An enqueue while a taker waits is taken at once, not at the
    //    next idle rescan (5 minutes by default).
    let (child, started) = waiting_take(&env, "30");
    std::thread::sleep(Duration::from_millis(700));
    env.ok(&[
        "queue", "enqueue", "--target", "alice", "--title", "A", "--id", "a",
    ]);
    let (id, code) = taken_id(child);
    assert_eq!((id.as_deref(), code), (Some("a"), Some(0)));
    assert!(started.elapsed() < Duration::from_secs(10), "at once");

    // 2. A prerequisite finished elsewhere (moved to done/ by hand, as a
    //    merge from another clone would) unblocks its dependent only at
    //    a rescan: with the default idle_rescan, not within the wait ...
    env.ok(&[
        "queue", "enqueue", "--target", "alice", "--title", "B", "--id", "b", "--after", "a",
    ]);
    move_by_hand(&env, "a", "in_progress", "done");
    let (child, _) = waiting_take(&env, "1");
    assert_eq!(taken_id(child), (None, Some(3)));
    // ... and with a short one, at the first idle rescan.
    let config = env.read(".gemba/config.yaml");
    env.write(
        ".gemba/config.yaml",
        &config.replacen("\nqueue:\n", "\nqueue:\n  idle_rescan: 1s\n", 1),
    );
    let (child, started) = waiting_take(&env, "30");
    let (id, code) = taken_id(child);
    assert_eq!((id.as_deref(), code), (Some("b"), Some(0)));
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(900),
        "{waited:?}: at the rescan"
    );
    let kinds: Vec<String> = events(&env)
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect();
    assert!(kinds.contains(&"queue.unblock".to_string()), "{kinds:?}");
}

#[test]
fn a_take_or_done_renews_the_sessions_other_leases() {
    let env = setup(&["alice"]);
    for id in ["a", "b", "c"] {
        env.ok(&[
            "queue", "enqueue", "--target", "alice", "--title", id, "--id", id,
        ]);
    }
    let at = |now: &str, args: &[&str]| -> Value {
        let out = env.cmd(args).env("GEMBA_NOW", now).output().unwrap();
        assert!(out.status.success(), "{}", render(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let lease_of = |id: &str| -> String {
        let rows = env.json(&["queue", "list", "--agent", "alice"]);
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["packet"]["id"] == id)
            .map(|r| {
                r["packet"]["lease"]["until"]
                    .as_str()
                    .unwrap_or("")
                    .to_string()
            })
            .unwrap()
    };
    let take = ["--json", "queue", "take", "--agent", "alice", "-s", "s-1"];
    at("2026-11-23T12:00:00Z", &take); // a until 14:00
    // Early in a's lease another take by s-1 rewrites nothing else.
    at("2026-11-23T12:30:00Z", &take); // b until 14:30
    assert_eq!(lease_of("a"), "2026-11-23T14:00:00Z");
    let renews = |env: &TestEnv| {
        events(env)
            .into_iter()
            .filter(|e| e["kind"] == "queue.renew")
            .collect::<Vec<_>>()
    };
    assert!(renews(&env).is_empty(), "no event when nothing was renewed");
    // Past half of a's lease, s-1's next take renews a (b is still fresh).
    at("2026-11-23T13:10:00Z", &take); // c
    assert_eq!(lease_of("a"), "2026-11-23T15:10:00Z");
    assert_eq!(lease_of("b"), "2026-11-23T14:30:00Z");
    let r = renews(&env);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0]["data"]["packets"], serde_json::json!(["a"]));
    assert_eq!(r[0]["data"]["session"], "s-1");
    // A done by the session renews what is due: b (past half), not a.
    at(
        "2026-11-23T13:40:00Z",
        &["--json", "queue", "done", "c", "-s", "s-1"],
    );
    assert_eq!(lease_of("b"), "2026-11-23T15:40:00Z");
    assert_eq!(lease_of("a"), "2026-11-23T15:10:00Z");
    assert_eq!(renews(&env).len(), 2);
    // Another session's take renews nothing of s-1's.
    env.ok(&[
        "queue", "enqueue", "--target", "alice", "--title", "d", "--id", "d",
    ]);
    at(
        "2026-11-23T15:00:00Z",
        &["--json", "queue", "take", "--agent", "alice", "-s", "s-2"],
    );
    assert_eq!(lease_of("a"), "2026-11-23T15:10:00Z");
    assert_eq!(renews(&env).len(), 2);
}

#[test]
fn enqueue_from_a_file_checks_every_line_first() {
    let env = setup(&["alice", "bob"]);
    let before = env.snapshot();
    let cases: [(&str, &str, &str); 6] = [
        (
            "{\"target\":\"alice\",\"title\":\"A\"}\n{\"target\":\"alice\",\"titel\":\"B\"}\n",
            "parse_error",
            "bad.jsonl:2:",
        ),
        (
            "{\"target\":\"alice\",\"title\":\"A\"\n",
            "parse_error",
            "bad.jsonl:1:",
        ),
        (
            "{\"target\":\"alice\",\"title\":\"A\"}\n\n{\"target\":\"carol\",\"title\":\"C\"}\n",
            "not_found",
            "bad.jsonl:3: unknown agent \"carol\"",
        ),
        (
            "{\"target\":\"alice\",\"title\":\"A\",\"id\":\"../x\"}\n",
            "invalid_input",
            "bad.jsonl:1:",
        ),
        (
            "{\"target\":\"alice\",\"title\":\"A\",\"id\":\"a\",\"after\":[\"b\"]}\n{\"target\":\"bob\",\"title\":\"B\",\"id\":\"b\",\"after\":[\"a\"]}\n",
            "conflict",
            "a -> b -> a",
        ),
        (
            "{\"target\":\"alice\",\"title\":\"A\",\"id\":\"a\"}\n{\"target\":\"bob\",\"title\":\"B\",\"id\":\"a\"}\n",
            "conflict",
            "bad.jsonl:2: packet \"a\" already exists",
        ),
    ];
    for (text, code, says) in cases {
        env.write("bad.jsonl", text);
        let out = env.fails(1, &["--json", "queue", "enqueue", "--from", "bad.jsonl"]);
        let err: Value =
            serde_json::from_str(crate::common::stderr(&out).lines().last().unwrap()).unwrap();
        assert_eq!(err["code"], code, "{text}: {err}");
        assert!(
            err["message"].as_str().unwrap().contains(says),
            "{text}: {err}"
        );
        env.write("bad.jsonl", "");
    }
    std::fs::remove_file(env.root.join("bad.jsonl")).unwrap();
    assert_eq!(env.snapshot(), before, "bad input changed nothing");

    // A DAG in one file, `after` pointing forward and across agents, with
    // --target as the default agent.
    env.write(
        "dag.jsonl",
        "{\"id\":\"top\",\"title\":\"Top\",\"after\":[\"left\",\"right\"]}\n\
         {\"id\":\"left\",\"title\":\"Left\",\"after\":[\"root\"],\"target\":\"bob\"}\n\
         {\"id\":\"right\",\"title\":\"Right\",\"after\":[\"root\"],\"targets\":[\"src/**\"]}\n\
         {\"id\":\"root\",\"title\":\"Root\",\"priority\":0}\n",
    );
    let out = env.json(&[
        "queue",
        "enqueue",
        "--from",
        "dag.jsonl",
        "--target",
        "alice",
    ]);
    let states: Vec<(&str, &str)> = out["packets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["packet"]["id"].as_str().unwrap(),
                e["state"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            ("top", "blocked"),
            ("left", "blocked"),
            ("right", "blocked"),
            ("root", "ready")
        ]
    );
    assert_eq!(places(&env)["left"], ["bob/blocked"]);
    // The diamond completes in dependency order through the fast paths.
    let mut order = Vec::new();
    for agent in ["alice", "bob", "alice", "alice"] {
        let t = env.json(&["queue", "take", "--agent", agent]);
        let id = t["packets"][0]["id"].as_str().unwrap().to_string();
        env.ok(&["queue", "done", &id]);
        order.push(id);
    }
    assert_eq!(order, ["root", "left", "right", "top"]);
    let (code, report) = crate::common::check_report(&env);
    assert_eq!(code, Some(0), "{report}");
}

/// The kept ordering keys are a cache: deleting or damaging the index
/// file, or editing a ready packet by hand, changes no outcome.
#[test]
fn the_key_index_is_never_the_truth() {
    let env = setup(&["alice"]);
    enqueue_many(&env, &["alice"], 6); // priorities 0..4, 0
    let index = env.gemba_dir().join("index/queues/alice.ready.keys");
    assert!(index.is_file(), "enqueue --from wrote the index");
    std::fs::write(&index, b"GEMBAQK\0garbage").unwrap();
    let first = env.json(&["queue", "take", "--agent", "alice"]);
    assert_eq!(first["packets"][0]["id"], "pk-00000");
    // A hand edit of a ready packet, with the index gone: re-read.
    let path = env.gemba_dir().join("queues/alice/ready/pk-00004.json");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("\"priority\": 4", "\"priority\": 0")).unwrap();
    std::fs::remove_file(&index).unwrap();
    let t = env.json(&["queue", "take", "--agent", "alice"]);
    assert_eq!(t["packets"][0]["id"], "pk-00004", "its new priority counts");
    assert!(index.is_file(), "the take wrote the index again");
    let rest: Vec<String> = (0..4)
        .map(|_| {
            env.json(&["queue", "take", "--agent", "alice"])["packets"][0]["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(rest, ["pk-00005", "pk-00001", "pk-00002", "pk-00003"]);
}
