//! What a command did, for people (tables) and for machines (one JSON object).

use std::fmt::Write as _;

use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::migrate;

/// A table for people, in the style of every report.
pub fn new_table<const N: usize>(header: [&str; N]) -> Table {
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED).set_header(header);
    table
}

/// What every command's report offers the command line: a verdict for the
/// exit status, and a rendering for people or for machines.
pub trait Report: Serialize {
    /// Whether the command succeeded (exit status 0).
    fn succeeded(&self) -> bool;

    /// Tables and lines for a terminal.
    fn to_human(&self) -> String;

    /// The exit status a signal that stopped the command calls for (130,
    /// 143), if one did.
    fn interrupted(&self) -> Option<u8> {
        None
    }

    /// The process's exit status: a signal's if one stopped the command, else
    /// 0 on success and 1 on failure.
    fn exit_status(&self) -> u8 {
        self.interrupted()
            .unwrap_or_else(|| u8::from(!self.succeeded()))
    }

    /// The one JSON object `--json` prints.
    fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("reports serialize")
    }

    /// The command's outcome on one database, as a fan-out's summary table
    /// and its JUnit test suite give it.
    fn summary(&self) -> Summary {
        Summary {
            error: (!self.succeeded()).then(|| "failed".to_owned()),
            ..Summary::default()
        }
    }
}

/// A command's outcome on one database, in a fan-out's summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Migrations applied (`plan`, `status`: pending).
    pub migrations: usize,
    /// Plugins and seed files run (`plan`: that would run).
    pub plugins_run: usize,
    /// Plugins and seed files skipped (`plan`: that would be).
    pub plugins_skipped: usize,
    /// Rows inserted, over every table.
    pub inserted: u64,
    /// Rows updated, over every table.
    pub updated: u64,
    /// Why it failed: the first error; `None` when it succeeded.
    pub error: Option<String>,
    /// Its JUnit test cases: one per migration step, seed file, plugin or check.
    pub cases: Vec<Case>,
}

/// One JUnit test case of a target's suite.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Case {
    /// What it is: `migrations`, a plugin, a seed file, `plugin check`.
    pub name: String,
    /// Why it failed.
    pub failure: Option<String>,
    /// Why it was skipped.
    pub skipped: Option<String>,
    /// How long it took.
    pub duration_ms: u64,
}

impl Case {
    /// A case that ran: passed, or failed with `failure`.
    pub fn of(name: &str, failure: Option<String>, duration_ms: u64) -> Case {
        Case {
            name: name.to_owned(),
            failure,
            skipped: None,
            duration_ms,
        }
    }
}

/// The cases and counts of what a run did (shared by `run` and `verify`).
pub fn run_summary(report: &RunReport) -> Summary {
    let mut cases = vec![Case::of("migrations", None, 0)];
    let mut first_error = report.error.clone();
    for f in &report.seed_files {
        if first_error.is_none() {
            first_error.clone_from(&f.error);
        }
        cases.push(Case::of(&f.path, f.error.clone(), f.duration_ms));
    }
    for p in &report.plugins {
        if first_error.is_none() {
            first_error.clone_from(&p.error);
        }
        cases.push(Case::of(&p.name, p.error.clone(), p.duration_ms));
    }
    for (name, reason) in &report.skipped {
        cases.push(Case {
            name: name.clone(),
            skipped: Some(reason.clone()),
            ..Case::default()
        });
    }
    if let Some(error) = &report.error {
        // Outside any plugin: the run's own step failed.
        cases[0].failure = Some(error.clone());
    }
    let committed = report.plugins.iter().filter(|p| !p.rolled_back);
    let (inserted, updated) = committed
        .flat_map(|p| p.tables.iter())
        .fold((0, 0), |(i, u), (_, c)| (i + c.inserted, u + c.updated));
    Summary {
        migrations: report.migrations.applied.len(),
        plugins_run: report.plugins.len() + report.seed_files.len(),
        plugins_skipped: report.skipped.len(),
        inserted,
        updated,
        error: if report.succeeded() {
            None
        } else {
            Some(first_error.unwrap_or_else(|| "failed".to_owned()))
        },
        cases,
    }
}

