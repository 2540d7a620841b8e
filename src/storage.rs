//! Small typed wrappers over `localStorage`. Everything the app keeps between reloads goes
//! through here, under keys that start with `space-factory:`.

use serde::Serialize;
use serde::de::DeserializeOwned;

fn local() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

pub fn get_string(key: &str) -> Option<String> {
    local()?.get_item(key).ok().flatten()
}

pub fn set_string(key: &str, value: &str) {
    if let Some(s) = local() {
        let _ = s.set_item(key, value);
    }
}

pub fn remove(key: &str) {
    if let Some(s) = local() {
        let _ = s.remove_item(key);
    }
}

/// Reads a JSON value; anything unreadable counts as absent.
pub fn get_json<T: DeserializeOwned>(key: &str) -> Option<T> {
    // `from_slice`, as the Hub client reads its answers: one JSON reader in the wasm (issue 13).
    serde_json::from_slice(get_string(key)?.as_bytes()).ok()
}

pub fn set_json<T: Serialize>(key: &str, value: &T) {
    if let Ok(text) = serde_json::to_string(value) {
        set_string(key, &text);
    }
}
