//! Sign-in with Hugging Face: OpenID discovery, authorization-code exchange (PKCE) and
//! userinfo. The app builds the PKCE pair and the authorization URL itself; these are the HTTP
//! calls around it, as huggingface.js makes them.

use std::fmt;

use crate::client::{Auth, Call, HubClient};
use crate::error::{HubError, Operation};
use crate::transport::Transport;
use crate::types::{OpenIdConfiguration, TokenResponse, UserInfo};
use crate::url::{Origin, form_encode};

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
        form_encode([
            ("grant_type", "authorization_code"),
            ("code", &self.code),
            ("redirect_uri", &self.redirect_uri),
            ("code_verifier", &self.code_verifier),
        ])
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::{Answer, HUB, TOKEN, authorization, client};
    use serde_json::json;

    fn exchange() -> CodeExchange {
        CodeExchange {
            code: "the code".into(),
            redirect_uri: "https://app.test/?x=1".into(),
            code_verifier: "v".repeat(72),
        }
    }

    #[tokio::test]
    async fn discovery_is_read_from_the_hub_origin_without_the_token() {
        let c = client([Answer::json(
            200,
            json!({"issuer": HUB, "authorization_endpoint": format!("{HUB}/oauth/authorize"),
                   "token_endpoint": format!("{HUB}/oauth/token"),
                   "userinfo_endpoint": format!("{HUB}/oauth/userinfo"), "extra": 1}),
        )]);
        let config = c.openid_configuration().await.unwrap();
        assert_eq!(config.token_endpoint, format!("{HUB}/oauth/token"));
        let sent = &c.transport().requests()[0];
        assert_eq!(sent.url, format!("{HUB}/.well-known/openid-configuration"));
        assert_eq!(authorization(sent), None);
    }

    #[tokio::test]
    async fn code_exchange_is_a_form_post_without_client_id() {
        let c = client([Answer::json(
            200,
            json!({"access_token": "hf_oauth_new", "token_type": "bearer", "expires_in": 28800,
                   "scope": "openid profile jobs", "id_token": "eyJ"}),
        )]);
        let token = c
            .exchange_code(&format!("{HUB}/oauth/token"), &exchange())
            .await
            .unwrap();
        assert_eq!(token.access_token, "hf_oauth_new");
        assert_eq!(token.expires_in, Some(28800));
        assert!(!format!("{token:?}").contains("hf_oauth_new"));

        let sent = &c.transport().requests()[0];
        assert_eq!(sent.method, crate::Method::Post);
        assert_eq!(
            sent.headers.get("content-type"),
            Some("application/x-www-form-urlencoded")
        );
        assert_eq!(authorization(sent), None);
        let body = String::from_utf8(sent.body.clone().unwrap()).unwrap();
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect();
        assert_eq!(
            pairs,
            [
                ("grant_type", "authorization_code"),
                ("code", "the code"),
                ("redirect_uri", "https://app.test/?x=1"),
                ("code_verifier", &"v".repeat(72)),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
    }

    #[tokio::test]
    async fn code_exchange_is_never_retried_and_reports_the_oauth_error() {
        let c = client([Answer::json(
            400,
            json!({"error": "invalid_grant", "error_description": "PKCE verification failed"}),
        )]);
        let e = c
            .exchange_code(&format!("{HUB}/oauth/token"), &exchange())
            .await
            .unwrap_err();
        assert_eq!(
            e.server_message(),
            Some("invalid_grant: PKCE verification failed")
        );
        let c = client([Answer::bytes(503, b"")]);
        assert!(
            c.exchange_code(&format!("{HUB}/oauth/token"), &exchange())
                .await
                .is_err()
        );
        assert_eq!(c.transport().requests().len(), 1);
    }

    #[tokio::test]
    async fn a_garbled_token_answer_does_not_echo_its_content() {
        let c = client([Answer::json(200, json!({"access_token": 12345678}))]);
        let e = c
            .exchange_code(&format!("{HUB}/oauth/token"), &exchange())
            .await
            .unwrap_err();
        assert!(!e.to_string().contains("12345678"), "{e}");
    }

    #[tokio::test]
    async fn userinfo_uses_the_token() {
        let c = client([Answer::json(
            200,
            json!({"sub": "1", "preferred_username": "alice", "name": "Alice", "isPro": true,
                   "picture": "https://x/a.png", "orgs": [{"preferred_username": "acme", "roleInOrg": "admin"}]}),
        )]);
        let me = c.userinfo(&format!("{HUB}/oauth/userinfo")).await.unwrap();
        assert_eq!(me.preferred_username, "alice");
        assert_eq!(me.is_pro, Some(true));
        assert_eq!(me.orgs[0].role_in_org.as_deref(), Some("admin"));
        let sent = &c.transport().requests()[0];
        assert_eq!(
            authorization(sent),
            Some(format!("Bearer {TOKEN}").as_str())
        );
    }
}
