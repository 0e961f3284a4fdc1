//! The one top-level error: a [`Code`] naming what failed (which sets the
//! exit code and whether retrying can help), a message, and an optional
//! hint. With `--json` it goes to stderr as
//! `{"code","message","hint","retryable"}`, so an agent can branch on
//! `code` without parsing the message.
//!
//! Every library error type maps to a code here (the table test below
//! lists them all); commands build other errors with the constructor named
//! after their code (`CliError::not_found`, `CliError::already_taken`, ...).

use std::fmt::Display;

/// Exit codes, documented in `gemba --help`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// 1: the command could not do its job (bad input, missing state, I/O).
    User,
    /// 2: the command line itself is wrong.
    Usage,
    /// 3: nothing to do (e.g. no ready work), for scripts.
    NothingToDo,
    /// 4: lost a race: someone else took it first; retry or move on.
    LostRace,
}

impl Kind {
    pub fn exit_code(self) -> u8 {
        match self {
            Kind::User => 1,
            Kind::Usage => 2,
            Kind::NothingToDo => 3,
            Kind::LostRace => 4,
        }
    }
}

/// What failed: the `code` of a JSON error. The set is documented in
/// `gemba --help` (keep [`CODES_HELP`] in step).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// The bead, suggestion or other named thing does not exist.
    NotFound,
    /// A value given on the command line or in input is invalid (bad id,
    /// empty title, priority out of range, ...).
    InvalidInput,
    /// A file did not parse or does not match its schema (`path:line:col`).
    ParseError,
    /// The change contradicts the current state: a dependency cycle, a bead
    /// that already exists, a suggestion that is no longer pending.
    Conflict,
    /// Lost a race: another process took the bead or packet first.
    AlreadyTaken,
    /// A lock was held by someone else for too long.
    LockTimeout,
    /// Reading or writing a file failed.
    Io,
    /// No `.gemba/` here (run `gemba init`).
    NotInitialized,
    /// A git operation failed (discovery, auto-commit).
    Git,
    /// The command line is wrong.
    Usage,
    /// Nothing to do (e.g. no ready work).
    NothingToDo,
    /// The source index is missing, stale or switched off: a query that
    /// needs it refuses rather than answer from stale data.
    IndexUnavailable,
    /// A configured external command (`analysis.command`) failed or broke
    /// its output contract.
    CommandFailed,
    /// The claims remote (`claims.remote`) cannot be reached: the claim
    /// fails closed, nothing changed.
    RemoteUnreachable,
}

/// The JSON error codes for `gemba --help`, one per line.
pub const CODES_HELP: &str = "  not_found          no such bead, suggestion, ...
  invalid_input      a value is invalid (bad id, empty title, ...)
  parse_error        a file is malformed (path:line:col in the message)
  conflict           contradicts the current state (dependency cycle, bead exists)
  already_taken      lost a race (exit 4); retryable
  lock_timeout       a lock stayed held too long; retryable
  io                 reading or writing a file failed
  not_initialized    no .gemba/ here (run `gemba init`)
  git                a git operation failed
  usage              the command line is wrong (exit 2)
  nothing_to_do      nothing to do (exit 3)
  index_unavailable  the source index is missing, stale or off (`gemba index status`)
  command_failed     a configured external command failed (analysis.command)
  remote_unreachable the claims remote cannot be reached; nothing changed; retryable";

impl Code {
    pub const ALL: [Code; 14] = [
        Code::NotFound,
        Code::InvalidInput,
        Code::ParseError,
        Code::Conflict,
        Code::AlreadyTaken,
        Code::LockTimeout,
        Code::Io,
        Code::NotInitialized,
        Code::Git,
        Code::Usage,
        Code::NothingToDo,
        Code::IndexUnavailable,
        Code::CommandFailed,
        Code::RemoteUnreachable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::NotFound => "not_found",
            Code::InvalidInput => "invalid_input",
            Code::ParseError => "parse_error",
            Code::Conflict => "conflict",
            Code::AlreadyTaken => "already_taken",
            Code::LockTimeout => "lock_timeout",
            Code::Io => "io",
            Code::NotInitialized => "not_initialized",
            Code::Git => "git",
            Code::Usage => "usage",
            Code::NothingToDo => "nothing_to_do",
            Code::IndexUnavailable => "index_unavailable",
            Code::CommandFailed => "command_failed",
            Code::RemoteUnreachable => "remote_unreachable",
        }
    }

    /// The exit code's kind.
    pub fn kind(self) -> Kind {
        match self {
            Code::Usage => Kind::Usage,
            Code::NothingToDo => Kind::NothingToDo,
            Code::AlreadyTaken => Kind::LostRace,
            _ => Kind::User,
        }
    }

    /// Whether running the same command again can succeed.
    pub fn retryable(self) -> bool {
        matches!(
            self,
            Code::AlreadyTaken | Code::LockTimeout | Code::RemoteUnreachable
        )
    }
}

