//! `gemba supply`: demand sources feed the agents' queues, each item once,
//! up to the target depth, with reasons for what is held back; failing
//! sources and generators never stop a run; sources are managed without
//! hand-editing config.yaml.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::common::{TestEnv, render, stderr};

const GH: &str = include_str!("../fixtures/supply/gh-issues.json");
const HN: &str = include_str!("../fixtures/supply/hn-search.json");
const TODO: &str = include_str!("../fixtures/supply/TODO.md");
const IDEAS: &str = include_str!("../fixtures/supply/ideas.yaml");

/// A repo with `agents`, the fixtures, a tracked src/auth/redirect.rs (a
/// target the extractor can find) and `queue.target_depth` set.
fn setup(agents: &[&str], depth: usize) -> TestEnv {
    let env = TestEnv::init();
    for a in agents {
        env.ok(&["agent", "add", a]);
    }
    env.write("gh-issues.json", GH);
    env.write("hn-search.json", HN);
    env.write("TODO.md", TODO);
    env.write("ideas.yaml", IDEAS);
    env.write("src/auth/redirect.rs", "// redirect\n");
    env.git(&["add", "-A"]);
    env.git(&["commit", "-q", "-m", "fixtures"]);
    set_config(
        &env,
        "  max_attempts: 3\n",
        &format!("  max_attempts: 3\n  target_depth: {depth}\n"),
    );
    env
}

fn set_config(env: &TestEnv, from: &str, to: &str) {
    let text = env.read(".gemba/config.yaml");
    assert!(text.contains(from), "config.yaml has no {from:?}");
    env.write(".gemba/config.yaml", &text.replacen(from, to, 1));
}

fn add(env: &TestEnv, args: &[&str]) {
    let mut all = vec!["supply", "source", "add"];
    all.extend_from_slice(args);
    env.ok(&all);
}

/// `gemba supply --json [extra]`: the report and the exit code.
fn supply(env: &TestEnv, extra: &[&str]) -> (Value, Option<i32>) {
    let mut args = vec!["supply", "--json"];
    args.extend_from_slice(extra);
    let out = env.run(&args);
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}):\n{}", render(&out)));
    (report, out.status.code())
}

fn keys(list: &Value) -> BTreeSet<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|e| e["key"].as_str().unwrap().to_string())
        .collect()
}

fn reason_of(report: &Value, key: &str) -> Value {
    report["held"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["key"] == key)
        .unwrap_or_else(|| panic!("{key} not held: {report:#}"))
        .clone()
}

/// Every packet file: (agent, state, packet).
fn packets(env: &TestEnv) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    let queues = env.gemba_dir().join("queues");
    let Ok(agents) = std::fs::read_dir(&queues) else {
        return out;
    };
    for agent in agents {
        let agent = agent.unwrap().path();
        for state in ["ready", "blocked", "in_progress", "done", "failed"] {
            let Ok(files) = std::fs::read_dir(agent.join(state)) else {
                continue;
            };
            for f in files {
                let bytes = std::fs::read(f.unwrap().path()).unwrap();
                out.push((
                    agent.file_name().unwrap().to_string_lossy().into_owned(),
                    state.to_string(),
                    serde_json::from_slice(&bytes).unwrap(),
                ));
            }
        }
    }
    out
}

fn add_all_sources(env: &TestEnv) {
    add(
        env,
        &[
            "backlog",
            "ideas.yaml",
            "--min-score",
            "0.5",
            "--allowlist",
            "idea-3",
        ],
    );
    add(
        env,
        &[
            "github",
            "--label",
            "factory-candidate",
            "--command",
            "cat",
            "gh-issues.json",
        ],
    );
    add(
        env,
        &[
            "hn",
            "hn-search.json",
            "--label",
            "story",
            "--min-score",
            "100",
        ],
    );
    add(env, &["todo", "TODO.md", "--label", "gemba"]);
}

