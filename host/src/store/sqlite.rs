//! SQLite: introspection through the `pragma_*` table functions and a multi-row
//! upsert.
//!
//! SQLite cannot tell inserts from updates in its result (`changes()` and
//! `RETURNING` count both), so each chunk of a batch is written in the way its
//! first row suggests, and each way's own counts are exact:
//! - **new rows** (the first row's key is not in the table: a first fill):
//!   `INSERT … ON CONFLICT DO NOTHING` inserts every new row and counts them.
//!   When that was all of them, the chunk is done in one statement. Otherwise
//!   the upsert follows, with a guard that skips rows whose values are
//!   unchanged: what it changes are the updates (the rows just inserted are
//!   equal to themselves);
//! - **stored rows** (a re-run): the guarded upsert runs alone in a savepoint.
//!   Changing nothing means every row was stored and unchanged, the common
//!   case, in one statement. Otherwise the savepoint is rolled back and the
//!   chunk is written as new rows are.

use chrono::SecondsFormat;
use sqlx::sqlite::SqliteArguments;
use sqlx::{AssertSqlSafe, Sqlite, Transaction};

use crate::contract::Counts;
use crate::convert::ColumnData;
use crate::db::quote;
use crate::schema::{Column, Kind, TableSchema};

/// SQLite's limit on bound parameters per statement (SQLITE_MAX_VARIABLE_NUMBER).
const MAX_VARIABLES: usize = 32_766;

/// Where SQLite keeps the table a plugin calls `schema.table`. SQLite has no
/// schemas, only attached databases: a schema that is not one (`auth` in
/// `auth.users`, say) names the table `schema_table` of the main database, so
/// one plugin serves PostgreSQL and SQLite alike.
pub async fn locate(
    tx: &mut Transaction<'static, Sqlite>,
    schema: &str,
    table: &str,
) -> Result<(String, String), sqlx::Error> {
    let attached: Option<(String,)> =
        sqlx::query_as("SELECT name FROM pragma_database_list WHERE name = ?1")
            .bind(schema)
            .fetch_optional(&mut **tx)
            .await?;
    Ok(match attached {
        Some(_) => (schema.to_owned(), table.to_owned()),
        None => ("main".to_owned(), format!("{schema}_{table}")),
    })
}

/// The table's columns and unique keys, or `None` when there is no such table.
pub async fn describe(
    tx: &mut Transaction<'static, Sqlite>,
    schema: &str,
    table: &str,
) -> Result<Option<TableSchema>, sqlx::Error> {
    let (schema, table) = &locate(tx, schema, table).await?;
    let (schema, table) = (schema.as_str(), table.as_str());
    let found: Option<(String,)> =
        sqlx::query_as("SELECT type FROM pragma_table_list WHERE schema = ?1 AND name = ?2")
            .bind(schema)
            .bind(table)
            .fetch_optional(&mut **tx)
            .await?;
    if !matches!(found, Some((ref kind,)) if kind == "table") {
        return Ok(None);
    }
    let columns: Vec<(String, String, bool, i64)> = sqlx::query_as(
        "SELECT name, type, \"notnull\", pk FROM pragma_table_info(?1, ?2) ORDER BY cid",
    )
    .bind(table)
    .bind(schema)
    .fetch_all(&mut **tx)
    .await?;
    let mut primary: Vec<(i64, String)> = columns
        .iter()
        .filter(|c| c.3 > 0)
        .map(|c| (c.3, c.0.clone()))
        .collect();
    primary.sort();
    let mut unique_keys = Vec::new();
    if !primary.is_empty() {
        unique_keys.push(primary.into_iter().map(|(_, name)| name).collect());
    }
    let indexes: Vec<(String, bool, bool)> =
        sqlx::query_as("SELECT name, \"unique\", partial FROM pragma_index_list(?1, ?2)")
            .bind(table)
            .bind(schema)
            .fetch_all(&mut **tx)
            .await?;
    for (index, unique, partial) in indexes {
        if !unique || partial {
            continue;
        }
        let names: Vec<(Option<String>,)> =
            sqlx::query_as("SELECT name FROM pragma_index_info(?1, ?2) ORDER BY seqno")
                .bind(&index)
                .bind(schema)
                .fetch_all(&mut **tx)
                .await?;
        // An expression index has unnamed columns: ON CONFLICT cannot name it.
        if let Some(key) = names
            .into_iter()
            .map(|(n,)| n)
            .collect::<Option<Vec<String>>>()
            && !unique_keys.contains(&key)
        {
            unique_keys.push(key);
        }
    }
    Ok(Some(TableSchema {
        schema: schema.to_owned(),
        name: table.to_owned(),
        columns: columns
            .into_iter()
            .map(|(name, declared, not_null, _)| {
                Column::new(
                    name,
                    Kind::from_sqlite(&declared),
                    declared,
                    !not_null,
                    false,
                )
            })
            .collect(),
        unique_keys,
        distribution: None,
    }))
}

