//! The run record writer: everything the worker leaves in `runs/<run_id>/` of the mounted bucket.
//!
//! * `request.json` — the inputs (no secrets);
//! * `state.json` — the [`RunState`];
//! * `events.jsonl` — one [`Event`] per line;
//! * `report.md`, `generated/`, `tests/`, `artifacts/` — through [`Recorder::write_text`],
//!   [`Recorder::write_json`] and [`Recorder::write_bytes`];
//! * `traces/` — line by line through [`Recorder::trace_line`], or whole through `write_text`.
//!
//! ## Every file is written whole
//!
//! On huggingface.co the bucket is an hf-mount filesystem: a file is uploaded when it is
//! **closed**, an existing file can only be replaced (opened with truncation; appending fails
//! with EPERM), and a file held open is invisible to the run page and lost if the job is killed.
//! So the content of every file is kept in memory and each write is create/truncate, write,
//! close ([`write_whole`]) — never an append, never a rename, never a file left open:
//!
//! * `events.jsonl` is rewritten whole from the events so far, `state.json` in place, a trace
//!   whole from its lines;
//! * changes are debounced ([`WritePolicy`]): a change waits `settle` (300 ms) for the rest of
//!   its burst, and a file is written at most once every `min_interval` (2 s), by a background
//!   flusher thread, so an event is on the bucket within about 2 s and a burst costs one upload;
//! * everything pending is written at once at every phase change ([`Recorder::phase`]), before
//!   the long waits ([`Recorder::flush`]: the agent's rounds, the Space's start) and at the end
//!   ([`Recorder::finish`], [`Recorder::abort`] — cancellation, time limit and panic go through
//!   it — and [`Recorder::close`]);
//! * files given whole (`write_text`, `write_json`, `write_bytes`) are written at once (unless
//!   the same file was written less than `min_interval` ago) and then dropped from memory.
//!
//! A write that fails (EPERM, EIO, a full disk, an upload refused at close) is reported on stderr
//! (the job log) and the file stays pending: it is written again at the next flush, and
//! [`Recorder::close`] keeps trying for a few seconds, so a failure never ends the run and the
//! final state lands as soon as the bucket takes it. A run killed outright (SIGKILL) keeps what
//! was flushed: `state.json` as of its last phase change at worst, the events of the last ~2 s lost.
//!
//! Memory stays bounded: a trace is kept up to [`WritePolicy::trace_part_bytes`] (4 MiB); the
//! next lines go to a new part (`agent-round-1.jsonl`, then `agent-round-1.part-2.jsonl`, …)
//! and the full part, written one last time, leaves memory — nothing is lost. A trace that is
//! complete ([`Recorder::end_trace`], at the end of an agent round) leaves memory the same way. `events.jsonl` is
//! capped at [`WritePolicy::events_max_bytes`] (8 MiB, far beyond a run's few hundred events):
//! beyond it the oldest events but the first are left out, and an event says how many.
//!
//! Every text goes through the [`Redactor`] (with the job's `HF_TOKEN` registered) before it is
//! kept; binary files have every occurrence of a registered secret overwritten.
//!
//! The record always ends with a final state: [`Recorder::finish`] for a verdict,
//! [`Recorder::abort`] for everything else (errors, cancellation, time limit, panic), which also
//! leaves a short `report.md` when the run had not written one.

use std::collections::{BTreeMap, VecDeque};
use std::fs::File;
use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, TryLockError, Weak};
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
        "Could not write {path}: {source}. Check that the run bucket is mounted and writable (SF_OUTPUT_DIR)."
    )]
    FirstWrite {
        path: String,
        source: std::io::Error,
    },
}

/// When the record's files are written, and how much of them is kept in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WritePolicy {
    /// How long a change waits for the rest of its burst before its file is written.
    pub settle: Duration,
    /// A file is written at most once in this time, except at a forced flush (phase change,
    /// long wait, end).
    pub min_interval: Duration,
    /// How often the background flusher looks for files that are due.
    pub tick: Duration,
    /// The largest part of a trace kept in memory; the next lines start a new part.
    pub trace_part_bytes: usize,
    /// The most of `events.jsonl` kept; beyond it the oldest events (but the first) are left out.
    pub events_max_bytes: usize,
}

