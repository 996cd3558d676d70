//! `seedhost plan`: what `run` with the same arguments would do, read-only.
//! The migrations it would apply or adopt, then per plugin `run` or `skip`
//! with the reason its policy gives, and the plugins it would refuse, listed
//! rather than raised. No sandbox starts: components are only hashed. With
//! `--counts`, the plugins that would run are dry-run for their row counts.
//!
//! It decides with [`crate::policy`] from the same facts `run` reads, so a
//! plan followed by a run does what the plan said.

use std::collections::HashSet;

use serde::Serialize;

use crate::config::{Config, SupabaseHistory};
use crate::db::{Backend, Database};
use crate::ledger;
use crate::migrate::{self, AppliedBy, State};
use crate::plan::{self, Destination, RunError, RunOptions};
use crate::policy;
use crate::redact::redact;
use crate::report::{Case, Report, RunReport, Summary, TableCounts, header, new_table};
use crate::runner;
use crate::seedfile;

/// What `run` would do.
#[derive(Debug, Clone, Serialize)]
pub struct PlanReport {
    /// The profile.
    pub env: String,
    /// The database URL, redacted; `null` when never resolved.
    pub database: Option<String>,
    /// What would happen to migrations.
    pub migrations: PlannedMigrations,
    /// Every Supabase seed file considered, in the order `run` would take
    /// them (after the migrations, before the plugins).
    pub seed_files: Vec<PlannedSeedFile>,
    /// Every plugin considered, in the order `run` would take them.
    pub plugins: Vec<PlannedPlugin>,
    /// Why the `--counts` dry run could not give counts (a `-- no-transaction`
    /// migration pending, for one), or what failed in it; `null` otherwise.
    pub counts_error: Option<String>,
    /// A plugin or seed file failed in the `--counts` dry run: `run` would
    /// fail too.
    #[serde(skip)]
    pub counts_failed: bool,
    /// Why no plan could be made; `null` otherwise.
    pub error: Option<String>,
    /// `--detailed-exitcode`: 2 when something would change.
    #[serde(skip)]
    pub detailed: bool,
}

/// Migrations a run would apply, and those it would adopt from the Supabase
/// CLI's history without running them.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PlannedMigrations {
    /// File stems it would apply, in order.
    pub pending: Vec<String>,
    /// File stems the Supabase CLI applied, which it would record.
    pub adopt: Vec<String>,
}

/// One plugin in the plan.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedPlugin {
    /// Its name.
    pub name: String,
    /// `run`, `skip` (its policy, or an optional unbuilt one), or `refused`
    /// (its grant, or not built: `run` would fail on it).
    pub action: Action,
    /// Why it is skipped or refused.
    pub reason: Option<String>,
    /// Its policy.
    pub policy: &'static str,
    /// With `--counts`: per table, what its dry run inserted, updated and
    /// left unchanged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tables: Option<std::collections::BTreeMap<String, TableCounts>>,
}

/// One Supabase seed file in the plan.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedSeedFile {
    /// Its path as the Supabase CLI records it.
    pub path: String,
    /// `run` or `skip` (its policy; SQLite; a profile it may not run in), or
    /// `refused` (named in a profile it may not run in).
    pub action: Action,
    /// Why it is skipped or refused.
    pub reason: Option<String>,
    /// With `--counts`: the rows its dry run affected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows_affected: Option<u64>,
}

/// What `run` would do with a plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Run it.
    Run,
    /// Skip it, as `run` reports a skip.
    Skip,
    /// Refuse it: `run` would stop with this error.
    Refused,
}

/// `seedhost plan` options besides `run`'s.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlanOptions {
    /// Dry-run what would run, for row counts.
    pub counts: bool,
    /// Exit 2 when something would change, 0 when nothing would, 1 on error.
    pub detailed_exitcode: bool,
}

/// Works out what `run` with `options` would do on `destination`.
pub async fn plan(
    config: &Config,
    destination: &Destination,
    options: &RunOptions,
    extra: PlanOptions,
) -> PlanReport {
    let mut report = PlanReport {
        env: destination.env.clone(),
        database: None,
        migrations: PlannedMigrations::default(),
        seed_files: Vec::new(),
        plugins: Vec::new(),
        counts_error: None,
        counts_failed: false,
        error: None,
        detailed: extra.detailed_exitcode,
    };
    let outcome = async {
        plan_inner(config, destination, options, &mut report).await?;
        if extra.counts {
            counts(config, destination, options, &mut report).await;
        }
        Ok::<(), RunError>(())
    }
    .await;
    if let Err(e) = outcome {
        report.error = Some(e.to_string());
    }
    report
}

