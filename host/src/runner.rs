//! Running a command that writes: after [`crate::plan`] decided what runs,
//! loads the components, connects, resets if asked, migrates, and runs each
//! plugin in its own transaction.
//!
//! Transactions: a real run applies each pending migration in its own
//! transaction, then gives each plugin a transaction that commits only if the
//! plugin succeeded. A dry run puts all of it into one transaction (each plugin
//! in a savepoint) and rolls it back, so its report is what a real run would do.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use crate::config::{Config, PluginConfig};
use crate::db::{Database, Tx};
use crate::ledger;
use crate::migrate;
use crate::plan::{self, Destination, Plan, RunError, RunOptions};
use crate::policy;
use crate::redact::redact;
use crate::report::{PluginReport, PluginStatus, RepairReport, Rerun, RunReport, SeedFileReport};
use crate::sandbox::{Loaded, RunInput, Sandbox, SandboxError};
use crate::seedfile::{self, SeedFile};
use crate::store::Session;

/// Migrates, then runs the chosen plugins. Never fails as a whole: what went
/// wrong is in the report, and [`RunReport::succeeded`] gives the exit status.
///
/// SIGINT and SIGTERM stop the run: the plugin in progress and its transaction
/// are abandoned (the database rolls the transaction back when the connection
/// closes, which happens as the process exits), and the report says so and
/// asks for exit status 130 or 143. A commit in progress when the signal comes
/// is waited for ([`crate::db::between_commits`]), and none starts after it:
/// a plugin the report calls ok was committed, and the one in progress was not.
pub async fn run(config: &Config, destination: &Destination, options: &RunOptions) -> RunReport {
    let mut report = RunReport::new(&destination.env, options.dry_run);
    let stopped = async {
        let signal = interrupted().await;
        let _no_commit = crate::db::between_commits().await;
        signal
    };
    let outcome = tokio::select! {
        outcome = run_inner(config, destination, options, &mut report) => outcome,
        (signal, status) = stopped => {
            report.interrupted = Some(status);
            report.not_committed(format!(
                "interrupted by {signal} before its commit: rolled back, nothing kept"
            ));
            Err(RunError::Plan(format!(
                "interrupted by {signal}: the transaction in progress was rolled back, so nothing \
                 the plugin or migration in progress wrote was kept{}",
                if options.dry_run { "" } else { "; plugins reported as ok above were committed" }
            )))
        }
    };
    if let Err(e) = outcome {
        report.error = Some(e.to_string());
    }
    report
}

/// The first SIGINT or SIGTERM since [`listen`]: its name and the exit status
/// it calls for.
type Signalled = Option<(&'static str, u8)>;

static SIGNALLED: std::sync::OnceLock<tokio::sync::watch::Receiver<Signalled>> =
    std::sync::OnceLock::new();

/// Starts catching SIGINT and SIGTERM, once per process; later calls do
/// nothing. A command that writes calls it first thing (`reset` after its
/// prompt), so that a signal during its start-up stops it as one during its
/// run does (exit status 130 or 143, a report) instead of killing it
/// outright. From then on the first of those signals no longer ends the
/// process by itself: whoever catches it must wait in [`interrupted`]. A
/// second one ends it at once. Needs the tokio runtime.
pub fn listen() {
    signalled();
}

fn signalled() -> &'static tokio::sync::watch::Receiver<Signalled> {
    SIGNALLED.get_or_init(|| {
        let (seen, signalled) = tokio::sync::watch::channel(None);
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            // Installed here, synchronously: a signal from now on is kept.
            match (
                signal(SignalKind::interrupt()),
                signal(SignalKind::terminate()),
            ) {
                (Ok(mut int), Ok(mut term)) => {
                    tokio::spawn(async move {
                        let mut next = async || -> (&'static str, u8) {
                            tokio::select! {
                                _ = int.recv() => ("SIGINT", 130),
                                _ = term.recv() => ("SIGTERM", 143),
                            }
                        };
                        // Kept for every later waiter.
                        seen.send_replace(Some(next().await));
                        // The run stops at its next step, after a commit in
                        // progress. A second signal does not wait for that
                        // (a commit may hang on a lost connection): the
                        // process ends now, and the database decides.
                        let (name, status) = next().await;
                        eprintln!(
                            "seedhost: a second signal ({name}): exiting now without a report; \
                             the transaction in progress is rolled back unless its commit had \
                             already reached the database"
                        );
                        std::process::exit(i32::from(status));
                    });
                }
                (Err(e), _) | (_, Err(e)) => {
                    tracing::warn!("cannot catch SIGINT and SIGTERM: {e}");
                }
            }
        }
        #[cfg(windows)]
        match tokio::signal::windows::ctrl_c() {
            // Installed here, synchronously, as on unix.
            Ok(mut ctrl_c) => {
                tokio::spawn(async move {
                    if ctrl_c.recv().await.is_some() {
                        seen.send_replace(Some(("SIGINT", 130)));
                    }
                });
            }
            Err(e) => tracing::warn!("cannot catch Ctrl-C: {e}"),
        }
        #[cfg(not(any(unix, windows)))]
        drop(seen);
        signalled
    })
}

