//! `gemba scan …`: scheduling on the real binary.

use crate::common::*;

#[test]
fn two_triggers_within_the_cooldown_run_one_scan() {
    let env = TestEnv::init();
    let first = env.json(&["scan", "trigger", "--reason", "post-merge", "--wait"]);
    assert_eq!(first["decision"], "run", "{first}");
    let second = env.json(&["scan", "trigger", "--reason", "post-merge", "--wait"]);
    assert_eq!(second["decision"], "skipped-cooldown", "{second}");
    let runs = env.json(&["log", "--kind", "scan.run"]);
    assert_eq!(runs.as_array().unwrap().len(), 1, "{runs}");
    let triggers = env.json(&["log", "--kind", "scan.trigger"]);
    assert_eq!(triggers.as_array().unwrap().len(), 2, "{triggers}");
    let status = env.json(&["scan", "status"]);
    assert_eq!(
        status["last_trigger"]["decision"]["action"], "skipped-cooldown",
        "{status}"
    );
    assert_eq!(status["last_run"]["reason"], "post-merge", "{status}");
}

#[test]
fn pause_holds_automatic_triggers_but_not_manual_ones() {
    let env = TestEnv::init();
    env.ok(&["scan", "pause", "2h"]);
    let barrier = env.json(&["scan", "trigger", "--reason", "barrier", "--wait"]);
    assert_eq!(barrier["decision"], "paused", "{barrier}");
    let manual = env.json(&["scan", "now"]);
    assert_eq!(manual["decision"], "run", "{manual}");
    env.ok(&["scan", "resume"]);
    let status = env.json(&["scan", "status"]);
    assert_eq!(status["paused"], false, "{status}");
    env.fails(2, &["scan", "pause", "soon"]);
}

#[test]
fn a_malformed_state_file_is_named_with_its_position() {
    let env = TestEnv::init();
    env.write(".gemba/scan/state.json", "{\n  \"queued\": 3\n}\n");
    let out = env.run(&["scan", "status"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("state.json:2:"), "{}", stderr(&out));
}

#[test]
fn gemba_check_validates_the_scan_state() {
    let env = TestEnv::init();
    env.json(&["scan", "trigger", "--reason", "barrier", "--wait"]);
    let (code, report) = check_report(&env);
    assert_eq!(
        code,
        Some(0),
        "a state the scheduler wrote is valid: {report}"
    );
    env.write(
        ".gemba/scan/state.json",
        "{\n  \"merges\": [],\n  \"paused\": true\n}\n",
    );
    let (code, report) = check_report(&env);
    assert_eq!(code, Some(1), "{report}");
    let error = &report["errors"][0];
    assert!(
        error["path"].as_str().unwrap().ends_with("scan/state.json"),
        "{report}"
    );
    assert_eq!(error["line"], 3, "{report}");
}

#[test]
fn the_thresholds_come_from_config() {
    let env = TestEnv::init();
    let config = env
        .read(".gemba/config.yaml")
        .replace("  wave_merges: 5\n", "  wave_merges: 2\n")
        .replace("  floor: 4h\n", "  floor: 1d\n");
    env.write(".gemba/config.yaml", &config);
    // The first merge ever runs a scan; 11 minutes later (past the
    // cooldown), a second merge is a wave of 2 only with wave_merges: 2.
    let first = env.json(&["scan", "trigger", "--reason", "post-merge", "--wait"]);
    assert_eq!(first["decision"], "run", "{first}");
    let later = env
        .cmd(&[
            "scan",
            "trigger",
            "--reason",
            "post-merge",
            "--wait",
            "--json",
        ])
        .env("GEMBA_NOW", "2026-11-23T12:11:00Z")
        .output()
        .unwrap();
    let later: serde_json::Value = serde_json::from_slice(&later.stdout).unwrap();
    assert_eq!(later["decision"], "run", "{later}");
    assert!(
        later["why"].as_str().unwrap().starts_with("2 merges"),
        "{later}"
    );
}

#[test]
fn a_dispatch_tick_waits_for_a_scan_when_the_index_is_stale() {
    let env = TestEnv::init();
    env.write("src/lib.rs", "mod a;\n");
    env.write("src/a.rs", "pub fn a() {}\n");
    env.git(&["add", "-A"]);
    env.git(&["commit", "-q", "-m", "sources"]);
    // Off: a tick plans nothing, so it scans nothing.
    env.json(&["dispatch", "tick"]);
    assert!(
        env.json(&["log", "--kind", "scan"])
            .as_array()
            .unwrap()
            .is_empty()
    );

    env.ok(&["dispatch", "on"]);
    env.json(&["dispatch", "tick"]);
    let triggers = env.json(&["log", "--kind", "scan.trigger"]);
    assert_eq!(triggers.as_array().unwrap().len(), 1, "{triggers}");
    assert_eq!(triggers[0]["data"]["reason"], "demand");
    assert_eq!(triggers[0]["data"]["decision"], "run");
    // It ran in the tick's process, before the tick: the index is fresh.
    let runs = env.json(&["log", "--kind", "scan.run"]);
    assert_eq!(runs.as_array().unwrap().len(), 1, "{runs}");
    let status = env.json(&["index", "status"]);
    assert_eq!(status["freshness"]["state"], "fresh", "{status}");
    // Fresh: the next tick asks for nothing.
    env.json(&["dispatch", "tick"]);
    let triggers = env.json(&["log", "--kind", "scan.trigger"]);
    assert_eq!(triggers.as_array().unwrap().len(), 1, "{triggers}");
}

#[test]
fn a_stale_index_seen_by_conflicts_starts_one_drift_scan() {
    let env = TestEnv::init();
    env.write("src/lib.rs", "mod a;\n");
    env.write("src/a.rs", "pub fn a() {}\n");
    env.git(&["add", "-A"]);
    env.git(&["commit", "-q", "-m", "sources"]);
    env.ok(&["index", "build"]);
    let stale = |text: &str| {
        env.write("src/a.rs", text);
        env.git(&["commit", "-q", "-am", "edit"]);
    };
    stale("pub fn a() { 1; }\n");
    let out = env.run(&["conflicts"]);
    assert!(out.status.success(), "{}", render(&out));
    assert!(
        stderr(&out).contains("rebuilding the stale source index"),
        "{}",
        render(&out)
    );
    let triggers = env.json(&["log", "--kind", "scan.trigger"]);
    assert_eq!(triggers.as_array().unwrap().len(), 1, "{triggers}");
    assert_eq!(triggers[0]["data"]["reason"], "drift");
    let mut fresh = false;
    for _ in 0..100 {
        if env.json(&["index", "status"])["freshness"]["state"] == "fresh" {
            fresh = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(fresh, "the background scan rebuilt the index");
    // Stale again within the cooldown: not due, so nothing is logged.
    stale("pub fn a() { 2; }\n");
    let out = env.run(&["plan"]);
    assert!(!stderr(&out).contains("rebuilding"), "{}", render(&out));
    let triggers = env.json(&["log", "--kind", "scan.trigger"]);
    assert_eq!(triggers.as_array().unwrap().len(), 1, "{triggers}");
}
