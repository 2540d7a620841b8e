//! Facts about the model the build starts from (model info + card), and the early blockers that
//! say a working Space is out of reach before any agent runs.

use serde::Serialize;
use serde_json::Value;
use sf_hub::types::{Gated, ModelInfo};

/// The largest single-GPU memory offered for Spaces (an H200), in bytes.
pub const LARGEST_GPU_BYTES: u64 = 141_000_000_000;

/// Whether the person can download the model's files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "access")]
pub enum Access {
    /// The card, and the weights when there are some, could be read.
    Granted,
    /// The Hub refused (gated, not granted); the Hub's words.
    Denied { reason: String },
    /// Not known (no card and no weight file to test with).
    Unknown,
}

/// What the build knows about the model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelFacts {
    pub id: String,
    pub found: bool,
    pub task: Option<String>,
    pub library: Option<String>,
    pub license: Option<String>,
    /// `no`, `auto`, `manual` or the Hub's value.
    pub gated: String,
    /// A private model (readable by its owner and their tokens only).
    pub private: bool,
    pub access: Access,
    /// The file whose download was tried to check [`Access`] (`HEAD …/resolve/main/<file>`).
    pub access_checked_on: Option<String>,
    pub parameters: Option<u64>,
    /// Estimated size of the weights in bytes, from the parameter count per dtype.
    pub weight_bytes: Option<u64>,
    pub files: Vec<String>,
    pub weight_files: Vec<String>,
    pub has_card: bool,
    /// Needs `trust_remote_code` (custom modelling code in the repo).
    pub custom_code: bool,
    pub tags: Vec<String>,
}

fn bytes_per_param(dtype: &str) -> u64 {
    let d = dtype.to_ascii_uppercase();
    if d.contains("64") {
        8
    } else if d.contains("32") {
        4
    } else if d.contains("16") {
        2
    } else if d.contains('8') || d.contains('4') {
        1
    } else {
        2
    }
}

