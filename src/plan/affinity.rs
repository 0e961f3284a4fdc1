//! Affinity: how warm a session is for a bead, in [0, 1]. The weighted mean
//! (weights in `scoring.affinity` of config.yaml) of six components, each
//! in [0, 1] with one line saying why:
//!
//! - **concept**: cosine between the bead's concepts and the session's
//!   profile (`session_share`, 0.7) and the agent's (the rest). An empty
//!   profile, or a bead without concepts, is neutral: 0.5, never 0 or 1.
//! - **file**: per target, 1 when the session worked on that path (or, for
//!   a glob, on anything below its directory), 0.5 for a file beside it,
//!   scaled by the file's weight relative to the session's heaviest;
//!   averaged over the targets. Neutral 0.5 without targets or history.
//! - **workspace**: 1 same repository and branch as the bead's work, 0.5
//!   same repository, 0 another one.
//! - **epic**: the bead's parent is the epic of a bead this session closed;
//!   halves every `epic_half_life` bead events since.
//! - **recency**: a recent bead of the session shared a concept: 1 for the
//!   last one, falling linearly to 0 over `recency_beads` beads.
//! - **headroom**: 1 below `headroom_full_below` context pressure (tokens /
//!   window), falling linearly to 0 at `headroom_zero_at`, 0 above.
//!
//! Pure: no I/O, no clock.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Map;
use crate::model::config::ScoringConfig;
use crate::model::enrichment::{Glob, normalize_glob};
use crate::model::profile::RecentBead;
use crate::model::{Agent, Session, Workspace};

/// One component of a score: its value in [0, 1], its weight, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Component {
    pub name: &'static str,
    pub value: f64,
    pub weight: f64,
    /// Empty unless asked for (`explain`): building the text for every
    /// bead of a large ready set would cost more than the scoring.
    pub why: String,
}

impl Component {
    /// `concept 0.62 (x0.25): session shares auth (0.71); agent 0.41`.
    pub fn line(&self) -> String {
        format!(
            "{} {:.2} (x{}): {}",
            self.name, self.value, self.weight, self.why
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Affinity {
    /// In [0, 1].
    pub value: f64,
    pub components: [Component; 6],
}

impl Affinity {
    /// One line per component.
    pub fn justification(&self) -> Vec<String> {
        self.components.iter().map(Component::line).collect()
    }
}

/// What affinity reads of a bead.
#[derive(Debug, Clone)]
pub struct BeadFacts<'a> {
    pub id: &'a str,
    /// Its parent (epic), if any.
    pub epic: Option<&'a str>,
    pub concepts: &'a [String],
    pub targets: Vec<Target>,
    /// Where its work is, when known (see `select`); `None`: the home
    /// workspace given to [`SessionView::new`].
    pub workspace: Option<&'a Workspace>,
}

impl<'a> BeadFacts<'a> {
    pub fn new(id: &'a str, epic: Option<&'a str>, concepts: &'a [String], globs: &[Glob]) -> Self {
        BeadFacts {
            id,
            epic,
            concepts,
            targets: globs.iter().map(|g| Target::new(g.as_str())).collect(),
            workspace: None,
        }
    }
}

/// A target glob or a profile path, reduced to what familiarity compares:
/// its normal form, the directory its matches lie in, whether it is one
/// path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub text: String,
    /// The literal directory prefix, without the trailing `/` (`src/auth`
    /// for `src/auth/*.rs` and `src/auth/token.rs`; empty at the root or
    /// for `**/x`).
    pub dir: String,
    pub literal: bool,
}

impl Target {
    pub fn new(glob: &str) -> Target {
        let text = normalize_glob(glob).unwrap_or_else(|_| glob.to_string());
        let meta = text.find(['*', '?', '[', '{', '\\']);
        let head = &text[..meta.unwrap_or(text.len())];
        let dir = head.rfind('/').map_or("", |i| &head[..i]).to_string();
        Target {
            literal: meta.is_none(),
            dir,
            text,
        }
    }
}

/// A concept profile with its norm, for cosines.
#[derive(Debug, Clone, Copy)]
struct Concepts<'a> {
    weights: &'a BTreeMap<String, f64>,
    norm: f64,
}

