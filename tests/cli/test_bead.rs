//! `gemba bead create|show|list|update|close`: ids, parents, filters,
//! field-exact updates, cycle rejection.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::common::*;

/// `bead create ARGS` → the new id (stdout's only line).
fn create(env: &TestEnv, args: &[&str]) -> String {
    let mut all = vec!["bead", "create"];
    all.extend_from_slice(args);
    let out = env.ok(&all);
    let id = out.trim_end_matches('\n');
    assert!(!id.is_empty() && !id.contains('\n'), "{out:?}");
    id.to_string()
}

fn is_hash_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix)
        .and_then(|r| r.strip_prefix('-'))
        .is_some_and(|h| {
            h.len() >= 4
                && h.chars()
                    .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase())
        })
}

fn ids(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap().to_string())
        .collect()
}

fn bead_file(env: &TestEnv, id: &str) -> Vec<u8> {
    std::fs::read(env.gemba_dir().join("beads").join(format!("{id}.json"))).unwrap()
}

/// Views `bead show --json` may add next to the stored fields.
const DERIVED_VIEWS: [&str; 1] = ["enrichment"];

/// `bead show ID --json`: asserts it prints exactly the stored bead (plus
/// derived views) and returns the stored bead.
fn shown(env: &TestEnv, id: &str) -> Value {
    let file: Value = serde_json::from_slice(&bead_file(env, id)).unwrap();
    let mut show = env.json(&["bead", "show", id]);
    for view in DERIVED_VIEWS {
        show.as_object_mut().unwrap().remove(view);
    }
    assert_eq!(show, file, "bead show --json vs the stored file");
    file
}

#[test]
fn create_uses_the_configured_prefix() {
    let env = TestEnv::init();
    let id = create(&env, &["--title", "Default prefix"]);
    assert!(is_hash_id(&id, "gm"), "{id}");

    let config = env
        .read(".gemba/config.yaml")
        .replace("  prefix: gm", "  prefix: xy");
    env.write(".gemba/config.yaml", &config);
    let id = create(&env, &["--title", "Custom prefix"]);
    assert!(is_hash_id(&id, "xy"), "{id}");
    let bead = shown(&env, &id);
    assert_eq!(
        bead,
        json!({
            "id": id, "title": "Custom prefix", "status": "open", "priority": 2,
            "issue_type": "task", "created_by": "tester",
            "created_at": "2026-11-23T12:00:00Z", "updated_at": "2026-11-23T12:00:00Z"
        })
    );
}

#[test]
fn fifty_creates_give_fifty_distinct_ids() {
    let env = TestEnv::init();
    env.write(".gemba/config.yaml", "ids:\n  prefix: xy\n");
    // Same title, same clock, same actor: every create starts from the same
    // hash and must step past the earlier ones.
    let mut seen = BTreeSet::new();
    for _ in 0..50 {
        let id = create(&env, &["--title", "Same title"]);
        assert!(is_hash_id(&id, "xy"), "{id}");
        assert!(seen.insert(id.clone()), "duplicate id {id}");
    }
    let listed: BTreeSet<String> = ids(&env.json(&["bead", "list"])).into_iter().collect();
    assert_eq!(listed, seen);
    assert_eq!(
        std::fs::read_dir(env.gemba_dir().join("beads"))
            .unwrap()
            .count(),
        50
    );
}

#[test]
fn children_get_dotted_ids() {
    let env = TestEnv::init();
    let p = create(&env, &["--title", "Parent", "--type", "epic"]);
    let c1 = create(&env, &["--title", "Child one", "--parent", &p]);
    let c2 = create(&env, &["--title", "Child two", "--parent", &p]);
    assert_eq!(c1, format!("{p}.1"));
    assert_eq!(c2, format!("{p}.2"));
    let gc = create(&env, &["--title", "Grandchild", "--parent", &c1]);
    assert_eq!(gc, format!("{p}.1.1"));
    let child = shown(&env, &c2);
    assert_eq!(child["parent"], p.as_str());
    assert_eq!(
        child["dependencies"],
        json!([{"depends_on_id": p, "type": "parent-child",
                "created_at": "2026-11-23T12:00:00Z", "created_by": "tester"}])
    );
    // A missing parent is rejected and nothing is written.
    let before = env.snapshot();
    let out = env.fails(
        1,
        &["bead", "create", "--title", "Orphan", "--parent", "gm-nope"],
    );
    assert!(stderr(&out).contains("gm-nope"), "{}", render(&out));
    assert_eq!(env.snapshot(), before);
}

