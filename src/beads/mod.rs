//! Native bead operations: create (hash ids), update, close. Every edit is
//! checked before anything is written: ids, dependency targets, cycles.
//! Error type [`Error`]; all writes go through a store transaction.

pub mod conflicts;
pub mod filter;
pub mod ready;
pub mod select;
pub mod values;

use jiff::Timestamp;
use serde::Serialize;

use crate::model::bead::PARENT_CHILD;
use crate::model::id;
use crate::model::{Bead, BeadHead, Dependency, Event, EventKind, timestamp};
use crate::plan::deps;
use crate::store::snapshot::{Parts, Snapshot};
use crate::store::{self, Changes, Scope};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error("{0}")]
    Invalid(String),
    #[error("dependency cycle: {0}")]
    Cycle(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, Clone, Default)]
pub struct NewBead {
    pub title: String,
    pub description: String,
    pub priority: Option<u8>,
    pub issue_type: Option<String>,
    pub parent: Option<String>,
    /// `(target, type)`.
    pub deps: Vec<(String, String)>,
    pub labels: Vec<String>,
    pub assignee: Option<String>,
}

/// Parse `ID[:type]` (type defaults to `blocks`).
pub fn parse_dep(spec: &str) -> Result<(String, String)> {
    let (target, dep_type) = match spec.rsplit_once(':') {
        Some((t, ty))
            if !ty.is_empty() && ty.chars().all(|c| c.is_ascii_lowercase() || c == '-') =>
        {
            (t, ty)
        }
        _ => (spec, "blocks"),
    };
    id::validate(target).map_err(|e| Error::Invalid(e.to_string()))?;
    Ok((target.to_string(), dep_type.to_string()))
}

fn check_priority(p: u8) -> Result<u8> {
    if p <= 4 {
        Ok(p)
    } else {
        Err(Error::Invalid(format!("priority must be 0-4, not {p}")))
    }
}

fn check_title(t: &str) -> Result<()> {
    if t.trim().is_empty() {
        Err(Error::Invalid("title must not be empty".into()))
    } else {
        Ok(())
    }
}

/// base36 of a 64-bit FNV-1a hash: short, lower-case ids like bd's.
fn hash36(input: &str) -> String {
    crate::hash::base36(crate::hash::fnv1a(input.as_bytes()), 13)
}

/// Create a bead. Children of `parent` get bd-style ids `<parent>.<n>`.
pub fn create(
    tx: &mut Changes<'_>,
    new: NewBead,
    actor: &str,
    now: Timestamp,
) -> Result<(Bead, Event)> {
    check_title(&new.title)?;
    let _lock = tx.store().lock(Scope::Beads)?;
    let snapshot = Snapshot::load(tx.store(), Parts::BEADS)?;
    let exists = |id: &str| snapshot.contains(id);
    if let Some(parent) = &new.parent {
        id::validate(parent).map_err(|e| Error::Invalid(e.to_string()))?;
        if !exists(parent) {
            return Err(Error::Invalid(format!("parent {parent:?} does not exist")));
        }
    }
    let config = tx.store().config().clone();
    let mut bead = Bead::new(String::new(), new.title.trim());
    bead.description = new.description;
    bead.priority = check_priority(new.priority.unwrap_or(2))?;
    if let Some(t) = new.issue_type {
        bead.issue_type = t;
    }
    bead.labels = new.labels;
    bead.assignee = new.assignee;
    bead.created_by = Some(actor.to_string());
    bead.created_at = Some(timestamp(now));
    bead.updated_at = bead.created_at.clone();
    if let Some(parent) = &new.parent {
        bead.parent = Some(parent.clone());
        bead.dependencies
            .push(dep(parent, PARENT_CHILD, actor, now));
    }
    for (target, dep_type) in &new.deps {
        bead.dependencies.push(dep(target, dep_type, actor, now));
    }
    let added: Vec<&str> = bead
        .dependencies
        .iter()
        .map(|d| d.depends_on_id.as_str())
        .collect();
    check_deps(&bead, &snapshot, &added)?;

    // Pick an id no bead has; `create_bead` is O_EXCL, so a racing creator
    // that picked the same id loses cleanly and we try the next candidate.
    for attempt in 0u32.. {
        bead.id = match &new.parent {
            Some(parent) => {
                let n = snapshot
                    .beads()?
                    .iter()
                    .filter_map(|b| b.id.strip_prefix(&format!("{parent}.")))
                    .filter_map(|rest| rest.parse::<u32>().ok())
                    .max()
                    .unwrap_or(0);
                format!("{parent}.{}", n + 1 + attempt)
            }
            None => {
                let hash = hash36(&format!(
                    "{}|{}|{}|{attempt}",
                    bead.title,
                    now.as_nanosecond(),
                    actor
                ));
                let len = (config.ids.min_hash_len + attempt as usize / 3).min(hash.len());
                format!("{}-{}", config.ids.prefix, &hash[..len])
            }
        };
        if exists(&bead.id) {
            continue;
        }
        match tx.create_bead(&bead) {
            Ok(()) => break,
            Err(store::Error::Exists { .. }) if attempt < 100 => continue,
            Err(e) => return Err(e.into()),
        }
    }
    let ev = Event::new(
        now,
        actor,
        EventKind::BeadCreate,
        vec![bead.id.clone()],
        format!("create {} \"{}\"", bead.id, bead.title),
    );
    Ok((bead, ev))
}

