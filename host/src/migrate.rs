//! Migrations: `migrations/<UTC yyyymmddhhmmss>_<snake_case_description>.sql`,
//! applied in version order, each in its own transaction, recorded with a
//! checksum in `_seedhost_migrations`.
//!
//! sqlx's migration machinery does the recording, the checksums, the per-migration
//! transaction and PostgreSQL's advisory lock; this module adds what seedhost needs
//! around it: strict file names, dialect-specific files, errors that name the
//! file, a report of what was applied, and a read-only status.
//!
//! Dialects: `<version>_<description>.postgres.sql` applies only on PostgreSQL and
//! `<version>_<description>.sqlite.sql` only on SQLite; one version may have one
//! file per dialect (but not also a portable `.sql`). A first line
//! `-- no-transaction` runs the file outside a transaction (for statements such as
//! `CREATE INDEX CONCURRENTLY`); it then cannot be rehearsed by a dry run.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sqlx::migrate::{Migrate, MigrateError, Migration, MigrationType};
use sqlx::{AssertSqlSafe, SqlSafeStr};
use thiserror::Error;

use crate::db::{Backend, Conn, Database, DbError, Tx};

/// The table recording applied migrations.
pub const TABLE: &str = "_seedhost_migrations";

/// One migration file that applies to the current backend.
#[derive(Debug, Clone)]
pub struct MigrationFile {
    /// The file name without `.sql` (or `.postgres.sql` / `.sqlite.sql`).
    pub stem: String,
    /// Where it is.
    pub path: PathBuf,
    /// The migration as sqlx applies it.
    pub migration: Migration,
}

impl MigrationFile {
    /// The version (the 14-digit timestamp).
    pub fn version(&self) -> i64 {
        self.migration.version
    }

    /// The file name, for messages.
    pub fn file_name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

/// What went wrong with migrations. Every variant names the file at fault.
#[derive(Debug, Error)]
pub enum MigrationError {
    /// The migrations directory could not be read.
    #[error("cannot read migrations directory {path}: {source}")]
    Directory {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A file could not be read or written.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// `seedhost new` was given a description that is not snake_case.
    #[error(
        "migration description {description:?} is not snake_case: use lowercase words and digits \
         joined by single underscores, starting with a verb (add_, fix_, remove_, create_)"
    )]
    BadDescription {
        /// The description as given.
        description: String,
    },
    /// A file name is not a migration's.
    #[error(
        "{path}: migration files are named <yyyymmddhhmmss>_<snake_case_description>.sql \
         (optionally .postgres.sql or .sqlite.sql)"
    )]
    BadName {
        /// The file or directory.
        path: PathBuf,
    },
    /// Two files have the same version.
    #[error("{first} and {second} have the same version {version}")]
    Duplicate {
        /// The version.
        version: i64,
        /// One file.
        first: PathBuf,
        /// The other.
        second: PathBuf,
    },
    /// An applied migration's file changed.
    #[error(
        "migration {file} was changed after it was applied (checksum differs); \
         migrations are append-only: restore the file and put the change in a new migration"
    )]
    Changed {
        /// The file.
        file: String,
    },
    /// A recorded migration has no file.
    #[error(
        "migration {version} is recorded as applied but no file of that version is in the \
         migrations directory; migrations are append-only: restore the file"
    )]
    Missing {
        /// The version.
        version: i64,
    },
    /// A migration failed part-way on an earlier run.
    #[error("migration {file} failed part-way on an earlier run; repair the database by hand")]
    Dirty {
        /// The file.
        file: String,
    },
    /// A migration failed.
    #[error("migration {file} failed: {source}")]
    Apply {
        /// The file.
        file: String,
        /// Why.
        #[source]
        source: MigrateError,
    },
    /// A dry run met a migration it cannot roll back.
    #[error(
        "migration {file} is marked `-- no-transaction`, so a dry run cannot rehearse it; \
         apply it first with `seedhost migrate`"
    )]
    NoTransactionInDryRun {
        /// The file.
        file: String,
    },
    /// The migration record could not be read or written.
    #[error("migrations: {0}")]
    Database(
        /// sqlx's error.
        #[from]
        MigrateError,
    ),
    /// The database could not be used.
    #[error(transparent)]
    Db(
        /// Why.
        #[from]
        DbError,
    ),
}

