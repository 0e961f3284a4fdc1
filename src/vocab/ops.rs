//! The I/O edge of `vocab/`: load the inputs of the pure layers from the
//! store, write their results through a store transaction, and name each
//! change with one event (`concepts.bootstrap`, `concepts.drift`,
//! `concepts.approve`, `concepts.reject`).

use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::Serialize;

use super::bootstrap::{self, RepoFacts};
use super::decide::{self, Decider};
use super::drift::{self, Outcome};
use super::usage::{self, Usage};
use super::{Error, Result};
use crate::model::suggestion::{Suggestion, SuggestionStatus};
use crate::model::vocabulary::normalize_tag;
use crate::model::{Event, EventKind, Term, Vocabulary, timestamp};
use crate::store::{self, Changes, Scope, Store, kind};

/// Kinds of the events this module logs start with this.
pub const EVENT_PREFIX: &str = "concepts.";

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Every suggestion, oldest first (then by id). A malformed file is an
/// error naming its path, line and column.
pub fn load_suggestions(store: &Store) -> Result<Vec<Suggestion>> {
    let mut out: Vec<Suggestion> = store.load_all()?.into_iter().map(|(_, s)| s).collect();
    out.sort_by(|a, b| (&a.created_at, &a.id).cmp(&(&b.created_at, &b.id)));
    Ok(out)
}

pub fn read_suggestion(store: &Store, id: &str) -> Result<(PathBuf, Suggestion)> {
    let path = store.path(&kind::SUGGESTIONS, id)?;
    match store.read(id)? {
        Some(s) => Ok((path, s)),
        None => Err(Error::SuggestionNotFound(id.to_string())),
    }
}

fn load_usage(store: &Store, vocabulary: &Vocabulary) -> Result<Usage> {
    Ok(usage::usage(vocabulary, &store.load_enrichments()?))
}

// ---------------------------------------------------------------- bootstrap

#[derive(Debug, Clone, Default)]
pub struct BootstrapOptions {
    /// Most new terms (default: `vocab.bootstrap_max`).
    pub max: Option<usize>,
    pub dry_run: bool,
}

#[derive(Debug, Serialize)]
pub struct BootstrapReport {
    /// New terms (written unless `dry_run`).
    pub added: Vec<Term>,
    /// Candidates the vocabulary already had.
    pub existing: usize,
    /// New candidates left out by `max`.
    pub over_cap: usize,
    pub max: usize,
    pub dry_run: bool,
}

/// What bootstrap reads from the repository and the store.
struct RepoInputs {
    tracked: Vec<String>,
    cargo_toml: Option<String>,
    package_json: Option<String>,
    labels: Vec<Vec<String>>,
}

/// Read what bootstrap looks at: tracked files (none outside git), the
/// root `Cargo.toml` and `package.json` when tracked, and bead labels.
fn repo_inputs(store: &Store) -> Result<RepoInputs> {
    let tracked = match store.worktree() {
        Some(wt) => crate::git::tracked_files(wt)?,
        None => Vec::new(),
    };
    let read_root = |name: &str| -> Result<Option<String>> {
        match store.worktree() {
            Some(wt) if tracked.iter().any(|p| p == name) => {
                let path = wt.join(name);
                match std::fs::read_to_string(&path) {
                    Ok(text) => Ok(Some(text)),
                    // Tracked but deleted in the worktree: nothing to read.
                    Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(io_at(&path)(e)),
                }
            }
            _ => Ok(None),
        }
    };
    let cargo_toml = read_root("Cargo.toml")?;
    let package_json = read_root("package.json")?;
    let labels = store.load_beads()?.into_iter().map(|b| b.labels).collect();
    Ok(RepoInputs {
        tracked,
        cargo_toml,
        package_json,
        labels,
    })
}

