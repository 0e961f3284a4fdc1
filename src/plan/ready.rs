//! bd's ready rule, exactly (see `../shared/BEADS.md`):
//!
//! 1. status is `open`;
//! 2. not pinned, not ephemeral, not an infrastructure type;
//! 3. not blocked. A bead that is neither closed nor pinned is blocked when
//!    it has a `blocks`/`conditional-blocks` edge to a bead that is neither
//!    closed nor pinned, or an unsatisfied `waits-for` gate, or a
//!    `parent-child` parent that is blocked (transitively);
//! 4. `defer_until` absent or past, for the bead and every ancestor;
//! 5. no unresolved `external:<project>:<capability>` blocking edge
//!    ([`super::external`]). As in bd, this takes out the bead itself only:
//!    it does not make the bead "blocked" for its children.
//!
//! Sorted by priority, then newest `created_at`, then id. An edge to a bead
//! that is not in the set cannot be decided: it does not block (as in bd,
//! where the join finds nothing), and it is reported in [`Ready::missing`].
//! `external:` targets are never missing beads.

use std::collections::VecDeque;
use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::external::{self, Externals, Unresolved};
use super::{Map, Set};
use crate::model::bead::{BLOCKING_DEP_TYPES, PARENT_CHILD, WAITS_FOR};
use crate::model::{BeadHead, Edge};

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// bd's older rule: `in_progress` beads count as ready too.
    pub include_in_progress: bool,
    /// What the other projects' trackers provide (`external:` edges).
    pub externals: Externals,
}

#[derive(Debug, Serialize)]
pub struct Ready<'a> {
    /// Ready beads in bd's order.
    pub beads: Vec<&'a BeadHead<'a>>,
    /// Ordering edges of beads that are neither closed nor pinned whose
    /// target is not in the set (ignored), sorted, without duplicates.
    pub missing: Vec<MissingEdge>,
    /// Unresolved `external:` blocking edges of beads that are neither
    /// closed nor pinned, sorted.
    pub external: Vec<ExternalBlocker>,
    /// Timestamps that do not parse.
    pub warnings: Vec<String>,
}

/// A dependency edge whose target is not in the set.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MissingEdge {
    pub from: String,
    pub dep_type: String,
    pub to: String,
}

impl fmt::Display for MissingEdge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} --{}--> {}", self.from, self.dep_type, self.to)
    }
}

/// A bead kept out of ready work by an `external:` edge, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ExternalBlocker {
    pub bead: String,
    pub dep_type: String,
    pub target: String,
    pub reason: Unresolved,
}

impl fmt::Display for ExternalBlocker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let target = self
            .target
            .strip_prefix(external::PREFIX)
            .unwrap_or(&self.target);
        write!(
            f,
            "{} is blocked by external {target} ({})",
            self.bead, self.reason
        )
    }
}

/// The beads by id, and the children of each parent.
struct Graph<'s, 'a> {
    by_id: Map<&'a str, &'s BeadHead<'a>>,
    children: Map<&'a str, Vec<&'s BeadHead<'a>>>,
}

impl<'s, 'a> Graph<'s, 'a> {
    fn new(beads: &'s [BeadHead<'a>]) -> Graph<'s, 'a> {
        let mut by_id = Map::with_capacity_and_hasher(beads.len(), Default::default());
        let mut children: Map<&str, Vec<&BeadHead>> = Map::default();
        for bead in beads {
            by_id.insert(bead.id, bead);
            for parent in bead.parent_ids() {
                children.entry(parent).or_default().push(bead);
            }
        }
        Graph { by_id, children }
    }
}

/// The ids of beads blocked in the set by local edges. Edges to beads
/// outside the set go to `missing`; `external:` edges are left to
/// [`external_blockers`].
pub fn blocked_ids<'a>(beads: &[BeadHead<'a>], missing: &mut Vec<MissingEdge>) -> Set<&'a str> {
    blocked(beads, &Graph::new(beads), missing)
}

