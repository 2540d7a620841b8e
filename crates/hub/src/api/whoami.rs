//! Who the token belongs to.

use crate::client::{Auth, Call, HubClient};
use crate::error::{HubError, Operation};
use crate::transport::Transport;
use crate::types::WhoAmI;

impl<T: Transport> HubClient<T> {
    /// `GET /api/whoami-v2`. Rate-limited by the Hub: call it once per session and keep it.
    pub async fn whoami_v2(&self) -> Result<WhoAmI, HubError> {
        let call = Call::get(Operation::WhoAmI, self.url("/api/whoami-v2")).auth(Auth::Required);
        self.json(&call).await
    }
}

#[cfg(test)]
mod tests {
    use crate::mock::{Answer, HUB, TOKEN, authorization, client};
    use crate::types::AccountKind;

    #[tokio::test]
    async fn whoami_reads_the_user() {
        let c = client([Answer::json(
            200,
            serde_json::json!({"type": "user", "id": "1", "name": "alice", "fullname": "Alice",
                "isPro": false, "avatarUrl": "/a.png", "orgs": [{"type": "org", "name": "acme"}],
                "auth": {"type": "access_token", "accessToken": {"displayName": "t", "role": "write"}}}),
        )]);
        let me = c.whoami_v2().await.unwrap();
        assert_eq!(me.kind, AccountKind::User);
        assert_eq!(me.name, "alice");
        assert_eq!(me.orgs[0].name, "acme");
        assert_eq!(
            me.auth.unwrap().access_token.unwrap().role.as_deref(),
            Some("write")
        );
        let sent = &c.transport().requests()[0];
        assert_eq!(sent.url, format!("{HUB}/api/whoami-v2"));
        assert_eq!(
            authorization(sent),
            Some(format!("Bearer {TOKEN}").as_str())
        );
    }

    #[tokio::test]
    async fn an_invalid_token_is_unauthorized() {
        let c = client([Answer::json(
            401,
            serde_json::json!({"error": "Invalid credentials in Authorization header"}),
        )
        .header("X-Request-Id", "Root=1-abc")]);
        let e = c.whoami_v2().await.unwrap_err();
        assert!(e.is_unauthorized());
        assert!(e.user_message().ends_with("(request id Root=1-abc)"));
    }
}
