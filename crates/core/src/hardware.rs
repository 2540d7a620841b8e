//! Space hardware: the built-in list (used when the Hub's hardware endpoint does not answer),
//! the seed's choices and defaults, and [`HardwareFlavor`] names.
//!
//! Prices are approximate hourly prices for Space hardware from the Hugging Face docs; the live
//! list (`GET /api/spaces/hardware`) is the authority and should be preferred when it answers.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// One kind of Space hardware.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HardwareInfo {
    /// The flavor name the Hub uses, e.g. `t4-small`.
    pub name: &'static str,
    /// Human name, e.g. `Nvidia T4 · small`.
    pub pretty_name: &'static str,
    /// Whether it has a GPU (ZeroGPU counts).
    pub gpu: bool,
    /// Whether it is ZeroGPU (a GPU lent per call; needs PRO, no hourly cost).
    pub zerogpu: bool,
    /// Approximate price in US dollars per hour; `None` when not billed by the hour (ZeroGPU).
    pub usd_per_hour: Option<f64>,
}

impl HardwareInfo {
    /// Short price text, e.g. `$0.40/h`, `free`, or `ZeroGPU (PRO, no hourly cost)`.
    pub fn price_label(&self) -> String {
        match self.usd_per_hour {
            None => "ZeroGPU (PRO, no hourly cost)".to_string(),
            Some(0.0) => "free".to_string(),
            Some(p) => format!("${}/h", crate::decimal::fixed(p, 2)),
        }
    }
}

const fn hw(
    name: &'static str,
    pretty_name: &'static str,
    gpu: bool,
    usd_per_hour: f64,
) -> HardwareInfo {
    HardwareInfo {
        name,
        pretty_name,
        gpu,
        zerogpu: false,
        usd_per_hour: Some(usd_per_hour),
    }
}

/// The built-in hardware list, cheapest first.
pub const BUILT_IN: &[HardwareInfo] = &[
    hw("cpu-basic", "CPU basic", false, 0.0),
    hw("cpu-upgrade", "CPU upgrade", false, 0.03),
    HardwareInfo {
        name: "zero-a10g",
        pretty_name: "ZeroGPU",
        gpu: true,
        zerogpu: true,
        usd_per_hour: None,
    },
    hw("t4-small", "Nvidia T4 · small", true, 0.40),
    hw("t4-medium", "Nvidia T4 · medium", true, 0.60),
    hw("l4x1", "Nvidia L4 · 1×", true, 0.80),
    hw("a10g-small", "Nvidia A10G · small", true, 1.00),
    hw("a10g-large", "Nvidia A10G · large", true, 1.50),
    hw("l40sx1", "Nvidia L40S · 1×", true, 1.80),
    hw("a100-large", "Nvidia A100 · large", true, 2.50),
    hw("h200", "Nvidia H200", true, 5.00),
];

/// The seed's choices for "Preferred Space hardware".
pub const PREFERRED_CHOICES: &[&str] = &[
    "zero-a10g",
    "cpu-basic",
    "t4-small",
    "t4-medium",
    "a10g-large",
    "l40sx1",
    "a100-large",
    "h200",
];
/// Default preferred hardware: ZeroGPU.
pub const DEFAULT_PREFERRED: &str = "zero-a10g";
/// The seed's choices for "Fallback Space hardware" (fixed GPUs).
pub const FALLBACK_CHOICES: &[&str] = &["l40sx1", "a10g-large", "a100-large", "h200", "t4-medium"];
/// Default fixed-GPU fallback.
pub const DEFAULT_FALLBACK: &str = "l40sx1";

/// The sleep times the Build form offers, in seconds: 15 min, 30 min, 1 h, 10 h, 24 h, 48 h.
/// These are values of the Hub's own "Sleep time" setting for paid hardware (its API takes any
/// number of seconds; `-1` is "never", which the factory does not offer: a GPU that never
/// sleeps bills forever). 5 minutes is left out on purpose: during a build the Space stays idle
/// while the coding agent repairs it, and each wake-up is a cold start of the model.
pub const SLEEP_CHOICES_S: &[u32] = &[900, 1800, 3600, 36_000, 86_400, 172_800];
/// Default sleep time of a paid-hardware Space: one hour.
pub const DEFAULT_SLEEP_S: u32 = 3600;
/// How long `cpu-basic` Spaces run idle before the Hub puts them to sleep.
pub const FREE_CPU_SLEEP_S: u32 = 172_800;

/// `900` → `15 min`, `3600` → `1 h`, `36000` → `10 h`.
pub fn duration_label(seconds: u64) -> String {
    if seconds >= 3600 && seconds.is_multiple_of(3600) {
        format!("{} h", seconds / 3600)
    } else if seconds >= 60 && seconds.is_multiple_of(60) {
        format!("{} min", seconds / 60)
    } else {
        format!("{seconds} s")
    }
}

/// The built-in entry for a flavor name, if there is one.
pub fn lookup(name: &str) -> Option<&'static HardwareInfo> {
    BUILT_IN.iter().find(|h| h.name == name)
}

/// Longest flavor name accepted.
pub const FLAVOR_MAX_LEN: usize = 64;

/// Why a hardware flavor name was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FlavorError {
    #[error("No hardware chosen. Pick one from the list, e.g. `{DEFAULT_PREFERRED}`.")]
    Empty,
    #[error(
        "The hardware name is {len} characters long; flavor names are at most {FLAVOR_MAX_LEN}. Pick one from the list."
    )]
    TooLong { len: usize },
    #[error("The hardware name contains {} at position {position}; flavor names use only lower-case letters, digits and `-` (e.g. `t4-small`). Pick one from the list.", crate::ids::describe_char(*ch))]
    BadChar { ch: char, position: usize },
}

