//! A small reader for README front matter (the YAML block a model card or Space README starts
//! with). It understands flat `key: value` pairs, inline lists `[a, b]` and `- item` lists,
//! which is what Space configuration uses; nested maps are skipped.

use serde_json::{Map, Value, json};

fn scalar(raw: &str) -> Value {
    let raw = raw.trim();
    if raw.len() >= 2
        && ((raw.starts_with('"') && raw.ends_with('"'))
            || (raw.starts_with('\'') && raw.ends_with('\'')))
    {
        return json!(raw[1..raw.len() - 1]);
    }
    match raw {
        "true" => return json!(true),
        "false" => return json!(false),
        "null" | "~" => return Value::Null,
        _ => {}
    }
    if let Ok(n) = raw.parse::<i64>() {
        return json!(n);
    }
    if let Ok(x) = raw.parse::<f64>() {
        return json!(x);
    }
    if let Some(inner) = raw.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        return Value::Array(
            inner
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(scalar)
                .collect(),
        );
    }
    json!(raw)
}

/// The front matter of a README as a JSON object (empty when there is none).
pub(crate) fn parse(readme: &str) -> Map<String, Value> {
    let mut out = Map::new();
    let mut lines = readme.lines();
    if lines.next().map(str::trim_end) != Some("---") {
        return out;
    }
    let mut current_list: Option<String> = None;
    for line in lines {
        if line.trim_end() == "---" {
            break;
        }
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let indented = line.starts_with(' ') || line.starts_with('\t');
        let trimmed = line.trim();
        if let Some(item) = trimmed.strip_prefix("- ") {
            if let Some(key) = &current_list
                && let Some(Value::Array(items)) = out.get_mut(key)
            {
                items.push(scalar(item));
            }
            continue;
        }
        if indented {
            // A nested map: not needed by the simulator.
            continue;
        }
        if let Some((key, value)) = trimmed.split_once(':') {
            let key = key.trim().to_string();
            if value.trim().is_empty() {
                out.insert(key.clone(), Value::Array(Vec::new()));
                current_list = Some(key);
            } else {
                out.insert(key, scalar(value));
                current_list = None;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_space_configuration() {
        let readme = "---\ntitle: My demo\nemoji: \"🚀\"\nsdk: gradio\nsdk_version: 5.9.1\napp_file: app.py\npinned: false\nhf_oauth_scopes:\n  - jobs\n  - read-repos\ntags: [a, b]\n---\n# Hello\n";
        let m = parse(readme);
        assert_eq!(m["title"], "My demo");
        assert_eq!(m["emoji"], "🚀");
        assert_eq!(m["sdk"], "gradio");
        assert_eq!(m["sdk_version"], "5.9.1");
        assert_eq!(m["pinned"], false);
        assert_eq!(m["hf_oauth_scopes"], json!(["jobs", "read-repos"]));
        assert_eq!(m["tags"], json!(["a", "b"]));
    }

    #[test]
    fn no_front_matter() {
        assert!(parse("# Just a title\n").is_empty());
    }
}
