//! A queue take across clones: what `refs/gemba/takes/<packet>` on the
//! claims remote holds (one JSON file in a commit), and the copy of those
//! refs `gemba queue sync` keeps in `.gemba/index/remote-takes.json`. The
//! protocol is in `crate::queue::remote`.
//!
//! ```json
//! {
//!   "packet": "pk-3k9x2a",
//!   "agent": "alice",
//!   "session": "s-alice-3k9x",
//!   "clone": "build-7-4f2a9c1e",
//!   "attempt": 0,
//!   "taken_at": "2026-11-23T12:00:00Z",
//!   "lease_until": "2026-11-23T14:00:00Z"
//! }
//! ```

use serde::{Deserialize, Serialize};

use super::Packet;

/// One take of a packet, won on the remote; `released` once its taker
/// gave the packet back for another round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoteTake {
    /// The packet; also the ref's name.
    pub packet: String,
    pub agent: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// The clone that took it (or, once released, gave it back):
    /// `.git/gemba-clone`, its host and a random suffix, made once per
    /// clone.
    pub clone: String,
    /// The round it was taken in: the packet's failed attempts so far and
    /// its stage.
    pub attempt: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// RFC 3339, UTC.
    pub taken_at: String,
    /// RFC 3339, UTC: the lease at take time (renewals stay local).
    pub lease_until: String,
    /// Set when the taker gave the packet back (a failure requeued, a
    /// stage done, an expired lease recovered): the round in which it
    /// may be taken again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub released: Option<Released>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Released {
    /// RFC 3339, UTC.
    pub at: String,
    /// The round the packet is in now, ready again.
    pub attempt: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
}

/// Where a packet is in its life: its failed attempts, then the position
/// of its stage in `stages` (0 without stages). Every give-back moves it
/// forward (a failure adds an attempt, a stage done moves the stage) or
/// leaves it (a recovered lease: the round was never finished).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Round {
    pub attempt: u32,
    pub stage: usize,
}

impl Round {
    /// The round `packet` is in.
    pub fn of(packet: &Packet) -> Round {
        Round::at(packet, packet.attempts, packet.stage.as_deref())
    }

    /// The round of `attempt` and `stage`, with `packet`'s stage order.
    pub fn at(packet: &Packet, attempt: u32, stage: Option<&str>) -> Round {
        let stage = stage
            .and_then(|s| packet.stages.iter().position(|x| x == s))
            .unwrap_or(0);
        Round { attempt, stage }
    }
}

impl RemoteTake {
    /// Rules serde cannot express; `key` is the packet id the ref names.
    pub fn validate(&self, key: &str) -> Result<(), String> {
        if self.packet != key {
            return Err(format!(
                "packet: {:?} does not match the ref's {key:?}",
                self.packet
            ));
        }
        super::id::validate(&self.packet).map_err(|e| e.to_string())?;
        super::id::validate(&self.agent).map_err(|e| format!("agent: {e}"))?;
        let mut times = vec![
            ("taken_at", &self.taken_at),
            ("lease_until", &self.lease_until),
        ];
        if let Some(r) = &self.released {
            times.push(("released.at", &r.at));
        }
        for (field, at) in times {
            if at.parse::<jiff::Timestamp>().is_err() {
                return Err(format!("{field}: {at:?} is not an RFC 3339 time"));
            }
        }
        Ok(())
    }

    /// Whether a taker on clone `clone` holding `packet` in `ready/` may
    /// replace this record with its own take:
    /// - a take from the same clone: that clone's own rename decided it,
    ///   and the file is back in `ready/`, so the clone gave it back (a
    ///   requeue that could not reach the remote);
    /// - a released take whose next round is the packet's round: the
    ///   taker's copy is up to date.
    ///
    /// Never a live take from another clone, nor a release of a later
    /// round than the taker's copy is in (a stale copy would redo a round
    /// already done elsewhere).
    pub fn admits(&self, packet: &Packet, clone: &str) -> bool {
        if self.clone == clone {
            return true;
        }
        match &self.released {
            Some(r) => Round::at(packet, r.attempt, r.stage.as_deref()) == Round::of(packet),
            None => false,
        }
    }

    /// Whether this (possibly stale) copy of the remote record means that
    /// `packet` is not worth trying on clone `clone` at `now`: the remote
    /// holds a take of its round or a later one whose lease runs, or a
    /// release of a later round. A copy older than the packet (the packet
    /// moved on since) says nothing, nor does a take whose lease ended (its
    /// clone may have given it back since); the push decides.
    pub fn blocks(&self, packet: &Packet, clone: &str, now: jiff::Timestamp) -> bool {
        if self.clone == clone {
            return false;
        }
        let here = Round::of(packet);
        match &self.released {
            Some(r) => here < Round::at(packet, r.attempt, r.stage.as_deref()),
            None => {
                !self.expired(now) && here <= Round::at(packet, self.attempt, self.stage.as_deref())
            }
        }
    }

    /// Whether the lease it was taken with has ended at `now` (an
    /// unreadable one never ends).
    pub fn expired(&self, now: jiff::Timestamp) -> bool {
        self.lease_until
            .parse::<jiff::Timestamp>()
            .is_ok_and(|end| now >= end)
    }
}

