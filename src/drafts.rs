//! What the person typed in the Build and Validate forms, kept in localStorage so that nothing is
//! lost on an error, a reload or the sign-in redirect.

use leptos::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::storage;

pub const BUILD_KEY: &str = "space-factory:draft:build";
pub const VALIDATE_KEY: &str = "space-factory:draft:validate";

/// A signal holding a form, loaded from localStorage (or `init`) and saved on every change.
pub fn persisted<T>(key: &'static str, init: impl FnOnce() -> T) -> RwSignal<T>
where
    T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
{
    let value = RwSignal::new(storage::get_json(key).unwrap_or_else(init));
    Effect::new(move |_| value.with(|v| storage::set_json(key, v)));
    value
}

/// Replaces a stored draft (e.g. "Run again" prefills the form before opening it).
pub fn store<T: Serialize>(key: &'static str, value: &T) {
    storage::set_json(key, value);
}
