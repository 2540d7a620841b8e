//! One file per page.

mod about;
mod build;
mod home;
mod not_found;
mod run;
mod runs;
mod validate;

pub use about::About;
pub use build::Build;
pub use home::Home;
pub use not_found::NotFound;
pub use run::Run;
pub use runs::Runs;
pub use validate::Validate;
