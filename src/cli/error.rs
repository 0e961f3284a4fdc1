//! The one top-level error: a kind (which sets the exit code), a message,
//! and an optional hint. With `--json` it goes to stderr as
//! `{"code","message","hint","retryable"}`.

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
    /// 4: lost a race: another process took it first.
    AlreadyTaken,
}

impl Kind {
    pub fn exit_code(self) -> u8 {
        match self {
            Kind::User => 1,
            Kind::Usage => 2,
            Kind::NothingToDo => 3,
            Kind::AlreadyTaken => 4,
        }
    }

    fn code(self) -> &'static str {
        match self {
            Kind::User => "error",
            Kind::Usage => "usage",
            Kind::NothingToDo => "nothing_to_do",
            Kind::AlreadyTaken => "already_taken",
        }
    }
}

#[derive(Debug)]
pub struct CliError {
    pub kind: Kind,
    pub message: String,
    pub hint: Option<String>,
    /// Printed already (e.g. a report with errors); only the exit code is left.
    pub silent: bool,
}

impl CliError {
    pub fn user(message: impl Display) -> CliError {
        CliError {
            kind: Kind::User,
            message: message.to_string(),
            hint: None,
            silent: false,
        }
    }

    pub fn usage(message: impl Display) -> CliError {
        CliError {
            kind: Kind::Usage,
            message: message.to_string(),
            hint: None,
            silent: false,
        }
    }

    /// A lost race (exit 4): retrying or moving on is the caller's choice.
    pub fn already_taken(message: impl Display) -> CliError {
        CliError {
            kind: Kind::AlreadyTaken,
            message: message.to_string(),
            hint: None,
            silent: false,
        }
    }

    /// Exit with `kind`'s code without printing anything more.
    pub fn exit(kind: Kind) -> CliError {
        CliError {
            kind,
            message: String::new(),
            hint: None,
            silent: true,
        }
    }

    pub fn hint(mut self, hint: impl Display) -> CliError {
        self.hint = Some(hint.to_string());
        self
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "code": self.kind.code(),
            "message": self.message,
            "hint": self.hint,
            "retryable": self.kind == Kind::AlreadyTaken,
        })
    }
}

macro_rules! from_lib_error {
    ($($t:ty),*) => {$(
        impl From<$t> for CliError {
            fn from(e: $t) -> CliError {
                CliError::user(e)
            }
        }
    )*};
}

from_lib_error!(
    crate::format::ParseError,
    crate::git::Error,
    crate::import::Error,
    crate::beads::Error,
    crate::enrich::ops::Error,
    crate::model::id::InvalidId
);

impl From<crate::store::Error> for CliError {
    fn from(e: crate::store::Error) -> CliError {
        let hint = match &e {
            crate::store::Error::NotInitialized(_) => {
                Some("run `gemba init` in the repository first")
            }
            crate::store::Error::NotFound { kind: "bead", .. } => {
                Some("`gemba bead list --all` lists every bead")
            }
            _ => None,
        };
        let mut err = CliError::user(e);
        err.hint = hint.map(String::from);
        err
    }
}

pub type CliResult<T = ()> = Result<T, CliError>;
