//! The engine, the linker and the component cache, shared by every plugin
//! run; loading a component (contract version checked before anything is
//! instantiated), and running it in a fresh wasmtime store with its limits.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use thiserror::Error;
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Config, Engine, UpdateDeadline};

use crate::config::Limits;
use crate::contract::{self, Metadata, Plugin, PluginPre};
use crate::shown::{MAX_CHARS, shown};
use crate::store::Session;

use super::cache;
use super::host::HostState;
use super::limits::{CpuLimitReached, MemoryLimitReached, TICK, WallLimitReached};

/// Why a plugin could not be loaded or did not finish.
#[derive(Debug, Error)]
pub enum SandboxError {
    /// The component file could not be read.
    #[error("plugin `{plugin}`: cannot read {path}: {source}{hint}")]
    Read {
        /// The plugin.
        plugin: String,
        /// The component file.
        path: PathBuf,
        /// What to do about it, if anything.
        hint: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a valid component.
    #[error("plugin `{plugin}`: {path} is not a valid WebAssembly component: {message}")]
    Compile {
        /// The plugin.
        plugin: String,
        /// The component file.
        path: PathBuf,
        /// What happened, in words.
        message: String,
    },
    /// The component was built against another contract version.
    #[error(
        "plugin `{plugin}` was built against {package}@{theirs}, but this seedhost speaks \
         {package}@{ours} (and loads {older}); rebuild the plugin with a matching seedhost SDK",
        package = contract::PACKAGE,
        ours = contract::VERSION,
        older = contract::RELEASES[..contract::RELEASES.len() - 1].join(", ")
    )]
    Version {
        /// The plugin.
        plugin: String,
        /// The version it was built against.
        theirs: String,
    },
    /// The component could not be instantiated (an import seedhost does not provide, say).
    #[error("plugin `{plugin}` cannot be linked: {message}")]
    Link {
        /// The plugin.
        plugin: String,
        /// What happened, in words.
        message: String,
    },
    /// The guest used up its CPU time.
    #[error("plugin `{plugin}` exceeded its CPU limit of {limit:?} of guest time and was stopped")]
    Cpu {
        /// The plugin.
        plugin: String,
        /// The limit.
        limit: Duration,
    },
    /// The run used up its wall-clock time.
    #[error(
        "plugin `{plugin}` exceeded its wall-clock limit of {limit:?} and was stopped \
         (wall_seconds; waits in host calls count)"
    )]
    Wall {
        /// The plugin.
        plugin: String,
        /// The limit.
        limit: Duration,
    },
    /// The guest asked for more memory than it may have.
    #[error("plugin `{plugin}` exceeded its memory limit of {} MiB and was stopped", limit >> 20)]
    Memory {
        /// The plugin.
        plugin: String,
        /// The limit.
        limit: u64,
    },
    /// The guest called WASI's `exit` instead of returning from `run`.
    #[error(
        "plugin `{plugin}` exited (status {status}) instead of returning from `run`; \
         a plugin ends by returning Ok or an error"
    )]
    Exited {
        /// The plugin.
        plugin: String,
        /// The status it exited with.
        status: i32,
    },
    /// wasmtime stopped the guest for something it did while running.
    #[error("plugin `{plugin}` was stopped: {message}")]
    Stopped {
        /// The plugin.
        plugin: String,
        /// What wasmtime said.
        message: String,
    },
    /// The guest trapped (a Rust guest panics this way).
    #[error("plugin `{plugin}` trapped: {message}")]
    Trap {
        /// The plugin.
        plugin: String,
        /// What happened, in words.
        message: String,
    },
    /// `run` returned an error.
    #[error("plugin `{plugin}` failed: {message}")]
    Failed {
        /// The plugin.
        plugin: String,
        /// What happened, in words.
        message: String,
    },
    /// The store refused a write: the first store error decides the run.
    #[error("plugin `{plugin}`: {message}")]
    Store {
        /// The plugin.
        plugin: String,
        /// What happened, in words.
        message: String,
    },
    /// The engine could not be set up.
    #[error("sandbox: {0}")]
    Engine(
        /// What failed.
        String,
    ),
}

