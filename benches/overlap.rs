//! Target-overlap benchmarks (`src/plan/overlap.rs`):
//!
//! - `overlap/<case>`: one `overlap` call on typical pairs, patterns built
//!   once and their DFAs warm, per decision step (literal, head/tail,
//!   segments, subtree, product search);
//! - `overlap/product_cold`: building both patterns, compiling both DFAs
//!   and searching the product, the cost of a pair seen for the first time;
//! - `pattern/new`: normalizing and validating one glob;
//! - `tracked/common_floating_50k`: settling a Maybe of two floating globs
//!   against 50,000 tracked files (the worst case: no prefix to narrow by);
//! - `fleet/10k_beads_50k_files`: every pair of 10,000 generated beads'
//!   1-3 globs over a generated 50,000-file tree, with the patterns bucketed
//!   by their first prefix segment (floating ones against all), a stand-in
//!   for the conflict graph's index. The first, cold run (patterns and DFAs
//!   built inside it) is printed on stderr.
//!
//! `cargo bench --bench overlap`; about a minute. Benchmarks report; they
//! never assert wall time.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use gemba::plan::Map;
use gemba::plan::overlap::{Overlap, Pattern, TrackedPaths, overlap};

/// Full size under `cargo bench`; `cargo test --all-targets` runs each
/// benchmark once as a smoke test, on a debug build, so there a small tree.
fn sizes() -> (usize, usize) {
    if std::env::args().any(|a| a == "--bench") {
        (10_000, 50_000)
    } else {
        (200, 1_000)
    }
}

fn pat(text: &str) -> Pattern {
    Pattern::new(text).expect("valid glob")
}

/// xorshift64*, seeded: the same tree and beads every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const TOP: &[&str] = &[
    "src", "lib", "cmd", "internal", "pkg", "docs", "tests", "scripts", "web", "api", "tools",
    "examples", "crates", "services", "config",
];
const WORDS: &[&str] = &[
    "auth", "store", "queue", "plan", "cli", "model", "git", "http", "db", "cache", "index",
    "sync", "ui", "core", "util", "net", "log", "event", "user", "admin", "billing", "search",
    "report", "export", "import", "parser", "render", "theme", "hooks", "jobs",
];
const EXTS: &[&str] = &["rs", "go", "ts", "py", "md", "json", "yaml", "tsx"];

/// Directories 2-4 deep under the top-level ones, files in them.
fn tree(rng: &mut Rng) -> Vec<String> {
    let mut dirs = Vec::new();
    for _ in 0..2_500 {
        let depth = 1 + rng.below(3);
        let mut d = rng.pick(TOP).to_string();
        for _ in 0..depth {
            d.push('/');
            d.push_str(rng.pick(WORDS));
        }
        dirs.push(d);
    }
    let (_, n_files) = sizes();
    let mut files = Vec::with_capacity(n_files);
    while files.len() < n_files {
        let d = &dirs[rng.below(dirs.len())];
        let n = rng.below(1_000);
        files.push(format!("{d}/{}_{n}.{}", rng.pick(WORDS), rng.pick(EXTS)));
    }
    files
}

/// 1-3 globs per bead: literal files, `dir/**`, `dir/*.ext`,
/// `dir/**/*.ext`, `**/name.ext`.
fn beads(rng: &mut Rng, files: &[String]) -> Vec<Vec<String>> {
    (0..sizes().0)
        .map(|_| {
            (0..1 + rng.below(3))
                .map(|_| {
                    let f = &files[rng.below(files.len())];
                    let (dir, name) = f.rsplit_once('/').expect("in a dir");
                    let ext = name.rsplit_once('.').expect("ext").1;
                    match rng.below(20) {
                        0..9 => f.clone(),
                        9..13 => format!("{dir}/**"),
                        13..17 => format!("{dir}/*.{ext}"),
                        17..19 => {
                            format!("{}/**/*.{ext}", dir.rsplit_once('/').map_or(dir, |p| p.0))
                        }
                        _ => format!("**/{name}"),
                    }
                })
                .collect()
        })
        .collect()
}

#[derive(Debug, Default)]
struct Counts {
    pairs: usize,
    yes: usize,
    maybe: usize,
}

