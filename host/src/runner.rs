//! Drives the commands: decides everything that can be decided before touching
//! the database (plugins, grants, profile, migration files, components), then
//! connects, migrates, and runs each plugin in its own transaction.
//!
//! Transactions: a real run applies each pending migration in its own
//! transaction, then gives each plugin a transaction that commits only if the
//! plugin succeeded. A dry run puts all of it into one transaction (each plugin
//! in a savepoint) and rolls it back, so its report is what a real run would do.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use thiserror::Error;

use crate::config::{Config, PluginConfig};
use crate::db::{Backend, Database, DbError, Tx};
use crate::migrate::{self, MigrationError, MigrationFile};
use crate::profile::{self, ProfileError, redact};
use crate::report::{
    PluginEntry, PluginReport, PluginStatus, RunReport, SmokeReport, StatusReport,
};
use crate::sandbox::{Loaded, RunInput, Sandbox, SandboxError};
use crate::smoke;
use crate::store::Session;

/// Where compiled components are cached unless `SEEDHOST_CACHE_DIR` says otherwise,
/// relative to the project root.
pub const CACHE_DIR: &str = ".seedhost/cache";

/// A failure outside any single plugin's run.
#[derive(Debug, Error)]
pub enum RunError {
    #[error(transparent)]
    Profile(#[from] ProfileError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Migration(#[from] MigrationError),
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
    #[error("{0}")]
    Plan(String),
}

/// Which database to use: the profile and an optional explicit URL.
#[derive(Debug, Clone)]
pub struct Target {
    pub env: String,
    pub database_url: Option<String>,
    /// The process environment (a parameter so tests control it).
    pub process_env: HashMap<String, String>,
}

/// What `seedhost run` (or `migrate`, `reset`, `setup`) was asked to do.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub plugins: Vec<String>,
    pub all: bool,
    pub dry_run: bool,
    /// `--param key=value`, overriding the configuration's parameters.
    pub params: Vec<(String, String)>,
    /// Clear the database before migrating (`reset`, `setup`).
    pub reset: Option<ResetGuard>,
    /// Show a spinner per plugin with the rows written so far (on a terminal).
    pub progress: bool,
}

