//! `seedhost verify`, for CI: every configured plugin is loaded and checked
//! against the contract and its grant, then every plugin granted the profile is
//! run in a dry run. Nothing is written; the exit status and a JSON or JUnit
//! report say what failed.

use std::fmt::Write as _;
use std::time::Instant;

use serde::Serialize;

use crate::config::{Config, PluginConfig};
use crate::grant::TableName;
use crate::plan::{self, Components, Destination, RunOptions};
use crate::report::{self, Case, PluginStatus, Report, RunReport, Summary};
use crate::runner;

/// One check of one plugin.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyCheck {
    /// The plugin (or `seedhost`, for a failure outside any plugin).
    pub plugin: String,
    /// `load`, `grant` or `dry-run`.
    pub check: String,
    /// Whether it passed.
    pub passed: bool,
    /// Why it failed, or what it found.
    pub detail: Option<String>,
    /// How long it took.
    pub duration_ms: u64,
    /// Not run: an optional plugin whose component is not built (`detail` says so).
    pub skipped: bool,
}

/// Everything `verify` found.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// The profile the dry run ran in.
    pub env: String,
    /// Every check, plugin by plugin.
    pub checks: Vec<VerifyCheck>,
    /// The dry run's own report.
    pub dry_run: RunReport,
}

impl Report for VerifyReport {
    fn summary(&self) -> Summary {
        let cases = self
            .checks
            .iter()
            .map(|c| Case {
                name: format!("{} {}", c.plugin, c.check),
                failure: (!c.passed).then(|| c.detail.clone().unwrap_or_default()),
                skipped: c.skipped.then(|| c.detail.clone().unwrap_or_default()),
                duration_ms: c.duration_ms,
            })
            .collect();
        let error = self
            .checks
            .iter()
            .find(|c| !c.passed)
            .map(|c| {
                format!(
                    "{} {}: {}",
                    c.plugin,
                    c.check,
                    c.detail.as_deref().unwrap_or("failed")
                )
            })
            .or_else(|| self.dry_run.error.clone());
        Summary {
            cases,
            error: if self.succeeded() {
                None
            } else {
                Some(error.unwrap_or_else(|| "failed".into()))
            },
            ..report::run_summary(&self.dry_run)
        }
    }

    /// Every check passed.
    fn succeeded(&self) -> bool {
        self.checks.iter().all(|c| c.passed) && self.dry_run.succeeded()
    }

    fn to_human(&self) -> String {
        let mut out = String::new();
        for c in &self.checks {
            let mark = match (c.skipped, c.passed) {
                (true, _) => "skip",
                (false, true) => "ok  ",
                (false, false) => "FAIL",
            };
            let _ = write!(out, "{mark} {:<16} {:<8}", c.plugin, c.check);
            if let Some(detail) = &c.detail {
                let _ = write!(out, " {detail}");
            }
            out.push('\n');
        }
        let failed = self.checks.iter().filter(|c| !c.passed).count();
        let _ = writeln!(out, "\n{} checks, {failed} failed", self.checks.len());
        out
    }
}

impl VerifyReport {
    /// JUnit XML: a test suite per plugin, a test case per check.
    pub fn to_junit(&self) -> String {
        let mut plugins: Vec<&str> = Vec::new();
        for c in &self.checks {
            if !plugins.contains(&c.plugin.as_str()) {
                plugins.push(&c.plugin);
            }
        }
        let failures = self.checks.iter().filter(|c| !c.passed).count();
        let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            xml,
            "<testsuites name=\"seedhost verify ({})\" tests=\"{}\" failures=\"{failures}\">",
            escape(&self.env),
            self.checks.len()
        );
        for plugin in plugins {
            let checks: Vec<&VerifyCheck> =
                self.checks.iter().filter(|c| c.plugin == plugin).collect();
            let failed = checks.iter().filter(|c| !c.passed).count();
            let _ = writeln!(
                xml,
                "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failed}\">",
                escape(plugin),
                checks.len()
            );
            for c in checks {
                let _ = write!(
                    xml,
                    "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
                    escape(plugin),
                    escape(&c.check),
                    c.duration_ms as f64 / 1000.0
                );
                match (&c.passed, &c.detail) {
                    (_, detail) if c.skipped => {
                        let message = escape(detail.as_deref().unwrap_or("skipped"));
                        let _ = writeln!(
                            xml,
                            ">\n      <skipped message=\"{message}\"/>\n    </testcase>"
                        );
                    }
                    (false, detail) => {
                        let message = escape(detail.as_deref().unwrap_or("failed"));
                        let _ = writeln!(
                            xml,
                            ">\n      <failure message=\"{message}\">{message}</failure>\n    </testcase>"
                        );
                    }
                    (true, _) => xml.push_str("/>\n"),
                }
            }
            xml.push_str("  </testsuite>\n");
        }
        xml.push_str("</testsuites>\n");
        xml
    }
}

