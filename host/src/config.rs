//! The project configuration, `seedhost.toml`: where migrations live and, for each
//! plugin, its component and its grant. The operator writes this file, so it, not
//! the plugin, decides what a plugin may touch.
//!
//! ```toml
//! migrations = "migrations"          # default
//! smoke = "smoke"                    # default: the smoke checks' directory
//! reset_schemas = ["public"]         # default: what `seedhost reset` clears on PostgreSQL
//! supabase_history = "auto"          # default; or "always", "never": the Supabase CLI's history
//! lock_timeout_seconds = 60          # default: how long a PostgreSQL lock is waited for
//! sqlite_migrations = "sqlite_migrations"   # optional: SQLite's versions of migrations
//!
//! [limits]                           # defaults for every plugin
//! cpu_seconds = 60
//! memory_mib = 256
//! wall_seconds = 600
//!
//! [now]                              # the reference time plugins see (`seedhost.now`)
//! default = "2026-01-01T00:00:00Z"   # the default; per profile below; `--now` wins
//! staging = "2026-03-01T00:00:00Z"
//!
//! [seed_files]                       # supabase/config.toml's [db.seed] files
//! profiles = ["local"]               # default: where they run (staging is an explicit grant)
//! policy = "on-change"               # default: again when a file's content changes; or "once"
//!
//! [plugins.catalog]
//! wasm = "target/wasm32-wasip2/release/catalog.wasm"
//! source = "plugins/catalog"         # default plugins/NAME: what `seedhost plugin build` builds
//! optional = false                   # true: `run --all`, `setup`, `verify` skip it, saying so, while it is not built
//! sdk = ".seedhost/sdk/0.1.0"        # default: the SDK this binary carries; what `plugin build` builds with
//! policy = "always"                  # default; "on-change": only when it or what it follows changed; "once"
//! tables = ["catalog_journeys", "public.catalog_chapters"]
//! profiles = ["local", "staging"]
//! after = []                         # plugins that must run first
//! params = { journey = "agentic-ai-mastery" }
//! limits = { cpu_seconds = 5 }
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use thiserror::Error;

use crate::grant::{Grant, TableName};

/// The file seedhost looks for in the current directory and its parents.
pub const FILE_NAME: &str = "seedhost.toml";

/// Guest CPU time a plugin gets unless configured: generous for seeding
/// millions of rows, short enough that a runaway loop is noticed.
pub const DEFAULT_CPU_SECONDS: f64 = 60.0;
/// Linear memory a plugin gets unless configured.
pub const DEFAULT_MEMORY_MIB: u64 = 256;
/// Wall-clock time a plugin run gets unless configured.
pub const DEFAULT_WALL_SECONDS: f64 = 600.0;

/// Why the configuration could not be used.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// No `seedhost.toml` was found.
    #[error("no {FILE_NAME} in {0} or any parent directory (pass --config PATH)")]
    NotFound(
        /// The directory the search started from.
        PathBuf,
    ),
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why it could not be read.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML, or has unknown keys.
    #[error("{path}: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The TOML error, with its line.
        #[source]
        source: Box<toml::de::Error>,
    },
    /// The file is valid TOML but its values are not.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, naming the key.
        message: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    migrations: Option<PathBuf>,
    #[serde(default = "default_smoke")]
    smoke: PathBuf,
    #[serde(default = "default_reset_schemas")]
    reset_schemas: Vec<String>,
    #[serde(default)]
    supabase_history: SupabaseHistory,
    #[serde(default = "default_lock_timeout")]
    lock_timeout_seconds: f64,
    #[serde(default)]
    sqlite_migrations: Option<PathBuf>,
    #[serde(default)]
    limits: RawLimits,
    #[serde(default)]
    now: BTreeMap<String, String>,
    #[serde(default)]
    plugins: BTreeMap<String, RawPlugin>,
    #[serde(default)]
    seed_files: RawSeedFiles,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSeedFiles {
    #[serde(default = "default_seed_profiles")]
    profiles: Vec<String>,
    #[serde(default = "default_seed_policy")]
    policy: Policy,
}

