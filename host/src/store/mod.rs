//! The store a plugin writes through: the grant check, the schema and type check,
//! then the backend's bulk upsert, with counts kept per table for the report.
//!
//! One [`Session`] serves one plugin run and owns that run's transaction. Store
//! errors are terminal: the first one is remembered and fails the run, whatever
//! the plugin does with the error it was given.
//!
//! Writes are pipelined: a batch is checked and converted on the plugin's
//! thread, then its database work runs as a task while the plugin builds the
//! next batch. The next call that needs the transaction (another batch, a
//! `finish`, the end of the run) waits for it first, so at most one batch is
//! in flight and a database error surfaces one call later, naming its rows.

mod postgres;
mod sqlite;

pub use postgres::COPY_MIN_ROWS;

use std::collections::HashMap;
use std::sync::Arc;

use crate::contract::{Counts, OnConflict, StoreError, Target, Value};
use crate::db::Tx;
use crate::grant::{Grant, TableName};
use crate::schema::{self, Column, ColumnData, KeyPart, TableSchema};

/// The host side of a plugin's `writer` resource.
#[derive(Debug)]
pub struct WriterHandle {
    plan: Arc<Plan>,
    /// Index of its counts in the session (batches finish after `write` returns).
    id: usize,
    /// Rows accepted so far; numbers rows in messages.
    rows: u64,
    /// Whether a batch went through the PostgreSQL stage (which then exists).
    staged: bool,
    finished: bool,
}

/// Everything about a write that does not change from batch to batch.
#[derive(Debug)]
struct Plan {
    /// The table as the report names it (as the plugin wrote it).
    table: String,
    schema: Arc<TableSchema>,
    /// Indexes into `schema.columns`, in the batch's order.
    columns: Vec<usize>,
    /// Positions within `columns` of the conflict target.
    conflict: Vec<usize>,
    /// The backend's statement (PostgreSQL) or statement parts (SQLite).
    sql: BackendSql,
}

#[derive(Debug)]
enum BackendSql {
    Postgres(postgres::PgPlan),
    Sqlite(sqlite::Statements),
}

/// The batch whose database work is running.
struct InFlight {
    task: tokio::task::JoinHandle<(Tx, Result<Counts, sqlx::Error>)>,
    plan: Arc<Plan>,
    writer: usize,
    first_row: u64,
    rows: usize,
}

impl Plan {
    fn columns(&self) -> Vec<&Column> {
        self.columns
            .iter()
            .map(|&i| &self.schema.columns[i])
            .collect()
    }
}

/// What a finished session hands back to the runner.
#[derive(Debug)]
pub struct Outcome {
    /// The transaction, still open: the runner commits or rolls back.
    pub tx: Tx,
    /// Per table, in the order the plugin first wrote them.
    pub tables: Vec<(String, Counts)>,
    /// The first store error, if any: the run must fail.
    pub failure: Option<String>,
}

/// One plugin run's access to the database.
pub struct Session {
    /// `None` while a batch is in flight: the task has it.
    tx: Option<Tx>,
    inflight: Option<InFlight>,
    postgres: bool,
    grant: Grant,
    default_schema: String,
    schemas: HashMap<(String, String), Arc<TableSchema>>,
    tables: Vec<(String, Counts)>,
    /// Per writer, what its finished batches did.
    writers: Vec<Counts>,
    failure: Option<String>,
    progress: Option<indicatif::ProgressBar>,
}

impl Session {
    /// A session writing in `tx` what `grant` allows.
    pub fn new(tx: Tx, grant: Grant, default_schema: &str) -> Session {
        Session {
            postgres: matches!(tx, Tx::Postgres(_)),
            tx: Some(tx),
            inflight: None,
            grant,
            default_schema: default_schema.to_owned(),
            schemas: HashMap::new(),
            tables: Vec::new(),
            writers: Vec::new(),
            failure: None,
            progress: None,
        }
    }

    /// Counts every settled batch's rows on `bar`.
    pub fn report_progress(&mut self, bar: indicatif::ProgressBar) {
        self.progress = Some(bar);
    }

