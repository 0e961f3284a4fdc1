//! Enrichment edits, extraction and backfill through a store transaction:
//! the I/O edge of this module (everything else in `enrich/` is pure).

use jiff::Timestamp;
use serde::Serialize;

use std::collections::{BTreeMap, BTreeSet};

use super::{
    ExtractInput, Extraction, Extractor, Heuristic, Limits, Size, TrackedFiles, VocabTerm, apply,
    complexity, related,
};
use crate::model::enrichment::{DispatchStatus, Enrichment, Glob, Source, Stamped};
use crate::model::vocabulary::{Resolver, normalize_tag};
use crate::model::{Band, Bead, Event, EventKind, Vocabulary, timestamp};
use crate::retro::history::{self, History, Past};
use crate::store::{self, Changes, Scope, Store};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error(transparent)]
    Git(#[from] crate::git::Error),
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `set`, `add` or `rm` on a list field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListOp {
    Set,
    Add,
    Rm,
}

fn edit_list<T: Clone + PartialEq>(
    old: Option<&Stamped<Vec<T>>>,
    op: ListOp,
    items: Vec<T>,
    now: &str,
) -> Option<Stamped<Vec<T>>> {
    let mut value: Vec<T> = match op {
        ListOp::Set => Vec::new(),
        _ => old.map(|s| s.value.clone()).unwrap_or_default(),
    };
    match op {
        ListOp::Set | ListOp::Add => {
            for item in items {
                if !value.contains(&item) {
                    value.push(item);
                }
            }
        }
        ListOp::Rm => value.retain(|v| !items.contains(v)),
    }
    if old.is_some_and(|o| o.value == value && o.source.is_operator()) {
        return old.cloned();
    }
    // An operator's empty list pins "no targets": extraction won't refill it.
    Some(Stamped {
        value,
        source: Source::Operator,
        updated_at: Some(now.to_string()),
    })
}

/// The outcome of an edit: the new enrichment and the event, if anything
/// changed.
#[derive(Debug, Serialize)]
pub struct Edited {
    pub id: String,
    pub enrichment: Enrichment,
    pub changed: bool,
    /// Concepts not in the vocabulary (a warning, not an error).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unknown_concepts: Vec<String>,
}

fn save(
    tx: &mut Changes<'_>,
    id: &str,
    old: &Enrichment,
    new: Enrichment,
    what: &str,
    actor: &str,
    now: Timestamp,
) -> Result<(Edited, Option<Event>)> {
    let changed = *old != new;
    let ev = if changed {
        tx.write_enrichment(id, &new)?;
        Some(Event::new(
            now,
            actor,
            EventKind::EnrichEdit,
            vec![id.to_string()],
            format!("{what} of {id}"),
        ))
    } else {
        None
    };
    Ok((
        Edited {
            id: id.to_string(),
            enrichment: new,
            changed,
            unknown_concepts: Vec::new(),
        },
        ev,
    ))
}

/// `gemba bead targets set|add|rm`.
pub fn edit_targets(
    tx: &mut Changes<'_>,
    id: &str,
    op: ListOp,
    globs: &[String],
    actor: &str,
    now: Timestamp,
) -> Result<(Edited, Option<Event>)> {
    let globs = globs
        .iter()
        .map(|g| Glob::new(g).map_err(Error::Invalid))
        .collect::<Result<Vec<_>>>()?;
    tx.store().read_bead(id)?;
    let _lock = tx.store().lock(Scope::Enrichment)?;
    let old = tx.store().read_enrichment(id)?;
    let mut new = old.clone();
    new.targets = edit_list(old.targets.as_ref(), op, globs, &timestamp(now));
    save(tx, id, &old, new, "set targets", actor, now)
}

/// `gemba bead concepts set|add|rm`.
pub fn edit_concepts(
    tx: &mut Changes<'_>,
    id: &str,
    op: ListOp,
    tags: &[String],
    actor: &str,
    now: Timestamp,
) -> Result<(Edited, Option<Event>)> {
    if tags.iter().any(|t| normalize_tag(t).is_empty()) {
        return Err(Error::Invalid("empty concept tag".into()));
    }
    tx.store().read_bead(id)?;
    let vocabulary = tx.store().read_vocabulary()?;
    let _lock = tx.store().lock(Scope::Enrichment)?;
    let (names, unknown) = Resolver::new(&vocabulary).canonical(tags);
    let old = tx.store().read_enrichment(id)?;
    let mut new = old.clone();
    new.concepts = edit_list(old.concepts.as_ref(), op, names, &timestamp(now));
    let (mut edited, ev) = save(tx, id, &old, new, "set concepts", actor, now)?;
    if op != ListOp::Rm {
        edited.unknown_concepts = unknown;
    }
    Ok((edited, ev))
}

/// The new value of a single-valued field: `None` clears; the same value
/// from the same source keeps its stamp (and time), so a repeat is a no-op.
fn restamp<T: Clone + PartialEq>(
    old: &Option<Stamped<T>>,
    new: Option<(T, Source)>,
    now: Timestamp,
) -> Option<Stamped<T>> {
    let (value, source) = new?;
    match old {
        Some(o) if o.value == value && o.source == source => Some(o.clone()),
        _ => Some(Stamped {
            value,
            source,
            updated_at: Some(timestamp(now)),
        }),
    }
}

/// `gemba bead status set|clear`.
pub fn set_status(
    tx: &mut Changes<'_>,
    id: &str,
    status: Option<DispatchStatus>,
    actor: &str,
    now: Timestamp,
) -> Result<(Edited, Option<Event>)> {
    tx.store().read_bead(id)?;
    let _lock = tx.store().lock(Scope::Enrichment)?;
    let old = tx.store().read_enrichment(id)?;
    let mut new = old.clone();
    new.dispatch_status = restamp(
        &old.dispatch_status,
        status.map(|s| (s, Source::Operator)),
        now,
    );
    save(tx, id, &old, new, "set dispatch status", actor, now)
}

/// `gemba bead size set|clear|estimate`: `Some(size)` is an operator
/// value; `estimate` passes the heuristic's value with `Source::Heuristic`.
pub fn set_size(
    tx: &mut Changes<'_>,
    id: &str,
    size: Option<(Size, Source)>,
    actor: &str,
    now: Timestamp,
) -> Result<(Edited, Option<Event>)> {
    tx.store().read_bead(id)?;
    let _lock = tx.store().lock(Scope::Enrichment)?;
    let old = tx.store().read_enrichment(id)?;
    let mut new = old.clone();
    new.estimated_size = restamp(&old.estimated_size, size, now);
    save(tx, id, &old, new, "set size", actor, now)
}

/// `gemba bead complexity --set|--clear`: `Some` pins an operator value.
pub fn set_complexity(
    tx: &mut Changes<'_>,
    id: &str,
    band: Option<Band>,
    actor: &str,
    now: Timestamp,
) -> Result<(Edited, Option<Event>)> {
    tx.store().read_bead(id)?;
    let _lock = tx.store().lock(Scope::Enrichment)?;
    let old = tx.store().read_enrichment(id)?;
    let mut new = old.clone();
    new.complexity = restamp(&old.complexity, band.map(|b| (b, Source::Operator)), now);
    save(tx, id, &old, new, "set complexity", actor, now)
}

/// Land an extraction and then the complexity estimate of the result.
fn land(
    bead: &Bead,
    before: &Enrichment,
    found: &Extraction,
    source: Source,
    merge: bool,
    now: &str,
) -> Enrichment {
    let mut after = apply(before, found, source, merge, now);
    let band = complexity::estimate(bead, &after).band;
    complexity::land(&mut after, band, source, now);
    after
}

/// What the extractor reads besides the bead: built once per command.
pub struct Context {
    pub tracked: TrackedFiles,
    pub vocabulary: Vec<VocabTerm>,
    pub limits: Limits,
}

impl Context {
    /// Tracked files from the store's git worktree (none outside git),
    /// live vocabulary terms, limits from config.
    pub fn load(store: &Store) -> Result<Context> {
        let tracked = match store.worktree() {
            Some(wt) => crate::git::tracked_files(wt)?,
            None => Vec::new(),
        };
        Ok(Context::new(
            tracked,
            &store.read_vocabulary()?,
            store.config().enrich.clone(),
        ))
    }

    pub fn new(tracked: Vec<String>, vocabulary: &Vocabulary, limits: Limits) -> Context {
        let vocabulary = vocabulary
            .terms
            .iter()
            .filter(|t| !t.retired)
            .map(|t| VocabTerm::new(t.name.clone(), t.aliases.clone()))
            .collect();
        Context {
            tracked: TrackedFiles::new(tracked),
            vocabulary,
            limits,
        }
    }
}

/// Text to extract from; each part defaults to the bead's own.
#[derive(Debug, Clone, Default)]
pub struct Texts {
    pub title: Option<String>,
    pub body: Option<String>,
    pub spec: Option<String>,
}

/// The bead's spec: design, acceptance criteria and notes.
pub fn spec_of(bead: &Bead) -> String {
    [
        bead.design.as_str(),
        bead.acceptance_criteria.as_str(),
        bead.notes.as_str(),
    ]
    .into_iter()
    .filter(|s| !s.is_empty())
    .collect::<Vec<_>>()
    .join("\n\n")
}

/// Run the heuristic extractor on a bead (pure given `ctx`).
pub fn extract(bead: &Bead, texts: &Texts, ctx: &Context) -> Extraction {
    let spec = texts.spec.clone().unwrap_or_else(|| spec_of(bead));
    let input = ExtractInput {
        title: texts.title.as_deref().unwrap_or(&bead.title),
        body: texts.body.as_deref().unwrap_or(&bead.description),
        spec: &spec,
        tracked: &ctx.tracked,
        vocabulary: &ctx.vocabulary,
        limits: &ctx.limits,
    };
    Heuristic.extract(&input)
}

#[derive(Debug, Serialize)]
pub struct Extracted {
    pub id: String,
    pub found: Extraction,
    pub before: Enrichment,
    pub after: Enrichment,
    pub changed: bool,
    pub dry_run: bool,
}

/// `gemba bead extract`.
pub fn extract_one(
    tx: &mut Changes<'_>,
    id: &str,
    texts: &Texts,
    merge: bool,
    dry_run: bool,
    actor: &str,
    now: Timestamp,
) -> Result<(Extracted, Option<Event>)> {
    let bead = tx.store().read_bead(id)?;
    let ctx = Context::load(tx.store())?;
    let _lock = tx.store().lock(Scope::Enrichment)?;
    let before = tx.store().read_enrichment(id)?;
    let found = extract(&bead, texts, &ctx);
    let after = land(
        &bead,
        &before,
        &found,
        Source::Heuristic,
        merge,
        &timestamp(now),
    );
    let changed = after != before;
    let mut ev = None;
    if changed && !dry_run {
        tx.write_enrichment(id, &after)?;
        ev = Some(Event::new(
            now,
            actor,
            EventKind::EnrichExtract,
            vec![id.to_string()],
            format!("extract enrichment of {id}"),
        ));
    }
    Ok((
        Extracted {
            id: id.to_string(),
            found,
            before,
            after,
            changed,
            dry_run,
        },
        ev,
    ))
}

#[derive(Debug, Clone)]
pub struct BackfillOptions {
    /// Closed beads too (default: only beads that are not closed).
    pub all: bool,
    /// Leave beads that already have enrichment alone.
    pub skip_existing: bool,
    /// Only beads whose id or title matches; applied before `limit`.
    pub filter: Option<regex::Regex>,
    pub limit: Option<usize>,
    pub dry_run: bool,
}

#[derive(Debug, Default, Serialize)]
pub struct BackfillReport {
    /// Beads considered (after --all, --filter and --limit).
    pub considered: usize,
    /// Beads whose enrichment changed (or would, with --dry-run).
    pub enriched: usize,
    /// Already enriched (--skip-existing) or nothing new found.
    pub skipped: usize,
    pub failed: Vec<Failure>,
    /// Beads that got targets borrowed from related beads (among `enriched`).
    pub borrowed: Vec<BorrowedTargets>,
    /// Beads that got targets learned from history (among `enriched`): each
    /// file with the closed beads that lent it.
    pub learned: Vec<LearnedTargets>,
    pub dry_run: bool,
    #[serde(skip)]
    pub written: Vec<String>,
}

/// A bead whose targets were borrowed from related beads.
#[derive(Debug, Serialize)]
pub struct BorrowedTargets {
    pub id: String,
    /// `parts of epic <id>` or `similar beads`.
    pub via: String,
    pub from: Vec<String>,
}

/// A bead whose targets were learned from the files of closed beads like it.
#[derive(Debug, Serialize)]
pub struct LearnedTargets {
    pub id: String,
    pub targets: Vec<history::Proposed>,
}

#[derive(Debug, Serialize)]
pub struct Failure {
    pub id: String,
    pub error: String,
}

/// `gemba bead backfill`: extract for every selected bead; a failing bead
/// is reported and the loop goes on. `progress(done, total)` is called
/// after each bead.
pub fn backfill(
    tx: &mut Changes<'_>,
    options: &BackfillOptions,
    progress: &dyn Fn(usize, usize),
    now: Timestamp,
) -> Result<BackfillReport> {
    let beads = tx.store().load_beads()?;
    let ctx = Context::load(tx.store())?;
    let stamp = timestamp(now);
    let mut selected: Vec<&Bead> = beads
        .iter()
        .filter(|b| options.all || b.status != "closed")
        .filter(|b| {
            options
                .filter
                .as_ref()
                .is_none_or(|f| f.is_match(&b.id) || f.is_match(&b.title))
        })
        .collect();
    if let Some(n) = options.limit {
        selected.truncate(n);
    }
    let mut report = BackfillReport {
        considered: selected.len(),
        dry_run: options.dry_run,
        ..Default::default()
    };
    // Extract on several threads, with no lock held. Then borrow targets
    // for beads whose own come out empty (this needs every bead's own
    // targets, so it runs between extracting and landing). Then, under the
    // enrichment lock for one batch at a time, land each result on the
    // enrichment as it is now (an operator's edit made meanwhile wins) and
    // write. Other commands wait at most one batch.
    let store = tx.store();
    let skip = |before: &Enrichment| options.skip_existing && !before.is_empty();
    let extract_one = |bead: &&Bead| -> store::Result<Option<Found>> {
        Ok(match store.read_enrichment(&bead.id) {
            Ok(before) if skip(&before) => None,
            Ok(before) => {
                let found = extract(bead, &Texts::default(), &ctx);
                let landed = land_extraction(&before, &found, &stamp);
                Some((found, own_targets(&landed), lendable_targets(&landed)))
            }
            // Reported when landing.
            Err(_) => Some((
                extract(bead, &Texts::default(), &ctx),
                Vec::new(),
                Vec::new(),
            )),
        })
    };
    let found = store::parallel(&selected, extract_one)?;
    let borrowed = borrow_targets(store, &beads, &selected, &found)?;
    let learned = learn_targets(store, &beads, &selected, &found, now)?;
    let lent: Vec<Option<Lent>> = borrowed
        .into_iter()
        .zip(learned)
        .map(|(borrowed, learned)| Lent::new(borrowed, learned))
        .collect();
    #[derive(Clone)]
    enum Outcome {
        Failed(String),
        Skipped,
        Enriched(Enrichment),
    }
    // What a bead's enrichment becomes, given what it is now.
    let land = |(bead, found, lent): &Job<'_>, now: &Result<Enrichment, String>| -> Outcome {
        match (now, found) {
            (Err(e), _) => Outcome::Failed(e.clone()),
            (Ok(before), Some((found, _, _))) if !skip(before) => {
                let mut after = land_extraction(before, found, &stamp);
                if let Some(lent) = lent
                    && own_targets(&after).is_empty()
                    && !after
                        .targets
                        .as_ref()
                        .is_some_and(|t| t.source.is_operator())
                {
                    let keep = before
                        .targets
                        .as_ref()
                        .filter(|t| t.value == lent.targets && t.source == lent.source);
                    after.targets = Some(keep.cloned().unwrap_or_else(|| Stamped {
                        value: lent.targets.clone(),
                        source: lent.source,
                        updated_at: Some(stamp.clone()),
                    }));
                }
                let band = complexity::estimate(bead, &after).band;
                complexity::land(&mut after, band, Source::Backfill, &stamp);
                if after == *before {
                    Outcome::Skipped
                } else {
                    Outcome::Enriched(after)
                }
            }
            (Ok(_), _) => Outcome::Skipped,
        }
    };
    let read = |job: &Job<'_>| store.read_enrichment(&job.0.id).map_err(|e| e.to_string());
    let jobs: Vec<_> = selected
        .iter()
        .copied()
        .zip(found)
        .zip(lent)
        .map(|((bead, found), lent)| (bead, found, lent))
        .collect();
    let mut done = 0;
    for batch in jobs.chunks(512) {
        // Land with no lock held; then, under the lock, land again only
        // the beads whose enrichment changed meanwhile (an operator's edit
        // wins), so the lock is held for little more than the writes.
        type Planned = (Result<Enrichment, String>, Outcome);
        let planned = store::parallel(batch, |job| -> store::Result<Planned> {
            let now = read(job);
            let outcome = land(job, &now);
            Ok((now, outcome))
        })?;
        let _lock = match options.dry_run {
            true => None,
            false => Some(store.lock(Scope::Enrichment)?),
        };
        let pairs: Vec<_> = batch.iter().zip(planned).collect();
        let outcomes =
            store::parallel(&pairs, |(job, (then, outcome))| -> store::Result<Outcome> {
                let now = read(job);
                Ok(if now == *then {
                    outcome.clone()
                } else {
                    land(job, &now)
                })
            })?;
        let mut writes: Vec<(String, Enrichment)> = Vec::new();
        for ((bead, _, lent), outcome) in batch.iter().zip(outcomes) {
            match outcome {
                Outcome::Failed(error) => report.failed.push(Failure {
                    id: bead.id.clone(),
                    error,
                }),
                Outcome::Skipped => report.skipped += 1,
                Outcome::Enriched(after) => {
                    report.enriched += 1;
                    if let Some(lent) = lent
                        && after
                            .targets
                            .as_ref()
                            .is_some_and(|t| t.source == lent.source && t.value == lent.targets)
                    {
                        if let Some(b) = &lent.borrowed {
                            report.borrowed.push(BorrowedTargets {
                                id: bead.id.clone(),
                                via: b.via.clone(),
                                from: b.from.clone(),
                            });
                        }
                        if !lent.learned.is_empty() {
                            report.learned.push(LearnedTargets {
                                id: bead.id.clone(),
                                targets: lent.learned.clone(),
                            });
                        }
                    }
                    writes.push((bead.id.clone(), after));
                }
            }
        }
        if !options.dry_run {
            tx.write_enrichments(&writes)?;
            report.written.extend(writes.into_iter().map(|(id, _)| id));
        }
        done += batch.len();
        progress(done, selected.len());
    }
    Ok(report)
}

