//! Quick links out of the app: the job, the Space and its settings, the run's folder.

use leptos::prelude::*;
use sf_core::{BucketRef, Links, RunId, SpaceRef};
use sf_hub::types::JobInfo;

use crate::auth::use_auth;
use crate::run_data;

#[component]
pub fn QuickLinks(
    job: Option<JobInfo>,
    target_space: Option<SpaceRef>,
    bucket: Option<BucketRef>,
    run_id: RunId,
) -> impl IntoView {
    let auth = use_auth();
    let links = Links::new(&auth.config.with_value(|c| c.hub_url.clone()));
    let mut items = Vec::new();
    if let Some(j) = &job {
        items.push((
            "Open HF Job ↗",
            links.job(&run_data::job_owner(j, &auth), &j.id),
        ));
    }
    if let Some(space) = &target_space {
        items.push(("Open target Space ↗", links.space(space)));
        items.push(("Open Space settings ↗", links.space_settings(space)));
    }
    if let Some(b) = &bucket {
        items.push(("Open run artifacts ↗", links.bucket_run_folder(b, &run_id)));
    }
    let items = items
        .into_iter()
        .map(|(label, href)| view! { <a class="button" href=href target="_blank" rel="noopener noreferrer">{label}</a> })
        .collect_view();
    view! { <div class="row quick-links" data-testid="quick-links">{items}</div> }
}
