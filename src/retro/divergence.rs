//! How far a bead's declared targets were from the files it really
//! touched (pure).
//!
//! Two shares, each in [0, 1]:
//! - `unmatched`: of the files actually touched, the share that no declared
//!   glob matches (the work went where nobody said it would);
//! - `untouched`: of the declared *literal* paths (globs without a
//!   metacharacter), the share no commit touched (said, not done). A glob
//!   like `src/auth/**` promises no particular file, so it is not counted.
//!
//! `score` is the larger of the two: what `gemba retro list --diverged-gt`
//! compares. With nothing declared every touched file is unmatched (1.0);
//! with nothing touched nothing diverges (0.0). Matching is the planning
//! layer's ([`crate::plan::overlap::Pattern`]): `*` stays within a
//! directory, `**` crosses any number.

use serde::{Deserialize, Serialize};

use crate::model::enrichment::Glob;
use crate::plan::overlap::Pattern;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Divergence {
    /// Share of actual files no declared glob matches.
    pub unmatched: f64,
    /// Share of declared literal paths not touched.
    pub untouched: f64,
    /// max(unmatched, untouched).
    pub score: f64,
    /// The actual files no declared glob matches.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unmatched_files: Vec<String>,
    /// The declared literal paths not touched.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub untouched_paths: Vec<String>,
}

/// The divergence of `actual` files from `declared` targets.
pub fn divergence(actual: &[String], declared: &[Glob]) -> Divergence {
    let patterns: Vec<Pattern> = declared.iter().map(Pattern::from_glob).collect();
    let unmatched_files: Vec<String> = actual
        .iter()
        .filter(|file| !patterns.iter().any(|p| p.is_match(file) == Some(true)))
        .cloned()
        .collect();
    let literals: Vec<&Pattern> = patterns.iter().filter(|p| p.is_literal()).collect();
    let untouched_paths: Vec<String> = literals
        .iter()
        .filter(|p| !actual.iter().any(|f| f == p.text()))
        .map(|p| p.text().to_string())
        .collect();
    let share = |part: usize, whole: usize| {
        if whole == 0 {
            0.0
        } else {
            round(part as f64 / whole as f64)
        }
    };
    let unmatched = share(unmatched_files.len(), actual.len());
    let untouched = share(untouched_paths.len(), literals.len());
    Divergence {
        unmatched,
        untouched,
        score: unmatched.max(untouched),
        unmatched_files,
        untouched_paths,
    }
}

/// To the thousandth: the shares are for people and filters, and stable
/// bytes in the log.
fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn globs(items: &[&str]) -> Vec<Glob> {
        items.iter().map(|g| Glob::new(g).unwrap()).collect()
    }

    fn files(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn table() {
        // (actual, declared, unmatched, untouched)
        let cases: &[(&[&str], &[&str], f64, f64)] = &[
            // Inside the declared glob.
            (&["src/a/x.rs", "src/a/y.rs"], &["src/a/**"], 0.0, 0.0),
            // Outside it entirely.
            (&["src/b/x.rs"], &["src/a/**"], 1.0, 0.0),
            // Half in, half out.
            (&["src/a/x.rs", "docs/x.md"], &["src/a/**"], 0.5, 0.0),
            // `*` stays within one directory.
            (&["src/a/deep/x.rs"], &["src/a/*.rs"], 1.0, 0.0),
            (&["src/a/x.rs"], &["src/a/*.rs"], 0.0, 0.0),
            // A literal path declared and touched, one declared and not.
            (&["src/a.rs"], &["src/a.rs", "src/b.rs"], 0.0, 0.5),
            // Literals untouched, nothing matched.
            (&["README.md"], &["src/a.rs"], 1.0, 1.0),
            // Nothing declared: every file is unmatched.
            (&["src/a.rs", "src/b.rs"], &[], 1.0, 0.0),
            // Nothing touched: nothing diverges but untouched literals.
            (&[], &["src/a/**"], 0.0, 0.0),
            (&[], &["src/a.rs"], 0.0, 1.0),
            // Thirds, rounded to the thousandth.
            (&["a/x", "b/x", "c/x"], &["a/**"], 0.667, 0.0),
            // Normalized globs: `./src/` is `src/**`.
            (&["src/x.rs"], &["./src/"], 0.0, 0.0),
            // Braces.
            (&["src/a.rs", "src/b.rs"], &["src/{a,b}.rs"], 0.0, 0.0),
        ];
        for (actual, declared, unmatched, untouched) in cases {
            let d = divergence(&files(actual), &globs(declared));
            assert_eq!(
                (d.unmatched, d.untouched),
                (*unmatched, *untouched),
                "{actual:?} vs {declared:?}"
            );
            assert_eq!(d.score, unmatched.max(*untouched));
            assert_eq!(d.unmatched_files.len() as f64 > 0.0, *unmatched > 0.0);
        }
    }

    #[test]
    fn lists_what_diverged() {
        let d = divergence(
            &files(&["src/a.rs", "docs/x.md"]),
            &globs(&["src/*.rs", "src/b.rs"]),
        );
        assert_eq!(d.unmatched_files, ["docs/x.md"]);
        assert_eq!(d.untouched_paths, ["src/b.rs"]);
    }
}
