//! The seed ledger: a row for every committed run of a plugin, kept in the
//! database it seeded, so later runs know what ran there, with what component,
//! parameters and profile, and after which migration.
//!
//! seedhost creates it, never the project's migrations, where Supabase's Data
//! API cannot reach it: on PostgreSQL `seedhost.seed_ledger` (a schema of its
//! own, on which `anon` and `authenticated` get nothing), on SQLite the table
//! `_seedhost_seed_ledger` beside the migration record. A row is written in the
//! plugin's own transaction, just before it commits: a dry run, a failure, an
//! interruption or `verify` roll it back with everything else.

use sqlx::{AssertSqlSafe, Row};

use crate::db::{Conn, Database, DbError, Tx};

/// The ledger on PostgreSQL.
pub const POSTGRES_TABLE: &str = "seedhost.seed_ledger";

/// The ledger on SQLite.
pub const SQLITE_TABLE: &str = "_seedhost_seed_ledger";

/// What kind of seed a row records: a plugin run.
pub const PLUGIN: &str = "plugin";

/// A row of a Supabase seed file's run: its name is the file's path as the
/// CLI records it, its digest the file's hash, its counts `{"rows_affected": N}`.
pub const SEED_FILE: &str = "seed_file";

/// One committed run, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// [`PLUGIN`] or [`SEED_FILE`].
    pub kind: &'static str,
    /// The plugin's name.
    pub name: String,
    /// The profile it ran in.
    pub profile: String,
    /// SHA-256 of its component, lowercase hex.
    pub digest: String,
    /// SHA-256 of the parameters it got, lowercase hex (see [`params_digest`]).
    pub params_digest: String,
    /// The contract version it was built against.
    pub contract_version: Option<String>,
    /// The version of seedhost that ran it.
    pub host_version: String,
    /// The newest migration applied to the database then.
    pub migration_version: Option<String>,
    /// How many migrations were applied then: with the newest, it tells a
    /// migration applied out of order (an older version merged late).
    pub migrations_applied: i64,
    /// Rows inserted, updated and unchanged per table, as JSON.
    pub counts: String,
    /// When it started, RFC 3339 UTC.
    pub started_at: String,
    /// When it finished, RFC 3339 UTC.
    pub finished_at: String,
}

/// The last recorded run of a seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastRun {
    /// Its row: a later run has a greater id.
    pub id: i64,
    /// [`PLUGIN`].
    pub kind: String,
    /// The plugin's name.
    pub name: String,
    /// The profile it ran in.
    pub profile: String,
    /// Its component's digest.
    pub digest: String,
    /// Its parameters' digest.
    pub params_digest: String,
    /// The newest migration applied then.
    pub migration_version: Option<String>,
    /// How many migrations were applied then.
    pub migrations_applied: i64,
    /// When it finished, RFC 3339 UTC (seconds).
    pub finished_at: String,
}

