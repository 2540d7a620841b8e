//! Reusable pieces of the interface, one file each.
