//! Child processes (Pi, npm, Python): each runs in its own process group, registered here so
//! that cancellation, the time limit and a panic can stop the whole group, and never with
//! stdin open.

use std::process::Stdio;
use std::sync::Mutex;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::process::{Child, Command};

static GROUPS: Mutex<Vec<i32>> = Mutex::new(Vec::new());

fn groups() -> std::sync::MutexGuard<'static, Vec<i32>> {
    GROUPS.lock().unwrap_or_else(|p| p.into_inner())
}

#[allow(unsafe_code)] // kill(2): see the SAFETY comment
fn signal_group(pgid: i32, signal: i32) {
    if pgid > 0 {
        // SAFETY: kill(2) with a negative pid signals a process group; no memory is touched.
        unsafe {
            libc::kill(-pgid, signal);
        }
    }
}

/// A spawned child in its own process group; the group is forgotten (and killed) on drop.
pub struct GroupChild {
    pub child: Child,
    pgid: i32,
}

impl GroupChild {
    /// Spawns `cmd` with stdin closed, in a new process group, and registers the group.
    pub fn spawn(mut cmd: Command) -> std::io::Result<GroupChild> {
        cmd.stdin(Stdio::null()).process_group(0).kill_on_drop(true);
        let child = cmd.spawn()?;
        let pgid = child.id().map_or(0, |id| id as i32);
        if pgid > 0 {
            groups().push(pgid);
        }
        Ok(GroupChild { child, pgid })
    }

    /// SIGTERM to the group, then SIGKILL when it has not exited within `grace`.
    pub async fn terminate(&mut self, grace: Duration) {
        signal_group(self.pgid, libc::SIGTERM);
        if tokio::time::timeout(grace, self.child.wait())
            .await
            .is_err()
        {
            signal_group(self.pgid, libc::SIGKILL);
            let _ = self.child.wait().await;
        }
    }
}

impl Drop for GroupChild {
    fn drop(&mut self) {
        // Leftover grandchildren end with their parent, as in a container.
        signal_group(self.pgid, libc::SIGKILL);
        groups().retain(|g| *g != self.pgid);
    }
}

/// Stops every registered group: SIGTERM, a short grace, then SIGKILL. Safe to call from a
/// signal handler task or the panic hook.
pub fn terminate_all(grace: Duration) {
    let pgids: Vec<i32> = groups().clone();
    if pgids.is_empty() {
        return;
    }
    for pgid in &pgids {
        signal_group(*pgid, libc::SIGTERM);
    }
    std::thread::sleep(grace);
    for pgid in &pgids {
        signal_group(*pgid, libc::SIGKILL);
    }
}

/// What a short command printed and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandOutput {
    /// `None` when it was stopped for taking too long (or killed by a signal).
    pub code: Option<i32>,
    pub timed_out: bool,
    pub stdout: String,
    pub stderr: String,
}

impl CommandOutput {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }
}

/// Runs a short command to the end (or until `timeout`), keeping at most 256 KiB of each output.
pub async fn run_captured(mut cmd: Command, timeout: Duration) -> std::io::Result<CommandOutput> {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut gc = GroupChild::spawn(cmd)?;
    let mut stdout = gc.child.stdout.take();
    let mut stderr = gc.child.stderr.take();
    let read_out = async move {
        let mut buf = Vec::new();
        if let Some(s) = stdout.as_mut() {
            let _ = s.take(256 * 1024).read_to_end(&mut buf).await;
        }
        buf
    };
    let read_err = async move {
        let mut buf = Vec::new();
        if let Some(s) = stderr.as_mut() {
            let _ = s.take(256 * 1024).read_to_end(&mut buf).await;
        }
        buf
    };
    let run = async { tokio::join!(gc.child.wait(), read_out, read_err) };
    match tokio::time::timeout(timeout, run).await {
        Ok((status, out, err)) => Ok(CommandOutput {
            code: status?.code(),
            timed_out: false,
            stdout: String::from_utf8_lossy(&out).into_owned(),
            stderr: String::from_utf8_lossy(&err).into_owned(),
        }),
        Err(_) => {
            gc.terminate(Duration::from_secs(2)).await;
            Ok(CommandOutput {
                code: None,
                timed_out: true,
                stdout: String::new(),
                stderr: String::new(),
            })
        }
    }
}

/// Finds an executable by name on `PATH`.
pub fn find_on_path(name: &str) -> Option<std::path::PathBuf> {
    find_in(&std::env::var_os("PATH")?, name)
}

/// Finds an executable by name in a `PATH`-style list of folders.
pub fn find_in(path: &std::ffi::OsStr, name: &str) -> Option<std::path::PathBuf> {
    std::env::split_paths(path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &std::path::Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Tests that signal every registered group must not overlap with tests that spawn.
    pub(crate) static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

    #[tokio::test]
    async fn captures_output_and_exit_code() {
        let _serial = SERIAL.lock().await;
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo out; echo err >&2; exit 3"]);
        let out = run_captured(cmd, Duration::from_secs(10)).await.unwrap();
        assert_eq!(out.code, Some(3));
        assert_eq!(out.stdout, "out\n");
        assert_eq!(out.stderr, "err\n");
        assert!(!out.success());
    }

    #[tokio::test]
    async fn stdin_is_closed() {
        let _serial = SERIAL.lock().await;
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "cat; echo done"]);
        let out = run_captured(cmd, Duration::from_secs(10)).await.unwrap();
        assert_eq!(out.stdout, "done\n");
    }

    #[tokio::test]
    async fn a_slow_command_is_stopped_with_its_children() {
        let _serial = SERIAL.lock().await;
        let tmp = tempfile::tempdir().unwrap();
        let marker = tmp.path().join("late");
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(format!("(sleep 2; touch {}) & sleep 30", marker.display()));
        let start = std::time::Instant::now();
        let out = run_captured(cmd, Duration::from_millis(300)).await.unwrap();
        assert!(out.timed_out && out.code.is_none());
        assert!(start.elapsed() < Duration::from_secs(5));
        tokio::time::sleep(Duration::from_millis(2500)).await;
        assert!(!marker.exists(), "the grandchild was stopped too");
        assert!(groups().is_empty() || !groups().iter().any(|g| *g <= 0));
    }

    #[test]
    fn finds_sh_on_path() {
        assert!(find_on_path("sh").is_some());
        assert!(find_on_path("surely-no-such-program-here").is_none());
    }
}