/// The remote's takes as `gemba queue sync` last saw them, plus the ones
/// takes on this clone lost to since: `.gemba/index/remote-takes.json`,
/// derived, never committed. A hint that spares a rename and a push; the
/// push decides.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoteTakes {
    pub remote: String,
    /// RFC 3339, UTC; `None` before the first sync.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub synced_at: Option<String>,
    /// Sorted by packet, one per packet.
    pub takes: Vec<RemoteTake>,
}

impl RemoteTakes {
    pub fn get(&self, packet: &str) -> Option<&RemoteTake> {
        self.takes
            .binary_search_by(|t| t.packet.as_str().cmp(packet))
            .ok()
            .map(|i| &self.takes[i])
    }

    /// Record what the remote holds for `take.packet`, replacing the older
    /// copy.
    pub fn put(&mut self, take: RemoteTake) {
        match self
            .takes
            .binary_search_by(|t| t.packet.as_str().cmp(&take.packet))
        {
            Ok(i) => self.takes[i] = take,
            Err(i) => self.takes.insert(i, take),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(attempts: u32, stage: Option<&str>) -> Packet {
        Packet {
            stages: vec!["build".into(), "verify".into()],
            stage: stage.map(String::from),
            attempts,
            ..Packet::sample("pk-1", "alice")
        }
    }

    fn take(clone: &str, attempt: u32, stage: &str) -> RemoteTake {
        RemoteTake {
            packet: "pk-1".into(),
            agent: "alice".into(),
            session: None,
            clone: clone.into(),
            attempt,
            stage: Some(stage.into()),
            taken_at: "2026-11-23T12:00:00Z".into(),
            lease_until: "2026-11-23T14:00:00Z".into(),
            released: None,
        }
    }

    fn released(t: RemoteTake, attempt: u32, stage: &str) -> RemoteTake {
        RemoteTake {
            released: Some(Released {
                at: "2026-11-23T13:00:00Z".into(),
                attempt,
                stage: Some(stage.into()),
            }),
            ..t
        }
    }

    /// Who may replace a record on the remote, and when a local copy of
    /// one is worth a push at all.
    #[test]
    fn admits_and_blocks_by_clone_and_round() {
        let here = packet(1, Some("build"));
        // (record, admits, blocks): from clone "b"; we are clone "a".
        let cases = [
            (
                "b's live take of our round",
                take("b", 1, "build"),
                false,
                true,
            ),
            (
                "b's live take of an older round",
                take("b", 0, "verify"),
                false,
                false,
            ),
            (
                "b's live take of a later round",
                take("b", 1, "verify"),
                false,
                true,
            ),
            (
                "released into our round",
                released(take("b", 0, "build"), 1, "build"),
                true,
                false,
            ),
            (
                "released into a later round: we are stale",
                released(take("b", 1, "build"), 1, "verify"),
                false,
                true,
            ),
            (
                "released into an older round: the copy is stale",
                released(take("b", 0, "build"), 0, "verify"),
                false,
                false,
            ),
            ("our own clone's take", take("a", 1, "build"), true, false),
        ];
        let now: jiff::Timestamp = "2026-11-23T13:00:00Z".parse().unwrap();
        for (what, record, admits, blocks) in cases {
            assert_eq!(record.admits(&here, "a"), admits, "admits: {what}");
            assert_eq!(record.blocks(&here, "a", now), blocks, "blocks: {what}");
        }
        // A live take stops blocking when its lease ends (it may have been
        // given back since); the push decides then.
        let ended: jiff::Timestamp = "2026-11-23T14:00:00Z".parse().unwrap();
        assert!(!take("b", 1, "build").blocks(&here, "a", ended));
        assert!(
            !take("b", 1, "build").admits(&here, "a"),
            "the push still refuses"
        );
    }

    #[test]
    fn validate_names_the_field() {
        assert_eq!(take("a", 0, "build").validate("pk-1"), Ok(()));
        assert!(
            take("a", 0, "build")
                .validate("pk-2")
                .unwrap_err()
                .contains("does not match")
        );
        let bad = RemoteTake {
            lease_until: "soon".into(),
            ..take("a", 0, "build")
        };
        assert!(bad.validate("pk-1").unwrap_err().starts_with("lease_until"));
        let hostile = RemoteTake {
            packet: "../x".into(),
            ..take("a", 0, "build")
        };
        assert!(hostile.validate("../x").is_err());
    }

    #[test]
    fn put_keeps_one_per_packet_sorted() {
        let mut m = RemoteTakes::default();
        for id in ["pk-c", "pk-a", "pk-b", "pk-a"] {
            m.put(RemoteTake {
                packet: id.into(),
                ..take("b", 0, "build")
            });
        }
        let ids: Vec<&str> = m.takes.iter().map(|t| t.packet.as_str()).collect();
        assert_eq!(ids, ["pk-a", "pk-b", "pk-c"]);
        assert!(m.get("pk-b").is_some() && m.get("pk-z").is_none());
    }
}
