//! In-process tests of the Hub simulator: each module starts its own simulator on a free port
//! and talks to it over HTTP, as the app, the worker and the browser tests do.

mod common;

mod buckets;
mod compression;
mod faults;
mod jobs;
mod local_run;
mod models;
mod mounts;
mod oauth;
mod space_runtime;
mod spaces;
mod static_app;
