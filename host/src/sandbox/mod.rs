//! The sandbox plugins run in. Its defaults, in one place:
//!
//! - WASI preview 2 is linked (Rust's std needs it) but grants nothing: no
//!   preopened directories, no environment variables, no arguments, no sockets
//!   (TCP, UDP and name lookup are disabled), stdin closed. Clocks and randomness
//!   work. stdout and stderr are captured line by line into `tracing`, under the
//!   plugin's name.
//! - Guest CPU time is limited with epoch interruption: a ticker advances the
//!   epoch every [`TICK`], and at each tick the store checks the time the guest
//!   spent running (wall time minus time inside host calls such as database
//!   writes) against the plugin's limit.
//! - Linear memory is limited by a [`wasmtime::ResourceLimiter`]; growing past
//!   the limit traps at once with a message that names the limit.
//! - Each run gets a fresh wasmtime store: nothing survives from one run to the next.
//! - Compiled components are cached on disk, keyed by the wasm's SHA-256 and the
//!   engine's compatibility hash, so a second run skips Cranelift.
//!
//! The rooms: `cache` (the compiled components on disk, kept bounded),
//! `compat` (earlier contract versions, linked to the same host calls),
//! `engine` (the engine, the linker, the component cache, loading
//! and running), `host` (the host calls behind a plugin's imports, handing
//! store calls to the [`crate::store`] session), `limits` (CPU and memory) and
//! `output` (the plugin's stdout and stderr). This file only declares them and
//! names what the rest of the crate uses.

pub mod cache;
mod compat;
mod engine;
mod host;
mod limits;
mod output;

pub use engine::{Loaded, RunInput, RunOutput, Sandbox, SandboxError};
pub use limits::TICK;
