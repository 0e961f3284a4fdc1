//! Calibration: were the recommendations right? Pure: [`calibrate`] takes
//! what `gemba calibrate` read (the coach picks from the log, the closed
//! beads with their estimated size and time to close) and the config, and
//! returns findings, each with its evidence and a proposed config change.
//! Nothing here applies a change: findings become `tune` suggestions that a
//! person approves (`gemba suggestions approve`).
//!
//! # Samples
//!
//! A **pick** is a `decision` event with `data.what: pick` (`gemba pick`):
//! the recommendation (what `gemba next` would have chosen for the session)
//! and the bead the person chose, each with its justification lines, which
//! [`Components::parse`] reads back: the affinity and leverage of the
//! `score … = … x affinity A + … x leverage L` line, the six affinity
//! components (`concept 0.62 (x0.25): …`), the runway line (`runway: small
//! covers medium work`, `… is short of …`) and the intent line (`inside the
//! focus`, `outside the focus`, `no focus set`). An agreed pick is a sample
//! too (the recommendation was right); a pick that selection left out (no
//! justification) counts for nothing. A difference in affinity, leverage or
//! a component counts only from [`MIN_DELTA`].
//!
//! A **closed bead** is a bead with `closed_at` and an estimated size; its
//! hours run from its last claim before closing (else from `created_at`).
//!
//! # Findings
//!
//! Every finding needs at least `calibrate.min_samples` samples, and a coach
//! finding needs `calibrate.miss_rate` of them to miss the same way:
//!
//! | kind | sample | miss | proposed change |
//! |---|---|---|---|
//! | `intent_miss` (too strong) | picks whose session had a focus and whose recommendation was inside it | the pick was outside it | `profile.focus_demotion` halfway to 1 |
//! | `intent_miss` (too weak) | picks whose recommendation was outside the session's focus | the pick was inside it | `profile.focus_demotion` halfway to 0 |
//! | `leverage_miss` (under-weighted) | picks with affinity and leverage | the pick had more leverage and less affinity | `scoring.affinity_share` - 0.1 |
//! | `leverage_miss` (over-weighted) | same | the pick had less leverage and more affinity | `scoring.affinity_share` + 0.1 |
//! | `affinity_drift` (per component C) | picks with component C | the pick's C was lower (higher) | `scoring.affinity.C` x 2/3 (x 1.5) |
//! | `runway_over_trust` | picks whose recommendation had a known runway | the recommendation fit the runway and the person picked smaller work | `health.runway_calibration` x 0.75 |
//! | `size_drift` (slow) | closed beads of one estimated size | median hours over `size_drift` x expected | the bucket's upper bound down by expected/median (at most halved): `enrich.size_small_max_chars` for small, `enrich.size_large_min_chars` for medium; for large, `calibrate.expected_hours.large` := the median |
//! | `size_drift` (fast) | same | median under expected / `size_drift` | the bucket's lower bound up by expected/median (at most doubled): `enrich.size_large_min_chars` for large, `enrich.size_small_max_chars` for medium; for small, `calibrate.expected_hours.small` := the median |
//!
//! Evidence is about the config it was gathered under: picks made before
//! a key's last `tune` no longer count for that key, and beads closed
//! before the last tune of a size threshold or expected hours no longer
//! count for size drift. So an approved change is not proposed again on
//! the same old evidence.
//!
//! Runway under-trust (people picking beads the runway gate demoted) is not
//! calibrated: the runway demotion is a safety margin, not an estimate.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::Serialize;

use crate::model::Config;
use crate::model::enrichment::Size;

/// A difference in a score component below this is noise.
pub const MIN_DELTA: f64 = 0.1;

/// The affinity components, in the order scores list them.
pub const COMPONENTS: [&str; 6] = [
    "concept",
    "file",
    "workspace",
    "epic",
    "recency",
    "headroom",
];

/// Everything calibration reads.
#[derive(Debug, Clone, Default)]
pub struct Input {
    pub picks: Vec<Pick>,
    pub closed: Vec<Closed>,
    /// When each config key was last tuned (`tune` events): evidence from
    /// before that was about the old value and no longer counts for it.
    pub tuned: BTreeMap<String, Timestamp>,
}

/// One coach pick (`decision` with `what: pick`).
#[derive(Debug, Clone, PartialEq)]
pub struct Pick {
    /// The decision event's id.
    pub decision: String,
    pub at: Timestamp,
    pub bead: String,
    pub recommended: String,
    pub agreed: bool,
    pub recommendation: Components,
    /// `None` when selection left the pick out (no justification).
    pub pick: Option<Components>,
}

