//! Deciding before connecting: what a command will do, worked out from the
//! configuration, the profile and the files alone. Which plugins run, in which
//! order, which are refused or skipped and why; which database (and whether a
//! reset is confirmed); which migration files apply. Nothing here touches a
//! database, so a refused plugin or a missing URL never connects anywhere.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use thiserror::Error;

use crate::config::{Config, PluginConfig};
use crate::db::{Backend, DbError};
use crate::migrate::{self, MigrationError, MigrationFile};
use crate::profile::{self, Profile, ProfileError};
use crate::seedfile::{self, SeedFile};

/// Where compiled components are cached unless `SEEDHOST_CACHE_DIR` says otherwise,
/// relative to the project root.
pub const CACHE_DIR: &str = ".seedhost/cache";

/// A failure outside any single plugin's run.
#[derive(Debug, Error)]
pub enum RunError {
    /// The profile could not be resolved.
    #[error(transparent)]
    Profile(#[from] ProfileError),
    /// The database could not be used.
    #[error(transparent)]
    Db(#[from] DbError),
    /// Migration files or the migration record are wrong.
    #[error(transparent)]
    Migration(#[from] MigrationError),
    /// The sandbox could not start or load a plugin.
    #[error(transparent)]
    Sandbox(#[from] crate::sandbox::SandboxError),
    /// The command itself is refused (plugins, profiles, reset guard).
    #[error("{0}")]
    Plan(String),
    /// A plugin was abandoned past its wall-clock limit: the run ends, and its
    /// transaction is rolled back as the connection closes when seedhost exits.
    #[error(
        "plugin `{0}` was abandoned past its wall-clock limit; nothing of its transaction is \
         kept (the database rolls it back as seedhost exits), and no later plugin ran"
    )]
    Abandoned(String),
}

/// Which database a command is for: the profile, an optional explicit URL and
/// the process environment the profile is resolved in.
#[derive(Debug, Clone)]
pub struct Destination {
    /// The profile's name (`--env`).
    pub env: String,
    /// `--database-url`, which wins over the profile's variables.
    pub database_url: Option<String>,
    /// The process environment (a parameter so tests control it).
    pub process_env: HashMap<String, String>,
}

/// What `seedhost run` (or `migrate`, `reset`, `setup`) was asked to do.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Plugins named on the command line, in order.
    pub plugins: Vec<String>,
    /// Every plugin granted the profile, in dependency order.
    pub all: bool,
    /// Do everything in a transaction that is rolled back.
    pub dry_run: bool,
    /// `--param key=value`, overriding the configuration's parameters.
    pub params: Vec<(String, String)>,
    /// `--now`: the reference time plugins see, over the configuration's
    /// (RFC 3339, already checked).
    pub now: Option<String>,
    /// Clear the database before migrating (`reset`, `setup`).
    pub reset: Option<ResetGuard>,
    /// Show a spinner per plugin with the rows written so far (on a terminal).
    pub progress: bool,
    /// In a dry run, run each plugin a second time right after the first, in
    /// the same transaction, and report what the second run did (`verify`).
    pub twice: bool,
    /// `--ignore-policy`: run the selected plugins whatever their policy.
    pub ignore_policy: bool,
    /// Components already loaded, shared by the targets of a fan-out (a
    /// single run loads its own).
    pub components: Option<std::sync::Arc<Components>>,
}

/// The sandbox and the components it loaded, shared by every target of a
/// fan-out: each component is read, hashed and compiled (or taken from the
/// cache) once, whatever the number of targets.
pub struct Components {
    sandbox: std::sync::Arc<crate::sandbox::Sandbox>,
    loaded: std::sync::Mutex<HashMap<PathBuf, crate::sandbox::Loaded>>,
}

impl std::fmt::Debug for Components {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Components").finish_non_exhaustive()
    }
}

impl Components {
    /// The project's sandbox, with nothing loaded yet.
    pub fn new(
        config: &Config,
        env: &HashMap<String, String>,
    ) -> Result<Components, crate::sandbox::SandboxError> {
        Ok(Components {
            sandbox: std::sync::Arc::new(sandbox(config, env)?),
            loaded: std::sync::Mutex::new(HashMap::new()),
        })
    }

    /// The sandbox the components run in.
    pub fn sandbox(&self) -> &std::sync::Arc<crate::sandbox::Sandbox> {
        &self.sandbox
    }