/// What makes a reset of a profile other than `local` deliberate: `--force`
/// and the database's name, typed back or given with `--confirm`.
#[derive(Debug, Clone, Default)]
pub struct ResetGuard {
    pub force: bool,
    pub confirm: Option<String>,
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

/// The database name a reset of `target` must be confirmed with.
pub fn reset_confirmation_name(config: &Config, target: &Target) -> Result<String, RunError> {
    Ok(database_name(&resolve(config, target)?.database_url))
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

/// Migrates, then runs the chosen plugins. Never fails as a whole: what went
/// wrong is in the report, and [`RunReport::succeeded`] gives the exit status.
pub async fn run(config: &Config, target: &Target, options: &RunOptions) -> RunReport {
    let mut report = RunReport::new(&target.env, options.dry_run);
    if let Err(e) = run_inner(config, target, options, &mut report).await {
        report.error = Some(e.to_string());
    }
    report
}

async fn run_inner(
    config: &Config,
    target: &Target,
    options: &RunOptions,
    report: &mut RunReport,
) -> Result<(), RunError> {
    // Everything decidable without a database is decided first, so a refused
    // plugin or a missing URL never connects anywhere.
    let started = Instant::now();
    let phase = |name: &str| tracing::debug!(elapsed = ?started.elapsed(), "{name}");
    let plugins = select(config, options, &target.env, report)?;
    let profile = resolve(config, target)?;
    report.database = Some(redact(&profile.database_url));
    if let Some(guard) = &options.reset {
        if options.dry_run {
            return Err(RunError::Plan("a reset cannot be a dry run".into()));
        }
        check_reset_guard(guard, &target.env, &profile.database_url)?;
    }
    let backend = Backend::of(&profile.database_url)?;
    let migrations = migrate::discover(&config.migrations, backend)?;
    phase("planned: plugins, profile, migration files");
    let sandbox = Arc::new(Sandbox::new(Some(cache_dir(config, &target.process_env)))?);
    phase("sandbox ready");
    let mut loaded = Vec::with_capacity(plugins.len());
    for plugin in &plugins {
        let component = tokio::task::block_in_place(|| sandbox.load(&plugin.name, &plugin.wasm))?;
        tracing::debug!(
            plugin = %plugin.name,
            cached = component.cached,
            elapsed = ?component.load_time,
            "component ready"
        );
        loaded.push(component);
    }

    phase("components ready");
    let db = Database::connect(&profile.database_url).await?;
    tracing::info!(env = %target.env, database = %db.display_url, "connected");
    phase("connected");
    if options.reset.is_some() {
        let dropped = db.clear(&config.reset_schemas).await;
        match dropped {
            Ok(dropped) => {
                tracing::info!(objects = dropped.len(), "database cleared");
                report.reset = Some(dropped);
            }
            Err(e) => {
                db.close().await;
                return Err(e.into());
            }
        }
    }
    let outcome = if options.dry_run {
        dry_run(
            &db,
            &migrations,
            &plugins,
            &loaded,
            &sandbox,
            target,
            options,
            report,
        )
        .await
    } else {
        real_run(
            &db,
            &migrations,
            &plugins,
            &loaded,
            &sandbox,
            target,
            options,
            report,
        )
        .await
    };
    phase("migrations and plugins done");
    db.close().await;
    phase("disconnected");
    outcome
}

#[allow(clippy::too_many_arguments)]
async fn real_run(
    db: &Database,
    migrations: &[MigrationFile],
    plugins: &[&PluginConfig],
    loaded: &[Loaded],
    sandbox: &Arc<Sandbox>,
    target: &Target,
    options: &RunOptions,
    report: &mut RunReport,
) -> Result<(), RunError> {
    report.migrations.applied = apply_migrations(db, migrations).await?;
    tracing::debug!("migrations up to date");
    for (i, (plugin, component)) in plugins.iter().zip(loaded).enumerate() {
        let tx = db.begin().await?;
        let (result, tx) =
            run_plugin(db, plugin, component, sandbox, target, options, tx, report).await;
        match result {
            Ok(()) => tx.commit().await?,
            Err(()) => {
                tx.rollback().await?;
                skip_rest(&plugins[i + 1..], report);
                break;
            }
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn dry_run(
    db: &Database,
    migrations: &[MigrationFile],
    plugins: &[&PluginConfig],
    loaded: &[Loaded],
    sandbox: &Arc<Sandbox>,
    target: &Target,
    options: &RunOptions,
    report: &mut RunReport,
) -> Result<(), RunError> {
    let mut tx = db.begin().await?;
    let applied = match &mut tx {
        Tx::Postgres(t) => migrate::apply(&mut **t, migrations, true).await,
        Tx::Sqlite(t) => migrate::apply(&mut **t, migrations, true).await,
    };
    let applied = match applied {
        Ok(applied) => applied,
        Err(e) => {
            tx.rollback().await?;
            return Err(e.into());
        }
    };
    report.migrations.applied = applied;
    for (i, (plugin, component)) in plugins.iter().zip(loaded).enumerate() {
        tx.execute("SAVEPOINT seedhost_plugin").await?;
        let (result, returned) =
            run_plugin(db, plugin, component, sandbox, target, options, tx, report).await;
        tx = returned;
        match result {
            Ok(()) => tx.execute("RELEASE SAVEPOINT seedhost_plugin").await?,
            Err(()) => {
                tx.execute("ROLLBACK TO SAVEPOINT seedhost_plugin").await?;
                skip_rest(&plugins[i + 1..], report);
                break;
            }
        }
    }
    tx.rollback().await?;
    Ok(())
}

fn skip_rest(rest: &[&PluginConfig], report: &mut RunReport) {
    for p in rest {
        report
            .skipped
            .push((p.name.clone(), "an earlier plugin failed".to_owned()));
    }
}

/// Applies pending migrations outside plugin transactions, each atomically.
async fn apply_migrations(
    db: &Database,
    migrations: &[MigrationFile],
) -> Result<Vec<String>, RunError> {
    if let Some(pool) = db.postgres() {
        // pg_advisory_lock (in migrate::apply) serializes concurrent processes.
        let mut conn = pool.acquire().await.map_err(DbError::from)?;
        return Ok(migrate::apply(&mut *conn, migrations, false).await?);
    }
    let pool = db.sqlite().expect("one of the two backends");
    let mut conn = pool.acquire().await.map_err(DbError::from)?;
    // SQLite has no advisory lock: BEGIN IMMEDIATE takes the database's write
    // lock, so a concurrent seedhost waits and then sees these migrations as
    // applied. Each migration is a savepoint inside it; the ones that succeeded
    // are committed even when a later one fails.
    let mut tx = sqlx::Connection::begin_with(&mut *conn, "BEGIN IMMEDIATE")
        .await
        .map_err(DbError::from)?;
    let result = migrate::apply(&mut *tx, migrations, false).await;
    tx.commit().await.map_err(DbError::from)?;
    Ok(result?)
}

/// Runs one plugin in `tx`; gives the transaction back for the caller to end.
/// The report gets the plugin's entry either way.
#[allow(clippy::too_many_arguments)]
async fn run_plugin(
    db: &Database,
    plugin: &PluginConfig,
    component: &Loaded,
    sandbox: &Arc<Sandbox>,
    target: &Target,
    options: &RunOptions,
    tx: Tx,
    report: &mut RunReport,
) -> (Result<(), ()>, Tx) {
    let started = Instant::now();
    let mut session = Session::new(tx, plugin.grant.clone(), &db.default_schema);
    let progress = options
        .progress
        .then(|| crate::progress::spinner(&plugin.name));
    if let Some(bar) = &progress {
        session.report_progress(bar.clone());
    }
    let mut params = plugin.params.clone();
    params.extend(options.params.iter().cloned());
    let input = RunInput {
        plugin: plugin.name.clone(),
        env: target.env.clone(),
        dry_run: options.dry_run,
        params,
        limits: plugin.limits,
        session,
        runtime: tokio::runtime::Handle::current(),
    };
    let sandbox = sandbox.clone();
    let component = component.clone();
    // The guest blocks its thread (host calls wait on the database), so it gets
    // a blocking-pool thread, not a runtime worker.
    let output = tokio::task::spawn_blocking(move || sandbox.run(&component, input))
        .await
        .expect("the sandbox thread does not panic");
    let outcome = output.session.finish().await;
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    tracing::debug!(plugin = %plugin.name, guest_time = ?output.guest_time, "plugin finished");
    // A store error is the cause whatever the plugin made of it: it may have
    // ignored it, returned its own error, or returned before the store had
    // reported its last batch.
    let result = match (output.result, outcome.failure) {
        (Err(SandboxError::Failed { .. }) | Ok(()), Some(message)) => Err(SandboxError::Store {
            plugin: plugin.name.clone(),
            message,
        }),
        (result, _) => result,
    };
    let (status, error) = match &result {
        Ok(()) => (PluginStatus::Ok, None),
        Err(e) => (PluginStatus::Failed, Some(e.to_string())),
    };
    report.plugins.push(PluginReport {
        name: plugin.name.clone(),
        status,
        error,
        duration_ms: started.elapsed().as_millis() as u64,
        tables: outcome
            .tables
            .into_iter()
            .map(|(t, c)| (t, c.into()))
            .collect(),
    });
    (result.map_err(|_| ()), outcome.tx)
}

fn resolve(config: &Config, target: &Target) -> Result<profile::Profile, ProfileError> {
    profile::resolve(
        &config.root,
        &target.env,
        target.database_url.as_deref(),
        &target.process_env,
    )
}

/// Where compiled components are cached for this project.
pub fn cache_dir(config: &Config, env: &HashMap<String, String>) -> PathBuf {
    env.get("SEEDHOST_CACHE_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| config.root.join(CACHE_DIR))
}

/// The plugins to run, in order. Named plugins must exist and be granted the
/// profile; with `--all`, every plugin granted the profile runs, in dependency
/// order, and the others are listed as skipped.
fn select<'c>(
    config: &'c Config,
    options: &RunOptions,
    env: &str,
    report: &mut RunReport,
) -> Result<Vec<&'c PluginConfig>, RunError> {
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
        for name in &options.plugins {
            let plugin = config.plugin(name).map_err(RunError::Plan)?;
            if !plugin.grant.allows_profile(env) {
                return Err(refuse(plugin));
            }
            if !chosen.iter().any(|p: &&PluginConfig| p.name == *name) {
                chosen.push(plugin);
            }
        }
        return Ok(chosen);
    }
    let order = dependency_order(&config.plugins)?;
    let mut chosen = Vec::new();
    for plugin in order {
        if plugin.grant.allows_profile(env) {
            chosen.push(plugin);
        } else {
            tracing::info!(plugin = %plugin.name, "skipped: not granted profile {env}");
            report.skipped.push((
                plugin.name.clone(),
                format!(
                    "its grant allows {} only",
                    plugin.grant.profiles().join(", ")
                ),
            ));
        }
    }
    Ok(chosen)
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

/// Runs the smoke checks that apply to the profile, read-only.
pub async fn smoke(config: &Config, target: &Target) -> SmokeReport {
    let mut report = SmokeReport {
        env: target.env.clone(),
        database: None,
        checks: Vec::new(),
        error: None,
    };
    if let Err(e) = smoke_inner(config, target, &mut report).await {
        report.error = Some(e.to_string());
    }
    report
}

async fn smoke_inner(
    config: &Config,
    target: &Target,
    report: &mut SmokeReport,
) -> Result<(), RunError> {
    let profile = resolve(config, target)?;
    report.database = Some(redact(&profile.database_url));
    let checks = smoke::load(&config.smoke).map_err(|e| RunError::Plan(e.to_string()))?;
    if !checks.iter().any(|c| c.applies(&target.env)) {
        return Err(RunError::Plan(format!(
            "no smoke check in {} applies to profile `{}`",
            config.smoke.display(),
            target.env
        )));
    }
    if profile.source == profile::UrlSource::Default
        && !config.root.join(profile::LOCAL_DATABASE).exists()
    {
        return Err(RunError::Plan(
            "the local database does not exist yet: run `seedhost setup` first".into(),
        ));
    }
    let db = Database::connect(&profile.database_url).await?;
    let results = smoke::run(&db, &checks, &target.env).await;
    db.close().await;
    report.checks = results?;
    Ok(())
}

/// Reads migration and plugin status without changing the database.
pub async fn status(config: &Config, target: &Target) -> StatusReport {
    let plugins = config
        .plugins
        .values()
        .map(|p| PluginEntry {
            name: p.name.clone(),
            wasm: p.wasm.display().to_string(),
            built: p.wasm.is_file(),
            tables: p.grant.tables().iter().map(ToString::to_string).collect(),
            profiles: p.grant.profiles().to_vec(),
            after: p.after.clone(),
        })
        .collect();
    let mut report = StatusReport {
        env: target.env.clone(),
        database: None,
        migrations: Vec::new(),
        plugins,
        error: None,
    };
    if let Err(e) = status_inner(config, target, &mut report).await {
        report.error = Some(e.to_string());
    }
    report
}

async fn status_inner(
    config: &Config,
    target: &Target,
    report: &mut StatusReport,
) -> Result<(), RunError> {
    let profile = resolve(config, target)?;
    report.database = Some(redact(&profile.database_url));
    let backend = Backend::of(&profile.database_url)?;
    let files = migrate::discover(&config.migrations, backend)?;
    // The embedded default that was never created has applied nothing; do not
    // create it just to look.
    if profile.source == profile::UrlSource::Default
        && !config.root.join(profile::LOCAL_DATABASE).exists()
    {
        report.migrations = migrate::status(&files, &[]);
        return Ok(());
    }
    let db = Database::connect(&profile.database_url).await?;
    let applied = applied_migrations(&db).await;
    db.close().await;
    report.migrations = migrate::status(&files, &applied?);
    Ok(())
}

async fn applied_migrations(
    db: &Database,
) -> Result<Vec<sqlx::migrate::AppliedMigration>, RunError> {
    use sqlx::migrate::Migrate;
    let map = |e: sqlx::migrate::MigrateError| RunError::Migration(e.into());
    if let Some(pool) = db.postgres() {
        let exists: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
            .bind(migrate::TABLE)
            .fetch_one(pool)
            .await
            .map_err(DbError::from)?;
        if !exists {
            return Ok(Vec::new());
        }
        let mut conn = pool.acquire().await.map_err(DbError::from)?;
        return conn
            .list_applied_migrations(migrate::TABLE)
            .await
            .map_err(map);
    }
    let pool = db.sqlite().expect("one of the two backends");
    let exists: bool = sqlx::query_scalar(
        "SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = ?1",
    )
    .bind(migrate::TABLE)
    .fetch_one(pool)
    .await
    .map_err(DbError::from)?;
    if !exists {
        return Ok(Vec::new());
    }
    let mut conn = pool.acquire().await.map_err(DbError::from)?;
    conn.list_applied_migrations(migrate::TABLE)
        .await
        .map_err(map)
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
        let mut report = RunReport::new("staging", false);
        let chosen = select(&c, &options, "staging", &mut report).unwrap();
        assert_eq!(names(&chosen), ["curriculum", "catalog"]);
        assert_eq!(report.skipped[0].0, "test-users");
        let mut report = RunReport::new("local", false);
        let chosen = select(&c, &options, "local", &mut report).unwrap();
        assert_eq!(names(&chosen), ["curriculum", "catalog", "test-users"]);
    }

    #[test]
    fn named_plugin_outside_its_profiles_is_refused() {
        let c = config(PLUGINS);
        let options = RunOptions {
            plugins: vec!["test-users".into()],
            ..Default::default()
        };
        let err = select(
            &c,
            &options,
            "staging",
            &mut RunReport::new("staging", false),
        )
        .unwrap_err();
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
