//! Selection: what one session should do next, as a pure function of a
//! frozen [`Input`] (beads and enrichment from the snapshot, the session
//! and its agent, the other live sessions and what they hold, claims,
//! conflict edges, config, `now`). No I/O, no clock: the same input always
//! gives the same answer, whatever the order of its lists.
//!
//! Every bead of bd's ready set goes through the gates in this order, each
//! adding one justification line:
//!
//! 1. dispatch status other than `ready` → excluded (the status names it);
//! 2. claimed by another session (an unexpired claim, or the bead in hand
//!    of another live session) → excluded (`claimed`);
//!    a packet for it in any agent's queue (ready, blocked, in progress,
//!    or done while the bead awaits its close) → excluded (`queued`),
//!    unless it is live and this session holds the bead's claim: the
//!    queue hands it to exactly one agent already;
//! 3. a hard conflict edge to a bead in progress in another session →
//!    excluded (`conflict`);
//! 4. capability fit ([`super::fit`]): a misfit is excluded in auto mode
//!    and only warned about in coach mode; an over-qualified agent while a
//!    cheaper one that fits is live → × `cost_demotion`;
//! 5. the session's runway shorter than the bead's size → × `runway_demotion`;
//! 6. outside the session's intent (`session focus`) → × its `demotion`;
//! 7. age in ready: + `age_bonus_per_day` per day since the bead became
//!    ready (created, or its last blocker closed), at most `age_bonus_cap`;
//!    fairness: a bead that an idle live session (holding nothing) fits
//!    better by `fairness_margin` affinity → × `fairness_demotion`. Fairness
//!    only lowers scores, so it is weighed lazily, for the best
//!    `fairness_top` candidates: the order stays exact at the top.
//!
//! Before the gates, score = `affinity_share` (0.7) × affinity + the rest ×
//! leverage. Candidates are sorted by score, ties by priority, then id.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap};

use jiff::Timestamp;
use serde::Serialize;

use super::affinity::{self, BeadFacts, SessionView};
use super::conflicts::Conflict;
use super::external;
use super::fit::{self, Needs};
use super::leverage::{self, Graph};
use super::ready::parse_time;
use super::{Map, Set};
use crate::model::enrichment::Size;
use crate::model::session::IntentScope;
use crate::model::{Agent, BeadHead, Claim, Config, Enrichment, Session, Workspace};

/// Auto mode dispatches (misfits are excluded); coach mode advises a
/// person (misfits are shown with a warning).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    #[default]
    Auto,
    Coach,
}

/// Another live session and its agent.
#[derive(Debug, Clone, Copy)]
pub struct Other<'a> {
    pub session: &'a Session,
    pub agent: &'a Agent,
}

/// Everything selection reads, frozen.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// Every bead (dependencies, epics and ages come from here).
    pub beads: &'a [BeadHead<'a>],
    /// bd's ready set.
    pub ready: &'a [&'a str],
    pub enrichment: &'a BTreeMap<String, Enrichment>,
    pub session: &'a Session,
    pub agent: &'a Agent,
    /// The other live sessions.
    pub others: &'a [Other<'a>],
    pub claims: &'a [Claim],
    /// Beads with a packet in a queue, by bead id.
    pub queued: &'a BTreeMap<String, Queued>,
    /// Conflict edges between ready beads and beads held elsewhere (soft
    /// edges are ignored).
    pub conflicts: &'a [Conflict],
    /// The repository and branch of the store's main worktree.
    pub home: &'a Workspace,
    /// The session's runway; `None`: unknown, not weighed.
    pub runway: Option<Size>,
    pub config: &'a Config,
    pub mode: Mode,
    pub now: Timestamp,
}

/// Where a bead's packet waits or is worked on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Queued {
    pub agent: String,
    pub packet: String,
    /// `ready`, `blocked`, `in_progress` or `done`.
    pub state: String,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Justify this many of the best candidates line by line (the rest get
    /// their scores only).
    pub explain: usize,
    /// Give every candidate its [`Candidate::reason`] (coach's grid).
    pub reasons: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Selection<'a> {
    /// Beads in bd's ready set.
    pub ready: usize,
    /// Best first.
    pub candidates: Vec<Candidate<'a>>,
    /// Sorted by id.
    pub excluded: Vec<Excluded<'a>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate<'a> {
    pub id: &'a str,
    pub priority: u8,
    pub score: f64,
    pub affinity: f64,
    pub leverage: f64,
    /// One line per score component and gate (empty past `explain`).
    pub justification: Vec<String>,
    /// With [`Options::reasons`], the one thing that says most about the
    /// score: a capability warning (coach mode), else the strongest
    /// demotion, else the component that lifts it most above neutral
    /// (`concept 0.90`, `leverage 0.63`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Excluded<'a> {
    pub id: &'a str,
    /// The why-not key: `claimed`, `queued`, `conflict`, a dispatch
    /// status, a misfit.
    pub reason: &'static str,
    /// The gate's line.
    pub why: String,
}

impl Selection<'_> {
    /// Excluded beads per reason.
    pub fn excluded_counts(&self) -> BTreeMap<&'static str, usize> {
        let mut out = BTreeMap::new();
        for e in &self.excluded {
            *out.entry(e.reason).or_default() += 1;
        }
        out
    }

    /// `0/12 eligible: 5 claimed, 4 awaiting-design, 3 conflict` (most
    /// frequent reason first).
    pub fn why_not(&self) -> String {
        let mut counts: Vec<(&str, usize)> = self.excluded_counts().into_iter().collect();
        counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let head = format!("{}/{} eligible", self.candidates.len(), self.ready);
        if counts.is_empty() {
            return head;
        }
        let parts: Vec<String> = counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
        format!("{head}: {}", parts.join(", "))
    }
}

/// The input, indexed once.
struct Prepared<'a> {
    input: &'a Input<'a>,
    by_id: Map<&'a str, &'a BeadHead<'a>>,
    claims: Map<&'a str, &'a Claim>,
    /// Beads held by another session → that session.
    held: Map<&'a str, &'a str>,
    /// Ready bead → the held beads it has a hard edge to.
    conflicts: Map<&'a str, Vec<(&'a str, &'a Conflict)>>,
    graph: Graph<'a>,
    view: SessionView<'a>,
    /// Idle other live sessions, by id.
    idle: Vec<SessionView<'a>>,
    /// Agents of the other live sessions.
    live_agents: Vec<&'a Agent>,
    /// Epic → the workspace its parts are worked in.
    epic_workspace: Map<&'a str, &'a Workspace>,
    intent: Intent<'a>,
    /// Build each candidate's reason ([`Options::reasons`]).
    reasons: bool,
}