    /// `plugin`'s component from `wasm`: loaded on first use, then shared.
    /// Blocks (compiling can take seconds): call it off the async workers.
    pub fn load(
        &self,
        plugin: &str,
        wasm: &std::path::Path,
    ) -> Result<crate::sandbox::Loaded, crate::sandbox::SandboxError> {
        // Held while loading, so two targets never compile the same component.
        let mut loaded = self
            .loaded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(done) = loaded.get(wasm) {
            return Ok(done.clone());
        }
        let done = self.sandbox.load(plugin, wasm)?;
        loaded.insert(wasm.to_owned(), done.clone());
        Ok(done)
    }
}

/// What makes a reset of a profile other than `local` deliberate: `--force`
/// and the database's name, typed back or given with `--confirm`.
#[derive(Debug, Clone, Default)]
pub struct ResetGuard {
    /// `--force`.
    pub force: bool,
    /// The database name as confirmed, at the prompt or with `--confirm`.
    pub confirm: Option<String>,
}

/// Plugins that will not run, each with the reason.
pub type Skipped = Vec<(String, String)>;

/// Everything decided before connecting.
#[derive(Debug)]
pub struct Plan<'c> {
    /// The plugins to run, in order.
    pub plugins: Vec<&'c PluginConfig>,
    /// The resolved profile: the database URL and where it came from.
    pub profile: Profile,
    /// The migration files that apply to the database's backend.
    pub migrations: Vec<MigrationFile>,
    /// The Supabase seed files to run, in the CLI's order, before the plugins.
    pub seed_files: Vec<SeedFile>,
}

/// Decides what a run will do; refuses what can be refused without a database.
/// Plugins that will not run are added to `skipped` with the reason, even when
/// a later step refuses the run, so the report can list them.
pub fn decide<'c>(
    config: &'c Config,
    destination: &Destination,
    options: &RunOptions,
    skipped: &mut Skipped,
) -> Result<Plan<'c>, RunError> {
    let (seed_files, plugin_names) = seed_files_named(config, destination, options)?;
    let options = &RunOptions {
        plugins: plugin_names,
        ..options.clone()
    };
    let (plugins, not_run) = select(config, options, &destination.env, false)?;
    skipped.extend(not_run);
    let profile = resolve(config, destination)?;
    let seed_files = seed_files_allowed(
        config,
        destination,
        options.all,
        seed_files,
        &profile.database_url,
        skipped,
        false,
    )?;
    if let Some(guard) = &options.reset {
        if options.dry_run {
            return Err(RunError::Plan("a reset cannot be a dry run".into()));
        }
        check_reset_guard(guard, &destination.env, &profile.database_url)?;
    }
    let migrations = migration_files(config, &profile.database_url)?;
    Ok(Plan {
        plugins,
        profile,
        migrations,
        seed_files,
    })
}

/// The Supabase seed files a run takes (every one with `--all`; those named,
/// by the path the CLI records, `supabase/seed.sql`), and the names left for
/// plugins.
pub fn seed_files_named(
    config: &Config,
    destination: &Destination,
    options: &RunOptions,
) -> Result<(Vec<SeedFile>, Vec<String>), RunError> {
    let env = |name: &str| destination.process_env.get(name).cloned();
    let found =
        seedfile::discover(&config.root, &env).map_err(|e| RunError::Plan(e.to_string()))?;
    let mut named: Vec<SeedFile> = Vec::new();
    let mut plugins = Vec::new();
    for name in &options.plugins {
        let path = name.trim_start_matches("./");
        match found.iter().find(|f| f.path == path) {
            Some(file) if !named.contains(file) => named.push(file.clone()),
            Some(_) => {}
            None if path.ends_with(".sql") => {
                let known: Vec<&str> = found.iter().map(|f| f.path.as_str()).collect();
                return Err(RunError::Plan(format!(
                    "no seed file {name}: the seed files ([db.seed] sql_paths of \
                     supabase/config.toml, by their path from the project root) are {}",
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                )));
            }
            None => plugins.push(name.clone()),
        }
    }
    Ok((if options.all { found } else { named }, plugins))
}