impl Default for RawSeedFiles {
    fn default() -> Self {
        RawSeedFiles {
            profiles: default_seed_profiles(),
            policy: default_seed_policy(),
        }
    }
}

fn default_seed_profiles() -> Vec<String> {
    vec![crate::profile::LOCAL.to_owned()]
}

fn default_seed_policy() -> Policy {
    Policy::OnChange
}

/// The Supabase project's seed files (`[db.seed]` of supabase/config.toml):
/// where seedhost runs them, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedFilesConfig {
    /// The profiles they run in (`local` by default: a seed file for staging
    /// is an explicit grant).
    pub profiles: Vec<String>,
    /// `on-change` (by content hash; the default) or `once`.
    pub policy: Policy,
}

/// An RFC 3339 instant, as UTC with a `Z`: the form plugins are given.
pub fn parse_instant(text: &str) -> Result<String, String> {
    chrono::DateTime::parse_from_rfc3339(text.trim())
        .map(|at| {
            at.with_timezone(&chrono::Utc)
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        })
        .map_err(|e| format!("not an RFC 3339 instant such as 2026-01-01T00:00:00Z ({e})"))
}

/// The parameter that gives plugins the reference time.
pub const NOW_PARAM: &str = "seedhost.now";

/// The reference time when seedhost.toml sets none: fixed, so that re-runs
/// write the same values whatever the day.
pub const DEFAULT_NOW: &str = "2026-01-01T00:00:00Z";

fn default_lock_timeout() -> f64 {
    DEFAULT_LOCK_TIMEOUT_SECONDS
}

/// How long a lock is waited for unless configured.
pub const DEFAULT_LOCK_TIMEOUT_SECONDS: f64 = 60.0;

/// The migrations directory unless `seedhost.toml` names another.
const DEFAULT_MIGRATIONS: &str = "migrations";

fn default_smoke() -> PathBuf {
    PathBuf::from("smoke")
}

/// Supabase owns `auth`, `storage` and the rest: reset leaves them alone
/// unless the operator lists them.
fn default_reset_schemas() -> Vec<String> {
    vec!["public".to_owned()]
}

#[derive(Debug, Default, Deserialize, Clone, Copy)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    cpu_seconds: Option<f64>,
    memory_mib: Option<u64>,
    wall_seconds: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlugin {
    wasm: PathBuf,
    #[serde(default)]
    source: Option<PathBuf>,
    #[serde(default)]
    optional: bool,
    #[serde(default)]
    sdk: Option<PathBuf>,
    #[serde(default)]
    policy: Policy,
    tables: Vec<String>,
    profiles: Vec<String>,
    #[serde(default)]
    after: Vec<String>,
    #[serde(default)]
    params: BTreeMap<String, String>,
    #[serde(default)]
    limits: RawLimits,
}

/// When `run` runs a plugin, given what the seed ledger of the database says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Policy {
    /// Every time it is selected.
    #[default]
    Always,
    /// Unless its last successful run in this database had the same component,
    /// parameters and profile, no migration was applied or adopted since, and
    /// no plugin it comes `after` (directly or not) ran since.
    OnChange,
    /// Only while the ledger holds no successful run of it.
    Once,
}

impl Policy {
    /// Its name in seedhost.toml.
    pub fn name(self) -> &'static str {
        match self {
            Policy::Always => "always",
            Policy::OnChange => "on-change",
            Policy::Once => "once",
        }
    }
}

/// Whether seedhost also keeps the Supabase CLI's migration history
/// (`supabase_migrations.schema_migrations`) on PostgreSQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SupabaseHistory {
    /// On databases that look like a Supabase project's: they have the CLI's
    /// history, or Supabase Auth's (`auth.schema_migrations`).
    #[default]
    Auto,
    /// On every PostgreSQL database (creating `supabase_migrations`).
    Always,
    /// Never.
    Never,
}

