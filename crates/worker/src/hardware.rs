//! Creating the private Space with hardware: the preferred flavor first, then the fixed-GPU
//! fallback when allowed, then the default CPU. Each attempt and the Hub's reason for a refusal
//! is recorded.

use serde_json::json;
use sf_core::record::{HardwareAttempt, Level};
use sf_core::{HardwareFlavor, SpaceRef};
use sf_hub::{HubError, NewSpace};

use crate::Hub;
use crate::record::Recorder;

/// The flavor a Space gets when none is asked for.
pub const DEFAULT_FLAVOR: &str = "cpu-basic";

/// The attempts to make, in order: `Some(flavor)`, and `None` for the Hub's default (CPU).
pub fn candidates(
    preferred: &HardwareFlavor,
    fallback: Option<&HardwareFlavor>,
) -> Vec<Option<String>> {
    if preferred.is_cpu_only() {
        return vec![Some(preferred.to_string())];
    }
    let mut out = vec![Some(preferred.to_string())];
    if let Some(f) = fallback.filter(|f| *f != preferred) {
        out.push(Some(f.to_string()));
    }
    out.push(None);
    out
}

/// Whether a failed creation is a refusal of the hardware (so the next flavor may work), as
/// opposed to a problem that no other flavor solves (sign-in, existing Space, Hub outage).
pub fn is_hardware_refusal(e: &HubError) -> bool {
    matches!(e.status(), Some(s) if (400..500).contains(&s) && s != 401 && s != 404 && s != 409 && s != 429)
}

/// How the creation went.
#[derive(Debug)]
pub enum Created {
    /// The Space exists now, with `flavor` asked for.
    Yes { flavor: String },
    /// The Space already existed: nothing was changed.
    AlreadyExists,
    /// It could not be created.
    No(HubError),
}

/// Creates the private Gradio Space `space_id`, trying the candidates in order; every attempt
/// is added to the run's hardware record and becomes an event.
pub async fn create_space(
    hub: &Hub,
    space_id: &SpaceRef,
    preferred: &HardwareFlavor,
    fallback: Option<&HardwareFlavor>,
    sleep_seconds: u32,
    rec: &Recorder,
) -> Created {
    let list = candidates(preferred, fallback);
    let mut last_error = None;
    for (i, candidate) in list.iter().enumerate() {
        let flavor = candidate
            .clone()
            .unwrap_or_else(|| DEFAULT_FLAVOR.to_string());
        if i > 0 {
            rec.phase(
                sf_core::Phase::AssigningHardware,
                &format!("Trying the Space with {flavor} hardware"),
            );
        }
        let mut new = NewSpace::private_gradio(space_id.clone());
        new.hardware = candidate.clone();
        // Paid hardware bills until the Space sleeps: ask for the sleep time in the create call
        // itself (OAuth tokens may be refused the later /sleeptime call). ZeroGPU and cpu-basic
        // take none.
        new.sleep_time_seconds = HardwareFlavor::parse(&flavor)
            .is_ok_and(|f| f.is_billed_hourly())
            .then_some(sleep_seconds);
        match hub.create_space(&new).await {
            Ok(_) => {
                rec.update(|s| {
                    s.hardware.attempts.push(HardwareAttempt {
                        flavor: flavor.clone(),
                        ok: true,
                        reason: None,
                    });
                    s.hardware.assigned = Some(flavor.clone());
                });
                rec.event(
                    Level::Info,
                    &format!("Created the private Space {space_id} with {flavor} hardware."),
                    json!({"flavor": flavor}),
                );
                return Created::Yes { flavor };
            }
            Err(e) if e.is_conflict() => return Created::AlreadyExists,
            Err(e) if is_hardware_refusal(&e) && i + 1 < list.len() => {
                let reason = e
                    .server_message()
                    .map(str::to_string)
                    .unwrap_or_else(|| e.user_message());
                rec.update(|s| {
                    s.hardware.attempts.push(HardwareAttempt {
                        flavor: flavor.clone(),
                        ok: false,
                        reason: Some(format!("HTTP {}: {reason}", e.status().unwrap_or(0))),
                    })
                });
                rec.event(
                    Level::Warn,
                    &format!("The Hub refused {flavor} hardware: {reason}"),
                    json!({"flavor": flavor, "status": e.status()}),
                );
                last_error = Some(e);
            }
            Err(e) => {
                rec.update(|s| {
                    s.hardware.attempts.push(HardwareAttempt {
                        flavor: flavor.clone(),
                        ok: false,
                        reason: Some(e.user_message()),
                    })
                });
                return Created::No(e);
            }
        }
    }
    Created::No(last_error.unwrap_or_else(|| {
        HubError::InvalidInput("No hardware to try; this is a bug in Space Factory.".to_string())
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hw(s: &str) -> HardwareFlavor {
        HardwareFlavor::parse(s).unwrap()
    }

    #[test]
    fn candidate_order() {
        assert_eq!(
            candidates(&hw("zero-a10g"), Some(&hw("l40sx1"))),
            vec![Some("zero-a10g".into()), Some("l40sx1".into()), None]
        );
        assert_eq!(
            candidates(&hw("zero-a10g"), None),
            vec![Some("zero-a10g".into()), None]
        );
        assert_eq!(
            candidates(&hw("l40sx1"), Some(&hw("l40sx1"))),
            vec![Some("l40sx1".into()), None]
        );
        assert_eq!(
            candidates(&hw("cpu-basic"), Some(&hw("l40sx1"))),
            vec![Some("cpu-basic".into())]
        );
    }
}