/// The seed files of [`seed_files_named`] that may run on `url` in this
/// profile. The others are skipped with the reason (on SQLite; under `--all`
/// in a profile `[seed_files]` does not list); a named one in such a profile
/// is refused (with `list_refused`, skipped instead).
pub fn seed_files_allowed(
    config: &Config,
    destination: &Destination,
    all: bool,
    chosen: Vec<SeedFile>,
    url: &str,
    skipped: &mut Skipped,
    list_refused: bool,
) -> Result<Vec<SeedFile>, RunError> {
    let sqlite = Backend::of(url)? == Backend::Sqlite;
    let reason = if sqlite {
        "seed files are Supabase's SQL for PostgreSQL: skipped on SQLite".to_owned()
    } else if !config.seed_files.profiles.contains(&destination.env) {
        format!(
            "seed files run in profile{} {} only ([seed_files] profiles in {}), not in `{}`",
            if config.seed_files.profiles.len() == 1 {
                ""
            } else {
                "s"
            },
            config.seed_files.profiles.join(", "),
            config.path.display(),
            destination.env
        )
    } else {
        return Ok(chosen);
    };
    if let Some(first) = chosen.first()
        && !all
        && !sqlite
        && !list_refused
    {
        return Err(RunError::Plan(format!("refusing {}: {reason}", first.path)));
    }
    skipped.extend(chosen.into_iter().map(|f| (f.path, reason.clone())));
    Ok(Vec::new())
}

/// The migration files that apply to the database `url` names.
pub fn migration_files(config: &Config, url: &str) -> Result<Vec<MigrationFile>, RunError> {
    Ok(migrate::discover(
        &config.migrations,
        config.migrations_named,
        config.sqlite_migrations.as_deref(),
        Backend::of(url)?,
    )?)
}

/// Resolves the destination's profile for the project; its URL's passwords
/// are remembered, so nothing seedhost prints shows them.
pub fn resolve(config: &Config, destination: &Destination) -> Result<Profile, ProfileError> {
    if let Some(url) = &destination.database_url {
        crate::redact::remember_secrets_of(url);
    }
    let profile = profile::resolve(
        &config.root,
        &destination.env,
        destination.database_url.as_deref(),
        &destination.process_env,
    )?;
    crate::redact::remember_secrets_of(&profile.database_url);
    Ok(profile)
}

/// Whether the profile would use the embedded default database, and that
/// database was never created (read-only commands then do not create it).
pub fn default_database_missing(config: &Config, profile: &Profile) -> bool {
    profile.source == profile::UrlSource::Default
        && !config.root.join(profile::LOCAL_DATABASE).exists()
}

/// The name a reset must be confirmed with: the database of a PostgreSQL URL,
/// the file name of a SQLite one. Decided without connecting.
pub fn database_name(url: &str) -> String {
    let parsed = url::Url::parse(url).ok();
    if url.starts_with("sqlite:") {
        let path = url.trim_start_matches("sqlite:").trim_start_matches("//");
        let path = path.split('?').next().unwrap_or(path);
        return std::path::Path::new(path)
            .file_name()
            .map_or_else(|| path.to_owned(), |f| f.to_string_lossy().into_owned());
    }
    let Some(parsed) = parsed else {
        return url.to_owned();
    };
    if let Some((_, name)) = parsed.query_pairs().find(|(k, _)| k == "dbname") {
        return name.into_owned();
    }
    let path = parsed.path().trim_start_matches('/');
    if path.is_empty() {
        // PostgreSQL's default database is the user's name.
        parsed.username().to_owned()
    } else {
        url::form_urlencoded::parse(path.as_bytes())
            .map(|(k, v)| {
                if v.is_empty() {
                    k.into_owned()
                } else {
                    format!("{k}={v}")
                }
            })
            .collect()
    }
}

/// The database name a reset of `destination` must be confirmed with.
pub fn reset_confirmation_name(
    config: &Config,
    destination: &Destination,
) -> Result<String, RunError> {
    Ok(database_name(&resolve(config, destination)?.database_url))
}

