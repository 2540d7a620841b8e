//! The router and the layout. Every page is `index.html`: which view (and which run) is shown
//! lives in the query string, so URLs are bookmarkable on a static host with no rewrite rules.

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::hooks::use_query_map;
use leptos_router::path;

use crate::auth::provide_auth;
use crate::bucket::provide_run_bucket;
use crate::components::Account;
use crate::hardware::provide_hardware_lists;
use crate::pages;
use crate::pages::on_demand;
use crate::routes::Page;
use crate::theme::ThemeToggle;

#[component]
pub fn App() -> impl IntoView {
    // Before the router reads the address: a sign-in redirect is finished and cleaned from it.
    provide_auth();
    provide_run_bucket();
    // Here, not in a page: a page switch disposes what the page created.
    provide_hardware_lists();
    view! {
        <Router>
            <Routes fallback=|| view! { <Layout><pages::NotFound /></Layout> }>
                <Route path=path!("/") view=Shell />
                <Route path=path!("/index.html") view=Shell />
            </Routes>
        </Router>
    }
}

/// Picks the view from the query string.
#[component]
fn Shell() -> impl IntoView {
    let query = use_query_map();
    let page = Memo::new(move |_| Page::from_query(query.read().get("view").as_deref()));
    let run = Memo::new(move |_| query.read().get("run"));
    let batch = Memo::new(move |_| query.read().get("batch"));
    // A run's page belongs to the runs, a batch's to the batch view.
    let current = Signal::derive(move || {
        if run.with(Option::is_some) {
            Some(Page::Runs)
        } else if batch.with(Option::is_some) {
            Some(Page::Batch)
        } else {
            page.get()
        }
    });
    view! {
        <Layout current=current>
            {move || match (run.get(), batch.get(), page.get()) {
                // Home and Build are in the main module; the other views load their code when
                // opened (pages::on_demand).
                (Some(run), _, _) => on_demand::render(on_demand::run(run)),
                (None, Some(batch), _) => on_demand::render(on_demand::batch_page(batch)),
                (None, None, page) => match page {
                Some(Page::Home) => pages::Home().into_any(),
                Some(Page::Build) => pages::Build().into_any(),
                Some(Page::Batch) => on_demand::render(on_demand::batch()),
                Some(Page::Validate) => on_demand::render(on_demand::validate()),
                Some(Page::Runs) => on_demand::render(on_demand::runs()),
                Some(Page::About) => on_demand::render(on_demand::about()),
                None => pages::NotFound().into_any(),
                },
            }}
        </Layout>
    }
}

#[component]
fn Layout(
    #[prop(optional, into)] current: Option<Signal<Option<Page>>>,
    children: Children,
) -> impl IntoView {
    let nav = Page::NAV.map(|p| {
        let is_current = move || current.map(|c| c.get() == Some(p)).unwrap_or(false);
        view! {
            <a href=p.href() aria-current=move || is_current().then_some("page")>
                {p.title()}
            </a>
        }
    });
    view! {
        <header class="topbar">
            <a class="brand" href=Page::Home.href()>
                // Inline (the same drawing as public/favicon.svg): one request fewer on first load.
                <svg class="logo" viewBox="0 0 64 64" aria-hidden="true">
                    <rect width="64" height="64" rx="14" fill="#ff9d00"></rect>
                    <path d="M12 50V30l12 8V30l12 8V22h16v28z" fill="#1f2937"></path>
                </svg>
                "Space Factory"
            </a>
            <nav class="nav" aria-label="Main">{nav.into_iter().collect_view()}</nav>
            <span class="spacer"></span>
            <Account />
            <ThemeToggle />
        </header>
        <main class="page">{children()}</main>
        <footer class="footer">
            "Space Factory creates private Spaces and never publishes anything by itself. "
            <a href=Page::About.href()>"What it can and cannot do"</a>
        </footer>
    }
}