    /// Ends the session, waiting for the batch in flight; its error, if any,
    /// fails the run like any other.
    pub async fn finish(mut self) -> Outcome {
        if let Err(e) = self.settle().await {
            let _ = self.fail::<()>(e);
        }
        Outcome {
            tx: self.tx.expect("settled"),
            tables: self.tables,
            failure: self.failure,
        }
    }

    /// Waits for the batch in flight and books what it did.
    async fn settle(&mut self) -> Result<(), StoreError> {
        let Some(f) = self.inflight.take() else {
            return Ok(());
        };
        let (tx, result) = f.task.await.expect("a batch task does not panic");
        self.tx = Some(tx);
        let counts = result.map_err(|e| {
            StoreError::Database(format!(
                "table {}, rows {}-{}: {}",
                f.plan.table,
                f.first_row,
                f.first_row + f.rows as u64 - 1,
                database_message(&e)
            ))
        })?;
        add(&mut self.writers[f.writer], counts);
        if let Some(bar) = &self.progress {
            bar.inc(f.rows as u64);
        }
        if let Some((_, total)) = self.tables.iter_mut().find(|(t, _)| *t == f.plan.table) {
            add(total, counts);
        }
        Ok(())
    }

    /// The first store error, if there was one: the run must fail.
    pub fn failure(&self) -> Option<&str> {
        self.failure.as_deref()
    }

    /// After a store error nothing more is written: the run will roll back.
    fn refuse_after_failure(&self) -> Result<(), StoreError> {
        match &self.failure {
            Some(first) => Err(StoreError::Usage(format!(
                "the store already failed and the run will roll back: {first}"
            ))),
            None => Ok(()),
        }
    }

    /// Remembers the first error: it fails the run.
    fn fail<T>(&mut self, error: StoreError) -> Result<T, StoreError> {
        if self.failure.is_none() {
            self.failure = Some(message(&error).to_owned());
        }
        Err(error)
    }

    /// Checks a write against the grant and the live schema and plans it.
    pub async fn open(&mut self, target: Target) -> Result<WriterHandle, StoreError> {
        self.refuse_after_failure()?;
        match self.plan(target).await {
            Ok(plan) => {
                let plan = Arc::new(plan);
                // Every opened table appears in the report, written or not.
                if !self.tables.iter().any(|(t, _)| *t == plan.table) {
                    self.tables.push((plan.table.clone(), zero()));
                }
                self.writers.push(zero());
                Ok(WriterHandle {
                    plan,
                    id: self.writers.len() - 1,
                    rows: 0,
                    staged: false,
                    finished: false,
                })
            }
            Err(e) => self.fail(e),
        }
    }

