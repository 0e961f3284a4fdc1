//! A bead: one work item, stored as `.gemba/beads/<id>.json`.
//!
//! Field order here is the byte order on disk. Optional and empty fields are
//! left out so a bead's file holds only what it says; `extra` keeps fields
//! from other trackers that gemba does not interpret (lossless import).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Dependency types that keep a bead from being ready (bd semantics).
pub const BLOCKING_DEP_TYPES: [&str; 2] = ["blocks", "conditional-blocks"];
/// A `waits-for` edge is a gate on the target's children.
pub const WAITS_FOR: &str = "waits-for";
/// Hierarchy edge, stored on the child and pointing at the parent.
pub const PARENT_CHILD: &str = "parent-child";

/// bd's infrastructure issue types: never work to hand out.
pub const INFRASTRUCTURE_TYPES: [&str; 9] = [
    "event",
    "message",
    "agent",
    "role",
    "rig",
    "molecule",
    "merge-request",
    "gate",
    "convoy",
];

/// bd's issue types for work (besides [`INFRASTRUCTURE_TYPES`]); custom
/// types are kept as given.
pub const WORK_TYPES: [&str; 9] = [
    "bug",
    "feature",
    "task",
    "epic",
    "chore",
    "decision",
    "spike",
    "story",
    "milestone",
];

/// bd's dependency types: the ordering ones, then links. Custom types are
/// kept as given (and are links).
pub const KNOWN_DEP_TYPES: [&str; 10] = [
    "blocks",
    "conditional-blocks",
    "waits-for",
    "parent-child",
    "related",
    "discovered-from",
    "relates-to",
    "replies-to",
    "duplicates",
    "supersedes",
];

/// Statuses a bead can have in bd; custom statuses are kept as given.
pub const KNOWN_STATUSES: [&str; 7] = [
    "open",
    "in_progress",
    "blocked",
    "deferred",
    "closed",
    "pinned",
    "hooked",
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Bead {
    /// Tracker id, e.g. `bd-a1b2`, `gm-s47n.1.2`.
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub design: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub acceptance_criteria: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub notes: String,
    /// `open in_progress blocked deferred closed pinned hooked` or a custom status.
    pub status: String,
    /// 0 (highest) to 4.
    #[schemars(range(max = 4))]
    pub priority: u8,
    /// bug feature task epic chore decision spike story milestone, or custom.
    pub issue_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// Parent bead (mirrors the `parent-child` dependency).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<Dependency>,
    /// RFC 3339 timestamps, kept exactly as the tracker wrote them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defer_until: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_reason: Option<String>,
    /// Molecule steps ("wisps"): kept, never ready.
    #[serde(default, skip_serializing_if = "is_false")]
    pub ephemeral: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub pinned: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub comments: Vec<Comment>,
    /// Fields from the source tracker that gemba does not interpret.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Dependency {
    /// The bead this one depends on (the blocker, or the parent).
    pub depends_on_id: String,
    /// `blocks`, `conditional-blocks`, `waits-for`, `parent-child`, or a link type.
    #[serde(rename = "type")]
    pub dep_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Comment {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    #[serde(default)]
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, Value>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Bead {
    /// A fresh open task with bd's defaults.
    pub fn new(id: impl Into<String>, title: impl Into<String>) -> Bead {
        Bead {
            id: id.into(),
            title: title.into(),
            description: String::new(),
            design: String::new(),
            acceptance_criteria: String::new(),
            notes: String::new(),
            status: "open".into(),
            priority: 2,
            issue_type: "task".into(),
            assignee: None,
            owner: None,
            created_by: None,
            parent: None,
            labels: Vec::new(),
            dependencies: Vec::new(),
            created_at: None,
            updated_at: None,
            started_at: None,
            closed_at: None,
            due_at: None,
            defer_until: None,
            close_reason: None,
            ephemeral: false,
            pinned: false,
            comments: Vec::new(),
            extra: BTreeMap::new(),
        }
    }

    pub fn is_infrastructure(&self) -> bool {
        INFRASTRUCTURE_TYPES.contains(&self.issue_type.as_str())
    }

    /// Closed or pinned beads never block anything (bd's rule).
    pub fn is_done(&self) -> bool {
        self.status == "closed" || self.status == "pinned"
    }

    /// The parent this bead hangs under: the explicit field, else the first
    /// `parent-child` edge.
    pub fn parent_id(&self) -> Option<&str> {
        self.parent.as_deref().or_else(|| {
            self.dependencies
                .iter()
                .find(|d| d.dep_type == PARENT_CHILD)
                .map(|d| d.depends_on_id.as_str())
        })
    }

    /// Every parent named by a `parent-child` edge or the `parent` field.
    pub fn parent_ids(&self) -> impl Iterator<Item = &str> {
        parents(
            self.parent.as_deref(),
            self.dependencies
                .iter()
                .map(|d| (d.depends_on_id.as_str(), d.dep_type.as_str())),
        )
    }
}

/// The `parent-child` targets among `deps`, then `parent` if no edge names it.
fn parents<'a>(
    parent: Option<&'a str>,
    deps: impl Iterator<Item = (&'a str, &'a str)> + Clone,
) -> impl Iterator<Item = &'a str> {
    let edges = deps.filter(|(_, t)| *t == PARENT_CHILD).map(|(to, _)| to);
    let field = parent.filter(|p| !edges.clone().any(|to| to == *p));
    edges.chain(field)
}

/// Edges that order work: a cycle among them is an error.
pub fn is_ordering(dep_type: &str) -> bool {
    BLOCKING_DEP_TYPES.contains(&dep_type) || dep_type == WAITS_FOR || dep_type == PARENT_CHILD
}

impl Dependency {
    pub fn new(depends_on_id: impl Into<String>, dep_type: impl Into<String>) -> Dependency {
        Dependency {
            depends_on_id: depends_on_id.into(),
            dep_type: dep_type.into(),
            created_at: None,
            created_by: None,
            extra: BTreeMap::new(),
        }
    }

    /// Edges that order work: a cycle among them is an error.
    pub fn is_ordering(&self) -> bool {
        is_ordering(&self.dep_type)
    }

    /// A `waits-for` edge's gate from its bd metadata (`{"gate":
    /// "any-children"}`, as an object or a JSON string); `None` is bd's
    /// default, all children.
    pub fn gate(&self) -> Option<String> {
        let meta = match self.extra.get("metadata")? {
            Value::String(s) => serde_json::from_str::<Value>(s).ok()?,
            other => other.clone(),
        };
        meta.get("gate")?.as_str().map(String::from)
    }
}

/// What planning reads of a bead: every field but the free text, comments
/// and unknown fields, borrowed from wherever the bead's text lives (a
/// parsed [`Bead`], or the snapshot cache's buffer, which decodes 100k of
/// these without copying a string). `BeadHead::from(&bead)` borrows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BeadHead<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub status: &'a str,
    pub priority: u8,
    pub issue_type: &'a str,
    pub assignee: Option<&'a str>,
    pub owner: Option<&'a str>,
    pub parent: Option<&'a str>,
    #[serde(borrow)]
    pub labels: Vec<&'a str>,
    #[serde(borrow)]
    pub dependencies: Vec<Edge<'a>>,
    pub created_at: Option<&'a str>,
    pub updated_at: Option<&'a str>,
    pub closed_at: Option<&'a str>,
    pub defer_until: Option<&'a str>,
    pub ephemeral: bool,
    pub pinned: bool,
}

