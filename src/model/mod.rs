//! Serde types for every file kind under `.gemba/`. No I/O here.

pub mod bead;
pub mod config;
pub mod event;
pub mod suggestion;
pub mod vocabulary;

pub use bead::{Bead, Comment, Dependency};
pub use config::Config;
pub use event::Event;
pub use vocabulary::{Term, Vocabulary};
pub mod enrichment;
pub use enrichment::Enrichment;
