//! Connections and transactions for the two backends: PostgreSQL (Supabase) and
//! the embedded SQLite default. Everything seedhost does to a database happens on
//! one connection, so a run's migrations, writes and rollbacks are one story.
//!
//! The bottom of the database side: it imports nothing from the crate but the
//! redaction helper. Quoting identifiers is its job ([`quote`]); what lives in
//! the database above it (the migration record, say) is a parameter.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgSslMode};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{AssertSqlSafe, Executor, PgPool, Postgres, Sqlite, SqlitePool, Transaction};
use thiserror::Error;

use crate::redact::redact;

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// PostgreSQL (and so Supabase).
    Postgres,
    /// SQLite, the embedded default.
    Sqlite,
}

impl Backend {
    /// The backend for `url`, from its scheme.
    pub fn of(url: &str) -> Result<Backend, DbError> {
        let scheme = url.split_once(':').map_or("", |(s, _)| s);
        match scheme {
            "postgres" | "postgresql" => Ok(Backend::Postgres),
            "sqlite" => Ok(Backend::Sqlite),
            _ => Err(DbError::Scheme {
                url: redact(url),
                scheme: scheme.to_owned(),
            }),
        }
    }

    /// The name used in messages and reports.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Postgres => "postgres",
            Backend::Sqlite => "sqlite",
        }
    }
}

/// Why a database could not be used.
#[derive(Debug, Error)]
pub enum DbError {
    /// The URL names a database seedhost does not speak.
    #[error(
        "unsupported database URL {url}: scheme `{scheme}`; seedhost speaks postgres:// (and postgresql://) and sqlite://"
    )]
    Scheme {
        /// The URL, redacted.
        url: String,
        /// Its scheme.
        scheme: String,
    },
    /// The database could not be reached or opened.
    #[error("cannot connect to {url}: {}", error_text(source))]
    Connect {
        /// The URL, redacted.
        url: String,
        /// Why.
        #[source]
        source: sqlx::Error,
    },
    /// The directory of a SQLite file could not be created.
    #[error("cannot create {path}: {source}")]
    Directory {
        /// The directory.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The URL reaches PostgreSQL through a pooler in transaction mode.
    #[error(
        "{url} is a pooler in transaction mode (two connections shared one server session): \
         seedhost needs a session of its own for its migration lock and transactions; on \
         Supabase use the session pooler (port 5432) or the direct connection, not port 6543"
    )]
    TransactionPooler {
        /// The URL, redacted.
        url: String,
    },
    /// A SQLite URL names a file that does not exist and may not be created.
    #[error(
        "SQLite database {path} does not exist; to create it, add ?mode=rwc to the URL \
         (sqlite://{path}?mode=rwc)"
    )]
    NoSqliteFile {
        /// The file.
        path: String,
    },
    /// A statement failed.
    #[error("{}", error_text(.0))]
    Sql(
        /// The database's error.
        #[from]
        sqlx::Error,
    ),
}

/// A connected database.
#[derive(Debug, Clone)]
pub struct Database {
    pool: Pool,
    /// The URL with its password redacted.
    pub display_url: String,
    /// Where unqualified table names live (`current_schema()` / `main`).
    pub default_schema: String,
    /// The statements that set seedhost's session up (PostgreSQL's timeouts;
    /// nothing on SQLite): SQL of the project's own that may change session
    /// settings (a seed file) is followed by `RESET ALL` and these.
    pub session_settings: String,
}

#[derive(Debug, Clone)]
enum Pool {
    Postgres(PgPool),
    Sqlite(SqlitePool),
}

