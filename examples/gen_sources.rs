//! Generate a synthetic multi-language source tree for `gemba index`
//! benchmarks.
//!
//! ```text
//! cargo run --release --example gen_sources -- DIR [FILES] [SEED]
//! ```
//!
//! Writes about FILES files (default 5,000) under DIR, a quarter per
//! language, each a few KB with comments, strings and imports shaped like
//! real code, deterministic for given arguments:
//!
//! - Rust: a workspace of 5 crates (`crates/c<k>`), each `src/lib.rs` +
//!   10 module directories (`m<j>/mod.rs` + leaf files); leaves `use
//!   crate::…`, `super::…`, earlier crates by name, `std` and `serde`, and
//!   call `crate::…` paths inline; every file has a `#[cfg(test)] mod
//!   tests { use super::*; }`.
//! - Go: `go.mod` (`example.com/bench`) + packages `internal/p<i>` of 10
//!   files, each importing 2-5 other packages and the standard library.
//! - Python: package `pyapp` with subpackages of 25 modules; absolute,
//!   relative and parent-relative imports, docstrings holding fake
//!   imports.
//! - TypeScript: `web/src/f<i>/` directories of 20 files (`index.ts`
//!   re-exporting the others); relative imports into the same and other
//!   directories, `require` of directories, and npm packages.
//!
//! Prints the number of files written.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

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

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

struct Out {
    root: PathBuf,
    files: usize,
}

impl Out {
    fn write(&mut self, rel: &str, text: &str) {
        let path = self.root.join(rel);
        std::fs::create_dir_all(path.parent().expect("a file has a parent"))
            .expect("create directory");
        std::fs::write(&path, text).expect("write file");
        self.files += 1;
    }
}

const WORDS: [&str; 16] = [
    "index", "store", "queue", "claim", "graph", "bead", "agent", "score", "batch", "plan",
    "retro", "scan", "vocab", "session", "ready", "merge",
];

fn word(rng: &mut Rng) -> &'static str {
    WORDS[rng.below(WORDS.len())]
}

/// About `lines` lines of filler in a C-like language: functions with
/// comments and strings (some holding text that looks like imports).
fn body_clike(rng: &mut Rng, out: &mut String, lines: usize, fake: &str, style: &str) {
    let mut n = 0;
    while n < lines {
        let w = word(rng);
        let k = rng.below(1000);
        match style {
            "rust" => {
                let _ = writeln!(
                    out,
                    "/// Handles the {w} step {k}.\npub fn {w}_{k}(input: &str) -> usize {{\n    // {fake}\n    let s = \"{fake} {w}\";\n    let c = '\\'';\n    input.len() + s.len() + {k} + c as usize\n}}\n"
                );
            }
            "go" => {
                let _ = writeln!(
                    out,
                    "// {w}{k} handles the {w} step.\nfunc {w}{k}(input string) int {{\n\t// {fake}\n\ts := \"{fake} {w}\"\n\treturn len(input) + len(s) + {k}\n}}\n"
                );
            }
            _ => {
                let _ = writeln!(
                    out,
                    "/** Handles the {w} step {k}. */\nexport function {w}{k}(input: string): number {{\n  // {fake}\n  const s = \"{fake} {w}\";\n  const t = `${{s}} {k}`;\n  return input.length + s.length + t.length;\n}}\n"
                );
            }
        }
        n += 8;
    }
}