/// A bare exit kind (as in `CliError::exit(Kind::User)`) as a code.
impl From<Kind> for Code {
    fn from(kind: Kind) -> Code {
        match kind {
            Kind::User => Code::InvalidInput,
            Kind::Usage => Code::Usage,
            Kind::NothingToDo => Code::NothingToDo,
            Kind::LostRace => Code::AlreadyTaken,
        }
    }
}

#[derive(Debug)]
pub struct CliError {
    pub code: Code,
    pub message: String,
    pub hint: Option<String>,
    /// Printed already (e.g. a report with errors); only the exit code is left.
    pub silent: bool,
}

impl CliError {
    pub fn new(code: Code, message: impl Display) -> CliError {
        CliError {
            code,
            message: message.to_string(),
            hint: None,
            silent: false,
        }
    }

    /// The same error with `prefix` in front of its message (where it
    /// happened: `packets.jsonl:12: `).
    pub fn with_prefix(mut self, prefix: &str) -> CliError {
        self.message.insert_str(0, prefix);
        self
    }

    /// `invalid_input`. Prefer the constructor that names the failure.
    pub fn user(message: impl Display) -> CliError {
        CliError::new(Code::InvalidInput, message)
    }

    /// Exit 2: the command line is wrong.
    pub fn usage(message: impl Display) -> CliError {
        CliError::new(Code::Usage, message)
    }

    pub fn not_found(message: impl Display) -> CliError {
        CliError::new(Code::NotFound, message)
    }

    pub fn invalid_input(message: impl Display) -> CliError {
        CliError::new(Code::InvalidInput, message)
    }

    pub fn parse_error(message: impl Display) -> CliError {
        CliError::new(Code::ParseError, message)
    }

    pub fn conflict(message: impl Display) -> CliError {
        CliError::new(Code::Conflict, message)
    }

    /// Exit 4, retryable: another process took it first. A result, not a
    /// failure: the caller should move on to other work (or retry).
    pub fn already_taken(message: impl Display) -> CliError {
        CliError::new(Code::AlreadyTaken, message)
            .hint("another process got there first: move on to other work, or retry")
    }

    /// Retryable: a lock stayed held past its timeout.
    pub fn lock_timeout(message: impl Display) -> CliError {
        CliError::new(Code::LockTimeout, message)
            .hint("retry; if it keeps happening, check that the lock's holder is still running")
    }

    pub fn io(message: impl Display) -> CliError {
        CliError::new(Code::Io, message)
    }

    pub fn not_initialized(message: impl Display) -> CliError {
        CliError::new(Code::NotInitialized, message)
            .hint("run `gemba init` in the repository first")
    }

    pub fn git(message: impl Display) -> CliError {
        CliError::new(Code::Git, message)
    }

    /// Exit with `code`'s exit code without printing anything more.
    pub fn exit(code: impl Into<Code>) -> CliError {
        CliError {
            code: code.into(),
            message: String::new(),
            hint: None,
            silent: true,
        }
    }

    pub fn hint(mut self, hint: impl Display) -> CliError {
        self.hint = Some(hint.to_string());
        self
    }

    pub fn kind(&self) -> Kind {
        self.code.kind()
    }

    pub fn retryable(&self) -> bool {
        self.code.retryable()
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "code": self.code.as_str(),
            "message": self.message,
            "hint": self.hint,
            "retryable": self.retryable(),
        })
    }
}

impl From<crate::format::ParseError> for CliError {
    fn from(e: crate::format::ParseError) -> CliError {
        CliError::parse_error(e)
    }
}

impl From<crate::model::id::InvalidId> for CliError {
    fn from(e: crate::model::id::InvalidId) -> CliError {
        CliError::invalid_input(e)
    }
}