/// `gemba concepts bootstrap`.
pub fn bootstrap(
    tx: &mut Changes<'_>,
    options: &BootstrapOptions,
    actor: &str,
    now: Timestamp,
) -> Result<(BootstrapReport, Option<Event>)> {
    let store = tx.store();
    let inputs = repo_inputs(store)?;
    let _lock = store.lock(Scope::Vocabulary)?;
    let mut vocabulary = store.read_vocabulary()?;
    let facts = RepoFacts {
        tracked: &inputs.tracked,
        cargo_toml: inputs.cargo_toml.as_deref(),
        package_json: inputs.package_json.as_deref(),
        bead_labels: &inputs.labels,
    };
    let known: BTreeSet<String> = vocabulary
        .terms
        .iter()
        .flat_map(|t| std::iter::once(&t.name).chain(&t.aliases))
        .map(|n| normalize_tag(n))
        .collect();
    let max = options.max.unwrap_or(store.config().vocab.bootstrap_max);
    let plan = bootstrap::plan(&facts, &known, max);
    let stamp = timestamp(now);
    let added: Vec<Term> = plan
        .proposals
        .iter()
        .map(|p| Term {
            name: p.name.clone(),
            description: String::new(),
            aliases: Vec::new(),
            source: format!("bootstrap:{}", p.source),
            created_at: Some(stamp.clone()),
            updated_at: Some(stamp.clone()),
            retired: false,
        })
        .collect();
    let report = BootstrapReport {
        added,
        existing: plan.existing,
        over_cap: plan.over_cap,
        max,
        dry_run: options.dry_run,
    };
    if options.dry_run || report.added.is_empty() {
        return Ok((report, None));
    }
    vocabulary.terms.extend(report.added.iter().cloned());
    let path = store.vocabulary_path();
    tx.write_file(&path, vocabulary.to_yaml().as_bytes())?;
    let mut sources: Vec<&str> = plan.proposals.iter().map(|p| p.source).collect();
    sources.dedup();
    let names: Vec<&str> = report.added.iter().map(|t| t.name.as_str()).collect();
    let ev = Event::new(
        now,
        actor,
        EventKind::ConceptsBootstrap,
        vec![],
        format!(
            "bootstrap vocabulary: {} new terms from {}",
            names.len(),
            sources.join(", ")
        ),
    )
    .with("terms", &names);
    Ok((report, Some(ev)))
}

// ---------------------------------------------------------------- list