fn check_reset_guard(guard: &ResetGuard, env: &str, url: &str) -> Result<(), RunError> {
    if env == profile::LOCAL {
        return Ok(());
    }
    let name = database_name(url);
    if !guard.force {
        return Err(RunError::Plan(format!(
            "refusing to reset profile `{env}` (database {name}): only `local` resets without \
             question; pass --force and confirm the database name"
        )));
    }
    match &guard.confirm {
        Some(given) if *given == name => Ok(()),
        Some(given) => Err(RunError::Plan(format!(
            "refusing to reset: confirmation {given:?} does not match the database name {name:?}"
        ))),
        None => Err(RunError::Plan(format!(
            "refusing to reset profile `{env}`: confirm the database name, interactively or with --confirm {name}"
        ))),
    }
}

/// The component cache's size limit: `SEEDHOST_CACHE_MAX_MIB`, or 1 GiB.
pub fn cache_limit(env: &HashMap<String, String>) -> u64 {
    env.get("SEEDHOST_CACHE_MAX_MIB")
        .and_then(|m| m.parse::<u64>().ok())
        .map_or(crate::sandbox::cache::DEFAULT_MAX_BYTES, |mib| mib << 20)
}

/// The database's timeouts, from the configuration.
pub fn timeouts(config: &Config) -> crate::db::Timeouts {
    crate::db::Timeouts {
        lock: config.lock_timeout,
        ..crate::db::Timeouts::default()
    }
}

/// The sandbox for this project: its component cache, kept under the limit.
pub fn sandbox(
    config: &Config,
    env: &HashMap<String, String>,
) -> Result<crate::sandbox::Sandbox, crate::sandbox::SandboxError> {
    let mut sandbox = crate::sandbox::Sandbox::new(Some(cache_dir(config, env)))?;
    sandbox.limit_cache(cache_limit(env));
    Ok(sandbox)
}

/// The parameters `plugin` gets in profile `env`: the reference time (the
/// profile's), its own parameters, `--param`s, then `--now` over all of them.
/// (Every source was checked and made UTC when it was read.)
pub fn params_for(
    config: &Config,
    env: &str,
    plugin: &PluginConfig,
    options: &RunOptions,
) -> BTreeMap<String, String> {
    let mut params = BTreeMap::from([(crate::config::NOW_PARAM.to_owned(), config.now_for(env))]);
    params.extend(plugin.params.clone());
    params.extend(options.params.iter().cloned());
    if let Some(now) = &options.now {
        params.insert(crate::config::NOW_PARAM.to_owned(), now.clone());
    }
    params
}

/// SHA-256 of a component file, lowercase hex; nothing when it cannot be read.
pub fn component_digest(wasm: &std::path::Path) -> Option<String> {
    use sha2::{Digest, Sha256};
    let bytes = std::fs::read(wasm).ok()?;
    Some(crate::ledger::hex(&Sha256::digest(&bytes)))
}

/// The newest migration a database has once it is migrated: the last file's
/// version (files are in version order).
pub fn newest_migration(migrations: &[MigrationFile]) -> Option<&str> {
    migrations.last().map(|m| m.version_text.as_str())
}

/// Whether `plugin` is an optional one whose component is not built: `run
/// --all`, `setup` and `verify` skip it, saying so.
pub fn unbuilt_optional(plugin: &PluginConfig) -> bool {
    plugin.optional && !plugin.wasm.exists()
}