/// What a candidate's justification lines say.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Components {
    pub affinity: Option<f64>,
    pub leverage: Option<f64>,
    /// Affinity components by name.
    pub parts: BTreeMap<String, f64>,
    pub intent: Focus,
    pub runway: Runway,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Focus {
    /// No intent line.
    #[default]
    Unknown,
    /// The session had no focus.
    None,
    Inside,
    Outside,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Runway {
    /// No runway line, or `runway: unknown`.
    #[default]
    Unknown,
    /// The session's runway covered the bead's size.
    Covers { runway: Size, need: Size },
    /// Shorter than the bead's size (demoted).
    Short { runway: Size, need: Size },
}

impl Runway {
    fn need(self) -> Option<Size> {
        match self {
            Runway::Unknown => None,
            Runway::Covers { need, .. } | Runway::Short { need, .. } => Some(need),
        }
    }
}

fn size(word: &str) -> Option<Size> {
    Size::ALL.into_iter().find(|s| s.as_str() == word)
}

fn number(word: &str) -> Option<f64> {
    word.trim_end_matches([',', ':', ')']).parse().ok()
}

impl Components {
    /// Read the lines `plan::select` writes (see the module doc); lines it
    /// does not know are skipped.
    pub fn parse<S: AsRef<str>>(lines: &[S]) -> Components {
        let mut out = Components::default();
        for line in lines {
            let line = line.as_ref();
            let words: Vec<&str> = line.split_whitespace().collect();
            if line.starts_with("score ") {
                // score 0.612 = 0.7 x affinity 0.55 + 0.3 x leverage 0.75
                for (i, w) in words.iter().enumerate() {
                    let next = words.get(i + 1).and_then(|n| number(n));
                    match *w {
                        "affinity" => out.affinity = next,
                        "leverage" => out.leverage = next,
                        _ => {}
                    }
                }
            } else if let Some(rest) = line.strip_prefix("intent: ") {
                out.intent = if rest.starts_with("inside") {
                    Focus::Inside
                } else if rest.starts_with("outside") {
                    Focus::Outside
                } else {
                    Focus::None
                };
            } else if line.starts_with("runway: ") {
                // runway: small covers medium work / runway: small is short of large work
                let at = |i: usize| words.get(i).and_then(|w| size(w));
                out.runway = match (at(1), words.get(2)) {
                    (Some(runway), Some(&"covers")) => match at(3) {
                        Some(need) => Runway::Covers { runway, need },
                        None => Runway::Unknown,
                    },
                    (Some(runway), Some(&"is")) => match at(5) {
                        Some(need) => Runway::Short { runway, need },
                        None => Runway::Unknown,
                    },
                    _ => Runway::Unknown,
                };
            } else if let [name, value, weight, ..] = words.as_slice()
                && COMPONENTS.contains(name)
                && weight.starts_with("(x")
                && let Some(v) = number(value)
            {
                out.parts.insert(name.to_string(), v);
            }
        }
        out
    }
}

/// A closed bead with an estimated size.
#[derive(Debug, Clone, PartialEq)]
pub struct Closed {
    pub bead: String,
    pub closed_at: Timestamp,
    pub size: Size,
    pub hours: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    IntentMiss,
    LeverageMiss,
    RunwayOverTrust,
    AffinityDrift,
    SizeDrift,
}

impl FindingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::IntentMiss => "intent_miss",
            FindingKind::LeverageMiss => "leverage_miss",
            FindingKind::RunwayOverTrust => "runway_over_trust",
            FindingKind::AffinityDrift => "affinity_drift",
            FindingKind::SizeDrift => "size_drift",
        }
    }
}

impl std::fmt::Display for FindingKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A config change: the dotted key, its value now, the proposal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub key: String,
    pub current: f64,
    pub proposed: f64,
}

impl Change {
    /// `proposed` as `gemba tune KEY=VALUE` takes it.
    pub fn value(&self) -> String {
        format_number(self.proposed)
    }
}

/// `0.6`, `200`: the shortest text that reads back as the number.
pub fn format_number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub kind: FindingKind,
    /// What the evidence says, in one line.
    pub reason: String,
    /// The numbers: `samples`, `misses`, `rate`, `median_hours`, ...
    pub evidence: BTreeMap<String, f64>,
    /// The misses' ids: decision events (picks) or beads (size drift).
    pub samples: Vec<String>,
    /// The beads behind `samples` (the beads picked; for size drift the
    /// same as `samples`), for people.
    pub beads: Vec<String>,
    /// `None` when no config value can move the way the evidence asks
    /// (e.g. it is at its bound): reported, not suggested.
    pub change: Option<Change>,
}

