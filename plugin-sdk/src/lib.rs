//! Write seedhost seed plugins in Rust.
//!
//! A plugin implements [`Plugin`] and names its type in [`export_plugin!`]; the
//! crate is a `cdylib` built for `wasm32-wasip2`, which gives a component that
//! seedhost loads without being rebuilt.
//!
//! ```ignore
//! use seedhost_sdk::{export_plugin, row, Context, Plugin, Result};
//!
//! struct Greetings;
//!
//! impl Plugin for Greetings {
//!     const TABLES: &'static [&'static str] = &["greetings"];
//!
//!     fn run(ctx: &Context) -> Result<()> {
//!         let mut greetings = ctx.table("greetings").columns(&["id", "text"]).conflict(&["id"]).open()?;
//!         greetings.push(row![1, "hello"])?;
//!         greetings.push(row![2, format!("hello from {}", ctx.env())])?;
//!         greetings.finish()?;
//!         Ok(())
//!     }
//! }
//!
//! export_plugin!(Greetings);
//! ```
//!
//! Rows are pushed one by one and sent in batches (see [`TableBuilder::batch_rows`]);
//! the host converts every value to its column's type, so an integer can fill a
//! `bigint` or a `numeric` column and a text can fill a `uuid` column.
#![deny(missing_docs)]

// The generated bindings name this crate by its public path, also from inside it.
extern crate self as seedhost_sdk;

mod determinism;
mod table;
mod value;

pub use determinism::Random;
pub use table::{Table, TableBuilder};
pub use value::Json;

/// The bindings generated from the contract in `wit/`. Plugin code rarely needs
/// them: the types worth using are re-exported at the crate root.
#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../wit",
        world: "described-plugin",
        pub_export_macro: true,
        export_macro_name: "__export_described_plugin",
        default_bindings_module: "seedhost_sdk::bindings",
        runtime_path: "seedhost_sdk::__private::wit_bindgen::rt",
        additional_derives: [PartialEq, Clone],
    });
}

pub use bindings::seedhost::plugin::types::{
    Counts, Datetime, Metadata, OnConflict, StoreError, Uuid, Value,
};

/// What a plugin's `run` may fail with.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// The store refused a write. The host rolls the run back whatever happens
    /// next, so the usual reaction is `?`.
    Store(StoreError),
    /// The plugin's own failure.
    Plugin(String),
}

/// `Result` with [`Error`] as its default error.
pub type Result<T, E = Error> = core::result::Result<T, E>;

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Error::Store(e) => f.write_str(store_error_message(e)),
            Error::Plugin(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Error {}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Error::Store(e)
    }
}

impl From<String> for Error {
    fn from(message: String) -> Self {
        Error::Plugin(message)
    }
}

impl From<&str> for Error {
    fn from(message: &str) -> Self {
        Error::Plugin(message.to_owned())
    }
}

fn store_error_message(e: &StoreError) -> &str {
    match e {
        StoreError::Denied(m)
        | StoreError::Schema(m)
        | StoreError::Value(m)
        | StoreError::Database(m)
        | StoreError::Usage(m) => m,
    }
}

/// A seed plugin.
pub trait Plugin {
    /// The tables the plugin writes, for its metadata (`seedhost verify` checks
    /// them against the grant). The grant, not this list, is what the host enforces.
    const TABLES: &'static [&'static str] = &[];
    /// The profiles the plugin supports; empty means any. Again the grant decides.
    const PROFILES: &'static [&'static str] = &[];

    /// Seeds the database. Returning an error rolls back everything written.
    fn run(ctx: &Context) -> Result<()>;
}

/// The parameter that carries the host's reference time (RFC 3339).
pub const NOW_PARAM: &str = "seedhost.now";

/// The parameter that overrides the random generator's seed.
pub const SEED_PARAM: &str = "seed";

/// What a run knows about where it runs.
#[derive(Debug)]
pub struct Context {
    env: String,
    dry_run: bool,
    plugin: &'static str,
}

impl Context {
    /// The profile the run is for (`local`, `staging`, ...).
    pub fn env(&self) -> &str {
        &self.env
    }

    /// Whether the host will roll the run back. Writes behave exactly as in a
    /// real run, so most plugins can ignore this.
    pub fn dry_run(&self) -> bool {
        self.dry_run
    }

    /// An operator-set parameter.
    pub fn param(&self, key: &str) -> Option<String> {
        bindings::seedhost::plugin::params::get(key)
    }

    /// A parameter parsed as `T`, or `default` when it is not set.
    pub fn param_or<T>(&self, key: &str, default: T) -> Result<T>
    where
        T: core::str::FromStr,
        T::Err: core::fmt::Display,
    {
        match self.param(key) {
            None => Ok(default),
            Some(text) => text
                .parse()
                .map_err(|e| Error::Plugin(format!("parameter `{key}` = {text:?}: {e}"))),
        }
    }

    /// Every parameter, sorted by key.
    pub fn params(&self) -> Vec<(String, String)> {
        bindings::seedhost::plugin::params::all()
    }

