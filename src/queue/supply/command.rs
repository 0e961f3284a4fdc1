//! Running a source or a generator with [`crate::process`], its failures
//! as values, never panics: the caller holds back one source or one item
//! and goes on.

use std::path::Path;
use std::time::Duration;

use crate::process::{self, stderr_suffix};

/// Why a command gave no usable output.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("cannot run `{command}`: {message}")]
    Spawn { command: String, message: String },
    #[error("`{command}` failed ({status}){}", stderr_suffix(.stderr))]
    Failed {
        command: String,
        status: String,
        stderr: String,
    },
    #[error("`{command}` timed out after {seconds} s (killed)")]
    TimedOut { command: String, seconds: u64 },
}

/// At most this much of the command's stderr goes into an error.
const STDERR_SHOWN: usize = 400;

/// Run `argv` in `dir` with `stdin` (closed when `None`); its stdout, all
/// of it, or why not. Exit 0 is success; anything else, or running past
/// `timeout`, is an error carrying the start of stderr.
pub fn run(
    argv: &[String],
    dir: &Path,
    stdin: Option<Vec<u8>>,
    timeout: Duration,
) -> Result<Vec<u8>, CommandError> {
    let command = crate::analysis::external::display(argv);
    let options = process::Options {
        stdin,
        timeout: Some(timeout),
        ..Default::default()
    };
    let ran = process::run(argv, dir, options).map_err(|e| CommandError::Spawn {
        command: command.clone(),
        message: e.to_string(),
    })?;
    if ran.timed_out {
        return Err(CommandError::TimedOut {
            command,
            seconds: timeout.as_secs(),
        });
    }
    if !ran.status.success() {
        return Err(CommandError::Failed {
            status: ran.status_text(),
            stderr: ran.stderr_head(STDERR_SHOWN),
            command,
        });
    }
    Ok(ran.stdout)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Vec<String> {
        vec!["sh".into(), "-c".into(), script.into()]
    }

    #[test]
    fn output_errors_and_timeouts() {
        let dir = std::env::temp_dir();
        let long = Duration::from_secs(20);
        assert_eq!(run(&sh("echo hi"), &dir, None, long).unwrap(), b"hi\n");
        assert_eq!(
            run(&sh("cat"), &dir, Some(b"{\"a\":1}".to_vec()), long).unwrap(),
            b"{\"a\":1}"
        );
        let err = run(&sh("echo oops >&2; exit 3"), &dir, None, long).unwrap_err();
        assert!(
            matches!(&err, CommandError::Failed { status, stderr, .. } if status == "exit status 3" && stderr == "oops"),
            "{err}"
        );
        let err = run(&["/no/such/program".into()], &dir, None, long).unwrap_err();
        assert!(matches!(err, CommandError::Spawn { .. }), "{err}");
        // That the whole group is killed is crate::process's test.
        let err = run(&sh("sleep 30"), &dir, None, Duration::from_millis(200)).unwrap_err();
        assert!(matches!(err, CommandError::TimedOut { .. }), "{err}");
    }
}
