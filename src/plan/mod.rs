//! Pure planning functions over a frozen set of beads: ready work and the
//! dependency graph. No I/O, no clock reads: `now` is an argument.

pub mod deps;
pub mod ready;
