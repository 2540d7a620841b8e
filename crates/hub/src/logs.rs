//! Job and Space logs: decoding SSE events into log lines, de-duplicating the history the Hub
//! replays on every connection, and the reconnecting [`LogStream`].

use std::collections::{HashMap, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;
use futures_util::StreamExt;
use serde::Deserialize;

use crate::client::{Call, HubClient};
use crate::error::HubError;
use crate::sse::{SseEvent, SseParser};
use crate::transport::{ByteStream, Transport};

/// One line of a job's or Space's log.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LogLine {
    /// ISO 8601 time the Hub gave the line; empty when it gave none.
    pub timestamp: String,
    pub text: String,
}

#[derive(Deserialize)]
struct WireLogLine {
    #[serde(default)]
    data: String,
    #[serde(default)]
    timestamp: String,
}

/// The log lines in one SSE event. Events of another type (`metric`, …) give none. The data
/// is one JSON object `{"data","timestamp"}`; several objects on separate lines are accepted
/// too; a line that is not such an object is kept as text without a timestamp.
pub fn log_lines(event: &SseEvent) -> Vec<LogLine> {
    if !matches!(event.event.as_deref(), None | Some("message" | "log")) {
        return Vec::new();
    }
    if let Ok(line) = serde_json::from_slice::<WireLogLine>(event.data.as_bytes()) {
        return vec![LogLine {
            timestamp: line.timestamp,
            text: line.data,
        }];
    }
    event
        .data
        .split('\n')
        .map(
            |raw| match serde_json::from_slice::<WireLogLine>(raw.as_bytes()) {
                Ok(line) => LogLine {
                    timestamp: line.timestamp,
                    text: line.data,
                },
                Err(_) => LogLine {
                    timestamp: String::new(),
                    text: raw.to_owned(),
                },
            },
        )
        .collect()
}

/// Drops lines already delivered when a new connection replays the history.
///
/// Lines are keyed by (timestamp, text). On each connection, the n-th copy of a key is new only
/// if fewer than n copies were delivered before: a full replay is dropped, a truncated replay is
/// dropped, and the same line legitimately logged twice is still delivered twice. Keys are kept
/// as 64-bit hashes to bound memory on long logs.
#[derive(Debug, Default, Clone)]
pub struct LogDedup {
    delivered: HashMap<u64, u32>,
    this_connection: HashMap<u64, u32>,
}

impl LogDedup {
    pub fn new() -> Self {
        Self::default()
    }

    /// Call when a new connection starts (its events may replay earlier ones).
    pub fn start_connection(&mut self) {
        self.this_connection.clear();
    }

    /// `true` if the line is new and should be shown.
    pub fn accept(&mut self, line: &LogLine) -> bool {
        let mut hasher = DefaultHasher::new();
        line.hash(&mut hasher);
        let key = hasher.finish();
        let seen = self.this_connection.entry(key).or_insert(0);
        *seen += 1;
        let delivered = self.delivered.entry(key).or_insert(0);
        if *seen > *delivered {
            *delivered = *seen;
            true
        } else {
            false
        }
    }
}

/// How a log stream reconnects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogStreamOptions {
    /// Consecutive failed (re)connections before the stream gives up with the last error.
    pub max_reconnects: u32,
    /// Delay before the first reconnect; doubles on each consecutive failure (capped at 10×).
    pub reconnect_delay: Duration,
    /// For job logs: how often to check the job while the stream is quiet or closed; the
    /// stream ends once the job has finished and a quiet period has passed.
    pub job_poll_interval: Duration,
}

impl Default for LogStreamOptions {
    fn default() -> Self {
        Self {
            max_reconnects: 5,
            reconnect_delay: Duration::from_secs(1),
            job_poll_interval: Duration::from_secs(3),
        }
    }
}

/// Which log is streamed.
#[derive(Debug, Clone)]
pub(crate) enum LogSource {
    /// Reconnects until the job reaches a final stage.
    Job {
        namespace: sf_core::Namespace,
        job_id: String,
    },
    /// Ends when the server closes the stream; reconnects only after a dropped connection.
    Space,
}