fn round(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

/// A change, or none when rounding leaves the value where it is.
fn change(key: &str, current: f64, proposed: f64) -> Option<Change> {
    ((proposed - current).abs() > 1e-9).then(|| Change {
        key: key.to_string(),
        current,
        proposed,
    })
}

/// Counted misses among samples.
struct Tally {
    samples: usize,
    misses: Vec<String>,
    beads: Vec<String>,
}

impl Tally {
    fn rate(&self) -> f64 {
        if self.samples == 0 {
            0.0
        } else {
            self.misses.len() as f64 / self.samples as f64
        }
    }

    fn evidence(&self) -> BTreeMap<String, f64> {
        BTreeMap::from([
            ("samples".to_string(), self.samples as f64),
            ("misses".to_string(), self.misses.len() as f64),
            ("rate".to_string(), round(self.rate(), 3)),
        ])
    }

    /// Enough samples and a systematic share of misses.
    fn fires(&self, config: &Config) -> bool {
        let c = &config.calibrate;
        self.samples >= c.min_samples && !self.misses.is_empty() && self.rate() >= c.miss_rate
    }
}

/// Tally `picks` that `sample` admits, counting those `miss` flags.
fn tally<'a>(
    picks: &'a [(&'a Pick, &'a Components)],
    sample: impl Fn(&Pick, &Components) -> bool,
    miss: impl Fn(&Pick, &Components) -> bool,
) -> Tally {
    let mut t = Tally {
        samples: 0,
        misses: Vec::new(),
        beads: Vec::new(),
    };
    for (p, c) in picks {
        if sample(p, c) {
            t.samples += 1;
            if !p.agreed && miss(p, c) {
                t.misses.push(p.decision.clone());
                t.beads.push(p.bead.clone());
            }
        }
    }
    t
}

/// Every finding, in a stable order (coach findings, then size drift).
pub fn calibrate(input: &Input, config: &Config) -> Vec<Finding> {
    let picks: Vec<(&Pick, &Components)> = input
        .picks
        .iter()
        .filter_map(|p| p.pick.as_ref().map(|c| (p, c)))
        .collect();
    let tuned = &input.tuned;
    let mut out = Vec::new();
    intent(&since(&picks, tuned, FOCUS), config, &mut out);
    leverage(&since(&picks, tuned, SHARE), config, &mut out);
    runway(&since(&picks, tuned, RUNWAY), config, &mut out);
    for (name, weight) in config.scoring.affinity.named() {
        let key = format!("scoring.affinity.{name}");
        let picks = since(&picks, tuned, &key);
        affinity(&picks, name, weight, &key, config, &mut out);
    }
    // Sizes were estimated with the thresholds of their day.
    let cutoff = tuned
        .iter()
        .filter(|(k, _)| {
            k.starts_with("enrich.size_") || k.starts_with("calibrate.expected_hours.")
        })
        .map(|(_, t)| *t)
        .max();
    let closed: Vec<&Closed> = input
        .closed
        .iter()
        .filter(|c| cutoff.is_none_or(|t| c.closed_at > t))
        .collect();
    sizes(&closed, config, &mut out);
    out
}

const FOCUS: &str = "profile.focus_demotion";
const SHARE: &str = "scoring.affinity_share";
const RUNWAY: &str = "health.runway_calibration";

/// The picks made after `key` was last tuned.
fn since<'a>(
    picks: &[(&'a Pick, &'a Components)],
    tuned: &BTreeMap<String, Timestamp>,
    key: &str,
) -> Vec<(&'a Pick, &'a Components)> {
    match tuned.get(key) {
        None => picks.to_vec(),
        Some(t) => picks.iter().filter(|(p, _)| p.at > *t).copied().collect(),
    }
}

fn coach_finding(kind: FindingKind, t: Tally, what: &str, change: Option<Change>) -> Finding {
    let reason = format!(
        "{} of {} picks {what} ({:.0}%)",
        t.misses.len(),
        t.samples,
        t.rate() * 100.0
    );
    Finding {
        kind,
        reason,
        evidence: t.evidence(),
        samples: t.misses,
        beads: t.beads,
        change,
    }
}

fn intent(picks: &[(&Pick, &Components)], config: &Config, out: &mut Vec<Finding>) {
    let key = FOCUS;
    let d = config.profile.focus_demotion;
    let strong = tally(
        picks,
        |p, _| p.recommendation.intent == Focus::Inside,
        |_, c| c.intent == Focus::Outside,
    );
    if strong.fires(config) {
        out.push(coach_finding(
            FindingKind::IntentMiss,
            strong,
            "left the session's focus when the recommendation was inside it: the focus demotion is too strong (a new default for focuses set from now on)",
            change(key, d, round(d + (1.0 - d) / 2.0, 2)),
        ));
    }
    let weak = tally(
        picks,
        |p, _| p.recommendation.intent == Focus::Outside,
        |_, c| c.intent == Focus::Inside,
    );
    if weak.fires(config) {
        out.push(coach_finding(
            FindingKind::IntentMiss,
            weak,
            "kept to the session's focus when the recommendation was outside it: the focus demotion is too weak (a new default for focuses set from now on)",
            change(key, d, round(d / 2.0, 2)),
        ));
    }
}

