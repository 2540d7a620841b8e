//! Following a Space on the Hub: waiting for its runtime (every stage change becomes an event)
//! and collecting its build and run logs.

use std::time::{Duration, Instant};

use serde_json::json;
use sf_core::SpaceRef;
use sf_core::record::Level;
use sf_core::rules::RuntimeOutcome;
use sf_hub::types::{SpaceRuntime, SpaceStage};
use sf_hub::{HubError, SpaceLogKind};

use crate::Hub;
use crate::gradio::SpaceApp;
use crate::record::Recorder;

/// How to wait.
#[derive(Debug, Clone)]
pub struct WaitOptions {
    pub timeout: Duration,
    pub poll: Duration,
    /// A stage left over from before a new commit (e.g. the `BUILD_ERROR` of the previous
    /// round): while it is still shown, and for at most `stale_grace`, it is not taken as the
    /// answer.
    pub stale: Option<SpaceStage>,
    pub stale_grace: Duration,
}

/// What the wait found.
#[derive(Debug, Clone)]
pub struct WaitResult {
    pub outcome: RuntimeOutcome,
    /// The last runtime read.
    pub runtime: Option<SpaceRuntime>,
    pub waited: Duration,
    /// A sentence for the report when the Space did not reach running.
    pub detail: Option<String>,
}

/// The leftover stage of a previous commit: ignored while it is the only stage seen, within
/// the grace period; once any other stage shows, it counts again.
#[derive(Debug, Clone)]
pub struct Staleness {
    stage: Option<SpaceStage>,
    seen_other: bool,
    grace: Duration,
}

impl Staleness {
    pub fn new(stage: Option<SpaceStage>, grace: Duration) -> Staleness {
        Staleness {
            stage,
            seen_other: false,
            grace,
        }
    }

    /// Whether `stage`, read `elapsed` after the wait began, is the leftover to ignore.
    pub fn ignore(&mut self, stage: &SpaceStage, elapsed: Duration) -> bool {
        if self.stage.as_ref() != Some(stage) {
            self.seen_other = true;
        }
        self.stage.is_some() && !self.seen_other && elapsed < self.grace
    }
}

/// How a stage ends the wait, if it does.
pub fn settled(stage: &SpaceStage) -> Option<RuntimeOutcome> {
    match stage {
        SpaceStage::Running => Some(RuntimeOutcome::Running),
        SpaceStage::BuildError | SpaceStage::ConfigError | SpaceStage::NoAppFile => {
            Some(RuntimeOutcome::BuildError)
        }
        SpaceStage::RuntimeError => Some(RuntimeOutcome::RuntimeError),
        SpaceStage::Paused | SpaceStage::Stopped | SpaceStage::Deleting => {
            Some(RuntimeOutcome::NotStarted)
        }
        _ => None,
    }
}

fn stage_sentence(rt: &SpaceRuntime) -> String {
    let hw = rt
        .hardware
        .current
        .as_deref()
        .or(rt.hardware.requested.as_deref())
        .map(|h| format!(" (hardware {h})"))
        .unwrap_or_default();
    let what = match rt.stage {
        SpaceStage::Building | SpaceStage::RunningBuilding => "is building",
        SpaceStage::AppStarting | SpaceStage::RunningAppStarting => "is starting",
        SpaceStage::Running => "is running",
        SpaceStage::BuildError => "failed to build",
        SpaceStage::RuntimeError => "crashed while starting",
        SpaceStage::Sleeping => "is asleep; waking it up",
        SpaceStage::Paused => "is paused",
        SpaceStage::Stopped => "is stopped",
        SpaceStage::NoAppFile => "has no app file",
        SpaceStage::ConfigError => "has a configuration error",
        _ => "changed stage",
    };
    let msg = rt
        .error_message
        .as_deref()
        .filter(|m| !m.trim().is_empty())
        .map(|m| format!(": {m}"))
        .unwrap_or_default();
    format!("The Space {what}{hw} — {}{msg}", rt.stage)
}