fn blocked<'a>(
    beads: &[BeadHead<'a>],
    graph: &Graph<'_, 'a>,
    missing: &mut Vec<MissingEdge>,
) -> Set<&'a str> {
    // Directly blocked: an open blocker or an unsatisfied gate.
    let mut blocked: Set<&str> = Set::default();
    let mut queue: VecDeque<&str> = VecDeque::new();
    for bead in beads {
        if bead.is_done() {
            continue;
        }
        let mut is_blocked = false;
        for dep in &bead.dependencies {
            if external::is_external(dep.depends_on_id) {
                continue;
            }
            let target = graph.by_id.get(dep.depends_on_id);
            let t = dep.dep_type;
            if BLOCKING_DEP_TYPES.contains(&t) {
                match target {
                    Some(blocker) => is_blocked |= !blocker.is_done(),
                    None => missing.push(missing_edge(bead, dep)),
                }
            } else if t == WAITS_FOR {
                is_blocked |= gate_unsatisfied(dep, graph.children.get(dep.depends_on_id));
                if target.is_none() {
                    missing.push(missing_edge(bead, dep));
                }
            } else if t == PARENT_CHILD && target.is_none() {
                missing.push(missing_edge(bead, dep));
            }
        }
        if is_blocked && blocked.insert(bead.id) {
            queue.push_back(bead.id);
        }
    }

    // A blocked parent blocks its children that are neither closed nor pinned.
    while let Some(id) = queue.pop_front() {
        for child in graph.children.get(id).into_iter().flatten() {
            if !child.is_done() && blocked.insert(child.id) {
                queue.push_back(child.id);
            }
        }
    }
    blocked
}

