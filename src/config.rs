//! The app's configuration, read the way a static Space gets it: `window.huggingface.variables`
//! (`OAUTH_CLIENT_ID`, `OAUTH_SCOPES`, `OPENID_PROVIDER_URL`, and our own `SF_*` variables), with
//! defaults for huggingface.co. The Hub origin is never taken from the page's own URL: a link
//! could otherwise send the person's token to whoever wrote it.

pub const DEFAULT_HUB_URL: &str = "https://huggingface.co";
pub const DEFAULT_SCOPES: &str = "openid profile";
/// Where the worker binary sits inside the factory Space (see `cargo xtask dist`).
pub const WORKER_PATH_IN_SPACE: &str = "worker/space-factory-worker";

use sf_core::SpaceRef;
use sf_core::jobspec::{self, JobSpecConfig, WorkerSource};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppConfig {
    /// Origin of the Hub APIs (`https://huggingface.co`, or the local simulator). No trailing slash.
    pub hub_url: String,
    /// Origin of the OpenID provider (the Hub itself on huggingface.co).
    pub openid_provider_url: String,
    /// Present when the Space has `hf_oauth: true`; without it the person pastes a token.
    pub oauth_client_id: Option<String>,
    pub oauth_scopes: String,
    /// Where jobs get the worker binary: the factory Space (`SF_FACTORY_SPACE`, mounted read-only
    /// into each job) or a download URL (`SF_WORKER_URL`, wins when both are set).
    pub factory_space: Option<SpaceRef>,
    pub worker_url: Option<String>,
    /// The jobs' container image (`SF_JOB_IMAGE`), the inference base URL the coding agent uses
    /// (`SF_INFERENCE_URL`) and the Pi version it installs (`SF_PI_VERSION`).
    pub job_image: String,
    pub inference_url: String,
    pub pi_version: String,
    /// Problems found in the configuration, shown to the person (defaults are used instead).
    pub warnings: Vec<String>,
}