    /// The host's reference time: the same on every run unless the operator
    /// changes it (per profile in seedhost.toml, or `--now`). Use it, not
    /// [`Datetime::now`], for relative dates, so re-runs write the same values.
    pub fn now(&self) -> Result<Datetime> {
        let text = self.param(NOW_PARAM).ok_or_else(|| {
            Error::Plugin(format!(
                "the host gave no reference time (parameter {NOW_PARAM})"
            ))
        })?;
        Datetime::parse_rfc3339(&text).ok_or_else(|| {
            Error::Plugin(format!("parameter {NOW_PARAM} = {text:?}: not an instant"))
        })
    }

    /// A generator seeded from the plugin's name and the profile, or from the
    /// `seed` parameter: the same numbers on every run. Each call starts the
    /// sequence again, so keep the one you take.
    pub fn random(&self) -> Random {
        let seed = self
            .param(SEED_PARAM)
            .unwrap_or_else(|| format!("{}/{}", self.plugin, self.env));
        Random::new(&seed)
    }

    /// Starts describing a write into `table` (`name` or `schema.name`).
    pub fn table(&self, table: &str) -> TableBuilder {
        TableBuilder::new(table)
    }
}

/// Logs through the host, under the plugin's name. Prefer the macros
/// [`info!`], [`warn!`], [`debug!`], [`error!`].
pub mod log {
    pub use crate::bindings::seedhost::plugin::log::Level;

    /// Sends one message to the host's log.
    pub fn log(level: Level, message: &str) {
        crate::bindings::seedhost::plugin::log::log(level, message)
    }
}

/// Logs at info level: `info!("seeded {n} rows")`.
#[macro_export]
macro_rules! info {
    ($($arg:tt)*) => { $crate::log::log($crate::log::Level::Info, &::std::format!($($arg)*)) };
}

/// Logs at warn level.
#[macro_export]
macro_rules! warn {
    ($($arg:tt)*) => { $crate::log::log($crate::log::Level::Warn, &::std::format!($($arg)*)) };
}

/// Logs at debug level.
#[macro_export]
macro_rules! debug {
    ($($arg:tt)*) => { $crate::log::log($crate::log::Level::Debug, &::std::format!($($arg)*)) };
}

/// Logs at error level.
#[macro_export]
macro_rules! error {
    ($($arg:tt)*) => { $crate::log::log($crate::log::Level::Error, &::std::format!($($arg)*)) };
}

/// Builds one row from values of mixed types: `row![id, "title", 42, None::<i64>]`.
#[macro_export]
macro_rules! row {
    ($($value:expr),* $(,)?) => { [$($crate::Value::from($value)),*] };
}

/// A [`Uuid`] from its text, checked at compile time: `uuid!("aaaaaaaa-0001-...")`.
#[macro_export]
macro_rules! uuid {
    ($text:expr) => {
        const {
            match $crate::Uuid::parse($text) {
                Some(uuid) => uuid,
                None => panic!("not a UUID"),
            }
        }
    };
}

/// Exports a [`Plugin`] as the component's `run` and `metadata`.
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty) => {
        const _: () = {
            struct SeedhostExport;

            impl $crate::bindings::Guest for SeedhostExport {
                fn run(env: ::std::string::String, dry_run: bool) -> ::core::result::Result<(), ::std::string::String> {
                    $crate::__private::run::<$plugin>(env!("CARGO_PKG_NAME"), env, dry_run)
                }

                fn metadata() -> $crate::Metadata {
                    $crate::__private::metadata::<$plugin>(
                        env!("CARGO_PKG_NAME"),
                        env!("CARGO_PKG_VERSION"),
                        env!("CARGO_PKG_DESCRIPTION"),
                    )
                }
            }

            $crate::bindings::__export_described_plugin!(SeedhostExport with_types_in $crate::bindings);
        };
    };
}

#[doc(hidden)]
pub mod __private {
    pub use wit_bindgen;

    use super::{Context, Metadata, Plugin};

    pub fn run<P: Plugin>(plugin: &'static str, env: String, dry_run: bool) -> Result<(), String> {
        let ctx = Context {
            env,
            dry_run,
            plugin,
        };
        let outcome = P::run(&ctx);
        // A table the plugin dropped without `finish` was flushed on drop; an
        // error there must fail the run too.
        let deferred = crate::table::take_deferred_error();
        match (outcome, deferred) {
            (Err(e), _) => Err(e.to_string()),
            (Ok(()), Some(e)) => Err(e.to_string()),
            (Ok(()), None) => Ok(()),
        }
    }

    pub fn metadata<P: Plugin>(name: &str, version: &str, description: &str) -> Metadata {
        let owned = |list: &[&str]| list.iter().map(|s| s.to_string()).collect();
        Metadata {
            name: name.to_owned(),
            version: version.to_owned(),
            description: description.to_owned(),
            tables: owned(P::TABLES),
            profiles: owned(P::PROFILES),
        }
    }
}
