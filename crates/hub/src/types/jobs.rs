//! Hugging Face Jobs as the Hub describes them: [`JobInfo`] (create, inspect and list answers),
//! its [`JobStatus`] / [`JobStage`], [`JobOwner`] and mounted [`Volume`]s. What is *sent* to
//! create a job is `sf_core::JobSpec`, not a type of this module.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A job's life stage. Unknown stages are kept as `Other`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum JobStage {
    Scheduling,
    Running,
    Completed,
    Canceled,
    Error,
    Deleted,
    Other(String),
}

impl JobStage {
    pub fn as_str(&self) -> &str {
        match self {
            JobStage::Scheduling => "SCHEDULING",
            JobStage::Running => "RUNNING",
            JobStage::Completed => "COMPLETED",
            JobStage::Canceled => "CANCELED",
            JobStage::Error => "ERROR",
            JobStage::Deleted => "DELETED",
            JobStage::Other(s) => s,
        }
    }

    /// The job will not change any more (completed, canceled, failed or deleted).
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            JobStage::Completed | JobStage::Canceled | JobStage::Error | JobStage::Deleted
        )
    }
}

impl From<String> for JobStage {
    fn from(s: String) -> Self {
        match s.to_ascii_uppercase().as_str() {
            "SCHEDULING" => JobStage::Scheduling,
            "RUNNING" => JobStage::Running,
            "COMPLETED" => JobStage::Completed,
            "CANCELED" | "CANCELLED" => JobStage::Canceled,
            "ERROR" => JobStage::Error,
            "DELETED" => JobStage::Deleted,
            _ => JobStage::Other(s),
        }
    }
}

impl From<JobStage> for String {
    fn from(stage: JobStage) -> Self {
        stage.as_str().to_owned()
    }
}

impl std::fmt::Display for JobStage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `status` of a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobStatus {
    pub stage: JobStage,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub failure_count: Option<u32>,
}

/// Who owns a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobOwner {
    #[serde(default)]
    pub id: Option<String>,
    pub name: String,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

/// A bucket or repo mounted into a job or Space.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Volume {
    /// `bucket`, `model`, `dataset` or `space`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `owner/name`.
    pub source: String,
    pub mount_path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only: Option<bool>,
    /// A sub-folder of the source to mount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
}

/// A job as the Hub describes it (answer of create, inspect, list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobInfo {
    /// 24 hex digits; also `JOB_ID` inside the container.
    pub id: String,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub started_at: Option<String>,
    #[serde(default)]
    pub finished_at: Option<String>,
    #[serde(default)]
    pub docker_image: Option<String>,
    #[serde(default)]
    pub space_id: Option<String>,
    #[serde(default, deserialize_with = "super::null_default")]
    pub command: Vec<String>,
    #[serde(default, deserialize_with = "super::null_default")]
    pub arguments: Vec<String>,
    #[serde(default, deserialize_with = "super::null_default")]
    pub environment: BTreeMap<String, String>,
    #[serde(default)]
    pub flavor: Option<String>,
    #[serde(default)]
    pub timeout_seconds: Option<u64>,
    #[serde(default, deserialize_with = "super::null_default")]
    pub labels: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "super::null_default")]
    pub volumes: Vec<Volume>,
    pub status: JobStatus,
    #[serde(default)]
    pub owner: Option<JobOwner>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_hub_job_and_ignores_unknown_fields() {
        let job: JobInfo = serde_json::from_str(
            r#"{"id":"6650a1b2c3d4e5f6a7b8c9d0","createdAt":"2026-01-01T00:00:00Z",
                "dockerImage":"debian:12","command":["sh"],"arguments":null,
                "environment":{"SF_RUN_ID":"r1"},"secrets":["HF_TOKEN"],"flavor":"cpu-basic",
                "labels":{"space-factory":"build"},"volumes":[{"type":"bucket","source":"u/b","mountPath":"/output","readOnly":false}],
                "status":{"stage":"RUNNING","message":null,"failureCount":0},
                "owner":{"id":"1","name":"u","type":"user"},"initiator":{"type":"user","id":"1"},
                "durations":{"totalSecs":3},"somethingNew":true}"#,
        )
        .unwrap();
        assert_eq!(job.status.stage, JobStage::Running);
        assert!(!job.status.stage.is_final());
        assert_eq!(job.labels["space-factory"], "build");
        assert_eq!(job.volumes[0].mount_path, "/output");
        assert!(job.arguments.is_empty());
    }

    #[test]
    fn unknown_stages_are_kept() {
        let stage: JobStage = serde_json::from_str("\"PAUSED\"").unwrap();
        assert_eq!(stage, JobStage::Other("PAUSED".into()));
        assert!(!stage.is_final());
        assert!(JobStage::from("ERROR".to_owned()).is_final());
        assert_eq!(
            serde_json::to_string(&JobStage::Canceled).unwrap(),
            "\"CANCELED\""
        );
    }
}
