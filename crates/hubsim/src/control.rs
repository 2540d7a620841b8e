//! The test-only control API under `/__sim`. It is unauthenticated and may reveal secrets
//! (the recorded job requests): the simulator is a local test double.
//!
//! | Route | Body | Effect |
//! |---|---|---|
//! | `GET /__sim/health` | | `{"ok": true}` |
//! | `POST /__sim/tokens` | `{"user", "scopes": [..] \| "all", "expires_in"?: secs}` | mints a token → `{token, user, scopes, expiresAt}` |
//! | `POST /__sim/tokens/expire` | `{"token"}` | the token expires now (401 from then on) |
//! | `POST /__sim/tokens/revoke` | `{"token"}` | the token is forgotten (401) |
//! | `POST /__sim/faults` | `{"method"?, "path_prefix", "count"?: 1, "status"?, "body"?, "delay_ms"?, "drop_connection"?, "retry_after"?}` | the next `count` matching calls are delayed, then answer `status` with a Hub-shaped error (`body` as a string becomes `{"error": body}`; an object is sent as is), or have their connection dropped (an SSE stream after its first chunk) |
//! | `GET /__sim/faults` | | faults still armed |
//! | `DELETE /__sim/faults` | | disarms all faults |
//! | `GET /__sim/jobs/requests` | | every body received by job creation: `[{namespace, jobId, status, body}]` |
//! | `DELETE /__sim/jobs/requests` | | forgets them |
//! | `POST /__sim/buckets/{ns}/{name}` | `{"private"?: true}` | creates a bucket directly |
//! | `PUT /__sim/buckets/{ns}/{name}/files/{path}` | raw bytes | writes a bucket file (as a job would through its mount) |
//! | `DELETE /__sim/buckets/{ns}/{name}/files/{path}` | | deletes a bucket file |
//! | `POST /__sim/oauth/consent` | `{"mode": "ask"\|"approve"\|"deny", "user"?}` | what the authorize page does, and who signs in |
//! | `POST /__sim/oauth/ttl` | `{"seconds"}` | lifetime of tokens issued by `/oauth/token` from now on (else the served app README's `hf_oauth_expiration_minutes`, else 8 h) |
//! | `PUT /__sim/spaces/hardware-policy` | `{"refusals": {"zero-a10g": {"status": 402, "message": ".."}}}` | replaces the hardware refusal policy |
//! | `PUT /__sim/hardware/prices` | `{"l40sx1": 2.4, ..}` (US dollars per hour) | the job and Space hardware lists give these prices from now on (`{}`: their own again) |
//! | `POST /__sim/spaces/{ns}/{name}/stage` | `{"stage", "errorMessage"?}` | forces a Space's runtime stage |
//! | `POST /__sim/spaces/{ns}/{name}/logs` | `{"kind": "build"\|"run", "line"}` | appends a Space log line |
//! | `POST /__sim/gated-access` | `{"user", "model", "granted"}` | grants or removes access to a gated model |

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use chrono::Duration;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::config::{ConsentMode, HardwareRefusal};
use crate::error::{ApiError, ApiResult};
use crate::json::{Json, OptionalJson};
use crate::spaces::Stage;
use crate::state::{ALL_SCOPES, Fault, Sim, TokenKind, lock};
use crate::util::iso;

pub(crate) fn routes() -> Router<Arc<Sim>> {
    Router::new()
        .route("/health", get(health))
        .route("/tokens", post(mint_token))
        .route("/tokens/expire", post(expire_token))
        .route("/tokens/revoke", post(revoke_token))
        .route(
            "/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route(
            "/jobs/requests",
            get(job_requests).delete(clear_job_requests),
        )
        .route("/buckets/{ns}/{name}", post(create_bucket))
        .route(
            "/buckets/{ns}/{name}/files/{*path}",
            put(write_bucket_file).delete(delete_bucket_file),
        )
        .route("/oauth/consent", post(set_consent))
        .route("/oauth/ttl", post(set_oauth_ttl))
        .route("/spaces/hardware-policy", put(set_hardware_policy))
        .route("/hardware/prices", put(set_hardware_prices))
        .route("/spaces/{ns}/{name}/stage", post(set_space_stage))
        .route("/spaces/{ns}/{name}/logs", post(add_space_log))
        .route("/gated-access", post(set_gated_access))
}

async fn health(State(sim): State<Arc<Sim>>) -> Response {
    axum::Json(json!({ "ok": true, "url": sim.public_url })).into_response()
}

#[derive(Deserialize)]
struct MintBody {
    user: String,
    #[serde(default)]
    scopes: Option<Value>,
    #[serde(default)]
    expires_in: Option<i64>,
}

