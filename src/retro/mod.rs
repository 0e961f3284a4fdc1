//! Retrospective: what really happened after a bead was dispatched.
//!
//! [`link`] ties commits to beads (pure). More to come: the per-merge
//! retrospective and learning targets from history (issue 15).

pub mod calibrate;
pub mod history;
pub mod link;
pub mod review;
pub mod tune;
