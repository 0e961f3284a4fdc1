//! One description per file kind under `.gemba/`: its directory, suffix,
//! format, schema and how a parsed file is checked against the id its name
//! encodes. Every entity directory is read, listed and checked through
//! these, so a new kind (agents, sessions, claims, queue packets) is one
//! constant and one `Entity` impl.

use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::format::{self, ParseError};
use crate::model::packet::Lease;
use crate::model::suggestion::Suggestion;
use crate::model::supply::Supplied;
use crate::model::{Agent, Bead, Claim, Enrichment, Packet, Session, id};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Tool-written state: pretty JSON, stable bytes.
    Json,
    /// Files people edit.
    Yaml,
}

/// One kind of entity file: `.gemba/<dir>/<escaped id><suffix>`.
#[derive(Debug, PartialEq, Eq)]
pub struct Kind {
    /// Singular, for messages: `bead`, `enrichment`, `claim`.
    pub name: &'static str,
    /// Directory under `.gemba/`.
    pub dir: &'static str,
    pub format: Format,
    /// Its JSON Schema: `schema/<schema>.schema.json`.
    pub schema: &'static str,
}

impl Kind {
    pub fn suffix(&self) -> &'static str {
        match self.format {
            Format::Json => ".json",
            Format::Yaml => ".yaml",
        }
    }

    /// The file name for a valid id.
    pub fn file_name(&self, id: &str) -> String {
        format!("{}{}", id::escape(id), self.suffix())
    }

    /// The id a file name encodes, when it is one [`Kind::file_name`] made.
    pub fn id_of(&self, file_name: &str) -> Option<String> {
        file_name.strip_suffix(self.suffix()).and_then(id::unescape)
    }
}

pub const BEADS: Kind = Kind {
    name: "bead",
    dir: "beads",
    format: Format::Json,
    schema: "bead",
};

pub const ENRICHMENT: Kind = Kind {
    name: "enrichment",
    dir: "enrichment",
    format: Format::Yaml,
    schema: "enrichment",
};

pub const SUGGESTIONS: Kind = Kind {
    name: "suggestion",
    dir: "suggestions",
    format: Format::Yaml,
    schema: "suggestion",
};

/// One file per claimed bead, created with `O_EXCL`.
pub const CLAIMS: Kind = Kind {
    name: "claim",
    dir: "claims",
    format: Format::Json,
    schema: "claim",
};

pub const AGENTS: Kind = Kind {
    name: "agent",
    dir: "agents",
    format: Format::Yaml,
    schema: "agent",
};

pub const SESSIONS: Kind = Kind {
    name: "session",
    dir: "sessions",
    format: Format::Json,
    schema: "session",
};

/// Queue packets: `.gemba/queues/<agent>/<state>/<id>.json`. Not one
/// directory like the others (see `Store::queue_dir`), so not in [`ALL`];
/// its name, suffix and schema work as for every kind.
pub const PACKETS: Kind = Kind {
    name: "packet",
    dir: "queues",
    format: Format::Json,
    schema: "packet",
};

/// The lease of a packet in progress, beside its queue's state
/// directories (`.gemba/queues/<agent>/leases/<packet>.json`), so that a
/// take leaves the packet's file as it was (see `crate::queue`).
pub const LEASES: Kind = Kind {
    name: "lease",
    dir: "queues",
    format: Format::Json,
    schema: "lease",
};

/// Source items `gemba supply` enqueued, one file per item key.
pub const SUPPLIED: Kind = Kind {
    name: "supplied item",
    dir: "supply/seen",
    format: Format::Json,
    schema: "supplied",
};

/// Every entity kind, in the order `gemba check` reports them.
pub const ALL: [&Kind; 7] = [
    &BEADS,
    &ENRICHMENT,
    &SUGGESTIONS,
    &AGENTS,
    &SESSIONS,
    &CLAIMS,
    &SUPPLIED,
];

/// A type stored one file per id in a [`Kind`]'s directory.
pub trait Entity: Serialize + DeserializeOwned + Send {
    const KIND: &'static Kind;

    /// Rules serde cannot express, and that the value is the one its file
    /// name says (`id` is the id the name encodes).
    fn validate(&self, _id: &str) -> Result<(), String> {
        Ok(())
    }

    /// The stable bytes of its file (YAML kinds start with the line that
    /// names their schema for editors).
    fn to_bytes(&self) -> Vec<u8> {
        format::to_json_bytes(self)
    }
}

impl Entity for Bead {
    const KIND: &'static Kind = &BEADS;

