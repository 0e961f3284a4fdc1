//! `.gemba/config.yaml`: every default lives in `Default` here and nowhere
//! else; `gemba config show` prints the effective values.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::duration::Duration;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub ids: IdsConfig,
    pub store: StoreConfig,
    pub git: GitConfig,
    /// Caps and size thresholds of the heuristic extractor.
    pub enrich: Limits,
    /// Thresholds of `gemba concepts bootstrap` and `gemba concepts drift`.
    pub vocab: VocabConfig,
    /// bd's cross-project dependencies: project name → path of its
    /// repository (relative to the directory holding `.gemba/`, unless
    /// absolute). An `external:<project>:<capability>` edge blocks until
    /// that project's tracker has a closed bead labelled
    /// `provides:<capability>`.
    pub external_projects: BTreeMap<String, String>,
    /// Source analysis: where the import graph behind `semantic` conflict
    /// edges comes from (`gemba index build`).
    pub analysis: AnalysisConfig,
    /// Session and agent profiles: decay, the ring of recent beads,
    /// handoff inheritance, the default focus demotion.
    pub profile: ProfileConfig,
    /// Session health: context pressure, concept drift, time on task,
    /// runway and recycle advice.
    pub health: HealthConfig,
    /// Claims: the default lease, and the git remote that arbitrates
    /// claims between machines.
    pub claims: ClaimsConfig,
    /// Affinity and leverage (`gemba affinity`, `gemba leverage`).
    pub scoring: ScoringConfig,
    /// The gates and adjustments of selection (`gemba next`).
    pub selection: SelectionConfig,
    /// Per-agent queues (`gemba queue`): attempts and leases.
    pub queue: QueueConfig,
    /// Auto-dispatch (`gemba dispatch tick|run`): the score floor, the
    /// rate limit per session, the loop's interval.
    pub dispatch: DispatchConfig,
    /// Event hooks: commands run after an event is logged.
    pub hooks: HooksConfig,
    /// The supply pipeline (`gemba supply`): demand sources, the spec
    /// template and generator.
    pub supply: super::supply::SupplyConfig,
    /// Retrospectives and learning from history: how commits are linked
    /// to beads (`gemba retro learn`).
    pub retro: RetroConfig,
    /// When the source-analysis index is rebuilt (`gemba scan`): the
    /// post-merge wave, the cooldown, the wall-clock floor.
    pub scan: ScanConfig,
    /// `gemba calibrate`: when coach picks and times to close become
    /// tuning suggestions.
    pub calibrate: CalibrateConfig,
}

/// `calibrate:` in `config.yaml` (see `retro/calibrate.rs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CalibrateConfig {
    /// No finding from fewer samples than this.
    #[schemars(range(min = 1))]
    pub min_samples: usize,
    /// A coach finding needs at least this share of its samples to miss
    /// the same way.
    #[schemars(range(min = 0.0, max = 1.0))]
    pub miss_rate: f64,
    /// Size drift: a bucket's median time to close above this many times
    /// its expected hours, or below 1/this.
    #[schemars(range(min = 1.0))]
    pub size_drift: f64,
    /// Expected hours from claim (else creation) to close, per estimated size.
    pub expected_hours: SizeHours,
}

/// Hours per size bucket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SizeHours {
    pub small: f64,
    pub medium: f64,
    pub large: f64,
}

impl Default for SizeHours {
    fn default() -> SizeHours {
        SizeHours {
            small: 2.0,
            medium: 8.0,
            large: 24.0,
        }
    }
}

impl Default for CalibrateConfig {
    fn default() -> CalibrateConfig {
        CalibrateConfig {
            min_samples: 5,
            miss_rate: 0.5,
            size_drift: 2.0,
            expected_hours: SizeHours::default(),
        }
    }
}

impl CalibrateConfig {
    pub fn validate(&self) -> Result<(), String> {
        if self.min_samples == 0 {
            return Err("calibrate.min_samples: must be at least 1".into());
        }
        unit("calibrate", "miss_rate", self.miss_rate)?;
        if !(self.size_drift.is_finite() && self.size_drift >= 1.0) {
            return Err("calibrate.size_drift: must be a number >= 1".into());
        }
        let h = &self.expected_hours;
        for (name, v) in [("small", h.small), ("medium", h.medium), ("large", h.large)] {
            if !(v.is_finite() && v > 0.0) {
                return Err(format!(
                    "calibrate.expected_hours.{name}: must be a number above 0"
                ));
            }
        }
        Ok(())
    }
}

/// `scan:` in `config.yaml`: the scan scheduler's thresholds
/// (`crate::scan::decide`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ScanConfig {
    /// A post-merge wave: at least this many merges ...
    #[schemars(range(min = 1, max = 1000))]
    pub wave_merges: usize,
    /// ... within this long start a scan.
    pub wave_window: Duration,
    /// At most one automatic scan per this long.
    pub cooldown: Duration,
    /// A merge starts a scan when the last one is at least this old.
    pub floor: Duration,
}

impl Default for ScanConfig {
    fn default() -> ScanConfig {
        ScanConfig {
            wave_merges: 5,
            wave_window: Duration::from_secs(15 * 60),
            cooldown: Duration::from_secs(10 * 60),
            floor: Duration::from_secs(4 * 3600),
        }
    }
}

impl ScanConfig {
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=1000).contains(&self.wave_merges) {
            return Err("scan.wave_merges: must be between 1 and 1000".into());
        }
        if self.cooldown > self.floor {
            return Err(format!(
                "scan.cooldown ({}) must not be longer than scan.floor ({})",
                self.cooldown, self.floor
            ));
        }
        Ok(())
    }
}

/// `retro:` in `config.yaml`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RetroConfig {
    /// Which rules tie a commit to a bead (`crate::retro::link`).
    pub link: LinkConfig,
    /// Targets learned from the files that closed beads like a bead
    /// touched (`crate::retro::history`).
    pub history: HistoryConfig,
}

/// `retro.history`: targets learned from history. `gemba bead backfill`
/// asks it for a bead whose own text names no file: the closed beads most
/// like it (BM25 over title and description), closed before it was
/// created, lend the files they touched (their `retro` targets).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct HistoryConfig {
    pub enabled: bool,
    /// At most this many closed beads lend.
    pub neighbours: usize,
    /// A lender's score is at least this share of the best one's.
    pub min_relative: f64,
    /// A file is proposed when lenders holding at least this share of the
    /// lenders' weight touched it...
    pub min_share: f64,
    /// ...or this share, when its name has a word of the bead's text.
    pub min_word_share: f64,
    /// At most this many files per bead.
    pub max_files: usize,
    /// A lender closed this many days before the bead was created counts
    /// half.
    pub half_life_days: f64,
}

impl Default for HistoryConfig {
    fn default() -> HistoryConfig {
        HistoryConfig {
            enabled: true,
            neighbours: 5,
            min_relative: 0.5,
            min_share: 0.5,
            min_word_share: 0.2,
            max_files: 4,
            half_life_days: 90.0,
        }
    }
}