fn leverage(picks: &[(&Pick, &Components)], config: &Config, out: &mut Vec<Finding>) {
    let key = SHARE;
    let share = config.scoring.affinity_share;
    let known = |p: &Pick, c: &Components| {
        [
            p.recommendation.affinity,
            p.recommendation.leverage,
            c.affinity,
            c.leverage,
        ]
        .iter()
        .all(Option::is_some)
    };
    // (pick leverage - recommended, pick affinity - recommended)
    let deltas = |p: &Pick, c: &Components| {
        let d = |a: Option<f64>, b: Option<f64>| a.unwrap_or(0.0) - b.unwrap_or(0.0);
        (
            d(c.leverage, p.recommendation.leverage),
            d(c.affinity, p.recommendation.affinity),
        )
    };
    let more = tally(picks, known, |p, c| {
        let (dl, da) = deltas(p, c);
        dl >= MIN_DELTA && da < 0.0
    });
    if more.fires(config) {
        out.push(coach_finding(
            FindingKind::LeverageMiss,
            more,
            "chose more leverage and less affinity than recommended: leverage is under-weighted",
            change(key, share, round((share - 0.1).max(0.0), 2)),
        ));
    }
    let less = tally(picks, known, |p, c| {
        let (dl, da) = deltas(p, c);
        dl <= -MIN_DELTA && da > 0.0
    });
    if less.fires(config) {
        out.push(coach_finding(
            FindingKind::LeverageMiss,
            less,
            "chose more affinity and less leverage than recommended: leverage is over-weighted",
            change(key, share, round((share + 0.1).min(1.0), 2)),
        ));
    }
}

fn runway(picks: &[(&Pick, &Components)], config: &Config, out: &mut Vec<Finding>) {
    let t = tally(
        picks,
        |p, _| p.recommendation.runway != Runway::Unknown,
        |p, c| match (p.recommendation.runway, c.runway.need()) {
            (Runway::Covers { need, .. }, Some(picked)) => picked < need,
            _ => false,
        },
    );
    if t.fires(config) {
        let key = RUNWAY;
        let current = config.health.runway_calibration;
        out.push(coach_finding(
            FindingKind::RunwayOverTrust,
            t,
            "chose smaller work than a recommendation that fit the session's runway: runway estimates are optimistic",
            change(key, current, round(current * 0.75, 2)),
        ));
    }
}

