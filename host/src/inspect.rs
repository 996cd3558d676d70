//! The read-only commands: `status` (migration files against the database's
//! record, and the configured plugins) and `smoke` (the checks of `smoke/`).
//! Neither changes the database, nor creates the embedded default to look at it.

use crate::config::{Config, SupabaseHistory};
use crate::db::Database;
use crate::ledger;
use crate::migrate;
use crate::plan::{self, Destination, RunError, RunOptions};
use crate::policy;
use crate::redact::redact;
use crate::report::{LastRunEntry, PluginEntry, SmokeReport, StatusReport};
use crate::smoke;

/// Runs the smoke checks that apply to the profile, read-only.
pub async fn smoke(config: &Config, destination: &Destination) -> SmokeReport {
    let mut report = SmokeReport {
        env: destination.env.clone(),
        database: None,
        checks: Vec::new(),
        error: None,
    };
    if let Err(e) = smoke_inner(config, destination, &mut report).await {
        report.error = Some(e.to_string());
    }
    report
}

async fn smoke_inner(
    config: &Config,
    destination: &Destination,
    report: &mut SmokeReport,
) -> Result<(), RunError> {
    let profile = plan::resolve(config, destination)?;
    report.database = Some(redact(&profile.database_url));
    let checks = smoke::load(&config.smoke).map_err(|e| RunError::Plan(e.to_string()))?;
    if !checks.iter().any(|c| c.applies(&destination.env)) {
        return Err(RunError::Plan(format!(
            "no smoke check in {} applies to profile `{}`",
            config.smoke.display(),
            destination.env
        )));
    }
    if plan::default_database_missing(config, &profile) {
        return Err(RunError::Plan(
            "the local database does not exist yet: run `seedhost setup` first".into(),
        ));
    }
    let db = Database::connect_with(&profile.database_url, plan::timeouts(config)).await?;
    let results = smoke::run(&db, &checks, &destination.env).await;
    db.close().await;
    report.checks = results?;
    Ok(())
}

/// Reads migration and plugin status without changing the database.
pub async fn status(config: &Config, destination: &Destination) -> StatusReport {
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
            policy: p.policy.name(),
            last_run: None,
        })
        .collect();
    let mut report = StatusReport {
        env: destination.env.clone(),
        database: None,
        migrations: Vec::new(),
        plugins,
        error: None,
    };
    if let Err(e) = status_inner(config, destination, &mut report).await {
        report.error = Some(e.to_string());
    }
    report
}

async fn status_inner(
    config: &Config,
    destination: &Destination,
    report: &mut StatusReport,
) -> Result<(), RunError> {
    let profile = plan::resolve(config, destination)?;
    report.database = Some(redact(&profile.database_url));
    let files = plan::migration_files(config, &profile.database_url)?;
    // The embedded default that was never created has applied nothing; do not
    // create it just to look.
    if plan::default_database_missing(config, &profile) {
        report.migrations = migrate::status(&files, &[], &[]);
        return Ok(());
    }
    let db = Database::connect_with(&profile.database_url, plan::timeouts(config)).await?;
    let applied = migrate::applied(&db).await;
    // The Supabase CLI's history counts where seedhost's record is missing or
    // behind (after `supabase db reset` or `db push`), as `migrate` adopts it.
    let cli = match config.supabase_history {
        SupabaseHistory::Never => Ok(Vec::new()),
        SupabaseHistory::Auto | SupabaseHistory::Always => migrate::supabase_versions(&db).await,
    };
    let ledger = ledger::last_runs(&db).await;
    db.close().await;
    report.migrations = migrate::status(&files, &applied?, &cli?);
    let ledger = ledger?;
    for entry in &mut report.plugins {
        let Some(plugin) = config.plugins.get(&entry.name) else {
            continue;
        };
        let params = plan::params_for(config, &destination.env, plugin, &RunOptions::default());
        let digest = plan::component_digest(&plugin.wasm);
        let params_digest = ledger::params_digest(&params);
        entry.last_run =
            policy::changed_since(&ledger, &plugin.name, digest.as_deref(), &params_digest).map(
                |(last, changed)| LastRunEntry {
                    finished_at: last.finished_at.clone(),
                    profile: last.profile.clone(),
                    changed,
                },
            );
    }
    Ok(())
}
