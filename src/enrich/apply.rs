//! How an extraction lands on existing enrichment (pure).
//!
//! - An operator value always survives: only an operator replaces it.
//! - Without `merge`, machine values (heuristic, backfill, retro) are
//!   replaced by the new machine value; an empty extraction clears them.
//! - With `merge`, lists are unioned (existing entries first) and a field
//!   keeps an operator stamp if it had one.

use super::Extraction;
use crate::model::enrichment::{Enrichment, Glob, Source, Stamped};

pub fn apply(
    existing: &Enrichment,
    found: &Extraction,
    source: Source,
    merge: bool,
    now: &str,
) -> Enrichment {
    let globs: Vec<Glob> = found
        .targets
        .iter()
        .filter_map(|t| Glob::new(t).ok())
        .collect();
    Enrichment {
        targets: list_field(&existing.targets, globs, merge, source, now),
        concepts: list_field(
            &existing.concepts,
            found.concepts.clone(),
            merge,
            source,
            now,
        ),
        // Never extracted: only people (and later the retrospective) set it.
        dispatch_status: existing.dispatch_status.clone(),
        estimated_size: match &existing.estimated_size {
            Some(old) if old.source.is_operator() => Some(old.clone()),
            Some(old) if old.value == found.estimated_size => Some(old.clone()),
            _ => Some(stamp(found.estimated_size, source, now)),
        },
        // Estimated from the landed fields and the text: see
        // `complexity::land`, which the callers run next.
        complexity: existing.complexity.clone(),
    }
}

fn stamp<T>(value: T, source: Source, now: &str) -> Stamped<T> {
    Stamped {
        value,
        source,
        updated_at: Some(now.to_string()),
    }
}

fn list_field<T: Clone + PartialEq>(
    existing: &Option<Stamped<Vec<T>>>,
    new: Vec<T>,
    merge: bool,
    source: Source,
    now: &str,
) -> Option<Stamped<Vec<T>>> {
    match existing {
        Some(old) if old.source.is_operator() && !merge => Some(old.clone()),
        Some(old) if merge => {
            let mut value = old.value.clone();
            for item in new {
                if !value.contains(&item) {
                    value.push(item);
                }
            }
            if value == old.value {
                return Some(old.clone());
            }
            let mut s = stamp(value, source, now);
            if old.source.is_operator() {
                s.source = Source::Operator;
            }
            Some(s)
        }
        // Unchanged values keep their stamp and time: re-running is a no-op.
        Some(old) if old.value == new => Some(old.clone()),
        _ if new.is_empty() => None,
        _ => Some(stamp(new, source, now)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enrich::Size;

    fn found(targets: &[&str], concepts: &[&str]) -> Extraction {
        Extraction {
            targets: targets.iter().map(|s| s.to_string()).collect(),
            concepts: concepts.iter().map(|s| s.to_string()).collect(),
            estimated_size: Size::Small,
        }
    }

    fn stamped<T>(value: T, source: Source) -> Option<Stamped<T>> {
        Some(Stamped {
            value,
            source,
            updated_at: Some("old".into()),
        })
    }

    fn globs(items: &[&str]) -> Vec<Glob> {
        items.iter().map(|s| Glob::new(s).unwrap()).collect()
    }

    #[test]
    fn operator_values_survive_replace_and_merge() {
        let existing = Enrichment {
            targets: stamped(globs(&["src/a/**"]), Source::Operator),
            concepts: stamped(vec!["auth".to_string()], Source::Heuristic),
            estimated_size: stamped(Size::Large, Source::Operator),
            ..Default::default()
        };
        let new = found(&["src/b.rs"], &["db"]);
        let replaced = apply(&existing, &new, Source::Heuristic, false, "now");
        assert_eq!(replaced.targets, existing.targets);
        assert_eq!(replaced.concepts.as_ref().unwrap().value, vec!["db"]);
        assert_eq!(replaced.estimated_size, existing.estimated_size);

        let merged = apply(&existing, &new, Source::Heuristic, true, "now");
        let t = merged.targets.unwrap();
        assert_eq!(t.value, globs(&["src/a/**", "src/b.rs"]));
        assert_eq!(t.source, Source::Operator, "operator stamp kept on merge");
        assert_eq!(merged.concepts.unwrap().value, vec!["auth", "db"]);
    }

    #[test]
    fn rerun_is_a_no_op_and_empty_clears_machine_values() {
        let new = found(&["src/b.rs"], &[]);
        let first = apply(&Enrichment::default(), &new, Source::Backfill, false, "t1");
        let second = apply(&first, &new, Source::Backfill, false, "t2");
        assert_eq!(first, second);
        let cleared = apply(&first, &found(&[], &[]), Source::Heuristic, false, "t3");
        assert!(cleared.targets.is_none());
    }
}