/// The parts of a batch's statements that do not depend on its size.
#[derive(Debug)]
pub struct Statements {
    width: usize,
    /// `SELECT EXISTS (SELECT 1 FROM t WHERE k IS ?)`: one row's key.
    probe: String,
    /// `INSERT INTO t AS t (cols) VALUES `
    insert_head: String,
    /// `(?, ?, ?)` for one row.
    row_tuple: String,
    /// ` ON CONFLICT (k) DO UPDATE … WHERE <changed>`, or `DO NOTHING` when
    /// there is nothing to update.
    conflict_tail: String,
    /// ` ON CONFLICT (k) DO NOTHING`
    insert_tail: String,
    /// Whether the writer updates anything.
    updates: bool,
    /// ` RETURNING 'id = ' || quote(id) …`: each written row's key, in words.
    returning_key: String,
}

impl Statements {
    /// The statement parts for writing `columns` of `table`, keyed on
    /// `conflict`, updating `update` (none: do nothing).
    pub fn new(
        table: &TableSchema,
        columns: &[&Column],
        conflict: &[&Column],
        update: &[&Column],
    ) -> Statements {
        let qualified = format!("{}.{}", quote(&table.schema), quote(&table.name));
        let names: Vec<String> = columns.iter().map(|c| quote(&c.name)).collect();
        let keys: Vec<String> = conflict.iter().map(|c| quote(&c.name)).collect();
        let tuple = |n: usize| format!("({})", vec!["?"; n].join(", "));
        let action = if update.is_empty() {
            "DO NOTHING".to_owned()
        } else {
            let set: Vec<String> = update
                .iter()
                .map(|c| format!("{0} = excluded.{0}", quote(&c.name)))
                .collect();
            let same: Vec<String> = update
                .iter()
                .map(|c| format!("t.{0} IS excluded.{0}", quote(&c.name)))
                .collect();
            format!(
                "DO UPDATE SET {} WHERE NOT ({})",
                set.join(", "),
                same.join(" AND ")
            )
        };
        Statements {
            width: columns.len(),
            probe: format!(
                "SELECT EXISTS (SELECT 1 FROM {qualified} WHERE {})",
                keys.iter()
                    .map(|k| format!("{k} IS ?"))
                    .collect::<Vec<_>>()
                    .join(" AND ")
            ),
            insert_tail: format!(" ON CONFLICT ({}) DO NOTHING", keys.join(", ")),
            updates: !update.is_empty(),
            insert_head: format!(
                "INSERT INTO {qualified} AS t ({}) VALUES ",
                names.join(", ")
            ),
            row_tuple: tuple(columns.len()),
            conflict_tail: format!(" ON CONFLICT ({}) {action}", keys.join(", ")),
            returning_key: format!(
                " RETURNING {}",
                conflict
                    .iter()
                    .map(|c| format!(
                        // quote(): NULL, numbers, 'text', X'blob': always text.
                        "'{} = ' || quote({})",
                        c.name.replace('\'', "''"),
                        quote(&c.name)
                    ))
                    .collect::<Vec<_>>()
                    .join(" || ', ' || ")
            ),
        }
    }

    fn rows_per_statement(&self) -> usize {
        (MAX_VARIABLES / self.width).clamp(1, 1000)
    }

    fn repeat(head: &str, tuple: &str, rows: usize, tail: &str) -> String {
        let mut sql = String::with_capacity(head.len() + (tuple.len() + 2) * rows + tail.len());
        sql.push_str(head);
        for i in 0..rows {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(tuple);
        }
        sql.push_str(tail);
        sql
    }
}