async fn plan_inner(
    config: &Config,
    destination: &Destination,
    options: &RunOptions,
    report: &mut PlanReport,
) -> Result<(), RunError> {
    let (seed_files, plugin_names) = plan::seed_files_named(config, destination, options)?;
    let plugin_options = RunOptions {
        plugins: plugin_names,
        ..options.clone()
    };
    let (chosen, not_run) = plan::select(config, &plugin_options, &destination.env, true)?;
    let profile = plan::resolve(config, destination)?;
    report.database = Some(redact(&profile.database_url));
    let mut files_not_run = Vec::new();
    let seed_files = plan::seed_files_allowed(
        config,
        destination,
        options.all,
        seed_files,
        &profile.database_url,
        &mut files_not_run,
        true,
    )?;
    let files = plan::migration_files(config, &profile.database_url)?;
    let (applied, cli, ledger, seeded) = if plan::default_database_missing(config, &profile) {
        (Vec::new(), Vec::new(), Vec::new(), Vec::new())
    } else {
        let db = Database::connect_with(&profile.database_url, plan::timeouts(config)).await?;
        let read = async {
            let applied = migrate::applied(&db).await?;
            let cli = match config.supabase_history {
                SupabaseHistory::Never => Vec::new(),
                SupabaseHistory::Auto | SupabaseHistory::Always => {
                    migrate::supabase_versions(&db).await?
                }
            };
            let ledger = ledger::last_runs(&db).await?;
            let keeps = !seed_files.is_empty()
                && migrate::keeps_supabase_history(&db, config.supabase_history).await?;
            let seeded = if keeps {
                seedfile::recorded(&db).await?
            } else {
                Vec::new()
            };
            Ok::<_, RunError>((applied, cli, ledger, seeded))
        }
        .await;
        db.close().await;
        read?
    };
    for entry in migrate::status(&files, &applied, &cli) {
        match (entry.state, entry.applied_by) {
            (State::Pending, _) => report.migrations.pending.push(entry.name),
            (State::Applied, Some(AppliedBy::SupabaseCli)) => {
                report.migrations.adopt.push(entry.name)
            }
            (State::Applied, _) => {}
            (State::Changed, _) => {
                return Err(RunError::Plan(format!(
                    "migration {} changed after it was applied: `run` would stop before any \
                     plugin (see `seedhost status`; `seedhost migrate repair` records a \
                     deliberate change)",
                    entry.name
                )));
            }
            (State::Missing, _) => {
                return Err(RunError::Plan(format!(
                    "migration {} is recorded as applied but its file is gone: `run` would \
                     stop before any plugin",
                    entry.name
                )));
            }
        }
    }

    for file in &seed_files {
        let reason = policy::seed_file_skip_reason(
            config.seed_files.policy,
            &file.path,
            &file.hash,
            &ledger,
            &seeded,
            options.ignore_policy,
        );
        report.seed_files.push(PlannedSeedFile {
            path: file.path.clone(),
            action: if reason.is_some() {
                Action::Skip
            } else {
                Action::Run
            },
            reason,
            rows_affected: None,
        });
    }
    // On SQLite they are skipped; elsewhere, named ones of a profile they
    // may not run in are refused (run stops on them), as under --all skipped.
    let sqlite = Backend::of(&profile.database_url)? == Backend::Sqlite;
    for (path, reason) in files_not_run {
        report.seed_files.push(PlannedSeedFile {
            path,
            action: if options.all || sqlite {
                Action::Skip
            } else {
                Action::Refused
            },
            reason: Some(reason),
            rows_affected: None,
        });
    }

    let mut ran_now = HashSet::new();
    for plugin in chosen {
        let params = plan::params_for(config, &destination.env, plugin, options);
        let params_digest = ledger::params_digest(&params);
        let Some(digest) = plan::component_digest(&plugin.wasm) else {
            report.plugins.push(PlannedPlugin {
                name: plugin.name.clone(),
                action: Action::Refused,
                reason: Some(plan::not_built(plugin)),
                policy: plugin.policy.name(),
                tables: None,
            });
            continue;
        };
        let candidate = policy::Candidate {
            name: &plugin.name,
            policy: plugin.policy,
            digest: &digest,
            params_digest: &params_digest,
            profile: &destination.env,
        };
        let facts = policy::Facts {
            ledger: &ledger,
            newest_migration: plan::newest_migration(&files),
            migrations_applied: files.len() as i64,
            seeded_now: report.seed_files.iter().any(|f| f.action == Action::Run),
            ran_now: &ran_now,
            ignore: options.ignore_policy,
        };
        let reason = policy::skip_reason(config, &candidate, &facts);
        if reason.is_none() {
            // A plan assumes success: what comes after it sees it as run.
            ran_now.insert(plugin.name.clone());
        }
        report.plugins.push(PlannedPlugin {
            name: plugin.name.clone(),
            action: if reason.is_some() {
                Action::Skip
            } else {
                Action::Run
            },
            reason,
            policy: plugin.policy.name(),
            tables: None,
        });
    }
    for (name, reason) in not_run {
        let refused = !options.all;
        report.plugins.push(PlannedPlugin {
            policy: config
                .plugins
                .get(&name)
                .map_or("always", |p| p.policy.name()),
            name,
            action: if refused {
                Action::Refused
            } else {
                Action::Skip
            },
            reason: Some(reason),
            tables: None,
        });
    }
    Ok(())
}

