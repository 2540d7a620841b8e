//! `GET /api/whoami-v2`: the account ([`WhoAmI`], [`AccountKind`]), its organisations
//! ([`WhoAmIOrg`]) and what the token may do ([`WhoAmIAuth`], [`TokenInfo`]: role and
//! fine-grained scopes).

use serde::{Deserialize, Serialize};

/// Whether the token belongs to a user, an organisation or an app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountKind {
    User,
    Org,
    App,
    #[serde(other)]
    Other,
}

/// `GET /api/whoami-v2`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WhoAmI {
    #[serde(rename = "type")]
    pub kind: AccountKind,
    #[serde(default)]
    pub id: Option<String>,
    /// The username (the namespace for jobs, buckets and Spaces).
    pub name: String,
    #[serde(default)]
    pub fullname: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub email_verified: Option<bool>,
    #[serde(default)]
    pub is_pro: Option<bool>,
    #[serde(default)]
    pub can_pay: Option<bool>,
    #[serde(default)]
    pub avatar_url: Option<String>,
    #[serde(default, deserialize_with = "super::null_default")]
    pub orgs: Vec<WhoAmIOrg>,
    #[serde(default)]
    pub auth: Option<WhoAmIAuth>,
}

/// An organisation the user belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WhoAmIOrg {
    #[serde(default)]
    pub id: Option<String>,
    pub name: String,
    #[serde(default)]
    pub fullname: Option<String>,
    #[serde(default)]
    pub can_pay: Option<bool>,
    #[serde(default)]
    pub avatar_url: Option<String>,
}

/// How the request was authenticated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WhoAmIAuth {
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub access_token: Option<TokenInfo>,
    #[serde(default)]
    pub expires_at: Option<String>,
}

/// Facts about the token (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenInfo {
    #[serde(default)]
    pub display_name: Option<String>,
    /// `admin`, `write`, `contributor`, `read` or `fineGrained`.
    #[serde(default)]
    pub role: Option<String>,
}
