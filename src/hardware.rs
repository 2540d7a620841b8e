//! Hardware choices for the forms: the seed's choices, named and priced from the Hub's hardware
//! list when it answers, from the built-in list otherwise.

use leptos::prelude::*;
use sf_core::estimate::PriceList;
use sf_core::hardware;
use sf_hub::types::{HardwareFlavor, price_list};

/// "Nvidia T4 · small — $0.40/h" for a flavor name.
pub fn label(name: &str, hub: Option<&[HardwareFlavor]>) -> String {
    if let Some(h) = hub.and_then(|list| list.iter().find(|h| h.name == name)) {
        let pretty = h.pretty_name.clone().unwrap_or_else(|| name.to_string());
        let price = match h.usd_per_hour() {
            Some(0.0) => "free".to_string(),
            Some(p) => format!("{}/h", sf_core::estimate::usd(p)),
            None => String::new(),
        };
        let price = if name.starts_with("zero-") {
            "PRO, no hourly cost".to_string()
        } else {
            price
        };
        return if price.is_empty() {
            pretty
        } else {
            format!("{pretty} — {price}")
        };
    }
    match hardware::lookup(name) {
        Some(info) => format!("{} — {}", info.pretty_name, info.price_label()),
        None => name.to_string(),
    }
}

/// A Hub hardware list as the forms read it: `None` while it has not answered, or when it failed.
pub type HardwareList = LocalResource<Option<Vec<HardwareFlavor>>>;

/// The Hub's job and Space hardware lists, the same two for every page: provided once at the
/// app's root ([`provide_hardware_lists`]) and created there, under the root's owner, when a
/// page first reads one. A page switch disposes what the page created, never these, so each list
/// is requested at most once per page load, and not at all on a page that shows no hardware.
#[derive(Clone)]
struct HardwareLists {
    root: WeakOwner,
    jobs: StoredValue<Option<HardwareList>>,
    spaces: StoredValue<Option<HardwareList>>,
}

/// Called once, by the app's root component (which outlives every page).
pub fn provide_hardware_lists() {
    let root = Owner::current()
        .expect("the hardware lists are provided inside the app")
        .downgrade();
    provide_context(HardwareLists {
        root,
        jobs: StoredValue::new(None),
        spaces: StoredValue::new(None),
    });
}

/// The Hub's Space hardware list (public endpoint, no token needed).
pub fn use_space_hardware() -> HardwareList {
    use_list(false)
}

/// The Hub's job hardware list (for the job's price).
pub fn use_job_hardware() -> HardwareList {
    use_list(true)
}

fn use_list(jobs: bool) -> HardwareList {
    let lists = expect_context::<HardwareLists>();
    let slot = if jobs { lists.jobs } else { lists.spaces };
    if let Some(list) = slot.get_value() {
        return list;
    }
    let hub_url = crate::auth::use_auth()
        .config
        .with_value(|c| c.hub_url.clone());
    let root = lists
        .root
        .upgrade()
        .expect("the app's root owner lives as long as its pages");
    let list = root.with(|| {
        LocalResource::new(move || {
            let hub_url = hub_url.clone();
            async move {
                let hub = crate::hub::client(&hub_url).ok()?;
                if jobs {
                    hub.job_hardware().await.ok()
                } else {
                    hub.space_hardware().await.ok()
                }
            }
        })
    });
    slot.set_value(Some(list));
    list
}

/// The prices of the Hub's job and Space hardware lists, `None` for a list that has not
/// answered (yet, or at all): [`sf_core::estimate`] falls back on the published prices.
pub fn use_price_lists() -> Signal<(Option<PriceList>, Option<PriceList>)> {
    let jobs = use_job_hardware();
    let spaces = use_space_hardware();
    let prices = Memo::new(move |_| {
        let list =
            |r: HardwareList| r.with(|l| l.as_ref().and_then(|l| l.as_deref().map(price_list)));
        (list(jobs), list(spaces))
    });
    prices.into()
}

/// A `<select>` of flavors.
#[component]
pub fn HardwareSelect(
    id: &'static str,
    choices: &'static [&'static str],
    #[prop(into)] value: Signal<String>,
    #[prop(into)] on_change: Callback<String>,
    #[prop(optional, into)] disabled: Signal<bool>,
) -> impl IntoView {
    let hub = use_space_hardware();
    view! {
        <select
            id=id
            disabled=move || disabled.get()
            prop:value=move || value.get()
            on:change=move |ev| on_change.run(event_target_value(&ev))
        >
            {move || {
                let list = hub.get().flatten();
                choices
                    .iter()
                    .map(|name| {
                        let text = label(name, list.as_deref());
                        view! { <option value=*name selected=move || value.get() == *name>{text}</option> }
                    })
                    .collect_view()
            }}
        </select>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flavor(name: &str, pretty: &str, cost: f64) -> HardwareFlavor {
        serde_json::from_value(serde_json::json!({
            "name": name, "prettyName": pretty, "unitCostUSD": cost, "unitLabel": "minute"
        }))
        .unwrap()
    }

    #[test]
    fn hub_names_and_prices_win_over_the_built_in_list() {
        let hub = vec![
            flavor("t4-small", "Nvidia T4 - small", 0.01),
            flavor("cpu-basic", "CPU basic", 0.0),
        ];
        assert_eq!(label("t4-small", Some(&hub)), "Nvidia T4 - small — $0.60/h");
        assert_eq!(label("cpu-basic", Some(&hub)), "CPU basic — free");
    }

    #[test]
    fn built_in_list_when_the_hub_does_not_answer() {
        let l = label("t4-small", None);
        assert!(l.contains("$0.40/h"), "{l}");
        assert!(label("zero-a10g", None).contains("ZeroGPU"));
        let hub = vec![flavor("zero-a10g", "ZeroGPU", 0.0)];
        assert_eq!(
            label("zero-a10g", Some(&hub)),
            "ZeroGPU — PRO, no hourly cost"
        );
        assert_eq!(label("mystery-gpu", None), "mystery-gpu");
    }
}
