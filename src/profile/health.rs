//! Session health: context pressure (tokens / window), concept drift
//! (cosine distance between the profile of the last few beads and the
//! session's whole profile) and time on task (hours since the session
//! started), each with a level (ok / warn / recycle) and one justification
//! line; the runway bucket (how big a bead still fits) and recycle advice
//! before the next bead. Advice only: gemba never ends a session itself,
//! and never advises recycling in the middle of a bead.

use jiff::Timestamp;
use serde::Serialize;

use super::{session, similarity};
use crate::model::config::{HealthConfig, ProfileConfig};
use crate::model::enrichment::Size;
use crate::model::profile::Profile;
use crate::model::{Agent, Session};

/// How a measure stands against its thresholds (ordered: worst last).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Ok,
    Warn,
    Recycle,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Ok => "ok",
            Level::Warn => "warn",
            Level::Recycle => "recycle",
        }
    }

    /// `value` against `warn` and `recycle` (each reached at equality); an
    /// unknown value is ok.
    pub fn of(value: Option<f64>, warn: f64, recycle: f64) -> Level {
        match value {
            Some(v) if v >= recycle => Level::Recycle,
            Some(v) if v >= warn => Level::Warn,
            _ => Level::Ok,
        }
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Tokens / window; `None` without a (positive) window. Can exceed 1 when
/// a heartbeat reports more tokens than the window.
pub fn pressure(tokens: u64, window: Option<u64>) -> Option<f64> {
    window.filter(|w| *w > 0).map(|w| tokens as f64 / w as f64)
}

/// 1 - cosine(last `beads` beads' concepts, the whole profile's concepts);
/// `None` before the session has folded a bead with concepts.
pub fn drift(profile: &Profile, beads: usize, half_life: f64) -> Option<f64> {
    let recent = session::recent_concepts(profile, beads, half_life);
    similarity::cosine(&recent, &profile.concepts).map(|c| 1.0 - c)
}

/// What health is computed from (plain values: the caller parsed the
/// session's timestamps).
#[derive(Debug, Clone)]
pub struct Inputs<'a> {
    pub tokens: u64,
    pub context_window: Option<u64>,
    pub profile: &'a Profile,
    pub started_at: Option<Timestamp>,
    /// The bead in hand, and since when.
    pub bead: Option<&'a str>,
    pub bead_since: Option<Timestamp>,
    pub now: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Health {
    pub tokens: u64,
    pub context_window: Option<u64>,
    pub pressure: Option<f64>,
    pub pressure_level: Level,
    pub drift: Option<f64>,
    pub drift_level: Level,
    /// Hours since the session started.
    pub time_on_task_hours: f64,
    /// `warn` past `health.long_session_hours` (never `recycle` alone).
    pub time_level: Level,
    /// The bead in hand and how long it has been.
    pub bead: Option<String>,
    pub bead_hours: Option<f64>,
    /// The worst of the three levels.
    pub level: Level,
    pub runway: Runway,
    /// One line per measure.
    pub justification: Vec<String>,
}

/// Hours from `then` to `now` (0 when unknown or in the future).
fn hours(then: Option<Timestamp>, now: Timestamp) -> f64 {
    then.map_or(0.0, |t| {
        (now.duration_since(t).as_secs_f64() / 3600.0).max(0.0)
    })
}

pub fn health(input: &Inputs<'_>, profile: &ProfileConfig, config: &HealthConfig) -> Health {
    let mut lines = Vec::new();
    let pressure = pressure(input.tokens, input.context_window);
    let pressure_level = Level::of(pressure, config.pressure_warn, config.pressure_recycle);
    lines.push(match (pressure, input.context_window) {
        (Some(p), Some(w)) => format!(
            "pressure {p:.2} ({} / {w} tokens): {pressure_level} (warn at {:.2}, recycle at {:.2})",
            input.tokens, config.pressure_warn, config.pressure_recycle
        ),
        _ => "pressure unknown: no context window (give `session heartbeat --context-window`, or the agent's context_window)".into(),
    });
    let drift = drift(input.profile, config.drift_beads, profile.session_half_life);
    let drift_level = Level::of(drift, config.drift_warn, config.drift_recycle);
    lines.push(match drift {
        Some(d) => format!(
            "drift {d:.2} (last {} beads vs the session profile): {drift_level} (warn at {:.2}, recycle at {:.2})",
            config.drift_beads, config.drift_warn, config.drift_recycle
        ),
        None => "drift unknown: no bead with concepts claimed yet".into(),
    });
    let time_on_task_hours = hours(input.started_at, input.now);
    let time_level = if time_on_task_hours > config.long_session_hours {
        Level::Warn
    } else {
        Level::Ok
    };
    lines.push(format!(
        "time on task {time_on_task_hours:.1} h: {time_level} (long after {:.1} h)",
        config.long_session_hours
    ));
    let bead_hours = input.bead.map(|_| hours(input.bead_since, input.now));
    if let (Some(bead), Some(h)) = (input.bead, bead_hours) {
        lines.push(format!("bead {bead} in hand for {h:.1} h"));
    }
    Health {
        tokens: input.tokens,
        context_window: input.context_window,
        pressure,
        pressure_level,
        drift,
        drift_level,
        time_on_task_hours,
        time_level,
        bead: input.bead.map(String::from),
        bead_hours,
        level: pressure_level.max(drift_level).max(time_level),
        runway: runway(pressure, drift, config),
        justification: lines,
    }
}

/// [`health`] of a session: its window is the heartbeat's, else the
/// agent's.
pub fn of_session(
    session: &Session,
    agent: Option<&Agent>,
    now: Timestamp,
    profile: &ProfileConfig,
    config: &HealthConfig,
) -> Health {
    let parse = |t: &Option<String>| t.as_deref().and_then(|t| t.parse::<Timestamp>().ok());
    let input = Inputs {
        tokens: session.telemetry.tokens,
        context_window: session
            .telemetry
            .context_window
            .or(agent.and_then(|a| a.context_window)),
        profile: &session.profile,
        started_at: session.started_at.parse().ok(),
        bead: session.telemetry.bead.as_deref(),
        bead_since: parse(&session.telemetry.bead_since),
        now,
    };
    health(&input, profile, config)
}

/// How big a bead the session can still take.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Runway {
    pub bucket: Size,
    pub score: f64,
    /// One line per factor, then the bucket.
    pub justification: Vec<String>,
}

