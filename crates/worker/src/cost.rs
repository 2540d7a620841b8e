//! What a run cost and what its Space costs from now on: the run's [`CostRecord`] and the
//! report's Cost section. The prices and the words for a Space's standing cost are
//! [`sf_core::estimate`]'s, shared with the app's pre-launch estimate.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use sf_core::estimate::{self, PriceFrom, PriceList, usd};
use sf_core::hardware::HardwareFlavor;
use sf_core::jobspec::JOB_FLAVOR;
use sf_core::record::{CostRecord, Level};
use sf_core::{RunLinks, SpaceRef};

use crate::Hub;
use crate::record::Recorder;

/// Hourly prices of the job and of the Space hardware, and where they come from.
#[derive(Debug, Clone, PartialEq)]
pub struct Prices {
    pub job: Option<f64>,
    pub space: Option<f64>,
    /// `hub` when both lists answered and named the flavors, else `built-in`.
    pub from: &'static str,
}

/// Looks the prices up in the Hub's lists (`None` when a list did not answer), falling back on
/// the published prices ([`sf_core::estimate::job_price`], [`sf_core::estimate::space_price`]).
pub fn prices(
    job_list: Option<&[sf_hub::types::HardwareFlavor]>,
    space_list: Option<&[sf_hub::types::HardwareFlavor]>,
    space_flavor: Option<&str>,
) -> Prices {
    let jobs = job_list.map(sf_hub::types::price_list);
    let spaces: Option<PriceList> = space_list.map(sf_hub::types::price_list);
    let job = estimate::job_price(jobs.as_ref(), JOB_FLAVOR);
    let space = space_flavor.map(|f| estimate::space_price(spaces.as_ref(), f));
    let from_hub = |p: Option<estimate::Price>| p.is_some_and(|p| p.from == PriceFrom::Hub);
    let from = if from_hub(job) && space.is_none_or(from_hub) {
        PriceFrom::Hub
    } else {
        PriceFrom::BuiltIn
    };
    Prices {
        job: job.map(|p| p.usd_per_hour),
        space: space.flatten().map(|p| p.usd_per_hour),
        from: from.as_str(),
    }
}

/// The cost record of a run that lasted `job_seconds`, whose Space (if it created one) ran
/// `space_seconds` on `space_flavor`, with `sleep` seconds of sleep time on billed hardware.
pub fn record(
    prices: &Prices,
    job_seconds: u64,
    space: Option<(&HardwareFlavor, u64)>,
    sleep: Option<u32>,
    paused: bool,
    by_hand: Vec<String>,
) -> CostRecord {
    let hours = |s: u64| s as f64 / 3600.0;
    let billed = space.is_some_and(|(f, _)| f.is_billed_hourly());
    let standing = match space {
        None => "no Space was created by this run".to_string(),
        Some((f, _)) if paused && !f.is_zerogpu() => {
            "paused: no charge until someone restarts it".to_string()
        }
        Some((f, _)) => estimate::standing(f, prices.space, sleep),
    };
    CostRecord {
        job_flavor: JOB_FLAVOR.to_string(),
        job_usd_per_hour: prices.job,
        job_seconds,
        job_usd: prices.job.map(|p| p * hours(job_seconds)),
        space_flavor: space.map(|(f, _)| f.to_string()),
        space_usd_per_hour: space.and(prices.space),
        space_paid_seconds: if billed {
            space.map_or(0, |(_, s)| s)
        } else {
            0
        },
        space_usd: match space {
            Some((_, s)) if billed => prices.space.map(|p| p * hours(s)),
            Some(_) => Some(0.0),
            None => None,
        },
        sleep_seconds: if billed { sleep } else { None },
        paused,
        standing,
        prices_from: prices.from.to_string(),
        by_hand,
    }
}