/// `retro.link`: the rules that tie a commit to a bead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct LinkConfig {
    /// The trailer key (`Gemba-Bead: ID`) in a message's last paragraph;
    /// empty: trailers are not read. A trailer, when present, is the whole
    /// answer for its commit.
    pub trailer: String,
    /// A known bead id as a whole token of the message (`fix (bd-a1b2)`).
    pub message_token: bool,
    /// The branch a commit was merged from ends in a known bead id
    /// (`alice/bd-a1b2`).
    pub branch_suffix: bool,
}

impl Default for LinkConfig {
    fn default() -> LinkConfig {
        LinkConfig {
            trailer: "Gemba-Bead".into(),
            message_token: true,
            branch_suffix: true,
        }
    }
}

impl RetroConfig {
    pub fn validate(&self) -> Result<(), String> {
        let key = &self.link.trailer;
        if key.contains(':') || key.chars().any(char::is_whitespace) {
            return Err(format!(
                "retro.link.trailer: {key:?} is not a trailer key (one word, no `:`)"
            ));
        }
        let h = &self.history;
        for (name, v) in [
            ("min_relative", h.min_relative),
            ("min_share", h.min_share),
            ("min_word_share", h.min_word_share),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(format!("retro.history.{name}: {v} is not between 0 and 1"));
            }
        }
        if h.half_life_days.is_nan() || h.half_life_days <= 0.0 {
            return Err(format!(
                "retro.history.half_life_days: {} is not a positive number of days",
                h.half_life_days
            ));
        }
        Ok(())
    }
}

/// Weights of the affinity components; any non-negative numbers (the
/// score divides by their sum), defaults summing to 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AffinityWeights {
    /// Concept overlap (cosine) with the session's and the agent's profile.
    pub concept: f64,
    /// The bead's targets among the files the session worked on.
    pub file: f64,
    /// Same repository and branch as the bead's work.
    pub workspace: f64,
    /// A sibling of a bead the session closed.
    pub epic: f64,
    /// The session's last beads shared a concept with it.
    pub recency: f64,
    /// Room left in the session's context window.
    pub headroom: f64,
}

impl Default for AffinityWeights {
    fn default() -> AffinityWeights {
        AffinityWeights {
            concept: 0.25,
            file: 0.15,
            workspace: 0.15,
            epic: 0.15,
            recency: 0.15,
            headroom: 0.15,
        }
    }
}

impl AffinityWeights {
    /// `(name, weight)` in the order scores list them.
    pub fn named(&self) -> [(&'static str, f64); 6] {
        [
            ("concept", self.concept),
            ("file", self.file),
            ("workspace", self.workspace),
            ("epic", self.epic),
            ("recency", self.recency),
            ("headroom", self.headroom),
        ]
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ScoringConfig {
    pub affinity: AffinityWeights,
    /// Concept overlap: the session profile's share; the agent profile
    /// gets the rest.
    #[schemars(range(min = 0.0, max = 1.0))]
    pub session_share: f64,
    /// Headroom is 1 below this context pressure (tokens / window)...
    pub headroom_full_below: f64,
    /// ...falls linearly to 0 at this pressure, and stays 0 above.
    pub headroom_zero_at: f64,
    /// Epic affinity halves every this many bead events since the sibling
    /// was closed.
    pub epic_half_life: f64,
    /// Recency falls linearly from 1 (the last bead shared a concept) to 0
    /// over this many beads.
    pub recency_beads: f64,
    /// Leverage = 1 - exp(-k * n), n = open beads it transitively blocks.
    pub leverage_k: f64,
    /// Score = this * affinity + (1 - this) * leverage, before the gates.
    #[schemars(range(min = 0.0, max = 1.0))]
    pub affinity_share: f64,
}

impl Default for ScoringConfig {
    fn default() -> ScoringConfig {
        ScoringConfig {
            affinity: AffinityWeights::default(),
            session_share: 0.7,
            headroom_full_below: 0.5,
            headroom_zero_at: 0.85,
            epic_half_life: 5.0,
            recency_beads: 10.0,
            leverage_k: 1.0,
            affinity_share: 0.7,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SelectionConfig {
    /// Score multiplier when the session's runway is shorter than the
    /// bead's size.
    #[schemars(range(min = 0.0, max = 1.0))]
    pub runway_demotion: f64,
    /// Score multiplier for an over-qualified agent when a cheaper agent
    /// that fits the bead has a live session.
    #[schemars(range(min = 0.0, max = 1.0))]
    pub cost_demotion: f64,
    /// Fairness: a bead that an idle live session fits better by at least
    /// this much affinity...
    #[schemars(range(min = 0.0, max = 1.0))]
    pub fairness_margin: f64,
    /// ...is demoted by this multiplier...
    #[schemars(range(min = 0.0, max = 1.0))]
    pub fairness_demotion: f64,
    /// ...weighed for this many of the best candidates.
    pub fairness_top: usize,
    /// Age in ready: bonus per day since the bead became ready...
    pub age_bonus_per_day: f64,
    /// ...up to this much.
    pub age_bonus_cap: f64,
}

impl Default for SelectionConfig {
    fn default() -> SelectionConfig {
        SelectionConfig {
            runway_demotion: 0.5,
            cost_demotion: 0.7,
            fairness_margin: 0.2,
            fairness_demotion: 0.8,
            fairness_top: 10,
            age_bonus_per_day: 0.005,
            age_bonus_cap: 0.05,
        }
    }
}

impl ScoringConfig {
    pub fn validate(&self) -> Result<(), String> {
        let weights = self.affinity.named();
        for (name, w) in weights {
            if !(w.is_finite() && w >= 0.0) {
                return Err(format!("scoring.affinity.{name}: must be a number >= 0"));
            }
        }
        if weights.iter().map(|(_, w)| w).sum::<f64>() <= 0.0 {
            return Err("scoring.affinity: at least one weight must be above 0".into());
        }
        for (name, v) in [
            ("session_share", self.session_share),
            ("affinity_share", self.affinity_share),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(format!("scoring.{name}: must be between 0 and 1"));
            }
        }
        if !(0.0 <= self.headroom_full_below
            && self.headroom_full_below < self.headroom_zero_at
            && self.headroom_zero_at <= 1.0)
        {
            return Err(
                "scoring.headroom_full_below and headroom_zero_at: need 0 <= full_below < zero_at <= 1"
                    .into(),
            );
        }
        for (name, v) in [
            ("epic_half_life", self.epic_half_life),
            ("recency_beads", self.recency_beads),
            ("leverage_k", self.leverage_k),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(format!("scoring.{name}: must be a number above 0"));
            }
        }
        Ok(())
    }
}

impl SelectionConfig {
    pub fn validate(&self) -> Result<(), String> {
        for (name, v) in [
            ("runway_demotion", self.runway_demotion),
            ("cost_demotion", self.cost_demotion),
            ("fairness_margin", self.fairness_margin),
            ("fairness_demotion", self.fairness_demotion),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(format!("selection.{name}: must be between 0 and 1"));
            }
        }
        for (name, v) in [
            ("age_bonus_per_day", self.age_bonus_per_day),
            ("age_bonus_cap", self.age_bonus_cap),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(format!("selection.{name}: must be a number >= 0"));
            }
        }
        Ok(())
    }
}

/// `claims:` in `config.yaml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ClaimsConfig {
    /// How long a claim holds unless renewed (`--lease` overrides); after
    /// that another session may take the bead over.
    pub lease: Duration,
    /// A git remote (name or URL) on which every claim must also win
    /// `refs/gemba/claims/<id>`, so that machines sharing it never claim
    /// the same bead; every queue take, `refs/gemba/takes/<packet>`. None:
    /// claims and takes arbitrate on this machine only.
    pub remote: Option<String>,
    /// With a remote that cannot be reached: `fail` refuses to claim or
    /// take (fails closed), `local` does it on this machine only and warns.
    pub on_unreachable: OnUnreachable,
}

impl Default for ClaimsConfig {
    fn default() -> ClaimsConfig {
        ClaimsConfig {
            lease: Duration::from_secs(2 * 3600),
            remote: None,
            on_unreachable: OnUnreachable::Fail,
        }
    }
}

/// `queue:` in `config.yaml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct QueueConfig {
    /// A packet that failed this many times goes to `failed/` instead of
    /// back to `ready/`.
    #[schemars(range(min = 1))]
    pub max_attempts: u32,
    /// How long a taken packet is held unless renewed (`gemba queue
    /// renew`); after that `gemba queue recover` returns it to ready.
    pub lease: Duration,
    /// How many packets (ready and in progress) an agent's queue should
    /// hold: `gemba supply` tops it up to this, `gemba queue reroute`
    /// calls a queue above it saturated.
    #[schemars(range(min = 1))]
    pub target_depth: usize,
    /// How often `gemba queue take --wait` looks again while idle (a done
    /// or failed packet re-checks at once).
    pub idle_rescan: Duration,
    /// The role that does each stage, by stage name (`verify: review`);
    /// a stage not listed is done by the role of its own name. `gemba
    /// queue done --stage` hands a packet to an agent of the next stage's
    /// role.
    pub stage_roles: BTreeMap<String, String>,
    /// An agent whose sessions have all been silent (ended, or no
    /// heartbeat) this long is gone: `gemba queue reroute` moves its ready
    /// packets to another agent. An agent that never had a session is
    /// never gone by this rule (only when its agent file is removed).
    pub absent_after: Duration,
}

