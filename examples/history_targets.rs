//! Offline replay of the targets a bead would have had when it was created:
//! its own text targets, else what it borrows from related beads created
//! before it (`enrich::related`) and what it learns from the beads closed
//! before it (`retro::history`) — the same steps as `gemba bead backfill`,
//! with time respected.
//!
//! Reads a store where `gemba bead backfill --all` has run (the text rules'
//! targets: every bead's own targets, stamped `backfill`) and the recorded
//! history (which files each bead's commits touched, and when). At a bead's
//! creation time T:
//! - a bead created before T with own targets may lend them (`similar`),
//!   unless it was closed before T with commits before T: `gemba retro
//!   learn` would have replaced its targets by its actual files (`retro`),
//!   which only history lends;
//! - a bead closed before T lends, through history, the files its commits
//!   before T touched.
//!
//! Prints one `{"id", "targets", "text", "borrowed", "learned"}` line per
//! bead of the history; benches/history_learn.sh scores them.
//!
//!   cargo run --example history_targets -- GEMBA_DIR FILES-TOUCHED.jsonl [key=value ...]
//!
//! `key=value` overrides `retro.history` (e.g. `min_share=0.3`).

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, Write};
use std::path::Path;

use gemba::enrich::related::{self, Doc};
use gemba::model::config::HistoryConfig;
use gemba::model::enrichment::{Glob, Source};
use gemba::retro::history::{History, Past};
use gemba::store::Store;

fn secs(s: Option<&str>) -> Option<i64> {
    Some(s?.parse::<jiff::Timestamp>().ok()?.as_second())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        eprintln!("usage: history_targets GEMBA_DIR FILES-TOUCHED.jsonl [key=value ...]");
        std::process::exit(2);
    }
    let mut over = serde_json::to_value(HistoryConfig::default()).unwrap();
    for kv in &args[2..] {
        let (k, v) = kv.split_once('=').expect("key=value");
        over[k] = serde_json::from_str(v).unwrap_or_else(|e| panic!("{kv}: {e}"));
    }
    let params: HistoryConfig = serde_json::from_value(over).expect("retro.history keys");
    let store = Store::open(Path::new(&args[0]), None).expect("a gemba store");
    let beads = store.load_beads().expect("beads");
    // Own targets: what the text rules (or a person) gave, never borrowed.
    let own: Vec<Vec<Glob>> = beads
        .iter()
        .map(
            |b| match store.read_enrichment(&b.id).ok().and_then(|e| e.targets) {
                Some(t) if !matches!(t.source, Source::Similar | Source::History) => t.value,
                _ => Vec::new(),
            },
        )
        .collect();
    // Commits per bead: (author time, files).
    let mut commits: HashMap<String, Vec<(i64, Vec<String>)>> = HashMap::new();
    let truth = std::io::BufReader::new(std::fs::File::open(&args[1]).expect("history file"));
    let mut order: Vec<String> = Vec::new();
    for line in truth.lines() {
        let t: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
        let id = t["id"].as_str().unwrap().to_string();
        order.push(id.clone());
        for c in t["commits"].as_array().into_iter().flatten() {
            let files = c["files"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|f| f.as_str().map(String::from))
                .collect();
            if let Some(at) = secs(c["author_time"].as_str()) {
                commits.entry(id.clone()).or_default().push((at, files));
            }
        }
    }
    let created: Vec<Option<i64>> = beads
        .iter()
        .map(|b| secs(b.created_at.as_deref()))
        .collect();
    let closed: Vec<Option<i64>> = beads
        .iter()
        .map(|b| secs(b.closed_at.as_deref()).filter(|_| b.status == "closed"))
        .collect();
    let index: HashMap<&str, usize> = beads
        .iter()
        .enumerate()
        .map(|(i, b)| (b.id.as_str(), i))
        .collect();
    // The files bead `i`'s commits touched before `t`, sorted.
    let files_before = |i: usize, t: i64| -> Vec<String> {
        let mut v: Vec<String> = commits
            .get(&beads[i].id)
            .into_iter()
            .flatten()
            .filter(|(at, _)| *at < t)
            .flat_map(|(_, f)| f.iter().cloned())
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let empty: Vec<Glob> = Vec::new();
    let out = std::io::stdout();
    let mut out = out.lock();
    for id in &order {
        let (Some(&q), Some(t)) = (
            index.get(id.as_str()),
            index.get(id.as_str()).and_then(|&q| created[q]),
        ) else {
            continue;
        };
        let text: Vec<&str> = own[q].iter().map(Glob::as_str).collect();
        let mut targets: Vec<String> = text.iter().map(|s| s.to_string()).collect();
        let mut borrowed = serde_json::Value::Null;
        let mut learned = Vec::new();
        if text.is_empty() {
            // Closed before T with commits before T: its targets are its
            // actual files by now, lent through history only.
            let retro: Vec<Vec<String>> = (0..beads.len())
                .map(|j| match closed[j] {
                    Some(c) if c < t => files_before(j, t),
                    _ => Vec::new(),
                })
                .collect();
            let alive: Vec<usize> = (0..beads.len())
                .filter(|&j| j == q || created[j].is_some_and(|c| c < t))
                .collect();
            let docs: Vec<Doc<'_>> = alive
                .iter()
                .map(|&j| Doc {
                    id: &beads[j].id,
                    title: &beads[j].title,
                    description: &beads[j].description,
                    parent: beads[j].parent_ids().next(),
                    targets: if retro[j].is_empty() { &own[j] } else { &empty },
                })
                .collect();
            let at = alive.iter().position(|&j| j == q).unwrap();
            if let Some(b) = related::borrow(&docs, &[at]).pop().flatten() {
                targets = b.targets.iter().map(|g| g.as_str().to_string()).collect();
                borrowed = serde_json::json!({"via": b.via, "from": b.from, "targets": targets});
            }
            let past = History::new((0..beads.len()).filter_map(|j| {
                Some(Past {
                    id: beads[j].id.clone(),
                    title: beads[j].title.clone(),
                    description: beads[j].description.clone(),
                    closed_at: closed[j]?,
                    files: retro[j].clone(),
                })
            }));
            // As `Lent::new` in enrich::ops: learned files after borrowed ones.
            for p in past.propose(&beads[q].title, &beads[q].description, t, id, &params) {
                if !targets.contains(&p.path) {
                    targets.push(p.path.clone());
                    learned.push(serde_json::json!({"path": p.path, "from": p.from}));
                }
            }
        }
        let by: BTreeMap<&str, serde_json::Value> = [
            ("id", serde_json::json!(id)),
            ("targets", serde_json::json!(targets)),
            ("text", serde_json::json!(text)),
            ("borrowed", borrowed),
            ("learned", serde_json::json!(learned)),
        ]
        .into();
        writeln!(out, "{}", serde_json::json!(by)).unwrap();
    }
}