impl From<crate::git::Error> for CliError {
    fn from(e: crate::git::Error) -> CliError {
        use crate::git::Error;
        match e {
            Error::NotARepository(_) => CliError::git(e),
            Error::Open { .. } | Error::Command { .. } | Error::InProgress { .. } => {
                CliError::git(e)
            }
            Error::Unreachable { .. } => CliError::new(Code::RemoteUnreachable, e),
        }
    }
}

impl From<crate::store::Error> for CliError {
    fn from(e: crate::store::Error) -> CliError {
        use crate::store::Error;
        match e {
            Error::NotInitialized(_) => CliError::not_initialized(e),
            Error::Io { .. } => CliError::io(e),
            Error::Parse(e) => e.into(),
            Error::InvalidId(e) => e.into(),
            Error::NotFound { kind: "bead", .. } => {
                CliError::not_found(e).hint("`gemba bead list --all` lists every bead")
            }
            Error::NotFound { .. } => CliError::not_found(e),
            Error::Exists { .. } => CliError::conflict(e),
            Error::Lock(crate::store::lock::Error::LockTimeout { .. }) => CliError::lock_timeout(e),
            Error::Lock(crate::store::lock::Error::Io { .. }) => CliError::io(e),
            Error::Git(_) => CliError::git(e),
        }
    }
}

impl From<crate::beads::Error> for CliError {
    fn from(e: crate::beads::Error) -> CliError {
        use crate::beads::Error;
        match e {
            Error::Store(e) => e.into(),
            Error::Invalid(_) => CliError::invalid_input(e),
            Error::Cycle(_) => CliError::conflict(e),
        }
    }
}

impl From<crate::enrich::ops::Error> for CliError {
    fn from(e: crate::enrich::ops::Error) -> CliError {
        use crate::enrich::ops::Error;
        match e {
            Error::Store(e) => e.into(),
            Error::Git(e) => e.into(),
            Error::Invalid(_) => CliError::invalid_input(e),
        }
    }
}

impl From<crate::import::Error> for CliError {
    fn from(e: crate::import::Error) -> CliError {
        use crate::import::Error;
        match e {
            Error::Parse(e) => e.into(),
            Error::Store(e) => e.into(),
            Error::Strict(..) => CliError::invalid_input(e),
        }
    }
}

impl From<crate::vocab::Error> for CliError {
    fn from(e: crate::vocab::Error) -> CliError {
        use crate::vocab::{Error, decide};
        match e {
            Error::Store(e) => e.into(),
            Error::Parse(e) => e.into(),
            Error::Git(e) => e.into(),
            Error::Io { .. } => CliError::io(e),
            Error::SuggestionNotFound(_) => CliError::not_found(e)
                .hint("`gemba suggestions list --status all` lists every suggestion"),
            Error::Invalid(_) => CliError::invalid_input(e),
            Error::Decide(ref d) => match d {
                decide::Error::NotPending { .. } => CliError::conflict(e),
                decide::Error::Malformed { .. } => CliError::parse_error(e),
                decide::Error::NotVocabulary { id } => {
                    let hint = format!("gemba suggestions approve {id}");
                    CliError::invalid_input(e).hint(hint)
                }
                decide::Error::RenameOntoExisting { .. } => CliError::conflict(e).hint(
                    "to fold one term into another, write a merge suggestion (kind: merge) instead",
                ),
                decide::Error::UnknownTerm { id, .. } | decide::Error::Same { id, .. } => {
                    let hint = format!("gemba concepts reject {id} --reason stale");
                    CliError::conflict(e).hint(hint)
                }
            },
        }
    }
}

impl From<crate::retro::tune::Error> for CliError {
    fn from(e: crate::retro::tune::Error) -> CliError {
        use crate::retro::tune::Error;
        match e {
            Error::Store(e) => e.into(),
            Error::Vocab(e) => e.into(),
            Error::UnknownKey { .. } => CliError::invalid_input(e)
                .hint("`gemba config show` prints every key with its value"),
            Error::Unchanged { .. } => CliError::new(Code::NothingToDo, e),
            Error::NotScalar { .. } | Error::BadValue { .. } | Error::Invalid(_) => {
                CliError::invalid_input(e)
            }
            Error::Edit { .. } => CliError::conflict(e),
        }
    }
}

