//! tmp
pub mod data;
