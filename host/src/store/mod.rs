//! The store: the host side of the WIT `store` interface, through which a
//! plugin writes. The path of a batch, one file per hop:
//!
//! - `session`: one plugin run's access, owning the run's
//!   transaction and the plugin's open writers; pipelines batches and keeps
//!   counts per table;
//! - `checks`: pure functions of target, live schema and grant (which tables,
//!   which columns and keys, whole rows, distinct keys);
//! - then [`crate::convert`] turns the plugin's values into column data;
//! - `backend`: the one door to the backends, which describe tables and
//!   upsert: `postgres` (UNNEST, or binary COPY through `copy` into a stage
//!   table, whose jsonb documents `jsonb` prints as the database does) and
//!   `sqlite` (multi-row statements).
//!
//! This file only declares the rooms and names what the rest of the crate uses.

mod backend;
mod checks;
mod copy;
mod jsonb;
mod postgres;
mod session;
mod sqlite;

pub use jsonb::canonical as jsonb_text;
pub use postgres::COPY_MIN_ROWS;
pub use session::{Outcome, Session, WriterId};
