//! Who is signed in, kept in localStorage until the token expires or the person signs out.
//! Pure rules (expiry) are plain Rust, tested natively.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SignInMethod {
    /// OAuth with PKCE through the Space's OAuth app.
    OAuth,
    /// An access token pasted by the person (local use, no OAuth app).
    PastedToken,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub access_token: String,
    /// Milliseconds since the epoch; `None` for pasted tokens, which do not expire by themselves.
    pub expires_at_ms: Option<f64>,
    /// Granted scopes, space-separated (OAuth only).
    pub scope: Option<String>,
    pub method: SignInMethod,
    /// The Hub username: the namespace of jobs, Spaces and the run bucket.
    pub username: String,
    pub fullname: Option<String>,
    pub avatar_url: Option<String>,
}

impl Session {
    /// Expired, or about to (one minute of margin so a launch does not fail half-way).
    pub fn is_expired(&self, now_ms: f64) -> bool {
        self.expires_at_ms.is_some_and(|at| now_ms + 60_000.0 >= at)
    }

    /// Whether an OAuth scope was granted (pasted tokens: unknown, assume yes and let the Hub say).
    pub fn has_scope(&self, scope: &str) -> bool {
        match &self.scope {
            Some(granted) => granted.split_whitespace().any(|s| s == scope),
            None => true,
        }
    }

    pub fn display_name(&self) -> &str {
        self.fullname
            .as_deref()
            .filter(|n| !n.is_empty())
            .unwrap_or(&self.username)
    }
}

impl std::fmt::Display for Session {
    /// Never shows the token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({:?})", self.username, self.method)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(expires: Option<f64>, scope: Option<&str>) -> Session {
        Session {
            access_token: "hf_oauth_secretvalue123".into(),
            expires_at_ms: expires,
            scope: scope.map(str::to_string),
            method: SignInMethod::OAuth,
            username: "alice".into(),
            fullname: Some("Alice".into()),
            avatar_url: None,
        }
    }

    #[test]
    fn expiry_has_a_minute_of_margin() {
        let s = session(Some(1_000_000.0), None);
        assert!(!s.is_expired(900_000.0));
        assert!(s.is_expired(940_001.0));
        assert!(s.is_expired(2_000_000.0));
        assert!(!session(None, None).is_expired(f64::MAX / 2.0));
    }

    #[test]
    fn scopes_are_checked_word_by_word() {
        let s = session(None, Some("openid profile jobs"));
        assert!(s.has_scope("jobs"));
        assert!(!s.has_scope("job"));
        assert!(!s.has_scope("write-repos"));
        assert!(session(None, None).has_scope("jobs"));
    }

    #[test]
    fn display_never_shows_the_token() {
        let s = session(None, None);
        assert!(!format!("{s}").contains("secretvalue"));
        assert_eq!(s.display_name(), "Alice");
    }
}
