//! The claims remote: `refs/gemba/claims/<escaped id>` holds a commit
//! with the claim file, and every change to it is a compare-and-swap push
//! (see the [`claims`](super::claims) module doc).

use std::path::Path;

use jiff::Timestamp;

use super::claims::{Error, Result};
use crate::git::{self, Push};
use crate::model::{Claim, id};
use crate::store::Store;
use crate::store::kind::{self, CLAIMS};

/// Where the claims live on a remote: `refs/gemba/claims/<escaped id>`.
pub const REF_PREFIX: &str = "refs/gemba/claims/";
/// Where `gemba claims sync` keeps its copy of them in the local repository.
pub const MIRROR_PREFIX: &str = "refs/gemba/remote-claims/";
/// Rounds of push, look, push again when the remote ref moved meanwhile.
const PUSH_ROUNDS: usize = 3;

/// `refs/gemba/claims/<escaped id>`.
pub fn ref_name(bead: &str) -> String {
    format!("{REF_PREFIX}{}", id::escape_ref(bead))
}

/// What a guarded push of a claim ref came to.
#[derive(Debug)]
pub(super) enum Pushed {
    /// The ref holds what we pushed. It held `before` (`None`: absent);
    /// `replaced` is the claim it held instead of the one we expected (an
    /// expired one we took over).
    Done {
        before: Option<String>,
        replaced: Option<Claim>,
    },
    /// Another session's claim is there (`None`: one we cannot read).
    Taken(Option<Claim>),
    Unreachable(String),
}

/// The claims remote, through the repository holding `.gemba/`.
pub(super) struct Remote<'s> {
    pub worktree: &'s Path,
    pub name: String,
}

impl<'s> Remote<'s> {
    pub fn of(store: &'s Store, name: Option<&str>) -> Result<Option<Remote<'s>>> {
        name.map(|n| Remote::named(store, n)).transpose()
    }

    pub fn named(store: &'s Store, name: &str) -> Result<Remote<'s>> {
        let worktree = store
            .worktree()
            .ok_or_else(|| Error::NoRepository(store.root().display().to_string()))?;
        Ok(Remote {
            worktree,
            name: name.to_string(),
        })
    }

    /// The commit a ref holding this claim file points at (written to the
    /// local object store, so it can be pushed).
    pub fn commit_of(&self, claim: &Claim, bytes: &[u8]) -> Result<String> {
        let time = claim
            .claimed_at
            .parse::<Timestamp>()
            .map_or(0, |t| t.as_second());
        Ok(git::write_file_commit(
            self.worktree,
            &CLAIMS.file_name(&claim.bead),
            bytes,
            &format!("gemba: claim {} for {}", claim.bead, claim.session),
            time,
        )?)
    }

    /// The commit the remote ref of `bead` holds and its claim (`None`
    /// when unreadable); `None` when there is no such ref.
    pub fn current(&self, bead: &str) -> Result<Option<(String, Option<Claim>)>> {
        let Some(commit) = git::fetch_ref(self.worktree, &self.name, &ref_name(bead))? else {
            return Ok(None);
        };
        let spec = (commit.clone(), CLAIMS.file_name(bead));
        let claim = git::read_files(self.worktree, &[spec])?
            .pop()
            .flatten()
            .and_then(|bytes| kind::parse::<Claim>(Path::new(&ref_name(bead)), &bytes, bead).ok());
        Ok(Some((commit, claim)))
    }

    /// Make the remote ref of `bead` hold `new` (`None`: delete it),
    /// expecting it at `expected` (`None`: absent). When the remote
    /// refuses, look at what the ref holds now: if `may_replace` allows
    /// (an expired lease, our own claim), swap on that value instead; a
    /// ref that is already gone is done when deleting. Gives up after a
    /// few rounds of a ref that keeps moving.
    pub fn push(
        &self,
        bead: &str,
        new: Option<&str>,
        mut expected: Option<String>,
        may_replace: impl Fn(Option<&Claim>) -> bool,
    ) -> Result<Pushed> {
        let refname = ref_name(bead);
        let mut replaced = None;
        let mut reason = String::new();
        for _ in 0..PUSH_ROUNDS {
            match git::push_ref(
                self.worktree,
                &self.name,
                &refname,
                new,
                expected.as_deref(),
            ) {
                Ok(Push::Done) => {
                    return Ok(Pushed::Done {
                        before: expected,
                        replaced,
                    });
                }
                Ok(Push::Rejected(why)) => reason = why,
                Err(git::Error::Unreachable { message, .. }) => {
                    return Ok(Pushed::Unreachable(message));
                }
                Err(e) => return Err(e.into()),
            }
            let current = match self.current(bead) {
                Ok(current) => current,
                Err(Error::Git(git::Error::Unreachable { message, .. })) => {
                    return Ok(Pushed::Unreachable(message));
                }
                Err(e) => return Err(e),
            };
            match current {
                None if new.is_none() => {
                    return Ok(Pushed::Done {
                        before: None,
                        replaced,
                    });
                }
                None if may_replace(None) => expected = None,
                None => return Ok(Pushed::Taken(None)),
                // The lease held: something else refused (a ref lock held by
                // a concurrent push). Try again.
                Some((commit, _)) if Some(&commit) == expected.as_ref() => {}
                Some((_, None)) => return Ok(Pushed::Taken(None)),
                Some((commit, Some(held))) => {
                    if !may_replace(Some(&held)) {
                        return Ok(Pushed::Taken(Some(held)));
                    }
                    expected = Some(commit);
                    replaced = Some(held);
                }
            }
        }
        Err(git::Error::Command {
            args: format!("push {} {refname}", self.name),
            message: format!("the remote kept refusing: {reason}"),
        }
        .into())
    }
}
