//! A scripted transport for unit tests: answers from a queue, records every request, and
//! "sleeps" instantly while remembering for how long.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;

use crate::transport::{
    Headers, HttpRequest, HttpResponse, StreamingResponse, Transport, TransportError,
};

/// One piece of a scripted streaming body.
#[derive(Debug, Clone)]
pub enum Chunk {
    Bytes(Vec<u8>),
    /// The connection breaks here.
    Break,
    /// The server goes quiet for good (the stream never yields again).
    Stall,
}

/// One scripted answer.
#[derive(Debug, Clone)]
pub enum Answer {
    Response(HttpResponse),
    Stream {
        status: u16,
        headers: Headers,
        chunks: Vec<Chunk>,
    },
    NetworkError,
}

impl Answer {
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        Answer::Response(HttpResponse {
            status,
            headers: [("Content-Type", "application/json")].into_iter().collect(),
            body: serde_json::to_vec(&body).unwrap(),
        })
    }

    pub fn bytes(status: u16, body: &[u8]) -> Self {
        Answer::Response(HttpResponse {
            status,
            headers: Headers::new(),
            body: body.to_vec(),
        })
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        match &mut self {
            Answer::Response(r) => r.headers.append(name, value),
            Answer::Stream { headers, .. } => headers.append(name, value),
            Answer::NetworkError => panic!("a network error has no headers"),
        }
        self
    }

    pub fn sse(chunks: Vec<Chunk>) -> Self {
        Answer::Stream {
            status: 200,
            headers: [("Content-Type", "text/event-stream")]
                .into_iter()
                .collect(),
            chunks,
        }
    }
}

#[derive(Default)]
pub struct MockTransport {
    answers: Mutex<VecDeque<Answer>>,
    requests: Mutex<Vec<HttpRequest>>,
    sleeps: Mutex<Vec<Duration>>,
}

impl MockTransport {
    pub fn new(answers: impl IntoIterator<Item = Answer>) -> Self {
        Self {
            answers: Mutex::new(answers.into_iter().collect()),
            ..Self::default()
        }
    }

    pub fn requests(&self) -> Vec<HttpRequest> {
        self.requests.lock().unwrap().clone()
    }

    pub fn sleeps(&self) -> Vec<Duration> {
        self.sleeps.lock().unwrap().clone()
    }

    pub fn remaining(&self) -> usize {
        self.answers.lock().unwrap().len()
    }

    fn next(&self, request: HttpRequest) -> Answer {
        let what = format!("{} {}", request.method.as_str(), request.url);
        self.requests.lock().unwrap().push(request);
        self.answers
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or_else(|| panic!("no scripted answer left for {what}"))
    }
}

struct ScriptedBody(VecDeque<Chunk>);

impl Stream for ScriptedBody {
    type Item = Result<Vec<u8>, TransportError>;

    fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match self.0.front() {
            Some(Chunk::Stall) => Poll::Pending,
            _ => Poll::Ready(match self.0.pop_front() {
                None => None,
                Some(Chunk::Bytes(b)) => Some(Ok(b)),
                Some(Chunk::Break) => {
                    self.0.clear();
                    Some(Err(TransportError::Network("connection reset".into())))
                }
                Some(Chunk::Stall) => unreachable!(),
            }),
        }
    }
}

#[async_trait::async_trait]
impl Transport for MockTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        match self.next(request) {
            Answer::Response(r) => Ok(r),
            Answer::NetworkError => Err(TransportError::Network("connection refused".into())),
            Answer::Stream { .. } => panic!("a stream was scripted for a buffered request"),
        }
    }

    async fn send_streaming(
        &self,
        request: HttpRequest,
    ) -> Result<StreamingResponse, TransportError> {
        match self.next(request) {
            Answer::Stream {
                status,
                headers,
                chunks,
            } => Ok(StreamingResponse {
                status,
                headers,
                body: Box::pin(ScriptedBody(chunks.into())),
            }),
            Answer::Response(r) => Ok(StreamingResponse {
                status: r.status,
                headers: r.headers,
                body: Box::pin(ScriptedBody(VecDeque::from([Chunk::Bytes(r.body)]))),
            }),
            Answer::NetworkError => Err(TransportError::Network("connection refused".into())),
        }
    }

    async fn sleep(&self, duration: Duration) {
        self.sleeps.lock().unwrap().push(duration);
    }
}

pub const HUB: &str = "https://hub.test";
pub const TOKEN: &str = "hf_unit_test_token";

/// A client for [`HUB`] with [`TOKEN`], answering from `answers`.
pub fn client(answers: impl IntoIterator<Item = Answer>) -> crate::HubClient<MockTransport> {
    crate::HubClient::new(HUB, MockTransport::new(answers))
        .unwrap()
        .with_token(TOKEN)
}

/// The `Authorization` header a request carried.
pub fn authorization(request: &HttpRequest) -> Option<&str> {
    request.headers.get("authorization")
}

/// The request body as JSON.
pub fn json_body(request: &HttpRequest) -> serde_json::Value {
    serde_json::from_slice(request.body.as_deref().expect("a body")).unwrap()
}