/// An open transaction, owned so it can travel into a plugin's sandbox thread
/// and back.
#[derive(Debug)]
pub enum Tx {
    /// A PostgreSQL transaction.
    Postgres(Transaction<'static, Postgres>),
    /// A SQLite transaction.
    Sqlite(Transaction<'static, Sqlite>),
}

/// A connection taken from the pool, for the modules that speak each
/// backend's SQL (migrations, smoke checks).
#[derive(Debug)]
pub enum Conn {
    /// A PostgreSQL connection.
    Postgres(PoolConnection<Postgres>),
    /// A SQLite connection.
    Sqlite(PoolConnection<Sqlite>),
}

/// A database error as one line for people: the server's message, with the
/// detail and hint PostgreSQL gives. Not sqlx's own text, which adds "at line
/// N" for the line of PostgreSQL's *source code* that raised the error, which
/// reads like a line of the user's SQL.
pub fn error_text(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Database(db) => {
            let mut text = db.message().to_owned();
            if let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
                if let Some(detail) = pg.detail() {
                    text.push_str(&format!(" ({detail})"));
                }
                if let Some(hint) = pg.hint() {
                    text.push_str(&format!("; hint: {hint}"));
                }
            }
            text
        }
        other => other.to_string(),
    }
}

/// Where in `sql` a PostgreSQL error points, as `line L` of that text (the
/// server gives a character position into the statement it was sent).
pub fn error_line(error: &sqlx::Error, sql: &str) -> Option<usize> {
    let pg = error
        .as_database_error()?
        .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()?;
    match pg.position()? {
        sqlx::postgres::PgErrorPosition::Original(at) => Some(
            sql.chars()
                .take(at.saturating_sub(1))
                .filter(|&c| c == '\n')
                .count()
                + 1,
        ),
        _ => None,
    }
}

/// The file a SQLite URL names; `None` for PostgreSQL and in-memory databases.
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    if Backend::of(url).ok()? != Backend::Sqlite {
        return None;
    }
    let options = SqliteConnectOptions::from_str(url).ok()?;
    let file = options.get_filename();
    let name = file.to_string_lossy();
    (!name.is_empty() && name != ":memory:" && !url.contains("mode=memory"))
        .then(|| file.to_owned())
}

/// Commits in progress, each holding a share; [`between_commits`] takes it
/// whole.
static COMMITS: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

/// Runs `commit` as a whole: a signal that stops the run meanwhile waits for
/// it to end (see `runner::run`), so a commit is never abandoned halfway, with
/// the run unable to say whether it happened. Every commit seedhost itself
/// issues goes through here. Not covered: a PostgreSQL migration applied by
/// sqlx's migrator, which commits inside sqlx, and a `-- no-transaction`
/// migration, whose statements commit one by one.
pub async fn whole_commit<F: std::future::Future>(commit: F) -> F::Output {
    let _in_progress = COMMITS.read().await;
    commit.await
}

/// Waits until no commit is in progress; while the guard lives, none starts
/// (a commit asked for meanwhile waits behind it). A run stopped by a signal
/// takes it before abandoning its work.
pub async fn between_commits() -> tokio::sync::RwLockWriteGuard<'static, ()> {
    COMMITS.write().await
}

/// An empty in-memory SQLite database.
pub const SQLITE_MEMORY: &str = "sqlite::memory:";

/// Quotes an identifier for SQL (both PostgreSQL and SQLite): the name is
/// wrapped in double quotes and inner quotes are doubled.
pub fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

/// How long a PostgreSQL session waits before it gives up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// `lock_timeout`: a statement waiting this long for a lock (a row another
    /// session is writing, say) fails, naming the table.
    pub lock: Duration,
    /// `idle_in_transaction_session_timeout`: the server ends a session that
    /// keeps a transaction open this long without a statement, so a stuck
    /// seedhost cannot hold its locks forever.
    pub idle_in_transaction: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            lock: Duration::from_secs(60),
            idle_in_transaction: Duration::from_secs(15 * 60),
        }
    }
}

/// What a database administrator sees as the session's `application_name`,
/// unless the URL names another.
pub const APPLICATION_NAME: &str = "seedhost";

impl Database {
    /// Connects to `url` with the default [`Timeouts`].
    pub async fn connect(url: &str) -> Result<Database, DbError> {
        Database::connect_with(url, Timeouts::default()).await
    }