#[test]
fn two_runs_enqueue_each_item_once() {
    let env = setup(&["alice", "bob"], 10);
    add_all_sources(&env);
    let (first, code) = supply(&env, &[]);
    assert_eq!(code, Some(0), "{first:#}");
    let hn_top = "hn:41000001";
    let want: BTreeSet<String> = [
        "backlog:idea-1",
        "backlog:idea-3",
        "github:acme/webapp#12",
        "github:acme/webapp#15",
        hn_top,
    ]
    .map(String::from)
    .into_iter()
    .collect();
    let got = keys(&first["enqueued"]);
    assert!(got.is_superset(&want), "{got:?}");
    let todo: Vec<&String> = got.iter().filter(|k| k.starts_with("todo:t-")).collect();
    assert_eq!(got.len(), 7, "{got:?}");
    assert_eq!(todo.len(), 2, "the two #gemba tasks: {got:?}");
    // Held back, with the reason.
    assert_eq!(keys(&first["held"]).len(), 3, "{:#}", first["held"]);
    let low = reason_of(&first, "backlog:idea-2");
    assert_eq!(
        (low["reason"].as_str(), low["score"].as_f64()),
        (Some("low_score"), Some(0.3))
    );
    assert_eq!(reason_of(&first, "hn:41000002")["reason"], "low_score");
    let gpu = first["held"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["title"] == "Needs a GPU box")
        .unwrap();
    assert_eq!(gpu["reason"], "no_capable_agent");
    assert!(gpu["misfits"].to_string().contains("cuda"), "{gpu}");
    assert_eq!(
        first["held_counts"],
        serde_json::json!({"low_score": 2, "no_capable_agent": 1})
    );
    let gh = &first["sources"][1];
    assert_eq!(
        (
            gh["items"].as_u64(),
            gh["filtered"].as_u64(),
            gh["new"].as_u64()
        ),
        (Some(3), Some(1), Some(2))
    );

    // The packets: source set, the extractor's targets, spread by load.
    let files = packets(&env);
    assert_eq!(files.len(), 7);
    let by_source: BTreeSet<String> = files
        .iter()
        .map(|(_, _, p)| p["source"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(by_source, got);
    let login = files
        .iter()
        .find(|(_, _, p)| p["source"] == "github:acme/webapp#12")
        .unwrap();
    assert_eq!(
        login.2["spec"]["targets"],
        serde_json::json!(["src/auth/redirect.rs"])
    );
    assert!(
        login.2["spec"]["body"]
            .as_str()
            .unwrap()
            .ends_with("Source: https://github.com/acme/webapp/issues/12"),
        "{}",
        login.2
    );
    let alice = files.iter().filter(|(a, _, _)| a == "alice").count();
    assert!(
        (3..=4).contains(&alice),
        "least loaded spreads them: alice has {alice}"
    );

    // Second run: nothing new.
    let before = packets(&env).len();
    let (second, code) = supply(&env, &[]);
    assert_eq!(code, Some(3), "nothing to enqueue: {second:#}");
    assert_eq!(second["enqueued"], serde_json::json!([]));
    assert_eq!(second["sources"][0]["seen"], 2);
    assert_eq!(packets(&env).len(), before);
    // Even after the packets are taken and done, the items stay supplied.
    for (_, _, p) in packets(&env) {
        let agent = p["agent"].as_str().unwrap();
        env.json(&["queue", "take", "--agent", agent]);
    }
    for (_, _, p) in packets(&env) {
        env.json(&["queue", "done", p["id"].as_str().unwrap()]);
    }
    let (third, code) = supply(&env, &[]);
    assert_eq!(
        (code, third["enqueued"].as_array().unwrap().len()),
        (Some(3), 0)
    );

    let events = env.json(&["log", "--kind", "supply"]);
    let kinds: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "supply").count(),
        3,
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == "supply.source").count(),
        4,
        "{kinds:?}"
    );
    let run = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "supply")
        .unwrap();
    assert!(
        run["message"]
            .as_str()
            .unwrap()
            .starts_with("supply: 7 enqueued"),
        "{run}"
    );
    assert_eq!(run["data"]["held_counts"]["low_score"], 2);
    let (code, report) = crate::common::check_report(&env);
    assert_eq!(code, Some(0), "{report}");
}

