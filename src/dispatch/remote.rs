//! Records on the claims remote: one ref per key, `<prefix><escaped key>`,
//! holding a commit with one file, the record; every change to it is a
//! compare-and-swap push. Claims keep theirs under `refs/gemba/claims/`
//! (see the [`claims`](super::claims) module doc), queue takes under
//! `refs/gemba/takes/` (see [`crate::queue::remote`]).

use std::marker::PhantomData;
use std::path::Path;

use jiff::Timestamp;

use crate::git::{self, Push};
use crate::model::{Claim, id};
use crate::store::kind::{self, CLAIMS};

/// Where the claims live on a remote: `refs/gemba/claims/<escaped id>`.
pub const REF_PREFIX: &str = "refs/gemba/claims/";
/// Where `gemba claims sync` keeps its copy of them in the local repository.
pub const MIRROR_PREFIX: &str = "refs/gemba/remote-claims/";
/// Rounds of push, look, push again when the remote ref moved meanwhile.
const PUSH_ROUNDS: usize = 3;

/// A record kept on a remote ref, one ref per key.
pub trait Record: Sized {
    /// `refs/gemba/<kind>/`: the ref of key `k` is this plus `k` escaped.
    const REF_PREFIX: &'static str;

    /// The key: which ref holds it.
    fn key(&self) -> &str;

    /// The name of the one file the ref's commit holds.
    fn file_name(key: &str) -> String;

    /// The record in `bytes` (`shown` names where it came from in errors).
    fn parse(shown: &Path, bytes: &[u8], key: &str) -> Result<Self, String>;

    /// The time (Unix seconds) and message of the commit holding it: part
    /// of the commit id, so they must follow from the record alone.
    fn commit_stamp(&self) -> (i64, String);

    /// `<prefix><escaped key>`.
    fn ref_name(key: &str) -> String {
        format!("{}{}", Self::REF_PREFIX, id::escape_ref(key))
    }
}

impl Record for Claim {
    const REF_PREFIX: &'static str = REF_PREFIX;

    fn key(&self) -> &str {
        &self.bead
    }

    fn file_name(key: &str) -> String {
        CLAIMS.file_name(key)
    }

    fn parse(shown: &Path, bytes: &[u8], key: &str) -> Result<Self, String> {
        kind::parse::<Claim>(shown, bytes, key).map_err(|e| e.to_string())
    }

    fn commit_stamp(&self) -> (i64, String) {
        let time = self
            .claimed_at
            .parse::<Timestamp>()
            .map_or(0, |t| t.as_second());
        (
            time,
            format!("gemba: claim {} for {}", self.bead, self.session),
        )
    }
}

/// What a guarded push of a record's ref came to.
#[derive(Debug)]
pub enum Pushed<R> {
    /// The ref holds what we pushed. It held `before` (`None`: absent);
    /// `replaced` is the record it held instead of the one we expected
    /// (one `may_replace` allowed, such as an expired claim we took over).
    Done {
        before: Option<String>,
        replaced: Option<R>,
    },
    /// The ref holds another record (`held`, `None` when unreadable) at
    /// `commit`, or (`commit` `None`) was deleted by someone else while
    /// we pushed.
    Taken {
        commit: Option<String>,
        held: Option<R>,
    },
    Unreachable(String),
}

/// What [`Remote::mirror`] read.
#[derive(Debug)]
pub struct Mirrored<R> {
    /// By key.
    pub records: Vec<R>,
    /// Refs that hold no readable record (skipped).
    pub warnings: Vec<String>,
}

/// The remote `name`, through the repository whose worktree is `worktree`,
/// for records of type `R`.
pub struct Remote<'w, R> {
    pub worktree: &'w Path,
    pub name: String,
    record: PhantomData<fn() -> R>,
}