/// Reads the migrations in `dir` that apply to `backend`, in version order.
/// A missing directory means no migrations.
pub fn discover(dir: &Path, backend: Backend) -> Result<Vec<MigrationFile>, MigrationError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(MigrationError::Directory {
                path: dir.to_owned(),
                source,
            });
        }
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    paths.sort();
    // Every file of a version, whatever its dialect: a portable file beside a
    // dialect file, or two files of one dialect, would be ambiguous.
    let mut by_version: BTreeMap<i64, Vec<(PathBuf, ParsedName)>> = BTreeMap::new();
    for path in paths {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let parsed =
            parse_name(&name).ok_or_else(|| MigrationError::BadName { path: path.clone() })?;
        let same = by_version.entry(parsed.version).or_default();
        if let Some((other, _)) = same.iter().find(|(_, p)| {
            p.dialect.is_none() || parsed.dialect.is_none() || p.dialect == parsed.dialect
        }) {
            return Err(MigrationError::Duplicate {
                version: parsed.version,
                first: other.clone(),
                second: path,
            });
        }
        same.push((path, parsed));
    }
    let mut files = Vec::new();
    for (path, parsed) in by_version.into_values().flatten() {
        if parsed.dialect.is_some_and(|d| d != backend) {
            continue;
        }
        let sql = std::fs::read_to_string(&path).map_err(|source| MigrationError::Read {
            path: path.clone(),
            source,
        })?;
        let no_tx = sql
            .lines()
            .next()
            .is_some_and(|l| l.trim() == "-- no-transaction");
        let migration = Migration::new(
            parsed.version,
            Cow::Owned(parsed.description.replace('_', " ")),
            MigrationType::Simple,
            AssertSqlSafe(sql).into_sql_str(),
            no_tx,
        );
        files.push(MigrationFile {
            stem: parsed.stem,
            path,
            migration,
        });
    }
    Ok(files)
}

struct ParsedName {
    version: i64,
    description: String,
    stem: String,
    dialect: Option<Backend>,
}

fn parse_name(name: &str) -> Option<ParsedName> {
    let base = name.strip_suffix(".sql")?;
    let (stem, dialect) = if let Some(stem) = base.strip_suffix(".postgres") {
        (stem, Some(Backend::Postgres))
    } else if let Some(stem) = base.strip_suffix(".sqlite") {
        (stem, Some(Backend::Sqlite))
    } else {
        (base, None)
    };
    let (version, description) = stem.split_once('_')?;
    if version.len() != 14 || !version.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !is_snake_case(description) {
        return None;
    }
    Some(ParsedName {
        version: version.parse().ok()?,
        description: description.to_owned(),
        stem: stem.to_owned(),
        dialect,
    })
}

/// Creates `dir/<UTC now>_<description>.sql` and returns its path. A version
/// already taken (two files in one second) moves on to the next free second.
pub fn create(
    dir: &Path,
    description: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<PathBuf, MigrationError> {
    if !is_snake_case(description) {
        return Err(MigrationError::BadDescription {
            description: description.to_owned(),
        });
    }
    let directory_error = |source| MigrationError::Directory {
        path: dir.to_owned(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(directory_error)?;
    let taken: std::collections::HashSet<String> = std::fs::read_dir(dir)
        .map_err(directory_error)?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.get(..14))
                .map(str::to_owned)
        })
        .collect();
    let mut at = now;
    let version = loop {
        let version = at.format("%Y%m%d%H%M%S").to_string();
        if !taken.contains(&version) {
            break version;
        }
        at += chrono::Duration::seconds(1);
    };
    let path = dir.join(format!("{version}_{description}.sql"));
    let header = format!(
        "-- {}\n-- Created {} UTC. Once applied anywhere, this file is frozen: \
         put changes in a new migration.\n\n",
        description.replace('_', " "),
        now.format("%Y-%m-%d %H:%M:%S")
    );
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .and_then(|mut f| std::io::Write::write_all(&mut f, header.as_bytes()))
        .map_err(|source| MigrationError::Read {
            path: path.clone(),
            source,
        })?;
    Ok(path)
}

