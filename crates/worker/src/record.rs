//! The run record writer: everything the worker leaves in `runs/<run_id>/` of the mounted bucket.
//!
//! * `request.json` — the inputs (no secrets);
//! * `state.json` — the [`RunState`], replaced atomically (written to a temporary file in the same
//!   folder, then renamed over the old one) at every change, so a reader never sees half a file;
//! * `events.jsonl` — one [`Event`] per line, each line written with a single `write` call on an
//!   unbuffered file, so it reaches the mount as soon as it happens;
//! * `report.md`, `generated/`, `tests/`, `artifacts/`, `traces/` — through [`Recorder::write_text`],
//!   [`Recorder::write_bytes`] and [`Recorder::append_line`].
//!
//! Every text goes through the [`Redactor`] (with the job's `HF_TOKEN` registered) before it is
//! written; binary files have every occurrence of a registered secret overwritten. Writes never
//! panic: a failure is reported on stderr (the job log) and counted, and the run goes on.
//!
//! The record always ends with a final state: [`Recorder::finish`] for a verdict,
//! [`Recorder::abort`] for everything else (errors, cancellation, time limit, panic), which also
//! leaves a short `report.md` when the run had not written one.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::Value;
use sf_core::record::{
    EVENTS_FILE, Event, Level, Phase, REPORT_FILE, REQUEST_FILE, RunState, RunStatus, STATE_FILE,
};
use sf_core::{REDACTED, Redactor};

/// The current time as RFC 3339 (whole seconds, UTC).
pub fn now_rfc3339() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    sf_core::ids::rfc3339(secs)
}

/// Why the record could not be started.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error(
        "Could not create the run folder {path}: {source}. Check that the run bucket is mounted and writable (SF_OUTPUT_DIR)."
    )]
    CreateFolder {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "Could not open {path} for writing: {source}. Check that the run bucket is mounted and writable (SF_OUTPUT_DIR)."
    )]
    OpenEvents {
        path: String,
        source: std::io::Error,
    },
}

struct Inner {
    dir: PathBuf,
    state: RunState,
    redactor: Redactor,
    /// Raw secret values, to scrub binary files.
    secrets: Vec<Vec<u8>>,
    events: File,
    finished: bool,
    report_written: bool,
    write_failures: u32,
    echo_to_stderr: bool,
}

/// Writes one run's record. Cheap to clone; all clones write the same record.
#[derive(Clone)]
pub struct Recorder {
    inner: Arc<Mutex<Inner>>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Recorder")
    }
}

/// A relative path inside the run folder, refused when it could leave it.
fn safe_relative(rel: &str) -> Option<PathBuf> {
    let path = Path::new(rel);
    if rel.is_empty()
        || path
            .components()
            .any(|c| !matches!(c, Component::Normal(_)))
    {
        return None;
    }
    Some(path.to_path_buf())
}

/// Writes `bytes` to `path` atomically: a temporary file next to it, then a rename.
fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Replaces every occurrence of each secret in `bytes` by `[redacted]`.
fn scrub_bytes(bytes: &[u8], secrets: &[Vec<u8>]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        let mut result = Vec::with_capacity(out.len());
        let mut i = 0;
        while i < out.len() {
            if out[i..].starts_with(secret) {
                result.extend_from_slice(REDACTED.as_bytes());
                i += secret.len();
            } else {
                result.push(out[i]);
                i += 1;
            }
        }
        out = result;
    }
    out
}

impl Inner {
    fn failed(&mut self, what: &str, e: &dyn std::fmt::Display) {
        self.write_failures += 1;
        eprintln!(
            "space-factory-worker: could not write {what}: {}",
            self.redactor.redact(&e.to_string())
        );
    }

    fn write_state(&mut self) {
        let value = serde_json::to_value(&self.state).unwrap_or(Value::Null);
        let mut text =
            serde_json::to_string_pretty(&self.redactor.redact_json(&value)).unwrap_or_default();
        text.push('\n');
        if let Err(e) = write_atomic(&self.dir.join(STATE_FILE), text.as_bytes()) {
            self.failed(STATE_FILE, &e);
        }
    }