/// The digest of the parameters a plugin gets: SHA-256 of their JSON object,
/// keys in order.
pub fn params_digest(params: &std::collections::BTreeMap<String, String>) -> String {
    use sha2::{Digest, Sha256};
    let json = serde_json::to_string(params).unwrap_or_default();
    hex(&Sha256::digest(json.as_bytes()))
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

const POSTGRES_DDL: &str = "CREATE SCHEMA IF NOT EXISTS seedhost;
CREATE TABLE IF NOT EXISTS seedhost.seed_ledger (
    id bigserial PRIMARY KEY,
    kind text NOT NULL,
    name text NOT NULL,
    profile text NOT NULL,
    digest text NOT NULL,
    params_digest text NOT NULL,
    contract_version text,
    host_version text NOT NULL,
    migration_version text,
    migrations_applied integer NOT NULL,
    counts jsonb NOT NULL,
    started_at timestamptz NOT NULL,
    finished_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS seed_ledger_last ON seedhost.seed_ledger (kind, name, id);
REVOKE ALL ON SCHEMA seedhost FROM PUBLIC;
REVOKE ALL ON seedhost.seed_ledger FROM PUBLIC;";

const SQLITE_DDL: &str = "CREATE TABLE IF NOT EXISTS _seedhost_seed_ledger (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    profile TEXT NOT NULL,
    digest TEXT NOT NULL,
    params_digest TEXT NOT NULL,
    contract_version TEXT,
    host_version TEXT NOT NULL,
    migration_version TEXT,
    migrations_applied INTEGER NOT NULL,
    counts TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS _seedhost_seed_ledger_last ON _seedhost_seed_ledger (kind, name, id)";

/// Creates the ledger where it is missing. Outside any plugin's transaction,
/// like the migration record; two processes creating it at once both succeed.
pub async fn ensure(db: &Database) -> Result<(), DbError> {
    if exists(db).await? {
        return Ok(());
    }
    let created = match db.acquire().await? {
        Conn::Postgres(mut conn) => sqlx::raw_sql(POSTGRES_DDL)
            .execute(&mut *conn)
            .await
            .map(drop),
        Conn::Sqlite(mut conn) => sqlx::raw_sql(SQLITE_DDL)
            .execute(&mut *conn)
            .await
            .map(drop),
    };
    match created {
        Ok(_) => Ok(()),
        // Another process created it in between (PostgreSQL's IF NOT EXISTS
        // races on the catalog's unique indexes).
        Err(_) if exists(db).await? => Ok(()),
        Err(e) => Err(e.into()),
    }
}

async fn exists(db: &Database) -> Result<bool, DbError> {
    Ok(match db.acquire().await? {
        Conn::Postgres(mut conn) => {
            sqlx::query_scalar("SELECT to_regclass('seedhost.seed_ledger') IS NOT NULL")
                .fetch_one(&mut *conn)
                .await?
        }
        Conn::Sqlite(mut conn) => {
            sqlx::query_scalar(
                "SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = ?1",
            )
            .bind(SQLITE_TABLE)
            .fetch_one(&mut *conn)
            .await?
        }
    })
}

/// Binds a record's twelve values, in the order of the INSERTs below.
macro_rules! bind_record {
    ($query:expr, $record:expr) => {
        $query
            .bind($record.kind)
            .bind(&$record.name)
            .bind(&$record.profile)
            .bind(&$record.digest)
            .bind(&$record.params_digest)
            .bind(&$record.contract_version)
            .bind(&$record.host_version)
            .bind(&$record.migration_version)
            .bind($record.migrations_applied)
            .bind(&$record.counts)
            .bind(&$record.started_at)
            .bind(&$record.finished_at)
    };
}

/// Writes `record` in `tx`, the run's own transaction.
pub async fn record(tx: &mut Tx, record: &Record) -> Result<(), DbError> {
    match tx {
        Tx::Postgres(t) => {
            let insert = sqlx::query(
                "INSERT INTO seedhost.seed_ledger (kind, name, profile, digest, params_digest,
                     contract_version, host_version, migration_version, migrations_applied,
                     counts, started_at, finished_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11::timestamptz,
                     $12::timestamptz)",
            );
            bind_record!(insert, record).execute(&mut **t).await?;
        }
        Tx::Sqlite(t) => {
            let insert = sqlx::query(
                "INSERT INTO _seedhost_seed_ledger (kind, name, profile, digest, params_digest,
                     contract_version, host_version, migration_version, migrations_applied,
                     counts, started_at, finished_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            );
            bind_record!(insert, record).execute(&mut **t).await?;
        }
    }
    Ok(())
}

/// A [`LastRun`]'s columns, in [`last_run`]'s order, on each backend.
const POSTGRES_LAST_RUN: &str = "id, kind, name, profile, digest, params_digest, \
     migration_version, migrations_applied::bigint, \
     to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";
const SQLITE_LAST_RUN: &str = "id, kind, name, profile, digest, params_digest, \
     migration_version, migrations_applied, substr(finished_at, 1, 19) || 'Z'";

/// The last run of every seed the ledger records; nothing when there is no
/// ledger yet. Changes nothing.
pub async fn last_runs(db: &Database) -> Result<Vec<LastRun>, DbError> {
    if !exists(db).await? {
        return Ok(Vec::new());
    }
    let rows = match db.acquire().await? {
        Conn::Postgres(mut conn) => sqlx::query(AssertSqlSafe(format!(
            "SELECT DISTINCT ON (kind, name) {POSTGRES_LAST_RUN} FROM seedhost.seed_ledger
              ORDER BY kind, name, id DESC"
        )))
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|r| last_run(&r))
        .collect::<Result<Vec<_>, sqlx::Error>>()?,
        Conn::Sqlite(mut conn) => sqlx::query(AssertSqlSafe(format!(
            "SELECT {SQLITE_LAST_RUN} FROM _seedhost_seed_ledger AS l
              WHERE id = (SELECT max(id) FROM _seedhost_seed_ledger
                           WHERE kind = l.kind AND name = l.name)
              ORDER BY kind, name"
        )))
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|r| last_run(&r))
        .collect::<Result<Vec<_>, sqlx::Error>>()?,
    };
    Ok(rows)
}