impl Default for QueueConfig {
    fn default() -> QueueConfig {
        QueueConfig {
            max_attempts: 3,
            lease: Duration::from_secs(2 * 3600),
            target_depth: 3,
            idle_rescan: Duration::from_secs(5 * 60),
            stage_roles: BTreeMap::new(),
            absent_after: Duration::from_secs(24 * 3600),
        }
    }
}

/// `dispatch:` in `config.yaml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DispatchConfig {
    /// A tick claims nothing for a session whose best candidate scores
    /// below this (the score `gemba next` shows).
    #[schemars(range(min = 0.0))]
    pub floor: f64,
    /// At most one dispatch per session per this long.
    pub min_interval: Duration,
    /// How long `gemba dispatch run` waits between ticks (`--interval`
    /// overrides).
    pub interval: Duration,
}

impl Default for DispatchConfig {
    fn default() -> DispatchConfig {
        DispatchConfig {
            floor: 0.5,
            min_interval: Duration::from_secs(5 * 60),
            interval: Duration::from_secs(30),
        }
    }
}

/// `hooks:` in `config.yaml`: a command per event, run after the event
/// is logged (and auto-committed) with the event as JSON on stdin
/// (`crate::store::hooks`). An empty list: no hook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct HooksConfig {
    /// How long a hook may run; then it (and its process group) is killed.
    pub timeout: Duration,
    /// argv (no shell) for `queue.enqueue`.
    pub on_enqueued: Vec<String>,
    /// argv for `claim`, `claim.takeover` and `queue.take`.
    pub on_claimed: Vec<String>,
    /// argv for `queue.done` (a stage too: `data.state` is `ready` then).
    pub on_done: Vec<String>,
    /// argv for `queue.fail` (requeued or moved to `failed/`: `data.state`).
    pub on_failed: Vec<String>,
    /// argv for `queue.shipped`.
    pub on_shipped: Vec<String>,
    /// argv for `queue.starving`.
    pub on_starving: Vec<String>,
}

impl Default for HooksConfig {
    fn default() -> HooksConfig {
        HooksConfig {
            timeout: Duration::from_secs(10),
            on_enqueued: Vec::new(),
            on_claimed: Vec::new(),
            on_done: Vec::new(),
            on_failed: Vec::new(),
            on_shipped: Vec::new(),
            on_starving: Vec::new(),
        }
    }
}

