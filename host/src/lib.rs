//! seedhost: applies SQL migrations, then runs seed plugins packaged as sandboxed
//! WebAssembly components.
//!
//! The path of one row, one module per hop, each importing only the hops
//! below it: a plugin's `run` (built with the SDK) → [`contract`] (the WIT
//! bindings) → [`sandbox`] (limits, WASI, the host calls) → [`store`] (the
//! checks, of target, schema and grant, then the backend's bulk upsert; values
//! converted by [`convert`] against the live [`schema`]) → [`db`] (the
//! transaction) → counts → [`runner`] commits → [`report`].
//!
//! Around it: [`cli`] parses and dispatches; [`plan`] decides before anything
//! connects ([`config`], [`profile`], [`grant`], migration files), [`runner`]
//! runs what writes, [`inspect`] what only reads (status, [`smoke`]),
//! [`verify`] checks plugins for CI; [`migrate`] brings the schema up to date;
//! [`author`] makes and builds plugins in Rust, TypeScript and Python;
//! [`fanout`] runs a command on every database of a [`targets`] file;
//! [`template`] keeps seeded template databases and copies them.
//! `host/tests/imports.rs` fails on any import that points up this list.

#![warn(missing_docs)]

pub mod author;
pub mod cli;
pub mod config;
pub mod contract;
pub mod convert;
pub mod db;
pub mod fanout;
pub mod grant;
pub mod init;
pub mod inspect;
pub mod ledger;
pub mod migrate;
pub mod plan;
pub mod policy;
pub mod preview;
pub mod profile;
pub mod progress;
pub mod redact;
pub mod report;
pub mod runner;
pub mod sandbox;
pub mod schema;
pub mod seedfile;
pub mod shown;
pub mod smoke;
pub mod store;
pub mod targets;
pub mod template;
pub mod verify;