impl From<crate::analysis::Error> for CliError {
    fn from(e: crate::analysis::Error) -> CliError {
        use crate::analysis::Error;
        match e {
            Error::NoWorktree(_) => CliError::git(e),
            Error::Git(e) => e.into(),
            Error::Io { .. } => CliError::io(e),
            Error::Command(_) => CliError::new(Code::CommandFailed, e)
                .hint("analysis.command in .gemba/config.yaml names the command; see `gemba index build --help` for what it must print"),
            Error::Disabled => CliError::new(Code::NothingToDo, e),
        }
    }
}

impl From<crate::sessions::Error> for CliError {
    fn from(e: crate::sessions::Error) -> CliError {
        use crate::sessions::Error;
        match e {
            Error::Store(e) => e.into(),
            Error::Git(e) => e.into(),
            Error::Invalid(_) => CliError::invalid_input(e),
            Error::UnknownAgent(_) => CliError::not_found(e)
                .hint("`gemba agent list` lists the agents; `gemba agent add NAME` adds one"),
            Error::AgentExists(ref name) => {
                let hint = format!("`gemba agent edit {name}` changes it");
                CliError::conflict(e).hint(hint)
            }
            Error::UnknownSession(_) => {
                CliError::not_found(e).hint("`gemba session status` lists the live sessions")
            }
            Error::Ended(_) => {
                CliError::conflict(e).hint("start a new one: `gemba session start --agent NAME`")
            }
        }
    }
}

impl From<crate::dispatch::claims::Error> for CliError {
    fn from(e: crate::dispatch::claims::Error) -> CliError {
        use crate::dispatch::claims::Error;
        match e {
            Error::Store(e) => e.into(),
            Error::Beads(e) => e.into(),
            Error::Git(e) => e.into(),
            Error::SessionNotFound(_) | Error::SessionEnded(_) => CliError::not_found(e)
                .hint("`gemba session start --agent NAME` starts a session and prints its id"),
            Error::NotClaimed(_) => {
                CliError::not_found(e).hint("`gemba claims list` lists the claims")
            }
            Error::Closed(_) => CliError::conflict(e),
            Error::NotHolder { .. } => CliError::conflict(e)
                .hint("only the holder's session releases or renews; `gemba release ID --force` releases anyway"),
            Error::Lost { .. } => CliError::already_taken(e),
            Error::Unreachable { .. } => CliError::new(Code::RemoteUnreachable, e).hint(
                "retry once the remote is back; `claims.on_unreachable: local` in .gemba/config.yaml claims on this machine only",
            ),
            Error::NoRepository(_) => CliError::git(e),
            Error::NoRemote => CliError::invalid_input(e)
                .hint("set `claims.remote: origin` (a git remote shared by the machines)"),
            Error::Invalid(_) => CliError::invalid_input(e),
        }
    }
}

impl From<crate::queue::Error> for CliError {
    fn from(e: crate::queue::Error) -> CliError {
        use crate::queue::Error;
        match e {
            Error::Store(e) => e.into(),
            Error::Invalid(_) => CliError::invalid_input(e),
            Error::UnknownAgent(_) => CliError::not_found(e)
                .hint("`gemba agent list` lists the agents; `gemba agent add NAME` adds one"),
            Error::UnknownPacket(_) => {
                CliError::not_found(e).hint("`gemba queue list` lists every packet")
            }
            Error::Exists(_) | Error::Cycle(_) => CliError::conflict(e),
            Error::NotInProgress { .. } => CliError::conflict(e)
                .hint("only a packet in progress (taken) can be done, failed or renewed"),
            Error::NotHolder { .. } => CliError::conflict(e),
            Error::Unfit { ref agent, .. } => {
                let hint = format!(
                    "give it to an agent that has what it needs (`gemba agent list`), \
                     or give {agent} the role or tool (`gemba agent edit {agent} --role ...`); \
                     `gemba queue reroute` moves ready packets that wait for one"
                );
                CliError::invalid_input(e).hint(hint)
            }
            Error::Git(e) => e.into(),
            Error::Unreachable { .. } => CliError::new(Code::RemoteUnreachable, e).hint(
                "retry once the remote is back; `claims.on_unreachable: local` in .gemba/config.yaml takes and gives back on this clone only",
            ),
            Error::NoRepository(_) => CliError::git(e),
            Error::NoRemote => CliError::invalid_input(e)
                .hint("set `claims.remote: origin` (a git remote shared by the clones)"),
            // The inner error's code and hint, its message prefixed.
            Error::Item { index, source } => {
                let mut inner = CliError::from(*source);
                inner.message = format!("item {}: {}", index + 1, inner.message);
                inner
            }
        }
    }
}