impl<'w, R: Record> Remote<'w, R> {
    pub fn new(worktree: &'w Path, name: &str) -> Remote<'w, R> {
        Remote {
            worktree,
            name: name.to_string(),
            record: PhantomData,
        }
    }

    /// The commit a ref holding this record (whose exact bytes are
    /// `bytes`) points at, written to the local object store so it can be
    /// pushed. A function of the record: anyone holding it knows what the
    /// ref must hold.
    pub fn commit_of(&self, record: &R, bytes: &[u8]) -> Result<String, git::Error> {
        let (time, message) = record.commit_stamp();
        git::write_file_commit(
            self.worktree,
            &R::file_name(record.key()),
            bytes,
            &message,
            time,
        )
    }

    /// The commit the remote ref of `key` holds and its record (`None`
    /// when unreadable); `None` when there is no such ref.
    pub fn current(&self, key: &str) -> Result<Option<(String, Option<R>)>, git::Error> {
        let refname = R::ref_name(key);
        let Some(commit) = git::fetch_ref(self.worktree, &self.name, &refname)? else {
            return Ok(None);
        };
        let record = self.read(&commit, key)?.and_then(Result::ok);
        Ok(Some((commit, record)))
    }

    /// The record in `commit` (`None`: it holds no such file).
    fn read(&self, commit: &str, key: &str) -> Result<Option<Result<R, String>>, git::Error> {
        let spec = (commit.to_string(), R::file_name(key));
        let shown = format!("{}:{}", self.name, R::ref_name(key));
        Ok(git::read_files(self.worktree, &[spec])?
            .pop()
            .flatten()
            .map(|bytes| R::parse(Path::new(&shown), &bytes, key)))
    }

    /// Make the remote ref of `key` hold `new` (`None`: delete it),
    /// expecting it at `expected` (`None`: absent). When the remote
    /// refuses, look at what the ref holds now: if `may_replace` allows
    /// (an expired lease, our own claim), swap on that value instead; a
    /// ref that is already gone is done when deleting. Gives up after a
    /// few rounds of a ref that keeps moving.
    pub fn push(
        &self,
        key: &str,
        new: Option<&str>,
        mut expected: Option<String>,
        may_replace: impl Fn(Option<&R>) -> bool,
    ) -> Result<Pushed<R>, git::Error> {
        let refname = R::ref_name(key);
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
                Err(e) => return Err(e),
            }
            let current = match self.current(key) {
                Ok(current) => current,
                Err(git::Error::Unreachable { message, .. }) => {
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
                // Gone meanwhile, but not ours to recreate: whoever deleted
                // it decides what comes next.
                None => {
                    return Ok(Pushed::Taken {
                        commit: None,
                        held: None,
                    });
                }
                // The lease held: something else refused (a ref lock held by
                // a concurrent push). Try again.
                Some((commit, _)) if Some(&commit) == expected.as_ref() => {}
                Some((commit, None)) => {
                    return Ok(Pushed::Taken {
                        commit: Some(commit),
                        held: None,
                    });
                }
                Some((commit, Some(held))) => {
                    if !may_replace(Some(&held)) {
                        return Ok(Pushed::Taken {
                            commit: Some(commit),
                            held: Some(held),
                        });
                    }
                    expected = Some(commit);
                    replaced = Some(held);
                }
            }
        }
        Err(git::Error::Command {
            args: format!("push {} {refname}", self.name),
            message: format!("the remote kept refusing: {reason}"),
        })
    }

    /// Copy the remote's refs under `R::REF_PREFIX` to the local refs
    /// under `mirror_prefix` (fetched, and pruned where the remote has
    /// none) and read their records.
    pub fn mirror(&self, mirror_prefix: &str) -> Result<Mirrored<R>, git::Error> {
        let refs = git::mirror_refs(self.worktree, &self.name, R::REF_PREFIX, mirror_prefix)?;
        let mut warnings = Vec::new();
        let mut wanted = Vec::new();
        for (refname, commit) in refs {
            let escaped = refname.strip_prefix(mirror_prefix).unwrap_or(&refname);
            match id::unescape_ref(escaped) {
                Some(key) => wanted.push((key, commit)),
                None => warnings.push(format!(
                    "{}: {refname}: not a ref gemba wrote (skipped)",
                    self.name
                )),
            }
        }
        let specs: Vec<(String, String)> = wanted
            .iter()
            .map(|(key, commit)| (commit.clone(), R::file_name(key)))
            .collect();
        let files = git::read_files(self.worktree, &specs)?;
        let mut records = Vec::new();
        for ((key, _), file) in wanted.iter().zip(files) {
            let shown = format!("{}:{}", self.name, R::ref_name(key));
            match file.map(|bytes| R::parse(Path::new(&shown), &bytes, key)) {
                Some(Ok(record)) => records.push(record),
                Some(Err(e)) => warnings.push(format!("{e} (skipped)")),
                None => warnings.push(format!("{shown}: holds no record file (skipped)")),
            }
        }
        records.sort_by(|a, b| a.key().cmp(b.key()));
        Ok(Mirrored { records, warnings })
    }
}