#[test]
fn create_with_all_fields_and_show_text() {
    let env = TestEnv::init();
    let dep = create(&env, &["--title", "Blocker"]);
    let id = create(
        &env,
        &[
            "--title",
            "Fix login",
            "--body",
            "Line one\nLine two",
            "--priority",
            "1",
            "--type",
            "bug",
            "--label",
            "auth",
            "--label",
            "web",
            "--dep",
            &dep,
            "--assignee",
            "alice",
        ],
    );
    let bead = shown(&env, &id);
    assert_eq!(
        bead,
        json!({
            "id": id, "title": "Fix login", "description": "Line one\nLine two", "status": "open",
            "priority": 1, "issue_type": "bug", "assignee": "alice", "created_by": "tester",
            "labels": ["auth", "web"],
            "dependencies": [{"depends_on_id": dep, "type": "blocks",
                              "created_at": "2026-11-23T12:00:00Z", "created_by": "tester"}],
            "created_at": "2026-11-23T12:00:00Z", "updated_at": "2026-11-23T12:00:00Z"
        })
    );
    // The file on disk is what show --json prints.
    assert_eq!(
        serde_json::from_slice::<Value>(&bead_file(&env, &id)).unwrap(),
        bead
    );

    let text = env.ok(&["bead", "show", &id]);
    let expected = format!(
        "{id}  Fix login\n  status       open\n  priority     P1\n  type         bug\n  assignee     alice\n  \
         created      2026-11-23T12:00:00Z\n  updated      2026-11-23T12:00:00Z\n  labels       auth, web\n  \
         depends on\n    blocks             {dep}\n\ndescription:\n  Line one\n  Line two\n"
    );
    // The bead's own fields, exactly; a derived enrichment view may follow.
    let rest = text
        .strip_prefix(&expected)
        .unwrap_or_else(|| panic!("expected prefix:\n{expected}\ngot:\n{text}"));
    assert!(
        rest.is_empty() || rest.starts_with("\nenrichment:\n"),
        "{text}"
    );
}

#[test]
fn show_of_a_missing_id_fails() {
    let env = TestEnv::init();
    let out = env.fails(1, &["bead", "show", "gm-nope"]);
    assert_eq!(stdout(&out), "");
    assert!(
        stderr(&out).contains("no bead \"gm-nope\""),
        "{}",
        render(&out)
    );
    let out = env.fails(1, &["bead", "show", "gm-nope", "--json"]);
    let err: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(err["code"], "not_found");
    assert_eq!(err["message"], "no bead \"gm-nope\"");
    // Update and close of a missing id fail the same way and write nothing.
    let before = env.snapshot();
    env.fails(1, &["bead", "update", "gm-nope", "--title", "x"]);
    env.fails(1, &["bead", "close", "gm-nope"]);
    assert_eq!(env.snapshot(), before);
}

