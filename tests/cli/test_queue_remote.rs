//! `gemba queue` across clones (`claims.remote`): drainers on two clones
//! of one queue take every packet exactly once, through
//! `refs/gemba/takes/<packet>` on a bare remote; an unreachable remote
//! follows `claims.on_unreachable`; a packet given back (failed, recovered)
//! is taken again on the other clone once that clone has the requeue.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::common::*;

/// `claims:` in config.yaml with these lines instead of the default
/// `on_unreachable: fail`.
fn set_claims(dir: &Path, lines: &str) {
    let path = dir.join(".gemba/config.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("  on_unreachable: fail\n"), "{text}");
    std::fs::write(&path, text.replace("  on_unreachable: fail\n", lines)).unwrap();
}

/// A bare repository as the shared remote and two clones of it, each with
/// the same committed queue of `n` packets `q-00` … for agent alice and
/// `claims.remote: origin`.
struct Shared {
    env: TestEnv,
    remote: PathBuf,
    a: PathBuf,
    b: PathBuf,
}

fn shared(n: usize) -> Shared {
    let env = TestEnv::init();
    env.ok(&["agent", "add", "alice"]);
    for i in 0..n {
        env.ok(&[
            "queue",
            "enqueue",
            "--target",
            "alice",
            "--title",
            &format!("packet {i}"),
            "--id",
            &format!("q-{i:02}"),
        ]);
    }
    set_claims(&env.root, "  remote: origin\n  on_unreachable: fail\n");
    env.git(&["add", "-A"]);
    env.git(&["commit", "-q", "-m", "a queue and a claims remote"]);
    let top = env.tmp.path().to_path_buf();
    let remote = top.join("remote.git");
    env.git_in(&top, &["clone", "-q", "--bare", "repo", "remote.git"]);
    let (a, b) = (top.join("a"), top.join("b"));
    for dir in [&a, &b] {
        env.git_in(&top, &["clone", "-q", "remote.git", dir.to_str().unwrap()]);
    }
    Shared { env, remote, a, b }
}

impl Shared {
    fn run(&self, dir: &Path, args: &[&str]) -> Output {
        self.env.cmd_in(dir, args).output().unwrap()
    }

    fn run_at(&self, dir: &Path, now: &str, args: &[&str]) -> Output {
        let mut cmd = self.env.cmd_in(dir, args);
        cmd.env("GEMBA_NOW", now);
        cmd.output().unwrap()
    }

    /// Run with `--json`, expect `code`, parse stdout.
    fn json(&self, dir: &Path, code: i32, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = self.run(dir, &all);
        assert_eq!(out.status.code(), Some(code), "{all:?}:\n{}", render(&out));
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
    }

    /// The take refs on the remote: packet → the record its commit holds.
    fn remote_takes(&self) -> BTreeMap<String, Value> {
        self.env.remote_records(&self.remote, "takes")
    }

    /// This clone's name in take records.
    fn clone_name(&self, dir: &Path) -> String {
        std::fs::read_to_string(dir.join(".git/gemba-clone"))
            .unwrap()
            .trim()
            .to_string()
    }
}

/// The packet ids in each state directory of alice's queue in `dir`.
fn states(dir: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let queue = dir.join(".gemba/queues/alice");
    ["ready", "in_progress", "done", "failed"]
        .iter()
        .map(|state| {
            let ids = std::fs::read_dir(queue.join(state))
                .map(|entries| {
                    entries
                        .map(|e| e.unwrap().file_name().into_string().unwrap())
                        .filter_map(|n| n.strip_suffix(".json").map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            (state.to_string(), ids)
        })
        .collect()
}

fn packet_file(dir: &Path, state: &str, id: &str) -> Value {
    let path = dir.join(format!(".gemba/queues/alice/{state}/{id}.json"));
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

/// Events of `kind` in the log of `dir`.
fn events(dir: &Path, kind: &str) -> Vec<Value> {
    let Ok(entries) = std::fs::read_dir(dir.join(".gemba/log")) else {
        return Vec::new();
    };
    entries
        .flat_map(|e| {
            std::fs::read_to_string(e.unwrap().path())
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str::<Value>(l).unwrap())
                .collect::<Vec<_>>()
        })
        .filter(|e| e["kind"] == kind)
        .collect()
}

fn error_json(out: &Output) -> Value {
    serde_json::from_str(stderr(out).lines().last().unwrap_or(""))
        .unwrap_or_else(|e| panic!("no JSON error ({e}):\n{}", render(out)))
}

/// Take and finish packets in `dir` as `session` until the queue has
/// nothing left for this clone (exit 3); returns the packets taken.
fn drain(s: &Shared, dir: &Path, session: &str) -> Vec<String> {
    let mut got = Vec::new();
    loop {
        let out = s.run(
            dir,
            &[
                "--json",
                "queue",
                "take",
                "--agent",
                "alice",
                "--session",
                session,
            ],
        );
        match out.status.code() {
            Some(3) => return got,
            Some(0) => {}
            _ => panic!("take in {}:\n{}", dir.display(), render(&out)),
        }
        let taken: Value = serde_json::from_slice(&out.stdout).unwrap();
        let packets = taken["packets"].as_array().unwrap();
        assert_eq!(packets.len(), 1, "{taken}");
        for p in packets {
            let id = p["id"].as_str().unwrap();
            assert_eq!(p["lease"]["session"], session);
            assert_eq!(p["lease"]["remote"]["remote"], "origin", "{p}");
            // It is ours: done succeeds on it, as its holder.
            let done = s.run(dir, &["queue", "done", id, "--session", session]);
            assert!(done.status.success(), "done {id}:\n{}", render(&done));
            got.push(id.to_string());
        }
    }
}

#[test]
fn drainers_on_two_clones_take_every_packet_exactly_once() {
    const PACKETS: usize = 20;
    let s = shared(PACKETS);
    let drainers = [
        (&s.a, "s-a1"),
        (&s.a, "s-a2"),
        (&s.b, "s-b1"),
        (&s.b, "s-b2"),
    ];
    let start = std::time::Instant::now();
    let got: Vec<Vec<String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = drainers
            .iter()
            .map(|(dir, session)| {
                let s = &s;
                scope.spawn(move || drain(s, dir, session))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    eprintln!(
        "4 drainers on 2 clones, {PACKETS} packets: {:?}",
        start.elapsed()
    );

    // Every packet taken once, over both clones.
    let mut holder: BTreeMap<&str, &str> = BTreeMap::new();
    for ((_, session), ids) in drainers.iter().zip(&got) {
        for id in ids {
            if let Some(other) = holder.insert(id.as_str(), session) {
                panic!("{id} taken by {other} and by {session}");
            }
        }
    }
    let all: BTreeSet<String> = (0..PACKETS).map(|i| format!("q-{i:02}")).collect();
    assert_eq!(
        holder
            .keys()
            .map(|k| k.to_string())
            .collect::<BTreeSet<_>>(),
        all
    );
    let per_clone = |dir: &Path| -> BTreeSet<String> {
        drainers
            .iter()
            .zip(&got)
            .filter(|((d, _), _)| *d == dir)
            .flat_map(|(_, ids)| ids.iter().cloned())
            .collect()
    };
    let (on_a, on_b) = (per_clone(&s.a), per_clone(&s.b));
    eprintln!("clone a took {}, clone b took {}", on_a.len(), on_b.len());

    // The remote has one take ref per packet, naming the clone and the
    // session that reported it; done left them in place.
    let refs = s.remote_takes();
    assert_eq!(refs.len(), PACKETS, "{:?}", refs.keys());
    let (name_a, name_b) = (s.clone_name(&s.a), s.clone_name(&s.b));
    assert_ne!(name_a, name_b);
    for (id, record) in &refs {
        let session = holder[id.as_str()];
        assert_eq!(record["session"], session, "{id}: {record}");
        let clone = if on_a.contains(id) { &name_a } else { &name_b };
        assert_eq!(record["clone"], *clone, "{id}: {record}");
        assert_eq!(record["agent"], "alice");
        assert_eq!(record.get("released"), None, "{id}: {record}");
    }

    // Each clone has done what it took; what the other clone took is
    // still ready here (the queue files travel by git, later), and the
    // log has one take per packet taken here.
    for (dir, mine, theirs) in [(&s.a, &on_a, &on_b), (&s.b, &on_b, &on_a)] {
        let st = states(dir);
        assert_eq!(&st["done"], mine, "{}", dir.display());
        assert_eq!(&st["ready"], theirs, "{}", dir.display());
        assert!(st["in_progress"].is_empty());
        let takes: BTreeSet<String> = events(dir, "queue.take")
            .iter()
            .map(|e| {
                assert_eq!(e["data"]["remote"], "origin");
                e["data"]["packet"].as_str().unwrap().to_string()
            })
            .collect();
        assert_eq!(&takes, mine);
        assert_eq!(events(dir, "queue.take").len(), mine.len());
    }

    // A later take on a clone skips the others' packets without a push
    // (known from the losses), and sync says the same from the remote.
    let out = s.json(&s.a, 3, &["queue", "take", "--agent", "alice"]);
    let skipped: BTreeSet<&str> = out["elsewhere"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["holder"]["clone"], name_b.as_str());
            e["packet"].as_str().unwrap()
        })
        .collect();
    assert_eq!(
        skipped.len() + out["lost"].as_u64().unwrap() as usize,
        on_b.len()
    );
    let synced = s.json(&s.a, 0, &["queue", "sync"]);
    assert_eq!(synced["takes"].as_array().unwrap().len(), PACKETS);
    let elsewhere: BTreeSet<String> = synced["elsewhere"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(elsewhere, on_b);
    let out = s.json(&s.a, 3, &["queue", "take", "--agent", "alice"]);
    assert_eq!(out["lost"], 0, "all skipped after the sync: {out}");
    assert_eq!(out["elsewhere"].as_array().unwrap().len(), on_b.len());
    assert!(
        out["elsewhere"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["seen"] == "mirror")
    );
    assert_eq!(states(&s.a)["ready"], on_b, "nothing moved");
}

#[test]
fn a_given_back_packet_is_taken_again_on_the_other_clone_once_it_has_the_requeue() {
    let s = shared(2);
    let take = |dir: &Path, now: &str, extra: &[&str]| -> Output {
        let mut args = vec!["--json", "queue", "take", "--agent", "alice"];
        args.extend_from_slice(extra);
        s.run_at(dir, now, &args)
    };
    let ok = |out: Output| -> Value {
        assert!(out.status.success(), "{}", render(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    // a takes q-00; b loses it at the push and takes q-01 instead.
    ok(take(&s.a, NOW, &["--session", "s-a"]));
    let first = ok(take(&s.b, NOW, &[]));
    assert_eq!(first["packets"][0]["id"], "q-01");
    assert_eq!(first["elsewhere"][0]["packet"], "q-00");
    assert_eq!(first["elsewhere"][0]["seen"], "push");
    assert_eq!(first["lost"], 1);
    let (name_a, name_b) = (s.clone_name(&s.a), s.clone_name(&s.b));
    assert_eq!(s.remote_takes()["q-00"]["clone"], name_a.as_str());
    assert_eq!(s.remote_takes()["q-01"]["clone"], name_b.as_str());
    assert!(states(&s.b)["in_progress"].contains("q-01"));

    // a fails q-00: requeued here, and the ref now says "released into
    // attempt 1".
    let out = s.run(
        &s.a,
        &["queue", "fail", "q-00", "--notes", "needs the fixture"],
    );
    assert!(out.status.success(), "{}", render(&out));
    let released = &s.remote_takes()["q-00"];
    assert_eq!(released["released"]["attempt"], 1, "{released}");
    assert_eq!(released["clone"], name_a.as_str());

    // b's copy is stale (attempt 0): its take skips it (known from the
    // loss), and without that copy it loses the push to the release.
    let skipped = s.json(&s.b, 3, &["queue", "take", "--agent", "alice"]);
    assert_eq!(skipped["elsewhere"][0]["packet"], "q-00");
    assert_eq!(skipped["elsewhere"][0]["seen"], "mirror");
    std::fs::remove_file(s.b.join(".gemba/index/remote-takes.json")).unwrap();
    let ready_before = std::fs::read(s.b.join(".gemba/queues/alice/ready/q-00.json")).unwrap();
    let lost = s.json(&s.b, 3, &["queue", "take", "--agent", "alice"]);
    assert_eq!(lost["packets"].as_array().unwrap().len(), 0);
    assert_eq!(lost["elsewhere"][0]["packet"], "q-00");
    assert_eq!(lost["elsewhere"][0]["seen"], "push");
    assert_eq!(lost["elsewhere"][0]["holder"]["released"]["attempt"], 1);
    assert_eq!(
        std::fs::read(s.b.join(".gemba/queues/alice/ready/q-00.json")).unwrap(),
        ready_before,
        "put back as it was"
    );

    // a's queue files reach b by ordinary commits; now b takes attempt 2
    // (with a's notes), and a, which has it ready too, loses it.
    s.env.git_in(&s.a, &["add", "-A", ".gemba/queues"]);
    s.env
        .git_in(&s.a, &["commit", "-q", "-m", "q-00 failed once"]);
    s.env.git_in(&s.a, &["push", "-q", "origin", "HEAD"]);
    s.env
        .git_in(&s.b, &["pull", "-q", "--no-rebase", "origin", "main"]);
    let again = ok(take(&s.b, NOW, &["--session", "s-b"]));
    assert_eq!(again["packets"][0]["id"], "q-00");
    assert_eq!(again["packets"][0]["attempts"], 1);
    assert_eq!(again["packets"][0]["notes"][0]["text"], "needs the fixture");
    let record = &s.remote_takes()["q-00"];
    assert_eq!(record["clone"], name_b.as_str());
    assert_eq!(record["attempt"], 1);
    assert_eq!(record.get("released"), None);
    let out = take(&s.a, NOW, &[]);
    assert_eq!(out.status.code(), Some(3), "{}", render(&out));
    let out: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out["elsewhere"][0]["holder"]["clone"], name_b.as_str());

    // Done leaves the take ref: a's stale ready/ copy cannot be redone.
    let out = s.run(&s.b, &["queue", "done", "q-00", "--session", "s-b"]);
    assert!(out.status.success(), "{}", render(&out));
    assert_eq!(s.remote_takes()["q-00"]["clone"], name_b.as_str());

    // An expired lease recovered on b gives q-01 back in the same round:
    // a, whose copy is in that round, takes it without merging anything.
    let later = "2026-11-23T15:00:00Z";
    let out = s.run_at(&s.b, later, &["--json", "queue", "recover"]);
    assert!(out.status.success(), "{}", render(&out));
    let recovered: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(recovered["packets"][0]["packet"], "q-01");
    assert_eq!(s.remote_takes()["q-01"]["released"]["attempt"], 0);
    let got = ok(take(&s.a, later, &["--session", "s-a"]));
    assert_eq!(got["packets"][0]["id"], "q-01");
    assert_eq!(s.remote_takes()["q-01"]["clone"], name_a.as_str());
    // b has it ready again, but the remote says a holds it now.
    let out = take(&s.b, later, &[]);
    assert_eq!(out.status.code(), Some(3), "{}", render(&out));
}

#[test]
fn an_unreachable_remote_fails_the_take_or_takes_locally_as_configured() {
    let s = shared(2);
    let gone = s.env.tmp.path().join("gone.git");
    std::fs::rename(&s.remote, &gone).unwrap();

    // fail (the default): no take, a clear error, nothing changed.
    let before = tree_bytes(&s.a);
    let out = s.run(&s.a, &["--json", "queue", "take", "--agent", "alice"]);
    assert_eq!(out.status.code(), Some(1), "{}", render(&out));
    let err = error_json(&out);
    assert_eq!(err["code"], "remote_unreachable", "{err}");
    assert_eq!(err["retryable"], true);
    let message = err["message"].as_str().unwrap();
    assert!(message.contains("cannot take q-00"), "{message}");
    assert!(message.contains("\"origin\" is unreachable"), "{message}");
    assert!(message.contains("nothing was changed"), "{message}");
    assert!(
        err["hint"]
            .as_str()
            .unwrap()
            .contains("on_unreachable: local"),
        "{err}"
    );
    assert_eq!(tree_bytes(&s.a), before, "nothing changed");
    assert!(events(&s.a, "queue.take").is_empty());
    let out = s.run(&s.a, &["queue", "sync"]);
    assert_eq!(out.status.code(), Some(1), "{}", render(&out));
    assert!(stderr(&out).contains("unreachable"), "{}", render(&out));

    // local: taken on this clone only, said so; the lease names no remote.
    set_claims(&s.a, "  on_unreachable: local\n");
    let out = s.run(
        &s.a,
        &[
            "--json", "queue", "take", "--agent", "alice", "--batch", "2",
        ],
    );
    assert!(out.status.success(), "{}", render(&out));
    let taken: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(taken["packets"][0]["id"], "q-00");
    assert_eq!(taken["packets"][1]["id"], "q-01");
    assert_eq!(taken["warnings"].as_array().unwrap().len(), 2, "{taken}");
    assert!(
        taken["warnings"][0]
            .as_str()
            .unwrap()
            .contains("took q-00 on this clone only"),
        "{taken}"
    );
    assert!(stderr(&out).contains("warning:"), "{}", render(&out));
    let file = packet_file(&s.a, "in_progress", "q-00");
    assert_eq!(file["lease"].get("remote"), None, "{file}");
    let event = &events(&s.a, "queue.take")[0];
    assert_eq!(event["data"].get("remote"), None, "{event}");
    assert_eq!(event["data"]["local_only"], true, "{event}");
}

#[test]
fn giving_back_with_the_remote_gone_follows_on_unreachable() {
    let s = shared(1);
    let out = s.run(&s.a, &["queue", "take", "--agent", "alice"]);
    assert!(out.status.success(), "{}", render(&out));
    let ours = s.remote_takes()["q-00"].clone();
    let gone = s.env.tmp.path().join("gone.git");
    std::fs::rename(&s.remote, &gone).unwrap();

    // fail: the failure is not recorded; the packet stays ours.
    let before = tree_bytes(&s.a);
    let out = s.run(
        &s.a,
        &["--json", "queue", "fail", "q-00", "--notes", "flaky"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", render(&out));
    let err = error_json(&out);
    assert_eq!(err["code"], "remote_unreachable");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("cannot give back q-00"),
        "{err}"
    );
    assert_eq!(tree_bytes(&s.a), before, "nothing changed");
    // recover leaves an expired packet in progress rather than strand it.
    let later = "2026-11-23T15:00:00Z";
    let out = s.run_at(&s.a, later, &["--json", "queue", "recover"]);
    assert!(out.status.success(), "{}", render(&out));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["packets"].as_array().unwrap().len(), 0, "{r}");
    assert!(
        r["warnings"][0]
            .as_str()
            .unwrap()
            .contains("q-00 stays in progress"),
        "{r}"
    );
    assert!(states(&s.a)["in_progress"].contains("q-00"));

    // local: requeued here with a warning; the ref still holds our take.
    set_claims(&s.a, "  on_unreachable: local\n");
    let out = s.run(&s.a, &["queue", "fail", "q-00", "--notes", "flaky"]);
    assert!(out.status.success(), "{}", render(&out));
    assert!(
        stderr(&out).contains("given back on this clone only"),
        "{}",
        render(&out)
    );
    assert!(states(&s.a)["ready"].contains("q-00"));

    // The remote is back: b (which has the packet ready) cannot take it,
    // since a's take is still there; a's next take replaces its own.
    std::fs::rename(&gone, &s.remote).unwrap();
    assert_eq!(s.remote_takes()["q-00"], ours);
    let out = s.run(&s.b, &["queue", "take", "--agent", "alice"]);
    assert_eq!(out.status.code(), Some(3), "{}", render(&out));
    let out = s.run(&s.a, &["--json", "queue", "take", "--agent", "alice"]);
    assert!(out.status.success(), "{}", render(&out));
    let record = &s.remote_takes()["q-00"];
    assert_eq!(record["clone"], ours["clone"]);
    assert_eq!(record["attempt"], 1, "{record}");
}

#[test]
fn a_take_without_a_claims_remote_runs_no_git() {
    let env = TestEnv::init();
    env.ok(&["agent", "add", "alice"]);
    env.ok(&[
        "queue", "enqueue", "--target", "alice", "--title", "T", "--id", "q-1",
    ]);
    // No git on PATH: a take, done and fail that called git would fail.
    let empty = env.tmp.path().join("no-bin");
    std::fs::create_dir(&empty).unwrap();
    let run = |args: &[&str]| {
        let mut cmd = env.cmd(args);
        cmd.env("PATH", &empty);
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{args:?}:\n{}", render(&out));
        out
    };
    run(&["queue", "take", "--agent", "alice"]);
    run(&["queue", "fail", "q-1", "--notes", "again"]);
    run(&["queue", "take", "--agent", "alice"]);
    run(&["queue", "done", "q-1"]);
    let file: Value = serde_json::from_str(&env.read(".gemba/queues/alice/done/q-1.json")).unwrap();
    assert_eq!(file["attempts"], 1);
    // And `queue sync` says there is no remote to sync with.
    let out = env.fails(1, &["--json", "queue", "sync"]);
    assert_eq!(error_json(&out)["code"], "invalid_input");
    assert!(
        stderr(&out).contains("claims.remote is not set"),
        "{}",
        render(&out)
    );
}

#[test]
fn hostile_take_refs_are_skipped_by_sync() {
    let s = shared(1);
    let out = s.run(&s.a, &["queue", "take", "--agent", "alice"]);
    assert!(out.status.success(), "{}", render(&out));
    // A ref whose name is no packet id, and one holding garbage.
    let head = s.env.git_in(&s.remote, &["rev-parse", "HEAD"]);
    s.env.git_in(
        &s.remote,
        &["update-ref", "refs/gemba/takes/a.b", head.trim()],
    );
    s.env.git_in(
        &s.remote,
        &["update-ref", "refs/gemba/takes/q-99", head.trim()],
    );
    let synced = s.json(&s.b, 0, &["queue", "sync"]);
    assert_eq!(synced["takes"].as_array().unwrap().len(), 1, "{synced}");
    assert_eq!(synced["takes"][0]["packet"], "q-00");
    assert_eq!(synced["elsewhere"][0], "q-00");
    let warnings: Vec<&str> = synced["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings.iter().any(|w| w.contains("not a ref gemba wrote")));
    assert!(warnings.iter().any(|w| w.contains("holds no record file")));
    // b skips q-00 without trying: its copy of the remote says a has it.
    let out = s.json(&s.b, 3, &["queue", "take", "--agent", "alice"]);
    assert_eq!(out["elsewhere"][0]["seen"], "mirror");
}

/// Every file under `.gemba/` except the derived `index/` and locks, with
/// its bytes.
fn tree_bytes(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.join(".gemba")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                if p.file_name().is_none_or(|n| n != "index") {
                    stack.push(p);
                }
            } else if p.extension().is_none_or(|x| x != "lock") {
                out.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_stage_done_is_given_back_into_the_next_stage() {
    let s = shared(0);
    let out = s.run(
        &s.a,
        &[
            "queue",
            "enqueue",
            "--target",
            "alice",
            "--title",
            "staged",
            "--id",
            "st-1",
            "--stages",
            "build,verify",
        ],
    );
    assert!(out.status.success(), "{}", render(&out));
    let publish = |dir: &Path, message: &str| {
        s.env.git_in(dir, &["add", "-A", ".gemba/queues"]);
        s.env.git_in(dir, &["commit", "-q", "-m", message]);
        s.env.git_in(dir, &["push", "-q", "origin", "HEAD"]);
    };
    publish(&s.a, "enqueue st-1");
    s.env
        .git_in(&s.b, &["pull", "-q", "--no-rebase", "origin", "main"]);

    let took = s.json(&s.a, 0, &["queue", "take", "--agent", "alice"]);
    assert_eq!(took["packets"][0]["stage"], "build");
    let out = s.run(&s.a, &["queue", "done", "st-1", "--stage", "build"]);
    assert!(out.status.success(), "{}", render(&out));
    let record = &s.remote_takes()["st-1"];
    assert_eq!(record["stage"], "build", "{record}");
    assert_eq!(record["released"]["stage"], "verify", "{record}");
    assert_eq!(record["released"]["attempt"], 0, "{record}");

    // b's copy is still at build: it must not build again.
    let out = s.json(&s.b, 3, &["queue", "take", "--agent", "alice"]);
    assert_eq!(out["elsewhere"][0]["holder"]["released"]["stage"], "verify");
    // With a's commit, b takes the verify stage.
    publish(&s.a, "st-1 built");
    s.env
        .git_in(&s.b, &["pull", "-q", "--no-rebase", "origin", "main"]);
    let took = s.json(&s.b, 0, &["queue", "take", "--agent", "alice"]);
    assert_eq!(took["packets"][0]["stage"], "verify");
    let record = &s.remote_takes()["st-1"];
    assert_eq!(record["clone"], s.clone_name(&s.b).as_str());
    assert_eq!(record["stage"], "verify");
}

#[test]
fn a_remote_that_refuses_a_take_cuts_the_batch_short_and_changes_nothing_else() {
    let s = shared(3);
    // The remote refuses any update of q-01's take ref (a server hook).
    let hook = s.remote.join("hooks/pre-receive");
    std::fs::write(
        &hook,
        "#!/bin/sh\nwhile read old new ref; do\n  case \"$ref\" in refs/gemba/takes/q-01) echo 'no takes of q-01' >&2; exit 1;; esac\ndone\n",
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let taken = s.json(
        &s.a,
        0,
        &["queue", "take", "--agent", "alice", "--batch", "3"],
    );
    let ids: Vec<&str> = taken["packets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["q-00"], "{taken}");
    let warning = taken["warnings"][0].as_str().unwrap();
    assert!(warning.contains("kept refusing"), "{warning}");
    assert!(warning.contains("took 1 packet(s), not q-01"), "{warning}");
    let st = states(&s.a);
    assert_eq!(st["ready"], ["q-01", "q-02"].map(String::from).into());
    assert_eq!(events(&s.a, "queue.take").len(), 1);
    assert_eq!(s.remote_takes().keys().collect::<Vec<_>>(), ["q-00"]);

    // Alone, the refused packet is an error, and nothing changes.
    let out = s.run(&s.a, &["queue", "done", "q-00"]);
    assert!(out.status.success(), "{}", render(&out));
    let before = tree_bytes(&s.a);
    let out = s.run(&s.a, &["--json", "queue", "take", "--agent", "alice"]);
    assert_eq!(out.status.code(), Some(1), "{}", render(&out));
    assert_eq!(error_json(&out)["code"], "git", "{}", render(&out));
    assert_eq!(tree_bytes(&s.a), before);
}

#[test]
fn archive_deletes_the_take_refs_of_what_it_archives() {
    let s = shared(2);
    let at = |dir: &Path, now: &str, args: &[&str]| {
        let out = s.run_at(dir, now, args);
        assert!(out.status.success(), "{args:?}:\n{}", render(&out));
        out
    };
    for id in ["q-00", "q-01"] {
        at(
            &s.a,
            "2026-11-01T12:00:00Z",
            &["queue", "take", "--agent", "alice"],
        );
        at(&s.a, "2026-11-01T12:00:00Z", &["queue", "done", id]);
    }
    assert_eq!(
        s.remote_takes().into_keys().collect::<Vec<_>>(),
        ["q-00", "q-01"]
    );
    // The remote gone: nothing archived, both refs and files stay.
    let gone = s.env.tmp.path().join("gone.git");
    std::fs::rename(&s.remote, &gone).unwrap();
    let out = at(
        &s.a,
        "2026-12-15T12:00:00Z",
        &["--json", "queue", "archive"],
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["packets"], serde_json::json!([]), "{v:#}");
    let warning = v["warnings"][0].as_str().unwrap();
    assert!(warning.starts_with("q-00, q-01 stay(s)"), "{warning}");
    assert_eq!(states(&s.a)["done"].len(), 2);
    // Back: both archived, their refs deleted.
    std::fs::rename(&gone, &s.remote).unwrap();
    let out = at(
        &s.a,
        "2026-12-15T12:00:00Z",
        &["--json", "queue", "archive"],
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["packets"].as_array().unwrap().len(), 2, "{v:#}");
    assert!(s.remote_takes().is_empty());
    assert!(states(&s.a)["done"].is_empty());
    assert_eq!(events(&s.a, "queue.archive")[0]["data"]["remote"], "origin");
}
