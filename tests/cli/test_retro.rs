//! `gemba retro run|list|show|learn` on real git histories: feature
//! branches merged with `git merge --no-ff`.

use serde_json::Value;

use crate::common::*;

/// Beads imported with these ids, titles and statuses (one JSONL line each).
fn import(env: &TestEnv, beads: &[(&str, &str, &str)]) {
    let text: String = beads
        .iter()
        .map(|(id, title, status)| {
            let closed = if *status == "closed" {
                format!(r#","closed_at":"{NOW}""#)
            } else {
                String::new()
            };
            format!(
                r#"{{"id":"{id}","title":"{title}","status":"{status}","priority":2,"issue_type":"task","created_at":"2026-11-01T00:00:00Z","updated_at":"2026-11-01T00:00:00Z"{closed}}}"#
            ) + "\n"
        })
        .collect();
    let out = env.import_text(&text);
    assert!(out.status.success(), "{}", render(&out));
}

/// Targets as extraction (or an operator) would have written them.
fn targets(env: &TestEnv, id: &str, globs: &[&str], source: &str) {
    let list: String = globs.iter().map(|g| format!("  - {g}\n")).collect();
    env.write(
        &format!(".gemba/enrichment/{id}.yaml"),
        &format!("targets:\n  value:\n{list}  source: {source}\n"),
    );
}

/// Commit `files` on a new branch off main and merge it back with `--no-ff`.
fn feature(env: &TestEnv, branch: &str, message: &str, files: &[&str]) {
    env.git(&["checkout", "-q", "-b", branch, "main"]);
    for f in files {
        env.write(f, &format!("{branch}\n"));
    }
    env.git(&["add", "-A"]);
    env.git(&["commit", "-q", "-m", message]);
    env.git(&["checkout", "-q", "main"]);
    env.git(&[
        "merge",
        "-q",
        "--no-ff",
        branch,
        "-m",
        &format!("Merge branch '{branch}'"),
    ]);
}

/// Three claimed beads, then three merged branches:
/// - bd-in works inside its declared `src/auth/**` (heuristic);
/// - bd-out declared `src/auth/**` too but works in `src/db/`;
/// - bd-pin's targets are an operator's (`src/ui/**`), half its files
///   outside them.
///
/// Returns the env, the session and the commit before the merges.
fn scenario() -> (TestEnv, String, String) {
    let env = TestEnv::init();
    import(
        &env,
        &[
            ("bd-in", "login form", "open"),
            ("bd-out", "login storage", "open"),
            ("bd-pin", "ui shell", "open"),
        ],
    );
    targets(&env, "bd-in", &["src/auth/**"], "heuristic");
    targets(&env, "bd-out", &["src/auth/**"], "heuristic");
    targets(&env, "bd-pin", &["src/ui/**"], "operator");
    env.write(
        ".gemba/vocabulary.yaml",
        "terms:\n- name: auth\n- name: db\n  aliases: [database]\n- name: ui\n",
    );
    env.ok(&["agent", "add", "alice"]);
    let session = env
        .ok(&["session", "start", "--agent", "alice"])
        .trim()
        .to_string();
    for bead in ["bd-in", "bd-out", "bd-pin"] {
        env.ok(&["claim", bead, "--session", &session]);
    }
    env.git(&["add", "-A"]);
    env.git(&["commit", "-q", "-m", "gemba state"]);
    let base = env.git(&["rev-parse", "HEAD"]).trim().to_string();
    feature(&env, "feat/bd-in", "login form", &["src/auth/login.rs"]);
    feature(
        &env,
        "storage",
        "store sessions (bd-out)",
        &["src/db/schema.sql"],
    );
    feature(
        &env,
        "shell",
        "ui shell\n\nGemba-Bead: bd-pin",
        &["src/ui/app.rs", "docs/ui.md"],
    );
    (env, session, base)
}

fn by_bead<'a>(retros: &'a Value, bead: &str) -> &'a Value {
    retros
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["bead"] == bead)
        .unwrap_or_else(|| panic!("no retro of {bead} in {retros:#}"))
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect()
}

