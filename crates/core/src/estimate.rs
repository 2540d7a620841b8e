//! Prices and the pre-launch cost estimate.
//!
//! One place for money: hourly prices read from the Hub's hardware lists (`unitCostMicroUSD`
//! per `unitLabel`, see [`hourly_price`]) with the published prices of
//! [`crate::hardware::BUILT_IN`] as the fallback ([`job_price`], [`space_price`]); how a Space is
//! billed from now on in words ([`standing`]); dollars as text ([`usd`]); and what a run can
//! cost before it launches ([`Estimate`]). The worker's cost record and the app's forms, run page
//! and batch view all read these.
//!
//! Core does not know the Hub client's types: a caller turns a Hub hardware list into a
//! [`PriceList`] (`sf_hub::types::price_list`).

use crate::decimal::fixed;
use crate::hardware::{self, HardwareFlavor};

/// Published price of the `cpu-basic` job flavor, per hour (the Hub lists 167 micro-USD per
/// minute); the Space flavor of the same name is free.
pub const JOB_CPU_BASIC_USD_PER_HOUR: f64 = 0.01;

/// What ZeroGPU costs, in words.
pub const ZEROGPU_NOTE: &str = "ZeroGPU: free hosting (PRO: up to 10 Spaces); each call uses the daily GPU quota (free 5 min, PRO 40 min), beyond it billed";

/// The hourly price of one entry of a Hub hardware list: `unitCostMicroUSD` (else
/// `unitCostUSD`) per `unitLabel` (`second`, `minute` — the default — or `hour`); `None` when
/// there is no price or the unit is unknown. Rounded to whole micro-dollars per hour, so that
/// 30000 µ$/min is $1.80/h, not 1.7999999999999998.
pub fn hourly_price(
    unit_cost_micro_usd: Option<f64>,
    unit_cost_usd: Option<f64>,
    unit_label: Option<&str>,
) -> Option<f64> {
    let per_unit = unit_cost_micro_usd
        .map(|m| m / 1_000_000.0)
        .or(unit_cost_usd)?;
    let units_per_hour = match unit_label.unwrap_or("minute") {
        "second" => 3600.0,
        "minute" => 60.0,
        "hour" => 1.0,
        _ => return None,
    };
    let h = (per_unit * units_per_hour * 1e6).round() / 1e6;
    (h.is_finite() && h >= 0.0).then_some(h)
}

/// Hourly prices by flavor name, from one of the Hub's hardware lists (`/api/jobs/hardware` or
/// `/api/spaces/hardware`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PriceList(Vec<(String, f64)>);

impl PriceList {
    /// From `(name, hourly price)` pairs; entries without a price are left out.
    pub fn new(entries: impl IntoIterator<Item = (String, Option<f64>)>) -> PriceList {
        PriceList(
            entries
                .into_iter()
                .filter_map(|(n, p)| Some((n, p?)))
                .collect(),
        )
    }

    /// The hourly price of `flavor`, if the list gives one.
    pub fn get(&self, flavor: &str) -> Option<f64> {
        self.0.iter().find(|(n, _)| n == flavor).map(|(_, p)| *p)
    }
}

/// Where a price comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriceFrom {
    /// The Hub's hardware list.
    Hub,
    /// The published prices built into Space Factory.
    BuiltIn,
}

impl PriceFrom {
    /// `hub` or `built-in`, as `state.json`'s `cost.prices_from` has it.
    pub fn as_str(self) -> &'static str {
        match self {
            PriceFrom::Hub => "hub",
            PriceFrom::BuiltIn => "built-in",
        }
    }

    /// The source in words.
    pub fn describe(self) -> &'static str {
        match self {
            PriceFrom::Hub => "the Hub's hardware list",
            PriceFrom::BuiltIn => "the published prices (the Hub's list did not answer)",
        }
    }
}

/// An hourly price and its source.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Price {
    pub usd_per_hour: f64,
    pub from: PriceFrom,
}