/// A bead to land: its extraction and own targets (`None` when skipped),
/// and what it borrows.
type Job<'b> = (&'b Bead, Option<Found>, Option<Lent>);

/// A bead's extraction, its own targets and those it may lend to related
/// beads.
type Found = (Extraction, Vec<Glob>, Vec<Glob>);

/// What a bead whose own targets come out empty gets from others: the
/// targets borrowed from related beads, then the files learned from
/// history that they do not have yet.
#[derive(Debug, Clone)]
struct Lent {
    targets: Vec<Glob>,
    /// `history` when history added a file, else `similar`.
    source: Source,
    borrowed: Option<related::Borrowed>,
    learned: Vec<history::Proposed>,
}

impl Lent {
    fn new(borrowed: Option<related::Borrowed>, learned: Vec<history::Proposed>) -> Option<Lent> {
        let mut targets: Vec<Glob> = borrowed
            .as_ref()
            .map(|b| b.targets.clone())
            .unwrap_or_default();
        let learned: Vec<history::Proposed> = learned
            .into_iter()
            .filter_map(|p| {
                let glob = Glob::new(&p.path).ok()?;
                if targets.contains(&glob) {
                    return None;
                }
                targets.push(glob);
                Some(p)
            })
            .collect();
        let source = match learned.is_empty() {
            true => Source::Similar,
            false => Source::History,
        };
        (!targets.is_empty()).then_some(Lent {
            targets,
            source,
            borrowed,
            learned,
        })
    }
}

