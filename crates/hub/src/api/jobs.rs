//! Hugging Face Jobs: create, inspect, list, cancel, hardware, logs.

use crate::client::{Auth, Call, HubClient};
use crate::error::{HubError, Operation};
use crate::logs::{LogSource, LogStream, LogStreamOptions};
use crate::transport::{Method, Transport};
use crate::types::{HardwareFlavor, JobInfo, JobStage};
use crate::url::{encode_query, namespace_path};

/// Which jobs to list. Every label and every stage given must match (the Hub's semantics).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobFilter {
    pub labels: Vec<(String, String)>,
    pub stages: Vec<JobStage>,
}

impl JobFilter {
    pub fn label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.labels.push((key.into(), value.into()));
        self
    }

    pub fn stage(mut self, stage: JobStage) -> Self {
        self.stages.push(stage);
        self
    }

    /// `label=k=v&…&stage=RUNNING&…`, encoded.
    fn query(&self) -> String {
        let labels: Vec<String> = self
            .labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let pairs = labels
            .iter()
            .map(|l| ("label", l.as_str()))
            .chain(self.stages.iter().map(|s| ("stage", s.as_str())));
        encode_query(pairs)
    }
}

impl<T: Transport> HubClient<T> {
    fn job_url(&self, namespace: &str, job_id: &str, tail: &str) -> Result<String, HubError> {
        Ok(self.url(&format!(
            "/api/jobs/{}/{}{tail}",
            namespace_path(namespace)?,
            namespace_path(job_id)?
        )))
    }

    /// `POST /api/jobs/{namespace}` with a job spec built elsewhere (`sf-core`). Never retried:
    /// a retry could start the job twice.
    pub async fn create_job(
        &self,
        namespace: &str,
        spec: &serde_json::Value,
    ) -> Result<JobInfo, HubError> {
        let url = self.url(&format!("/api/jobs/{}", namespace_path(namespace)?));
        let call = Call::post(Operation::CreateJob, url)
            .auth(Auth::Required)
            .json_body(spec);
        self.json(&call).await
    }

    /// `GET /api/jobs/{namespace}/{id}`.
    pub async fn inspect_job(&self, namespace: &str, job_id: &str) -> Result<JobInfo, HubError> {
        let call = Call::get(Operation::InspectJob, self.job_url(namespace, job_id, "")?)
            .auth(Auth::Required);
        self.json(&call).await
    }

    /// `GET /api/jobs/{namespace}?label=k=v&stage=…`, following every page.
    pub async fn list_jobs(
        &self,
        namespace: &str,
        filter: &JobFilter,
    ) -> Result<Vec<JobInfo>, HubError> {
        let mut url = self.url(&format!("/api/jobs/{}", namespace_path(namespace)?));
        let query = filter.query();
        if !query.is_empty() {
            url = format!("{url}?{query}");
        }
        self.paginated(Call::get(Operation::ListJobs, url).auth(Auth::Required))
            .await
    }

    /// `POST /api/jobs/{namespace}/{id}/cancel`. Retried like a GET: cancelling twice is harmless.
    pub async fn cancel_job(&self, namespace: &str, job_id: &str) -> Result<(), HubError> {
        let url = self.job_url(namespace, job_id, "/cancel")?;
        let call = Call::new(Operation::CancelJob, Method::Post, url)
            .auth(Auth::Required)
            .idempotent();
        self.execute(&call).await.map(drop)
    }

    /// `GET /api/jobs/hardware` (public; sent without the token).
    pub async fn job_hardware(&self) -> Result<Vec<HardwareFlavor>, HubError> {
        let call =
            Call::get(Operation::JobHardware, self.url("/api/jobs/hardware")).auth(Auth::None);
        self.json(&call).await
    }

    /// The job's log as new lines, reconnecting (and skipping the replayed history) until the
    /// job has finished. Nothing is sent until the stream is first polled.
    pub fn job_logs(&self, namespace: &str, job_id: &str) -> Result<LogStream, HubError> {
        self.job_logs_with(namespace, job_id, LogStreamOptions::default())
    }

    /// [`job_logs`](Self::job_logs) with other reconnect and polling settings.
    pub fn job_logs_with(
        &self,
        namespace: &str,
        job_id: &str,
        options: LogStreamOptions,
    ) -> Result<LogStream, HubError> {
        let url = self.job_url(namespace, job_id, "/logs")?;
        let call = Call::new(Operation::JobLogs, Method::Get, url)
            .auth(Auth::Required)
            .header("Accept", "text/event-stream");
        let source = LogSource::Job {
            namespace: namespace.to_owned(),
            job_id: job_id.to_owned(),
        };
        Ok(LogStream::new(self.clone(), call, source, options))
    }
}
