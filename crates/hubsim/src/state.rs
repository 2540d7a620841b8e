//! The simulator's shared state: users, tokens, consent settings, faults and the stores of the
//! route modules. Every lock is held for short, synchronous sections only.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::http::HeaderMap;
use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use tokio::sync::watch;

use crate::config::{ConsentMode, HardwareRefusal, SimConfig};
use crate::error::{ApiError, ApiResult};
use crate::{OTHER_TOKEN, OTHER_USER, TEST_TOKEN, TEST_USER};

/// Every OAuth scope the Hub documents. Seeded tokens carry all of them.
pub(crate) const ALL_SCOPES: &[&str] = &[
    "openid",
    "profile",
    "email",
    "read-billing",
    "read-memberships",
    "read-repos",
    "gated-repos",
    "contribute-repos",
    "write-repos",
    "manage-repos",
    "read-collections",
    "write-collections",
    "inference-api",
    "read-endpoints",
    "write-endpoints",
    "jobs",
    "webhooks",
    "write-discussions",
];

/// Scopes that allow creating or writing repositories and buckets.
pub(crate) const WRITE_SCOPES: &[&str] = &["write-repos", "manage-repos", "contribute-repos"];
/// Scopes that allow reading private repositories and buckets.
pub(crate) const READ_SCOPES: &[&str] = &[
    "read-repos",
    "write-repos",
    "manage-repos",
    "contribute-repos",
];

/// Locks a mutex, recovering the data if a panicking thread poisoned it (a test double should
/// keep answering).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[derive(Debug, Clone)]
pub(crate) struct User {
    pub name: String,
    pub id: String,
    pub fullname: String,
    pub email: String,
    pub is_pro: bool,
    pub can_pay: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// A user access token from the settings page (or minted through the control API).
    Access,
    /// An access token issued by the OAuth token endpoint.
    OAuth,
}

#[derive(Debug, Clone)]
pub(crate) struct TokenRecord {
    pub user: String,
    pub scopes: BTreeSet<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub kind: TokenKind,
    pub display_name: String,
}

/// The authenticated sender of a request.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub user: String,
    pub token: TokenRecord,
}

impl Caller {
    pub fn has_any(&self, scopes: &[&str]) -> bool {
        scopes.iter().any(|s| self.token.scopes.contains(*s))
    }

    pub fn require_any(&self, scopes: &[&str], action: &str) -> ApiResult<()> {
        if self.has_any(scopes) {
            Ok(())
        } else {
            Err(ApiError::missing_scope(scopes, action))
        }
    }

