//! Importers: turn another tracker's export into beads. Each importer is a
//! parser (pure) plus `run`, which writes through a store transaction.
//! Error type [`Error`]. [`external`] reads other projects' trackers (never
//! writing) for bd's cross-project dependencies.

pub mod beads;
pub mod external;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Parse(#[from] crate::format::ParseError),
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    /// `--strict` and some items are invalid: nothing was written.
    #[error("{} invalid item(s); nothing was written (--strict):{}", .1.len(), .1.iter().map(|e| format!("\n  {}:{}: {}", .0.display(), e.line, e.message)).collect::<String>())]
    Strict(std::path::PathBuf, Vec<beads::ItemError>),
}
