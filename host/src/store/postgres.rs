//! PostgreSQL: catalog introspection and the set-based upsert.
//!
//! A batch travels as binary `COPY` into a temporary table of the writer's own,
//! then one `INSERT … SELECT … ON CONFLICT` moves it into the target: the
//! database parses nothing it does not have to, and does one plan per batch.
//! Tables with a column seedhost does not encode in COPY's binary format
//! (numeric, enums, domains, other types the database casts from text) take
//! the other set-based path: every column bound as one array and `UNNEST`ed.
//! Measured on the benchmark's 1M rows, the COPY path costs the server roughly
//! half of what array transport does on an unchanged re-run.
//!
//! Either way, rows whose values already equal the stored ones are filtered by
//! `IS DISTINCT FROM` and not rewritten (no new row version, no index or WAL
//! churn), and `xmax = 0` on the returned rows tells inserts from updates. From
//! the stage, rows equal to the stored ones are dropped before the upsert sees
//! them: `ON CONFLICT` locks every conflicting row, which writes the row's page
//! and a WAL record even when its guard then updates nothing, so an unchanged
//! row would cost a write; compared first, it costs one index lookup.
//!
//! The stage holds json and jsonb documents as text, and a batch's jsonb
//! documents are printed as the database prints them (see [`super::jsonb`]):
//! an unchanged document is then told by comparing text, and only a changed
//! or new one is parsed, where parsing every staged one into jsonb had cost a
//! third of the stage's COPY.
//!
//! A batch of new rows into a table that held none when its writer began goes
//! straight into the table by binary COPY, without the stage or the upsert
//! (see [`Direct`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};

use sqlx::{AssertSqlSafe, Postgres, Transaction};

use crate::contract::Counts;
use crate::convert::ColumnData;
use crate::db::quote;
use crate::schema::{Column, Kind, TableSchema};

use super::copy::{encode_binary, jsonb_as_text};
use super::jsonb;

/// The table's columns and unique keys, or `None` when there is no such table.
pub async fn describe(
    tx: &mut Transaction<'static, Postgres>,
    schema: &str,
    table: &str,
) -> Result<Option<TableSchema>, sqlx::Error> {
    let columns: Vec<(String, String, String, bool, String)> = sqlx::query_as(
        "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), t.typname::text,
                NOT a.attnotnull, t.typcategory::text
           FROM pg_attribute a
           JOIN pg_class c ON c.oid = a.attrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace
           JOIN pg_type t ON t.oid = a.atttypid
          WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')
            AND a.attnum > 0 AND NOT a.attisdropped
          ORDER BY a.attnum",
    )
    .bind(schema)
    .bind(table)
    .fetch_all(&mut **tx)
    .await?;
    if columns.is_empty() {
        return Ok(None);
    }
    let unique_keys: Vec<(Vec<String>,)> = sqlx::query_as(
        "SELECT array_agg(a.attname::text ORDER BY k.ord)
           FROM pg_index i
           JOIN pg_class c ON c.oid = i.indrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace
           CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
           JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
          WHERE n.nspname = $1 AND c.relname = $2
            AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
          GROUP BY i.indexrelid
          ORDER BY i.indisprimary DESC, i.indexrelid",
    )
    .bind(schema)
    .bind(table)
    .fetch_all(&mut **tx)
    .await?;
    Ok(Some(TableSchema {
        schema: schema.to_owned(),
        name: table.to_owned(),
        columns: columns
            .into_iter()
            .map(|(name, sql_type, typname, nullable, category)| {
                let kind = if category == "A" {
                    Kind::Other
                } else {
                    Kind::from_postgres(&typname)
                };
                // Arrays are marked by their type name ending in [] (see upsert_sql).
                Column::new(name, kind, sql_type, nullable, true)
            })
            .collect(),
        unique_keys: unique_keys.into_iter().map(|(k,)| k).collect(),
        distribution: distribution_column(tx, schema, table).await?,
    }))
}

