//! The worker's integration tests, in one test binary: live checks against a real Gradio app,
//! and the scenarios of `validate` and `build` against hubsim with the real Pi CLI.

#[path = "../support/mod.rs"]
mod support;

mod build;
mod corpus;
mod expiry;
mod gated;
mod live;
mod money;
mod repair;
mod sandbox;
mod validate;