    fn push_event(&mut self, level: Level, message: &str, data: Value) {
        let event = Event {
            ts: now_rfc3339(),
            level,
            phase: self.state.phase,
            message: self.redactor.redact(message),
            data: self.redactor.redact_json(&data),
        };
        let line = event.to_line();
        if self.echo_to_stderr {
            eprint!(
                "[{}] {} {}",
                event.phase,
                level_word(level),
                line_message(&event)
            );
        }
        if let Err(e) = self.events.write_all(line.as_bytes()) {
            self.failed(EVENTS_FILE, &e);
        }
    }

    fn write_file(&mut self, rel: &str, bytes: &[u8]) {
        let Some(path) = safe_relative(rel) else {
            self.failed(rel, &"the path leaves the run folder");
            return;
        };
        if let Err(e) = write_atomic(&self.dir.join(path), bytes) {
            self.failed(rel, &e);
        }
    }

    fn finish(&mut self, status: RunStatus, reason: &str) -> bool {
        if self.finished {
            return false;
        }
        self.finished = true;
        let now = now_rfc3339();
        let reason = self.redactor.redact(reason);
        let level = match status {
            RunStatus::Failed | RunStatus::Running => Level::Error,
            RunStatus::TechnicalBlocker | RunStatus::ManualHardwareRequired => Level::Warn,
            _ => Level::Info,
        };
        self.state.finish(status, &reason, &now);
        let status = self.state.status;
        self.push_event(
            level,
            &format!("Finished: {status}. {reason}"),
            serde_json::json!({ "status": status }),
        );
        self.write_state();
        true
    }
}

fn level_word(level: Level) -> &'static str {
    match level {
        Level::Info => "info ",
        Level::Warn => "warn ",
        Level::Error => "error",
    }
}

fn line_message(event: &Event) -> String {
    format!("{}\n", event.message)
}

