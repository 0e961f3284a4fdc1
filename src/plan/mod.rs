//! Pure planning functions over a frozen set of beads: ready work, the
//! dependency graph, and bd's cross-project (`external:`) edges. No I/O, no
//! clock reads: `now` and what other trackers provide are arguments.

pub mod deps;
pub mod external;
pub mod ready;