    fn validate(&self, id: &str) -> Result<(), String> {
        id::validate(&self.id).map_err(|e| e.to_string())?;
        same_id(&BEADS, &self.id, id)
    }
}

impl Entity for Enrichment {
    const KIND: &'static Kind = &ENRICHMENT;

    fn to_bytes(&self) -> Vec<u8> {
        self.to_yaml().into_bytes()
    }
}

impl Entity for Suggestion {
    const KIND: &'static Kind = &SUGGESTIONS;

    fn validate(&self, id: &str) -> Result<(), String> {
        Suggestion::validate(self)?;
        same_id(&SUGGESTIONS, &self.id, id)
    }

    fn to_bytes(&self) -> Vec<u8> {
        self.to_yaml().into_bytes()
    }
}

impl Entity for Agent {
    const KIND: &'static Kind = &AGENTS;

    fn validate(&self, id: &str) -> Result<(), String> {
        id::validate(&self.name).map_err(|e| e.to_string())?;
        if self.created_at.parse::<jiff::Timestamp>().is_err() {
            return Err(format!(
                "created_at: {:?} is not an RFC 3339 time (2026-11-30T10:00:00Z)",
                self.created_at
            ));
        }
        self.profile.validate()?;
        same_id(&AGENTS, &self.name, id)
    }

    fn to_bytes(&self) -> Vec<u8> {
        format::to_yaml_with_schema(AGENT_SCHEMA, self).into_bytes()
    }
}

/// The JSON Schema an agent file names in its first line.
pub const AGENT_SCHEMA: &str = "../schema/agent.schema.json";

impl Entity for Session {
    const KIND: &'static Kind = &SESSIONS;

    fn validate(&self, id: &str) -> Result<(), String> {
        id::validate(&self.id).map_err(|e| e.to_string())?;
        self.profile.validate()?;
        same_id(&SESSIONS, &self.id, id)
    }
}

impl Entity for Claim {
    const KIND: &'static Kind = &CLAIMS;

    fn validate(&self, id: &str) -> Result<(), String> {
        id::validate(&self.bead).map_err(|e| e.to_string())?;
        same_id(&CLAIMS, &self.bead, id)
    }
}

impl Entity for Packet {
    const KIND: &'static Kind = &PACKETS;

    fn validate(&self, id: &str) -> Result<(), String> {
        Packet::validate(self)?;
        same_id(&PACKETS, &self.id, id)
    }
}

impl Entity for Lease {
    const KIND: &'static Kind = &LEASES;
}

impl Entity for Supplied {
    const KIND: &'static Kind = &SUPPLIED;

    fn validate(&self, id: &str) -> Result<(), String> {
        Supplied::validate(self)?;
        same_id(&SUPPLIED, &self.key, id)
    }
}

fn same_id(kind: &Kind, inside: &str, from_name: &str) -> Result<(), String> {
    if inside == from_name {
        Ok(())
    } else {
        Err(format!(
            "id {inside:?} does not match the file name (expected {})",
            kind.file_name(inside)
        ))
    }
}

/// Parse one entity file whose name encodes `id`.
pub fn parse<E: Entity>(path: &Path, bytes: &[u8], id: &str) -> Result<E, ParseError> {
    let value: E = match E::KIND.format {
        Format::Json => format::from_json(path, bytes)?,
        Format::Yaml => {
            let text = std::str::from_utf8(bytes)
                .map_err(|e| ParseError::new(path, 0, 0, format!("not UTF-8: {e}")))?;
            format::from_yaml(path, text)?
        }
    };
    value
        .validate(id)
        .map_err(|m| ParseError::new(path, 0, 0, m))?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_foreign_names_do_not() {
        for kind in ALL {
            for id in ["bd-a1b2", "gemba/gm-1", "x.1.2"] {
                assert_eq!(kind.id_of(&kind.file_name(id)).as_deref(), Some(id));
            }
            assert_eq!(kind.id_of("README.md"), None);
            assert_eq!(kind.id_of(&format!(".hidden{}", kind.suffix())), None);
        }
    }

    #[test]
    fn a_bead_must_be_the_one_its_name_says() {
        let bytes = format::to_json_bytes(&Bead::new("a", "A"));
        assert!(parse::<Bead>(Path::new("a.json"), &bytes, "a").is_ok());
        let err = parse::<Bead>(Path::new("b.json"), &bytes, "b").unwrap_err();
        assert!(err.message.contains("expected a.json"), "{err}");
    }
}