enum Intent<'a> {
    None,
    Invalid(String),
    Epic(&'a str),
    Label(&'a str),
    Regex(regex::Regex, &'a str),
}

fn expired(claim: &Claim, now: Timestamp) -> bool {
    parse_time(Some(&claim.lease_until)).is_some_and(|t| t <= now)
}

/// The beads held by sessions other than `me` (unexpired claims, and what
/// the other live sessions have in hand), each with its holder (the
/// smallest session id if several).
pub fn held<'a>(
    me: &str,
    claims: &'a [Claim],
    others: &[Other<'a>],
    now: Timestamp,
) -> Map<&'a str, &'a str> {
    let mut held: Map<&str, &str> = Map::default();
    let mut hold = |bead: &'a str, session: &'a str| {
        let slot = held.entry(bead).or_insert(session);
        if session < *slot {
            *slot = session;
        }
    };
    for c in claims {
        if c.session != me && !expired(c, now) {
            hold(&c.bead, &c.session);
        }
    }
    for o in others.iter().filter(|o| o.session.id != me) {
        if let Some(bead) = &o.session.telemetry.bead {
            hold(bead, &o.session.id);
        }
    }
    held
}

impl<'a> Prepared<'a> {
    fn new(input: &'a Input<'a>) -> Prepared<'a> {
        let me = input.session.id.as_str();
        let by_id: Map<&str, &BeadHead> = input.beads.iter().map(|b| (b.id, b)).collect();
        let claims: Map<&str, &Claim> = input.claims.iter().map(|c| (c.bead.as_str(), c)).collect();
        let held = held(me, input.claims, input.others, input.now);
        let mut others: Vec<&Other> = input.others.iter().filter(|o| o.session.id != me).collect();
        others.sort_by(|a, b| a.session.id.cmp(&b.session.id));
        let mut conflicts: Map<&str, Vec<(&str, &Conflict)>> = Map::default();
        for c in input.conflicts.iter().filter(|c| c.kind.is_hard()) {
            if held.contains_key(c.a.as_str()) {
                conflicts.entry(&c.b).or_default().push((&c.a, c));
            }
            if held.contains_key(c.b.as_str()) {
                conflicts.entry(&c.a).or_default().push((&c.b, c));
            }
        }
        for list in conflicts.values_mut() {
            list.sort_by(|x, y| x.0.cmp(y.0).then(x.1.cmp(y.1)));
        }
        let holding: Set<&str> = held.values().copied().collect();
        let idle = others
            .iter()
            .filter(|o| !holding.contains(o.session.id.as_str()))
            .map(|o| SessionView::new(o.session, o.agent, input.home))
            .collect();
        // Each agent once (many sessions share one), by name.
        let mut live_agents: Vec<&Agent> = others.iter().map(|o| o.agent).collect();
        live_agents.sort_by(|a, b| a.name.cmp(&b.name));
        live_agents.dedup_by(|a, b| a.name == b.name);
        let intent = match input.session.intent.as_ref().map(|i| &i.scope) {
            None => Intent::None,
            Some(IntentScope::Epic(e)) => Intent::Epic(e),
            Some(IntentScope::Label(l)) => Intent::Label(l),
            Some(IntentScope::Regex(r)) => match regex::Regex::new(r) {
                Ok(re) => Intent::Regex(re, r),
                Err(e) => Intent::Invalid(format!("regex {r:?} is invalid ({e})")),
            },
        };
        let mut p = Prepared {
            input,
            by_id,
            claims,
            held,
            conflicts,
            graph: Graph::new(input.beads),
            view: SessionView::new(input.session, input.agent, input.home),
            idle,
            live_agents,
            epic_workspace: Map::default(),
            intent,
            reasons: false,
        };
        p.epic_workspace = p.epic_workspaces(&others);
        p
    }

    /// Where each epic's parts are worked: this session's workspace if it
    /// has one in hand or in its recent beads; else that of the first
    /// other session (by id) holding a part; else the first with one in
    /// its recent beads.
    fn epic_workspaces(&self, others: &[&'a Other<'a>]) -> Map<&'a str, &'a Workspace> {
        let epic_of = |bead: &str| self.by_id.get(bead).and_then(|b| b.parent_ids().next());
        let mut out: Map<&str, &Workspace> = Map::default();
        let me = self.input.session;
        let mine = me
            .telemetry
            .bead
            .as_deref()
            .and_then(epic_of)
            .into_iter()
            .chain(me.profile.recent.iter().filter_map(|r| r.epic.as_deref()));
        for e in mine {
            out.entry(e).or_insert(&me.workspace);
        }
        let mut held: Vec<(&str, &str)> = self.held.iter().map(|(b, s)| (*s, *b)).collect();
        held.sort_unstable();
        for (session, bead) in held {
            if let Some(e) = epic_of(bead)
                && let Some(o) = others.iter().find(|o| o.session.id == session)
            {
                out.entry(e).or_insert(&o.session.workspace);
            }
        }
        for o in others {
            for e in o
                .session
                .profile
                .recent
                .iter()
                .filter_map(|r| r.epic.as_deref())
            {
                out.entry(e).or_insert(&o.session.workspace);
            }
        }
        out
    }

    fn facts(&self, bead: &'a BeadHead<'a>) -> BeadFacts<'a> {
        let e = self.input.enrichment.get(bead.id);
        let epic = bead.parent_ids().next();
        let mut facts = BeadFacts::new(
            bead.id,
            epic,
            e.map(|e| e.concept_names()).unwrap_or_default(),
            e.map(|e| e.target_globs()).unwrap_or_default(),
        );
        facts.workspace = epic.and_then(|e| self.epic_workspace.get(e).copied());
        facts
    }

    fn in_intent(&self, bead: &BeadHead<'_>) -> Option<bool> {
        match &self.intent {
            Intent::None | Intent::Invalid(_) => None,
            Intent::Label(l) => Some(bead.labels.contains(l)),
            Intent::Regex(re, _) => Some(re.is_match(bead.title)),
            Intent::Epic(e) => {
                let mut seen: Vec<&str> = Vec::new();
                let mut stack = vec![bead.id];
                while let Some(id) = stack.pop() {
                    if id == *e {
                        return Some(true);
                    }
                    if seen.contains(&id) || seen.len() > 64 {
                        continue;
                    }
                    seen.push(id);
                    if let Some(b) = self.by_id.get(id) {
                        stack.extend(b.parent_ids());
                    }
                }
                Some(false)
            }
        }
    }

    /// When the bead became ready: created, or its last blocker closed.
    fn ready_since(&self, bead: &BeadHead<'_>) -> Option<Timestamp> {
        let created = parse_time(bead.created_at)?;
        let closed = bead
            .dependencies
            .iter()
            .filter(|d| external::blocks(d.dep_type))
            .filter_map(|d| self.by_id.get(d.depends_on_id))
            .filter(|t| t.is_done())
            .filter_map(|t| parse_time(t.closed_at))
            .max();
        Some(closed.map_or(created, |c| c.max(created)))
    }
}

/// A bead that passed the hard gates.
struct Scored<'a> {
    bead: &'a BeadHead<'a>,
    affinity: f64,
    leverage: f64,
    score: f64,
    lines: Vec<String>,
    reason: Reason,
}