    /// Connects to `url`. SQLite files (and their directory) are created when
    /// missing; PostgreSQL databases must exist. A PostgreSQL session is named
    /// [`APPLICATION_NAME`] and gets `timeouts`.
    pub async fn connect_with(url: &str, timeouts: Timeouts) -> Result<Database, DbError> {
        let display_url = redact(url);
        let connect_error = |source| DbError::Connect {
            url: display_url.clone(),
            source,
        };
        // One connection: migrations, plugin writes and the dry-run rollback all
        // share it, and a second seedhost waits on the database's locks, not ours.
        let mut settings = String::new();
        let pool = match Backend::of(url)? {
            Backend::Postgres => {
                let mut options = PgConnectOptions::from_str(url).map_err(connect_error)?;
                if options.get_application_name().is_none() {
                    options = options.application_name(APPLICATION_NAME);
                }
                let port = options.get_port();
                let pool_options = || {
                    PgPoolOptions::new()
                        .max_connections(1)
                        .acquire_timeout(CONNECT_TIMEOUT)
                        .after_connect(move |_, _| {
                            Box::pin(async move {
                                disable_nagle(port);
                                Ok(())
                            })
                        })
                };
                // TLS on a loopback address protects nothing, and its handshake
                // costs ~90 ms here (sqlx cannot disable Nagle's algorithm
                // before it). Without an explicit sslmode, try plain first;
                // a server that insists on TLS gets the URL's own settings.
                let plain = (!url.contains("sslmode") && is_loopback(&options))
                    .then(|| options.clone().ssl_mode(PgSslMode::Disable));
                let pool = match plain {
                    Some(plain) => match connect_pool(pool_options(), plain).await {
                        Ok(pool) => pool,
                        // Nothing listens there: TLS would not help.
                        Err(e) if is_refused(&e) => return Err(connect_error(e)),
                        Err(_) => connect_pool(pool_options(), options.clone())
                            .await
                            .map_err(connect_error)?,
                    },
                    None => connect_pool(pool_options(), options.clone())
                        .await
                        .map_err(connect_error)?,
                };
                let pooled = transaction_pooled(&pool, &options)
                    .await
                    .map_err(connect_error);
                if !matches!(pooled, Ok(false)) {
                    pool.close().await;
                    return Err(match pooled {
                        Ok(_) => DbError::TransactionPooler { url: display_url },
                        Err(e) => e,
                    });
                }
                // SET, not the `options` startup parameter, which poolers refuse.
                settings = format!(
                    "SET lock_timeout = '{}ms'; SET idle_in_transaction_session_timeout = '{}ms'",
                    timeouts.lock.as_millis(),
                    timeouts.idle_in_transaction.as_millis()
                );
                // Session settings only once the session is known to be ours.
                if let Err(e) = sqlx::raw_sql(AssertSqlSafe(settings.clone()))
                    .execute(&pool)
                    .await
                {
                    pool.close().await;
                    return Err(connect_error(e));
                }
                Pool::Postgres(pool)
            }
            Backend::Sqlite => {
                let options = SqliteConnectOptions::from_str(url)
                    .map_err(connect_error)?
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(30))
                    // A plugin's transaction writes many rows per statement,
                    // each statement in a statement journal, a temporary file by
                    // default: in memory it costs a copy, not a write call per
                    // page. Durability is untouched: the journal mode and
                    // `synchronous` stay the file's and SQLite's own (a
                    // rollback journal unless the file is in WAL mode, FULL).
                    // A larger page cache gained 5% on 100k rows for 15 MiB
                    // of RSS, and is not set.
                    .pragma("temp_store", "memory");
                if let Some(dir) = Path::new(options.get_filename()).parent()
                    && !dir.as_os_str().is_empty()
                {
                    std::fs::create_dir_all(dir).map_err(|source| DbError::Directory {
                        path: dir.display().to_string(),
                        source,
                    })?;
                }
                let file = Path::new(options.get_filename()).to_owned();
                let pool = SqlitePoolOptions::new()
                    .max_connections(1)
                    .connect_with(options)
                    .await
                    .map_err(|source| match sqlite_file(url) {
                        Some(missing) if !missing.exists() => DbError::NoSqliteFile {
                            path: file.display().to_string(),
                        },
                        _ => connect_error(source),
                    })?;
                Pool::Sqlite(pool)
            }
        };
        let default_schema = match &pool {
            Pool::Postgres(p) => sqlx::query_scalar("SELECT current_schema()")
                .fetch_one(p)
                .await
                .map_err(connect_error)?,
            Pool::Sqlite(_) => "main".to_owned(),
        };
        Ok(Database {
            pool,
            display_url,
            default_schema,
            session_settings: settings,
        })
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Postgres(_) => Backend::Postgres,
            Pool::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// Starts a transaction. On SQLite it takes the database's write lock at
    /// once (`BEGIN IMMEDIATE`): a deferred transaction that reads first and
    /// writes later cannot wait for another writer (SQLite refuses the upgrade
    /// at once with "database is locked"), while taking the lock up front waits
    /// for it, up to the busy timeout.
    pub async fn begin(&self) -> Result<Tx, DbError> {
        Ok(match &self.pool {
            Pool::Postgres(p) => Tx::Postgres(p.begin().await?),
            Pool::Sqlite(p) => Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
        })
    }