/// Runway score = share of the context left before `pressure_recycle`
/// × (1 − `runway_drift_penalty` × drift) × `runway_calibration`; `large`
/// from `runway_large`, `medium` from `runway_medium`, else `small`.
/// Unknown pressure or drift count as 0.
pub fn runway(pressure: Option<f64>, drift: Option<f64>, config: &HealthConfig) -> Runway {
    let mut lines = Vec::new();
    let p = pressure.unwrap_or(0.0);
    let room = ((config.pressure_recycle - p) / config.pressure_recycle).clamp(0.0, 1.0);
    lines.push(match pressure {
        Some(p) => format!(
            "pressure {p:.2}: {:.0}% of the context left before recycling at {:.2}",
            room * 100.0,
            config.pressure_recycle
        ),
        None => "pressure unknown: taken as 0 (the whole context left)".into(),
    });
    let d = drift.unwrap_or(0.0);
    let drift_factor = (1.0 - config.runway_drift_penalty * d).clamp(0.0, 1.0);
    lines.push(format!(
        "drift {d:.2}: ×{drift_factor:.2} (penalty {:.2})",
        config.runway_drift_penalty
    ));
    lines.push(format!("calibration ×{:.2}", config.runway_calibration));
    let score = room * drift_factor * config.runway_calibration;
    let bucket = if score >= config.runway_large {
        Size::Large
    } else if score >= config.runway_medium {
        Size::Medium
    } else {
        Size::Small
    };
    lines.push(format!(
        "score {score:.2}: {bucket} (large from {:.2}, medium from {:.2})",
        config.runway_large, config.runway_medium
    ));
    Runway {
        bucket,
        score,
        justification: lines,
    }
}

/// What recycle advice needs to know about the bead the session would
/// take next (from affinity scoring over the ready set).
#[derive(Debug, Clone, PartialEq)]
pub struct NextBead<'a> {
    pub bead: &'a str,
    /// Its affinity for this session, in [0, 1].
    pub affinity: f64,
    /// The median affinity of the ready set for this session.
    pub ready_median: f64,
    /// Cosine of its concepts and the session profile's, in [0, 1].
    pub concept_overlap: f64,
}

