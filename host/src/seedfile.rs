//! Supabase's seed files: the SQL files that `[db.seed]` of
//! `supabase/config.toml` names, which `supabase db reset` runs. seedhost runs
//! them too, each in its own transaction, after the migrations and before any
//! plugin, and records each run as the Supabase CLI does, in
//! `supabase_migrations.seed_files (path, hash)`, so both tools agree on what
//! ran. They are the project's own SQL: not sandboxed, not bound by a grant.
//!
//! The CLI's rules, measured with its 2.117.0: `sql_paths` are globs relative
//! to `supabase/` (default `./seed.sql`), taken in the order given, each
//! glob's matches sorted, a file matched twice taken once; the path recorded
//! is `supabase/` joined with the file's path below it; the hash is the
//! lowercase SHA-256 hex of the file.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use sqlx::{Executor, PgConnection};
use thiserror::Error;

use crate::db::{Conn, Database, DbError, Tx};
use crate::migrate::split_statements;

/// The CLI's record of seed files.
pub const TABLE: &str = "supabase_migrations.seed_files";

/// A seed file to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedFile {
    /// Its path as the CLI records it, relative to the directory holding
    /// `supabase/`: `supabase/seed.sql`.
    pub path: String,
    /// Where it is.
    pub file: PathBuf,
    /// Its SQL.
    pub sql: String,
    /// SHA-256 of its bytes, lowercase hex.
    pub hash: String,
}