impl HooksConfig {
    /// `(name, argv)` of every hook, configured or not, in documentation
    /// order; the name is the key without `on_` (`GEMBA_EVENT`).
    pub fn named(&self) -> [(&'static str, &[String]); 6] {
        [
            ("enqueued", &self.on_enqueued),
            ("claimed", &self.on_claimed),
            ("done", &self.on_done),
            ("failed", &self.on_failed),
            ("shipped", &self.on_shipped),
            ("starving", &self.on_starving),
        ]
    }

    pub fn validate(&self) -> Result<(), String> {
        for (name, argv) in self.named() {
            if argv.first().is_some_and(|p| p.trim().is_empty()) {
                return Err(format!("hooks.on_{name}: the program name is empty"));
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum OnUnreachable {
    /// Refuse to claim: no bead is handed out that another machine might
    /// also hand out.
    #[default]
    Fail,
    /// Claim on this machine only (the claim file says so: no `remote`).
    Local,
}

/// How session and agent profiles remember work (`profile/`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ProfileConfig {
    /// A session profile's half-life in bead events: the weight of event i
    /// at event n is 0.5^((n-i)/h).
    #[schemars(range(min = 0.1))]
    pub session_half_life: f64,
    /// An agent profile's half-life in days of wall time.
    #[schemars(range(min = 0.1))]
    pub agent_half_life_days: f64,
    /// Beads kept in a profile's ring of recent work.
    #[schemars(range(min = 1, max = 50))]
    pub recent_beads: usize,
    /// Weights that decay below this are dropped (keeps files small).
    #[schemars(range(min = 0.0, max = 1.0))]
    pub prune_below: f64,
    /// `session handoff`: the new session starts from the agent profile
    /// plus this share of the old session's profile.
    #[schemars(range(min = 0.0, max = 1.0))]
    pub handoff_share: f64,
    /// `session focus`: the default score multiplier for beads outside the
    /// focus (`--demotion` overrides).
    #[schemars(range(min = 0.0, max = 1.0))]
    pub focus_demotion: f64,
}

impl Default for ProfileConfig {
    fn default() -> ProfileConfig {
        ProfileConfig {
            session_half_life: 5.0,
            agent_half_life_days: 14.0,
            recent_beads: 5,
            prune_below: 0.001,
            handoff_share: 0.5,
            focus_demotion: 0.4,
        }
    }
}

/// Session health thresholds, runway and recycle advice (`profile/health.rs`).
/// Advice only: gemba never ends a session itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct HealthConfig {
    /// Context pressure (tokens / window) at which a session is warned...
    #[schemars(range(min = 0.0, max = 1.0))]
    pub pressure_warn: f64,
    /// ...and at which it should be recycled.
    #[schemars(range(min = 0.0, max = 1.0))]
    pub pressure_recycle: f64,
    /// Concept drift (1 - cosine of the last beads' profile and the
    /// session's) at which a session is warned...
    #[schemars(range(min = 0.0, max = 1.0))]
    pub drift_warn: f64,
    /// ...and at which it should be recycled.
    #[schemars(range(min = 0.0, max = 1.0))]
    pub drift_recycle: f64,
    /// Drift compares the profile of this many last beads with the session's.
    #[schemars(range(min = 1))]
    pub drift_beads: usize,
    /// Hours of time on task (since the session started) after which it is
    /// warned, and recycling is advised before a new concept area.
    #[schemars(range(min = 0.0))]
    pub long_session_hours: f64,
    /// Runway: share of the usable context left, times (1 - this x drift)...
    #[schemars(range(min = 0.0, max = 1.0))]
    pub runway_drift_penalty: f64,
    /// ...times this calibration factor (> 1: beads cost less context than
    /// assumed)...
    #[schemars(range(min = 0.0))]
    pub runway_calibration: f64,
    /// ...is `large` from this score...
    #[schemars(range(min = 0.0, max = 1.0))]
    pub runway_large: f64,
    /// ...`medium` from this one, else `small`.
    #[schemars(range(min = 0.0, max = 1.0))]
    pub runway_medium: f64,
    /// Recycle advice: pressure above this and the next bead's affinity
    /// below the ready set's median...
    #[schemars(range(min = 0.0, max = 1.0))]
    pub recycle_pressure: f64,
    /// ...or drift above this...
    #[schemars(range(min = 0.0, max = 1.0))]
    pub recycle_drift: f64,
    /// ...and the next bead's concept overlap below this...
    #[schemars(range(min = 0.0, max = 1.0))]
    pub recycle_overlap: f64,
    /// ...or a long session and the next bead in a new concept area: its
    /// concept overlap below this.
    #[schemars(range(min = 0.0, max = 1.0))]
    pub new_area_overlap: f64,
}

impl Default for HealthConfig {
    fn default() -> HealthConfig {
        HealthConfig {
            pressure_warn: 0.6,
            pressure_recycle: 0.8,
            drift_warn: 0.5,
            drift_recycle: 0.7,
            drift_beads: 3,
            long_session_hours: 4.0,
            runway_drift_penalty: 0.5,
            runway_calibration: 1.0,
            runway_large: 0.5,
            runway_medium: 0.2,
            recycle_pressure: 0.85,
            recycle_drift: 0.7,
            recycle_overlap: 0.3,
            new_area_overlap: 0.1,
        }
    }
}

impl ProfileConfig {
    pub fn validate(&self) -> Result<(), String> {
        for (name, value, min) in [
            ("session_half_life", self.session_half_life, 0.1),
            ("agent_half_life_days", self.agent_half_life_days, 0.1),
        ] {
            if !(value.is_finite() && value >= min) {
                return Err(format!("profile.{name}: must be at least {min}"));
            }
        }
        if !(1..=50).contains(&self.recent_beads) {
            return Err("profile.recent_beads: must be between 1 and 50".into());
        }
        unit("profile", "prune_below", self.prune_below)?;
        unit("profile", "handoff_share", self.handoff_share)?;
        unit("profile", "focus_demotion", self.focus_demotion)
    }
}

impl HealthConfig {
    pub fn validate(&self, profile: &ProfileConfig) -> Result<(), String> {
        for (name, value) in [
            ("pressure_warn", self.pressure_warn),
            ("pressure_recycle", self.pressure_recycle),
            ("drift_warn", self.drift_warn),
            ("drift_recycle", self.drift_recycle),
            ("runway_drift_penalty", self.runway_drift_penalty),
            ("runway_large", self.runway_large),
            ("runway_medium", self.runway_medium),
            ("recycle_pressure", self.recycle_pressure),
            ("recycle_drift", self.recycle_drift),
            ("recycle_overlap", self.recycle_overlap),
            ("new_area_overlap", self.new_area_overlap),
        ] {
            unit("health", name, value)?;
        }
        for (warn, recycle, what) in [
            (self.pressure_warn, self.pressure_recycle, "pressure"),
            (self.drift_warn, self.drift_recycle, "drift"),
            (self.runway_medium, self.runway_large, "runway"),
        ] {
            if warn > recycle {
                return Err(format!(
                    "health: the {what} thresholds are out of order ({warn} > {recycle})"
                ));
            }
        }
        if self.pressure_recycle <= 0.0 {
            return Err("health.pressure_recycle: must be above 0".into());
        }
        if self.drift_beads == 0 || self.drift_beads > profile.recent_beads {
            return Err(format!(
                "health.drift_beads: must be between 1 and profile.recent_beads ({})",
                profile.recent_beads
            ));
        }
        for (name, value) in [
            ("long_session_hours", self.long_session_hours),
            ("runway_calibration", self.runway_calibration),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                return Err(format!("health.{name}: must be a number >= 0"));
            }
        }
        Ok(())
    }
}

/// A share: between 0 and 1.
fn unit(section: &str, name: &str, value: f64) -> Result<(), String> {
    if (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(format!("{section}.{name}: must be between 0 and 1"))
    }
}

/// Which source analysis backs `gemba index` and semantic conflict edges.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AnalysisBackend {
    /// gemba's own import graph of Rust, Go, Python and JavaScript/TypeScript.
    #[default]
    Builtin,
    /// A configured command that prints the edges as JSON.
    External,
    /// No source analysis: semantic edges are never computed.
    None,
}

impl AnalysisBackend {
    pub fn as_str(self) -> &'static str {
        match self {
            AnalysisBackend::Builtin => "builtin",
            AnalysisBackend::External => "external",
            AnalysisBackend::None => "none",
        }
    }
}

