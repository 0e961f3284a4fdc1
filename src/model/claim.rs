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
