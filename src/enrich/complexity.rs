//! Complexity: how hard a bead is, as a band from `trivial` to `decompose`
//! (too big or too vague for one agent: split it first). Five components
//! in [0, 1], from the enrichment and the text, general rules only:
//!
//! | component | weight | from |
//! |---|---|---|
//! | depth | 0.30 | estimated size: small 0.15, medium 0.45, large 0.8 |
//! | span | 0.20 | targets (1 → 0, 7+ → 1), their directories (1 → 0, 4+ → 1), concepts (1 → 0, 5+ → 1), weighted 0.4/0.4/0.2 |
//! | risk | 0.20 | 0.4 per risk term (migration, security, concurrency, data loss, ...) |
//! | ambiguity | 0.15 | 0.4 without acceptance criteria, 0.2 per vague term (investigate, maybe, TBD, ...) up to 0.4, 0.2 for a text under 80 characters |
//! | verification | 0.15 | 0.2 with acceptance criteria, else 0.5; 0.25 per hard-to-verify term (flaky, performance, manual, ...) up to 0.5 |
//!
//! The weighted sum gives the band: below 0.2 trivial, 0.35 routine, 0.5
//! skilled, 0.7 expert, else decompose. Acceptance criteria are the bead's
//! `acceptance_criteria` field or definition-of-done lines (see
//! [`super::Limits`]).
//!
//! Pure: no I/O.

use serde::Serialize;

use super::Size;
use super::size::dod_lines;
use crate::model::enrichment::{Enrichment, Source, Stamped};
use crate::model::{Band, Bead};
use crate::plan::affinity::{Component, Target};

/// Terms that make a change risky (matched at word starts).
const RISK: &[&str] = &[
    "migrat",
    "secur",
    "vulnerab",
    "concurren",
    "race condition",
    "deadlock",
    "thread safe",
    "lock free",
    "data loss",
    "corrupt",
    "backward compat",
    "backwards compat",
    "breaking change",
    "encrypt",
    "crypto",
    "permission",
    "credential",
    "rollback",
    "transaction",
];

/// Terms of work not yet understood (whole words, or word starts).
const VAGUE: &[&str] = &[
    "investigat",
    "explore",
    "figure out",
    "somehow",
    "maybe ",
    "perhaps ",
    "possibly ",
    "unclear",
    "tbd ",
    "research",
    "think about",
    "brainstorm",
    "look into",
    "not sure",
    "etc ",
];

/// Terms of results that are hard to check.
const HARD_TO_VERIFY: &[&str] = &[
    "flaky",
    "intermittent",
    "performance",
    "latency",
    "benchmark",
    "throughput",
    "memory leak",
    "visual",
    "manual",
    "nondetermin",
    "timing",
];

const WEIGHTS: [(&str, f64); 5] = [
    ("depth", 0.30),
    ("span", 0.20),
    ("risk", 0.20),
    ("ambiguity", 0.15),
    ("verification", 0.15),
];

/// Upper bounds of the bands' scores, trivial to expert.
const BANDS: [(f64, Band); 4] = [
    (0.2, Band::Trivial),
    (0.35, Band::Routine),
    (0.5, Band::Skilled),
    (0.7, Band::Expert),
];

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Estimate {
    pub band: Band,
    /// The weighted sum of the components, in [0, 1].
    pub score: f64,
    pub components: Vec<Component>,
}

/// Lower-cased, every run of non-alphanumerics one space, a space at
/// both ends: ` ` + term finds a term at a word start.
fn normal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push(' ');
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    if !out.ends_with(' ') {
        out.push(' ');
    }
    out
}

