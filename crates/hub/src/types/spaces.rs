//! Spaces: `GET /api/spaces/{id}` ([`SpaceInfo`]), its runtime ([`SpaceRuntime`],
//! [`SpaceStage`], [`SpaceHardwareState`]) and the answer of a commit ([`CommitInfo`]).

use serde::{Deserialize, Serialize};

use super::models::Sibling;

/// A Space's runtime stage. Unknown stages are kept as `Other`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum SpaceStage {
    NoAppFile,
    ConfigError,
    Building,
    BuildError,
    Running,
    RunningBuilding,
    RuntimeError,
    Deleting,
    Stopped,
    Paused,
    AppStarting,
    RunningAppStarting,
    Sleeping,
    Other(String),
}

const SPACE_STAGES: &[(&str, SpaceStage)] = &[
    ("NO_APP_FILE", SpaceStage::NoAppFile),
    ("CONFIG_ERROR", SpaceStage::ConfigError),
    ("BUILDING", SpaceStage::Building),
    ("BUILD_ERROR", SpaceStage::BuildError),
    ("RUNNING", SpaceStage::Running),
    ("RUNNING_BUILDING", SpaceStage::RunningBuilding),
    ("RUNTIME_ERROR", SpaceStage::RuntimeError),
    ("DELETING", SpaceStage::Deleting),
    ("STOPPED", SpaceStage::Stopped),
    ("PAUSED", SpaceStage::Paused),
    ("APP_STARTING", SpaceStage::AppStarting),
    ("RUNNING_APP_STARTING", SpaceStage::RunningAppStarting),
    ("SLEEPING", SpaceStage::Sleeping),
];

impl SpaceStage {
    pub fn as_str(&self) -> &str {
        match self {
            SpaceStage::Other(s) => s,
            known => SPACE_STAGES
                .iter()
                .find(|(_, stage)| stage == known)
                .map_or("", |(name, _)| name),
        }
    }

    /// Still changing by itself (building or starting); everything else is settled.
    pub fn is_transitional(&self) -> bool {
        matches!(
            self,
            SpaceStage::Building
                | SpaceStage::RunningBuilding
                | SpaceStage::AppStarting
                | SpaceStage::RunningAppStarting
        )
    }
}

impl From<String> for SpaceStage {
    fn from(s: String) -> Self {
        SPACE_STAGES
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(&s))
            .map_or(SpaceStage::Other(s), |(_, stage)| stage.clone())
    }
}

impl From<SpaceStage> for String {
    fn from(stage: SpaceStage) -> Self {
        stage.as_str().to_owned()
    }
}

impl std::fmt::Display for SpaceStage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Current and requested hardware of a Space.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct SpaceHardwareState {
    #[serde(default)]
    pub current: Option<String>,
    #[serde(default)]
    pub requested: Option<String>,
    #[serde(default)]
    pub current_pretty_name: Option<String>,
    #[serde(default)]
    pub requested_pretty_name: Option<String>,
}

/// `GET /api/spaces/{id}/runtime` (also the answer of a hardware request).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SpaceRuntime {
    pub stage: SpaceStage,
    #[serde(default, deserialize_with = "super::null_default")]
    pub hardware: SpaceHardwareState,
    #[serde(default)]
    pub error_message: Option<String>,
    #[serde(default)]
    pub sdk: Option<String>,
    #[serde(default)]
    pub sdk_version: Option<String>,
    /// Sleep time in seconds.
    #[serde(default)]
    pub gc_timeout: Option<i64>,
    #[serde(default)]
    pub dev_mode: Option<bool>,
}

/// `GET /api/spaces/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SpaceInfo {
    /// `owner/name`.
    pub id: String,
    #[serde(default)]
    pub author: Option<String>,
    #[serde(default)]
    pub sha: Option<String>,
    #[serde(default)]
    pub private: Option<bool>,
    #[serde(default)]
    pub sdk: Option<String>,
    /// The app is served at `https://{subdomain}.hf.space`.
    #[serde(default)]
    pub subdomain: Option<String>,
    #[serde(default)]
    pub host: Option<String>,
    #[serde(default)]
    pub runtime: Option<SpaceRuntime>,
    #[serde(default)]
    pub card_data: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "super::null_default")]
    pub siblings: Vec<Sibling>,
    #[serde(default, deserialize_with = "super::null_default")]
    pub tags: Vec<String>,
    #[serde(default)]
    pub last_modified: Option<String>,
}

/// The answer of a commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommitInfo {
    #[serde(default)]
    pub commit_oid: Option<String>,
    #[serde(default)]
    pub commit_url: Option<String>,
    #[serde(default)]
    pub pull_request_url: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_with_hardware_and_unknown_stage() {
        let rt: SpaceRuntime = serde_json::from_str(
            r#"{"stage":"RUNNING_APP_STARTING","hardware":{"current":null,"requested":"zero-a10g"},"gcTimeout":172800,"storage":null,"replicas":{}}"#,
        )
        .unwrap();
        assert_eq!(rt.stage, SpaceStage::RunningAppStarting);
        assert!(rt.stage.is_transitional());
        assert_eq!(rt.hardware.requested.as_deref(), Some("zero-a10g"));
        let rt: SpaceRuntime =
            serde_json::from_str(r#"{"stage":"WARMING","hardware":null}"#).unwrap();
        assert_eq!(rt.stage, SpaceStage::Other("WARMING".into()));
        assert_eq!(rt.stage.as_str(), "WARMING");
        assert_eq!(SpaceStage::BuildError.as_str(), "BUILD_ERROR");
    }
}
