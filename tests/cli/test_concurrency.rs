//! Concurrency and crashes: racing processes never lose an update, racing
//! creators get distinct ids, and a process killed with SIGKILL mid-write
//! leaves every file either old or new, never partial.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::*;

const N: usize = 8;

/// Spawn every command before waiting for any, so they really race.
fn race(env: &TestEnv, argv: &[Vec<String>]) -> Vec<Output> {
    let children: Vec<Child> = argv
        .iter()
        .map(|args| {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            env.cmd(&args)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect()
}

/// Every event in the log; panics on a line that is not JSON.
fn events(env: &TestEnv) -> Vec<Value> {
    let mut out = Vec::new();
    let dir = env.gemba_dir().join("log");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(
            text.is_empty() || text.ends_with('\n'),
            "{}: torn last line",
            f.display()
        );
        for (i, line) in text.lines().enumerate() {
            let v: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{}:{}: {e}: {line:?}", f.display(), i + 1));
            out.push(v);
        }
    }
    out
}

fn events_of(env: &TestEnv, kind: &str) -> Vec<Value> {
    events(env)
        .into_iter()
        .filter(|e| e["kind"] == kind)
        .collect()
}

fn assert_check_clean(env: &TestEnv) {
    let (code, report) = check_report(env);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["errors"], json!([]));
    assert_eq!(report["warnings"], json!([]));
}

#[test]
fn concurrent_updates_of_one_bead_lose_nothing() {
    let env = TestEnv::init();
    let out = env.import_text("{\"id\":\"c-1\",\"title\":\"contended\",\"labels\":[\"base\"]}\n");
    assert!(out.status.success(), "{}", render(&out));
    let argv: Vec<Vec<String>> = (0..N)
        .map(|n| {
            ["bead", "update", "c-1", "--add-label", &format!("l{n}")]
                .map(String::from)
                .to_vec()
        })
        .collect();
    for (n, out) in race(&env, &argv).iter().enumerate() {
        assert_eq!(out.status.code(), Some(0), "update l{n}:\n{}", render(out));
    }

    let text = env.read(".gemba/beads/c-1.json");
    let bead: Value = serde_json::from_str(&text).unwrap();
    let mut labels: Vec<&str> = bead["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert_eq!(labels[0], "base", "{text}");
    labels.sort();
    let mut want: Vec<String> = (0..N).map(|n| format!("l{n}")).collect();
    want.push("base".into());
    want.sort();
    assert_eq!(labels, want, "a lost update: {text}");
    assert_eq!(bead["title"], json!("contended"));
    let mut shown = env.json(&["bead", "show", "c-1"]);
    // `show` joins in the enrichment, which is not part of the bead file.
    shown.as_object_mut().unwrap().remove("enrichment");
    assert_eq!(shown, bead);

    let updates = events_of(&env, "bead.update");
    assert_eq!(updates.len(), N, "{updates:#?}");
    for e in &updates {
        assert_eq!(e["beads"], json!(["c-1"]), "{e}");
        assert_eq!(e["data"]["fields"], json!(["labels"]), "{e}");
    }
    // Same clock, same message: still one distinct id per event.
    let ids: BTreeSet<&str> = updates.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), N, "{updates:#?}");
    let mut messages: Vec<&str> = updates
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    messages.dedup();
    assert_eq!(messages, ["update c-1 (labels)"]);
    assert_check_clean(&env);
}

#[test]
fn concurrent_creates_get_distinct_ids() {
    let env = TestEnv::init();
    // Same title, same actor, same pinned clock: every process starts from
    // the same candidate id, so all but one must move on to another.
    let argv: Vec<Vec<String>> = (0..N)
        .map(|_| {
            ["bead", "create", "--title", "same title", "--json"]
                .map(String::from)
                .to_vec()
        })
        .collect();
    let mut ids = BTreeSet::new();
    for out in race(&env, &argv) {
        assert_eq!(out.status.code(), Some(0), "{}", render(&out));
        let bead: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(bead["title"], json!("same title"));
        let id = bead["id"].as_str().unwrap().to_string();
        assert!(id.starts_with("gm-"), "{id}");
        ids.insert(id);
    }
    assert_eq!(ids.len(), N, "{ids:?}");
    let names: BTreeSet<String> = std::fs::read_dir(env.gemba_dir().join("beads"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let want: BTreeSet<String> = ids.iter().map(|id| format!("{id}.json")).collect();
    assert_eq!(names, want);
    let logged: BTreeSet<String> = events_of(&env, "bead.create")
        .iter()
        .map(|e| e["beads"][0].as_str().unwrap().to_string())
        .collect();
    assert_eq!(logged, ids);
    assert_eq!(events_of(&env, "bead.create").len(), N);
    assert_check_clean(&env);

    // Children of one parent, created concurrently: exactly .1 to .8.
    let parent = ids.iter().next().unwrap().clone();
    let argv: Vec<Vec<String>> = (0..N)
        .map(|n| {
            [
                "bead",
                "create",
                "--title",
                &format!("child {n}"),
                "--parent",
                &parent,
                "--json",
            ]
            .map(String::from)
            .to_vec()
        })
        .collect();
    let mut children = BTreeSet::new();
    for out in race(&env, &argv) {
        assert_eq!(out.status.code(), Some(0), "{}", render(&out));
        let bead: Value = serde_json::from_slice(&out.stdout).unwrap();
        children.insert(bead["id"].as_str().unwrap().to_string());
    }
    let want: BTreeSet<String> = (1..=N).map(|n| format!("{parent}.{n}")).collect();
    assert_eq!(children, want);
    assert_check_clean(&env);
}

/// The bytes of every bead file, by file name.
fn bead_files(env: &TestEnv) -> BTreeMap<String, Vec<u8>> {
    let dir = env.gemba_dir().join("beads");
    std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let name = e.file_name().into_string().unwrap();
            (name, std::fs::read(e.path()).unwrap())
        })
        .collect()
}