/// A job's or Space's log as a stream of new lines, across reconnects.
///
/// Read it with [`LogStream::next`] (or as a `futures` `Stream`). A dropped connection is
/// reopened and the replayed history skipped; an error ends the stream after being yielded.
/// Dropping the stream closes the connection.
pub struct LogStream {
    inner: crate::transport::BoxStream<Result<LogLine, HubError>>,
}

impl std::fmt::Debug for LogStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LogStream")
    }
}

impl LogStream {
    pub(crate) fn new<T: Transport>(
        client: HubClient<T>,
        call: Call,
        source: LogSource,
        options: LogStreamOptions,
    ) -> Self {
        let state = StreamState {
            client,
            call,
            source,
            options,
            body: None,
            parser: SseParser::new(),
            dedup: LogDedup::new(),
            pending: VecDeque::new(),
            failures: 0,
            job_finished: false,
            done: false,
        };
        Self {
            inner: Box::pin(futures_util::stream::unfold(
                state,
                |mut state| async move {
                    let item = state.step().await?;
                    Some((item, state))
                },
            )),
        }
    }

    /// The next new line; `None` when the log has ended.
    pub async fn next(&mut self) -> Option<Result<LogLine, HubError>> {
        self.inner.next().await
    }
}

impl Stream for LogStream {
    type Item = Result<LogLine, HubError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

struct StreamState<T> {
    client: HubClient<T>,
    call: Call,
    source: LogSource,
    options: LogStreamOptions,
    body: Option<ByteStream>,
    parser: SseParser,
    dedup: LogDedup,
    pending: VecDeque<LogLine>,
    /// Consecutive failed connections or broken streams.
    failures: u32,
    /// The job reached a final stage; the stream ends at the next quiet period or close.
    job_finished: bool,
    done: bool,
}

enum Read {
    Chunk(Vec<u8>),
    Broken(crate::transport::TransportError),
    Closed,
    Quiet,
}

impl<T: Transport> StreamState<T> {
    async fn step(&mut self) -> Option<Result<LogLine, HubError>> {
        loop {
            if let Some(line) = self.pending.pop_front() {
                return Some(Ok(line));
            }
            if self.done {
                return None;
            }
            if self.body.is_none() {
                if let Err(error) = self.connect().await {
                    return Some(Err(error));
                }
                continue;
            }
            match self.read().await {
                Read::Chunk(bytes) => {
                    let events = self.parser.feed(&bytes);
                    let idle = events.is_empty() && self.parser.is_idle();
                    self.take_events(events);
                    // Keep-alives only: as good as silence for noticing that the job ended,
                    // even when they come more often than the poll interval.
                    if idle && matches!(self.source, LogSource::Job { .. }) {
                        self.on_quiet().await;
                    }
                }
                Read::Broken(error) => {
                    self.body = None;
                    self.parser = SseParser::new();
                    if let Err(e) = self
                        .fail(HubError::network(
                            self.call.operation,
                            &self.call.url,
                            &error,
                        ))
                        .await
                    {
                        return Some(Err(e));
                    }
                }
                Read::Closed => {
                    let events = self.parser.finish();
                    self.take_events(events);
                    self.body = None;
                    self.parser = SseParser::new();
                    match self.source {
                        LogSource::Space => self.done = true,
                        LogSource::Job { .. } => {
                            if !self.job_finished {
                                self.job_finished = self.job_has_finished().await;
                            }
                            if self.job_finished {
                                self.done = true;
                            } else {
                                self.client
                                    .transport()
                                    .sleep(self.options.job_poll_interval)
                                    .await;
                            }
                        }
                    }
                }
                Read::Quiet => self.on_quiet().await,
            }
        }
    }

    /// The job's stream is quiet: end if the job had already finished, else check it.
    async fn on_quiet(&mut self) {
        if self.job_finished {
            self.body = None;
            self.done = true;
        } else {
            self.job_finished = self.job_has_finished().await;
        }
    }