/// The hourly price of a job flavor: the Hub's job list, else the published price (only
/// `cpu-basic`, the flavor the factory's jobs use, is known).
pub fn job_price(hub: Option<&PriceList>, flavor: &str) -> Option<Price> {
    if let Some(p) = hub.and_then(|l| l.get(flavor)) {
        return Some(Price {
            usd_per_hour: p,
            from: PriceFrom::Hub,
        });
    }
    (flavor == "cpu-basic").then_some(Price {
        usd_per_hour: JOB_CPU_BASIC_USD_PER_HOUR,
        from: PriceFrom::BuiltIn,
    })
}

/// The hourly price of Space hardware: the Hub's Space list, else [`hardware::BUILT_IN`]; `None`
/// for an unknown flavor and for ZeroGPU (not billed by the hour).
pub fn space_price(hub: Option<&PriceList>, flavor: &str) -> Option<Price> {
    if let Some(p) = hub.and_then(|l| l.get(flavor)) {
        return Some(Price {
            usd_per_hour: p,
            from: PriceFrom::Hub,
        });
    }
    hardware::lookup(flavor)?.usd_per_hour.map(|p| Price {
        usd_per_hour: p,
        from: PriceFrom::BuiltIn,
    })
}

/// Dollars as text: `$1.80`, `$0.40`, `$0.03`, `$0.0123` (four decimals below a dollar, trailing
/// zeros cut down to two).
pub fn usd(x: f64) -> String {
    // `decimal::fixed` is `format!("{x:.2}")` without core's float printer in the wasm.
    if x >= 1.0 || x == 0.0 {
        return format!("${}", fixed(x, 2));
    }
    let s = fixed(x, 4);
    let trimmed = s.trim_end_matches('0');
    let decimals = trimmed.split('.').nth(1).map_or(0, str::len);
    if decimals < 2 {
        format!("${}", fixed(x, 2))
    } else {
        format!("${trimmed}")
    }
}

/// Dollars to the cent, for estimates (a recorded cost keeps [`usd`]'s precision): `$7.23`,
/// `$0.03`, and `under $0.01` for a positive amount that rounds to nothing.
pub fn cents(x: f64) -> String {
    if x > 0.0 && x < 0.005 {
        "under $0.01".to_string()
    } else {
        format!("${}", fixed(x, 2))
    }
}

/// What a Space on `flavor` costs from now on, in words: ZeroGPU's quota, the free CPU that
/// sleeps by itself, or "$1.80/h until it sleeps after 1 h idle" (`usd_per_hour` `None`: the
/// price is unknown; `sleep_s` `None`: no sleep time set).
pub fn standing(
    flavor: &HardwareFlavor,
    usd_per_hour: Option<f64>,
    sleep_s: Option<u32>,
) -> String {
    if flavor.is_zerogpu() {
        return ZEROGPU_NOTE.to_string();
    }
    if !flavor.is_billed_hourly() {
        return format!(
            "{flavor}: free; it sleeps after {} idle by itself",
            hardware::duration_label(u64::from(hardware::FREE_CPU_SLEEP_S))
        );
    }
    let rate = usd_per_hour.map_or_else(
        || format!("{flavor} (price unknown)"),
        |p| format!("{}/h", usd(p)),
    );
    match sleep_s {
        Some(s) => format!(
            "{rate} until it sleeps after {} idle",
            hardware::duration_label(u64::from(s))
        ),
        None => format!("{rate} while it runs: no sleep time is set"),
    }
}

/// What a run is set to do, for its estimate.
#[derive(Debug, Clone, PartialEq)]
pub struct EstimateInput<'a> {
    /// The job's flavor ([`crate::jobspec::JOB_FLAVOR`]).
    pub job_flavor: &'a str,
    /// The job's time limit ([`crate::jobspec::time_limit_s`]).
    pub time_limit_s: u32,
    /// The Space hardware asked for first; `None` when the run creates no Space (validate).
    pub preferred: Option<&'a HardwareFlavor>,
    /// The fixed GPU tried when the preferred hardware is refused; `None` when not allowed.
    pub fallback: Option<&'a HardwareFlavor>,
    /// The sleep time of a Space on paid hardware.
    pub sleep_s: u32,
}

/// The job's part of an estimate.
#[derive(Debug, Clone, PartialEq)]
pub struct JobEstimate {
    pub flavor: String,
    pub price: Option<Price>,
    pub time_limit_s: u32,
}

