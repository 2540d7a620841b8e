//! The smoke test a generated app ships (`smoke_test.json`, kept in the run folder as
//! `generated/smoke_test.json`): which endpoint to call, with what, and what kind of output to
//! expect. The worker runs it on the live Space; the app reuses it to validate that Space again.

use serde_json::{Map, Value};

use crate::record::{GENERATED_DIR, OutputType};

/// The file name of the manifest in the generated app.
pub const MANIFEST: &str = "smoke_test.json";

/// Where a build keeps the manifest, relative to its run folder.
pub fn manifest_in_run() -> String {
    format!("{GENERATED_DIR}/{MANIFEST}")
}

/// What to call and what to expect.
#[derive(Debug, Clone, PartialEq)]
pub struct CallSpec {
    /// With its leading `/`.
    pub api_name: String,
    pub args: Vec<Value>,
    pub kwargs: Map<String, Value>,
    pub expected: OutputType,
}

/// Reads `smoke_test.json`: `{"api_name": "/generate", "args": [...], "kwargs": {...},
/// "expected_output": "image"}` (`args`, `kwargs` optional; `expected_output` defaults to `any`).
pub fn parse_manifest(text: &str) -> Result<CallSpec, String> {
    let v: Value = serde_json::from_slice(text.as_bytes())
        .map_err(|e| format!("smoke_test.json is not valid JSON ({e})"))?;
    let api = v
        .get("api_name")
        .and_then(Value::as_str)
        .ok_or("smoke_test.json has no `api_name`")?;
    let api = crate::ApiName::parse(api).map_err(|e| format!("smoke_test.json: {e}"))?;
    let args = match v.get("args") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.clone(),
        Some(_) => return Err("smoke_test.json: `args` must be a list".to_string()),
    };
    let kwargs = match v.get("kwargs") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(o)) => o.clone(),
        Some(_) => return Err("smoke_test.json: `kwargs` must be an object".to_string()),
    };
    let expected = match v.get("expected_output").and_then(Value::as_str) {
        None => OutputType::Any,
        Some(s) => OutputType::from_wire(s).ok_or_else(|| {
            format!("smoke_test.json: `expected_output` must be image, video, audio, text or any, not `{s}`")
        })?,
    };
    Ok(CallSpec {
        api_name: api.to_string(),
        args,
        kwargs,
        expected,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifests() {
        let m = parse_manifest(
            r#"{"api_name": "generate", "args": ["a fox"], "expected_output": "Image"}"#,
        )
        .unwrap();
        assert_eq!(m.api_name, "/generate");
        assert_eq!(m.args, vec![serde_json::json!("a fox")]);
        assert_eq!(m.expected, OutputType::Image);
        assert!(m.kwargs.is_empty());
        assert_eq!(
            parse_manifest(r#"{"api_name": "/x"}"#).unwrap().expected,
            OutputType::Any
        );
        assert!(parse_manifest("{").unwrap_err().contains("not valid JSON"));
        assert!(
            parse_manifest(r#"{"args": []}"#)
                .unwrap_err()
                .contains("api_name")
        );
        assert!(
            parse_manifest(r#"{"api_name": "/x", "expected_output": "picture"}"#)
                .unwrap_err()
                .contains("picture")
        );
        assert!(parse_manifest(r#"{"api_name": "/x", "args": "a"}"#).is_err());
    }
}