/// `lowercase_words_with_digits`, no leading, trailing or doubled underscores.
pub fn is_snake_case(s: &str) -> bool {
    !s.is_empty()
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.split('_').all(|w| {
            !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

/// Applies the pending migrations outside any plugin's transaction, each
/// atomically; returns the stems applied.
///
/// PostgreSQL: `pg_advisory_lock` (taken in [`apply`]) makes concurrent
/// processes take turns. SQLite has no advisory lock: `BEGIN IMMEDIATE` takes
/// the database's write lock, so a concurrent seedhost waits and then sees
/// these migrations as applied. Each migration is a savepoint inside it; the
/// ones that succeeded are committed even when a later one fails.
pub async fn apply_pending(
    db: &Database,
    files: &[MigrationFile],
) -> Result<Vec<String>, MigrationError> {
    match db.acquire().await? {
        Conn::Postgres(mut conn) => apply(&mut *conn, files, false).await,
        Conn::Sqlite(mut conn) => {
            let mut tx = sqlx::Connection::begin_with(&mut *conn, "BEGIN IMMEDIATE")
                .await
                .map_err(DbError::from)?;
            let result = apply(&mut *tx, files, false).await;
            tx.commit().await.map_err(DbError::from)?;
            result
        }
    }
}

/// Applies the pending migrations inside `tx` (a dry run's transaction, which
/// the caller rolls back).
pub async fn apply_in(
    tx: &mut Tx,
    files: &[MigrationFile],
    dry_run: bool,
) -> Result<Vec<String>, MigrationError> {
    match tx {
        Tx::Postgres(t) => apply(&mut **t, files, dry_run).await,
        Tx::Sqlite(t) => apply(&mut **t, files, dry_run).await,
    }
}

/// What the database records as applied; nothing when it has no record yet.
/// Changes nothing.
pub async fn applied(
    db: &Database,
) -> Result<Vec<sqlx::migrate::AppliedMigration>, MigrationError> {
    if !db.table_exists(TABLE).await? {
        return Ok(Vec::new());
    }
    Ok(match db.acquire().await? {
        Conn::Postgres(mut conn) => conn.list_applied_migrations(TABLE).await?,
        Conn::Sqlite(mut conn) => conn.list_applied_migrations(TABLE).await?,
    })
}

/// Applies the pending migrations on `conn`, in order; returns the stems applied.
///
/// On PostgreSQL an advisory lock makes concurrent seedhost processes take turns,
/// so each migration is applied once. `dry_run` refuses `-- no-transaction` files,
/// which could not be rolled back.
pub async fn apply<C>(
    conn: &mut C,
    files: &[MigrationFile],
    dry_run: bool,
) -> Result<Vec<String>, MigrationError>
where
    C: Migrate + ?Sized,
{
    conn.lock().await?;
    let result = apply_locked(conn, files, dry_run).await;
    // Unlock even after a failure: the session may live on (dry runs roll back
    // on this same connection).
    let unlocked = conn.unlock().await;
    let applied = result?;
    unlocked?;
    Ok(applied)
}

async fn apply_locked<C>(
    conn: &mut C,
    files: &[MigrationFile],
    dry_run: bool,
) -> Result<Vec<String>, MigrationError>
where
    C: Migrate + ?Sized,
{
    conn.ensure_migrations_table(TABLE).await?;
    if let Some(version) = conn.dirty_version(TABLE).await? {
        return Err(MigrationError::Dirty {
            file: file_for(files, version),
        });
    }
    let applied = conn.list_applied_migrations(TABLE).await?;
    check_applied(files, &applied)?;
    let done: std::collections::HashSet<i64> = applied.iter().map(|a| a.version).collect();
    let mut newly = Vec::new();
    for file in files.iter().filter(|f| !done.contains(&f.version())) {
        if dry_run && file.migration.no_tx {
            return Err(MigrationError::NoTransactionInDryRun {
                file: file.file_name(),
            });
        }
        tracing::info!(migration = %file.stem, "applying");
        conn.apply(TABLE, &file.migration)
            .await
            .map_err(|source| MigrationError::Apply {
                file: file.file_name(),
                source,
            })?;
        newly.push(file.stem.clone());
    }
    Ok(newly)
}

fn file_for(files: &[MigrationFile], version: i64) -> String {
    files
        .iter()
        .find(|f| f.version() == version)
        .map_or_else(|| version.to_string(), MigrationFile::file_name)
}

fn check_applied(
    files: &[MigrationFile],
    applied: &[sqlx::migrate::AppliedMigration],
) -> Result<(), MigrationError> {
    for a in applied {
        match files.iter().find(|f| f.version() == a.version) {
            Some(f) if f.migration.checksum != a.checksum => {
                return Err(MigrationError::Changed {
                    file: f.file_name(),
                });
            }
            Some(_) => {}
            None => {
                return Err(MigrationError::Missing { version: a.version });
            }
        }
    }
    Ok(())
}

/// One line of `seedhost status`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Entry {
    /// The version.
    pub version: i64,
    /// The file stem, or the recorded description when the file is missing.
    pub name: String,
    /// Where it stands.
    pub state: State,
}

/// Where a migration stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Applied, and the file is as it was.
    Applied,
    /// Not applied yet.
    Pending,
    /// Applied, but the file changed since.
    Changed,
    /// Applied, but the file is gone.
    Missing,
}

/// Compares files with what the database recorded, without changing anything.
pub fn status(files: &[MigrationFile], applied: &[sqlx::migrate::AppliedMigration]) -> Vec<Entry> {
    let mut entries: Vec<Entry> = files
        .iter()
        .map(|f| {
            let state = match applied.iter().find(|a| a.version == f.version()) {
                Some(a) if a.checksum == f.migration.checksum => State::Applied,
                Some(_) => State::Changed,
                None => State::Pending,
            };
            Entry {
                version: f.version(),
                name: f.stem.clone(),
                state,
            }
        })
        .collect();
    for a in applied {
        if !files.iter().any(|f| f.version() == a.version) {
            entries.push(Entry {
                version: a.version,
                name: format!("{} (file missing)", a.version),
                state: State::Missing,
            });
        }
    }
    entries.sort_by_key(|e| e.version);
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(files: &[(&str, &str)]) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for (name, sql) in files {
            std::fs::write(d.path().join(name), sql).unwrap();
        }
        d
    }

    #[test]
    fn names_follow_the_convention() {
        assert!(parse_name("20260223000001_add_catalog_journey_tables.sql").is_some());
        let p = parse_name("20260109000002_add_auth_hook.postgres.sql").unwrap();
        assert_eq!(p.dialect, Some(Backend::Postgres));
        assert_eq!(p.stem, "20260109000002_add_auth_hook");
        for bad in [
            "2026022300000_short_version.sql",
            "20260223000001-dash.sql",
            "20260223000001_CamelCase.sql",
            "20260223000001_double__underscore.sql",
            "20260223000001_.sql",
            "20260223000001_trailing_.sql",
            "20260223000001_x.mysql.sql",
        ] {
            assert!(parse_name(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn discover_orders_filters_dialects_and_reports_bad_names() {
        let d = dir(&[
            ("20260102000000_second.sql", "SELECT 2;"),
            ("20260101000000_first.sql", "SELECT 1;"),
            ("20260103000000_only_pg.postgres.sql", "SELECT 3;"),
            ("20260103000000_only_pg.sqlite.sql", "SELECT 33;"),
            ("README.md", "not a migration"),
        ]);
        let pg = discover(d.path(), Backend::Postgres).unwrap();
        let stems: Vec<&str> = pg.iter().map(|f| f.stem.as_str()).collect();
        assert_eq!(
            stems,
            [
                "20260101000000_first",
                "20260102000000_second",
                "20260103000000_only_pg"
            ]
        );
        assert_eq!(pg[2].migration.sql.as_str(), "SELECT 3;");
        let lite = discover(d.path(), Backend::Sqlite).unwrap();
        assert_eq!(lite[2].migration.sql.as_str(), "SELECT 33;");

        std::fs::write(d.path().join("2026_bad.sql"), "").unwrap();
        let err = discover(d.path(), Backend::Sqlite).unwrap_err();
        assert!(err.to_string().contains("2026_bad.sql"), "{err}");
    }

    #[test]
    fn duplicate_versions_name_both_files() {
        let d = dir(&[
            ("20260101000000_one.sql", ""),
            ("20260101000000_two.sql", ""),
        ]);
        let err = discover(d.path(), Backend::Sqlite).unwrap_err().to_string();
        assert!(
            err.contains("_one.sql") && err.contains("_two.sql"),
            "{err}"
        );
        let d = dir(&[
            ("20260101000000_one.sql", ""),
            ("20260101000000_one.postgres.sql", ""),
        ]);
        assert!(discover(d.path(), Backend::Sqlite).is_err());
        assert!(discover(d.path(), Backend::Postgres).is_err());
    }

    #[test]
    fn no_transaction_marker_is_read() {
        let d = dir(&[(
            "20260101000000_idx.sql",
            "-- no-transaction\nCREATE INDEX CONCURRENTLY x ON t (a);",
        )]);
        assert!(
            discover(d.path(), Backend::Postgres).unwrap()[0]
                .migration
                .no_tx
        );
    }

    #[test]
    fn create_names_the_file_by_utc_time_and_skips_taken_versions() {
        let d = dir(&[("20260301120000_existing.sql", "")]);
        let now = chrono::DateTime::parse_from_rfc3339("2026-03-01T12:00:00Z")
            .unwrap()
            .to_utc();
        let path = create(d.path(), "add_widgets", now).unwrap();
        assert_eq!(path.file_name().unwrap(), "20260301120001_add_widgets.sql");
        assert_eq!(discover(d.path(), Backend::Sqlite).unwrap().len(), 2);
        let err = create(d.path(), "Add-Widgets", now)
            .unwrap_err()
            .to_string();
        assert!(err.contains("\"Add-Widgets\" is not snake_case"), "{err}");
    }

    #[test]
    fn snake_case() {
        assert!(is_snake_case("add_catalog_2"));
        assert!(!is_snake_case("2fast"));
        assert!(!is_snake_case("Add"));
        assert!(!is_snake_case("a-b"));
    }
}
