//! Reading retros back from the log (`gemba retro list|show`): a retro is
//! its `retro` event; there is no other file to keep in step.

use serde::Serialize;
use serde_json::Value;

use super::run::{Retro, RetroData};
use super::{Error, Result};
use crate::model::{Event, EventKind};

/// A `retro` event as a [`Retro`]; the reason when it is not one.
pub fn parse(event: &Event) -> std::result::Result<Retro, String> {
    if event.kind != EventKind::Retro {
        return Err(format!("a {} event, not a retro", event.kind));
    }
    let bead = match event.beads.as_slice() {
        [one] => one.clone(),
        other => return Err(format!("names {} beads, not one", other.len())),
    };
    let data: RetroData =
        serde_json::from_value(Value::Object(event.data.clone().into_iter().collect()))
            .map_err(|e| e.to_string())?;
    Ok(Retro {
        id: event.id.clone(),
        at: event.at.clone(),
        bead,
        data,
    })
}

/// Which retros `gemba retro list` shows.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only those whose divergence score is above this.
    pub diverged_gt: Option<f64>,
    /// Only those of this session.
    pub session: Option<String>,
}

/// The retros of `events` that pass `filter`, oldest first, and the retro
/// events that could not be read (id, why).
pub fn list(events: &[Event], filter: &Filter) -> (Vec<Retro>, Vec<(String, String)>) {
    let mut out = Vec::new();
    let mut bad = Vec::new();
    for event in events.iter().filter(|e| e.kind == EventKind::Retro) {
        match parse(event) {
            Ok(r) => {
                if filter
                    .diverged_gt
                    .is_some_and(|t| r.data.divergence.score <= t)
                {
                    continue;
                }
                if filter
                    .session
                    .as_deref()
                    .is_some_and(|s| r.data.session.as_deref() != Some(s))
                {
                    continue;
                }
                out.push(r);
            }
            Err(why) => bad.push((event.id.clone(), why)),
        }
    }
    (out, bad)
}

/// One retro and the later retros of its bead (their commits are rework
/// of this one).
#[derive(Debug, Clone, Serialize)]
pub struct Shown {
    #[serde(flatten)]
    pub retro: Retro,
    pub reworked_by: Vec<String>,
}

/// The retro with event id `id`.
pub fn show(events: &[Event], id: &str) -> Result<Shown> {
    let event = events
        .iter()
        .find(|e| e.id == id && e.kind == EventKind::Retro)
        .ok_or_else(|| Error::NotFound(id.to_string()))?;
    let retro = parse(event).map_err(|why| Error::Invalid(format!("retro {id}: {why}")))?;
    let reworked_by = events
        .iter()
        .filter(|e| e.kind == EventKind::Retro && e.concerns(&retro.bead))
        .filter_map(|e| parse(e).ok())
        .filter(|r| r.data.grade.outcome.rework_of.iter().any(|o| o == id))
        .map(|r| r.id)
        .collect();
    Ok(Shown { retro, reworked_by })
}