    /// Takes the connection from the pool (there is one), for work outside a
    /// plugin's transaction.
    pub async fn acquire(&self) -> Result<Conn, DbError> {
        Ok(match &self.pool {
            Pool::Postgres(p) => Conn::Postgres(p.acquire().await?),
            Pool::Sqlite(p) => Conn::Sqlite(p.acquire().await?),
        })
    }

    /// Whether a table called `name` exists where unqualified names resolve
    /// (PostgreSQL's search path, SQLite's main database).
    pub async fn table_exists(&self, name: &str) -> Result<bool, DbError> {
        Ok(match &self.pool {
            Pool::Postgres(p) => {
                sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
                    .bind(quote(name))
                    .fetch_one(p)
                    .await?
            }
            Pool::Sqlite(p) => {
                sqlx::query_scalar(
                    "SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = ?1",
                )
                .bind(name)
                .fetch_one(p)
                .await?
            }
        })
    }

    /// Drops every object that migrations could have created, so they can be
    /// replayed: on SQLite every table and view of the main database; on
    /// PostgreSQL the tables, views, sequences, functions and types of `schemas`
    /// (the schemas themselves, their grants and extensions' objects stay, so a
    /// Supabase `public` keeps its privileges), plus `record_table` (the
    /// migration record, wherever unqualified names resolve); the rows of the
    /// PostgreSQL tables `forget` names (`schema.table`), where they exist, are
    /// deleted.
    /// One transaction: it all goes, or nothing does. Returns what was dropped.
    pub async fn clear(
        &self,
        schemas: &[String],
        record_table: &str,
        forget: &[&str],
    ) -> Result<Vec<String>, DbError> {
        match &self.pool {
            Pool::Postgres(pool) => clear_postgres(pool, schemas, record_table, forget).await,
            Pool::Sqlite(pool) => clear_sqlite(pool).await,
        }
    }

    /// Closes the connection, waiting for it to be returned.
    pub async fn close(&self) {
        match &self.pool {
            Pool::Postgres(p) => p.close().await,
            Pool::Sqlite(p) => p.close().await,
        }
    }
}

