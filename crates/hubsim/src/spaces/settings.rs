//! A Space's settings: hardware requests (with the refusal policy of the control API), sleep
//! time, secrets (kept in memory only) and variables. A running app restarts when they change,
//! as on the Hub.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::lifecycle::{Lifecycle, runtime_json, start_lifecycle};
use super::store::{KeyValue, SpaceRecord, runs_locally};
use super::{Stage, readable, writable};
use crate::error::{ApiError, ApiResult};
use crate::json::Json;
use crate::state::{Sim, lock};
use crate::util::now_iso;

pub(super) fn routes() -> Router<Arc<Sim>> {
    Router::new()
        .route("/api/spaces/hardware", get(hardware))
        .route("/api/spaces/{ns}/{name}/hardware", post(request_hardware))
        .route(
            "/api/spaces/{ns}/{name}/secrets",
            get(list_secrets).post(upsert_secret).delete(delete_secret),
        )
        .route(
            "/api/spaces/{ns}/{name}/variables",
            get(list_variables)
                .post(upsert_variable)
                .delete(delete_variable),
        )
}

async fn hardware(State(sim): State<Arc<Sim>>) -> Response {
    let prices = lock(&sim.hardware_prices).clone();
    axum::Json(crate::hardware::space_flavors(&prices)).into_response()
}

/// A known Space flavor the refusal policy allows; the Hub's answer otherwise.
pub(super) fn check_flavor(sim: &Sim, flavor: &str) -> ApiResult<()> {
    if !crate::hardware::is_space_flavor(flavor) {
        return Err(ApiError::bad_request(format!(
            "Unknown hardware '{flavor}': see GET /api/spaces/hardware."
        )));
    }
    match lock(&sim.hardware_refusals).get(flavor) {
        Some(r) => Err(ApiError::new(
            StatusCode::from_u16(r.status).unwrap_or(StatusCode::FORBIDDEN),
            r.message.clone(),
        )),
        None => Ok(()),
    }
}

/// `POST /api/spaces/{id}/hardware`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HardwareRequest {
    flavor: String,
    sleep_time_seconds: Option<u64>,
}

async fn request_hardware(
    State(sim): State<Arc<Sim>>,
    UrlPath((ns, name)): UrlPath<(String, String)>,
    headers: HeaderMap,
    Json(body): Json<HardwareRequest>,
) -> ApiResult<Response> {
    let id = writable(&sim, &headers, &ns, &name)?;
    check_flavor(&sim, &body.flavor)?;
    let meta = {
        let mut spaces = lock(&sim.spaces.spaces);
        let s = spaces
            .get_mut(&id)
            .ok_or_else(|| ApiError::repo_not_found("Repository", &id))?;
        s.meta.hardware_requested = Some(body.flavor.clone());
        if let Some(t) = body.sleep_time_seconds {
            s.meta.sleep_time = Some(t);
        }
        s.meta.clone()
    };
    let _ = sim.spaces.save_meta(&id, &meta);
    start_lifecycle(&sim, &id, Lifecycle::Restart);
    let spaces = lock(&sim.spaces.spaces);
    let s = spaces
        .get(&id)
        .ok_or_else(|| ApiError::repo_not_found("Repository", &id))?;
    Ok(axum::Json(runtime_json(&id, s)).into_response())
}