impl std::fmt::Display for AnalysisBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AnalysisConfig {
    /// `builtin`, `external` or `none`.
    pub backend: AnalysisBackend,
    /// The external backend's command (argv, no shell), run in the
    /// repository root by `gemba index build`. It prints
    /// `{"commit": "<id>", "edges": [{"from": "<path>", "to": "<path>"}]}`:
    /// `from` imports (depends on) `to`, paths repository-relative with `/`.
    pub command: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct IdsConfig {
    /// Prefix of ids of beads created with `gemba bead create`.
    pub prefix: String,
    /// Shortest hash part of a new id; grows on collision.
    #[schemars(range(min = 3, max = 12))]
    pub min_hash_len: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct StoreConfig {
    /// Seconds a command waits for a lock another command holds (e.g. an
    /// import's batch) before giving up with `lock_timeout`. Claims and
    /// queue takes never wait on a lock.
    #[schemars(range(min = 0.0))]
    pub lock_timeout: f64,
}

impl Default for StoreConfig {
    fn default() -> StoreConfig {
        StoreConfig { lock_timeout: 10.0 }
    }
}

impl StoreConfig {
    pub fn lock_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs_f64(self.lock_timeout)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct GitConfig {
    /// Commit the files each mutating command changed, with a message that
    /// says what happened.
    pub auto_commit: bool,
}

/// Caps and size thresholds; lives in `config.yaml`.
///
/// Size heuristic (see [`Size`]): `chars` is the number of characters of
/// body + spec (the title is not counted); `dod` is the number of
/// definition-of-done lines, counted once per line:
/// - markdown checklist items (`- [ ]`, `- [x]`, also with `*`, `+` or `1.`)
///   anywhere in body or spec;
/// - bulleted (`-`, `*`, `+`) or numbered (`1.`, `1)`) list items under an
///   "Acceptance…", "Definition of done…" or "DoD" heading in the body
///   (a `#` heading, or a short line like `**Acceptance Criteria:**`);
///   the section ends at the next heading or `Label:` line;
/// - every bulleted or numbered list item in the spec.
///
/// Then, in this order:
/// - **large** if `chars >= size_large_min_chars` or `dod >= size_large_min_dod`;
/// - **small** if `chars <= size_small_max_chars` and `dod <= size_small_max_dod`;
/// - **medium** otherwise.
///
/// Defaults: small up to 400 chars and up to 2 DoD lines; large from
/// 2000 chars or from 8 DoD lines. On the 4,204 real beads in
/// `../shared/data/beads/` this gives 49% small, 41% medium, 10% large.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Most targets kept per bead (first mentioned first).
    pub max_targets: usize,
    /// Most concepts kept per bead (first mentioned first).
    pub max_concepts: usize,
    /// Small: at most this many characters of body + spec...
    pub size_small_max_chars: usize,
    /// Large: at least this many characters of body + spec...
    pub size_large_min_chars: usize,
    /// ...and small: at most this many definition-of-done lines.
    pub size_small_max_dod: usize,
    /// ...or large: at least this many definition-of-done lines.
    pub size_large_min_dod: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_targets: 8,
            max_concepts: 8,
            size_small_max_chars: 400,
            size_large_min_chars: 2000,
            size_small_max_dod: 2,
            size_large_min_dod: 8,
        }
    }
}

impl Default for IdsConfig {
    fn default() -> IdsConfig {
        IdsConfig {
            prefix: "gm".into(),
            min_hash_len: 4,
        }
    }
}

/// The concept vocabulary: bootstrap cap and drift thresholds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct VocabConfig {
    /// Most new terms one `gemba concepts bootstrap` adds (`--max` overrides).
    pub bootstrap_max: usize,
    /// Near-duplicates: Jaccard similarity of the sets of beads using two
    /// terms (shared / either), at least this...
    #[schemars(range(min = 0.0, max = 1.0))]
    pub merge_min_jaccard: f64,
    /// ...and usage of the less-used term / usage of the more-used one, at
    /// least this.
    #[schemars(range(min = 0.0, max = 1.0))]
    pub merge_min_usage_ratio: f64,
    /// ...and both terms used by at least this many beads (two tags that
    /// co-occur on a single bead are not evidence of a duplicate).
    pub merge_min_beads: usize,
    /// Singletons: used by fewer than this many beads...
    pub singleton_usage_below: usize,
    /// ...and not used for at least this many days.
    pub singleton_unused_days: u32,
    /// A rejected suggestion is not proposed again until this many days
    /// after its rejection.
    pub repropose_after_days: u32,
}

impl Default for VocabConfig {
    fn default() -> VocabConfig {
        VocabConfig {
            bootstrap_max: 60,
            merge_min_jaccard: 0.7,
            merge_min_usage_ratio: 0.5,
            merge_min_beads: 2,
            singleton_usage_below: 3,
            singleton_unused_days: 90,
            repropose_after_days: 30,
        }
    }
}

impl VocabConfig {
    pub fn validate(&self) -> Result<(), String> {
        for (name, value) in [
            ("merge_min_jaccard", self.merge_min_jaccard),
            ("merge_min_usage_ratio", self.merge_min_usage_ratio),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err(format!("vocab.{name}: must be between 0 and 1"));
            }
        }
        Ok(())
    }
}

/// The JSON Schema `config.yaml` names in its first line, relative to
/// `.gemba/`.
pub const SCHEMA: &str = "schema/config.schema.json";

/// What `gemba init` writes: the schema modeline, then the defaults, each
/// with a comment. A test checks that it parses to `Config::default()`.
pub const CONFIG_TEMPLATE: &str = r#"# yaml-language-server: $schema=schema/config.schema.json
# gemba configuration. Every key is optional: a missing key takes the
# default shown here (`gemba config show` prints the effective values).
# Unknown keys are an error, so a typo never silently falls back.

ids:
  # Prefix of the ids of beads created with `gemba bead create` (gm-a1b2).
  prefix: gm
  # Length of the hash part of a new id; it grows when a new id collides.
  min_hash_len: 4

store:
  # Seconds to wait for a lock another command holds (a long import or
  # backfill takes its lock one batch at a time) before failing with
  # `lock_timeout`. Claims and queue takes never wait on a lock.
  lock_timeout: 10

git:
  # Commit the files each mutating command changed (and only those), with
  # a message that says what happened: `git log -- .gemba` is the audit trail.
  auto_commit: false

enrich:
  # Most targets and concepts the extractor keeps per bead.
  max_targets: 8
  max_concepts: 8
  # Size estimate from the description (body + design + acceptance + notes)
  # and its definition-of-done lines (checklists, items under an
  # "Acceptance" / "Definition of done" heading):
  #   large  if chars >= size_large_min_chars or dod >= size_large_min_dod
  #   small  if chars <= size_small_max_chars and dod <= size_small_max_dod
  #   medium otherwise
  size_small_max_chars: 400
  size_large_min_chars: 2000
  size_small_max_dod: 2
  size_large_min_dod: 8

vocab:
  # Most new terms one `gemba concepts bootstrap` adds (--max overrides).
  bootstrap_max: 60
  # `gemba concepts drift` suggests merging two terms when the sets of beads
  # using them overlap (Jaccard: shared / either) at least this much...
  merge_min_jaccard: 0.7
  # ...and the less-used term has at least this share of the other's usage.
  merge_min_usage_ratio: 0.5
  # ...and both terms used by at least this many beads.
  merge_min_beads: 2
  # It suggests deleting a term used by fewer than this many beads...
  singleton_usage_below: 3
  # ...when it has not been used for this many days.
  singleton_unused_days: 90
  # A rejected suggestion may be proposed again this many days after its
  # rejection (if the evidence still holds).
  repropose_after_days: 30