/// An extraction landed by backfill: a bead's `retro` targets (the files
/// its commits really touched) stay, its text cannot know better.
fn land_extraction(before: &Enrichment, found: &Extraction, stamp: &str) -> Enrichment {
    let mut after = apply(before, found, Source::Backfill, false, stamp);
    if let Some(t) = before
        .targets
        .as_ref()
        .filter(|t| t.source == Source::Retro)
    {
        after.targets = Some(t.clone());
    }
    after
}

/// A bead's own targets: from its text, a person or its retrospective,
/// never borrowed or learned ones.
fn own_targets(e: &Enrichment) -> Vec<Glob> {
    match &e.targets {
        Some(t) if !matches!(t.source, Source::Similar | Source::History) => t.value.clone(),
        _ => Vec::new(),
    }
}

/// The targets related beads may borrow: from a bead's text or a person.
/// `retro` targets are lent by history only, which knows when they became
/// known (a borrower created before the lender closed gets none).
fn lendable_targets(e: &Enrichment) -> Vec<Glob> {
    match &e.targets {
        Some(t) if matches!(t.source, Source::Similar | Source::History | Source::Retro) => {
            Vec::new()
        }
        Some(t) => t.value.clone(),
        None => Vec::new(),
    }
}

/// Seconds since the epoch of a bead timestamp, if it parses.
fn epoch_seconds(at: Option<&str>) -> Option<i64> {
    at?.parse::<Timestamp>().ok().map(|t| t.as_second())
}

