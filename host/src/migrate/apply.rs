//! Applying migrations: sqlx's migration machinery does the recording, the
//! checksums, the per-migration transaction and PostgreSQL's advisory lock;
//! this adds what seedhost needs around it: errors that name the file, a dry
//! run, a report of what was applied, the Supabase CLI's history kept in step
//! (on a Supabase database), and a repair of a recorded checksum.

use std::collections::HashSet;

use sqlx::migrate::{AppliedMigration, Migrate, MigrateError};
use sqlx::{AssertSqlSafe, Connection, PgConnection, SqliteConnection};

use crate::config::SupabaseHistory;
use crate::db::{Conn, Database, DbError, Tx};

use super::error::MigrationError;
use super::files::MigrationFile;
use super::{lock, supabase};

/// The table recording applied migrations.
pub const TABLE: &str = "_seedhost_migrations";

/// How migrations are applied, from the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MigrateSettings {
    /// Whether the Supabase CLI's history is kept too.
    pub history: SupabaseHistory,
    /// How long to wait for another session's migration lock (PostgreSQL).
    pub lock_wait: std::time::Duration,
}

/// What bringing a database up to date did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// Stems of the files applied, in order.
    pub applied: Vec<String>,
    /// Stems of the files the Supabase CLI had applied, which seedhost took
    /// into its own history without running them.
    pub adopted: Vec<String>,
}

/// The connections migrations run on, and their access to the Supabase CLI's
/// history (PostgreSQL only).
pub trait MigrationConnection: Migrate {
    /// The connection, if it is PostgreSQL's.
    fn postgres(&mut self) -> Option<&mut PgConnection>;
}

impl MigrationConnection for PgConnection {
    fn postgres(&mut self) -> Option<&mut PgConnection> {
        Some(self)
    }
}

impl MigrationConnection for SqliteConnection {
    fn postgres(&mut self) -> Option<&mut PgConnection> {
        None
    }
}

