//! bd's ready rule, exactly (see `../shared/BEADS.md`):
//!
//! 1. status is `open`;
//! 2. not pinned, not ephemeral, not an infrastructure type;
//! 3. not blocked. A bead that is neither closed nor pinned is blocked when
//!    it has a `blocks`/`conditional-blocks` edge to a bead that is neither
//!    closed nor pinned, or an unsatisfied `waits-for` gate, or a
//!    `parent-child` parent that is blocked (transitively);
//! 4. `defer_until` absent or past, for the bead and every ancestor.
//!
//! Sorted by priority, then newest `created_at`, then id. An edge to a bead
//! that is not in the set cannot be decided: it does not block (as in bd,
//! where the join finds nothing), and it is reported as a warning.

use std::collections::{HashMap, HashSet, VecDeque};

use jiff::Timestamp;
use serde::Serialize;

use crate::model::Bead;
use crate::model::bead::{BLOCKING_DEP_TYPES, PARENT_CHILD, WAITS_FOR};

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// bd's older rule: `in_progress` beads count as ready too.
    pub include_in_progress: bool,
}

#[derive(Debug, Serialize)]
pub struct Ready<'a> {
    /// Ready beads in bd's order.
    pub beads: Vec<&'a Bead>,
    /// Edges that point outside the set, and timestamps that do not parse.
    pub warnings: Vec<String>,
}

/// Why a bead is or is not ready: the ids of beads blocked in the set.
pub fn blocked_ids<'a>(beads: &'a [Bead], warnings: &mut Vec<String>) -> HashSet<&'a str> {
    let by_id: HashMap<&str, &Bead> = beads.iter().map(|b| (b.id.as_str(), b)).collect();
    let mut children: HashMap<&str, Vec<&Bead>> = HashMap::new();
    for bead in beads {
        for parent in bead.parent_ids() {
            children.entry(parent).or_default().push(bead);
        }
    }

    // Directly blocked: an open blocker or an unsatisfied gate.
    let mut blocked: HashSet<&str> = HashSet::new();
    let mut queue: VecDeque<&str> = VecDeque::new();
    for bead in beads {
        if bead.is_done() {
            continue;
        }
        let mut is_blocked = false;
        for dep in &bead.dependencies {
            let target = by_id.get(dep.depends_on_id.as_str());
            let t = dep.dep_type.as_str();
            if BLOCKING_DEP_TYPES.contains(&t) {
                match target {
                    Some(blocker) => is_blocked |= !blocker.is_done(),
                    None => warnings.push(missing(bead, &dep.depends_on_id, t)),
                }
            } else if t == WAITS_FOR {
                is_blocked |= gate_unsatisfied(dep, children.get(dep.depends_on_id.as_str()));
                if target.is_none() {
                    warnings.push(missing(bead, &dep.depends_on_id, t));
                }
            } else if t == PARENT_CHILD && target.is_none() {
                warnings.push(missing(bead, &dep.depends_on_id, t));
            }
        }
        if is_blocked && blocked.insert(bead.id.as_str()) {
            queue.push_back(bead.id.as_str());
        }
    }

    // A blocked parent blocks its children that are neither closed nor pinned.
    while let Some(id) = queue.pop_front() {
        for child in children.get(id).into_iter().flatten() {
            if !child.is_done() && blocked.insert(child.id.as_str()) {
                queue.push_back(child.id.as_str());
            }
        }
    }
    blocked
}

/// A `waits-for` gate holds while the target has a child that is neither
/// closed nor pinned, unless the gate is `any-children` and a child closed.
fn gate_unsatisfied(dep: &crate::model::Dependency, children: Option<&Vec<&Bead>>) -> bool {
    let children = children.map(Vec::as_slice).unwrap_or_default();
    let any_open = children.iter().any(|c| !c.is_done());
    let any_gate = dep
        .extra
        .get("metadata")
        .and_then(|m| match m {
            serde_json::Value::String(s) => serde_json::from_str::<serde_json::Value>(s).ok(),
            other => Some(other.clone()),
        })
        .and_then(|m| {
            m.get("gate")
                .and_then(|g| g.as_str())
                .map(|g| g == "any-children")
        })
        .unwrap_or(false);
    any_open && !(any_gate && children.iter().any(|c| c.status == "closed"))
}

