//! One file per page.

mod about;
mod build;
mod home;
mod not_found;
mod validate;

pub use about::About;
pub use build::Build;
pub use home::Home;
pub use not_found::NotFound;
pub use validate::Validate;