/// Where compiled components are cached for this project.
pub fn cache_dir(config: &Config, env: &HashMap<String, String>) -> PathBuf {
    env.get("SEEDHOST_CACHE_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| config.root.join(CACHE_DIR))
}

/// The plugins to run, in order, and those skipped with the reason. Named
/// plugins must exist and be granted the profile (with `list_refused`, one
/// that is not, or is not built, is skipped with the reason instead: `plan`
/// lists what `run` would refuse); with `--all`, every plugin granted the
/// profile runs, in dependency order, and the others are skipped.
pub fn select<'c>(
    config: &'c Config,
    options: &RunOptions,
    env: &str,
    list_refused: bool,
) -> Result<(Vec<&'c PluginConfig>, Skipped), RunError> {
    if options.all && !options.plugins.is_empty() {
        return Err(RunError::Plan(
            "give plugin names or --all, not both".into(),
        ));
    }
    let refuse = |p: &PluginConfig| {
        RunError::Plan(format!(
            "plugin `{}` may run only in profile{} {} (its grant in {}); refusing to run it in `{env}`",
            p.name,
            if p.grant.profiles().len() == 1 {
                ""
            } else {
                "s"
            },
            p.grant.profiles().join(", "),
            config.path.display()
        ))
    };
    if !options.all {
        let mut chosen = Vec::new();
        let mut refused = Vec::new();
        for name in &options.plugins {
            let plugin = config.plugin(name).map_err(RunError::Plan)?;
            let refusal = if !plugin.grant.allows_profile(env) {
                Some(refuse(plugin))
            } else if !plugin.wasm.exists() {
                Some(RunError::Plan(not_built(plugin)))
            } else {
                None
            };
            match refusal {
                Some(e) if list_refused => refused.push((plugin.name.clone(), e.to_string())),
                Some(e) => return Err(e),
                None if !chosen.iter().any(|p: &&PluginConfig| p.name == *name) => {
                    chosen.push(plugin);
                }
                None => {}
            }
        }
        return Ok((chosen, refused));
    }
    let order = dependency_order(&config.plugins)?;
    let mut chosen = Vec::new();
    let mut skipped = Vec::new();
    for plugin in order {
        if plugin.grant.allows_profile(env) && unbuilt_optional(plugin) {
            tracing::warn!(plugin = %plugin.name, "skipped: {}", not_built(plugin));
            skipped.push((
                plugin.name.clone(),
                format!("optional and {}", not_built(plugin)),
            ));
        } else if plugin.grant.allows_profile(env) {
            chosen.push(plugin);
        } else {
            tracing::info!(plugin = %plugin.name, "skipped: not granted profile {env}");
            skipped.push((
                plugin.name.clone(),
                format!(
                    "its grant allows {} only",
                    plugin.grant.profiles().join(", ")
                ),
            ));
        }
    }
    Ok((chosen, skipped))
}

/// Why a plugin cannot run yet: its component file is missing.
pub fn not_built(plugin: &PluginConfig) -> String {
    format!(
        "its component {} is not built: run `seedhost plugin build {}`",
        plugin.wasm.display(),
        plugin.name
    )
}