impl Recorder {
    /// Starts the record of a run in `dir` (`<output>/runs/<run_id>`): creates the folder,
    /// opens `events.jsonl` for appending and writes the first `state.json` at once.
    /// `token` is registered with the redactor (and scrubbed from binary files).
    pub fn start(
        dir: &Path,
        state: RunState,
        token: Option<&str>,
    ) -> Result<Recorder, RecordError> {
        std::fs::create_dir_all(dir).map_err(|source| RecordError::CreateFolder {
            path: dir.display().to_string(),
            source,
        })?;
        let events_path = dir.join(EVENTS_FILE);
        let events = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&events_path)
            .map_err(|source| RecordError::OpenEvents {
                path: events_path.display().to_string(),
                source,
            })?;
        let mut redactor = Redactor::new();
        let mut secrets = Vec::new();
        if let Some(t) = token.map(str::trim).filter(|t| !t.is_empty()) {
            redactor.add_secret(t);
            secrets.push(t.as_bytes().to_vec());
        }
        let mut inner = Inner {
            dir: dir.to_path_buf(),
            state,
            redactor,
            secrets,
            events,
            finished: false,
            report_written: false,
            write_failures: 0,
            echo_to_stderr: true,
        };
        inner.write_state();
        let phase = inner.state.phase;
        let message = inner.state.message.clone();
        inner.push_event(
            Level::Info,
            &message,
            serde_json::json!({ "phase": phase, "kind": inner.state.kind }),
        );
        Ok(Recorder {
            inner: Arc::new(Mutex::new(inner)),
        })
    }

    /// Stops echoing events to stderr (tests keep their output readable).
    pub fn quiet(self) -> Recorder {
        self.lock().echo_to_stderr = false;
        self
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The lock, waiting at most `patience` (used from the panic hook, where the panicking
    /// thread may hold it).
    fn lock_patiently(&self, patience: Duration) -> Option<MutexGuard<'_, Inner>> {
        let start = Instant::now();
        loop {
            match self.inner.try_lock() {
                Ok(g) => return Some(g),
                Err(TryLockError::Poisoned(p)) => return Some(p.into_inner()),
                Err(TryLockError::WouldBlock) if start.elapsed() < patience => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(TryLockError::WouldBlock) => return None,
            }
        }
    }

    /// The run folder.
    pub fn dir(&self) -> PathBuf {
        self.lock().dir.clone()
    }

    /// A copy of the current state.
    pub fn state(&self) -> RunState {
        self.lock().state.clone()
    }

    /// The redactor in use (with the token registered).
    pub fn redactor(&self) -> Redactor {
        self.lock().redactor.clone()
    }

    /// `text` redacted.
    pub fn redact(&self, text: &str) -> String {
        self.lock().redactor.redact(text)
    }

    /// Whether a final state has been written.
    pub fn is_finished(&self) -> bool {
        self.lock().finished
    }

    /// How many writes failed so far.
    pub fn write_failures(&self) -> u32 {
        self.lock().write_failures
    }

    /// Writes `request.json` (redacted JSON).
    pub fn write_request(&self, request: &impl Serialize) {
        let value = serde_json::to_value(request).unwrap_or(Value::Null);
        let mut inner = self.lock();
        let mut text =
            serde_json::to_string_pretty(&inner.redactor.redact_json(&value)).unwrap_or_default();
        text.push('\n');
        inner.write_file(REQUEST_FILE, text.as_bytes());
    }

    /// Changes the state with `f` and writes `state.json`. Ignored once the run is finished.
    pub fn update(&self, f: impl FnOnce(&mut RunState)) {
        let mut inner = self.lock();
        if inner.finished {
            return;
        }
        f(&mut inner.state);
        inner.state.updated_at = now_rfc3339();
        inner.write_state();
    }

    /// Enters `phase` (message: the phase's label when empty), writes the state and an event.
    pub fn phase(&self, phase: Phase, message: &str) {
        let mut inner = self.lock();
        if inner.finished {
            return;
        }
        let now = now_rfc3339();
        inner.state.enter_phase(phase, message, &now);
        inner.state.message = inner.redactor.redact(&inner.state.message);
        inner.write_state();
        let message = inner.state.message.clone();
        inner.push_event(Level::Info, &message, serde_json::json!({ "phase": phase }));
    }

    /// Appends an event in the current phase.
    pub fn event(&self, level: Level, message: &str, data: Value) {
        self.lock().push_event(level, message, data);
    }

    pub fn info(&self, message: &str) {
        self.event(Level::Info, message, Value::Null);
    }

    pub fn warn(&self, message: &str) {
        self.event(Level::Warn, message, Value::Null);
    }

    pub fn error(&self, message: &str) {
        self.event(Level::Error, message, Value::Null);
    }

    /// Writes a text file of the run (e.g. `generated/app.py`), redacted, atomically.
    pub fn write_text(&self, rel: &str, text: &str) {
        let mut inner = self.lock();
        let text = inner.redactor.redact(text);
        if rel == REPORT_FILE {
            inner.report_written = true;
        }
        inner.write_file(rel, text.as_bytes());
    }

    /// Writes a JSON file of the run (pretty, redacted).
    pub fn write_json(&self, rel: &str, value: &Value) {
        let mut inner = self.lock();
        let mut text =
            serde_json::to_string_pretty(&inner.redactor.redact_json(value)).unwrap_or_default();
        text.push('\n');
        inner.write_file(rel, text.as_bytes());
    }

    /// Writes a binary file of the run (e.g. an output image); registered secrets are scrubbed.
    pub fn write_bytes(&self, rel: &str, bytes: &[u8]) {
        let mut inner = self.lock();
        let bytes = scrub_bytes(bytes, &inner.secrets);
        inner.write_file(rel, &bytes);
    }

    /// Appends one redacted line (a newline is added) to a text file of the run, e.g. a trace.
    pub fn append_line(&self, rel: &str, line: &str) {
        let mut inner = self.lock();
        let Some(path) = safe_relative(rel) else {
            inner.failed(rel, &"the path leaves the run folder");
            return;
        };
        let path = inner.dir.join(path);
        let mut text = inner.redactor.redact(line);
        text.push('\n');
        let result = (|| {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)?
                .write_all(text.as_bytes())
        })();
        if let Err(e) = result {
            inner.failed(rel, &e);
        }
    }

    /// Records the verdict: final state (`phase: finished`, `finished_at`) and a last event.
    /// Only the first final write counts; returns whether this call wrote it.
    pub fn finish(&self, status: RunStatus, reason: &str) -> bool {
        self.lock().finish(status, reason)
    }

    /// Ends a run that could not reach a verdict (an error, cancellation, the time limit, a
    /// panic): `failed` with `reason`, and a short `report.md` when none was written. Does
    /// nothing when the run already finished. Returns whether this call wrote the final state.
    pub fn abort(&self, reason: &str) -> bool {
        let mut inner = self.lock();
        abort_locked(&mut inner, reason)
    }

    /// [`Recorder::abort`] for the panic hook: waits at most `patience` for the lock.
    pub fn abort_patiently(&self, reason: &str, patience: Duration) -> bool {
        match self.lock_patiently(patience) {
            Some(mut inner) => abort_locked(&mut inner, reason),
            None => false,
        }
    }
}

