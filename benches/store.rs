//! In-process benchmarks of the pure layers, without file I/O or process
//! start-up (whole commands are timed by `benches/run.sh`):
//!
//! - `ready/generated_10k`: bd's ready rule over 10,000 generated beads with
//!   15,000 dependency edges (the same data `benches/run.sh` imports);
//! - `deps_cycles/generated_10k`: the cycle check that guards every import
//!   and `bead create/update`;
//! - `bead_json/*_10k`: deserializing / serializing the 10k bead files'
//!   bytes, the CPU part of `load_beads` and of writes;
//! - `import/*/flywheel`: parsing and converting the 1,201-issue flywheel
//!   export from `../shared/data/beads/` (a missing file is a failure).
//!
//! `cargo bench --bench store`; small sample sizes keep it under two minutes.
//! Benchmarks report; they never assert wall time.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use gemba::import::beads::{convert_all, parse_raw};
use gemba::model::Bead;
use gemba::plan::{deps, ready};

// The generator behind `cargo run --example gen_beads`, so both benchmarks
// see exactly the same beads.
#[allow(dead_code)]
#[path = "../examples/gen_beads.rs"]
mod gen_beads;

const BEADS: usize = 10_000;
const EDGES: usize = 15_000;
const SEED: u64 = 1;
const FLYWHEEL: &str = "Dicklesworthstone__flywheel_connectors__issues.jsonl";

/// `GEMBA_BENCH_DATA` or `../shared/data/beads` next to the crate.
fn data_dir() -> PathBuf {
    std::env::var_os("GEMBA_BENCH_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/beads"))
}

/// The generated beads, converted by the real importer.
fn generated() -> Vec<Bead> {
    let mut text = Vec::new();
    gen_beads::write_jsonl(&mut text, BEADS, EDGES, SEED).expect("generate");
    let text = String::from_utf8(text).expect("utf-8");
    let items = parse_raw(Path::new("generated.jsonl"), &text).expect("parse generated beads");
    let (beads, report) = convert_all(&items, &[]);
    assert!(
        report.errors.is_empty(),
        "generator output: {:?}",
        report.errors
    );
    assert_eq!(beads.len(), BEADS);
    beads.into_iter().map(|(_, b)| b).collect()
}

fn benches(c: &mut Criterion) {
    let beads = generated();
    let heads: Vec<gemba::model::BeadHead> = beads.iter().map(Into::into).collect();
    let now: jiff::Timestamp = "2026-06-01T00:00:00Z".parse().expect("timestamp");
    let options = ready::Options::default();
    let n_ready = ready::ready(&heads, now, &options).beads.len();
    eprintln!("generated: {BEADS} beads, {EDGES} edges, {n_ready} ready");

    c.bench_function("ready/generated_10k", |b| {
        b.iter(|| ready::ready(black_box(&heads), now, &options).beads.len())
    });
    c.bench_function("deps_cycles/generated_10k", |b| {
        b.iter(|| deps::cycles(black_box(&heads)).len())
    });

    let files: Vec<(PathBuf, Vec<u8>)> = beads
        .iter()
        .map(|b| {
            (
                PathBuf::from(format!("{}.json", b.id)),
                gemba::format::to_json_bytes(b),
            )
        })
        .collect();
    c.bench_function("bead_json/serialize_10k", |b| {
        b.iter(|| {
            black_box(&beads)
                .iter()
                .map(|b| gemba::format::to_json_bytes(b).len())
                .sum::<usize>()
        })
    });
    c.bench_function("bead_json/parse_bead_10k", |b| {
        b.iter(|| {
            for ((path, bytes), bead) in black_box(&files).iter().zip(&beads) {
                let parsed = gemba::store::kind::parse::<gemba::model::Bead>(path, bytes, &bead.id)
                    .expect("parse");
                black_box(parsed);
            }
        })
    });

    let path = data_dir().join(FLYWHEEL);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "missing benchmark data {}: {e}: keep ../shared beside this checkout (or set GEMBA_BENCH_DATA)",
            path.display()
        )
    });
    c.bench_function("import/parse/flywheel", |b| {
        b.iter(|| parse_raw(&path, black_box(&text)).expect("parse").len())
    });
    let items = parse_raw(&path, &text).expect("parse");
    c.bench_function("import/convert_all/flywheel", |b| {
        b.iter(|| convert_all(black_box(&items), &[]).0.len())
    });
    c.bench_function("import/parse+convert_all/flywheel", |b| {
        b.iter(|| {
            let items = parse_raw(&path, black_box(&text)).expect("parse");
            convert_all(&items, &[]).0.len()
        })
    });
}

criterion_group! {
    name = store;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    targets = benches
}
criterion_main!(store);
