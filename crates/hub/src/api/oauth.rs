//! Sign-in with Hugging Face: OpenID discovery, authorization-code exchange (PKCE) and
//! userinfo. The app builds the PKCE pair and the authorization URL itself; these are the HTTP
//! calls around it, as huggingface.js makes them.

use std::fmt;

use crate::client::{Auth, Call, HubClient};
use crate::error::{HubError, Operation};
use crate::transport::Transport;
use crate::types::{OpenIdConfiguration, TokenResponse, UserInfo};
use crate::url::Origin;

/// What the token endpoint needs after the redirect. `Debug` hides the code and verifier.
#[derive(Clone, PartialEq, Eq)]
pub struct CodeExchange {
    pub code: String,
    /// Exactly the `redirect_uri` sent to the authorization endpoint.
    pub redirect_uri: String,
    pub code_verifier: String,
}

impl fmt::Debug for CodeExchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CodeExchange")
            .field("code", &"REDACTED")
            .field("redirect_uri", &self.redirect_uri)
            .field("code_verifier", &"REDACTED")
            .finish()
    }
}

impl CodeExchange {
    /// `grant_type=authorization_code&code&redirect_uri&code_verifier` (no `client_id`, as
    /// huggingface.js sends it).
    fn form(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "authorization_code")
            .append_pair("code", &self.code)
            .append_pair("redirect_uri", &self.redirect_uri)
            .append_pair("code_verifier", &self.code_verifier)
            .finish()
    }
}

impl<T: Transport> HubClient<T> {
    /// The OpenID configuration of the Hub (`{hub origin}/.well-known/openid-configuration`).
    pub async fn openid_configuration(&self) -> Result<OpenIdConfiguration, HubError> {
        self.openid_configuration_at(&self.hub_origin()).await
    }

    /// The OpenID configuration of another provider URL (e.g. a Space's `OPENID_PROVIDER_URL`).
    /// Sent without the token.
    pub async fn openid_configuration_at(
        &self,
        provider_url: &str,
    ) -> Result<OpenIdConfiguration, HubError> {
        let base = provider_url.trim_end_matches('/');
        if Origin::of(base).is_none() {
            return Err(HubError::InvalidInput(format!(
                "\"{base}\" is not a usable OpenID provider URL; give an http(s) address."
            )));
        }
        let url = format!("{base}/.well-known/openid-configuration");
        let call = Call::get(Operation::SignInDiscovery, url).auth(Auth::None);
        self.json(&call).await
    }

    /// Trades the authorization code for an access token. Never retried (a code works once).
    pub async fn exchange_code(
        &self,
        token_endpoint: &str,
        exchange: &CodeExchange,
    ) -> Result<TokenResponse, HubError> {
        let call = Call::post(Operation::SignInTokenExchange, token_endpoint.to_owned())
            .auth(Auth::None)
            .body(
                "application/x-www-form-urlencoded",
                exchange.form().into_bytes(),
            );
        let response = self.execute(&call).await?;
        // serde's messages may quote values; this answer holds the token, so say less.
        serde_json::from_slice(&response.body).map_err(|_| {
            HubError::decode(
                call.operation,
                &call.url,
                "the answer is not a token response",
            )
        })
    }

    /// The signed-in user's profile, with this client's token. The endpoint must be on the Hub
    /// (the token is sent nowhere else).
    pub async fn userinfo(&self, userinfo_endpoint: &str) -> Result<UserInfo, HubError> {
        let call =
            Call::get(Operation::SignInUserInfo, userinfo_endpoint.to_owned()).auth(Auth::Required);
        self.json(&call).await
    }
}
