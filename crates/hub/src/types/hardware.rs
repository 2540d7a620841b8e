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
