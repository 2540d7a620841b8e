//! # sf-core — the domain rules of Space Factory
//!
//! Pure Rust: no I/O, no clock, no randomness of its own (callers pass the time and a random
//! number). Builds for native targets and for `wasm32-unknown-unknown`; shared by the web app, the
//! worker and the Hub simulator.
//!
//! | module | what it holds |
//! |---|---|
//! | [`ids`] | [`RunKind`], [`RunId`] (parse with precise errors, generate `build-20261128-142501-a3f9c2`), [`UtcDateTime`] / RFC 3339 by hand |
//! | [`refs`] | [`ModelRef`], [`SpaceRef`], [`SpaceName`], [`BucketName`], [`BucketRef`] parsed from what people paste, with the Hub's naming rules |
//! | [`hardware`] | built-in Space hardware list with prices, the seed's choices, [`HardwareFlavor`] |
//! | [`record`] | the run record: [`RunStatus`], [`Phase`], [`RunState`] (`state.json`), [`Event`] (`events.jsonl`), tolerant reading |
//! | [`rules`] | the numbered status rules ([`decide_build_status`], [`decide_validate_status`]) and [`recommend_zerogpu_duration`] |
//! | [`form`] | the Build and Validate forms, their validation into [`BuildRequest`] / [`ValidateRequest`], reading `request.json` back, and the forms the run page pre-fills (Run again, Validate this Space) |
//! | [`mod@env`] | job environment variable names and the way back from an environment to a request |
//! | [`estimate`] | prices (the Hub's hardware lists, else the published ones), dollars as text, what a Space costs from now on, and the pre-launch [`estimate::Estimate`] of a run or a batch |
//! | [`jobspec`] | the typed job-creation body [`JobSpec`] for a run ([`build_job`], [`validate_job`]) |
//! | [`links`] | web links to jobs, Spaces, buckets, run folders and Space apps; [`RunLinks`], the links of one run |
//! | [`progress`] | where a run stands now: the newer of `state.json` and the last event |
//! | [`redact`] | [`Redactor`]: tokens, `Bearer` values, credential keys and registered secrets out of text and JSON |
//!
//! Every error's `Display` is a sentence saying what is wrong and how to fix it, and never echoes
//! a token.

/// The text conversions of a newtype over checked text (`RunId`, `BatchId`, the Hub's names):
/// `Display` shows the text, `TryFrom<String>` checks it with the type's own `parse` (what
/// `#[serde(try_from = "String")]` calls) and `From<T> for String` gives it back
/// (`#[serde(into = "String")]`).
macro_rules! text_newtype {
    ($t:ident, $error:ty) => {
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<String> for $t {
            type Error = $error;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                $t::parse(&value)
            }
        }

        impl From<$t> for String {
            fn from(value: $t) -> String {
                value.0
            }
        }
    };
}

pub mod batch;
pub mod decimal;
pub mod env;
pub mod estimate;
pub mod form;
pub mod hardware;
pub mod ids;
pub mod jobspec;
pub mod links;
pub mod progress;
pub mod record;
pub mod redact;
pub mod refs;
pub mod rules;
pub mod smoke_test;
pub mod sort;

pub use form::{
    ApiName, BuildForm, BuildRequest, Field, FieldError, LaunchContext, PiModel, ValidateForm,
    ValidateRequest,
};
pub use hardware::{HardwareFlavor, HardwareInfo};
pub use ids::{RunId, RunIdError, RunKind, UtcDateTime};
pub use jobspec::{
    JobSpec, JobSpecConfig, JobVolume, VolumeKind, WorkerSource, build_job, validate_job,
};
pub use links::{Links, RunLinks};
pub use record::{
    Event, EventsRead, Level, ObservedOutput, OutputType, Phase, RunState, RunStatus, StateRead,
    parse_events,
};
pub use redact::{REDACTED, Redactor};
pub use refs::{
    BucketName, BucketRef, DEFAULT_BUCKET_NAME, ModelRef, Namespace, RefError, SpaceName, SpaceRef,
};
pub use rules::{
    BuildEvidence, CallOutcome, ImplementationMode, RuntimeOutcome, SmokeOutcome, ValidateEvidence,
    Verdict, decide_build_status, decide_validate_status, recommend_zerogpu_duration,
};