# bd's cross-project dependencies. A dependency on
# `external:<project>:<capability>` blocks its bead until the project's
# tracker has a closed bead labelled `provides:<capability>` (what `bd ship`
# sets). The tracker is the project's .gemba/beads/, else its
# .beads/issues.jsonl. Paths are relative to the repository root (the
# directory holding .gemba/) unless absolute. An unconfigured project blocks.
#   external_projects:
#     beads: ../beads
#     auth: /srv/repos/auth
external_projects: {}

# Source analysis: the file -> file import graph behind `semantic` conflict
# edges, built by `gemba index build` into .gemba/index/ (derived, never
# committed). A stale or missing index is never used: the edges are skipped
# and gemba says so.
analysis:
  # builtin: gemba's own import graph of Rust (mod, use crate::/super::),
  #          Go (imports resolved through go.mod), Python (import, from)
  #          and JavaScript/TypeScript (relative import ... from, require);
  # external: run `command` (argv, no shell) in the repository root; it
  #          prints {"commit": "<id>", "edges": [{"from": "a.rs", "to": "b.rs"}]}
  #          where `from` imports `to` (paths repository-relative with /);
  # none:    no source analysis.
  backend: builtin
  # e.g. command: [./tools/dump-edges, --json]
  command: []

# Scores (`gemba affinity`, `gemba leverage`, `gemba next --explain`).
scoring:
  # Affinity of a session for a bead, in [0, 1]: the weighted mean of
  affinity:
    concept: 0.25    # concept overlap (cosine) with the session and agent profiles
    file: 0.15       # the bead's targets among the files the session worked on
    workspace: 0.15  # same repo and branch 1, same repo 0.5, other 0
    epic: 0.15       # a sibling of a bead the session closed (decays)
    recency: 0.15    # the session's last beads shared a concept (decays)
    headroom: 0.15   # room left in the context window
  # Concept overlap = session_share * session cosine + the rest * agent cosine.
  session_share: 0.7
  # Headroom is 1 below this context pressure, falls linearly to 0 at
  # headroom_zero_at, and is 0 above.
  headroom_full_below: 0.5
  headroom_zero_at: 0.85
  # Epic affinity halves every this many bead events.
  epic_half_life: 5
  # Recency falls from 1 to 0 over this many beads.
  recency_beads: 10
  # Leverage = 1 - exp(-k * n), n = open beads the bead transitively blocks.
  leverage_k: 1
  # Score = affinity_share * affinity + (1 - affinity_share) * leverage.
  affinity_share: 0.7

# Selection (`gemba next`): after the hard gates (dispatch status, claims,
# conflicts with work in progress, capability fit), these adjust the score.
selection:
  # A bead larger than the session's runway: score multiplied by this.
  runway_demotion: 0.5
  # An over-qualified agent while a cheaper agent that fits has a live session.
  cost_demotion: 0.7
  # A bead that an idle live session fits better by at least
  # fairness_margin affinity is multiplied by fairness_demotion (weighed
  # for the best fairness_top candidates).
  fairness_margin: 0.2
  fairness_demotion: 0.8
  fairness_top: 10
  # Age in ready: + age_bonus_per_day per day since the bead became ready,
  # at most age_bonus_cap.
  age_bonus_per_day: 0.005
  age_bonus_cap: 0.05

# Session and agent profiles: what a session or an agent has worked on
# (concept and file weights), used by affinity.
profile:
  # A session's profile decays by bead events: the weight of the bead
  # claimed i events ago is 0.5^(i / session_half_life).
  session_half_life: 5
  # An agent's long-lived profile decays by wall time (days); each bead adds
  # 1 / (the agent's lifetime beads) per concept and file.
  agent_half_life_days: 14
  # Beads kept in a profile's ring of recent work.
  recent_beads: 5
  # Weights that decay below this are dropped.
  prune_below: 0.001
  # `session handoff`: the new session starts from the agent's profile plus
  # this share of the old session's (each scaled to a largest weight of 1).
  handoff_share: 0.5
  # `session focus`: score multiplier for beads outside the focus.
  focus_demotion: 0.4

# Session health. Advice only: gemba never ends a session itself, and never
# advises recycling in the middle of a bead.
health:
  # Context pressure (tokens / context window): warn, then recycle.
  pressure_warn: 0.6
  pressure_recycle: 0.8
  # Concept drift (cosine distance between the profile of the last
  # `drift_beads` beads and the session's whole profile): warn, then recycle.
  drift_warn: 0.5
  drift_recycle: 0.7
  drift_beads: 3
  # Time on task (hours since the session started) that counts as long.
  long_session_hours: 4
  # Runway score = share of the context left before pressure_recycle
  #   x (1 - runway_drift_penalty x drift) x runway_calibration;
  # large from runway_large, medium from runway_medium, else small.
  runway_drift_penalty: 0.5
  runway_calibration: 1
  runway_large: 0.5
  runway_medium: 0.2
  # Recycle advice before the next bead, when
  #   pressure > recycle_pressure and its affinity is below the ready
  #   set's median; or
  #   drift > recycle_drift and its concept overlap < recycle_overlap; or
  #   time on task > long_session_hours and its concept overlap <
  #   new_area_overlap (a new concept area).
  recycle_pressure: 0.85
  recycle_drift: 0.7
  recycle_overlap: 0.3
  new_area_overlap: 0.1

claims:
  # How long a claim holds unless renewed (`gemba renew`, `--lease`): 30m,
  # 2h, 1d. After that another session may take the bead over.
  lease: 2h
  # A git remote shared by several machines: each claim must also create
  # refs/gemba/claims/<id> there (a push that fails when the ref exists),
  # so no two machines claim the same bead. `gemba claims sync` fetches the
  # others' claims. Queue takes likewise create refs/gemba/takes/<packet>
  # (`gemba queue sync`). Unset: claims arbitrate on this machine only.
  #   remote: origin
  # When the remote cannot be reached: fail (refuse to claim or take) or
  # local (claim or take on this machine only, with a warning).
  on_unreachable: fail

# Per-agent queues (`gemba queue`).
queue:
  # A packet that failed this many times goes to failed/ instead of back
  # to ready/ (`gemba queue fail`).
  max_attempts: 3
  # How long a taken packet is held unless renewed (`gemba queue renew`);
  # after that `gemba queue recover` returns it to ready/.
  lease: 2h

# Auto-dispatch (`gemba dispatch on`, then `gemba dispatch run` or a
# `gemba dispatch tick` from cron): each idle live session gets its best
# bead claimed and enqueued to its agent.
dispatch:
  # Claim nothing for a session whose best candidate scores below this.
  floor: 0.5
  # At most one dispatch per session per this long.
  min_interval: 5m
  # The wait between two ticks of `gemba dispatch run`.
  interval: 30s