/// The first line of every report: profile and (redacted) database.
pub fn header(env: &str, database: Option<&str>) -> String {
    format!("env {env} · {}\n", database.unwrap_or("(not resolved)"))
}

/// What `seedhost migrate repair` did.
#[derive(Debug, Clone, Serialize)]
pub struct RepairReport {
    /// The profile.
    pub env: String,
    /// The database URL, redacted; `null` when never resolved.
    pub database: Option<String>,
    /// The migration file whose checksum is now recorded.
    pub file: Option<String>,
    /// The checksum recorded before (hex); `null` when it already matched.
    pub replaced: Option<String>,
    /// The checksum recorded now (hex).
    pub checksum: Option<String>,
    /// Why it failed; `null` otherwise.
    pub error: Option<String>,
}

impl RepairReport {
    /// An empty report of a repair in `env`.
    pub fn new(env: &str) -> RepairReport {
        RepairReport {
            env: env.to_owned(),
            database: None,
            file: None,
            replaced: None,
            checksum: None,
            error: None,
        }
    }

    /// A report of a repair that failed before it started.
    pub fn failed(env: &str, error: impl std::fmt::Display) -> RepairReport {
        RepairReport {
            error: Some(error.to_string()),
            ..RepairReport::new(env)
        }
    }
}

impl Report for RepairReport {
    fn succeeded(&self) -> bool {
        self.error.is_none()
    }

    fn to_human(&self) -> String {
        let mut out = header(&self.env, self.database.as_deref());
        match (&self.error, &self.file, &self.replaced, &self.checksum) {
            (Some(error), ..) => {
                let _ = writeln!(out, "error: {error}");
            }
            (None, Some(file), None, _) => {
                let _ = writeln!(
                    out,
                    "{file}: the recorded checksum already matches; nothing to repair"
                );
            }
            (None, Some(file), Some(old), Some(new)) => {
                let _ = writeln!(
                    out,
                    "{file}: recorded checksum {}… replaced by the file's {}… (the file was not run)",
                    &old[..old.len().min(16)],
                    &new[..new.len().min(16)]
                );
            }
            _ => {}
        }
        out
    }
}

/// Per-table counts of one plugin run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TableCounts {
    /// Rows that were new.
    pub inserted: u64,
    /// Rows that existed and changed.
    pub updated: u64,
    /// Rows that existed and were already as written (not rewritten).
    pub unchanged: u64,
}

impl From<crate::contract::Counts> for TableCounts {
    fn from(c: crate::contract::Counts) -> Self {
        TableCounts {
            inserted: c.inserted,
            updated: c.updated,
            unchanged: c.unchanged,
        }
    }
}

/// The outcome of one plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PluginStatus {
    /// It succeeded and its transaction committed (or, dry, would have).
    Ok,
    /// It failed and its writes were rolled back.
    Failed,
}

/// One plugin's part of a run.
#[derive(Debug, Clone, Serialize)]
pub struct PluginReport {
    /// The plugin's configured name.
    pub name: String,
    /// How it ended.
    pub status: PluginStatus,
    /// Why it failed.
    pub error: Option<String>,
    /// Whether its writes were rolled back (it failed): the counts then say
    /// what it wrote before failing, none of which was kept.
    pub rolled_back: bool,
    /// Wall time, loading excluded.
    pub duration_ms: u64,
    /// In the order the plugin first wrote each table.
    #[serde(serialize_with = "ordered_map")]
    pub tables: Vec<(String, TableCounts)>,
    /// What a second run in the same transaction did (`verify` only): an
    /// idempotent plugin inserts and updates nothing the second time.
    #[serde(skip)]
    pub rerun: Option<Rerun>,
    /// The table and key of the first row it inserted or updated, when asked
    /// to note it (`verify`'s second run).
    #[serde(skip)]
    pub first_change: Option<(String, String)>,
}