async fn mint_token(State(sim): State<Arc<Sim>>, Json(b): Json<MintBody>) -> ApiResult<Response> {
    if sim.user(&b.user).is_none() {
        return Err(ApiError::bad_request(format!(
            "Unknown user '{}': the simulator knows {}.",
            b.user,
            sim.users.keys().cloned().collect::<Vec<_>>().join(", ")
        )));
    }
    let scopes: BTreeSet<String> = match b.scopes {
        None => ALL_SCOPES.iter().map(|s| s.to_string()).collect(),
        Some(Value::String(s)) if s == "all" => ALL_SCOPES.iter().map(|s| s.to_string()).collect(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| ApiError::bad_request("'scopes' must be a list of strings."))
            })
            .collect::<ApiResult<_>>()?,
        Some(_) => {
            return Err(ApiError::bad_request(
                "'scopes' must be a list of strings or \"all\".",
            ));
        }
    };
    let (token, record) = sim.issue_token(
        &b.user,
        scopes,
        b.expires_in.map(Duration::seconds),
        TokenKind::Access,
    );
    Ok(axum::Json(json!({
        "token": token,
        "user": record.user,
        "scopes": record.scopes,
        "expiresAt": record.expires_at.map(iso),
    }))
    .into_response())
}

#[derive(Deserialize)]
struct TokenBody {
    token: String,
}

async fn expire_token(
    State(sim): State<Arc<Sim>>,
    Json(b): Json<TokenBody>,
) -> ApiResult<Response> {
    let mut tokens = lock(&sim.tokens);
    let record = tokens
        .get_mut(&b.token)
        .ok_or_else(|| ApiError::not_found("No such token."))?;
    record.expires_at = Some(chrono::Utc::now() - Duration::seconds(1));
    Ok(axum::Json(json!({ "ok": true })).into_response())
}

async fn revoke_token(
    State(sim): State<Arc<Sim>>,
    Json(b): Json<TokenBody>,
) -> ApiResult<Response> {
    lock(&sim.tokens)
        .remove(&b.token)
        .ok_or_else(|| ApiError::not_found("No such token."))?;
    Ok(axum::Json(json!({ "ok": true })).into_response())
}

async fn list_faults(State(sim): State<Arc<Sim>>) -> Response {
    axum::Json(lock(&sim.faults).clone()).into_response()
}

async fn add_fault(State(sim): State<Arc<Sim>>, Json(fault): Json<Fault>) -> ApiResult<Response> {
    if fault.status.is_none() && fault.delay_ms.is_none() && !fault.drop_connection {
        return Err(ApiError::bad_request(
            "A fault needs at least one of 'status', 'delay_ms' or 'drop_connection'.",
        ));
    }
    if let Some(s) = fault.status
        && StatusCode::from_u16(s).is_err()
    {
        return Err(ApiError::bad_request(format!(
            "'{s}' is not an HTTP status."
        )));
    }
    lock(&sim.faults).push(fault);
    Ok(axum::Json(json!({ "ok": true })).into_response())
}

async fn clear_faults(State(sim): State<Arc<Sim>>) -> Response {
    lock(&sim.faults).clear();
    axum::Json(json!({ "ok": true })).into_response()
}

async fn job_requests(State(sim): State<Arc<Sim>>) -> Response {
    axum::Json(lock(&sim.jobs.requests).clone()).into_response()
}

async fn clear_job_requests(State(sim): State<Arc<Sim>>) -> Response {
    lock(&sim.jobs.requests).clear();
    axum::Json(json!({ "ok": true })).into_response()
}

#[derive(Deserialize, Default)]
struct BucketBody {
    #[serde(default)]
    private: bool,
}

async fn create_bucket(
    State(sim): State<Arc<Sim>>,
    UrlPath((ns, name)): UrlPath<(String, String)>,
    OptionalJson(body): OptionalJson<BucketBody>,
) -> ApiResult<Response> {
    let b = body.unwrap_or_default();
    if !crate::util::valid_repo_name(&name) {
        return Err(ApiError::bad_request(format!(
            "Invalid bucket name '{name}'."
        )));
    }
    let created = sim.buckets.create(&ns, &name, b.private).map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("Could not create the bucket: {e}"),
        )
    })?;
    if !created {
        return Err(ApiError::conflict("You already created this bucket"));
    }
    Ok(axum::Json(json!({ "ok": true, "id": format!("{ns}/{name}") })).into_response())
}