/// Pauses `space`, on `flavor`, so that it stops billing: an event says so. `Err` with what to
/// do by hand when the Hub refuses (OAuth tokens are refused some settings calls).
pub async fn pause(
    hub: &Hub,
    space: &SpaceRef,
    flavor: &HardwareFlavor,
    rec: &Recorder,
) -> Result<(), String> {
    match hub.pause_space(space).await {
        Ok(_) => {
            rec.event(
                Level::Info,
                &format!("Paused the Space so that its {flavor} hardware stops billing; restart it from its settings."),
                json!({"flavor": flavor.as_str()}),
            );
            Ok(())
        }
        Err(e) => {
            let text = format!(
                "Pause the Space (Settings → Pause): it runs on {flavor}, billed by the hour, and the Hub refused to pause it ({})",
                e.user_message()
            );
            rec.warn(&text);
            Err(text)
        }
    }
}

/// A Space the build created on hardware billed by the hour.
#[derive(Debug, Clone)]
pub struct PaidSpace {
    pub space: SpaceRef,
    pub flavor: HardwareFlavor,
    /// When the Space was created, and when the job started.
    pub created: Instant,
    pub job_started: Instant,
    pub sleep_seconds: u32,
}

/// The paid Space a build created, until its verdict settles the cost (`Build::settle_cost`
/// pauses it when the run did not succeed). Shared with the end of the job: a run that stops
/// without a verdict — an error, a cancellation (SIGTERM), its time limit — pauses it there
/// ([`pause_unsettled`]), so no way of ending leaves a GPU billing.
#[derive(Debug, Clone, Default)]
pub struct Unsettled(Arc<Mutex<Option<PaidSpace>>>);

impl Unsettled {
    fn slot(&self) -> std::sync::MutexGuard<'_, Option<PaidSpace>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The build created `paid` (kept only when its hardware is billed by the hour).
    pub fn created(&self, paid: PaidSpace) {
        if paid.flavor.is_billed_hourly() {
            *self.slot() = Some(paid);
        }
    }

    /// The build's verdict settles the cost itself: nothing is left for the end of the job.
    pub fn settle(&self) {
        *self.slot() = None;
    }

    fn take(&self) -> Option<PaidSpace> {
        self.slot().take()
    }
}

/// How long the end of a job that stopped without a verdict tries to pause its Space: a
/// cancelled job is killed some seconds after SIGTERM.
pub const PAUSE_PATIENCE: Duration = Duration::from_secs(10);

/// At the end of a run that stopped without a verdict: pauses the paid Space the build left
/// unsettled, records the run's cost (the published prices: there is no time to ask the Hub's
/// lists) and returns the sentence to add to the run's reason; `None` when there was none.
pub async fn pause_unsettled(
    hub: &Hub,
    unsettled: &Unsettled,
    rec: &Recorder,
    links: &RunLinks,
) -> Option<String> {
    let paid = unsettled.take()?;
    let settings = links.links.space_settings(&paid.space);
    let paused = tokio::time::timeout(PAUSE_PATIENCE, pause(hub, &paid.space, &paid.flavor, rec))
        .await
        .unwrap_or_else(|_| {
            Err(format!(
                "Pause the Space (Settings → Pause): it runs on {}, billed by the hour, and the Hub did not answer the pause within {} s",
                paid.flavor,
                PAUSE_PATIENCE.as_secs()
            ))
        });
    let flavor_name = paid.flavor.as_str().to_string();
    let cost = record(
        &prices(None, None, Some(&flavor_name)),
        paid.job_started.elapsed().as_secs(),
        Some((&paid.flavor, paid.created.elapsed().as_secs())),
        Some(paid.sleep_seconds),
        paused.is_ok(),
        paused.clone().err().into_iter().collect(),
    );
    rec.update(|s| s.cost = Some(cost));
    Some(match paused {
        Ok(()) => format!(
            "The Space was paused so that its {} hardware stops billing; restart it from its settings: {settings}",
            paid.flavor
        ),
        Err(by_hand) => format!("{by_hand}: {settings}"),
    })
}