impl Default for WritePolicy {
    fn default() -> Self {
        WritePolicy {
            settle: Duration::from_millis(300),
            min_interval: Duration::from_secs(2),
            tick: Duration::from_millis(100),
            trace_part_bytes: 4 << 20,
            events_max_bytes: 8 << 20,
        }
    }
}

/// Writes `bytes` as the whole content of `path`: create or truncate, write, close — the one way
/// the record touches the bucket. The close is checked, since hf-mount uploads on close (and
/// `File`'s drop ignores what close(2) says).
#[allow(unsafe_code)] // close(2): see the SAFETY comment
pub fn write_whole(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::fd::IntoRawFd;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = File::create(path)?;
    file.write_all(bytes)?;
    let fd = file.into_raw_fd();
    // SAFETY: `fd` was just released by the `File` above and is closed exactly once, here.
    if unsafe { libc::close(fd) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Where a file's content comes from when it is written.
enum Body {
    /// Rendered from the state.
    State,
    /// Rendered from the events so far.
    Events,
    /// Rendered from the lines of the trace with this base name.
    Trace(String),
    /// Given whole; `None` once written (it then leaves memory).
    Bytes(Option<Vec<u8>>),
}

/// One file of the record and how it stands on the bucket.
struct Slot {
    body: Body,
    /// Since when the file has content the bucket does not have (`None`: up to date).
    dirty_since: Option<Instant>,
    last_attempt: Option<Instant>,
    failures_in_a_row: u32,
    writes: u32,
}

impl Slot {
    fn new(body: Body) -> Slot {
        Slot {
            body,
            dirty_since: None,
            last_attempt: None,
            failures_in_a_row: 0,
            writes: 0,
        }
    }

    fn touch(&mut self, now: Instant) {
        self.dirty_since.get_or_insert(now);
    }

    fn may_write(&self, now: Instant, policy: &WritePolicy) -> bool {
        self.last_attempt
            .is_none_or(|t| now.duration_since(t) >= policy.min_interval)
    }

    fn is_due(&self, now: Instant, policy: &WritePolicy) -> bool {
        self.dirty_since
            .is_some_and(|t| now.duration_since(t) >= policy.settle)
            && self.may_write(now, policy)
    }
}

/// The lines of `events.jsonl`, the oldest left out beyond a size.
struct EventLog {
    first: Option<String>,
    rest: VecDeque<String>,
    rest_bytes: usize,
    left_out: u64,
    /// The event saying how many were left out.
    notice: Option<String>,
}

impl EventLog {
    fn push(&mut self, line: String, max_bytes: usize, phase: Phase) {
        if self.first.is_none() {
            self.first = Some(line);
            return;
        }
        self.rest_bytes += line.len();
        self.rest.push_back(line);
        let mut dropped = false;
        while self.rest_bytes > max_bytes && self.rest.len() > 1 {
            if let Some(old) = self.rest.pop_front() {
                self.rest_bytes -= old.len();
                self.left_out += 1;
                dropped = true;
            }
        }
        if dropped {
            let notice = Event {
                ts: now_rfc3339(),
                level: Level::Warn,
                phase,
                message: format!(
                    "{} earlier events were left out to keep events.jsonl under {} KiB.",
                    self.left_out,
                    max_bytes >> 10
                ),
                data: serde_json::json!({ "left_out": self.left_out }),
            };
            self.notice = Some(notice.to_line());
        }
    }

    fn render(&self) -> Vec<u8> {
        let mut out = String::with_capacity(self.rest_bytes + 512);
        out.extend(self.first.iter().map(String::as_str));
        out.extend(self.notice.iter().map(String::as_str));
        out.extend(self.rest.iter().map(String::as_str));
        out.into_bytes()
    }
}

/// A trace being written: the lines of its current part.
struct Trace {
    text: String,
    part: u32,
}

/// The name of part `n` of the trace `base`: `traces/a.jsonl`, `traces/a.part-2.jsonl`, …
fn part_name(base: &str, n: u32) -> String {
    if n <= 1 {
        return base.to_string();
    }
    let (dir, file) = base.rsplit_once('/').map_or(("", base), |(d, f)| (d, f));
    let file = match file.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => format!("{stem}.part-{n}.{ext}"),
        _ => format!("{file}.part-{n}"),
    };
    if dir.is_empty() {
        file
    } else {
        format!("{dir}/{file}")
    }
}

struct Inner {
    dir: PathBuf,
    state: RunState,
    redactor: Redactor,
    /// Raw secret values, to scrub binary files.
    secrets: Vec<Vec<u8>>,
    policy: WritePolicy,
    files: BTreeMap<String, Slot>,
    events: EventLog,
    traces: BTreeMap<String, Trace>,
    finished: bool,
    report_written: bool,
    write_failures: u32,
    uploads: u64,
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

    /// Marks `rel` (with `body`, for a new file) as having content the bucket lacks.
    fn touch(&mut self, rel: &str, body: impl FnOnce() -> Body) {
        let now = Instant::now();
        self.files
            .entry(rel.to_string())
            .or_insert_with(|| Slot::new(body()))
            .touch(now);
    }

    fn render(&self, body: &Body) -> Vec<u8> {
        match body {
            Body::State => {
                let value = serde_json::to_value(&self.state).unwrap_or(Value::Null);
                let mut text = serde_json::to_string_pretty(&self.redactor.redact_json(&value))
                    .unwrap_or_default();
                text.push('\n');
                text.into_bytes()
            }
            Body::Events => self.events.render(),
            Body::Trace(base) => self
                .traces
                .get(base)
                .map(|t| t.text.clone().into_bytes())
                .unwrap_or_default(),
            Body::Bytes(_) => Vec::new(),
        }
    }

    /// Writes `rel` whole now; it stays pending when the write fails.
    fn write_slot(&mut self, rel: &str) -> std::io::Result<()> {
        let Some(slot) = self.files.get_mut(rel) else {
            return Ok(());
        };
        let given = match &mut slot.body {
            Body::Bytes(b) => Some(b.take().unwrap_or_default()),
            _ => None,
        };
        let bytes = match given {
            Some(b) => b,
            None => {
                let slot = &self.files[rel];
                self.render(&slot.body)
            }
        };
        // Paths are checked when a file is first recorded.
        let result = write_whole(&self.dir.join(rel), &bytes);
        let now = Instant::now();
        let slot = self.files.get_mut(rel).expect("the slot written");
        slot.last_attempt = Some(now);
        match &result {
            Ok(()) => {
                slot.dirty_since = None;
                slot.writes += 1;
                if slot.failures_in_a_row > 0 {
                    eprintln!(
                        "space-factory-worker: wrote {rel} after {} failed attempts.",
                        slot.failures_in_a_row
                    );
                }
                slot.failures_in_a_row = 0;
                self.uploads += 1;
            }
            Err(e) => {
                slot.failures_in_a_row += 1;
                let n = slot.failures_in_a_row;
                if let Body::Bytes(kept @ None) = &mut slot.body {
                    *kept = Some(bytes);
                }
                self.write_failures += 1;
                // The first failure of a streak, then every tenth: a bucket that stays away
                // must not flood the job log.
                if n == 1 || n.is_multiple_of(10) {
                    eprintln!(
                        "space-factory-worker: could not write {rel} ({}; attempt {n}); it is kept and written again at the next flush.",
                        self.redactor.redact(&e.to_string())
                    );
                }
            }
        }
        result
    }

    /// Writes every pending file: all of them when `force`, else those due by the policy.
    fn flush(&mut self, force: bool) {
        let now = Instant::now();
        let due: Vec<String> = self
            .files
            .iter()
            .filter(|(_, s)| s.dirty_since.is_some() && (force || s.is_due(now, &self.policy)))
            .map(|(rel, _)| rel.clone())
            .collect();
        for rel in due {
            let _ = self.write_slot(&rel);
        }
    }

    fn pending(&self) -> Vec<&str> {
        self.files
            .iter()
            .filter(|(_, s)| s.dirty_since.is_some())
            .map(|(rel, _)| rel.as_str())
            .collect()
    }

    fn update_state(&mut self) {
        self.touch(STATE_FILE, || Body::State);
    }

    fn push_event(&mut self, level: Level, message: &str, data: Value) {
        let event = Event {
            ts: now_rfc3339(),
            level,
            phase: self.state.phase,
            message: self.redactor.redact(message),
            data: self.redactor.redact_json(&data),
        };
        if self.echo_to_stderr {
            eprintln!("[{}] {} {}", event.phase, level_word(level), event.message);
        }
        let max = self.policy.events_max_bytes;
        self.events.push(event.to_line(), max, self.state.phase);
        self.touch(EVENTS_FILE, || Body::Events);
    }

    /// Records a file given whole and writes it at once unless it was written a moment ago.
    fn write_file(&mut self, rel: &str, bytes: Vec<u8>) {
        if safe_relative(rel).is_none() {
            self.failed(rel, &"the path leaves the run folder");
            return;
        }
        let now = Instant::now();
        let slot = self
            .files
            .entry(rel.to_string())
            .or_insert_with(|| Slot::new(Body::Bytes(None)));
        slot.body = Body::Bytes(Some(bytes));
        slot.touch(now);
        if slot.may_write(now, &self.policy) {
            let _ = self.write_slot(rel);
        }
    }

    fn trace_line(&mut self, rel: &str, line: &str) {
        if safe_relative(rel).is_none() {
            self.failed(rel, &"the path leaves the run folder");
            return;
        }
        let mut text = self.redactor.redact(line);
        text.push('\n');
        let cap = self.policy.trace_part_bytes;
        let trace = self.traces.entry(rel.to_string()).or_insert(Trace {
            text: String::new(),
            part: 1,
        });
        if !trace.text.is_empty() && trace.text.len() + text.len() > cap {
            self.end_part(rel);
        }
        let trace = self.traces.get_mut(rel).expect("the trace just recorded");
        trace.text.push_str(&text);
        let name = part_name(rel, trace.part);
        self.touch(&name, || Body::Trace(rel.to_string()));
    }

    /// Ends the current part of the trace `rel`: written one last time as a file given whole, it
    /// leaves memory; the trace's next lines go to its next part.
    fn end_part(&mut self, rel: &str) {
        let Some(trace) = self.traces.get_mut(rel).filter(|t| !t.text.is_empty()) else {
            return;
        };
        let full = std::mem::take(&mut trace.text).into_bytes();
        let done = part_name(rel, trace.part);
        trace.part += 1;
        self.write_file(&done, full);
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
        self.update_state();
        self.flush(true);
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

/// Writes what is due every `tick` while the record lives.
fn spawn_flusher(record: Weak<Mutex<Inner>>, tick: Duration) {
    let started = std::thread::Builder::new()
        .name("record-flusher".into())
        .spawn(move || {
            loop {
                std::thread::sleep(tick);
                let Some(inner) = record.upgrade() else {
                    return;
                };
                inner.lock().unwrap_or_else(|p| p.into_inner()).flush(false);
            }
        });
    if let Err(e) = started {
        eprintln!(
            "space-factory-worker: could not start the record's flusher ({e}); the record is written at phase changes and at the end only."
        );
    }
}

impl Recorder {
    /// Starts the record of a run in `dir` (`<output>/runs/<run_id>`): creates the folder and
    /// writes the first `state.json` and event at once. `token` is registered with the redactor
    /// (and scrubbed from binary files).
    pub fn start(
        dir: &Path,
        state: RunState,
        token: Option<&str>,
    ) -> Result<Recorder, RecordError> {
        Recorder::start_with(dir, state, token, WritePolicy::default())
    }

    /// [`Recorder::start`] with another [`WritePolicy`].
    pub fn start_with(
        dir: &Path,
        state: RunState,
        token: Option<&str>,
        policy: WritePolicy,
    ) -> Result<Recorder, RecordError> {
        std::fs::create_dir_all(dir).map_err(|source| RecordError::CreateFolder {
            path: dir.display().to_string(),
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
            policy,
            files: BTreeMap::new(),
            events: EventLog {
                first: None,
                rest: VecDeque::new(),
                rest_bytes: 0,
                left_out: 0,
                notice: None,
            },
            traces: BTreeMap::new(),
            finished: false,
            report_written: false,
            write_failures: 0,
            uploads: 0,
            echo_to_stderr: true,
        };
        inner.update_state();
        inner
            .write_slot(STATE_FILE)
            .map_err(|source| RecordError::FirstWrite {
                path: dir.join(STATE_FILE).display().to_string(),
                source,
            })?;
        let phase = inner.state.phase;
        let message = inner.state.message.clone();
        inner.push_event(
            Level::Info,
            &message,
            serde_json::json!({ "phase": phase, "kind": inner.state.kind }),
        );
        inner.flush(true);
        let inner = Arc::new(Mutex::new(inner));
        spawn_flusher(Arc::downgrade(&inner), policy.tick);
        Ok(Recorder { inner })
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

    /// How many files were written (closed) so far: on hf-mount, each is one upload.
    pub fn uploads(&self) -> u64 {
        self.lock().uploads
    }

    /// Writes `request.json` (redacted JSON).
    pub fn write_request(&self, request: &impl Serialize) {
        let value = serde_json::to_value(request).unwrap_or(Value::Null);
        let mut inner = self.lock();
        let mut text =
            serde_json::to_string_pretty(&inner.redactor.redact_json(&value)).unwrap_or_default();
        text.push('\n');
        inner.write_file(REQUEST_FILE, text.into_bytes());
    }

    /// Changes the state with `f`; `state.json` follows within the policy's delay. Ignored once
    /// the run is finished.
    pub fn update(&self, f: impl FnOnce(&mut RunState)) {
        let mut inner = self.lock();
        if inner.finished {
            return;
        }
        f(&mut inner.state);
        inner.state.updated_at = now_rfc3339();
        inner.update_state();
    }

    /// Enters `phase` (message: the phase's label when empty) with an event, and writes
    /// everything pending at once.
    pub fn phase(&self, phase: Phase, message: &str) {
        let mut inner = self.lock();
        if inner.finished {
            return;
        }
        let now = now_rfc3339();
        inner.state.enter_phase(phase, message, &now);
        inner.state.message = inner.redactor.redact(&inner.state.message);
        inner.update_state();
        let message = inner.state.message.clone();
        inner.push_event(Level::Info, &message, serde_json::json!({ "phase": phase }));
        inner.flush(true);
    }

    /// Adds an event in the current phase; `events.jsonl` follows within the policy's delay.
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

    /// Writes everything pending now (before a long wait, at the end of an agent round).
    pub fn flush(&self) {
        self.lock().flush(true);
    }

    /// Writes a text file of the run (e.g. `generated/app.py`), redacted, whole.
    pub fn write_text(&self, rel: &str, text: &str) {
        let mut inner = self.lock();
        let text = inner.redactor.redact(text);
        if rel == REPORT_FILE {
            inner.report_written = true;
        }
        inner.write_file(rel, text.into_bytes());
    }

    /// Writes a JSON file of the run (pretty, redacted).
    pub fn write_json(&self, rel: &str, value: &Value) {
        let mut inner = self.lock();
        let mut text =
            serde_json::to_string_pretty(&inner.redactor.redact_json(value)).unwrap_or_default();
        text.push('\n');
        inner.write_file(rel, text.into_bytes());
    }

    /// Writes a binary file of the run (e.g. an output image); registered secrets are scrubbed.
    pub fn write_bytes(&self, rel: &str, bytes: &[u8]) {
        let mut inner = self.lock();
        let bytes = scrub_bytes(bytes, &inner.secrets);
        inner.write_file(rel, bytes);
    }

    /// Adds one redacted line (a newline is added) to a trace of the run, e.g.
    /// `traces/agent-round-1.jsonl`; the trace is rewritten whole within the policy's delay.
    pub fn trace_line(&self, rel: &str, line: &str) {
        self.lock().trace_line(rel, line);
    }

    /// The trace `rel` is complete (an agent round ended): it is written whole now and leaves
    /// memory, with everything else pending. Lines added later would start its next part.
    pub fn end_trace(&self, rel: &str) {
        let mut inner = self.lock();
        inner.end_part(rel);
        inner.flush(true);
    }

    /// Records the verdict: final state (`phase: finished`, `finished_at`) and a last event,
    /// written at once. Only the first final write counts; returns whether this call wrote it.
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

    /// The end of the job: writes everything pending, trying again for up to `patience` while
    /// the bucket refuses, and says in the job log how many files were written
    /// (`record: 42 uploads`) and what could not be.
    pub fn close(&self, patience: Duration) {
        let deadline = Instant::now() + patience;
        loop {
            let Some(mut inner) =
                self.lock_patiently(deadline.saturating_duration_since(Instant::now()))
            else {
                eprintln!("record: the record was busy; its last changes may not be written.");
                return;
            };
            inner.flush(true);
            let pending = inner.pending();
            if pending.is_empty() || Instant::now() >= deadline {
                let failures = match inner.write_failures {
                    0 => String::new(),
                    n => format!(" ({n} failed writes)"),
                };
                eprintln!("record: {} uploads{failures}", inner.uploads);
                if !pending.is_empty() {
                    eprintln!(
                        "record: could not write {}; the bucket refused them to the end.",
                        pending.join(", ")
                    );
                }
                return;
            }
            drop(inner);
            std::thread::sleep(Duration::from_millis(200));
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
        inner.write_file(REPORT_FILE, text.into_bytes());
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use sf_core::{RunId, RunKind, StateRead, parse_events};

    const TOKEN: &str = "hf_PlantedSecretToken0123456789abcdef";

    /// Files are written only when a flush is forced (or given whole): what is on disk at any
    /// point of a test is what the test made happen.
    const MANUAL: WritePolicy = WritePolicy {
        settle: Duration::from_secs(3600),
        min_interval: Duration::ZERO,
        tick: Duration::from_millis(50),
        trace_part_bytes: 4 << 20,
        events_max_bytes: 8 << 20,
    };

    fn start(dir: &Path) -> Recorder {
        start_with(dir, MANUAL)
    }

    fn start_with(dir: &Path, policy: WritePolicy) -> Recorder {
        let state = RunState::new(
            RunId::parse("build-20261128-142501-a3f9c2").unwrap(),
            RunKind::Build,
            &now_rfc3339(),
        );
        Recorder::start_with(dir, state, Some(TOKEN), policy)
            .unwrap()
            .quiet()
    }

    fn writes_of(rec: &Recorder, rel: &str) -> u32 {
        rec.lock().files.get(rel).map_or(0, |s| s.writes)
    }

    fn read_events(dir: &Path) -> sf_core::EventsRead {
        parse_events(&std::fs::read_to_string(dir.join(EVENTS_FILE)).unwrap())
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
    fn state_is_written_in_place_and_leaves_no_temp_files() {
        let tmp = tempfile::tempdir().unwrap();
        let rec = start(tmp.path());
        for i in 0..50 {
            rec.update(|s| s.message = format!("step {i}"));
        }
        rec.flush();
        assert_eq!(read_state(tmp.path()).message, "step 49");
        assert_eq!(
            writes_of(&rec, STATE_FILE),
            2,
            "one at the start, one at the flush"
        );
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
        rec.trace_line("traces/../../escape.txt", "x");
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
        rec.trace_line("traces/agent.jsonl", &format!("{{\"k\":\"{TOKEN}\"}}"));
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

    /// The paths of the open file descriptors of this process that lie under `dir`.
    fn open_files_under(dir: &Path) -> Vec<PathBuf> {
        let dir = dir.canonicalize().unwrap();
        std::fs::read_dir("/proc/self/fd")
            .unwrap()
            .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
            .filter(|p| p.starts_with(&dir))
            .collect()
    }

    /// Every file of the record is complete: `state.json` and every `.json` parse, every line
    /// of `events.jsonl` and of the traces is whole.
    fn assert_complete(dir: &Path) {
        read_state(dir);
        let events = read_events(dir);
        assert_eq!(
            (events.unreadable_lines, events.partial_last_line),
            (0, false)
        );
        for path in walk(dir) {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let name = path.display().to_string();
            if name.ends_with(".jsonl") {
                assert!(text.ends_with('\n'), "{name} ends mid-line");
                for line in text.lines() {
                    serde_json::from_str::<Value>(line)
                        .unwrap_or_else(|e| panic!("{name}: {e}: {line}"));
                }
            } else if name.ends_with(".json") {
                serde_json::from_str::<Value>(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            }
        }
    }

    /// On hf-mount a file held open is invisible and lost on a kill: between flushes no file of
    /// the record may stay open, and what is on disk must be whole.
    #[test]
    fn no_record_file_stays_open_and_every_file_is_whole_after_each_flush() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("runs/r1");
        let rec = start(&dir);
        assert!(
            open_files_under(&dir).is_empty(),
            "{:?}",
            open_files_under(&dir)
        );
        assert_complete(&dir);
        for round in 1..=3 {
            rec.phase(Phase::Agent, &format!("round {round}"));
            for i in 0..20 {
                rec.info(&format!("event {i} of round {round}"));
                rec.trace_line(
                    &format!("traces/agent-round-{round}.jsonl"),
                    &format!(r#"{{"type":"tool_execution_end","i":{i}}}"#),
                );
            }
            rec.update(|s| s.blockers.push(format!("blocker {round}")));
            rec.write_json("tests/facts.json", &serde_json::json!({"round": round}));
            assert!(
                open_files_under(&dir).is_empty(),
                "{:?}",
                open_files_under(&dir)
            );
            rec.flush();
            assert!(
                open_files_under(&dir).is_empty(),
                "{:?}",
                open_files_under(&dir)
            );
            assert_complete(&dir);
            assert_eq!(read_state(&dir).blockers.len(), round);
            let trace =
                std::fs::read_to_string(dir.join(format!("traces/agent-round-{round}.jsonl")))
                    .unwrap();
            assert_eq!(trace.lines().count(), 20);
        }
        rec.abort("end of test");
        rec.close(Duration::from_secs(1));
        assert!(open_files_under(&dir).is_empty());
        assert_complete(&dir);
        assert_eq!(read_events(&dir).events.len(), 1 + 3 * 21 + 1);
    }

    /// A burst of events costs one upload of `events.jsonl`, and it is on disk within the
    /// policy's delay without anyone asking.
    #[test]
    fn a_burst_of_events_costs_one_write_and_lands_by_itself() {
        let tmp = tempfile::tempdir().unwrap();
        let rec = start_with(tmp.path(), WritePolicy::default());
        assert_eq!(writes_of(&rec, EVENTS_FILE), 1);
        let started = Instant::now();
        for i in 0..100 {
            rec.info(&format!("event {i}"));
        }
        while read_events(tmp.path()).events.len() < 101 {
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "the burst was not written within 5 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        // A second burst right after waits for the minimum interval, then lands whole.
        for i in 0..100 {
            rec.info(&format!("second burst {i}"));
        }
        let second = Instant::now();
        while read_events(tmp.path()).events.len() < 201 {
            assert!(
                second.elapsed() < Duration::from_secs(6),
                "the second burst was not written within 6 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let writes = writes_of(&rec, EVENTS_FILE) - 1;
        assert!(
            (2..=3).contains(&writes),
            "two bursts of 100 events cost {writes} writes"
        );
        assert_eq!(
            writes_of(&rec, STATE_FILE),
            1,
            "nothing changed in the state"
        );
    }

    /// EISDIR stands for EPERM, EIO or a full disk: a path that cannot be written (root ignores
    /// read-only folders, so the file's path is taken by a folder).
    #[test]
    fn a_failed_write_is_logged_retried_and_the_final_state_still_lands() {
        let tmp = tempfile::tempdir().unwrap();
        let fast = WritePolicy {
            settle: Duration::from_millis(10),
            min_interval: Duration::from_millis(100),
            tick: Duration::from_millis(20),
            ..WritePolicy::default()
        };
        let rec = start_with(tmp.path(), fast);
        let events = tmp.path().join(EVENTS_FILE);
        std::fs::remove_file(&events).unwrap();
        std::fs::create_dir(&events).unwrap();
        rec.phase(Phase::Agent, "");
        rec.info("kept while the bucket refuses");
        rec.flush();
        assert!(rec.write_failures() >= 2, "{}", rec.write_failures());
        // The run goes on: the state still reaches the bucket.
        assert_eq!(read_state(tmp.path()).phase, Phase::Agent);
        // Once the path is free, the flusher writes the events it kept.
        std::fs::remove_dir(&events).unwrap();
        let started = Instant::now();
        while !events.is_file() {
            assert!(started.elapsed() < Duration::from_secs(5), "never retried");
            std::thread::sleep(Duration::from_millis(20));
        }
        rec.flush();
        let msgs: Vec<_> = read_events(tmp.path())
            .events
            .into_iter()
            .map(|e| e.message)
            .collect();
        assert!(
            msgs.contains(&"kept while the bucket refuses".to_string()),
            "{msgs:?}"
        );
        // The final state is refused first, then lands at close.
        let state = tmp.path().join(STATE_FILE);
        std::fs::remove_file(&state).unwrap();
        std::fs::create_dir(&state).unwrap();
        assert!(rec.abort("stopped"));
        assert!(state.is_dir(), "the final state could not be written yet");
        let freed = state.clone();
        let freer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            std::fs::remove_dir(&freed).unwrap();
        });
        rec.close(Duration::from_secs(5));
        freer.join().unwrap();
        let st = read_state(tmp.path());
        assert_eq!((st.status, st.phase), (RunStatus::Failed, Phase::Finished));
        assert_eq!(st.message, "stopped");
    }

    /// A trace larger than a part goes on in a new part: every line is kept, memory holds one part.
    #[test]
    fn a_long_trace_keeps_every_line_in_parts_of_bounded_size() {
        let tmp = tempfile::tempdir().unwrap();
        let rec = start_with(
            tmp.path(),
            WritePolicy {
                trace_part_bytes: 1000,
                ..MANUAL
            },
        );
        let lines: Vec<String> = (0..100)
            .map(|i| {
                format!(
                    r#"{{"type":"tool_execution_end","i":{i},"pad":"{}"}}"#,
                    "x".repeat(i % 7)
                )
            })
            .collect();
        for line in &lines {
            rec.trace_line("traces/agent-round-1.jsonl", line);
            assert!(rec.lock().traces["traces/agent-round-1.jsonl"].text.len() <= 1000);
        }
        rec.flush();
        let mut kept = Vec::new();
        for n in 1.. {
            let path = tmp.path().join(part_name("traces/agent-round-1.jsonl", n));
            let Ok(text) = std::fs::read_to_string(&path) else {
                break;
            };
            assert!(
                text.len() <= 1000,
                "{} holds {} bytes",
                path.display(),
                text.len()
            );
            kept.extend(text.lines().map(str::to_string));
        }
        assert_eq!(kept, lines);
        assert!(
            tmp.path()
                .join("traces/agent-round-1.part-2.jsonl")
                .is_file()
        );
        assert_eq!(part_name("traces/stderr", 3), "traces/stderr.part-3");
    }

    /// A finished trace leaves memory once written; lines after it start its next part.
    #[test]
    fn an_ended_trace_is_written_and_leaves_memory() {
        let tmp = tempfile::tempdir().unwrap();
        let rec = start(tmp.path());
        rec.trace_line("traces/agent-round-1.jsonl", r#"{"type":"agent_start"}"#);
        rec.trace_line("traces/agent-round-1.jsonl", r#"{"type":"agent_end"}"#);
        rec.end_trace("traces/agent-round-1.jsonl");
        assert_eq!(
            std::fs::read_to_string(tmp.path().join("traces/agent-round-1.jsonl")).unwrap(),
            "{\"type\":\"agent_start\"}\n{\"type\":\"agent_end\"}\n"
        );
        {
            let inner = rec.lock();
            assert!(inner.traces["traces/agent-round-1.jsonl"].text.is_empty());
            assert!(matches!(
                inner.files["traces/agent-round-1.jsonl"].body,
                Body::Bytes(None)
            ));
        }
        rec.trace_line("traces/agent-round-1.jsonl", r#"{"type":"late"}"#);
        rec.flush();
        assert_eq!(
            std::fs::read_to_string(tmp.path().join("traces/agent-round-1.part-2.jsonl")).unwrap(),
            "{\"type\":\"late\"}\n"
        );
        assert!(
            std::fs::read_to_string(tmp.path().join("traces/agent-round-1.jsonl"))
                .unwrap()
                .ends_with("{\"type\":\"agent_end\"}\n")
        );
    }

    /// `events.jsonl` stays under its cap: the oldest events but the first are left out, and
    /// an event says how many.
    #[test]
    fn events_beyond_the_cap_are_left_out_with_a_notice() {
        let tmp = tempfile::tempdir().unwrap();
        let rec = start_with(
            tmp.path(),
            WritePolicy {
                events_max_bytes: 4096,
                ..MANUAL
            },
        );
        for i in 0..200 {
            rec.info(&format!("event {i}"));
        }
        rec.flush();
        let text = std::fs::read_to_string(tmp.path().join(EVENTS_FILE)).unwrap();
        assert!(text.len() < 4096 + 1024, "{}", text.len());
        let read = parse_events(&text);
        assert_eq!(read.unreadable_lines, 0);
        let msgs: Vec<_> = read.events.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(msgs[0], "Starting");
        assert!(
            msgs[1].ends_with("earlier events were left out to keep events.jsonl under 4 KiB."),
            "{}",
            msgs[1]
        );
        assert_eq!(*msgs.last().unwrap(), "event 199");
        let left_out: usize = msgs[1].split(' ').next().unwrap().parse().unwrap();
        assert_eq!(left_out + msgs.len() - 2, 200);
    }
}
