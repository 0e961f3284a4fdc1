use crate::common::*;

#[test]
fn init_import_ready_round_trip() {
    let env = TestEnv::init();
    let out = env.import_text(
        r#"{"id":"t-1","title":"First","status":"open","priority":1,"issue_type":"task","created_at":"2025-01-01T00:00:00Z"}
{"id":"t-2","title":"Second","status":"open","priority":2,"issue_type":"task","dependencies":[{"issue_id":"t-2","depends_on_id":"t-1","type":"blocks"}]}
"#,
    );
    assert!(out.status.success(), "{}", render(&out));
    let ready = env.json(&["ready"]);
    let ids: Vec<&str> = ready
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["t-1"]);
}

/// The README's main command: the guided tour runs every step and ends
/// with a clean `check`.
#[test]
fn demo_walks_through_every_step() {
    let env = TestEnv::new();
    let dir = env.tmp.path().join("demo");
    let out = env.cmd(&["demo", dir.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}", render(&out));
    let text = stdout(&out);
    for step in [
        "$ gemba init",
        "44 created, 0 updated, 0 unchanged; skipped 1 tombstone, 1 type:event",
        "0 created, 0 updated, 44 unchanged",
        "fcp-sdk       bootstrap:cargo-workspace",
        "21 beads: 21 enriched (",
        "), 0 skipped, 0 failed",
        "crates/fcp-sdk/src/**  (operator",
        "$ gemba concepts drift",
        "0 error(s), 0 warning(s)",
        "bead.close",
        "$ gemba agent add alice",
        "$ gemba session start --agent alice",
        "  final score ",
        "claimed for s-alice-",
        "dispatch grid: ",
        "added supply source todo (todo)",
        "queues (of 3): alice 0 -> 2",
        "took pk-",
        "  shipped: ",
        "todo:t-",
        "$ gemba queue status",
        "dry run (dispatch is off",
    ] {
        assert!(text.contains(step), "demo output lacks {step:?}:\n{text}");
    }
    // The new bead became ready once its blocker closed.
    let ready = text.rsplit("## Ready again").next().unwrap();
    assert!(
        ready.contains("Document the connector lifecycle"),
        "{ready}"
    );
    // Auto-commit is on: the demo ends with the history a person reviews,
    // one commit per change, and leaves nothing under .gemba/ uncommitted.
    let history = text
        .split("$ git log --oneline -- .gemba\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no git log in the demo output:\n{text}"));
    let commits: Vec<&str> = history
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .map(|l| l.split_once(' ').map_or(l, |(_, subject)| subject))
        .collect();
    assert_eq!(
        commits.first().copied(),
        Some("gemba: close flywheel_connectors-k8z7: done in the demo"),
        "{history}"
    );
    assert_eq!(
        commits.last().copied(),
        Some("gemba init (auto_commit on)"),
        "{history}"
    );
    for subject in [
        "gemba: import beads from tracker.jsonl: 44 created, 0 updated",
        "gemba: backfill enrichment: 21 enriched, 0 skipped, 0 failed",
        "gemba: add agent alice",
    ] {
        assert!(commits.contains(&subject), "{subject:?} not in {commits:?}");
    }
    // The session's claim is a commit, and so is the decision behind it.
    for prefix in ["gemba: claim ", "gemba: next for s-alice-"] {
        assert!(
            commits.iter().any(|c| c.starts_with(prefix)),
            "{prefix:?} not in {commits:?}"
        );
    }
    let log = env.git_in(&dir, &["log", "--format=%s", "--", ".gemba"]);
    assert_eq!(log.lines().collect::<Vec<_>>(), commits);
    assert!(commits.len() >= 7, "{commits:?}");
    assert_eq!(
        env.git_in(&dir, &["status", "--porcelain", "--", ".gemba"]),
        ""
    );
    // A non-empty directory is refused.
    let out = env.cmd(&["demo", dir.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", render(&out));
}
