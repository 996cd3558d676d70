//! One plugin run's access to the database: the checks, then conversion, then
//! the backend's bulk upsert, with counts kept per table for the report.
//!
//! A [`Session`] owns the run's transaction and a table of the plugin's open
//! writers; the plugin holds only a writer's number ([`WriterId`]). Store
//! errors are terminal: the first one is remembered and fails the run,
//! whatever the plugin does with the error it was given.
//!
//! Writes are pipelined: a batch is checked, converted and readied for its
//! backend (on PostgreSQL, encoded for COPY when it is certain to go through
//! the stage) on the plugin's thread, then its database work runs as a task
//! while the plugin builds the next batch. The next call that needs the
//! transaction (another batch, a `finish`, the end of the run) waits for it
//! first, so at most one batch is in flight and a database error surfaces one
//! call later, naming its rows.

use std::collections::HashMap;
use std::sync::Arc;

use crate::contract::{Counts, StoreError, Target, Value};
use crate::convert;
use crate::db::{Backend, Tx};
use crate::grant::{Grant, TableName};
use crate::schema::{Column, TableSchema};
use crate::shown::{MAX_CHARS, shown};

use super::backend::{self, Statements};
use super::checks::{self, Shape};

/// The most writers a plugin may hold open at once: each costs the host memory
/// outside the plugin's own limit.
pub const MAX_OPEN_WRITERS: usize = 1_024;

/// A writer, as the plugin holds it: a number in its session's writer table.
/// The sandbox hands it to the guest as the `writer` resource's rep.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct WriterId(u32);

impl WriterId {
    /// The handle for the writer numbered `rep`.
    pub fn from_rep(rep: u32) -> WriterId {
        WriterId(rep)
    }

    /// The writer's number.
    pub fn rep(&self) -> u32 {
        self.0
    }
}

/// Everything the session knows of one open writer.
#[derive(Debug)]
struct Writer {
    plan: Arc<Plan>,
    /// Rows accepted so far; numbers rows in messages.
    rows: u64,
    finished: bool,
    /// What its settled batches did.
    counts: Counts,
}

/// Everything about a write that does not change from batch to batch.
#[derive(Debug)]
struct Plan {
    /// The table as the report names it (as the plugin wrote it).
    table: String,
    schema: Arc<TableSchema>,
    shape: Shape,
    statements: Statements,
}

impl Plan {
    fn columns(&self) -> Vec<&Column> {
        self.shape
            .columns
            .iter()
            .map(|&i| &self.schema.columns[i])
            .collect()
    }
}

/// The batch whose database work is running.
struct InFlight {
    task: tokio::task::JoinHandle<(Tx, Result<backend::Written, sqlx::Error>)>,
    plan: Arc<Plan>,
    writer: u32,
    first_row: u64,
    rows: usize,
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
    /// With [`Session::track_changes`]: the table and key of the first row a
    /// batch inserted or updated.
    pub first_change: Option<(String, String)>,
}

/// One plugin run's access to the database.
pub struct Session {
    /// `None` while a batch is in flight: the task has it.
    tx: Option<Tx>,
    inflight: Option<InFlight>,
    backend: Backend,
    grant: Grant,
    default_schema: String,
    schemas: HashMap<(String, String), Arc<TableSchema>>,
    tables: Vec<(String, Counts)>,
    /// The open writers, by number. A dropped writer leaves the table.
    writers: HashMap<u32, Writer>,
    /// PostgreSQL's stage tables, shared between writers.
    stages: backend::Stages,
    next_writer: u32,
    failure: Option<String>,
    progress: Option<indicatif::ProgressBar>,
    track: bool,
    first_change: Option<(String, String)>,
}