    async fn plan(&mut self, target: Target) -> Result<Plan, StoreError> {
        let name = TableName::parse(&target.table).map_err(StoreError::Usage)?;
        if !self.grant.allows_table(&name, &self.default_schema) {
            let granted: Vec<String> = self.grant.tables().iter().map(|t| t.to_string()).collect();
            return Err(StoreError::Denied(format!(
                "table {} is not in this plugin's grant (granted: {})",
                target.table,
                if granted.is_empty() {
                    "none".to_owned()
                } else {
                    granted.join(", ")
                }
            )));
        }
        let schema = self.describe(&name).await?;
        let table = &target.table;

        if target.columns.is_empty() {
            return Err(StoreError::Usage(format!(
                "table {table}: no columns given"
            )));
        }
        let mut columns = Vec::with_capacity(target.columns.len());
        for (i, name) in target.columns.iter().enumerate() {
            let index = schema
                .columns
                .iter()
                .position(|c| c.name == *name)
                .ok_or_else(|| {
                    StoreError::Schema(format!("table {table} has no column {name:?}"))
                })?;
            if target.columns[..i].contains(name) {
                return Err(StoreError::Usage(format!(
                    "table {table}: column {name} is given twice"
                )));
            }
            columns.push(index);
        }
        let position = |name: &String, role: &str| {
            target
                .columns
                .iter()
                .position(|c| c == name)
                .ok_or_else(|| {
                    StoreError::Usage(format!(
                        "table {table}: {role} column {name:?} is not among the written columns"
                    ))
                })
        };
        if target.conflict.is_empty() {
            return Err(StoreError::Usage(format!(
                "table {table}: empty conflict target; name the primary key or unique columns \
                 (unique keys: {})",
                schema.describe_keys()
            )));
        }
        let conflict = target
            .conflict
            .iter()
            .map(|c| position(c, "conflict"))
            .collect::<Result<Vec<_>, _>>()?;
        if !schema.is_unique_key(&target.conflict) {
            return Err(StoreError::Schema(format!(
                "table {table}: conflict target ({}) is not a primary key or unique constraint \
                 (unique keys: {})",
                target.conflict.join(", "),
                schema.describe_keys()
            )));
        }
        let update = match &target.on_conflict {
            OnConflict::DoNothing => Vec::new(),
            OnConflict::UpdateAll => (0..columns.len())
                .filter(|i| !conflict.contains(i))
                .collect(),
            OnConflict::Update(list) => {
                let mut update = Vec::new();
                for c in list {
                    let p = position(c, "update")?;
                    if conflict.contains(&p) {
                        return Err(StoreError::Usage(format!(
                            "table {table}: column {c} is in the conflict target and cannot be updated"
                        )));
                    }
                    update.push(p);
                }
                update
            }
        };
        let batch: Vec<&Column> = columns.iter().map(|&i| &schema.columns[i]).collect();
        let conflict_cols: Vec<&Column> = conflict.iter().map(|&i| batch[i]).collect();
        let update_cols: Vec<&Column> = update.iter().map(|&i| batch[i]).collect();
        let sql = match self.postgres {
            true => BackendSql::Postgres(
                postgres::plan(&schema, &batch, &conflict_cols, &update_cols)
                    .map_err(StoreError::Schema)?,
            ),
            false => BackendSql::Sqlite(sqlite::Statements::new(
                &schema,
                &batch,
                &conflict_cols,
                &update_cols,
            )),
        };
        Ok(Plan {
            table: target.table.clone(),
            schema,
            columns,
            conflict,
            sql,
        })
    }

    async fn describe(&mut self, name: &TableName) -> Result<Arc<TableSchema>, StoreError> {
        let key = (
            name.schema_or(&self.default_schema).to_owned(),
            name.name.clone(),
        );
        if let Some(found) = self.schemas.get(&key) {
            return Ok(found.clone());
        }
        self.settle().await?;
        let described = match self.tx.as_mut().expect("settled") {
            Tx::Postgres(tx) => postgres::describe(tx, &key.0, &key.1).await,
            Tx::Sqlite(tx) => sqlite::describe(tx, &key.0, &key.1).await,
        }
        .map_err(|e| StoreError::Database(format!("reading the schema of table {name}: {e}")))?;
        let schema = Arc::new(described.ok_or_else(|| {
            let looked = match self.postgres {
                false if name.schema.is_some() && key.0 != "main" => {
                    format!(
                        "SQLite has no schemas: looked for table {}_{}",
                        key.0, key.1
                    )
                }
                _ => format!("schema {}", key.0),
            };
            StoreError::Schema(format!("no table {name} in the database ({looked})"))
        })?);
        self.schemas.insert(key, schema.clone());
        Ok(schema)
    }

    /// Upserts one batch through `writer`.
    pub async fn write(
        &mut self,
        writer: &mut WriterHandle,
        values: Vec<Value>,
    ) -> Result<(), StoreError> {
        match self.write_batch(writer, values).await {
            Ok(()) => Ok(()),
            Err(e) => self.fail(e),
        }
    }

