//! `gemba supply`: keep every capable agent's queue fed from the demand
//! sources in `supply.sources` (config.yaml).
//!
//! One run:
//! 1. reads every source ([`sources`]), each on its own thread: a file, a
//!    command (argv, no shell, with a timeout), or gemba's own ready beads
//!    nobody has claimed. A
//!    source that fails (a missing file, a command that fails or times
//!    out, output that does not parse, named with `file:line:col`) is
//!    reported and skipped; the run goes on;
//! 2. drops items already supplied: each has a stable key
//!    (`<source>:<item key>`), and `.gemba/supply/seen/<key>.json` is
//!    written for every item enqueued. Packets in `ready/`, `blocked/`
//!    and `in_progress/` count too (by their `source`, or their bead), so
//!    an item enqueued by a run that died before writing its seen file is
//!    not enqueued twice (the file is written now);
//! 3. keeps what the source wants (`labels`, `words`) and may dispatch
//!    autonomously (`min_score`, `allowlist`; beads: dispatch status);
//! 4. in order of priority, then source order, then score, then the
//!    source's own order: finds the agents whose envelope fits
//!    ([`assign`]); when one of them has room below `queue.target_depth`
//!    (ready + in progress), makes the spec ([`spec`]: the template, or
//!    the generator; a failing generator holds the item back) and
//!    enqueues it to the best of them ([`crate::queue::enqueue_sourced`]).
//!    When every queue is full the rest is held back without making
//!    specs, so 10,000 items cost a parse and a set lookup each;
//! 5. logs one `supply` event with the summary (also when nothing was
//!    enqueued: it is a decision).
//!
//! `--dry-run` reads the sources and runs the generator (it must have no
//! side effects) but writes nothing and logs nothing. Steps 2 to 5 hold
//! `supply.lock`, so two runs never enqueue the same item.

pub mod assign;
pub mod command;
pub mod edit;
pub mod sources;
pub mod spec;

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use jiff::Timestamp;
use serde::Serialize;

