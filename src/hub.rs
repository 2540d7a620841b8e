//! The one place the app makes Hub clients. In the browser they use `fetch`
//! (`BrowserTransport`); the native build of this crate exists only so its pure logic can be
//! unit-tested with `cargo test`, and uses reqwest there.

use sf_hub::{HubClient, HubError};

#[cfg(target_arch = "wasm32")]
pub type Transport = sf_hub::BrowserTransport;
#[cfg(not(target_arch = "wasm32"))]
pub type Transport = sf_hub::NativeTransport;

pub type Hub = HubClient<Transport>;

/// A client for `base_url` without a token.
pub fn client(base_url: &str) -> Result<Hub, HubError> {
    #[cfg(target_arch = "wasm32")]
    let transport = sf_hub::BrowserTransport::new();
    #[cfg(not(target_arch = "wasm32"))]
    let transport =
        sf_hub::NativeTransport::new().map_err(|e| HubError::InvalidInput(e.to_string()))?;
    HubClient::new(base_url, transport)
}
