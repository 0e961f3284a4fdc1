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

#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Justify this many of the best candidates line by line (the rest get
    /// their scores only).
    pub explain: usize,
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
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Excluded<'a> {
    pub id: &'a str,
    /// The why-not key: `claimed`, `conflict`, a dispatch status, a misfit.
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

impl<'a> Prepared<'a> {
    fn new(input: &'a Input<'a>) -> Prepared<'a> {
        let me = input.session.id.as_str();
        let by_id: Map<&str, &BeadHead> = input.beads.iter().map(|b| (b.id, b)).collect();
        let claims: Map<&str, &Claim> = input.claims.iter().map(|c| (c.bead.as_str(), c)).collect();
        // Held elsewhere: unexpired claims of other sessions, and what the
        // other live sessions have in hand. Ties go to the smallest id.
        let mut held: Map<&str, &str> = Map::default();
        let mut hold = |bead: &'a str, session: &'a str| {
            let slot = held.entry(bead).or_insert(session);
            if session < *slot {
                *slot = session;
            }
        };
        for c in input.claims {
            if c.session != me && !expired(c, input.now) {
                hold(&c.bead, &c.session);
            }
        }
        let mut others: Vec<&Other> = input.others.iter().filter(|o| o.session.id != me).collect();
        others.sort_by(|a, b| a.session.id.cmp(&b.session.id));
        for o in &others {
            if let Some(bead) = &o.session.telemetry.bead {
                hold(bead, &o.session.id);
            }
        }
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
        let live_agents = others.iter().map(|o| o.agent).collect();
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
            "score {base:.3} = {share} x affinity {:.2} + {} x leverage {:.2}",
            aff.value,
            1.0 - share,
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
    if let Some(first) = misfits.first() {
        if input.mode == Mode::Auto {
            return exclude(bead, first.key(), format!("fit: {first}"));
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
    Outcome::Scored(Scored {
        bead,
        affinity: aff.value,
        leverage: lev.value,
        score: base * factor + bonus,
        lines,
    })
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

pub fn select<'a>(input: &'a Input<'a>, options: &Options) -> Selection<'a> {
    let p = Prepared::new(input);
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
            let s = &scored[r.index];
            let (factor, line) = fairness(&p, s.bead, s.affinity);
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
            }
        })
        .collect();
    Selection {
        ready: ready.len(),
        candidates,
        excluded,
    }
}