#[test]
fn retro_run_corrects_targets_updates_profiles_and_is_idempotent() {
    let (env, session, base) = scenario();
    let range = format!("{base}..HEAD");
    let report = env.json(&["retro", "run", "--range", &range]);
    // 3 merges + 3 branch commits; the merges of `storage` and `shell`
    // name no bead (their branch commits do).
    assert_eq!(report["commits"], 6, "{report:#}");
    assert_eq!(report["linked_commits"], 4);
    let retros = &report["retros"];
    assert_eq!(retros.as_array().unwrap().len(), 3, "{report:#}");

    let inside = by_bead(retros, "bd-in");
    assert_eq!(strings(&inside["files"]), ["src/auth/login.rs"]);
    assert_eq!(inside["divergence"]["score"], 0.0);
    // The branch commit by its branch, the merge by the id in its subject.
    assert_eq!(strings(&inside["rules"]), ["branch", "token"]);
    assert_eq!(strings(&inside["concepts"]), ["auth"]);

    let outside = by_bead(retros, "bd-out");
    assert_eq!(strings(&outside["files"]), ["src/db/schema.sql"]);
    assert_eq!(outside["divergence"]["unmatched"], 1.0);
    assert_eq!(outside["divergence"]["score"], 1.0);
    assert_eq!(outside["action"], "corrected");
    assert_eq!(strings(&outside["declared"]), ["src/auth/**"]);
    assert_eq!(outside["declared_source"], "heuristic");
    assert_eq!(outside["session"], session.as_str());
    assert_eq!(outside["agent"], "alice");
    assert_eq!(strings(&outside["concepts"]), ["db"]);
    let outcome = &outside["grade"]["outcome"];
    assert_eq!(outcome["rework_commits"], 0);
    assert_eq!(outcome["merge_conflicts"], serde_json::json!([]));
    assert_eq!(outcome["claimed_at"], "2026-11-23T12:00:00.000Z");
    assert_eq!(outcome["cycle_time_secs"], 0);
    // Claimed by hand: no selection to grade.
    assert_eq!(outside["grade"]["prediction"], Value::Null);

    let pinned = by_bead(retros, "bd-pin");
    assert_eq!(strings(&pinned["rules"]), ["trailer"]);
    assert_eq!(pinned["action"], "pinned");
    assert_eq!(pinned["divergence"]["unmatched"], 0.5);
    assert_eq!(
        strings(&pinned["divergence"]["unmatched_files"]),
        ["docs/ui.md"]
    );

    // Targets: the outside one corrected (stamp retro), the pinned one not.
    let out = env.json(&["bead", "show", "bd-out"])["enrichment"]["targets"].clone();
    assert_eq!(strings(&out["value"]), ["src/db/schema.sql"]);
    assert_eq!(out["source"], "retro");
    let pin = env.json(&["bead", "show", "bd-pin"])["enrichment"]["targets"].clone();
    assert_eq!(strings(&pin["value"]), ["src/ui/**"]);
    assert_eq!(pin["source"], "operator");

    // Profiles: the declared globs replaced by the actual files.
    let s: Value =
        serde_json::from_str(&env.read(&format!(".gemba/sessions/{session}.json"))).unwrap();
    let profile = &s["profile"];
    assert!(
        profile["files"]["src/db/schema.sql"].as_f64().unwrap() > 0.0,
        "{profile:#}"
    );
    assert!(profile["files"].get("src/auth/**").is_none(), "{profile:#}");
    assert_eq!(
        profile["concepts"]["db"].as_f64().map(|w| w > 0.0),
        Some(true)
    );
    let ring = profile["recent"].as_array().unwrap();
    let entry = ring.iter().find(|r| r["bead"] == "bd-out").unwrap();
    assert_eq!(entry["source"], "actual");
    assert_eq!(strings(&entry["files"]), ["src/db/schema.sql"]);
    let agent = env.read(".gemba/agents/alice.yaml");
    assert!(agent.contains("src/db/schema.sql"), "{agent}");

    // list: only the outside one diverged by more than half.
    let list = env.json(&["retro", "list", "--diverged-gt", "0.5"]);
    let beads: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["bead"].as_str().unwrap())
        .collect();
    assert_eq!(beads, ["bd-out"]);
    assert_eq!(env.json(&["retro", "list"]).as_array().unwrap().len(), 3);
    let mine = env.json(&["retro", "list", "--session", &session]);
    assert_eq!(mine.as_array().unwrap().len(), 3);
    let none = env.json(&["retro", "list", "--session", "s-nobody"]);
    assert_eq!(none, serde_json::json!([]));
    let human = env.ok(&["retro", "list", "--diverged-gt", "0.5"]);
    assert!(
        human.contains("bd-out") && !human.contains("bd-pin"),
        "{human}"
    );

    // show: the same record by its id, as JSON and as text.
    let id = outside["id"].as_str().unwrap();
    let shown = env.json(&["retro", "show", id]);
    assert_eq!(shown["bead"], "bd-out");
    assert_eq!(shown["divergence"], outside["divergence"]);
    assert_eq!(shown["reworked_by"], serde_json::json!([]));
    let text = env.ok(&["retro", "show", id]);
    assert!(
        text.contains("src/db/schema.sql") && text.contains("corrected"),
        "{text}"
    );
    let log = env.json(&["log", "--kind", "retro"]);
    assert_eq!(log.as_array().unwrap().len(), 3);
    // Everything the retro wrote passes `gemba check`.
    let (code, check) = check_report(&env);
    assert_eq!(code, Some(0), "{check:#}");

    // Again on the same range: nothing new, nothing changed.
    let before = env.snapshot();
    let again = env.json(&["retro", "run", "--range", &range]);
    assert_eq!(again["retros"], serde_json::json!([]));
    assert_eq!(again["skipped"].as_array().unwrap().len(), 3);
    assert_eq!(env.snapshot(), before, "a second run changed .gemba/");
    // The same merge on its own is covered too.
    let merge = env.json(&["retro", "run", "--merge", "HEAD"]);
    assert_eq!(merge["retros"], serde_json::json!([]));

    // Rework: a later commit on bd-out is graded as such.
    env.write("src/db/index.sql", "x\n");
    env.git(&["add", "-A"]);
    env.git(&["commit", "-q", "-m", "fix index (bd-out)"]);
    let rework = env.json(&["retro", "run", "--range", "HEAD~1..HEAD"]);
    let later = by_bead(&rework["retros"], "bd-out");
    assert_eq!(later["grade"]["outcome"]["rework_commits"], 1);
    assert_eq!(strings(&later["grade"]["outcome"]["rework_of"]), [id]);
    assert_eq!(
        strings(&later["files"]),
        ["src/db/index.sql", "src/db/schema.sql"]
    );
    // No merge brought it in: conflicts are not detectable.
    assert_eq!(later["grade"]["outcome"]["merge_conflicts"], Value::Null);
    let shown = env.json(&["retro", "show", id]);
    assert_eq!(
        strings(&shown["reworked_by"]),
        [later["id"].as_str().unwrap()]
    );
}