/// A plugin's second run, right after its first, in the same transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rerun {
    /// Per table, what the second run did.
    pub tables: Vec<(String, TableCounts)>,
    /// Why the second run failed, if it did.
    pub error: Option<String>,
    /// The table and key of the first row it inserted or updated.
    pub first_change: Option<(String, String)>,
}

fn ordered_map<S: Serializer>(tables: &[(String, TableCounts)], s: S) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(tables.len()))?;
    for (table, counts) in tables {
        map.serialize_entry(table, counts)?;
    }
    map.end()
}

/// Migrations a run applied.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MigrationsReport {
    /// File stems, in the order they were applied.
    pub applied: Vec<String>,
    /// File stems the Supabase CLI had applied, which seedhost recorded in its
    /// own history without running them (present only when there are some).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub adopted: Vec<String>,
}

/// Everything `seedhost run` (or `migrate`) did.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    /// The profile.
    pub env: String,
    /// The database URL, password redacted; `null` when it was never resolved.
    pub database: Option<String>,
    /// Whether everything was rolled back.
    pub dry_run: bool,
    /// What migrations did.
    pub migrations: MigrationsReport,
    /// Each Supabase seed file that ran, in order (before the plugins).
    pub seed_files: Vec<SeedFileReport>,
    /// Each plugin that ran, in order.
    pub plugins: Vec<PluginReport>,
    /// A failure outside any plugin (configuration, profile, connection,
    /// migrations); `null` otherwise.
    pub error: Option<String>,
    /// What a reset dropped (`reset` and `setup` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reset: Option<Vec<String>>,
    /// Plugins that were not run, with the reason: `[{plugin, reason}]`.
    #[serde(serialize_with = "skipped_json")]
    pub skipped: Vec<(String, String)>,
    /// The exit status a signal that stopped the run calls for (130, 143).
    #[serde(skip)]
    pub interrupted: Option<u8>,
    /// The plugin reported ok whose transaction is still being recorded or
    /// committed (an index into `plugins`).
    #[serde(skip)]
    pub uncommitted: Option<usize>,
}

/// A Supabase seed file's run.
#[derive(Debug, Clone, Serialize)]
pub struct SeedFileReport {
    /// Its path as the Supabase CLI records it (`supabase/seed.sql`).
    pub path: String,
    /// How it ended.
    pub status: PluginStatus,
    /// Why it failed (file and statement named).
    pub error: Option<String>,
    /// Rows its statements affected.
    pub rows_affected: u64,
    /// Wall time.
    pub duration_ms: u64,
}

fn skipped_json<S: serde::Serializer>(
    skipped: &[(String, String)],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = serializer.serialize_seq(Some(skipped.len()))?;
    for (plugin, reason) in skipped {
        seq.serialize_element(&serde_json::json!({ "plugin": plugin, "reason": reason }))?;
    }
    seq.end()
}

impl RunReport {
    /// An empty report for a run in `env`.
    pub fn new(env: &str, dry_run: bool) -> RunReport {
        RunReport {
            env: env.to_owned(),
            database: None,
            dry_run,
            migrations: MigrationsReport::default(),
            seed_files: Vec::new(),
            plugins: Vec::new(),
            error: None,
            reset: None,
            skipped: Vec::new(),
            interrupted: None,
            uncommitted: None,
        }
    }

    /// The plugin reported ok whose commit did not happen after all (a failed
    /// commit, a signal before it) is reported failed and rolled back, with
    /// `why`.
    pub fn not_committed(&mut self, why: String) {
        if let Some(entry) = self
            .uncommitted
            .take()
            .and_then(|i| self.plugins.get_mut(i))
        {
            entry.status = PluginStatus::Failed;
            entry.rolled_back = true;
            entry.error = Some(why);
        }
    }
}

impl Report for RunReport {
    fn summary(&self) -> Summary {
        run_summary(self)
    }

    /// Everything succeeded (the exit status is 0 only then).
    fn succeeded(&self) -> bool {
        self.error.is_none()
            && self.plugins.iter().all(|p| p.status == PluginStatus::Ok)
            && self.seed_files.iter().all(|f| f.status == PluginStatus::Ok)
    }