impl<'a> Concepts<'a> {
    fn new(weights: &'a BTreeMap<String, f64>) -> Concepts<'a> {
        let norm = weights
            .values()
            .map(|w| usable(*w).powi(2))
            .sum::<f64>()
            .sqrt();
        Concepts { weights, norm }
    }

    fn is_empty(&self) -> bool {
        self.norm <= 0.0
    }

    /// Cosine between the bead's concepts (each weight 1) and this profile.
    fn cosine(&self, concepts: &[String]) -> f64 {
        if self.is_empty() || concepts.is_empty() {
            return 0.0;
        }
        let dot: f64 = concepts
            .iter()
            .filter_map(|c| self.weights.get(c))
            .map(|w| usable(*w))
            .sum();
        clamp(dot / ((concepts.len() as f64).sqrt() * self.norm))
    }
}

/// A weight as scoring uses it: negative or non-finite counts as 0.
fn usable(w: f64) -> f64 {
    if w.is_finite() && w > 0.0 { w } else { 0.0 }
}

/// Into [0, 1]; NaN is 0, and so is -0 (an empty sum).
fn clamp(x: f64) -> f64 {
    if x.is_nan() {
        0.0
    } else {
        x.clamp(0.0, 1.0) + 0.0
    }
}

/// The session's files, indexed for familiarity: by exact path, by
/// directory, and by every ancestor directory; each with the heaviest
/// entry's weight relative to the session's heaviest, and its path.
#[derive(Debug, Default)]
struct Files<'a> {
    exact: Map<String, (f64, &'a str)>,
    same_dir: Map<String, (f64, &'a str)>,
    under: Map<String, (f64, &'a str)>,
}

fn keep_max<'a>(map: &mut Map<String, (f64, &'a str)>, key: &str, w: f64, path: &'a str) {
    match map.get_mut(key) {
        Some(old) if old.0 > w || (old.0 == w && old.1 <= path) => {}
        Some(old) => *old = (w, path),
        None => {
            map.insert(key.to_string(), (w, path));
        }
    }
}

impl<'a> Files<'a> {
    fn new(weights: &'a BTreeMap<String, f64>) -> Files<'a> {
        let max = weights.values().map(|w| usable(*w)).fold(0.0, f64::max);
        let mut files = Files::default();
        if max <= 0.0 {
            return files;
        }
        for (path, w) in weights {
            let w = usable(*w) / max;
            if w <= 0.0 {
                continue;
            }
            let t = Target::new(path);
            keep_max(&mut files.exact, &t.text, w, path);
            keep_max(&mut files.same_dir, &t.dir, w, path);
            let mut dir = t.dir.as_str();
            while !dir.is_empty() {
                keep_max(&mut files.under, dir, w, path);
                dir = dir.rfind('/').map_or("", |i| &dir[..i]);
            }
        }
        files
    }

    fn is_empty(&self) -> bool {
        self.exact.is_empty()
    }

    /// A target's familiarity and the profile path behind it.
    fn familiarity(&self, t: &Target) -> (f64, Option<&'a str>) {
        let mut best = self
            .exact
            .get(&t.text)
            .map_or((0.0, None), |(w, p)| (*w, Some(*p)));
        let other = if t.literal {
            self.same_dir.get(&t.dir).map(|(w, p)| (0.5 * w, *p))
        } else if !t.dir.is_empty() {
            self.under.get(&t.dir).map(|(w, p)| (*w, *p))
        } else {
            None
        };
        if let Some((w, p)) = other
            && w > best.0
        {
            best = (w, Some(p));
        }
        best
    }
}

/// A session as affinity reads it, prepared once per command.
#[derive(Debug)]
pub struct SessionView<'a> {
    pub session: &'a Session,
    pub agent: &'a Agent,
    /// Where beads are worked on unless their epic is worked elsewhere.
    pub home: &'a Workspace,
    session_concepts: Concepts<'a>,
    agent_concepts: Concepts<'a>,
    files: Files<'a>,
    /// Tokens / window; `None` when the window is unknown.
    pub pressure: Option<f64>,
}

impl<'a> SessionView<'a> {
    pub fn new(session: &'a Session, agent: &'a Agent, home: &'a Workspace) -> SessionView<'a> {
        let t = &session.telemetry;
        let window = t.context_window.or(agent.context_window).filter(|w| *w > 0);
        let pressure = match (t.tokens, window) {
            (0, _) => Some(0.0),
            (tokens, Some(w)) => Some(tokens as f64 / w as f64),
            (_, None) => None,
        };
        SessionView {
            session,
            agent,
            home,
            session_concepts: Concepts::new(&session.profile.concepts),
            agent_concepts: Concepts::new(&agent.profile.concepts),
            files: Files::new(&session.profile.files),
            pressure,
        }
    }
}

/// Headroom at a context pressure: 1 up to `full_below`, linear to 0 at
/// `zero_at`, 0 above; continuous.
pub fn headroom(pressure: f64, full_below: f64, zero_at: f64) -> f64 {
    if pressure.is_nan() {
        return 0.0;
    }
    if pressure <= full_below {
        1.0
    } else if pressure >= zero_at {
        0.0
    } else {
        (zero_at - pressure) / (zero_at - full_below)
    }
}

/// The session's affinity for the bead. `explain` fills each component's
/// `why`.
pub fn affinity(
    bead: &BeadFacts<'_>,
    view: &SessionView<'_>,
    config: &ScoringConfig,
    explain: bool,
) -> Affinity {
    let w = &config.affinity;
    let parts = [
        ("concept", w.concept, concept(bead, view, config, explain)),
        ("file", w.file, file(bead, view, explain)),
        ("workspace", w.workspace, workspace(bead, view, explain)),
        ("epic", w.epic, epic(bead, view, config, explain)),
        ("recency", w.recency, recency(bead, view, config, explain)),
        ("headroom", w.headroom, headroom_of(view, config, explain)),
    ];
    let total: f64 = parts.iter().map(|(_, w, _)| usable(*w)).sum();
    let sum: f64 = parts.iter().map(|(_, w, (v, _))| usable(*w) * v).sum();
    let value = if total > 0.0 { clamp(sum / total) } else { 0.0 };
    Affinity {
        value,
        components: parts.map(|(name, weight, (value, why))| Component {
            name,
            value,
            weight,
            why,
        }),
    }
}

type Part = (f64, String);

/// `f()` when explaining, else nothing.
fn why(explain: bool, f: impl FnOnce() -> String) -> String {
    if explain { f() } else { String::new() }
}

fn concept(bead: &BeadFacts<'_>, view: &SessionView<'_>, c: &ScoringConfig, ex: bool) -> Part {
    if bead.concepts.is_empty() {
        return (0.5, why(ex, || "the bead has no concepts (neutral)".into()));
    }
    let part = |p: &Concepts<'_>| {
        if p.is_empty() {
            0.5
        } else {
            p.cosine(bead.concepts)
        }
    };
    let (s, a) = (part(&view.session_concepts), part(&view.agent_concepts));
    let share = c.session_share.clamp(0.0, 1.0);
    let value = clamp(share * s + (1.0 - share) * a);
    let text = || {
        let side = |name: &str, p: &Concepts<'_>, v: f64| {
            if p.is_empty() {
                return format!("{name} has no history (0.5)");
            }
            let mut shared: Vec<&str> = bead
                .concepts
                .iter()
                .filter(|c| p.weights.get(*c).is_some_and(|w| usable(*w) > 0.0))
                .map(String::as_str)
                .collect();
            shared.sort_unstable();
            shared.dedup();
            if shared.is_empty() {
                format!("{name} shares none ({v:.2})")
            } else {
                format!("{name} shares {} ({v:.2})", shared.join(", "))
            }
        };
        format!(
            "{}; {}",
            side("session", &view.session_concepts, s),
            side("agent", &view.agent_concepts, a)
        )
    };
    (value, why(ex, text))
}