/// Citus: the distribution column of a hash-distributed table, read from
/// `pg_dist_partition` where Citus is installed (its `partkey` is a Var node's
/// text, `{VAR … :varattno N …}`). `None` without Citus, and for reference
/// and local tables.
async fn distribution_column(
    tx: &mut Transaction<'static, Postgres>,
    schema: &str,
    table: &str,
) -> Result<Option<String>, sqlx::Error> {
    let citus: bool = sqlx::query_scalar("SELECT to_regclass('pg_dist_partition') IS NOT NULL")
        .fetch_one(&mut **tx)
        .await?;
    if !citus {
        return Ok(None);
    }
    let partkey: Option<String> = sqlx::query_scalar(
        "SELECT p.partkey::text
           FROM pg_dist_partition p
           JOIN pg_class c ON c.oid = p.logicalrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $1 AND c.relname = $2 AND p.partmethod = 'h'",
    )
    .bind(schema)
    .bind(table)
    .fetch_optional(&mut **tx)
    .await?
    .flatten();
    let Some(attnum) = partkey.as_deref().and_then(varattno) else {
        return Ok(None);
    };
    sqlx::query_scalar(
        "SELECT a.attname::text
           FROM pg_attribute a
           JOIN pg_class c ON c.oid = a.attrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum = $3",
    )
    .bind(schema)
    .bind(table)
    .bind(attnum)
    .fetch_optional(&mut **tx)
    .await
}

/// The column number of a Citus `partkey` (`{VAR :varno 1 :varattno 2 …}`).
fn varattno(partkey: &str) -> Option<i16> {
    let rest = &partkey[partkey.find(":varattno ")? + ":varattno ".len()..];
    rest.split_whitespace().next()?.parse().ok()
}

/// How one writer's batches reach the table.
#[derive(Debug)]
pub struct PgPlan {
    /// One statement per batch with a bound array per column: always possible,
    /// and the cheapest for small batches.
    unnest: Arc<str>,
    /// The same, also naming the first row it inserted or updated (`verify`'s
    /// second run, which should change nothing, says which row it changed).
    unnest_keyed: Arc<str>,
    /// Binary COPY into a temporary stage, then an upsert from it: for large
    /// batches, when every column can be encoded.
    copy: Option<CopyPlan>,
}

#[derive(Debug)]
struct CopyPlan {
    /// Whether the stage (shared with other writers of the same table and
    /// columns) exists: the first batch to go through it makes it,
    /// for the rest of the plugin's transaction (a batch goes one at a time).
    made: Arc<AtomicBool>,
    /// `CREATE TEMP TABLE … ON COMMIT DROP AS SELECT cols FROM target WITH NO DATA`
    create: String,
    /// `COPY stage (cols) FROM STDIN (FORMAT binary)`
    copy: String,
    upsert: Arc<str>,
    upsert_keyed: Arc<str>,
    /// `TRUNCATE stage`, so the next batch starts empty.
    clear: String,
    /// Column types, as the encoder needs them for the target.
    columns: Vec<Column>,
    /// The same as the stage holds them: json and jsonb as text.
    staged: Vec<Column>,
    /// The target's quoted name.
    target: String,
    /// Straight into the target, for batches of new rows.
    direct: Direct,
}

/// COPY straight into the target, for a batch none of whose keys the table
/// holds, when the table held no rows as the writer's first large batch
/// arrived (a seed's first fill, which is when a table is large and new).
///
/// `COPY FROM` has no `ON CONFLICT`, so a batch goes this way only when it is
/// known to conflict with nothing, which makes every row an insert:
/// - the table is locked against other writers (`SHARE ROW EXCLUSIVE`, readers
///   are not blocked) until the plugin's transaction ends, so no other session
///   inserts a key between the check and the COPY. The lock is asked for with
///   `NOWAIT`: a table another session is writing keeps the stage, and so does
///   a role that may not take the lock;
/// - each batch's COPY runs in a savepoint: when a unique index refuses one
///   of its rows (a key the table holds, from an earlier batch), the COPY is
///   undone and the batch, and the writer's later ones, take the stage;
/// - a key with a NULL part takes the stage (a `NULLS NOT DISTINCT` index
///   would match it, `=` would not).
///
/// Tables stay on the stage when `COPY FROM` is refused or behaves otherwise:
/// row-level security active for the role (most Supabase tables), BEFORE
/// INSERT row triggers, which may change a key or skip a row before it is stored,
/// INSERT rules, which COPY ignores, and `GENERATED ALWAYS` identity columns,
/// which COPY fills from its input where an INSERT refuses to.
/// `verify`'s second run, which names the first row it changed, always takes
/// the stage.
#[derive(Debug)]
struct Direct {
    /// One row: the table is empty, has no row-level security for this role,
    /// no BEFORE INSERT row trigger, no INSERT rule and no `GENERATED ALWAYS`
    /// identity. `$1` is the table's quoted name.
    eligible: String,
    /// `LOCK TABLE target IN SHARE ROW EXCLUSIVE MODE NOWAIT`
    lock: String,
    /// `COPY target (cols) FROM STDIN (FORMAT binary)`
    copy: String,
    /// The key columns' positions among the written columns.
    keys: Vec<usize>,
    /// [`UNKNOWN`], [`LOCKED`] or [`NEVER`]: decided at the first large batch.
    state: AtomicU8,
}