/// Whether `pool` reaches PostgreSQL through a pooler in transaction (or
/// statement) mode, found by its behaviour, whatever the port: when the server
/// answers on another port than the URL names (a proxy is in between), a
/// second connection asks for its server session's pid. In session mode two
/// open connections never share one; a transaction pooler hands the second
/// the session the first just released. Simple-protocol queries only: a
/// prepared statement is what breaks through such a pooler.
async fn transaction_pooled(
    pool: &PgPool,
    options: &PgConnectOptions,
) -> Result<bool, sqlx::Error> {
    use sqlx::{Connection, Row};
    let first = sqlx::raw_sql("SELECT pg_backend_pid(), inet_server_port()")
        .fetch_one(pool)
        .await?;
    let pid: i32 = first.try_get(0)?;
    let server_port: Option<i32> = first.try_get(1)?;
    let direct = server_port.is_none_or(|port| port == i32::from(options.get_port()));
    if direct {
        return Ok(false);
    }
    // Alternate between the two a few times: a transaction pooler hands out
    // whichever server session is idle, so sooner or later one client sees
    // another pid than before, or the other client's. In session mode each
    // client keeps its own, for ever.
    let mut second = sqlx::PgConnection::connect_with(options).await?;
    let backend_pid = "SELECT pg_backend_pid()";
    let mut pooled = false;
    for _ in 0..5 {
        let theirs: i32 = sqlx::raw_sql(backend_pid)
            .fetch_one(&mut second)
            .await?
            .try_get(0)?;
        let ours: i32 = sqlx::raw_sql(backend_pid)
            .fetch_one(pool)
            .await?
            .try_get(0)?;
        if theirs == pid || ours != pid || theirs == ours {
            pooled = true;
            break;
        }
    }
    let _ = second.close().await;
    Ok(pooled)
}

/// How long a connection is tried for: sqlx retries a refused connection
/// (a server starting up) until then.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Opens the pool. sqlx retries a refused connection until its timeout and
/// then says only "pool timed out"; one direct attempt then says why.
async fn connect_pool(
    pool: PgPoolOptions,
    options: PgConnectOptions,
) -> Result<PgPool, sqlx::Error> {
    match pool.connect_with(options.clone()).await {
        Err(sqlx::Error::PoolTimedOut) => {
            use sqlx::Connection;
            let direct = sqlx::PgConnection::connect_with(&options);
            match tokio::time::timeout(Duration::from_secs(5), direct).await {
                Ok(Err(reason)) => Err(reason),
                Ok(Ok(conn)) => {
                    let _ = conn.close().await;
                    Err(sqlx::Error::PoolTimedOut)
                }
                Err(_) => Err(sqlx::Error::PoolTimedOut),
            }
        }
        other => other,
    }
}

fn is_refused(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Io(e) if e.kind() == std::io::ErrorKind::ConnectionRefused)
}