    fn take_events(&mut self, events: Vec<SseEvent>) {
        for event in &events {
            for line in log_lines(event) {
                if self.dedup.accept(&line) {
                    self.pending.push_back(line);
                }
            }
        }
        if !events.is_empty() {
            self.failures = 0;
        }
    }

    async fn connect(&mut self) -> Result<(), HubError> {
        match self.client.open_stream(&self.call).await {
            Ok(response) => {
                self.body = Some(response.body);
                self.dedup.start_connection();
                Ok(())
            }
            Err(error) if is_transient(&error) => self.fail(error).await,
            Err(error) => {
                self.done = true;
                Err(error)
            }
        }
    }

    /// Counts a failure; waits before the next try, or gives up with `error`.
    async fn fail(&mut self, error: HubError) -> Result<(), HubError> {
        self.failures += 1;
        if self.failures > self.options.max_reconnects {
            self.done = true;
            return Err(error);
        }
        let factor = 2u32.pow((self.failures - 1).min(3)).min(10);
        let delay = self.options.reconnect_delay.saturating_mul(factor);
        self.client.transport().sleep(delay).await;
        Ok(())
    }

    async fn read(&mut self) -> Read {
        let Some(body) = self.body.as_mut() else {
            return Read::Closed;
        };
        let outcome = match self.source {
            LogSource::Space => Some(body.next().await),
            LogSource::Job { .. } => {
                let quiet = self
                    .client
                    .transport()
                    .sleep(self.options.job_poll_interval);
                match futures_util::future::select(body.next(), quiet).await {
                    futures_util::future::Either::Left((item, _)) => Some(item),
                    futures_util::future::Either::Right(_) => None,
                }
            }
        };
        match outcome {
            None => Read::Quiet,
            Some(None) => Read::Closed,
            Some(Some(Ok(bytes))) => Read::Chunk(bytes),
            Some(Some(Err(error))) => Read::Broken(error),
        }
    }