fn affinity(
    picks: &[(&Pick, &Components)],
    name: &str,
    weight: f64,
    key: &str,
    config: &Config,
    out: &mut Vec<Finding>,
) {
    let has = |p: &Pick, c: &Components| {
        p.recommendation.parts.contains_key(name) && c.parts.contains_key(name)
    };
    let delta = |p: &Pick, c: &Components| c.parts[name] - p.recommendation.parts[name];
    let lower = tally(picks, has, |p, c| delta(p, c) <= -MIN_DELTA);
    if lower.fires(config) {
        out.push(coach_finding(
            FindingKind::AffinityDrift,
            lower,
            &format!("chose lower {name} affinity than recommended: {name} is over-weighted"),
            change(key, weight, round(weight * 2.0 / 3.0, 3)),
        ));
    }
    let higher = tally(picks, has, |p, c| delta(p, c) >= MIN_DELTA);
    if higher.fires(config) {
        out.push(coach_finding(
            FindingKind::AffinityDrift,
            higher,
            &format!("chose higher {name} affinity than recommended: {name} is under-weighted"),
            change(key, weight, round((weight * 1.5).max(0.05), 3)),
        ));
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn sizes(closed: &[&Closed], config: &Config, out: &mut Vec<Finding>) {
    let c = &config.calibrate;
    let limits = &config.enrich;
    let (small_max, large_min) = (
        limits.size_small_max_chars as f64,
        limits.size_large_min_chars as f64,
    );
    for bucket in Size::ALL {
        let beads: Vec<&Closed> = closed
            .iter()
            .copied()
            .filter(|b| b.size == bucket && b.hours.is_finite() && b.hours >= 0.0)
            .collect();
        if beads.len() < c.min_samples {
            continue;
        }
        let expected = match bucket {
            Size::Small => c.expected_hours.small,
            Size::Medium => c.expected_hours.medium,
            Size::Large => c.expected_hours.large,
        };
        let mut hours: Vec<f64> = beads.iter().map(|b| b.hours).collect();
        let median = median(&mut hours);
        let ratio = median / expected;
        let slow = ratio > c.size_drift;
        if !slow && ratio >= 1.0 / c.size_drift {
            continue;
        }
        // Move a boundary by expected/median, at most halving or doubling.
        let factor = (1.0 / ratio.max(1e-9)).clamp(0.5, 2.0);
        let chars = |key: &str, current: f64, lo: f64, hi: f64| {
            let proposed = (current * factor).round().clamp(lo, hi);
            change(key, current, proposed)
        };
        let hours_key = format!("calibrate.expected_hours.{bucket}");
        let change = match (bucket, slow) {
            (Size::Small, true) => chars(
                "enrich.size_small_max_chars",
                small_max,
                0.0,
                large_min - 1.0,
            ),
            (Size::Medium, true) => chars(
                "enrich.size_large_min_chars",
                large_min,
                small_max + 1.0,
                f64::MAX,
            ),
            (Size::Medium, false) => chars(
                "enrich.size_small_max_chars",
                small_max,
                0.0,
                large_min - 1.0,
            ),
            (Size::Large, false) => chars(
                "enrich.size_large_min_chars",
                large_min,
                small_max + 1.0,
                f64::MAX,
            ),
            (Size::Small, false) | (Size::Large, true) => {
                change(&hours_key, expected, round(median.max(0.1), 1))
            }
        };
        let how = if slow { "over" } else { "under" };
        let times = if slow { ratio } else { 1.0 / ratio.max(1e-9) };
        let reason = format!(
            "{} {bucket} beads closed in a median {median:.1} h, {times:.1}x {how} the expected {expected} h",
            beads.len()
        );
        let mut ids: Vec<String> = beads.iter().map(|b| b.bead.clone()).collect();
        ids.sort();
        out.push(Finding {
            kind: FindingKind::SizeDrift,
            reason,
            evidence: BTreeMap::from([
                ("samples".to_string(), beads.len() as f64),
                ("median_hours".to_string(), round(median, 2)),
                ("expected_hours".to_string(), expected),
                ("ratio".to_string(), round(ratio, 3)),
            ]),
            beads: ids.clone(),
            samples: ids,
            change,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(
        affinity: f64,
        leverage: f64,
        intent: &str,
        runway: &str,
        concept: f64,
    ) -> Vec<String> {
        vec![
            format!("score 0.5 = 0.7 x affinity {affinity:.2} + 0.3 x leverage {leverage:.2}"),
            format!("concept {concept:.2} (x0.25): session shares auth (0.71); agent 0.41"),
            "file 0.50 (x0.15): neutral: no targets".into(),
            format!("leverage {leverage:.2}: blocks no open bead"),
            "dispatch: ready".into(),
            runway.into(),
            intent.into(),
            "age: ready for 1.0 days: +0.005".into(),
        ]
    }

    /// Sample `n`'s time: `n` hours after 2026-11-01.
    fn at(n: usize) -> Timestamp {
        "2026-11-01T00:00:00Z".parse::<Timestamp>().unwrap()
            + jiff::SignedDuration::from_hours(n as i64)
    }

    const INSIDE: &str = "intent: inside the focus (label ui)";
    const OUTSIDE: &str = "intent: outside the focus (label ui): x0.4";
    const NO_FOCUS: &str = "intent: no focus set";
    const COVERS_MEDIUM: &str = "runway: large covers medium work";
    const COVERS_SMALL: &str = "runway: large covers small work";
    const UNKNOWN_RUNWAY: &str = "runway: unknown, not weighed";

    fn pick(n: usize, agreed: bool, rec: Vec<String>, chosen: Vec<String>) -> Pick {
        Pick {
            decision: format!("e{n}"),
            at: at(n),
            bead: format!("b{n}"),
            recommended: if agreed {
                format!("b{n}")
            } else {
                format!("r{n}")
            },
            agreed,
            recommendation: Components::parse(&rec),
            pick: Some(Components::parse(&chosen)),
        }
    }

    /// `misses` disagreeing picks made by `chosen`, then `agreed` agreeing ones.
    fn picks(misses: usize, agreed: usize, rec: &[String], chosen: &[String]) -> Vec<Pick> {
        let mut out: Vec<Pick> = (0..misses)
            .map(|n| pick(n, false, rec.to_vec(), chosen.to_vec()))
            .collect();
        out.extend((0..agreed).map(|n| pick(100 + n, true, rec.to_vec(), rec.to_vec())));
        out
    }

    /// Each finding's kind and (key, current, proposed).
    type Got = Vec<(FindingKind, Option<(String, f64, f64)>)>;

    fn kinds(findings: &[Finding]) -> Got {
        findings
            .iter()
            .map(|f| {
                (
                    f.kind,
                    f.change
                        .as_ref()
                        .map(|c| (c.key.clone(), c.current, c.proposed)),
                )
            })
            .collect()
    }

    fn run(input: Input) -> Got {
        kinds(&calibrate(&input, &Config::default()))
    }

    #[test]
    fn parses_select_lines() {
        let c = Components::parse(&lines(
            0.55,
            0.63,
            OUTSIDE,
            "runway: small is short of large work: x0.5",
            0.9,
        ));
        assert_eq!(c.affinity, Some(0.55));
        assert_eq!(c.leverage, Some(0.63));
        assert_eq!(c.parts["concept"], 0.9);
        assert_eq!(c.parts["file"], 0.5);
        assert_eq!(c.intent, Focus::Outside);
        assert_eq!(
            c.runway,
            Runway::Short {
                runway: Size::Small,
                need: Size::Large
            }
        );
        let c = Components::parse(&lines(0.5, 0.0, NO_FOCUS, COVERS_MEDIUM, 0.5));
        assert_eq!(c.intent, Focus::None);
        assert_eq!(
            c.runway,
            Runway::Covers {
                runway: Size::Large,
                need: Size::Medium
            }
        );
        assert_eq!(
            Components::parse(&[UNKNOWN_RUNWAY, "claim: unclaimed"]),
            Components::default()
        );
        // A leverage justification line is not an affinity component.
        assert!(!c.parts.contains_key("leverage"));
    }

    /// The lines come from the real selection code: a format change there
    /// must fail here, not silently starve calibration.
    #[test]
    fn parses_what_select_writes() {
        use crate::plan::affinity::Component;
        let line = Component {
            name: "epic",
            value: 0.25,
            weight: 0.15,
            why: "sibling of gm-1".into(),
        }
        .line();
        assert_eq!(Components::parse(&[line]).parts["epic"], 0.25);
    }

    #[test]
    fn intent_miss_both_ways() {
        let rec = lines(0.5, 0.0, INSIDE, UNKNOWN_RUNWAY, 0.5);
        let out = lines(0.5, 0.0, OUTSIDE, UNKNOWN_RUNWAY, 0.5);
        let too_strong = (
            FindingKind::IntentMiss,
            Some(("profile.focus_demotion".to_string(), 0.4, 0.7)),
        );
        let too_weak = (
            FindingKind::IntentMiss,
            Some(("profile.focus_demotion".to_string(), 0.4, 0.2)),
        );
        for (misses, agreed, want) in [
            // 5 of 5 left the focus.
            (5, 0, vec![too_strong.clone()]),
            // 3 of 5: still a majority.
            (3, 2, vec![too_strong.clone()]),
            // 2 of 5: not systematic.
            (2, 3, vec![]),
            // Not enough samples.
            (4, 0, vec![]),
        ] {
            let input = Input {
                picks: picks(misses, agreed, &rec, &out),
                closed: vec![],
                tuned: BTreeMap::new(),
            };
            assert_eq!(run(input), want, "{misses} misses, {agreed} agreed");
        }
        let input = Input {
            picks: picks(6, 0, &out, &rec),
            closed: vec![],
            tuned: BTreeMap::new(),
        };
        assert_eq!(run(input), vec![too_weak]);
        // No focus: no intent sample at all.
        let none = lines(0.5, 0.0, NO_FOCUS, UNKNOWN_RUNWAY, 0.5);
        assert_eq!(
            run(Input {
                picks: picks(8, 0, &none, &none),
                closed: vec![],
                ..Default::default()
            }),
            vec![]
        );
    }

    #[test]
    fn leverage_miss_both_ways() {
        let rec = lines(0.8, 0.1, NO_FOCUS, UNKNOWN_RUNWAY, 0.5);
        let more = lines(0.6, 0.6, NO_FOCUS, UNKNOWN_RUNWAY, 0.5);
        let want = |p| {
            vec![(
                FindingKind::LeverageMiss,
                Some(("scoring.affinity_share".to_string(), 0.7, p)),
            )]
        };
        assert_eq!(
            run(Input {
                picks: picks(5, 1, &rec, &more),
                closed: vec![],
                ..Default::default()
            }),
            want(0.6)
        );
        assert_eq!(
            run(Input {
                picks: picks(5, 1, &more, &rec),
                closed: vec![],
                ..Default::default()
            }),
            want(0.8)
        );
        assert_eq!(
            run(Input {
                picks: picks(4, 0, &rec, &more),
                closed: vec![],
                ..Default::default()
            }),
            vec![]
        );
        // Leverage within noise: no finding.
        let close = lines(0.6, 0.15, NO_FOCUS, UNKNOWN_RUNWAY, 0.5);
        assert_eq!(
            run(Input {
                picks: picks(9, 0, &rec, &close),
                closed: vec![],
                ..Default::default()
            }),
            vec![]
        );
        // A pick selection left out counts for nothing.
        let mut left_out = picks(9, 0, &rec, &more);
        for p in &mut left_out {
            p.pick = None;
        }
        assert_eq!(
            run(Input {
                picks: left_out,
                closed: vec![],
                ..Default::default()
            }),
            vec![]
        );
    }

    #[test]
    fn runway_over_trust() {
        let rec = lines(0.5, 0.0, NO_FOCUS, COVERS_MEDIUM, 0.5);
        let smaller = lines(0.5, 0.0, NO_FOCUS, COVERS_SMALL, 0.5);
        let want = vec![(
            FindingKind::RunwayOverTrust,
            Some(("health.runway_calibration".to_string(), 1.0, 0.75)),
        )];
        assert_eq!(
            run(Input {
                picks: picks(5, 0, &rec, &smaller),
                closed: vec![],
                ..Default::default()
            }),
            want
        );
        // Picking bigger work is not over-trust.
        assert_eq!(
            run(Input {
                picks: picks(5, 0, &smaller, &rec),
                closed: vec![],
                ..Default::default()
            }),
            vec![]
        );
        // Mostly agreed: not systematic.
        assert_eq!(
            run(Input {
                picks: picks(3, 4, &rec, &smaller),
                closed: vec![],
                ..Default::default()
            }),
            vec![]
        );
        // Runway unknown: no samples.
        let unknown = lines(0.5, 0.0, NO_FOCUS, UNKNOWN_RUNWAY, 0.5);
        assert_eq!(
            run(Input {
                picks: picks(9, 0, &unknown, &smaller),
                closed: vec![],
                ..Default::default()
            }),
            vec![]
        );
    }

    #[test]
    fn affinity_drift_per_component() {
        // Same affinity and leverage overall, only concept differs.
        let rec = lines(0.6, 0.0, NO_FOCUS, UNKNOWN_RUNWAY, 0.9);
        let low = lines(0.6, 0.0, NO_FOCUS, UNKNOWN_RUNWAY, 0.3);
        assert_eq!(
            run(Input {
                picks: picks(5, 0, &rec, &low),
                closed: vec![],
                ..Default::default()
            }),
            vec![(
                FindingKind::AffinityDrift,
                Some(("scoring.affinity.concept".to_string(), 0.25, 0.167))
            )]
        );
        assert_eq!(
            run(Input {
                picks: picks(5, 0, &low, &rec),
                closed: vec![],
                ..Default::default()
            }),
            vec![(
                FindingKind::AffinityDrift,
                Some(("scoring.affinity.concept".to_string(), 0.25, 0.375))
            )]
        );
        assert_eq!(
            run(Input {
                picks: picks(4, 0, &rec, &low),
                closed: vec![],
                ..Default::default()
            }),
            vec![]
        );
    }

    fn closed(size: Size, hours: &[f64]) -> Vec<Closed> {
        hours
            .iter()
            .enumerate()
            .map(|(i, h)| Closed {
                bead: format!("{size}-{i}"),
                closed_at: at(i),
                size,
                hours: *h,
            })
            .collect()
    }

    #[test]
    fn size_drift_by_bucket() {
        let k = |key: &str, current: f64, proposed: f64| {
            vec![(
                FindingKind::SizeDrift,
                Some((key.to_string(), current, proposed)),
            )]
        };
        for (size, hours, want) in [
            // small expects 2 h; a median of 8 h is 4x over: halve the bound.
            (
                Size::Small,
                vec![8.0; 5],
                k("enrich.size_small_max_chars", 400.0, 200.0),
            ),
            // Exactly 2x is not over 2x.
            (Size::Small, vec![4.0; 5], vec![]),
            // 0.5 h is 4x under: small has no lower bound, so the expectation moves.
            (
                Size::Small,
                vec![0.5; 5],
                k("calibrate.expected_hours.small", 2.0, 0.5),
            ),
            // medium expects 8 h: 20 h is 2.5x over: the large bound down, at most halved.
            (
                Size::Medium,
                vec![20.0; 5],
                k("enrich.size_large_min_chars", 2000.0, 1000.0),
            ),
            (
                Size::Medium,
                vec![1.0, 2.0, 3.0, 2.0, 2.0],
                k("enrich.size_small_max_chars", 400.0, 800.0),
            ),
            // large expects 24 h: 3 h is 8x under: the large bound up, at most doubled.
            (
                Size::Large,
                vec![3.0; 5],
                k("enrich.size_large_min_chars", 2000.0, 4000.0),
            ),
            (
                Size::Large,
                vec![100.0; 6],
                k("calibrate.expected_hours.large", 24.0, 100.0),
            ),
            // Not enough samples.
            (Size::Small, vec![8.0; 4], vec![]),
        ] {
            let input = Input {
                picks: vec![],
                closed: closed(size, &hours),
                ..Default::default()
            };
            assert_eq!(run(input), want, "{size} {hours:?}");
        }
        // The median, not the mean: one outlier does not make drift.
        let input = Input {
            picks: vec![],
            closed: closed(Size::Small, &[1.0, 2.0, 2.0, 3.0, 500.0]),
            ..Default::default()
        };
        assert_eq!(run(input), vec![]);
        // Buckets are separate: 5 samples spread over two are not enough.
        let mut spread = closed(Size::Small, &[8.0; 3]);
        spread.extend(closed(Size::Medium, &[80.0; 2]));
        assert_eq!(
            run(Input {
                picks: vec![],
                closed: spread,
                tuned: BTreeMap::new(),
            }),
            vec![]
        );
    }

    #[test]
    fn evidence_names_the_misses() {
        let rec = lines(0.5, 0.0, INSIDE, UNKNOWN_RUNWAY, 0.5);
        let out = lines(0.5, 0.0, OUTSIDE, UNKNOWN_RUNWAY, 0.5);
        let f = &calibrate(
            &Input {
                picks: picks(4, 2, &rec, &out),
                closed: vec![],
                tuned: BTreeMap::new(),
            },
            &Config::default(),
        )[0];
        assert_eq!(f.samples, ["e0", "e1", "e2", "e3"]);
        assert_eq!(f.evidence["samples"], 6.0);
        assert_eq!(f.evidence["misses"], 4.0);
        assert_eq!(f.evidence["rate"], 0.667);
        assert!(f.reason.starts_with("4 of 6 picks left"), "{}", f.reason);
        // Config thresholds are honoured.
        let mut config = Config::default();
        config.calibrate.min_samples = 7;
        let input = Input {
            picks: picks(4, 2, &rec, &out),
            closed: vec![],
            tuned: BTreeMap::new(),
        };
        assert!(calibrate(&input, &config).is_empty());
        config.calibrate.min_samples = 3;
        config.calibrate.miss_rate = 0.7;
        assert!(calibrate(&input, &config).is_empty());
    }

    #[test]
    fn a_value_at_its_bound_is_reported_without_a_change() {
        let mut config = Config::default();
        config.profile.focus_demotion = 1.0;
        let rec = lines(0.5, 0.0, INSIDE, UNKNOWN_RUNWAY, 0.5);
        let out = lines(0.5, 0.0, OUTSIDE, UNKNOWN_RUNWAY, 0.5);
        let f = calibrate(
            &Input {
                picks: picks(5, 0, &rec, &out),
                closed: vec![],
                tuned: BTreeMap::new(),
            },
            &config,
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].change, None);
    }

    /// Evidence from before a key was tuned no longer counts for it.
    #[test]
    fn tuning_a_key_restarts_its_evidence() {
        let rec = lines(0.5, 0.0, INSIDE, UNKNOWN_RUNWAY, 0.5);
        let out = lines(0.5, 0.0, OUTSIDE, UNKNOWN_RUNWAY, 0.5);
        let input = |tuned: &[(&str, usize)]| Input {
            // Picks e0..e7 at hours 0..7.
            picks: picks(8, 0, &rec, &out),
            closed: closed(Size::Small, &[8.0; 6]),
            tuned: tuned.iter().map(|(k, h)| (k.to_string(), at(*h))).collect(),
        };
        let keys = |i: Input| -> Vec<String> {
            calibrate(&i, &Config::default())
                .into_iter()
                .map(|f| f.change.unwrap().key)
                .collect()
        };
        let both = ["profile.focus_demotion", "enrich.size_small_max_chars"];
        assert_eq!(keys(input(&[])), both);
        // Tuned at hour 2: e3..e7 are 5 picks, still enough.
        assert_eq!(keys(input(&[("profile.focus_demotion", 2)])), both);
        // Tuned at hour 3: 4 left, not enough; the size evidence stands.
        assert_eq!(
            keys(input(&[("profile.focus_demotion", 3)])),
            ["enrich.size_small_max_chars"]
        );
        // Another key's tune does not matter; a size threshold's does.
        assert_eq!(keys(input(&[("scoring.affinity_share", 7)])), both);
        assert_eq!(
            keys(input(&[("calibrate.expected_hours.large", 1)])),
            ["profile.focus_demotion"]
        );
    }

    #[test]
    fn numbers_read_back() {
        assert_eq!(format_number(200.0), "200");
        assert_eq!(format_number(0.6), "0.6");
        assert_eq!(format_number(0.167), "0.167");
    }
}
