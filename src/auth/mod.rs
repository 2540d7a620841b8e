//! Who is signed in, and the ways to sign in and out. Shared through a context ([`use_auth`]).
//!
//! - With an OAuth app (`OAUTH_CLIENT_ID` in the Space's variables): "Sign in with Hugging Face"
//!   runs the authorization-code flow with PKCE ([`oauth`]).
//! - Without one (local use): the person pastes an access token, checked with `whoami-v2`.
//!
//! The session lives in localStorage until the token expires or the person signs out; an expired
//! token or a 401 from the Hub asks for a new sign-in without touching what was typed in forms
//! (those are kept separately, see `drafts`).

pub mod oauth;
pub mod session;

use std::time::Duration;

use leptos::prelude::*;
use sf_core::Redactor;
use sf_hub::HubError;

use crate::config::AppConfig;
use crate::storage;
pub use session::{Session, SignInMethod};

const SESSION_KEY: &str = "space-factory:session";

/// A message for the person about their sign-in, shown near the account controls.
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    pub tone: &'static str,
    pub text: String,
}

impl Notice {
    pub fn bad(text: impl Into<String>) -> Self {
        Notice {
            tone: "bad",
            text: text.into(),
        }
    }
    pub fn warn(text: impl Into<String>) -> Self {
        Notice {
            tone: "warn",
            text: text.into(),
        }
    }
}

#[derive(Clone, Copy)]
pub struct Auth {
    pub config: StoredValue<AppConfig>,
    pub session: RwSignal<Option<Session>>,
    pub notice: RwSignal<Option<Notice>>,
    /// True while a sign-in is being started or finished.
    pub busy: RwSignal<bool>,
}

pub fn use_auth() -> Auth {
    expect_context::<Auth>()
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Creates the sign-in state, finishes a sign-in redirect if the address holds one, and keeps
/// watching for expiry. Call once, above the router.
pub fn provide_auth() -> Auth {
    let config = AppConfig::from_window();
    let stored: Option<Session> = storage::get_json(SESSION_KEY);
    let mut notice = None;
    let session = match stored {
        Some(s) if s.is_expired(now_ms()) => {
            storage::remove(SESSION_KEY);
            notice = Some(Notice::warn(
                "Your Hugging Face sign-in has expired. Sign in again to continue — what you typed is kept.",
            ));
            None
        }
        other => other,
    };
    let auth = Auth {
        config: StoredValue::new(config),
        session: RwSignal::new(session),
        notice: RwSignal::new(notice),
        busy: RwSignal::new(false),
    };
    provide_context(auth);
    auth.finish_redirect_if_present();
    // Tokens expire while the page is open too.
    let _ = set_interval_with_handle(
        move || {
            if auth
                .session
                .with_untracked(|s| s.as_ref().is_some_and(|s| s.is_expired(now_ms())))
            {
                auth.expire();
            }
        },
        Duration::from_secs(30),
    );
    auth
}

impl Auth {
    /// The signed-in user's name (the namespace of their jobs, Spaces and bucket).
    pub fn username(&self) -> Option<String> {
        self.session
            .with(|s| s.as_ref().map(|s| s.username.clone()))
    }

    /// A Hub client for the configured Hub, with the session's token when signed in. The token is
    /// attached only to requests for that origin (sf_hub's rule).
    pub fn hub(&self) -> Option<crate::hub::Hub> {
        let token = self
            .session
            .with_untracked(|s| s.as_ref().map(|s| s.access_token.clone()))?;
        let hub_url = self.config.with_value(|c| c.hub_url.clone());
        crate::hub::client(&hub_url)
            .ok()
            .map(|h| h.with_token(token))
    }

    /// The access token, for the one place it may go besides the Hub: a job's `HF_TOKEN` secret.
    pub fn token(&self) -> Option<String> {
        self.session
            .with_untracked(|s| s.as_ref().map(|s| s.access_token.clone()))
    }

    /// Everything shown to the person passes through here: the token can never appear.
    pub fn redactor(&self) -> Redactor {
        let token = self
            .session
            .with_untracked(|s| s.as_ref().map(|s| s.access_token.clone()));
        match token {
            Some(t) => Redactor::default().with_secret(&t),
            None => Redactor::default(),
        }
    }

    /// Turns a Hub error into the sentence to show. A 401 ends the session and asks to sign in
    /// again (forms keep their input).
    pub fn explain(&self, error: &HubError) -> String {
        let text = self.redactor().redact(&error.user_message());
        if error.is_unauthorized() {
            self.expire();
        }
        text
    }

    /// Forgets the session because the Hub no longer accepts it.
    pub fn expire(&self) {
        storage::remove(SESSION_KEY);
        self.session.set(None);
        self.notice.set(Some(Notice::warn(
            "Your Hugging Face sign-in has expired or was revoked. Sign in again to continue — what you typed is kept.",
        )));
    }

    fn store(&self, session: Session) {
        storage::set_json(SESSION_KEY, &session);
        self.session.set(Some(session));
        self.notice.set(None);
    }

    /// Signs out and forgets the token and the sign-in data.
    pub fn sign_out(&self) {
        storage::remove(SESSION_KEY);
        self.session.set(None);
        self.notice.set(None);
    }

    /// Starts "Sign in with Hugging Face"; the current view is restored afterwards.
    pub fn sign_in_with_oauth(&self) {
        let auth = *self;
        let return_to = web_sys::window()
            .and_then(|w| w.location().search().ok())
            .filter(|q| !q.is_empty());
        auth.busy.set(true);
        leptos::task::spawn_local(async move {
            let config = auth.config.get_value();
            // Its code (the OAuth client, PKCE) loads on this first click.
            if let Err(e) = crate::pages::on_demand::oauth_begin(config, return_to).await {
                auth.notice.set(Some(Notice::bad(e.to_string())));
                auth.busy.set(false);
            }
        });
    }

    /// Checks a pasted access token with `whoami-v2` and signs in with it.
    pub fn sign_in_with_token(&self, raw: String) {
        let auth = *self;
        let token = raw.trim().to_string();
        if let Err(problem) = check_token_shape(&token) {
            auth.notice.set(Some(Notice::bad(problem)));
            return;
        }
        auth.busy.set(true);
        leptos::task::spawn_local(async move {
            let hub_url = auth.config.with_value(|c| c.hub_url.clone());
            match crate::pages::on_demand::token_session(hub_url, token).await {
                Ok(session) => auth.store(session),
                Err(text) => auth.notice.set(Some(Notice::bad(text))),
            }
            auth.busy.set(false);
        });
    }

    /// If the Hub just sent the person back (`?code&state` or `?error`), finishes the sign-in and
    /// removes those parameters from the address bar at once.
    fn finish_redirect_if_present(&self) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let location = window.location();
        let query = location.search().unwrap_or_default();
        let redirect = oauth::parse_redirect(&query);
        if redirect == oauth::Redirect::None {
            return;
        }
        let path = location.pathname().unwrap_or_else(|_| "/".into());
        let clean = |query: &str| {
            if let Ok(history) = window.history() {
                let _ = history.replace_state_with_url(
                    &wasm_bindgen::JsValue::NULL,
                    "",
                    Some(&format!("{path}{query}")),
                );
            }
        };
        clean(&oauth::strip_oauth_params(&query));
        match redirect {
            oauth::Redirect::None => {}
            oauth::Redirect::Denied { error, description } => {
                let said = match description {
                    Some(d) => format!("{error}: {d}"),
                    None => error,
                };
                self.notice.set(Some(Notice::bad(
                    oauth::SignInError::Denied(said).to_string(),
                )));
            }
            oauth::Redirect::Code { code, state } => match oauth::take_and_check(&state) {
                Err(e) => self.notice.set(Some(Notice::bad(e.to_string()))),
                Ok((state, verifier)) => {
                    // Back to the view the sign-in started from, before the router reads the URL.
                    if let Some(q) = state.state.as_deref().filter(|q| q.starts_with('?')) {
                        clean(q);
                    }
                    let auth = *self;
                    auth.busy.set(true);
                    leptos::task::spawn_local(async move {
                        let config = auth.config.get_value();
                        let finished =
                            crate::pages::on_demand::oauth_complete(config, code, state, verifier);
                        match finished.await {
                            Ok(session) => auth.store(session),
                            Err(e) => auth.notice.set(Some(Notice::bad(e.to_string()))),
                        }
                        auth.busy.set(false);
                    });
                }
            },
        }
    }
}

