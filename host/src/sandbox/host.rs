//! The host calls behind a plugin's imports: `store` (handed to the run's
//! store session, off the guest's CPU clock), `log`, `params`, and WASI (which
//! grants nothing). One [`HostState`] per run, in a fresh wasmtime store.
//!
//! A `writer` resource is the session's writer number: `open` hands the guest
//! `Resource::new_own(number)`, later calls read it back with `rep()`, and
//! wasmtime's own handle table makes sure the guest can only present handles
//! it was given and has not dropped.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::{Resource, ResourceTable};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::config::Limits;
use crate::contract::store::Writer;
use crate::contract::{Counts, StoreError, Target, Value, log, params, store, types};
use crate::store::{Session, WriterId};

use crate::shown::shown;

use super::limits::MemoryLimiter;
use super::output::LogStream;

/// The most characters of one `log` message that reach the log.
const LOG_CHARS: usize = 64 * 1024;

/// The per-run state behind a plugin's imports.
pub struct HostState {
    pub(super) plugin: Arc<str>,
    wasi: WasiCtx,
    table: ResourceTable,
    pub(super) limiter: MemoryLimiter,
    pub(super) limits: Limits,
    params: BTreeMap<String, String>,
    /// The database, for runs; `None` when the plugin is only inspected.
    pub(super) session: Option<Session>,
    runtime: Option<tokio::runtime::Handle>,
    started: Instant,
    /// Time spent in host calls, which the CPU limit does not count.
    host_time: Duration,
    stdout: LogStream,
    pub(super) stderr: LogStream,
}

impl HostState {
    /// The state of one run of `plugin`; without a session (and runtime) the
    /// plugin can be instantiated and asked for its metadata, but not write.
    pub fn new(
        plugin: Arc<str>,
        params: BTreeMap<String, String>,
        session: Option<Session>,
        runtime: Option<tokio::runtime::Handle>,
        limits: Limits,
    ) -> HostState {
        let stdout = LogStream::new(plugin.clone(), "stdout");
        let stderr = LogStream::new(plugin.clone(), "stderr");
        // Deny by default: no preopens, env, args or stdin; sockets disabled.
        let wasi = WasiCtx::builder()
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        HostState {
            limiter: MemoryLimiter::new(limits.memory_bytes as usize),
            plugin,
            wasi,
            table: ResourceTable::new(),
            limits,
            params,
            session,
            runtime,
            started: Instant::now(),
            host_time: Duration::ZERO,
            stdout,
            stderr,
        }
    }

    /// Wall-clock time since the run started.
    pub fn wall_time(&self) -> Duration {
        self.started.elapsed()
    }

    /// Time the guest has spent running: wall time minus host calls.
    pub fn guest_time(&self) -> Duration {
        self.started.elapsed().saturating_sub(self.host_time)
    }

    /// Logs what is left of unfinished output lines.
    pub fn flush_output(&self) {
        self.stdout.flush_partial();
        self.stderr.flush_partial();
    }

    /// Runs a database call for the guest, off the guest's CPU clock.
    fn host_call<T>(
        &mut self,
        f: impl FnOnce(&mut Session, &tokio::runtime::Handle) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let (Some(session), Some(runtime)) = (self.session.as_mut(), self.runtime.as_ref()) else {
            return Err(no_database());
        };
        let started = Instant::now();
        let out = f(session, runtime);
        self.host_time += started.elapsed();
        out
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl types::Host for HostState {}

impl store::Host for HostState {
    fn upsert(&mut self, target: Target, values: Vec<Value>) -> Result<Counts, StoreError> {
        self.host_call(|session, rt| {
            rt.block_on(async {
                let mut writer = session.open(target).await?;
                let counts = async {
                    session.write(&mut writer, values).await?;
                    session.finish_writer(&mut writer).await
                }
                .await;
                session.drop_writer(writer);
                counts
            })
        })
    }
}

impl store::HostWriter for HostState {
    fn open(&mut self, target: Target) -> Result<Resource<Writer>, StoreError> {
        let writer = self.host_call(|session, rt| rt.block_on(session.open(target)))?;
        Ok(Resource::new_own(writer.rep()))
    }

    fn write(&mut self, writer: Resource<Writer>, values: Vec<Value>) -> Result<(), StoreError> {
        let mut writer = WriterId::from_rep(writer.rep());
        self.host_call(|session, rt| rt.block_on(session.write(&mut writer, values)))
    }

    fn write_json(&mut self, writer: Resource<Writer>, rows: Vec<u8>) -> Result<(), StoreError> {
        let mut writer = WriterId::from_rep(writer.rep());
        self.host_call(|session, rt| rt.block_on(session.write_json(&mut writer, &rows)))
    }

    fn finish(&mut self, writer: Resource<Writer>) -> Result<Counts, StoreError> {
        let mut writer = WriterId::from_rep(writer.rep());
        self.host_call(|session, rt| rt.block_on(session.finish_writer(&mut writer)))
    }

    fn drop(&mut self, writer: Resource<Writer>) -> wasmtime::Result<()> {
        if let Some(session) = self.session.as_mut() {
            session.drop_writer(WriterId::from_rep(writer.rep()));
        }
        Ok(())
    }
}

fn no_database() -> StoreError {
    StoreError::Usage("there is no database here: the plugin is being inspected, not run".into())
}

impl log::Host for HostState {
    fn log(&mut self, level: log::Level, message: String) {
        use log::Level;
        let message = shown(&message, LOG_CHARS);
        let plugin = &*self.plugin;
        match level {
            Level::Trace => tracing::trace!(target: "plugin", plugin, "{message}"),
            Level::Debug => tracing::debug!(target: "plugin", plugin, "{message}"),
            Level::Info => tracing::info!(target: "plugin", plugin, "{message}"),
            Level::Warn => tracing::warn!(target: "plugin", plugin, "{message}"),
            Level::Error => tracing::error!(target: "plugin", plugin, "{message}"),
        }
    }
}

impl params::Host for HostState {
    fn get(&mut self, key: String) -> Option<String> {
        self.params.get(&key).cloned()
    }

    fn all(&mut self) -> Vec<(String, String)> {
        self.params
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}
