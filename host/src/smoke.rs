//! Smoke checks: read-only queries with expected results, declared in TOML files
//! in the project's `smoke/` directory, so a team adds its own without
//! rebuilding seedhost.
//!
//! ```toml
//! [[check]]
//! name = "catalog landing-page stats"
//! sql = "SELECT chapter_count, average_rating FROM catalog_journey_stats WHERE slug = 'agentic-ai-mastery'"
//! expect = { chapter_count = 6, average_rating = 4.6 }
//! profiles = ["local", "staging"]      # optional: where the check applies (default: everywhere)
//!
//! [check.when.staging]                 # optional: what a profile expects differently
//! average_rating = 4.6
//! ```
//!
//! The query must return exactly one row; every expected key must be one of its
//! columns. Numbers compare as numbers (`4.6` matches a `numeric` 4.6), strings
//! exactly, booleans as booleans. The checks run in one read-only transaction
//! that is rolled back.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sqlx::{AssertSqlSafe, Column, Row, TypeInfo, ValueRef};
use thiserror::Error;

use crate::db::{Conn, Database, DbError};

/// One check as declared.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmokeCheck {
    /// What it checks, in words.
    pub name: String,
    /// The query: it must return one row.
    pub sql: String,
    /// Expected values by column.
    pub expect: BTreeMap<String, toml::Value>,
    /// Where it applies (empty: every profile).
    #[serde(default)]
    pub profiles: Vec<String>,
    /// Per profile, expectations that replace or add to `expect`.
    #[serde(default)]
    pub when: BTreeMap<String, BTreeMap<String, toml::Value>>,
    /// The file it came from (filled in when loaded).
    #[serde(skip)]
    pub file: PathBuf,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckFile {
    #[serde(default)]
    check: Vec<SmokeCheck>,
}

/// Why the checks could not be loaded.
#[derive(Debug, Error)]
pub enum SmokeError {
    /// A directory or file could not be read.
    #[error("cannot read smoke checks in {path}: {source}")]
    Read {
        /// The directory or file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A file is not a valid list of checks.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, naming the check.
        message: String,
    },
}

/// Loads every `*.toml` in `dir`, in file-name order.
pub fn load(dir: &Path) -> Result<Vec<SmokeCheck>, SmokeError> {
    let read = |source| SmokeError::Read {
        path: dir.to_owned(),
        source,
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(read)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    let mut checks = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path).map_err(|source| SmokeError::Read {
            path: path.clone(),
            source,
        })?;
        let invalid = |message: String| SmokeError::Invalid {
            path: path.clone(),
            message,
        };
        let file: CheckFile = toml::from_str(&text).map_err(|e| invalid(e.to_string()))?;
        for mut check in file.check {
            if check.expect.is_empty() {
                return Err(invalid(format!("check {:?} expects nothing", check.name)));
            }
            for values in std::iter::once(&check.expect).chain(check.when.values()) {
                if let Some((key, _)) = values.iter().find(|(_, v)| {
                    !matches!(
                        v,
                        toml::Value::Integer(_)
                            | toml::Value::Float(_)
                            | toml::Value::String(_)
                            | toml::Value::Boolean(_)
                    )
                }) {
                    return Err(invalid(format!(
                        "check {:?}: expected value of {key} must be a number, string or boolean",
                        check.name
                    )));
                }
            }
            check.file = path.clone();
            checks.push(check);
        }
    }
    Ok(checks)
}

impl SmokeCheck {
    /// Whether the check applies in `profile`.
    pub fn applies(&self, profile: &str) -> bool {
        self.profiles.is_empty() || self.profiles.iter().any(|p| p == profile)
    }

    /// What the check expects in `profile`.
    pub fn expected(&self, profile: &str) -> BTreeMap<String, toml::Value> {
        let mut expect = self.expect.clone();
        if let Some(overrides) = self.when.get(profile) {
            expect.extend(overrides.clone());
        }
        expect
    }
}

/// A value read back from the database.
#[derive(Debug, Clone, PartialEq)]
pub enum Actual {
    /// NULL.
    Null,
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// Text (every PostgreSQL value is read as text).
    Text(String),
}

impl std::fmt::Display for Actual {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Actual::Null => f.write_str("NULL"),
            Actual::Int(i) => write!(f, "{i}"),
            Actual::Float(x) => write!(f, "{x}"),
            Actual::Text(s) => write!(f, "{s:?}"),
        }
    }
}

/// Whether `actual` is what `expected` says.
pub fn matches(expected: &toml::Value, actual: &Actual) -> bool {
    let number = |a: &Actual| match a {
        Actual::Int(i) => Some(*i as f64),
        Actual::Float(x) => Some(*x),
        Actual::Text(s) => s.trim().parse::<f64>().ok(),
        Actual::Null => None,
    };
    match expected {
        toml::Value::Integer(e) => number(actual).is_some_and(|a| a == *e as f64),
        toml::Value::Float(e) => {
            number(actual).is_some_and(|a| (a - e).abs() <= 1e-9 * e.abs().max(1.0))
        }
        toml::Value::Boolean(e) => match actual {
            Actual::Int(i) => (*i != 0) == *e,
            Actual::Text(s) => {
                matches!(s.as_str(), "t" | "true") == *e
                    && matches!(s.as_str(), "t" | "true" | "f" | "false")
            }
            _ => false,
        },
        toml::Value::String(e) => matches!(actual, Actual::Text(s) if s == e),
        _ => false,
    }
}

/// The outcome of one check.
#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    /// The check's name.
    pub name: String,
    /// The file it came from.
    pub file: String,
    /// Whether every expectation held.
    pub passed: bool,
    /// `column: expected X, got Y` for each mismatch; or why the query failed.
    pub problems: Vec<String>,
}

