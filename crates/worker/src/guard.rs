//! Never lose the record: whatever ends a run — its own verdict, an error, SIGTERM (the job was
//! cancelled), SIGINT/SIGHUP, the worker's time limit, or a panic — a final `state.json` is
//! written and child processes are stopped.

use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

use crate::process;
use crate::record::Recorder;

/// How a guarded run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The flow returned; the record holds its verdict (or a failure if it had none).
    Completed,
    /// The flow returned an error; the record says `failed` with it.
    Errored,
    /// A termination signal arrived (the job was cancelled).
    Signalled(i32),
    /// The time limit passed.
    TimedOut,
}

impl Ending {
    /// The process exit code: 0 when a verdict was recorded, 1 for an error or the time
    /// limit, 128 + signal number for a signal.
    pub fn exit_code(self) -> i32 {
        match self {
            Ending::Completed => 0,
            Ending::Errored | Ending::TimedOut => 1,
            Ending::Signalled(sig) => 128 + sig,
        }
    }
}

static PANIC_RECORD: OnceLock<Recorder> = OnceLock::new();

/// Installs a panic hook that writes the final state (`failed`, with the panic message), stops
/// child processes and exits with code 101. Only the first recorder installed is used.
pub fn install_panic_hook(rec: &Recorder) {
    if PANIC_RECORD.set(rec.clone()).is_err() {
        return;
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        previous(info);
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        if let Some(rec) = PANIC_RECORD.get() {
            rec.abort_patiently(
                &format!(
                    "The worker crashed ({what}{place}); this is a bug in Space Factory, please report it with this run's events."
                ),
                Duration::from_secs(2),
            );
            rec.close(Duration::from_secs(1));
        }
        process::terminate_all(Duration::from_millis(500));
        std::process::exit(101);
    }));
}

/// Runs `flow` until it ends, a termination signal arrives or `limit` passes, and makes sure
/// the record ends with a final state in every case.
pub async fn run_guarded<F, E>(rec: &Recorder, limit: Duration, flow: F) -> Ending
where
    F: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    run_guarded_then(rec, limit, flow, || async { None }).await
}

/// [`run_guarded`], and when the run stops without a verdict (an error, a signal, the time
/// limit, a flow that returned without one), `on_stop` runs first — after the flow is dropped,
/// before the final state — and the sentence it returns is added to the reason (a build pauses
/// its paid Space there).
pub async fn run_guarded_then<F, E, S, SF>(
    rec: &Recorder,
    limit: Duration,
    flow: F,
    on_stop: S,
) -> Ending
where
    F: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
    S: FnOnce() -> SF,
    SF: Future<Output = Option<String>>,
{
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).ok();
    let mut int = signal(SignalKind::interrupt()).ok();
    let mut hup = signal(SignalKind::hangup()).ok();
    async fn recv(s: &mut Option<tokio::signal::unix::Signal>) {
        match s {
            Some(s) => {
                s.recv().await;
            }
            None => std::future::pending::<()>().await,
        }
    }
    let mut error = None;
    let ending = tokio::select! {
        result = flow => match result {
            Ok(()) => Ending::Completed,
            Err(e) => {
                error = Some(e.to_string());
                Ending::Errored
            }
        },
        _ = recv(&mut term) => Ending::Signalled(libc::SIGTERM),
        _ = recv(&mut int) => Ending::Signalled(libc::SIGINT),
        _ = recv(&mut hup) => Ending::Signalled(libc::SIGHUP),
        _ = tokio::time::sleep(limit) => Ending::TimedOut,
    };
    // The flow future is dropped here: its children get SIGKILL through kill_on_drop; give the
    // groups a chance to stop cleanly first.
    let stopped_in = rec.state().phase.label().to_lowercase();
    let added = if rec.state().status.is_final() {
        None
    } else {
        on_stop().await
    };
    let reason = match ending {
        Ending::Signalled(sig) => format!(
            "The job was stopped ({}) while {stopped_in}; it was probably cancelled. Start a new run to try again.",
            signal_name(sig)
        ),
        Ending::TimedOut => format!(
            "The run reached its time limit of {} while {stopped_in}.",
            describe_duration(limit)
        ),
        Ending::Errored => error.unwrap_or_default(),
        Ending::Completed => {
            "The run ended without reaching a verdict; this is a bug in Space Factory.".to_string()
        }
    };
    match added {
        Some(more) => rec.abort(&format!("{reason} {more}")),
        None => rec.abort(&reason),
    };
    if matches!(ending, Ending::Signalled(_) | Ending::TimedOut) {
        process::terminate_all(Duration::from_millis(300));
    }
    ending
}

fn signal_name(sig: i32) -> &'static str {
    match sig {
        libc::SIGTERM => "SIGTERM",
        libc::SIGINT => "SIGINT",
        libc::SIGHUP => "SIGHUP",
        _ => "a signal",
    }
}