fn missing(bead: &Bead, target: &str, dep_type: &str) -> String {
    format!(
        "{} --{dep_type}--> {target}: {target} is not in the store; the edge is ignored",
        bead.id
    )
}

/// The ready set in bd's order.
pub fn ready<'a>(beads: &'a [Bead], now: Timestamp, options: &Options) -> Ready<'a> {
    let mut warnings = Vec::new();
    let blocked = blocked_ids(beads, &mut warnings);
    let by_id: HashMap<&str, &Bead> = beads.iter().map(|b| (b.id.as_str(), b)).collect();

    let mut out: Vec<(&Bead, Option<Timestamp>)> = beads
        .iter()
        .filter(|b| {
            b.status == "open" || (options.include_in_progress && b.status == "in_progress")
        })
        .filter(|b| !b.pinned && !b.ephemeral && !b.is_infrastructure())
        .filter(|b| !blocked.contains(b.id.as_str()))
        .filter(|b| !deferred(b, &by_id, now, &mut warnings))
        .map(|b| (b, parse_time(b.created_at.as_deref())))
        .collect();
    out.sort_by(|(a, at), (b, bt)| {
        a.priority
            .cmp(&b.priority)
            .then_with(|| bt.cmp(at))
            .then_with(|| a.id.cmp(&b.id))
    });
    warnings.sort();
    warnings.dedup();
    Ready {
        beads: out.into_iter().map(|(b, _)| b).collect(),
        warnings,
    }
}

/// Deferred when the bead or any ancestor has a future `defer_until`.
fn deferred(
    bead: &Bead,
    by_id: &HashMap<&str, &Bead>,
    now: Timestamp,
    warnings: &mut Vec<String>,
) -> bool {
    let mut seen = HashSet::new();
    let mut stack = vec![bead];
    while let Some(b) = stack.pop() {
        if !seen.insert(b.id.as_str()) {
            continue;
        }
        if let Some(text) = &b.defer_until {
            match parse_time(Some(text)) {
                Some(t) if t > now => return true,
                Some(_) => {}
                None => warnings.push(format!(
                    "{}: defer_until {text:?} is not an RFC 3339 timestamp; ignored",
                    b.id
                )),
            }
        }
        stack.extend(b.parent_ids().filter_map(|p| by_id.get(p).copied()));
    }
    false
}

