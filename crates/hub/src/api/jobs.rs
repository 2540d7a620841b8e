//! Hugging Face Jobs: create, inspect, list, cancel, hardware, logs.

use sf_core::jobspec::{JobSpec, run_label_filter};
use sf_core::links::encode_segment;
use sf_core::{Namespace, RunId};

use crate::client::{Auth, Call, HubClient};
use crate::error::{HubError, Operation};
use crate::logs::{LogSource, LogStream, LogStreamOptions};
use crate::transport::{Method, Transport};
use crate::types::{HardwareFlavor, JobInfo, JobStage};
use crate::url::{encode_query, job_id_segment};

/// Which jobs to list. Every label and every stage given must match (the Hub's semantics).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobFilter {
    /// `label` query values, `key=value`.
    labels: Vec<String>,
    stages: Vec<JobStage>,
}

impl JobFilter {
    /// The jobs of one run (labelled `run-id=<id>` by `sf_core::jobspec`).
    pub fn run(run_id: &RunId) -> Self {
        JobFilter {
            labels: vec![run_label_filter(run_id)],
            stages: Vec::new(),
        }
    }

    pub fn label(mut self, key: &str, value: &str) -> Self {
        self.labels.push(format!("{key}={value}"));
        self
    }

    pub fn stage(mut self, stage: JobStage) -> Self {
        self.stages.push(stage);
        self
    }

    /// `label=k=v&…&stage=RUNNING&…`, encoded.
    fn query(&self) -> String {
        let pairs = self
            .labels
            .iter()
            .map(|l| ("label", l.as_str()))
            .chain(self.stages.iter().map(|s| ("stage", s.as_str())));
        encode_query(pairs)
    }
}

impl<T: Transport> HubClient<T> {
    fn jobs_url(&self, namespace: &Namespace) -> String {
        self.url(&format!("/api/jobs/{}", encode_segment(namespace.as_str())))
    }

    fn job_url(&self, namespace: &Namespace, job_id: &str, tail: &str) -> Result<String, HubError> {
        Ok(format!(
            "{}/{}{tail}",
            self.jobs_url(namespace),
            job_id_segment(job_id)?
        ))
    }

    /// `POST /api/jobs/{namespace}` with a job spec built by `sf_core::jobspec`. Never retried:
    /// a retry could start the job twice.
    pub async fn create_job(
        &self,
        namespace: &Namespace,
        spec: &JobSpec,
    ) -> Result<JobInfo, HubError> {
        let url = self.jobs_url(namespace);
        let call = Call::post(Operation::CreateJob, url)
            .auth(Auth::Required)
            .json_body(spec);
        self.json(&call).await
    }

    /// `GET /api/jobs/{namespace}/{id}`.
    pub async fn inspect_job(
        &self,
        namespace: &Namespace,
        job_id: &str,
    ) -> Result<JobInfo, HubError> {
        let call = Call::get(Operation::InspectJob, self.job_url(namespace, job_id, "")?)
            .auth(Auth::Required);
        self.json(&call).await
    }

    /// `GET /api/jobs/{namespace}?label=k=v&stage=…`, following every page.
    pub async fn list_jobs(
        &self,
        namespace: &Namespace,
        filter: &JobFilter,
    ) -> Result<Vec<JobInfo>, HubError> {
        let mut url = self.jobs_url(namespace);
        let query = filter.query();
        if !query.is_empty() {
            url = format!("{url}?{query}");
        }
        self.paginated(Call::get(Operation::ListJobs, url).auth(Auth::Required))
            .await
    }