impl JobEstimate {
    /// Price × time limit: what the job costs if it runs until it is stopped.
    pub fn worst_usd(&self) -> Option<f64> {
        self.price
            .map(|p| p.usd_per_hour * f64::from(self.time_limit_s) / 3600.0)
    }
}

/// How a Space the run may create is billed.
#[derive(Debug, Clone, PartialEq)]
pub enum Hosting {
    /// ZeroGPU: free hosting within the person's quota.
    ZeroGpu,
    /// Free CPU that sleeps by itself.
    Free,
    /// Billed by the hour while it runs, until it sleeps after `sleep_s` idle; `price` `None`
    /// when no list knows the flavor.
    Hourly { price: Option<Price>, sleep_s: u32 },
}

/// One Space hardware the run may end up on.
#[derive(Debug, Clone, PartialEq)]
pub struct SpaceEstimate {
    pub flavor: HardwareFlavor,
    pub hosting: Hosting,
}

impl SpaceEstimate {
    fn new(flavor: &HardwareFlavor, spaces: Option<&PriceList>, sleep_s: u32) -> SpaceEstimate {
        let hosting = if flavor.is_zerogpu() {
            Hosting::ZeroGpu
        } else if !flavor.is_billed_hourly() {
            Hosting::Free
        } else {
            Hosting::Hourly {
                price: space_price(spaces, flavor.as_str()),
                sleep_s,
            }
        };
        SpaceEstimate {
            flavor: flavor.clone(),
            hosting,
        }
    }

    /// The hourly price; `Some(0.0)` for free hosting, `None` when unknown.
    pub fn usd_per_hour(&self) -> Option<f64> {
        match &self.hosting {
            Hosting::ZeroGpu | Hosting::Free => Some(0.0),
            Hosting::Hourly { price, .. } => price.map(|p| p.usd_per_hour),
        }
    }

    /// What it costs from now on, in words ([`standing`]).
    pub fn standing(&self) -> String {
        let sleep = match self.hosting {
            Hosting::Hourly { sleep_s, .. } => Some(sleep_s),
            _ => None,
        };
        standing(&self.flavor, self.usd_per_hour(), sleep)
    }

    /// Up the whole time limit during the run, then one sleep time idle after it.
    fn worst_usd(&self, time_limit_s: u32) -> Option<f64> {
        match &self.hosting {
            Hosting::ZeroGpu | Hosting::Free => Some(0.0),
            Hosting::Hourly { price, sleep_s } => price
                .map(|p| p.usd_per_hour * (f64::from(time_limit_s) + f64::from(*sleep_s)) / 3600.0),
        }
    }

    fn price_from(&self) -> Option<PriceFrom> {
        match &self.hosting {
            Hosting::Hourly { price: Some(p), .. } => Some(p.from),
            _ => None,
        }
    }
}

/// A worst case in dollars, and the flavors it could not price.
#[derive(Debug, Clone, PartialEq)]
pub struct WorstCase {
    pub usd: f64,
    /// Flavors no price list knows: the worst case is higher by what they cost.
    pub unpriced: Vec<String>,
}

impl std::fmt::Display for WorstCase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "at most {}", cents(self.usd))?;
        if !self.unpriced.is_empty() {
            write!(f, " plus {} (price unknown)", self.unpriced.join(" and "))?;
        }
        Ok(())
    }
}

/// What a run can cost, before it launches. Always an estimate: the Hub bills by the minute,
/// the run usually ends well before its time limit, and prices change.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    pub job: JobEstimate,
    /// The Space hardware asked for; `None` when the run creates no Space.
    pub preferred: Option<SpaceEstimate>,
    /// The fixed GPU tried when the preferred hardware is refused.
    pub fallback: Option<SpaceEstimate>,
}

