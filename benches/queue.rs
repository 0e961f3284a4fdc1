//! Queue throughput (issue 14): packets drained per second, each packet
//! one take and one done, on a real `.gemba/` in a temp directory (real
//! renames, fsyncs and log appends):
//!
//! - `library, 1 taker`: one thread calling `queue::take` and `queue::done`
//!   through the library, one packet at a time;
//! - `library, 8 takers`: eight threads doing the same at once over the
//!   same two agents' queues (four per agent), each with its own session;
//! - `..., takes only`: the same takers taking every packet and finishing
//!   none: the take rate on its own (issue 14's floor is in takes/s);
//! - `commands, 1 taker` / `commands, 8 takers`: `gemba queue take` and
//!   `gemba queue done` as processes (the rate a shell-script drainer gets).
//!
//! The queue holds 5,000 packets over 2 agents (2,500 ready per agent)
//! when draining starts; the command runs drain a fixed share of a queue of
//! that size. It prints a Markdown table and `uptime`.
//!
//! `cargo bench --bench queue` (about a minute). Under `cargo test
//! --all-targets` (a debug build) it runs once on a small queue as a smoke
//! test. Benchmarks report; they never assert wall time.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use gemba::model::packet::Spec;
use gemba::queue::{self, Enqueue, Take};
use gemba::sessions::agents::{self, Envelope};
use gemba::store::{self, Store};
use jiff::Timestamp;

const AGENTS: [&str; 2] = ["alice", "bob"];

struct Size {
    /// Packets in the queues when draining starts.
    packets: usize,
    /// Packets drained by each command run (processes are slow).
    command_packets: usize,
}

/// Full size under `cargo bench` (`GEMBA_BENCH_PACKETS` overrides the
/// library size); a smoke-test size otherwise.
fn size() -> Size {
    if let Some(n) = std::env::var("GEMBA_BENCH_PACKETS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return Size {
            packets: n,
            command_packets: (n / 10).max(8),
        };
    }
    if std::env::args().any(|a| a == "--bench") {
        Size {
            packets: 5_000,
            command_packets: 400,
        }
    } else {
        Size {
            packets: 40,
            command_packets: 8,
        }
    }
}

fn now() -> Timestamp {
    Timestamp::now()
}

/// A fresh `.gemba/` with the two agents and `n` ready packets spread
/// over their queues.
fn fill(dir: &Path, n: usize) -> Store {
    let root = dir.join(".gemba");
    store::init(&root).expect("init");
    let store = Store::open(&root, None).expect("open");
    let mut tx = store.changes();
    let mut events = Vec::new();
    for a in AGENTS {
        let (_, e) = agents::add(&mut tx, a, Envelope::default(), "bench", now()).expect("agent");
        events.push(e);
    }
    let _ = tx.finish(&events).expect("finish");
    let reqs: Vec<Enqueue> = (0..n)
        .map(|i| Enqueue {
            agent: AGENTS[i % AGENTS.len()].to_string(),
            id: Some(format!("pk-{i:05}")),
            bead: None,
            spec: Spec {
                title: format!("packet {i}"),
                ..Spec::default()
            },
            priority: (i % 5) as u8,
            after: Vec::new(),
            requires: None,
            stages: Vec::new(),
            session: None,
        })
        .collect();
    let start = Instant::now();
    let done = queue::enqueue_all(&store, reqs, "bench", now()).expect("enqueue");
    let _ = done.finished;
    eprintln!(
        "  enqueued {n} packets in {:.2} s (queue enqueue_all)",
        start.elapsed().as_secs_f64()
    );
    store
}