/// Waits for SIGINT or SIGTERM, including one that came since [`listen`]
/// (called here if it was not); returns its name and the exit status it calls
/// for. Every waiter sees the same first signal. Never returns if the
/// handlers cannot be installed.
pub async fn interrupted() -> (&'static str, u8) {
    let mut signalled = signalled().clone();
    let seen = signalled
        .wait_for(Option::is_some)
        .await
        .map(|seen| seen.expect("waited for a signal"));
    match seen {
        Ok(seen) => seen,
        Err(_) => std::future::pending().await,
    }
}

/// How long past its wall-clock limit a plugin blocked in a host call is
/// waited for before it is abandoned (a plugin running guest code is stopped
/// by the limit itself, at the next epoch tick).
const WALL_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// One run's context, once everything is decided and connected.
struct Run<'a> {
    config: &'a Config,
    db: &'a Database,
    plan: &'a Plan<'a>,
    loaded: &'a [Loaded],
    sandbox: &'a Arc<Sandbox>,
    destination: &'a Destination,
    options: &'a RunOptions,
}

async fn run_inner(
    config: &Config,
    destination: &Destination,
    options: &RunOptions,
    report: &mut RunReport,
) -> Result<(), RunError> {
    // Everything decidable without a database is decided first, so a refused
    // plugin or a missing URL never connects anywhere.
    let started = Instant::now();
    let phase = |name: &str| tracing::debug!(elapsed = ?started.elapsed(), "{name}");
    let plan = plan::decide(config, destination, options, &mut report.skipped)?;
    report.database = Some(redact(&plan.profile.database_url));
    phase("planned: plugins, profile, migration files");
    let components = match &options.components {
        Some(shared) => shared.clone(),
        None => Arc::new(plan::Components::new(config, &destination.process_env)?),
    };
    let sandbox = components.sandbox().clone();
    phase("sandbox ready");
    let mut loaded = Vec::with_capacity(plan.plugins.len());
    for plugin in &plan.plugins {
        let component =
            tokio::task::block_in_place(|| components.load(&plugin.name, &plugin.wasm))?;
        tracing::debug!(
            plugin = %plugin.name,
            cached = component.cached,
            elapsed = ?component.load_time,
            "component ready"
        );
        loaded.push(component);
    }

    phase("components ready");
    // A dry run leaves nothing behind, not even a SQLite file: one that does not
    // exist yet is rehearsed on an empty database in memory, where a first
    // real run would start from.
    let url = match crate::db::sqlite_file(&plan.profile.database_url) {
        Some(file) if options.dry_run && !file.exists() => {
            tracing::info!(
                file = %file.display(),
                "the database file does not exist yet: dry-running on an empty in-memory database"
            );
            crate::db::SQLITE_MEMORY
        }
        _ => plan.profile.database_url.as_str(),
    };
    let db = Database::connect_with(url, plan::timeouts(config)).await?;
    tracing::info!(env = %destination.env, database = %db.display_url, "connected");
    phase("connected");
    if options.reset.is_some() {
        // Both histories go with what they recorded, in the same transaction,
        // so the replay records each migration again and adopts nothing.
        let dropped = db
            .clear(
                &config.reset_schemas,
                migrate::TABLE,
                &[
                    migrate::SUPABASE_TABLE,
                    crate::ledger::POSTGRES_TABLE,
                    crate::seedfile::TABLE,
                ],
            )
            .await;
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
    let run = Run {
        config,
        db: &db,
        plan: &plan,
        loaded: &loaded,
        sandbox: &sandbox,
        destination,
        options,
    };
    let outcome = if options.dry_run {
        run.dry_run(report).await
    } else {
        run.real_run(report).await
    };
    phase("migrations and plugins done");
    // An abandoned plugin still holds the connection: closing would wait for it.
    if !matches!(outcome, Err(RunError::Abandoned(_))) {
        db.close().await;
        phase("disconnected");
    }
    outcome
}

impl Run<'_> {
    async fn real_run(&self, report: &mut RunReport) -> Result<(), RunError> {
        // Read before anything changes: what ran here, for the policies.
        let clock = Instant::now();
        let mut ledger = ledger::last_runs(self.db).await?;
        let mut ledger_micros = clock.elapsed().as_micros();
        let done =
            migrate::apply_pending(self.db, &self.plan.migrations, settings(self.config)).await?;
        report.migrations.applied = done.applied;
        report.migrations.adopted = done.adopted;
        tracing::debug!("migrations up to date");
        let clock = Instant::now();
        ledger::ensure(self.db).await?;
        ledger_micros += clock.elapsed().as_micros();
        // What the ledger costs a run: the benchmark reads this line.
        tracing::debug!(micros = ledger_micros as u64, "seed ledger read");
        let seeded = SeedFileFacts::read(self).await?;
        let mut seeded_now = false;
        for file in &self.plan.seed_files {
            if self.seed_file_skipped(file, &ledger, &seeded, report) {
                // First seen as the CLI's: the ledger takes it from here (the
                // CLI's own record may later change without the file running).
                let theirs = !ledger
                    .iter()
                    .any(|r| r.kind == ledger::SEED_FILE && r.name == file.path);
                if theirs && seeded.cli_record.iter().any(|(p, _)| *p == file.path) {
                    let mut tx = self.db.begin().await?;
                    let mut record = self.seed_file_record(file, 0, chrono::Utc::now());
                    record.counts =
                        serde_json::json!({ "adopted_from": seedfile::TABLE }).to_string();
                    ledger::record(&mut tx, &record).await?;
                    tx.commit().await?;
                }
                continue;
            }
            let started = chrono::Utc::now();
            let clock = Instant::now();
            let mut tx = self.db.begin().await?;
            if !(self.options.ignore_policy || self.options.twice) {
                // Decided again under the file's lock, as a plugin is.
                ledger::lock_and_refresh(&mut tx, ledger::SEED_FILE, &file.path, &mut ledger)
                    .await?;
                if self.seed_file_skipped(file, &ledger, &seeded, report) {
                    tx.rollback().await?;
                    continue;
                }
            }
            let session = &self.db.session_settings;
            let mut outcome =
                seedfile::apply(&mut tx, file, seeded.keeps_cli_record, session).await;
            if let Ok(rows) = outcome {
                let record = self.seed_file_record(file, rows, started);
                if let Err(e) = ledger::record(&mut tx, &record).await {
                    outcome = Err(unrecorded(&file.path, &e));
                }
            }
            let ok = outcome.is_ok();
            if ok {
                tx.commit().await?;
                seeded_now = true;
            } else {
                tx.rollback().await?;
            }
            report
                .seed_files
                .push(seed_file_report(file, outcome, clock));
            if !ok {
                skip_after_seed_file(&self.plan.plugins, report);
                return Ok(());
            }
        }
        let mut ran_now = HashSet::new();
        let plugins = &self.plan.plugins;
        for (i, (plugin, component)) in plugins.iter().zip(self.loaded).enumerate() {
            let params = plan::params_for(self.config, &self.destination.env, plugin, self.options);
            let facts = (&ledger[..], &ran_now, seeded_now);
            if self.skipped_by_policy(plugin, component, &params, facts, report) {
                continue;
            }
            let started = chrono::Utc::now();
            let mut tx = self.db.begin().await?;
            if plugin.policy != crate::config::Policy::Always
                && !(self.options.ignore_policy || self.options.twice)
            {
                // Decided again under the seed's lock: another seedhost may
                // have run it since the ledger was read.
                ledger::lock_and_refresh(&mut tx, ledger::PLUGIN, &plugin.name, &mut ledger)
                    .await?;
                let facts = (&ledger[..], &ran_now, seeded_now);
                if self.skipped_by_policy(plugin, component, &params, facts, report) {
                    tx.rollback().await?;
                    continue;
                }
            }
            let (mut result, mut tx) = self
                .run_plugin(plugin, component, params.clone(), tx, report, false)
                .await?;
            if result.is_ok() {
                // Reported ok, not yet committed: a signal from here until the
                // commit reports it rolled back (see `run`).
                report.uncommitted = report.plugins.len().checked_sub(1);
                // In the plugin's own transaction: committed with its rows,
                // or rolled back with them.
                let clock = Instant::now();
                let record = self.record(plugin, component, &params, started, report);
                if let Err(e) = ledger::record(&mut tx, &record).await {
                    if let Some(entry) = report.plugins.last_mut() {
                        entry.status = PluginStatus::Failed;
                        entry.rolled_back = true;
                        entry.error = Some(unrecorded(&plugin.name, &e));
                    }
                    result = Err(());
                }
                tracing::debug!(
                    plugin = %plugin.name,
                    micros = clock.elapsed().as_micros() as u64,
                    "seed ledger row written"
                );
            }
            match result {
                Ok(()) => {
                    if let Err(e) = tx.commit().await {
                        report.not_committed(format!("its commit failed: {e}"));
                        return Err(e.into());
                    }
                    report.uncommitted = None;
                    ran_now.insert(plugin.name.clone());
                }
                Err(()) => {
                    tx.rollback().await?;
                    skip_rest(&plugins[i + 1..], report);
                    break;
                }
            }
        }
        Ok(())
    }

    /// Whether a seed file's policy skips it now; if so the report says why.
    fn seed_file_skipped(
        &self,
        file: &SeedFile,
        ledger: &[ledger::LastRun],
        seeded: &SeedFileFacts,
        report: &mut RunReport,
    ) -> bool {
        let reason = policy::seed_file_skip_reason(
            self.config.seed_files.policy,
            &file.path,
            &file.hash,
            ledger,
            &seeded.cli_record,
            self.options.ignore_policy || self.options.twice,
        );
        match reason {
            Some(reason) => {
                report.skipped.push((file.path.clone(), reason));
                true
            }
            None => false,
        }
    }

    /// The ledger's row for a seed file's run that just succeeded.
    fn seed_file_record(
        &self,
        file: &SeedFile,
        rows: u64,
        started: chrono::DateTime<chrono::Utc>,
    ) -> ledger::Record {
        self.ledger_row(
            (ledger::SEED_FILE, &file.path),
            (&file.hash, ledger::params_digest(&BTreeMap::new()), None),
            serde_json::json!({ "rows_affected": rows }).to_string(),
            started,
        )
    }

    /// A ledger row of this run: what is the same for every seed, with the
    /// seed's kind and name, its digests and contract, and its counts.
    fn ledger_row(
        &self,
        (kind, name): (&'static str, &str),
        (digest, params_digest, contract_version): (&str, String, Option<String>),
        counts: String,
        started: chrono::DateTime<chrono::Utc>,
    ) -> ledger::Record {
        let utc = |t: chrono::DateTime<chrono::Utc>| {
            t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        };
        ledger::Record {
            kind,
            name: name.to_owned(),
            profile: self.destination.env.clone(),
            digest: digest.to_owned(),
            params_digest,
            contract_version,
            host_version: env!("CARGO_PKG_VERSION").to_owned(),
            migration_version: plan::newest_migration(&self.plan.migrations).map(str::to_owned),
            migrations_applied: self.plan.migrations.len() as i64,
            counts,
            started_at: utc(started),
            finished_at: utc(chrono::Utc::now()),
        }
    }

    /// Whether `plugin`'s policy skips it now; if so the report says why.
    fn skipped_by_policy(
        &self,
        plugin: &PluginConfig,
        component: &Loaded,
        params: &BTreeMap<String, String>,
        (ledger, ran_now, seeded_now): (&[ledger::LastRun], &HashSet<String>, bool),
        report: &mut RunReport,
    ) -> bool {
        let params_digest = ledger::params_digest(params);
        let candidate = policy::Candidate {
            name: &plugin.name,
            policy: plugin.policy,
            digest: &component.digest,
            params_digest: &params_digest,
            profile: &self.destination.env,
        };
        let facts = policy::Facts {
            ledger,
            newest_migration: plan::newest_migration(&self.plan.migrations),
            migrations_applied: self.plan.migrations.len() as i64,
            seeded_now,
            ran_now,
            ignore: self.options.ignore_policy || self.options.twice,
        };
        match policy::skip_reason(self.config, &candidate, &facts) {
            Some(reason) => {
                report.skipped.push((plugin.name.clone(), reason));
                true
            }
            None => false,
        }
    }

    /// The ledger's row for `plugin`'s run that just succeeded (the report's
    /// last entry).
    fn record(
        &self,
        plugin: &PluginConfig,
        component: &Loaded,
        params: &BTreeMap<String, String>,
        started: chrono::DateTime<chrono::Utc>,
        report: &RunReport,
    ) -> ledger::Record {
        let counts = report
            .plugins
            .last()
            .and_then(|entry| serde_json::to_value(entry).ok())
            .map_or_else(|| "{}".to_owned(), |entry| entry["tables"].to_string());
        self.ledger_row(
            (ledger::PLUGIN, &plugin.name),
            (
                &component.digest,
                ledger::params_digest(params),
                component.contract.clone(),
            ),
            counts,
            started,
        )
    }

    async fn dry_run(&self, report: &mut RunReport) -> Result<(), RunError> {
        // Read before the transaction: policies decide as in a real run.
        let ledger = ledger::last_runs(self.db).await?;
        let seeded = SeedFileFacts::read(self).await?;
        let mut ran_now = HashSet::new();
        let mut tx = self.db.begin().await?;
        let settings = settings(self.config);
        let applied = match migrate::apply_in(&mut tx, &self.plan.migrations, true, settings).await
        {
            Ok(applied) => applied,
            Err(e) => {
                tx.rollback().await?;
                return Err(e.into());
            }
        };
        report.migrations.applied = applied.applied;
        report.migrations.adopted = applied.adopted;
        let mut seeded_now = false;
        for file in &self.plan.seed_files {
            if self.seed_file_skipped(file, &ledger, &seeded, report) {
                continue;
            }
            let clock = Instant::now();
            tx.execute("SAVEPOINT seedhost_seed_file").await?;
            let session = &self.db.session_settings;
            let outcome = seedfile::apply(&mut tx, file, seeded.keeps_cli_record, session).await;
            let ok = outcome.is_ok();
            seeded_now |= ok;
            tx.execute(if ok {
                "RELEASE SAVEPOINT seedhost_seed_file"
            } else {
                "ROLLBACK TO SAVEPOINT seedhost_seed_file"
            })
            .await?;
            report
                .seed_files
                .push(seed_file_report(file, outcome, clock));
            if !ok {
                skip_after_seed_file(&self.plan.plugins, report);
                tx.rollback().await?;
                return Ok(());
            }
        }
        let plugins = &self.plan.plugins;
        for (i, (plugin, component)) in plugins.iter().zip(self.loaded).enumerate() {
            let params = plan::params_for(self.config, &self.destination.env, plugin, self.options);
            let facts = (&ledger[..], &ran_now, seeded_now);
            if self.skipped_by_policy(plugin, component, &params, facts, report) {
                continue;
            }
            tx.execute("SAVEPOINT seedhost_plugin").await?;
            let (mut result, returned) = self
                .run_plugin(plugin, component, params.clone(), tx, report, false)
                .await?;
            tx = returned;
            if result.is_ok() && self.options.twice {
                // The same plugin again, on what it just wrote: an idempotent
                // seed inserts and updates nothing now.
                let (second, returned) = self
                    .run_plugin(plugin, component, params, tx, report, true)
                    .await?;
                tx = returned;
                let again = report.plugins.pop().expect("the second run's entry");
                if let Some(first) = report.plugins.last_mut() {
                    first.rerun = Some(Rerun {
                        tables: again.tables,
                        error: again.error,
                        first_change: again.first_change,
                    });
                }
                result = second;
            }
            match result {
                Ok(()) => {
                    tx.execute("RELEASE SAVEPOINT seedhost_plugin").await?;
                    ran_now.insert(plugin.name.clone());
                }
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

    /// Runs one plugin in `tx`; gives the transaction back for the caller to end.
    /// The report gets the plugin's entry either way. A plugin still running
    /// past its wall-clock limit (blocked in a host call, where the limit's
    /// own check cannot stop it) is abandoned with its transaction: the run
    /// ends there, and the transaction dies with the connection as seedhost exits.
    async fn run_plugin(
        &self,
        plugin: &PluginConfig,
        component: &Loaded,
        params: BTreeMap<String, String>,
        tx: Tx,
        report: &mut RunReport,
        track_changes: bool,
    ) -> Result<(Result<(), ()>, Tx), RunError> {
        let started = Instant::now();
        let mut session = Session::new(tx, plugin.grant.clone(), &self.db.default_schema);
        if track_changes {
            session.track_changes();
        }
        let progress = self
            .options
            .progress
            .then(|| crate::progress::spinner(&plugin.name));
        if let Some(bar) = &progress {
            session.report_progress(bar.clone());
        }
        let input = RunInput {
            plugin: plugin.name.clone(),
            env: self.destination.env.clone(),
            dry_run: self.options.dry_run,
            params,
            limits: plugin.limits,
            session,
            runtime: tokio::runtime::Handle::current(),
        };
        let sandbox = self.sandbox.clone();
        let component = component.clone();
        // The guest blocks its thread (host calls wait on the database), so it gets
        // a blocking-pool thread, not a runtime worker.
        let guest = tokio::task::spawn_blocking(move || sandbox.run(&component, input));
        let backstop = plugin.limits.wall + WALL_GRACE;
        let output = match tokio::time::timeout(backstop, guest).await {
            Ok(joined) => joined.expect("the sandbox thread does not panic"),
            Err(_) => {
                let error = SandboxError::Wall {
                    plugin: plugin.name.clone(),
                    limit: plugin.limits.wall,
                };
                if let Some(bar) = progress {
                    bar.finish_and_clear();
                }
                report.plugins.push(PluginReport {
                    name: plugin.name.clone(),
                    rolled_back: true,
                    status: PluginStatus::Failed,
                    error: Some(error.to_string()),
                    duration_ms: started.elapsed().as_millis() as u64,
                    tables: Vec::new(),
                    rerun: None,
                    first_change: None,
                });
                return Err(RunError::Abandoned(plugin.name.clone()));
            }
        };
        let outcome = output.session.finish().await;
        if let Some(bar) = progress {
            bar.finish_and_clear();
        }
        tracing::debug!(plugin = %plugin.name, guest_time = ?output.guest_time, "plugin finished");
        // A store error is the cause whatever the plugin made of it: it may have
        // ignored it, returned its own error, or returned before the store had
        // reported its last batch.
        let result = match (output.result, outcome.failure) {
            (Err(SandboxError::Failed { .. }) | Ok(()), Some(message)) => {
                Err(SandboxError::Store {
                    plugin: plugin.name.clone(),
                    message,
                })
            }
            // A guest that lets a store error escape traps (a JavaScript or
            // Python plugin, an unwrapped Rust one): the store's words first.
            (Err(SandboxError::Trap { message: trap, .. }), Some(message)) => {
                Err(SandboxError::Store {
                    plugin: plugin.name.clone(),
                    message: format!("{message} (then the plugin trapped: {trap})"),
                })
            }
            (result, _) => result,
        };
        let (status, error) = match &result {
            Ok(()) => (PluginStatus::Ok, None),
            Err(e) => (PluginStatus::Failed, Some(e.to_string())),
        };
        report.plugins.push(PluginReport {
            name: plugin.name.clone(),
            rolled_back: status == PluginStatus::Failed,
            status,
            error,
            duration_ms: started.elapsed().as_millis() as u64,
            tables: outcome
                .tables
                .into_iter()
                .map(|(t, c)| (t, c.into()))
                .collect(),
            rerun: None,
            first_change: outcome.first_change,
        });
        Ok((result.map_err(|_| ()), outcome.tx))
    }
}

/// `seedhost migrate repair VERSION`: records the current checksum of an
/// applied migration whose file changed on purpose. Runs nothing else.
pub async fn repair(config: &Config, destination: &Destination, version: &str) -> RepairReport {
    let mut report = RepairReport::new(&destination.env);
    let result = async {
        let profile = plan::resolve(config, destination)?;
        report.database = Some(redact(&profile.database_url));
        let files = plan::migration_files(config, &profile.database_url)?;
        let db = Database::connect_with(&profile.database_url, plan::timeouts(config)).await?;
        let repaired = migrate::repair(&db, &files, version, config.lock_timeout).await;
        db.close().await;
        Ok::<_, RunError>(repaired?)
    }
    .await;
    match result {
        Ok(done) => {
            report.file = Some(done.file);
            report.replaced = done.replaced;
            report.checksum = Some(done.checksum);
        }
        Err(e) => report.error = Some(e.to_string()),
    }
    report
}

/// How migrations are applied, from the configuration.
fn settings(config: &Config) -> migrate::MigrateSettings {
    migrate::MigrateSettings {
        history: config.supabase_history,
        lock_wait: config.lock_timeout,
    }
}

/// What a run reads before it starts about seed files: whether the Supabase
/// CLI's record of them is kept on this database, and what it holds.
struct SeedFileFacts {
    keeps_cli_record: bool,
    cli_record: Vec<(String, String)>,
}

impl SeedFileFacts {
    async fn read(run: &Run<'_>) -> Result<SeedFileFacts, RunError> {
        if run.plan.seed_files.is_empty() {
            return Ok(SeedFileFacts {
                keeps_cli_record: false,
                cli_record: Vec::new(),
            });
        }
        let keeps = migrate::keeps_supabase_history(run.db, run.config.supabase_history).await?;
        Ok(SeedFileFacts {
            keeps_cli_record: keeps,
            cli_record: if keeps {
                seedfile::recorded(run.db).await?
            } else {
                Vec::new()
            },
        })
    }
}

fn seed_file_report(
    file: &SeedFile,
    outcome: Result<u64, String>,
    clock: Instant,
) -> SeedFileReport {
    let (status, error, rows) = match outcome {
        Ok(rows) => (PluginStatus::Ok, None, rows),
        Err(e) => (PluginStatus::Failed, Some(e), 0),
    };
    SeedFileReport {
        path: file.path.clone(),
        status,
        error,
        rows_affected: rows,
        duration_ms: clock.elapsed().as_millis() as u64,
    }
}

/// A run whose ledger row could not be written is rolled back, saying so.
fn unrecorded(name: &str, error: &crate::db::DbError) -> String {
    format!(
        "{name} ran, but its row in the seed ledger could not be written ({error}), so its \
         transaction was rolled back: nothing of it was kept"
    )
}

fn skip_after_seed_file(plugins: &[&PluginConfig], report: &mut RunReport) {
    for p in plugins {
        report
            .skipped
            .push((p.name.clone(), "a seed file failed".to_owned()));
    }
}

fn skip_rest(rest: &[&PluginConfig], report: &mut RunReport) {
    for p in rest {
        report
            .skipped
            .push((p.name.clone(), "an earlier plugin failed".to_owned()));
    }
}
