//! Row-by-row writing that crosses the boundary in batches.

use std::cell::RefCell;

use crate::bindings::seedhost::plugin::store::Writer;
use crate::bindings::seedhost::plugin::types::Target;
use crate::{Counts, Error, OnConflict, Result, StoreError, Value};

/// Rows per batch unless [`TableBuilder::batch_rows`] says otherwise: large
/// enough that the per-call cost vanishes, small enough to bound memory.
pub const DEFAULT_BATCH_ROWS: usize = 10_000;

thread_local! {
    static DEFERRED: RefCell<Option<Error>> = const { RefCell::new(None) };
}

pub(crate) fn take_deferred_error() -> Option<Error> {
    DEFERRED.with(|d| d.borrow_mut().take())
}

fn defer(error: Error) {
    DEFERRED.with(|d| {
        d.borrow_mut().get_or_insert(error);
    });
}

/// Describes a write before it starts: columns, conflict target, action.
#[derive(Debug, Clone)]
pub struct TableBuilder {
    table: String,
    columns: Vec<String>,
    conflict: Vec<String>,
    on_conflict: OnConflict,
    batch_rows: usize,
}

fn owned(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| n.to_string()).collect()
}

impl TableBuilder {
    pub(crate) fn new(table: &str) -> Self {
        TableBuilder {
            table: table.to_owned(),
            columns: Vec::new(),
            conflict: Vec::new(),
            on_conflict: OnConflict::UpdateAll,
            batch_rows: DEFAULT_BATCH_ROWS,
        }
    }

    /// The columns each row gives, in order.
    pub fn columns(mut self, columns: &[&str]) -> Self {
        self.columns = owned(columns);
        self
    }

    /// The primary key or unique columns that decide whether a row exists.
    pub fn conflict(mut self, columns: &[&str]) -> Self {
        self.conflict = owned(columns);
        self
    }

    /// On conflict, set only these columns (default: every non-key column).
    pub fn update(mut self, columns: &[&str]) -> Self {
        self.on_conflict = OnConflict::Update(owned(columns));
        self
    }

    /// On conflict, keep the existing row.
    pub fn do_nothing(mut self) -> Self {
        self.on_conflict = OnConflict::DoNothing;
        self
    }

    /// Rows per batch sent to the host (at least 1). The first batch is an
    /// eighth of that, at least 1,000 rows, and each next one twice the last
    /// until they are this large, so that the database starts writing while
    /// the plugin builds the rest.
    pub fn batch_rows(mut self, rows: usize) -> Self {
        self.batch_rows = rows.max(1);
        self
    }

    /// Asks the host to check the write against the grant and the schema.
    pub fn open(self) -> Result<Table> {
        let writer = Writer::open(&Target {
            table: self.table.clone(),
            columns: self.columns.clone(),
            conflict: self.conflict,
            on_conflict: self.on_conflict,
        })?;
        let width = self.columns.len();
        Ok(Table {
            table: self.table,
            width,
            batch_rows: first_batch_rows(self.batch_rows),
            full_batch_rows: self.batch_rows,
            buffer: Vec::with_capacity(width * self.batch_rows),
            rows: 0,
            writer: Some(writer),
        })
    }
}

/// An open write into one table. Push rows, then [`finish`](Table::finish);
/// a table dropped unfinished is flushed, and an error there fails the run.
#[derive(Debug)]
pub struct Table {
    table: String,
    width: usize,
    /// Rows in the batch being filled: the first ones are smaller.
    batch_rows: usize,
    full_batch_rows: usize,
    buffer: Vec<Value>,
    rows: u64,
    writer: Option<Writer>,
}

impl Table {
    /// Adds one row; it is sent with its batch. `row![...]` builds one.
    pub fn push<R: IntoIterator<Item = Value>>(&mut self, row: R) -> Result<()> {
        let before = self.buffer.len();
        self.buffer.extend(row);
        let given = self.buffer.len() - before;
        if given != self.width {
            self.buffer.truncate(before);
            return Err(Error::Store(StoreError::Usage(format!(
                "table {}: row {} has {given} values for {} columns",
                self.table,
                self.rows + 1,
                self.width
            ))));
        }
        self.rows += 1;
        if self.buffer.len() >= self.width * self.batch_rows {
            self.flush()?;
        }
        Ok(())
    }

    /// Rows pushed so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    fn flush(&mut self) -> Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let writer = self.writer.as_ref().ok_or_else(|| finished(&self.table))?;
        writer.write(&self.buffer)?;
        // Keep the capacity: the next batch reuses it.
        self.buffer.clear();
        self.batch_rows = (self.batch_rows * 2).min(self.full_batch_rows);
        Ok(())
    }

    /// Sends what is buffered and waits for every batch; returns what they did.
    pub fn finish(mut self) -> Result<Counts> {
        self.finish_in_place()
    }

    fn finish_in_place(&mut self) -> Result<Counts> {
        self.flush()?;
        let writer = self.writer.take().ok_or_else(|| finished(&self.table))?;
        Ok(writer.finish()?)
    }
}

/// The first batch's rows for batches of `batch_rows`: an eighth, at least
/// 1,000 (below that the host sends a batch in one statement, not by COPY).
/// Each next batch is twice the last, up to `batch_rows`.
///
/// The host writes a batch while the plugin builds the next, so the database
/// waits for the first, and for any next one that takes longer to build than
/// the last took to write. On the benchmark's re-run of 100,000 rows in
/// batches of 25,000, building the first took 30 ms of 270, with the
/// database idle; a batch takes the database about three times as long to
/// write as the plugin to build, so twice the last is ready in time.
pub(crate) fn first_batch_rows(batch_rows: usize) -> usize {
    (batch_rows / 8).max(1_000).min(batch_rows)
}

fn finished(table: &str) -> Error {
    Error::Store(StoreError::Usage(format!(
        "table {table}: written after finish"
    )))
}

impl Drop for Table {
    fn drop(&mut self) {
        if self.writer.is_some()
            && let Err(e) = self.finish_in_place()
        {
            defer(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::first_batch_rows;

    #[test]
    fn the_first_batch_is_an_eighth_of_a_full_one_and_at_least_a_thousand_rows() {
        assert_eq!(first_batch_rows(25_000), 3_125);
        assert_eq!(first_batch_rows(10_000), 1_250);
        assert_eq!(first_batch_rows(4_000), 1_000);
        assert_eq!(first_batch_rows(500), 500);
        assert_eq!(first_batch_rows(1), 1);
    }
}