/// A loaded, checked configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was read from.
    pub path: PathBuf,
    /// The directory holding it: relative paths and `.env.NAME` files start here.
    pub root: PathBuf,
    /// The migrations directory.
    pub migrations: PathBuf,
    /// Whether `seedhost.toml` names it: then it must exist (a misspelled
    /// directory is an error, not "no migrations"); the default may be absent.
    pub migrations_named: bool,
    /// The smoke checks' directory.
    pub smoke: PathBuf,
    /// PostgreSQL schemas whose objects `seedhost reset` drops.
    pub reset_schemas: Vec<String>,
    /// Whether the Supabase CLI's migration history is kept too.
    pub supabase_history: SupabaseHistory,
    /// How long a PostgreSQL lock is waited for (another migrator's lock,
    /// a row another session writes) before seedhost gives up, naming it.
    pub lock_timeout: Duration,
    /// SQLite's own versions of migrations, where the Supabase CLI does not
    /// look: on SQLite a file here replaces the same version's file (or adds one).
    pub sqlite_migrations: Option<PathBuf>,
    /// The reference time per profile (`default` for the others), RFC 3339 in UTC.
    pub now: BTreeMap<String, String>,
    /// Plugins by name, sorted.
    pub plugins: BTreeMap<String, PluginConfig>,
    /// The Supabase project's seed files: where and when they run.
    pub seed_files: SeedFilesConfig,
}

/// One plugin as the operator configured it.
#[derive(Debug, Clone)]
pub struct PluginConfig {
    /// The name it is run by.
    pub name: String,
    /// Its component.
    pub wasm: PathBuf,
    /// Its source directory, which `seedhost plugin build` builds.
    pub source: PathBuf,
    /// An example that may be unbuilt: `run --all`, `setup` and `verify` skip
    /// it, saying so, while its component is missing.
    pub optional: bool,
    /// The SDK it was made with (a directory laid out as a seedhost checkout:
    /// `plugin-sdk/`, `sdk/typescript/`, `sdk/python/`, `wit/`), or nothing for
    /// the one this binary carries.
    pub sdk: Option<PathBuf>,
    /// When `run` runs it.
    pub policy: Policy,
    /// What it may write and where it may run.
    pub grant: Grant,
    /// Plugins that must run before it.
    pub after: Vec<String>,
    /// Parameters it can read (the command line overrides them).
    pub params: BTreeMap<String, String>,
    /// Its sandbox limits.
    pub limits: Limits,
}

/// What a plugin may consume.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Time spent running guest code (host calls, such as database writes, do
    /// not count).
    pub cpu: Duration,
    /// Bytes of linear memory.
    pub memory_bytes: u64,
    /// Wall-clock time for the whole run, host calls and waits included.
    pub wall: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            cpu: Duration::from_secs_f64(DEFAULT_CPU_SECONDS),
            memory_bytes: DEFAULT_MEMORY_MIB << 20,
            wall: Duration::from_secs_f64(DEFAULT_WALL_SECONDS),
        }
    }
}

impl Config {
    /// Finds `seedhost.toml` in `dir` or its parents and loads it.
    pub fn discover(dir: &Path) -> Result<Config, ConfigError> {
        let found = dir
            .ancestors()
            .map(|d| d.join(FILE_NAME))
            .find(|candidate| candidate.is_file())
            .ok_or_else(|| ConfigError::NotFound(dir.to_owned()))?;
        Config::load(&found)
    }