impl From<crate::dispatch::auto::Error> for CliError {
    fn from(e: crate::dispatch::auto::Error) -> CliError {
        use crate::dispatch::auto::Error;
        match e {
            Error::Store(e) => e.into(),
            Error::Queue(e) => e.into(),
        }
    }
}

impl From<crate::queue::supply::Error> for CliError {
    fn from(e: crate::queue::supply::Error) -> CliError {
        use crate::queue::supply::Error;
        match e {
            Error::Store(e) => e.into(),
            Error::Queue(e) => e.into(),
            Error::Enrich(e) => e.into(),
            Error::Invalid(_) => CliError::invalid_input(e),
            Error::UnknownSource(_) => CliError::not_found(e),
            Error::SourceExists(_) => CliError::conflict(e)
                .hint("`gemba supply source remove NAME` first, or give another --name"),
            Error::Edit { .. } => CliError::conflict(e)
                .hint("edit supply.sources in .gemba/config.yaml by hand; nothing was changed"),
        }
    }
}

impl From<crate::retro::Error> for CliError {
    fn from(e: crate::retro::Error) -> CliError {
        use crate::retro::Error;
        match e {
            Error::Store(e) => e.into(),
            Error::Git(e) => e.into(),
            Error::Invalid(_) => CliError::invalid_input(e),
            Error::NoRepository(_) => CliError::git(e),
            Error::NotFound(_) => {
                CliError::not_found(e).hint("`gemba retro list` lists the retros")
            }
            Error::NoSuchCommit { .. } => CliError::invalid_input(e)
                .hint("after a merge, ORIG_HEAD..HEAD is what it brought in; `git log --oneline` lists commits"),
        }
    }
}

/// A query the source index cannot answer: the one-line reason.
impl From<crate::analysis::Unavailable> for CliError {
    fn from(u: crate::analysis::Unavailable) -> CliError {
        CliError::new(Code::IndexUnavailable, u.reason())
    }
}