    /// Whether the job is in a final stage. An error reading it counts as "not yet" (a missing
    /// job as finished). Takes `&mut self` so the future stays `Send` (the body is not `Sync`).
    async fn job_has_finished(&mut self) -> bool {
        let LogSource::Job { namespace, job_id } = &self.source else {
            return false;
        };
        match self.client.inspect_job(namespace, job_id).await {
            Ok(job) => job.status.stage.is_final(),
            Err(error) => error.is_not_found(),
        }
    }
}

fn is_transient(error: &HubError) -> bool {
    error.is_network()
        || error
            .status()
            .is_some_and(crate::retry::RetryPolicy::is_retryable_status)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn line(ts: &str, text: &str) -> LogLine {
        LogLine {
            timestamp: ts.into(),
            text: text.into(),
        }
    }

    fn event(data: &str) -> SseEvent {
        SseEvent {
            data: data.into(),
            ..SseEvent::default()
        }
    }

    #[test]
    fn decodes_hub_log_events() {
        assert_eq!(
            log_lines(&event(
                r#"{"data":"hello","timestamp":"2026-01-01T00:00:00Z"}"#
            )),
            vec![line("2026-01-01T00:00:00Z", "hello")]
        );
        assert_eq!(
            log_lines(&event(
                "{\"data\":\"a\",\"timestamp\":\"t1\"}\n{\"data\":\"b\",\"timestamp\":\"t2\"}"
            )),
            vec![line("t1", "a"), line("t2", "b")]
        );
        assert_eq!(
            log_lines(&event("plain text")),
            vec![line("", "plain text")]
        );
        let metric = SseEvent {
            event: Some("metric".into()),
            ..event("{}")
        };
        assert!(log_lines(&metric).is_empty());
    }

    #[test]
    fn a_full_replay_is_dropped_and_new_lines_pass() {
        let mut d = LogDedup::new();
        d.start_connection();
        assert!(d.accept(&line("t1", "a")));
        assert!(d.accept(&line("t2", "b")));
        d.start_connection();
        assert!(!d.accept(&line("t1", "a")));
        assert!(!d.accept(&line("t2", "b")));
        assert!(d.accept(&line("t3", "c")));
    }

    #[test]
    fn repeated_identical_lines_are_kept() {
        let mut d = LogDedup::new();
        d.start_connection();
        assert!(d.accept(&line("", "tick")));
        assert!(d.accept(&line("", "tick")));
        d.start_connection();
        assert!(!d.accept(&line("", "tick")));
        assert!(!d.accept(&line("", "tick")));
        assert!(d.accept(&line("", "tick")));
    }

    #[test]
    fn a_truncated_replay_is_dropped() {
        let mut d = LogDedup::new();
        d.start_connection();
        for (t, x) in [("1", "a"), ("2", "b"), ("3", "c")] {
            assert!(d.accept(&line(t, x)));
        }
        d.start_connection();
        assert!(!d.accept(&line("3", "c")));
        assert!(d.accept(&line("4", "d")));
    }

    mod stream {
        use super::*;
        use crate::mock::{Answer, Chunk, HUB, TOKEN, authorization, client};
        use serde_json::json;

        fn data(text: &str, ts: &str) -> Chunk {
            Chunk::Bytes(
                format!("data: {}\n\n", json!({"data": text, "timestamp": ts})).into_bytes(),
            )
        }

        fn alice() -> sf_core::Namespace {
            sf_core::Namespace::parse("alice").unwrap()
        }

        fn job(stage: &str) -> Answer {
            Answer::json(200, json!({"id": "j1", "status": {"stage": stage}}))
        }

        async fn collect(mut logs: LogStream) -> (Vec<String>, Option<HubError>) {
            let mut lines = Vec::new();
            while let Some(item) = logs.next().await {
                match item {
                    Ok(line) => lines.push(line.text),
                    Err(e) => {
                        assert!(logs.next().await.is_none(), "an error ends the stream");
                        return (lines, Some(e));
                    }
                }
            }
            (lines, None)
        }

        #[tokio::test]
        async fn a_dropped_connection_is_resumed_without_repeating_lines() {
            let first = "data: {\"data\":\"b\",\"timestamp\":\"t2\"}\n\n";
            let (head, tail) = first.split_at(20);
            let c = client([
                Answer::sse(vec![
                    Chunk::Bytes(b": keep-alive\n\n".to_vec()),
                    data("a", "t1"),
                    Chunk::Bytes(head.as_bytes().to_vec()),
                    Chunk::Bytes(tail.as_bytes().to_vec()),
                    Chunk::Bytes(b"data: {\"data\":\"c\",".to_vec()),
                    Chunk::Break,
                ]),
                // Asked after the keep-alive.
                job("RUNNING"),
                Answer::sse(vec![
                    data("a", "t1"),
                    data("b", "t2"),
                    data("c", "t3"),
                    data("d", "t4"),
                ]),
                job("COMPLETED"),
            ]);
            let (lines, error) = collect(c.job_logs(&alice(), "j1").unwrap()).await;
            assert_eq!(lines, ["a", "b", "c", "d"]);
            assert!(error.is_none());
            let sent = c.transport().requests();
            assert_eq!(sent.len(), 4);
            assert_eq!(sent[0].url, format!("{HUB}/api/jobs/alice/j1/logs"));
            assert_eq!(sent[0].headers.get("accept"), Some("text/event-stream"));
            assert_eq!(
                authorization(&sent[0]),
                Some(format!("Bearer {TOKEN}").as_str())
            );
            assert_eq!(sent[1].url, format!("{HUB}/api/jobs/alice/j1"));
            assert_eq!(sent[2].url, sent[0].url);
            assert_eq!(sent[3].url, sent[1].url);
            assert_eq!(c.transport().sleeps(), [Duration::from_secs(1)]);
        }

        #[tokio::test]
        async fn a_stream_closed_while_the_job_runs_is_reopened() {
            let c = client([
                Answer::sse(vec![data("a", "t1")]),
                job("RUNNING"),
                Answer::sse(vec![data("a", "t1"), data("b", "t2")]),
                job("ERROR"),
            ]);
            let (lines, error) = collect(c.job_logs(&alice(), "j1").unwrap()).await;
            assert_eq!(lines, ["a", "b"]);
            assert!(error.is_none());
            assert_eq!(c.transport().remaining(), 0);
        }

        #[tokio::test]
        async fn a_quiet_stream_ends_after_the_job_has_finished() {
            let c = client([
                Answer::sse(vec![data("a", "t1"), Chunk::Stall]),
                job("RUNNING"),
                job("COMPLETED"),
            ]);
            let (lines, error) = collect(c.job_logs(&alice(), "j1").unwrap()).await;
            assert_eq!(lines, ["a"]);
            assert!(error.is_none());
            assert_eq!(c.transport().remaining(), 0);
        }

        #[tokio::test]
        async fn frequent_keep_alives_do_not_keep_a_finished_job_open() {
            let keep_alive = || Chunk::Bytes(b": keep-alive\n\n".to_vec());
            let c = client([
                Answer::sse(vec![
                    data("a", "t1"),
                    keep_alive(),
                    keep_alive(),
                    keep_alive(),
                    Chunk::Stall,
                ]),
                job("RUNNING"),
                job("COMPLETED"),
            ]);
            let (lines, error) = collect(c.job_logs(&alice(), "j1").unwrap()).await;
            assert_eq!(lines, ["a"]);
            assert!(error.is_none());
            assert_eq!(c.transport().remaining(), 0);
            assert_eq!(
                c.transport().requests().len(),
                3,
                "no check after the job had finished"
            );
        }

        #[tokio::test]
        async fn transient_connect_failures_are_retried() {
            let c = client([
                Answer::bytes(503, b""),
                Answer::NetworkError,
                Answer::sse(vec![data("a", "t1")]),
                job("CANCELED"),
            ]);
            let (lines, error) = collect(c.job_logs(&alice(), "j1").unwrap()).await;
            assert_eq!(lines, ["a"]);
            assert!(error.is_none());
            assert_eq!(c.transport().sleeps(), [1, 2].map(Duration::from_secs));
        }

        #[tokio::test]
        async fn a_missing_job_is_an_error_at_once() {
            let c =
                client([Answer::json(404, json!({"error": "Job not found"}))
                    .header("X-Request-Id", "r1")]);
            let (lines, error) = collect(c.job_logs(&alice(), "nope").unwrap()).await;
            assert!(lines.is_empty());
            let error = error.unwrap();
            assert!(error.is_not_found());
            assert_eq!(error.server_message(), Some("Job not found"));
            assert_eq!(error.request_id(), Some("r1"));
        }

        #[tokio::test]
        async fn the_stream_gives_up_after_repeated_breaks() {
            let options = LogStreamOptions {
                max_reconnects: 2,
                ..LogStreamOptions::default()
            };
            let c = client((0..3).map(|_| Answer::sse(vec![Chunk::Break])));
            let logs = c.job_logs_with(&alice(), "j1", options).unwrap();
            let (lines, error) = collect(logs).await;
            assert!(lines.is_empty());
            assert!(error.unwrap().is_network());
            assert_eq!(c.transport().requests().len(), 3);
        }
    }

    proptest! {
        /// Each connection replays a longer prefix of the same history; what comes out is the
        /// history, once, in order.
        #[test]
        fn replays_of_growing_prefixes_yield_the_history_once(
            history in proptest::collection::vec(("[0-3]", "[a-c]{0,2}"), 0..30),
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 1..6),
        ) {
            let history: Vec<LogLine> = history.into_iter().map(|(t, x)| line(&t, &x)).collect();
            let mut ends: Vec<usize> = cuts.iter().map(|c| c.index(history.len() + 1)).collect();
            ends.push(history.len());
            ends.sort_unstable();
            let mut d = LogDedup::new();
            let mut out = Vec::new();
            for end in ends {
                d.start_connection();
                out.extend(history[..end].iter().filter(|l| d.accept(l)).cloned());
            }
            prop_assert_eq!(out, history);
        }
    }
}
