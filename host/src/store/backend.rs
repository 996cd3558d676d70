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

/// A converted batch, readied for its backend.
#[derive(Debug)]
pub enum Batch {
    Postgres(postgres::Batch),
    Sqlite(Vec<ColumnData>),
}

/// Readies a converted batch for its backend, on the plugin's thread while
/// the previous batch is in flight (PostgreSQL encodes it for COPY when it is
/// certain to go through the stage; SQLite takes the values as they are).
/// `keyed`: the batch is to name the first row it changes.
pub fn prepare(statements: &Statements, data: Vec<ColumnData>, rows: usize, keyed: bool) -> Batch {
    match statements {
        Statements::Postgres(pg) => Batch::Postgres(postgres::prepare(pg, data, rows, keyed)),
        Statements::Sqlite(_) => Batch::Sqlite(data),
    }
}

/// What a batch did, and the key of the first row it changed (when asked).
pub type Written = (Counts, Option<String>);

/// Upserts one batch of `rows` rows. `conflict` are the key's positions in
/// the batch's columns.
pub async fn upsert(
    tx: &mut Tx,
    statements: &Statements,
    conflict: &[usize],
    batch: Batch,
    rows: usize,
    keyed: bool,
) -> Result<Written, sqlx::Error> {
    match (tx, statements, batch) {
        (Tx::Postgres(tx), Statements::Postgres(pg), Batch::Postgres(batch)) => {
            postgres::upsert(tx, pg, batch, rows, keyed).await
        }
        (Tx::Sqlite(tx), Statements::Sqlite(statements), Batch::Sqlite(data)) => {
            sqlite::upsert(tx, statements, conflict, data, rows, keyed).await
        }
        _ => unreachable!("a writer's statements and batches are for its session's backend"),
    }
}