pub type CliResult<T = ()> = Result<T, CliError>;

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::dispatch::claims;
    use crate::format::ParseError;
    use crate::model::suggestion::SuggestionStatus;
    use crate::queue::supply;
    use crate::{analysis, beads, enrich, git, import, model, queue, sessions, store, vocab};

    fn io_error() -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::PermissionDenied, "denied")
    }
    fn path() -> PathBuf {
        PathBuf::from(".gemba/beads/x.json")
    }
    fn parse_error() -> ParseError {
        ParseError::new(&path(), 1, 2, "expected value")
    }
    fn invalid_id() -> model::id::InvalidId {
        model::id::validate("../x").unwrap_err()
    }
    fn git_error() -> git::Error {
        git::Error::Command {
            args: "commit".into(),
            message: "failed".into(),
        }
    }
    fn store_error() -> store::Error {
        store::Error::NotFound {
            kind: "bead",
            id: "x".into(),
        }
    }

    /// Every variant of every library error, with the code it must get.
    #[test]
    fn every_library_error_has_its_code() {
        use Code::*;
        let decide = |d: vocab::decide::Error| CliError::from(vocab::Error::Decide(d));
        let table: Vec<(&str, CliError, Code)> = vec![
            ("ParseError", parse_error().into(), ParseError),
            ("InvalidId", invalid_id().into(), InvalidInput),
            (
                "git::NotARepository",
                git::Error::NotARepository(path()).into(),
                Git,
            ),
            (
                "git::Open",
                git::Error::Open {
                    path: path(),
                    message: "bad".into(),
                }
                .into(),
                Git,
            ),
            ("git::Command", git_error().into(), Git),
            (
                "git::Unreachable",
                git::Error::Unreachable {
                    remote: "origin".into(),
                    message: "no route".into(),
                }
                .into(),
                RemoteUnreachable,
            ),
            (
                "store::NotInitialized",
                store::Error::NotInitialized(path()).into(),
                NotInitialized,
            ),
            (
                "store::Io",
                store::Error::Io {
                    path: path(),
                    source: io_error(),
                }
                .into(),
                Io,
            ),
            (
                "store::Parse",
                store::Error::Parse(parse_error()).into(),
                ParseError,
            ),
            (
                "store::InvalidId",
                store::Error::InvalidId(invalid_id()).into(),
                InvalidInput,
            ),
            (
                "store::NotFound",
                store::Error::NotFound {
                    kind: "bead",
                    id: "x".into(),
                }
                .into(),
                NotFound,
            ),
            (
                "store::Exists",
                store::Error::Exists {
                    kind: "bead",
                    id: "x".into(),
                }
                .into(),
                Conflict,
            ),
            (
                "store::LockTimeout",
                store::Error::Lock(crate::store::lock::Error::LockTimeout {
                    lock: ".gemba/beads.lock".into(),
                    holder: "pid 1 (gemba import)".into(),
                    waited: std::time::Duration::from_secs(10),
                })
                .into(),
                LockTimeout,
            ),
            ("store::Git", store::Error::Git(git_error()).into(), Git),
            (
                "beads::Store",
                beads::Error::Store(store_error()).into(),
                NotFound,
            ),
            (
                "beads::Invalid",
                beads::Error::Invalid("x".into()).into(),
                InvalidInput,
            ),
            (
                "beads::Cycle",
                beads::Error::Cycle("a -> b -> a".into()).into(),
                Conflict,
            ),
            (
                "enrich::Store",
                enrich::ops::Error::Store(store_error()).into(),
                NotFound,
            ),
            (
                "enrich::Git",
                enrich::ops::Error::Git(git_error()).into(),
                Git,
            ),
            (
                "enrich::Invalid",
                enrich::ops::Error::Invalid("x".into()).into(),
                InvalidInput,
            ),
            (
                "import::Parse",
                import::Error::Parse(parse_error()).into(),
                ParseError,
            ),
            (
                "import::Store",
                import::Error::Store(store_error()).into(),
                NotFound,
            ),
            (
                "import::Strict",
                import::Error::Strict(path(), Vec::new()).into(),
                InvalidInput,
            ),
            (
                "vocab::Store",
                vocab::Error::Store(store_error()).into(),
                NotFound,
            ),
            (
                "vocab::Parse",
                vocab::Error::Parse(parse_error()).into(),
                ParseError,
            ),
            ("vocab::Git", vocab::Error::Git(git_error()).into(), Git),
            (
                "vocab::Io",
                vocab::Error::Io {
                    path: path(),
                    source: io_error(),
                }
                .into(),
                Io,
            ),
            (
                "vocab::SuggestionNotFound",
                vocab::Error::SuggestionNotFound("s".into()).into(),
                NotFound,
            ),
            (
                "vocab::Invalid",
                vocab::Error::Invalid("x".into()).into(),
                InvalidInput,
            ),
            (
                "decide::NotPending",
                decide(vocab::decide::Error::NotPending {
                    id: "s".into(),
                    status: SuggestionStatus::Approved,
                }),
                Conflict,
            ),
            (
                "decide::Malformed",
                decide(vocab::decide::Error::Malformed {
                    id: "s".into(),
                    message: "m".into(),
                }),
                ParseError,
            ),
            (
                "decide::UnknownTerm",
                decide(vocab::decide::Error::UnknownTerm {
                    id: "s".into(),
                    term: "t".into(),
                }),
                Conflict,
            ),
            (
                "decide::Same",
                decide(vocab::decide::Error::Same {
                    id: "s".into(),
                    term: "t".into(),
                    target: "t".into(),
                }),
                Conflict,
            ),
            (
                "analysis::NoWorktree",
                analysis::Error::NoWorktree(path()).into(),
                Git,
            ),
            (
                "analysis::Git",
                analysis::Error::Git(git_error()).into(),
                Git,
            ),
            (
                "analysis::Io",
                analysis::Error::Io {
                    path: path(),
                    source: io_error(),
                }
                .into(),
                Io,
            ),
            (
                "analysis::Command",
                analysis::Error::Command(analysis::CommandError::Spawn {
                    command: "tool".into(),
                    message: "not found".into(),
                })
                .into(),
                CommandFailed,
            ),
            (
                "analysis::Disabled",
                analysis::Error::Disabled.into(),
                NothingToDo,
            ),
            (
                "analysis::Unavailable",
                analysis::Unavailable {
                    freshness: analysis::Freshness::Disabled,
                }
                .into(),
                IndexUnavailable,
            ),
            (
                "sessions::Store",
                sessions::Error::Store(store_error()).into(),
                NotFound,
            ),
            (
                "sessions::Git",
                sessions::Error::Git(git_error()).into(),
                Git,
            ),
            (
                "sessions::Invalid",
                sessions::Error::Invalid("x".into()).into(),
                InvalidInput,
            ),
            (
                "sessions::UnknownAgent",
                sessions::Error::UnknownAgent("a".into()).into(),
                NotFound,
            ),
            (
                "sessions::AgentExists",
                sessions::Error::AgentExists("a".into()).into(),
                Conflict,
            ),
            (
                "sessions::UnknownSession",
                sessions::Error::UnknownSession("s".into()).into(),
                NotFound,
            ),
            (
                "sessions::Ended",
                sessions::Error::Ended("s".into()).into(),
                Conflict,
            ),
            (
                "retro::Store",
                crate::retro::Error::Store(store_error()).into(),
                NotFound,
            ),
            (
                "retro::Git",
                crate::retro::Error::Git(git_error()).into(),
                Git,
            ),
            (
                "retro::Invalid",
                crate::retro::Error::Invalid("x".into()).into(),
                InvalidInput,
            ),
            (
                "retro::NoRepository",
                crate::retro::Error::NoRepository("x".into()).into(),
                Git,
            ),
            (
                "retro::NotFound",
                crate::retro::Error::NotFound("x".into()).into(),
                NotFound,
            ),
            (
                "retro::NoSuchCommit",
                crate::retro::Error::NoSuchCommit { spec: "x".into() }.into(),
                InvalidInput,
            ),
            (
                "claims::Store",
                claims::Error::Store(store_error()).into(),
                NotFound,
            ),
            (
                "claims::Beads",
                claims::Error::Beads(beads::Error::Invalid("x".into())).into(),
                InvalidInput,
            ),
            ("claims::Git", claims::Error::Git(git_error()).into(), Git),
            (
                "claims::SessionNotFound",
                claims::Error::SessionNotFound("s".into()).into(),
                NotFound,
            ),
            (
                "claims::SessionEnded",
                claims::Error::SessionEnded("s".into()).into(),
                NotFound,
            ),
            (
                "claims::Closed",
                claims::Error::Closed("b".into()).into(),
                Conflict,
            ),
            (
                "claims::NotClaimed",
                claims::Error::NotClaimed("b".into()).into(),
                NotFound,
            ),
            (
                "claims::NotHolder",
                claims::Error::NotHolder {
                    bead: "b".into(),
                    holder: "s-1".into(),
                    session: "s-2".into(),
                }
                .into(),
                Conflict,
            ),
            (
                "claims::Lost",
                claims::Error::Lost {
                    bead: "b".into(),
                    holder: None,
                }
                .into(),
                AlreadyTaken,
            ),
            (
                "claims::Unreachable",
                claims::Error::Unreachable {
                    what: "claim b".into(),
                    remote: "origin".into(),
                    message: "no route".into(),
                }
                .into(),
                RemoteUnreachable,
            ),
            (
                "claims::NoRepository",
                claims::Error::NoRepository("/x/.gemba".into()).into(),
                Git,
            ),
            (
                "claims::NoRemote",
                claims::Error::NoRemote.into(),
                InvalidInput,
            ),
            (
                "claims::Invalid",
                claims::Error::Invalid("x".into()).into(),
                InvalidInput,
            ),
            (
                "queue::Store",
                queue::Error::Store(store_error()).into(),
                NotFound,
            ),
            (
                "queue::Invalid",
                queue::Error::Invalid("x".into()).into(),
                InvalidInput,
            ),
            (
                "queue::UnknownAgent",
                queue::Error::UnknownAgent("a".into()).into(),
                NotFound,
            ),
            (
                "queue::UnknownPacket",
                queue::Error::UnknownPacket("p".into()).into(),
                NotFound,
            ),
            (
                "queue::Exists",
                queue::Error::Exists("p".into()).into(),
                Conflict,
            ),
            (
                "queue::Cycle",
                queue::Error::Cycle(vec!["a".into(), "b".into(), "a".into()]).into(),
                Conflict,
            ),
            (
                "queue::NotInProgress",
                queue::Error::NotInProgress {
                    packet: "p".into(),
                    state: queue::State::Done,
                }
                .into(),
                Conflict,
            ),
            (
                "queue::NotHolder",
                queue::Error::NotHolder {
                    packet: "p".into(),
                    holder: "s-1".into(),
                    session: "s-2".into(),
                }
                .into(),
                Conflict,
            ),
            ("queue::Git", queue::Error::Git(git_error()).into(), Git),
            (
                "queue::Unreachable",
                queue::Error::Unreachable {
                    what: "take p".into(),
                    remote: "origin".into(),
                    message: "no route".into(),
                }
                .into(),
                RemoteUnreachable,
            ),
            (
                "queue::NoRepository",
                queue::Error::NoRepository("/x".into()).into(),
                Git,
            ),
            (
                "queue::NoRemote",
                queue::Error::NoRemote.into(),
                InvalidInput,
            ),
            (
                "queue::Unfit",
                queue::Error::Unfit {
                    agent: "a".into(),
                    why: "requires gpu".into(),
                }
                .into(),
                InvalidInput,
            ),
            (
                "supply::Queue",
                supply::Error::Queue(queue::Error::UnknownAgent("a".into())).into(),
                NotFound,
            ),
            (
                "supply::Store",
                supply::Error::Store(store_error()).into(),
                NotFound,
            ),
            (
                "supply::Enrich",
                supply::Error::Enrich(enrich::ops::Error::Git(git_error())).into(),
                Git,
            ),
            (
                "supply::Invalid",
                supply::Error::Invalid("x".into()).into(),
                InvalidInput,
            ),
            (
                "supply::UnknownSource",
                supply::Error::UnknownSource("s".into()).into(),
                NotFound,
            ),
            (
                "supply::SourceExists",
                supply::Error::SourceExists("s".into()).into(),
                Conflict,
            ),
            (
                "supply::Edit",
                supply::Error::Edit {
                    path: ".gemba/config.yaml".into(),
                    message: "flow style".into(),
                }
                .into(),
                Conflict,
            ),
            (
                "decide::RenameOntoExisting",
                decide(vocab::decide::Error::RenameOntoExisting {
                    from: "a".into(),
                    to: "b".into(),
                    what: "a term".into(),
                }),
                Conflict,
            ),
        ];
        for (name, err, code) in table {
            assert_eq!(err.code, code, "{name}: {}", err.message);
            assert!(!err.message.is_empty(), "{name}");
            let json = err.to_json();
            assert_eq!(json["code"], code.as_str(), "{name}");
            assert_eq!(json["retryable"], code.retryable(), "{name}");
        }
    }

    #[test]
    fn codes_have_exit_codes_and_retryability() {
        let table = [
            (Code::NotFound, 1, false),
            (Code::InvalidInput, 1, false),
            (Code::ParseError, 1, false),
            (Code::Conflict, 1, false),
            (Code::AlreadyTaken, 4, true),
            (Code::LockTimeout, 1, true),
            (Code::Io, 1, false),
            (Code::NotInitialized, 1, false),
            (Code::Git, 1, false),
            (Code::Usage, 2, false),
            (Code::NothingToDo, 3, false),
            (Code::IndexUnavailable, 1, false),
            (Code::CommandFailed, 1, false),
            (Code::RemoteUnreachable, 1, true),
        ];
        assert_eq!(table.len(), Code::ALL.len());
        for (code, exit, retryable) in table {
            assert_eq!(code.kind().exit_code(), exit, "{code:?}");
            assert_eq!(code.retryable(), retryable, "{code:?}");
        }
        let constructors = [
            CliError::already_taken("taken"),
            CliError::lock_timeout("held by pid 7"),
        ];
        assert_eq!(
            constructors.map(|e| (e.kind().exit_code(), e.to_json()["retryable"] == true)),
            [(4, true), (1, true)]
        );
    }

    /// `gemba --help` documents every code, and only those.
    #[test]
    fn help_lists_every_code() {
        let listed: Vec<&str> = CODES_HELP
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .collect();
        let all: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(listed, all);
    }
}
