//! gemba: keep a fleet of AI coding agents fed with the right work and out of
//! each other's way, using plain files in git.
//!
//! Layers (see DESIGN.md): `model` (file types), `format` (bytes ↔ types),
//! `store` (the `.gemba/` directory), `git`, `githooks` (the git hooks gemba
//! installs), `import`, `beads` (native bead
//! operations), `analysis` (source import graph), `plan` (pure: ready
//! work, dependency graph, target overlap, conflicts, batches), `profile`
//! (pure: session and agent profiles, health), `sessions` (agents and
//! sessions over the store), `dispatch` (claims), `check`, `process`
//! (running configured commands), and `cli`, the only module that knows clap.

pub mod analysis;
pub mod beads;
pub mod check;
pub mod cli;
pub mod dispatch;
pub mod enrich;
pub mod format;
pub mod git;
pub mod githooks;
pub mod hash;
pub mod import;
pub mod model;
pub mod plan;
pub mod process;
pub mod profile;
pub mod queue;
pub mod retro;
pub mod scan;
pub mod schema;
pub mod sessions;
pub mod store;
pub mod text;
pub mod vocab;
