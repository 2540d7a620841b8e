//! A run's recorded cost in one line (`state.json` `cost`), and, when its Space was left
//! running on paid hardware, what it costs per hour until it sleeps, with the link to its
//! settings (where it can be paused or given a shorter sleep time). The runs list and the
//! batch page show it per row.

use leptos::prelude::*;
use sf_core::estimate::usd;
use sf_core::record::CostRecord;
use sf_core::{Links, SpaceRef};

use crate::auth::use_auth;

/// The settings page of `space` on the configured Hub.
pub fn settings_href(space: &SpaceRef) -> String {
    let hub = use_auth().config.with_value(|c| c.hub_url.clone());
    Links::new(&hub).space_settings(space)
}

#[component]
pub fn RunCost(cost: Option<CostRecord>, space: Option<SpaceRef>) -> impl IntoView {
    let Some(c) = cost else {
        return view! { <span class="muted">"—"</span> }.into_any();
    };
    let total = c
        .total_usd()
        .map_or_else(|| "price unknown".to_string(), usd);
    let standing = c.bills_on().then(|| {
        let link = space.as_ref().map(|s| {
            view! { " · " <a href=settings_href(s) target="_blank" rel="noopener">"settings ↗"</a> }
        });
        view! { <span class="small warn-text" data-testid="bills-on">" then " {c.standing.clone()} {link}</span> }
    });
    view! { <span data-testid="run-cost"><span class="cost">{total}</span>{standing}</span> }
        .into_any()
}