#[test]
fn retro_run_grades_the_selection_and_sees_merge_conflicts() {
    let env = TestEnv::init();
    import(&env, &[("bd-a", "parser fix", "open")]);
    targets(&env, "bd-a", &["src/parse.rs"], "heuristic");
    env.write("src/parse.rs", "base\n");
    env.ok(&["agent", "add", "alice"]);
    let session = env
        .ok(&["session", "start", "--agent", "alice"])
        .trim()
        .to_string();
    let next = env.json(&["next", "--session", &session, "--claim"]);
    assert_eq!(next["claimed"], true, "{next:#}");
    assert_eq!(next["bead"]["id"], "bd-a");
    env.git(&["add", "-A"]);
    env.git(&["commit", "-q", "-m", "state"]);
    // The branch and main both change the same line: the merge conflicts.
    env.git(&["checkout", "-q", "-b", "fix/bd-a"]);
    env.write("src/parse.rs", "branch\n");
    env.git(&["commit", "-q", "-am", "parser"]);
    env.git(&["checkout", "-q", "main"]);
    env.write("src/parse.rs", "main\n");
    env.git(&["commit", "-q", "-am", "meanwhile"]);
    let conflicted = env.git_try(&["merge", "-q", "--no-ff", "fix/bd-a"]);
    assert!(!conflicted.status.success());
    env.write("src/parse.rs", "resolved\n");
    env.git(&["commit", "-q", "-am", "Merge branch 'fix/bd-a'"]);

    let report = env.json(&["retro", "run"]);
    let retro = by_bead(&report["retros"], "bd-a");
    assert_eq!(report["range"], "ORIG_HEAD..HEAD");
    let grade = &retro["grade"];
    let prediction = &grade["prediction"];
    assert_eq!(prediction["what"], "selection", "{grade:#}");
    assert!(prediction["score"].as_f64().is_some(), "{grade:#}");
    assert!(prediction["affinity"].as_f64().is_some(), "{grade:#}");
    assert_eq!(
        strings(&grade["outcome"]["merge_conflicts"]),
        ["src/parse.rs"]
    );
    assert_eq!(retro["divergence"]["score"], 0.0);
    assert_eq!(retro["action"], "unchanged");
    // Right all along, now known: stamped `retro`, so history may lend them.
    let t = env.json(&["bead", "show", "bd-a"])["enrichment"]["targets"].clone();
    assert_eq!(strings(&t["value"]), ["src/parse.rs"]);
    assert_eq!(t["source"], "retro");
}