const UNKNOWN: u8 = 0;
const LOCKED: u8 = 1;
const NEVER: u8 = 2;

/// Batches smaller than this take the one-statement UNNEST path: the stage
/// costs three statements, which pays off only for many rows.
pub const COPY_MIN_ROWS: usize = 1_000;

impl PgPlan {
    /// Whether a batch of `rows` rows goes through the stage.
    fn stages(&self, rows: usize) -> bool {
        self.copy.is_some() && rows >= COPY_MIN_ROWS
    }
}

/// Stage names are unique per process: a dry run puts several plugins' writers
/// in one transaction.
static STAGES: AtomicU64 = AtomicU64::new(0);

/// The most stage tables one session creates. Each holds a few entries of the
/// server's shared lock table until the transaction ends, so a plugin opening
/// thousands of writers could exhaust it for every database on the server.
pub const MAX_STAGES: usize = 32;

/// The stage tables of one session: one per target table and column list,
/// shared by every writer that writes them (one batch is in flight at a time),
/// at most [`MAX_STAGES`]; a writer beyond that sends every batch by UNNEST.
/// Each is named with whether it exists yet.
#[derive(Debug, Default)]
pub struct Stages {
    names: HashMap<(String, String, Vec<String>), Stage>,
}

/// A stage table's name, and whether it exists yet.
type Stage = (String, Arc<AtomicBool>);

impl Stages {
    /// The stage for writing `columns` of `table`: an existing one, a new one,
    /// or none once the session has [`MAX_STAGES`].
    fn name_for(&mut self, table: &TableSchema, columns: &[&Column]) -> Option<Stage> {
        let key = (
            table.schema.clone(),
            table.name.clone(),
            columns.iter().map(|c| c.name.clone()).collect(),
        );
        if let Some(stage) = self.names.get(&key) {
            return Some(stage.clone());
        }
        if self.names.len() >= MAX_STAGES {
            return None;
        }
        let name = format!("seedhost_stage_{}", STAGES.fetch_add(1, Ordering::Relaxed));
        let stage = (name, Arc::new(AtomicBool::new(false)));
        self.names.insert(key, stage.clone());
        Some(stage)
    }
}