fn abort_locked(inner: &mut Inner, reason: &str) -> bool {
    let phase = inner.state.phase;
    if !inner.finish(RunStatus::Failed, reason) {
        return false;
    }
    if !inner.report_written {
        let report = crate::report::abort_report(&inner.state, phase);
        let text = inner.redactor.redact(&report);
        inner.report_written = true;
        inner.write_file(REPORT_FILE, text.as_bytes());
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use sf_core::{RunId, RunKind, StateRead, parse_events};

    const TOKEN: &str = "hf_PlantedSecretToken0123456789abcdef";

    fn start(dir: &Path) -> Recorder {
        let state = RunState::new(
            RunId::parse("build-20261128-142501-a3f9c2").unwrap(),
            RunKind::Build,
            &now_rfc3339(),
        );
        Recorder::start(dir, state, Some(TOKEN)).unwrap().quiet()
    }

    fn read_state(dir: &Path) -> RunState {
        let text = std::fs::read_to_string(dir.join(STATE_FILE)).unwrap();
        match StateRead::parse(Some(&text)) {
            StateRead::State(s) => *s,
            other => panic!("state.json unreadable: {other:?}"),
        }
    }

    #[test]
    fn start_writes_state_and_first_event_at_once() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("runs/r1");
        let _rec = start(&dir);
        let st = read_state(&dir);
        assert_eq!(st.status, RunStatus::Running);
        assert_eq!(st.phase, Phase::Starting);
        let events = parse_events(&std::fs::read_to_string(dir.join(EVENTS_FILE)).unwrap());
        assert_eq!(events.events.len(), 1);
        assert_eq!(events.events[0].phase, Phase::Starting);
    }

    #[test]
    fn phases_events_and_finish() {
        let tmp = tempfile::tempdir().unwrap();
        let rec = start(tmp.path());
        rec.phase(Phase::ReadingModel, "");
        rec.update(|s| s.model_id = Some("org/model".into()));
        rec.warn("something odd");
        assert_eq!(read_state(tmp.path()).phase, Phase::ReadingModel);
        assert!(rec.finish(RunStatus::HealthOnly, "boots only"));
        assert!(!rec.finish(RunStatus::Failed, "second verdict is ignored"));
        assert!(!rec.abort("too late"));
        rec.update(|s| s.model_id = Some("changed after the end".into()));
        let st = read_state(tmp.path());
        assert_eq!(st.status, RunStatus::HealthOnly);
        assert_eq!(st.phase, Phase::Finished);
        assert_eq!(st.message, "boots only");
        assert_eq!(st.model_id.as_deref(), Some("org/model"));
        assert!(st.finished_at.is_some());
        let events = parse_events(&std::fs::read_to_string(tmp.path().join(EVENTS_FILE)).unwrap());
        assert_eq!(events.unreadable_lines, 0);
        assert!(!events.partial_last_line);
        let msgs: Vec<_> = events.events.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(msgs.len(), 4, "{msgs:?}");
        assert_eq!(events.events[2].level, Level::Warn);
        assert!(msgs[3].starts_with("Finished: health_only"));
        assert!(
            !tmp.path().join(REPORT_FILE).exists(),
            "finish leaves the report to the run"
        );
    }

    #[test]
    fn abort_writes_failed_state_and_a_report() {
        let tmp = tempfile::tempdir().unwrap();
        let rec = start(tmp.path());
        rec.phase(Phase::Agent, "");
        assert!(rec.abort("The job was cancelled."));
        let st = read_state(tmp.path());
        assert_eq!(st.status, RunStatus::Failed);
        assert_eq!(st.message, "The job was cancelled.");
        let report = std::fs::read_to_string(tmp.path().join(REPORT_FILE)).unwrap();
        assert!(report.contains("The job was cancelled."), "{report}");
        assert!(report.contains(Phase::Agent.label()), "{report}");
    }

    #[test]
    fn abort_keeps_a_report_the_run_wrote() {
        let tmp = tempfile::tempdir().unwrap();
        let rec = start(tmp.path());
        rec.write_text(REPORT_FILE, "# my report\n");
        rec.abort("late failure");
        assert_eq!(
            std::fs::read_to_string(tmp.path().join(REPORT_FILE)).unwrap(),
            "# my report\n"
        );
    }

    #[test]
    fn state_is_replaced_atomically_and_leaves_no_temp_files() {
        let tmp = tempfile::tempdir().unwrap();
        let rec = start(tmp.path());
        for i in 0..50 {
            rec.update(|s| s.message = format!("step {i}"));
        }
        assert_eq!(read_state(tmp.path()).message, "step 49");
        let names: Vec<_> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.contains(".tmp")), "{names:?}");
    }

    #[test]
    fn paths_cannot_leave_the_run_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let run = tmp.path().join("run");
        let rec = start(&run);
        rec.write_text("../escape.txt", "x");
        rec.write_text("/etc/escape.txt", "x");
        rec.append_line("traces/../../escape.txt", "x");
        assert!(!tmp.path().join("escape.txt").exists());
        assert_eq!(rec.write_failures(), 3);
        rec.write_text("generated/app.py", "print('ok')\n");
        assert!(run.join("generated/app.py").is_file());
    }

    #[test]
    fn the_planted_token_appears_in_no_file() {
        let tmp = tempfile::tempdir().unwrap();
        let rec = start(tmp.path());
        rec.write_request(&serde_json::json!({"model": "m", "note": format!("token {TOKEN}")}));
        rec.phase(Phase::Agent, &format!("using {TOKEN}"));
        rec.event(
            Level::Info,
            &format!("Authorization: Bearer {TOKEN}"),
            serde_json::json!({"header": TOKEN, "nested": [format!("x{TOKEN}y")]}),
        );
        rec.update(|s| s.blockers.push(format!("blocked by {TOKEN}")));
        rec.write_text("generated/app.py", &format!("TOKEN = '{TOKEN}'\n"));
        rec.write_json("tests/result.json", &serde_json::json!({"t": TOKEN}));
        rec.append_line("traces/agent.jsonl", &format!("{{\"k\":\"{TOKEN}\"}}"));
        let mut binary = vec![0u8, 159, 146, 150];
        binary.extend_from_slice(TOKEN.as_bytes());
        binary.push(255);
        rec.write_bytes("artifacts/output.bin", &binary);
        rec.abort(&format!("failed with {TOKEN}"));
        let mut files = 0;
        for path in walk(tmp.path()) {
            files += 1;
            let bytes = std::fs::read(&path).unwrap();
            assert!(
                !bytes.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()),
                "{} contains the token",
                path.display()
            );
        }
        assert!(files >= 8, "{files} files");
        let app = std::fs::read_to_string(tmp.path().join("generated/app.py")).unwrap();
        assert_eq!(app, format!("TOKEN = '{REDACTED}'\n"));
    }

    pub(crate) fn walk(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                out.extend(walk(&path));
            } else {
                out.push(path);
            }
        }
        out
    }

    #[test]
    fn scrubbing_bytes() {
        let s = vec![b"secret12".to_vec()];
        assert_eq!(
            scrub_bytes(b"a secret12 b secret12", &s),
            b"a [redacted] b [redacted]"
        );
        assert_eq!(scrub_bytes(b"nothing", &s), b"nothing");
        assert_eq!(scrub_bytes(b"secret1", &s), b"secret1");
    }

    #[test]
    fn abort_patiently_gives_up_when_the_lock_is_held() {
        let tmp = tempfile::tempdir().unwrap();
        let rec = start(tmp.path());
        let guard = rec.inner.lock().unwrap();
        let other = rec.clone();
        let handle =
            std::thread::spawn(move || other.abort_patiently("crash", Duration::from_millis(50)));
        assert!(!handle.join().unwrap());
        drop(guard);
        assert!(rec.abort_patiently("crash", Duration::from_millis(50)));
        assert_eq!(read_state(tmp.path()).status, RunStatus::Failed);
    }
}