    fn interrupted(&self) -> Option<u8> {
        self.interrupted
    }

    fn to_human(&self) -> String {
        let mut out = header(&self.env, self.database.as_deref());
        if self.dry_run {
            out.insert_str(out.len() - 1, " · dry run");
        }
        if let Some(dropped) = &self.reset {
            let _ = writeln!(out, "reset: dropped {} objects", dropped.len());
        }
        if !self.migrations.adopted.is_empty() {
            let _ = writeln!(
                out,
                "migrations: adopted {} migrations applied by the Supabase CLI",
                self.migrations.adopted.len()
            );
            for stem in &self.migrations.adopted {
                let _ = writeln!(out, "  {stem}");
            }
        }
        if self.database.is_some() {
            match self.migrations.applied.len() {
                0 if self.error.is_none() => {
                    let _ = writeln!(out, "migrations: up to date");
                }
                0 => {}
                n => {
                    let _ = writeln!(out, "migrations: applied {n}");
                    for stem in &self.migrations.applied {
                        let _ = writeln!(out, "  {stem}");
                    }
                }
            }
        }
        for file in &self.seed_files {
            let status = match file.status {
                PluginStatus::Ok => "ok",
                PluginStatus::Failed => "FAILED",
            };
            let _ = writeln!(
                out,
                "\n{} · seed file · {status} · {} rows · {} ms",
                file.path, file.rows_affected, file.duration_ms
            );
            if let Some(error) = &file.error {
                let _ = writeln!(out, "error: {error}");
            }
        }
        for plugin in &self.plugins {
            let status = match plugin.status {
                PluginStatus::Ok => "ok",
                PluginStatus::Failed => "FAILED",
            };
            let _ = writeln!(
                out,
                "\n{} · {status} · {} ms",
                plugin.name, plugin.duration_ms
            );
            if !plugin.tables.is_empty() {
                let mut table = new_table(["table", "inserted", "updated", "unchanged"]);
                for (name, c) in &plugin.tables {
                    table.add_row([
                        Cell::new(name),
                        Cell::new(c.inserted).set_alignment(CellAlignment::Right),
                        Cell::new(c.updated).set_alignment(CellAlignment::Right),
                        Cell::new(c.unchanged).set_alignment(CellAlignment::Right),
                    ]);
                }
                let _ = writeln!(out, "{table}");
            }
            if let Some(error) = &plugin.error {
                let _ = writeln!(out, "error: {error}");
                if plugin.status == PluginStatus::Failed && !plugin.tables.is_empty() {
                    let _ = writeln!(out, "(rolled back: none of the rows above were kept)");
                }
            }
        }
        for (name, why) in &self.skipped {
            let _ = writeln!(out, "\n{name} · not run · {why}");
        }
        if let Some(error) = &self.error {
            let _ = writeln!(out, "\nerror: {error}");
        }
        if self.dry_run && self.database.is_some() {
            let _ = writeln!(
                out,
                "\ndry run: everything above was rolled back; the database is unchanged"
            );
        }
        out
    }
}

/// What `seedhost smoke` found.
#[derive(Debug, Clone, Serialize)]
pub struct SmokeReport {
    /// The profile.
    pub env: String,
    /// The database URL, redacted; `null` when never resolved.
    pub database: Option<String>,
    /// Each check that applied, in file order.
    pub checks: Vec<crate::smoke::CheckResult>,
    /// A failure outside any check; `null` otherwise.
    pub error: Option<String>,
}

impl Report for SmokeReport {
    /// Every check passed (and there was at least one).
    fn succeeded(&self) -> bool {
        self.error.is_none() && !self.checks.is_empty() && self.checks.iter().all(|c| c.passed)
    }