    async fn write_batch(
        &mut self,
        writer: &mut WriterHandle,
        values: Vec<Value>,
    ) -> Result<(), StoreError> {
        self.refuse_after_failure()?;
        let plan = writer.plan.clone();
        if writer.finished {
            return Err(StoreError::Usage(format!(
                "table {}: written after finish",
                plan.table
            )));
        }
        let width = plan.columns.len();
        if !values.len().is_multiple_of(width) {
            return Err(StoreError::Usage(format!(
                "table {}: a batch of {} values is not whole rows of {width} columns",
                plan.table,
                values.len()
            )));
        }
        let rows = values.len() / width;
        if rows == 0 {
            return Ok(());
        }
        let first_row = writer.rows + 1;
        let data = schema::convert_batch(&plan.table, &plan.columns(), values, first_row)
            .map_err(StoreError::Value)?;
        check_duplicate_keys(&plan, &data, first_row)?;
        self.settle().await?;
        let mut tx = self.tx.take().expect("settled");
        let task_plan = plan.clone();
        let staged_before = writer.staged;
        if let BackendSql::Postgres(pg) = &plan.sql {
            writer.staged |= pg.stages(rows);
        }
        let task = tokio::spawn(async move {
            let result = match (&mut tx, &task_plan.sql) {
                (Tx::Postgres(tx), BackendSql::Postgres(pg)) => {
                    postgres::upsert(tx, pg, data, rows, staged_before).await
                }
                (Tx::Sqlite(tx), BackendSql::Sqlite(statements)) => {
                    sqlite::upsert(tx, statements, &task_plan.conflict, data, rows).await
                }
                _ => unreachable!("a plan is built for its session's backend"),
            };
            (tx, result)
        });
        self.inflight = Some(InFlight {
            task,
            plan,
            writer: writer.id,
            first_row,
            rows,
        });
        writer.rows += rows as u64;
        Ok(())
    }

    /// Ends `writer`: waits for its batches and returns what they did.
    pub async fn finish_writer(&mut self, writer: &mut WriterHandle) -> Result<Counts, StoreError> {
        if writer.finished {
            return self.fail(StoreError::Usage(format!(
                "table {}: finished twice",
                writer.plan.table
            )));
        }
        writer.finished = true;
        if let Err(e) = self.settle().await {
            return self.fail(e);
        }
        Ok(self.writers[writer.id])
    }
}

/// Rows of one batch that share a conflict key would make PostgreSQL refuse the
/// statement and SQLite silently keep the last; both deserve a precise message.
fn check_duplicate_keys(
    plan: &Plan,
    data: &[ColumnData],
    first_row: u64,
) -> Result<(), StoreError> {
    let rows = data.first().map_or(0, ColumnData::len);
    let mut seen: HashMap<Vec<KeyPart<'_>>, usize> = HashMap::with_capacity(rows);
    for row in 0..rows {
        let key: Vec<KeyPart<'_>> = plan
            .conflict
            .iter()
            .map(|&c| data[c].key_part(row))
            .collect();
        if let Some(earlier) = seen.insert(key.clone(), row) {
            let names: Vec<&str> = plan
                .conflict
                .iter()
                .map(|&c| plan.schema.columns[plan.columns[c]].name.as_str())
                .collect();
            let shown: Vec<String> = key.iter().map(ToString::to_string).collect();
            return Err(StoreError::Value(format!(
                "table {}: rows {} and {} have the same conflict key ({}) = ({})",
                plan.table,
                first_row + earlier as u64,
                first_row + row as u64,
                names.join(", "),
                shown.join(", ")
            )));
        }
    }
    Ok(())
}

fn zero() -> Counts {
    Counts {
        inserted: 0,
        updated: 0,
        unchanged: 0,
    }
}

fn add(total: &mut Counts, more: Counts) {
    total.inserted += more.inserted;
    total.updated += more.updated;
    total.unchanged += more.unchanged;
}

/// The text of a store error.
pub fn message(e: &StoreError) -> &str {
    match e {
        StoreError::Denied(m)
        | StoreError::Schema(m)
        | StoreError::Value(m)
        | StoreError::Database(m)
        | StoreError::Usage(m) => m,
    }
}

/// A database error as one line: the server's message, and its detail when the
/// server gave one (PostgreSQL says which constraint and which key).
fn database_message(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(db) => {
            let detail = db
                .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                .and_then(|pg| pg.detail())
                .map(|d| format!(" ({d})"))
                .unwrap_or_default();
            format!("{}{detail}", db.message())
        }
        other => other.to_string(),
    }
}