/// Polls the runtime of `space_id` until it settles or `opts.timeout` passes. Each new stage is
/// an event. A sleeping Space is woken by a request to its app (`wake`). Up to three failed
/// reads in a row are tolerated.
pub async fn wait_for_running(
    hub: &Hub,
    space_id: &SpaceRef,
    opts: &WaitOptions,
    rec: &Recorder,
    wake: Option<&SpaceApp>,
) -> Result<WaitResult, HubError> {
    // A long wait: everything recorded so far goes to the bucket first.
    rec.flush();
    let start = Instant::now();
    let mut last_stage: Option<SpaceStage> = None;
    let mut last: Option<SpaceRuntime> = None;
    let mut failures = 0;
    let mut stale = Staleness::new(opts.stale.clone(), opts.stale_grace);
    loop {
        match hub.space_runtime(space_id).await {
            Ok(rt) => {
                failures = 0;
                if last_stage.as_ref() != Some(&rt.stage) {
                    let level = match settled(&rt.stage) {
                        Some(RuntimeOutcome::Running) | None => Level::Info,
                        _ => Level::Warn,
                    };
                    rec.event(
                        level,
                        &stage_sentence(&rt),
                        json!({"stage": rt.stage.as_str(), "hardware": rt.hardware.current, "requested_hardware": rt.hardware.requested}),
                    );
                    last_stage = Some(rt.stage.clone());
                }
                let ignore = stale.ignore(&rt.stage, start.elapsed());
                if let Some(outcome) = settled(&rt.stage).filter(|_| !ignore) {
                    let detail = match outcome {
                        RuntimeOutcome::Running => None,
                        _ => Some(stage_sentence(&rt)),
                    };
                    return Ok(WaitResult {
                        outcome,
                        runtime: Some(rt),
                        waited: start.elapsed(),
                        detail,
                    });
                }
                if rt.stage == SpaceStage::Sleeping
                    && let Some(app) = wake
                {
                    let _ = app.config().await;
                }
                last = Some(rt);
            }
            Err(e) => {
                failures += 1;
                if failures >= 3 {
                    return Err(e);
                }
                rec.warn(&format!(
                    "Could not read the Space's status, trying again: {e}"
                ));
            }
        }
        if start.elapsed() + opts.poll > opts.timeout {
            let shown = last
                .as_ref()
                .map(|r| r.stage.as_str().to_string())
                .unwrap_or_else(|| "unknown".to_string());
            return Ok(WaitResult {
                outcome: RuntimeOutcome::TimedOut,
                runtime: last,
                waited: start.elapsed(),
                detail: Some(format!(
                    "The Space was still {shown} after {}.",
                    crate::guard::describe_duration(opts.timeout)
                )),
            });
        }
        tokio::time::sleep(opts.poll).await;
    }
}

/// The Space's build and run logs as text lines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpaceLogs {
    pub build: Vec<String>,
    pub run: Vec<String>,
}

/// Reads the Space's build and run logs ([`collect_logs`]) and keeps each one that is not empty in
/// the run's `traces/`, as the file `file_name("build")` or `file_name("run")`.
pub async fn save_logs(
    hub: &Hub,
    space_id: &SpaceRef,
    rec: &Recorder,
    file_name: impl Fn(&str) -> String,
) -> SpaceLogs {
    let mut logs = SpaceLogs::default();
    for (kind, name) in [(SpaceLogKind::Build, "build"), (SpaceLogKind::Run, "run")] {
        let lines = collect_logs(
            hub,
            space_id,
            kind,
            Duration::from_secs(3),
            Duration::from_secs(15),
        )
        .await;
        if !lines.is_empty() {
            rec.write_text(
                &format!("{}/{}", sf_core::record::TRACES_DIR, file_name(name)),
                &(lines.join("\n") + "\n"),
            );
        }
        match kind {
            SpaceLogKind::Build => logs.build = lines,
            SpaceLogKind::Run => logs.run = lines,
        }
    }
    logs
}

