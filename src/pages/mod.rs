//! One module per page, each only rendering: what a page reads from or does on the Hub is in a
//! data module ([`crate::run_data`] for runs, [`crate::launch`] for launches, [`crate::bucket`]
//! for the run bucket, [`crate::hardware`] for the hardware list), its addresses are in
//! [`crate::routes`], its rules in `sf_core`. A page with several parts of its own is a folder
//! (`run/`); a part used by several pages belongs in [`crate::components`].

mod about;
mod batch;
mod batch_page;
mod build;
mod home;
mod not_found;
pub mod on_demand;
mod run;
mod runs;
mod validate;

pub use about::About;
pub use batch::Batch;
pub use batch_page::BatchPage;
pub use build::Build;
pub use home::Home;
pub use not_found::NotFound;
pub use run::Run;
pub use runs::Runs;
pub use validate::Validate;