/// What each selected bead whose own targets come out empty learns from
/// history (empty for the others): the files of the closed beads most
/// like it, closed before it was created, as their `retro` targets say
/// (a closed bead without them lends nothing).
fn learn_targets(
    store: &Store,
    beads: &[Bead],
    selected: &[&Bead],
    found: &[Option<Found>],
    now: Timestamp,
) -> Result<Vec<Vec<history::Proposed>>> {
    let params = store.config().retro.history;
    let none = || vec![Vec::new(); selected.len()];
    if !params.enabled || !found.iter().flatten().any(|(_, own, _)| own.is_empty()) {
        return Ok(none());
    }
    let closed: Vec<(&Bead, i64)> = beads
        .iter()
        .filter(|b| b.status == "closed")
        .filter_map(|b| Some((b, epoch_seconds(b.closed_at.as_deref())?)))
        .collect();
    let files = store::parallel(&closed, |(b, _)| -> store::Result<Vec<String>> {
        Ok(match store.read_enrichment(&b.id) {
            Ok(Enrichment {
                targets: Some(t), ..
            }) if t.source == Source::Retro => t
                .value
                .iter()
                .map(|g| g.as_str())
                .filter(|g| !g.contains(['*', '?', '[', '{']))
                .map(String::from)
                .collect(),
            _ => Vec::new(),
        })
    })?;
    let past = History::new(
        closed
            .iter()
            .zip(files)
            .map(|((b, closed_at), files)| Past {
                id: b.id.clone(),
                title: b.title.clone(),
                description: b.description.clone(),
                closed_at: *closed_at,
                files,
            }),
    );
    if past.is_empty() {
        return Ok(none());
    }
    let now = now.as_second();
    Ok(selected
        .iter()
        .zip(found)
        .map(|(b, found)| match found {
            Some((_, own, _)) if own.is_empty() => past.propose(
                &b.title,
                &b.description,
                epoch_seconds(b.created_at.as_deref()).unwrap_or(now),
                &b.id,
                &params,
            ),
            _ => Vec::new(),
        })
        .collect())
}