impl Session {
    /// A session writing in `tx` what `grant` allows.
    pub fn new(tx: Tx, grant: Grant, default_schema: &str) -> Session {
        Session {
            backend: tx.backend(),
            tx: Some(tx),
            inflight: None,
            grant,
            default_schema: default_schema.to_owned(),
            schemas: HashMap::new(),
            tables: Vec::new(),
            writers: HashMap::new(),
            stages: backend::Stages::default(),
            next_writer: 0,
            failure: None,
            progress: None,
            track: false,
            first_change: None,
        }
    }

    /// Notes the key of the first row a batch inserts or updates (`verify`'s
    /// second run, where any change is a finding). Costs a key per written row.
    pub fn track_changes(&mut self) {
        self.track = true;
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
            first_change: self.first_change,
        }
    }

    /// The first store error, if there was one: the run must fail.
    pub fn failure(&self) -> Option<&str> {
        self.failure.as_deref()
    }

    /// Waits for the batch in flight and books what it did.
    async fn settle(&mut self) -> Result<(), StoreError> {
        let Some(f) = self.inflight.take() else {
            return Ok(());
        };
        let (tx, result) = f.task.await.expect("a batch task does not panic");
        self.tx = Some(tx);
        let (counts, first) = result.map_err(|e| {
            StoreError::Database(format!(
                "table {}, rows {}-{}: {}",
                f.plan.table,
                f.first_row,
                f.first_row + f.rows as u64 - 1,
                crate::db::error_text(&e)
            ))
        })?;
        if let Some(writer) = self.writers.get_mut(&f.writer) {
            writer.counts.add(counts);
        }
        if let (None, Some(key)) = (&self.first_change, first) {
            // It reaches the report: its values came from the plugin.
            self.first_change = Some((f.plan.table.clone(), shown(&key, MAX_CHARS)));
        }
        if let Some(bar) = &self.progress {
            bar.inc(f.rows as u64);
        }
        if let Some((_, total)) = self.tables.iter_mut().find(|(t, _)| *t == f.plan.table) {
            total.add(counts);
        }
        Ok(())
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
            // It reaches the report: names and values in it came from the plugin.
            self.failure = Some(shown(error.message(), MAX_CHARS));
        }
        Err(error)
    }

    /// Checks a write against the grant and the live schema and plans it.
    pub async fn open(&mut self, target: Target) -> Result<WriterId, StoreError> {
        self.refuse_after_failure()?;
        if self.writers.len() >= MAX_OPEN_WRITERS {
            return self.fail(StoreError::Usage(format!(
                "too many open writers ({MAX_OPEN_WRITERS}): finish and drop writers \
                 you no longer write through"
            )));
        }
        match self.plan(target).await {
            Ok(plan) => {
                // Every opened table appears in the report, written or not.
                if !self.tables.iter().any(|(t, _)| *t == plan.table) {
                    self.tables.push((plan.table.clone(), Counts::zero()));
                }
                let id = self.next_writer;
                self.next_writer = self.next_writer.wrapping_add(1);
                self.writers.insert(
                    id,
                    Writer {
                        plan: Arc::new(plan),
                        rows: 0,
                        finished: false,
                        counts: Counts::zero(),
                    },
                );
                Ok(WriterId(id))
            }
            Err(e) => self.fail(e),
        }
    }

    async fn plan(&mut self, target: Target) -> Result<Plan, StoreError> {
        let name = checks::granted_table(&self.grant, &target.table, &self.default_schema)?;
        let schema = self.describe(&name).await?;
        let shape = checks::shape(&target, &schema)?;
        let batch: Vec<&Column> = shape.columns.iter().map(|&i| &schema.columns[i]).collect();
        let conflict: Vec<&Column> = shape.conflict.iter().map(|&i| batch[i]).collect();
        let update: Vec<&Column> = shape.update.iter().map(|&i| batch[i]).collect();
        let statements = backend::plan(
            self.backend,
            &schema,
            &batch,
            &conflict,
            &update,
            &mut self.stages,
        )
        .map_err(StoreError::Schema)?;
        Ok(Plan {
            table: target.table,
            schema,
            shape,
            statements,
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
        let described = backend::describe(self.tx.as_mut().expect("settled"), &key.0, &key.1)
            .await
            .map_err(|e| {
                StoreError::Database(format!("reading the schema of table {name}: {e}"))
            })?;
        let schema = Arc::new(described.ok_or_else(|| {
            let looked = backend::looked_in(self.backend, name.schema.is_some(), &key.0, &key.1);
            StoreError::Schema(format!("no table {name} in the database ({looked})"))
        })?);
        self.schemas.insert(key, schema.clone());
        Ok(schema)
    }

    /// Upserts one batch through `writer`.
    pub async fn write(
        &mut self,
        writer: &mut WriterId,
        values: Vec<Value>,
    ) -> Result<(), StoreError> {
        match self.write_batch(writer, values).await {
            Ok(()) => Ok(()),
            Err(e) => self.fail(e),
        }
    }

    /// Upserts one batch given as JSON rows (`writer.write-json`).
    pub async fn write_json(
        &mut self,
        writer: &mut WriterId,
        rows: &[u8],
    ) -> Result<(), StoreError> {
        let values = match self.writer(writer) {
            Ok(w) => {
                convert::json_rows(&w.plan.table, w.plan.shape.columns.len(), w.rows + 1, rows)
                    .map_err(StoreError::Usage)
            }
            Err(e) => Err(e),
        };
        match values {
            Ok(values) => self.write(writer, values).await,
            Err(e) => self.fail(e),
        }
    }

    fn writer(&mut self, id: &WriterId) -> Result<&mut Writer, StoreError> {
        self.writers
            .get_mut(&id.0)
            .ok_or_else(|| StoreError::Usage(format!("unknown writer {}", id.0)))
    }

    async fn write_batch(&mut self, id: &WriterId, values: Vec<Value>) -> Result<(), StoreError> {
        self.refuse_after_failure()?;
        let writer = self.writer(id)?;
        let plan = writer.plan.clone();
        if writer.finished {
            return Err(StoreError::Usage(format!(
                "table {}: written after finish",
                plan.table
            )));
        }
        let rows = checks::batch_rows(&plan.table, plan.shape.columns.len(), values.len())?;
        if rows == 0 {
            return Ok(());
        }
        let first_row = writer.rows + 1;
        let data = convert::convert_batch(&plan.table, &plan.columns(), values, first_row)
            .map_err(StoreError::Value)?;
        checks::distinct_keys(&plan.table, &plan.schema, &plan.shape, &data, first_row)?;
        let keyed = self.track;
        let batch = backend::prepare(&plan.statements, data, rows, keyed);
        self.settle().await?;
        let writer = self.writer(id)?;
        writer.rows += rows as u64;
        let mut tx = self.tx.take().expect("settled");
        let task_plan = plan.clone();
        let task = tokio::spawn(async move {
            let result = backend::upsert(
                &mut tx,
                &task_plan.statements,
                &task_plan.shape.conflict,
                batch,
                rows,
                keyed,
            )
            .await;
            (tx, result)
        });
        self.inflight = Some(InFlight {
            task,
            plan,
            writer: id.0,
            first_row,
            rows,
        });
        Ok(())
    }

    /// Ends `writer`: waits for its batches and returns what they did.
    pub async fn finish_writer(&mut self, writer: &mut WriterId) -> Result<Counts, StoreError> {
        match self.finish_batches(writer).await {
            Ok(counts) => Ok(counts),
            Err(e) => self.fail(e),
        }
    }

    async fn finish_batches(&mut self, id: &WriterId) -> Result<Counts, StoreError> {
        let writer = self.writer(id)?;
        if writer.finished {
            return Err(StoreError::Usage(format!(
                "table {}: finished twice",
                writer.plan.table
            )));
        }
        writer.finished = true;
        self.settle().await?;
        Ok(self.writer(id)?.counts)
    }

    /// Forgets `writer` (the plugin dropped it). Its batches still count, and
    /// one still in flight settles as usual.
    pub fn drop_writer(&mut self, writer: WriterId) {
        self.writers.remove(&writer.0);
    }

    /// Writers the plugin holds open.
    pub fn open_writers(&self) -> usize {
        self.writers.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::OnConflict;
    use crate::db::Database;

    async fn database() -> Database {
        let db = Database::connect("sqlite::memory:").await.unwrap();
        let mut tx = db.begin().await.unwrap();
        tx.execute(
            "CREATE TABLE chapters (id INTEGER PRIMARY KEY, title TEXT NOT NULL, minutes INTEGER)",
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        db
    }

    fn grant(tables: &[&str]) -> Grant {
        Grant::new(
            tables
                .iter()
                .map(|t| TableName::parse(t).unwrap())
                .collect(),
            vec!["local".into()],
        )
    }

    fn target(table: &str) -> Target {
        Target {
            table: table.into(),
            columns: vec!["id".into(), "title".into(), "minutes".into()],
            conflict: vec!["id".into()],
            on_conflict: OnConflict::UpdateAll,
        }
    }

    fn rows(rows: &[(i64, &str, i64)]) -> Vec<Value> {
        rows.iter()
            .flat_map(|(id, title, minutes)| {
                [
                    Value::Integer(*id),
                    Value::Text((*title).into()),
                    Value::Integer(*minutes),
                ]
            })
            .collect()
    }

    /// Writes `batches` through one writer in a fresh session and commits;
    /// returns the writer's counts and the session's outcome's failure.
    async fn seed(db: &Database, batches: Vec<Vec<Value>>) -> (Counts, Option<String>) {
        let mut session = Session::new(db.begin().await.unwrap(), grant(&["chapters"]), "main");
        let mut writer = session.open(target("chapters")).await.unwrap();
        for batch in batches {
            session.write(&mut writer, batch).await.unwrap();
        }
        let counts = session.finish_writer(&mut writer).await.unwrap();
        let outcome = session.finish().await;
        outcome.tx.commit().await.unwrap();
        assert_eq!(outcome.tables.len(), 1);
        (counts, outcome.failure)
    }

    fn triple(c: Counts) -> (u64, u64, u64) {
        (c.inserted, c.updated, c.unchanged)
    }

    #[tokio::test]
    async fn counts_inserts_updates_and_unchanged_rows_across_batches() {
        let db = database().await;
        let first = vec![
            rows(&[(1, "Intro", 10), (2, "Agents", 20)]),
            rows(&[(3, "Tools", 30)]),
        ];
        let (counts, failure) = seed(&db, first.clone()).await;
        assert_eq!((triple(counts), failure), ((3, 0, 0), None));
        let (again, failure) = seed(&db, first).await;
        assert_eq!((triple(again), failure), ((0, 0, 3), None));
        let changed = vec![rows(&[
            (1, "Intro", 10),
            (2, "Agents", 25),
            (4, "Memory", 40),
        ])];
        assert_eq!(triple(seed(&db, changed).await.0), (1, 1, 1));
        db.close().await;
    }

    #[tokio::test]
    async fn the_first_store_error_fails_the_session_and_refuses_what_follows() {
        let db = database().await;
        let mut session = Session::new(db.begin().await.unwrap(), grant(&["chapters"]), "main");
        let denied = session.open(target("secrets")).await.unwrap_err();
        assert!(matches!(denied, StoreError::Denied(_)), "{denied:?}");
        let after = session.open(target("chapters")).await.unwrap_err();
        assert!(
            after.message().starts_with("the store already failed and the run will roll back: table secrets is not in this plugin's grant"),
            "{after:?}"
        );
        let outcome = session.finish().await;
        assert!(outcome.failure.unwrap().contains("secrets"));
        outcome.tx.rollback().await.unwrap();
        db.close().await;
    }

    #[tokio::test]
    async fn bad_values_and_shared_keys_are_named_and_nothing_is_written() {
        let db = database().await;
        for (batch, expected) in [
            (
                rows(&[(1, "a", 1), (1, "b", 2)]),
                "table chapters: rows 1 and 2 have the same conflict key (id) = (1)",
            ),
            (
                vec![Value::Integer(1), Value::Null, Value::Integer(1)],
                "table chapters, column title (TEXT), row 1: null in a NOT NULL column",
            ),
            (
                vec![Value::Integer(1)],
                "table chapters: a batch of 1 values is not whole rows of 3 columns",
            ),
        ] {
            let mut session = Session::new(db.begin().await.unwrap(), grant(&["chapters"]), "main");
            let mut writer = session.open(target("chapters")).await.unwrap();
            let err = session.write(&mut writer, batch).await.unwrap_err();
            assert_eq!(err.message(), expected);
            let outcome = session.finish().await;
            assert_eq!(outcome.failure.as_deref(), Some(expected));
            outcome.tx.rollback().await.unwrap();
        }
        db.close().await;
    }

    #[tokio::test]
    async fn a_missing_table_says_where_it_was_looked_for() {
        let db = database().await;
        let mut session = Session::new(
            db.begin().await.unwrap(),
            grant(&["auth.users", "nowhere"]),
            "main",
        );
        let err = session.open(target("auth.users")).await.unwrap_err();
        assert_eq!(
            err.message(),
            "no table auth.users in the database (SQLite has no schemas: looked for table auth_users)"
        );
        session.finish().await.tx.rollback().await.unwrap();
        let mut session = Session::new(db.begin().await.unwrap(), grant(&["nowhere"]), "main");
        let err = session.open(target("nowhere")).await.unwrap_err();
        assert_eq!(
            err.message(),
            "no table nowhere in the database (schema main)"
        );
        session.finish().await.tx.rollback().await.unwrap();
        db.close().await;
    }

    #[tokio::test]
    async fn open_writers_are_capped() {
        let db = database().await;
        let mut session = Session::new(db.begin().await.unwrap(), grant(&["chapters"]), "main");
        let mut open = Vec::new();
        for _ in 0..MAX_OPEN_WRITERS {
            open.push(session.open(target("chapters")).await.unwrap());
        }
        let err = session.open(target("chapters")).await.unwrap_err();
        assert!(
            err.message().starts_with("too many open writers (1024)"),
            "{err:?}"
        );
        session.finish().await.tx.rollback().await.unwrap();
        db.close().await;
    }

    #[tokio::test]
    async fn writers_are_used_once_and_leave_the_table_when_dropped() {
        let db = database().await;
        let mut session = Session::new(db.begin().await.unwrap(), grant(&["chapters"]), "main");
        let mut writers = Vec::new();
        for _ in 0..3 {
            writers.push(session.open(target("chapters")).await.unwrap());
        }
        assert_eq!(session.open_writers(), 3);
        let mut kept = writers.pop().unwrap();
        for w in writers {
            session.drop_writer(w);
        }
        assert_eq!(session.open_writers(), 1);
        session
            .write(&mut kept, rows(&[(9, "x", 1)]))
            .await
            .unwrap();
        assert_eq!(
            triple(session.finish_writer(&mut kept).await.unwrap()),
            (1, 0, 0)
        );
        let err = session
            .write(&mut kept, rows(&[(10, "y", 1)]))
            .await
            .unwrap_err();
        assert_eq!(err.message(), "table chapters: written after finish");
        session.drop_writer(kept);
        assert_eq!(session.open_writers(), 0);
        let outcome = session.finish().await;
        let tables: Vec<(String, (u64, u64, u64))> = outcome
            .tables
            .iter()
            .map(|(t, c)| (t.clone(), triple(*c)))
            .collect();
        assert_eq!(tables, [("chapters".to_owned(), (1, 0, 0))]);
        outcome.tx.rollback().await.unwrap();
        db.close().await;
    }
}
