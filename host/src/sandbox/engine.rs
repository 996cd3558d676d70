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
//! - Each run gets a fresh [`Store`]: nothing survives from one run to the next.
//! - Compiled components are cached on disk, keyed by the wasm's SHA-256 and the
//!   engine's compatibility hash, so a second run skips Cranelift.

use std::collections::{BTreeMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::mpsc::RecvTimeoutError;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use thiserror::Error;
use wasmtime::component::{Component, HasSelf, Linker, Resource, ResourceTable};
use wasmtime::{Config, Engine, ResourceLimiter, Store, UpdateDeadline};
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::config::Limits;
use crate::contract::{self, Counts, Metadata, Plugin, StoreError, Target, Value};
use crate::store::{Session, WriterHandle};

/// How often the epoch advances, and so how late a CPU limit may be noticed.
pub const TICK: Duration = Duration::from_millis(10);

/// Why a plugin could not be loaded or did not finish.
#[derive(Debug, Error)]
pub enum SandboxError {
    #[error("plugin `{plugin}`: cannot read {path}: {source}{hint}")]
    Read {
        plugin: String,
        path: PathBuf,
        hint: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("plugin `{plugin}`: {path} is not a valid WebAssembly component: {message}")]
    Compile {
        plugin: String,
        path: PathBuf,
        message: String,
    },
    #[error(
        "plugin `{plugin}` was built against {package}@{theirs}, but this seedhost speaks \
         {package}@{ours}; rebuild the plugin with a matching seedhost-sdk",
        package = contract::PACKAGE,
        ours = contract::VERSION
    )]
    Version { plugin: String, theirs: String },
    #[error("plugin `{plugin}` cannot be linked: {message}")]
    Link { plugin: String, message: String },
    #[error("plugin `{plugin}` exceeded its CPU limit of {limit:?} of guest time and was stopped")]
    Cpu { plugin: String, limit: Duration },
    #[error("plugin `{plugin}` exceeded its memory limit of {} MiB and was stopped", limit >> 20)]
    Memory { plugin: String, limit: u64 },
    #[error("plugin `{plugin}` trapped: {message}")]
    Trap { plugin: String, message: String },
    #[error("plugin `{plugin}` failed: {message}")]
    Failed { plugin: String, message: String },
    #[error("plugin `{plugin}`: {message}")]
    Store { plugin: String, message: String },
    #[error("sandbox: {0}")]
    Engine(String),
}

/// Raised from the epoch callback: the guest used up its CPU time.
#[derive(Debug, Error)]
#[error("CPU limit reached")]
struct CpuLimitReached;

/// Raised from the limiter: the guest asked for more memory than it may have.
#[derive(Debug, Error)]
#[error("memory limit reached")]
struct MemoryLimitReached;

/// A compiled plugin, ready to run.
#[derive(Clone)]
pub struct Loaded {
    pub component: Component,
    /// Whether it came from the on-disk cache.
    pub cached: bool,
    /// Time to read, hash and compile or deserialize it.
    pub load_time: Duration,
}

/// Everything a plugin run needs besides its component.
pub struct RunInput {
    pub plugin: String,
    pub env: String,
    pub dry_run: bool,
    pub params: BTreeMap<String, String>,
    pub limits: Limits,
    pub session: Session,
    /// The runtime host calls use to reach the database.
    pub runtime: tokio::runtime::Handle,
}

/// What a run produced: the plugin's own outcome and the session, which owns
/// the transaction and may still have a batch in flight. Whether the run
/// succeeded is decided once that batch has settled: a store error, however
/// late, decides it (see `runner`).
pub struct RunOutput {
    pub result: Result<(), SandboxError>,
    pub session: Session,
    /// Time spent in guest code.
    pub guest_time: Duration,
}

/// The engine, the linker and the component cache, shared by every plugin run.
pub struct Sandbox {
    engine: Engine,
    linker: Linker<HostState>,
    cache_dir: Option<PathBuf>,
    ticker_stop: Option<std::sync::mpsc::Sender<()>>,
    ticker: Option<std::thread::JoinHandle<()>>,
}