/// Applies the pending migrations outside any plugin's transaction, each
/// atomically.
///
/// PostgreSQL: `pg_advisory_lock` (taken in [`apply`]) makes concurrent
/// processes take turns. SQLite has no advisory lock: `BEGIN IMMEDIATE` takes
/// the database's write lock, so a concurrent seedhost waits and then sees
/// these migrations as applied. Each migration is a savepoint inside it; the
/// ones that succeeded are committed even when a later one fails.
pub async fn apply_pending(
    db: &Database,
    files: &[MigrationFile],
    settings: MigrateSettings,
) -> Result<Applied, MigrationError> {
    match db.acquire().await? {
        Conn::Postgres(mut conn) => apply(&mut *conn, files, false, settings).await,
        Conn::Sqlite(mut conn) => {
            let mut tx = sqlx::Connection::begin_with(&mut *conn, "BEGIN IMMEDIATE")
                .await
                .map_err(DbError::from)?;
            let result = apply(&mut *tx, files, false, settings).await;
            crate::db::whole_commit(tx.commit())
                .await
                .map_err(DbError::from)?;
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
    settings: MigrateSettings,
) -> Result<Applied, MigrationError> {
    match tx {
        Tx::Postgres(t) => apply(&mut **t, files, dry_run, settings).await,
        Tx::Sqlite(t) => apply(&mut **t, files, dry_run, settings).await,
    }
}

/// What the database records as applied; nothing when it has no record yet.
/// Changes nothing.
pub async fn applied(db: &Database) -> Result<Vec<AppliedMigration>, MigrationError> {
    if !db.table_exists(TABLE).await? {
        return Ok(Vec::new());
    }
    Ok(match db.acquire().await? {
        Conn::Postgres(mut conn) => conn.list_applied_migrations(TABLE).await?,
        Conn::Sqlite(mut conn) => conn.list_applied_migrations(TABLE).await?,
    })
}

/// The versions in the Supabase CLI's history (PostgreSQL), none elsewhere.
pub async fn supabase_versions(db: &Database) -> Result<Vec<String>, MigrationError> {
    Ok(match db.acquire().await? {
        Conn::Postgres(mut conn) => supabase::versions(&mut conn).await.map_err(DbError::from)?,
        Conn::Sqlite(_) => Vec::new(),
    })
}

/// Whether the Supabase CLI's history is kept on `db`: on PostgreSQL only;
/// `always` everywhere, `auto` where the database looks like Supabase's.
pub async fn keeps_supabase_history(
    db: &Database,
    history: SupabaseHistory,
) -> Result<bool, MigrationError> {
    Ok(match (db.acquire().await?, history) {
        (Conn::Sqlite(_), _) | (_, SupabaseHistory::Never) => false,
        (Conn::Postgres(_), SupabaseHistory::Always) => true,
        (Conn::Postgres(mut conn), SupabaseHistory::Auto) => {
            supabase::detect(&mut conn).await.map_err(DbError::from)?
        }
    })
}

/// Applies the pending migrations on `conn`, in order.
///
/// On PostgreSQL an advisory lock makes concurrent seedhost processes take turns,
/// so each migration is applied once. `dry_run` refuses `-- no-transaction` files,
/// which could not be rolled back.
pub async fn apply<C>(
    conn: &mut C,
    files: &[MigrationFile],
    dry_run: bool,
    settings: MigrateSettings,
) -> Result<Applied, MigrationError>
where
    C: MigrationConnection + ?Sized,
{
    let held = match conn.postgres() {
        Some(pg) => Some(lock::acquire(pg, settings.lock_wait).await?),
        None => {
            conn.lock().await?;
            None
        }
    };
    let result = apply_locked(conn, files, dry_run, settings.history).await;
    // Unlock even after a failure: the session may live on (dry runs roll back
    // on this same connection).
    let unlocked = match (conn.postgres(), held) {
        (Some(pg), Some(held)) => lock::release(pg, held).await,
        _ => conn.unlock().await.map_err(MigrationError::from),
    };
    let applied = result?;
    unlocked?;
    Ok(applied)
}

async fn apply_locked<C>(
    conn: &mut C,
    files: &[MigrationFile],
    dry_run: bool,
    history: SupabaseHistory,
) -> Result<Applied, MigrationError>
where
    C: MigrationConnection + ?Sized,
{
    conn.ensure_migrations_table(TABLE).await?;
    if let Some(version) = conn.dirty_version(TABLE).await? {
        return Err(MigrationError::Dirty {
            file: file_for(files, version),
        });
    }
    let applied = conn.list_applied_migrations(TABLE).await?;
    check_applied(files, &applied)?;
    let mut done: HashSet<i64> = applied.iter().map(|a| a.version).collect();
    let mut report = Applied::default();

    // The Supabase CLI's history, where it is kept: what it applied is adopted,
    // what seedhost applied is recorded there too.
    let supabase = match conn.postgres() {
        Some(pg) => match history {
            SupabaseHistory::Never => false,
            SupabaseHistory::Always => true,
            SupabaseHistory::Auto => supabase::detect(pg).await.map_err(DbError::from)?,
        },
        None => false,
    };
    if supabase && let Some(pg) = conn.postgres() {
        supabase::ensure_table(pg).await.map_err(DbError::from)?;
        let theirs: HashSet<String> = supabase::versions(pg)
            .await
            .map_err(DbError::from)?
            .into_iter()
            .collect();
        if let Some(version) = theirs
            .iter()
            .filter(|v| !files.iter().any(|f| f.version_text == **v))
            .min()
        {
            return Err(MigrationError::MissingInSupabase {
                version: version.clone(),
            });
        }
        for file in files {
            match (
                done.contains(&file.version()),
                theirs.contains(&file.version_text),
            ) {
                (false, true) => {
                    tracing::info!(migration = %file.stem, "adopting: applied by the Supabase CLI");
                    pg.skip(TABLE, &file.migration).await?;
                    done.insert(file.version());
                    report.adopted.push(file.stem.clone());
                }
                (true, false) => {
                    tracing::info!(migration = %file.stem, "recording in the Supabase CLI's history");
                    supabase::record(pg, file).await.map_err(DbError::from)?;
                }
                _ => {}
            }
        }
    }

    for file in files.iter().filter(|f| !done.contains(&f.version())) {
        if dry_run && file.migration.no_tx {
            return Err(MigrationError::NoTransactionInDryRun {
                file: file.file_name(),
            });
        }
        tracing::info!(migration = %file.stem, "applying");
        let failed = |source: MigrateError| MigrationError::Apply {
            file: file.file_name(),
            reason: apply_error(&source, file.migration.sql.as_str()),
        };
        match conn.postgres().filter(|_| supabase) {
            Some(pg) => apply_recorded(pg, file).await.map_err(failed)?,
            None => {
                conn.apply(TABLE, &file.migration).await.map_err(failed)?;
            }
        }
        report.applied.push(file.stem.clone());
    }
    Ok(report)
}

/// Applies `file` and records it in both histories, in one transaction
/// (unless the file is `-- no-transaction`).
async fn apply_recorded(conn: &mut PgConnection, file: &MigrationFile) -> Result<(), MigrateError> {
    if file.migration.no_tx {
        return run_and_record(conn, file).await;
    }
    let mut tx = conn.begin().await?;
    run_and_record(&mut tx, file).await?;
    crate::db::whole_commit(tx.commit()).await?;
    Ok(())
}

async fn run_and_record(conn: &mut PgConnection, file: &MigrationFile) -> Result<(), MigrateError> {
    let migration = &file.migration;
    sqlx::raw_sql(migration.sql.clone())
        .execute(&mut *conn)
        .await
        .map_err(|e| MigrateError::ExecuteMigration(e, migration.version))?;
    conn.skip(TABLE, migration).await?;
    supabase::record(conn, file).await?;
    Ok(())
}

/// Why a migration failed, in the database's words; for PostgreSQL, with the
/// line of the file the error points at.
fn apply_error(error: &MigrateError, sql: &str) -> String {
    match error {
        MigrateError::ExecuteMigration(e, _) | MigrateError::Execute(e) => {
            let text = crate::db::error_text(e);
            match crate::db::error_line(e, sql) {
                Some(line) => format!("{text} (line {line} of the file)"),
                None => text,
            }
        }
        other => other.to_string(),
    }
}

fn file_for(files: &[MigrationFile], version: i64) -> String {
    files
        .iter()
        .find(|f| f.version() == version)
        .map_or_else(|| version.to_string(), MigrationFile::file_name)
}

fn check_applied(
    files: &[MigrationFile],
    applied: &[AppliedMigration],
) -> Result<(), MigrationError> {
    for a in applied {
        match files.iter().find(|f| f.version() == a.version) {
            Some(f) if f.migration.checksum != a.checksum => {
                return Err(MigrationError::Changed {
                    file: f.file_name(),
                    version: f.version_text.clone(),
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

/// What `seedhost migrate repair` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repaired {
    /// The file whose checksum is now recorded.
    pub file: String,
    /// The checksum recorded before, in hex; `None` if it already matched.
    pub replaced: Option<String>,
    /// The checksum recorded now, in hex.
    pub checksum: String,
}

/// Records the current checksum of `version`'s file as applied, after a
/// deliberate change to a released migration (Flyway's `repair`, the CLI's
/// `migration repair`). The file is not run. Under the migration lock.
pub async fn repair(
    db: &Database,
    files: &[MigrationFile],
    version: &str,
    lock_wait: std::time::Duration,
) -> Result<Repaired, MigrationError> {
    let file = files
        .iter()
        .find(|f| f.version_text == version || f.version().to_string() == version)
        .ok_or_else(|| MigrationError::NoSuchVersion {
            version: version.to_owned(),
        })?;
    let recorded = applied(db)
        .await?
        .into_iter()
        .find(|a| a.version == file.version())
        .ok_or_else(|| MigrationError::NotApplied {
            file: file.file_name(),
        })?;
    let checksum = hex(&file.migration.checksum);
    if recorded.checksum == file.migration.checksum {
        return Ok(Repaired {
            file: file.file_name(),
            replaced: None,
            checksum,
        });
    }
    match db.acquire().await? {
        Conn::Postgres(mut conn) => {
            let held = lock::acquire(&mut conn, lock_wait).await?;
            let result = async {
                let mut tx = conn.begin().await.map_err(DbError::from)?;
                sqlx::query(AssertSqlSafe(format!(
                    "UPDATE {TABLE} SET checksum = $1 WHERE version = $2"
                )))
                .bind(&*file.migration.checksum)
                .bind(file.version())
                .execute(&mut *tx)
                .await
                .map_err(DbError::from)?;
                if supabase::versions(&mut tx)
                    .await
                    .map_err(DbError::from)?
                    .contains(&file.version_text)
                {
                    supabase::rewrite(&mut tx, file)
                        .await
                        .map_err(DbError::from)?;
                }
                crate::db::whole_commit(tx.commit())
                    .await
                    .map_err(DbError::from)?;
                Ok::<(), MigrationError>(())
            }
            .await;
            lock::release(&mut conn, held).await?;
            result?;
        }
        Conn::Sqlite(mut conn) => {
            sqlx::query(AssertSqlSafe(format!(
                "UPDATE {TABLE} SET checksum = ?1 WHERE version = ?2"
            )))
            .bind(&*file.migration.checksum)
            .bind(file.version())
            .execute(&mut *conn)
            .await
            .map_err(DbError::from)?;
        }
    }
    Ok(Repaired {
        file: file.file_name(),
        replaced: Some(hex(&recorded.checksum)),
        checksum,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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
    /// Whose history records it; nothing while it is pending.
    pub applied_by: Option<AppliedBy>,
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

/// Whose history records a migration as applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AppliedBy {
    /// seedhost's own record, with the file's checksum.
    Seedhost,
    /// Only the Supabase CLI's history (`supabase db push`, or the replay of
    /// `supabase db reset`): it keeps no checksum to compare, and the next
    /// `migrate` adopts it without running it.
    SupabaseCli,
}

/// Compares files with what the database recorded, without changing anything:
/// seedhost's record first, then the Supabase CLI's history (`cli`, its
/// versions as text) for what seedhost's record lacks.
pub fn status(
    files: &[MigrationFile],
    applied: &[sqlx::migrate::AppliedMigration],
    cli: &[String],
) -> Vec<Entry> {
    let mut entries: Vec<Entry> = files
        .iter()
        .map(|f| {
            let (state, applied_by) = match applied.iter().find(|a| a.version == f.version()) {
                Some(a) if a.checksum == f.migration.checksum => {
                    (State::Applied, Some(AppliedBy::Seedhost))
                }
                Some(_) => (State::Changed, Some(AppliedBy::Seedhost)),
                None if cli.contains(&f.version_text) => {
                    (State::Applied, Some(AppliedBy::SupabaseCli))
                }
                None => (State::Pending, None),
            };
            Entry {
                version: f.version(),
                name: f.stem.clone(),
                state,
                applied_by,
            }
        })
        .collect();
    for a in applied {
        if !files.iter().any(|f| f.version() == a.version) {
            entries.push(Entry {
                version: a.version,
                name: format!("{} (file missing)", a.version),
                state: State::Missing,
                applied_by: Some(AppliedBy::Seedhost),
            });
        }
    }
    for version in cli {
        let known = files.iter().any(|f| f.version_text == *version)
            || entries.iter().any(|e| e.version.to_string() == *version);
        if let (false, Ok(number)) = (known, version.parse::<i64>()) {
            entries.push(Entry {
                version: number,
                name: format!("{version} (file missing)"),
                state: State::Missing,
                applied_by: Some(AppliedBy::SupabaseCli),
            });
        }
    }
    entries.sort_by_key(|e| e.version);
    entries
}