/// The Space's build or run log as text lines: read until the Hub closes the stream, no line
/// came for `quiet`, or `limit` passed.
pub async fn collect_logs(
    hub: &Hub,
    space_id: &SpaceRef,
    kind: SpaceLogKind,
    quiet: Duration,
    limit: Duration,
) -> Vec<String> {
    let Ok(mut stream) = hub.space_logs(space_id, kind) else {
        return Vec::new();
    };
    let start = Instant::now();
    let mut lines = Vec::new();
    loop {
        let left = limit.saturating_sub(start.elapsed());
        if left.is_zero() {
            break;
        }
        match tokio::time::timeout(quiet.min(left), stream.next()).await {
            Ok(Some(Ok(line))) => {
                lines.push(if line.timestamp.is_empty() {
                    line.text
                } else {
                    format!("{} {}", line.timestamp, line.text)
                });
                if lines.len() >= 5000 {
                    lines.remove(0);
                }
            }
            Ok(Some(Err(e))) => {
                lines.push(format!("(the log could not be read further: {e})"));
                break;
            }
            Ok(None) | Err(_) => break,
        }
    }
    lines
}

/// The last exception a Python traceback in `lines` ends with (`AttributeError: …`,
/// `torch.OutOfMemoryError: …`), without the line's timestamp; `None` without a traceback.
///
/// Only the app's current start counts (a restarted Space's run log keeps the lines of the start
/// before, after which the Hub writes `===== Application Startup at … =====`), and a traceback
/// Python printed under `Exception ignored in: …` is skipped: that exception (an event loop's
/// finaliser failing as a worker thread ends, say) was raised where nothing could catch it,
/// failed nothing, and comes at any moment after the call that did fail.
pub fn last_exception(lines: &[String]) -> Option<String> {
    let from = lines
        .iter()
        .rposition(|l| l.contains("===== Application Startup at "))
        .map_or(0, |i| i + 1);
    let lines = &lines[from..];
    let starts: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].contains("Traceback (most recent call last):"))
        .collect();
    starts.iter().enumerate().rev().find_map(|(n, &start)| {
        let ignored = start > 0 && lines[start - 1].contains("Exception ignored ");
        let end = starts.get(n + 1).copied().unwrap_or(lines.len());
        (!ignored)
            .then(|| {
                lines[start + 1..end]
                    .iter()
                    .rev()
                    .find_map(|l| exception_line(l))
            })
            .flatten()
    })
}

/// `line` (a timestamp before it allowed) as `Name: message` when it is an exception's line.
fn exception_line(line: &str) -> Option<String> {
    let (head, _) = line.split_once(": ")?;
    let name_at = head.rfind(char::is_whitespace).map_or(0, |i| i + 1);
    let name = &head[name_at..];
    let last = name.rsplit('.').next().unwrap_or(name);
    let is_name = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        && (last.ends_with("Error") || last.ends_with("Exception"));
    // Only the name may follow the timestamp: not an indented source line.
    let before = head[..name_at].trim();
    (is_name && !before.contains(char::is_whitespace))
        .then(|| line[name_at..].trim().chars().take(500).collect())
}