/// In a seed's own transaction, before it runs: takes the seed's lock (on
/// PostgreSQL a transaction-level advisory lock on its kind and name; SQLite's
/// `BEGIN IMMEDIATE` already holds the database's write lock), then reads its
/// last run again into `ledger` (what [`last_runs`] read before), in place of
/// what it held for the seed. Two seedhosts deciding at once on the same seed
/// then decide one after the other: the second sees the first's row, once it
/// committed.
pub async fn lock_and_refresh(
    tx: &mut Tx,
    kind: &str,
    name: &str,
    ledger: &mut Vec<LastRun>,
) -> Result<(), DbError> {
    let fresh = match tx {
        Tx::Postgres(t) => {
            // Read committed whatever the database's default: the read after
            // the wait must see the run that held the lock. (The first
            // statement of the seed's transaction, where this may be set.)
            sqlx::query("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
                .execute(&mut **t)
                .await?;
            // The wait lasts as long as the other seedhost's seed, not
            // lock_timeout: the setting is lifted for it, then put back.
            let timeout: String = sqlx::query_scalar("SELECT current_setting('lock_timeout')")
                .fetch_one(&mut **t)
                .await?;
            sqlx::query("SET LOCAL lock_timeout = 0")
                .execute(&mut **t)
                .await?;
            sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
                .bind(format!("seedhost.seed_ledger:{kind}:{name}"))
                .execute(&mut **t)
                .await?;
            sqlx::query("SELECT set_config('lock_timeout', $1, true)")
                .bind(timeout)
                .execute(&mut **t)
                .await?;
            sqlx::query(AssertSqlSafe(format!(
                "SELECT {POSTGRES_LAST_RUN} FROM seedhost.seed_ledger
                  WHERE kind = $1 AND name = $2 ORDER BY id DESC LIMIT 1"
            )))
            .bind(kind)
            .bind(name)
            .fetch_optional(&mut **t)
            .await?
            .map(|r| last_run(&r))
            .transpose()?
        }
        Tx::Sqlite(t) => sqlx::query(AssertSqlSafe(format!(
            "SELECT {SQLITE_LAST_RUN} FROM _seedhost_seed_ledger
              WHERE kind = ?1 AND name = ?2 ORDER BY id DESC LIMIT 1"
        )))
        .bind(kind)
        .bind(name)
        .fetch_optional(&mut **t)
        .await?
        .map(|r| last_run(&r))
        .transpose()?,
    };
    ledger.retain(|r| !(r.kind == kind && r.name == name));
    ledger.extend(fresh);
    Ok(())
}

fn last_run<R: Row>(row: &R) -> Result<LastRun, sqlx::Error>
where
    usize: sqlx::ColumnIndex<R>,
    i64: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<String>: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(LastRun {
        id: row.try_get(0)?,
        kind: row.try_get(1)?,
        name: row.try_get(2)?,
        profile: row.try_get(3)?,
        digest: row.try_get(4)?,
        params_digest: row.try_get(5)?,
        migration_version: row.try_get(6)?,
        migrations_applied: row.try_get(7)?,
        finished_at: row.try_get(8)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn the_params_digest_follows_keys_and_values_not_their_order() {
        let a = BTreeMap::from([("a".to_owned(), "1".to_owned()), ("b".into(), "2".into())]);
        let mut b = BTreeMap::new();
        b.insert("b".to_owned(), "2".to_owned());
        b.insert("a".to_owned(), "1".to_owned());
        assert_eq!(params_digest(&a), params_digest(&b));
        b.insert("a".to_owned(), "3".to_owned());
        assert_ne!(params_digest(&a), params_digest(&b));
        assert_eq!(params_digest(&a).len(), 64);
    }
}
