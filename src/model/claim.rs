//! `.gemba/claims/<id>.json`: one file per claimed bead, created with
//! `O_EXCL` so exactly one session wins it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    /// The claimed bead; also the file name.
    pub bead: String,
    pub session: String,
    pub agent: String,
    /// RFC 3339, UTC.
    pub claimed_at: String,
    /// RFC 3339, UTC: after this another session may take it over.
    pub lease_until: String,
    /// The remote whose `refs/gemba/claims/<id>` also holds it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote: Option<String>,
}

impl Claim {
    /// When the lease runs out; `None` when `lease_until` does not parse
    /// (a hand-edited file): such a claim never expires by itself.
    pub fn lease_end(&self) -> Option<jiff::Timestamp> {
        self.lease_until.parse().ok()
    }

    /// Whether the lease has run out at `now`: then another session may
    /// take the bead over.
    pub fn expired(&self, now: jiff::Timestamp) -> bool {
        self.lease_end().is_some_and(|end| now >= end)
    }
}

/// What `gemba claims sync` last saw of the remote's claims
/// (`refs/gemba/claims/*`), kept in `.gemba/index/remote-claims.json`:
/// derived, never committed, rebuilt by the next sync. It only lets
/// selection skip beads another machine holds; the remote ref itself is
/// what a claim has to win.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoteClaims {
    pub remote: String,
    /// RFC 3339, UTC.
    pub synced_at: String,
    /// Sorted by bead.
    pub claims: Vec<Claim>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_is_at_the_end_of_the_lease() {
        let claim = Claim {
            bead: "gm-1".into(),
            session: "s-1".into(),
            agent: "alice".into(),
            claimed_at: "2026-11-23T12:00:00Z".into(),
            lease_until: "2026-11-23T14:00:00Z".into(),
            remote: None,
        };
        let at = |t: &str| t.parse::<jiff::Timestamp>().unwrap();
        assert!(!claim.expired(at("2026-11-23T13:59:59Z")));
        assert!(claim.expired(at("2026-11-23T14:00:00Z")));
        let broken = Claim {
            lease_until: "tomorrow".into(),
            ..claim
        };
        assert!(!broken.expired(at("2099-01-01T00:00:00Z")));
    }
}
