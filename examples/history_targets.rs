//! Offline replay of the history component (`gemba::retro::history`): for
//! each bead of a tracker, the files proposed from the beads closed before
//! it was created, with each lender's files as its commits before that
//! moment had touched them. Prints one `{"id", "targets", "from"}` line per
//! bead; benches/history_learn.sh unions it with the text-path baseline
//! and scores it with ../shared/tools/score_targets.py.
//!
//!   cargo run --example history_targets -- TRACKER.jsonl FILES-TOUCHED.jsonl \
//!       [neighbours min_relative min_share max_files half_life_days]
//!
//! This reads the recorded history directly; the full replay through git
//! commits and `gemba retro learn` is not written yet (docs/STATUS-r-learn.md).

use std::collections::HashMap;
use std::io::{BufRead, Write};

use gemba::retro::history::{History, HistoryParams, Past};

fn secs(v: &serde_json::Value) -> Option<i64> {
    let ts: jiff::Timestamp = v.as_str()?.parse().ok()?;
    Some(ts.as_second())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        eprintln!("usage: history_targets TRACKER.jsonl FILES-TOUCHED.jsonl [params...]");
        std::process::exit(2);
    }
    let num = |i: usize, d: f64| args.get(i).map_or(d, |s| s.parse().expect("a number"));
    let def = HistoryParams::default();
    let params = HistoryParams {
        neighbours: num(2, def.neighbours as f64) as usize,
        min_relative: num(3, def.min_relative),
        min_share: num(4, def.min_share),
        max_files: num(5, def.max_files as f64) as usize,
        half_life_days: num(6, def.half_life_days),
    };
    let lines = |p: &str| {
        std::io::BufReader::new(std::fs::File::open(p).unwrap_or_else(|e| panic!("{p}: {e}")))
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(&l.unwrap()).unwrap())
            .collect::<Vec<_>>()
    };
    let tracker = lines(&args[0]);
    let truth = lines(&args[1]);
    // Commits per bead: (time, files).
    let mut commits: HashMap<String, Vec<(i64, Vec<String>)>> = HashMap::new();
    for t in &truth {
        let id = t["id"].as_str().unwrap().to_string();
        for c in t["commits"].as_array().into_iter().flatten() {
            let files = c["files"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|f| f.as_str().map(String::from))
                .collect();
            if let Some(at) = secs(&c["author_time"]) {
                commits.entry(id.clone()).or_default().push((at, files));
            }
        }
    }
    let text = |b: &serde_json::Value, k: &str| b[k].as_str().unwrap_or("").to_string();
    let out = std::io::stdout();
    let mut out = out.lock();
    // One index per distinct creation time would be exact but slow; lenders
    // are filtered by closed_at inside propose, and their files by commit
    // time here: the index holds every closed bead with the files of all
    // its commits, and beads whose commits come after the query's creation
    // are rebuilt per query only when they differ.
    let closed: Vec<&serde_json::Value> = tracker
        .iter()
        .filter(|b| b["status"].as_str() == Some("closed") && secs(&b["closed_at"]).is_some())
        .collect();
    let full = History::new(closed.iter().map(|b| {
        let id = text(b, "id");
        let files = all_files(commits.get(&id).map(Vec::as_slice).unwrap_or(&[]), i64::MAX);
        Past {
            title: text(b, "title"),
            description: text(b, "description"),
            closed_at: secs(&b["closed_at"]).unwrap(),
            files,
            id,
        }
    }));
    for b in &tracker {
        let id = text(b, "id");
        let Some(created) = secs(&b["created_at"]) else {
            continue;
        };
        let got = full.propose(
            &text(b, "title"),
            &text(b, "description"),
            created,
            &id,
            &params,
        );
        // Drop files a lender's commits had not touched yet at `created`.
        let targets: Vec<&str> = got
            .iter()
            .filter(|p| {
                p.from.iter().any(|l| {
                    commits.get(l).is_some_and(|cs| {
                        cs.iter()
                            .any(|(at, fs)| *at < created && fs.contains(&p.path))
                    })
                })
            })
            .map(|p| p.path.as_str())
            .collect();
        let from: Vec<&Vec<String>> = got.iter().map(|p| &p.from).collect();
        writeln!(
            out,
            "{}",
            serde_json::json!({"id": id, "targets": targets, "from": from})
        )
        .unwrap();
    }
}

fn all_files(commits: &[(i64, Vec<String>)], before: i64) -> Vec<String> {
    let mut v: Vec<String> = commits
        .iter()
        .filter(|(at, _)| *at < before)
        .flat_map(|(_, f)| f.iter().cloned())
        .collect();
    v.sort();
    v.dedup();
    v
}
