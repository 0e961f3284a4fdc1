//! Handing beads to sessions. [`claims`] owns `.gemba/claims/` and the
//! copy of the remote's claims in `.gemba/index/remote-claims.json`;
//! [`remote`] owns the refs `refs/gemba/claims/*` on the claims remote;
//! [`take`] claims the best bead a session can win (`gemba next --claim`,
//! `gemba pick`); [`coach`] lays out the live sessions and the ready beads
//! for a person (`gemba coach`); [`auto`] feeds idle sessions on a
//! switch (`gemba dispatch`). Error type [`claims::Error`].

pub mod auto;
pub mod claims;
pub mod coach;
pub mod remote;
pub mod take;
