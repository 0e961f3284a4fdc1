//! Session and agent profiles, and session health: pure functions, no I/O,
//! no clock reads (`now` is an argument). The data lives in
//! [`crate::model::profile`]; `sessions/` reads and writes it.
//!
//! - [`decay`]: half-life factors (by bead events or by days).
//! - [`similarity`]: cosine similarity of concept (or file) weight maps,
//!   shared with affinity scoring.
//! - [`session`]: folding a claimed bead into a session profile, replacing
//!   its declared contribution with the actual one, handoff inheritance.
//! - [`agent`]: the long-lived agent profile, decayed by wall time.
//! - [`health`]: context pressure, concept drift, time on task, runway and
//!   recycle advice, each with its justification lines.

pub mod agent;
pub mod decay;
pub mod health;
pub mod session;
pub mod similarity;

pub use similarity::{cosine, cosine_to_set};

/// What one bead contributes to a profile: its concepts and target files
/// (declared by its enrichment at claim time, actual after the merge).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BeadWork {
    pub bead: String,
    /// Its parent epic (epic affinity).
    pub epic: Option<String>,
    pub concepts: Vec<String>,
    pub files: Vec<String>,
}
