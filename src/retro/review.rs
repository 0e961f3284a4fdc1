//! The I/O edge of calibration and the one review queue.
//!
//! [`calibrate`] reads the coach picks from the log and the closed beads
//! with their estimated sizes, runs [`super::calibrate::calibrate`], writes
//! each finding with a change as a `tune` suggestion
//! (`.gemba/suggestions/<id>.yaml`) unless one for the same key is pending
//! or was rejected less than `vocab.repropose_after_days` ago, and logs one
//! `calibrate` event. [`list`], [`approve`] and [`reject`] are `gemba
//! suggestions`: vocabulary suggestions go to `vocab::ops` (exactly what
//! `gemba concepts approve|reject` does), tune suggestions to
//! [`super::tune`].

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;

use super::calibrate::{self, Closed, Components, Finding, Input, Pick};
use super::tune::{self, Error, Result, TuneReport};
use crate::model::suggestion::{Suggestion, SuggestionKind, SuggestionStatus};
use crate::model::{Event, EventKind, timestamp};
use crate::plan::ready::parse_time;
use crate::store::{self, Changes, Scope, Store};
use crate::vocab::ops as vocab;

// ---------------------------------------------------------------- input

/// A `decision` event of `gemba pick` as a sample; `None` for any other
/// event, or a pick without a recommendation.
pub fn pick_of(event: &Event) -> Option<Pick> {
    if event.kind != EventKind::Decision || event.data.get("what")?.as_str()? != "pick" {
        return None;
    }
    let rec = event.data.get("recommendation")?;
    let chosen = event.data.get("pick")?;
    let id = |v: &Value| v.get("id").and_then(Value::as_str).map(String::from);
    let lines = |v: &Value| -> Vec<String> {
        v.get("justification")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|l| l.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (rec_lines, pick_lines) = (lines(rec), lines(chosen));
    if rec_lines.is_empty() {
        return None;
    }
    Some(Pick {
        decision: event.id.clone(),
        at: event.timestamp()?,
        recommended: id(rec)?,
        bead: id(chosen)?,
        agreed: event
            .data
            .get("agreed")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        recommendation: Components::parse(&rec_lines),
        pick: (!pick_lines.is_empty()).then(|| Components::parse(&pick_lines)),
    })
}

/// The closed beads with an estimated size, and their hours from the last
/// claim before closing (else `started_at`, else `created_at`).
fn closed(store: &Store, events: &[Event]) -> Result<Vec<Closed>> {
    let mut claims: BTreeMap<&str, Vec<Timestamp>> = BTreeMap::new();
    for e in events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Claim | EventKind::ClaimTakeover))
    {
        if let (Some(bead), Some(at)) = (e.beads.first(), e.timestamp()) {
            claims.entry(bead).or_default().push(at);
        }
    }
    let enrichments = store.load_enrichments()?;
    let mut out = Vec::new();
    for bead in store.load_beads()? {
        let Some(closed_at) = parse_time(bead.closed_at.as_deref()) else {
            continue;
        };
        let Some(size) = enrichments
            .get(&bead.id)
            .and_then(|e| e.estimated_size.as_ref())
            .map(|s| s.value)
        else {
            continue;
        };
        let claimed = claims
            .get(bead.id.as_str())
            .and_then(|c| c.iter().filter(|t| **t <= closed_at).max().copied());
        let Some(from) = claimed
            .or_else(|| parse_time(bead.started_at.as_deref()))
            .or_else(|| parse_time(bead.created_at.as_deref()))
        else {
            continue;
        };
        let hours = closed_at.duration_since(from).as_secs_f64() / 3600.0;
        if hours >= 0.0 {
            out.push(Closed {
                bead: bead.id.clone(),
                closed_at,
                size,
                hours,
            });
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------- calibrate

/// One finding and what became of it.
#[derive(Debug, Serialize)]
pub struct Reported {
    #[serde(flatten)]
    pub finding: Finding,
    /// `new` (written), `pending` (one for the key awaits review),
    /// `recently_rejected`, `same_key` (an earlier finding of this run
    /// proposes that key), `no_change` (nothing to propose), or `dry_run`.
    pub outcome: &'static str,
    /// The suggestion written, or the one that stands in its way.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct CalibrateReport {
    /// Coach picks read (with a recommendation).
    pub picks: usize,
    /// Closed beads with an estimated size and a time to close.
    pub closed: usize,
    pub findings: Vec<Reported>,
    /// Ids of the suggestions written.
    pub new: Vec<String>,
    pub dry_run: bool,
    /// Malformed log lines skipped (`gemba check` reports them).
    #[serde(skip)]
    pub problems: Vec<crate::format::ParseError>,
}

/// Pending, or rejected less than `days` ago, for `key`.
fn standing(
    existing: &[Suggestion],
    key: &str,
    days: u32,
    now: Timestamp,
) -> Option<(&'static str, String)> {
    let same = existing
        .iter()
        .filter(|s| s.kind == SuggestionKind::Tune && s.key.as_deref() == Some(key));
    for s in same {
        match s.status {
            SuggestionStatus::Pending => return Some(("pending", s.id.clone())),
            SuggestionStatus::Rejected => {
                let decided = parse_time(s.decided_at.as_deref());
                if decided
                    .is_none_or(|t| now.duration_since(t).as_secs() < i64::from(days) * 86_400)
                {
                    return Some(("recently_rejected", s.id.clone()));
                }
            }
            SuggestionStatus::Approved => {}
        }
    }
    None
}

/// `gemba calibrate`. The event is `None` on a dry run; the caller logs it
/// with the transaction (or alone when nothing was written).
pub fn calibrate(
    tx: &mut Changes<'_>,
    dry_run: bool,
    actor: &str,
    now: Timestamp,
) -> Result<(CalibrateReport, Option<Event>)> {
    let store = tx.store();
    let (events, problems) = store::log::read(store, None)?;
    let mut tuned: BTreeMap<String, Timestamp> = BTreeMap::new();
    for e in events.iter().filter(|e| e.kind == EventKind::Tune) {
        if let (Some(key), Some(at)) = (e.data.get("key").and_then(Value::as_str), e.timestamp()) {
            let last = tuned.entry(key.to_string()).or_insert(at);
            *last = (*last).max(at);
        }
    }
    let input = Input {
        picks: events.iter().filter_map(pick_of).collect(),
        closed: closed(store, &events)?,
        tuned,
    };
    let config = store.config();
    let findings = calibrate::calibrate(&input, config);
    let _lock = store.lock(Scope::Vocabulary)?;
    let existing = vocab::load_suggestions(store)?;
    let ids: BTreeSet<String> = existing.iter().map(|s| s.id.clone()).collect();
    let mut proposed: BTreeMap<String, String> = BTreeMap::new();
    let mut writes: Vec<Suggestion> = Vec::new();
    let mut reported = Vec::new();
    for finding in findings {
        let (outcome, suggestion) = match &finding.change {
            None => ("no_change", None),
            Some(c) if proposed.contains_key(&c.key) => ("same_key", proposed.get(&c.key).cloned()),
            Some(c) => match standing(&existing, &c.key, config.vocab.repropose_after_days, now) {
                Some((outcome, id)) => (outcome, Some(id)),
                None if dry_run => ("dry_run", None),
                None => {
                    let id = (1..)
                        .map(|n| match n {
                            1 => format!("tune-{}", c.key),
                            n => format!("tune-{}-{n}", c.key),
                        })
                        .find(|id| !ids.contains(id))
                        .unwrap_or_default();
                    proposed.insert(c.key.clone(), id.clone());
                    writes.push(Suggestion {
                        id: id.clone(),
                        kind: SuggestionKind::Tune,
                        terms: Vec::new(),
                        target: None,
                        key: Some(c.key.clone()),
                        current: Some(calibrate::format_number(c.current)),
                        value: Some(c.value()),
                        finding: Some(finding.kind.to_string()),
                        samples: finding.samples.clone(),
                        reason: finding.reason.clone(),
                        evidence: finding.evidence.clone(),
                        status: SuggestionStatus::Pending,
                        created_at: timestamp(now),
                        decided_at: None,
                        decided_by: None,
                        decision_reason: None,
                    });
                    ("new", Some(id))
                }
            },
        };
        reported.push(Reported {
            finding,
            outcome,
            suggestion,
        });
    }
    let items: Vec<(&str, &Suggestion)> = writes.iter().map(|s| (s.id.as_str(), s)).collect();
    tx.write_all(&items)?;
    let new: Vec<String> = writes.iter().map(|s| s.id.clone()).collect();
    let report = CalibrateReport {
        picks: input.picks.len(),
        closed: input.closed.len(),
        findings: reported,
        new,
        dry_run,
        problems,
    };
    if dry_run {
        return Ok((report, None));
    }
    let summary: Vec<Value> = report
        .findings
        .iter()
        .map(|r| {
            serde_json::json!({
                "kind": r.finding.kind,
                "key": r.finding.change.as_ref().map(|c| &c.key),
                "value": r.finding.change.as_ref().map(|c| c.value()),
                "outcome": r.outcome,
                "suggestion": r.suggestion,
            })
        })
        .collect();
    let event = Event::new(
        now,
        actor,
        EventKind::Calibrate,
        Vec::new(),
        format!(
            "calibrate: {} findings from {} picks and {} closed beads, {} new suggestions{}",
            report.findings.len(),
            report.picks,
            report.closed,
            report.new.len(),
            if report.new.is_empty() {
                String::new()
            } else {
                format!(" ({})", report.new.join(", "))
            }
        ),
    )
    .with("findings", summary)
    .with("new", &report.new)
    .with("picks", report.picks)
    .with("closed", report.closed);
    Ok((report, Some(event)))
}

// ---------------------------------------------------------------- queue

/// Which suggestions `gemba suggestions list` shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct Filter {
    /// `None`: every status.
    pub status: Option<SuggestionStatus>,
    /// `None`: every kind.
    pub kind: Option<KindFilter>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KindFilter {
    One(SuggestionKind),
    /// merge, rename and delete.
    Vocabulary,
}

/// Every suggestion that passes `filter`, oldest first.
pub fn list(store: &Store, filter: Filter) -> Result<Vec<Suggestion>> {
    let mut all = vocab::load_suggestions(store)?;
    all.retain(|s| {
        filter.status.is_none_or(|st| s.status == st)
            && match filter.kind {
                None => true,
                Some(KindFilter::One(k)) => s.kind == k,
                Some(KindFilter::Vocabulary) => s.kind.is_vocabulary(),
            }
    });
    Ok(all)
}

#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Approved {
    /// What `gemba concepts approve` reports.
    Vocabulary(vocab::ApproveReport),
    Tune {
        suggestion: Suggestion,
        tune: TuneReport,
    },
}

fn pending(store: &Store, id: &str) -> Result<(std::path::PathBuf, Suggestion)> {
    let (path, s) = vocab::read_suggestion(store, id)?;
    if s.status != SuggestionStatus::Pending {
        return Err(
            crate::vocab::Error::from(crate::vocab::decide::Error::NotPending {
                id: id.to_string(),
                status: s.status,
            })
            .into(),
        );
    }
    s.validate().map_err(|message| {
        crate::vocab::Error::from(crate::vocab::decide::Error::Malformed {
            id: id.to_string(),
            message,
        })
    })?;
    Ok((path, s))
}

/// `gemba suggestions approve`: a vocabulary suggestion as `gemba concepts
/// approve` does it; a tune suggestion through [`tune::tune`], the config
/// and the suggestion changed together.
pub fn approve(
    tx: &mut Changes<'_>,
    id: &str,
    reason: Option<&str>,
    by: &str,
    actor: &str,
    now: Timestamp,
) -> Result<(Approved, Event)> {
    let store = tx.store();
    let (_, s) = vocab::read_suggestion(store, id)?;
    if s.kind.is_vocabulary() {
        let (report, mut ev) = vocab::approve(tx, id, by, actor, now)?;
        if let Some(r) = reason {
            ev = ev.with("reason", r);
        }
        return Ok((Approved::Vocabulary(report), ev));
    }
    let _lock = store.lock(Scope::Vocabulary)?;
    let (path, mut s) = pending(store, id)?;
    let (key, value) = (
        s.key.clone().unwrap_or_default(),
        s.value.clone().unwrap_or_default(),
    );
    s.decide(SuggestionStatus::Approved, timestamp(now), by, reason);
    let why = match reason {
        Some(r) => r.to_string(),
        None if s.reason.is_empty() => format!("suggestion {id}"),
        None => s.reason.clone(),
    };
    let also = vec![(path, Some(s.to_yaml().into_bytes()))];
    let (report, ev) = tune::tune(tx, &key, &value, &why, Some(id), also, actor, now)?;
    let ev = ev.with("decided_by", by);
    Ok((
        Approved::Tune {
            suggestion: s,
            tune: report,
        },
        ev,
    ))
}

/// `gemba suggestions reject`: vocabulary ones as `gemba concepts reject`.
pub fn reject(
    tx: &mut Changes<'_>,
    id: &str,
    reason: &str,
    by: &str,
    actor: &str,
    now: Timestamp,
) -> Result<(Suggestion, Event)> {
    let store = tx.store();
    let (_, s) = vocab::read_suggestion(store, id)?;
    if s.kind.is_vocabulary() {
        return Ok(vocab::reject(tx, id, reason, by, actor, now)?);
    }
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Error::Invalid("a rejection needs a reason".into()));
    }
    let _lock = store.lock(Scope::Vocabulary)?;
    let (path, mut s) = pending(store, id)?;
    s.decide(SuggestionStatus::Rejected, timestamp(now), by, Some(reason));
    tx.write_file(&path, s.to_yaml().as_bytes())?;
    let ev = Event::new(
        now,
        actor,
        EventKind::SuggestionReject,
        Vec::new(),
        format!("reject {id}: {} ({reason})", s.describe()),
    )
    .with("suggestion", id)
    .with("kind", s.kind)
    .with("key", &s.key)
    .with("value", &s.value)
    .with("decided_by", by)
    .with("reason", reason);
    Ok((s, ev))
}