fn rust(out: &mut Out, rng: &mut Rng, budget: usize) {
    const CRATES: usize = 5;
    const MODS: usize = 10;
    let per_crate = budget / CRATES;
    let leaves = (per_crate.saturating_sub(2 + MODS) / MODS).max(1);
    let mut ws = String::from("[workspace]\nmembers = [");
    for k in 0..CRATES {
        let _ = write!(ws, "\"crates/c{k}\", ");
    }
    ws.push_str("]\nresolver = \"2\"\n");
    out.write("Cargo.toml", &ws);
    for k in 0..CRATES {
        let base = format!("crates/c{k}");
        let mut deps = String::new();
        for d in 0..k {
            let _ = writeln!(deps, "c{d} = {{ path = \"../c{d}\" }}");
        }
        out.write(
            &format!("{base}/Cargo.toml"),
            &format!(
                "[package]\nname = \"c{k}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nserde = \"1\"\n{deps}"
            ),
        );
        let mut lib = String::from("//! Crate root.\n\n");
        for j in 0..MODS {
            let _ = writeln!(lib, "pub mod m{j};");
        }
        out.write(&format!("{base}/src/lib.rs"), &lib);
        for j in 0..MODS {
            let mut m = format!("//! Module m{j}.\n\n");
            for l in 0..leaves {
                let _ = writeln!(m, "pub mod f{l};");
            }
            let _ = writeln!(
                m,
                "\nuse crate::m{}::f{}::Item;\n",
                rng.below(MODS),
                rng.below(leaves)
            );
            out.write(&format!("{base}/src/m{j}/mod.rs"), &m);
            for l in 0..leaves {
                let mut f = format!("//! Leaf f{l} of m{j}.\n\n");
                for _ in 0..3 + rng.below(6) {
                    let (a, b) = (rng.below(MODS), rng.below(leaves));
                    if rng.chance(15) {
                        let _ = writeln!(f, "use super::f{b}::Item as Local{b};");
                    } else if k > 0 && rng.chance(12) {
                        let _ = writeln!(f, "use c{}::m{a}::f{b}::{{Item, Other}};", rng.below(k));
                    } else {
                        let _ = writeln!(f, "use crate::m{a}::f{b}::Item;");
                    }
                }
                f.push_str("use std::collections::{BTreeMap, HashMap};\nuse serde::Serialize;\n\npub struct Item;\npub struct Other;\n\n");
                let lines = 60 + rng.below(80);
                body_clike(rng, &mut f, lines, "use crate::not::real;", "rust");
                let _ = writeln!(
                    f,
                    "pub fn call() {{\n    crate::m{}::f{}::call_inner();\n}}\n\npub fn call_inner() {{}}\n\n#[cfg(test)]\nmod tests {{\n    use super::*;\n\n    #[test]\n    fn works() {{\n        call();\n    }}\n}}",
                    rng.below(MODS),
                    rng.below(leaves)
                );
                out.write(&format!("{base}/src/m{j}/f{l}.rs"), &f);
            }
        }
    }
}

fn go(out: &mut Out, rng: &mut Rng, budget: usize) {
    const FILES: usize = 10;
    let packages = (budget.saturating_sub(1) / FILES).max(1);
    out.write("go.mod", "module example.com/bench\n\ngo 1.22\n");
    for p in 0..packages {
        for i in 0..FILES {
            let mut f = format!(
                "// Package p{p} does things.\npackage p{p}\n\nimport (\n\t\"fmt\"\n\t\"strings\"\n"
            );
            let mut used = Vec::new();
            for _ in 0..2 + rng.below(4) {
                let q = rng.below(packages);
                if q != p && !used.contains(&q) {
                    used.push(q);
                    let _ = writeln!(f, "\tp{q} \"example.com/bench/internal/p{q}\"");
                }
            }
            f.push_str(")\n\n");
            for q in &used {
                let _ = writeln!(f, "var _ = p{q}.Ready{q}");
            }
            let _ = writeln!(
                f,
                "var _ = fmt.Sprint\nvar _ = strings.TrimSpace\n\n// Ready{p} is exported.\nvar Ready{p} = {i}\n"
            );
            let lines = 60 + rng.below(80);
            body_clike(rng, &mut f, lines, "import \"not/real\"", "go");
            out.write(&format!("internal/p{p}/file{i}.go"), &f);
        }
    }
}