impl Sandbox {
    /// A sandbox caching compiled components in `cache_dir` (none: no cache).
    pub fn new(cache_dir: Option<PathBuf>) -> Result<Sandbox, SandboxError> {
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.epoch_interruption(true);
        let engine = Engine::new(&config).map_err(|e| SandboxError::Engine(format!("{e:#}")))?;

        let mut linker: Linker<HostState> = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)
            .map_err(|e| SandboxError::Engine(format!("linking WASI: {e:#}")))?;
        Plugin::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |state| state)
            .map_err(|e| SandboxError::Engine(format!("linking the store: {e:#}")))?;

        // The ticker waits on a channel rather than sleeping, so dropping the
        // sandbox (the sender) stops it at once instead of a tick later.
        let (ticker_stop, stopped) = std::sync::mpsc::channel::<()>();
        let ticker = {
            let engine = engine.clone();
            std::thread::Builder::new()
                .name("seedhost-epoch".into())
                .spawn(move || {
                    while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(TICK) {
                        engine.increment_epoch();
                    }
                })
                .map_err(|e| SandboxError::Engine(format!("starting the epoch ticker: {e}")))?
        };
        Ok(Sandbox {
            engine,
            linker,
            cache_dir,
            ticker_stop: Some(ticker_stop),
            ticker: Some(ticker),
        })
    }

    /// Reads, checks and compiles (or loads from the cache) a plugin's component.
    pub fn load(&self, plugin: &str, wasm: &Path) -> Result<Loaded, SandboxError> {
        let started = Instant::now();
        let bytes = std::fs::read(wasm).map_err(|source| SandboxError::Read {
            plugin: plugin.to_owned(),
            path: wasm.to_owned(),
            hint: if source.kind() == std::io::ErrorKind::NotFound {
                " (build this repository's plugins with `cargo plugins`)"
            } else {
                ""
            },
            source,
        })?;
        let cache_file = self
            .cache_dir
            .as_ref()
            .map(|dir| dir.join(format!("{}.cwasm", self.cache_key(&bytes))));

        let mut cached = None;
        if let Some(file) = cache_file.as_ref().filter(|f| f.is_file()) {
            // SAFETY: deserializing runs native code from the file, so the cache
            // must be as trusted as this binary. It is written only by `store_in_cache`
            // below, under a name derived from the wasm's hash and this engine's
            // compatibility hash, and wasmtime checks its header before use.
            match unsafe { Component::deserialize_file(&self.engine, file) } {
                Ok(component) => cached = Some(component),
                Err(e) => {
                    tracing::warn!(plugin, file = %file.display(), "ignoring unusable cached component: {e:#}")
                }
            }
        }
        let (component, was_cached) = match cached {
            Some(component) => {
                tracing::debug!(plugin, "loaded compiled component from cache");
                (component, true)
            }
            None => {
                let component = Component::from_binary(&self.engine, &bytes).map_err(|e| {
                    SandboxError::Compile {
                        plugin: plugin.to_owned(),
                        path: wasm.to_owned(),
                        message: format!("{e:#}"),
                    }
                })?;
                tracing::debug!(plugin, elapsed = ?started.elapsed(), "compiled component with Cranelift");
                if let Some(file) = &cache_file {
                    self.store_in_cache(&component, file);
                }
                (component, false)
            }
        };
        if let Some(theirs) = contract::component_version(&self.engine, &component)
            && !contract::compatible(&theirs)
        {
            return Err(SandboxError::Version {
                plugin: plugin.to_owned(),
                theirs,
            });
        }
        Ok(Loaded {
            component,
            cached: was_cached,
            load_time: started.elapsed(),
        })
    }

    fn cache_key(&self, wasm: &[u8]) -> String {
        let digest = Sha256::digest(wasm);
        let mut engine_hash = std::collections::hash_map::DefaultHasher::new();
        self.engine
            .precompile_compatibility_hash()
            .hash(&mut engine_hash);
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        format!("{hex}-{:016x}", engine_hash.finish())
    }

    /// Best effort: a cache that cannot be written only costs a recompile.
    fn store_in_cache(&self, component: &Component, file: &Path) {
        let write = || -> std::io::Result<()> {
            let bytes = component.serialize().map_err(std::io::Error::other)?;
            let dir = file.parent().unwrap_or(Path::new("."));
            std::fs::create_dir_all(dir)?;
            // Write then rename, so a concurrent reader never sees half a file.
            let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
            tmp.write_all(&bytes)?;
            tmp.persist(file).map_err(|e| e.error)?;
            Ok(())
        };
        if let Err(e) = write() {
            tracing::warn!(file = %file.display(), "cannot cache compiled component: {e}");
        }
    }

    /// Runs a loaded plugin's `run` in a fresh store. Blocks: call it from a
    /// thread that may block (not a runtime worker).
    pub fn run(&self, loaded: &Loaded, input: RunInput) -> RunOutput {
        let plugin: Arc<str> = Arc::from(input.plugin.as_str());
        let limits = input.limits;
        let state = HostState::new(
            plugin.clone(),
            input.params,
            Some(input.session),
            Some(input.runtime),
            limits,
        );
        let mut store = self.new_store(state);

        let result = self.call_run(&mut store, loaded, &input.env, input.dry_run);
        let guest_time = store.data().guest_time();
        let state = store.into_data();
        state.flush_output();
        RunOutput {
            result,
            session: state.session.expect("a run's store has a session"),
            guest_time,
        }
    }

    fn call_run(
        &self,
        store: &mut Store<HostState>,
        loaded: &Loaded,
        env: &str,
        dry_run: bool,
    ) -> Result<(), SandboxError> {
        let plugin = store.data().plugin.to_string();
        let instance = self
            .linker
            .instantiate(&mut *store, &loaded.component)
            .map_err(|e| self.classify(&plugin, e, store))?;
        let bindings = Plugin::new(&mut *store, &instance).map_err(|e| SandboxError::Link {
            plugin: plugin.clone(),
            message: format!("{e:#}"),
        })?;
        match bindings.call_run(&mut *store, env, dry_run) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(message)) => Err(SandboxError::Failed { plugin, message }),
            Err(e) => Err(self.classify(&plugin, e, store)),
        }
    }

    /// A fresh store with the state's limits in force: memory through the
    /// limiter, guest CPU time checked at every epoch tick.
    fn new_store(&self, state: HostState) -> Store<HostState> {
        let cpu = state.limits.cpu;
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| &mut state.limiter);
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |ctx| {
            if ctx.data().guest_time() > cpu {
                Err(CpuLimitReached.into())
            } else {
                Ok(UpdateDeadline::Continue(1))
            }
        });
        store
    }

    /// A store with no database behind it: for looking at a plugin, not running it.
    fn detached_store(&self, plugin: &str) -> Store<HostState> {
        self.new_store(HostState::new(
            Arc::from(plugin),
            BTreeMap::new(),
            None,
            None,
            Limits::default(),
        ))
    }

    /// Instantiates the plugin in a fresh store and returns how long that took:
    /// the per-run cost once the component is loaded.
    pub fn probe(&self, plugin: &str, loaded: &Loaded) -> Result<Duration, SandboxError> {
        let started = Instant::now();
        let mut store = self.detached_store(plugin);
        let instance = self
            .linker
            .instantiate(&mut store, &loaded.component)
            .map_err(|e| self.classify(plugin, e, &store))?;
        Plugin::new(&mut store, &instance).map_err(|e| SandboxError::Link {
            plugin: plugin.to_owned(),
            message: format!("{e:#}"),
        })?;
        Ok(started.elapsed())
    }

    /// The plugin's self-description, if it exports one.
    pub fn metadata(
        &self,
        plugin: &str,
        loaded: &Loaded,
    ) -> Result<Option<Metadata>, SandboxError> {
        let mut store = self.detached_store(plugin);
        let instance = self
            .linker
            .instantiate(&mut store, &loaded.component)
            .map_err(|e| self.classify(plugin, e, &store))?;
        let Ok(func) = instance.get_typed_func::<(), (Metadata,)>(&mut store, "metadata") else {
            return Ok(None);
        };
        let (metadata,) = func
            .call(&mut store, ())
            .map_err(|e| self.classify(plugin, e, &store))?;
        Ok(Some(metadata))
    }

    fn classify(
        &self,
        plugin: &str,
        error: wasmtime::Error,
        store: &Store<HostState>,
    ) -> SandboxError {
        let plugin = plugin.to_owned();
        if error.downcast_ref::<CpuLimitReached>().is_some() {
            return SandboxError::Cpu {
                plugin,
                limit: store.data().limits.cpu,
            };
        }
        if error.downcast_ref::<MemoryLimitReached>().is_some() || store.data().limiter.hit {
            return SandboxError::Memory {
                plugin,
                limit: store.data().limits.memory_bytes,
            };
        }
        if let Some(trap) = error.downcast_ref::<wasmtime::Trap>() {
            tracing::debug!(plugin, "trap details: {error:?}");
            // A Rust guest that panics prints why to stderr, then traps: the
            // panic message is the useful part.
            let said = store.data().stderr.recent();
            let message = if said.is_empty() {
                trap.to_string()
            } else {
                format!("{trap}; its stderr said: {}", said.join(" / "))
            };
            return SandboxError::Trap { plugin, message };
        }
        // Instantiation problems (a missing import, say) and host failures.
        SandboxError::Link {
            plugin,
            message: format!("{error:#}"),
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        drop(self.ticker_stop.take());
        if let Some(ticker) = self.ticker.take() {
            let _ = ticker.join();
        }
    }
}

