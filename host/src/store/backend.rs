//! The store's one door to the backends: it describes a table, plans a
//! writer's statements and runs a batch on whichever database the transaction
//! belongs to. The only place in the store that branches on the backend.

use crate::contract::Counts;
use crate::convert::ColumnData;
use crate::db::{Backend, Tx};
use crate::schema::{Column, TableSchema};

use super::{postgres, sqlite};

/// A writer's statements, built once for its backend.
#[derive(Debug)]
pub enum Statements {
    /// UNNEST and COPY statements (PostgreSQL).
    Postgres(postgres::PgPlan),
    /// Multi-row statement parts (SQLite).
    Sqlite(sqlite::Statements),
}

impl Statements {
    /// Whether a batch of `rows` rows goes through a PostgreSQL stage table.
    pub fn stages(&self, rows: usize) -> bool {
        match self {
            Statements::Postgres(pg) => pg.stages(rows),
            Statements::Sqlite(_) => false,
        }
    }

    /// The stage table large batches go through, if any.
    pub fn stage(&self) -> Option<&str> {
        match self {
            Statements::Postgres(pg) => pg.stage(),
            Statements::Sqlite(_) => None,
        }
    }
}

/// The table's columns and unique keys, or `None` when there is no such table.
pub async fn describe(
    tx: &mut Tx,
    schema: &str,
    table: &str,
) -> Result<Option<TableSchema>, sqlx::Error> {
    match tx {
        Tx::Postgres(tx) => postgres::describe(tx, schema, table).await,
        Tx::Sqlite(tx) => sqlite::describe(tx, schema, table).await,
    }
}

/// Where a table that was not found was looked for, for the message:
/// `explicit` says whether the plugin named the schema.
pub fn looked_in(backend: Backend, explicit: bool, schema: &str, table: &str) -> String {
    match backend {
        Backend::Sqlite if explicit && schema != "main" => {
            format!("SQLite has no schemas: looked for table {schema}_{table}")
        }
        _ => format!("schema {schema}"),
    }
}

pub use postgres::Stages;

/// Plans a writer's statements for `backend`; on PostgreSQL its large batches
/// share a stage table from `stages`.
pub fn plan(
    backend: Backend,
    table: &TableSchema,
    columns: &[&Column],
    conflict: &[&Column],
    update: &[&Column],
    stages: &mut Stages,
) -> Result<Statements, String> {
    Ok(match backend {
        Backend::Postgres => {
            Statements::Postgres(postgres::plan(table, columns, conflict, update, stages)?)
        }
        Backend::Sqlite => {
            Statements::Sqlite(sqlite::Statements::new(table, columns, conflict, update))
        }
    })
}

/// What a batch did, and the key of the first row it changed (when asked).
pub type Written = (Counts, Option<String>);

/// Upserts one batch of `rows` rows. `conflict` are the key's positions in
/// `data`; `staged_before` says whether the writer's stage table exists.
pub async fn upsert(
    tx: &mut Tx,
    statements: &Statements,
    conflict: &[usize],
    data: Vec<ColumnData>,
    rows: usize,
    staged_before: bool,
    keyed: bool,
) -> Result<Written, sqlx::Error> {
    match (tx, statements) {
        (Tx::Postgres(tx), Statements::Postgres(pg)) => {
            postgres::upsert(tx, pg, data, rows, staged_before, keyed).await
        }
        (Tx::Sqlite(tx), Statements::Sqlite(statements)) => {
            sqlite::upsert(tx, statements, conflict, data, rows, keyed).await
        }
        _ => unreachable!("a writer's statements are planned for its session's backend"),
    }
}
