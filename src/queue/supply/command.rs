//! Running a configured command (a source, a generator): argv, no shell,
//! optional stdin, a timeout after which its whole process group is
//! killed. Failures are values, never panics: the caller holds back one
//! source or one item and goes on.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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

fn stderr_suffix(stderr: &str) -> String {
    if stderr.is_empty() {
        String::new()
    } else {
        format!(": {stderr}")
    }
}

/// At most this much of the command's stderr goes into an error.
const STDERR_SHOWN: usize = 400;

/// How often a running command is polled.
const POLL: Duration = Duration::from_millis(5);

/// Run `argv` in `dir` with `stdin` (closed when `None`); its stdout, or
/// why not. Exit 0 is success; anything else, or running past `timeout`,
/// is an error carrying the start of stderr.
pub fn run(
    argv: &[String],
    dir: &Path,
    stdin: Option<Vec<u8>>,
    timeout: Duration,
) -> Result<Vec<u8>, CommandError> {
    let command = crate::analysis::external::display(argv);
    let Some((program, args)) = argv.split_first() else {
        return Err(CommandError::Spawn {
            command,
            message: "the command is empty".into(),
        });
    };
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(dir)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // Its own process group, so a timeout kills what it started too.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd.spawn().map_err(|e| CommandError::Spawn {
        command: command.clone(),
        message: e.to_string(),
    })?;
    // Feed stdin and drain both pipes on threads: a child blocked on a
    // full pipe would otherwise never exit.
    if let (Some(bytes), Some(mut pipe)) = (stdin, child.stdin.take()) {
        std::thread::spawn(move || {
            // A child that exits without reading is its own business.
            let _ = pipe.write_all(&bytes);
        });
    }
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut out = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut out);
            }
            out
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() >= timeout => {
                kill(&mut child);
                // The reader threads end when the group's pipes close;
                // they are not waited for (a grandchild that escaped the
                // group could hold them open).
                return Err(CommandError::TimedOut {
                    command,
                    seconds: timeout.as_secs(),
                });
            }
            Ok(None) => std::thread::sleep(POLL),
            Err(e) => {
                kill(&mut child);
                return Err(CommandError::Spawn {
                    command,
                    message: e.to_string(),
                });
            }
        }
    };
    let out = stdout.join().unwrap_or_default();
    let err = stderr.join().unwrap_or_default();
    if !status.success() {
        let text = String::from_utf8_lossy(&err);
        let text = text.trim();
        let mut shown: String = text.chars().take(STDERR_SHOWN).collect();
        if shown.len() < text.len() {
            shown.push('…');
        }
        let status = match status.code() {
            Some(code) => format!("exit status {code}"),
            None => status.to_string(),
        };
        return Err(CommandError::Failed {
            command,
            status,
            stderr: shown.replace('\n', " | "),
        });
    }
    Ok(out)
}

fn kill(child: &mut std::process::Child) {
    #[cfg(unix)]
    if let Some(pid) = rustix::process::Pid::from_raw(child.id() as i32) {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
    let _ = child.kill();
    let _ = child.wait();
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
        let start = Instant::now();
        let err = run(
            &sh("sleep 30 & sleep 30"),
            &dir,
            None,
            Duration::from_millis(200),
        )
        .unwrap_err();
        assert!(matches!(err, CommandError::TimedOut { .. }), "{err}");
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the group is killed"
        );
    }
}