/// The report's Cost section.
pub fn section(c: &CostRecord, settings_link: Option<&str>) -> String {
    let dur = |s: u64| format!("{}:{:02}", s / 60, s % 60);
    let money = |x: Option<f64>| x.map_or_else(|| "unknown".to_string(), usd);
    let mut lines = vec![format!(
        "- Job (`{}`, {}/h): {} min → {}",
        c.job_flavor,
        money(c.job_usd_per_hour),
        dur(c.job_seconds),
        money(c.job_usd)
    )];
    if let Some(f) = &c.space_flavor {
        lines.push(format!(
            "- Space (`{f}`, {}/h): {} min on paid hardware during the run → {}",
            money(c.space_usd_per_hour),
            dur(c.space_paid_seconds),
            money(c.space_usd)
        ));
    }
    lines.push(format!("- From now on: {}", c.standing));
    if let (true, Some(l)) = (c.paused, settings_link) {
        lines.push(format!(
            "- The run did not succeed, so the Space was paused to stop billing. Restart it from its settings when you want it back: {l}"
        ));
    }
    for what in &c.by_hand {
        lines.push(match settings_link {
            Some(l) => format!("- **Set by hand:** {what} — in the Space settings: {l}"),
            None => format!("- **Set by hand:** {what}"),
        });
    }
    lines.push(format!(
        "- Prices: {} (per hour; the Hub bills by the minute)",
        if c.prices_from == "hub" {
            "the Hub's hardware lists"
        } else {
            "the published prices built into Space Factory (the Hub's lists did not answer)"
        }
    ));
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(name: &str, micro: f64, unit: &str) -> sf_hub::types::HardwareFlavor {
        serde_json::from_value(json!({"name": name, "unitCostMicroUSD": micro, "unitLabel": unit}))
            .unwrap()
    }

    fn hw(s: &str) -> HardwareFlavor {
        HardwareFlavor::parse(s).unwrap()
    }

    #[test]
    fn hub_prices_win_and_built_in_is_the_fallback() {
        let jobs = [entry("cpu-basic", 167.0, "minute")];
        let spaces = [entry("l40sx1", 30_000.0, "minute")];
        let p = prices(Some(&jobs), Some(&spaces), Some("l40sx1"));
        assert_eq!(p.from, "hub");
        assert!((p.job.unwrap() - 0.01002).abs() < 1e-9);
        assert!((p.space.unwrap() - 1.8).abs() < 1e-9);
        let p = prices(None, None, Some("t4-small"));
        assert_eq!(
            (p.from, p.job, p.space),
            ("built-in", Some(0.01), Some(0.40))
        );
        // A flavor the Hub's list lacks: built-in price, and it says so.
        let p = prices(Some(&jobs), Some(&spaces), Some("a100-large"));
        assert_eq!((p.from, p.space), ("built-in", Some(2.5)));
    }

    #[test]
    fn records_for_paid_paused_zerogpu_and_free_cpu() {
        let p = prices(None, None, Some("l40sx1"));
        let c = record(
            &p,
            1200,
            Some((&hw("l40sx1"), 600)),
            Some(3600),
            false,
            vec![],
        );
        assert_eq!(c.standing, "$1.80/h until it sleeps after 1 h idle");
        assert!((c.space_usd.unwrap() - 0.3).abs() < 1e-9);
        assert_eq!(c.space_paid_seconds, 600);
        let c = record(
            &p,
            1200,
            Some((&hw("l40sx1"), 600)),
            Some(3600),
            true,
            vec![],
        );
        assert_eq!(c.standing, "paused: no charge until someone restarts it");
        let s = section(&c, Some("https://hub/spaces/a/b/settings"));
        assert!(
            s.contains("paused to stop billing") && s.contains("/settings"),
            "{s}"
        );
        let p = prices(None, None, Some("zero-a10g"));
        let c = record(&p, 60, Some((&hw("zero-a10g"), 30)), None, false, vec![]);
        assert!(
            c.standing.starts_with("ZeroGPU: free hosting"),
            "{}",
            c.standing
        );
        assert_eq!(
            (c.space_usd, c.space_paid_seconds, c.sleep_seconds),
            (Some(0.0), 0, None)
        );
        let p = prices(None, None, Some("cpu-basic"));
        let c = record(&p, 60, Some((&hw("cpu-basic"), 30)), None, false, vec![]);
        assert!(c.standing.contains("48 h"), "{}", c.standing);
        let c = record(&p, 60, None, None, false, vec!["Pause the Space".into()]);
        assert!(section(&c, None).contains("**Set by hand:** Pause the Space"));
    }
}