#[test]
fn bad_range_changes_nothing() {
    let (env, _, _) = scenario();
    let before = env.snapshot();
    let out = env.fails(1, &["retro", "run", "--range", "nope..HEAD", "--json"]);
    let err: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(err["code"], "invalid_input");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("\"nope\" names no commit"),
        "{err}"
    );
    let out = env.fails(1, &["retro", "run", "--range", "HEAD", "--json"]);
    let err: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert!(err["message"].as_str().unwrap().contains("A..B"), "{err}");
    env.fails(1, &["retro", "run", "--merge", "0000000"]);
    env.fails(1, &["retro", "list", "--diverged-gt", "2"]);
    let missing = env.fails(1, &["retro", "show", "nope", "--json"]);
    let err: Value = serde_json::from_slice(&missing.stderr).unwrap();
    assert_eq!(err["code"], "not_found");
    assert_eq!(env.snapshot(), before);
}

#[test]
fn auto_commit_puts_the_retro_in_git_log() {
    let (env, _, base) = scenario();
    env.enable_auto_commit();
    env.json(&["retro", "run", "--range", &format!("{base}..HEAD")]);
    let log = env.git(&["log", "--format=%s", "--", ".gemba"]);
    let first = log.lines().next().unwrap();
    assert!(first.starts_with("gemba: retro bd-"), "{log}");
    assert!(first.contains("(+2 more)"), "{log}");
    assert_eq!(env.git(&["status", "--porcelain", "--", ".gemba"]), "");
}

#[test]
fn retro_learn_records_closed_beads_files_incrementally() {
    let env = TestEnv::init();
    import(
        &env,
        &[
            ("bd-1", "cache", "closed"),
            ("bd-2", "sync", "closed"),
            ("bd-3", "pinned", "closed"),
            ("bd-4", "still open", "open"),
            ("bd-5", "right from the text", "closed"),
        ],
    );
    targets(&env, "bd-2", &["docs/sync.md"], "heuristic");
    targets(&env, "bd-5", &["src/right.rs"], "backfill");
    targets(&env, "bd-3", &["src/pinned/**"], "operator");
    env.git(&["add", "-A"]);
    env.git(&["commit", "-q", "-m", "beads"]);
    let commit = |files: &[&str], message: &str| {
        for f in files {
            env.write(f, message);
        }
        env.git(&["add", "-A"]);
        env.git(&["commit", "-q", "-m", message]);
    };
    commit(&["src/cache.rs"], "cache (bd-1)");
    commit(&["src/cache_test.rs"], "more cache\n\nGemba-Bead: bd-1");
    commit(&["src/sync.rs"], "bd-2: sync");
    commit(&["src/other.rs"], "bd-3 done");
    commit(&["src/open.rs"], "bd-4 wip");
    commit(&["src/right.rs"], "as the text said (bd-5)");
    commit(&["README.md"], "unrelated");
    feature(&env, "fix/bd-2", "follow-up", &["src/sync_more.rs"]);

    let learned = env.json(&["retro", "learn"]);
    assert_eq!(learned["from"], Value::Null, "{learned:#}");
    assert_eq!(learned["beads"], 5, "{learned:#}");
    // bd-5's text targets were its files: same value, stamp `retro` now.
    assert_eq!(learned["updated"], 3);
    let t5 = env.json(&["bead", "show", "bd-5"])["enrichment"]["targets"].clone();
    assert_eq!(strings(&t5["value"]), ["src/right.rs"]);
    assert_eq!(t5["source"], "retro");
    assert_eq!(learned["pinned"], 1);
    assert_eq!(learned["open"], 1);
    let t1 = env.json(&["bead", "show", "bd-1"])["enrichment"]["targets"].clone();
    assert_eq!(strings(&t1["value"]), ["src/cache.rs", "src/cache_test.rs"]);
    assert_eq!(t1["source"], "retro");
    let t2 = env.json(&["bead", "show", "bd-2"])["enrichment"]["targets"].clone();
    assert_eq!(strings(&t2["value"]), ["src/sync.rs", "src/sync_more.rs"]);
    let t3 = env.json(&["bead", "show", "bd-3"])["enrichment"]["targets"].clone();
    assert_eq!(t3["source"], "operator");
    assert!(!env.root.join(".gemba/enrichment/bd-4.yaml").exists());
    let events = env.json(&["log", "--kind", "retro.learn"]);
    assert_eq!(events.as_array().unwrap().len(), 1);

    // Incremental: the next run starts where this one stopped.
    commit(&["src/cache_more.rs"], "cache again (bd-1)");
    let next = env.json(&["retro", "learn"]);
    assert_eq!(next["from"], learned["to"]);
    assert_eq!(next["commits"], 1);
    assert_eq!(next["updated"], 1);
    let t1 = env.json(&["bead", "show", "bd-1"])["enrichment"]["targets"].clone();
    assert_eq!(
        strings(&t1["value"]),
        ["src/cache.rs", "src/cache_test.rs", "src/cache_more.rs"]
    );
    let idle = env.json(&["retro", "learn"]);
    assert_eq!(idle["commits"], 0);
    // --since reads the whole range again; nothing new to record.
    let root = env.git(&["rev-list", "--max-parents=0", "HEAD"]);
    let again = env.json(&["retro", "learn", "--since", root.trim()]);
    assert_eq!(again["updated"], 0);
    assert_eq!(again["unchanged"], 3);
    env.fails(1, &["retro", "learn", "--since", "nope"]);
}