/// Why the seed files could not be read.
#[derive(Debug, Error)]
pub enum SeedFileError {
    /// supabase/config.toml could not be read or parsed.
    #[error("{path}: {message}")]
    Config {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// A seed file could not be read.
    #[error("seed file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// The `supabase/` directory of the project at `root`: beside seedhost.toml,
/// or beside one of the directories above it (a seedhost.toml in a
/// subdirectory of the repository); the nearest wins.
pub fn supabase_dir(root: &Path) -> Option<PathBuf> {
    for dir in root.ancestors() {
        let supabase = dir.join("supabase");
        if supabase.join("config.toml").is_file() {
            return Some(supabase);
        }
        // Not past the repository's root.
        if dir.join(".git").exists() {
            break;
        }
    }
    None
}

/// The seed files `[db.seed]` names, in the CLI's order; none when there is no
/// Supabase project or seeding is disabled. Unknown keys are ignored, and an
/// `env(NAME)` value is read from `env`, as the CLI does.
pub fn discover(
    root: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<SeedFile>, SeedFileError> {
    let Some(supabase) = supabase_dir(root) else {
        return Ok(Vec::new());
    };
    let config_path = supabase.join("config.toml");
    let bad = |message: String| SeedFileError::Config {
        path: config_path.clone(),
        message,
    };
    let text = std::fs::read_to_string(&config_path).map_err(|e| bad(e.to_string()))?;
    let config: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| bad(e.to_string()))?;
    let seed = config
        .get("db")
        .and_then(|db| db.get("seed"))
        .and_then(toml::Value::as_table);
    let resolve = |value: &toml::Value| -> Option<String> {
        let text = value.as_str()?;
        match text
            .trim()
            .strip_prefix("env(")
            .and_then(|t| t.strip_suffix(')'))
        {
            Some(name) => env(name.trim()),
            None => Some(text.to_owned()),
        }
    };
    let enabled = match seed.and_then(|s| s.get("enabled")) {
        Some(toml::Value::Boolean(b)) => *b,
        Some(value) => resolve(value).is_none_or(|v| v.trim() != "false"),
        None => true,
    };
    if !enabled {
        return Ok(Vec::new());
    }
    let patterns: Vec<String> = match seed.and_then(|s| s.get("sql_paths")) {
        Some(toml::Value::Array(paths)) => paths.iter().filter_map(resolve).collect(),
        Some(other) => {
            return Err(bad(format!(
                "[db.seed] sql_paths must be a list of paths, not {other}"
            )));
        }
        None => vec!["./seed.sql".to_owned()],
    };
    // The path the CLI records: supabase/ as the project names it.
    let prefix = supabase
        .parent()
        .and_then(|parent| supabase.strip_prefix(parent).ok())
        .map_or_else(|| PathBuf::from("supabase"), Path::to_owned);
    let mut files: Vec<SeedFile> = Vec::new();
    for pattern in patterns {
        if pattern.contains("**") {
            return Err(bad(format!(
                "[db.seed] sql_paths: {pattern:?}: `**` is not a pattern the Supabase CLI knows \
                 (it globs one directory level at a time)"
            )));
        }
        // The directory is literal, whatever characters its name has.
        let full = format!(
            "{}/{}",
            glob::Pattern::escape(&supabase.to_string_lossy()),
            pattern
        );
        let mut matched: Vec<PathBuf> = glob::glob(&full)
            .map_err(|e| bad(format!("[db.seed] sql_paths: {pattern:?}: {e}")))?
            .filter_map(Result::ok)
            .filter(|p| p.is_file())
            .collect();
        matched.sort();
        if matched.is_empty() {
            tracing::warn!(
                "no seed file matches {pattern:?} ([db.seed] sql_paths of {})",
                config_path.display()
            );
        }
        for file in matched {
            let below = file.strip_prefix(&supabase).unwrap_or(&file);
            let path = clean(&prefix.join(below));
            if files.iter().any(|f| f.path == path) {
                continue;
            }
            let bytes = std::fs::read(&file).map_err(|source| SeedFileError::Read {
                path: file.clone(),
                source,
            })?;
            files.push(SeedFile {
                path,
                hash: hash(&bytes),
                sql: String::from_utf8_lossy(&bytes).into_owned(),
                file,
            });
        }
    }
    Ok(files)
}

/// SHA-256, lowercase hex, as the CLI records it.
pub fn hash(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `a/./b/../c` → `a/c`, with `/` separators, as Go's `filepath.Join`
/// cleans the path the CLI records.
fn clean(path: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    for component in path.components() {
        match component {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir if parts.last().is_some_and(|p| p != "..") => {
                parts.pop();
            }
            other => parts.push(other.as_os_str().to_string_lossy().into_owned()),
        }
    }
    parts.join("/")
}

/// The transaction-control keyword a statement starts with, if any.
fn transaction_control(statement: &str) -> Option<String> {
    let code = statement
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("--"))?;
    let word = code
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()?
        .to_ascii_uppercase();
    matches!(
        word.as_str(),
        "BEGIN" | "START" | "COMMIT" | "END" | "ROLLBACK" | "ABORT" | "SAVEPOINT" | "RELEASE"
    )
    .then_some(word)
}

/// What the CLI's table records, `(path, hash)`: nothing when it is missing,
/// and nothing on SQLite. Changes nothing.
pub async fn recorded(db: &Database) -> Result<Vec<(String, String)>, DbError> {
    let Conn::Postgres(mut conn) = db.acquire().await? else {
        return Ok(Vec::new());
    };
    let exists: bool =
        sqlx::query_scalar("SELECT to_regclass('supabase_migrations.seed_files') IS NOT NULL")
            .fetch_one(&mut *conn)
            .await?;
    if !exists {
        return Ok(Vec::new());
    }
    Ok(
        sqlx::query_as("SELECT path, hash FROM supabase_migrations.seed_files ORDER BY path")
            .fetch_all(&mut *conn)
            .await?,
    )
}

/// Runs `file`'s statements in `tx` (a transaction of its own, or a dry
/// run's savepoint) and, when `record` (the CLI's history is kept on this
/// database), records it in the CLI's table, created as the CLI creates it.
/// Returns the rows its statements affected; the error names the file and
/// the line of the statement that failed.
pub async fn apply(
    tx: &mut Tx,
    file: &SeedFile,
    record: bool,
    session: &str,
) -> Result<u64, String> {
    let Tx::Postgres(t) = tx else {
        return Err(format!(
            "seed file {}: seed files run on PostgreSQL only",
            file.path
        ));
    };
    let conn: &mut PgConnection = t;
    // Statement by statement, as the CLI splits them, so a failure names the
    // statement: a constraint violation carries no position in the file.
    let mut rows = 0;
    let mut cursor = 0;
    for statement in split_statements(&file.sql) {
        let at = file.sql[cursor..]
            .find(&statement)
            .map_or(cursor, |offset| cursor + offset);
        cursor = at + statement.len();
        let line = file.sql[..at].matches('\n').count() + 1;
        if let Some(keyword) = transaction_control(&statement) {
            return Err(format!(
                "seed file {} at line {line}: `{keyword}` would end the transaction seedhost runs \
                 the file in (each seed file is one transaction, rolled back whole on failure): \
                 remove it",
                file.path
            ));
        }
        let sql = sqlx::AssertSqlSafe(statement.clone());
        match sqlx::raw_sql(sql).execute(&mut *conn).await {
            Ok(done) => rows += done.rows_affected(),
            Err(e) => {
                return Err(format!(
                    "seed file {} at line {line} ({}): {}; nothing of it was kept",
                    file.path,
                    crate::shown::shown(statement.lines().next().unwrap_or_default(), 200),
                    crate::db::error_text(&e)
                ));
            }
        }
    }
    // Whatever session settings the file changed (SET search_path, SET
    // lock_timeout, ...) end with it: the plugins after it get seedhost's.
    let restore = sqlx::AssertSqlSafe(format!("RESET ALL; {session}"));
    sqlx::raw_sql(restore)
        .execute(&mut *conn)
        .await
        .map_err(|e| format!("seed file {}: restoring the session: {e}", file.path))?;
    if record {
        let recorded = async {
            conn.execute(
                "CREATE SCHEMA IF NOT EXISTS supabase_migrations;
                 CREATE TABLE IF NOT EXISTS supabase_migrations.seed_files (
                     path text NOT NULL PRIMARY KEY,
                     hash text NOT NULL
                 );",
            )
            .await?;
            sqlx::query(
                "INSERT INTO supabase_migrations.seed_files (path, hash) VALUES ($1, $2)
                 ON CONFLICT (path) DO UPDATE SET hash = EXCLUDED.hash",
            )
            .bind(&file.path)
            .bind(&file.hash)
            .execute(&mut *conn)
            .await
        }
        .await;
        recorded.map_err(|e| {
            format!(
                "seed file {}: recording it in {TABLE}: {}",
                file.path,
                crate::db::error_text(&e)
            )
        })?;
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(config: &str, files: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let supabase = dir.path().join("supabase");
        std::fs::create_dir_all(supabase.join("seeds")).unwrap();
        std::fs::write(supabase.join("config.toml"), config).unwrap();
        for file in files {
            std::fs::write(supabase.join(file), format!("-- {file}\n")).unwrap();
        }
        dir
    }

    fn paths(dir: &Path, env: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
        discover(dir, env)
            .unwrap()
            .into_iter()
            .map(|f| f.path)
            .collect()
    }

    #[test]
    fn the_clis_order_patterns_in_turn_each_sorted_each_file_once() {
        // As the CLI 2.117.0 seeded these (see shared/findings).
        let dir = project(
            "project_id = \"x\"\n[db.seed]\nenabled = true\nunknown = 1\n\
             sql_paths = [\"./seeds/b_*.sql\", \"./seed.sql\", \"./seeds/*.sql\"]\n",
            &[
                "seed.sql",
                "seeds/b_1.sql",
                "seeds/a_2.sql",
                "seeds/c_3.sql",
            ],
        );
        assert_eq!(
            paths(dir.path(), &|_| None),
            [
                "supabase/seeds/b_1.sql",
                "supabase/seed.sql",
                "supabase/seeds/a_2.sql",
                "supabase/seeds/c_3.sql"
            ]
        );
        let file = &discover(dir.path(), &|_| None).unwrap()[1];
        assert_eq!(file.hash, hash(b"-- seed.sql\n"));
        // seedhost.toml in a subdirectory finds supabase/ above it.
        let below = dir.path().join("tools/seeding");
        std::fs::create_dir_all(&below).unwrap();
        assert_eq!(paths(&below, &|_| None).len(), 4);
    }

    #[test]
    fn paths_are_cleaned_as_the_cli_records_them_and_transactions_are_refused() {
        assert_eq!(
            clean(Path::new("supabase/./seeds/../seed.sql")),
            "supabase/seed.sql"
        );
        assert_eq!(clean(Path::new("supabase/../seeds/a.sql")), "seeds/a.sql");
        assert_eq!(
            transaction_control("-- x\n  commit"),
            Some("COMMIT".to_owned())
        );
        assert_eq!(
            transaction_control("BEGIN ISOLATION LEVEL SERIALIZABLE"),
            Some("BEGIN".to_owned())
        );
        assert_eq!(
            transaction_control("INSERT INTO begin_log VALUES (1)"),
            None
        );
        assert_eq!(transaction_control("ENDPOINT"), None);
    }

    #[test]
    fn default_disabled_env_and_no_project() {
        let dir = project("project_id = \"x\"\n", &["seed.sql"]);
        assert_eq!(paths(dir.path(), &|_| None), ["supabase/seed.sql"]);
        let off = project("[db.seed]\nenabled = false\n", &["seed.sql"]);
        assert!(paths(off.path(), &|_| None).is_empty());
        let by_env = project(
            "[db.seed]\nenabled = \"env(SEED_ON)\"\nsql_paths = [\"env(SEED_FILE)\"]\n",
            &["seeds/a_2.sql"],
        );
        let env = |name: &str| match name {
            "SEED_ON" => Some("true".to_owned()),
            "SEED_FILE" => Some("./seeds/a_2.sql".to_owned()),
            _ => None,
        };
        assert_eq!(paths(by_env.path(), &env), ["supabase/seeds/a_2.sql"]);
        let none = tempfile::tempdir().unwrap();
        assert!(paths(none.path(), &|_| None).is_empty());
    }
}