impl ModelFacts {
    /// Facts from the model info and whether/how its card could be read.
    pub fn from_info(
        id: &str,
        info: &ModelInfo,
        card: &Result<Option<String>, String>,
    ) -> ModelFacts {
        let card_data = info.card_data.clone().unwrap_or(Value::Null);
        let license = card_data
            .get("license")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| {
                info.tags
                    .iter()
                    .find_map(|t| t.strip_prefix("license:").map(str::to_string))
            })
            .map(
                |l| match card_data.get("license_name").and_then(Value::as_str) {
                    Some(name) if l == "other" => format!("other ({name})"),
                    _ => l,
                },
            );
        let files: Vec<String> = info.siblings.iter().map(|s| s.rfilename.clone()).collect();
        let weight_files = files
            .iter()
            .filter(|f| sf_hub::types::is_weight_file(f))
            .cloned()
            .collect();
        let (parameters, weight_bytes) = match &info.safetensors {
            Some(st) => {
                let total = st
                    .total
                    .or_else(|| (!st.parameters.is_empty()).then(|| st.parameters.values().sum()));
                let bytes = (!st.parameters.is_empty()).then(|| {
                    st.parameters
                        .iter()
                        .map(|(dtype, n)| n.saturating_mul(bytes_per_param(dtype)))
                        .sum()
                });
                (total, bytes.or(total.map(|t| t.saturating_mul(2))))
            }
            None => (None, None),
        };
        let custom_code = info.tags.iter().any(|t| t == "custom_code")
            || info
                .config
                .as_ref()
                .and_then(|c| c.get("auto_map"))
                .is_some();
        let (access, has_card) = match card {
            Ok(Some(_)) => (Access::Granted, true),
            Ok(None) => (Access::Unknown, false),
            Err(reason) => (
                Access::Denied {
                    reason: reason.clone(),
                },
                false,
            ),
        };
        ModelFacts {
            id: id.to_string(),
            found: true,
            task: info.pipeline_tag.clone(),
            library: info.library_name.clone(),
            license,
            gated: match &info.gated {
                Gated::No => "no".to_string(),
                Gated::Auto => "auto".to_string(),
                Gated::Manual => "manual".to_string(),
                Gated::Other(s) => s.clone(),
            },
            private: info.private.unwrap_or(false),
            access,
            access_checked_on: None,
            parameters,
            weight_bytes,
            files,
            weight_files,
            has_card,
            custom_code,
            tags: info.tags.clone(),
        }
    }

    /// Facts of a model the Hub does not show.
    pub fn not_found(id: &str) -> ModelFacts {
        ModelFacts {
            id: id.to_string(),
            found: false,
            task: None,
            library: None,
            license: None,
            gated: "unknown".to_string(),
            private: false,
            access: Access::Unknown,
            access_checked_on: None,
            parameters: None,
            weight_bytes: None,
            files: Vec::new(),
            weight_files: Vec::new(),
            has_card: false,
            custom_code: false,
            tags: Vec::new(),
        }
    }

    /// The file a model library downloads first among the weights
    /// ([`sf_hub::types::first_download`]).
    pub fn first_download(&self) -> Option<&str> {
        sf_hub::types::first_download(self.files.iter().map(String::as_str))
    }

    /// Takes the answer to downloading [`ModelFacts::first_download`] into [`Access`]: a
    /// refusal (401/403, or "not found" for a repo the token cannot see) is decisive even when
    /// the card could be read; a success grants access when the card alone could not tell.
    /// Other answers (the file is missing, the Hub failed) leave the access as it was.
    pub fn apply_weights_access(&mut self, file: &str, answer: Result<(), WeightsRefusal>) {
        self.access_checked_on = Some(file.to_string());
        match answer {
            Ok(()) => {
                if self.access == Access::Unknown {
                    self.access = Access::Granted;
                }
            }
            Err(WeightsRefusal::Refused(reason)) => self.access = Access::Denied { reason },
            Err(WeightsRefusal::Other) => {}
        }
    }

    /// Whether the Space needs a token to download the model (gated or private), by the rule
    /// in `sf_core::rules`.
    pub fn needs_token(&self) -> bool {
        sf_core::rules::model_needs_token(self.is_gated(), self.private)
    }

    /// Gated (`auto`, `manual` or another gate the Hub names).
    pub fn is_gated(&self) -> bool {
        !matches!(self.gated.as_str(), "no" | "unknown")
    }

    /// `6.2 B parameters`, `137 M parameters`.
    pub fn parameters_text(&self) -> Option<String> {
        self.parameters.map(|p| {
            if p >= 1_000_000_000 {
                format!("{:.1} B parameters", p as f64 / 1e9)
            } else {
                format!("{:.0} M parameters", p as f64 / 1e6)
            }
        })
    }

    /// A short human summary (for the task text and the report).
    pub fn summary(&self) -> String {
        let mut lines = vec![format!("- Model: {}", self.id)];
        let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "not given".to_string());
        lines.push(format!("- Task (pipeline tag): {}", opt(&self.task)));
        lines.push(format!("- Library: {}", opt(&self.library)));
        lines.push(format!("- Licence: {}", opt(&self.license)));
        lines.push(format!("- Gated: {}", self.gated));
        if let Some(p) = self.parameters_text() {
            lines.push(format!("- Size: {p}"));
        }
        if let Some(b) = self.weight_bytes {
            lines.push(format!("- Weights: about {:.1} GB", b as f64 / 1e9));
        }
        if self.custom_code {
            lines.push("- Uses custom modelling code (trust_remote_code)".to_string());
        }
        lines.push(format!(
            "- Files ({}): {}",
            self.files.len(),
            self.files
                .iter()
                .take(40)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        ));
        lines.join("\n")
    }

    /// Whether the model probably needs a GPU to be usable (more than 2 B parameters).
    pub fn probably_needs_gpu(&self) -> bool {
        self.parameters.is_some_and(|p| p > 2_000_000_000)
    }
}

/// Why downloading a file of the model failed, as [`ModelFacts::apply_weights_access`] needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WeightsRefusal {
    /// The Hub refused this token (gated without access, private): its words.
    Refused(String),
    /// Anything else (the file is missing, the Hub failed): says nothing about access.
    Other,
}

impl WeightsRefusal {
    /// Classifies the Hub's answer to `HEAD …/resolve/main/<file>`.
    pub fn from_error(e: &sf_hub::HubError) -> WeightsRefusal {
        // A 401 without a code is a token the Hub does not accept at all (an expired
        // sign-in), not a refusal of this model.
        let refused = e.is_forbidden()
            || e.error_code() == Some("GatedRepo")
            || e.error_code() == Some("RepoNotFound");
        if refused {
            WeightsRefusal::Refused(
                e.server_message()
                    .map(str::to_string)
                    .unwrap_or_else(|| e.user_message()),
            )
        } else {
            WeightsRefusal::Other
        }
    }
}

