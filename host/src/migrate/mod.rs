//! Migrations: `migrations/<version>_<description>.sql`, applied in version
//! order, each in its own transaction, recorded with a checksum in
//! `_seedhost_migrations` and, on a Supabase database, in the Supabase CLI's
//! history too.
//!
//! The rooms: `files` (names, versions, dialects, `seedhost new`), `apply`
//! (sqlx's migration machinery with locks, dry runs, adoption of what the CLI
//! applied, `repair`, status), `supabase` (the CLI's table) and `error`. This
//! file only declares them and names what the rest of the crate uses.

mod apply;
mod error;
mod files;
mod lock;
mod supabase;

pub use apply::{
    Applied, AppliedBy, Entry, MigrateSettings, Repaired, State, TABLE, applied, apply_in,
    apply_pending, keeps_supabase_history, repair, status, supabase_versions,
};
pub use error::MigrationError;
pub use files::{
    MAX_VERSION_DIGITS, MigrationFile, create, discover, is_snake_case, read_by_supabase_cli,
};
pub use supabase::{TABLE as SUPABASE_TABLE, split_statements};