/// Plugins ordered so each comes after those in its `after` list; ties keep
/// name order. A cycle is an error that names it.
pub fn dependency_order(
    plugins: &BTreeMap<String, PluginConfig>,
) -> Result<Vec<&PluginConfig>, RunError> {
    let mut order: Vec<&PluginConfig> = Vec::with_capacity(plugins.len());
    let mut state: HashMap<&str, bool> = HashMap::new(); // false: visiting, true: done
    fn visit<'c>(
        plugin: &'c PluginConfig,
        plugins: &'c BTreeMap<String, PluginConfig>,
        state: &mut HashMap<&'c str, bool>,
        path: &mut Vec<&'c str>,
        order: &mut Vec<&'c PluginConfig>,
    ) -> Result<(), RunError> {
        match state.get(plugin.name.as_str()) {
            Some(true) => return Ok(()),
            Some(false) => {
                let start = path.iter().position(|n| *n == plugin.name).unwrap_or(0);
                let mut cycle: Vec<&str> = path[start..].to_vec();
                cycle.push(&plugin.name);
                return Err(RunError::Plan(format!(
                    "plugins depend on each other in a cycle: {}",
                    cycle.join(" → ")
                )));
            }
            None => {}
        }
        state.insert(&plugin.name, false);
        path.push(&plugin.name);
        for before in &plugin.after {
            // Config::parse guarantees every `after` names a configured plugin.
            visit(&plugins[before], plugins, state, path, order)?;
        }
        path.pop();
        state.insert(&plugin.name, true);
        order.push(plugin);
        Ok(())
    }
    for plugin in plugins.values() {
        visit(plugin, plugins, &mut state, &mut Vec::new(), &mut order)?;
    }
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn config(text: &str) -> Config {
        Config::parse(text, Path::new("seedhost.toml"), Path::new("/p")).unwrap()
    }

    const PLUGINS: &str = r#"
        [plugins.catalog]
        wasm = "c.wasm"
        tables = []
        profiles = ["local", "staging"]
        after = ["curriculum"]

        [plugins.curriculum]
        wasm = "cu.wasm"
        tables = []
        profiles = ["staging", "local"]

        [plugins.test-users]
        wasm = "t.wasm"
        tables = []
        profiles = ["local"]
    "#;

    fn names(plugins: &[&PluginConfig]) -> Vec<String> {
        plugins.iter().map(|p| p.name.clone()).collect()
    }

    #[test]
    fn all_runs_granted_plugins_in_dependency_order() {
        let c = config(PLUGINS);
        let options = RunOptions {
            all: true,
            ..Default::default()
        };
        let (chosen, skipped) = select(&c, &options, "staging", false).unwrap();
        assert_eq!(names(&chosen), ["curriculum", "catalog"]);
        assert_eq!(skipped[0].0, "test-users");
        let (chosen, skipped) = select(&c, &options, "local", false).unwrap();
        assert_eq!(names(&chosen), ["curriculum", "catalog", "test-users"]);
        assert!(skipped.is_empty());
    }

    #[test]
    fn unbuilt_components_are_refused_by_name_and_skipped_when_optional() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("built.wasm"), b"").unwrap();
        let c = Config::parse(
            r#"
            [plugins.built]
            wasm = "built.wasm"
            tables = []
            profiles = ["local"]
            [plugins.example]
            wasm = "dist/example.wasm"
            optional = true
            tables = []
            profiles = ["local"]
            [plugins.needed]
            wasm = "needed.wasm"
            tables = []
            profiles = ["local"]
            "#,
            Path::new("seedhost.toml"),
            dir.path(),
        )
        .unwrap();
        let all = RunOptions {
            all: true,
            ..Default::default()
        };
        let (chosen, skipped) = select(&c, &all, "local", false).unwrap();
        // The optional one is skipped, with the reason; the required one is
        // kept, so that loading it fails loudly.
        assert_eq!(names(&chosen), ["built", "needed"]);
        assert_eq!(skipped.len(), 1);
        assert_eq!(skipped[0].0, "example");
        assert!(
            skipped[0].1.contains("`seedhost plugin build example`"),
            "{}",
            skipped[0].1
        );
        let named = RunOptions {
            plugins: vec!["example".into()],
            ..Default::default()
        };
        let err = select(&c, &named, "local", false).unwrap_err().to_string();
        assert!(err.contains("dist/example.wasm is not built"), "{err}");
    }

    #[test]
    fn named_plugin_outside_its_profiles_is_refused() {
        let c = config(PLUGINS);
        let options = RunOptions {
            plugins: vec!["test-users".into()],
            ..Default::default()
        };
        let err = select(&c, &options, "staging", false).unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("`test-users` may run only in profile local"),
            "{message}"
        );
        assert!(
            message.contains("refusing to run it in `staging`"),
            "{message}"
        );
    }

    #[test]
    fn database_names_come_from_the_url() {
        assert_eq!(
            database_name("postgres://u:p@host:5432/staging_db"),
            "staging_db"
        );
        assert_eq!(database_name("postgresql://u@host/"), "u");
        assert_eq!(database_name("postgres://u@host/x?dbname=other"), "other");
        assert_eq!(
            database_name("sqlite:///tmp/p/.seedhost/local.db?mode=rwc"),
            "local.db"
        );
        assert_eq!(database_name("sqlite://rel/dir/x.db"), "x.db");
    }

    #[test]
    fn resets_beyond_local_need_force_and_the_name() {
        let url = "postgres://u@h/staging_db";
        let guard = |force, confirm: Option<&str>| ResetGuard {
            force,
            confirm: confirm.map(str::to_owned),
        };
        assert!(check_reset_guard(&guard(false, None), "local", url).is_ok());
        let refuse = |g: ResetGuard| {
            check_reset_guard(&g, "staging", url)
                .unwrap_err()
                .to_string()
        };
        assert!(refuse(guard(false, Some("staging_db"))).contains("pass --force"));
        assert!(refuse(guard(true, None)).contains("--confirm staging_db"));
        assert!(refuse(guard(true, Some("prod"))).contains("does not match"));
        assert!(check_reset_guard(&guard(true, Some("staging_db")), "staging", url).is_ok());
    }

    #[test]
    fn cycles_are_named() {
        let c = config(
            r#"
            [plugins.a]
            wasm = "a.wasm"
            tables = []
            profiles = ["local"]
            after = ["b"]
            [plugins.b]
            wasm = "b.wasm"
            tables = []
            profiles = ["local"]
            after = ["a"]
        "#,
        );
        let err = dependency_order(&c.plugins).unwrap_err().to_string();
        assert!(err.contains("a → b → a"), "{err}");
    }
}
