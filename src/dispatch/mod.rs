//! Handing beads to sessions. [`claims`] owns `.gemba/claims/`, the refs
//! `refs/gemba/claims/*` on the claims remote and its local copy
//! `.gemba/index/remote-claims.json`; error type [`claims::Error`].

pub mod claims;