/// The terms of `list` found in `text`, as written there (trimmed).
fn found(text: &str, list: &[&'static str]) -> Vec<&'static str> {
    list.iter()
        .filter(|t| text.contains(&format!(" {t}")))
        .map(|t| t.trim())
        .collect()
}

fn ratio(n: usize, full: usize) -> f64 {
    (n.saturating_sub(1) as f64 / (full - 1) as f64).min(1.0)
}

/// The bead's complexity from its text and `enrichment` (targets,
/// concepts, size).
pub fn estimate(bead: &Bead, enrichment: &Enrichment) -> Estimate {
    let spec = super::ops::spec_of(bead);
    let text = normal(&format!("{}\n{}\n{spec}", bead.title, bead.description));
    let accepted =
        !bead.acceptance_criteria.trim().is_empty() || dod_lines(&bead.description, &spec) > 0;
    let chars = bead.description.chars().count() + spec.chars().count();

    let size = enrichment.estimated_size.as_ref().map(|s| s.value);
    let depth = match size.unwrap_or_default() {
        Size::Small => 0.15,
        Size::Medium => 0.45,
        Size::Large => 0.8,
    };
    let depth_why = match size {
        Some(s) => format!("size {s}"),
        None => "size not estimated (medium assumed)".into(),
    };

    let targets: Vec<Target> = enrichment
        .target_globs()
        .iter()
        .map(|g| Target::new(g.as_str()))
        .collect();
    let mut dirs: Vec<&str> = targets.iter().map(|t| t.dir.as_str()).collect();
    dirs.sort_unstable();
    dirs.dedup();
    let concepts = enrichment.concept_names().len();
    let span =
        0.4 * ratio(targets.len(), 7) + 0.4 * ratio(dirs.len(), 4) + 0.2 * ratio(concepts, 5);
    let span_why = format!(
        "{} targets in {} directories, {concepts} concepts",
        targets.len(),
        dirs.len()
    );

    let risky = found(&text, RISK);
    let risk = (0.4 * risky.len() as f64).min(1.0);
    let risk_why = if risky.is_empty() {
        "no risk terms".to_string()
    } else {
        format!("mentions {}", risky.join(", "))
    };

    let vague = found(&text, VAGUE);
    let short = chars < 80;
    let ambiguity = ((if accepted { 0.0 } else { 0.4 })
        + (0.2 * vague.len() as f64).min(0.4)
        + if short { 0.2 } else { 0.0 })
    .min(1.0);
    let mut ambiguity_why = vec![if accepted {
        "has acceptance criteria".to_string()
    } else {
        "no acceptance criteria".to_string()
    }];
    if !vague.is_empty() {
        ambiguity_why.push(format!("vague: {}", vague.join(", ")));
    }
    if short {
        ambiguity_why.push(format!("only {chars} characters of description"));
    }

    let hard = found(&text, HARD_TO_VERIFY);
    let verification =
        ((if accepted { 0.2 } else { 0.5 }) + (0.25 * hard.len() as f64).min(0.5)).min(1.0);
    let verification_why = if hard.is_empty() {
        format!(
            "{} acceptance criteria",
            if accepted { "checkable" } else { "no" }
        )
    } else {
        format!(
            "{} acceptance criteria; hard to verify: {}",
            if accepted { "has" } else { "no" },
            hard.join(", ")
        )
    };

    let values = [
        (depth, depth_why),
        (span, span_why),
        (risk, risk_why),
        (ambiguity, ambiguity_why.join("; ")),
        (verification, verification_why),
    ];
    let score: f64 = values
        .iter()
        .zip(WEIGHTS)
        .map(|((v, _), (_, w))| v * w)
        .sum();
    let band = BANDS
        .iter()
        .find(|(upper, _)| score < *upper)
        .map_or(Band::Decompose, |(_, b)| *b);
    Estimate {
        band,
        score,
        components: values
            .into_iter()
            .zip(WEIGHTS)
            .map(|((value, why), (name, weight))| Component {
                name,
                value,
                weight,
                why,
            })
            .collect(),
    }
}

/// Land an estimated band on `enrichment` as `estimated_size` is: an
/// operator's value stays; the same value keeps its stamp (re-running is a
/// no-op); otherwise it is stamped with `source` and `now`.
pub fn land(enrichment: &mut Enrichment, band: Band, source: Source, now: &str) {
    match &enrichment.complexity {
        Some(old) if old.source.is_operator() || old.value == band => {}
        _ => {
            enrichment.complexity = Some(Stamped {
                value: band,
                source,
                updated_at: Some(now.to_string()),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::enrichment::Glob;

    fn stamp<T>(value: T) -> Stamped<T> {
        Stamped {
            value,
            source: Source::Backfill,
            updated_at: None,
        }
    }

    fn enrichment(size: Option<Size>, targets: &[&str], concepts: &[&str]) -> Enrichment {
        Enrichment {
            targets: (!targets.is_empty())
                .then(|| stamp(targets.iter().map(|t| Glob::new(t).unwrap()).collect())),
            concepts: (!concepts.is_empty())
                .then(|| stamp(concepts.iter().map(|c| c.to_string()).collect())),
            estimated_size: size.map(stamp),
            ..Default::default()
        }
    }

    fn bead(title: &str, description: &str, acceptance: &str) -> Bead {
        let mut b = Bead::new("b", title);
        b.description = description.into();
        b.acceptance_criteria = acceptance.into();
        b
    }

    fn value(e: &Estimate, name: &str) -> f64 {
        e.components.iter().find(|c| c.name == name).unwrap().value
    }

    const PLAIN: &str =
        "Rename the helper so that callers read better; update its two call sites and the docs.";

    #[test]
    fn bands_table() {
        let cases: Vec<(Bead, Enrichment, Band)> = vec![
            (
                bead("Fix typo in README", PLAIN, "- README reads right"),
                enrichment(Some(Size::Small), &["README.md"], &["docs"]),
                Band::Trivial,
            ),
            (
                bead("Add a --limit flag to list", PLAIN, ""),
                enrichment(
                    Some(Size::Medium),
                    &["src/cli/list.rs", "src/list.rs"],
                    &["cli", "list"],
                ),
                Band::Routine,
            ),
            (
                bead(
                    "Migrate the session store",
                    &format!("{PLAIN} The migration must keep backward compatibility."),
                    "- old files still load",
                ),
                enrichment(
                    Some(Size::Large),
                    &["src/store/**", "src/model/session.rs"],
                    &["store"],
                ),
                Band::Skilled,
            ),
            (
                bead(
                    "Make the scheduler concurrent",
                    &format!(
                        "{PLAIN} Concurrency without deadlock; watch latency and flaky timing."
                    ),
                    "- the stress test passes 100 times in a row",
                ),
                enrichment(
                    Some(Size::Large),
                    &["src/a/x.rs", "src/b/**", "src/c/y.rs", "tests/z.rs"],
                    &["sched", "locks", "perf"],
                ),
                Band::Expert,
            ),
            (
                bead(
                    "Investigate: rework security and data migration",
                    "maybe TBD, look into it",
                    "",
                ),
                enrichment(
                    Some(Size::Large),
                    &[
                        "a/1.rs", "b/2.rs", "c/3.rs", "d/4.rs", "e/5.rs", "f/6.rs", "g/7.rs",
                    ],
                    &["auth", "db", "ops", "ui", "api"],
                ),
                Band::Decompose,
            ),
        ];
        for (b, e, want) in cases {
            let got = estimate(&b, &e);
            assert_eq!(got.band, want, "{}: {got:#?}", b.title);
            assert!((0.0..=1.0).contains(&got.score));
            assert_eq!(got.components.len(), 5);
            assert!(got.components.iter().all(|c| !c.why.is_empty()));
        }
    }

    #[test]
    fn terms_match_at_word_starts_only() {
        let e = enrichment(Some(Size::Small), &[], &[]);
        let got = estimate(
            &bead(
                "Fetch the ETC codes",
                "prefetch; insecure? no: unsecured",
                "",
            ),
            &e,
        );
        // `etc` as a word counts; inside `fetch` it does not. `insecure`
        // does not start with `secur`.
        assert_eq!(value(&got, "risk"), 0.0, "{got:#?}");
        assert!(got.components[3].why.contains("vague: etc"), "{got:#?}");
        let got = estimate(&bead("Security review", "", ""), &e);
        assert_eq!(value(&got, "risk"), 0.4);
        assert!(got.components[2].why.contains("secur"), "{got:#?}");
    }

    #[test]
    fn dod_lines_count_as_acceptance() {
        let e = enrichment(Some(Size::Medium), &[], &[]);
        let with = estimate(
            &bead("x", &format!("{PLAIN}\n\n## Acceptance\n- works"), ""),
            &e,
        );
        let without = estimate(&bead("x", PLAIN, ""), &e);
        assert_eq!(value(&with, "ambiguity"), 0.0);
        assert_eq!(value(&without, "ambiguity"), 0.4);
        assert_eq!(value(&with, "verification"), 0.2);
        assert_eq!(value(&without, "verification"), 0.5);
    }

    #[test]
    fn land_keeps_operator_values_and_stamps() {
        let mut e = Enrichment::default();
        land(&mut e, Band::Skilled, Source::Backfill, "t1");
        let first = e.complexity.clone().unwrap();
        assert_eq!(
            (first.value, first.source),
            (Band::Skilled, Source::Backfill)
        );
        land(&mut e, Band::Skilled, Source::Heuristic, "t2");
        assert_eq!(
            e.complexity.as_ref(),
            Some(&first),
            "same value: stamp kept"
        );
        land(&mut e, Band::Expert, Source::Backfill, "t3");
        assert_eq!(e.complexity.as_ref().unwrap().value, Band::Expert);
        e.complexity.as_mut().unwrap().source = Source::Operator;
        land(&mut e, Band::Trivial, Source::Backfill, "t4");
        assert_eq!(e.complexity.as_ref().unwrap().value, Band::Expert);
    }
}
