//! Server-sent event streams of log lines, as the Hub sends job and Space logs: every connect
//! replays the whole history as `data: {"data": ..., "timestamp": ...}` events, then follows new
//! lines with `: keep-alive` comments in between, and ends once the producer is finished.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use bytes::Bytes;
use serde_json::json;
use tokio::sync::{mpsc, watch};
use tokio_stream::StreamExt;
use tokio_stream::wrappers::ReceiverStream;

use crate::state::{LogLine, Sim};

pub(crate) const KEEPALIVE: &[u8] = b": keep-alive\n\n";

pub(crate) fn event(line: &LogLine) -> Bytes {
    let payload = json!({ "data": line.data, "timestamp": line.timestamp });
    Bytes::from(format!("data: {payload}\n\n"))
}

/// A snapshot of a log: the lines from a given index on, and whether no more lines will come.
/// `None` when the log's owner is gone.
pub(crate) type Snapshot = Box<dyn Fn(usize) -> Option<(Vec<LogLine>, bool)> + Send + Sync>;

/// Streams a log. `changes` ticks whenever lines are added or the log is finished; `tail`
/// limits the replay to the last N lines.
pub(crate) fn stream_log(
    sim: &Arc<Sim>,
    mut changes: watch::Receiver<u64>,
    tail: Option<usize>,
    snapshot: Snapshot,
) -> Response {
    let (tx, rx) = mpsc::channel::<Bytes>(64);
    let keepalive = Duration::from_millis(sim.cfg.keepalive_ms.max(10));
    let mut shutdown = sim.shutdown.subscribe();
    tokio::spawn(async move {
        let mut next = 0usize;
        let mut first = true;
        loop {
            changes.borrow_and_update();
            let Some((mut lines, done)) = snapshot(next) else {
                break;
            };
            if first {
                first = false;
                if let Some(tail) = tail {
                    let skip = lines.len().saturating_sub(tail);
                    lines.drain(..skip);
                    next += skip;
                }
            }
            for line in &lines {
                if tx.send(event(line)).await.is_err() {
                    return;
                }
                next += 1;
            }
            if done || *shutdown.borrow() {
                break;
            }
            tokio::select! {
                changed = changes.changed() => {
                    if changed.is_err() {
                        // The producer is gone: send what is left, then end.
                        if let Some((lines, _)) = snapshot(next) {
                            for line in &lines {
                                if tx.send(event(line)).await.is_err() {
                                    return;
                                }
                            }
                        }
                        break;
                    }
                }
                _ = tokio::time::sleep(keepalive) => {
                    if tx.send(Bytes::from_static(KEEPALIVE)).await.is_err() {
                        return;
                    }
                }
                _ = shutdown.changed() => break,
            }
        }
    });
    let body = Body::from_stream(ReceiverStream::new(rx).map(Ok::<_, std::io::Error>));
    let mut response = Response::new(body);
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_lines_are_hub_shaped() {
        let line = LogLine {
            data: "hello \"world\"".to_string(),
            timestamp: "2026-01-01T00:00:00.000Z".to_string(),
        };
        assert_eq!(
            event(&line),
            Bytes::from(
                "data: {\"data\":\"hello \\\"world\\\"\",\"timestamp\":\"2026-01-01T00:00:00.000Z\"}\n\n"
            )
        );
    }
}