    /// `POST /api/jobs/{namespace}/{id}/cancel`. Retried like a GET: cancelling twice is harmless.
    pub async fn cancel_job(&self, namespace: &Namespace, job_id: &str) -> Result<(), HubError> {
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
    pub fn job_logs(&self, namespace: &Namespace, job_id: &str) -> Result<LogStream, HubError> {
        self.job_logs_with(namespace, job_id, LogStreamOptions::default())
    }

    /// [`job_logs`](Self::job_logs) with other reconnect and polling settings.
    pub fn job_logs_with(
        &self,
        namespace: &Namespace,
        job_id: &str,
        options: LogStreamOptions,
    ) -> Result<LogStream, HubError> {
        let url = self.job_url(namespace, job_id, "/logs")?;
        let call = Call::new(Operation::JobLogs, Method::Get, url)
            .auth(Auth::Required)
            .header("Accept", "text/event-stream");
        let source = LogSource::Job {
            namespace: namespace.clone(),
            job_id: job_id.to_owned(),
        };
        Ok(LogStream::new(self.clone(), call, source, options))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::{Answer, HUB, TOKEN, authorization, client, json_body};
    use serde_json::json;

    fn alice() -> Namespace {
        Namespace::parse("alice").unwrap()
    }

    fn job(id: &str, stage: &str) -> serde_json::Value {
        json!({"id": id, "status": {"stage": stage}, "owner": {"name": "alice"}})
    }

    #[tokio::test]
    async fn create_posts_the_spec_as_json() {
        let mut spec = JobSpec::new("debian:12", vec!["true".into()], 60);
        spec.secrets.insert("HF_TOKEN".into(), "x".into());
        let c = client([Answer::json(200, job("j1", "SCHEDULING"))]);
        let created = c.create_job(&alice(), &spec).await.unwrap();
        assert_eq!(created.id, "j1");
        let sent = &c.transport().requests()[0];
        assert_eq!(sent.method, Method::Post);
        assert_eq!(sent.url, format!("{HUB}/api/jobs/alice"));
        assert_eq!(sent.headers.get("content-type"), Some("application/json"));
        assert_eq!(
            authorization(sent),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        assert_eq!(
            json_body(sent),
            json!({"dockerImage": "debian:12", "command": ["true"], "arguments": [],
                   "environment": {}, "secrets": {"HF_TOKEN": "x"}, "flavor": "cpu-basic",
                   "timeoutSeconds": 60, "labels": {}})
        );
    }

    #[tokio::test]
    async fn create_is_never_retried() {
        for answer in [
            Answer::bytes(503, b""),
            Answer::NetworkError,
            Answer::bytes(500, b""),
        ] {
            let c = client([answer]);
            assert!(
                c.create_job(&alice(), &JobSpec::new("debian:12", Vec::new(), 60))
                    .await
                    .is_err()
            );
            assert_eq!(c.transport().requests().len(), 1);
            assert!(c.transport().sleeps().is_empty());
        }
    }

    #[tokio::test]
    async fn a_token_without_the_jobs_scope_is_told_so() {
        let c = client([Answer::json(403, json!({"error": "Missing scope: jobs"}))]);
        let e = c
            .create_job(&alice(), &JobSpec::new("debian:12", Vec::new(), 60))
            .await
            .unwrap_err();
        assert!(e.is_forbidden());
        assert!(e.user_message().contains("`jobs` permission"));
    }

    #[tokio::test]
    async fn inspect_and_cancel_address_the_job() {
        let c = client([
            Answer::json(200, job("j1", "RUNNING")),
            Answer::bytes(503, b""),
            Answer::bytes(200, b""),
        ]);
        assert_eq!(
            c.inspect_job(&alice(), "j1").await.unwrap().status.stage,
            JobStage::Running
        );
        c.cancel_job(&alice(), "j1").await.unwrap();
        let sent = c.transport().requests();
        assert_eq!(sent[0].url, format!("{HUB}/api/jobs/alice/j1"));
        assert_eq!(sent[1].method, Method::Post);
        assert_eq!(sent[1].url, format!("{HUB}/api/jobs/alice/j1/cancel"));
        assert_eq!(sent.len(), 3, "cancel is retried");
    }

    #[tokio::test]
    async fn list_filters_by_label_and_stage_across_pages() {
        let c = client([
            Answer::json(200, json!([job("a", "RUNNING")])).header(
                "Link",
                &format!("<{HUB}/api/jobs/alice?cursor=x>; rel=\"next\""),
            ),
            Answer::json(200, json!([job("b", "RUNNING")])),
        ]);
        let filter = JobFilter::run(&RunId::parse("build-1").unwrap())
            .label("space-factory", "build")
            .stage(JobStage::Running);
        let jobs = c.list_jobs(&alice(), &filter).await.unwrap();
        assert_eq!(
            jobs.iter().map(|j| j.id.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
        let sent = c.transport().requests();
        assert_eq!(
            sent[0].url,
            format!(
                "{HUB}/api/jobs/alice?label=run-id%3Dbuild-1&label=space-factory%3Dbuild&stage=RUNNING"
            )
        );
        let pairs: Vec<(String, String)> = url::Url::parse(&sent[0].url)
            .unwrap()
            .query_pairs()
            .into_owned()
            .collect();
        assert_eq!(pairs[0], ("label".into(), "run-id=build-1".into()));
        assert_eq!(sent[1].url, format!("{HUB}/api/jobs/alice?cursor=x"));
    }

    #[tokio::test]
    async fn hardware_is_public() {
        let c = client([Answer::json(
            200,
            json!([{"name": "cpu-basic", "prettyName": "CPU Basic", "cpu": "2 vCPU", "ram": "16 GB",
                    "accelerator": null, "unitCostMicroUSD": 167, "unitCostUSD": 0.000167, "unitLabel": "minute"},
                   {"name": "t4-small", "cpu": 4, "ram": 15, "accelerator": {"type": "gpu", "model": "T4", "quantity": "1", "vram": "16 GB", "manufacturer": "Nvidia"}}]),
        )]);
        let flavors = c.job_hardware().await.unwrap();
        assert_eq!(flavors[0].name, "cpu-basic");
        assert_eq!(flavors[1].cpu.as_deref(), Some("4"));
        assert_eq!(
            flavors[1].accelerator.as_ref().unwrap().model.as_deref(),
            Some("T4")
        );
        let sent = &c.transport().requests()[0];
        assert_eq!(sent.url, format!("{HUB}/api/jobs/hardware"));
        assert_eq!(authorization(sent), None);
    }

    #[test]
    fn ids_with_slashes_are_refused_before_sending() {
        let c = client([]);
        assert!(matches!(
            c.job_logs(&alice(), "../x"),
            Err(HubError::InvalidInput(_))
        ));
    }
}