/// What each selected bead whose own targets come out empty borrows from
/// related beads (`None` for the others). Lenders are every bead in the
/// store: the selected ones with their new targets, the others with their
/// enrichment as it is.
fn borrow_targets(
    store: &Store,
    beads: &[Bead],
    selected: &[&Bead],
    found: &[Option<Found>],
) -> Result<Vec<Option<related::Borrowed>>> {
    // A malformed enrichment file lends nothing (it is reported elsewhere).
    let others: Vec<&Bead> = {
        let picked: BTreeSet<&str> = selected.iter().map(|b| b.id.as_str()).collect();
        beads
            .iter()
            .filter(|b| !picked.contains(b.id.as_str()))
            .collect()
    };
    let lent = store::parallel(&others, |b: &&Bead| -> store::Result<Vec<Glob>> {
        Ok(store
            .read_enrichment(&b.id)
            .map(|e| lendable_targets(&e))
            .unwrap_or_default())
    })?;
    let mut own: BTreeMap<&str, Vec<Glob>> =
        others.iter().map(|b| b.id.as_str()).zip(lent).collect();
    let mut wanted: BTreeSet<&str> = BTreeSet::new();
    for (bead, found) in selected.iter().zip(found) {
        if let Some((_, targets, lendable)) = found {
            if targets.is_empty() {
                wanted.insert(&bead.id);
            }
            own.insert(&bead.id, lendable.clone());
        }
    }
    let empty = Vec::new();
    let docs: Vec<related::Doc<'_>> = beads
        .iter()
        .map(|b| related::Doc {
            id: &b.id,
            title: &b.title,
            description: &b.description,
            parent: b.parent_ids().next(),
            targets: own.get(b.id.as_str()).unwrap_or(&empty),
        })
        .collect();
    let at: Vec<usize> = (0..beads.len())
        .filter(|&i| wanted.contains(beads[i].id.as_str()))
        .collect();
    let lent: BTreeMap<&str, related::Borrowed> = at
        .iter()
        .zip(related::borrow(&docs, &at))
        .filter_map(|(&i, b)| Some((beads[i].id.as_str(), b?)))
        .collect();
    Ok(selected
        .iter()
        .map(|b| lent.get(b.id.as_str()).cloned())
        .collect())
}