/// A dependency as planning reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edge<'a> {
    pub depends_on_id: &'a str,
    pub dep_type: &'a str,
    /// A `waits-for` gate that opens when any child closes (bd's
    /// `{"gate": "any-children"}`); otherwise all children must.
    pub any_children: bool,
}

impl<'a> From<&'a Bead> for BeadHead<'a> {
    fn from(b: &'a Bead) -> BeadHead<'a> {
        BeadHead {
            id: &b.id,
            title: &b.title,
            status: &b.status,
            priority: b.priority,
            issue_type: &b.issue_type,
            assignee: b.assignee.as_deref(),
            owner: b.owner.as_deref(),
            parent: b.parent.as_deref(),
            labels: b.labels.iter().map(String::as_str).collect(),
            dependencies: b
                .dependencies
                .iter()
                .map(|d| Edge {
                    depends_on_id: &d.depends_on_id,
                    dep_type: &d.dep_type,
                    any_children: d.dep_type == WAITS_FOR
                        && d.gate().as_deref() == Some("any-children"),
                })
                .collect(),
            created_at: b.created_at.as_deref(),
            updated_at: b.updated_at.as_deref(),
            closed_at: b.closed_at.as_deref(),
            defer_until: b.defer_until.as_deref(),
            ephemeral: b.ephemeral,
            pinned: b.pinned,
        }
    }
}

impl<'a> BeadHead<'a> {
    pub fn is_infrastructure(&self) -> bool {
        INFRASTRUCTURE_TYPES.contains(&self.issue_type)
    }

    /// Closed or pinned beads never block anything (bd's rule).
    pub fn is_done(&self) -> bool {
        self.status == "closed" || self.status == "pinned"
    }

    /// Every parent named by a `parent-child` edge or the `parent` field.
    pub fn parent_ids(&self) -> impl Iterator<Item = &'a str> + '_ {
        parents(
            self.parent,
            self.dependencies
                .iter()
                .map(|d| (d.depends_on_id, d.dep_type)),
        )
    }
}

impl Edge<'_> {
    pub fn is_ordering(&self) -> bool {
        is_ordering(self.dep_type)
    }
}