#[test]
fn an_agent_at_target_depth_gets_nothing_more() {
    let env = setup(&["alice"], 2);
    add(&env, &["todo", "TODO.md"]);
    let (first, code) = supply(&env, &[]);
    assert_eq!(code, Some(0));
    assert_eq!(first["enqueued"].as_array().unwrap().len(), 2);
    assert_eq!(first["held_counts"], serde_json::json!({"queues_full": 2}));
    assert_eq!(
        first["agents"],
        serde_json::json!([{"agent": "alice", "before": 0, "after": 2}])
    );

    let (again, code) = supply(&env, &[]);
    assert_eq!(code, Some(3));
    assert_eq!(again["held_counts"], serde_json::json!({"queues_full": 2}));
    assert_eq!(again["held"][0]["capable"], serde_json::json!(["alice"]));

    // A take keeps the depth (in progress counts); a done frees a place.
    let taken = env.json(&["queue", "take", "--agent", "alice"]);
    let id = taken["packets"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(supply(&env, &[]).1, Some(3));
    env.json(&["queue", "done", &id]);
    let (fed, code) = supply(&env, &[]);
    assert_eq!(code, Some(0));
    assert_eq!(fed["enqueued"].as_array().unwrap().len(), 1);
    assert_eq!(
        fed["agents"][0],
        serde_json::json!({"agent": "alice", "before": 1, "after": 2})
    );
    // The text report says why.
    let out = env.run(&["supply"]);
    assert_eq!(out.status.code(), Some(3));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("enqueued nothing"), "{text}");
    assert!(text.contains("queues_full"), "{text}");
    assert!(text.contains("alice 2 -> 2"), "{text}");
}

#[test]
fn failing_sources_and_generators_do_not_stop_the_run() {
    let env = setup(&["alice"], 10);
    add(
        &env,
        &[
            "github",
            "--name",
            "broken",
            "--command",
            "sh",
            "-c",
            "echo 'gh: not logged in' >&2; exit 4",
        ],
    );
    add(
        &env,
        &[
            "hn",
            "--name",
            "slow",
            "--timeout",
            "1s",
            "--command",
            "sleep",
            "20",
        ],
    );
    add(
        &env,
        &[
            "github",
            "--name",
            "garbled",
            "--command",
            "printf",
            "[{\"number\": 1,",
        ],
    );
    add(&env, &["todo", "TODO.md"]);
    // The generator: no spec for "Buy milk", garbage for "Port ...".
    env.write(
        "gen.sh",
        r#"input=$(cat)
case "$input" in
  *"Buy milk"*) echo "cannot spec groceries" >&2; exit 1 ;;
  *"Port the dashboard"*) echo "not json"; exit 0 ;;
