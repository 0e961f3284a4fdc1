//! The conflict graph and the plan on real repositories: target edges from
//! target globs, semantic edges from a fresh source index (and a one-line
//! skip when it is stale), and plans whose batches are conflict-free and
//! respect dependencies, checked here independently of the planner.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::common::*;

fn edges(env: &TestEnv, args: &[&str]) -> (Vec<(String, String, String)>, Value, String) {
    let mut all = vec!["conflicts", "--json"];
    all.extend(args);
    let out = env.run(&all);
    assert!(out.status.success(), "{}", render(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = v["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["a"].as_str().unwrap().to_string(),
                e["b"].as_str().unwrap().to_string(),
                e["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (list, v, stderr(&out))
}

#[test]
fn semantic_edges_come_from_a_fresh_index_only() {
    let env = TestEnv::init();
    env.write(
        "Cargo.toml",
        "[package]\nname = \"demo\"\nversion = \"0.1.0\"\n",
    );
    env.write("src/lib.rs", "pub mod auth;\npub mod web;\n");
    env.write("src/auth.rs", "pub fn check() {}\n");
    env.write(
        "src/web.rs",
        "use crate::auth::check;\npub fn serve() { check() }\n",
    );
    env.write("src/other.rs", "pub fn lonely() {}\n");
    env.git(&["add", "-A"]);
    env.git(&["commit", "-q", "-m", "sources"]);
    env.import_text(
        "{\"id\":\"a\",\"title\":\"Harden auth\"}\n{\"id\":\"w\",\"title\":\"Serve pages\"}\n{\"id\":\"o\",\"title\":\"Other\"}\n",
    );
    env.ok(&["bead", "targets", "set", "a", "src/auth.rs"]);
    env.ok(&["bead", "targets", "set", "w", "src/web.rs"]);
    env.ok(&["bead", "targets", "set", "o", "src/other.rs"]);

    let (list, v, err) = edges(&env, &[]);
    assert!(list.is_empty(), "{list:?}");
    assert_eq!(v["semantic"], "off");
    assert!(
        err.contains("semantic edges skipped:") && err.contains("gemba index build"),
        "{err}"
    );

    env.ok(&["index", "build"]);
    let (list, v, err) = edges(&env, &[]);
    assert_eq!(list, [("a".into(), "w".into(), "semantic".into())]);
    assert_eq!(v["semantic"], "fresh");
    assert!(!err.contains("skipped"), "{err}");
    assert!(
        v["edges"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("`src/web.rs` (w) imports `src/auth.rs` (a)"),
        "{v}"
    );

    // A commit of gemba's own state only (what auto-commit makes) leaves
    // the sources, and so the index, as they were.
    env.ok(&["bead", "update", "o", "--priority", "1"]);
    env.git(&["add", "-A", "--", ".gemba"]);
    env.git(&["commit", "-q", "-m", "gemba state"]);
    let (list, v, _) = edges(&env, &[]);
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(v["semantic"], "fresh");

    // HEAD moves with a source change: the index is stale, the edge goes,
    // and a line says why.
    env.write("README.md", "changed\n");
    env.git(&["commit", "-q", "-am", "docs"]);
    let (list, v, err) = edges(&env, &[]);
    assert!(list.is_empty(), "{list:?}");
    assert_eq!(v["semantic"], "stale");
    assert_eq!(
        err.lines()
            .filter(|l| l.contains("semantic edges skipped"))
            .count(),
        1,
        "{err}"
    );
    assert!(err.contains("stale"), "{err}");
}

#[test]
fn target_edges_name_globs_and_paths() {
    let env = TestEnv::init();
    env.write("src/auth/token.rs", "");
    env.write("src/auth/login.rs", "");
    env.git(&["add", "-A"]);
    env.git(&["commit", "-q", "-m", "tree"]);
    env.import_text("{\"id\":\"a\",\"title\":\"A\"}\n{\"id\":\"b\",\"title\":\"B\"}\n{\"id\":\"c\",\"title\":\"C\"}\n");
    env.ok(&["bead", "targets", "set", "a", "src/auth/**"]);
    env.ok(&["bead", "targets", "set", "b", "src/auth/token.rs"]);
    env.ok(&["bead", "targets", "set", "c", "docs/*.md"]);
    let (list, v, _) = edges(&env, &[]);
    assert_eq!(list, [("a".into(), "b".into(), "target".into())]);
    assert_eq!(
        v["edges"][0]["reason"],
        "`src/auth/**` and `src/auth/token.rs`: both match src/auth/token.rs"
    );
    let (only_c, _, _) = edges(&env, &["--bead", "c"]);
    assert!(only_c.is_empty());
    let dot = env.ok(&["conflicts", "--format", "dot"]);
    assert!(dot.contains("\"a\" -- \"b\" [label=\"target\""), "{dot}");
    let human = env.ok(&["conflicts"]);
    assert!(human.starts_with("target (1)\n"), "{human}");
    env.fails(1, &["conflicts", "--bead", "nope"]);
}

/// Plan a real tracker (with its repository's tree when we have it) and
/// check every batch and every dependency against independent data.
fn check_plan(tracker: &str, tree: Option<&str>) {
    let env = TestEnv::init();
    if let Some(list) = tree {
        let text = std::fs::read_to_string(shared_history(list)).unwrap();
        for path in text.lines().filter(|l| !l.is_empty()) {
            env.write(path, "");
        }
        env.git(&["add", "-A"]);
        env.git(&["commit", "-q", "-m", "tree"]);
    }
    env.ok(&[
        "-q",
        "import",
        "beads",
        shared_data(tracker).to_str().unwrap(),
    ]);
    env.ok(&["-q", "concepts", "bootstrap"]);
    env.run(&["-q", "bead", "backfill"]);
    let (conflicts, _, _) = edges(&env, &["--all"]);
    let hard = ["target", "may-overlap", "semantic", "workspace"];
    for soft in [false, true] {
        let edge_set: BTreeSet<(String, String)> = conflicts
            .iter()
            .filter(|(_, _, kind)| soft || hard.contains(&kind.as_str()))
            .map(|(a, b, _)| (a.clone(), b.clone()))
            .collect();
        let mut args = vec!["plan", "--agents", "3"];
        if soft {
            args.push("--soft");
        }
        check_batches(&env, tracker, &args, &edge_set);
    }
}

fn check_batches(
    env: &TestEnv,
    tracker: &str,
    args: &[&str],
    edge_set: &BTreeSet<(String, String)>,
) {
    let plan = env.json(args);
    // Blocking edges, from the tracker file itself.
    let mut blockers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for issue in read_issues(tracker) {
        let id = issue["id"].as_str().unwrap().to_string();
        for d in issue["dependencies"].as_array().into_iter().flatten() {
            let t = d["type"].as_str().unwrap_or("");
            if ["blocks", "conditional-blocks", "waits-for"].contains(&t) {
                blockers
                    .entry(id.clone())
                    .or_default()
                    .push(d["depends_on_id"].as_str().unwrap().to_string());
            }
        }
    }
    let mut wave_of: BTreeMap<String, usize> = BTreeMap::new();
    let mut planned = 0;
    for (w, wave) in plan["waves"].as_array().unwrap().iter().enumerate() {
        for batch in wave["batches"].as_array().unwrap() {
            let ids: Vec<String> = batch
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect();
            assert!(!ids.is_empty() && ids.len() <= 3, "{ids:?}");
            for (i, x) in ids.iter().enumerate() {
                for y in &ids[i + 1..] {
                    let pair = if x < y {
                        (x.clone(), y.clone())
                    } else {
                        (y.clone(), x.clone())
                    };
                    assert!(
                        !edge_set.contains(&pair),
                        "{tracker}: {pair:?} conflict in one batch"
                    );
                }
                assert!(wave_of.insert(x.clone(), w).is_none(), "{x} planned twice");
                assert!(plan["reasons"][x].is_string(), "{x} has no reason");
                planned += 1;
            }
        }
    }
    assert!(planned > 0, "{tracker}: nothing planned");
    for (id, w) in &wave_of {
        for b in blockers.get(id).into_iter().flatten() {
            if let Some(bw) = wave_of.get(b) {
                assert!(
                    bw < w,
                    "{tracker}: {id} (wave {w}) planned with its blocker {b} (wave {bw})"
                );
            }
        }
    }
    eprintln!(
        "{tracker}: {planned} beads planned in {} waves; {} conflict edges over all beads",
        plan["waves"].as_array().unwrap().len(),
        edge_set.len()
    );
}

#[test]
fn plans_of_both_trackers_are_conflict_free_and_ordered() {
    check_plan(FLYWHEEL, None);
    check_plan(BEADS, Some("steveyegge__beads__tracked-files.txt"));
}