fn spawn_import(env: &TestEnv, input: &Path) -> Child {
    env.cmd(&["import", "beads", input.to_str().unwrap(), "--quiet"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn mtime(dir: &Path) -> std::time::SystemTime {
    std::fs::metadata(dir).unwrap().modified().unwrap()
}

/// Wait until the import starts writing: the first temp file created in
/// `beads/` changes the directory's mtime. Returns false when the process
/// exited (or `limit` passed) first.
fn wait_for_writes(
    child: &mut Child,
    dir: &Path,
    before: std::time::SystemTime,
    limit: Duration,
) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if mtime(dir) != before {
            return true;
        }
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    false
}

/// Run an import to completion, timing when its writes start and end.
fn timed_import(env: &TestEnv, input: &Path) -> (Duration, Duration) {
    let dir = env.gemba_dir().join("beads");
    let before = mtime(&dir);
    let start = Instant::now();
    let mut child = spawn_import(env, input);
    assert!(wait_for_writes(
        &mut child,
        &dir,
        before,
        Duration::from_secs(60)
    ));
    let writes_start = start.elapsed();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", render(&out));
    (writes_start, start.elapsed())
}

const TEMP_WARNING: &str = "leftover temporary file of an interrupted write (its writer is gone); the next write here removes it, or delete it";

#[test]
fn sigkill_mid_import_leaves_old_or_new_files_never_partial() {
    let env = TestEnv::init();
    let v1 = shared_data(FLYWHEEL);
    // v2: the same export with every title changed.
    let v2 = env.tmp.path().join("v2.jsonl");
    let text = std::fs::read_to_string(&v1).unwrap();
    let mut changed = 0;
    let v2_text: String = text
        .lines()
        .map(|l| {
            if l.trim().is_empty() {
                return "\n".to_string();
            }
            let mut v: Value = serde_json::from_str(l).unwrap();
            let title = v["title"].as_str().unwrap().to_string();
            v["title"] = json!(format!("{title} (v2)"));
            changed += 1;
            format!("{v}\n")
        })
        .collect();
    std::fs::write(&v2, v2_text).unwrap();

    timed_import(&env, &v1);
    let old = bead_files(&env);
    assert_eq!(old.len(), 1201);
    assert_eq!(changed, 1201);
    env.git(&["add", "-A"]);
    env.git(&["commit", "-q", "-m", "import v1"]);
    let (writes_start, full) = timed_import(&env, &v2);
    let new = bead_files(&env);
    assert_eq!(
        old.keys().collect::<Vec<_>>(),
        new.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &old {
        assert_ne!(&new[name], bytes, "{name}: v2 must differ from v1");
    }
    let (code, baseline) = check_report(&env);
    assert_eq!(code, Some(0), "{baseline}");
    assert_eq!(baseline["errors"], json!([]));
    let baseline_warnings = baseline["warnings"].clone();

    // Kill times: a few fixed ones from the start of the process (these
    // mostly land while it parses), then, so that most rounds land in the
    // write phase whatever the machine's speed, delays counted from the
    // moment the first file is written, spread over 0-35% of the time the
    // writes took in the full run above.
    let window = full.saturating_sub(writes_start);
    let mut plan: Vec<(bool, Duration)> = [2, 40, 150]
        .map(|ms| (false, Duration::from_millis(ms)))
        .to_vec();
    let spread = 12;
    for i in 0..spread {
        plan.push((true, window.mul_f64(0.35 * i as f64 / (spread - 1) as f64)));
    }

    let dir = env.gemba_dir().join("beads");
    let inputs = [&v1, &v2];
    let mut caught_mid_write = 0;
    let mut killed_running = 0;
    let mut temps_before = 0;
    let mut on_disk = bead_files(&env);
    // On a loaded machine each round takes seconds (the import parses and
    // loads everything before it writes): stop early once the point is made.
    let budget = Duration::from_secs(15);
    let started = Instant::now();
    let mut rounds = 0;
    for (round, (after_first_write, delay)) in plan.iter().enumerate() {
        if round >= 6 && caught_mid_write > 0 && started.elapsed() > budget {
            eprintln!("kill rounds: time budget of {budget:?} used up after {round} rounds");
            break;
        }
        rounds += 1;
        // Import whichever version fewer files have, so most files change.
        let n_old = on_disk
            .iter()
            .filter(|(k, v)| old.get(*k) == Some(v))
            .count();
        let target = usize::from(2 * n_old >= old.len());
        let before = mtime(&dir);
        let mut child = spawn_import(&env, inputs[target]);
        if *after_first_write {
            wait_for_writes(&mut child, &dir, before, full * 3);
        }
        std::thread::sleep(*delay);
        let finished = child.try_wait().unwrap().is_some();
        let _ = child.kill(); // SIGKILL
        let status = child.wait().unwrap();
        if finished {
            assert_eq!(status.code(), Some(0), "round {round}: the import failed");
        } else {
            assert_eq!(status.signal(), Some(9), "round {round}: {status:?}");
        }

        on_disk = bead_files(&env);
        let files = &on_disk;
        let (mut n1, mut n2, mut temps) = (0usize, 0usize, 0usize);
        for (name, bytes) in files {
            if name.starts_with(".gemba-tmp-") {
                temps += 1;
                continue;
            }
            assert!(
                old.contains_key(name),
                "round {round}: unexpected file {name}"
            );
            serde_json::from_slice::<Value>(bytes).unwrap_or_else(|e| {
                panic!(
                    "round {round}: {name} is not JSON ({e}): {:?}",
                    String::from_utf8_lossy(bytes)
                )
            });
            if bytes == &old[name] {
                n1 += 1;
            } else if bytes == &new[name] {
                n2 += 1;
            } else {
                panic!(
                    "round {round}: {name} is neither v1 nor v2 ({} bytes): {:?}",
                    bytes.len(),
                    String::from_utf8_lossy(bytes)
                );
            }
        }
        assert_eq!(n1 + n2, old.len(), "round {round}: a bead file is missing");
        // The log never holds a torn line either.
        events(&env);
        let new_temps = temps.saturating_sub(temps_before);
        temps_before = temps;
        let mid_write = (n1 > 0 && n2 > 0) || new_temps > 0;
        caught_mid_write += usize::from(mid_write);
        killed_running += usize::from(!finished);
        eprintln!(
            "kill round {round:2}: {:>4} ms after {}, importing v{}: {}; {n1} v1 + {n2} v2 files, {new_temps} new temp file(s){}",
            delay.as_millis(),
            if *after_first_write {
                "first write"
            } else {
                "spawn"
            },
            target + 1,
            if finished {
                "had finished"
            } else {
                "killed while running"
            },
            if mid_write { " (caught mid-write)" } else { "" }
        );
    }
    eprintln!(
        "SIGKILL: {caught_mid_write} of {} rounds caught mid-write, {killed_running} killed while running",
        rounds
    );
    if caught_mid_write == 0 {
        eprintln!(
            "note: no round was caught mid-write; the import may have been too fast or too slow here"
        );
    }

    // Leftover temp files are warnings, not errors; nothing else is wrong.
    let temps: BTreeSet<PathBuf> = bead_files(&env)
        .keys()
        .filter(|n| n.starts_with(".gemba-tmp-"))
        .map(|n| canonical(&env.gemba_dir().join("beads").join(n)))
        .collect();
    let (code, report) = check_report(&env);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["errors"], json!([]), "{report}");
    let (temp_warnings, other): (Vec<&Value>, Vec<&Value>) = report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .partition(|w| w["message"] == TEMP_WARNING);
    let warned: BTreeSet<PathBuf> = temp_warnings
        .iter()
        .map(|w| PathBuf::from(w["path"].as_str().unwrap()))
        .collect();
    assert_eq!(warned, temps);
    assert_eq!(temp_warnings.len(), temps.len());
    assert_eq!(json!(other), baseline_warnings);

    // Complete runs afterwards converge on v2 everywhere (v1 first, so
    // that both write whatever state the kills left), and the first write
    // in the directory removed the temp files of the killed writers.
    for input in [&v1, &v2] {
        env.ok(&["-q", "import", "beads", input.to_str().unwrap()]);
    }
    let files = bead_files(&env);
    for (name, bytes) in &new {
        assert_eq!(&files[name], bytes, "{name}");
    }
    assert_eq!(
        files.len(),
        new.len(),
        "temp files of dead writers are swept"
    );
}