/// Targets named in a file line before `...`.
const NAMED_TARGETS: usize = 3;

fn file(bead: &BeadFacts<'_>, view: &SessionView<'_>, ex: bool) -> Part {
    if bead.targets.is_empty() {
        return (0.5, why(ex, || "the bead has no targets (neutral)".into()));
    }
    if view.files.is_empty() {
        return (
            0.5,
            why(ex, || "the session has no file history (neutral)".into()),
        );
    }
    let scored: Vec<(f64, Option<&str>)> = bead
        .targets
        .iter()
        .map(|t| view.files.familiarity(t))
        .collect();
    let value = clamp(scored.iter().map(|(v, _)| v).sum::<f64>() / scored.len() as f64);
    let text = || {
        let mut parts: Vec<String> = bead
            .targets
            .iter()
            .zip(&scored)
            .take(NAMED_TARGETS)
            .map(|(t, (v, p))| match p {
                Some(p) if *p == t.text => format!("{} {v:.2} (worked on it)", t.text),
                Some(p) => format!("{} {v:.2} (via {p})", t.text),
                None => format!("{} 0.00 (new)", t.text),
            })
            .collect();
        if bead.targets.len() > NAMED_TARGETS {
            parts.push(format!("{} more", bead.targets.len() - NAMED_TARGETS));
        }
        parts.join("; ")
    };
    (value, why(ex, text))
}