/// Text for a JUnit attribute or element: control characters (invalid in
/// XML 1.0) escaped as text, then XML's own specials.
pub fn escape(s: &str) -> String {
    crate::shown::shown(s, usize::MAX)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// Verifies the plugins named (every configured one when none is), then
/// dry-runs them (with none named: those granted `destination.env`).
pub async fn verify(
    config: &Config,
    destination: &Destination,
    named: &[String],
    now: Option<String>,
    shared: Option<std::sync::Arc<Components>>,
) -> VerifyReport {
    let mut checks = Vec::new();
    let mut chosen = Vec::new();
    for name in named {
        match config.plugin(name) {
            Ok(plugin) => chosen.push(plugin),
            Err(e) => checks.push(VerifyCheck {
                plugin: name.clone(),
                check: "config".into(),
                passed: false,
                detail: Some(e),
                duration_ms: 0,
                skipped: false,
            }),
        }
    }
    if named.is_empty() {
        // An optional plugin that is not built is reported as skipped, not
        // failed; the dry run (`--all`) skips it too.
        for plugin in config.plugins.values() {
            if plan::unbuilt_optional(plugin) {
                checks.push(VerifyCheck {
                    plugin: plugin.name.clone(),
                    check: "load".into(),
                    passed: true,
                    detail: Some(format!("skipped: optional and {}", plan::not_built(plugin))),
                    duration_ms: 0,
                    skipped: true,
                });
            } else {
                chosen.push(plugin);
            }
        }
    }
    let components = match shared {
        Some(shared) => Ok(shared),
        None => Components::new(config, &destination.process_env).map(std::sync::Arc::new),
    };
    match &components {
        Ok(components) => {
            for plugin in &chosen {
                static_checks(components, plugin, &mut checks);
            }
        }
        Err(e) => checks.push(VerifyCheck {
            plugin: "seedhost".into(),
            check: "sandbox".into(),
            passed: false,
            detail: Some(e.to_string()),
            duration_ms: 0,
            skipped: false,
        }),
    }
    let options = RunOptions {
        all: named.is_empty(),
        plugins: chosen
            .iter()
            .filter(|_| !named.is_empty())
            .map(|p| p.name.clone())
            .collect(),
        dry_run: true,
        twice: true,
        now,
        components: components.ok(),
        ..RunOptions::default()
    };
    let dry_run = runner::run(config, destination, &options).await;
    // Supabase's seed files run once each, before the plugins.
    for f in &dry_run.seed_files {
        checks.push(VerifyCheck {
            plugin: f.path.clone(),
            check: "seed-file".into(),
            passed: f.status == PluginStatus::Ok,
            detail: Some(
                f.error
                    .clone()
                    .unwrap_or_else(|| format!("{} rows affected (rolled back)", f.rows_affected)),
            ),
            duration_ms: f.duration_ms,
            skipped: false,
        });
    }
    for p in &dry_run.plugins {
        checks.push(VerifyCheck {
            plugin: p.name.clone(),
            check: "dry-run".into(),
            passed: p.status == PluginStatus::Ok,
            detail: match &p.error {
                Some(e) => Some(e.clone()),
                None => {
                    let rows: u64 = p
                        .tables
                        .iter()
                        .map(|(_, c)| c.inserted + c.updated + c.unchanged)
                        .sum();
                    Some(format!(
                        "{rows} rows in {} tables (rolled back)",
                        p.tables.len()
                    ))
                }
            },
            duration_ms: p.duration_ms,
            skipped: false,
        });
        if let Some(rerun) = &p.rerun {
            checks.push(VerifyCheck {
                plugin: p.name.clone(),
                check: "idempotent".into(),
                passed: rerun.error.is_none()
                    && rerun
                        .tables
                        .iter()
                        .all(|(_, c)| c.inserted == 0 && c.updated == 0),
                detail: Some(idempotency(rerun)),
                duration_ms: 0,
                skipped: false,
            });
        }
    }
    if let Some(error) = &dry_run.error {
        checks.push(VerifyCheck {
            plugin: "seedhost".into(),
            check: "dry-run".into(),
            passed: false,
            detail: Some(error.clone()),
            duration_ms: 0,
            skipped: false,
        });
    }
    VerifyReport {
        env: destination.env.clone(),
        checks,
        dry_run,
    }
}

/// What a plugin's second run did, in words: every table unchanged, or the
/// first table it changed again.
fn idempotency(rerun: &crate::report::Rerun) -> String {
    if let Some(error) = &rerun.error {
        return format!("a second run in the same transaction failed: {error}");
    }
    match rerun
        .tables
        .iter()
        .find(|(_, c)| c.inserted > 0 || c.updated > 0)
    {
        Some((table, c)) => {
            let first = match &rerun.first_change {
                Some((table, key)) => format!("; a changed row: {table} {key}"),
                None => String::new(),
            };
            format!(
                "not idempotent: a second run, right after the first in the same transaction, \
                 inserted {} and updated {} rows of table {table}{first} (random ids, or the \
                 clock, in its rows? use seeded values and the host's reference time)",
                c.inserted, c.updated
            )
        }
        None => {
            let rows: u64 = rerun.tables.iter().map(|(_, c)| c.unchanged).sum();
            format!("a second run found all {rows} rows unchanged")
        }
    }
}

/// Loads the component (contract version included) and compares its
/// metadata, when it exports one, with its grant.
fn static_checks(components: &Components, plugin: &PluginConfig, checks: &mut Vec<VerifyCheck>) {
    let started = Instant::now();
    let sandbox = components.sandbox();
    let loaded = tokio::task::block_in_place(|| components.load(&plugin.name, &plugin.wasm));
    let check =
        |check: &str, result: Result<Option<String>, String>, started: Instant| VerifyCheck {
            plugin: plugin.name.clone(),
            check: check.into(),
            passed: result.is_ok(),
            detail: result.unwrap_or_else(Some),
            duration_ms: started.elapsed().as_millis() as u64,
            skipped: false,
        };
    let loaded = match loaded {
        Ok(loaded) => {
            let how = if loaded.cached { "cached" } else { "compiled" };
            checks.push(check(
                "load",
                Ok(Some(format!(
                    "{how}, contract {}",
                    loaded
                        .contract
                        .as_deref()
                        .unwrap_or("(none: it imports no seedhost interface)")
                ))),
                started,
            ));
            loaded
        }
        Err(e) => {
            checks.push(check("load", Err(e.to_string()), started));
            return;
        }
    };
    let started = Instant::now();
    // Like `run`, `metadata` may make blocking WASI calls (a print), which
    // wasmtime-wasi runs with `block_on`: not on a runtime worker thread.
    let metadata = tokio::task::block_in_place(|| sandbox.metadata(&plugin.name, &loaded));
    let result = match metadata {
        Err(e) => Err(e.to_string()),
        Ok(None) => Ok(Some(
            "exports no metadata; the grant alone applies".to_owned(),
        )),
        Ok(Some(meta)) => compare(plugin, &meta.tables, &meta.profiles).map(|()| {
            Some(format!(
                "{} {}: tables and profiles within the grant",
                meta.name, meta.version
            ))
        }),
    };
    checks.push(check("grant", result, started));
}

/// The plugin's own account of what it writes and where it runs, against the
/// operator's grant: a table it writes that the grant lacks would fail every
/// run; a profile granted that it does not support would fail there.
fn compare(plugin: &PluginConfig, tables: &[String], profiles: &[String]) -> Result<(), String> {
    let mut problems = Vec::new();
    for table in tables {
        match TableName::parse(table) {
            // The default schema is unknown without a database: compare as written.
            Ok(name)
                if plugin.grant.allows_table(&name, "public")
                    || plugin.grant.allows_table(&name, "main") => {}
            Ok(_) => problems.push(format!("writes {table}, which its grant does not list")),
            Err(e) => problems.push(e),
        }
    }
    if !profiles.is_empty() {
        for granted in plugin.grant.profiles() {
            if !profiles.contains(granted) {
                problems.push(format!(
                    "is granted profile {granted} but supports only {}",
                    profiles.join(", ")
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn plugin() -> PluginConfig {
        let config = Config::parse(
            "[plugins.p]\nwasm = 'p.wasm'\ntables = ['a', 'auth.users']\nprofiles = ['local', 'staging']\n",
            Path::new("seedhost.toml"),
            Path::new("/"),
        )
        .unwrap();
        config.plugins["p"].clone()
    }

    fn strings(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn metadata_within_the_grant_passes() {
        assert!(compare(&plugin(), &strings(&["a", "auth.users"]), &[]).is_ok());
        assert!(
            compare(
                &plugin(),
                &strings(&["public.a"]),
                &strings(&["local", "staging", "production"])
            )
            .is_ok()
        );
    }

    #[test]
    fn tables_and_profiles_outside_the_grant_fail() {
        let err = compare(&plugin(), &strings(&["a", "b"]), &strings(&["local"])).unwrap_err();
        assert!(
            err.contains("writes b, which its grant does not list"),
            "{err}"
        );
        assert!(
            err.contains("granted profile staging but supports only local"),
            "{err}"
        );
    }

    #[test]
    fn junit_escapes_and_counts() {
        let report = VerifyReport {
            env: "local".into(),
            checks: vec![
                VerifyCheck {
                    plugin: "p".into(),
                    check: "load".into(),
                    passed: true,
                    detail: None,
                    duration_ms: 5,
                    skipped: false,
                },
                VerifyCheck {
                    plugin: "example".into(),
                    check: "load".into(),
                    passed: true,
                    detail: Some("skipped: not built".into()),
                    duration_ms: 0,
                    skipped: true,
                },
                VerifyCheck {
                    plugin: "p".into(),
                    check: "dry-run".into(),
                    passed: false,
                    detail: Some("table \"x\" <bad> & worse".into()),
                    duration_ms: 1,
                    skipped: false,
                },
            ],
            dry_run: RunReport::new("local", true),
        };
        let xml = report.to_junit();
        assert!(xml.contains("tests=\"3\" failures=\"1\""), "{xml}");
        assert!(
            xml.contains("<skipped message=\"skipped: not built\"/>"),
            "{xml}"
        );
        assert!(
            xml.contains("table &quot;x&quot; &lt;bad&gt; &amp; worse"),
            "{xml}"
        );
        assert!(!report.succeeded());
    }
}
