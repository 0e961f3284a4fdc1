//! Half-life decay. A session profile decays by bead events, an agent
//! profile by days; both keep their weights already decayed, so folding in
//! the next event scales every weight once.

use std::collections::BTreeMap;

/// 0.5^(age / half_life): 1 at age 0, 0.5 at one half-life. A negative age
/// (a clock that went back) counts as 0; a half-life that is not positive
/// means no memory at all (0 for any positive age).
pub fn factor(age: f64, half_life: f64) -> f64 {
    let age = if age.is_nan() { 0.0 } else { age.max(0.0) };
    if age == 0.0 {
        return 1.0;
    }
    if half_life.is_nan() || half_life <= 0.0 {
        return 0.0;
    }
    0.5f64.powf(age / half_life)
}

/// The weight of bead event `i` at event `n` (events counted from 1):
/// 0.5^((n - i) / h).
pub fn event_weight(i: u64, n: u64, h: f64) -> f64 {
    factor(n.saturating_sub(i) as f64, h)
}

/// Multiply every weight by `factor`, dropping those that end up below
/// `prune` (and any that are not positive).
pub fn scale(weights: &mut BTreeMap<String, f64>, factor: f64, prune: f64) {
    weights.retain(|_, w| {
        *w *= factor;
        w.is_finite() && *w > 0.0 && *w >= prune
    });
}

/// Add `amount` to the weight of each distinct key of `keys`.
pub fn add<'k>(
    weights: &mut BTreeMap<String, f64>,
    keys: impl IntoIterator<Item = &'k String>,
    amount: f64,
) {
    let mut seen: Vec<&str> = Vec::new();
    for key in keys {
        if seen.contains(&key.as_str()) {
            continue;
        }
        seen.push(key);
        *weights.entry(key.clone()).or_insert(0.0) += amount;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn event_weights_halve_every_half_life() {
        // (i, n, h, expected)
        let table = [
            (10, 10, 5.0, 1.0),
            (5, 10, 5.0, 0.5),
            (0, 10, 5.0, 0.25),
            (7, 8, 1.0, 0.5),
            (9, 8, 5.0, 1.0), // a future event counts as now
        ];
        for (i, n, h, want) in table {
            let got = event_weight(i, n, h);
            assert!((got - want).abs() < 1e-12, "({i},{n},{h}): {got} != {want}");
        }
    }

    #[test]
    fn factor_edges() {
        assert_eq!(factor(0.0, 0.0), 1.0);
        assert_eq!(factor(3.0, 0.0), 0.0);
        assert_eq!(factor(-3.0, 14.0), 1.0);
        assert_eq!(factor(f64::NAN, 14.0), 1.0);
        assert!((factor(14.0, 14.0) - 0.5).abs() < 1e-12);
        assert!((factor(28.0, 14.0) - 0.25).abs() < 1e-12);
    }

    #[test]
    fn scale_prunes_small_and_bad_weights() {
        let mut w: BTreeMap<String, f64> = [("a", 1.0), ("b", 0.0015), ("c", f64::NAN)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        scale(&mut w, 0.5, 0.001);
        assert_eq!(w.len(), 1);
        assert_eq!(w["a"], 0.5);
    }

    #[test]
    fn add_counts_each_key_once() {
        let mut w = BTreeMap::new();
        let keys = ["a".to_string(), "a".to_string(), "b".to_string()];
        add(&mut w, &keys, 1.0);
        assert_eq!(w["a"], 1.0);
        assert_eq!(w["b"], 1.0);
    }

    proptest! {
        #[test]
        fn decay_is_never_negative_and_never_grows(
            age in 0.0f64..1e4, more in 0.0f64..1e4, h in 0.01f64..100.0,
        ) {
            let a = factor(age, h);
            let b = factor(age + more, h);
            prop_assert!((0.0..=1.0).contains(&a));
            prop_assert!((0.0..=1.0).contains(&b));
            prop_assert!(b <= a, "older weighs more: {b} > {a}");
        }

        #[test]
        fn event_weights_are_monotone_in_n(i in 0u64..1000, n in 0u64..1000, h in 0.1f64..50.0) {
            let now = event_weight(i, n, h);
            let later = event_weight(i, n + 1, h);
            prop_assert!(later <= now);
            prop_assert!(later >= 0.0);
        }
    }
}