/// A compiled plugin, ready to run.
#[derive(Clone)]
pub struct Loaded {
    /// The compiled component.
    pub component: Component,
    /// Whether it came from the on-disk cache.
    pub cached: bool,
    /// Time to read, hash and compile or deserialize it.
    pub load_time: Duration,
    /// The contract version it was built against (`None`: it imports nothing of ours).
    pub contract: Option<String>,
    /// SHA-256 of the component file, lowercase hex.
    pub digest: String,
}

/// Everything a plugin run needs besides its component.
pub struct RunInput {
    /// The plugin's configured name.
    pub plugin: String,
    /// The profile it runs in (the `env` argument of `run`).
    pub env: String,
    /// Whether the run will be rolled back (the `dry-run` argument of `run`).
    pub dry_run: bool,
    /// What the `params` import answers.
    pub params: BTreeMap<String, String>,
    /// CPU and memory limits.
    pub limits: Limits,
    /// The store session its writes go through.
    pub session: Session,
    /// The runtime host calls use to reach the database.
    pub runtime: tokio::runtime::Handle,
}

/// What a run produced: the plugin's own outcome and the session, which owns
/// the transaction and may still have a batch in flight. Whether the run
/// succeeded is decided once that batch has settled: a store error, however
/// late, decides it (see `runner`).
pub struct RunOutput {
    /// What `run` returned, or why it did not.
    pub result: Result<(), SandboxError>,
    /// The session, with the transaction and maybe a batch in flight.
    pub session: Session,
    /// Time spent in guest code.
    pub guest_time: Duration,
}