/// `90 s`, `25 min`, `3 h 5 min`.
pub fn describe_duration(d: Duration) -> String {
    sf_core::jobspec::describe_seconds(d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sf_core::record::{Phase, RunState, RunStatus};
    use sf_core::{RunId, RunKind};

    fn rec(dir: &std::path::Path) -> Recorder {
        let state = RunState::new(RunId::parse("r1").unwrap(), RunKind::Validate, "t");
        Recorder::start(dir, state, None).unwrap().quiet()
    }

    #[tokio::test]
    async fn an_error_becomes_a_failed_state() {
        let tmp = tempfile::tempdir().unwrap();
        let r = rec(tmp.path());
        let ending = run_guarded(&r, Duration::from_secs(5), async {
            Err::<(), _>("The Hub could not be reached.")
        })
        .await;
        assert_eq!(ending, Ending::Errored);
        assert_eq!(ending.exit_code(), 1);
        let st = r.state();
        assert_eq!(st.status, RunStatus::Failed);
        assert_eq!(st.message, "The Hub could not be reached.");
    }

    #[tokio::test]
    async fn on_stop_runs_without_a_verdict_only_and_adds_its_sentence() {
        let tmp = tempfile::tempdir().unwrap();
        let r = rec(tmp.path());
        let ending = run_guarded_then(
            &r,
            Duration::from_secs(5),
            async { Err::<(), _>("The Hub could not be reached.") },
            || async { Some("The Space was paused.".to_string()) },
        )
        .await;
        assert_eq!(ending, Ending::Errored);
        assert_eq!(
            r.state().message,
            "The Hub could not be reached. The Space was paused."
        );
        // A run with its verdict has settled everything itself.
        let tmp = tempfile::tempdir().unwrap();
        let r = rec(tmp.path());
        let r2 = r.clone();
        let ran = std::sync::atomic::AtomicBool::new(false);
        run_guarded_then(
            &r,
            Duration::from_secs(5),
            async move {
                r2.finish(RunStatus::Failed, "no luck");
                Ok::<(), String>(())
            },
            || async {
                ran.store(true, std::sync::atomic::Ordering::SeqCst);
                None
            },
        )
        .await;
        assert!(!ran.load(std::sync::atomic::Ordering::SeqCst));
        assert_eq!(r.state().message, "no luck");
    }

    #[tokio::test]
    async fn a_verdict_is_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let r = rec(tmp.path());
        let r2 = r.clone();
        let ending = run_guarded(&r, Duration::from_secs(5), async move {
            r2.finish(RunStatus::FullInferenceSuccess, "works");
            Ok::<(), String>(())
        })
        .await;
        assert_eq!(ending, Ending::Completed);
        assert_eq!(r.state().status, RunStatus::FullInferenceSuccess);
    }

    #[tokio::test]
    async fn a_flow_without_verdict_still_ends_failed() {
        let tmp = tempfile::tempdir().unwrap();
        let r = rec(tmp.path());
        run_guarded(&r, Duration::from_secs(5), async { Ok::<(), String>(()) }).await;
        assert_eq!(r.state().status, RunStatus::Failed);
    }

    #[tokio::test]
    async fn the_time_limit_ends_the_run() {
        let _serial = process::tests::SERIAL.lock().await;
        let tmp = tempfile::tempdir().unwrap();
        let r = rec(tmp.path());
        r.phase(Phase::WaitingForSpace, "");
        let ending = run_guarded(&r, Duration::from_millis(100), async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            Ok::<(), String>(())
        })
        .await;
        assert_eq!(ending, Ending::TimedOut);
        let st = r.state();
        assert_eq!(st.status, RunStatus::Failed);
        assert!(st.message.contains("time limit of 0 s"), "{}", st.message);
        assert!(
            st.message.contains("waiting for the space to start"),
            "{}",
            st.message
        );
        assert!(tmp.path().join("report.md").is_file());
    }

    /// Runs itself again as a child process that panics with the hook installed.
    #[test]
    fn a_panic_writes_the_final_state() {
        if let Some(dir) = std::env::var_os("SF_WORKER_PANIC_CHILD") {
            let r = rec(std::path::Path::new(&dir));
            install_panic_hook(&r);
            r.phase(Phase::Agent, "");
            panic!("planted failure");
        }
        let tmp = tempfile::tempdir().unwrap();
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "guard::tests::a_panic_writes_the_final_state",
                "--test-threads=1",
            ])
            .env("SF_WORKER_PANIC_CHILD", tmp.path())
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(101),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = std::fs::read_to_string(tmp.path().join("state.json")).unwrap();
        let st = sf_core::StateRead::parse(Some(&text))
            .state()
            .cloned()
            .unwrap();
        assert_eq!((st.status, st.phase), (RunStatus::Failed, Phase::Finished));
        assert!(
            st.message
                .contains("The worker crashed (planted failure at "),
            "{}",
            st.message
        );
        let report = std::fs::read_to_string(tmp.path().join("report.md")).unwrap();
        assert!(
            report.contains("The run stopped while: Writing the app"),
            "{report}"
        );
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(describe_duration(Duration::from_secs(90)), "90 s");
        assert_eq!(describe_duration(Duration::from_secs(1500)), "25 min");
        assert_eq!(describe_duration(Duration::from_secs(3 * 3600)), "3 h");
        assert_eq!(
            describe_duration(Duration::from_secs(3 * 3600 + 300)),
            "3 h 5 min"
        );
    }
}