#[derive(Debug, Serialize)]
pub struct TermUsage {
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    pub aliases: Vec<String>,
    pub source: String,
    /// Beads whose enrichment uses the term.
    pub usage: usize,
    /// Newest concepts stamp among them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_used: Option<String>,
    pub retired: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct UnknownUsage {
    pub name: String,
    pub usage: usize,
}

#[derive(Debug, Serialize)]
pub struct ListReport {
    /// By name.
    pub terms: Vec<TermUsage>,
    /// Concepts used in enrichment files but missing from the vocabulary.
    pub unknown: Vec<UnknownUsage>,
}

/// `gemba concepts list`: live terms (retired too with `all`) and usage.
pub fn list(store: &Store, all: bool) -> Result<ListReport> {
    let vocabulary = store.read_vocabulary()?;
    let usage = load_usage(store, &vocabulary)?;
    let mut terms: Vec<TermUsage> = vocabulary
        .terms
        .iter()
        .filter(|t| all || !t.retired)
        .map(|t| TermUsage {
            name: t.name.clone(),
            description: t.description.clone(),
            aliases: t.aliases.clone(),
            source: t.source.clone(),
            usage: usage.count(&t.name),
            last_used: usage.last_used.get(&t.name).map(|ts| timestamp(*ts)),
            retired: t.retired,
            created_at: t.created_at.clone(),
            updated_at: t.updated_at.clone(),
        })
        .collect();
    terms.sort_by(|a, b| a.name.cmp(&b.name));
    let unknown = usage
        .unknown
        .iter()
        .map(|(name, beads)| UnknownUsage {
            name: name.clone(),
            usage: beads.len(),
        })
        .collect();
    Ok(ListReport { terms, unknown })
}

// ---------------------------------------------------------------- drift

#[derive(Debug, Serialize)]
pub struct DriftReport {
    /// Suggestions written by this run.
    pub new: Vec<Suggestion>,
    /// Ids of pending suggestions this run found again (not repeated).
    pub pending: Vec<String>,
    /// Ids of suggestions rejected less than `repropose_after_days` ago.
    pub recently_rejected: Vec<String>,
}

/// `gemba concepts drift`: write new suggestions; never applies them.
pub fn drift(
    tx: &mut Changes<'_>,
    actor: &str,
    now: Timestamp,
) -> Result<(DriftReport, Option<Event>)> {
    let store = tx.store();
    let config = store.config().vocab.clone();
    let _lock = store.lock(Scope::Vocabulary)?;
    let vocabulary = store.read_vocabulary()?;
    let usage = load_usage(store, &vocabulary)?;
    let existing = load_suggestions(store)?;
    let findings = drift::drift(&vocabulary, &usage, &config, now);
    let outcomes = drift::fresh(&findings, &existing, config.repropose_after_days, now);
    let mut report = DriftReport {
        new: Vec::new(),
        pending: Vec::new(),
        recently_rejected: Vec::new(),
    };
    for (finding, outcome) in findings.into_iter().zip(outcomes) {
        match outcome {
            Outcome::New(id) => report.new.push(Suggestion {
                id,
                kind: finding.kind,
                terms: finding.terms,
                target: finding.target,
                reason: finding.reason,
                evidence: finding.evidence,
                status: SuggestionStatus::Pending,
                created_at: timestamp(now),
                decided_at: None,
                decided_by: None,
                decision_reason: None,
                key: None,
                current: None,
                value: None,
                finding: None,
                samples: vec![],
            }),
            Outcome::Pending(id) => report.pending.push(id),
            Outcome::RecentlyRejected(id) => report.recently_rejected.push(id),
        }
    }
    if report.new.is_empty() {
        return Ok((report, None));
    }
    let items: Vec<(&str, &Suggestion)> = report.new.iter().map(|s| (s.id.as_str(), s)).collect();
    tx.write_all(&items)?;
    let ids: Vec<&str> = report.new.iter().map(|s| s.id.as_str()).collect();
    let ev = Event::new(
        now,
        actor,
        EventKind::ConceptsDrift,
        vec![],
        format!(
            "concept drift: {} new suggestions ({})",
            ids.len(),
            ids.join(", ")
        ),
    )
    .with("suggestions", &ids);
    Ok((report, Some(ev)))
}

// ---------------------------------------------------------------- review

/// `gemba concepts review`: pending vocabulary suggestions (every one with
/// `all`), oldest first. Tune suggestions are `gemba suggestions list`'s.
pub fn review(store: &Store, all: bool) -> Result<Vec<Suggestion>> {
    let mut list = load_suggestions(store)?;
    list.retain(|s| s.kind.is_vocabulary() && (all || s.status == SuggestionStatus::Pending));
    Ok(list)
}

#[derive(Debug, Serialize)]
pub struct ApproveReport {
    pub suggestion: Suggestion,
    /// Beads whose enrichment file was rewritten (or removed, when nothing
    /// was left in it).
    pub rewritten: Vec<String>,
}

/// `gemba concepts approve`: apply a pending suggestion. Every new file is
/// computed first; then the vocabulary, every affected enrichment file and
/// the suggestion are swapped in one all-or-nothing step.
pub fn approve(
    tx: &mut Changes<'_>,
    id: &str,
    by: &str,
    actor: &str,
    now: Timestamp,
) -> Result<(ApproveReport, Event)> {
    let store = tx.store();
    // Rewrites the vocabulary and enrichment files: both locks, always in
    // this order.
    let _vocabulary = store.lock(Scope::Vocabulary)?;
    let _enrichment = store.lock(Scope::Enrichment)?;
    let (path, suggestion) = read_suggestion(store, id)?;
    let vocabulary = store.read_vocabulary()?;
    let enrichments = store.load_enrichments()?;
    let at = timestamp(now);
    let plan = decide::approve(
        &vocabulary,
        &enrichments,
        &suggestion,
        Decider { by, at: &at },
    )?;
    let mut changes: Vec<(PathBuf, Option<Vec<u8>>)> = vec![(
        store.vocabulary_path(),
        Some(plan.vocabulary.to_yaml().into_bytes()),
    )];
    for (bead, enrichment) in &plan.enrichments {
        changes.push((
            store.path(&kind::ENRICHMENT, bead)?,
            enrichment.as_ref().map(|e| e.to_yaml().into_bytes()),
        ));
    }
    changes.push((path, Some(plan.suggestion.to_yaml().into_bytes())));
    tx.replace_all(changes)?;
    let rewritten: Vec<String> = plan.enrichments.keys().cloned().collect();
    let what = match (&plan.target, plan.suggestion.kind) {
        (Some(t), crate::model::suggestion::SuggestionKind::Merge) => {
            format!("merge {} into {t}", plan.terms.join(", "))
        }
        (Some(t), _) => format!("rename {} to {t}", plan.terms.join(", ")),
        (None, _) => format!("delete {}", plan.terms.join(", ")),
    };
    let ev = Event::new(
        now,
        actor,
        EventKind::ConceptsApprove,
        vec![],
        format!("approve {id}: {what} ({} beads rewritten)", rewritten.len()),
    )
    .with("suggestion", id)
    .with("kind", plan.suggestion.kind)
    .with("terms", &plan.terms)
    .with("target", &plan.target)
    .with("decided_by", by)
    .about_many(&rewritten);
    Ok((
        ApproveReport {
            suggestion: plan.suggestion,
            rewritten,
        },
        ev,
    ))
}

/// `gemba concepts reject`: mark a pending suggestion rejected, with why.
pub fn reject(
    tx: &mut Changes<'_>,
    id: &str,
    reason: &str,
    by: &str,
    actor: &str,
    now: Timestamp,
) -> Result<(Suggestion, Event)> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Error::Invalid("a rejection needs a reason".into()));
    }
    let _lock = tx.store().lock(Scope::Vocabulary)?;
    let (path, mut suggestion) = read_suggestion(tx.store(), id)?;
    if !suggestion.kind.is_vocabulary() {
        return Err(decide::Error::NotVocabulary { id: id.to_string() }.into());
    }
    if suggestion.status != SuggestionStatus::Pending {
        return Err(decide::Error::NotPending {
            id: id.to_string(),
            status: suggestion.status,
        }
        .into());
    }
    suggestion.decide(SuggestionStatus::Rejected, timestamp(now), by, Some(reason));
    tx.write_file(&path, suggestion.to_yaml().as_bytes())?;
    let ev = Event::new(
        now,
        actor,
        EventKind::ConceptsReject,
        vec![],
        format!("reject {id}: {} ({reason})", suggestion.describe()),
    )
    .with("suggestion", id)
    .with("kind", suggestion.kind)
    .with("terms", &suggestion.terms)
    .with("target", &suggestion.target)
    .with("decided_by", by)
    .with("reason", reason);
    Ok((suggestion, ev))
}

/// `gemba concepts log`: every vocabulary event, oldest first, and the
/// log's malformed lines (skipped; see [`store::log::read`]).
pub fn log(store: &Store) -> Result<(Vec<Event>, Vec<crate::format::ParseError>)> {
    let (mut events, problems) = store::log::read(store, None)?;
    events.retain(|e| e.kind.as_str().starts_with(EVENT_PREFIX));
    Ok((events, problems))
}
