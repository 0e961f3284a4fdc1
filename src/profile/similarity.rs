//! Cosine similarity of non-negative weight maps (concept or file
//! profiles): the concept overlap of affinity and the drift of health.

use std::collections::BTreeMap;

/// Cosine similarity of two weight maps, in [0, 1] for non-negative
/// weights; `None` when either has no positive weight (nothing to compare:
/// the caller decides what neutral means, e.g. 0.5 for a fresh session).
pub fn cosine(a: &BTreeMap<String, f64>, b: &BTreeMap<String, f64>) -> Option<f64> {
    let norm_a = norm(a.values().copied())?;
    let norm_b = norm(b.values().copied())?;
    let (small, large) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let dot: f64 = small
        .iter()
        .filter_map(|(k, w)| large.get(k).map(|v| w.max(0.0) * v.max(0.0)))
        .sum();
    Some((dot / (norm_a * norm_b)).clamp(0.0, 1.0))
}

/// Cosine similarity of a weight map and a set of keys each weighing 1
/// (a bead's concepts); duplicates in `keys` count once. `None` when
/// either side is empty.
pub fn cosine_to_set<S: AsRef<str>>(weights: &BTreeMap<String, f64>, keys: &[S]) -> Option<f64> {
    let norm_w = norm(weights.values().copied())?;
    let mut distinct: Vec<&str> = keys.iter().map(AsRef::as_ref).collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.is_empty() {
        return None;
    }
    let dot: f64 = distinct
        .iter()
        .filter_map(|k| weights.get(*k).map(|w| w.max(0.0)))
        .sum();
    Some((dot / (norm_w * (distinct.len() as f64).sqrt())).clamp(0.0, 1.0))
}

/// The Euclidean norm of the positive weights; `None` when it is 0.
fn norm(weights: impl Iterator<Item = f64>) -> Option<f64> {
    let sum: f64 = weights
        .filter(|w| w.is_finite() && *w > 0.0)
        .map(|w| w * w)
        .sum();
    (sum > 0.0).then(|| sum.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn map(pairs: &[(&str, f64)]) -> BTreeMap<String, f64> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn cosine_table() {
        type Weights = &'static [(&'static str, f64)];
        let table: &[(Weights, Weights, Option<f64>)] = &[
            (&[("a", 1.0)], &[("a", 3.0)], Some(1.0)),
            (&[("a", 1.0)], &[("b", 1.0)], Some(0.0)),
            (
                &[("a", 1.0), ("b", 1.0)],
                &[("a", 1.0)],
                Some(0.5f64.sqrt()),
            ),
            (
                &[("a", 3.0), ("b", 4.0)],
                &[("a", 4.0), ("b", 3.0)],
                Some(0.96),
            ),
            (&[], &[("a", 1.0)], None),
            (&[("a", 0.0)], &[("a", 1.0)], None),
        ];
        for (a, b, want) in table {
            let got = cosine(&map(a), &map(b));
            match (got, want) {
                (Some(g), Some(w)) => assert!((g - w).abs() < 1e-12, "{a:?}·{b:?}: {g}"),
                _ => assert_eq!(got, *want, "{a:?}·{b:?}"),
            }
        }
    }

    #[test]
    fn cosine_to_a_set_is_cosine_to_unit_weights() {
        let w = map(&[("auth", 2.0), ("db", 1.0), ("ui", 0.5)]);
        let set = ["auth", "cli", "auth"];
        let as_map = map(&[("auth", 1.0), ("cli", 1.0)]);
        let a = cosine_to_set(&w, &set).unwrap();
        let b = cosine(&w, &as_map).unwrap();
        assert!((a - b).abs() < 1e-12, "{a} != {b}");
        assert_eq!(cosine_to_set(&w, &[] as &[&str]), None);
        assert_eq!(cosine_to_set(&BTreeMap::new(), &["a"]), None);
    }

    proptest! {
        #[test]
        fn cosine_is_symmetric_and_in_range(
            a in prop::collection::btree_map("[a-e]", 0.0f64..10.0, 0..5),
            b in prop::collection::btree_map("[a-e]", 0.0f64..10.0, 0..5),
        ) {
            let ab = cosine(&a, &b);
            let ba = cosine(&b, &a);
            prop_assert_eq!(ab.is_some(), ba.is_some());
            if let (Some(x), Some(y)) = (ab, ba) {
                prop_assert!((x - y).abs() < 1e-12);
                prop_assert!((0.0..=1.0).contains(&x));
            }
            if let Some(self_sim) = cosine(&a, &a) {
                prop_assert!((self_sim - 1.0).abs() < 1e-9);
            }
        }
    }
}