/// A hardware flavor name such as `zero-a10g` or `l40sx1` (`[a-z0-9-]`, not empty).
/// Names missing from [`BUILT_IN`] are accepted: the Hub adds hardware over time.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HardwareFlavor(String);

impl HardwareFlavor {
    /// Reads a flavor name; surrounding whitespace is ignored.
    pub fn parse(input: &str) -> Result<HardwareFlavor, FlavorError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(FlavorError::Empty);
        }
        if let Some((i, ch)) = s
            .chars()
            .enumerate()
            .find(|(_, c)| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
        {
            return Err(FlavorError::BadChar {
                ch,
                position: i + 1,
            });
        }
        if s.len() > FLAVOR_MAX_LEN {
            return Err(FlavorError::TooLong { len: s.len() });
        }
        Ok(HardwareFlavor(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The built-in entry, if known.
    pub fn info(&self) -> Option<&'static HardwareInfo> {
        lookup(&self.0)
    }

    /// Whether this is ZeroGPU (`zero-…`).
    pub fn is_zerogpu(&self) -> bool {
        self.info()
            .map_or(self.0.starts_with("zero-"), |h| h.zerogpu)
    }

    /// Whether this is known to have no GPU (`cpu-…`).
    pub fn is_cpu_only(&self) -> bool {
        self.info().map_or(self.0.starts_with("cpu-"), |h| !h.gpu)
    }

    /// Whether a Space on it is billed by the hour while it runs, so it needs a sleep time:
    /// everything but ZeroGPU and the free `cpu-basic` (which sleeps after 48 h by itself).
    /// Unknown names count as billed.
    pub fn is_billed_hourly(&self) -> bool {
        !self.is_zerogpu() && self.0 != "cpu-basic"
    }
}

text_newtype!(HardwareFlavor, FlavorError);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn choices_are_known_and_valid() {
        for name in PREFERRED_CHOICES.iter().chain(FALLBACK_CHOICES) {
            assert!(lookup(name).is_some(), "{name}");
            assert!(HardwareFlavor::parse(name).is_ok(), "{name}");
        }
        assert!(PREFERRED_CHOICES.contains(&DEFAULT_PREFERRED));
        assert!(FALLBACK_CHOICES.contains(&DEFAULT_FALLBACK));
        for name in FALLBACK_CHOICES {
            let f = HardwareFlavor::parse(name).unwrap();
            assert!(
                !f.is_zerogpu() && !f.is_cpu_only(),
                "fallback {name} must be a fixed GPU"
            );
        }
    }

    #[test]
    fn prices_and_kinds() {
        assert_eq!(lookup("t4-small").unwrap().price_label(), "$0.40/h");
        assert_eq!(lookup("h200").unwrap().usd_per_hour, Some(5.0));
        assert_eq!(lookup("cpu-basic").unwrap().price_label(), "free");
        let zero = lookup("zero-a10g").unwrap();
        assert!(zero.zerogpu && zero.gpu && zero.usd_per_hour.is_none());
        assert!(zero.price_label().contains("PRO"));
        assert!(lookup("tpu-v9").is_none());
        let unknown = HardwareFlavor::parse("zero-h200").unwrap();
        assert!(unknown.is_zerogpu() && !unknown.is_cpu_only());
        assert!(HardwareFlavor::parse("cpu-xl").unwrap().is_cpu_only());
        let names: Vec<_> = BUILT_IN.iter().map(|h| h.name).collect();
        let mut dedup = names.clone();
        dedup.dedup();
        assert_eq!(names, dedup);
    }

    #[test]
    fn flavor_names() {
        assert_eq!(
            HardwareFlavor::parse(" l40sx1 ").unwrap().as_str(),
            "l40sx1"
        );
        assert_eq!(HardwareFlavor::parse(""), Err(FlavorError::Empty));
        assert_eq!(
            HardwareFlavor::parse("T4-small"),
            Err(FlavorError::BadChar {
                ch: 'T',
                position: 1
            })
        );
        assert_eq!(
            HardwareFlavor::parse("t4 small"),
            Err(FlavorError::BadChar {
                ch: ' ',
                position: 3
            })
        );
        assert_eq!(
            HardwareFlavor::parse(&"a".repeat(65)),
            Err(FlavorError::TooLong { len: 65 })
        );
        assert!(FlavorError::Empty.to_string().contains("zero-a10g"));
    }

    #[test]
    fn billed_flavors_and_sleep_labels() {
        for (name, billed) in [
            ("zero-a10g", false),
            ("cpu-basic", false),
            ("cpu-upgrade", true),
            ("l40sx1", true),
            ("t4-small", true),
            ("zero-h200", false),
            ("b300x9", true),
        ] {
            assert_eq!(
                HardwareFlavor::parse(name).unwrap().is_billed_hourly(),
                billed,
                "{name}"
            );
        }
        let labels: Vec<String> = SLEEP_CHOICES_S
            .iter()
            .map(|s| duration_label(u64::from(*s)))
            .collect();
        assert_eq!(labels, ["15 min", "30 min", "1 h", "10 h", "24 h", "48 h"]);
        assert!(SLEEP_CHOICES_S.contains(&DEFAULT_SLEEP_S));
        assert_eq!(duration_label(90), "90 s");
    }

    proptest! {
        #[test]
        fn flavor_parse_matches_rule(s in "[a-zA-Z0-9 _-]{0,70}") {
            let t = s.trim();
            let ok = !t.is_empty() && t.len() <= FLAVOR_MAX_LEN
                && t.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            prop_assert_eq!(HardwareFlavor::parse(&s).is_ok(), ok);
        }
    }
}