/// Drain with `takers` threads through one shared store; returns the
/// packets done and the wall time. `takes_only`: take every packet and
/// finish none (no session, so no lease renewal): the take rate itself.
fn drain_library(
    store: &Store,
    takers: usize,
    limit: usize,
    takes_only: bool,
) -> (usize, Duration) {
    let count = AtomicUsize::new(0);
    let start = Instant::now();
    std::thread::scope(|s| {
        for t in 0..takers {
            let count = &count;
            s.spawn(move || {
                let mut req = Take {
                    agent: String::new(),
                    session: (!takes_only).then(|| format!("s-bench-{t}")),
                    batch: 1,
                    lease: None,
                };
                // Alternate agents; stop when a round finds every queue empty.
                let mut empty = 0;
                let mut turn = t;
                while count.load(Ordering::Relaxed) < limit && empty < AGENTS.len() {
                    req.agent = AGENTS[turn % AGENTS.len()].to_string();
                    turn += 1;
                    let taken = queue::take(store, &req, "bench", now()).expect("take");
                    let Some(p) = taken.packets.first() else {
                        empty += 1;
                        continue;
                    };
                    empty = 0;
                    if !takes_only {
                        let f =
                            queue::done(store, &p.id, None, req.session.as_deref(), "bench", now())
                                .expect("done");
                        let _ = f.finished;
                    }
                    let _ = taken.finished;
                    count.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    (count.into_inner(), start.elapsed())
}

/// Drain `limit` packets with `takers` concurrent shell-free loops of
/// `gemba queue take` + `gemba queue done` processes.
fn drain_commands(dir: &Path, takers: usize, limit: usize) -> (usize, Duration) {
    let bin = env!("CARGO_BIN_EXE_gemba");
    let count = AtomicUsize::new(0);
    let start = Instant::now();
    std::thread::scope(|s| {
        for t in 0..takers {
            let count = &count;
            s.spawn(move || {
                let agent = AGENTS[t % AGENTS.len()];
                let session = format!("s-cmd-{t}");
                while count.fetch_add(1, Ordering::Relaxed) < limit {
                    let out = Command::new(bin)
                        .current_dir(dir)
                        .args(["--json", "queue", "take", "--agent", agent, "-s", &session])
                        .output()
                        .expect("spawn take");
                    assert!(out.status.success(), "take: {out:?}");
                    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
                    let id = v["packets"][0]["id"]
                        .as_str()
                        .expect("a packet")
                        .to_string();
                    let out = Command::new(bin)
                        .current_dir(dir)
                        .args(["queue", "done", &id, "-s", &session])
                        .output()
                        .expect("spawn done");
                    assert!(out.status.success(), "done: {out:?}");
                }
            });
        }
    });
    (limit, start.elapsed())
}

fn row(what: &str, done: usize, took: Duration) {
    println!(
        "| {what:<34} | {done:>6} | {:>8.3} | {:>10.0} |",
        took.as_secs_f64(),
        done as f64 / took.as_secs_f64()
    );
}

fn main() {
    let size = size();
    println!("| run                                |  packets |    secs | per second |");
    println!("|------------------------------------|-------:|---------:|-----------:|");
    // `GEMBA_BENCH_ONLY=takes` runs the takes-only rows alone (profiling).
    let only = std::env::var("GEMBA_BENCH_ONLY").unwrap_or_default();
    for (takers, takes_only) in [(1, false), (8, false), (1, true), (8, true)] {
        if only == "takes" && !takes_only {
            continue;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let store = fill(dir.path(), size.packets);
        let (done, took) = drain_library(&store, takers, size.packets, takes_only);
        assert_eq!(done, size.packets, "every packet drained");
        let what = if takes_only { ", takes only" } else { "" };
        row(&format!("library, {takers} taker(s){what}"), done, took);
    }
    for takers in [1, 8] {
        if !only.is_empty() {
            break;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let _ = Command::new("git")
            .arg("init")
            .arg("-q")
            .arg(dir.path())
            .status();
        let store = fill(dir.path(), size.packets);
        drop(store);
        let (done, took) = drain_commands(dir.path(), takers, size.command_packets);
        row(&format!("commands, {takers} taker(s)"), done, took);
    }
    if let Ok(out) = Command::new("uptime").output() {
        println!("\nuptime: {}", String::from_utf8_lossy(&out.stdout).trim());
    }
}