impl Estimate {
    /// The estimate of a run set up as `input`, with the Hub's job and Space price lists
    /// (`None` when a list did not answer; the published prices fill the gaps).
    pub fn new(
        input: &EstimateInput<'_>,
        jobs: Option<&PriceList>,
        spaces: Option<&PriceList>,
    ) -> Estimate {
        let preferred = input
            .preferred
            .map(|f| SpaceEstimate::new(f, spaces, input.sleep_s));
        // The worker tries the fallback only after a refused GPU (a CPU is never refused).
        let fallback = match input.preferred {
            Some(p) if !p.is_cpu_only() => input
                .fallback
                .filter(|f| *f != p)
                .map(|f| SpaceEstimate::new(f, spaces, input.sleep_s)),
            _ => None,
        };
        Estimate {
            job: JobEstimate {
                flavor: input.job_flavor.to_string(),
                price: job_price(jobs, input.job_flavor),
                time_limit_s: input.time_limit_s,
            },
            preferred,
            fallback,
        }
    }

    /// The most one run can cost: the job for its whole time limit, plus the dearest Space
    /// hardware it may end up on, up for the whole time limit and then one sleep time idle.
    pub fn worst_case(&self) -> WorstCase {
        let mut unpriced = Vec::new();
        let mut total = match self.job.worst_usd() {
            Some(x) => x,
            None => {
                unpriced.push(self.job.flavor.clone());
                0.0
            }
        };
        let mut dearest: f64 = 0.0;
        for s in self.preferred.iter().chain(&self.fallback) {
            match s.worst_usd(self.job.time_limit_s) {
                Some(x) => dearest = dearest.max(x),
                None => unpriced.push(s.flavor.to_string()),
            }
        }
        total += dearest;
        WorstCase {
            usd: total,
            unpriced,
        }
    }

    /// The worst case of `n` runs set up alike (a batch).
    pub fn for_runs(&self, n: u32) -> WorstCase {
        let one = self.worst_case();
        WorstCase {
            usd: one.usd * f64::from(n),
            unpriced: one.unpriced,
        }
    }

    /// Where the prices come from: the Hub only when every price is the Hub's.
    pub fn prices_from(&self) -> PriceFrom {
        let all_hub = self.job.price.is_none_or(|p| p.from == PriceFrom::Hub)
            && self
                .preferred
                .iter()
                .chain(&self.fallback)
                .filter_map(SpaceEstimate::price_from)
                .all(|f| f == PriceFrom::Hub);
        if all_hub && self.job.price.is_some() {
            PriceFrom::Hub
        } else {
            PriceFrom::BuiltIn
        }
    }

    /// The estimate as labelled rows: `("Job", "cpu-basic at $0.01/h × 3 h time limit: at
    /// most $0.03")`, `("Space", ..)`, `("If refused", ..)`, `("Worst case", ..)`, `("Prices", ..)`.
    pub fn rows(&self) -> Vec<(&'static str, String)> {
        let limit = hardware::duration_label(u64::from(self.job.time_limit_s));
        let mut rows = vec![(
            "Job",
            match (&self.job.price, self.job.worst_usd()) {
                (Some(p), Some(w)) => format!(
                    "{} at {}/h × {limit} time limit: at most {}",
                    self.job.flavor,
                    cents(p.usd_per_hour),
                    cents(w)
                ),
                _ => format!("{} (price unknown) for up to {limit}", self.job.flavor),
            },
        )];
        let space_row = |s: &SpaceEstimate| match &s.hosting {
            Hosting::Hourly {
                price: Some(p),
                sleep_s,
            } => format!(
                "{}: {}/h while it runs (up to {} during the run), then until it sleeps after {} idle",
                s.flavor,
                cents(p.usd_per_hour),
                cents(p.usd_per_hour * f64::from(self.job.time_limit_s) / 3600.0),
                hardware::duration_label(u64::from(*sleep_s))
            ),
            _ => s.standing(),
        };
        if let Some(p) = &self.preferred {
            rows.push(("Space", space_row(p)));
        }
        if self.preferred.is_none() {
            rows.push((
                "Space",
                "not created: the run checks an existing Space, which keeps the hardware of its settings (paid hardware bills while the check wakes it, until it sleeps again)".to_string(),
            ));
        }
        if let Some(f) = &self.fallback {
            let when = match &self.preferred {
                Some(p) if p.flavor.is_zerogpu() => "If ZeroGPU is refused",
                _ => "If that is refused",
            };
            rows.push((when, space_row(f)));
        }
        let mut worst = self.worst_case().to_string();
        let dearest = self
            .preferred
            .iter()
            .chain(&self.fallback)
            .filter_map(|s| Some((s, s.worst_usd(self.job.time_limit_s)?)))
            .filter(|(_, x)| *x > 0.0)
            .max_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((s, _)) = dearest
            && let Hosting::Hourly { sleep_s, .. } = s.hosting
        {
            worst.push_str(&format!(
                " (the job runs its whole {limit} and the Space is on {} all that time, then idles {} before it sleeps)",
                s.flavor,
                hardware::duration_label(u64::from(sleep_s))
            ));
        }
        rows.push(("Worst case", worst));
        rows.push(("Prices", self.prices_from().describe().to_string()));
        rows
    }