/// A candidate's headline ([`Candidate::reason`]) and how strongly it
/// speaks: a warning first, then the lowest demotion factor, then a lift.
#[derive(Debug, Clone, Default)]
struct Reason {
    text: String,
    rank: f64,
}

impl Reason {
    const WARNING: f64 = -1.0;
    const LIFT: f64 = 2.0;

    /// Keep the stronger of the two.
    fn keep(&mut self, rank: f64, text: impl FnOnce() -> String) {
        if self.text.is_empty() || rank < self.rank {
            *self = Reason { text: text(), rank };
        }
    }
}

/// What lifts a score most above neutral, in final-score units: the
/// affinity components about the bead (concept and file above their
/// neutral 0.5; epic, recency) and leverage. Workspace and headroom say
/// more about the session than the bead, so they are left out.
fn lift(aff: &affinity::Affinity, leverage: f64, share: f64) -> String {
    let total: f64 = aff.components.iter().map(|c| c.weight.max(0.0)).sum();
    let mut best: Option<(f64, String)> = None;
    let mut consider = |gain: f64, text: String| {
        if gain > 1e-9 && best.as_ref().is_none_or(|(g, _)| gain > *g) {
            best = Some((gain, text));
        }
    };
    for c in &aff.components {
        let neutral = match c.name {
            "concept" | "file" => 0.5,
            "epic" | "recency" => 0.0,
            _ => continue,
        };
        if total > 0.0 {
            let gain = share * c.weight.max(0.0) / total * (c.value - neutral);
            consider(gain, format!("{} {:.2}", c.name, c.value));
        }
    }
    consider((1.0 - share) * leverage, format!("leverage {leverage:.2}"));
    best.map_or_else(|| "neutral: no history with it".into(), |(_, text)| text)
}

enum Outcome<'a> {
    Excluded(Excluded<'a>),
    Scored(Scored<'a>),
}

/// Add a justification line when explaining.
fn note(lines: &mut Vec<String>, explain: bool, line: impl FnOnce() -> String) {
    if explain {
        lines.push(line());
    }
}

fn exclude<'a>(bead: &BeadHead<'a>, reason: &'static str, why: String) -> Outcome<'a> {
    Outcome::Excluded(Excluded {
        id: bead.id,
        reason,
        why,
    })
}

/// One bead through the gates; `explain` builds the lines.
fn evaluate<'a>(p: &Prepared<'a>, bead: &'a BeadHead<'a>, explain: bool) -> Outcome<'a> {
    let input = p.input;
    let config = input.config;
    let me = input.session.id.as_str();
    let enrichment = input.enrichment.get(bead.id);
    let mut lines: Vec<String> = Vec::new();

    // 1. Dispatch status.
    let status = enrichment.map(|e| e.status()).unwrap_or_default();
    if status != Default::default() {
        let source = enrichment
            .and_then(|e| e.dispatch_status.as_ref())
            .map(|s| s.source.to_string())
            .unwrap_or_default();
        return exclude(
            bead,
            status.as_str(),
            format!("dispatch: {status} (set by {source})"),
        );
    }

    // 2. Claims.
    if let Some(session) = p.held.get(bead.id) {
        let why = match p.claims.get(bead.id).filter(|c| c.session == *session) {
            Some(c) => format!(
                "claimed by {session} (agent {}) until {}",
                c.agent, c.lease_until
            ),
            None => format!("claimed: in progress in {session}"),
        };
        return exclude(bead, "claimed", why);
    }
    // A live packet of this session's own claim is its work in hand; a
    // done one is finished, whoever holds the claim.
    if let Some(q) = input.queued.get(bead.id)
        && (q.state == "done" || p.claims.get(bead.id).is_none_or(|c| c.session != me))
    {
        let why = match q.state.as_str() {
            "done" => format!(
                "queued: packet {} in {}'s queue is done; the bead awaits its close (or enqueue it again)",
                q.packet, q.agent
            ),
            state => format!(
                "queued: packet {} in {}'s queue ({state})",
                q.packet, q.agent
            ),
        };
        return exclude(bead, "queued", why);
    }

    // 3. Conflicts with work in progress elsewhere.
    if let Some(&(other, c)) = p.conflicts.get(bead.id).and_then(|l| l.first()) {
        let why = format!(
            "conflict: {} with {other}, in progress in {} ({})",
            c.kind, p.held[other], c.reason
        );
        return exclude(bead, "conflict", why);
    }

    // Scores.
    let facts = p.facts(bead);
    let aff = affinity::affinity(&facts, &p.view, &config.scoring, explain);
    let lev = leverage::leverage(&p.graph, bead.id, config.scoring.leverage_k);
    let share = config.scoring.affinity_share;
    let base = share * aff.value + (1.0 - share) * lev.value;
    note(&mut lines, explain, || {
        format!(
            "score {base:.3} = {} x affinity {:.2} + {} x leverage {:.2}",
            num(share),
            aff.value,
            num(1.0 - share),
            lev.value
        )
    });
    if explain {
        lines.extend(aff.justification());
        lines.push(lev.justification());
    }
    note(&mut lines, explain, || "dispatch: ready".into());
    note(&mut lines, explain, || match p.claims.get(bead.id) {
        Some(c) if c.session == me => "claim: held by this session".into(),
        Some(c) => format!(
            "claim: {}'s lease ended {}; it may be taken over",
            c.session, c.lease_until
        ),
        None => "claim: unclaimed".into(),
    });
    note(&mut lines, explain, || {
        "conflicts: none with work in progress elsewhere".into()
    });

    // 4. Capability fit.
    let needs = Needs::of(bead, enrichment);
    let misfits = fit::misfits(&needs, input.agent);
    let mut factor = 1.0;
    let mut reason = Reason::default();
    let reasons = p.reasons;
    if let Some(first) = misfits.first() {
        if input.mode == Mode::Auto {
            return exclude(bead, first.key(), format!("fit: {first}"));
        }
        if reasons {
            reason.keep(Reason::WARNING, || format!("warning: {first}"));
        }
        let all: Vec<String> = misfits.iter().map(|m| m.to_string()).collect();
        note(&mut lines, explain, || {
            format!("fit: warning: {}", all.join("; "))
        });
    } else {
        note(&mut lines, explain, || {
            let assumed = if needs.band_known {
                ""
            } else {
                " (assumed: not estimated)"
            };
            format!(
                "fit: {}{assumed} work within max band {}",
                needs.band, input.agent.max_band
            )
        });
    }
    if fit::over_qualified(&needs, input.agent)
        && let Some(cheaper) = fit::cheaper_fit(&needs, input.agent, p.live_agents.iter().copied())
    {
        factor *= config.selection.cost_demotion;
        if reasons {
            reason.keep(config.selection.cost_demotion, || {
                format!(
                    "cost: {} is live: x{}",
                    cheaper.name, config.selection.cost_demotion
                )
            });
        }
        note(&mut lines, explain, || {
            format!(
                "cost: {} agent with max band {} for {} work while {} ({}) is live: x{}",
                input.agent.cost_tier,
                input.agent.max_band,
                needs.band,
                cheaper.name,
                cheaper.cost_tier,
                config.selection.cost_demotion
            )
        });
    }

    // 5. Runway.
    let size = enrichment
        .and_then(|e| e.estimated_size.as_ref())
        .map(|s| s.value);
    let need = size.unwrap_or_default();
    match input.runway {
        Some(r) if r < need => {
            factor *= config.selection.runway_demotion;
            if reasons {
                reason.keep(config.selection.runway_demotion, || {
                    format!(
                        "runway: {r} < {need}: x{}",
                        config.selection.runway_demotion
                    )
                });
            }
            note(&mut lines, explain, || {
                format!(
                    "runway: {r} is short of {need} work: x{}",
                    config.selection.runway_demotion
                )
            });
        }
        Some(r) => note(&mut lines, explain, || {
            format!("runway: {r} covers {need} work")
        }),
        None => note(&mut lines, explain, || {
            "runway: unknown, not weighed".into()
        }),
    }

    // 6. Intent.
    let intent = input.session.intent.as_ref();
    match (p.in_intent(bead), intent) {
        (Some(false), Some(i)) => {
            let d = i.demotion.clamp(0.0, 1.0);
            factor *= d;
            if reasons {
                reason.keep(d, || format!("intent: outside the focus: x{d}"));
            }
            note(&mut lines, explain, || {
                format!("intent: outside the focus ({}): x{d}", scope(&p.intent))
            });
        }
        (Some(true), _) => note(&mut lines, explain, || {
            format!("intent: inside the focus ({})", scope(&p.intent))
        }),
        _ => note(&mut lines, explain, || match &p.intent {
            Intent::Invalid(e) => format!("intent: {e}; not applied"),
            _ => "intent: no focus set".into(),
        }),
    }

    // 7. Age in ready (fairness is weighed while ranking).
    let sel = &config.selection;
    let days = p
        .ready_since(bead)
        .map(|t| (input.now.as_second() - t.as_second()).max(0) as f64 / 86_400.0);
    let bonus = days.map_or(0.0, |d| (d * sel.age_bonus_per_day).min(sel.age_bonus_cap));
    note(&mut lines, explain, || match days {
        Some(d) => format!("age: ready for {d:.1} days: +{bonus:.3}"),
        None => "age: unknown (no created_at): +0".into(),
    });
    if reasons {
        reason.keep(Reason::LIFT, || lift(&aff, lev.value, share));
    }
    Outcome::Scored(Scored {
        bead,
        affinity: aff.value,
        leverage: lev.value,
        score: base * factor + bonus,
        lines,
        reason,
    })
}