    /// Loads the configuration at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let root = path
            .parent()
            .map(Path::to_owned)
            .unwrap_or_else(|| PathBuf::from("."));
        let root = if root.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            root
        };
        Config::parse(&text, path, &root)
    }

    /// Parses configuration text; `path` is for messages, `root` anchors
    /// relative paths.
    pub fn parse(text: &str, path: &Path, root: &Path) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|source| ConfigError::Parse {
            path: path.to_owned(),
            source: Box::new(source),
        })?;
        let invalid = |message: String| ConfigError::Invalid {
            path: path.to_owned(),
            message,
        };
        let defaults = limits(Limits::default(), raw.limits).map_err(&invalid)?;
        if !(raw.lock_timeout_seconds.is_finite()
            && raw.lock_timeout_seconds > 0.0
            && raw.lock_timeout_seconds <= 86_400.0)
        {
            return Err(invalid(format!(
                "lock_timeout_seconds = {}: must be positive, at most a day",
                raw.lock_timeout_seconds
            )));
        }
        if let Some(bad) = raw
            .reset_schemas
            .iter()
            .find(|s| s.is_empty() || s.starts_with("pg_"))
        {
            return Err(invalid(format!(
                "reset_schemas: {bad:?} is not a schema seedhost may clear"
            )));
        }

        let mut now = BTreeMap::new();
        for (profile, text) in raw.now {
            let at = parse_instant(&text)
                .map_err(|e| invalid(format!("now.{profile} = {text:?}: {e}")))?;
            now.insert(profile, at);
        }

        let mut plugins = BTreeMap::new();
        for (name, plugin) in raw.plugins {
            if !is_plugin_name(&name) {
                return Err(invalid(format!(
                    "plugin name {name:?}: use lowercase letters, digits, '-' and '_'"
                )));
            }
            let context = |m: String| invalid(format!("plugin `{name}`: {m}"));
            if plugin.profiles.is_empty() {
                return Err(context(
                    "`profiles` is empty: list the profiles it may run in".into(),
                ));
            }
            let tables = plugin
                .tables
                .iter()
                .map(|t| TableName::parse(t).map_err(&context))
                .collect::<Result<Vec<_>, _>>()?;
            let limits = limits(defaults, plugin.limits).map_err(&context)?;
            let mut params = plugin.params;
            // Checked, and given to the plugin in UTC, like every other source.
            if let Some(now) = params.get_mut(NOW_PARAM) {
                *now = parse_instant(now)
                    .map_err(|e| context(format!("params.\"{NOW_PARAM}\" = {now:?}: {e}")))?;
            }
            plugins.insert(
                name.clone(),
                PluginConfig {
                    wasm: root.join(&plugin.wasm),
                    source: root.join(
                        plugin
                            .source
                            .unwrap_or_else(|| Path::new("plugins").join(&name)),
                    ),
                    optional: plugin.optional,
                    sdk: plugin.sdk.map(|sdk| root.join(sdk)),
                    policy: plugin.policy,
                    grant: Grant::new(tables, plugin.profiles),
                    after: plugin.after,
                    params,
                    limits,
                    name,
                },
            );
        }
        for plugin in plugins.values() {
            for before in &plugin.after {
                if !plugins.contains_key(before) {
                    return Err(invalid(format!(
                        "plugin `{}` runs after `{before}`, which is not configured",
                        plugin.name
                    )));
                }
            }
        }
        if raw.seed_files.policy == Policy::Always {
            return Err(invalid(
                "[seed_files] policy = \"always\": seed files run \"on-change\" (by content \
                 hash; the default) or \"once\""
                    .into(),
            ));
        }
        Ok(Config {
            path: path.to_owned(),
            root: root.to_owned(),
            migrations: root.join(
                raw.migrations
                    .as_deref()
                    .unwrap_or(Path::new(DEFAULT_MIGRATIONS)),
            ),
            migrations_named: raw.migrations.is_some(),
            smoke: root.join(raw.smoke),
            reset_schemas: raw.reset_schemas,
            supabase_history: raw.supabase_history,
            lock_timeout: Duration::from_secs_f64(raw.lock_timeout_seconds),
            sqlite_migrations: raw.sqlite_migrations.map(|d| root.join(d)),
            now,
            plugins,
            seed_files: SeedFilesConfig {
                profiles: raw.seed_files.profiles,
                policy: raw.seed_files.policy,
            },
        })
    }

    /// The reference time for profile `env`: its own, else `default`, else
    /// [`DEFAULT_NOW`].
    pub fn now_for(&self, env: &str) -> String {
        self.now
            .get(env)
            .or_else(|| self.now.get("default"))
            .cloned()
            .unwrap_or_else(|| DEFAULT_NOW.to_owned())
    }

    /// The plugin called `name`, or an error listing the configured ones.
    pub fn plugin(&self, name: &str) -> Result<&PluginConfig, String> {
        self.plugins.get(name).ok_or_else(|| {
            let known: Vec<&str> = self.plugins.keys().map(String::as_str).collect();
            format!(
                "no plugin `{name}` in {} (configured: {})",
                self.path.display(),
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            )
        })
    }
}

