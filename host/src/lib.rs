//! seedhost: applies SQL migrations, then runs seed plugins packaged as sandboxed
//! WebAssembly components.
//!
//! The path of one row, module by module: a plugin's `run` (built with the SDK)
//! → [`contract`] (the WIT boundary) → [`sandbox`] (limits, WASI, host calls) →
//! [`store`] (grant check, then [`schema`] checks and converts, then the
//! backend's bulk upsert) → [`report`]. [`runner`] drives a command: [`profile`]
//! and [`config`] decide where and what, [`migrate`] brings the schema up to date.

pub mod cli;
pub mod config;
pub mod contract;
pub mod db;
pub mod grant;
pub mod migrate;
pub mod profile;
pub mod progress;
pub mod report;
pub mod runner;
pub mod sandbox;
pub mod schema;
pub mod smoke;
pub mod store;
pub mod verify;
