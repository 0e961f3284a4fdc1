//! Scan scheduling: when to rebuild the source-analysis index
//! (`gemba index build`) so it stays fresh without stampeding.
//!
//! [`decide`] is a pure function of the scheduler state, the trigger and
//! `now`; reading and writing the state, the locks and the runs are in
//! [`schedule`]. State lives in `.gemba/scan/state.json`.

use jiff::{SignedDuration, Timestamp};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::model::config::ScanConfig;

pub mod schedule;

/// The scheduler's state file in `.gemba/scan/` (schema
/// `schema/scan-state.schema.json`).
pub const STATE_FILE: &str = "state.json";

/// The scheduler's thresholds (`scan:` in `config.yaml`, whose `Default`
/// holds the defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// A post-merge wave: at least this many merges ...
    pub wave_merges: usize,
    /// ... within this window.
    pub wave_window: SignedDuration,
    /// At most one scan per this long (manual scans excepted).
    pub cooldown: SignedDuration,
    /// Wall-clock floor: a scan when the last one is this old and merges
    /// happened since.
    pub floor: SignedDuration,
}

impl From<&ScanConfig> for Rules {
    fn from(c: &ScanConfig) -> Rules {
        Rules {
            wave_merges: c.wave_merges,
            wave_window: c.wave_window.signed(),
            cooldown: c.cooldown.signed(),
            floor: c.floor.signed(),
        }
    }
}

impl Default for Rules {
    fn default() -> Rules {
        Rules::from(&ScanConfig::default())
    }
}

/// Why a scan was asked for.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    JsonSchema,
    clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// A merge landed (the post-merge / post-rewrite hook).
    PostMerge,
    /// The last bead of a planned parallel batch finished.
    Barrier,
    /// Someone asked (`gemba scan now`, `--reason manual`): ignores
    /// pause and cooldown.
    Manual,
    /// The index reported itself stale.
    Drift,
    /// A dispatch tick found the index stale or missing and waits for a
    /// scan before it plans (`gemba dispatch tick`).
    Demand,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::PostMerge => "post-merge",
            Reason::Barrier => "barrier",
            Reason::Manual => "manual",
            Reason::Drift => "drift",
            Reason::Demand => "demand",
        }
    }

    /// Automatic triggers are suppressed by `gemba scan pause`.
    pub fn is_automatic(self) -> bool {
        self != Reason::Manual
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a scan run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Ok,
    Failed,
}

/// A finished scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Run {
    pub reason: Reason,
    /// RFC 3339.
    #[schemars(with = "String")]
    pub started: Timestamp,
    #[schemars(with = "String")]
    pub ended: Timestamp,
    pub result: Outcome,
    /// Why it failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The scan in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Running {
    pub reason: Reason,
    #[schemars(with = "String")]
    pub started: Timestamp,
    pub pid: u32,
}

/// What the last trigger decided, for `gemba scan status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TriggerRecord {
    pub reason: Reason,
    #[schemars(with = "String")]
    pub at: Timestamp,
    pub decision: Decision,
}

/// `.gemba/scan/state.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct State {
    /// The last scan that finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_run: Option<Run>,
    /// The scan running now (cleared by the runner; a crashed runner's
    /// entry is detected by its free lock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub running: Option<Running>,
    /// One rerun queued behind the running scan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queued: Option<Reason>,
    /// Automatic triggers are suppressed until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub paused_until: Option<Timestamp>,
    /// Merges seen since the last scan started (oldest first; at most
    /// what the wave and floor rules need).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(with = "Vec<String>")]
    pub merges: Vec<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_trigger: Option<TriggerRecord>,
}

/// What a trigger does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "action", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Decision {
    /// Start a scan now.
    Run { why: String },
    /// A scan is running: rerun once after it, for this new reason.
    Queue { why: String },
    /// A scan is running (or a rerun queued) for this reason already.
    Coalesced { why: String },
    /// The last scan started less than the cooldown ago.
    SkippedCooldown { why: String },
    /// `gemba scan pause` holds automatic triggers.
    Paused { why: String },
    /// No rule fires yet (e.g. a merge short of a wave).
    NotDue { why: String },
}

impl Decision {
    pub fn why(&self) -> &str {
        match self {
            Decision::Run { why }
            | Decision::Queue { why }
            | Decision::Coalesced { why }
            | Decision::SkippedCooldown { why }
            | Decision::Paused { why }
            | Decision::NotDue { why } => why,
        }
    }

    /// The name logged as the trigger's result.
    pub fn name(&self) -> &'static str {
        match self {
            Decision::Run { .. } => "run",
            Decision::Queue { .. } => "queued",
            Decision::Coalesced { .. } => "coalesced",
            Decision::SkippedCooldown { .. } => "skipped-cooldown",
            Decision::Paused { .. } => "paused",
            Decision::NotDue { .. } => "not-due",
        }
    }
}