    fn to_human(&self) -> String {
        let mut out = header(&self.env, self.database.as_deref());
        if !self.checks.is_empty() {
            let mut table = new_table(["check", "file", "result"]);
            for c in &self.checks {
                let result = if c.passed {
                    "pass".to_owned()
                } else {
                    format!("FAIL\n{}", c.problems.join("\n"))
                };
                table.add_row([c.name.clone(), c.file.clone(), result]);
            }
            let _ = writeln!(out, "{table}");
            let failed = self.checks.iter().filter(|c| !c.passed).count();
            let _ = writeln!(
                out,
                "{} passed, {failed} failed",
                self.checks.len() - failed
            );
        }
        if let Some(error) = &self.error {
            let _ = writeln!(out, "error: {error}");
        }
        out
    }
}

/// One configured plugin, for `seedhost status`.
#[derive(Debug, Clone, Serialize)]
pub struct PluginEntry {
    /// The plugin's configured name.
    pub name: String,
    /// Its component file.
    pub wasm: String,
    /// Whether the component file exists.
    pub built: bool,
    /// The tables its grant lists.
    pub tables: Vec<String>,
    /// The profiles its grant lists.
    pub profiles: Vec<String>,
    /// Plugins that run before it.
    pub after: Vec<String>,
    /// When `run` runs it: always, on-change, once.
    pub policy: &'static str,
    /// When it last ran successfully in this database (the seed ledger), and
    /// what changed since: `component`, `params`.
    pub last_run: Option<LastRunEntry>,
}

/// A plugin's last successful run in a database, for `status`.
#[derive(Debug, Clone, Serialize)]
pub struct LastRunEntry {
    /// When it finished (UTC).
    pub finished_at: String,
    /// The profile it ran in.
    pub profile: String,
    /// What changed since: `component`, `params` (the configured ones and the
    /// profile's reference time; `--param` is not known here).
    pub changed: Vec<&'static str>,
}

/// What `seedhost status` found.
#[derive(Debug, Clone, Serialize)]
pub struct StatusReport {
    /// The profile.
    pub env: String,
    /// The database URL, redacted; `null` when never resolved.
    pub database: Option<String>,
    /// Every migration file and recorded version.
    pub migrations: Vec<migrate::Entry>,
    /// Every configured plugin.
    pub plugins: Vec<PluginEntry>,
    /// Why the database could not be read; `null` otherwise.
    pub error: Option<String>,
}

impl Report for StatusReport {
    fn summary(&self) -> Summary {
        let mut cases = Vec::new();
        let mut error = self.error.clone();
        for m in &self.migrations {
            let failure = match m.state {
                migrate::State::Applied | migrate::State::Pending => None,
                other => Some(format!("{other:?}").to_lowercase()),
            };
            if error.is_none() {
                error = failure
                    .as_ref()
                    .map(|state| format!("migration {}: {state}", m.version));
            }
            cases.push(Case::of(&format!("migration {}", m.version), failure, 0));
        }
        Summary {
            migrations: self
                .migrations
                .iter()
                .filter(|m| m.state == migrate::State::Pending)
                .count(),
            error,
            cases,
            ..Summary::default()
        }
    }

    /// The status is clean: no error, nothing changed or missing.
    fn succeeded(&self) -> bool {
        self.error.is_none()
            && self
                .migrations
                .iter()
                .all(|m| matches!(m.state, migrate::State::Applied | migrate::State::Pending))
    }