/// Runs one batch of `rows` rows; `conflict` are the key's positions in `data`.
/// `keyed`: also the key of one row it inserted or updated (the least, as text,
/// of the first statement that changed any).
pub async fn upsert(
    tx: &mut Transaction<'static, Sqlite>,
    statements: &Statements,
    conflict: &[usize],
    data: Vec<ColumnData>,
    rows: usize,
    keyed: bool,
) -> Result<(Counts, Option<String>), sqlx::Error> {
    let mut counts = Counts::zero();
    let mut first: Option<String> = None;
    let chunk = statements.rows_per_statement();
    let mut start = 0;
    while start < rows {
        let end = (start + chunk).min(rows);
        let n = (end - start) as u64;
        let run = Chunk {
            statements,
            data: &data,
            rows: start..end,
            keyed,
        };
        start = end;

        if statements.updates {
            let mut probe = sqlx::query_scalar::<_, bool>(AssertSqlSafe(statements.probe.clone()));
            for &c in conflict {
                probe = bind(probe, &data[c], run.rows.start);
            }
            if probe.fetch_one(&mut **tx).await? {
                use sqlx::Executor;
                tx.execute("SAVEPOINT seedhost_chunk").await?;
                let (written, _) = run.write(tx, &statements.conflict_tail).await?;
                if written == 0 {
                    tx.execute("RELEASE SAVEPOINT seedhost_chunk").await?;
                    counts.unchanged += n;
                    continue;
                }
                tx.execute("ROLLBACK TO SAVEPOINT seedhost_chunk").await?;
                tx.execute("RELEASE SAVEPOINT seedhost_chunk").await?;
            }
        }

        let (inserted, keys) = run.write(tx, &statements.insert_tail).await?;
        keep_first(&mut first, keys);
        let mut updated = 0;
        if inserted < n && statements.updates {
            let (written, keys) = run.write(tx, &statements.conflict_tail).await?;
            keep_first(&mut first, keys);
            updated = written;
        }
        counts.inserted += inserted;
        counts.updated += updated;
        counts.unchanged += n - inserted - updated;
    }
    Ok((counts, first))
}

/// Keeps the key from the first statement that changed a row.
fn keep_first(first: &mut Option<String>, keys: Option<String>) {
    if first.is_none() {
        *first = keys;
    }
}

/// One multi-row statement's worth of a batch.
struct Chunk<'a> {
    statements: &'a Statements,
    data: &'a [ColumnData],
    rows: std::ops::Range<usize>,
    keyed: bool,
}

impl Chunk<'_> {
    /// Runs `INSERT … VALUES <the chunk's rows> <tail>`: the rows it inserted
    /// or updated, and with `keyed` the least key among them.
    async fn write(
        &self,
        tx: &mut Transaction<'static, Sqlite>,
        tail: &str,
    ) -> Result<(u64, Option<String>), sqlx::Error> {
        let statements = self.statements;
        let mut sql = Statements::repeat(
            &statements.insert_head,
            &statements.row_tuple,
            self.rows.len(),
            tail,
        );
        if self.keyed {
            sql.push_str(&statements.returning_key);
            let mut insert = sqlx::query_scalar::<_, String>(AssertSqlSafe(sql));
            for row in self.rows.clone() {
                for column in self.data {
                    insert = bind(insert, column, row);
                }
            }
            let keys = insert.fetch_all(&mut **tx).await?;
            Ok((keys.len() as u64, keys.into_iter().min()))
        } else {
            let mut insert = sqlx::query(AssertSqlSafe(sql));
            for row in self.rows.clone() {
                for column in self.data {
                    insert = bind(insert, column, row);
                }
            }
            Ok((insert.execute(&mut **tx).await?.rows_affected(), None))
        }
    }
}

/// Anything that takes SQLite bind parameters one at a time.
trait Bind<'q>: Sized {
    fn bind_value<T>(self, value: T) -> Self
    where
        T: 'q + sqlx::Encode<'q, Sqlite> + sqlx::Type<Sqlite>;
}

impl<'q> Bind<'q> for sqlx::query::Query<'q, Sqlite, SqliteArguments> {
    fn bind_value<T>(self, value: T) -> Self
    where
        T: 'q + sqlx::Encode<'q, Sqlite> + sqlx::Type<Sqlite>,
    {
        self.bind(value)
    }
}

impl<'q, O> Bind<'q> for sqlx::query::QueryScalar<'q, Sqlite, O, SqliteArguments> {
    fn bind_value<T>(self, value: T) -> Self
    where
        T: 'q + sqlx::Encode<'q, Sqlite> + sqlx::Type<Sqlite>,
    {
        self.bind(value)
    }
}

/// Binds row `row` of `column` in the form seedhost stores it in SQLite: UUIDs
/// as lowercase hyphenated text, timestamps as RFC 3339 UTC text, dates as
/// `YYYY-MM-DD`, so values compare equal run after run.
fn bind<'q, B: Bind<'q>>(query: B, column: &'q ColumnData, row: usize) -> B {
    match column {
        ColumnData::Bool(v) => query.bind_value(v[row]),
        ColumnData::Int(v) => query.bind_value(v[row]),
        ColumnData::Float(v) => query.bind_value(v[row]),
        ColumnData::Text(v) => query.bind_value(v[row].as_deref()),
        ColumnData::Uuid(v) => query.bind_value(v[row].map(|u| u.hyphenated().to_string())),
        ColumnData::Timestamp(v) => {
            query.bind_value(v[row].map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true)))
        }
        ColumnData::Date(v) => query.bind_value(v[row].map(|d| d.format("%Y-%m-%d").to_string())),
        ColumnData::Bytes(v) => query.bind_value(v[row].as_deref()),
    }
}
