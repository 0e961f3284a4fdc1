//! bd's cross-project dependencies (`external:<project>:<capability>`),
//! decided without I/O: the caller reads the other trackers
//! (`crate::import::external`) and hands over what it found as
//! [`Externals`].
//!
//! What bd does, read from its sources (steveyegge/beads):
//!
//! - The reference is `external:<project>:<capability>`, split on the first
//!   two `:` (`parseReference` in the `externaldeps` storage decorator;
//!   `parseExternalRef` in the older `internal/storage/sqlite/external_deps.go`).
//!   A malformed one (no project or no capability) is never satisfied: it
//!   fails closed.
//! - Which edges: `IsBlockingEdge` in `internal/types/types.go` —
//!   `blocks`, `conditional-blocks` and `waits-for`. `parent-child` and the
//!   link types to an `external:` target mean nothing (the `is_blocked`
//!   projection in `internal/storage/issueops/blocked_state.go` never joins
//!   external targets, so a `waits-for` gate there never fires either; the
//!   decorator then blocks the bead on the ref itself).
//! - Resolved when the project's tracker has a bead with status `closed`
//!   (not `pinned`) and the label `provides:<capability>`; `bd ship
//!   <capability>` (`cmd/bd/ship.go`) adds that label to the closed bead
//!   labelled `export:<capability>`.
//! - The project path comes from `external_projects` in bd's config, relative
//!   to the repository root (the parent of `.beads/`) unless absolute
//!   (`ResolveExternalProjectPath` in `internal/config/config.go`); a path
//!   that does not exist counts as not configured.
//! - Not configured, or a tracker that cannot be opened or queried: the edge
//!   stays blocking, with one warning per project ("external project %q is
//!   unavailable; its capability dependencies remain blocking",
//!   `resolveReferences`). The old SQLite store skipped the check entirely
//!   when no `external_projects` were configured (`GetReadyWork` in
//!   `ready.go`); current bd always applies it, and gemba follows current bd.
//! - Only the bead carrying the edge is taken out of ready work
//!   (`withExternalExclusions` adds it to `ExcludeIDs`); its children are not
//!   blocked through it, because the parent's `is_blocked` never includes
//!   external refs. Each project is opened once per query, all its
//!   capabilities asked together.
//!
//! gemba reads another project's `.gemba/beads/` when present, else bd's
//! `.beads/issues.jsonl` export (bd itself opens the project's database).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::model::bead::{BLOCKING_DEP_TYPES, WAITS_FOR};

/// The prefix that marks a cross-project reference.
pub const PREFIX: &str = "external:";

/// The label a closed bead carries to provide a capability.
pub const PROVIDES_PREFIX: &str = "provides:";

/// A dependency target in another project's tracker, not a bead id.
pub fn is_external(target: &str) -> bool {
    target.starts_with(PREFIX)
}

/// `external:<project>:<capability>` → `(project, capability)`; `None`
/// when either part is missing (bd: never satisfied).
pub fn parse(target: &str) -> Option<(&str, &str)> {
    let rest = target.strip_prefix(PREFIX)?;
    let (project, capability) = rest.split_once(':')?;
    (!project.is_empty() && !capability.is_empty()).then_some((project, capability))
}

/// Dependency types that make an `external:` edge block (bd's
/// `IsBlockingEdge`); on any other type the edge is a link.
pub fn blocks(dep_type: &str) -> bool {
    BLOCKING_DEP_TYPES.contains(&dep_type) || dep_type == WAITS_FOR
}

/// The capability a `provides:<capability>` label names.
pub fn provided_capability(label: &str) -> Option<&str> {
    label
        .strip_prefix(PROVIDES_PREFIX)
        .filter(|c| !c.is_empty())
}

/// What was learned from the other trackers for one command.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Externals {
    /// `(project, capability)` pairs that a closed bead provides.
    pub resolved: BTreeSet<(String, String)>,
    /// Projects named in `external_projects`.
    pub configured: BTreeSet<String>,
    /// Configured projects whose tracker could not be read: path, and why.
    pub unreadable: BTreeMap<String, (String, String)>,
}

/// Why an `external:` edge still blocks.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Unresolved {
    /// Not of the form `external:<project>:<capability>`.
    Malformed,
    /// The project is not in `external_projects`.
    NotConfigured,
    /// The tracker was read; no closed bead is labelled `provides:<capability>`.
    NotProvided,
    /// The tracker could not be read.
    Unreadable { path: String, reason: String },
}

