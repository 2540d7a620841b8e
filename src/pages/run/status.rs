//! Where the run stands: its outcome once finished, else its current phase (the newer of
//! `state.json` and the last event), and the phases as a stepper.

use leptos::prelude::*;
use sf_core::record::{Phase, StateRead};
use sf_core::{RunKind, RunStatus};

use crate::components::StatusBadge;
use crate::run_data::RunSnapshot;

#[component]
pub fn StatusCard(snapshot: RunSnapshot) -> impl IntoView {
    let progress = snapshot
        .progress()
        .map(|p| (p.phase.label(), p.message.to_string()));
    let (badge, title, text, muted) = match (snapshot.state.state(), progress) {
        (Some(s), _) if s.status.is_final() => (
            s.status,
            s.status.label(),
            s.status.explanation().to_string(),
            Some(s.message.clone()).filter(|m| !m.is_empty()),
        ),
        (_, Some((phase, message))) => (RunStatus::Running, phase, String::new(), Some(message)),
        _ => (
            RunStatus::Running,
            "Waiting for the job",
            String::new(),
            None,
        ),
    };
    // Said even when the events tell the phase: a state that cannot be read is worth knowing.
    let note = state_note(&snapshot.state);
    view! {
        <section class="card status-card" data-testid="run-status">
            <div class="row"><StatusBadge status=badge /> <strong>{title}</strong></div>
            {(!text.is_empty()).then(|| view! { <p>{text}</p> })}
            {muted.map(|m| view! { <p class="muted">{m}</p> })}
            {note.map(|n| view! { <p class="muted">{n}</p> })}
        </section>
    }
}

/// Why there is no state to show, in one sentence.
fn state_note(state: &StateRead) -> Option<String> {
    match state {
        StateRead::State(_) => None,
        StateRead::NotWrittenYet => Some("The job has not written the run's state yet; it appears within seconds of the job starting.".to_string()),
        StateRead::Unsupported { schema } => Some(format!("This run was written by a newer Space Factory (record version {schema}); reload the page to get the newest app.")),
        StateRead::Unreadable { reason } => Some(format!("The run's state file could not be read: {reason}")),
    }
}

/// The phases of a run of `kind`: done, current, to do.
#[component]
pub fn PhaseStepper(kind: RunKind, current: Option<Phase>) -> impl IntoView {
    let at = current.and_then(|c| c.step_index(kind));
    let steps = Phase::steps(kind)
        .iter()
        .enumerate()
        .map(|(i, phase)| {
            let class = match at {
                Some(a) if i < a => "done",
                Some(a) if i == a => "current",
                _ => "todo",
            };
            view! { <li class=class>{phase.label()}</li> }
        })
        .collect_view();
    view! { <ol class="stepper" aria-label="Phases">{steps}</ol> }
}
