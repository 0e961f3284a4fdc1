//! The snapshot cache in `.gemba/index/` is derived, never the truth:
//! gitignored, rebuilt when missing or corrupt, and every hand edit,
//! deletion or checkout is seen; the ready view follows `now` across
//! deferrals and every edit.

use std::time::Duration;

use serde_json::Value;

use crate::common::*;

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

fn snapshot(env: &TestEnv) -> Value {
    let out = env.ok(&["debug", "snapshot"]);
    serde_json::from_str(&out).unwrap()
}

fn ready_ids(env: &TestEnv, now: &str) -> Vec<String> {
    let out = env
        .cmd(&["ready", "--json"])
        .env("GEMBA_NOW", now)
        .output()
        .unwrap();
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(3),
        "{}",
        render(&out)
    );
    let beads: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    beads
        .iter()
        .map(|b| b["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn cache_is_gitignored_and_rebuilt_when_missing_or_corrupt() {
    let env = TestEnv::init();
    env.ok(&[
        "-q",
        "import",
        "beads",
        shared_data(FLYWHEEL).to_str().unwrap(),
    ]);
    let cold = ready_ids(&env, NOW);
    assert_eq!(cold.len(), 186, "bd's ready count");
    let cache = env.gemba_dir().join("index/beads.idx");
    assert!(cache.is_file());
    env.git(&["add", "-A"]);
    assert!(
        !env.git(&["status", "--porcelain"]).contains("index/"),
        "the cache is never committed"
    );

    // Warm: nothing is parsed again (files stamped within the racy window
    // are re-read and compared by content, never re-parsed).
    let warm = snapshot(&env);
    assert_eq!(warm["stats"]["beads"]["parsed"], 0, "{warm}");
    assert_eq!(warm["beads"], 1201);
    assert_eq!(ready_ids(&env, NOW), cold);

    let bytes = std::fs::read(&cache).unwrap();
    let damaged: [Vec<u8>; 3] = [b"garbage".to_vec(), bytes[..bytes.len() / 2].to_vec(), {
        let mut flipped = bytes.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 0x55;
        flipped
    }];
    for bad in damaged {
        std::fs::write(&cache, &bad).unwrap();
        assert_eq!(ready_ids(&env, NOW), cold);
        let again = snapshot(&env);
        assert_eq!(again["digest"], warm["digest"], "same files, same digest");
    }
    std::fs::remove_dir_all(env.gemba_dir().join("index")).unwrap();
    assert_eq!(ready_ids(&env, NOW), cold);
    assert_eq!(snapshot(&env)["digest"], warm["digest"]);
}

#[test]
fn hand_edits_deletions_and_checkouts_are_always_seen() {
    let env = TestEnv::init();
    env.import_text(
        "{\"id\":\"a\",\"title\":\"A\"}\n\
         {\"id\":\"b\",\"title\":\"B\",\"dependencies\":[{\"depends_on_id\":\"a\",\"type\":\"blocks\"}]}\n\
         {\"id\":\"c\",\"title\":\"C\"}\n",
    );
    env.git(&["add", "-A"]);
    env.git(&["commit", "-q", "-m", "import"]);
    assert_eq!(sorted(ready_ids(&env, NOW)), ["a", "c"]);
    let a = env.gemba_dir().join("beads/a.json");
    let open = std::fs::read_to_string(&a).unwrap();

    // Let every cache entry age past the racy window, so only the stamp
    // check stands between an edit and a stale answer.
    std::thread::sleep(Duration::from_millis(2100));
    assert_eq!(sorted(ready_ids(&env, NOW)), ["a", "c"]);
    assert_eq!(
        snapshot(&env)["stats"]["beads"]["read"],
        0,
        "all from the cache"
    );

    // In place (same inode), same size, and the old mtime put back: the
    // change of ctime gives it away.
    let mtime = std::fs::metadata(&a).unwrap().modified().unwrap();
    let closed = open.replace("\"open\"", "\"pinn\"");
    assert_eq!(closed.len(), open.len());
    std::fs::write(&a, closed.replace("\"pinn\"", "\"hook\"")).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&a)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    assert_eq!(std::fs::metadata(&a).unwrap().modified().unwrap(), mtime);
    assert_eq!(
        ready_ids(&env, NOW),
        ["c"],
        "a is `hook`: neither open nor done"
    );

    // A hand edit that closes the blocker.
    std::fs::write(&a, open.replace("\"open\"", "\"closed\"")).unwrap();
    assert_eq!(sorted(ready_ids(&env, NOW)), ["b", "c"]);

    // A file removed, then the commit checked out again.
    std::fs::remove_file(env.gemba_dir().join("beads/c.json")).unwrap();
    assert_eq!(ready_ids(&env, NOW), ["b"]);
    env.git(&["checkout", "--", ".gemba/beads"]);
    assert_eq!(sorted(ready_ids(&env, NOW)), ["a", "c"]);

    // A new file written by hand.
    env.write(".gemba/beads/d.json", &bead_file("d", "D", &[]));
    assert_eq!(sorted(ready_ids(&env, NOW)), ["a", "c", "d"]);
}

#[test]
fn the_ready_view_follows_now_across_deferrals_and_every_edit() {
    let env = TestEnv::init();
    env.import_text(
        "{\"id\":\"later\",\"title\":\"L\",\"defer_until\":\"2026-12-01T00:00:00Z\",\"created_at\":\"2026-11-01T00:00:00Z\"}\n\
         {\"id\":\"now\",\"title\":\"N\",\"created_at\":\"2026-11-02T00:00:00Z\"}\n",
    );
    let before = "2026-11-23T12:00:00Z";
    let after = "2026-12-02T00:00:00Z";
    for _ in 0..2 {
        assert_eq!(ready_ids(&env, before), ["now"]);
        assert_eq!(ready_ids(&env, after), ["now", "later"]);
    }
    env.ok(&["bead", "update", "now", "--status", "in_progress"]);
    assert_eq!(ready_ids(&env, after), ["later"]);
    env.ok(&["bead", "update", "later", "--defer-until", ""]);
    assert_eq!(ready_ids(&env, before), ["later"]);
}