impl fmt::Display for Unresolved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unresolved::Malformed => {
                write!(f, "malformed: expected external:<project>:<capability>")
            }
            Unresolved::NotConfigured => write!(f, "project not configured in external_projects"),
            Unresolved::NotProvided => write!(f, "no closed bead provides it"),
            Unresolved::Unreadable { path, reason } => {
                write!(f, "tracker unreadable at {path}: {reason}")
            }
        }
    }
}

/// Why the edge `dep_type` → `target` keeps its bead from being ready, or
/// `None` when it does not: the target is not `external:`, the type is a
/// link, or a closed bead provides the capability.
pub fn unresolved(target: &str, dep_type: &str, externals: &Externals) -> Option<Unresolved> {
    if !is_external(target) || !blocks(dep_type) {
        return None;
    }
    let Some((project, capability)) = parse(target) else {
        return Some(Unresolved::Malformed);
    };
    if !externals.configured.contains(project) {
        return Some(Unresolved::NotConfigured);
    }
    if let Some((path, reason)) = externals.unreadable.get(project) {
        return Some(Unresolved::Unreadable {
            path: path.clone(),
            reason: reason.clone(),
        });
    }
    let key = (project.to_string(), capability.to_string());
    (!externals.resolved.contains(&key)).then_some(Unresolved::NotProvided)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn externals() -> Externals {
        Externals {
            resolved: [("b".to_string(), "auth-api".to_string())].into(),
            configured: ["b".to_string(), "down".to_string()].into(),
            unreadable: [(
                "down".to_string(),
                ("/x/down".to_string(), "no tracker".to_string()),
            )]
            .into(),
        }
    }

    #[test]
    fn table() {
        let unreadable = Unresolved::Unreadable {
            path: "/x/down".into(),
            reason: "no tracker".into(),
        };
        let cases: Vec<(&str, &str, Option<Unresolved>)> = vec![
            ("external:b:auth-api", "blocks", None),
            ("external:b:auth-api", "conditional-blocks", None),
            (
                "external:b:billing",
                "blocks",
                Some(Unresolved::NotProvided),
            ),
            (
                "external:b:billing",
                "waits-for",
                Some(Unresolved::NotProvided),
            ),
            (
                "external:b:billing",
                "conditional-blocks",
                Some(Unresolved::NotProvided),
            ),
            (
                "external:c:auth-api",
                "blocks",
                Some(Unresolved::NotConfigured),
            ),
            ("external:down:auth-api", "blocks", Some(unreadable)),
            ("external:b", "blocks", Some(Unresolved::Malformed)),
            ("external::x", "blocks", Some(Unresolved::Malformed)),
            ("external:b:", "blocks", Some(Unresolved::Malformed)),
            // Links and hierarchy never block, resolved or not.
            ("external:b:billing", "related", None),
            ("external:b:billing", "parent-child", None),
            ("external:c:x", "discovered-from", None),
            ("external:b", "related", None),
            // Not external: the local rule decides.
            ("bd-a1b2", "blocks", None),
        ];
        let ext = externals();
        for (target, dep_type, expected) in cases {
            assert_eq!(
                unresolved(target, dep_type, &ext),
                expected,
                "{dep_type} -> {target}"
            );
        }
    }

    #[test]
    fn capability_may_contain_colons() {
        assert_eq!(parse("external:b:mol:run"), Some(("b", "mol:run")));
        assert_eq!(provided_capability("provides:mol:run"), Some("mol:run"));
        assert_eq!(provided_capability("provides:"), None);
        assert_eq!(provided_capability("export:x"), None);
    }

    #[test]
    fn nothing_configured_blocks_every_external_edge() {
        assert_eq!(
            unresolved("external:b:auth-api", "blocks", &Externals::default()),
            Some(Unresolved::NotConfigured)
        );
    }

    #[test]
    fn reasons_read_as_the_issue_says() {
        assert_eq!(
            Unresolved::NotProvided.to_string(),
            "no closed bead provides it"
        );
        assert_eq!(
            Unresolved::NotConfigured.to_string(),
            "project not configured in external_projects"
        );
    }
}
