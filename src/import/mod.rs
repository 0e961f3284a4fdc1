//! Importers: turn another tracker's export into beads. Each importer is a
//! parser (pure) plus `run`, which writes through a store transaction.
//! Error type [`Error`].

pub mod beads;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Parse(#[from] crate::format::ParseError),
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    #[error("{0} input line(s) are invalid; nothing was written (--strict)")]
    Strict(usize),
}
