//! A Space's runtime stage, as the Hub names it in `runtime.stage` (`huggingface_hub`'s
//! `SpaceStage`, plus the two starting stages the Hub sends).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum Stage {
    NoAppFile,
    ConfigError,
    Building,
    BuildError,
    AppStarting,
    Running,
    /// A new version builds while the previous one keeps running.
    RunningBuilding,
    RunningAppStarting,
    RuntimeError,
    Deleting,
    Stopped,
    Paused,
    Sleeping,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::NoAppFile => "NO_APP_FILE",
            Stage::ConfigError => "CONFIG_ERROR",
            Stage::Building => "BUILDING",
            Stage::BuildError => "BUILD_ERROR",
            Stage::AppStarting => "APP_STARTING",
            Stage::Running => "RUNNING",
            Stage::RunningBuilding => "RUNNING_BUILDING",
            Stage::RunningAppStarting => "RUNNING_APP_STARTING",
            Stage::RuntimeError => "RUNTIME_ERROR",
            Stage::Deleting => "DELETING",
            Stage::Stopped => "STOPPED",
            Stage::Paused => "PAUSED",
            Stage::Sleeping => "SLEEPING",
        }
    }

    /// Whether the runtime is still moving (as `huggingface_hub` counts it): a log stream
    /// stays open while it is.
    pub fn is_transitional(self) -> bool {
        matches!(
            self,
            Stage::Building
                | Stage::RunningBuilding
                | Stage::AppStarting
                | Stage::RunningAppStarting
        )
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_are_written_as_the_hub_writes_them() {
        for stage in [
            Stage::NoAppFile,
            Stage::RunningAppStarting,
            Stage::RuntimeError,
            Stage::Sleeping,
        ] {
            assert_eq!(
                serde_json::to_value(stage).unwrap(),
                serde_json::json!(stage.as_str())
            );
        }
        let parsed: Stage = serde_json::from_str("\"RUNNING_BUILDING\"").unwrap();
        assert_eq!(parsed, Stage::RunningBuilding);
        assert!(serde_json::from_str::<Stage>("\"WARMING\"").is_err());
        assert!(Stage::AppStarting.is_transitional());
        assert!(!Stage::RuntimeError.is_transitional());
    }
}
