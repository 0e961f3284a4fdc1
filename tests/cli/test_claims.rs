//! `gemba claim`, `release`, `renew`, `claims list|sync`: one winner among
//! racing claimants on one machine and across clones sharing a remote,
//! expired leases taken over and logged, bad requests changing nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::common::*;

/// `n` open beads `c-0` … `c-<n-1>`.
fn beads(n: usize) -> String {
    (0..n)
        .map(|i| format!("{{\"id\":\"c-{i}\",\"title\":\"bead {i}\"}}\n"))
        .collect()
}

/// A live session `id` of `agent`, written as `gemba session start` would.
fn session(dir: &Path, id: &str, agent: &str) {
    let path = dir.join(".gemba/sessions").join(format!("{id}.json"));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let session = serde_json::json!({
        "id": id,
        "agent": agent,
        "status": "live",
        "workspace": {"repo": dir.display().to_string()},
        "started_at": "2026-11-23T10:00:00Z",
    });
    std::fs::write(path, format!("{session:#}\n")).unwrap();
}

/// An initialized repo with `n` beads and sessions `s-a` (alice), `s-b` (bob).
fn setup(n: usize) -> TestEnv {
    let env = TestEnv::init();
    let out = env.import_text(&beads(n));
    assert!(out.status.success(), "{}", render(&out));
    session(&env.root, "s-a", "alice");
    session(&env.root, "s-b", "bob");
    env
}

/// Replace the `on_unreachable` line of the `claims:` section.
fn set_claims(dir: &Path, lines: &str) {
    let path = dir.join(".gemba/config.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("  on_unreachable: fail\n"), "{text}");
    std::fs::write(&path, text.replace("  on_unreachable: fail\n", lines)).unwrap();
}

fn events(dir: &Path) -> Vec<Value> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join(".gemba/log"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .iter()
        .flat_map(|f| {
            std::fs::read_to_string(f)
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str::<Value>(l).unwrap())
                .collect::<Vec<_>>()
        })
        .collect()
}

fn kinds(dir: &Path) -> Vec<String> {
    events(dir)
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect()
}

fn claim_file(dir: &Path, bead: &str) -> Option<Value> {
    std::fs::read_to_string(dir.join(".gemba/claims").join(format!("{bead}.json")))
        .ok()
        .map(|t| serde_json::from_str(&t).unwrap())
}

fn bead(env: &TestEnv, id: &str) -> Value {
    serde_json::from_str(&env.read(&format!(".gemba/beads/{id}.json"))).unwrap()
}

fn error_json(out: &Output) -> Value {
    let err = stderr(out);
    serde_json::from_str(err.lines().last().unwrap_or(""))
        .unwrap_or_else(|e| panic!("no JSON error ({e}):\n{}", render(out)))
}

#[test]
fn claim_renew_release() {
    let env = setup(2);
    let won = env.json(&["claim", "c-0", "--session", "s-a"]);
    assert_eq!(won["claimed"], true);
    assert_eq!(won["claim"]["agent"], "alice");
    assert_eq!(won["claim"]["lease_until"], "2026-11-23T14:00:00Z", "{won}");
    assert_eq!(claim_file(&env.root, "c-0").unwrap(), won["claim"]);
    let b = bead(&env, "c-0");
    assert_eq!(
        (&b["status"], &b["assignee"]),
        (&"in_progress".into(), &"alice".into())
    );

    // Another session loses: exit 4, already_taken, naming the holder.
    let out = env.fails(4, &["--json", "claim", "c-0", "--session", "s-b"]);
    let err = error_json(&out);
    assert_eq!(err["code"], "already_taken");
    assert_eq!(err["retryable"], true);
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("s-a (agent alice)"),
        "{err}"
    );

    // Renew: the holder only.
    let out = env.fails(1, &["--json", "renew", "c-0", "--session", "s-b"]);
    assert_eq!(error_json(&out)["code"], "conflict");
    let renewed = env.json(&["renew", "c-0", "--session", "s-a", "--lease", "30m"]);
    assert_eq!(renewed["claim"]["lease_until"], "2026-11-23T12:30:00Z");
    assert_eq!(renewed["previous_lease_until"], "2026-11-23T14:00:00Z");

    // Release: the holder, or --force.
    let out = env.fails(1, &["--json", "release", "c-0", "--session", "s-b"]);
    assert_eq!(error_json(&out)["code"], "conflict");
    env.fails(1, &["release", "c-0"]);
    let released = env.json(&["release", "c-0", "--session", "s-a"]);
    assert_eq!(released["reopened"], true);
    assert_eq!(released["forced"], false);
    assert_eq!(claim_file(&env.root, "c-0"), None);
    let b = bead(&env, "c-0");
    assert_eq!(b["status"], "open");
    assert_eq!(b.get("assignee"), None);
    let out = env.fails(1, &["--json", "release", "c-0", "--session", "s-a"]);
    assert_eq!(error_json(&out)["code"], "not_found");

    env.ok(&["claim", "c-0", "--session", "s-b"]);
    let forced = env.json(&["release", "c-0", "--force"]);
    assert_eq!(forced["forced"], true);

    let claims: Vec<String> = kinds(&env.root)
        .into_iter()
        .filter(|k| k.starts_with("claim"))
        .collect();
    assert_eq!(
        claims,
        [
            "claim",
            "claim.renew",
            "claim.release",
            "claim",
            "claim.release"
        ]
    );
    let (code, report) = check_report(&env);
    assert_eq!(code, Some(0), "{report}");
}

