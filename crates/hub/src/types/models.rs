//! `GET /api/models/{id}`: [`ModelInfo`] with its files ([`Sibling`]), gating ([`Gated`]),
//! `transformersInfo` and `safetensors` summaries.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A file in a repo listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sibling {
    pub rfilename: String,
}

/// Whether downloading needs accepted conditions.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(from = "serde_json::Value", into = "serde_json::Value")]
pub enum Gated {
    #[default]
    No,
    Auto,
    Manual,
    Other(String),
}

impl From<serde_json::Value> for Gated {
    fn from(value: serde_json::Value) -> Self {
        match value {
            serde_json::Value::Bool(false) | serde_json::Value::Null => Gated::No,
            serde_json::Value::String(s) if s == "auto" => Gated::Auto,
            serde_json::Value::String(s) if s == "manual" => Gated::Manual,
            serde_json::Value::String(s) => Gated::Other(s),
            other => Gated::Other(other.to_string()),
        }
    }
}

impl From<Gated> for serde_json::Value {
    fn from(gated: Gated) -> Self {
        match gated {
            Gated::No => serde_json::Value::Bool(false),
            Gated::Auto => "auto".into(),
            Gated::Manual => "manual".into(),
            Gated::Other(s) => s.into(),
        }
    }
}

/// `transformersInfo`: how transformers loads the model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransformersInfo {
    #[serde(default)]
    pub auto_model: Option<String>,
    #[serde(default)]
    pub pipeline_tag: Option<String>,
    #[serde(default)]
    pub processor: Option<String>,
}

/// `safetensors`: parameter counts per dtype and in total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Safetensors {
    #[serde(default, deserialize_with = "super::null_default")]
    pub parameters: BTreeMap<String, u64>,
    #[serde(default)]
    pub total: Option<u64>,
}

/// `GET /api/models/{id}`. With `expand=`, only the listed fields come back, so nearly
/// everything is optional.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelInfo {
    /// `owner/name` (absent when `expand` did not ask for it; see [`ModelInfo::model_id`]).
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub model_id: Option<String>,
    #[serde(default)]
    pub author: Option<String>,
    #[serde(default)]
    pub sha: Option<String>,
    #[serde(default, rename = "pipeline_tag")]
    pub pipeline_tag: Option<String>,
    #[serde(default, rename = "library_name")]
    pub library_name: Option<String>,
    #[serde(default, deserialize_with = "super::null_default")]
    pub tags: Vec<String>,
    #[serde(default)]
    pub gated: Gated,
    #[serde(default)]
    pub private: Option<bool>,
    #[serde(default)]
    pub disabled: Option<bool>,
    #[serde(default)]
    pub downloads: Option<u64>,
    #[serde(default)]
    pub likes: Option<u64>,
    #[serde(default)]
    pub last_modified: Option<String>,
    /// The model card's YAML front matter, parsed.
    #[serde(default)]
    pub card_data: Option<serde_json::Value>,
    #[serde(default)]
    pub config: Option<serde_json::Value>,
    #[serde(default)]
    pub transformers_info: Option<TransformersInfo>,
    #[serde(default)]
    pub safetensors: Option<Safetensors>,
    #[serde(default)]
    pub gguf: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "super::null_default")]
    pub siblings: Vec<Sibling>,
    /// `warm` when some provider serves it.
    #[serde(default)]
    pub inference: Option<String>,
    #[serde(default)]
    pub inference_provider_mapping: Option<serde_json::Value>,
    #[serde(default)]
    pub widget_data: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "super::null_default")]
    pub spaces: Vec<String>,
}

impl ModelInfo {
    /// `id`, or the older `modelId`.
    pub fn model_id(&self) -> Option<&str> {
        self.id.as_deref().or(self.model_id.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_model_with_mixed_case_fields() {
        let m: ModelInfo = serde_json::from_str(
            r#"{"id":"openai-community/gpt2","pipeline_tag":"text-generation","library_name":"transformers",
                "tags":["transformers","license:mit"],"gated":false,"cardData":{"license":"mit"},
                "transformersInfo":{"auto_model":"AutoModelForCausalLM","pipeline_tag":"text-generation"},
                "safetensors":{"parameters":{"F32":137022720},"total":137022720},
                "siblings":[{"rfilename":"config.json"}],"downloads":5,"newField":[1]}"#,
        )
        .unwrap();
        assert_eq!(m.model_id(), Some("openai-community/gpt2"));
        assert_eq!(m.pipeline_tag.as_deref(), Some("text-generation"));
        assert_eq!(m.library_name.as_deref(), Some("transformers"));
        assert_eq!(m.gated, Gated::No);
        assert_eq!(m.safetensors.unwrap().total, Some(137022720));
        assert_eq!(m.siblings[0].rfilename, "config.json");
        let gated: ModelInfo = serde_json::from_str(r#"{"gated":"manual"}"#).unwrap();
        assert_eq!(gated.gated, Gated::Manual);
    }
}