    /// The estimate as text, labelled as one.
    pub fn text(&self) -> String {
        let mut out = String::from(
            "Estimate (the Hub bills by the minute; most runs end well before their time limit):",
        );
        for (label, text) in self.rows() {
            out.push_str("\n- ");
            out.push_str(label);
            out.push_str(": ");
            out.push_str(&text);
        }
        out
    }
}

impl crate::form::BuildForm {
    /// The estimate of this Build as typed (`None` while the hardware names are not valid),
    /// with the Hub's job and Space price lists when they answered.
    pub fn estimate(
        &self,
        jobs: Option<&PriceList>,
        spaces: Option<&PriceList>,
    ) -> Option<Estimate> {
        let preferred = HardwareFlavor::parse(&self.preferred_hardware).ok()?;
        let fallback = if self.allow_fixed_gpu_fallback {
            Some(HardwareFlavor::parse(&self.fallback_hardware).ok()?)
        } else {
            None
        };
        let sleep_s = crate::form::parse_sleep_time(&self.sleep_time_seconds)
            .unwrap_or(hardware::DEFAULT_SLEEP_S);
        Some(Estimate::new(
            &EstimateInput {
                job_flavor: crate::jobspec::JOB_FLAVOR,
                time_limit_s: crate::jobspec::time_limit_s(crate::RunKind::Build, 0),
                preferred: Some(&preferred),
                fallback: fallback.as_ref(),
                sleep_s,
            },
            jobs,
            spaces,
        ))
    }
}