fn dep(target: &str, dep_type: &str, actor: &str, now: Timestamp) -> Dependency {
    let mut d = Dependency::new(target, dep_type);
    d.created_at = Some(timestamp(now));
    d.created_by = Some(actor.to_string());
    d
}

/// Dependencies added by this edit must name existing beads other than this
/// one, and must not close a cycle through it. (Edges an importer brought
/// in may point outside the store; they are left alone.)
fn check_deps(bead: &Bead, snapshot: &Snapshot, added: &[&str]) -> Result<()> {
    for target in added {
        if *target == bead.id {
            return Err(Error::Cycle(format!("{0} -> {0}", bead.id)));
        }
        if !snapshot.contains(target) {
            return Err(Error::Invalid(format!(
                "dependency target {target:?} does not exist"
            )));
        }
    }
    // A new bead has no dependents yet, so it cannot close a cycle.
    if bead.id.is_empty() {
        return Ok(());
    }
    let head = BeadHead::from(bead);
    let all = snapshot.beads()?;
    let after = all
        .iter()
        .filter(|b| b.id != bead.id)
        .chain(std::iter::once(&head));
    match deps::cycles(after)
        .into_iter()
        .find(|c| c.contains(&bead.id))
    {
        Some(cycle) => Err(Error::Cycle(deps::describe(&cycle))),
        None => Ok(()),
    }
}

/// Changes to a bead; `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct Patch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub design: Option<String>,
    pub acceptance_criteria: Option<String>,
    pub notes: Option<String>,
    pub status: Option<String>,
    pub priority: Option<u8>,
    pub issue_type: Option<String>,
    /// `Some(None)` clears.
    pub assignee: Option<Option<String>>,
    pub parent: Option<Option<String>>,
    pub defer_until: Option<Option<String>>,
    pub add_labels: Vec<String>,
    pub remove_labels: Vec<String>,
    pub add_deps: Vec<(String, String)>,
    pub remove_deps: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Updated {
    pub bead: Bead,
    /// Names of the fields that changed (empty: nothing to do).
    pub changed: Vec<&'static str>,
}