esac
title=$(printf '%s' "$input" | sed -n 's/.*"title":"\([^"]*\)".*/\1/p')
printf '{"title": "Spec: %s", "acceptance": ["reviewed"], "priority": 1}\n' "$title"
"#,
    );
    set_config(&env, "  generator: []\n", "  generator: [sh, gen.sh]\n");
    let started = std::time::Instant::now();
    let out = env.run(&["supply", "--json"]);
    assert!(
        started.elapsed().as_secs() < 15,
        "the slow source was killed"
    );
    assert_eq!(out.status.code(), Some(0), "{}", render(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors: Vec<String> = report["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["error"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(
        errors[0].contains("exit status 4") && errors[0].contains("not logged in"),
        "{errors:?}"
    );
    assert!(errors[1].contains("timed out after 1 s"), "{errors:?}");
    assert!(
        errors[2].starts_with("$ printf '[{\"number\": 1,':1:"),
        "names the command and the position: {errors:?}"
    );
    assert_eq!(errors[3], "");
    let warnings = stderr(&out);
    assert!(warnings.contains("source broken skipped"), "{warnings}");

    let titles: BTreeSet<&str> = report["enqueued"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        BTreeSet::from([
            "Spec: Add a --dry-run flag to the release script #gemba",
            "Spec: Document the queue directories in README.md #gemba",
        ])
    );
    let p = &report["enqueued"][0];
    assert_eq!(
        (p["priority"].as_u64(), &p["spec"]["acceptance"]),
        (Some(1), &serde_json::json!(["reviewed"]))
    );
    let failed: Vec<&Value> = report["held"].as_array().unwrap().iter().collect();
    assert_eq!(failed.len(), 2, "{failed:?}");
    for h in &failed {
        assert_eq!(h["reason"], "generator_failed");
    }
    let why = failed
        .iter()
        .map(|h| h["error"].as_str().unwrap())
        .collect::<Vec<_>>()
        .join(" | ");
    assert!(why.contains("cannot spec groceries"), "{why}");
    assert!(why.contains("invalid JSON"), "{why}");
    // Held items are not remembered: a fixed generator takes them next time.
    set_config(&env, "  generator: [sh, gen.sh]\n", "  generator: []\n");
    let (next, _) = supply(&env, &[]);
    assert_eq!(next["enqueued"].as_array().unwrap().len(), 2, "{next:#}");
}

#[test]
fn dry_run_changes_nothing() {
    let env = setup(&["alice", "bob"], 3);
    add_all_sources(&env);
    env.git(&["add", "-A"]);
    env.git(&["commit", "-q", "-m", "sources"]);
    let before = env.snapshot();
    let (report, code) = supply(&env, &["--dry-run"]);
    assert_eq!(code, Some(0));
    assert_eq!(report["dry_run"], true);
    let planned = report["enqueued"].as_array().unwrap();
    assert_eq!(
        planned.len(),
        6,
        "two agents, three places each: {report:#}"
    );
    assert!(planned.iter().all(|p| p.get("packet").is_none()));
    assert_eq!(report["held_counts"]["queues_full"], 1);
    assert_eq!(
        env.snapshot(),
        before,
        "a dry run writes nothing, logs nothing"
    );
    // The real run does what the dry run said.
    let (real, _) = supply(&env, &[]);
    assert_eq!(keys(&real["enqueued"]), keys(&report["enqueued"]));
}

#[test]
fn a_malformed_source_file_names_file_line_and_column() {
    let env = setup(&["alice"], 5);
    env.write(
        "ideas.yaml",
        "items:\n  - id: idea-1\n    titel: Typo in a key\n",
    );
    env.write("hostile.yaml", "- id: ../../etc/passwd\n  title: Escape\n");
    add(&env, &["backlog", "ideas.yaml"]);
    add(&env, &["backlog", "hostile.yaml", "--name", "hostile"]);
    add(&env, &["todo", "TODO.md"]);
    let out = env.run(&["supply", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", render(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let err = report["sources"][0]["error"].as_str().unwrap();
    assert!(
        err.starts_with("ideas.yaml:3:5: unknown field `titel`"),
        "{err}"
    );
    let err = report["sources"][1]["error"].as_str().unwrap();
    assert!(
        err.starts_with("hostile.yaml:1:") && err.contains("\"../../etc/passwd\""),
        "{err}"
    );
    assert!(stderr(&out).contains("ideas.yaml:3:5"), "{}", stderr(&out));
    assert_eq!(
        report["enqueued"].as_array().unwrap().len(),
        4,
        "the todo source still ran"
    );
    let seen: Vec<String> = std::fs::read_dir(env.gemba_dir().join("supply/seen"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(seen.iter().all(|n| n.starts_with("todo%3At-")), "{seen:?}");
}

#[test]
fn ready_beads_unclaimed_and_not_queued() {
    let env = setup(&["alice"], 10);
    let id = |title: &str| {
        env.ok(&["bead", "create", "--title", title])
            .trim()
            .to_string()
    };
    let (a, b, c) = (id("Free bead"), id("Claimed bead"), id("Queued bead"));
    let blocked = id("Blocked bead");
    env.ok(&["bead", "update", &blocked, "--add-dep", &a]);
    let session = env
        .ok(&["session", "start", "--agent", "alice"])
        .trim()
        .to_string();
    env.ok(&["claim", &b, "--session", &session]);
    env.json(&["queue", "enqueue", "--target", "alice", "--bead", &c]);
    add(&env, &["beads", "--priority", "1"]);
    let (report, code) = supply(&env, &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(
        keys(&report["enqueued"]),
        BTreeSet::from([format!("beads:{a}")])
    );
    let p = &report["enqueued"][0];
    assert_eq!(
        (p["bead"].as_str(), p["priority"].as_u64()),
        (Some(a.as_str()), Some(2)),
        "a bead keeps its priority"
    );
    assert_eq!(
        report["sources"][0]["seen"], 1,
        "the queued bead: {report:#}"
    );
    let files = packets(&env);
    let made = files
        .iter()
        .find(|(_, _, p)| p["source"] == format!("beads:{a}"))
        .unwrap();
    assert_eq!(made.2["bead"], a.as_str());
    let events = env.json(&["log", "--kind", "supply", "--bead", &a]);
    assert_eq!(
        events.as_array().unwrap().len(),
        1,
        "the supply event names the bead"
    );
}

#[test]
fn sources_round_trip_through_config_yaml() {
    let env = TestEnv::init();
    let original = env.read(".gemba/config.yaml");
    add(
        &env,
        &["todo", "TODO.md", "--label", "gemba", "--word", "dry run"],
    );
    add(
        &env,
        &[
            "github",
            "--name",
            "gh-acme",
            "--timeout",
            "2m",
            "--requires",
            "build",
            "--command",
            "gh",
            "issue",
            "list",
            "--json",
            "number,title,body,labels,url",
            "-R",
            "acme/webapp",
        ],
    );
    add(&env, &["beads"]);
    let json = env.json(&[
        "supply",
        "source",
        "add",
        "todo",
        "docs/notes/../../inbox.md",
        "--priority",
        "0",
    ]);
    assert_eq!(
        (json["name"].as_str(), json["path"].as_str()),
        (Some("todo-2"), Some("inbox.md"))
    );
    let list = env.json(&["supply", "source", "list"]);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["todo", "gh-acme", "beads", "todo-2"]);
    assert_eq!(
        list[1]["command"],
        serde_json::json!([
            "gh",
            "issue",
            "list",
            "--json",
            "number,title,body,labels,url",
            "-R",
            "acme/webapp"
        ]),
        "--json after --command is the command's"
    );
    assert_eq!(
        (list[1]["timeout"].as_str(), list[1]["requires"].as_str()),
        (Some("2m"), Some("build"))
    );
    assert_eq!(list[0]["words"], serde_json::json!(["dry run"]));
    let text = env.ok(&["supply", "source", "list"]);
    assert!(
        text.contains("$ gh issue list --json number,title,body,labels,url"),
        "{text}"
    );
    // Every other line of config.yaml, comments included, is still there.
    let edited = env.read(".gemba/config.yaml");
    for line in original.lines().filter(|l| *l != "  sources: []") {
        assert!(edited.lines().any(|m| m == line), "lost {line:?}");
    }
    let (code, report) = crate::common::check_report(&env);
    assert_eq!(code, Some(0), "{report}");

    // Bad input: an error, and config.yaml unchanged.
    let before = env.snapshot();
    for (args, code, what) in [
        (vec!["todo", "x.md", "--name", "todo"], 1, "conflict"),
        (vec!["todo", "x.md", "--name", "../x"], 1, "invalid_input"),
        (vec!["todo", "x.md", "--name", "a:b"], 1, "invalid_input"),
        (vec!["beads", "x.md"], 2, "usage"),
        (vec!["todo"], 2, "usage"),
        (vec!["rss", "x.md"], 2, "usage"),
        (vec!["todo", "x.md", "--timeout", "1s"], 2, "usage"),
        (vec!["todo", "x.md", "--priority", "9"], 2, "usage"),
        (
            vec!["todo", "x.md", "--requires", "two words"],
            1,
            "invalid_input",
        ),
    ] {
        let mut all = vec!["--json", "supply", "source", "add"];
        all.extend_from_slice(&args);
        let out = env.fails(code, &all);
        let err: Value = serde_json::from_str(stderr(&out).lines().last().unwrap()).unwrap();
        assert_eq!(err["code"], what, "{args:?}: {err}");
    }
    let out = env.fails(1, &["--json", "supply", "source", "remove", "nope"]);
    assert!(stderr(&out).contains("not_found"), "{}", stderr(&out));
    assert_eq!(env.snapshot(), before, "failed edits changed nothing");

    for name in ["todo", "gh-acme", "beads", "todo-2"] {
        env.ok(&["supply", "source", "remove", name]);
    }
    assert_eq!(
        env.read(".gemba/config.yaml"),
        original,
        "back to the very bytes"
    );
    assert_eq!(
        env.json(&["supply", "source", "list"]),
        serde_json::json!([])
    );
    let events = env.json(&["log", "--kind", "supply.source"]);
    let actions: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["data"]["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "add", "add", "add", "add", "remove", "remove", "remove", "remove"
        ]
    );
    // No sources: exit 3 with a hint.
    let out = env.fails(3, &["supply"]);
    assert!(
        stderr(&out).contains("gemba supply source add"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn racing_runs_enqueue_each_item_once() {
    let env = setup(&["alice", "bob", "carol"], 50);
    add_all_sources(&env);
    // Runs queue up on supply.lock; a loaded test machine must not time out.
    set_config(&env, "  lock_timeout: 10\n", "  lock_timeout: 120\n");
    let outs = crate::common::race_all((0..4).map(|_| env.cmd(&["supply", "--json"])).collect());
    let mut placed = Vec::new();
    for out in &outs {
        assert!(matches!(out.status.code(), Some(0 | 3)), "{}", render(out));
        let r: Value = serde_json::from_slice(&out.stdout).unwrap();
        placed.extend(keys(&r["enqueued"]));
    }
    let distinct: BTreeSet<&String> = placed.iter().collect();
    assert_eq!((placed.len(), distinct.len()), (7, 7), "{placed:?}");
    assert_eq!(packets(&env).len(), 7);
}

#[test]
fn a_queued_item_without_its_seen_file_is_not_enqueued_again() {
    let env = setup(&["alice"], 10);
    add(&env, &["todo", "TODO.md", "--label", "gemba"]);
    let (first, _) = supply(&env, &[]);
    assert_eq!(first["enqueued"].as_array().unwrap().len(), 2);
    // As if a run died between enqueueing and remembering.
    std::fs::remove_dir_all(env.gemba_dir().join("supply/seen")).unwrap();
    let (again, code) = supply(&env, &[]);
    assert_eq!(code, Some(3), "{again:#}");
    assert_eq!(again["sources"][0]["seen"], 2);
    assert_eq!(
        std::fs::read_dir(env.gemba_dir().join("supply/seen"))
            .unwrap()
            .count(),
        2,
        "the seen files are written back"
    );
    // A hand-broken seen file is an error for `gemba check`.
    let seen = std::fs::read_dir(env.gemba_dir().join("supply/seen"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::write(&seen, "{\"key\": \"x\"}\n").unwrap();
    let (code, report) = crate::common::check_report(&env);
    assert_eq!(code, Some(1), "{report}");
    assert!(
        report["errors"].to_string().contains("supply/seen"),
        "{report}"
    );
}

/// `gemba ARGS` with the clock at `2026-11-23T<hm>:00Z`.
fn at(env: &TestEnv, hm: &str, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = env
        .cmd(&all)
        .env("GEMBA_NOW", format!("2026-11-23T{hm}:00Z"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?} at {hm}:\n{}", render(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Issue 14's supply and utilization proofs in one story: alice drains
/// her queue faster than supply fills it, so while ready beads wait she is
/// STARVING (with the share of the window she was busy) and the
/// `on_starving` hook runs once for that spell; the next supply run
/// reports her so and feeds her again.
#[test]
fn a_starving_agent_is_reported_hooked_and_fed_again() {
    let env = setup(&["alice"], 2);
    let (hook, out) = crate::test_hooks::recorder(&env);
    let hook: Vec<&str> = hook.iter().map(String::as_str).collect();
    crate::test_hooks::set_hook(&env, "starving", &hook);
    let beads: Vec<String> = (1..=5)
        .map(|i| {
            env.ok(&["bead", "create", "--title", &format!("Ready bead {i}")])
                .trim()
                .to_string()
        })
        .collect();
    add(&env, &["beads"]);

    let first = at(&env, "09:00", &["supply"]);
    assert_eq!(first["enqueued"].as_array().unwrap().len(), 2, "{first:#}");
    assert_eq!(first["agents"][0]["after"], 2);
    // alice works 09:00-10:00 and 10:00-10:30, then has nothing.
    for (take, done) in [("09:00", "10:00"), ("10:00", "10:30")] {
        let taken = at(&env, take, &["queue", "take", "--agent", "alice"]);
        let packet = &taken["packets"][0];
        at(
            &env,
            done,
            &["queue", "done", packet["id"].as_str().unwrap()],
        );
        at(
            &env,
            done,
            &["bead", "close", packet["bead"].as_str().unwrap()],
        );
    }
    let status = at(&env, "11:00", &["queue", "status", "--window", "2h"]);
    let alice = &status["agents"][0];
    assert_eq!(alice["activity"], "starving", "{status:#}");
    let utilization = alice["utilization"].as_f64().unwrap();
    assert!(
        (utilization - 0.75).abs() < 1e-9,
        "busy 1h30 of 2h: {utilization} in {status:#}"
    );
    assert_eq!(alice["starving"]["beads_total"], 3, "{status:#}");
    // Starving at 09:00 before the first run fed her (one spell), and
    // again now.
    let hooked = crate::test_hooks::recorded(&out);
    assert_eq!(hooked.len(), 2, "{hooked:?}");
    assert!(hooked.iter().all(|(e, _)| e["kind"] == "queue.starving"));
    assert_eq!(
        hooked[1].0["at"].as_str().unwrap()[..16],
        *"2026-11-23T11:00"
    );

    let second = at(&env, "11:05", &["supply"]);
    assert!(
        second["starving"]["alice"].is_string(),
        "the run reports her starving: {second:#}"
    );
    assert_eq!(second["agents"][0]["before"], 0);
    assert_eq!(second["agents"][0]["after"], 2, "fed again: {second:#}");
    assert_eq!(
        crate::test_hooks::recorded(&out).len(),
        2,
        "the same spell runs the hook once"
    );
    let status = at(&env, "11:10", &["queue", "status", "--window", "2h"]);
    assert_eq!(status["agents"][0]["activity"], "ready", "{status:#}");
    let queued: BTreeSet<String> = packets(&env)
        .into_iter()
        .filter_map(|(_, _, p)| p["bead"].as_str().map(String::from))
        .collect();
    assert_eq!(queued.len(), 4, "two runs, four distinct beads");
    assert!(queued.iter().all(|b| beads.contains(b)));
}
