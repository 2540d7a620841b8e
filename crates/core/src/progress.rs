//! Where a run stands now, read from its two files.
//!
//! The worker writes `state.json` and `events.jsonl` separately, and a reader of the Hub's API
//! may see one of them fresher than the other (the listing can lag behind a write). The page must
//! never show a run going backwards, so it takes whichever of the two was written last: the
//! state's `updated_at` against the newest event's `ts`. A finished state always wins (its
//! outcome is final), and so does the state on a tie or when a time cannot be read.

use crate::ids::UtcDateTime;
use crate::record::{Event, Phase, RunState};

/// The current phase and what is happening in it, in human words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress<'a> {
    pub phase: Phase,
    pub message: &'a str,
    /// Whether it comes from the newest event rather than from `state.json`.
    pub from_event: bool,
}

/// The newer of the state and the last event (see the module documentation); `None` when the
/// run has neither yet.
pub fn current<'a>(state: Option<&'a RunState>, events: &'a [Event]) -> Option<Progress<'a>> {
    let from_state = state.map(|s| Progress {
        phase: s.phase,
        message: &s.message,
        from_event: false,
    });
    let Some(last) = events.last() else {
        return from_state;
    };
    let from_event = Progress {
        phase: last.phase,
        message: &last.message,
        from_event: true,
    };
    let Some(s) = state else {
        return Some(from_event);
    };
    if s.status.is_final() {
        return from_state;
    }
    let time = |t: &str| UtcDateTime::parse_rfc3339(t).map(|d| d.to_unix());
    match (time(&last.ts), time(&s.updated_at)) {
        (Some(event_at), Some(state_at)) if event_at > state_at => Some(from_event),
        _ => from_state,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{RunId, RunKind};
    use crate::record::{Level, RunStatus};

    fn state(phase: Phase, updated_at: &str) -> RunState {
        let mut s = RunState::new(
            RunId::parse("build-20261128-142501-a3f9c2").unwrap(),
            RunKind::Build,
            "2026-11-28T14:25:01Z",
        );
        s.enter_phase(phase, "from the state", updated_at);
        s
    }

    fn event(phase: Phase, ts: &str) -> Event {
        Event {
            ts: ts.into(),
            level: Level::Info,
            phase,
            message: "from the events".into(),
            data: serde_json::Value::Null,
        }
    }

    #[test]
    fn events_fresher_than_the_state_win() {
        let s = state(Phase::ReadingModel, "2026-11-28T14:26:00Z");
        let events = [
            event(Phase::ReadingModel, "2026-11-28T14:25:59Z"),
            event(Phase::Agent, "2026-11-28T14:26:05Z"),
        ];
        let p = current(Some(&s), &events).unwrap();
        assert_eq!(
            (p.phase, p.message, p.from_event),
            (Phase::Agent, "from the events", true)
        );
    }

    #[test]
    fn a_state_fresher_than_the_events_wins() {
        let s = state(Phase::CreatingSpace, "2026-11-28T14:30:00Z");
        let events = [event(Phase::Agent, "2026-11-28T14:26:05Z")];
        let p = current(Some(&s), &events).unwrap();
        assert_eq!(
            (p.phase, p.message, p.from_event),
            (Phase::CreatingSpace, "from the state", false)
        );
    }

    #[test]
    fn fractions_and_offsets_are_compared_as_times_not_text() {
        // As text, "…:00.900Z" sorts before "…:00Z"; as times they are the same second, and a
        // tie goes to the state. An offset is converted: 15:26:05+01:00 is 14:26:05Z.
        let s = state(Phase::Agent, "2026-11-28T14:26:00Z");
        let tie = [event(Phase::ReadingModel, "2026-11-28T14:26:00.900Z")];
        assert_eq!(current(Some(&s), &tie).unwrap().phase, Phase::Agent);
        let later = [event(Phase::CheckingFiles, "2026-11-28T15:26:05+01:00")];
        assert_eq!(
            current(Some(&s), &later).unwrap().phase,
            Phase::CheckingFiles
        );
    }

    #[test]
    fn a_finished_state_is_final_whatever_the_events_say() {
        let mut s = state(Phase::SmokeTest, "2026-11-28T14:26:00Z");
        s.finish(
            RunStatus::FullInferenceSuccess,
            "Generation works.",
            "2026-11-28T14:27:00Z",
        );
        let events = [event(Phase::Reporting, "2026-11-28T14:28:00Z")];
        let p = current(Some(&s), &events).unwrap();
        assert_eq!((p.phase, p.from_event), (Phase::Finished, false));
    }

    #[test]
    fn one_file_alone_or_unreadable_times() {
        let events = [event(Phase::Starting, "2026-11-28T14:25:02Z")];
        assert_eq!(current(None, &events).unwrap().phase, Phase::Starting);
        let s = state(Phase::Agent, "2026-11-28T14:26:00Z");
        assert_eq!(current(Some(&s), &[]).unwrap().phase, Phase::Agent);
        assert_eq!(current(None, &[]), None);
        let garbled = [event(Phase::Reporting, "yesterday")];
        assert_eq!(current(Some(&s), &garbled).unwrap().phase, Phase::Agent);
    }
}