/// Apply `patch` to bead `id`. Nothing is written when nothing changes.
pub fn update(
    tx: &mut Changes<'_>,
    bead_id: &str,
    patch: Patch,
    actor: &str,
    now: Timestamp,
) -> Result<(Updated, Option<Event>)> {
    let _lock = tx.store().lock(Scope::Beads)?;
    let old = tx.store().read_bead(bead_id)?;
    let mut bead = old.clone();
    let mut changed = Vec::new();
    macro_rules! set {
        ($field:ident, $value:expr, $name:literal) => {
            if let Some(v) = $value {
                if bead.$field != v {
                    bead.$field = v;
                    changed.push($name);
                }
            }
        };
    }
    if let Some(t) = &patch.title {
        check_title(t)?;
    }
    if let Some(p) = patch.priority {
        check_priority(p)?;
    }
    if let Some(Some(d)) = &patch.defer_until {
        crate::plan::ready::parse_time(Some(d)).ok_or_else(|| {
            Error::Invalid(format!("defer_until {d:?} is not an RFC 3339 timestamp"))
        })?;
    }
    set!(title, patch.title.map(|t| t.trim().to_string()), "title");
    set!(description, patch.description, "description");
    set!(design, patch.design, "design");
    set!(
        acceptance_criteria,
        patch.acceptance_criteria,
        "acceptance_criteria"
    );
    set!(notes, patch.notes, "notes");
    set!(status, patch.status, "status");
    set!(priority, patch.priority, "priority");
    set!(issue_type, patch.issue_type, "issue_type");
    set!(assignee, patch.assignee, "assignee");
    set!(defer_until, patch.defer_until, "defer_until");
    if let Some(parent) = patch.parent
        && bead.parent != parent
    {
        bead.dependencies.retain(|d| d.dep_type != PARENT_CHILD);
        if let Some(p) = &parent {
            id::validate(p).map_err(|e| Error::Invalid(e.to_string()))?;
            bead.dependencies.push(dep(p, PARENT_CHILD, actor, now));
        }
        bead.parent = parent;
        changed.push("parent");
    }
    for label in patch.add_labels {
        if !bead.labels.contains(&label) {
            bead.labels.push(label);
            changed.push("labels");
        }
    }
    let before = bead.labels.len();
    bead.labels.retain(|l| !patch.remove_labels.contains(l));
    if bead.labels.len() != before {
        changed.push("labels");
    }
    let before = bead.dependencies.len();
    bead.dependencies
        .retain(|d| !patch.remove_deps.contains(&d.depends_on_id) || d.dep_type == PARENT_CHILD);
    if bead.dependencies.len() != before {
        changed.push("dependencies");
    }
    for (target, dep_type) in patch.add_deps {
        if !bead
            .dependencies
            .iter()
            .any(|d| d.depends_on_id == target && d.dep_type == dep_type)
        {
            bead.dependencies.push(dep(&target, &dep_type, actor, now));
            changed.push("dependencies");
        }
    }
    changed.dedup();
    if changed.is_empty() {
        return Ok((Updated { bead, changed }, None));
    }
    if changed
        .iter()
        .any(|c| *c == "dependencies" || *c == "parent")
    {
        let snapshot = Snapshot::load(tx.store(), Parts::BEADS)?;
        let added: Vec<&str> = bead
            .dependencies
            .iter()
            .filter(|d| !old.dependencies.contains(d))
            .map(|d| d.depends_on_id.as_str())
            .collect();
        check_deps(&bead, &snapshot, &added)?;
    }
    if changed.contains(&"status") {
        if bead.status == "closed" && bead.closed_at.is_none() {
            bead.closed_at = Some(timestamp(now));
        } else if bead.status != "closed" {
            bead.closed_at = None;
            bead.close_reason = None;
        }
    }
    bead.updated_at = Some(timestamp(now));
    tx.write_bead(&bead)?;
    let ev = Event::new(
        now,
        actor,
        EventKind::BeadUpdate,
        vec![bead.id.clone()],
        format!("update {} ({})", bead.id, changed.join(", ")),
    )
    .with("fields", &changed);
    Ok((Updated { bead, changed }, Some(ev)))
}

/// Close a bead with an optional reason.
pub fn close(
    tx: &mut Changes<'_>,
    bead_id: &str,
    reason: Option<String>,
    actor: &str,
    now: Timestamp,
) -> Result<(Bead, Option<Event>)> {
    let _lock = tx.store().lock(Scope::Beads)?;
    let mut bead = tx.store().read_bead(bead_id)?;
    if bead.status == "closed" && (reason.is_none() || bead.close_reason == reason) {
        return Ok((bead, None));
    }
    bead.status = "closed".into();
    bead.closed_at = Some(timestamp(now));
    bead.updated_at = bead.closed_at.clone();
    if reason.is_some() {
        bead.close_reason = reason;
    }
    tx.write_bead(&bead)?;
    let message = match &bead.close_reason {
        Some(r) => format!("close {}: {r}", bead.id),
        None => format!("close {}", bead.id),
    };
    let ev = Event::new(
        now,
        actor,
        EventKind::BeadClose,
        vec![bead.id.clone()],
        message,
    );
    Ok((bead, Some(ev)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dep_specs() {
        assert_eq!(parse_dep("bd-1").unwrap(), ("bd-1".into(), "blocks".into()));
        assert_eq!(
            parse_dep("bd-1:parent-child").unwrap(),
            ("bd-1".into(), "parent-child".into())
        );
        assert_eq!(
            parse_dep("a/b:related").unwrap(),
            ("a/b".into(), "related".into())
        );
        assert!(parse_dep("../x").is_err());
    }

    #[test]
    fn hash_is_lowercase_base36_and_deterministic() {
        let h = hash36("title|1|me|0");
        assert_eq!(h, hash36("title|1|me|0"));
        assert!(
            h.chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase())
        );
        assert_ne!(h, hash36("title|1|me|1"));
    }
}
