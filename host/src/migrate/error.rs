//! What can go wrong with migrations. Every variant names the file (or the
//! version) at fault, and says what to do where there is something to do.

use std::path::PathBuf;

use sqlx::migrate::MigrateError;
use thiserror::Error;

use crate::db::DbError;

/// sqlx's migration error in words, the database's own message without
/// sqlx's "at line N" (a line of PostgreSQL's source code).
fn migrate_error_text(error: &MigrateError) -> String {
    match error {
        MigrateError::Execute(e) => crate::db::error_text(e),
        MigrateError::ExecuteMigration(e, version) => {
            format!("migration {version}: {}", crate::db::error_text(e))
        }
        other => other.to_string(),
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
    /// Another session held the migration lock for too long.
    #[error(
        "gave up after {waited} s waiting for the migration lock, held by {holder}; \
         another seedhost (or sqlx migrator) is migrating this database, or a session \
         stranded it (end it with pg_terminate_backend); `lock_timeout_seconds` in \
         seedhost.toml sets the wait"
    )]
    LockTimeout {
        /// Seconds waited.
        waited: u64,
        /// Who holds it.
        holder: String,
    },
    /// The configuration names a directory that does not exist.
    #[error(
        "migrations directory {path} does not exist: fix the path in seedhost.toml \
         (`migrations` or `sqlite_migrations`), or create the directory"
    )]
    NoDirectory {
        /// The directory.
        path: PathBuf,
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
        "{path}: not a migration: migration files are named <version>_<description>.sql, the \
         version being digits (`seedhost new` writes <yyyymmddhhmmss>_<snake_case_description>.sql; \
         .postgres.sql or .sqlite.sql for one database only)"
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
         migrations are append-only: restore the file and put the change in a new migration, \
         or, if the change is deliberate and already applied everywhere it matters, record the \
         file as it is now with `seedhost migrate repair {version}`"
    )]
    Changed {
        /// The file.
        file: String,
        /// Its version, as the file name spells it.
        version: String,
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
    #[error("migration {file} failed: {reason}")]
    Apply {
        /// The file.
        file: String,
        /// Why, in the database's words, with the line of the file it points at.
        reason: String,
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
    /// A version is too long for seedhost's record.
    #[error("{path}: the version has more than {max} digits, more than seedhost's record holds")]
    VersionTooLong {
        /// The file.
        path: PathBuf,
        /// The most digits a version may have.
        max: usize,
    },
    /// Two files whose versions differ only in leading zeros.
    #[error(
        "{first} and {second} have versions that differ only in leading zeros: the Supabase CLI \
         compares versions as text and sees two, seedhost as numbers and sees one; renumber one"
    )]
    LeadingZeros {
        /// One file.
        first: PathBuf,
        /// The other.
        second: PathBuf,
    },
    /// Dialect twins in a directory the Supabase CLI reads.
    #[error(
        "{first} and {second} share a version in a directory the Supabase CLI reads, and the CLI \
         would apply both: keep the PostgreSQL file there and move SQLite's to the directory \
         `sqlite_migrations` names in seedhost.toml"
    )]
    TwinsReadBySupabase {
        /// One file.
        first: PathBuf,
        /// The other.
        second: PathBuf,
    },
    /// A PostgreSQL file among SQLite's migrations.
    #[error("{path}: a .postgres.sql file among the SQLite migrations (sqlite_migrations)")]
    Misplaced {
        /// The file.
        path: PathBuf,
    },
    /// The Supabase CLI's history holds a version with no file.
    #[error(
        "migration {version} is recorded in supabase_migrations.schema_migrations but no file of \
         that version is in the migrations directory: restore the file, or, if it was reverted, \
         `supabase migration repair --status reverted {version}`"
    )]
    MissingInSupabase {
        /// The version, as the CLI recorded it.
        version: String,
    },
    /// `migrate repair` names a version with no file.
    #[error("no migration file has version {version}")]
    NoSuchVersion {
        /// The version as given.
        version: String,
    },
    /// `migrate repair` names a migration that was never applied.
    #[error(
        "migration {file} is not applied here, so there is no checksum to repair: run `seedhost migrate`"
    )]
    NotApplied {
        /// The file.
        file: String,
    },
    /// The migration record could not be read or written.
    #[error("migrations: {}", migrate_error_text(.0))]
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
