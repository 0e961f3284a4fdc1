//! Serde types for every file kind under `.gemba/`. No I/O here.

pub mod agent;
pub mod bead;
pub mod claim;
pub mod config;
pub mod dispatch;
pub mod duration;
pub mod event;
pub mod id;
pub mod packet;
pub mod profile;
pub mod session;
pub mod suggestion;
pub mod supply;
pub mod vocabulary;

pub use agent::{Agent, Band, CostTier};
pub use bead::{Bead, BeadHead, Comment, Dependency, Edge};
pub use claim::{Claim, RemoteClaims};
pub use config::Config;
pub use event::{Event, EventKind};
pub use packet::Packet;
pub use profile::Profile;
pub use session::{Session, Workspace};
pub use vocabulary::{Term, Vocabulary};
pub mod enrichment;
pub use enrichment::Enrichment;
pub mod take;
pub use take::{RemoteTake, RemoteTakes};

/// RFC 3339 in UTC, to the second: the form gemba writes in bead fields.
pub fn timestamp(now: jiff::Timestamp) -> String {
    now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}