# Event hooks: a command (argv, no shell) run after its event is logged,
# with the event's JSON on stdin, in the repository root, with
# GEMBA_EVENT set to the hook's name (enqueued, claimed, ...). A hook never
# blocks or undoes the change: one that fails, is missing or runs past
# `timeout` (then it is killed) is a warning and a `hook.failed` event.
# Its output is not shown (write to a file of your own).
#   on_done: [./tools/notify, --channel, builds]
hooks:
  timeout: 10s
  on_enqueued: []   # queue.enqueue
  on_claimed: []    # claim, claim.takeover, queue.take
  on_done: []       # queue.done (also a stage: data.state is ready then)
  on_failed: []     # queue.fail (data.state: ready = requeued, or failed)
  on_shipped: []    # queue.shipped: a packet finished its last stage
  on_starving: []   # queue.starving: an agent idle while work it fits waits
# The supply pipeline (`gemba supply`): reads every demand source, turns
# each new item into a packet and tops each capable agent's queue up to
# queue.target_depth. Manage sources with `gemba supply source add|list|remove`.
supply:
  # Each source is a file (path, relative to the repository root) or a
  # command (argv, no shell, run with a timeout) whose output is read, or
  # gemba's own ready beads. For example:
  #   - name: github
  #     kind: github              # backlog, github, hn, todo or beads
  #     command: [gh, issue, list, --json, "number,title,body,labels,url"]
  #     labels: [factory-candidate]
  #   - name: ideas
  #     kind: backlog
  #     path: ideas.yaml
  #     min_score: 0.7            # dispatch autonomously from this score...
  #     allowlist: [idea-12]      # ...or these ids, whatever their score
  sources: []
  # How an item becomes a packet spec. Placeholders: {title}, {body},
  # {url}, {id}, {key}, {source}, {kind}, {score}, {labels}; a line whose
  # placeholders are all empty is left out. Targets and concepts come from
  # the extractor.
  template:
    title: "{title}"
    body: "{body}\n\nSource: {url}"
    acceptance: []
  # Or a command (argv) that reads the item as JSON on stdin and prints the
  # spec as JSON: {"title", "body", "acceptance", "targets", "concepts"}.
  # A failing generator holds that item back; the run goes on.
  generator: []
  generator_timeout: 2m
# Retrospectives: how a commit is tied to its bead (`gemba retro learn`).
retro:
  link:
    # A `Gemba-Bead: ID` trailer in the message's last paragraph (empty:
    # not read); when present it is the only rule consulted.
    trailer: Gemba-Bead
    # A known bead id as a whole word of the message: `fix sync (bd-a1b2)`.
    message_token: true
    # The branch merged ends in a known bead id: `alice/bd-a1b2`.
    branch_suffix: true
  # Targets learned from history, for a bead whose own text names no file
  # (`gemba bead backfill`): the closed beads most like it (BM25 over title
  # and description), closed before it was created, lend the files they
  # touched (their `retro` targets). Stamped `history`; `backfill --json`
  # says which beads lent each file.
  history:
    enabled: true
    # At most this many lenders, each scoring at least min_relative of the best.
    neighbours: 5
    min_relative: 0.5
    # A file is proposed when lenders with this share of the weight touched it,
    min_share: 0.5
    # or this share when its name has a word of the bead's text.
    min_word_share: 0.2
    max_files: 4
    # A lender closed this many days before the bead was created counts half.
    half_life_days: 90
# When the source-analysis index is rebuilt (`gemba scan status` says why
# the last trigger did or did not run). Manual scans (`gemba scan now`)
# ignore these.
scan:
  # A post-merge wave: at least wave_merges merges (the post-merge and
  # post-rewrite hooks count one each) within wave_window start a scan.
  wave_merges: 5
  wave_window: 15m
  # At most one automatic scan per this long; a trigger during a running
  # scan queues one rerun instead.
  cooldown: 10m
  # A merge also starts a scan when the last one is at least this old.
  floor: 4h
# Calibration (`gemba calibrate`): coach picks versus recommendations, and
# estimated size versus time to close, become tuning suggestions (never
# applied without review: `gemba suggestions approve`).
calibrate:
  # No finding from fewer samples than this.
  min_samples: 5
  # A coach finding needs this share of its samples to miss the same way.
  miss_rate: 0.5
  # A size bucket drifts when its median time to close is over size_drift
  # times its expected hours, or under 1/size_drift of them.
  size_drift: 2
  # Expected hours from claim (else creation) to close, per estimated size.
  expected_hours:
    small: 2
    medium: 8
    large: 24
"#;

