//! Handoffs without a global lock: claims (`create_new`) and queue takes
//! (`move_new`) have exactly one winner among racing processes, losers
//! exit 4 with `already_taken`, and none of them waits on a long command;
//! locks that remain are scoped, bounded and say who holds them.

use std::io::Write;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::*;

/// `n` open beads whose text gives the extractor real work.
fn many_beads(n: usize) -> String {
    let mut out = String::new();
    for i in 0..n {
        let body = format!(
            "The handler in `src/mod{m}/handler.rs` drops the retry budget when the \
             parser in src/mod{m}/parse.rs sees a partial frame; see also \
             docs/mod{m}.md and the config loader. Steps: 1. start the server \
             2. send a frame split in two 3. watch the budget. {filler}",
            m = i % 97,
            filler = "Acceptance: the budget survives a split frame. ".repeat(8)
        );
        let bead = serde_json::json!({
            "id": format!("h-{i}"),
            "title": format!("Retry budget lost on split frame (case {i})"),
            "description": body,
            "status": "open",
            "priority": i % 5,
            "issue_type": "bug",
            "created_at": "2026-11-01T00:00:00Z",
        });
        out.push_str(&format!("{bead}\n"));
    }
    out
}

fn spawn(env: &TestEnv, args: &[&str]) -> Child {
    env.cmd(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Wait until `path` exists (the long command has started writing).
fn wait_for(path: &std::path::Path, child: &mut Child, limit: Duration) {
    let start = Instant::now();
    while !path.exists() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the long command ended before {} appeared",
            path.display()
        );
        assert!(start.elapsed() < limit, "{} never appeared", path.display());
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn exit_codes(outs: &[Output]) -> Vec<Option<i32>> {
    outs.iter().map(|o| o.status.code()).collect()
}

#[test]
fn sixteen_claimants_during_a_10k_backfill_one_wins_none_waits() {
    let env = TestEnv::init();
    env.write("import.jsonl", &many_beads(10_000));
    env.ok(&["-q", "import", "beads", "import.jsonl"]);

    let mut backfill = spawn(&env, &["bead", "backfill"]);
    // Start the race once backfill holds the enrichment lock or has
    // written its first batch: it is then in the middle of its run.
    wait_for(
        &env.gemba_dir().join("enrichment"),
        &mut backfill,
        Duration::from_secs(120),
    );

    let start = Instant::now();
    let racers: Vec<Child> = (0..16)
        .map(|_| spawn(&env, &["--json", "debug", "create-new", "claims", "h-42"]))
        .collect();
    let outs: Vec<Output> = racers
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let raced_for = start.elapsed();
    let still_running = backfill.try_wait().unwrap().is_none();

    let codes = exit_codes(&outs);
    assert_eq!(
        codes.iter().filter(|c| **c == Some(0)).count(),
        1,
        "{codes:?}"
    );
    assert_eq!(
        codes.iter().filter(|c| **c == Some(4)).count(),
        15,
        "{codes:?}"
    );
    for out in outs.iter().filter(|o| o.status.code() == Some(4)) {
        let err: Value = serde_json::from_slice(&out.stderr).unwrap();
        assert_eq!(err["code"], "already_taken", "{err}");
        assert_eq!(err["retryable"], true, "{err}");
    }
    let claim: Value =
        serde_json::from_str(&env.read(".gemba/claims/h-42.json")).expect("a whole claim file");
    assert_eq!(claim["id"], "h-42");

    // An edit of another kind of file does not wait either; one of the
    // same kind waits at most for the batch being written.
    let start = Instant::now();
    env.ok(&["bead", "update", "h-7", "--priority", "0"]);
    let update_took = start.elapsed();
    let start = Instant::now();
    env.ok(&["bead", "targets", "set", "h-8", "src/only/this.rs"]);
    let targets_took = start.elapsed();
    let backfill_still_running = backfill.try_wait().unwrap().is_none();

    let out = backfill.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", render(&out));
    eprintln!(
        "16 claimants took {raced_for:?}, a bead update {update_took:?}, a targets edit \
         {targets_took:?}; backfill still running after the race: {still_running}, \
         after the edits: {backfill_still_running}"
    );
    assert!(
        still_running,
        "the backfill ended before the claimants did: the test proved nothing"
    );
    assert!(
        backfill_still_running,
        "the edits waited for the whole backfill"
    );
    // The operator's edit made during the backfill survived it.
    let show = env.json(&["bead", "show", "h-8"]);
    assert_eq!(
        show["enrichment"]["targets"]["value"],
        serde_json::json!(["src/only/this.rs"])
    );
    assert_eq!(show["enrichment"]["targets"]["source"], "operator");
}

#[test]
fn racing_takers_of_one_packet_have_one_winner() {
    let env = TestEnv::init();
    env.write(".gemba/queues/a/ready/p1.json", "{\"id\":\"p1\"}\n");
    let racers: Vec<Child> = (0..16)
        .map(|i| {
            let to = format!("queues/a/in_progress/p1.json.{i}");
            spawn(
                &env,
                &["--json", "debug", "move-new", "queues/a/ready/p1.json", &to],
            )
        })
        .collect();
    let outs: Vec<Output> = racers
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let codes = exit_codes(&outs);
    assert_eq!(
        codes.iter().filter(|c| **c == Some(0)).count(),
        1,
        "{codes:?}"
    );
    assert_eq!(
        codes.iter().filter(|c| **c == Some(4)).count(),
        15,
        "{codes:?}"
    );
    let taken = tree(&env.gemba_dir().join("queues/a/in_progress"));
    assert_eq!(taken.len(), 1, "{taken:?}");
    assert!(!env.gemba_dir().join("queues/a/ready/p1.json").exists());
    // Moving onto an existing file never replaces it.
    env.write(".gemba/queues/a/ready/p2.json", "{\"id\":\"p2\"}\n");
    let target = format!("queues/a/in_progress/{}", taken[0].display());
    env.fails(4, &["debug", "move-new", "queues/a/ready/p2.json", &target]);
    assert!(env.gemba_dir().join("queues/a/ready/p2.json").exists());
    // Paths must stay inside .gemba/.
    env.fails(2, &["debug", "move-new", "../x", "queues/y"]);
}

#[test]
fn a_held_lock_is_waited_for_with_a_message_then_times_out() {
    let env = TestEnv::init();
    env.import_text("{\"id\":\"a-1\",\"title\":\"A\"}\n");
    let config = env.read(".gemba/config.yaml");
    env.write(
        ".gemba/config.yaml",
        &config.replace("lock_timeout: 10", "lock_timeout: 0.6"),
    );
    // Hold the bead lock as another gemba would, naming ourselves.
    let path = env.gemba_dir().join("beads.lock");
    let mut lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .unwrap();
    lock.lock().unwrap();
    writeln!(lock, "pid 4242 (gemba import)").unwrap();

    let before = env.snapshot();
    let start = Instant::now();
    let out = env.fails(1, &["--json", "bead", "update", "a-1", "--title", "B"]);
    let waited = start.elapsed();
    let err = stderr(&out);
    assert!(
        err.contains("gemba: waiting for .gemba/beads.lock held by pid 4242 (gemba import)"),
        "{err}"
    );
    let json: Value = serde_json::from_str(err.lines().last().unwrap()).unwrap();
    assert_eq!(json["code"], "lock_timeout", "{json}");
    assert_eq!(json["retryable"], true, "{json}");
    assert!(
        json["message"]
            .as_str()
            .unwrap()
            .contains("pid 4242 (gemba import)")
    );
    assert!(waited >= Duration::from_millis(600), "{waited:?}");
    assert_eq!(env.snapshot(), before, "nothing changed");

    // Claims never touch that lock.
    env.ok(&["debug", "create-new", "claims", "a-1"]);
    drop(lock);
    env.ok(&["bead", "update", "a-1", "--title", "B"]);
}