/// RFC 3339 timestamp, or `None` (absent or unparseable: sorts as oldest).
pub fn parse_time(text: Option<&str>) -> Option<Timestamp> {
    text.and_then(|t| t.parse::<Timestamp>().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Dependency;

    fn bead(id: &str, status: &str, deps: &[(&str, &str)]) -> Bead {
        let mut b = Bead::new(id, id);
        b.status = status.into();
        b.dependencies = deps
            .iter()
            .map(|(to, t)| Dependency::new(*to, *t))
            .collect();
        b
    }

    fn ready_ids(beads: &[Bead]) -> Vec<String> {
        let now: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        ready(beads, now, &Options::default())
            .beads
            .iter()
            .map(|b| b.id.clone())
            .collect()
    }

    #[test]
    fn table() {
        let cases: Vec<(&str, Vec<Bead>, Vec<&str>)> = vec![
            ("plain open", vec![bead("a", "open", &[])], vec!["a"]),
            (
                "in_progress is not ready",
                vec![bead("a", "in_progress", &[])],
                vec![],
            ),
            (
                "open blocker blocks",
                vec![
                    bead("a", "open", &[("b", "blocks")]),
                    bead("b", "open", &[]),
                ],
                vec!["b"],
            ),
            (
                "closed blocker does not",
                vec![
                    bead("a", "open", &[("b", "blocks")]),
                    bead("b", "closed", &[]),
                ],
                vec!["a"],
            ),
            (
                "pinned blocker does not",
                vec![
                    bead("a", "open", &[("b", "blocks")]),
                    bead("b", "pinned", &[]),
                ],
                vec!["a"],
            ),
            (
                "in_progress blocker blocks",
                vec![
                    bead("a", "open", &[("b", "conditional-blocks")]),
                    bead("b", "in_progress", &[]),
                ],
                vec![],
            ),
            (
                "related is a link only",
                vec![
                    bead("a", "open", &[("b", "related")]),
                    bead("b", "open", &[]),
                ],
                vec!["a", "b"],
            ),
            (
                "open parent does not block its child",
                vec![
                    bead("c", "open", &[("p", "parent-child")]),
                    bead("p", "open", &[]),
                ],
                vec!["c", "p"],
            ),
            (
                "blocked parent blocks children transitively",
                vec![
                    bead("p", "open", &[("x", "blocks")]),
                    bead("x", "in_progress", &[]),
                    bead("c", "open", &[("p", "parent-child")]),
                    bead("g", "open", &[("c", "parent-child")]),
                ],
                vec![],
            ),
            (
                "closed middle parent stops propagation",
                vec![
                    bead("p", "open", &[("x", "blocks")]),
                    bead("x", "open", &[]),
                    bead("c", "closed", &[("p", "parent-child")]),
                    bead("g", "open", &[("c", "parent-child")]),
                ],
                vec!["g", "x"],
            ),
            (
                "missing blocker is ignored",
                vec![bead("a", "open", &[("zz", "blocks")])],
                vec!["a"],
            ),
            (
                "waits-for holds while target has open children",
                vec![
                    bead("w", "open", &[("t", "waits-for")]),
                    bead("t", "closed", &[]),
                    bead("k", "open", &[("t", "parent-child")]),
                ],
                vec!["k"],
            ),
            (
                "waits-for released when children closed",
                vec![
                    bead("w", "open", &[("t", "waits-for")]),
                    bead("t", "open", &[]),
                    bead("k", "closed", &[("t", "parent-child")]),
                ],
                vec!["t", "w"],
            ),
        ];
        for (name, beads, expected) in cases {
            let mut got = ready_ids(&beads);
            got.sort();
            assert_eq!(got, expected, "{name}");
        }
    }

    #[test]
    fn excluded_kinds() {
        let mut eph = bead("e", "open", &[]);
        eph.ephemeral = true;
        let mut pin = bead("p", "open", &[]);
        pin.pinned = true;
        let mut infra = bead("m", "open", &[]);
        infra.issue_type = "molecule".into();
        assert!(ready_ids(&[eph, pin, infra]).is_empty());
    }

    #[test]
    fn deferral_applies_to_descendants() {
        let mut parent = bead("p", "open", &[]);
        parent.defer_until = Some("2030-01-01T00:00:00Z".into());
        let child = bead("c", "open", &[("p", "parent-child")]);
        let mut past = bead("d", "open", &[]);
        past.defer_until = Some("2020-01-01T00:00:00-08:00".into());
        assert_eq!(ready_ids(&[parent, child, past]), vec!["d"]);
    }

    #[test]
    fn order_is_priority_then_newest_then_id() {
        let mk = |id: &str, p: u8, at: &str| {
            let mut b = bead(id, "open", &[]);
            b.priority = p;
            b.created_at = Some(at.into());
            b
        };
        let beads = vec![
            mk("a", 2, "2025-01-01T00:00:00Z"),
            mk("b", 1, "2025-01-01T00:00:00Z"),
            mk("c", 2, "2025-06-01T00:00:00-08:00"),
            mk("d", 2, "2025-06-01T08:00:00Z"),
        ];
        assert_eq!(ready_ids(&beads), vec!["b", "c", "d", "a"]);
    }
}
