//! Pure planning functions over a frozen set of beads: ready work, the
//! dependency graph, bd's cross-project (`external:`) edges, whether two
//! beads' target globs overlap, and the scores and selection of `gemba
//! next` (affinity, leverage, capability fit). No I/O, no clock reads:
//! `now`, what other trackers provide and the tracked files are arguments.

pub mod affinity;
pub mod batches;
pub mod conflicts;
pub mod deps;
pub mod external;
pub mod fit;
pub mod leverage;
pub mod overlap;
pub mod ready;
pub mod select;

/// Hash maps and sets keyed by ids: foldhash, several times faster than
/// std's SipHash on 100k short keys (no untrusted keys reach them: ids come
/// from the store).
pub type Map<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
pub type Set<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;
