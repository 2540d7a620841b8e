//! `report.md` rendered safely: Markdown to HTML where raw HTML is shown as text, and links and
//! images keep only http(s) addresses. Pure; tested natively.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd};

fn is_web_url(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

/// HTML for `markdown` that is safe to insert into the page.
pub fn to_safe_html(markdown: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    options.insert(Options::ENABLE_TASKLISTS);
    // Links whose target is not http(s) lose the link (their text stays); their end tags go too.
    let mut dropped_links = Vec::new();
    let events = Parser::new_ext(markdown, options).filter_map(move |event| match event {
        Event::Html(html) | Event::InlineHtml(html) => Some(Event::Text(html)),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => {
            let keep = is_web_url(&dest_url);
            dropped_links.push(!keep);
            keep.then_some(Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }))
        }
        Event::End(TagEnd::Link) => {
            let dropped = dropped_links.pop().unwrap_or(false);
            (!dropped).then_some(Event::End(TagEnd::Link))
        }
        // Images would load from anywhere (and bucket files need the token): show a link instead.
        Event::Start(Tag::Image { dest_url, .. }) => {
            let keep = is_web_url(&dest_url);
            dropped_links.push(!keep);
            keep.then_some(Event::Start(Tag::Link {
                link_type: pulldown_cmark::LinkType::Inline,
                dest_url,
                title: CowStr::Borrowed(""),
                id: CowStr::Borrowed(""),
            }))
        }
        Event::End(TagEnd::Image) => {
            let dropped = dropped_links.pop().unwrap_or(false);
            (!dropped).then_some(Event::End(TagEnd::Link))
        }
        other => Some(other),
    });
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events);
    // Links open in a new tab without giving it access to this page.
    html.replace(
        "<a href=",
        "<a target=\"_blank\" rel=\"noopener noreferrer\" href=",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_is_rendered() {
        let html = to_safe_html(
            "# Verdict\n\n**full_inference_success** — see [the Space](https://huggingface.co/spaces/a/b).\n\n| a | b |\n|---|---|\n| 1 | 2 |",
        );
        assert!(html.contains("<h1>Verdict</h1>"));
        assert!(html.contains("<strong>full_inference_success</strong>"));
        assert!(html.contains(r#"href="https://huggingface.co/spaces/a/b""#));
        assert!(html.contains("rel=\"noopener noreferrer\""));
        assert!(html.contains("<table>"));
    }

    #[test]
    fn raw_html_is_shown_as_text() {
        let html = to_safe_html(
            "before <script>alert(1)</script> <img src=x onerror=alert(2)>\n\n<div onclick=\"x()\">block</div>",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("<div"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }

    #[test]
    fn only_web_links_survive() {
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "data:text/html,x",
            "vbscript:x",
            "file:///etc/passwd",
        ] {
            let html = to_safe_html(&format!("[click]({bad}) and ![pic]({bad})"));
            assert!(
                !html
                    .to_ascii_lowercase()
                    .contains(&bad.to_ascii_lowercase()[..6]),
                "{bad}: {html}"
            );
            assert!(html.contains("click"), "{html}");
        }
        let html = to_safe_html("<javascript:alert(1)>");
        assert!(!html.contains("href=\"javascript"), "{html}");
    }

    /// The run page shows the report's next steps; rule 7c's, with the Space settings as an
    /// autolink (as the worker writes it), links the settings page.
    #[test]
    fn the_space_token_next_step_links_the_settings() {
        let settings = "https://huggingface.co/spaces/a/b/settings";
        let step = sf_core::rules::space_token_next_step(&format!("<{settings}>"));
        let html = to_safe_html(&format!("## Next steps\n\n- {step}\n"));
        assert!(
            html.contains(&format!(r#"href="{settings}">{settings}</a>"#)),
            "{html}"
        );
        assert!(
            html.contains("<code>HF_TOKEN</code>") && html.contains("then Validate this Space."),
            "{html}"
        );
    }

    #[test]
    fn images_become_links() {
        let html = to_safe_html("![output](https://example.org/a.png)");
        assert!(!html.contains("<img"));
        assert!(html.contains(r#"href="https://example.org/a.png""#));
    }
}