#[test]
fn list_filters() {
    let env = TestEnv::init();
    let out = env.import_text(concat!(
        r#"{"id":"l-1","title":"a","status":"open","issue_type":"bug","labels":["web","auth"]}"#,
        "\n",
        r#"{"id":"l-2","title":"b","status":"in_progress","issue_type":"task","labels":["web"]}"#,
        "\n",
        r#"{"id":"l-3","title":"c","status":"closed","issue_type":"bug","labels":["auth"]}"#,
        "\n",
        r#"{"id":"l-4","title":"d","status":"blocked","issue_type":"feature"}"#,
        "\n",
    ));
    assert!(out.status.success(), "{}", render(&out));
    let list = |args: &[&str]| {
        let mut all = vec!["bead", "list"];
        all.extend_from_slice(args);
        ids(&env.json(&all))
    };
    assert_eq!(list(&[]), vec!["l-1", "l-2", "l-4"]);
    assert_eq!(list(&["--all"]), vec!["l-1", "l-2", "l-3", "l-4"]);
    assert_eq!(list(&["--status", "closed"]), vec!["l-3"]);
    assert_eq!(
        list(&["--status", "open", "--status", "blocked"]),
        vec!["l-1", "l-4"]
    );
    assert_eq!(list(&["--label", "web"]), vec!["l-1", "l-2"]);
    assert_eq!(list(&["--label", "auth"]), vec!["l-1"]);
    assert_eq!(list(&["--label", "auth", "--all"]), vec!["l-1", "l-3"]);
    assert_eq!(list(&["--label", "web", "--label", "auth"]), vec!["l-1"]);
    assert_eq!(list(&["--type", "bug"]), vec!["l-1"]);
    assert_eq!(list(&["--type", "bug", "--all"]), vec!["l-1", "l-3"]);
    assert_eq!(
        list(&["--type", "feature", "--type", "task"]),
        vec!["l-2", "l-4"]
    );
    assert_eq!(list(&["--label", "nope"]), Vec::<String>::new());

    let text = env.ok(&["bead", "list", "--type", "bug"]);
    let rows: Vec<Vec<&str>> = text
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        rows,
        vec![
            vec!["ID", "STATUS", "PRI", "TYPE", "TITLE"],
            vec!["l-1", "open", "P2", "bug", "a"]
        ]
    );
}

#[test]
fn update_changes_only_named_fields_and_bumps_updated_at() {
    let env = TestEnv::init();
    let id = create(
        &env,
        &["--title", "Original", "--label", "keep", "--body", "Body"],
    );
    let before = shown(&env, &id);

    let later = "2026-11-24T08:30:00Z";
    let out = env
        .cmd(&[
            "bead",
            "update",
            &id,
            "--priority",
            "0",
            "--status",
            "in_progress",
            "--add-label",
            "new",
            "--json",
        ])
        .env("GEMBA_NOW", later)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", render(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["changed"], json!(["status", "priority", "labels"]));

    let after = shown(&env, &id);
    let mut expected = before.clone();
    expected["priority"] = json!(0);
    expected["status"] = json!("in_progress");
    expected["labels"] = json!(["keep", "new"]);
    expected["updated_at"] = json!(later);
    assert_eq!(after, expected);
    assert_eq!(report["bead"], after);

    // An update that changes nothing writes nothing (updated_at stays).
    let file = bead_file(&env, &id);
    let out = env
        .cmd(&["bead", "update", &id, "--priority", "0"])
        .env("GEMBA_NOW", "2026-11-25T00:00:00Z")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", render(&out));
    assert!(stderr(&out).contains("nothing changed"), "{}", render(&out));
    assert_eq!(bead_file(&env, &id), file);

    // Remove a label, set the title.
    env.ok(&[
        "bead",
        "update",
        &id,
        "--remove-label",
        "keep",
        "--title",
        "Renamed",
    ]);
    let after = shown(&env, &id);
    assert_eq!(after["labels"], json!(["new"]));
    assert_eq!(after["title"], "Renamed");
    assert_eq!(after["description"], "Body");
    assert_eq!(after["updated_at"], "2026-11-23T12:00:00Z");
}

#[test]
fn close_sets_status_closed_at_and_reason() {
    let env = TestEnv::init();
    let id = create(&env, &["--title", "To close"]);
    let before = shown(&env, &id);
    let later = "2026-11-23T15:45:00Z";
    let out = env
        .cmd(&["bead", "close", &id, "--reason", "fixed in 3f2c1a"])
        .env("GEMBA_NOW", later)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", render(&out));
    let after = shown(&env, &id);
    let mut expected = before;
    expected["status"] = json!("closed");
    expected["closed_at"] = json!(later);
    expected["updated_at"] = json!(later);
    expected["close_reason"] = json!("fixed in 3f2c1a");
    assert_eq!(after, expected);
    // Closed beads leave the default list and are not ready.
    assert_eq!(ids(&env.json(&["bead", "list"])), Vec::<String>::new());
    assert_eq!(ids(&env.json(&["bead", "list", "--all"])), vec![id.clone()]);
    env.fails(3, &["ready"]);
    // Closing again changes nothing.
    let file = bead_file(&env, &id);
    env.ok(&["bead", "close", &id]);
    assert_eq!(bead_file(&env, &id), file);
}

