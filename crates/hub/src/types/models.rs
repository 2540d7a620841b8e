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

/// `GET /api/models/{id}?expand=gated&expand=siblings` read for what it tells about access only
/// ([`crate::HubClient::model_files`]): whether the model is gated and its files. A reader of
/// these two fields alone is far smaller in the web app than [`ModelInfo`]'s (issue 13: the
/// Build form asks this on a first load).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelFiles {
    #[serde(default)]
    pub gated: Gated,
    #[serde(default, deserialize_with = "super::null_default")]
    pub siblings: Vec<Sibling>,
}

impl ModelFiles {
    /// [`first_download`] among the model's files.
    pub fn first_download(&self) -> Option<&str> {
        first_download(self.siblings.iter().map(|s| s.rfilename.as_str()))
    }
}

impl ModelInfo {
    /// `id`, or the older `modelId`.
    pub fn model_id(&self) -> Option<&str> {
        self.id.as_deref().or(self.model_id.as_deref())
    }

    /// [`first_download`] among the model's files (`siblings`).
    pub fn first_download(&self) -> Option<&str> {
        first_download(self.siblings.iter().map(|s| s.rfilename.as_str()))
    }
}

/// File name endings of model weights.
const WEIGHT_SUFFIXES: &[&str] = &[
    ".safetensors",
    ".bin",
    ".pt",
    ".pth",
    ".ckpt",
    ".gguf",
    ".onnx",
    ".h5",
    ".msgpack",
    ".tflite",
    ".mlmodel",
    ".npz",
    ".keras",
    ".pb",
    ".nemo",
];

/// Whether a repo file is model weights (not a shard index).
pub fn is_weight_file(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    WEIGHT_SUFFIXES.iter().any(|s| lower.ends_with(s)) && !lower.ends_with(".index.json")
}

/// Weight and index files in the order a model library downloads them first: the single-file
/// weights of transformers and diffusers, then the shard index, then the older formats.
const FIRST_DOWNLOADS: &[&str] = &[
    "model.safetensors",
    "diffusion_pytorch_model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "diffusion_pytorch_model.bin",
];

/// Among a repo's files, the one a model library downloads first among the weights — what
/// the Hub gates like every file of a gated or private model: `model.safetensors`, a diffusers
/// component's `diffusion_pytorch_model.safetensors` (in any folder), the shard index, the
/// older formats, else the first weight file (safetensors first), else the pipeline's
/// `model_index.json` or the `config.json`. `None` for a repo with none of them.
pub fn first_download<'a>(files: impl Iterator<Item = &'a str> + Clone) -> Option<&'a str> {
    let base = |f: &str| f.rsplit('/').next().unwrap_or(f).to_string();
    FIRST_DOWNLOADS
        .iter()
        .find_map(|want| files.clone().find(|f| base(f) == *want))
        .or_else(|| {
            files
                .clone()
                .find(|f| is_weight_file(f) && f.ends_with(".safetensors"))
        })
        .or_else(|| files.clone().find(|f| is_weight_file(f)))
        .or_else(|| {
            ["model_index.json", "config.json"]
                .iter()
                .find_map(|want| files.clone().find(|f| f == want))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_download_is_what_a_library_fetches_first() {
        let first = |names: &[&'static str]| first_download(names.iter().copied());
        assert_eq!(
            first(&["README.md", "pytorch_model.bin", "model.safetensors"]),
            Some("model.safetensors")
        );
        assert_eq!(
            first(&[
                "model_index.json",
                "unet/diffusion_pytorch_model.safetensors"
            ]),
            Some("unet/diffusion_pytorch_model.safetensors")
        );
        assert_eq!(
            first(&[
                "model-00002-of-00002.safetensors",
                "model-00001-of-00002.safetensors",
                "model.safetensors.index.json"
            ]),
            Some("model.safetensors.index.json")
        );
        assert_eq!(
            first(&["config.json", "weights.gguf"]),
            Some("weights.gguf")
        );
        assert_eq!(
            first(&["README.md", "model_index.json"]),
            Some("model_index.json")
        );
        assert_eq!(first(&["README.md", "notes.txt"]), None);
        let info: ModelInfo = serde_json::from_str(
            r#"{"id":"o/m","siblings":[{"rfilename":"config.json"},{"rfilename":"model.safetensors"}]}"#,
        )
        .unwrap();
        assert_eq!(info.first_download(), Some("model.safetensors"));
        assert!(
            is_weight_file("a/B.SafeTensors") && !is_weight_file("model.safetensors.index.json")
        );
    }

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