/// A config number as people write it: `0.3`, not `0.30000000000000004`.
fn num(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

fn scope(intent: &Intent<'_>) -> String {
    match intent {
        Intent::Epic(e) => format!("epic {e}"),
        Intent::Label(l) => format!("label {l}"),
        Intent::Regex(_, r) => format!("title matches {r:?}"),
        Intent::None | Intent::Invalid(_) => String::new(),
    }
}

/// Fairness for one candidate: the factor and its line.
fn fairness(p: &Prepared<'_>, bead: &BeadHead<'_>, mine: f64) -> (f64, String) {
    let config = p.input.config;
    let needs = Needs::of(bead, p.input.enrichment.get(bead.id));
    let facts = p.facts(p.by_id[bead.id]);
    let best = p
        .idle
        .iter()
        .filter(|v| fit::fits(&needs, v.agent))
        .map(|v| {
            let a = affinity::affinity(&facts, v, &config.scoring, false).value;
            (a, v.session.id.as_str())
        })
        .max_by(|x, y| x.0.total_cmp(&y.0).then(y.1.cmp(x.1)));
    let sel = &config.selection;
    match best {
        Some((a, id)) if a - mine >= sel.fairness_margin => (
            sel.fairness_demotion,
            format!(
                "fairness: idle {id} fits better (affinity {a:.2} vs {mine:.2}): x{}",
                sel.fairness_demotion
            ),
        ),
        Some((a, id)) => (
            1.0,
            format!("fairness: no idle session fits clearly better (best {id}, {a:.2})"),
        ),
        None => (1.0, "fairness: no idle session that fits".into()),
    }
}

/// A candidate in the ranking heap: best score, then priority, then id.
struct Ranked {
    score: f64,
    priority: u8,
    index: usize,
    id_rank: usize,
    checked: bool,
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Ranked) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Ranked {}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Ranked) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ranked {
    fn cmp(&self, other: &Ranked) -> Ordering {
        self.score
            .total_cmp(&other.score)
            .then(other.priority.cmp(&self.priority))
            .then(other.id_rank.cmp(&self.id_rank))
    }
}

/// The session's affinity for one bead as selection computes it (the
/// bead's workspace is where its epic is worked), explained; `None` when
/// the bead is not in the input.
pub fn explain_affinity(input: &Input<'_>, id: &str) -> Option<affinity::Affinity> {
    let p = Prepared::new(input);
    let bead = p.by_id.get(id)?;
    Some(affinity::affinity(
        &p.facts(bead),
        &p.view,
        &input.config.scoring,
        true,
    ))
}