impl Config {
    pub fn validate(&self) -> Result<(), String> {
        super::id::validate(&format!("{}-x", self.ids.prefix))
            .map_err(|e| format!("ids.prefix: {}", e.reason))?;
        if self.ids.prefix.contains('/') {
            return Err("ids.prefix: must not contain `/`".into());
        }
        if !(3..=12).contains(&self.ids.min_hash_len) {
            return Err("ids.min_hash_len: must be between 3 and 12".into());
        }
        if !(self.store.lock_timeout >= 0.0 && self.store.lock_timeout <= 86_400.0) {
            return Err("store.lock_timeout: must be between 0 and 86400 seconds".into());
        }
        self.vocab.validate()?;
        self.scoring.validate()?;
        self.selection.validate()?;
        self.profile.validate()?;
        self.health.validate(&self.profile)?;
        self.supply.validate()?;
        if self.queue.max_attempts == 0 {
            return Err("queue.max_attempts: must be at least 1".into());
        }
        for (stage, role) in &self.queue.stage_roles {
            for name in [stage, role] {
                if name.is_empty() || name.contains(',') || name.chars().any(char::is_whitespace) {
                    return Err(format!(
                        "queue.stage_roles: {name:?} is not a stage or role name (one word)"
                    ));
                }
            }
        }
        if !(self.dispatch.floor.is_finite() && self.dispatch.floor >= 0.0) {
            return Err("dispatch.floor: must be a number of at least 0".into());
        }
        self.hooks.validate()?;
        self.retro.validate()?;
        self.calibrate.validate()?;
        if self.enrich.size_small_max_chars >= self.enrich.size_large_min_chars {
            return Err(
                "enrich.size_small_max_chars: must be below enrich.size_large_min_chars".into(),
            );
        }
        self.scan.validate()?;
        if self.analysis.backend == AnalysisBackend::External {
            match self.analysis.command.first() {
                None => {
                    return Err(
                        "analysis.command: the external backend needs a command (argv)".into(),
                    );
                }
                Some(program) if program.trim().is_empty() => {
                    return Err("analysis.command: the program name is empty".into());
                }
                Some(_) => {}
            }
        }
        if let Some(remote) = &self.claims.remote
            && (remote.trim().is_empty() || remote.starts_with('-'))
        {
            return Err(format!(
                "claims.remote: {remote:?} is not a git remote (a name like origin, or a URL)"
            ));
        }
        for (name, path) in &self.external_projects {
            if name.is_empty() || name.contains(':') {
                return Err(format!(
                    "external_projects: {name:?} is not a project name (non-empty, no `:`)"
                ));
            }
            if path.trim().is_empty() {
                return Err(format!("external_projects.{name}: the path is empty"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn template_is_the_default() {
        let parsed: Config =
            crate::format::from_yaml(Path::new("config.yaml"), CONFIG_TEMPLATE).unwrap();
        assert_eq!(parsed, Config::default());
        parsed.validate().unwrap();
        assert!(
            CONFIG_TEMPLATE.starts_with(&crate::format::yaml_modeline(SCHEMA)),
            "the template names its schema in its first line"
        );
    }

    #[test]
    fn external_project_names_and_paths_are_checked() {
        let parsed: Config = crate::format::from_yaml(
            Path::new("c"),
            "external_projects:\n  beads: ../beads\n  abs: /srv/x\n",
        )
        .unwrap();
        assert_eq!(parsed.external_projects["beads"], "../beads");
        parsed.validate().unwrap();
        for bad in ["\"a:b\": ../x", "a: \"\""] {
            let c: Config =
                crate::format::from_yaml(Path::new("c"), &format!("external_projects:\n  {bad}\n"))
                    .unwrap();
            assert!(c.validate().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_external_backend_needs_a_command() {
        let parse =
            |text: &str| -> Config { crate::format::from_yaml(Path::new("c"), text).unwrap() };
        let ok = parse("analysis:\n  backend: external\n  command: [tool, --json]\n");
        assert_eq!(ok.analysis.backend, AnalysisBackend::External);
        assert_eq!(ok.analysis.command, ["tool", "--json"]);
        ok.validate().unwrap();
        for bad in [
            "analysis:\n  backend: external\n",
            "analysis:\n  backend: external\n  command: [\"\"]\n",
        ] {
            assert!(parse(bad).validate().is_err(), "{bad}");
        }
        parse("analysis:\n  backend: none\n").validate().unwrap();
        assert!(
            crate::format::from_yaml::<Config>(Path::new("c"), "analysis:\n  backend: lsp\n")
                .is_err()
        );
    }

    #[test]
    fn profile_and_health_values_are_checked() {
        let parse =
            |text: &str| -> Config { crate::format::from_yaml(Path::new("c"), text).unwrap() };
        let ok = parse("profile:\n  session_half_life: 3\nhealth:\n  pressure_warn: 0.5\n");
        assert_eq!(ok.profile.session_half_life, 3.0);
        assert_eq!(ok.health.pressure_recycle, 0.8);
        ok.validate().unwrap();
        for (bad, names) in [
            (
                "profile:\n  session_half_life: 0\n",
                "profile.session_half_life",
            ),
            ("profile:\n  recent_beads: 0\n", "profile.recent_beads"),
            ("profile:\n  handoff_share: 1.5\n", "profile.handoff_share"),
            ("health:\n  pressure_warn: 0.9\n", "pressure thresholds"),
            ("health:\n  drift_recycle: 2\n", "health.drift_recycle"),
            ("health:\n  drift_beads: 6\n", "health.drift_beads"),
            (
                "health:\n  runway_calibration: -1\n",
                "health.runway_calibration",
            ),
        ] {
            let err = parse(bad).validate().unwrap_err();
            assert!(err.contains(names), "{bad}: {err}");
        }
        assert!(
            crate::format::from_yaml::<Config>(Path::new("c"), "health:\n  presure_warn: 0.5\n")
                .is_err(),
            "a typo is an error"
        );
    }

    #[test]
    fn stage_roles_are_words() {
        let parse =
            |text: &str| -> Config { crate::format::from_yaml(Path::new("c"), text).unwrap() };
        let ok = parse("queue:\n  stage_roles:\n    verify: review\n  absent_after: 2h\n");
        assert_eq!(ok.queue.stage_roles["verify"], "review");
        assert_eq!(ok.queue.absent_after, Duration::from_secs(7200));
        ok.validate().unwrap();
        for bad in ["\"\": review", "verify: \"two words\"", "verify: \"a,b\""] {
            let err = parse(&format!("queue:\n  stage_roles:\n    {bad}\n"))
                .validate()
                .unwrap_err();
            assert!(err.contains("queue.stage_roles"), "{bad}: {err}");
        }
    }

    #[test]
    fn hooks_are_argv_lists() {
        let parse =
            |text: &str| -> Config { crate::format::from_yaml(Path::new("c"), text).unwrap() };
        let ok = parse("hooks:\n  timeout: 2s\n  on_done: [./notify, --json]\n");
        assert_eq!(ok.hooks.on_done, ["./notify", "--json"]);
        assert_eq!(ok.hooks.timeout.as_secs(), 2);
        ok.validate().unwrap();
        let err = parse("hooks:\n  on_failed: [\"\", x]\n")
            .validate()
            .unwrap_err();
        assert!(err.contains("hooks.on_failed"), "{err}");
        for bad in [
            "hooks:\n  on_finished: [x]\n",
            "hooks:\n  on_done: ./notify\n",
            "hooks:\n  timeout: 0s\n",
        ] {
            assert!(
                crate::format::from_yaml::<Config>(Path::new("c"), bad).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn scan_thresholds_are_checked() {
        let parse =
            |text: &str| -> Config { crate::format::from_yaml(Path::new("c"), text).unwrap() };
        let ok = parse("scan:\n  wave_merges: 3\n  cooldown: 30m\n");
        assert_eq!(ok.scan.wave_merges, 3);
        assert_eq!(ok.scan.cooldown, Duration::from_secs(1800));
        assert_eq!(ok.scan.floor, Duration::from_secs(4 * 3600));
        ok.validate().unwrap();
        for (bad, names) in [
            ("scan:\n  wave_merges: 0\n", "scan.wave_merges"),
            ("scan:\n  cooldown: 5h\n", "scan.cooldown"),
        ] {
            let err = parse(bad).validate().unwrap_err();
            assert!(err.contains(names), "{bad}: {err}");
        }
        for bad in ["scan:\n  cooldown: 0s\n", "scan:\n  wave: 5\n"] {
            assert!(
                crate::format::from_yaml::<Config>(Path::new("c"), bad).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn retro_history_shares_are_checked() {
        let parse =
            |text: &str| -> Config { crate::format::from_yaml(Path::new("c"), text).unwrap() };
        let ok = parse("retro:\n  history:\n    min_share: 0.3\n    max_files: 2\n");
        assert_eq!(ok.retro.history.min_share, 0.3);
        assert_eq!(ok.retro.history.neighbours, 5);
        ok.validate().unwrap();
        for (bad, names) in [
            ("min_share: 1.5", "retro.history.min_share"),
            ("min_relative: -0.1", "retro.history.min_relative"),
            ("min_word_share: 2", "retro.history.min_word_share"),
            ("half_life_days: 0", "retro.history.half_life_days"),
        ] {
            let err = parse(&format!("retro:\n  history:\n    {bad}\n"))
                .validate()
                .unwrap_err();
            assert!(err.contains(names), "{bad}: {err}");
        }
        assert!(
            crate::format::from_yaml::<Config>(
                Path::new("c"),
                "retro:\n  history:\n    share: 1\n"
            )
            .is_err(),
            "a typo is an error"
        );
    }

    #[test]
    fn empty_file_is_the_default() {
        let parsed: Config = crate::format::from_yaml(Path::new("c"), "{}\n").unwrap();
        assert_eq!(parsed, Config::default());
    }
}