impl AppConfig {
    /// Builds the configuration from a variable lookup (pure; tested natively).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> AppConfig {
        let get = |k: &str| {
            get(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let mut warnings = Vec::new();
        let mut origin_or_default = |key: &str, fallback: &str| match get(key) {
            None => fallback.to_string(),
            Some(raw) => match normalize_origin(&raw) {
                Ok(origin) => origin,
                Err(why) => {
                    warnings.push(format!(
                        "The variable {key} is ignored: {why} Using {fallback}."
                    ));
                    fallback.to_string()
                }
            },
        };
        let hub_url = origin_or_default("SF_HUB_URL", DEFAULT_HUB_URL);
        let openid_provider_url = origin_or_default("OPENID_PROVIDER_URL", &hub_url);
        let factory_space = get("SF_FACTORY_SPACE").and_then(|raw| match SpaceRef::parse(&raw) {
            Ok(space) => Some(space),
            Err(e) => {
                warnings.push(format!("The variable SF_FACTORY_SPACE is ignored: {e}"));
                None
            }
        });
        let worker_url = get("SF_WORKER_URL").filter(|u| {
            let ok = u.starts_with("https://")
                || u.starts_with("http://127.0.0.1")
                || u.starts_with("http://localhost");
            if !ok {
                warnings.push(
                    "The variable SF_WORKER_URL is ignored: it must be an https:// address.".into(),
                );
            }
            ok
        });
        AppConfig {
            factory_space,
            worker_url,
            job_image: get("SF_JOB_IMAGE").unwrap_or_else(|| jobspec::DEFAULT_IMAGE.to_string()),
            inference_url: get("SF_INFERENCE_URL")
                .unwrap_or_else(|| jobspec::DEFAULT_INFERENCE_URL.to_string()),
            pi_version: get("SF_PI_VERSION")
                .unwrap_or_else(|| jobspec::DEFAULT_PI_VERSION.to_string()),
            hub_url,
            openid_provider_url,
            oauth_client_id: get("OAUTH_CLIENT_ID"),
            oauth_scopes: get("OAUTH_SCOPES").unwrap_or_else(|| DEFAULT_SCOPES.to_string()),
            warnings,
        }
    }

    /// Reads `window.huggingface.variables`.
    pub fn from_window() -> AppConfig {
        let variables = web_sys::window()
            .and_then(|w| js_sys::Reflect::get(&w, &"huggingface".into()).ok())
            .filter(|v| v.is_object())
            .and_then(|hf| js_sys::Reflect::get(&hf, &"variables".into()).ok())
            .filter(|v| v.is_object());
        AppConfig::from_lookup(|key| {
            variables
                .as_ref()
                .and_then(|vars| js_sys::Reflect::get(vars, &key.into()).ok())
                .and_then(|v| v.as_string())
        })
    }

    /// The settings of the jobs this deployment launches, or why it cannot launch any.
    pub fn job_spec_config(&self) -> Result<JobSpecConfig, String> {
        let worker = match (&self.worker_url, &self.factory_space) {
            (Some(url), _) => WorkerSource::Url { url: url.clone() },
            (None, Some(space)) => WorkerSource::SpaceVolume {
                space: space.clone(),
                path: WORKER_PATH_IN_SPACE.to_string(),
            },
            (None, None) => {
                return Err("This deployment does not say where the job worker is: set the Space variable SF_FACTORY_SPACE to this Space's id (cargo xtask deploy does it).".into());
            }
        };
        Ok(JobSpecConfig {
            image: self.job_image.clone(),
            worker,
            hub_url: self.hub_url.clone(),
            inference_url: self.inference_url.clone(),
            pi_version: self.pi_version.clone(),
        })
    }

    /// The OAuth scopes as a list.
    pub fn scopes(&self) -> Vec<String> {
        self.oauth_scopes
            .split_whitespace()
            .map(str::to_string)
            .collect()
    }
}

/// Accepts `https://host[:port]` (an optional trailing `/`); plain `http` only for this machine.
pub fn normalize_origin(raw: &str) -> Result<String, String> {
    let (scheme, rest) = raw.split_once("://").ok_or_else(|| {
        format!("`{raw}` is not a URL (it should look like https://huggingface.co).")
    })?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty() || rest.contains(['/', '?', '#', '@', ' ', '\\']) {
        return Err(format!(
            "`{raw}` must be an origin only (scheme and host, like https://huggingface.co), with no path, query or user name."
        ));
    }
    if !rest.is_ascii() {
        return Err(format!(
            "`{raw}` has a host with non-ASCII letters; write it in its ASCII (punycode) form, like https://xn--....example."
        ));
    }
    let host = match rest.rsplit_once(':') {
        Some((h, port)) if !h.ends_with(']') || rest.starts_with('[') => {
            if !port.chars().all(|c| c.is_ascii_digit()) || port.is_empty() {
                return Err(format!("`{raw}` has an invalid port."));
            }
            h
        }
        _ => rest,
    };
    match scheme.to_ascii_lowercase().as_str() {
        "https" => Ok(format!("https://{}", rest.to_ascii_lowercase())),
        "http" if matches!(host, "127.0.0.1" | "localhost" | "[::1]") => {
            Ok(format!("http://{}", rest.to_ascii_lowercase()))
        }
        "http" => Err(format!(
            "`{raw}` uses plain http; only https is allowed outside this machine."
        )),
        _ => Err(format!("`{raw}` must start with https://.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(pairs: &[(&str, &str)]) -> AppConfig {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        AppConfig::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_point_at_huggingface() {
        let c = cfg(&[]);
        assert_eq!(c.hub_url, "https://huggingface.co");
        assert_eq!(c.openid_provider_url, "https://huggingface.co");
        assert_eq!(c.oauth_client_id, None);
        assert_eq!(c.scopes(), ["openid", "profile"]);
        assert!(c.warnings.is_empty());
    }

    #[test]
    fn static_space_variables_are_used() {
        let c = cfg(&[
            ("OAUTH_CLIENT_ID", "abc-123"),
            ("OAUTH_SCOPES", "openid profile jobs"),
            ("OPENID_PROVIDER_URL", "https://huggingface.co/"),
            ("SF_HUB_URL", "http://127.0.0.1:8000"),
        ]);
        assert_eq!(c.oauth_client_id.as_deref(), Some("abc-123"));
        assert_eq!(c.hub_url, "http://127.0.0.1:8000");
        assert_eq!(c.openid_provider_url, "https://huggingface.co");
        assert_eq!(c.scopes(), ["openid", "profile", "jobs"]);
    }

    #[test]
    fn openid_provider_defaults_to_the_hub() {
        assert_eq!(
            cfg(&[("SF_HUB_URL", "http://localhost:9")]).openid_provider_url,
            "http://localhost:9"
        );
    }

    #[test]
    fn unsafe_hub_urls_are_refused_with_a_warning() {
        for bad in [
            "http://evil.example",
            "https://huggingface.co/path",
            "https://user@huggingface.co",
            "javascript:alert(1)",
            "huggingface.co",
            "https://huggingface.co?x=1",
            "https://host:port",
            // International domain names are not supported (idna_adapter 1.0, see Cargo.toml).
            "https://hüggingface.co",
        ] {
            let c = cfg(&[("SF_HUB_URL", bad)]);
            assert_eq!(c.hub_url, DEFAULT_HUB_URL, "{bad}");
            assert_eq!(c.warnings.len(), 1, "{bad}");
            assert!(c.warnings[0].contains("SF_HUB_URL"), "{}", c.warnings[0]);
        }
    }

    #[test]
    fn jobs_need_to_know_where_the_worker_is() {
        let none = cfg(&[]);
        assert!(
            none.job_spec_config()
                .unwrap_err()
                .contains("SF_FACTORY_SPACE")
        );

        let space = cfg(&[
            ("SF_FACTORY_SPACE", "me/space-factory"),
            ("SF_HUB_URL", "http://127.0.0.1:8000"),
        ]);
        let js = space.job_spec_config().unwrap();
        assert_eq!(
            js.worker,
            WorkerSource::SpaceVolume {
                space: SpaceRef::parse("me/space-factory").unwrap(),
                path: "worker/space-factory-worker".into()
            }
        );
        assert_eq!(js.hub_url, "http://127.0.0.1:8000");
        assert_eq!(js.image, "node:22-bookworm");

        let url = cfg(&[
            ("SF_FACTORY_SPACE", "me/space-factory"),
            ("SF_WORKER_URL", "https://example.org/worker"),
            ("SF_JOB_IMAGE", "node:22"),
            ("SF_INFERENCE_URL", "http://127.0.0.1:9/v1"),
        ]);
        let js = url.job_spec_config().unwrap();
        assert_eq!(
            js.worker,
            WorkerSource::Url {
                url: "https://example.org/worker".into()
            }
        );
        assert_eq!(
            (js.image.as_str(), js.inference_url.as_str()),
            ("node:22", "http://127.0.0.1:9/v1")
        );
    }

    #[test]
    fn bad_job_variables_are_ignored_with_a_warning() {
        let c = cfg(&[
            ("SF_FACTORY_SPACE", "not a space"),
            ("SF_WORKER_URL", "ftp://x"),
        ]);
        assert_eq!(c.factory_space, None);
        assert_eq!(c.worker_url, None);
        assert_eq!(c.warnings.len(), 2, "{:?}", c.warnings);
    }

    #[test]
    fn blank_variables_count_as_missing() {
        let c = cfg(&[("OAUTH_CLIENT_ID", "  "), ("OAUTH_SCOPES", "")]);
        assert_eq!(c.oauth_client_id, None);
        assert_eq!(c.oauth_scopes, DEFAULT_SCOPES);
    }
}