fn is_loopback(options: &PgConnectOptions) -> bool {
    let host = options.get_host();
    host == "localhost"
        || host.starts_with('/')
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Turns off Nagle's algorithm on this process's TCP connections to `port`.
///
/// COPY sends its data, then a small CopyDone message, and nothing comes back
/// in between: with Nagle's algorithm on, CopyDone waits for the server's
/// delayed acknowledgement, about 40 ms per batch (measured: 1,000,000 rows in
/// 2,000-row batches took 33 s over TCP and 15 s over a Unix socket). sqlx 0.9
/// neither sets TCP_NODELAY nor exposes its socket, so this finds the socket
/// among the process's descriptors. Linux only; elsewhere batches are slower.
///
/// Works around an sqlx 0.9.0 regression: sqlx set TCP_NODELAY until
/// launchbadge/sqlx#4022 removed it (reported as transact-rs/sqlx#4335, fixed by
/// transact-rs/sqlx#4336, merged but not in 0.9.0). Delete this function, and the
/// `socket2` dependency, once the pinned sqlx is a release that contains #4336:
/// the benchmark's COPY path then runs as fast without it.
fn disable_nagle(port: u16) {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::BorrowedFd;
        let Ok(entries) = std::fs::read_dir("/proc/self/fd") else {
            return;
        };
        for entry in entries.flatten() {
            let Some(fd) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<i32>().ok())
            else {
                continue;
            };
            // SAFETY: the descriptor was open when listed and is only inspected
            // for the length of this call; on a descriptor that has meanwhile
            // been closed or reused, the socket calls fail harmlessly.
            let fd = unsafe { BorrowedFd::borrow_raw(fd) };
            let socket = socket2::SockRef::from(&fd);
            let to_server = socket
                .peer_addr()
                .ok()
                .and_then(|a| a.as_socket())
                .is_some_and(|a| a.port() == port);
            if to_server && socket.r#type().is_ok_and(|t| t == socket2::Type::STREAM) {
                let _ = socket.set_tcp_nodelay(true);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = port;
}

/// Objects of the given schemas that are not members of an extension, with the
/// statement that drops each. Sequences owned by a column go with their table.
const POSTGRES_OBJECTS: &str = "
    WITH ours AS (SELECT oid, nspname FROM pg_namespace WHERE nspname = ANY($1))
    SELECT CASE c.relkind
               WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
               WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
           quote_ident(ours.nspname) || '.' || quote_ident(c.relname)
      FROM pg_class c JOIN ours ON ours.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND NOT c.relispartition
       AND NOT EXISTS (SELECT 1 FROM pg_depend d
                        WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                          AND (d.deptype = 'e' OR (c.relkind = 'S' AND d.deptype IN ('a', 'i'))))
    UNION ALL
    SELECT CASE p.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END,
           p.oid::regprocedure::text
      FROM pg_proc p JOIN ours ON ours.oid = p.pronamespace
     WHERE NOT EXISTS (SELECT 1 FROM pg_depend d
                        WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
    UNION ALL
    SELECT CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, t.oid::regtype::text
      FROM pg_type t JOIN ours ON ours.oid = t.typnamespace
     WHERE (t.typtype IN ('e', 'd', 'r', 'm')
            OR (t.typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c'))
       AND NOT EXISTS (SELECT 1 FROM pg_depend d
                        WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')";

async fn clear_postgres(
    pool: &PgPool,
    schemas: &[String],
    record_table: &str,
    forget: &[&str],
) -> Result<Vec<String>, DbError> {
    let mut tx = pool.begin().await?;
    let objects: Vec<(String, String)> = sqlx::query_as(POSTGRES_OBJECTS)
        .bind(schemas)
        .fetch_all(&mut *tx)
        .await?;
    let mut dropped = Vec::with_capacity(objects.len());
    for (kind, name) in objects {
        // Names come from the catalog, quoted by quote_ident/regprocedure/regtype.
        // IF EXISTS: an earlier CASCADE may have taken this one already.
        let sql = format!("DROP {kind} IF EXISTS {name} CASCADE");
        tx.execute(AssertSqlSafe(sql)).await?;
        dropped.push(format!("{} {name}", kind.to_lowercase()));
    }
    let record = format!("DROP TABLE IF EXISTS {}", quote(record_table));
    tx.execute(AssertSqlSafe(record)).await?;
    for table in forget {
        let exists: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
            .bind(table)
            .fetch_one(&mut *tx)
            .await?;
        if exists {
            let qualified: Vec<String> = table.split('.').map(quote).collect();
            let sql = format!("DELETE FROM {}", qualified.join("."));
            let forgotten = tx.execute(AssertSqlSafe(sql)).await?.rows_affected();
            dropped.push(format!("{forgotten} rows of {table}"));
        }
    }
    whole_commit(tx.commit()).await?;
    Ok(dropped)
}

async fn clear_sqlite(pool: &SqlitePool) -> Result<Vec<String>, DbError> {
    let mut conn = pool.acquire().await?;
    // Dropping a referenced table would check foreign keys row by row; the
    // pragma cannot change inside a transaction, so it is set around it.
    conn.execute("PRAGMA foreign_keys = OFF").await?;
    let result = async {
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        let objects: Vec<(String, String)> = sqlx::query_as(
            "SELECT type, name FROM sqlite_master
              WHERE type IN ('view', 'table') AND name NOT LIKE 'sqlite_%'
              ORDER BY type = 'table', name",
        )
        .fetch_all(&mut *tx)
        .await?;
        let mut dropped = Vec::with_capacity(objects.len());
        for (kind, name) in objects {
            let sql = format!("DROP {} IF EXISTS {}", kind.to_uppercase(), quote(&name));
            tx.execute(AssertSqlSafe(sql)).await?;
            dropped.push(format!("{kind} {name}"));
        }
        whole_commit(tx.commit()).await?;
        Ok::<_, DbError>(dropped)
    }
    .await;
    conn.execute("PRAGMA foreign_keys = ON").await?;
    result
}

impl Tx {
    /// The backend this transaction runs on.
    pub fn backend(&self) -> Backend {
        match self {
            Tx::Postgres(_) => Backend::Postgres,
            Tx::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// Commits.
    pub async fn commit(self) -> Result<(), DbError> {
        match self {
            Tx::Postgres(t) => whole_commit(t.commit()).await?,
            Tx::Sqlite(t) => whole_commit(t.commit()).await?,
        }
        Ok(())
    }

    /// Rolls back.
    pub async fn rollback(self) -> Result<(), DbError> {
        match self {
            Tx::Postgres(t) => t.rollback().await?,
            Tx::Sqlite(t) => t.rollback().await?,
        }
        Ok(())
    }

    /// Runs a fixed statement (savepoints and the like).
    pub async fn execute(&mut self, sql: &'static str) -> Result<(), DbError> {
        match self {
            Tx::Postgres(t) => {
                t.execute(sql).await?;
            }
            Tx::Sqlite(t) => {
                t.execute(sql).await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_stopping_run_waits_for_the_commit_in_progress_and_holds_off_the_next() {
        use std::future::Future;
        use std::pin::pin;
        use std::task::Poll;
        let (begun, begun_rx) = tokio::sync::oneshot::channel();
        let (end, end_rx) = tokio::sync::oneshot::channel::<()>();
        let in_progress = tokio::spawn(whole_commit(async move {
            begun.send(()).unwrap();
            end_rx.await.unwrap();
            "committed"
        }));
        begun_rx.await.unwrap();
        let mut stop = pin!(between_commits());
        let polled = std::future::poll_fn(|cx| Poll::Ready(stop.as_mut().poll(cx).is_ready()));
        assert!(!polled.await, "stopped in the middle of a commit");
        // A commit asked for once the stop waits never starts before it.
        let next = tokio::spawn(whole_commit(async { "the next" }));
        tokio::task::yield_now().await;
        assert!(!next.is_finished(), "a commit started after the stop");
        end.send(()).unwrap();
        assert_eq!(in_progress.await.unwrap(), "committed");
        let held = stop.await;
        assert!(!next.is_finished(), "a commit started while the stop held");
        drop(held);
        assert_eq!(next.await.unwrap(), "the next");
    }

    #[test]
    fn quoting_doubles_inner_quotes() {
        assert_eq!(quote("plain"), "\"plain\"");
        assert_eq!(
            quote("a\"; DROP TABLE x; --"),
            "\"a\"\"; DROP TABLE x; --\""
        );
    }

    #[test]
    fn loopback_hosts() {
        let loopback = |url: &str| is_loopback(&PgConnectOptions::from_str(url).unwrap());
        assert!(loopback("postgres://u@127.0.0.1/db"));
        assert!(loopback("postgres://u@localhost:54322/db"));
        assert!(loopback("postgres://u@[::1]/db"));
        assert!(!loopback("postgres://u@db.example.supabase.co/db"));
        assert!(!loopback("postgres://u@10.0.0.5/db"));
    }

    #[test]
    fn backend_from_scheme() {
        assert_eq!(Backend::of("postgres://x/y").unwrap(), Backend::Postgres);
        assert_eq!(Backend::of("postgresql://x/y").unwrap(), Backend::Postgres);
        assert_eq!(Backend::of("sqlite://a.db").unwrap(), Backend::Sqlite);
        let err = Backend::of("mysql://u:pw@h/db").unwrap_err().to_string();
        assert!(err.contains("`mysql`"), "{err}");
        assert!(!err.contains("pw"), "{err}");
    }
}
