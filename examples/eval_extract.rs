//! Precision and recall of the heuristic target extractor on a labelled
//! fixture of real beads.
//!
//! The fixture (`tests/fixtures/extract/`, see its README) holds beads from
//! two public trackers with the files their work touched, as recorded by the
//! agents when they closed them, and each repository's tracked-file list.
//! This runs [`Heuristic`] on each bead's title, description and spec (design
//! plus acceptance criteria, never the close record the labels came from)
//! with default [`Limits`] and an empty vocabulary, and prints Markdown tables:
//!
//! - a predicted target is a hit when it equals a touched path or, as a glob
//!   (`*` stays within one path component), matches one;
//! - precision = hits / predictions; recall = touched paths matched by some
//!   prediction / touched paths;
//! - micro averages pool every bead; macro averages are means of per-bead
//!   figures (macro precision over beads with at least one prediction).
//!
//! ```text
//! cargo run --release --example eval_extract              # tables
//! cargo run --release --example eval_extract -- --details # plus one line per bead
//! ```

use std::collections::BTreeMap;
use std::error::Error;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use gemba::enrich::{ExtractInput, Extractor, Heuristic, Limits, TrackedFiles};
use globset::{GlobBuilder, GlobMatcher};
use serde::Deserialize;

/// One line of `labelled.jsonl`.
#[derive(Debug, Deserialize)]
struct Labelled {
    repo: String,
    id: String,
    title: String,
    body: String,
    spec: String,
    touched: Vec<String>,
    label_source: String,
}

/// What the extractor did on one bead.
#[derive(Debug, Default)]
struct Outcome {
    predicted: usize,
    /// Predictions that match at least one touched path.
    hits: usize,
    /// Predictions with glob characters, and how many of them hit.
    globs: usize,
    glob_hits: usize,
    touched: usize,
    /// Touched paths matched by at least one prediction.
    matched: usize,
    /// Touched paths the text names (full path, a path ending in it, or its
    /// file name as a word): what a text-only extractor can hope to find
    /// without guessing directories.
    named: usize,
}

#[derive(Debug, Default)]
struct Totals {
    beads: usize,
    with_prediction: usize,
    predicted: usize,
    hits: usize,
    globs: usize,
    glob_hits: usize,
    touched: usize,
    matched: usize,
    named: usize,
    precision_sum: f64,
    recall_sum: f64,
}

impl Totals {
    fn add(&mut self, o: &Outcome) {
        self.beads += 1;
        self.predicted += o.predicted;
        self.hits += o.hits;
        self.globs += o.globs;
        self.glob_hits += o.glob_hits;
        self.touched += o.touched;
        self.matched += o.matched;
        self.named += o.named;
        if o.predicted > 0 {
            self.with_prediction += 1;
            self.precision_sum += ratio(o.hits, o.predicted).unwrap_or(0.0);
        }
        self.recall_sum += ratio(o.matched, o.touched).unwrap_or(0.0);
    }

    fn row(&self, name: &str) -> String {
        format!(
            "| {name} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            self.beads,
            self.touched,
            self.named,
            self.predicted,
            self.hits,
            self.matched,
            pct(ratio(self.hits, self.predicted)),
            pct(ratio(self.matched, self.touched)),
            pct(mean(self.precision_sum, self.with_prediction)),
            pct(mean(self.recall_sum, self.beads)),
            pct(ratio(self.with_prediction, self.beads)),
        )
    }

    fn kind_rows(&self) -> String {
        let files = self.predicted - self.globs;
        let file_hits = self.hits - self.glob_hits;
        format!(
            "| files | {files} | {file_hits} | {} |\n| globs | {} | {} | {} |",
            pct(ratio(file_hits, files)),
            self.globs,
            self.glob_hits,
            pct(ratio(self.glob_hits, self.globs)),
        )
    }
}

fn is_glob(target: &str) -> bool {
    target.contains(['*', '?', '[', '{'])
}

/// Path-shaped words of `text`: split at anything that can't be in a path,
/// with trailing punctuation and a `:line` suffix removed.
fn words(text: &str) -> Vec<&str> {
    text.split(|c: char| !(c.is_alphanumeric() || "_./-:".contains(c)))
        .map(|w| w.split(':').next().unwrap_or(w))
        .map(|w| w.trim_end_matches(['.', ',']))
        .filter(|w| !w.is_empty())
        .collect()
}

fn named_in(words: &[&str], path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    words.iter().any(|w| {
        *w == path
            || *w == name
            || (w.ends_with(name) && w[..w.len() - name.len()].ends_with('/') && path.ends_with(*w))
    })
}

/// `num / den`, or `None` when there is nothing to divide by.
fn ratio(num: usize, den: usize) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

fn mean(sum: f64, n: usize) -> Option<f64> {
    (n > 0).then(|| sum / n as f64)
}

fn pct(x: Option<f64>) -> String {
    x.map_or_else(|| "–".to_string(), |x| format!("{:.1}%", 100.0 * x))
}

/// A predicted target as something that can match a path.
enum Target {
    Glob(GlobMatcher),
    Literal(String),
}

impl Target {
    fn new(target: &str) -> Self {
        match GlobBuilder::new(target).literal_separator(true).build() {
            Ok(glob) => Target::Glob(glob.compile_matcher()),
            Err(_) => Target::Literal(target.to_string()),
        }
    }

