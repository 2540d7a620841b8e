//! Model info and model cards from the fixtures in `fixtures/models/` (compiled in, so the
//! binary is self-contained).

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value};

use crate::error::{ApiError, ApiResult};
use crate::state::{Caller, Sim, lock};

struct Fixture {
    id: &'static str,
    info: &'static str,
    readme: Option<&'static str>,
}

macro_rules! fixture {
    ($id:literal, $dir:literal, readme) => {
        Fixture {
            id: $id,
            info: include_str!(concat!("../fixtures/models/", $dir, "/info.json")),
            readme: Some(include_str!(concat!(
                "../fixtures/models/",
                $dir,
                "/README.md"
            ))),
        }
    };
    ($id:literal, $dir:literal) => {
        Fixture {
            id: $id,
            info: include_str!(concat!("../fixtures/models/", $dir, "/info.json")),
            readme: None,
        }
    };
}

const FIXTURES: &[Fixture] = &[
    fixture!(
        "Tongyi-MAI/Z-Image-Turbo",
        "Tongyi-MAI__Z-Image-Turbo",
        readme
    ),
    fixture!("openai-community/gpt2", "openai-community__gpt2", readme),
    fixture!(
        "meta-llama/Llama-3.1-8B-Instruct",
        "meta-llama__Llama-3.1-8B-Instruct",
        readme
    ),
    fixture!(
        "deepseek-ai/DeepSeek-V3",
        "deepseek-ai__DeepSeek-V3",
        readme
    ),
    fixture!(
        "sim-fixtures/model-without-card",
        "sim-fixtures__model-without-card"
    ),
    // A private model of the test user (`TEST_USER`): only that account sees it.
    fixture!("sf-tester/private-gpt2", "sf-tester__private-gpt2", readme),
];

/// Properties `expand=` accepts (the list `huggingface_hub` documents).
const EXPANDABLE: &[&str] = &[
    "author",
    "baseModels",
    "cardData",
    "childrenModelCount",
    "config",
    "createdAt",
    "disabled",
    "downloads",
    "downloadsAllTime",
    "evalResults",
    "gated",
    "gguf",
    "inference",
    "inferenceProviderMapping",
    "lastModified",
    "library_name",
    "likes",
    "mask_token",
    "model-index",
    "pipeline_tag",
    "private",
    "safetensors",
    "sha",
    "siblings",
    "spaces",
    "tags",
    "transformersInfo",
    "trendingScore",
    "widgetData",
    "usedStorage",
    "resourceGroup",
];

fn fixture(id: &str) -> Option<&'static Fixture> {
    FIXTURES.iter().find(|f| f.id == id)
}

fn info_of(f: &Fixture) -> Map<String, Value> {
    serde_json::from_str(f.info).unwrap_or_default()
}

pub(crate) fn routes() -> Router<Arc<Sim>> {
    Router::new()
        .route("/api/models/{ns}/{name}", get(model_info))
        .route("/api/models/{ns}/{name}/revision/{rev}", get(model_info_at))
}

async fn model_info(
    State(sim): State<Arc<Sim>>,
    UrlPath((ns, name)): UrlPath<(String, String)>,
    headers: HeaderMap,
    uri: Uri,
) -> ApiResult<Response> {
    info(&sim, &format!("{ns}/{name}"), "main", &headers, &uri)
}

async fn model_info_at(
    State(sim): State<Arc<Sim>>,
    UrlPath((ns, name, rev)): UrlPath<(String, String, String)>,
    headers: HeaderMap,
    uri: Uri,
) -> ApiResult<Response> {
    info(&sim, &format!("{ns}/{name}"), &rev, &headers, &uri)
}

fn check_revision(f: &Fixture, rev: &str) -> ApiResult<()> {
    let sha = info_of(f)
        .get("sha")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if rev == "main" || rev == "HEAD" || rev == sha {
        Ok(())
    } else {
        Err(ApiError::not_found(format!("Revision not found: {rev}")).with_code("RevisionNotFound"))
    }
}

fn info(sim: &Sim, id: &str, rev: &str, headers: &HeaderMap, uri: &Uri) -> ApiResult<Response> {
    // A bad token is refused even on public repositories, as on the Hub.
    let caller = sim.caller(headers)?;
    let f = fixture(id).ok_or_else(|| ApiError::repo_not_found("Repository", id))?;
    visible(caller.as_ref(), f)?;
    check_revision(f, rev)?;
    let mut info = info_of(f);
    let expand = crate::util::query_values(uri.query(), "expand");
    if let Some(bad) = expand.iter().find(|e| !EXPANDABLE.contains(&e.as_str())) {
        return Err(ApiError::bad_request(format!(
            "Invalid expand value '{bad}': use one of {}.",
            EXPANDABLE.join(", ")
        )));
    }
    if !expand.is_empty() {
        info.retain(|k, _| k == "_id" || k == "id" || expand.iter().any(|e| e == k));
    }
    Ok(axum::Json(info).into_response())
}