/// Checks the person's access to the weights themselves: a `HEAD` of the file a model library
/// downloads first ([`ModelFacts::first_download`]), with the person's token.
pub async fn check_weights_access(
    hub: &crate::Hub,
    model: &sf_core::ModelRef,
    facts: &mut ModelFacts,
) {
    let Some(file) = facts.first_download().map(str::to_string) else {
        return;
    };
    let answer = hub
        .model_file_access(model, &file)
        .await
        .map_err(|e| WeightsRefusal::from_error(&e));
    facts.apply_weights_access(&file, answer);
}

/// Concrete reasons, visible before any code is written, why a working Space is out of reach.
/// `model_page` is the model's page on the Hub, where access is requested.
pub fn early_blockers(f: &ModelFacts, model_page: &str) -> Vec<String> {
    let mut out = Vec::new();
    if !f.found {
        out.push(format!(
            "The model {} was not found on the Hub, or your token cannot see it; check the model id.",
            f.id
        ));
        return out;
    }
    if let Access::Denied { reason } = &f.access {
        out.push(format!(
            "The model is gated and your account has no access to its files ({reason}); request access on the model page {model_page}, then build again once it is granted."
        ));
    }
    if let Some(bytes) = f.weight_bytes
        && bytes > LARGEST_GPU_BYTES
    {
        out.push(format!(
            "The weights are about {:.0} GB, beyond the memory of the largest single GPU a Space can have ({} GB); it needs several GPUs.",
            bytes as f64 / 1e9,
            LARGEST_GPU_BYTES / 1_000_000_000
        ));
    }
    if f.weight_files.is_empty() && !matches!(f.access, Access::Denied { .. }) {
        let has_loader_hint =
            f.library.is_some() && f.files.iter().any(|n| n.ends_with("config.json"));
        if !has_loader_hint {
            out.push("The repository has no model weights in a known format (safetensors, bin, gguf, onnx …).".to_string());
        }
    }
    if !f.has_card
        && f.task.is_none()
        && f.library.is_none()
        && !matches!(f.access, Access::Denied { .. })
    {
        out.push("The model has no card, no task and no library: there is no usable documentation of how to run it.".to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "https://huggingface.co/org/model";

    fn info(json: &str) -> ModelInfo {
        serde_json::from_str(json).unwrap()
    }

    fn files(names: &[&str]) -> ModelFacts {
        let siblings: Vec<String> = names
            .iter()
            .map(|n| format!(r#"{{"rfilename":"{n}"}}"#))
            .collect();
        let i = info(&format!(
            r#"{{"id":"o/m","library_name":"transformers","siblings":[{}]}}"#,
            siblings.join(",")
        ));
        ModelFacts::from_info("o/m", &i, &Ok(Some("# card".into())))
    }

    /// The card can be readable while the weights are not: the weights decide.
    #[test]
    fn access_is_decided_by_the_weights() {
        let mut f = files(&["model.safetensors"]);
        assert_eq!(f.access, Access::Granted);
        f.apply_weights_access(
            "model.safetensors",
            Err(WeightsRefusal::Refused(
                "Access to model o/m is restricted".into(),
            )),
        );
        assert_eq!(
            f.access,
            Access::Denied {
                reason: "Access to model o/m is restricted".into()
            }
        );
        assert_eq!(f.access_checked_on.as_deref(), Some("model.safetensors"));
        assert!(early_blockers(&f, PAGE)[0].contains("request access on the model page"));
        // A missing file or a Hub failure says nothing about access.
        let mut f = files(&["model.safetensors"]);
        f.apply_weights_access("model.safetensors", Err(WeightsRefusal::Other));
        assert_eq!(f.access, Access::Granted);
        // Without a card, downloadable weights grant access.
        let i = info(r#"{"id":"o/m","siblings":[{"rfilename":"model.safetensors"}]}"#);
        let mut f = ModelFacts::from_info("o/m", &i, &Ok(None));
        assert_eq!(f.access, Access::Unknown);
        f.apply_weights_access("model.safetensors", Ok(()));
        assert_eq!(f.access, Access::Granted);
    }

    #[test]
    fn gated_or_private_models_need_a_token() {
        let mut f = files(&["model.safetensors"]);
        assert!(!f.needs_token());
        f.gated = "auto".into();
        assert!(f.needs_token());
        f.gated = "no".into();
        f.private = true;
        assert!(f.needs_token());
        assert!(!ModelFacts::not_found("a/b").needs_token());
    }

    #[test]
    fn facts_of_a_text_to_image_model() {
        let i = info(
            r#"{"id":"Tongyi-MAI/Z-Image-Turbo","pipeline_tag":"text-to-image","library_name":"diffusers",
                "tags":["diffusers","license:apache-2.0"],"gated":false,"cardData":{"license":"apache-2.0"},
                "safetensors":{"parameters":{"BF16":6154383360},"total":6154383360},
                "siblings":[{"rfilename":"README.md"},{"rfilename":"transformer/diffusion_pytorch_model.safetensors"},{"rfilename":"model.safetensors.index.json"}]}"#,
        );
        let f = ModelFacts::from_info("Tongyi-MAI/Z-Image-Turbo", &i, &Ok(Some("# card".into())));
        assert_eq!(f.task.as_deref(), Some("text-to-image"));
        assert_eq!(f.license.as_deref(), Some("apache-2.0"));
        assert_eq!(
            f.weight_files,
            vec!["transformer/diffusion_pytorch_model.safetensors"]
        );
        assert_eq!(f.weight_bytes, Some(6154383360 * 2));
        assert_eq!(f.parameters_text().unwrap(), "6.2 B parameters");
        assert!(f.probably_needs_gpu());
        assert!(early_blockers(&f, PAGE).is_empty());
        assert!(f.summary().contains("- Library: diffusers"));
    }

    #[test]
    fn a_huge_model_needs_several_gpus() {
        let i = info(
            r#"{"id":"deepseek-ai/DeepSeek-V3","library_name":"transformers","tags":["custom_code"],
                "cardData":{"license":"other","license_name":"deepseek-license"},
                "safetensors":{"parameters":{"BF16":3918786560,"F8_E4M3":680571043840,"F32":41555600},"total":684531386000},
                "siblings":[{"rfilename":"model-00001-of-000163.safetensors"}]}"#,
        );
        let f = ModelFacts::from_info("deepseek-ai/DeepSeek-V3", &i, &Ok(Some(String::new())));
        assert!(f.custom_code);
        assert_eq!(f.license.as_deref(), Some("other (deepseek-license)"));
        let b = early_blockers(&f, PAGE);
        assert_eq!(b.len(), 1, "{b:?}");
        assert!(b[0].contains("several GPUs"), "{}", b[0]);
    }

    #[test]
    fn gated_without_access_missing_model_and_no_docs() {
        let i = info(
            r#"{"id":"meta-llama/Llama-3.1-8B-Instruct","gated":"manual","library_name":"transformers","siblings":[{"rfilename":"model-00001-of-00004.safetensors"}]}"#,
        );
        let f = ModelFacts::from_info(
            "meta-llama/Llama-3.1-8B-Instruct",
            &i,
            &Err("Access to model meta-llama/Llama-3.1-8B-Instruct is restricted".into()),
        );
        assert_eq!(f.gated, "manual");
        let b = early_blockers(&f, PAGE);
        assert_eq!(b.len(), 1, "{b:?}");
        assert!(
            b[0].contains("gated")
                && b[0].contains(&format!("request access on the model page {PAGE}")),
            "{}",
            b[0]
        );

        let b = early_blockers(&ModelFacts::not_found("a/b"), PAGE);
        assert!(b[0].contains("not found"));

        let bare = info(r#"{"id":"x/y","siblings":[{"rfilename":"notes.txt"}]}"#);
        let f = ModelFacts::from_info("x/y", &bare, &Ok(None));
        let b = early_blockers(&f, PAGE);
        assert_eq!(b.len(), 2, "{b:?}");
        assert!(b[0].contains("no model weights") && b[1].contains("no usable documentation"));
    }

    #[test]
    fn dtype_sizes() {
        assert_eq!(bytes_per_param("F32"), 4);
        assert_eq!(bytes_per_param("BF16"), 2);
        assert_eq!(bytes_per_param("F8_E4M3"), 1);
        assert_eq!(bytes_per_param("I64"), 8);
    }
}