/// The engine, the linker and the component cache, shared by every plugin run.
pub struct Sandbox {
    engine: Engine,
    linker: Linker<HostState>,
    cache_dir: Option<PathBuf>,
    /// The cache's size limit, in bytes.
    cache_max_bytes: u64,
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
        super::compat::add_0_1_0(&mut linker)
            .map_err(|e| SandboxError::Engine(format!("linking contract 0.1.0: {e:#}")))?;

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
            cache_max_bytes: cache::DEFAULT_MAX_BYTES,
            ticker_stop: Some(ticker_stop),
            ticker: Some(ticker),
        })
    }

    /// Keeps the component cache under `max_bytes` (least recently used
    /// entries go first).
    pub fn limit_cache(&mut self, max_bytes: u64) {
        self.cache_max_bytes = max_bytes;
    }

    /// Reads, checks and compiles (or loads from the cache) a plugin's component.
    pub fn load(&self, plugin: &str, wasm: &Path) -> Result<Loaded, SandboxError> {
        let started = Instant::now();
        let bytes = std::fs::read(wasm).map_err(|source| SandboxError::Read {
            plugin: plugin.to_owned(),
            path: wasm.to_owned(),
            hint: if source.kind() == std::io::ErrorKind::NotFound {
                format!(" (build it with `seedhost plugin build {plugin}`)")
            } else {
                String::new()
            },
            source,
        })?;
        let digest: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let cache_file = self
            .cache_dir
            .as_ref()
            .map(|dir| dir.join(format!("{}.cwasm", self.cache_key(&digest))));

        let mut cached = None;
        if let Some(file) = cache_file.as_ref().filter(|f| f.is_file()) {
            // SAFETY: deserializing runs native code from the file, so the cache
            // must be as trusted as this binary. It is written only by `save_to_cache`
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
                if let Some(file) = &cache_file {
                    cache::touch(file);
                }
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
                if let (Some(file), Some(dir)) = (&cache_file, &self.cache_dir)
                    && self.save_to_cache(&component, file)
                {
                    let source = std::fs::canonicalize(wasm).unwrap_or_else(|_| wasm.to_owned());
                    cache::saved(dir, &source, file, self.cache_max_bytes);
                }
                (component, false)
            }
        };
        let version = contract::component_version(&self.engine, &component);
        if let Some(theirs) = &version
            && !contract::compatible(theirs)
        {
            return Err(SandboxError::Version {
                plugin: plugin.to_owned(),
                theirs: theirs.clone(),
            });
        }
        // Imports and exports are checked now, before anything connects: a
        // component of another world is refused before a migration runs.
        self.linker
            .instantiate_pre(&component)
            .and_then(PluginPre::new)
            .map_err(|e| SandboxError::Link {
                plugin: plugin.to_owned(),
                message: format!("{e:#}"),
            })?;
        Ok(Loaded {
            component,
            cached: was_cached,
            load_time: started.elapsed(),
            contract: version,
            digest,
        })
    }

    /// `<the wasm's SHA-256>-<this engine's compatibility hash>`.
    fn cache_key(&self, digest: &str) -> String {
        let mut engine_hash = std::collections::hash_map::DefaultHasher::new();
        self.engine
            .precompile_compatibility_hash()
            .hash(&mut engine_hash);
        format!("{digest}-{:016x}", engine_hash.finish())
    }

    /// Best effort: a cache that cannot be written only costs a recompile.
    fn save_to_cache(&self, component: &Component, file: &Path) -> bool {
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
        match write() {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(file = %file.display(), "cannot cache compiled component: {e}");
                false
            }
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
        store: &mut wasmtime::Store<HostState>,
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
            Ok(Err(message)) => Err(SandboxError::Failed {
                plugin,
                message: shown(&message, MAX_CHARS),
            }),
            Err(e) => Err(self.classify_call(&plugin, e, store)),
        }
    }

    /// A fresh store with the state's limits in force: memory through the
    /// limiter, guest CPU time checked at every epoch tick.
    fn new_store(&self, state: HostState) -> wasmtime::Store<HostState> {
        let (cpu, wall) = (state.limits.cpu, state.limits.wall);
        let mut store = wasmtime::Store::new(&self.engine, state);
        store.limiter(|state| &mut state.limiter);
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |ctx| {
            if ctx.data().guest_time() > cpu {
                Err(CpuLimitReached.into())
            } else if ctx.data().wall_time() > wall {
                Err(WallLimitReached.into())
            } else {
                Ok(UpdateDeadline::Continue(1))
            }
        });
        store
    }

    /// A store with no database behind it: for looking at a plugin, not running it.
    fn detached_store(&self, plugin: &str) -> wasmtime::Store<HostState> {
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
            .map_err(|e| self.classify_call(plugin, e, &store))?;
        Ok(Some(metadata))
    }

    /// Why a call into the guest stopped: a limit, a trap, an exit, or
    /// something wasmtime refused while it ran (a bad handle, say). Never
    /// "cannot be linked": the plugin was linked, it ran.
    fn classify_call(
        &self,
        plugin: &str,
        error: wasmtime::Error,
        store: &wasmtime::Store<HostState>,
    ) -> SandboxError {
        if let Some(exit) = error.downcast_ref::<wasmtime_wasi::I32Exit>() {
            return SandboxError::Exited {
                plugin: plugin.to_owned(),
                status: exit.0,
            };
        }
        match self.classify(plugin, error, store) {
            SandboxError::Link { plugin, message } => SandboxError::Stopped { plugin, message },
            other => other,
        }
    }

    fn classify(
        &self,
        plugin: &str,
        error: wasmtime::Error,
        store: &wasmtime::Store<HostState>,
    ) -> SandboxError {
        let plugin = plugin.to_owned();
        if error.downcast_ref::<CpuLimitReached>().is_some() {
            return SandboxError::Cpu {
                plugin,
                limit: store.data().limits.cpu,
            };
        }
        if error.downcast_ref::<WallLimitReached>().is_some() {
            return SandboxError::Wall {
                plugin,
                limit: store.data().limits.wall,
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
