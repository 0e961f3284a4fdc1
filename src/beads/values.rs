//! Which values of the open-set bead fields (status, issue type, dependency
//! type) a command line may name (pure).
//!
//! bd's statuses and types are open sets: custom values from other trackers
//! are kept as imported. So a value is valid when bd knows it
//! ([`KNOWN_STATUSES`], [`WORK_TYPES`] + [`INFRASTRUCTURE_TYPES`],
//! [`KNOWN_DEP_TYPES`]) or some bead in the store already has it; anything else is most likely a typo
//! (`--status bogus` would silently list nothing), refused with the valid
//! values listed.

use std::collections::BTreeSet;
use std::fmt;

use crate::model::BeadHead;
use crate::model::bead::{INFRASTRUCTURE_TYPES, KNOWN_DEP_TYPES, KNOWN_STATUSES, WORK_TYPES};

/// An open-set field of a bead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Status,
    Type,
    /// The type of a dependency (`--dep ID:TYPE`).
    DepType,
}

impl Field {
    /// The name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Field::Status => "status",
            Field::Type => "type",
            Field::DepType => "dependency type",
        }
    }

    /// bd's values, in bd's order.
    pub fn known(self) -> Vec<&'static str> {
        match self {
            Field::Status => KNOWN_STATUSES.to_vec(),
            Field::Type => WORK_TYPES
                .iter()
                .chain(&INFRASTRUCTURE_TYPES)
                .copied()
                .collect(),
            Field::DepType => KNOWN_DEP_TYPES.to_vec(),
        }
    }

    pub fn is_known(self, value: &str) -> bool {
        self.known().contains(&value)
    }

    fn of<'a>(self, bead: &BeadHead<'a>) -> Vec<&'a str> {
        match self {
            Field::Status => vec![bead.status],
            Field::Type => vec![bead.issue_type],
            Field::DepType => bead.dependencies.iter().map(|d| d.dep_type).collect(),
        }
    }
}

/// A value that is neither bd's nor used by any bead in the store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Unknown {
    pub field: Field,
    pub value: String,
    /// bd's values.
    pub known: Vec<&'static str>,
    /// Other values beads in the store have, sorted.
    pub in_store: Vec<String>,
}

impl fmt::Display for Unknown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let field = self.field.name();
        write!(
            f,
            "unknown {field} {:?}; valid: {}",
            self.value,
            self.known.join(", ")
        )?;
        if !self.in_store.is_empty() {
            write!(f, "; used in this store: {}", self.in_store.join(", "))?;
        }
        write!(
            f,
            " ({field} is an open set: bd's values plus any a bead in the store already has)"
        )
    }
}

/// Check every value: each must be bd's or used by one of `beads`.
pub fn check<'a>(
    field: Field,
    values: impl IntoIterator<Item = &'a str>,
    beads: &[BeadHead<'_>],
) -> Result<(), Unknown> {
    let known = field.known();
    let mut in_store: Option<BTreeSet<&str>> = None;
    for value in values {
        if known.contains(&value) {
            continue;
        }
        let present = in_store.get_or_insert_with(|| {
            beads
                .iter()
                .flat_map(|b| field.of(b))
                .filter(|v| !known.contains(v))
                .collect()
        });
        if !present.contains(value) {
            return Err(Unknown {
                field,
                value: value.to_string(),
                known,
                in_store: present.iter().map(|v| v.to_string()).collect(),
            });
        }
    }
    Ok(())
}

/// Whether [`check`] can pass without looking at the store (every value is
/// bd's), so callers load the beads only when needed.
pub fn all_known<'a>(field: Field, mut values: impl Iterator<Item = &'a str>) -> bool {
    values.all(|v| field.is_known(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bead(status: &str, issue_type: &str) -> crate::model::Bead {
        let mut b = crate::model::Bead::new("a", "A");
        b.status = status.into();
        b.issue_type = issue_type.into();
        b
    }

    #[test]
    fn table() {
        let mut linked = bead("open", "task");
        linked.dependencies = vec![crate::model::Dependency::new("b", "tracks")];
        let full = [bead("review", "incident"), linked];
        let beads = full.each_ref().map(BeadHead::from);
        let cases: [(Field, &[&str], Result<(), &str>); 13] = [
            (Field::Status, &[], Ok(())),
            (Field::Status, &["open", "hooked"], Ok(())),
            (Field::Status, &["review"], Ok(())),
            (Field::Status, &["open", "bogus"], Err("bogus")),
            (Field::Status, &["Open"], Err("Open")),
            (Field::Type, &["bug", "milestone", "gate"], Ok(())),
            (Field::Type, &["incident"], Ok(())),
            (Field::Type, &["review"], Err("review")),
            (Field::Type, &["bugg"], Err("bugg")),
            (
                Field::DepType,
                &["blocks", "waits-for", "supersedes"],
                Ok(()),
            ),
            (Field::DepType, &["tracks"], Ok(())),
            (Field::DepType, &["block"], Err("block")),
            (Field::DepType, &["review"], Err("review")),
        ];
        for (field, values, expected) in cases {
            let got = check(field, values.iter().copied(), &beads);
            assert_eq!(
                got.as_ref().map_err(|e| e.value.as_str()),
                expected.as_ref().map_err(|v| *v),
                "{field:?} {values:?}"
            );
            assert_eq!(
                all_known(field, values.iter().copied()),
                values.iter().all(|v| field.known().contains(v))
            );
        }
    }

    #[test]
    fn message_lists_the_valid_values_and_says_the_set_is_open() {
        let full = [bead("review", "task"), bead("qa", "task")];
        let beads = full.each_ref().map(BeadHead::from);
        let err = check(Field::Status, ["bogus"], &beads).unwrap_err();
        assert_eq!(err.in_store, ["qa", "review"]);
        assert_eq!(
            err.to_string(),
            "unknown status \"bogus\"; valid: open, in_progress, blocked, deferred, closed, \
             pinned, hooked; used in this store: qa, review (status is an open set: bd's \
             values plus any a bead in the store already has)"
        );
        let err = check(Field::Type, ["bogus"], &[]).unwrap_err();
        assert!(err.to_string().starts_with("unknown type \"bogus\"; valid: bug, feature, task, epic, chore, decision, spike, story, milestone, event,"), "{err}");
        assert!(!err.to_string().contains("used in this store"), "{err}");
    }
}