/// A private model exists only for its owner, as on the Hub: anyone else is told it is not
/// found (401 without a token, 404 with another account's), never that it is private.
fn visible(caller: Option<&Caller>, f: &Fixture) -> ApiResult<()> {
    let private = info_of(f).get("private") == Some(&Value::Bool(true));
    if !private {
        return Ok(());
    }
    let owner = f.id.split('/').next().unwrap_or_default();
    match caller {
        // The Hub's words for an anonymous request to a private repo; `huggingface_hub` turns
        // a 401 with `RepoNotFound` into `RepositoryNotFoundError`.
        None => Err(
            ApiError::new(StatusCode::UNAUTHORIZED, "Invalid username or password.")
                .with_code("RepoNotFound"),
        ),
        Some(c) if c.user == owner && c.has_any(&["read-repos", "write-repos", "manage-repos"]) => {
            Ok(())
        }
        Some(_) => Err(ApiError::repo_not_found("Repository", f.id)),
    }
}

fn gate(sim: &Sim, caller: Option<&Caller>, f: &Fixture) -> ApiResult<()> {
    let gated = info_of(f)
        .get("gated")
        .is_some_and(|g| g.as_str().is_some());
    if !gated {
        return Ok(());
    }
    let message = format!(
        "Access to model {} is restricted. You must have access to it and be authenticated to access it. Please log in.",
        f.id
    );
    let Some(caller) = caller else {
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, message).with_code("GatedRepo"));
    };
    let granted = lock(&sim.gated_access).contains(&(caller.user.clone(), f.id.to_string()));
    if !granted || !caller.has_any(&["gated-repos", "read-repos", "write-repos", "manage-repos"]) {
        return Err(ApiError::forbidden(format!(
            "Access to model {} is restricted and you are not in the authorized list. Visit {}/{} to ask for access.",
            f.id, sim.public_url, f.id
        ))
        .with_code("GatedRepo"));
    }
    Ok(())
}

/// The content served for a file of a fixture: the card, the configuration the model info
/// carries (`config.json`, a diffusers `model_index.json`), and for any other file the repo
/// lists (weights, tokenizers) a short stand-in saying the simulator holds no real weights
/// (the model-library stand-ins of `pylibs/` download them and simulate their size from the
/// model info). `None` for a file the repo does not list.
fn file_content(f: &Fixture, file: &str) -> Option<Vec<u8>> {
    let info = info_of(f);
    let listed = info
        .get("siblings")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().any(|e| e["rfilename"] == file));
    if file == "README.md" {
        return f.readme.map(|r| r.as_bytes().to_vec());
    }
    if !listed {
        return None;
    }
    let config = info.get("config").cloned().unwrap_or(Value::Null);
    let json = match file {
        "config.json" => {
            let mut c = config.as_object().cloned().unwrap_or_default();
            c.remove("tokenizer_config");
            c.remove("diffusers");
            Some(Value::Object(c))
        }
        "model_index.json" => Some(config.get("diffusers").cloned().unwrap_or(Value::Null)),
        _ => None,
    };
    Some(match json {
        Some(v) => serde_json::to_vec_pretty(&v).unwrap_or_default(),
        None => format!(
            "hubsim stand-in for {file} of {}: the simulator holds no real weights.\n",
            f.id
        )
        .into_bytes(),
    })
}

/// `GET|HEAD /{ns}/{name}/resolve/{rev}/{path}` (and `/raw/`), reached through the fallback
/// because its first segment is free. `None` when the path is not shaped like a model file URL.
pub(crate) fn resolve(sim: &Sim, path: &str, headers: &HeaderMap) -> Option<Response> {
    let parts: Vec<&str> = path.trim_start_matches('/').splitn(5, '/').collect();
    let [ns, name, kind, rev, file] = parts.as_slice() else {
        return None;
    };
    if !matches!(*kind, "resolve" | "raw") {
        return None;
    }
    let id = format!("{ns}/{name}");
    let result = (|| -> ApiResult<Response> {
        let caller = sim.caller(headers)?;
        let f = fixture(&id).ok_or_else(|| ApiError::repo_not_found("Repository", &id))?;
        let rev = percent_encoding::percent_decode_str(rev).decode_utf8_lossy();
        visible(caller.as_ref(), f)?;
        check_revision(f, &rev)?;
        gate(sim, caller.as_ref(), f)?;
        let file = percent_encoding::percent_decode_str(file).decode_utf8_lossy();
        let bytes = file_content(f, &file).ok_or_else(|| ApiError::entry_not_found(&file))?;
        let sha = info_of(f)
            .get("sha")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        Ok(crate::buckets::serve_file(
            bytes,
            &file,
            headers,
            crate::buckets::FileSource::Repo { commit: &sha },
        ))
    })();
    Some(result.unwrap_or_else(IntoResponse::into_response))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fixture_parses_and_matches_its_id() {
        for f in FIXTURES {
            let info = info_of(f);
            assert_eq!(info.get("id").and_then(Value::as_str), Some(f.id));
            assert!(info.contains_key("_id"), "{}", f.id);
        }
    }
}