/// The per-run state behind a plugin's imports.
pub struct HostState {
    plugin: Arc<str>,
    wasi: WasiCtx,
    table: ResourceTable,
    limiter: MemoryLimiter,
    limits: Limits,
    params: BTreeMap<String, String>,
    /// The database, for runs; `None` when the plugin is only inspected.
    session: Option<Session>,
    runtime: Option<tokio::runtime::Handle>,
    started: Instant,
    /// Time spent in host calls, which the CPU limit does not count.
    host_time: Duration,
    stdout: LogStream,
    stderr: LogStream,
}

impl HostState {
    fn new(
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
            limiter: MemoryLimiter {
                max: limits.memory_bytes as usize,
                hit: false,
            },
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

    fn guest_time(&self) -> Duration {
        self.started.elapsed().saturating_sub(self.host_time)
    }

    fn flush_output(&self) {
        self.stdout.flush_partial();
        self.stderr.flush_partial();
    }

    /// Runs a database call for the guest, off the guest's CPU clock.
    /// Writers live in the resource table, so calls on one get it too.
    fn host_call<T>(
        &mut self,
        f: impl FnOnce(
            &mut Session,
            &tokio::runtime::Handle,
            &mut ResourceTable,
        ) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let (Some(session), Some(runtime)) = (self.session.as_mut(), self.runtime.as_ref()) else {
            return Err(no_database());
        };
        let started = Instant::now();
        let out = f(session, runtime, &mut self.table);
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

struct MemoryLimiter {
    max: usize,
    hit: bool,
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.max {
            self.hit = true;
            return Err(MemoryLimitReached.into());
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // Tables hold function references; a million is far beyond any plugin.
        Ok(desired <= 1_000_000)
    }
}

impl contract::seedhost::plugin::types::Host for HostState {}

impl contract::seedhost::plugin::store::Host for HostState {
    fn upsert(&mut self, target: Target, values: Vec<Value>) -> Result<Counts, StoreError> {
        self.host_call(|session, rt, _| {
            rt.block_on(async {
                let mut writer = session.open(target).await?;
                session.write(&mut writer, values).await?;
                session.finish_writer(&mut writer).await
            })
        })
    }
}

impl contract::seedhost::plugin::store::HostWriter for HostState {
    fn open(&mut self, target: Target) -> Result<Resource<WriterHandle>, StoreError> {
        let writer = self.host_call(|session, rt, _| rt.block_on(session.open(target)))?;
        self.table
            .push(writer)
            .map_err(|e| StoreError::Usage(format!("too many open writers: {e}")))
    }

    fn write(
        &mut self,
        writer: Resource<WriterHandle>,
        values: Vec<Value>,
    ) -> Result<(), StoreError> {
        self.host_call(|session, rt, table| {
            let handle = table.get_mut(&writer).map_err(unknown_writer)?;
            rt.block_on(session.write(handle, values))
        })
    }

    fn finish(&mut self, writer: Resource<WriterHandle>) -> Result<Counts, StoreError> {
        self.host_call(|session, rt, table| {
            let handle = table.get_mut(&writer).map_err(unknown_writer)?;
            rt.block_on(session.finish_writer(handle))
        })
    }

    fn drop(&mut self, writer: Resource<WriterHandle>) -> wasmtime::Result<()> {
        self.table.delete(writer)?;
        Ok(())
    }
}

fn no_database() -> StoreError {
    StoreError::Usage("there is no database here: the plugin is being inspected, not run".into())
}

fn unknown_writer(e: wasmtime::component::ResourceTableError) -> StoreError {
    StoreError::Usage(format!("unknown writer: {e}"))
}

impl contract::seedhost::plugin::log::Host for HostState {
    fn log(&mut self, level: contract::seedhost::plugin::log::Level, message: String) {
        use contract::seedhost::plugin::log::Level;
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

impl contract::seedhost::plugin::params::Host for HostState {
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

/// A plugin's stdout or stderr: complete lines go to `tracing` as they arrive.
#[derive(Clone)]
struct LogStream {
    plugin: Arc<str>,
    stream: &'static str,
    pending: Arc<Mutex<Vec<u8>>>,
    /// The last few lines, for error messages.
    recent: Arc<Mutex<VecDeque<String>>>,
}

/// Lines of a stream kept for error messages.
const RECENT_LINES: usize = 4;

/// A line longer than this is logged in pieces, so a plugin cannot make the
/// host buffer without bound.
const MAX_LINE: usize = 64 * 1024;

impl LogStream {
    fn new(plugin: Arc<str>, stream: &'static str) -> LogStream {
        LogStream {
            plugin,
            stream,
            pending: Arc::new(Mutex::new(Vec::new())),
            recent: Arc::new(Mutex::new(VecDeque::with_capacity(RECENT_LINES))),
        }
    }

    /// The last lines written, minus Rust's backtrace hint.
    fn recent(&self) -> Vec<String> {
        let recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        recent
            .iter()
            .filter(|l| !l.trim().is_empty() && !l.starts_with("note: run with `RUST_BACKTRACE"))
            .cloned()
            .collect()
    }

    fn emit(&self, line: &[u8]) {
        let text = String::from_utf8_lossy(line);
        let text = text.trim_end_matches('\r');
        tracing::info!(target: "plugin", plugin = &*self.plugin, stream = self.stream, "{text}");
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        if recent.len() == RECENT_LINES {
            recent.pop_front();
        }
        recent.push_back(text.chars().take(500).collect());
    }

    fn write_bytes(&self, bytes: &[u8]) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        pending.extend_from_slice(bytes);
        while let Some(end) = pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            self.emit(&line[..line.len() - 1]);
        }
        if pending.len() > MAX_LINE {
            let chunk: Vec<u8> = std::mem::take(&mut *pending);
            self.emit(&chunk);
        }
    }

    fn flush_partial(&self) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        if !pending.is_empty() {
            let rest = std::mem::take(&mut *pending);
            self.emit(&rest);
        }
    }
}

impl IsTerminal for LogStream {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for LogStream {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[async_trait::async_trait]
impl Pollable for LogStream {
    async fn ready(&mut self) {}
}

impl OutputStream for LogStream {
    fn write(&mut self, bytes: bytes::Bytes) -> StreamResult<()> {
        self.write_bytes(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(MAX_LINE)
    }
}

impl tokio::io::AsyncWrite for LogStream {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        self.write_bytes(buf);
        std::task::Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}
