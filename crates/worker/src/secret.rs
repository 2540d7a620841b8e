//! The token a gated or private model needs in the generated Space (rule 7c of
//! `sf_core::rules`): the Space downloads the weights with its own secret `HF_TOKEN`, which only
//! the person can add. The person's sign-in token is never put into a Space: it lasts hours,
//! and its scopes manage repos and run jobs.
//!
//! The build looks at the Space's secret names (values are never readable) right after
//! creating it. Without `HF_TOKEN` it asks for one — an event and the phase message with the
//! settings link — and waits for it a while (`SF_SECRET_WAIT_S`), since the person may be
//! following the run; when the secret comes, the Hub restarts the Space with it and the build
//! goes on. Otherwise the run ends `technical_blocker` with that next step.

use std::time::{Duration, Instant};

use serde_json::json;
use sf_core::SpaceRef;
use sf_core::record::{Level, Phase};
use sf_core::rules::{SPACE_TOKEN_SECRET, SpaceToken, space_token, space_token_next_step};

use crate::Hub;
use crate::record::Recorder;
use crate::report::Check;

/// What a model needing a token asks of its Space.
#[derive(Debug, Clone)]
pub struct Need<'a> {
    pub model_id: &'a str,
    pub gated: bool,
    pub private: bool,
    /// The Space's settings page, where secrets are added.
    pub settings_url: &'a str,
    pub wait: Duration,
    pub poll: Duration,
}

/// Looks for the Space's `HF_TOKEN` secret, asking for it and waiting up to `need.wait`; returns
/// the evidence for rule 7c and the check for the report.
pub async fn await_token_secret(
    hub: &Hub,
    space: &SpaceRef,
    need: &Need<'_>,
    rec: &Recorder,
) -> (SpaceToken, Check) {
    let what = if need.private { "private" } else { "gated" };
    let started = Instant::now();
    let mut asked = false;
    loop {
        let keys = match hub.space_secret_keys(space).await {
            Ok(keys) => keys,
            Err(e) => {
                // An OAuth sign-in may be refused some settings calls; nobody can tell then
                // whether the secret is there, and a new Space has none unless it was added.
                let text = format!(
                    "Could not list the Space's secrets ({}); it is taken to have no `{SPACE_TOKEN_SECRET}`.",
                    e.user_message()
                );
                rec.warn(&text);
                return (
                    space_token(need.gated, need.private, &[]),
                    Check::fail("Space token", text),
                );
            }
        };
        let token = space_token(need.gated, need.private, &keys);
        if token
            != (SpaceToken::Missing {
                private: need.private,
            })
        {
            let detail = format!(
                "the Space has the secret `{SPACE_TOKEN_SECRET}` for the {what} model {}",
                need.model_id
            );
            if asked {
                rec.info(&format!(
                    "The secret `{SPACE_TOKEN_SECRET}` was added to the Space: going on."
                ));
            }
            return (token, Check::pass("Space token", detail));
        }
        let elapsed = started.elapsed();
        if !asked {
            asked = true;
            let step = space_token_next_step(need.settings_url);
            let text = format!(
                "The model {} is {what}: the Space cannot download its weights without a token. {step}",
                need.model_id
            );
            rec.event(
                Level::Warn,
                &text,
                json!({"secret": SPACE_TOKEN_SECRET, "settings": need.settings_url, "wait_seconds": need.wait.as_secs()}),
            );
            if !need.wait.is_zero() {
                rec.phase(
                    Phase::WaitingForSpace,
                    &format!(
                        "Waiting up to {} for the secret `{SPACE_TOKEN_SECRET}`: add a read token in the Space settings ({})",
                        crate::guard::describe_duration(need.wait),
                        need.settings_url
                    ),
                );
            }
        }
        if elapsed >= need.wait {
            return (
                token,
                Check::fail(
                    "Space token",
                    format!(
                        "the model is {what} and the Space has no secret `{SPACE_TOKEN_SECRET}`"
                    ),
                ),
            );
        }
        tokio::time::sleep(need.poll.min(need.wait - elapsed)).await;
    }
}