    /// The role shown by whoami: `write` when the token can write repositories.
    pub fn role(&self) -> &'static str {
        if self.has_any(WRITE_SCOPES) {
            "write"
        } else {
            "read"
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct AuthCode {
    pub user: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub scopes: BTreeSet<String>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub(crate) struct ConsentSettings {
    pub mode: ConsentMode,
    /// The user who signs in on the authorize page.
    pub user: String,
}

/// A fault a test switched on: the next `remaining` matching requests misbehave.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Fault {
    #[serde(default)]
    pub method: Option<String>,
    pub path_prefix: String,
    #[serde(default = "one", alias = "remaining")]
    pub count: u32,
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    pub body: Option<Value>,
    #[serde(default)]
    pub delay_ms: Option<u64>,
    #[serde(default)]
    pub drop_connection: bool,
    #[serde(default)]
    pub retry_after: Option<u64>,
}

fn one() -> u32 {
    1
}

/// One line of a job or Space log.
#[derive(Debug, Clone)]
pub(crate) struct LogLine {
    pub data: String,
    pub timestamp: String,
}

pub(crate) struct Sim {
    pub cfg: SimConfig,
    pub public_url: String,
    pub users: BTreeMap<String, User>,
    pub tokens: Mutex<HashMap<String, TokenRecord>>,
    pub codes: Mutex<HashMap<String, AuthCode>>,
    pub consent: Mutex<ConsentSettings>,
    /// Lifetime of OAuth tokens set through the control API; `None`: as the Space says.
    pub oauth_ttl_secs: Mutex<Option<u64>>,
    pub faults: Mutex<Vec<Fault>>,
    pub hardware_refusals: Mutex<BTreeMap<String, HardwareRefusal>>,
    /// Hourly prices a test set in place of the hardware lists' own.
    pub hardware_prices: Mutex<crate::hardware::PriceOverrides>,
    pub gated_access: Mutex<BTreeSet<(String, String)>>,
    pub buckets: crate::buckets::BucketStore,
    pub spaces: crate::spaces::SpaceStore,
    pub jobs: crate::jobs::JobStore,
    /// Whether job volumes can be mounted as the Hub does (`Err`: the sentence saying why not).
    pub mount_support: Result<(), String>,
    /// The files published through the strict bucket mounts, counted.
    pub uploads: crate::mount::Uploads,
    /// Becomes `true` when the simulator shuts down; long-lived streams end then.
    pub shutdown: watch::Sender<bool>,
}

impl Sim {
    pub fn new(cfg: SimConfig, public_url: String) -> std::io::Result<Arc<Sim>> {
        std::fs::create_dir_all(&cfg.data_dir)?;
        let users = seeded_users();
        let now = Utc::now();
        let mut tokens = HashMap::new();
        for (token, user) in [(TEST_TOKEN, TEST_USER), (OTHER_TOKEN, OTHER_USER)] {
            tokens.insert(
                token.to_string(),
                TokenRecord {
                    user: user.to_string(),
                    scopes: ALL_SCOPES.iter().map(|s| s.to_string()).collect(),
                    created_at: now,
                    expires_at: None,
                    kind: TokenKind::Access,
                    display_name: "hubsim seeded token".to_string(),
                },
            );
        }
        let buckets = crate::buckets::BucketStore::load(&cfg.data_dir)?;
        let spaces = crate::spaces::SpaceStore::load(&cfg.data_dir)?;
        let mount_support =
            crate::mount::check(cfg.bucket_mounts, &cfg.data_dir.join(".mount-check"));
        if let Err(sentence) = &mount_support {
            tracing::warn!("{sentence}");
        }
        let (shutdown, _) = watch::channel(false);
        Ok(Arc::new(Sim {
            consent: Mutex::new(ConsentSettings {
                mode: cfg.consent,
                user: TEST_USER.to_string(),
            }),
            oauth_ttl_secs: Mutex::new(None),
            hardware_refusals: Mutex::new(cfg.hardware_refusals.clone()),
            hardware_prices: Mutex::new(Default::default()),
            gated_access: Mutex::new(cfg.gated_access.clone()),
            users,
            tokens: Mutex::new(tokens),
            codes: Mutex::new(HashMap::new()),
            faults: Mutex::new(Vec::new()),
            buckets,
            spaces,
            jobs: crate::jobs::JobStore::default(),
            shutdown,
            mount_support,
            uploads: Default::default(),
            public_url,
            cfg,
        }))
    }

    pub fn user(&self, name: &str) -> Option<&User> {
        self.users.get(name)
    }

    /// Stores a new token and returns it. Access tokens look like the Hub's (`hf_` + 34
    /// letters and digits); OAuth tokens start with `hf_oauth_`.
    pub fn issue_token(
        &self,
        user: &str,
        scopes: BTreeSet<String>,
        ttl: Option<Duration>,
        kind: TokenKind,
    ) -> (String, TokenRecord) {
        let token = match kind {
            TokenKind::Access => format!("hf_{}", crate::util::random_alnum(34)),
            TokenKind::OAuth => format!("hf_oauth_{}", crate::util::random_alnum(34)),
        };
        let now = Utc::now();
        let record = TokenRecord {
            user: user.to_string(),
            scopes,
            created_at: now,
            expires_at: ttl.map(|d| now + d),
            kind,
            display_name: match kind {
                TokenKind::Access => "hubsim minted token".to_string(),
                TokenKind::OAuth => "hubsim OAuth token".to_string(),
            },
        };
        lock(&self.tokens).insert(token.clone(), record.clone());
        (token, record)
    }

    /// The caller of a request: `Ok(None)` without an `Authorization` header, 401 for a token
    /// that is unknown, revoked, expired or malformed.
    pub fn caller(&self, headers: &HeaderMap) -> ApiResult<Option<Caller>> {
        let Some(value) = headers.get(axum::http::header::AUTHORIZATION) else {
            return Ok(None);
        };
        let value = value
            .to_str()
            .map_err(|_| ApiError::invalid_credentials())?;
        self.caller_from_bearer(value).map(Some)
    }

    /// The owner of a `Bearer <token>` header value; 401 for a token that is unknown, revoked,
    /// expired or malformed.
    pub fn caller_from_bearer(&self, value: &str) -> ApiResult<Caller> {
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .map(str::trim)
            .ok_or_else(ApiError::invalid_credentials)?;
        let record = lock(&self.tokens)
            .get(token)
            .cloned()
            .ok_or_else(ApiError::invalid_credentials)?;
        if record.expires_at.is_some_and(|t| t <= Utc::now()) {
            return Err(ApiError::invalid_credentials());
        }
        Ok(Caller {
            user: record.user.clone(),
            token: record,
        })
    }

    /// Like [`Sim::caller`] but a missing token is a 401 too.
    pub fn require_caller(&self, headers: &HeaderMap) -> ApiResult<Caller> {
        self.caller(headers)?.ok_or_else(ApiError::login_required)
    }

    pub fn avatar_url(&self, user: &str) -> String {
        format!("{}/avatars/{user}.svg", self.public_url)
    }

    pub fn is_shutting_down(&self) -> bool {
        *self.shutdown.borrow()
    }
}

fn seeded_users() -> BTreeMap<String, User> {
    let mut users = BTreeMap::new();
    users.insert(
        TEST_USER.to_string(),
        User {
            name: TEST_USER.to_string(),
            id: "6650f1e0a1b2c3d4e5f60001".to_string(),
            fullname: "Space Factory Tester".to_string(),
            email: "sf-tester@example.com".to_string(),
            is_pro: true,
            can_pay: true,
        },
    );
    users.insert(
        OTHER_USER.to_string(),
        User {
            name: OTHER_USER.to_string(),
            id: "6650f1e0a1b2c3d4e5f60002".to_string(),
            fullname: "Other User".to_string(),
            email: "other-user@example.com".to_string(),
            is_pro: false,
            can_pay: false,
        },
    );
    users
}
