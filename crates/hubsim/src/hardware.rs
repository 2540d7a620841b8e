//! Hardware flavors of Jobs and Spaces (`GET /api/jobs/hardware`, `GET /api/spaces/hardware`).
//! Prices follow the Hub's public price table where it gives one; the others are plausible.

use serde_json::{Value, json};

struct Flavor {
    name: &'static str,
    pretty: &'static str,
    cpu: &'static str,
    ram: &'static str,
    storage: &'static str,
    /// (model, quantity, vram, manufacturer)
    accelerator: Option<(&'static str, u32, &'static str, &'static str)>,
    usd_per_hour: f64,
    jobs: bool,
    spaces: bool,
}

// A table row constructor: positional on purpose, so the table below reads as a table.
#[allow(clippy::too_many_arguments)]
const fn f(
    name: &'static str,
    pretty: &'static str,
    cpu: &'static str,
    ram: &'static str,
    storage: &'static str,
    accelerator: Option<(&'static str, u32, &'static str, &'static str)>,
    usd_per_hour: f64,
    jobs: bool,
    spaces: bool,
) -> Flavor {
    Flavor {
        name,
        pretty,
        cpu,
        ram,
        storage,
        accelerator,
        usd_per_hour,
        jobs,
        spaces,
    }
}

const NV: &str = "Nvidia";

const FLAVORS: &[Flavor] = &[
    f(
        "cpu-basic",
        "CPU Basic",
        "2 vCPU",
        "16 GB",
        "50 GB",
        None,
        0.01,
        true,
        true,
    ),
    f(
        "cpu-upgrade",
        "CPU Upgrade",
        "8 vCPU",
        "32 GB",
        "50 GB",
        None,
        0.03,
        true,
        true,
    ),
    f(
        "cpu-performance",
        "CPU Performance",
        "32 vCPU",
        "256 GB",
        "100 GB",
        None,
        0.2,
        true,
        false,
    ),
    f(
        "cpu-xl", "CPU XL", "16 vCPU", "124 GB", "100 GB", None, 1.0, true, false,
    ),
    f(
        "zero-a10g",
        "ZeroGPU",
        "dynamic",
        "dynamic",
        "50 GB",
        Some(("H200", 1, "70 GB", NV)),
        0.0,
        false,
        true,
    ),
    f(
        "t4-small",
        "Nvidia T4 - small",
        "4 vCPU",
        "15 GB",
        "50 GB",
        Some(("T4", 1, "16 GB", NV)),
        0.4,
        true,
        true,
    ),
    f(
        "t4-medium",
        "Nvidia T4 - medium",
        "8 vCPU",
        "30 GB",
        "100 GB",
        Some(("T4", 1, "16 GB", NV)),
        0.6,
        true,
        true,
    ),
    f(
        "l4x1",
        "1x Nvidia L4",
        "8 vCPU",
        "30 GB",
        "400 GB",
        Some(("L4", 1, "24 GB", NV)),
        0.8,
        true,
        true,
    ),
    f(
        "l4x4",
        "4x Nvidia L4",
        "48 vCPU",
        "186 GB",
        "3200 GB",
        Some(("L4", 4, "96 GB", NV)),
        3.8,
        true,
        true,
    ),
    f(
        "l40sx1",
        "1x Nvidia L40S",
        "8 vCPU",
        "62 GB",
        "380 GB",
        Some(("L40S", 1, "48 GB", NV)),
        1.8,
        true,
        true,
    ),
    f(
        "l40sx4",
        "4x Nvidia L40S",
        "48 vCPU",
        "382 GB",
        "3200 GB",
        Some(("L40S", 4, "192 GB", NV)),
        8.3,
        true,
        true,
    ),
    f(
        "l40sx8",
        "8x Nvidia L40S",
        "192 vCPU",
        "1534 GB",
        "6500 GB",
        Some(("L40S", 8, "384 GB", NV)),
        23.5,
        true,
        true,
    ),
    f(
        "a10g-small",
        "Nvidia A10G - small",
        "4 vCPU",
        "15 GB",
        "110 GB",
        Some(("A10G", 1, "24 GB", NV)),
        1.0,
        true,
        true,
    ),
    f(
        "a10g-large",
        "Nvidia A10G - large",
        "12 vCPU",
        "46 GB",
        "200 GB",
        Some(("A10G", 1, "24 GB", NV)),
        1.5,
        true,
        true,
    ),
    f(
        "a10g-largex2",
        "2x Nvidia A10G - large",
        "24 vCPU",
        "92 GB",
        "1000 GB",
        Some(("A10G", 2, "48 GB", NV)),
        3.0,
        true,
        true,
    ),
    f(
        "a10g-largex4",
        "4x Nvidia A10G - large",
        "48 vCPU",
        "184 GB",
        "2000 GB",
        Some(("A10G", 4, "96 GB", NV)),
        5.0,
        true,
        true,
    ),
    f(
        "a100-large",
        "Nvidia A100 - large",
        "12 vCPU",
        "142 GB",
        "1000 GB",
        Some(("A100", 1, "80 GB", NV)),
        2.5,
        true,
        true,
    ),
    f(
        "a100x4",
        "4x Nvidia A100",
        "48 vCPU",
        "568 GB",
        "4000 GB",
        Some(("A100", 4, "320 GB", NV)),
        10.0,
        true,
        true,
    ),
    f(
        "a100x8",
        "8x Nvidia A100",
        "96 vCPU",
        "1136 GB",
        "8000 GB",
        Some(("A100", 8, "640 GB", NV)),
        20.0,
        true,
        true,
    ),
    f(
        "h200",
        "1x Nvidia H200",
        "23 vCPU",
        "256 GB",
        "3000 GB",
        Some(("H200", 1, "141 GB", NV)),
        5.0,
        true,
        false,
    ),
    f(
        "h200x2",
        "2x Nvidia H200",
        "46 vCPU",
        "512 GB",
        "6000 GB",
        Some(("H200", 2, "282 GB", NV)),
        10.0,
        true,
        false,
    ),
    f(
        "h200x4",
        "4x Nvidia H200",
        "92 vCPU",
        "1024 GB",
        "12000 GB",
        Some(("H200", 4, "564 GB", NV)),
        20.0,
        true,
        false,
    ),
    f(
        "h200x8",
        "8x Nvidia H200",
        "184 vCPU",
        "2048 GB",
        "24000 GB",
        Some(("H200", 8, "1128 GB", NV)),
        40.0,
        true,
        false,
    ),
    f(
        "rtx-pro-6000",
        "1x Nvidia RTX PRO 6000",
        "23 vCPU",
        "185 GB",
        "1500 GB",
        Some(("RTX PRO 6000", 1, "96 GB", NV)),
        3.0,
        true,
        true,
    ),
    f(
        "rtx-pro-6000x2",
        "2x Nvidia RTX PRO 6000",
        "46 vCPU",
        "370 GB",
        "3000 GB",
        Some(("RTX PRO 6000", 2, "192 GB", NV)),
        6.0,
        true,
        true,
    ),
    f(
        "rtx-pro-6000x4",
        "4x Nvidia RTX PRO 6000",
        "92 vCPU",
        "740 GB",
        "6000 GB",
        Some(("RTX PRO 6000", 4, "384 GB", NV)),
        12.0,
        true,
        true,
    ),
    f(
        "rtx-pro-6000x8",
        "8x Nvidia RTX PRO 6000",
        "184 vCPU",
        "1480 GB",
        "12000 GB",
        Some(("RTX PRO 6000", 8, "768 GB", NV)),
        24.0,
        true,
        true,
    ),
];

/// Hourly prices a test set in place of the list's own (`PUT /__sim/hardware/prices`).
pub(crate) type PriceOverrides = std::collections::BTreeMap<String, f64>;

fn to_json(fl: &Flavor, prices: &PriceOverrides) -> Value {
    let usd_per_hour = prices.get(fl.name).copied().unwrap_or(fl.usd_per_hour);
    let micro_per_minute = (usd_per_hour * 1_000_000.0 / 60.0).round() as u64;
    json!({
        "name": fl.name,
        "prettyName": fl.pretty,
        "cpu": fl.cpu,
        "ram": fl.ram,
        "ephemeralStorage": fl.storage,
        "accelerator": fl.accelerator.map(|(model, quantity, vram, manufacturer)| json!({
            "type": "gpu",
            "model": model,
            "quantity": quantity.to_string(),
            "vram": vram,
            "manufacturer": manufacturer,
        })),
        "unitCostMicroUSD": micro_per_minute,
        "unitCostUSD": micro_per_minute as f64 / 1_000_000.0,
        "unitLabel": "minute",
    })
}

pub(crate) fn job_flavors(prices: &PriceOverrides) -> Value {
    list(|f| f.jobs, prices)
}

pub(crate) fn space_flavors(prices: &PriceOverrides) -> Value {
    list(|f| f.spaces, prices)
}

fn list(keep: fn(&Flavor) -> bool, prices: &PriceOverrides) -> Value {
    Value::Array(
        FLAVORS
            .iter()
            .filter(|f| keep(f))
            .map(|f| to_json(f, prices))
            .collect(),
    )
}

pub(crate) fn is_job_flavor(name: &str) -> bool {
    FLAVORS.iter().any(|f| f.jobs && f.name == name)
}

pub(crate) fn is_space_flavor(name: &str) -> bool {
    FLAVORS.iter().any(|f| f.spaces && f.name == name)
}

pub(crate) fn pretty_name(name: &str) -> Option<&'static str> {
    FLAVORS.iter().find(|f| f.name == name).map(|f| f.pretty)
}

/// `ACCELERATOR` inside a job container: empty on CPU flavors.
pub(crate) fn accelerator_env(name: &str) -> String {
    FLAVORS
        .iter()
        .find(|f| f.name == name)
        .and_then(|f| f.accelerator)
        .map(|(model, ..)| model.to_ascii_lowercase())
        .unwrap_or_default()
}

pub(crate) fn cpu_cores(name: &str) -> String {
    FLAVORS
        .iter()
        .find(|f| f.name == name)
        .and_then(|f| f.cpu.split_whitespace().next())
        .unwrap_or("2")
        .to_string()
}

pub(crate) fn memory(name: &str) -> String {
    FLAVORS
        .iter()
        .find(|f| f.name == name)
        .map(|f| f.ram.replace(' ', ""))
        .unwrap_or_default()
}

/// What a Space on this flavor can load a model into, for the model-library stand-ins:
/// `(GPUs, GB of memory per GPU, GB of RAM)`; RAM is `None` where the Hub says "dynamic"
/// (ZeroGPU). `None` for a flavor Spaces do not offer.
pub(crate) fn space_machine(name: &str) -> Option<(u32, u64, Option<u64>)> {
    let gb = |s: &str| s.trim_end_matches(" GB").trim().parse::<u64>().ok();
    let f = FLAVORS.iter().find(|f| f.spaces && f.name == name)?;
    let (gpus, per_gpu) = match f.accelerator {
        Some((_, quantity, vram, _)) => (quantity, gb(vram)? / u64::from(quantity.max(1))),
        None => (0, 0),
    };
    Some((gpus, per_gpu, gb(f.ram)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_lookups() {
        assert!(is_job_flavor("cpu-basic"));
        assert!(!is_job_flavor("zero-a10g"));
        assert!(is_space_flavor("zero-a10g"));
        assert!(!is_space_flavor("h200"));
        let jobs = job_flavors(&PriceOverrides::new());
        let cpu = &jobs[0];
        assert_eq!(cpu["name"], "cpu-basic");
        assert_eq!(cpu["unitCostMicroUSD"], 167);
        assert_eq!(cpu["accelerator"], Value::Null);
        assert_eq!(accelerator_env("t4-small"), "t4");
        assert_eq!(cpu_cores("a10g-large"), "12");
        assert_eq!(memory("cpu-basic"), "16GB");
        assert_eq!(pretty_name("zero-a10g"), Some("ZeroGPU"));
        assert_eq!(space_machine("cpu-basic"), Some((0, 0, Some(16))));
        assert_eq!(space_machine("t4-small"), Some((1, 16, Some(15))));
        assert_eq!(space_machine("l4x4"), Some((4, 24, Some(186))));
        assert_eq!(space_machine("zero-a10g"), Some((1, 70, None)));
        assert_eq!(space_machine("a100-large"), Some((1, 80, Some(142))));
        assert_eq!(space_machine("h200"), None, "not a Space flavor");
    }

    #[test]
    fn a_test_can_change_a_price() {
        let prices = PriceOverrides::from([("l40sx1".to_string(), 2.4)]);
        let l40s = |prices: &PriceOverrides| {
            space_flavors(prices)
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["name"] == "l40sx1")
                .unwrap()
                .clone()
        };
        assert_eq!(l40s(&prices)["unitCostMicroUSD"], 40_000);
        let l40s = l40s(&PriceOverrides::new());
        assert_eq!(l40s["unitCostMicroUSD"], 30_000);
    }
}