/// A secret or variable as the Hub takes it (`POST …/secrets`, `…/variables`, and the
/// `secrets` / `variables` lists of a Space's creation).
#[derive(Deserialize)]
pub(super) struct KeyBody {
    key: String,
    #[serde(default)]
    value: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

impl KeyBody {
    pub(super) fn into_entry(self) -> (String, KeyValue) {
        (
            self.key,
            KeyValue {
                value: self.value.unwrap_or_default(),
                description: self.description,
                updated_at: now_iso(),
            },
        )
    }
}

/// `DELETE …/secrets` and `…/variables`: `{"key"}`.
#[derive(Deserialize)]
struct KeyRef {
    key: String,
}

async fn list_secrets(
    State(sim): State<Arc<Sim>>,
    UrlPath((ns, name)): UrlPath<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let id = writable(&sim, &headers, &ns, &name)?;
    let spaces = lock(&sim.spaces.spaces);
    let out: Map<String, Value> = spaces
        .get(&id)
        .map(|s| {
            s.secrets
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        json!({ "description": v.description, "updatedAt": v.updated_at }),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(axum::Json(out).into_response())
}

async fn upsert_secret(
    State(sim): State<Arc<Sim>>,
    UrlPath((ns, name)): UrlPath<(String, String)>,
    headers: HeaderMap,
    Json(body): Json<KeyBody>,
) -> ApiResult<Response> {
    let id = writable(&sim, &headers, &ns, &name)?;
    if let Some(s) = lock(&sim.spaces.spaces).get_mut(&id) {
        let (key, value) = body.into_entry();
        s.secrets.insert(key, value);
    }
    restart_after_settings_change(&sim, &id);
    Ok(StatusCode::OK.into_response())
}

async fn delete_secret(
    State(sim): State<Arc<Sim>>,
    UrlPath((ns, name)): UrlPath<(String, String)>,
    headers: HeaderMap,
    Json(body): Json<KeyRef>,
) -> ApiResult<Response> {
    let id = writable(&sim, &headers, &ns, &name)?;
    if let Some(s) = lock(&sim.spaces.spaces).get_mut(&id) {
        s.secrets.remove(&body.key);
    }
    restart_after_settings_change(&sim, &id);
    Ok(StatusCode::OK.into_response())
}

/// As on the Hub, a running (or starting) app restarts when its secrets or variables change,
/// so it sees them. Only for Spaces that run as local processes; a build in progress reads
/// them when it starts the app anyway.
fn restart_after_settings_change(sim: &Arc<Sim>, id: &str) {
    let restart = lock(&sim.spaces.spaces).get(id).is_some_and(|s| {
        runs_locally(sim, s)
            && matches!(
                s.stage,
                Stage::Running | Stage::AppStarting | Stage::RuntimeError
            )
    });
    if restart {
        start_lifecycle(sim, id, Lifecycle::Restart);
    }
}

fn variables_json(s: &SpaceRecord) -> Value {
    Value::Object(
        s.meta
            .variables
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    json!({ "value": v.value, "description": v.description, "updatedAt": v.updated_at }),
                )
            })
            .collect(),
    )
}

async fn list_variables(
    State(sim): State<Arc<Sim>>,
    UrlPath((ns, name)): UrlPath<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let caller = sim.caller(&headers)?;
    let id = readable(&sim, caller.as_ref(), &ns, &name)?;
    let spaces = lock(&sim.spaces.spaces);
    Ok(axum::Json(spaces.get(&id).map(variables_json).unwrap_or_default()).into_response())
}

/// Changes the variables of a Space, saves them and answers with all of them.
fn change_variables(
    sim: &Arc<Sim>,
    id: &str,
    change: impl FnOnce(&mut SpaceRecord),
) -> ApiResult<Response> {
    let (meta, vars) = {
        let mut spaces = lock(&sim.spaces.spaces);
        let s = spaces
            .get_mut(id)
            .ok_or_else(|| ApiError::repo_not_found("Repository", id))?;
        change(s);
        (s.meta.clone(), variables_json(s))
    };
    let _ = sim.spaces.save_meta(id, &meta);
    restart_after_settings_change(sim, id);
    Ok(axum::Json(vars).into_response())
}

async fn upsert_variable(
    State(sim): State<Arc<Sim>>,
    UrlPath((ns, name)): UrlPath<(String, String)>,
    headers: HeaderMap,
    Json(body): Json<KeyBody>,
) -> ApiResult<Response> {
    let id = writable(&sim, &headers, &ns, &name)?;
    change_variables(&sim, &id, |s| {
        let (key, value) = body.into_entry();
        s.meta.variables.insert(key, value);
    })
}

async fn delete_variable(
    State(sim): State<Arc<Sim>>,
    UrlPath((ns, name)): UrlPath<(String, String)>,
    headers: HeaderMap,
    Json(body): Json<KeyRef>,
) -> ApiResult<Response> {
    let id = writable(&sim, &headers, &ns, &name)?;
    change_variables(&sim, &id, |s| {
        s.meta.variables.remove(&body.key);
    })
}