/// Runs `checks` that apply in `profile` in one read-only transaction.
pub async fn run(
    db: &Database,
    checks: &[SmokeCheck],
    profile: &str,
) -> Result<Vec<CheckResult>, DbError> {
    let mut results = Vec::new();
    let applicable: Vec<&SmokeCheck> = checks.iter().filter(|c| c.applies(profile)).collect();
    match db.acquire().await? {
        Conn::Postgres(mut conn) => {
            let mut tx = sqlx::Connection::begin_with(&mut *conn, "BEGIN READ ONLY").await?;
            for check in applicable {
                // The simple protocol returns every value as text, whatever its type.
                let rows = sqlx::raw_sql(AssertSqlSafe(check.sql.clone()))
                    .fetch_all(&mut *tx)
                    .await;
                let rows = rows.map(|rows| cells(&rows, postgres_value));
                results.push(judge(check, profile, rows));
            }
            tx.rollback().await?;
        }
        Conn::Sqlite(mut conn) => {
            let mut tx = sqlx::Connection::begin(&mut *conn).await?;
            for check in applicable {
                let rows = sqlx::query(AssertSqlSafe(check.sql.clone()))
                    .fetch_all(&mut *tx)
                    .await;
                let rows = rows.map(|rows| cells(&rows, sqlite_value));
                results.push(judge(check, profile, rows));
            }
            tx.rollback().await?;
        }
    }
    Ok(results)
}

/// Every row as (column name, value) pairs, reading values with `value`.
fn cells<R: Row>(rows: &[R], value: fn(&R, usize) -> Actual) -> Vec<Vec<(String, Actual)>>
where
    usize: sqlx::ColumnIndex<R>,
{
    rows.iter()
        .map(|row| {
            (0..row.len())
                .map(|i| (row.column(i).name().to_owned(), value(row, i)))
                .collect()
        })
        .collect()
}

fn postgres_value(row: &sqlx::postgres::PgRow, i: usize) -> Actual {
    match row.try_get_raw(i) {
        Ok(v) if !v.is_null() => v
            .as_str()
            .map_or(Actual::Null, |s| Actual::Text(s.to_owned())),
        _ => Actual::Null,
    }
}

/// SQLite values carry their own storage class.
fn sqlite_value(row: &sqlx::sqlite::SqliteRow, i: usize) -> Actual {
    let class = row
        .try_get_raw(i)
        .map(|v| (!v.is_null()).then(|| v.type_info().name().to_owned()));
    match class {
        Ok(Some(t)) if t == "INTEGER" => row.try_get::<i64, _>(i).map_or(Actual::Null, Actual::Int),
        Ok(Some(t)) if t == "REAL" => row.try_get::<f64, _>(i).map_or(Actual::Null, Actual::Float),
        Ok(Some(_)) => row
            .try_get::<String, _>(i)
            .map_or(Actual::Null, Actual::Text),
        Ok(None) | Err(_) => Actual::Null,
    }
}

fn judge(
    check: &SmokeCheck,
    profile: &str,
    rows: Result<Vec<Vec<(String, Actual)>>, sqlx::Error>,
) -> CheckResult {
    let mut problems = Vec::new();
    match rows {
        Err(e) => problems.push(format!("query failed: {}", crate::db::error_text(&e))),
        Ok(rows) if rows.len() != 1 => {
            problems.push(format!("expected one row, got {}", rows.len()))
        }
        Ok(rows) => {
            let row = &rows[0];
            for (column, expected) in check.expected(profile) {
                match row.iter().find(|(name, _)| *name == column) {
                    None => problems.push(format!("{column}: no such column in the result")),
                    Some((_, actual)) if !matches(&expected, actual) => {
                        problems.push(format!("{column}: expected {expected}, got {actual}"))
                    }
                    Some(_) => {}
                }
            }
        }
    }
    CheckResult {
        name: check.name.clone(),
        file: check
            .file
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default(),
        passed: problems.is_empty(),
        problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_compare_as_numbers() {
        let float = toml::Value::Float(4.6);
        assert!(matches(&float, &Actual::Text("4.6".into())));
        assert!(matches(&float, &Actual::Float(4.6)));
        assert!(!matches(&float, &Actual::Text("4.7".into())));
        let int = toml::Value::Integer(480);
        assert!(matches(&int, &Actual::Int(480)));
        assert!(matches(&int, &Actual::Text("480".into())));
        assert!(!matches(&int, &Actual::Null));
        assert!(matches(
            &toml::Value::String("x".into()),
            &Actual::Text("x".into())
        ));
        assert!(!matches(&toml::Value::String("5".into()), &Actual::Int(5)));
        assert!(matches(
            &toml::Value::Boolean(true),
            &Actual::Text("t".into())
        ));
        assert!(matches(&toml::Value::Boolean(false), &Actual::Int(0)));
    }

    #[test]
    fn profile_overrides_merge_over_expect() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a.toml"),
            "[[check]]\nname = 'stats'\nsql = 'SELECT 1'\nexpect = { a = 1, b = 2 }\nprofiles = ['local', 'staging']\n\
             [check.when.staging]\nb = 3\n",
        )
        .unwrap();
        let checks = load(dir.path()).unwrap();
        assert_eq!(checks[0].expected("local")["b"], toml::Value::Integer(2));
        assert_eq!(checks[0].expected("staging")["b"], toml::Value::Integer(3));
        assert!(!checks[0].applies("production"));
    }

    #[test]
    fn bad_files_are_errors_naming_them() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("bad.toml"),
            "[[check]]\nname = 'x'\nsql = 'SELECT 1'\nexpect = {}\n",
        )
        .unwrap();
        let err = load(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("bad.toml") && err.contains("expects nothing"),
            "{err}"
        );
    }
}