/// Which rule advised recycling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// Nearly full and the next bead is not a warm one.
    Pressure,
    /// Drifted and the next bead is far from the session's work.
    Drift,
    /// A long session about to start a new concept area.
    LongSession,
}

/// Advice, never an action: gemba does not end sessions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Advice {
    pub recycle: bool,
    /// The rules that fired.
    pub rules: Vec<Rule>,
    /// A bead is in hand: recycle only once it is done.
    pub after_current_bead: bool,
    /// One line per rule (fired or not), then the bead in hand if any.
    pub justification: Vec<String>,
}

pub fn recycle_advice(health: &Health, next: &NextBead<'_>, config: &HealthConfig) -> Advice {
    let mut rules = Vec::new();
    let mut lines = Vec::new();
    let yes_no = |fired: bool| if fired { "recycle" } else { "no" };

    let cold = next.affinity < next.ready_median;
    let fired = health.pressure.is_some_and(|p| p > config.recycle_pressure) && cold;
    lines.push(match health.pressure {
        Some(p) => format!(
            "pressure {p:.2} {} {:.2}, {} affinity {:.2} {} the ready-set median {:.2}: {}",
            if p > config.recycle_pressure {
                ">"
            } else {
                "≤"
            },
            config.recycle_pressure,
            next.bead,
            next.affinity,
            if cold { "<" } else { "≥" },
            next.ready_median,
            yes_no(fired)
        ),
        None => "pressure unknown: no".into(),
    });
    if fired {
        rules.push(Rule::Pressure);
    }

    let far = next.concept_overlap < config.recycle_overlap;
    let fired = health.drift.is_some_and(|d| d > config.recycle_drift) && far;
    lines.push(match health.drift {
        Some(d) => format!(
            "drift {d:.2} {} {:.2}, {} concept overlap {:.2} {} {:.2}: {}",
            if d > config.recycle_drift { ">" } else { "≤" },
            config.recycle_drift,
            next.bead,
            next.concept_overlap,
            if far { "<" } else { "≥" },
            config.recycle_overlap,
            yes_no(fired)
        ),
        None => "drift unknown: no".into(),
    });
    if fired {
        rules.push(Rule::Drift);
    }

    let long = health.time_on_task_hours > config.long_session_hours;
    let new_area = next.concept_overlap < config.new_area_overlap;
    let fired = long && new_area;
    lines.push(format!(
        "time on task {:.1} h {} {:.1} h, {} {} (overlap {:.2} {} {:.2}): {}",
        health.time_on_task_hours,
        if long { ">" } else { "≤" },
        config.long_session_hours,
        next.bead,
        if new_area {
            "is a new concept area"
        } else {
            "is familiar ground"
        },
        next.concept_overlap,
        if new_area { "<" } else { "≥" },
        config.new_area_overlap,
        yes_no(fired)
    ));
    if fired {
        rules.push(Rule::LongSession);
    }

    let after_current_bead = health.bead.is_some() && !rules.is_empty();
    if let Some(bead) = health.bead.as_deref().filter(|_| after_current_bead) {
        lines.push(format!(
            "{bead} is in hand: recycle only once it is done (never mid-bead)"
        ));
    }
    Advice {
        recycle: !rules.is_empty(),
        rules,
        after_current_bead,
        justification: lines,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::profile::RecentBead;
    use proptest::prelude::*;

    fn config() -> HealthConfig {
        HealthConfig::default()
    }

    #[test]
    fn levels_at_the_thresholds() {
        let c = config();
        // (value, pressure level, drift level)
        let table = [
            (None, Level::Ok, Level::Ok),
            (Some(0.0), Level::Ok, Level::Ok),
            (Some(0.49), Level::Ok, Level::Ok),
            (Some(0.5), Level::Ok, Level::Warn),
            (Some(0.59), Level::Ok, Level::Warn),
            (Some(0.6), Level::Warn, Level::Warn),
            (Some(0.69), Level::Warn, Level::Warn),
            (Some(0.7), Level::Warn, Level::Recycle),
            (Some(0.79), Level::Warn, Level::Recycle),
            (Some(0.8), Level::Recycle, Level::Recycle),
            (Some(1.2), Level::Recycle, Level::Recycle),
        ];
        for (v, p, d) in table {
            assert_eq!(
                Level::of(v, c.pressure_warn, c.pressure_recycle),
                p,
                "pressure {v:?}"
            );
            assert_eq!(
                Level::of(v, c.drift_warn, c.drift_recycle),
                d,
                "drift {v:?}"
            );
        }
    }

    #[test]
    fn pressure_needs_a_window() {
        assert_eq!(pressure(50_000, Some(200_000)), Some(0.25));
        assert_eq!(pressure(50_000, None), None);
        assert_eq!(pressure(50_000, Some(0)), None);
    }

    fn ring(beads: &[(&str, u64, &[&str])]) -> Profile {
        let mut p = Profile::default();
        for (bead, event, concepts) in beads {
            p.recent.push(RecentBead {
                bead: bead.to_string(),
                event: *event,
                concepts: concepts.iter().map(|s| s.to_string()).collect(),
                ..RecentBead::default()
            });
            p.events = *event;
        }
        p
    }

    #[test]
    fn drift_compares_the_last_beads_with_the_whole_profile() {
        // Lifetime: auth-heavy; the last three beads are all about ui.
        let mut p = ring(&[
            ("a", 1, &["auth"]),
            ("b", 2, &["ui"]),
            ("c", 3, &["ui"]),
            ("d", 4, &["ui"]),
        ]);
        p.concepts = [("auth".to_string(), 3.0), ("ui".to_string(), 1.0)].into();
        let d = drift(&p, 3, 5.0).unwrap();
        let want = 1.0 - 1.0 / 10f64.sqrt(); // (0,1)·(3,1) / |(3,1)|
        assert!((d - want).abs() < 1e-9, "{d}");
        // Same direction: no drift.
        p.concepts = [("ui".to_string(), 2.0)].into();
        assert!(drift(&p, 3, 5.0).unwrap().abs() < 1e-9);
        assert_eq!(drift(&Profile::default(), 3, 5.0), None);
    }

    #[test]
    fn runway_buckets() {
        let c = config();
        // (pressure, drift, calibration, bucket)
        let table = [
            (None, None, 1.0, Size::Large),
            (Some(0.0), Some(0.0), 1.0, Size::Large),
            (Some(0.4), Some(0.0), 1.0, Size::Large), // 0.50
            (Some(0.41), Some(0.0), 1.0, Size::Medium),
            (Some(0.4), Some(0.2), 1.0, Size::Medium), // 0.5 x 0.9
            (Some(0.64), Some(0.0), 1.0, Size::Medium), // 0.20
            (Some(0.65), Some(0.0), 1.0, Size::Small),
            (Some(0.9), Some(0.0), 1.0, Size::Small),
            (Some(0.0), Some(1.0), 1.0, Size::Large),  // 0.5
            (Some(0.5), Some(0.0), 2.0, Size::Large),  // 0.375 x 2
            (Some(0.2), Some(0.0), 0.5, Size::Medium), // 0.75 x 0.5
        ];
        for (p, d, cal, want) in table {
            let c = HealthConfig {
                runway_calibration: cal,
                ..c.clone()
            };
            let r = runway(p, d, &c);
            assert_eq!(r.bucket, want, "{p:?} {d:?} {cal}: score {}", r.score);
            assert_eq!(r.justification.len(), 4);
        }
    }

    fn health_at(
        pressure: Option<f64>,
        drift: Option<f64>,
        hours: f64,
        bead: Option<&str>,
    ) -> Health {
        Health {
            tokens: 0,
            context_window: None,
            pressure,
            pressure_level: Level::Ok,
            drift,
            drift_level: Level::Ok,
            time_on_task_hours: hours,
            time_level: Level::Ok,
            bead: bead.map(String::from),
            bead_hours: None,
            level: Level::Ok,
            runway: runway(pressure, drift, &config()),
            justification: vec![],
        }
    }

    #[test]
    fn recycle_rules() {
        let c = config();
        let next = |affinity, overlap| NextBead {
            bead: "gm-n",
            affinity,
            ready_median: 0.5,
            concept_overlap: overlap,
        };
        // (pressure, drift, hours, affinity, overlap, rules)
        type Row = (Option<f64>, Option<f64>, f64, f64, f64, &'static [Rule]);
        let table: &[Row] = &[
            (Some(0.9), Some(0.1), 1.0, 0.3, 0.9, &[Rule::Pressure]),
            (Some(0.9), Some(0.1), 1.0, 0.6, 0.9, &[]), // warm bead: keep going
            (Some(0.85), Some(0.1), 1.0, 0.3, 0.9, &[]), // not above 0.85
            (Some(0.2), Some(0.75), 1.0, 0.6, 0.2, &[Rule::Drift]),
            (Some(0.2), Some(0.75), 1.0, 0.6, 0.3, &[]), // overlap not below 0.3
            (Some(0.2), Some(0.7), 1.0, 0.6, 0.2, &[]),  // drift not above 0.7
            (Some(0.2), Some(0.1), 5.0, 0.6, 0.05, &[Rule::LongSession]),
            (Some(0.2), Some(0.1), 5.0, 0.6, 0.5, &[]), // familiar ground
            (Some(0.2), Some(0.1), 3.0, 0.6, 0.0, &[]), // not long yet
            (None, None, 5.0, 0.1, 0.0, &[Rule::LongSession]),
            (
                Some(0.9),
                Some(0.8),
                5.0,
                0.1,
                0.0,
                &[Rule::Pressure, Rule::Drift, Rule::LongSession],
            ),
        ];
        for (p, d, h, a, o, want) in table {
            let advice = recycle_advice(&health_at(*p, *d, *h, None), &next(*a, *o), &c);
            assert_eq!(
                advice.rules, *want,
                "{p:?} {d:?} {h} {a} {o}: {:#?}",
                advice.justification
            );
            assert_eq!(advice.recycle, !want.is_empty());
            assert_eq!(advice.justification.len(), 3, "one line per rule");
            assert!(!advice.after_current_bead);
        }
        let advice = recycle_advice(
            &health_at(Some(0.9), None, 0.0, Some("gm-1")),
            &next(0.1, 1.0),
            &c,
        );
        assert!(advice.recycle && advice.after_current_bead);
        assert!(
            advice.justification[3].contains("gm-1 is in hand"),
            "{:?}",
            advice.justification
        );
    }

    #[test]
    fn health_of_a_session() {
        let mut p = ring(&[("a", 1, &["auth"])]);
        p.concepts = [("auth".to_string(), 1.0)].into();
        let input = Inputs {
            tokens: 130_000,
            context_window: Some(200_000),
            profile: &p,
            started_at: Some("2026-01-01T00:00:00Z".parse().unwrap()),
            bead: Some("gm-1"),
            bead_since: Some("2026-01-01T04:00:00Z".parse().unwrap()),
            now: "2026-01-01T05:00:00Z".parse().unwrap(),
        };
        let h = health(&input, &ProfileConfig::default(), &config());
        assert_eq!(h.pressure, Some(0.65));
        assert_eq!(h.pressure_level, Level::Warn);
        assert_eq!(h.drift_level, Level::Ok);
        assert_eq!(h.time_on_task_hours, 5.0);
        assert_eq!(h.time_level, Level::Warn);
        assert_eq!(h.bead_hours, Some(1.0));
        assert_eq!(h.level, Level::Warn);
        assert_eq!(h.runway.bucket, Size::Small);
        assert_eq!(h.justification.len(), 4);
        assert!(h.justification[0].starts_with("pressure 0.65 (130000 / 200000 tokens): warn"));
    }

    proptest! {
        /// More pressure or more drift never lengthens the runway.
        #[test]
        fn runway_is_monotone(p in 0.0f64..1.2, dp in 0.0f64..0.5, d in 0.0f64..1.0, dd in 0.0f64..0.5) {
            let c = config();
            let base = runway(Some(p), Some(d), &c);
            let fuller = runway(Some(p + dp), Some(d), &c);
            let drifted = runway(Some(p), Some((d + dd).min(1.0)), &c);
            prop_assert!(fuller.score <= base.score && fuller.bucket <= base.bucket);
            prop_assert!(drifted.score <= base.score && drifted.bucket <= base.bucket);
            prop_assert!(base.score >= 0.0);
        }
    }
}