fn mins(d: SignedDuration) -> String {
    let m = d.as_secs() / 60;
    if m >= 60 && m % 60 == 0 {
        format!("{} h", m / 60)
    } else {
        format!("{m} min")
    }
}

/// Record a merge in `state` (a post-merge trigger does, whatever the
/// decision), keeping only what the rules can use.
pub fn note_merge(state: &mut State, now: Timestamp, rules: &Rules) {
    state.merges.push(now);
    // The wave needs the last `wave_merges`; the floor needs "any since
    // the last scan", which one entry answers.
    let keep = rules.wave_merges.max(1);
    if state.merges.len() > keep {
        let drop = state.merges.len() - keep;
        state.merges.drain(..drop);
    }
}

/// What `reason` arriving at `now` should do. `running` says whether a
/// scan really is running (its lock is held): the state's `running` field
/// alone may be left by a crashed runner. Pure: no clock, no files.
pub fn decide(
    state: &State,
    reason: Reason,
    now: Timestamp,
    running: bool,
    rules: &Rules,
) -> Decision {
    if running {
        let current = state.running.as_ref().map(|r| r.reason);
        if current == Some(reason) || state.queued == Some(reason) {
            return Decision::Coalesced {
                why: format!("a {reason} scan is already running or queued"),
            };
        }
        if let Some(queued) = state.queued {
            return Decision::Coalesced {
                why: format!("a rerun ({queued}) is already queued behind the running scan"),
            };
        }
        return Decision::Queue {
            why: format!("a scan is running; one rerun for {reason} queued after it"),
        };
    }
    if reason == Reason::Manual {
        return Decision::Run {
            why: "asked for manually".into(),
        };
    }
    if let Some(until) = state.paused_until
        && until > now
    {
        return Decision::Paused {
            why: format!("scans paused until {until}"),
        };
    }
    if let Some(last) = &state.last_run {
        let since = now.duration_since(last.started);
        if since < rules.cooldown {
            return Decision::SkippedCooldown {
                why: format!(
                    "last scan started {} ago (at most one per {})",
                    mins(since),
                    mins(rules.cooldown)
                ),
            };
        }
    }
    match reason {
        Reason::Barrier => Decision::Run {
            why: "a parallel batch finished".into(),
        },
        Reason::Drift => Decision::Run {
            why: "the index reported drift".into(),
        },
        Reason::Demand => Decision::Run {
            why: "dispatch needs a fresh index".into(),
        },
        Reason::Manual => unreachable!("handled above"),
        Reason::PostMerge => {
            let window_start = now - rules.wave_window;
            let recent = state.merges.iter().filter(|t| **t >= window_start).count();
            if recent >= rules.wave_merges {
                return Decision::Run {
                    why: format!("{recent} merges within {}", mins(rules.wave_window)),
                };
            }
            let merges_since = match &state.last_run {
                Some(last) => state.merges.iter().any(|t| *t >= last.started),
                None => !state.merges.is_empty(),
            };
            match &state.last_run {
                None if merges_since => Decision::Run {
                    why: "no scan yet and merges since".into(),
                },
                Some(last) if merges_since && now.duration_since(last.started) >= rules.floor => {
                    Decision::Run {
                        why: format!("last scan over {} ago and merges since", mins(rules.floor)),
                    }
                }
                _ => Decision::NotDue {
                    why: format!(
                        "{recent} of {} merges for a wave within {}; last scan under {} ago",
                        rules.wave_merges,
                        mins(rules.wave_window),
                        mins(rules.floor)
                    ),
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(min: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + min * 60).unwrap()
    }

    fn ran(at_min: i64) -> Option<Run> {
        Some(Run {
            reason: Reason::PostMerge,
            started: t(at_min),
            ended: t(at_min),
            result: Outcome::Ok,
            error: None,
        })
    }

    fn merges(mins: &[i64]) -> Vec<Timestamp> {
        mins.iter().map(|m| t(*m)).collect()
    }

    #[test]
    fn decision_table() {
        let running = |r| {
            Some(Running {
                reason: r,
                started: t(0),
                pid: 1,
            })
        };
        // (name, state, reason, now (min), lock held, expected decision)
        let cases: Vec<(&str, State, Reason, i64, bool, &str)> = vec![
            (
                "first merge ever runs",
                State {
                    merges: merges(&[0]),
                    ..State::default()
                },
                Reason::PostMerge,
                0,
                false,
                "run",
            ),
            (
                "no merge recorded, no scan: not due",
                State::default(),
                Reason::PostMerge,
                0,
                false,
                "not-due",
            ),
            (
                "second trigger within cooldown",
                State {
                    last_run: ran(0),
                    merges: merges(&[0, 1]),
                    ..State::default()
                },
                Reason::PostMerge,
                1,
                false,
                "skipped-cooldown",
            ),
            (
                "a wave of 5 within 15 min after cooldown",
                State {
                    last_run: ran(0),
                    merges: merges(&[11, 12, 13, 14, 15]),
                    ..State::default()
                },
                Reason::PostMerge,
                15,
                false,
                "run",
            ),
            (
                "4 merges are not a wave",
                State {
                    last_run: ran(0),
                    merges: merges(&[12, 13, 14, 15]),
                    ..State::default()
                },
                Reason::PostMerge,
                15,
                false,
                "not-due",
            ),
            (
                "5 merges spread over more than 15 min",
                State {
                    last_run: ran(0),
                    merges: merges(&[11, 20, 30, 40, 50]),
                    ..State::default()
                },
                Reason::PostMerge,
                50,
                false,
                "not-due",
            ),
            (
                "floor: 4 h since the last scan with merges since",
                State {
                    last_run: ran(0),
                    merges: merges(&[240]),
                    ..State::default()
                },
                Reason::PostMerge,
                240,
                false,
                "run",
            ),
            (
                "floor without merges since the scan",
                State {
                    last_run: ran(100),
                    merges: merges(&[50]),
                    ..State::default()
                },
                Reason::PostMerge,
                400,
                false,
                "not-due",
            ),
            (
                "barrier runs after cooldown",
                State {
                    last_run: ran(0),
                    ..State::default()
                },
                Reason::Barrier,
                10,
                false,
                "run",
            ),
            (
                "demand after cooldown",
                State {
                    last_run: ran(0),
                    ..State::default()
                },
                Reason::Demand,
                10,
                false,
                "run",
            ),
            (
                "demand within cooldown",
                State {
                    last_run: ran(0),
                    ..State::default()
                },
                Reason::Demand,
                9,
                false,
                "skipped-cooldown",
            ),
            (
                "drift within cooldown",
                State {
                    last_run: ran(0),
                    ..State::default()
                },
                Reason::Drift,
                9,
                false,
                "skipped-cooldown",
            ),
            (
                "paused suppresses automatic",
                State {
                    paused_until: Some(t(60)),
                    ..State::default()
                },
                Reason::Barrier,
                30,
                false,
                "paused",
            ),
            (
                "pause expired",
                State {
                    paused_until: Some(t(60)),
                    ..State::default()
                },
                Reason::Barrier,
                60,
                false,
                "run",
            ),
            (
                "manual runs while paused and in cooldown",
                State {
                    paused_until: Some(t(60)),
                    last_run: ran(0),
                    ..State::default()
                },
                Reason::Manual,
                1,
                false,
                "run",
            ),
            (
                "new reason during a run queues",
                State {
                    running: running(Reason::PostMerge),
                    ..State::default()
                },
                Reason::Barrier,
                1,
                true,
                "queued",
            ),
            (
                "same reason during a run is dropped",
                State {
                    running: running(Reason::PostMerge),
                    ..State::default()
                },
                Reason::PostMerge,
                1,
                true,
                "coalesced",
            ),
            (
                "only one rerun is queued",
                State {
                    running: running(Reason::PostMerge),
                    queued: Some(Reason::Barrier),
                    ..State::default()
                },
                Reason::Drift,
                1,
                true,
                "coalesced",
            ),
            (
                "a crashed runner's record does not block",
                State {
                    running: running(Reason::Barrier),
                    ..State::default()
                },
                Reason::Barrier,
                1,
                false,
                "run",
            ),
        ];
        for (name, state, reason, now, held, want) in cases {
            let got = decide(&state, reason, t(now), held, &Rules::default());
            assert_eq!(got.name(), want, "{name}: {got:?}");
        }
    }

    #[test]
    fn the_rules_are_parameters() {
        let state = State {
            last_run: ran(0),
            merges: merges(&[20, 21]),
            ..State::default()
        };
        let default = Rules::default();
        assert_eq!(
            decide(&state, Reason::PostMerge, t(21), false, &default).name(),
            "not-due"
        );
        let small_waves = Rules {
            wave_merges: 2,
            ..default
        };
        assert_eq!(
            decide(&state, Reason::PostMerge, t(21), false, &small_waves).name(),
            "run"
        );
        let long_cooldown = Rules {
            cooldown: SignedDuration::from_mins(30),
            ..small_waves
        };
        assert_eq!(
            decide(&state, Reason::PostMerge, t(21), false, &long_cooldown).name(),
            "skipped-cooldown"
        );
    }

    #[test]
    fn note_merge_keeps_what_the_rules_need() {
        let mut s = State::default();
        let rules = Rules::default();
        for m in 0..20 {
            note_merge(&mut s, t(m), &rules);
        }
        assert_eq!(s.merges.len(), rules.wave_merges);
        assert_eq!(s.merges.last(), Some(&t(19)));
    }

    #[test]
    fn state_round_trips() {
        let s = State {
            last_run: ran(0),
            queued: Some(Reason::Drift),
            merges: merges(&[1]),
            ..State::default()
        };
        let text = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<State>(&text).unwrap(), s);
    }
}