/// Plans the statements for one writer; its large batches go through a stage
/// table from `stages`, when one is to be had.
pub fn plan(
    table: &TableSchema,
    columns: &[&Column],
    conflict: &[&Column],
    update: &[&Column],
    stages: &mut Stages,
) -> Result<PgPlan, String> {
    if let Some(array) = columns.iter().find(|c| c.sql_type.ends_with("[]")) {
        return Err(format!(
            "table {}: column {} has array type {}, which seedhost cannot write yet",
            table.name, array.name, array.sql_type
        ));
    }
    let target = format!("{}.{}", quote(&table.schema), quote(&table.name));
    let names = columns
        .iter()
        .map(|c| quote(&c.name))
        .collect::<Vec<_>>()
        .join(", ");
    let arrays: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| format!("${}::{}[]", i + 1, c.sql_type))
        .collect();
    let source = format!("SELECT * FROM UNNEST({})", arrays.join(", "));
    let unnest = upsert_sql(&target, &names, &source, conflict, update, false).into();
    let unnest_keyed = upsert_sql(&target, &names, &source, conflict, update, true).into();
    let stage = match columns.iter().all(|c| binary_encodable(c)) {
        true => stages.name_for(table, columns),
        false => None,
    };
    let copy = stage.map(|(name, made)| {
        let stage = quote(&name);
        let from_stage = changed_rows(&target, &stage, columns, conflict, update);
        CopyPlan {
            made,
            create: format!(
                "CREATE TEMP TABLE {stage} ON COMMIT DROP AS SELECT {} FROM {target} WITH NO DATA",
                columns
                    .iter()
                    .map(|c| match as_text(c) {
                        true => format!("{0}::text AS {0}", quote(&c.name)),
                        false => quote(&c.name),
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            copy: format!("COPY {stage} ({names}) FROM STDIN (FORMAT binary)"),
            upsert: upsert_sql(&target, &names, &from_stage, conflict, update, false).into(),
            upsert_keyed: upsert_sql(&target, &names, &from_stage, conflict, update, true).into(),
            clear: format!("TRUNCATE {stage}"),
            columns: columns.iter().map(|c| (*c).clone()).collect(),
            staged: columns
                .iter()
                .map(|c| Column {
                    sql_type: if as_text(c) {
                        "text".into()
                    } else {
                        c.sql_type.clone()
                    },
                    ..(*c).clone()
                })
                .collect(),
            direct: direct(&target, &names, columns, conflict),
            target: target.clone(),
        }
    });
    Ok(PgPlan {
        unnest,
        unnest_keyed,
        copy,
    })
}

/// `INSERT INTO target (names) <source> ON CONFLICT …`, counting what it did;
/// `keyed`, also the key of one row it changed (the least, as text).
fn upsert_sql(
    target: &str,
    names: &str,
    source: &str,
    conflict: &[&Column],
    update: &[&Column],
    keyed: bool,
) -> String {
    let keys: Vec<String> = conflict.iter().map(|c| quote(&c.name)).collect();
    let action = if update.is_empty() {
        "DO NOTHING".to_owned()
    } else {
        let set: Vec<String> = update
            .iter()
            .map(|c| format!("{0} = EXCLUDED.{0}", quote(&c.name)))
            .collect();
        let old: Vec<String> = update.iter().map(|c| comparable("t", c)).collect();
        let new: Vec<String> = update.iter().map(|c| comparable("EXCLUDED", c)).collect();
        format!(
            "DO UPDATE SET {} WHERE ({}) IS DISTINCT FROM ({})",
            set.join(", "),
            old.join(", "),
            new.join(", ")
        )
    };
    let (key, first) = if keyed {
        (format!(", {} AS key", key_text(conflict)), "MIN(key)")
    } else {
        (String::new(), "NULL::text")
    };
    format!(
        "WITH written AS (\
           INSERT INTO {target} AS t ({names}) {source} \
           ON CONFLICT ({}) {action} \
           RETURNING (xmax = 0) AS inserted{key}) \
         SELECT COUNT(*) FILTER (WHERE inserted), COUNT(*) FILTER (WHERE NOT inserted), {first} FROM written",
        keys.join(", "),
    )
}

/// json and xml have no equality operator: their text is compared.
fn comparable(prefix: &str, c: &Column) -> String {
    let cast = if matches!(c.sql_type.as_str(), "json" | "xml") {
        "::text"
    } else {
        ""
    };
    format!("{prefix}.{}{cast}", quote(&c.name))
}

/// Whether the stage holds this column as text: json and jsonb documents.
fn as_text(c: &Column) -> bool {
    matches!(c.sql_type.as_str(), "json" | "jsonb")
}

/// A staged column as the target's type: `s.doc::jsonb` for a document, which
/// the stage holds as text.
fn from_stage(c: &Column) -> String {
    match as_text(c) {
        true => format!("s.{}::{}", quote(&c.name), c.sql_type),
        false => format!("s.{}", quote(&c.name)),
    }
}

/// Whether the target's `cur.c` equals the staged `s.c`, NULL equal to NULL.
/// A jsonb document is compared as text first: the stage's text is printed as
/// the database prints jsonb, so an unchanged document is equal without being
/// parsed; otherwise (a number written `1e2`, say) it is parsed and compared
/// as jsonb. Other columns compare as in the upsert's guard ([`comparable`]).
fn same(c: &Column) -> String {
    let name = quote(&c.name);
    match c.sql_type.as_str() {
        "jsonb" => format!(
            "(cur.{name}::text IS NOT DISTINCT FROM s.{name} \
              OR cur.{name} IS NOT DISTINCT FROM s.{name}::jsonb)"
        ),
        _ => format!(
            "{} IS NOT DISTINCT FROM {}",
            comparable("cur", c),
            comparable("s", c)
        ),
    }
}

/// The stage's rows that are not already in the target as they are: new keys,
/// and keys whose updated columns differ (all of them when `update` is empty,
/// for `DO NOTHING`, rows whose key is new).
///
/// Each staged row looks its key up in the target's unique index: a lateral
/// join that `OFFSET 0` keeps a nested loop of index lookups. Unplanned, the
/// planner could hash the whole target for every batch when the stage holds
/// thousands of rows. A join costs less per row than the same lookup as a
/// `NOT EXISTS` subquery (measured: 37 against 41 ms a 25,000-row batch).
/// A row found has its key: the key columns matched with `=`, so are not NULL.
fn changed_rows(
    target: &str,
    stage: &str,
    columns: &[&Column],
    conflict: &[&Column],
    update: &[&Column],
) -> String {
    let names: Vec<String> = columns.iter().map(|c| from_stage(c)).collect();
    let mut found: Vec<String> = Vec::new();
    for c in conflict.iter().chain(update) {
        let name = format!("cur.{}", quote(&c.name));
        if !found.contains(&name) {
            found.push(name);
        }
    }
    let key: Vec<String> = conflict
        .iter()
        .map(|c| format!("cur.{} = {}", quote(&c.name), from_stage(c)))
        .collect();
    let mut changed = format!("cur.{} IS NULL", quote(&conflict[0].name));
    if !update.is_empty() {
        let same: Vec<String> = update.iter().map(|c| same(c)).collect();
        changed = format!("{changed} OR NOT ({})", same.join(" AND "));
    }
    format!(
        "SELECT {} FROM {stage} AS s \
           LEFT JOIN LATERAL (SELECT {} FROM {target} AS cur WHERE {} OFFSET 0) AS cur ON true \
          WHERE {changed}",
        names.join(", "),
        found.join(", "),
        key.join(" AND "),
    )
}

/// The statements of the direct path (see [`Direct`]).
fn direct(target: &str, names: &str, columns: &[&Column], conflict: &[&Column]) -> Direct {
    let keys: Vec<usize> = conflict
        .iter()
        .map(|k| {
            columns
                .iter()
                .position(|c| c.name == k.name)
                .expect("the conflict columns are written")
        })
        .collect();
    Direct {
        eligible: format!(
            "SELECT NOT EXISTS (SELECT FROM {target}) \
               AND NOT row_security_active($1::text::regclass) \
               AND NOT EXISTS (SELECT FROM pg_trigger \
                                WHERE tgrelid = $1::text::regclass AND NOT tgisinternal \
                                  AND tgenabled <> 'D' AND (tgtype & 7) = 7) \
               AND NOT EXISTS (SELECT FROM pg_rewrite \
                                WHERE ev_class = $1::text::regclass AND ev_type = '3') \
               AND NOT EXISTS (SELECT FROM pg_attribute \
                                WHERE attrelid = $1::text::regclass AND attidentity = 'a' \
                                  AND NOT attisdropped)"
        ),
        lock: format!("LOCK TABLE {target} IN SHARE ROW EXCLUSIVE MODE NOWAIT"),
        copy: format!("COPY {target} ({names}) FROM STDIN (FORMAT binary)"),
        keys,
        state: AtomicU8::new(UNKNOWN),
    }
}

/// `'id = ' || COALESCE(t.id::text, 'NULL') || …`: a row's key in words.
fn key_text(conflict: &[&Column]) -> String {
    conflict
        .iter()
        .map(|c| {
            format!(
                "'{} = ' || COALESCE(t.{}::text, 'NULL')",
                c.name.replace('\'', "''"),
                quote(&c.name)
            )
        })
        .collect::<Vec<_>>()
        .join(" || ', ' || ")
}

/// Whether seedhost writes this column in COPY's binary format.
fn binary_encodable(c: &Column) -> bool {
    matches!(
        c.kind,
        Kind::Bool
            | Kind::Int(_)
            | Kind::Float
            | Kind::Text
            | Kind::Uuid
            | Kind::Json
            | Kind::Timestamp { .. }
            | Kind::Date
            | Kind::Bytes
    )
}

/// A batch as [`upsert`] takes it: values, or COPY data encoded ahead for the
/// stage.
#[derive(Debug)]
pub enum Batch {
    Values(Vec<ColumnData>),
    /// For the stage: documents as text.
    Staged(Vec<u8>),
}

/// Readies a batch on the plugin's thread, while the one before is written.
///
/// A large batch certain to go through the stage (its writer's table held
/// rows, or the run names changed rows) is encoded here, and its values freed
/// here: on the task, the database waited for both (4 ms a 25,000-row batch).
/// Its jsonb documents are first printed as the database prints them (see
/// [`super::jsonb`]), so that the stage tells an unchanged one by its text; a
/// document the stage gets as written (a writer's first batch) is compared as
/// jsonb. A batch that may go straight into the table is left to the task,
/// which decides its path: encoded here too, 100,000 rows into an empty table
/// measured no faster (within the ±3% spread of medians of 11).
pub fn prepare(plan: &PgPlan, mut data: Vec<ColumnData>, rows: usize, keyed: bool) -> Batch {
    let Some(copy) = plan.copy.as_ref().filter(|_| plan.stages(rows)) else {
        return Batch::Values(data);
    };
    if !keyed && copy.direct.state.load(Ordering::Relaxed) != NEVER {
        return Batch::Values(data);
    }
    for (column, data) in copy.columns.iter().zip(&mut data) {
        if column.sql_type == "jsonb"
            && let ColumnData::Text(documents) = data
        {
            for document in documents.iter_mut().flatten() {
                if let Some(printed) = jsonb::canonical(document) {
                    *document = printed;
                }
            }
        }
    }
    Batch::Staged(encode(&copy.staged, data, rows))
}

/// Runs one batch of `rows` rows.
pub async fn upsert(
    tx: &mut Transaction<'static, Postgres>,
    plan: &PgPlan,
    batch: Batch,
    rows: usize,
    keyed: bool,
) -> Result<(Counts, Option<String>), sqlx::Error> {
    let (inserted, updated, first): (i64, i64, Option<String>) =
        match plan.copy.as_ref().filter(|_| plan.stages(rows)) {
            None => {
                let Batch::Values(data) = batch else {
                    unreachable!("only a batch for the stage is encoded ahead")
                };
                let sql = if keyed {
                    &plan.unnest_keyed
                } else {
                    &plan.unnest
                };
                let mut query = sqlx::query_as(AssertSqlSafe(sql.clone()));
                for column in data {
                    query = match column {
                        ColumnData::Bool(v) => query.bind(v),
                        ColumnData::Int(v) => query.bind(v),
                        ColumnData::Float(v) => query.bind(v),
                        ColumnData::Text(v) => query.bind(v),
                        ColumnData::Uuid(v) => query.bind(v),
                        ColumnData::Timestamp(v) => query.bind(v),
                        ColumnData::Date(v) => query.bind(v),
                        ColumnData::Bytes(v) => query.bind(v),
                    };
                }
                query.fetch_one(&mut **tx).await?
            }
            Some(copy) => 'copied: {
                let staged = match batch {
                    Batch::Staged(staged) => staged,
                    Batch::Values(data) if !keyed && goes_direct(tx, copy, &data).await? => {
                        let batch = encode(&copy.columns, data, rows);
                        match copy_direct(tx, &copy.direct.copy, &batch).await? {
                            // Every row is an insert, bar any a trigger
                            // skipped: COPY counts the rows it stored.
                            Some(stored) => break 'copied (stored as i64, 0, None),
                            // A key the table holds: this batch, and the
                            // writer's later ones, go through the stage.
                            None => {
                                copy.direct.state.store(NEVER, Ordering::Relaxed);
                                jsonb_as_text(&copy.columns, &batch)
                            }
                        }
                    }
                    Batch::Values(data) => encode(&copy.staged, data, rows),
                };
                empty_stage(tx, copy).await?;
                through_stage(tx, copy, staged, keyed).await?
            }
        };
    let (inserted, updated) = (inserted as u64, updated as u64);
    let counts = Counts {
        inserted,
        updated,
        unchanged: rows as u64 - inserted - updated,
    };
    Ok((counts, first))
}

/// The writer's stage, empty: made on its first use, for the rest of the
/// plugin's transaction, and emptied on each next one.
///
/// Not before: a batch that goes straight into the table needs none, and
/// there the stage's mere presence cost time. With a stage holding its jsonb
/// column as text, a 100,000-row run into an empty table took 1,123 ms
/// against 1,085 without (medians of 11), the database's COPY into the table
/// being the slower; a stage holding jsonb had cost nothing measurable. Not
/// understood, not reproduced by the same statements in psql.
async fn empty_stage(
    tx: &mut Transaction<'static, Postgres>,
    plan: &CopyPlan,
) -> Result<(), sqlx::Error> {
    use sqlx::Executor;
    if plan.made.load(Ordering::Relaxed) {
        tx.execute(AssertSqlSafe(plan.clear.clone())).await?;
        return Ok(());
    }
    tx.execute(AssertSqlSafe(plan.create.clone())).await?;
    plan.made.store(true, Ordering::Relaxed);
    // The stage's upsert is planned once and run per batch, and its estimated
    // cost crosses `jit_above_cost` at a few thousand rows: JIT compiled it
    // anew for every batch (14 ms of a 25,000-row batch's 97, measured), never
    // paying off. For the rest of the plugin's transaction.
    tx.execute("SET LOCAL jit = off").await?;
    Ok(())
}

/// COPY of `batch` into the empty stage, then its upsert: (inserted,
/// updated, the first changed row's key when `keyed`).
async fn through_stage(
    tx: &mut Transaction<'static, Postgres>,
    plan: &CopyPlan,
    batch: Vec<u8>,
    keyed: bool,
) -> Result<(i64, i64, Option<String>), sqlx::Error> {
    send_copy(tx, &plan.copy, &batch).await?;
    drop(batch);
    let sql = if keyed {
        &plan.upsert_keyed
    } else {
        &plan.upsert
    };
    sqlx::query_as(AssertSqlSafe(sql.clone()))
        .fetch_one(&mut **tx)
        .await
}

/// The batch in COPY's binary format. The values are freed here, before the
/// batch is sent, so a batch's values and its encoding are not both held
/// while the database works. (Freed on another thread during the COPY, or
/// after it, a 100,000-row run into an empty table measured 2 to 5% slower in
/// medians of 7; the machine's own spread is about 3%, so take that as "not
/// faster", not as a measured cost.)
fn encode(columns: &[Column], data: Vec<ColumnData>, rows: usize) -> Vec<u8> {
    let mut buffer = Vec::with_capacity(rows * 128);
    encode_binary(columns, &data, rows, &mut buffer);
    buffer
}

/// Runs `copy` with `batch` (binary COPY data) as its input; returns the rows
/// COPY stored.
async fn send_copy(
    tx: &mut Transaction<'static, Postgres>,
    copy: &str,
    batch: &[u8],
) -> Result<u64, sqlx::Error> {
    let mut sink = tx.copy_in_raw(copy).await?;
    sink.send(batch).await?;
    sink.finish().await
}

/// COPY straight into the table, in a savepoint: `None` when a unique index
/// refused a row (a key the table holds, usually an earlier batch's), with
/// the COPY undone. Any other error ends the batch as before.
///
/// This replaces a probe of the batch's keys before each COPY, which grew with
/// the table (7 ms to 44 ms a 25,000-row batch over a 1M-row run): the COPY
/// looks every key up in the index anyway. The cost is a subtransaction per
/// batch: past 64, other sessions' snapshots taken while the plugin's
/// transaction is open no longer list them, and look its rows up in
/// `pg_subtrans`.
async fn copy_direct(
    tx: &mut Transaction<'static, Postgres>,
    copy: &str,
    batch: &[u8],
) -> Result<Option<u64>, sqlx::Error> {
    use sqlx::Executor;
    tx.execute("SAVEPOINT seedhost_direct").await?;
    match send_copy(tx, copy, batch).await {
        Ok(stored) => {
            tx.execute("RELEASE SAVEPOINT seedhost_direct").await?;
            Ok(Some(stored))
        }
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some(UNIQUE_VIOLATION) => {
            tx.execute("ROLLBACK TO SAVEPOINT seedhost_direct").await?;
            tx.execute("RELEASE SAVEPOINT seedhost_direct").await?;
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// SQLSTATE `unique_violation`.
const UNIQUE_VIOLATION: &str = "23505";

/// Whether this batch can go straight into the table (see [`Direct`]): on the
/// writer's first large batch, the table is checked and locked, or given up on.
async fn goes_direct(
    tx: &mut Transaction<'static, Postgres>,
    plan: &CopyPlan,
    data: &[ColumnData],
) -> Result<bool, sqlx::Error> {
    use sqlx::Executor;
    let direct = &plan.direct;
    if direct.state.load(Ordering::Relaxed) == UNKNOWN {
        let eligible: bool = sqlx::query_scalar(AssertSqlSafe(direct.eligible.clone()))
            .bind(plan.target.as_str())
            .fetch_one(&mut **tx)
            .await?;
        let mut state = NEVER;
        if eligible {
            // A refused lock aborts what it runs in: a savepoint keeps the
            // plugin's transaction.
            tx.execute("SAVEPOINT seedhost_direct").await?;
            state = match tx.execute(AssertSqlSafe(direct.lock.clone())).await {
                Ok(_) => LOCKED,
                Err(sqlx::Error::Database(_)) => {
                    tx.execute("ROLLBACK TO SAVEPOINT seedhost_direct").await?;
                    NEVER
                }
                Err(e) => return Err(e),
            };
            tx.execute("RELEASE SAVEPOINT seedhost_direct").await?;
        }
        direct.state.store(state, Ordering::Relaxed);
    }
    Ok(direct.state.load(Ordering::Relaxed) == LOCKED
        && !direct.keys.iter().any(|&k| data[k].has_null()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_column_number_of_a_citus_partkey() {
        let partkey = "{VAR :varno 1 :varattno 3 :vartype 23 :vartypmod -1 :varcollid 0 \
                       :varlevelsup 0 :varnosyn 1 :varattnosyn 3 :location -1}";
        assert_eq!(varattno(partkey), Some(3));
        assert_eq!(varattno("{CONST}"), None);
        assert_eq!(varattno(":varattno x"), None);
    }

    fn table(name: &str) -> TableSchema {
        TableSchema {
            distribution: None,
            schema: "public".into(),
            name: name.into(),
            columns: ["id", "v"]
                .iter()
                .map(|c| Column::new((*c).into(), Kind::Int(64), "bigint".into(), true, true))
                .collect(),
            unique_keys: vec![vec!["id".into()]],
        }
    }

    #[test]
    fn writers_of_one_table_and_columns_share_a_stage_and_stages_are_capped() {
        let mut stages = Stages::default();
        let t = table("t");
        let (id, v) = (&t.columns[0], &t.columns[1]);
        let (first, made) = stages.name_for(&t, &[id, v]).unwrap();
        let (again, made_again) = stages.name_for(&t, &[id, v]).unwrap();
        assert_eq!(again, first);
        // Whether it exists is one fact for all its writers.
        assert!(Arc::ptr_eq(&made, &made_again));
        assert!(!made.load(Ordering::Relaxed));
        let (other, _) = stages.name_for(&t, &[id]).unwrap();
        assert_ne!(first, other);
        for n in 2..MAX_STAGES {
            let t = table(&format!("t{n}"));
            assert!(stages.name_for(&t, &[&t.columns[0]]).is_some(), "{n}");
        }
        let late = table("late");
        assert!(stages.name_for(&late, &[&late.columns[0]]).is_none());
        assert_eq!(
            stages.name_for(&t, &[id, v]).map(|(name, _)| name),
            Some(first)
        );
        // A writer beyond the cap plans no COPY: every batch goes by UNNEST.
        let plan = plan(
            &late,
            &[&late.columns[0]],
            &[&late.columns[0]],
            &[],
            &mut stages,
        )
        .unwrap();
        assert!(plan.copy.is_none());
        assert!(!plan.stages(10_000));
    }
}