/// Every pattern pair that shares a first prefix segment, and every
/// floating (or root-level) pattern against all.
fn conflicts(patterns: &[Pattern]) -> Counts {
    let mut buckets: Map<&str, Vec<usize>> = Map::default();
    let mut floating = Vec::new();
    for (i, p) in patterns.iter().enumerate() {
        match p.prefix_segments().next() {
            Some(first) => buckets.entry(first).or_default().push(i),
            None => floating.push(i),
        }
    }
    let mut counts = Counts::default();
    let mut count = |o: Overlap| {
        counts.pairs += 1;
        match o {
            Overlap::Yes { .. } => counts.yes += 1,
            Overlap::Maybe => counts.maybe += 1,
            Overlap::No => {}
        }
    };
    for bucket in buckets.values() {
        for (k, &i) in bucket.iter().enumerate() {
            for &j in &bucket[k + 1..] {
                count(overlap(&patterns[i], &patterns[j]));
            }
        }
    }
    let mut is_floating = vec![false; patterns.len()];
    for &i in &floating {
        is_floating[i] = true;
    }
    for &i in &floating {
        for (j, p) in patterns.iter().enumerate() {
            // Each floating pair once.
            if j != i && !(is_floating[j] && j < i) {
                count(overlap(&patterns[i], p));
            }
        }
    }
    counts
}

fn benches(c: &mut Criterion) {
    let pairs: &[(&str, &str, &str)] = &[
        (
            "literal_literal",
            "src/auth/token.rs",
            "src/auth/session.rs",
        ),
        ("literal_glob", "src/auth/**", "src/auth/token.rs"),
        ("head_tail_no", "src/*.go", "src/*.ts"),
        ("prefix_no", "src/**", "src-other/**"),
        ("segments_no", "src/*/a.rs", "src/**/b.rs"),
        ("subtree_yes", "src/**", "src/auth/*.rs"),
        ("product_yes", "src/**/*.rs", "src/*/mod.rs"),
        ("product_no", "src/[a-c]*.rs", "src/d*.rs"),
        ("product_braces", "{src,lib}/**/*.{rs,go}", "lib/*/x*.go"),
    ];
    for &(name, a, b) in pairs {
        let (a, b) = (pat(a), pat(b));
        overlap(&a, &b);
        c.bench_function(&format!("overlap/{name}"), |bench| {
            bench.iter(|| overlap(black_box(&a), black_box(&b)))
        });
    }
    c.bench_function("overlap/product_cold", |bench| {
        bench.iter_batched(
            || (),
            |()| overlap(&pat("src/**/*.rs"), &pat("src/*/mod.rs")),
            BatchSize::SmallInput,
        )
    });
    c.bench_function("pattern/new", |bench| {
        bench.iter(|| pat(black_box("src/auth/**/*.rs")))
    });

    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let files = tree(&mut rng);
    let tracked = TrackedPaths::new(files.clone());
    let (a, b) = (pat("**/auth/*.rs"), pat("**/*_7.rs"));
    c.bench_function("tracked/common_floating_50k", |bench| {
        bench.iter(|| tracked.common(black_box(&a), black_box(&b)).map(str::len))
    });

    let globs: Vec<String> = beads(&mut rng, &files).into_iter().flatten().collect();
    let start = Instant::now();
    let patterns: Vec<Pattern> = globs.iter().map(|g| pat(g)).collect();
    let built = start.elapsed();
    let counts = conflicts(&patterns);
    eprintln!(
        "fleet: {} beads, {} globs ({} floating), {} files: cold run {:.0?} \
         ({built:.0?} building patterns), {} pairs compared, {} yes, {} maybe",
        sizes().0,
        globs.len(),
        patterns.iter().filter(|p| !p.is_anchored()).count(),
        files.len(),
        start.elapsed(),
        counts.pairs,
        counts.yes,
        counts.maybe,
    );
    let mut group = c.benchmark_group("fleet");
    group.sample_size(10);
    group.bench_function("10k_beads_50k_files", |bench| {
        bench.iter(|| conflicts(black_box(&patterns)).pairs)
    });
    group.finish();
}

criterion_group! {
    name = overlap_benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = benches
}
criterion_main!(overlap_benches);