use self::assign::{Choice, Slot};
use self::sources::{Gate, Item};
use super::{Enqueue, State};
use crate::enrich::ops::Context;
use crate::model::enrichment::DispatchStatus;
use crate::model::packet::{DEFAULT_PRIORITY, Spec};
use crate::model::supply::{Source, SourceKind, Supplied};
use crate::model::{Agent, Band, Event, EventKind, Packet, timestamp};
use crate::store::kind::{PACKETS, SUPPLIED};
use crate::store::log::Finished;
use crate::store::snapshot::{Parts, Snapshot};
use crate::store::{self, Scope, Store};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error(transparent)]
    Queue(#[from] super::Error),
    #[error(transparent)]
    Enrich(#[from] crate::enrich::ops::Error),
    #[error("{0}")]
    Invalid(String),
    #[error("no supply source {0:?} (`gemba supply source list` lists them)")]
    UnknownSource(String),
    #[error("a supply source named {0:?} exists already")]
    SourceExists(String),
    /// config.yaml could not be edited without risk to the rest of it.
    #[error("cannot edit {path}: {message}")]
    Edit { path: String, message: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

// ------------------------------------------------------------- report

#[derive(Debug, Serialize)]
pub struct Report {
    pub dry_run: bool,
    pub target_depth: usize,
    pub sources: Vec<SourceRun>,
    /// What went where, and why.
    pub enqueued: Vec<Placed>,
    /// What was held back, and why.
    pub held: Vec<Held>,
    /// `held` counted by reason.
    pub held_counts: BTreeMap<&'static str, usize>,
    /// Each agent's queue depth (ready + in progress) before and after.
    pub agents: Vec<Fill>,
    /// The agents STARVING when the run looked (idle while ready work they
    /// fit waits; see `queue::status`) -> since when; `agents` says whether
    /// this run fed them. A run logs `queue.starving` for those that just
    /// became so, which runs the `on_starving` hook.
    pub starving: BTreeMap<String, String>,
    #[serde(skip)]
    pub finished: Finished,
}

/// How one source read.
#[derive(Debug, Clone, Serialize)]
pub struct SourceRun {
    pub name: String,
    pub kind: SourceKind,
    /// Items read.
    pub items: usize,
    /// Items supplied before (or already in a queue).
    pub seen: usize,
    /// Items its `labels` / `words` do not want.
    pub filtered: usize,
    /// Items new this run (enqueued or held back).
    pub new: usize,
    /// Why it was skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Placed {
    pub key: String,
    pub title: String,
    pub agent: String,
    /// The bead it is (beads sources).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bead: Option<String>,
    /// `None` in a dry run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub packet: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<State>,
    pub priority: u8,
    pub spec: Spec,
    pub why: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Held {
    pub key: String,
    pub title: String,
    #[serde(flatten)]
    pub reason: Reason,
}

/// Why an item was held back.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Reason {
    /// Below the source's `min_score` (or unscored), not allowlisted.
    LowScore { score: Option<f64>, min_score: f64 },
    /// The source dispatches only its allowlist.
    NotAllowlisted,
    /// A bead whose dispatch status is not `ready`.
    NotDispatchable { status: String },
    /// No agent's envelope fits; per agent, why not.
    NoCapableAgent { misfits: Vec<(String, String)> },
    /// The agents that fit are all at the target depth.
    QueuesFull { capable: Vec<String> },
    /// The spec generator failed for this item.
    GeneratorFailed { error: String },
    /// Enqueueing failed (the agent went away meanwhile, ...).
    EnqueueFailed { error: String },
}

impl Reason {
    pub fn code(&self) -> &'static str {
        match self {
            Reason::LowScore { .. } => "low_score",
            Reason::NotAllowlisted => "not_allowlisted",
            Reason::NotDispatchable { .. } => "not_dispatchable",
            Reason::NoCapableAgent { .. } => "no_capable_agent",
            Reason::QueuesFull { .. } => "queues_full",
            Reason::GeneratorFailed { .. } => "generator_failed",
            Reason::EnqueueFailed { .. } => "enqueue_failed",
        }
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::LowScore { score, min_score } => Gate::LowScore {
                score: *score,
                min_score: *min_score,
            }
            .fmt(f),
            Reason::NotAllowlisted => Gate::NotAllowlisted.fmt(f),
            Reason::NotDispatchable { status } => write!(f, "dispatch status is {status}"),
            Reason::NoCapableAgent { misfits } if misfits.is_empty() => {
                f.write_str("no capable agent (no agents: `gemba agent add`)")
            }
            Reason::NoCapableAgent { misfits } => {
                let parts: Vec<String> = misfits
                    .iter()
                    .map(|(a, why)| format!("{a}: {why}"))
                    .collect();
                write!(f, "no capable agent ({})", parts.join("; "))
            }
            Reason::QueuesFull { capable } => write!(
                f,
                "queues full ({} at the target depth)",
                capable.join(", ")
            ),
            Reason::GeneratorFailed { error } => write!(f, "generator failed: {error}"),
            Reason::EnqueueFailed { error } => write!(f, "enqueue failed: {error}"),
        }
    }
}

impl From<Gate> for Reason {
    fn from(g: Gate) -> Reason {
        match g {
            Gate::LowScore { score, min_score } => Reason::LowScore { score, min_score },
            Gate::NotAllowlisted => Reason::NotAllowlisted,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Fill {
    pub agent: String,
    pub before: usize,
    pub after: usize,
}

// ---------------------------------------------------------------- run

/// A new item with what the run needs to place it.
struct Candidate {
    item: Item,
    /// Index of its source in `supply.sources`.
    source: usize,
    /// Position in its source.
    order: usize,
    priority: u8,
    band: Option<Band>,
}

/// `gemba supply` (see the module doc).
pub fn run(store: &Store, dry_run: bool, actor: &str, now: Timestamp) -> Result<Report> {
    let config = store.config();
    let supply = &config.supply;
    let target = config.queue.target_depth.max(1);
    let repo_root = store.repo_root();
    let mut warnings = Vec::new();

    // 0: who starves before this run feeds anyone (a dry run only looks).
    let starving: BTreeMap<String, String> = if dry_run {
        super::status::current(store, now)?
            .into_iter()
            .filter_map(|a| Some((a.agent, a.starving?.since.unwrap_or_default())))
            .collect()
    } else {
        let t = super::starving::check(store, actor, now)?;
        warnings.extend(t.finished.warnings);
        t.since
    };

    // 1: read every source, before the lock (commands may be slow).
    let mut snapshot: Option<Snapshot> = None;
    if supply.sources.iter().any(|s| s.kind == SourceKind::Beads) {
        snapshot = Some(Snapshot::load(
            store,
            Parts {
                enrichment: true,
                sessions: false,
            },
        )?);
    }
    // One thread per source: a slow command does not hold up the others.
    let read_one = |source: &Source| -> Result<Vec<Item>, String> {
        match (source.kind, &snapshot) {
            (SourceKind::Beads, Some(snap)) => Ok(sources::keyed(
                source,
                ready_beads(store, snap, source, now)?,
            )),
            _ => {
                let (path, text) = sources::read(source, &repo_root)?;
                sources::parse(source, &path, &text).map_err(|e| e.to_string())
            }
        }
    };
    let read: Vec<Result<Vec<Item>, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = supply
            .sources
            .iter()
            .map(|source| scope.spawn(|| read_one(source)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("reading it panicked".into()))
            })
            .collect()
    });

    // 2-4 under the lock: what is new is decided against the seen files
    // and queues as they are while it is placed.
    let _lock = if dry_run {
        None
    } else {
        Some(store.lock(Scope::Supply)?)
    };
    let mut tx = store.changes();

    // What is in the queues: depths, and the items and beads they hold.
    let agents: Vec<Agent> = store
        .load_all::<Agent>()?
        .into_iter()
        .map(|(_, mut a)| {
            a.profile = crate::profile::agent::decay_to(&a.profile, now, &config.profile);
            a
        })
        .collect();
    let live = live_packets(store)?;
    let mut slots: Vec<Slot> = agents
        .into_iter()
        .map(|agent| {
            let depth = live
                .iter()
                .filter(|(state, p)| p.agent == agent.name && *state != State::Blocked)
                .count();
            Slot { agent, depth }
        })
        .collect();
    let before: Vec<usize> = slots.iter().map(|s| s.depth).collect();
    let mut seen = seen_keys(store)?;
    // In a queue, or done there and awaiting its close: never again.
    let queued_beads = super::queued_beads(store)?;
    // Repair: an item in a queue without its seen file (a run died between
    // the two writes) gets it now.
    for (_, p) in &live {
        if let Some(key) = &p.source
            && crate::model::id::validate(key).is_ok()
            && seen.insert(key.clone())
            && !dry_run
        {
            remember(&mut tx, key, p, now)?;
        }
    }

    // 2-3: drop the seen, filter, gate.
    let mut runs = Vec::new();
    let mut candidates = Vec::new();
    let mut held = Vec::new();
    let mut keys_this_run: HashSet<String> = HashSet::new();
    for (si, (source, read)) in supply.sources.iter().zip(read).enumerate() {
        let mut run = SourceRun {
            name: source.name.clone(),
            kind: source.kind,
            items: 0,
            seen: 0,
            filtered: 0,
            new: 0,
            error: None,
        };
        let items = match read {
            Ok(items) => items,
            Err(e) => {
                run.error = Some(e);
                runs.push(run);
                continue;
            }
        };
        run.items = items.len();
        for (order, item) in items.into_iter().enumerate() {
            if seen.contains(&item.key)
                || item
                    .bead
                    .as_deref()
                    .is_some_and(|b| queued_beads.contains_key(b))
                || !keys_this_run.insert(item.key.clone())
            {
                run.seen += 1;
                continue;
            }
            if !sources::wanted(source, &item) {
                run.filtered += 1;
                continue;
            }
            run.new += 1;
            let mut band = None;
            if let Some(bead) = &item.bead {
                let e = snapshot.as_ref().and_then(|s| s.enrichments().get(bead));
                band = e.and_then(|e| e.complexity.as_ref()).map(|c| c.value);
                let status = e
                    .and_then(|e| e.dispatch_status.as_ref())
                    .map_or(DispatchStatus::Ready, |s| s.value);
                if status != DispatchStatus::Ready {
                    held.push(hold(
                        &item,
                        Reason::NotDispatchable {
                            status: status.to_string(),
                        },
                    ));
                    continue;
                }
            }
            if let Some(gate) = sources::gate(source, &item) {
                held.push(hold(&item, gate.into()));
                continue;
            }
            let priority = item
                .priority
                .or(source.priority)
                .unwrap_or(DEFAULT_PRIORITY);
            candidates.push(Candidate {
                item,
                source: si,
                order,
                priority,
                band,
            });
        }
        runs.push(run);
    }

    // 4: place them, in order.
    candidates.sort_by(|a, b| {
        a.priority
            .cmp(&b.priority)
            .then(a.source.cmp(&b.source))
            .then(
                b.item
                    .score
                    .unwrap_or(f64::NEG_INFINITY)
                    .total_cmp(&a.item.score.unwrap_or(f64::NEG_INFINITY)),
            )
            .then(a.order.cmp(&b.order))
    });
    let mut ctx: Option<Context> = None;
    let mut enqueued = Vec::new();
    for c in candidates {
        let source = &supply.sources[c.source];
        let needs = assign::needs(c.band, &c.item.labels, source.requires.as_deref());
        let (fitting, room) = assign::capable(&needs, &slots, target);
        if fitting.is_empty() || !room {
            // No spec needed to know: cheap, as most items of a big source
            // end here.
            let reason = if fitting.is_empty() {
                match assign::choose(&needs, &[], &[], &slots, target, &config.scoring.affinity) {
                    Choice::NoCapableAgent { misfits } => Reason::NoCapableAgent { misfits },
                    _ => unreachable!("no agent fits"),
                }
            } else {
                Reason::QueuesFull {
                    capable: fitting.iter().map(|s| s.agent.name.clone()).collect(),
                }
            };
            held.push(hold(&c.item, reason));
            continue;
        }
        if ctx.is_none() {
            ctx = Some(Context::load(store)?);
        }
        let made = make_spec(
            store,
            ctx.as_ref().expect("loaded above"),
            source,
            &c.item,
            &repo_root,
            supply,
        );
        let (spec, priority, requires) = match made {
            Ok((spec, p, r)) => (spec, p.unwrap_or(c.priority), r.or(source.requires.clone())),
            Err(reason) => {
                held.push(hold(&c.item, reason));
                continue;
            }
        };
        // A generator may name a role the source did not.
        let needs = assign::needs(c.band, &c.item.labels, requires.as_deref());
        let choice = assign::choose(
            &needs,
            &spec.concepts,
            &spec.targets,
            &slots,
            target,
            &config.scoring.affinity,
        );
        let (slot, agent, why) = match choice {
            Choice::To {
                slot, agent, why, ..
            } => (slot, agent, why),
            Choice::NoCapableAgent { misfits } => {
                held.push(hold(&c.item, Reason::NoCapableAgent { misfits }));
                continue;
            }
            Choice::QueuesFull { capable } => {
                held.push(hold(&c.item, Reason::QueuesFull { capable }));
                continue;
            }
        };
        let mut placed = Placed {
            key: c.item.key.clone(),
            title: spec.title.clone(),
            agent: agent.clone(),
            bead: c.item.bead.clone(),
            packet: None,
            state: None,
            priority,
            spec: spec.clone(),
            why,
        };
        if !dry_run {
            let req = Enqueue {
                agent: agent.clone(),
                id: None,
                bead: c.item.bead.clone(),
                spec,
                priority,
                after: Vec::new(),
                requires,
                stages: Vec::new(),
                session: None,
            };
            match super::enqueue_sourced(store, req, Some(&c.item.key), actor, now) {
                Ok(done) => {
                    remember(&mut tx, &c.item.key, &done.packet, now)?;
                    placed.packet = Some(done.packet.id.clone());
                    placed.state = Some(done.state);
                    // Each enqueue logs and auto-commits itself; its
                    // warnings are the run's.
                    warnings.extend(done.finished.warnings);
                }
                Err(e) => {
                    held.push(hold(
                        &c.item,
                        Reason::EnqueueFailed {
                            error: e.to_string(),
                        },
                    ));
                    continue;
                }
            }
        }
        slots[slot].depth += 1;
        enqueued.push(placed);
    }

    // 5: the report and its event.
    let mut held_counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    for h in &held {
        *held_counts.entry(h.reason.code()).or_default() += 1;
    }
    let fills: Vec<Fill> = slots
        .iter()
        .zip(before)
        .map(|(s, before)| Fill {
            agent: s.agent.name.clone(),
            before,
            after: s.depth,
        })
        .collect();
    let mut report = Report {
        dry_run,
        target_depth: target,
        sources: runs,
        enqueued,
        held,
        held_counts,
        agents: fills,
        starving,
        finished: Finished::default(),
    };
    if !dry_run {
        let event = summary_event(&report, actor, now);
        report.finished = if tx.changed().is_empty() {
            drop(tx);
            store::log::record(store, &[event])?
        } else {
            tx.finish(&[event])?
        };
    }
    report.finished.warnings.splice(0..0, warnings);
    if !dry_run {
        // Look again: an agent this run fed is no longer starving, so its
        // next spell is a new transition (and runs the hook again).
        let after = super::starving::check(store, actor, now)?;
        report.finished.warnings.extend(after.finished.warnings);
    }
    Ok(report)
}

fn hold(item: &Item, reason: Reason) -> Held {
    Held {
        key: item.key.clone(),
        title: item.title.clone(),
        reason,
    }
}

/// Write the seen file of `key` (its packet says where it went).
fn remember(tx: &mut store::Changes<'_>, key: &str, packet: &Packet, now: Timestamp) -> Result<()> {
    let record = Supplied {
        key: key.to_string(),
        packet: packet.id.clone(),
        agent: packet.agent.clone(),
        title: packet.spec.title.clone(),
        at: timestamp(now),
    };
    // O_EXCL: a file already there (a concurrent writer, a repair) wins.
    tx.create(key, &record)?;
    Ok(())
}

/// The keys of every item supplied so far: the seen directory's file
/// names (no file is read).
pub fn seen_keys(store: &Store) -> Result<HashSet<String>> {
    Ok(store
        .list(&SUPPLIED)?
        .entries
        .into_iter()
        .map(|(key, _)| key)
        .collect())
}

/// Every packet in `ready/`, `blocked/` and `in_progress/`, with its
/// state (bounded by the queues' depth, unlike `done/`).
fn live_packets(store: &Store) -> Result<Vec<(State, Packet)>> {
    let mut out = Vec::new();
    for agent in store.queue_agents()? {
        for state in [State::Ready, State::Blocked, State::InProgress] {
            let dir = store.queue_dir(&agent, state.dir())?;
            for (id, path) in store.list_dir(&dir, &PACKETS)?.entries {
                if let Some(p) = super::read_at(&path, &id)? {
                    out.push((state, p));
                }
            }
        }
    }
    Ok(out)
}

/// The ready beads nobody holds an unexpired claim on, as items (with the
/// enrichment each has), in `gemba ready`'s order.
fn ready_beads(
    store: &Store,
    snapshot: &Snapshot,
    source: &Source,
    now: Timestamp,
) -> Result<Vec<Item>, String> {
    let (ready, _) =
        crate::beads::ready::ready(store, snapshot, now, false).map_err(|e| e.to_string())?;
    let claims = snapshot.claims();
    let mut out = Vec::new();
    for id in ready.ids {
        if claims.get(&id).is_some_and(|c| !c.expired(now)) {
            continue;
        }
        let Some(b) = snapshot.bead(&id).map_err(|e| e.to_string())? else {
            continue;
        };
        let mut item = Item {
            key: id.clone(),
            source: source.name.clone(),
            kind: SourceKind::Beads,
            id: Some(id.clone()),
            title: b.title.to_string(),
            body: String::new(),
            url: None,
            score: None,
            labels: b.labels.iter().map(|l| l.to_string()).collect(),
            acceptance: Vec::new(),
            bead: Some(id.clone()),
            priority: Some(b.priority.min(crate::model::packet::MAX_PRIORITY)),
            origin: String::new(),
        };
        if !source.words.is_empty() {
            // The words filter reads the description too.
            item.body = store.read_bead(&id).map_err(|e| e.to_string())?.description;
        }
        out.push(item);
    }
    Ok(out)
}

/// The item's spec, priority and `requires`: a bead's own spec, the
/// generator's, or the template's; targets and concepts the spec lacks
/// come from the extractor. `Err` holds the item back (generator failed).
fn make_spec(
    store: &Store,
    ctx: &Context,
    source: &Source,
    item: &Item,
    repo_root: &Path,
    supply: &crate::model::supply::SupplyConfig,
) -> Result<(Spec, Option<u8>, Option<String>), Reason> {
    // Beads have their own spec; the global generator is for outside
    // items, a beads source's own generator still applies.
    let generator = if source.generator.is_empty() && source.kind != SourceKind::Beads {
        &supply.generator
    } else {
        &source.generator
    };
    // A bead that went away meanwhile (closed, deleted) cannot be enqueued.
    let gone = |e: super::Error| Reason::EnqueueFailed {
        error: e.to_string(),
    };
    let mut spec = match &item.bead {
        Some(bead) => super::spec_of_bead(store, bead).map_err(gone)?,
        None => spec::from_template(&supply.template, item),
    };
    let (mut priority, mut requires) = (None, None);
    if !generator.is_empty() {
        let timeout =
            std::time::Duration::from_secs(supply.generator_timeout.as_secs().unsigned_abs());
        let mut item = item.clone();
        if item.bead.is_some() && item.body.is_empty() {
            item.body = spec.body.clone();
        }
        let g = spec::generate(generator, repo_root, timeout, &item, &spec).map_err(|e| {
            Reason::GeneratorFailed {
                error: e.to_string(),
            }
        })?;
        spec = Spec {
            title: g.title.trim().to_string(),
            body: g.body,
            acceptance: g.acceptance,
            targets: g.targets,
            concepts: g.concepts,
        };
        priority = g.priority;
        requires = g.requires;
    }
    spec::extract_into(&mut spec, ctx);
    Ok((spec, priority, requires))
}

/// Held items listed in the event, at most (the counts cover the rest).
const EVENT_HELD: usize = 50;

fn summary_event(report: &Report, actor: &str, now: Timestamp) -> Event {
    let mut per_agent: BTreeMap<&str, usize> = BTreeMap::new();
    for p in &report.enqueued {
        *per_agent.entry(p.agent.as_str()).or_default() += 1;
    }
    let went: Vec<String> = per_agent.iter().map(|(a, n)| format!("{a} {n}")).collect();
    let mut message = format!("supply: {} enqueued", report.enqueued.len());
    if !went.is_empty() {
        message.push_str(&format!(" ({})", went.join(", ")));
    }
    if !report.held.is_empty() {
        message.push_str(&format!(", {} held back", report.held.len()));
    }
    let failed: Vec<&str> = report
        .sources
        .iter()
        .filter(|s| s.error.is_some())
        .map(|s| s.name.as_str())
        .collect();
    if !failed.is_empty() {
        message.push_str(&format!(", source failed: {}", failed.join(", ")));
    }
    let beads: Vec<String> = report
        .enqueued
        .iter()
        .filter_map(|p| p.bead.clone())
        .collect();
    let enqueued: Vec<serde_json::Value> = report
        .enqueued
        .iter()
        .map(|p| serde_json::json!({"key": p.key, "packet": p.packet, "agent": p.agent}))
        .collect();
    let held: Vec<serde_json::Value> = report
        .held
        .iter()
        .filter(|h| !matches!(h.reason, Reason::QueuesFull { .. }))
        .take(EVENT_HELD)
        .map(|h| serde_json::json!({"key": h.key, "reason": h.reason.code(), "why": h.reason.to_string()}))
        .collect();
    let sources: Vec<serde_json::Value> = report
        .sources
        .iter()
        .map(|s| serde_json::json!({"name": s.name, "items": s.items, "new": s.new, "seen": s.seen, "filtered": s.filtered, "error": s.error}))
        .collect();
    Event::new(now, actor, EventKind::Supply, Vec::new(), message)
        .about_many(&beads)
        .with("enqueued", enqueued)
        .with("held_counts", &report.held_counts)
        .with("held", held)
        .with("sources", sources)
        .with("agents", &report.agents)
        .with("target_depth", report.target_depth)
}

// ------------------------------------------------------ source add/remove

/// `gemba supply source add`: append `source` to `supply.sources`.
pub fn add_source(
    store: &Store,
    source: Source,
    actor: &str,
    now: Timestamp,
) -> Result<(Source, Finished)> {
    crate::model::supply::validate_name(&source.name).map_err(Error::Invalid)?;
    edit_sources(store, actor, now, |sources| {
        if sources.iter().any(|s| s.name == source.name) {
            return Err(Error::SourceExists(source.name.clone()));
        }
        sources.push(source.clone());
        Ok((source.clone(), "add"))
    })
}

/// `gemba supply source remove`: drop the source named `name` (what it
/// supplied stays supplied: its seen files are kept).
pub fn remove_source(
    store: &Store,
    name: &str,
    actor: &str,
    now: Timestamp,
) -> Result<(Source, Finished)> {
    edit_sources(store, actor, now, |sources| {
        let i = sources
            .iter()
            .position(|s| s.name == name)
            .ok_or_else(|| Error::UnknownSource(name.to_string()))?;
        Ok((sources.remove(i), "remove"))
    })
}

/// Read config.yaml under the lock, change its sources, check, write.
fn edit_sources(
    store: &Store,
    actor: &str,
    now: Timestamp,
    change: impl FnOnce(&mut Vec<Source>) -> Result<(Source, &'static str)>,
) -> Result<(Source, Finished)> {
    let _lock = store.lock(Scope::Supply)?;
    let path = store.config_path();
    let text = std::fs::read_to_string(&path).map_err(|source| store::Error::Io {
        path: path.clone(),
        source,
    })?;
    let old: crate::model::Config =
        crate::format::from_yaml(&path, &text).map_err(store::Error::from)?;
    let mut sources = old.supply.sources.clone();
    let (source, action) = change(&mut sources)?;
    let mut new = old.clone();
    new.supply.sources = sources.clone();
    new.validate().map_err(Error::Invalid)?;
    let edited = edit::with_sources(&text, &old, &sources).map_err(|message| Error::Edit {
        path: store.show(&path),
        message,
    })?;
    let mut tx = store.changes();
    tx.write_file(&path, edited.as_bytes())?;
    let what = match (&source.path, source.command.is_empty()) {
        (Some(p), _) => p.clone(),
        (None, false) => format!("$ {}", crate::analysis::external::display(&source.command)),
        (None, true) => "the store".into(),
    };
    let event = Event::new(
        now,
        actor,
        EventKind::SupplySource,
        Vec::new(),
        format!(
            "supply source {action} {} ({} from {what})",
            source.name, source.kind
        ),
    )
    .with("action", action)
    .with("source", &source);
    let finished = tx.finish(&[event])?;
    Ok((source, finished))
}