fn workspace(bead: &BeadFacts<'_>, view: &SessionView<'_>, ex: bool) -> Part {
    let (there, whose) = match bead.workspace {
        Some(w) => (w, "its epic's work"),
        None => (view.home, "the home worktree"),
    };
    let here = &view.session.workspace;
    if there.repo.is_empty() || here.repo.is_empty() {
        return (0.5, why(ex, || "repository unknown (neutral)".into()));
    }
    let branch = there.branch.as_deref().unwrap_or("?");
    if here.repo != there.repo {
        return (0.0, why(ex, || format!("another repository than {whose}")));
    }
    if here.branch.is_some() && here.branch == there.branch {
        (
            1.0,
            why(ex, || {
                format!("same repository and branch ({branch}) as {whose}")
            }),
        )
    } else {
        (
            0.5,
            why(ex, || {
                format!(
                    "same repository, branch {} vs {branch} of {whose}",
                    here.branch.as_deref().unwrap_or("?")
                )
            }),
        )
    }
}

/// Bead events since `entry` was folded in.
fn age(view: &SessionView<'_>, entry: &RecentBead) -> u64 {
    view.session.profile.events.saturating_sub(entry.event)
}

fn epic(bead: &BeadFacts<'_>, view: &SessionView<'_>, c: &ScoringConfig, ex: bool) -> Part {
    let Some(epic) = bead.epic else {
        return (0.0, why(ex, || "no epic".into()));
    };
    let sibling = view
        .session
        .profile
        .recent
        .iter()
        .filter(|r| r.closed && r.bead != bead.id && r.epic.as_deref() == Some(epic))
        .min_by(|a, b| age(view, a).cmp(&age(view, b)).then(a.bead.cmp(&b.bead)));
    match sibling {
        None => (
            0.0,
            why(ex, || format!("closed nothing under {epic} lately")),
        ),
        Some(r) => {
            let n = age(view, r);
            let value = clamp(0.5f64.powf(n as f64 / c.epic_half_life));
            (
                value,
                why(ex, || {
                    format!("closed sibling {} of {epic} {n} bead events ago", r.bead)
                }),
            )
        }
    }
}

fn recency(bead: &BeadFacts<'_>, view: &SessionView<'_>, c: &ScoringConfig, ex: bool) -> Part {
    let shared = |r: &RecentBead| r.concepts.iter().any(|x| bead.concepts.contains(x));
    let last = view
        .session
        .profile
        .recent
        .iter()
        .filter(|r| r.bead != bead.id && shared(r))
        .min_by(|a, b| age(view, a).cmp(&age(view, b)).then(a.bead.cmp(&b.bead)));
    match last {
        None => (0.0, why(ex, || "no recent bead shares a concept".into())),
        Some(r) => {
            let n = age(view, r);
            let value = clamp(1.0 - n as f64 / c.recency_beads);
            let text = || {
                let mut common: Vec<&str> = r
                    .concepts
                    .iter()
                    .filter(|x| bead.concepts.contains(x))
                    .map(String::as_str)
                    .collect();
                common.sort_unstable();
                common.dedup();
                format!(
                    "{} shared {} {n} bead events ago",
                    r.bead,
                    common.join(", ")
                )
            };
            (value, why(ex, text))
        }
    }
}

