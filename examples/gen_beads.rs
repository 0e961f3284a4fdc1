//! Generate a synthetic bd JSONL export for benchmarks.
//!
//! ```text
//! cargo run --release --example gen_beads -- [BEADS] [EDGES] [SEED] > beads.jsonl
//! ```
//!
//! Defaults: 10,000 beads, 15,000 dependency edges, seed 1. The output is
//! deterministic for given arguments and shaped like the real exports in
//! `../shared/data/beads/`: ~70% closed / ~30% open-ish statuses, priorities
//! 0-4, RFC 3339 `created_at` with nanoseconds, labels, descriptions of a
//! few hundred bytes to a few KB, and `blocks` (~70%) plus `parent-child`
//! (~30%) edges. Edges only point from a higher index to a lower one, so the
//! graph is acyclic and every edge target exists.

use std::collections::HashSet;
use std::io::{BufWriter, Write};

use serde_json::{Value, json};

/// xorshift64*: tiny, deterministic, good enough for test data.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// True with probability `percent`/100.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const WORDS: &[&str] = &[
    "connector",
    "session",
    "token",
    "capability",
    "schema",
    "retry",
    "backoff",
    "webhook",
    "zone",
    "binding",
    "mesh",
    "audit",
    "receipt",
    "policy",
    "lease",
    "queue",
    "snapshot",
    "index",
    "parser",
    "handler",
    "the",
    "a",
    "of",
    "for",
    "with",
    "and",
    "must",
    "should",
    "when",
    "tests",
    "mock",
    "error",
    "timeout",
    "rate",
    "limit",
    "crate",
    "module",
    "integration",
];
const LABELS: &[&str] = &[
    "connectors",
    "core",
    "fcp2",
    "tier1",
    "tier2",
    "tier3",
    "security",
    "perf",
    "docs",
    "testing",
];
const TYPES: &[&str] = &["task", "task", "task", "feature", "feature", "bug", "chore"];

fn id(i: usize) -> String {
    // bd-style short base-36 suffix, unique per index.
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut n = i;
    let mut s = Vec::new();
    loop {
        s.push(DIGITS[n % 36]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    while s.len() < 3 {
        s.push(b'0');
    }
    s.reverse();
    format!("bench-{}", String::from_utf8(s).expect("ascii"))
}

fn words(rng: &mut Rng, n: usize) -> String {
    let mut out = String::new();
    for k in 0..n {
        if k > 0 {
            out.push(if rng.chance(8) { '\n' } else { ' ' });
        }
        out.push_str(rng.pick(WORDS));
    }
    out
}

fn timestamp(seconds: i64, nanos: i32) -> String {
    jiff::Timestamp::new(seconds, nanos)
        .expect("timestamp in range")
        .to_string()
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: u64| -> u64 {
        args.get(i)
            .map(|s| s.parse().expect("arguments: [BEADS] [EDGES] [SEED]"))
            .unwrap_or(default)
    };
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    write_jsonl(
        &mut out,
        arg(0, 10_000) as usize,
        arg(1, 15_000) as usize,
        arg(2, 1),
    )?;
    out.flush()
}

/// Write `n` beads with `n_edges` dependency edges as bd JSONL, one issue
/// per line. Deterministic for a given `seed`. (`benches/store.rs` includes
/// this file to build the same data in memory.)
pub fn write_jsonl(
    out: &mut impl Write,
    n: usize,
    n_edges: usize,
    seed: u64,
) -> std::io::Result<()> {
    let mut rng = Rng::new(seed);
    assert!(n >= 2 || n_edges == 0, "edges need at least two beads");

    // Epics are the natural parent-child targets: about 1 in 20 beads.
    let is_epic: Vec<bool> = (0..n).map(|i| i == 0 || rng.chance(5)).collect();
    let epics: Vec<usize> = (0..n).filter(|i| is_epic[*i]).collect();

    // Edges: (from, to, type) with to < from; at most one parent per bead.
    let mut deps: Vec<Vec<(usize, &str)>> = vec![Vec::new(); n];
    let mut seen: HashSet<(usize, usize)> = HashSet::new();
    let mut has_parent = vec![false; n];
    let mut made = 0;
    let max_pairs = n * n.saturating_sub(1) / 2;
    assert!(n_edges <= max_pairs, "too many edges for {n} beads");
    while made < n_edges {
        let from = 1 + rng.below(n as u64 - 1) as usize;
        let parent_child = rng.chance(30) && !has_parent[from];
        let to = if parent_child {
            // The nearest few epics below `from`.
            let below = epics.partition_point(|e| *e < from);
            let k = 1 + rng.below(below.min(8) as u64) as usize;
            epics[below - k]
        } else if rng.chance(60) {
            // Mostly local: work items depend on recent ones.
            from - 1 - rng.below(from.min(50) as u64) as usize
        } else {
            rng.below(from as u64) as usize
        };
        if !seen.insert((from, to)) {
            continue;
        }
        if parent_child {
            has_parent[from] = true;
            deps[from].push((to, "parent-child"));
        } else {
            deps[from].push((to, "blocks"));
        }
        made += 1;
    }

    let start: i64 = 1_735_689_600; // 2025-01-01T00:00:00Z
    for i in 0..n {
        let created = start + (i as i64) * 600 + rng.below(600) as i64;
        let created_at = timestamp(created, rng.below(1_000_000_000) as i32);
        let updated = created + rng.below(86_400 * 7) as i64;
        let updated_at = timestamp(updated, rng.below(1_000_000_000) as i32);
        let status = match rng.below(100) {
            0..70 => "closed",
            70..92 => "open",
            92..98 => "in_progress",
            _ => "blocked",
        };
        let issue_type = if is_epic[i] { "epic" } else { rng.pick(TYPES) };
        let title_len = 3 + rng.below(8) as usize;
        let body_len = if rng.chance(15) {
            0
        } else {
            20 + rng.below(500) as usize
        };
        let mut labels: Vec<&str> = (0..rng.below(4)).map(|_| rng.pick(LABELS)).collect();
        labels.sort_unstable();
        labels.dedup();

        let mut obj = json!({
            "id": id(i),
            "title": words(&mut rng, title_len),
            "status": status,
            "priority": rng.below(5),
            "issue_type": issue_type,
            "created_at": created_at,
            "created_by": "bench",
            "updated_at": updated_at,
            "source_repo": ".",
            "compaction_level": 0,
            "original_size": 0,
        });
        let map = obj.as_object_mut().expect("object");
        if body_len > 0 {
            map.insert("description".into(), Value::from(words(&mut rng, body_len)));
        }
        if status == "closed" {
            map.insert("closed_at".into(), Value::from(updated_at.clone()));
            map.insert("close_reason".into(), Value::from("done"));
        }
        if status == "in_progress" {
            map.insert("assignee".into(), Value::from("agent-1"));
        }
        if !labels.is_empty() {
            map.insert("labels".into(), json!(labels));
        }
        if !deps[i].is_empty() {
            let list: Vec<Value> = deps[i]
                .iter()
                .map(|(to, t)| {
                    json!({
                        "issue_id": id(i),
                        "depends_on_id": id(*to),
                        "type": t,
                        "created_at": updated_at,
                        "created_by": "import",
                        "metadata": "{}",
                        "thread_id": "",
                    })
                })
                .collect();
            map.insert("dependencies".into(), Value::Array(list));
        }
        serde_json::to_writer(&mut *out, &obj)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}