/// Every unresolved `external:` blocking edge of a bead that is neither
/// closed nor pinned, sorted.
pub fn external_blockers(beads: &[BeadHead<'_>], externals: &Externals) -> Vec<ExternalBlocker> {
    let mut out: Vec<ExternalBlocker> = beads
        .iter()
        .filter(|b| !b.is_done())
        .flat_map(|b| {
            b.dependencies.iter().filter_map(move |d| {
                external::unresolved(d.depends_on_id, d.dep_type, externals).map(|reason| {
                    ExternalBlocker {
                        bead: b.id.to_string(),
                        dep_type: d.dep_type.to_string(),
                        target: d.depends_on_id.to_string(),
                        reason,
                    }
                })
            })
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// A `waits-for` gate holds while the target has a child that is neither
/// closed nor pinned, unless the gate is `any-children` and a child closed.
fn gate_unsatisfied(dep: &Edge<'_>, children: Option<&Vec<&BeadHead<'_>>>) -> bool {
    let children = children.map(Vec::as_slice).unwrap_or_default();
    let any_open = children.iter().any(|c| !c.is_done());
    any_open && !(dep.any_children && children.iter().any(|c| c.status == "closed"))
}

fn missing_edge(bead: &BeadHead<'_>, dep: &Edge<'_>) -> MissingEdge {
    MissingEdge {
        from: bead.id.to_string(),
        dep_type: dep.dep_type.to_string(),
        to: dep.depends_on_id.to_string(),
    }
}

/// The ready set in bd's order.
pub fn ready<'s, 'a>(beads: &'s [BeadHead<'a>], now: Timestamp, options: &Options) -> Ready<'s> {
    let mut warnings = Vec::new();
    let mut missing = Vec::new();
    let graph = Graph::new(beads);
    let blocked = blocked(beads, &graph, &mut missing);
    missing.sort();
    missing.dedup();
    let external = external_blockers(beads, &options.externals);
    let held: Set<&str> = external.iter().map(|e| e.bead.as_str()).collect();

    let mut out: Vec<(&BeadHead, Option<Timestamp>)> = beads
        .iter()
        .filter(|b| {
            b.status == "open" || (options.include_in_progress && b.status == "in_progress")
        })
        .filter(|b| !b.pinned && !b.ephemeral && !b.is_infrastructure())
        .filter(|b| !blocked.contains(b.id))
        .filter(|b| !held.contains(b.id))
        .filter(|b| !deferred(b, &graph, now, &mut warnings))
        .map(|b| (b, parse_time(b.created_at)))
        .collect();
    out.sort_by(|(a, at), (b, bt)| {
        a.priority
            .cmp(&b.priority)
            .then_with(|| bt.cmp(at))
            .then_with(|| a.id.cmp(b.id))
    });
    warnings.sort();
    warnings.dedup();
    Ready {
        beads: out.into_iter().map(|(b, _)| b).collect(),
        missing,
        external,
        warnings,
    }
}

/// Deferred when the bead or any ancestor has a future `defer_until`.
fn deferred(
    bead: &BeadHead<'_>,
    graph: &Graph<'_, '_>,
    now: Timestamp,
    warnings: &mut Vec<String>,
) -> bool {
    let mut seen: Vec<&str> = Vec::new();
    let mut stack = vec![bead];
    while let Some(b) = stack.pop() {
        if seen.contains(&b.id) {
            continue;
        }
        seen.push(b.id);
        if let Some(text) = b.defer_until {
            match parse_time(Some(text)) {
                Some(t) if t > now => return true,
                Some(_) => {}
                None => warnings.push(format!(
                    "{}: defer_until {text:?} is not an RFC 3339 timestamp; ignored",
                    b.id
                )),
            }
        }
        stack.extend(b.parent_ids().filter_map(|p| graph.by_id.get(p).copied()));
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
    use crate::model::{Bead, Dependency};

    fn bead(id: &str, status: &str, deps: &[(&str, &str)]) -> Bead {
        let mut b = Bead::new(id, id);
        b.status = status.into();
        b.dependencies = deps
            .iter()
            .map(|(to, t)| Dependency::new(*to, *t))
            .collect();
        b
    }

    fn heads(beads: &[Bead]) -> Vec<BeadHead<'_>> {
        beads.iter().map(BeadHead::from).collect()
    }

    fn ready_ids(beads: &[Bead]) -> Vec<String> {
        let now: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        ready(&heads(beads), now, &Options::default())
            .beads
            .iter()
            .map(|b| b.id.to_string())
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

    fn ready_with(beads: &[Bead], externals: &Externals) -> Vec<String> {
        let now: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let options = Options {
            externals: externals.clone(),
            ..Options::default()
        };
        let mut ids: Vec<String> = ready(&heads(beads), now, &options)
            .beads
            .iter()
            .map(|b| b.id.to_string())
            .collect();
        ids.sort();
        ids
    }

    #[test]
    fn external_edges() {
        let externals = Externals {
            resolved: [("b".to_string(), "auth-api".to_string())].into(),
            configured: ["b".to_string(), "gone".to_string()].into(),
            unreadable: [(
                "gone".to_string(),
                ("/nowhere".to_string(), "no tracker".to_string()),
            )]
            .into(),
        };
        let cases: Vec<(&str, Vec<Bead>, Vec<&str>)> = vec![
            (
                "resolved blocks edge does not block",
                vec![bead("a", "open", &[("external:b:auth-api", "blocks")])],
                vec!["a"],
            ),
            (
                "unprovided capability blocks",
                vec![bead("a", "open", &[("external:b:billing", "blocks")])],
                vec![],
            ),
            (
                "unconfigured project blocks",
                vec![bead("a", "open", &[("external:zz:auth-api", "blocks")])],
                vec![],
            ),
            (
                "unreadable tracker blocks",
                vec![bead("a", "open", &[("external:gone:auth-api", "blocks")])],
                vec![],
            ),
            (
                "malformed reference blocks",
                vec![bead("a", "open", &[("external:b", "blocks")])],
                vec![],
            ),
            (
                "conditional-blocks and waits-for block too",
                vec![
                    bead("a", "open", &[("external:b:billing", "conditional-blocks")]),
                    bead("w", "open", &[("external:b:billing", "waits-for")]),
                ],
                vec![],
            ),
            (
                "link types never block",
                vec![
                    bead("a", "open", &[("external:b:billing", "related")]),
                    bead("d", "open", &[("external:zz:x", "discovered-from")]),
                    bead("p", "open", &[("external:zz:x", "parent-child")]),
                ],
                vec!["a", "d", "p"],
            ),
            (
                "only the bead itself is held, not its children (bd)",
                vec![
                    bead("e", "open", &[("external:b:billing", "blocks")]),
                    bead("c", "open", &[("e", "parent-child")]),
                ],
                vec!["c"],
            ),
            (
                "a closed bead's external edge is moot",
                vec![
                    bead("x", "closed", &[("external:b:billing", "blocks")]),
                    bead("y", "open", &[("x", "blocks")]),
                ],
                vec!["y"],
            ),
        ];
        for (name, beads, expected) in cases {
            assert_eq!(ready_with(&beads, &externals), expected, "{name}");
        }
    }

    #[test]
    fn external_edges_are_reported_not_missing() {
        let beads = vec![
            bead(
                "a",
                "open",
                &[
                    ("external:zz:auth-api", "blocks"),
                    ("gone-1", "blocks"),
                    ("gone-1", "blocks"),
                    ("gone-2", "parent-child"),
                    ("gone-3", "related"),
                ],
            ),
            bead("z", "closed", &[("gone-4", "blocks")]),
        ];
        let now: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let hs = heads(&beads);
        let r = ready(&hs, now, &Options::default());
        let missing: Vec<String> = r.missing.iter().map(|m| m.to_string()).collect();
        assert_eq!(
            missing,
            vec!["a --blocks--> gone-1", "a --parent-child--> gone-2"]
        );
        assert_eq!(r.external.len(), 1);
        assert_eq!(
            r.external[0].to_string(),
            "a is blocked by external zz:auth-api (project not configured in external_projects)"
        );
        assert!(r.beads.is_empty());
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
