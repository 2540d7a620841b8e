//! The run's events (`events.jsonl`) as a timeline, and its report (Markdown, rendered without
//! raw HTML or non-web links).

use leptos::prelude::*;
use sf_core::record::{EventsRead, Level};

use crate::markdown;

#[component]
pub fn Events(events: EventsRead, run_ended: bool) -> impl IntoView {
    let note = events_note(&events, run_ended);
    let list = (!events.events.is_empty()).then(|| {
        let items = events
            .events
            .into_iter()
            .map(|e| {
                let level = match e.level {
                    Level::Info => "info",
                    Level::Warn => "warn",
                    Level::Error => "bad",
                };
                view! {
                    <li class=level>
                        <time>{short_time(&e.ts)}</time>
                        <span class="phase">{e.phase.label()}</span>
                        <span class="msg">{e.message}</span>
                    </li>
                }
            })
            .collect_view();
        view! { <ol class="timeline" data-testid="events">{items}</ol> }
    });
    view! {
        <section class="card">
            <h2>"Events"</h2>
            {list}
            {note.map(|n| view! { <p class="muted" data-testid="events-note">{n}</p> })}
        </section>
    }
}

/// What to say besides the events themselves: that there are none yet (or none at all), and
/// how many lines of `events.jsonl` could not be read, so a damaged file never reads as empty.
pub fn events_note(events: &EventsRead, run_ended: bool) -> Option<String> {
    let bad = events.unreadable_lines;
    let lines = if bad == 1 { "line" } else { "lines" };
    match (events.events.is_empty(), bad) {
        (true, 0) if run_ended => Some("No events were recorded for this run.".into()),
        (true, 0) => Some("No events yet. The job may still be scheduling.".into()),
        (true, _) => Some(format!(
            "No event could be shown: {bad} {lines} of the run's events.jsonl could not be read."
        )),
        (false, 0) => None,
        (false, _) => Some(format!(
            "{bad} {lines} of the run's events.jsonl could not be read and {} not shown.",
            if bad == 1 { "is" } else { "are" }
        )),
    }
}

/// `2026-11-28T14:25:01Z` → `14:25:01`.
fn short_time(ts: &str) -> String {
    ts.split('T')
        .nth(1)
        .map(|t| t.trim_end_matches('Z').chars().take(8).collect())
        .unwrap_or_else(|| ts.to_string())
}

#[component]
pub fn Report(report: Option<String>) -> impl IntoView {
    let body = match report {
        Some(md) => view! { <div class="report" data-testid="report" inner_html=markdown::to_safe_html(&md)></div> }.into_any(),
        None => view! { <p class="muted">"No report yet: the job writes it when the run ends."</p> }.into_any(),
    };
    view! { <section class="card"><h2>"Report"</h2>{body}</section> }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sf_core::record::parse_events;

    #[test]
    fn event_times_are_shortened() {
        assert_eq!(short_time("2026-11-28T14:25:01Z"), "14:25:01");
        assert_eq!(short_time("2026-11-28T14:25:01.123Z"), "14:25:01");
        assert_eq!(short_time("garbage"), "garbage");
    }

    #[test]
    fn unreadable_event_lines_are_counted_never_shown_as_no_events() {
        let good = r#"{"ts":"2026-11-28T14:25:02Z","level":"info","phase":"starting","message":"Run started"}"#;
        // Only bad lines: not "No events yet".
        let only_bad = parse_events("not json\n{\"half\": \n");
        assert_eq!(
            events_note(&only_bad, false).as_deref(),
            Some("No event could be shown: 2 lines of the run's events.jsonl could not be read.")
        );
        // Some good, one bad: the good ones show, the bad one is counted.
        let mixed = parse_events(&format!("{good}\ngarbage\n"));
        assert_eq!(mixed.events.len(), 1);
        assert_eq!(
            events_note(&mixed, true).as_deref(),
            Some("1 line of the run's events.jsonl could not be read and is not shown.")
        );
        // Nothing wrong: no note beside the events; an empty file says why it is empty.
        assert_eq!(
            events_note(&parse_events(&format!("{good}\n")), false),
            None
        );
        assert_eq!(
            events_note(&parse_events(""), false).as_deref(),
            Some("No events yet. The job may still be scheduling.")
        );
        assert_eq!(
            events_note(&parse_events(""), true).as_deref(),
            Some("No events were recorded for this run.")
        );
    }
}