/// Dry-runs the plugins that would run (and the pending migrations) for
/// their counts.
async fn counts(
    config: &Config,
    destination: &Destination,
    options: &RunOptions,
    report: &mut PlanReport,
) {
    let running: Vec<String> = report
        .seed_files
        .iter()
        .filter(|f| f.action == Action::Run)
        .map(|f| f.path.clone())
        .chain(
            report
                .plugins
                .iter()
                .filter(|p| p.action == Action::Run)
                .map(|p| p.name.clone()),
        )
        .collect();
    if running.is_empty() && report.migrations.pending.is_empty() {
        return;
    }
    if running.is_empty() {
        // Only migrations: rehearse them.
        let dry = RunOptions {
            dry_run: true,
            ..RunOptions::default()
        };
        let done = runner::run(config, destination, &dry).await;
        report.counts_error = done.error;
        return;
    }
    let dry = RunOptions {
        plugins: running,
        all: false,
        dry_run: true,
        ignore_policy: true,
        progress: false,
        twice: false,
        reset: None,
        ..options.clone()
    };
    let done: RunReport = runner::run(config, destination, &dry).await;
    if !done.succeeded() {
        let failed_file = done.seed_files.iter().find_map(|f| f.error.clone());
        let failed_plugin = done.plugins.iter().find_map(|p| {
            p.error
                .as_ref()
                .map(|e| format!("plugin `{}`: {e}", p.name))
        });
        report.counts_failed = failed_file.is_some() || failed_plugin.is_some();
        report.counts_error = done.error.clone().or(failed_file).or(failed_plugin);
    }
    for planned in &mut report.seed_files {
        if let Some(ran) = done.seed_files.iter().find(|f| f.path == planned.path) {
            planned.rows_affected = Some(ran.rows_affected);
        }
    }
    for planned in &mut report.plugins {
        if let Some(ran) = done.plugins.iter().find(|p| p.name == planned.name) {
            planned.tables = Some(ran.tables.iter().cloned().collect());
        }
    }
}

impl PlanReport {
    /// Whether `run` would stop on something the plan lists as refused.
    pub fn refuses(&self) -> bool {
        self.plugins
            .iter()
            .map(|p| p.action)
            .chain(self.seed_files.iter().map(|f| f.action))
            .any(|a| a == Action::Refused)
    }

    /// Whether a run would change anything: a migration applied or adopted,
    /// a plugin run (with `--counts`: a plugin that inserts or updates rows).
    pub fn would_change(&self) -> bool {
        !self.migrations.pending.is_empty()
            || !self.migrations.adopt.is_empty()
            || self.seed_files.iter().any(|f| f.action == Action::Run)
            || self.plugins.iter().any(|p| {
                p.action == Action::Run
                    && p.tables.as_ref().is_none_or(|tables| {
                        tables.values().any(|c| c.inserted > 0 || c.updated > 0)
                    })
            })
    }
}