#[test]
fn closing_a_blocker_makes_the_dependent_ready() {
    let env = TestEnv::init();
    let a = create(&env, &["--title", "Blocker"]);
    let b = create(&env, &["--title", "Dependent", "--dep", &a]);
    assert_eq!(ids(&env.json(&["ready"])), vec![a.clone()]);
    env.ok(&["bead", "close", &a]);
    assert_eq!(ids(&env.json(&["ready"])), vec![b]);
}

#[test]
fn dependency_cycles_are_rejected_with_the_cycle_named() {
    let env = TestEnv::init();
    let out = env.import_text(concat!(
        r#"{"id":"c-a","title":"a","status":"open"}"#,
        "\n",
        r#"{"id":"c-b","title":"b","status":"open","dependencies":[{"depends_on_id":"c-a","type":"blocks"}]}"#,
        "\n",
        r#"{"id":"c-c","title":"c","status":"open","dependencies":[{"depends_on_id":"c-b","type":"blocks"}]}"#,
        "\n",
    ));
    assert!(out.status.success(), "{}", render(&out));
    let before = env.snapshot();

    let out = env.fails(1, &["bead", "update", "c-a", "--add-dep", "c-b"]);
    assert!(
        stderr(&out).contains("c-a -> c-b -> c-a"),
        "{}",
        render(&out)
    );
    assert_eq!(env.snapshot(), before);

    let out = env.fails(1, &["bead", "update", "c-a", "--add-dep", "c-c"]);
    assert!(
        stderr(&out).contains("c-a -> c-c -> c-b -> c-a"),
        "{}",
        render(&out)
    );
    assert_eq!(env.snapshot(), before);

    // Through a parent-child edge, too.
    let out = env.fails(1, &["bead", "update", "c-a", "--parent", "c-c"]);
    assert!(
        stderr(&out).contains("c-a -> c-c -> c-b -> c-a"),
        "{}",
        render(&out)
    );
    assert_eq!(env.snapshot(), before);

    // A self-dependency.
    let out = env.fails(1, &["bead", "update", "c-a", "--add-dep", "c-a"]);
    assert!(stderr(&out).contains("c-a -> c-a"), "{}", render(&out));
    assert_eq!(env.snapshot(), before);

    // A link type is not ordering: no cycle.
    env.ok(&["bead", "update", "c-a", "--add-dep", "c-c:related"]);
    let a = shown(&env, "c-a");
    assert_eq!(a["dependencies"][0]["depends_on_id"], "c-c");
    assert_eq!(a["dependencies"][0]["type"], "related");
}

#[test]
fn dep_to_a_missing_bead_is_rejected() {
    let env = TestEnv::init();
    let a = create(&env, &["--title", "a"]);
    let before = env.snapshot();
    let out = env.fails(
        1,
        &["bead", "create", "--title", "x", "--dep", "gm-missing"],
    );
    assert!(
        stderr(&out).contains("\"gm-missing\" does not exist"),
        "{}",
        render(&out)
    );
    assert_eq!(env.snapshot(), before);
    let out = env.fails(1, &["bead", "update", &a, "--add-dep", "gm-missing"]);
    assert!(
        stderr(&out).contains("\"gm-missing\" does not exist"),
        "{}",
        render(&out)
    );
    assert_eq!(env.snapshot(), before);
}