/// The session of a pasted access token, once `whoami-v2` accepts it; otherwise the sentence
/// to show (the token never in it).
pub async fn token_session(hub_url: String, token: String) -> Result<Session, String> {
    let result = match crate::hub::client(&hub_url) {
        Ok(hub) => hub.with_token(token.clone()).whoami_v2().await,
        Err(e) => Err(e),
    };
    match result {
        Ok(me) => Ok(Session {
            access_token: token,
            expires_at_ms: None,
            scope: None,
            method: SignInMethod::PastedToken,
            username: me.name,
            fullname: me.fullname,
            avatar_url: me.avatar_url,
        }),
        Err(e) if e.is_unauthorized() => Err("Hugging Face did not accept this token: it may be mistyped, expired or revoked. Create a new one in your Hugging Face settings (Access Tokens) and paste it again.".to_string()),
        Err(e) => Err(Redactor::default()
            .with_secret(&token)
            .redact(&e.user_message())),
    }
}

/// A quick shape check before anything is sent (pure; tested natively).
pub fn check_token_shape(token: &str) -> Result<(), String> {
    if token.is_empty() {
        return Err(
            "Paste an access token first (from your Hugging Face settings, Access Tokens).".into(),
        );
    }
    if token.chars().any(char::is_whitespace) {
        return Err(
            "The token contains spaces or line breaks; paste only the token itself.".into(),
        );
    }
    if !token.starts_with("hf_") {
        return Err("That does not look like a Hugging Face access token: they start with `hf_`. Copy it again from your settings (Access Tokens).".into());
    }
    if token.len() < 10 {
        return Err(
            "That token is too short to be a Hugging Face access token; copy it again in full."
                .into(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_token_shape;

    #[test]
    fn token_shape_is_checked_before_sending() {
        assert!(check_token_shape("hf_abcdefghijklmnop").is_ok());
        assert!(check_token_shape("").unwrap_err().contains("Paste"));
        assert!(
            check_token_shape("hf_abc def")
                .unwrap_err()
                .contains("spaces")
        );
        assert!(
            check_token_shape("ghp_abcdefghijkl")
                .unwrap_err()
                .contains("hf_")
        );
        assert!(
            check_token_shape("hf_abc")
                .unwrap_err()
                .contains("too short")
        );
    }
}