#[test]
fn retro_run_reads_the_merge_made_in_a_linked_worktree() {
    let env = TestEnv::init();
    import(&env, &[("bd-wt", "worktree work", "open")]);
    env.git(&["add", "-A"]);
    env.git(&["commit", "-q", "-m", "beads"]);
    let wt = env.tmp.path().join("wt");
    env.git(&["worktree", "add", "-q", "-b", "side", wt.to_str().unwrap()]);
    env.git_in(&wt, &["checkout", "-q", "-b", "fix/bd-wt"]);
    std::fs::write(wt.join("wt.rs"), "x\n").unwrap();
    env.git_in(&wt, &["add", "-A"]);
    env.git_in(&wt, &["commit", "-q", "-m", "in the worktree"]);
    env.git_in(&wt, &["checkout", "-q", "side"]);
    env.git_in(
        &wt,
        &[
            "merge",
            "-q",
            "--no-ff",
            "fix/bd-wt",
            "-m",
            "Merge branch 'fix/bd-wt'",
        ],
    );
    // The main worktree has no ORIG_HEAD; the linked one's is read.
    let out = env
        .cmd_in(&wt, &["retro", "run", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", render(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let retro = by_bead(&report["retros"], "bd-wt");
    assert_eq!(strings(&retro["files"]), ["wt.rs"]);
    // The state is the main worktree's, as for every command.
    let list = env.json(&["retro", "list"]);
    assert_eq!(list.as_array().unwrap().len(), 1);
}

/// Until `git status` is clean: the hook's detached settle has committed
/// what the hook changed (with `git.auto_commit`).
fn settled(env: &TestEnv) {
    for _ in 0..150 {
        if env.git(&["status", "--porcelain"]).trim().is_empty() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!(
        "the hook's changes were never committed:\n{}",
        env.git(&["status", "--porcelain"])
    );
}

/// Issue 15's scenario, through git alone: with the hooks installed and
/// `git.auto_commit`, two feature branches (one inside its declared
/// targets, one outside) merged by plain `git merge` are each retro'd by
/// the post-merge hook; the first merge starts a scan, the second trigger
/// is within the cooldown. Everything shows in `gemba log` and in
/// `git log -- .gemba`.
#[test]
fn merges_with_the_hooks_installed_are_retrod_and_scanned_once() {
    let env = TestEnv::init();
    env.enable_auto_commit();
    import(
        &env,
        &[
            ("bd-in", "login form", "open"),
            ("bd-out", "login storage", "open"),
        ],
    );
    targets(&env, "bd-in", &["src/auth/**"], "heuristic");
    targets(&env, "bd-out", &["src/auth/**"], "heuristic");
    env.write(
        ".gemba/vocabulary.yaml",
        "terms:\n- name: auth\n- name: db\n",
    );
    env.ok(&["agent", "add", "alice"]);
    let session = env
        .ok(&["session", "start", "--agent", "alice"])
        .trim()
        .to_string();
    for bead in ["bd-in", "bd-out"] {
        env.ok(&["claim", bead, "--session", &session]);
    }
    env.ok(&["hooks", "install"]);
    env.git(&["add", "-A"]);
    env.git(&["commit", "-q", "-m", "gemba state"]);
    for (branch, message, file) in [
        ("feat/bd-in", "login form", "src/auth/login.rs"),
        ("storage", "store sessions (bd-out)", "src/db/schema.sql"),
    ] {
        env.git(&["checkout", "-q", "-b", branch, "main"]);
        env.write(file, "work\n");
        env.git(&["add", file]);
        env.git(&["commit", "-q", "-m", message]);
        env.git(&["checkout", "-q", "main"]);
        let merge = env.git_with_path(
            &env.root,
            &gemba_path(),
            &[
                "merge",
                "-q",
                "--no-ff",
                branch,
                "-m",
                &format!("Merge branch '{branch}'"),
            ],
        );
        assert!(merge.status.success(), "{}", render(&merge));
        assert!(!stderr(&merge).contains("gemba:"), "{}", render(&merge));
        settled(&env);
    }

    // Two retros, with the right divergence; the outside one corrected.
    let retros = env.json(&["retro", "list"]);
    assert_eq!(
        retros.as_array().unwrap().len(),
        2,
        "{retros:#}\n{}",
        env.git(&["log", "--stat", "--format=%h %p %s"])
    );
    assert_eq!(by_bead(&retros, "bd-in")["divergence"]["score"], 0.0);
    let outside = by_bead(&retros, "bd-out");
    assert_eq!(outside["divergence"]["score"], 1.0);
    assert_eq!(outside["action"], "corrected");
    let out = env.json(&["bead", "show", "bd-out"])["enrichment"]["targets"].clone();
    assert_eq!(strings(&out["value"]), ["src/db/schema.sql"]);
    assert_eq!(out["source"], "retro");
    // Profiles: the session and the agent learnt the files really touched.
    let s: Value =
        serde_json::from_str(&env.read(&format!(".gemba/sessions/{session}.json"))).unwrap();
    assert!(s["profile"]["files"]["src/db/schema.sql"].as_f64().unwrap() > 0.0);
    assert!(
        env.read(".gemba/agents/alice.yaml")
            .contains("src/db/schema.sql")
    );

    // One scan ran; the second merge's trigger met the cooldown.
    wait_for_scan(&env);
    let runs = env.json(&["log", "--kind", "scan.run"]);
    assert_eq!(runs.as_array().unwrap().len(), 1, "{runs:#}");
    let triggers = env.json(&["log", "--kind", "scan.trigger"]);
    let decisions: Vec<&str> = triggers
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["data"]["decision"].as_str().unwrap())
        .collect();
    assert_eq!(decisions.len(), 2, "{triggers:#}");
    assert!(decisions[1].contains("cooldown"), "{decisions:?}");
    // Both hook runs, each with its retro step, in the log ...
    let hooks = env.json(&["log", "--kind", "githook"]);
    let hooks: Vec<&Value> = hooks
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["data"]["hook"] == "post-merge")
        .collect();
    assert_eq!(hooks.len(), 2, "{hooks:#?}");
    assert!(hooks.iter().all(|h| h["data"]["ok"] == true), "{hooks:#?}");
    assert!(
        hooks[1]["data"]["steps"][0]["note"]
            .as_str()
            .unwrap()
            .contains("bd-out 1.00"),
        "{hooks:#?}"
    );
    // ... and in git's history of .gemba.
    settled(&env);
    let history = env.git(&["log", "-p", "--format=%s", "--", ".gemba"]);
    assert!(history.contains("gemba: post-merge hook ok"), "{history}");
    assert!(history.contains("\"kind\":\"retro\""), "{history}");
    assert!(history.contains("source: retro"), "{history}");
}
