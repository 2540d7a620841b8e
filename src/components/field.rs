//! A labelled text field with its hint and its error, as every form field of the app shows it.

use leptos::prelude::*;

/// A labelled text input with its hint, and its error (the reason and the fix) under it.
#[component]
pub fn TextField(
    id: &'static str,
    label: &'static str,
    #[prop(into)] value: Signal<String>,
    #[prop(into)] on_input: Callback<String>,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(optional)] placeholder: &'static str,
    #[prop(optional)] multiline: bool,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    let invalid = move || error.with(Option::is_some).to_string();
    let error_id = format!("{id}-error");
    let input = if multiline {
        view! {
            <textarea
                id=id
                spellcheck="false"
                placeholder=placeholder
                aria-invalid=invalid
                aria-describedby=error_id.clone()
                prop:value=move || value.get()
                on:input=move |ev| on_input.run(event_target_value(&ev))
            ></textarea>
        }
        .into_any()
    } else {
        view! {
            <input
                id=id
                type="text"
                spellcheck="false"
                autocomplete="off"
                placeholder=placeholder
                aria-invalid=invalid
                aria-describedby=error_id.clone()
                prop:value=move || value.get()
                on:input=move |ev| on_input.run(event_target_value(&ev))
            />
        }
        .into_any()
    };
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <div class="row">
                <div class="grow">{input}</div>
                {children.map(|c| c())}
            </div>
            {move || match error.get() {
                Some(e) => view! { <p class="error" id=error_id.clone() data-field=id>{e}</p> }.into_any(),
                None => hint.clone().map(|h| view! { <p class="hint">{h}</p> }).into_any(),
            }}
        </div>
    }
}