fn python(out: &mut Out, rng: &mut Rng, budget: usize) {
    const MODULES: usize = 24;
    let subpackages = (budget.saturating_sub(1) / (MODULES + 1)).max(1);
    out.write("pyapp/__init__.py", "\"\"\"The app.\"\"\"\n");
    for s in 0..subpackages {
        out.write(
            &format!("pyapp/s{s}/__init__.py"),
            &format!("\"\"\"Subpackage s{s}.\"\"\"\nfrom .mod0 import thing0\n"),
        );
        for m in 0..MODULES {
            let mut f = String::from(
                "\"\"\"A module.\n\nExample:\n    import not_real\n    from nowhere import x\n\"\"\"\nimport os\nimport json\nfrom typing import Any\n",
            );
            for _ in 0..2 + rng.below(5) {
                let (t, n) = (rng.below(subpackages), rng.below(MODULES));
                match rng.below(4) {
                    0 => {
                        let _ = writeln!(f, "from .mod{n} import thing{n}");
                    }
                    1 => {
                        let _ = writeln!(f, "from ..s{t} import mod{n}");
                    }
                    2 => {
                        let _ = writeln!(f, "import pyapp.s{t}.mod{n} as m{t}_{n}");
                    }
                    _ => {
                        let _ = writeln!(
                            f,
                            "from pyapp.s{t}.mod{n} import (\n    thing{n},\n    Helper{n} as H{n},\n)"
                        );
                    }
                }
            }
            let _ = writeln!(
                f,
                "\n\ndef thing{m}(x: Any) -> int:\n    return len(str(x))\n\n\nclass Helper{m}:\n    pass\n"
            );
            for _ in 0..(60 + rng.below(80)) / 6 {
                let w = word(rng);
                let k = rng.below(1000);
                let _ = writeln!(
                    f,
                    "def {w}_{k}(value):\n    # import fake_{w}\n    text = 'from x import {w}'\n    return os.path.join(text, json.dumps(value))\n"
                );
            }
            out.write(&format!("pyapp/s{s}/mod{m}.py"), &f);
        }
    }
}

fn typescript(out: &mut Out, rng: &mut Rng, budget: usize) {
    const FILES: usize = 20;
    // Full directories of 20 files, then one with the rest, so the tree
    // has exactly the requested size. Imports only name full directories.
    let full = (budget / FILES).max(1);
    let sizes: Vec<usize> = (0..budget / FILES)
        .map(|_| FILES)
        .chain(Some(budget % FILES).filter(|r| *r > 0))
        .collect();
    for (d, &size) in sizes.iter().enumerate() {
        let mut index = String::new();
        for c in 1..size {
            let _ = writeln!(index, "export * from './c{c}';");
        }
        out.write(&format!("web/src/f{d}/index.ts"), &index);
        for c in 1..size {
            let ext = if rng.chance(30) { "tsx" } else { "ts" };
            let mut f = String::from("import React from 'react';\nimport { z } from 'zod';\n");
            for _ in 0..2 + rng.below(5) {
                let (e, k) = (rng.below(full), 1 + rng.below(FILES - 1));
                let k = if e == d { 1 + k % (size - 1).max(1) } else { k };
                match rng.below(4) {
                    0 if e == d || size == FILES => {
                        let _ = writeln!(f, "import {{ c{k}x }} from './c{k}';");
                    }
                    1 => {
                        let _ = writeln!(f, "import type {{ T{k} }} from '../f{e}/c{k}';");
                    }
                    2 => {
                        let _ = writeln!(f, "import * as f{e} from '../f{e}';");
                    }
                    _ => {
                        // TS ESM style: `.js` names the `.ts` file.
                        let _ = writeln!(f, "const m{e}_{k} = require('../f{e}/c{k}.js');");
                    }
                }
            }
            let _ = writeln!(
                f,
                "\nexport const c{c}x = 1;\nexport type T{c} = {{ n: number }};\n"
            );
            let lines = 60 + rng.below(80);
            body_clike(rng, &mut f, lines, "import x from './not-real'", "ts");
            out.write(&format!("web/src/f{d}/c{c}.{ext}"), &f);
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(dir) = args.first() else {
        eprintln!("usage: gen_sources DIR [FILES] [SEED]");
        std::process::exit(2);
    };
    let files: usize = args
        .get(1)
        .map_or(5000, |s| s.parse().expect("FILES is a number"));
    let seed: u64 = args
        .get(2)
        .map_or(1, |s| s.parse().expect("SEED is a number"));
    let mut rng = Rng::new(seed);
    let mut out = Out {
        root: Path::new(dir).to_path_buf(),
        files: 0,
    };
    let quarter = files / 4;
    rust(&mut out, &mut rng, quarter);
    go(&mut out, &mut rng, quarter);
    python(&mut out, &mut rng, quarter);
    let rest = files.saturating_sub(out.files);
    typescript(&mut out, &mut rng, rest);
    println!("{}", out.files);
}
