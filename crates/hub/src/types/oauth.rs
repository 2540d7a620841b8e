//! OpenID Connect sign-in: the discovery document ([`OpenIdConfiguration`]), the token
//! endpoint's answer ([`TokenResponse`], whose `Debug` hides the tokens) and `userinfo`
//! ([`UserInfo`], [`UserInfoOrg`]).

use std::fmt;

use serde::{Deserialize, Serialize};

/// `/.well-known/openid-configuration` (the fields the sign-in flow uses).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenIdConfiguration {
    #[serde(default)]
    pub issuer: Option<String>,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
    #[serde(default)]
    pub jwks_uri: Option<String>,
    #[serde(default, deserialize_with = "super::null_default")]
    pub scopes_supported: Vec<String>,
    #[serde(default, deserialize_with = "super::null_default")]
    pub code_challenge_methods_supported: Vec<String>,
}

/// The token endpoint's answer. `Debug` hides the tokens.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    #[serde(default)]
    pub token_type: Option<String>,
    /// Lifetime in seconds.
    #[serde(default)]
    pub expires_in: Option<u64>,
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub id_token: Option<String>,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &"REDACTED")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .field("id_token", &self.id_token.as_ref().map(|_| "REDACTED"))
            .finish()
    }
}

/// The userinfo endpoint's answer: OIDC claims plus Hugging Face's own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    pub sub: String,
    #[serde(default)]
    pub name: Option<String>,
    /// The user's namespace (username).
    pub preferred_username: String,
    #[serde(default)]
    pub picture: Option<String>,
    #[serde(default)]
    pub profile: Option<String>,
    #[serde(default)]
    pub website: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub email_verified: Option<bool>,
    #[serde(default, rename = "isPro")]
    pub is_pro: Option<bool>,
    #[serde(default, rename = "canPay")]
    pub can_pay: Option<bool>,
    #[serde(default, deserialize_with = "super::null_default")]
    pub orgs: Vec<UserInfoOrg>,
}

/// An organisation in [`UserInfo::orgs`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfoOrg {
    #[serde(default)]
    pub sub: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    pub preferred_username: String,
    #[serde(default)]
    pub picture: Option<String>,
    #[serde(default)]
    pub plan: Option<String>,
    #[serde(default, rename = "canPay")]
    pub can_pay: Option<bool>,
    #[serde(default, rename = "roleInOrg")]
    pub role_in_org: Option<String>,
    #[serde(
        default,
        rename = "securityRestrictions",
        deserialize_with = "super::null_default"
    )]
    pub security_restrictions: Vec<String>,
}