fn headroom_of(view: &SessionView<'_>, c: &ScoringConfig, ex: bool) -> Part {
    match view.pressure {
        None => (0.5, why(ex, || "context window unknown (neutral)".into())),
        Some(p) => {
            let v = headroom(p, c.headroom_full_below, c.headroom_zero_at);
            (v, why(ex, || format!("context {:.0}% full", p * 100.0)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::profile::{Profile, ProfileSource};
    use proptest::prelude::*;

    pub(crate) fn session(id: &str, profile: Profile, tokens: u64) -> Session {
        Session {
            id: id.into(),
            agent: "alice".into(),
            status: Default::default(),
            workspace: Workspace {
                repo: "/repo".into(),
                branch: Some("main".into()),
                path: None,
            },
            started_at: "2026-11-23T12:00:00Z".into(),
            ended_at: None,
            parent: None,
            telemetry: crate::model::session::Telemetry {
                tokens,
                context_window: Some(1000),
                ..Default::default()
            },
            profile,
            intent: None,
        }
    }

    pub(crate) fn agent(profile: Profile) -> Agent {
        Agent {
            name: "alice".into(),
            roles: vec![],
            max_band: Default::default(),
            cost_tier: Default::default(),
            tools: vec![],
            model: None,
            context_window: None,
            created_at: "2026-11-23T12:00:00Z".into(),
            profile,
        }
    }

    fn weights(pairs: &[(&str, f64)]) -> BTreeMap<String, f64> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    fn recent(
        bead: &str,
        event: u64,
        epic: Option<&str>,
        concepts: &[&str],
        closed: bool,
    ) -> RecentBead {
        RecentBead {
            bead: bead.into(),
            event,
            epic: epic.map(String::from),
            concepts: concepts.iter().map(|c| c.to_string()).collect(),
            files: vec![],
            source: ProfileSource::Declared,
            closed,
        }
    }

    fn home() -> Workspace {
        Workspace {
            repo: "/repo".into(),
            branch: Some("main".into()),
            path: None,
        }
    }

    fn component(a: &Affinity, name: &str) -> f64 {
        a.components.iter().find(|c| c.name == name).unwrap().value
    }

    #[test]
    fn headroom_table() {
        for (p, want) in [
            (0.0, 1.0),
            (0.4, 1.0),
            (0.5, 1.0),
            (0.675, 0.5),
            (0.85, 0.0),
            (0.86, 0.0),
            (0.9, 0.0),
            (2.0, 0.0),
        ] {
            let got = headroom(p, 0.5, 0.85);
            assert!((got - want).abs() < 1e-9, "pressure {p}: {got}");
        }
        // Continuous: no jump at either end.
        assert!((headroom(0.5 + 1e-9, 0.5, 0.85) - 1.0).abs() < 1e-6);
        assert!(headroom(0.85 - 1e-9, 0.5, 0.85) < 1e-6);
    }

    #[test]
    fn headroom_from_telemetry() {
        let config = ScoringConfig::default();
        let concepts = vec![];
        let bead = BeadFacts::new("b", None, &concepts, &[]);
        let home = home();
        for (tokens, want) in [(400, 1.0), (675, 0.5), (860, 0.0), (900, 0.0), (0, 1.0)] {
            let s = session("s", Profile::default(), tokens);
            let a = agent(Profile::default());
            let got = affinity(&bead, &SessionView::new(&s, &a, &home), &config, true);
            assert!(
                (component(&got, "headroom") - want).abs() < 1e-9,
                "{tokens}"
            );
        }
        // No window known anywhere: neutral.
        let mut s = session("s", Profile::default(), 10);
        s.telemetry.context_window = None;
        let a = agent(Profile::default());
        let got = affinity(&bead, &SessionView::new(&s, &a, &home), &config, true);
        assert_eq!(component(&got, "headroom"), 0.5);
        assert!(got.components[5].why.contains("unknown"), "{got:?}");
    }

    #[test]
    fn empty_profiles_score_concept_neutral() {
        let config = ScoringConfig::default();
        let concepts = vec!["auth".to_string()];
        let bead = BeadFacts::new("b", None, &concepts, &[]);
        let home = home();
        let s = session("s", Profile::default(), 0);
        let a = agent(Profile::default());
        let got = affinity(&bead, &SessionView::new(&s, &a, &home), &config, true);
        assert_eq!(component(&got, "concept"), 0.5);
        assert_eq!(component(&got, "file"), 0.5);
        // A bead without concepts is neutral too, whatever the profile.
        let warm = Profile {
            concepts: weights(&[("auth", 3.0)]),
            ..Default::default()
        };
        let s = session("s", warm, 0);
        let none = BeadFacts::new("b", None, &[], &[]);
        let got = affinity(&none, &SessionView::new(&s, &a, &home), &config, true);
        assert_eq!(component(&got, "concept"), 0.5);
    }

    #[test]
    fn concept_mixes_session_and_agent() {
        let config = ScoringConfig::default();
        let concepts = vec!["auth".to_string()];
        let bead = BeadFacts::new("b", None, &concepts, &[]);
        let home = home();
        let cases = [
            // (session, agent, want)
            (weights(&[("auth", 1.0)]), weights(&[("auth", 1.0)]), 1.0),
            (weights(&[("auth", 1.0)]), weights(&[]), 0.7 + 0.3 * 0.5),
            (weights(&[("db", 1.0)]), weights(&[("auth", 1.0)]), 0.3),
            (weights(&[]), weights(&[("db", 1.0)]), 0.35),
            // cos = 3 / sqrt(9 + 16) = 0.6 for the session.
            (
                weights(&[("auth", 3.0), ("db", 4.0)]),
                weights(&[("db", 1.0)]),
                0.7 * 0.6,
            ),
        ];
        for (sp, ap, want) in cases {
            let s = session(
                "s",
                Profile {
                    concepts: sp.clone(),
                    ..Default::default()
                },
                0,
            );
            let a = agent(Profile {
                concepts: ap.clone(),
                ..Default::default()
            });
            let got = affinity(&bead, &SessionView::new(&s, &a, &home), &config, true);
            assert!(
                (component(&got, "concept") - want).abs() < 1e-9,
                "{sp:?} {ap:?}: {:?}",
                got.components[0]
            );
        }
    }

    #[test]
    fn no_shared_concept_is_zero_not_minus_zero() {
        let config = ScoringConfig::default();
        let concepts = vec!["auth".to_string()];
        let bead = BeadFacts::new("b", None, &concepts, &[]);
        let home = home();
        let s = session(
            "s",
            Profile {
                concepts: weights(&[("db", 1.0)]),
                ..Default::default()
            },
            0,
        );
        let a = agent(Profile::default());
        let got = affinity(&bead, &SessionView::new(&s, &a, &home), &config, true);
        assert_eq!(
            got.components[0].why,
            "session shares none (0.00); agent has no history (0.5)"
        );
    }

    #[test]
    fn file_familiarity_table() {
        let config = ScoringConfig::default();
        let profile = Profile {
            files: weights(&[("src/auth/token.rs", 2.0), ("docs/guide.md", 1.0)]),
            ..Default::default()
        };
        let s = session("s", profile, 0);
        let a = agent(Profile::default());
        let home = home();
        let view = SessionView::new(&s, &a, &home);
        for (targets, want) in [
            (vec!["src/auth/token.rs"], 1.0),
            (vec!["src/auth/**"], 1.0),
            (vec!["src/**"], 1.0),
            (vec!["src/auth/session.rs"], 0.5),
            (vec!["docs/guide.md"], 0.5),
            (vec!["docs/other.md"], 0.25),
            (vec!["web/app.ts"], 0.0),
            (vec!["**/*.rs"], 0.0),
            (vec!["src/auth/token.rs", "web/app.ts"], 0.5),
        ] {
            let globs: Vec<Glob> = targets.iter().map(|t| Glob::new(t).unwrap()).collect();
            let bead = BeadFacts::new("b", None, &[], &globs);
            let got = affinity(&bead, &view, &config, true);
            assert!(
                (component(&got, "file") - want).abs() < 1e-9,
                "{targets:?}: {:?}",
                got.components[1]
            );
        }
    }

    #[test]
    fn workspace_epic_and_recency() {
        let config = ScoringConfig::default();
        let profile = Profile {
            events: 10,
            recent: vec![
                recent("x1", 5, Some("E"), &["db"], true),
                recent("x2", 10, Some("F"), &["auth"], false),
            ],
            ..Default::default()
        };
        let s = session("s", profile, 0);
        let a = agent(Profile::default());
        let home = home();
        let view = SessionView::new(&s, &a, &home);
        let concepts = vec!["auth".to_string()];
        let mut bead = BeadFacts::new("b", Some("E"), &concepts, &[]);
        let got = affinity(&bead, &view, &config, true);
        assert_eq!(component(&got, "workspace"), 1.0);
        // Sibling closed 5 events ago, half-life 5.
        assert!((component(&got, "epic") - 0.5).abs() < 1e-9);
        // x2 is the last bead and shares auth.
        assert_eq!(component(&got, "recency"), 1.0);
        // x2 is not closed: no epic affinity under F.
        bead.epic = Some("F");
        assert_eq!(
            component(&affinity(&bead, &view, &config, false), "epic"),
            0.0
        );
        // Recency over 10 beads: the db bead 5 events ago gives 0.5.
        let db = vec!["db".to_string()];
        let bead = BeadFacts::new("c", None, &db, &[]);
        assert!((component(&affinity(&bead, &view, &config, false), "recency") - 0.5).abs() < 1e-9);

        let elsewhere = Workspace {
            repo: "/repo".into(),
            branch: Some("feature".into()),
            path: None,
        };
        let mut bead = BeadFacts::new("d", None, &[], &[]);
        bead.workspace = Some(&elsewhere);
        assert_eq!(
            component(&affinity(&bead, &view, &config, false), "workspace"),
            0.5
        );
        let other = Workspace {
            repo: "/other".into(),
            ..elsewhere.clone()
        };
        bead.workspace = Some(&other);
        assert_eq!(
            component(&affinity(&bead, &view, &config, false), "workspace"),
            0.0
        );
    }

    #[test]
    fn explain_gives_one_line_per_component() {
        let config = ScoringConfig::default();
        let s = session("s", Profile::default(), 0);
        let a = agent(Profile::default());
        let home = home();
        let bead = BeadFacts::new("b", None, &[], &[]);
        let got = affinity(&bead, &SessionView::new(&s, &a, &home), &config, true);
        let lines = got.justification();
        assert_eq!(lines.len(), 6);
        assert!(
            lines.iter().all(|l| l.contains(": ") && !l.ends_with(": ")),
            "{lines:?}"
        );
        assert!(lines[0].starts_with("concept 0.50 (x0.25): "), "{lines:?}");
        let quiet = affinity(&bead, &SessionView::new(&s, &a, &home), &config, false);
        assert_eq!(quiet.value, got.value);
        assert!(quiet.components.iter().all(|c| c.why.is_empty()));
    }

    fn profile_strategy() -> impl Strategy<Value = Profile> {
        let names = prop::sample::select(vec![
            "auth",
            "db",
            "ui",
            "api",
            "src/a.rs",
            "src/b/**",
            "docs/x.md",
        ]);
        (
            prop::collection::btree_map(names.clone().prop_map(String::from), -5.0f64..100.0, 0..5),
            prop::collection::btree_map(names.prop_map(String::from), -5.0f64..100.0, 0..5),
            0u64..30,
            prop::collection::vec(
                (
                    0u64..30,
                    any::<bool>(),
                    prop::sample::select(vec!["E", "F"]),
                ),
                0..5,
            ),
        )
            .prop_map(|(concepts, files, events, ring)| Profile {
                concepts,
                files,
                events,
                updated_at: None,
                recent: ring
                    .into_iter()
                    .enumerate()
                    .map(|(i, (e, closed, epic))| {
                        recent(
                            &format!("r{i}"),
                            e,
                            Some(epic),
                            &["auth", "db"][..i % 3],
                            closed,
                        )
                    })
                    .collect(),
            })
    }

    proptest! {
        /// Whatever the profiles, telemetry and weights: in [0, 1], and so
        /// is every component.
        #[test]
        fn always_in_unit_interval(
            sp in profile_strategy(),
            ap in profile_strategy(),
            tokens in 0u64..5000,
            window in prop::option::of(0u64..3000),
            concepts in prop::collection::vec(prop::sample::select(vec!["auth", "db", "ui", "zz"]), 0..4),
            targets in prop::collection::vec(prop::sample::select(vec!["src/a.rs", "src/**", "docs/*.md", "**/x", "web/y.ts"]), 0..4),
            epic in prop::option::of(prop::sample::select(vec!["E", "F", "G"])),
            w in prop::collection::vec(0.0f64..3.0, 6),
        ) {
            let mut config = ScoringConfig::default();
            config.affinity.concept = w[0];
            config.affinity.file = w[1];
            config.affinity.workspace = w[2];
            config.affinity.epic = w[3];
            config.affinity.recency = w[4];
            config.affinity.headroom = w[5];
            let mut s = session("s", sp, tokens);
            s.telemetry.context_window = window;
            let a = agent(ap);
            let home = home();
            let concepts: Vec<String> = concepts.into_iter().map(String::from).collect();
            let globs: Vec<Glob> = targets.iter().map(|t| Glob::new(t).unwrap()).collect();
            let bead = BeadFacts::new("b", epic, &concepts, &globs);
            let got = affinity(&bead, &SessionView::new(&s, &a, &home), &config, true);
            prop_assert!((0.0..=1.0).contains(&got.value), "{got:?}");
            for c in &got.components {
                prop_assert!((0.0..=1.0).contains(&c.value), "{c:?}");
            }
        }
    }
}