impl Report for PlanReport {
    fn summary(&self) -> Summary {
        let mut cases = vec![Case::of("migrations", self.error.clone(), 0)];
        let entries = self
            .seed_files
            .iter()
            .map(|f| (&f.path, f.action, &f.reason))
            .chain(self.plugins.iter().map(|p| (&p.name, p.action, &p.reason)));
        for (name, action, reason) in entries {
            let reason = reason.clone().unwrap_or_default();
            cases.push(Case {
                name: name.clone(),
                failure: (action == Action::Refused).then(|| reason.clone()),
                skipped: (action == Action::Skip).then_some(reason),
                duration_ms: 0,
            });
        }
        let counted = self.plugins.iter().filter_map(|p| p.tables.as_ref());
        let (inserted, updated) = counted
            .flat_map(|t| t.values())
            .fold((0, 0), |(i, u), c| (i + c.inserted, u + c.updated));
        let would = |a: Action| {
            let files = self.seed_files.iter().filter(|f| f.action == a).count();
            files + self.plugins.iter().filter(|p| p.action == a).count()
        };
        let error = self.error.clone().or_else(|| {
            let refused = cases.iter().find_map(|c| c.failure.clone());
            refused.or_else(|| {
                self.counts_failed
                    .then(|| self.counts_error.clone().unwrap_or_default())
            })
        });
        Summary {
            migrations: self.migrations.pending.len(),
            plugins_run: would(Action::Run),
            plugins_skipped: would(Action::Skip),
            inserted,
            updated,
            // A refused plugin fails `--detailed-exitcode` (1) without an error.
            error: (self.exit_status() == 1).then(|| error.unwrap_or_else(|| "failed".into())),
            cases,
        }
    }

    /// No error, and nothing in the counts' dry run failed (a dry run that
    /// could not start, for a `-- no-transaction` migration, only says so).
    fn succeeded(&self) -> bool {
        self.error.is_none() && !self.counts_failed
    }

    /// With `--detailed-exitcode`, a run that would be refused (a plugin of
    /// the wrong profile, not built) is an error too: 1.
    fn exit_status(&self) -> u8 {
        match (
            self.succeeded(),
            self.detailed,
            self.refuses(),
            self.would_change(),
        ) {
            (false, ..) | (true, true, true, _) => 1,
            (true, true, false, true) => 2,
            _ => 0,
        }
    }

    fn to_human(&self) -> String {
        use std::fmt::Write;
        let mut out = header(&self.env, self.database.as_deref());
        let m = &self.migrations;
        match (m.pending.len(), m.adopt.len()) {
            (0, 0) => {
                let _ = writeln!(out, "migrations: up to date");
            }
            _ => {
                for stem in &m.pending {
                    let _ = writeln!(out, "migration {stem}: apply");
                }
                for stem in &m.adopt {
                    let _ = writeln!(out, "migration {stem}: adopt (applied by the Supabase CLI)");
                }
            }
        }
        for f in &self.seed_files {
            let action = match f.action {
                Action::Run => "run",
                Action::Skip => "skip",
                Action::Refused => "REFUSED",
            };
            let rows = f
                .rows_affected
                .map_or_else(String::new, |n| format!(" ({n} rows)"));
            let why = f
                .reason
                .as_deref()
                .map_or_else(String::new, |r| format!(": {r}"));
            let _ = writeln!(out, "seed file {}: {action}{rows}{why}", f.path);
        }
        let mut table = new_table([
            "plugin",
            "policy",
            "action",
            "why",
            "rows (insert / update / same)",
        ]);
        for p in &self.plugins {
            let rows = p.tables.as_ref().map_or_else(String::new, |tables| {
                tables
                    .iter()
                    .map(|(t, c)| format!("{t}: {} / {} / {}", c.inserted, c.updated, c.unchanged))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
            let action = match p.action {
                Action::Run => "run",
                Action::Skip => "skip",
                Action::Refused => "REFUSED",
            };
            table.add_row([
                p.name.clone(),
                p.policy.to_owned(),
                action.to_owned(),
                p.reason.clone().unwrap_or_default(),
                rows,
            ]);
        }
        if !self.plugins.is_empty() {
            let _ = writeln!(out, "{table}");
        }
        if let Some(e) = &self.counts_error {
            let _ = writeln!(out, "counts: the dry run failed: {e}");
        }
        if let Some(e) = &self.error {
            let _ = writeln!(out, "error: {e}");
        } else if self.refuses() {
            let _ = writeln!(
                out,
                "run would stop: it refuses what is marked REFUSED above"
            );
        } else {
            let _ = writeln!(
                out,
                "{}",
                if self.would_change() {
                    "a run would change this database"
                } else {
                    "a run would change nothing"
                }
            );
        }
        out
    }
}