impl crate::form::ValidateForm {
    /// The estimate of this Validate as typed (`None` while the live timeout is not a number):
    /// the job only, as a validation creates no Space.
    pub fn estimate(&self, jobs: Option<&PriceList>) -> Option<Estimate> {
        let live = self.live_timeout_seconds.trim().parse().ok()?;
        Some(Estimate::new(
            &EstimateInput {
                job_flavor: crate::jobspec::JOB_FLAVOR,
                time_limit_s: crate::jobspec::time_limit_s(crate::RunKind::Validate, live),
                preferred: None,
                fallback: None,
                sleep_s: hardware::DEFAULT_SLEEP_S,
            },
            jobs,
            None,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn hw(s: &str) -> HardwareFlavor {
        HardwareFlavor::parse(s).unwrap()
    }

    fn build<'a>(
        preferred: &'a HardwareFlavor,
        fallback: Option<&'a HardwareFlavor>,
        sleep_s: u32,
    ) -> EstimateInput<'a> {
        EstimateInput {
            job_flavor: "cpu-basic",
            time_limit_s: crate::jobspec::BUILD_TIMEOUT_S,
            preferred: Some(preferred),
            fallback,
            sleep_s,
        }
    }

    #[test]
    fn hourly_prices_from_unit_costs() {
        assert_eq!(
            hourly_price(Some(30_000.0), None, Some("minute")),
            Some(1.8)
        );
        assert_eq!(hourly_price(Some(167.0), None, None), Some(0.01002));
        assert_eq!(hourly_price(None, Some(0.5), Some("hour")), Some(0.5));
        assert_eq!(hourly_price(Some(1.0), None, Some("second")), Some(0.0036));
        // The micro-dollar figure wins over the rounded dollar one.
        assert_eq!(
            hourly_price(Some(30_000.0), Some(0.03), Some("minute")),
            Some(1.8)
        );
        assert_eq!(hourly_price(None, None, Some("minute")), None);
        assert_eq!(hourly_price(Some(1.0), None, Some("fortnight")), None);
        assert_eq!(hourly_price(Some(-5.0), None, None), None);
    }

    #[test]
    fn hub_prices_win_and_published_prices_fill_gaps() {
        let hub = PriceList::new([
            ("l40sx1".to_string(), Some(2.4)),
            ("cpu-basic".to_string(), Some(0.02)),
            ("t4-small".to_string(), None),
        ]);
        assert_eq!(
            space_price(Some(&hub), "l40sx1"),
            Some(Price {
                usd_per_hour: 2.4,
                from: PriceFrom::Hub
            })
        );
        assert_eq!(
            space_price(Some(&hub), "t4-small"),
            Some(Price {
                usd_per_hour: 0.4,
                from: PriceFrom::BuiltIn
            })
        );
        assert_eq!(space_price(None, "zero-a10g"), None);
        assert_eq!(space_price(None, "b300x9"), None);
        assert_eq!(
            job_price(Some(&hub), "cpu-basic").unwrap().usd_per_hour,
            0.02
        );
        assert_eq!(
            job_price(None, "cpu-basic"),
            Some(Price {
                usd_per_hour: JOB_CPU_BASIC_USD_PER_HOUR,
                from: PriceFrom::BuiltIn
            })
        );
        assert_eq!(job_price(None, "a10g-small"), None);
    }

    #[test]
    fn dollars_as_text() {
        for (x, s) in [
            (1.8, "$1.80"),
            (12.345, "$12.35"),
            (0.4, "$0.40"),
            (0.03, "$0.03"),
            (0.0123, "$0.0123"),
            (0.01002, "$0.01"),
            (0.0, "$0.00"),
            (0.00004, "$0.00"),
        ] {
            assert_eq!(usd(x), s, "{x}");
        }
    }

    #[test]
    fn estimates_are_to_the_cent() {
        assert_eq!(cents(0.03006), "$0.03");
        assert_eq!(cents(7.23006), "$7.23");
        assert_eq!(cents(0.004), "under $0.01");
        assert_eq!(cents(0.0), "$0.00");
        // hubsim's and the Hub's cpu-basic: 167 µ$/min.
        let jobs = PriceList::new([(
            "cpu-basic".to_string(),
            hourly_price(Some(167.0), None, None),
        )]);
        let input = EstimateInput {
            job_flavor: "cpu-basic",
            time_limit_s: crate::jobspec::BUILD_TIMEOUT_S,
            preferred: None,
            fallback: None,
            sleep_s: 3600,
        };
        let e = Estimate::new(&input, Some(&jobs), None);
        assert_eq!(
            e.rows()[0].1,
            "cpu-basic at $0.01/h × 3 h time limit: at most $0.03"
        );
    }

    #[test]
    fn zerogpu_with_the_default_fallback() {
        let e = Estimate::new(
            &build(&hw("zero-a10g"), Some(&hw("l40sx1")), 3600),
            None,
            None,
        );
        // Job: $0.01/h × 3 h; fallback: $1.80/h × (3 h + 1 h).
        let w = e.worst_case();
        assert!((w.usd - (0.03 + 7.2)).abs() < 1e-9, "{w:?}");
        assert!(w.unpriced.is_empty());
        assert_eq!(w.to_string(), "at most $7.23");
        assert_eq!(e.prices_from(), PriceFrom::BuiltIn);
        let rows = e.rows();
        assert_eq!(rows[0].0, "Job");
        assert_eq!(
            rows[0].1,
            "cpu-basic at $0.01/h × 3 h time limit: at most $0.03"
        );
        assert_eq!(rows[1], ("Space", ZEROGPU_NOTE.to_string()));
        assert_eq!(rows[2].0, "If ZeroGPU is refused");
        assert_eq!(
            rows[2].1,
            "l40sx1: $1.80/h while it runs (up to $5.40 during the run), then until it sleeps after 1 h idle"
        );
        assert_eq!(
            e.fallback.as_ref().unwrap().standing(),
            "$1.80/h until it sleeps after 1 h idle"
        );
        let text = e.text();
        assert!(text.starts_with("Estimate"), "{text}");
        assert!(
            text.contains("Worst case: at most $7.23 (the job runs its whole 3 h and the Space is on l40sx1 all that time, then idles 1 h before it sleeps)"),
            "{text}"
        );
        assert!(text.contains("published prices"), "{text}");
    }

    #[test]
    fn the_hubs_list_changes_the_estimate() {
        let jobs = PriceList::new([("cpu-basic".to_string(), Some(0.02))]);
        let spaces = PriceList::new([("l40sx1".to_string(), Some(3.0))]);
        let (zero, l40s) = (hw("zero-a10g"), hw("l40sx1"));
        let input = build(&zero, Some(&l40s), 1800);
        let e = Estimate::new(&input, Some(&jobs), Some(&spaces));
        assert_eq!(e.prices_from(), PriceFrom::Hub);
        assert!((e.worst_case().usd - (0.06 + 3.0 * 3.5)).abs() < 1e-9);
        assert!(e.text().contains("$3.00/h"), "{}", e.text());
        assert!(e.text().contains("30 min idle"), "{}", e.text());
        assert!(e.text().contains("the Hub's hardware list"), "{}", e.text());
        // The Space list lacks the flavor: the published price, and it says so.
        let e = Estimate::new(&input, Some(&jobs), Some(&PriceList::default()));
        assert_eq!(e.prices_from(), PriceFrom::BuiltIn);
    }

    #[test]
    fn cpu_paid_gpu_and_no_fallback() {
        // Free CPU: no fallback is ever tried, the Space costs nothing.
        let e = Estimate::new(
            &build(&hw("cpu-basic"), Some(&hw("l40sx1")), 3600),
            None,
            None,
        );
        assert!(e.fallback.is_none());
        assert!((e.worst_case().usd - 0.03).abs() < 1e-9);
        assert!(
            e.rows()[1].1.contains("free; it sleeps after 48 h"),
            "{:?}",
            e.rows()
        );
        // A paid GPU asked for first, the fallback dearer: the dearer one is the worst case.
        let e = Estimate::new(&build(&hw("t4-small"), Some(&hw("h200")), 900), None, None);
        assert!((e.worst_case().usd - (0.03 + 5.0 * 3.25)).abs() < 1e-9);
        assert_eq!(e.rows()[2].0, "If that is refused");
        // No fallback allowed: ZeroGPU alone, the job is all there is to pay.
        let e = Estimate::new(&build(&hw("zero-a10g"), None, 3600), None, None);
        assert!(e.fallback.is_none());
        assert_eq!(e.worst_case().to_string(), "at most $0.03");
        // The fallback equal to the preferred hardware is not tried twice.
        let e = Estimate::new(&build(&hw("l40sx1"), Some(&hw("l40sx1")), 3600), None, None);
        assert!(e.fallback.is_none());
    }

    #[test]
    fn unknown_prices_are_named_not_guessed() {
        let e = Estimate::new(
            &build(&hw("zero-a10g"), Some(&hw("b300x9")), 3600),
            None,
            None,
        );
        let w = e.worst_case();
        assert_eq!(w.unpriced, ["b300x9"]);
        assert_eq!(w.to_string(), "at most $0.03 plus b300x9 (price unknown)");
        assert!(e.rows()[2].1.contains("price unknown"), "{:?}", e.rows());
    }

    #[test]
    fn validation_creates_no_space_and_batches_multiply() {
        let input = EstimateInput {
            job_flavor: "cpu-basic",
            time_limit_s: crate::jobspec::time_limit_s(crate::RunKind::Validate, 1800),
            preferred: None,
            fallback: None,
            sleep_s: 3600,
        };
        let e = Estimate::new(&input, None, None);
        assert!(e.preferred.is_none() && e.fallback.is_none());
        assert_eq!(e.rows().len(), 4, "{:?}", e.rows());
        assert!(e.rows()[1].1.starts_with("not created"), "{:?}", e.rows());
        assert!(e.rows()[0].1.contains("45 min"), "{:?}", e.rows());
        let one = Estimate::new(
            &build(&hw("zero-a10g"), Some(&hw("l40sx1")), 3600),
            None,
            None,
        );
        assert!((one.for_runs(10).usd - 72.3).abs() < 1e-9);
        assert_eq!(one.for_runs(0).usd, 0.0);
    }

    #[test]
    fn standing_in_words() {
        assert_eq!(
            standing(&hw("l40sx1"), Some(1.8), Some(3600)),
            "$1.80/h until it sleeps after 1 h idle"
        );
        assert_eq!(
            standing(&hw("l40sx1"), None, None),
            "l40sx1 (price unknown) while it runs: no sleep time is set"
        );
        assert_eq!(standing(&hw("zero-a10g"), None, None), ZEROGPU_NOTE);
        assert!(standing(&hw("cpu-basic"), Some(0.0), None).contains("48 h"));
    }

    #[test]
    fn estimates_of_the_forms_as_typed() {
        let mut form = crate::form::BuildForm::default();
        let e = form.estimate(None, None).unwrap();
        assert_eq!(e.worst_case().to_string(), "at most $7.23");
        form.allow_fixed_gpu_fallback = false;
        assert_eq!(
            form.estimate(None, None).unwrap().worst_case().to_string(),
            "at most $0.03"
        );
        form.preferred_hardware = "Not A Flavor".into();
        assert!(form.estimate(None, None).is_none());
        form.preferred_hardware = "t4-small".into();
        form.sleep_time_seconds = "900".into();
        let e = form.estimate(None, None).unwrap();
        assert!((e.worst_case().usd - (0.03 + 0.4 * 3.25)).abs() < 1e-9);
        let mut v = crate::form::ValidateForm {
            live_timeout_seconds: "1800".into(),
            ..Default::default()
        };
        let e = v.estimate(None).unwrap();
        assert!(e.rows()[0].1.contains("45 min"), "{:?}", e.rows());
        v.live_timeout_seconds = "soon".into();
        assert!(v.estimate(None).is_none());
    }

    proptest! {
        /// The worst case grows with the time limit, the sleep time and the number of runs,
        /// and is never below the job's own worst case.
        #[test]
        fn worst_case_is_monotonic(
            limit in 60u32..50_000,
            extra in 0u32..10_000,
            sleep_i in 0usize..hardware::SLEEP_CHOICES_S.len(),
            fb in 0usize..hardware::FALLBACK_CHOICES.len(),
            pref in 0usize..hardware::PREFERRED_CHOICES.len(),
            n in 1u32..60,
        ) {
            let preferred = hw(hardware::PREFERRED_CHOICES[pref]);
            let fallback = hw(hardware::FALLBACK_CHOICES[fb]);
            let sleep_s = hardware::SLEEP_CHOICES_S[sleep_i];
            let at = |limit: u32, sleep_s: u32| Estimate::new(&EstimateInput {
                job_flavor: "cpu-basic", time_limit_s: limit, preferred: Some(&preferred),
                fallback: Some(&fallback), sleep_s }, None, None);
            let e = at(limit, sleep_s);
            let w = e.worst_case();
            prop_assert!(w.unpriced.is_empty());
            prop_assert!(w.usd >= e.job.worst_usd().unwrap() - 1e-12);
            prop_assert!(at(limit + extra, sleep_s).worst_case().usd >= w.usd - 1e-12);
            prop_assert!(at(limit, sleep_s + extra).worst_case().usd >= w.usd - 1e-12);
            prop_assert!((e.for_runs(n).usd - w.usd * f64::from(n)).abs() < 1e-6);
            prop_assert!(e.text().starts_with("Estimate"));
        }

        /// Whatever the price, the text shows it the way `usd` writes it, to the cent.
        #[test]
        fn hub_price_reaches_the_text(micro_per_min in 1u32..2_000_000) {
            let h = hourly_price(Some(f64::from(micro_per_min)), None, Some("minute")).unwrap();
            let spaces = PriceList::new([("l40sx1".to_string(), Some(h))]);
            let preferred = hw("l40sx1");
            let e = Estimate::new(&EstimateInput { job_flavor: "cpu-basic", time_limit_s: 3600,
                preferred: Some(&preferred), fallback: None, sleep_s: 3600 }, None, Some(&spaces));
            let text = e.text();
            let needle = format!("{}/h", cents(h));
            prop_assert!(text.contains(&needle), "{} not in {}", needle, text);
        }
    }
}
