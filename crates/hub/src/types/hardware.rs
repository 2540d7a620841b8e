//! One hardware flavor of `/api/jobs/hardware` or `/api/spaces/hardware` ([`HardwareFlavor`]),
//! with its [`Accelerator`]; numbers the Hub sends as strings or numbers are read as text.

use serde::{Deserialize, Serialize};

/// One entry of `/api/jobs/hardware` or `/api/spaces/hardware`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HardwareFlavor {
    /// The flavor id to request, e.g. `cpu-basic`, `t4-small`, `zero-a10g`.
    pub name: String,
    #[serde(default)]
    pub pretty_name: Option<String>,
    #[serde(default, deserialize_with = "super::lenient_string")]
    pub cpu: Option<String>,
    #[serde(default, deserialize_with = "super::lenient_string")]
    pub ram: Option<String>,
    #[serde(default)]
    pub accelerator: Option<Accelerator>,
    #[serde(default, rename = "unitCostMicroUSD")]
    pub unit_cost_micro_usd: Option<f64>,
    #[serde(default, rename = "unitCostUSD")]
    pub unit_cost_usd: Option<f64>,
    /// What the unit cost is per, e.g. `minute`.
    #[serde(default)]
    pub unit_label: Option<String>,
}

/// A GPU or other accelerator in a hardware flavor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accelerator {
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default, deserialize_with = "super::lenient_string")]
    pub quantity: Option<String>,
    #[serde(default, deserialize_with = "super::lenient_string")]
    pub vram: Option<String>,
    #[serde(default)]
    pub manufacturer: Option<String>,
}

impl HardwareFlavor {
    /// The hourly price in US dollars (`unitCostMicroUSD`, else `unitCostUSD`, per `unitLabel`),
    /// by [`sf_core::estimate::hourly_price`].
    pub fn usd_per_hour(&self) -> Option<f64> {
        sf_core::estimate::hourly_price(
            self.unit_cost_micro_usd,
            self.unit_cost_usd,
            self.unit_label.as_deref(),
        )
    }
}

/// The hourly prices of a Hub hardware list, for [`sf_core::estimate`].
pub fn price_list(list: &[HardwareFlavor]) -> sf_core::estimate::PriceList {
    sf_core::estimate::PriceList::new(list.iter().map(|h| (h.name.clone(), h.usd_per_hour())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_of_a_hub_list() {
        let list: Vec<HardwareFlavor> = serde_json::from_value(serde_json::json!([
            {"name": "cpu-basic", "unitCostMicroUSD": 167, "unitCostUSD": 0.000167, "unitLabel": "minute"},
            {"name": "l40sx1", "unitCostMicroUSD": 30000, "unitLabel": "minute"},
            {"name": "a100-large", "unitCostUSD": 2.5, "unitLabel": "hour"},
            {"name": "mystery"}
        ]))
        .unwrap();
        assert_eq!(list[1].usd_per_hour(), Some(1.8));
        let prices = price_list(&list);
        assert_eq!(prices.get("cpu-basic"), Some(0.01002));
        assert_eq!(prices.get("a100-large"), Some(2.5));
        assert_eq!(prices.get("mystery"), None);
    }
}