#[test]
fn an_expired_lease_is_taken_over_and_logged() {
    let env = setup(1);
    env.ok(&["claim", "c-0", "--session", "s-a", "--lease", "1h"]);
    let at = |now: &str, args: &[&str]| {
        let mut cmd = env.cmd(args);
        cmd.env("GEMBA_NOW", now);
        cmd.output().unwrap()
    };
    let early = at(
        "2026-11-23T12:59:59Z",
        &["claim", "c-0", "--session", "s-b"],
    );
    assert_eq!(early.status.code(), Some(4), "{}", render(&early));

    let late = at(
        "2026-11-23T13:00:00Z",
        &["claim", "c-0", "--session", "s-b"],
    );
    assert_eq!(late.status.code(), Some(0), "{}", render(&late));
    assert!(
        stdout(&late)
            .contains("took over from s-a (agent alice), whose lease ended 2026-11-23T13:00:00Z"),
        "{}",
        render(&late)
    );
    let file = claim_file(&env.root, "c-0").unwrap();
    assert_eq!(file["session"], "s-b");
    assert_eq!(file["claimed_at"], "2026-11-23T13:00:00Z");
    assert_eq!(bead(&env, "c-0")["assignee"], "bob");
    let takeovers: Vec<Value> = events(&env.root)
        .into_iter()
        .filter(|e| e["kind"] == "claim.takeover")
        .collect();
    assert_eq!(takeovers.len(), 1, "{takeovers:?}");
    assert_eq!(takeovers[0]["data"]["previous"]["session"], "s-a");
    assert_eq!(
        takeovers[0]["data"]["previous"]["lease_until"],
        "2026-11-23T13:00:00Z"
    );
    assert_eq!(takeovers[0]["data"]["session"], "s-b");
    // The old holder's release is refused now: the claim is bob's.
    let out = at(
        "2026-11-23T13:00:00Z",
        &["release", "c-0", "--session", "s-a"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", render(&out));
    assert_eq!(claim_file(&env.root, "c-0").unwrap()["session"], "s-b");
}

#[test]
fn bad_claims_change_nothing() {
    let env = setup(2);
    env.import_text("{\"id\":\"done\",\"title\":\"done\",\"status\":\"closed\"}\n");
    let ended = env
        .read(".gemba/sessions/s-a.json")
        .replace("s-a", "s-gone")
        .replace("\"live\"", "\"ended\"");
    env.write(".gemba/sessions/s-gone.json", &ended);
    let before = env.snapshot();
    let cases: [(&[&str], i32, &str, &str); 7] = [
        (
            &["claim", "c-0", "--session", "s-nobody"],
            1,
            "not_found",
            "no session \"s-nobody\"",
        ),
        (
            &["claim", "c-0", "--session", "s-gone"],
            1,
            "not_found",
            "has ended",
        ),
        (
            &["claim", "c-9", "--session", "s-a"],
            1,
            "not_found",
            "no bead \"c-9\"",
        ),
        (
            &["claim", "done", "--session", "s-a"],
            1,
            "conflict",
            "is closed",
        ),
        (
            &["claim", "../x", "--session", "s-a"],
            1,
            "invalid_input",
            "invalid id",
        ),
        (
            &["claim", "c-0", "--session", "../s"],
            1,
            "invalid_input",
            "invalid id",
        ),
        (
            &["claim", "c-0", "--session", "s-a", "--lease", "soon"],
            2,
            "usage",
            "--lease",
        ),
    ];
    for (args, exit, code, says) in cases {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = env.fails(exit, &all);
        let err = error_json(&out);
        assert_eq!(err["code"], code, "{args:?}: {err}");
        assert!(
            err["message"].as_str().unwrap().contains(says),
            "{args:?}: {err}"
        );
    }
    assert_eq!(env.snapshot(), before, "nothing changed");
}

#[test]
fn sixteen_claimants_of_one_bead_one_winner() {
    let env = setup(1);
    for i in 0..16 {
        session(&env.root, &format!("s-{i}"), &format!("agent-{i}"));
    }
    let start = std::time::Instant::now();
    let outs = race_all(
        (0..16)
            .map(|i| env.cmd(&["--json", "claim", "c-0", "--session", &format!("s-{i}")]))
            .collect(),
    );
    eprintln!("16 claimants of one bead: {:?}", start.elapsed());
    let codes: Vec<Option<i32>> = outs.iter().map(|o| o.status.code()).collect();
    let winners: Vec<&Output> = outs.iter().filter(|o| o.status.code() == Some(0)).collect();
    assert_eq!(winners.len(), 1, "{codes:?}");
    assert_eq!(
        codes.iter().filter(|c| **c == Some(4)).count(),
        15,
        "{codes:?}"
    );
    for out in outs.iter().filter(|o| o.status.code() == Some(4)) {
        assert_eq!(error_json(out)["code"], "already_taken");
    }
    let won: Value = serde_json::from_slice(&winners[0].stdout).unwrap();
    let winner = won["claim"]["session"].as_str().unwrap();

    // The claim file, the bead and the log agree on the winner.
    assert_eq!(claim_file(&env.root, "c-0").unwrap(), won["claim"]);
    assert_eq!(bead(&env, "c-0")["assignee"], won["claim"]["agent"]);
    let claims: Vec<Value> = events(&env.root)
        .into_iter()
        .filter(|e| e["kind"].as_str().unwrap().starts_with("claim"))
        .collect();
    assert_eq!(claims.len(), 1, "{claims:?}");
    assert_eq!(claims[0]["data"]["session"], winner);
    let listed = env.json(&["claims", "list"]);
    assert_eq!(listed["claims"].as_array().unwrap().len(), 1);
    assert_eq!(listed["claims"][0]["session"], winner);
}

/// A bare repository as the shared remote and two clones of it, each with
/// the same beads, `claims.remote: origin` and a live session.
struct Shared {
    env: TestEnv,
    remote: PathBuf,
    a: PathBuf,
    b: PathBuf,
}

fn shared(n: usize) -> Shared {
    let env = TestEnv::init();
    let out = env.import_text(&beads(n));
    assert!(out.status.success(), "{}", render(&out));
    set_claims(&env.root, "  remote: origin\n  on_unreachable: fail\n");
    env.git(&["add", "-A"]);
    env.git(&["commit", "-q", "-m", "beads and claims remote"]);
    let top = env.tmp.path().to_path_buf();
    let remote = top.join("remote.git");
    env.git_in(&top, &["clone", "-q", "--bare", "repo", "remote.git"]);
    let (a, b) = (top.join("a"), top.join("b"));
    for (dir, s, agent) in [(&a, "s-a", "alice"), (&b, "s-b", "bob")] {
        env.git_in(&top, &["clone", "-q", "remote.git", dir.to_str().unwrap()]);
        session(dir, s, agent);
    }
    Shared { env, remote, a, b }
}

/// Remote claim refs: escaped id → the claim file the ref's commit holds.
fn remote_claims(s: &Shared) -> BTreeMap<String, Value> {
    s.env.remote_records(&s.remote, "claims")
}

#[test]
fn two_clones_racing_over_a_shared_remote_never_claim_a_bead_twice() {
    const BEADS: usize = 8;
    let s = shared(BEADS);
    // 16 claimants per clone over the same 8 beads: each bead is wanted
    // by two processes in each clone.
    let mut cmds = Vec::new();
    let mut who = Vec::new();
    for (dir, session) in [(&s.a, "s-a"), (&s.b, "s-b")] {
        for i in 0..16 {
            let bead = format!("c-{}", i % BEADS);
            cmds.push(
                s.env
                    .cmd_in(dir, &["--json", "claim", &bead, "--session", session]),
            );
            who.push((dir.clone(), session, bead));
        }
    }
    let start = std::time::Instant::now();
    let outs = race_all(cmds);
    eprintln!("32 claimants over a shared remote: {:?}", start.elapsed());
    let mut won: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for ((_, session, bead), out) in who.iter().zip(&outs) {
        match out.status.code() {
            Some(0) => won.entry(bead.clone()).or_default().push(session),
            Some(4) => assert_eq!(error_json(out)["code"], "already_taken"),
            _ => panic!("claim {bead} by {session}:\n{}", render(out)),
        }
    }
    // Every bead won exactly once across both clones.
    assert_eq!(won.len(), BEADS, "{won:?}");
    for (bead, winners) in &won {
        assert_eq!(winners.len(), 1, "{bead} won by {winners:?}");
    }
    // The remote refs say the same, and each winner's claim file is the
    // ref's file; the loser clone has none.
    let refs = remote_claims(&s);
    assert_eq!(refs.len(), BEADS, "{refs:?}");
    for (bead, winners) in &won {
        let on_remote = &refs[bead];
        assert_eq!(on_remote["session"], winners[0], "{bead}");
        assert_eq!(on_remote["remote"], "origin");
        let (mine, other) = if winners[0] == "s-a" {
            (&s.a, &s.b)
        } else {
            (&s.b, &s.a)
        };
        assert_eq!(claim_file(mine, bead).as_ref(), Some(on_remote), "{bead}");
        assert_eq!(claim_file(other, bead), None, "{bead}");
    }
    let a_won: BTreeSet<&String> = won
        .iter()
        .filter(|(_, w)| w[0] == "s-a")
        .map(|(b, _)| b)
        .collect();
    let b_won: BTreeSet<&String> = won
        .iter()
        .filter(|(_, w)| w[0] == "s-b")
        .map(|(b, _)| b)
        .collect();

    // Before a sync, clone a knows only its own claims; after it, b's too.
    let list = |dir: &Path| -> Value {
        let out = s
            .env
            .cmd_in(dir, &["--json", "claims", "list"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", render(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    assert_eq!(list(&s.a)["claims"].as_array().unwrap().len(), a_won.len());
    let digest = |dir: &Path| -> Value {
        let out = s.env.cmd_in(dir, &["debug", "snapshot"]).output().unwrap();
        serde_json::from_slice::<Value>(&out.stdout).unwrap()["digest"].clone()
    };
    let before = digest(&s.a);
    let out = s
        .env
        .cmd_in(&s.a, &["--json", "claims", "sync"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", render(&out));
    let synced: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(synced["claims"].as_array().unwrap().len(), BEADS);
    let elsewhere: BTreeSet<&str> = synced["elsewhere"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(elsewhere, b_won.iter().map(|b| b.as_str()).collect());
    assert_ne!(digest(&s.a), before, "the snapshot sees the remote claims");
    let listed = list(&s.a);
    let remote_rows: BTreeSet<&str> = listed["claims"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["source"] == "remote")
        .map(|c| {
            assert_eq!(c["session"], "s-b");
            c["bead"].as_str().unwrap()
        })
        .collect();
    assert_eq!(remote_rows, elsewhere);
    assert_eq!(listed["synced_at"], NOW);
    let out = s.env.cmd_in(&s.a, &["--json", "check"]).output().unwrap();
    assert!(out.status.success(), "{}", render(&out));
}

#[test]
fn remote_claims_are_released_renewed_and_taken_over_on_the_ref() {
    let s = shared(2);
    let run = |dir: &Path, now: &str, args: &[&str]| -> Output {
        let mut cmd = s.env.cmd_in(dir, args);
        cmd.env("GEMBA_NOW", now);
        cmd.output().unwrap()
    };
    let ok = |dir: &Path, now: &str, args: &[&str]| {
        let out = run(dir, now, args);
        assert!(out.status.success(), "{args:?}:\n{}", render(&out));
        out
    };
    ok(
        &s.a,
        NOW,
        &["claim", "c-0", "--session", "s-a", "--lease", "1h"],
    );
    // Clone b has no claim file for c-0, but the remote ref stops it.
    let out = run(&s.b, NOW, &["--json", "claim", "c-0", "--session", "s-b"]);
    assert_eq!(out.status.code(), Some(4), "{}", render(&out));
    assert!(
        error_json(&out)["message"]
            .as_str()
            .unwrap()
            .contains("s-a")
    );
    assert_eq!(
        claim_file(&s.b, "c-0"),
        None,
        "the lost claim was rolled back"
    );

    // Renew moves the ref with the file.
    ok(
        &s.a,
        NOW,
        &["renew", "c-0", "--session", "s-a", "--lease", "2h"],
    );
    assert_eq!(
        remote_claims(&s)["c-0"]["lease_until"],
        "2026-11-23T14:00:00Z"
    );
    assert_eq!(remote_claims(&s)["c-0"], claim_file(&s.a, "c-0").unwrap());

    // Expired: b takes it over on the remote, with a lease on a's ref.
    let later = "2026-11-23T14:00:00Z";
    let out = ok(&s.b, later, &["claim", "c-0", "--session", "s-b"]);
    assert!(
        stdout(&out).contains("took over from s-a"),
        "{}",
        render(&out)
    );
    assert_eq!(remote_claims(&s)["c-0"]["session"], "s-b");
    let takeover = events(&s.b)
        .into_iter()
        .find(|e| e["kind"] == "claim.takeover")
        .expect("takeover logged");
    assert_eq!(takeover["data"]["previous"]["session"], "s-a");
    // a's stale file cannot renew over b's ref: lost (exit 4).
    let out = run(&s.a, later, &["--json", "renew", "c-0", "--session", "s-a"]);
    assert_eq!(out.status.code(), Some(4), "{}", render(&out));
    assert_eq!(remote_claims(&s)["c-0"]["session"], "s-b");

    // Release deletes the ref (on its current value).
    ok(&s.b, later, &["release", "c-0", "--session", "s-b"]);
    assert!(!remote_claims(&s).contains_key("c-0"));
    ok(&s.a, later, &["claim", "c-1", "--session", "s-a"]);
    assert!(remote_claims(&s).contains_key("c-1"));
}

#[test]
fn an_unreachable_remote_fails_closed() {
    let env = setup(1);
    let gone = env.tmp.path().join("no-such-remote.git");
    set_claims(
        &env.root,
        &format!("  remote: {}\n  on_unreachable: fail\n", gone.display()),
    );
    let before = env.snapshot();
    let out = env.fails(1, &["--json", "claim", "c-0", "--session", "s-a"]);
    let err = error_json(&out);
    assert_eq!(err["code"], "remote_unreachable", "{err}");
    assert_eq!(err["retryable"], true);
    let message = err["message"].as_str().unwrap();
    assert!(message.contains("cannot claim c-0"), "{message}");
    assert!(message.contains("is unreachable"), "{message}");
    assert!(message.contains("nothing was changed"), "{message}");
    assert!(
        err["hint"]
            .as_str()
            .unwrap()
            .contains("on_unreachable: local"),
        "{err}"
    );
    assert_eq!(env.snapshot(), before, "nothing changed");
    let out = env.fails(1, &["claims", "sync"]);
    assert!(stderr(&out).contains("unreachable"), "{}", render(&out));

    // Local-only, by choice: claimed here, with a warning.
    let config = env.read(".gemba/config.yaml");
    env.write(
        ".gemba/config.yaml",
        &config.replace("on_unreachable: fail", "on_unreachable: local"),
    );
    let out = env.run(&["claim", "c-0", "--session", "s-a"]);
    assert!(out.status.success(), "{}", render(&out));
    assert!(
        stderr(&out).contains("claimed on this machine only"),
        "{}",
        render(&out)
    );
    let file = claim_file(&env.root, "c-0").unwrap();
    assert_eq!(file["session"], "s-a");
    assert_eq!(file.get("remote"), None, "{file}");
}

#[test]
fn auto_commit_records_claim_and_release() {
    let env = setup(1);
    env.git(&["add", "-A"]);
    env.git(&["commit", "-q", "-m", "beads and sessions"]);
    env.enable_auto_commit();
    env.ok(&["claim", "c-0", "--session", "s-a"]);
    assert_eq!(
        env.git(&["log", "-1", "--format=%s"]),
        "gemba: claim c-0 for s-a (+1 more)\n"
    );
    let files = env.git(&["show", "--name-only", "--format=", "HEAD"]);
    assert_eq!(
        files,
        ".gemba/beads/c-0.json\n.gemba/claims/c-0.json\n.gemba/log/2026-11-23.jsonl\n.gemba/sessions/s-a.json\n",
        "the claim, the bead, the session that has it in hand, the log"
    );
    env.ok(&["release", "c-0", "--session", "s-a"]);
    assert_eq!(
        env.git(&["log", "-1", "--format=%s"]),
        "gemba: release c-0 by s-a (+1 more)\n"
    );
    assert_eq!(env.git(&["status", "--porcelain", ".gemba"]), "");
}