    fn to_human(&self) -> String {
        let mut out = header(&self.env, self.database.as_deref());
        let mut table = new_table(["version", "migration", "state"]);
        for m in &self.migrations {
            let state = match (m.state, m.applied_by) {
                (migrate::State::Applied, Some(migrate::AppliedBy::SupabaseCli)) => {
                    "applied by the Supabase CLI (migrate adopts it)"
                }
                (migrate::State::Applied, _) => "applied",
                (migrate::State::Pending, _) => "pending",
                (migrate::State::Changed, _) => "CHANGED since applied",
                (migrate::State::Missing, _) => "MISSING file",
            };
            table.add_row([m.version.to_string(), m.name.clone(), state.to_owned()]);
        }
        let _ = writeln!(out, "\nmigrations\n{table}");
        let mut table = new_table([
            "plugin",
            "profiles",
            "tables",
            "after",
            "policy",
            "last run here",
            "component",
        ]);
        for p in &self.plugins {
            let last = p.last_run.as_ref().map_or_else(
                || "never".to_owned(),
                |l| match l.changed.as_slice() {
                    [] => format!("{} ({}), unchanged since", l.finished_at, l.profile),
                    changed => format!(
                        "{} ({}), {} changed since",
                        l.finished_at,
                        l.profile,
                        changed.join(" and ")
                    ),
                },
            );
            table.add_row([
                p.name.clone(),
                p.profiles.join(", "),
                p.tables.join("\n"),
                p.after.join(", "),
                p.policy.to_owned(),
                last,
                format!("{}{}", p.wasm, if p.built { "" } else { " (not built)" }),
            ]);
        }
        let _ = writeln!(out, "\nplugins\n{table}");
        if let Some(error) = &self.error {
            let _ = writeln!(out, "\nerror: {error}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_has_the_documented_shape() {
        let mut report = RunReport::new("local", false);
        report.database = Some("sqlite://x.db".into());
        report
            .migrations
            .applied
            .push("20260223000001_add_catalog_journey_tables".into());
        report.plugins.push(PluginReport {
            name: "catalog".into(),
            status: PluginStatus::Ok,
            rolled_back: false,
            error: None,
            rerun: None,
            first_change: None,
            duration_ms: 12,
            tables: vec![
                (
                    "catalog_journeys".into(),
                    TableCounts {
                        inserted: 0,
                        updated: 0,
                        unchanged: 1,
                    },
                ),
                (
                    "catalog_chapters".into(),
                    TableCounts {
                        inserted: 6,
                        updated: 0,
                        unchanged: 0,
                    },
                ),
            ],
        });
        let v: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
        assert_eq!(v["env"], "local");
        assert_eq!(v["dry_run"], false);
        assert_eq!(
            v["migrations"]["applied"][0],
            "20260223000001_add_catalog_journey_tables"
        );
        assert_eq!(v["plugins"][0]["status"], "ok");
        assert_eq!(v["plugins"][0]["error"], serde_json::Value::Null);
        assert_eq!(v["plugins"][0]["tables"]["catalog_chapters"]["inserted"], 6);
        assert!(report.succeeded());
        // Table order is the order of writing, not alphabetical.
        let json = report.to_json();
        assert!(json.find("catalog_journeys").unwrap() < json.find("catalog_chapters").unwrap());
    }

    #[test]
    fn a_failed_plugin_fails_the_report() {
        let mut report = RunReport::new("local", true);
        report.plugins.push(PluginReport {
            name: "x".into(),
            status: PluginStatus::Failed,
            rolled_back: true,
            error: Some("boom".into()),
            rerun: None,
            first_change: None,
            duration_ms: 1,
            tables: vec![],
        });
        assert!(!report.succeeded());
        assert!(report.to_human().contains("error: boom"));
    }

    #[test]
    fn a_plugin_ok_but_not_committed_is_reported_rolled_back() {
        let ok = |name: &str| PluginReport {
            name: name.into(),
            status: PluginStatus::Ok,
            rolled_back: false,
            error: None,
            rerun: None,
            first_change: None,
            duration_ms: 1,
            tables: vec![],
        };
        let mut report = RunReport::new("local", false);
        report.plugins.extend([ok("committed"), ok("in commit")]);
        // Nothing awaiting its commit: nothing changes.
        report.not_committed("interrupted".into());
        assert!(report.succeeded());
        report.uncommitted = Some(1);
        report.not_committed("interrupted by SIGINT before its commit".into());
        assert_eq!(report.plugins[0].status, PluginStatus::Ok);
        let second = &report.plugins[1];
        assert_eq!(second.status, PluginStatus::Failed);
        assert!(second.rolled_back);
        assert_eq!(
            second.error.as_deref(),
            Some("interrupted by SIGINT before its commit")
        );
        assert_eq!(report.uncommitted, None);
        assert!(!report.succeeded());
    }
}