/// Statuses and types are open sets (bd keeps custom values), so a flag
/// accepts bd's values and those some bead in the store has; anything else
/// is a usage error listing the valid values, never a silently empty list.
#[test]
fn open_set_flags_accept_known_and_stored_values_and_refuse_typos() {
    let env = TestEnv::init();
    let out = env.import_text(concat!(
        r#"{"id":"v-1","title":"a","status":"open","issue_type":"bug"}"#,
        "\n",
        r#"{"id":"v-2","title":"b","status":"review","issue_type":"incident","dependencies":[{"issue_id":"v-2","depends_on_id":"v-1","type":"tracks"}]}"#,
        "\n",
    ));
    assert!(out.status.success(), "{}", render(&out));
    let before = env.snapshot();
    for args in [
        &["bead", "list", "--status", "bogus"][..],
        &["bead", "list", "--status", "open", "--status", "Open"],
        &["bead", "list", "--type", "bogus"],
        &["bead", "update", "v-1", "--status", "bogus"],
        &["bead", "update", "v-1", "--type", "bogus"],
        &["bead", "create", "--title", "x", "--type", "bogus"],
        &["bead", "create", "--title", "x", "--dep", "v-1:block"],
        &["bead", "update", "v-2", "--add-dep", "v-1:bloks"],
    ] {
        let out = env.fails(2, args);
        let err = stderr(&out);
        assert!(err.contains("valid: "), "{args:?}: {err}");
        assert!(err.contains("open set"), "{args:?}: {err}");
        if args.contains(&"--status") {
            assert!(
                err.contains("open, in_progress, blocked, deferred, closed, pinned, hooked"),
                "{err}"
            );
            assert!(err.contains("used in this store: review"), "{err}");
        } else if args.contains(&"--type") {
            assert!(err.contains("bug, feature, task, epic"), "{err}");
            assert!(err.contains("used in this store: incident"), "{err}");
        } else {
            assert!(err.contains("unknown dependency type"), "{err}");
            assert!(
                err.contains("blocks, conditional-blocks, waits-for, parent-child"),
                "{err}"
            );
            assert!(err.contains("used in this store: tracks"), "{err}");
        }
        assert_eq!(env.snapshot(), before, "{args:?} changed the store");
        let mut json = args.to_vec();
        json.push("--json");
        let out = env.fails(2, &json);
        let err: Value = serde_json::from_slice(&out.stderr).unwrap();
        assert_eq!(err["code"], "usage", "{args:?}");
    }
    // Values bd knows, and custom values the store has, are accepted.
    let list = |args: &[&str]| {
        let mut all = vec!["bead", "list"];
        all.extend_from_slice(args);
        ids(&env.json(&all))
    };
    assert_eq!(list(&["--status", "review"]), vec!["v-2"]);
    assert_eq!(list(&["--type", "incident"]), vec!["v-2"]);
    assert!(list(&["--status", "hooked"]).is_empty());
    assert!(list(&["--type", "epic"]).is_empty());
    env.ok(&[
        "bead", "update", "v-1", "--status", "review", "--type", "incident",
    ]);
    env.ok(&["bead", "create", "--title", "y", "--type", "spike"]);
    env.ok(&["bead", "create", "--title", "z", "--dep", "v-1:tracks"]);
    env.ok(&["bead", "update", "v-2", "--add-dep", "v-1:supersedes"]);
}

/// Closed enums are checked by the parser: `--help` lists the values and
/// any other value is a usage error that lists them too.
#[test]
fn closed_enum_values_are_listed_and_checked() {
    let env = TestEnv::init();
    let id = create(&env, &["--title", "Sized"]);
    let before = env.snapshot();
    for (args, values) in [
        (
            &["bead", "list", "--dispatch-status", "bogus"][..],
            "ready, awaiting-design, awaiting-vendor, awaiting-review, not-now",
        ),
        (
            &["bead", "status", "set", &id, "bogus"],
            "ready, awaiting-design, awaiting-vendor, awaiting-review, not-now",
        ),
        (
            &["bead", "size", "set", &id, "huge"],
            "small, medium, large",
        ),
    ] {
        let out = env.fails(2, args);
        assert!(
            stderr(&out).contains(&format!("[possible values: {values}]")),
            "{args:?}: {}",
            render(&out)
        );
        assert_eq!(env.snapshot(), before, "{args:?} changed the store");
    }
    for (args, values) in [
        (&["bead", "list", "--help"][..], "awaiting-design"),
        (&["bead", "status", "set", "--help"], "not-now"),
        (&["bead", "size", "set", "--help"], "small, medium, large"),
    ] {
        let help = env.ok(args);
        assert!(help.contains("possible values: "), "{args:?}: {help}");
        assert!(help.contains(values), "{args:?}: {help}");
    }
    env.ok(&["bead", "size", "set", &id, "large"]);
    env.ok(&["bead", "status", "set", &id, "not-now"]);
    assert_eq!(
        ids(&env.json(&["bead", "list", "--dispatch-status", "not-now"])),
        vec![id]
    );
}
