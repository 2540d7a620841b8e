//! Every internal address of the app, in one place. Pages are all `index.html`: the view is the
//! `view` query parameter, a run is `run` and a batch `batch`, so every URL works on a static host with no
//! rewrite rules. Links and navigation use [`Page::href`], [`run_href`] and [`SIGN_IN_HREF`],
//! never a literal query string.

/// The views of the app, named by the `view` query parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Page {
    Home,
    Build,
    Batch,
    Validate,
    Runs,
    About,
}

/// The start page's sign-in panel.
pub const SIGN_IN_HREF: &str = "?view=home#sign-in";

/// The page of one batch: `?batch=<batch id>`.
pub fn batch_href(batch_id: &str) -> String {
    format!("?batch={batch_id}")
}

/// The page of one run: `?run=<run id>`.
pub fn run_href(run_id: &str) -> String {
    format!("?run={run_id}")
}

impl Page {
    pub const NAV: [Page; 6] = [
        Page::Home,
        Page::Build,
        Page::Batch,
        Page::Validate,
        Page::Runs,
        Page::About,
    ];

    pub fn from_query(view: Option<&str>) -> Option<Page> {
        match view.unwrap_or("") {
            "" | "home" => Some(Page::Home),
            "build" => Some(Page::Build),
            "batch" => Some(Page::Batch),
            "validate" => Some(Page::Validate),
            "runs" => Some(Page::Runs),
            "about" => Some(Page::About),
            _ => None,
        }
    }

    pub fn href(self) -> &'static str {
        match self {
            Page::Home => "?",
            Page::Build => "?view=build",
            Page::Batch => "?view=batch",
            Page::Validate => "?view=validate",
            Page::Runs => "?view=runs",
            Page::About => "?view=about",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Page::Home => "Home",
            Page::Build => "Build",
            Page::Batch => "Batch",
            Page::Validate => "Validate",
            Page::Runs => "Runs",
            Page::About => "About & limits",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_is_found_again_from_its_own_address() {
        for page in Page::NAV {
            let view = page.href().strip_prefix("?view=");
            assert_eq!(Page::from_query(view), Some(page), "{page:?}");
        }
        assert_eq!(Page::from_query(Some("nope")), None);
        assert_eq!(run_href("build-1"), "?run=build-1");
        assert_eq!(batch_href("batch-1"), "?batch=batch-1");
        assert!(SIGN_IN_HREF.starts_with("?view=home#"));
    }

    /// The first screen (index.html, drawn before the wasm runs) shows the app's own navigation,
    /// so nothing moves when the app mounts: the same links, in the same order.
    #[test]
    fn the_first_screen_has_the_apps_navigation() {
        let page = include_str!("../index.html");
        let nav = page
            .split("<nav class=\"nav\" aria-label=\"Main\">")
            .nth(1)
            .and_then(|rest| rest.split("</nav>").next())
            .expect("index.html has the app's navigation");
        let want: String = Page::NAV
            .iter()
            .map(|p| {
                format!(
                    "<a href=\"{}\">{}</a>",
                    p.href(),
                    p.title().replace('&', "&amp;")
                )
            })
            .collect();
        assert_eq!(nav, want);
    }
}