/// The last `n` lines of a log, joined.
pub fn tail(lines: &[String], n: usize) -> String {
    let from = lines.len().saturating_sub(n);
    lines[from..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_stages_settle() {
        assert_eq!(settled(&SpaceStage::Running), Some(RuntimeOutcome::Running));
        assert_eq!(
            settled(&SpaceStage::BuildError),
            Some(RuntimeOutcome::BuildError)
        );
        assert_eq!(
            settled(&SpaceStage::RuntimeError),
            Some(RuntimeOutcome::RuntimeError)
        );
        assert_eq!(
            settled(&SpaceStage::Paused),
            Some(RuntimeOutcome::NotStarted)
        );
        for s in [
            SpaceStage::Building,
            SpaceStage::AppStarting,
            SpaceStage::RunningBuilding,
            SpaceStage::RunningAppStarting,
            SpaceStage::Sleeping,
            SpaceStage::Other("WARMING".into()),
        ] {
            assert_eq!(settled(&s), None, "{s}");
        }
    }

    #[test]
    fn a_leftover_stage_is_ignored_until_another_shows() {
        let g = Duration::from_secs(60);
        let mut s = Staleness::new(Some(SpaceStage::BuildError), g);
        assert!(s.ignore(&SpaceStage::BuildError, Duration::from_secs(1)));
        assert!(
            !s.ignore(&SpaceStage::BuildError, Duration::from_secs(61)),
            "grace over"
        );
        let mut s = Staleness::new(Some(SpaceStage::BuildError), g);
        assert!(!s.ignore(&SpaceStage::Building, Duration::from_secs(1)));
        assert!(
            !s.ignore(&SpaceStage::BuildError, Duration::from_secs(2)),
            "a new failure"
        );
        let mut none = Staleness::new(None, g);
        assert!(!none.ignore(&SpaceStage::BuildError, Duration::ZERO));
    }

    #[test]
    fn the_last_exception_of_a_traceback() {
        let log: Vec<String> = [
            "2026-11-30T07:00:00Z Running on local URL:  http://0.0.0.0:7860",
            "2026-11-30T07:00:01Z Traceback (most recent call last):",
            "2026-11-30T07:00:01Z   File \"app.py\", line 16, in generate",
            "2026-11-30T07:00:01Z     raise ValueError(\"old: x\")",
            "2026-11-30T07:00:01Z ValueError: old",
            "2026-11-30T07:00:02Z Traceback (most recent call last):",
            "2026-11-30T07:00:02Z   File \"app.py\", line 16, in generate",
            "2026-11-30T07:00:02Z     return pipe(prompt).image",
            "2026-11-30T07:00:02Z AttributeError: '_PipelineOutput' object has no attribute 'image'",
            "2026-11-30T07:00:02Z Keyboard: not an error",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            last_exception(&log).as_deref(),
            Some("AttributeError: '_PipelineOutput' object has no attribute 'image'")
        );
        let untimed = vec![
            "Traceback (most recent call last):".to_string(),
            "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB".to_string(),
        ];
        assert_eq!(
            last_exception(&untimed).as_deref(),
            Some("torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB")
        );
        assert_eq!(last_exception(&log[..1]), None);
    }

    /// The CI run of stop 18 named `ValueError: Invalid file descriptor: -1` (an event loop's
    /// finaliser, printed after the call had failed) instead of the app's error.
    #[test]
    fn an_ignored_exception_and_an_earlier_start_do_not_count() {
        let lines = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<String>>();
        let app_error = [
            "2026-11-30T07:00:00Z ===== Application Startup at 2026-11-30T07:00:00Z =====",
            "2026-11-30T07:00:03Z Traceback (most recent call last):",
            "2026-11-30T07:00:03Z   File \"/home/user/app/app.py\", line 17, in generate",
            "2026-11-30T07:00:03Z ValueError: the fox pipeline needs at least 3 steps, got 2",
        ];
        let ignored = [
            "2026-11-30T07:00:04Z Exception ignored in: <function BaseEventLoop.__del__ at 0x7f>",
            "2026-11-30T07:00:04Z Traceback (most recent call last):",
            "2026-11-30T07:00:04Z   File \"/usr/lib/python3.11/selectors.py\", line 42, in _fileobj_to_fd",
            "2026-11-30T07:00:04Z     raise ValueError(\"Invalid file descriptor: {}\".format(fd))",
            "2026-11-30T07:00:04Z ValueError: Invalid file descriptor: -1",
        ];
        let fox = Some("ValueError: the fox pipeline needs at least 3 steps, got 2");
        let mut log = lines(&app_error);
        log.extend(lines(&ignored));
        log.extend(lines(&ignored));
        assert_eq!(last_exception(&log).as_deref(), fox);
        assert_eq!(last_exception(&lines(&ignored)), None);
        // A restart: the first start's error is not the second one's.
        log.extend(lines(&[
            "2026-11-30T07:01:00Z ===== Application Startup at 2026-11-30T07:01:00Z =====",
            "2026-11-30T07:01:02Z * Running on local URL:  http://0.0.0.0:7860",
        ]));
        assert_eq!(last_exception(&log), None);
        log.extend(lines(&app_error[1..]));
        assert_eq!(last_exception(&log).as_deref(), fox);
    }

    #[test]
    fn tails() {
        let l: Vec<String> = (0..5).map(|i| i.to_string()).collect();
        assert_eq!(tail(&l, 2), "3\n4");
        assert_eq!(tail(&l, 10), "0\n1\n2\n3\n4");
    }
}