async fn write_bucket_file(
    State(sim): State<Arc<Sim>>,
    UrlPath((ns, name, path)): UrlPath<(String, String, String)>,
    body: Bytes,
) -> ApiResult<Response> {
    sim.buckets.write_file(&ns, &name, &path, &body)?;
    Ok(axum::Json(json!({ "ok": true, "path": path, "size": body.len() })).into_response())
}

async fn delete_bucket_file(
    State(sim): State<Arc<Sim>>,
    UrlPath((ns, name, path)): UrlPath<(String, String, String)>,
) -> ApiResult<Response> {
    sim.buckets.delete_file(&ns, &name, &path)?;
    Ok(axum::Json(json!({ "ok": true })).into_response())
}

#[derive(Deserialize)]
struct ConsentBody {
    mode: ConsentMode,
    #[serde(default)]
    user: Option<String>,
}

async fn set_consent(
    State(sim): State<Arc<Sim>>,
    Json(b): Json<ConsentBody>,
) -> ApiResult<Response> {
    if let Some(user) = &b.user
        && sim.user(user).is_none()
    {
        return Err(ApiError::bad_request(format!("Unknown user '{user}'.")));
    }
    let mut consent = lock(&sim.consent);
    consent.mode = b.mode;
    if let Some(user) = b.user {
        consent.user = user;
    }
    Ok(axum::Json(json!({ "ok": true })).into_response())
}

#[derive(Deserialize)]
struct TtlBody {
    seconds: u64,
}

async fn set_oauth_ttl(State(sim): State<Arc<Sim>>, Json(b): Json<TtlBody>) -> ApiResult<Response> {
    *lock(&sim.oauth_ttl_secs) = Some(b.seconds);
    Ok(axum::Json(json!({ "ok": true })).into_response())
}

#[derive(Deserialize)]
struct PolicyBody {
    refusals: BTreeMap<String, HardwareRefusal>,
}

async fn set_hardware_policy(
    State(sim): State<Arc<Sim>>,
    Json(b): Json<PolicyBody>,
) -> ApiResult<Response> {
    *lock(&sim.hardware_refusals) = b.refusals;
    Ok(axum::Json(json!({ "ok": true })).into_response())
}

async fn set_hardware_prices(
    State(sim): State<Arc<Sim>>,
    Json(prices): Json<BTreeMap<String, f64>>,
) -> ApiResult<Response> {
    if let Some((name, p)) = prices.iter().find(|(_, p)| !p.is_finite() || **p < 0.0) {
        return Err(ApiError::bad_request(format!(
            "The price of '{name}' is {p}; give US dollars per hour, 0 or more."
        )));
    }
    *lock(&sim.hardware_prices) = prices;
    Ok(axum::Json(json!({ "ok": true })).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StageBody {
    stage: Stage,
    #[serde(default)]
    error_message: Option<String>,
}

async fn set_space_stage(
    State(sim): State<Arc<Sim>>,
    UrlPath((ns, name)): UrlPath<(String, String)>,
    Json(b): Json<StageBody>,
) -> ApiResult<Response> {
    if !crate::spaces::force_stage(&sim, &format!("{ns}/{name}"), b.stage, b.error_message) {
        return Err(ApiError::repo_not_found(
            "Repository",
            &format!("{ns}/{name}"),
        ));
    }
    Ok(axum::Json(json!({ "ok": true })).into_response())
}

#[derive(Deserialize)]
struct LogBody {
    kind: String,
    line: String,
}

async fn add_space_log(
    State(sim): State<Arc<Sim>>,
    UrlPath((ns, name)): UrlPath<(String, String)>,
    Json(b): Json<LogBody>,
) -> ApiResult<Response> {
    let build = match b.kind.as_str() {
        "build" => true,
        "run" => false,
        other => {
            return Err(ApiError::bad_request(format!(
                "Unknown log kind '{other}': use build or run."
            )));
        }
    };
    if !crate::spaces::append_log(&sim, &format!("{ns}/{name}"), build, &b.line) {
        return Err(ApiError::repo_not_found(
            "Repository",
            &format!("{ns}/{name}"),
        ));
    }
    Ok(axum::Json(json!({ "ok": true })).into_response())
}

#[derive(Deserialize)]
struct GatedBody {
    user: String,
    model: String,
    granted: bool,
}

async fn set_gated_access(
    State(sim): State<Arc<Sim>>,
    Json(b): Json<GatedBody>,
) -> ApiResult<Response> {
    let mut access = lock(&sim.gated_access);
    if b.granted {
        access.insert((b.user, b.model));
    } else {
        access.remove(&(b.user, b.model));
    }
    Ok(axum::Json(json!({ "ok": true })).into_response())
}