pub fn select<'a>(input: &'a Input<'a>, options: &Options) -> Selection<'a> {
    let mut p = Prepared::new(input);
    p.reasons = options.reasons;
    let mut ready: Vec<&str> = input.ready.to_vec();
    ready.sort_unstable();
    ready.dedup();
    let mut scored: Vec<Scored> = Vec::new();
    let mut excluded: Vec<Excluded> = Vec::new();
    for id in &ready {
        let Some(bead) = p.by_id.get(id) else {
            excluded.push(Excluded {
                id,
                reason: "missing",
                why: format!("{id} is not in the store"),
            });
            continue;
        };
        match evaluate(&p, bead, false) {
            Outcome::Excluded(e) => excluded.push(e),
            Outcome::Scored(s) => scored.push(s),
        }
    }
    // `scored` is in id order: its index ranks ids.
    let mut heap: BinaryHeap<Ranked> = scored
        .iter()
        .enumerate()
        .map(|(i, s)| Ranked {
            score: s.score,
            priority: s.bead.priority,
            index: i,
            id_rank: i,
            checked: false,
        })
        .collect();
    let mut fairness_lines: Map<usize, String> = Map::default();
    let mut checks = 0;
    let mut order: Vec<Ranked> = Vec::with_capacity(heap.len());
    while let Some(mut r) = heap.pop() {
        if !r.checked && checks < input.config.selection.fairness_top && !p.idle.is_empty() {
            checks += 1;
            let s = &mut scored[r.index];
            let (factor, line) = fairness(&p, s.bead, s.affinity);
            if p.reasons && factor < 1.0 {
                s.reason.keep(factor, || match line.split_once(" (") {
                    Some((head, _)) => format!("{head}: x{factor}"),
                    None => line.clone(),
                });
            }
            r.score *= factor;
            r.checked = true;
            fairness_lines.insert(r.index, line);
            heap.push(r);
            continue;
        }
        order.push(r);
    }
    let candidates = order
        .iter()
        .enumerate()
        .map(|(rank, r)| {
            let s = &scored[r.index];
            let mut justification = Vec::new();
            if rank < options.explain {
                if let Outcome::Scored(full) = evaluate(&p, s.bead, true) {
                    justification = full.lines;
                }
                justification.push(match fairness_lines.get(&r.index) {
                    Some(line) => line.clone(),
                    None if p.idle.is_empty() => "fairness: no other idle live session".into(),
                    None => format!(
                        "fairness: not weighed (below the best {})",
                        input.config.selection.fairness_top
                    ),
                });
                justification.push(format!("final score {:.3}", r.score));
            }
            Candidate {
                id: s.bead.id,
                priority: s.bead.priority,
                score: r.score,
                affinity: s.affinity,
                leverage: s.leverage,
                justification,
                reason: s.reason.text.clone(),
            }
        })
        .collect();
    Selection {
        ready: ready.len(),
        candidates,
        excluded,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::enrichment::{DispatchStatus, Glob, Source, Stamped};
    use crate::model::profile::{Profile, ProfileSource, RecentBead};
    use crate::model::session::{Intent as SessionIntent, Telemetry};
    use crate::model::{Band, Bead, CostTier, Dependency};
    use crate::plan::conflicts::EdgeKind;
    use proptest::prelude::*;

    const NOW: &str = "2026-11-23T12:00:00Z";

    fn stamp<T>(value: T) -> Option<Stamped<T>> {
        Some(Stamped {
            value,
            source: Source::Operator,
            updated_at: None,
        })
    }

    fn session(id: &str, agent: &str) -> Session {
        Session {
            id: id.into(),
            agent: agent.into(),
            status: Default::default(),
            workspace: Workspace {
                repo: "/repo".into(),
                branch: Some("main".into()),
                path: None,
            },
            started_at: NOW.into(),
            ended_at: None,
            parent: None,
            telemetry: Telemetry {
                context_window: Some(1000),
                ..Default::default()
            },
            profile: Profile::default(),
            intent: None,
        }
    }

    fn agent(name: &str, max: Band, tier: CostTier) -> Agent {
        Agent {
            name: name.into(),
            roles: vec![],
            max_band: max,
            cost_tier: tier,
            tools: vec![],
            model: None,
            context_window: None,
            created_at: NOW.into(),
            profile: Profile::default(),
        }
    }

    fn claim(bead: &str, session: &str, until: &str) -> Claim {
        Claim {
            bead: bead.into(),
            session: session.into(),
            agent: "bob".into(),
            claimed_at: NOW.into(),
            lease_until: until.into(),
            remote: None,
        }
    }

    fn conflict(a: &str, b: &str, kind: EdgeKind) -> Conflict {
        let (a, b) = if a < b { (a, b) } else { (b, a) };
        Conflict {
            a: a.into(),
            b: b.into(),
            kind,
            reason: "`src/x.rs` and `src/x.rs`".into(),
        }
    }

    /// A frozen world to select in: owned, so tests can edit it.
    #[derive(Debug, Clone)]
    struct World {
        beads: Vec<Bead>,
        ready: Vec<String>,
        enrichment: BTreeMap<String, Enrichment>,
        me: Session,
        agent: Agent,
        others: Vec<(Session, Agent)>,
        claims: Vec<Claim>,
        queued: BTreeMap<String, Queued>,
        conflicts: Vec<Conflict>,
        runway: Option<Size>,
        config: Config,
        mode: Mode,
        /// Ask for each candidate's reason.
        reasons: bool,
    }

    impl World {
        fn new(ids: &[&str]) -> World {
            World {
                beads: ids
                    .iter()
                    .map(|id| {
                        let mut b = Bead::new(*id, *id);
                        b.created_at = Some(NOW.into());
                        b
                    })
                    .collect(),
                ready: ids.iter().map(|s| s.to_string()).collect(),
                enrichment: BTreeMap::new(),
                me: session("s-me", "alice"),
                agent: agent("alice", Band::Skilled, CostTier::Standard),
                others: vec![],
                claims: vec![],
                queued: BTreeMap::new(),
                conflicts: vec![],
                runway: None,
                config: Config::default(),
                mode: Mode::Auto,
                reasons: false,
            }
        }

        fn bead(&mut self, id: &str) -> &mut Bead {
            self.beads.iter_mut().find(|b| b.id == id).unwrap()
        }

        fn enrich(&mut self, id: &str) -> &mut Enrichment {
            self.enrichment.entry(id.into()).or_default()
        }

        fn other(&mut self, id: &str, a: Agent) -> &mut Session {
            self.others.push((session(id, &a.name), a));
            &mut self.others.last_mut().unwrap().0
        }

        fn run(&self, explain: usize) -> Selected {
            let heads: Vec<BeadHead> = self.beads.iter().map(BeadHead::from).collect();
            let ready: Vec<&str> = self.ready.iter().map(String::as_str).collect();
            let others: Vec<Other> = self
                .others
                .iter()
                .map(|(session, agent)| Other { session, agent })
                .collect();
            let home = Workspace {
                repo: "/repo".into(),
                branch: Some("main".into()),
                path: None,
            };
            let input = Input {
                beads: &heads,
                ready: &ready,
                enrichment: &self.enrichment,
                session: &self.me,
                agent: &self.agent,
                others: &others,
                claims: &self.claims,
                queued: &self.queued,
                conflicts: &self.conflicts,
                home: &home,
                runway: self.runway,
                config: &self.config,
                mode: self.mode,
                now: NOW.parse().unwrap(),
            };
            let options = Options {
                explain,
                reasons: self.reasons,
            };
            let s = select(&input, &options);
            Selected {
                why_not: s.why_not(),
                headlines: s
                    .candidates
                    .iter()
                    .map(|c| (c.id.to_string(), c.reason.clone()))
                    .collect(),
                candidates: s
                    .candidates
                    .iter()
                    .map(|c| (c.id.to_string(), c.score, c.justification.clone()))
                    .collect(),
                excluded: s
                    .excluded
                    .iter()
                    .map(|e| (e.id.to_string(), e.reason.to_string(), e.why.clone()))
                    .collect(),
            }
        }
    }

    /// A selection with owned strings.
    #[derive(Debug, Clone, PartialEq)]
    struct Selected {
        why_not: String,
        /// Each candidate's reason (empty unless asked for).
        headlines: Vec<(String, String)>,
        candidates: Vec<(String, f64, Vec<String>)>,
        excluded: Vec<(String, String, String)>,
    }

    impl Selected {
        fn ids(&self) -> Vec<&str> {
            self.candidates.iter().map(|c| c.0.as_str()).collect()
        }

        fn reason(&self, id: &str) -> Option<&str> {
            self.excluded
                .iter()
                .find(|e| e.0 == id)
                .map(|e| e.1.as_str())
        }

        fn score(&self, id: &str) -> f64 {
            self.candidates.iter().find(|c| c.0 == id).unwrap().1
        }

        fn lines(&self, id: &str) -> &[String] {
            &self.candidates.iter().find(|c| c.0 == id).unwrap().2
        }
    }

    #[test]
    fn queued_beads_are_left_out_unless_this_session_claimed_them() {
        let mut w = World::new(&["a-queued", "b-mine", "c-free", "d-theirs", "e-done"]);
        let queued = |agent: &str, packet: &str, state: &str| Queued {
            agent: agent.into(),
            packet: packet.into(),
            state: state.into(),
        };
        w.queued
            .insert("a-queued".into(), queued("bob", "pk-1", "ready"));
        w.queued
            .insert("b-mine".into(), queued("alice", "pk-2", "in_progress"));
        w.queued
            .insert("d-theirs".into(), queued("bob", "pk-3", "blocked"));
        w.claims
            .push(claim("b-mine", "s-me", "2026-11-24T00:00:00Z"));
        // Finished by this session: never again, its claim or not.
        w.queued
            .insert("e-done".into(), queued("alice", "pk-4", "done"));
        w.claims
            .push(claim("e-done", "s-me", "2026-11-24T00:00:00Z"));
        w.other("s-bob", agent("bob", Band::Skilled, CostTier::Standard));
        w.claims
            .push(claim("d-theirs", "s-bob", "2026-11-24T00:00:00Z"));
        let got = w.run(5);
        assert_eq!(got.reason("a-queued"), Some("queued"));
        assert_eq!(got.reason("e-done"), Some("queued"));
        // Another session's claim is the first gate that names it.
        assert_eq!(got.reason("d-theirs"), Some("claimed"));
        let mut ids = got.ids();
        ids.sort();
        assert_eq!(ids, ["b-mine", "c-free"]);
        let why: Vec<&str> = got.excluded.iter().map(|e| e.2.as_str()).collect();
        assert_eq!(
            why,
            [
                "queued: packet pk-1 in bob's queue (ready)",
                "claimed by s-bob (agent bob) until 2026-11-24T00:00:00Z",
                "queued: packet pk-4 in alice's queue is done; the bead awaits its close (or enqueue it again)",
            ]
        );
    }

    #[test]
    fn gates_apply_in_order() {
        // Each bead fails every gate from its own on: the first one names it.
        let mut w = World::new(&["a-status", "b-claimed", "c-conflict", "d-fit", "e-ok"]);
        w.agent.tools = vec![];
        let bob = w.other("s-bob", agent("bob", Band::Expert, CostTier::Standard));
        bob.telemetry.bead = Some("held".into());
        w.beads.push(Bead::new("held", "held"));
        for id in ["a-status", "b-claimed", "c-conflict", "d-fit"] {
            w.bead(id).labels.push("tool:docker".into());
        }
        w.enrich("a-status").dispatch_status = stamp(DispatchStatus::AwaitingDesign);
        for id in ["a-status", "b-claimed"] {
            w.claims.push(claim(id, "s-bob", "2026-11-24T00:00:00Z"));
        }
        for id in ["a-status", "b-claimed", "c-conflict"] {
            w.conflicts.push(conflict(id, "held", EdgeKind::Target));
        }
        let got = w.run(5);
        assert_eq!(got.reason("a-status"), Some("awaiting-design"));
        assert_eq!(got.reason("b-claimed"), Some("claimed"));
        assert_eq!(got.reason("c-conflict"), Some("conflict"));
        assert_eq!(got.reason("d-fit"), Some("missing-tool"));
        assert_eq!(got.ids(), ["e-ok"]);
        assert_eq!(
            got.why_not,
            "1/5 eligible: 1 awaiting-design, 1 claimed, 1 conflict, 1 missing-tool"
        );
        let why: Vec<&str> = got.excluded.iter().map(|e| e.2.as_str()).collect();
        assert_eq!(
            why,
            [
                "dispatch: awaiting-design (set by operator)",
                "claimed by s-bob (agent bob) until 2026-11-24T00:00:00Z",
                "conflict: target with held, in progress in s-bob (`src/x.rs` and `src/x.rs`)",
                "fit: needs docker (the agent lacks it)",
            ]
        );
        // The candidate's lines follow the gates in order, one each.
        let lines = got.lines("e-ok");
        let gates: Vec<&str> = lines
            .iter()
            .filter_map(|l| l.split([':', ' ']).next())
            .filter(|g| {
                [
                    "dispatch",
                    "claim",
                    "conflicts",
                    "fit",
                    "runway",
                    "intent",
                    "age",
                    "fairness",
                ]
                .contains(g)
            })
            .collect();
        assert_eq!(
            gates,
            [
                "dispatch",
                "claim",
                "conflicts",
                "fit",
                "runway",
                "intent",
                "age",
                "fairness"
            ],
            "{lines:#?}"
        );
        assert!(lines[0].starts_with("score "), "{lines:#?}");
        assert!(lines.last().unwrap().starts_with("final score "));
        // 1 base + 6 affinity + 1 leverage + 8 gates + final.
        assert_eq!(lines.len(), 17, "{lines:#?}");
    }

    #[test]
    fn reasons_name_a_warning_then_a_demotion_then_a_lift() {
        let ids = ["hard", "unfocused", "warm", "lev", "dep", "plain"];
        let mut w = World::new(&ids);
        w.ready.retain(|r| r != "dep");
        w.bead("dep").dependencies = vec![Dependency::new("lev", "blocks")];
        w.enrich("hard").complexity = stamp(Band::Expert);
        w.enrich("warm").concepts = stamp(vec!["auth".to_string()]);
        w.me.profile.concepts = BTreeMap::from([("auth".to_string(), 1.0)]);
        for id in ids.iter().filter(|id| **id != "unfocused") {
            w.bead(id).labels.push("ui".into());
        }
        w.me.intent = Some(SessionIntent {
            scope: IntentScope::Label("ui".into()),
            rationale: String::new(),
            demotion: 0.4,
            set_at: NOW.into(),
        });
        w.mode = Mode::Coach;
        assert!(w.run(0).headlines.iter().all(|(_, r)| r.is_empty()));
        w.reasons = true;
        let got = w.run(0);
        let reason = |id: &str| {
            got.headlines
                .iter()
                .find(|(b, _)| b == id)
                .map(|(_, r)| r.clone())
                .unwrap()
        };
        assert_eq!(
            reason("hard"),
            "warning: expert work is above the agent's max band skilled"
        );
        assert_eq!(reason("unfocused"), "intent: outside the focus: x0.4");
        assert!(reason("warm").starts_with("concept 0."), "{got:#?}");
        assert_eq!(reason("lev"), "leverage 0.63");
        assert_eq!(reason("plain"), "neutral: no history with it");
    }

    #[test]
    fn coach_mode_warns_instead_of_excluding() {
        let mut w = World::new(&["hard"]);
        w.enrich("hard").complexity = stamp(Band::Expert);
        assert_eq!(w.run(1).reason("hard"), Some("under-qualified"));
        w.mode = Mode::Coach;
        let got = w.run(1);
        assert_eq!(got.ids(), ["hard"]);
        assert!(
            got.lines("hard")
                .iter()
                .any(|l| l == "fit: warning: expert work is above the agent's max band skilled"),
            "{got:#?}"
        );
    }

    #[test]
    fn expired_and_own_claims_do_not_exclude_soft_edges_do_not_conflict() {
        let mut w = World::new(&["mine", "expired", "soft", "held"]);
        w.ready.retain(|r| r != "held");
        w.claims.push(claim("mine", "s-me", "2026-11-24T00:00:00Z"));
        w.claims
            .push(claim("expired", "s-bob", "2026-11-23T11:00:00Z"));
        w.claims
            .push(claim("held", "s-bob", "2026-11-24T00:00:00Z"));
        w.conflicts
            .push(conflict("soft", "held", EdgeKind::Similar));
        let got = w.run(3);
        assert_eq!(got.excluded, []);
        assert!(
            got.lines("mine")
                .contains(&"claim: held by this session".to_string())
        );
        assert!(
            got.lines("expired")
                .iter()
                .any(|l| l.starts_with("claim: s-bob's lease ended")),
            "{got:#?}"
        );
    }

    #[test]
    fn score_is_affinity_and_leverage_then_multipliers() {
        let mut w = World::new(&["a", "b", "dep"]);
        w.ready = vec!["a".into(), "b".into()];
        w.bead("dep").dependencies = vec![Dependency::new("a", "blocks")];
        w.config.selection.age_bonus_per_day = 0.0;
        let got = w.run(2);
        // Same affinity (fresh session, nothing known); a unblocks one bead.
        let (a, b) = (got.score("a"), got.score("b"));
        assert!(
            (a - b - 0.3 * 0.632_120_558_828_557_7).abs() < 1e-9,
            "{a} {b}"
        );
        assert_eq!(got.ids(), ["a", "b"]);

        // Runway short of a large bead: x0.5.
        w.runway = Some(Size::Small);
        w.enrich("b").estimated_size = stamp(Size::Large);
        let got = w.run(2);
        assert!((got.score("b") - b * 0.5).abs() < 1e-9);
        assert!(
            got.lines("b")
                .contains(&"runway: small is short of large work: x0.5".to_string())
        );
        assert!(
            got.lines("a")
                .contains(&"runway: small is short of medium work: x0.5".to_string())
        );
        w.runway = Some(Size::Large);

        // Outside the intent: x its demotion.
        w.me.intent = Some(SessionIntent {
            scope: IntentScope::Label("ui".into()),
            rationale: String::new(),
            demotion: 0.4,
            set_at: NOW.into(),
        });
        w.bead("b").labels.push("ui".into());
        let got = w.run(2);
        assert!((got.score("a") - a * 0.4).abs() < 1e-9);
        assert!((got.score("b") - b).abs() < 1e-9);
        assert_eq!(got.ids(), ["b", "a"]);
        assert!(
            got.lines("a")
                .contains(&"intent: outside the focus (label ui): x0.4".to_string())
        );
    }

    #[test]
    fn intent_epic_covers_descendants() {
        let mut w = World::new(&["e", "kid", "grandkid", "other"]);
        w.bead("kid").parent = Some("e".into());
        w.bead("grandkid").dependencies = vec![Dependency::new("kid", "parent-child")];
        w.ready = vec!["kid".into(), "grandkid".into(), "other".into()];
        w.me.intent = Some(SessionIntent {
            scope: IntentScope::Epic("e".into()),
            rationale: String::new(),
            demotion: 0.5,
            set_at: NOW.into(),
        });
        let got = w.run(3);
        for id in ["kid", "grandkid"] {
            assert!(
                got.lines(id)
                    .contains(&"intent: inside the focus (epic e)".to_string())
            );
        }
        assert!(
            got.lines("other")
                .iter()
                .any(|l| l.starts_with("intent: outside"))
        );
    }

    #[test]
    fn age_bonus_is_capped() {
        let mut w = World::new(&["old", "new", "unblocked", "blocker"]);
        w.config.scoring.affinity_share = 1.0;
        w.bead("old").created_at = Some("2026-01-01T00:00:00Z".into());
        w.bead("new").created_at = Some("2026-11-21T12:00:00Z".into());
        // Created long ago, ready only since its blocker closed a day ago.
        w.bead("unblocked").created_at = Some("2026-01-01T00:00:00Z".into());
        w.bead("unblocked").dependencies = vec![Dependency::new("blocker", "blocks")];
        w.bead("blocker").status = "closed".into();
        w.bead("blocker").closed_at = Some("2026-11-22T12:00:00Z".into());
        w.ready.retain(|r| r != "blocker");
        let got = w.run(3);
        let base = got.score("old") - 0.05;
        assert!((got.score("new") - (base + 0.01)).abs() < 1e-9, "{got:#?}");
        assert!((got.score("unblocked") - (base + 0.005)).abs() < 1e-9);
        assert!(
            got.lines("new")
                .contains(&"age: ready for 2.0 days: +0.010".to_string())
        );
    }

    #[test]
    fn ties_break_by_priority_then_id() {
        let mut w = World::new(&["c", "a", "b", "d"]);
        w.config.selection.age_bonus_per_day = 0.0;
        w.bead("d").priority = 1;
        w.bead("b").priority = 3;
        assert_eq!(w.run(0).ids(), ["d", "a", "c", "b"]);
    }

    #[test]
    fn cost_demotion_needs_a_cheaper_live_agent_that_fits() {
        let mut w = World::new(&["easy"]);
        w.agent = agent("opus", Band::Expert, CostTier::Premium);
        w.enrich("easy").complexity = stamp(Band::Routine);
        let alone = w.run(1).score("easy");
        // A cheap agent that cannot do routine work changes nothing...
        w.other("s-tiny", agent("tiny", Band::Trivial, CostTier::Economy));
        assert_eq!(w.run(1).score("easy"), alone);
        // ...one that can demotes the premium agent.
        w.other("s-eco", agent("eco", Band::Routine, CostTier::Economy));
        let got = w.run(1);
        assert!((got.score("easy") - alone * 0.7).abs() < 1e-9);
        assert!(got.lines("easy").contains(
            &"cost: premium agent with max band expert for routine work while eco (economy) is live: x0.7"
                .to_string()
        ));
    }

    #[test]
    fn fairness_leaves_a_bead_to_an_idle_session_that_fits_it_better() {
        let mut w = World::new(&["auth", "misc"]);
        w.config.selection.age_bonus_per_day = 0.0;
        w.enrich("auth").concepts = stamp(vec!["auth".to_string()]);
        w.enrich("misc").concepts = stamp(vec!["misc".to_string()]);
        // Without fairness, auth comes first (a tie, broken by id).
        assert_eq!(w.run(0).ids(), ["auth", "misc"]);
        let bob = w.other("s-bob", agent("bob", Band::Skilled, CostTier::Standard));
        bob.profile.concepts = BTreeMap::from([("auth".to_string(), 1.0)]);
        bob.profile.events = 3;
        bob.profile.recent = vec![RecentBead {
            bead: "x".into(),
            event: 3,
            epic: None,
            concepts: vec!["auth".into()],
            files: vec![],
            source: ProfileSource::Declared,
            closed: true,
        }];
        let got = w.run(2);
        assert_eq!(got.ids(), ["misc", "auth"]);
        assert!(
            got.lines("auth")
                .iter()
                .any(|l| l.starts_with("fairness: idle s-bob fits better")),
            "{got:#?}"
        );
        // Busy sessions are not idle: bob holding a bead takes fairness away.
        w.others[0].0.telemetry.bead = Some("zzz".into());
        let got = w.run(2);
        assert!(
            got.lines("auth")
                .contains(&"fairness: no other idle live session".to_string())
        );
    }

    #[test]
    fn why_not_when_nothing_is_eligible() {
        let mut w = World::new(&["a", "b", "c"]);
        for id in ["a", "b"] {
            w.claims.push(claim(id, "s-bob", "2026-11-24T00:00:00Z"));
        }
        w.enrich("c").dispatch_status = stamp(DispatchStatus::NotNow);
        let got = w.run(1);
        assert!(got.candidates.is_empty());
        assert_eq!(got.why_not, "0/3 eligible: 2 claimed, 1 not-now");
        let w = World::new(&[]);
        assert_eq!(w.run(1).why_not, "0/0 eligible");
    }

    /// A random world: beads with random statuses, edges, concepts,
    /// targets; sessions with random profiles and holdings; claims.
    fn world() -> impl Strategy<Value = World> {
        let n = 1usize..14;
        n.prop_flat_map(|n| {
            (
                prop::collection::vec((0u8..5, 0usize..4, 0usize..3, any::<bool>(), 0usize..6), n),
                prop::collection::vec((0usize..14, 0usize..14), 0..10),
                prop::collection::vec((0usize..14, 0usize..3, any::<bool>()), 0..6),
                prop::collection::vec((0usize..4, 0usize..14, any::<bool>()), 0..4),
                prop::option::of(0usize..3),
                any::<bool>(),
            )
        })
        .prop_map(|(beads, edges, claims, others, runway, coach)| {
            let ids: Vec<String> = (0..beads.len()).map(|i| format!("b{i:02}")).collect();
            let mut w = World::new(&ids.iter().map(String::as_str).collect::<Vec<_>>());
            let concepts = ["auth", "db", "ui", "api"];
            let globs = ["src/a.rs", "src/b/**", "docs/*.md"];
            for (i, (prio, c, g, awaiting, band)) in beads.into_iter().enumerate() {
                let id = ids[i].clone();
                w.bead(&id).priority = prio;
                w.bead(&id).created_at = Some(format!("2026-11-{:02}T00:00:00Z", 1 + i));
                let e = w.enrich(&id);
                e.concepts = stamp(concepts[..c].iter().map(|s| s.to_string()).collect());
                e.targets = stamp(globs[..g].iter().map(|s| Glob::new(s).unwrap()).collect());
                if awaiting {
                    e.dispatch_status = stamp(DispatchStatus::AwaitingReview);
                }
                e.complexity = stamp(Band::ALL[band % 5]);
            }
            let n = ids.len();
            for (a, b) in edges {
                let (a, b) = (a % n, b % n);
                if a != b {
                    w.conflicts
                        .push(conflict(&ids[a], &ids[b], EdgeKind::Target));
                }
            }
            for (i, (b, who, live)) in claims.into_iter().enumerate() {
                let session = ["s-me", "s-o0", "s-o1"][who];
                let until = if live {
                    "2026-11-24T00:00:00Z"
                } else {
                    "2026-11-01T00:00:00Z"
                };
                let bead = &ids[b % n];
                if w.claims.iter().all(|c| &c.bead != bead) {
                    w.claims.push(claim(bead, session, until));
                }
                let _ = i;
            }
            for (i, (tier, holds, busy)) in others.into_iter().enumerate() {
                let a = agent(&format!("ag{i}"), Band::ALL[tier], CostTier::ALL[tier % 3]);
                let s = w.other(&format!("s-o{i}"), a);
                s.profile.concepts = BTreeMap::from([(concepts[i % 4].to_string(), 1.0)]);
                if busy {
                    s.telemetry.bead = Some(ids[holds % n].clone());
                }
            }
            // Some ready beads are not open (the ready set is an input).
            w.runway = runway.map(|r| Size::ALL[r]);
            w.mode = if coach { Mode::Coach } else { Mode::Auto };
            w.agent.profile.concepts = BTreeMap::from([("db".to_string(), 2.0)]);
            w
        })
    }

    fn shuffle<T>(v: &mut [T], seed: u64) {
        let mut x = seed | 1;
        for i in (1..v.len()).rev() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            v.swap(i, (x % (i as u64 + 1)) as usize);
        }
    }

    proptest! {
        /// Same world, lists in another order: the same selection.
        #[test]
        fn deterministic_and_order_independent(mut w in world(), seed in any::<u64>()) {
            let first = w.run(usize::MAX);
            prop_assert_eq!(&first, &w.run(usize::MAX));
            shuffle(&mut w.beads, seed);
            shuffle(&mut w.ready, seed ^ 1);
            shuffle(&mut w.claims, seed ^ 2);
            shuffle(&mut w.others, seed ^ 3);
            shuffle(&mut w.conflicts, seed ^ 4);
            prop_assert_eq!(first, w.run(usize::MAX));
        }

        /// Asking for reasons changes no score, no order, no line; every
        /// candidate then has one.
        #[test]
        fn reasons_change_nothing_else(mut w in world()) {
            let plain = w.run(3);
            w.reasons = true;
            let with = w.run(3);
            prop_assert_eq!(&plain.candidates, &with.candidates);
            prop_assert_eq!(&plain.excluded, &with.excluded);
            prop_assert!(with.headlines.iter().all(|(_, r)| !r.is_empty()), "{:?}", with.headlines);
        }

        /// Every ready bead is either a candidate or excluded, once; the
        /// candidates are sorted by score; scores are finite.
        #[test]
        fn partitions_the_ready_set(w in world()) {
            let got = w.run(3);
            let mut all: Vec<&str> = got.ids();
            all.extend(got.excluded.iter().map(|e| e.0.as_str()));
            all.sort_unstable();
            let mut ready: Vec<&str> = w.ready.iter().map(String::as_str).collect();
            ready.sort_unstable();
            prop_assert_eq!(all, ready);
            for pair in got.candidates.windows(2) {
                prop_assert!(pair[0].1 >= pair[1].1, "{:?}", got.candidates);
            }
            prop_assert!(got.candidates.iter().all(|c| c.1.is_finite() && c.1 >= 0.0));
            prop_assert!(got.candidates.iter().take(3).all(|c| c.2.len() >= 17));
        }
    }
}
