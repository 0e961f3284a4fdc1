//! Handing beads to sessions. [`claims`] owns `.gemba/claims/` and the
//! copy of the remote's claims in `.gemba/index/remote-claims.json`;
//! [`remote`] owns the refs `refs/gemba/claims/*` on the claims remote.
//! Error type [`claims::Error`].

pub mod claims;
pub mod remote;
