//! Auto-commit that fails or must wait, and `gemba commit`, which commits
//! what is pending.

use serde_json::json;

use crate::common::*;

const LOG: &str = ".gemba/log/2026-11-23.jsonl";

fn head(env: &TestEnv) -> String {
    env.git(&["rev-parse", "HEAD"]).trim().to_string()
}

fn hook(env: &TestEnv, script: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = env.root.join(".git/hooks/pre-commit");
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[test]
fn a_failed_auto_commit_is_a_warning_and_gemba_commit_finishes_it() {
    let env = TestEnv::init();
    env.enable_auto_commit();
    env.write("other.txt", "the user's work\n");
    env.git(&["add", "other.txt"]);
    let before = head(&env);
    let hook = hook(&env, "#!/bin/sh\necho 'hook says no' >&2\nexit 1\n");

    let out = env.run(&["bead", "create", "--title", "Saved anyway"]);
    assert_eq!(out.status.code(), Some(0), "{}", render(&out));
    let id = stdout(&out).trim().to_string();
    let err = stderr(&out);
    assert!(
        err.starts_with("warning: auto-commit failed: `git commit` failed: hook says no"),
        "{err}"
    );
    assert!(err.contains("`gemba commit`"), "{err}");
    // The change is made and logged, just not committed.
    assert_eq!(head(&env), before);
    assert!(env.gemba_dir().join(format!("beads/{id}.json")).is_file());
    assert!(env.read(LOG).contains(&format!("create {id} ")));
    // With --json the result is still the bead on stdout.
    let out = env.run(&["bead", "update", &id, "--priority", "1", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", render(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["bead"]["priority"], json!(1), "{report}");
    assert!(stderr(&out).contains("warning: auto-commit failed"));

    // The hook still refuses: so does `gemba commit`, with git's message.
    let out = env.fails(1, &["commit"]);
    assert!(stderr(&out).contains("hook says no"), "{}", render(&out));
    assert_eq!(head(&env), before);

    std::fs::remove_file(hook).unwrap();
    let report = env.json(&["commit"]);
    assert_eq!(head(&env), report["commit"].as_str().unwrap());
    assert_eq!(
        env.git(&["rev-list", "--count", &format!("{before}..HEAD")]),
        "1\n"
    );
    assert_eq!(
        report["files"],
        json!([format!(".gemba/beads/{id}.json"), LOG])
    );
    let message = env.git(&["log", "-1", "--format=%B"]);
    assert_eq!(
        message,
        format!(
            "gemba: commit 2 pending files\n\n- create {id} \"Saved anyway\"\n- update {id} (priority)\n\n"
        )
    );
    assert_eq!(
        report["message"].as_str().unwrap().trim_end(),
        message.trim_end()
    );
    // Only .gemba/ was committed; the user's staged file is still staged.
    assert_eq!(env.git(&["status", "--porcelain"]), "A  other.txt\n");

    // Nothing left: exit 3.
    let out = env.fails(3, &["commit"]);
    assert!(
        stderr(&out).contains("nothing to commit"),
        "{}",
        render(&out)
    );
    assert_eq!(env.json(&["commit"]), json!({"commit": null, "files": []}));
}

#[test]
fn gemba_commit_commits_new_changed_and_deleted_files() {
    let env = TestEnv::init();
    env.write(
        "in.jsonl",
        "{\"id\":\"t-1\",\"title\":\"one\"}\n{\"id\":\"t-2\",\"title\":\"two\"}\n",
    );
    env.ok(&["import", "beads", "in.jsonl"]);
    env.ok(&["commit", "-m", "gemba: import two"]);
    assert_eq!(
        env.git(&["log", "-1", "--format=%B"]),
        "gemba: import two\n\n"
    );
    env.ok(&["bead", "targets", "set", "t-1", "src/**"]);
    env.ok(&["bead", "update", "t-2", "--title", "two!"]);
    env.ok(&["commit"]);
    // A file deleted by hand is pending too.
    std::fs::remove_file(env.gemba_dir().join("enrichment/t-1.yaml")).unwrap();
    env.ok(&["bead", "update", "t-2", "--priority", "0"]);
    let out = env.ok(&["commit"]);
    assert!(out.contains("gemba: commit 3 pending files"), "{out}");
    assert_eq!(
        env.git(&["show", "--name-status", "--format=", "HEAD"]),
        format!("M\t.gemba/beads/t-2.json\nD\t.gemba/enrichment/t-1.yaml\nM\t{LOG}\n")
    );
    assert_eq!(env.git(&["status", "--porcelain"]), "?? in.jsonl\n");
}

#[test]
fn mid_merge_a_command_succeeds_warns_and_does_not_commit() {
    let env = TestEnv::init();
    env.enable_auto_commit();
    // A real conflicting merge, stopped half way.
    env.git(&["checkout", "-q", "-b", "other"]);
    env.write("README.md", "theirs\n");
    env.git(&["commit", "-q", "-am", "theirs"]);
    env.git(&["checkout", "-q", "main"]);
    env.write("README.md", "ours\n");
    env.git(&["commit", "-q", "-am", "ours"]);
    let merge = env.git_try(&["merge", "other"]);
    assert!(!merge.status.success(), "{}", render(&merge));
    let before = head(&env);

    let out = env.run(&["bead", "create", "--title", "During a merge"]);
    assert_eq!(out.status.code(), Some(0), "{}", render(&out));
    let id = stdout(&out).trim().to_string();
    let err = stderr(&out);
    assert!(
        err.starts_with("warning: auto-commit skipped: a merge is in progress in ")
            && err.contains(
                "the change is saved, not committed: run `gemba commit` once that is done"
            ),
        "{err}"
    );
    assert_eq!(head(&env), before);
    assert!(env.root.join(".git/MERGE_HEAD").is_file());
    // Nothing of ours was staged into the merge.
    assert_eq!(
        env.git(&["diff", "--cached", "--name-only", "--", ".gemba"]),
        ""
    );
    assert!(env.gemba_dir().join(format!("beads/{id}.json")).is_file());

    let out = env.fails(1, &["commit"]);
    assert!(
        stderr(&out).starts_with("gemba: not committing in ")
            && stderr(&out).contains(": a merge is in progress; finish or abort it first"),
        "{}",
        render(&out)
    );
    assert_eq!(head(&env), before);
    assert_eq!(
        env.git(&["diff", "--cached", "--name-only", "--", ".gemba"]),
        ""
    );

    // Conflicts without a merge (a `stash pop` that conflicted) also wait.
    env.git(&["merge", "--abort"]);
    env.write("README.md", "stashed\n");
    env.git(&["stash", "-q"]);
    env.write("README.md", "committed\n");
    env.git(&["commit", "-q", "-am", "committed"]);
    let pop = env.git_try(&["stash", "pop"]);
    assert!(!pop.status.success(), "{}", render(&pop));
    assert!(!env.root.join(".git/MERGE_HEAD").exists());
    let before = head(&env);
    let out = env.run(&["bead", "update", &id, "--priority", "1"]);
    assert_eq!(out.status.code(), Some(0), "{}", render(&out));
    assert!(
        stderr(&out).contains("the index has 1 unmerged path(s) (README.md)"),
        "{}",
        render(&out)
    );
    assert_eq!(head(&env), before);
    env.fails(1, &["commit"]);

    // Resolved: `gemba commit` commits what waited.
    env.write("README.md", "resolved\n");
    env.git(&["add", "README.md"]);
    env.git(&["commit", "-q", "-m", "resolve"]);
    let report = env.json(&["commit"]);
    assert_eq!(
        report["files"],
        json!([format!(".gemba/beads/{id}.json"), LOG])
    );
    assert_eq!(env.git(&["status", "--porcelain"]), "");
}