    fn matches(&self, target: &str, path: &str) -> bool {
        target == path
            || match self {
                Target::Glob(glob) => glob.is_match(path),
                Target::Literal(literal) => literal == path,
            }
    }
}

fn score(predicted: &[String], touched: &[String], text: &str) -> (Outcome, Vec<bool>) {
    let targets: Vec<Target> = predicted.iter().map(|t| Target::new(t)).collect();
    let hit: Vec<bool> = targets
        .iter()
        .zip(predicted)
        .map(|(target, text)| touched.iter().any(|p| target.matches(text, p)))
        .collect();
    let matched = touched
        .iter()
        .filter(|p| {
            targets
                .iter()
                .zip(predicted)
                .any(|(target, text)| target.matches(text, p))
        })
        .count();
    let words = words(text);
    let outcome = Outcome {
        predicted: predicted.len(),
        hits: hit.iter().filter(|h| **h).count(),
        globs: predicted.iter().filter(|t| is_glob(t)).count(),
        glob_hits: predicted
            .iter()
            .zip(&hit)
            .filter(|(t, h)| **h && is_glob(t))
            .count(),
        touched: touched.len(),
        matched,
        named: touched.iter().filter(|p| named_in(&words, p)).count(),
    };
    (outcome, hit)
}

fn read_tracked(dir: &Path, repo: &str) -> Result<TrackedFiles, Box<dyn Error>> {
    let path = dir.join(format!("{repo}-tracked.txt"));
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(TrackedFiles::new(
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(String::from),
    ))
}

fn main() -> Result<(), Box<dyn Error>> {
    let details = std::env::args().any(|a| a == "--details");
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/extract");
    let fixture = dir.join("labelled.jsonl");
    let text =
        std::fs::read_to_string(&fixture).map_err(|e| format!("{}: {e}", fixture.display()))?;
    let mut beads = Vec::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let bead: Labelled = serde_json::from_str(line)
            .map_err(|e| format!("{}:{}: {e}", fixture.display(), n + 1))?;
        beads.push(bead);
    }

    let mut tracked: BTreeMap<String, TrackedFiles> = BTreeMap::new();
    for bead in &beads {
        if !tracked.contains_key(&bead.repo) {
            tracked.insert(bead.repo.clone(), read_tracked(&dir, &bead.repo)?);
        }
    }

    let limits = Limits::default();
    let mut per_repo: BTreeMap<&str, Totals> = BTreeMap::new();
    let mut per_source: BTreeMap<&str, Totals> = BTreeMap::new();
    let mut all = Totals::default();
    let mut lines = String::new();
    for bead in &beads {
        let input = ExtractInput {
            title: &bead.title,
            body: &bead.body,
            spec: &bead.spec,
            tracked: &tracked[&bead.repo],
            vocabulary: &[],
            limits: &limits,
        };
        let predicted = Heuristic.extract(&input).targets;
        let text = format!("{}\n{}\n{}", bead.title, bead.body, bead.spec);
        let (outcome, hit) = score(&predicted, &bead.touched, &text);
        per_repo.entry(&bead.repo).or_default().add(&outcome);
        per_source
            .entry(&bead.label_source)
            .or_default()
            .add(&outcome);
        all.add(&outcome);
        if details {
            let marked: Vec<String> = predicted
                .iter()
                .zip(&hit)
                .map(|(t, h)| if *h { format!("+{t}") } else { format!("-{t}") })
                .collect();
            writeln!(
                lines,
                "{} [{}/{} hit, {}/{} found] predicted: {} | touched: {}",
                bead.id,
                outcome.hits,
                outcome.predicted,
                outcome.matched,
                outcome.touched,
                if marked.is_empty() {
                    "-".to_string()
                } else {
                    marked.join(" ")
                },
                bead.touched.join(" "),
            )?;
        }
    }

    let header = "| | beads | touched | touched named in text | predicted | hits | touched found | micro P | micro R | macro P | macro R | beads with a prediction |\n\
                  |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|";
    println!("Heuristic target extraction on {}\n", fixture.display());
    println!("{header}");
    for (repo, totals) in &per_repo {
        println!("{}", totals.row(repo));
    }
    println!("{}", all.row("**all**"));
    println!("\nBy label source:\n\n{header}");
    for (source, totals) in &per_source {
        println!("{}", totals.row(source));
    }
    println!(
        "\nBy kind of prediction (a glob hits when it matches a touched path):\n\n\
         | | predicted | hits | precision |\n|---|---:|---:|---:|\n{}",
        all.kind_rows()
    );
    if details {
        println!("\nPer bead (+ hit, - miss):\n\n{lines}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_glob_and_literal_hits() {
        let predicted = vec![
            "src/auth/**".to_string(),
            "docs/*.md".to_string(),
            "README.md".to_string(),
        ];
        let touched = vec![
            "src/auth/login.rs".to_string(),
            "docs/guide/deep.md".to_string(),
            "Cargo.toml".to_string(),
        ];
        let (o, hit) = score(
            &predicted,
            &touched,
            "see `auth/login.rs:12` and Cargo.toml.",
        );
        // `*` does not cross `/`, so docs/*.md misses docs/guide/deep.md.
        assert_eq!(hit, [true, false, false]);
        assert_eq!((o.hits, o.predicted, o.matched, o.touched), (1, 3, 1, 3));
        assert_eq!((o.globs, o.glob_hits, o.named), (2, 1, 2));
    }
}