/// Whether `name` may name a plugin: lowercase letters, digits, `-` and `_`.
pub fn is_plugin_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

fn limits(base: Limits, raw: RawLimits) -> Result<Limits, String> {
    let mut out = base;
    if let Some(seconds) = raw.cpu_seconds {
        if !(seconds.is_finite() && seconds > 0.0) {
            return Err(format!("cpu_seconds = {seconds}: must be positive"));
        }
        out.cpu = Duration::from_secs_f64(seconds);
    }
    if let Some(mib) = raw.memory_mib {
        if mib == 0 || mib > 4096 {
            return Err(format!("memory_mib = {mib}: must be between 1 and 4096"));
        }
        out.memory_bytes = mib << 20;
    }
    if let Some(seconds) = raw.wall_seconds {
        if !(seconds.is_finite() && seconds > 0.0 && seconds <= 7.0 * 86_400.0) {
            return Err(format!(
                "wall_seconds = {seconds}: must be positive, at most a week"
            ));
        }
        out.wall = Duration::from_secs_f64(seconds);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("seedhost.toml"), Path::new("/project"))
    }

    #[test]
    fn the_reference_time_comes_per_profile_then_default_then_fixed() {
        let none = parse("").unwrap();
        assert_eq!(none.now_for("local"), DEFAULT_NOW);
        let config = parse(
            "[now]\ndefault = \"2026-03-01T00:00:00Z\"\nstaging = \"2026-06-01T02:00:00+02:00\"\n",
        )
        .unwrap();
        assert_eq!(config.now_for("local"), "2026-03-01T00:00:00Z");
        assert_eq!(config.now_for("staging"), "2026-06-01T00:00:00Z");
        let err = parse("[now]\nlocal = \"yesterday\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("now.local = \"yesterday\": not an RFC 3339 instant"),
            "{err}"
        );
        let err = parse(
            "[plugins.p]\nwasm = \"p.wasm\"\ntables = []\nprofiles = [\"local\"]\nparams = { \"seedhost.now\" = \"soon\" }\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("plugin `p`: params.\"seedhost.now\" = \"soon\""),
            "{err}"
        );
        let config = parse(
            "[plugins.p]\nwasm = \"p.wasm\"\ntables = []\nprofiles = [\"local\"]\nparams = { \"seedhost.now\" = \"2026-05-01T14:00:00+02:00\" }\n",
        )
        .unwrap();
        assert_eq!(
            config.plugins["p"].params[NOW_PARAM],
            "2026-05-01T12:00:00Z"
        );
    }

    #[test]
    fn full_plugin_entry() {
        let config = parse(
            r#"
            [limits]
            memory_mib = 64

            [plugins.catalog]
            wasm = "plugins/catalog.wasm"
            tables = ["catalog_journeys", "public.catalog_chapters"]
            profiles = ["local", "staging"]
            params = { rows = "10" }
            limits = { cpu_seconds = 2.5 }
            "#,
        )
        .unwrap();
        let catalog = config.plugin("catalog").unwrap();
        assert_eq!(catalog.wasm, Path::new("/project/plugins/catalog.wasm"));
        assert_eq!(config.migrations, Path::new("/project/migrations"));
        assert_eq!(catalog.limits.cpu, Duration::from_millis(2500));
        assert_eq!(catalog.limits.memory_bytes, 64 << 20);
        assert_eq!(catalog.params["rows"], "10");
        assert!(catalog.grant.allows_profile("staging"));
        assert!(!catalog.grant.allows_profile("production"));
    }

    #[test]
    fn unknown_keys_are_errors_naming_the_file() {
        let err =
            parse("[plugins.x]\nwasm = 'x.wasm'\ntables = []\nprofiles = ['local']\ntabels = []\n")
                .unwrap_err();
        let message = err.to_string();
        assert!(message.contains("seedhost.toml"), "{message}");
        assert!(message.contains("tabels"), "{message}");
    }

    #[test]
    fn empty_profiles_and_bad_limits_are_refused() {
        let err = parse("[plugins.x]\nwasm = 'x.wasm'\ntables = []\nprofiles = []\n").unwrap_err();
        assert!(err.to_string().contains("plugin `x`"), "{err}");
        let err = parse("[limits]\ncpu_seconds = -1\n").unwrap_err();
        assert!(err.to_string().contains("cpu_seconds"), "{err}");
    }

    #[test]
    fn after_must_name_a_configured_plugin() {
        let err = parse(
            "[plugins.x]\nwasm = 'x.wasm'\ntables = []\nprofiles = ['local']\nafter = ['y']\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("`y`"), "{err}");
    }

    #[test]
    fn unknown_plugin_lists_known_ones() {
        let config =
            parse("[plugins.x]\nwasm = 'x.wasm'\ntables = []\nprofiles = ['local']\n").unwrap();
        let err = config.plugin("nope").unwrap_err();
        assert!(err.contains("configured: x"), "{err}");
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn entry() -> impl Strategy<Value = String> {
            let keys = prop_oneof![
                Just("migrations"),
                Just("smoke"),
                Just("reset_schemas"),
                Just("supabase_history"),
                Just("lock_timeout_seconds"),
                Just("sqlite_migrations"),
                Just("cpu_seconds"),
                Just("memory_mib"),
                Just("wall_seconds"),
                Just("wasm"),
                Just("tables"),
                Just("profiles"),
                Just("after"),
                Just("params"),
                Just("limits"),
                Just("nonsense")
            ];
            let values = prop_oneof![
                Just("\"x\"".to_owned()),
                Just("[]".to_owned()),
                Just("[\"a\", \"b.c\"]".to_owned()),
                any::<i64>().prop_map(|i| i.to_string()),
                any::<f64>().prop_map(|f| format!("{f:?}")),
                Just("{ cpu_seconds = -1 }".to_owned()),
                Just("\"auto\"".to_owned()),
                Just("true".to_owned()),
            ];
            (keys, values).prop_map(|(k, v)| format!("{k} = {v}"))
        }

        proptest! {
            /// Any configuration: loaded or refused with the file named, never a panic.
            #[test]
            fn configurations_never_panic(
                top in proptest::collection::vec(entry(), 0..4),
                plugin in proptest::collection::vec(entry(), 0..6),
                limits in proptest::collection::vec(entry(), 0..3),
                name in "[a-zA-Z_-]{0,8}",
            ) {
                let text = format!(
                    "{}\n[limits]\n{}\n[plugins.{name}]\n{}\n",
                    top.join("\n"), limits.join("\n"), plugin.join("\n")
                );
                if let Err(e) = Config::parse(&text, Path::new("seedhost.toml"), Path::new("/p")) {
                    let message = e.to_string();
                    prop_assert!(message.contains("seedhost.toml"), "{}", message);
                }
            }
        }
    }
}
