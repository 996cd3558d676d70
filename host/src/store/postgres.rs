//! PostgreSQL: catalog introspection and the set-based upsert.
//!
//! A batch is one statement: every column is bound as one array and `UNNEST`ed,
//! so a batch of 10,000 rows is one round trip and one plan. Rows whose values
//! already equal the stored ones are filtered by `IS DISTINCT FROM` and are not
//! rewritten (no new row version, no index or WAL churn); `xmax = 0` on the
//! returned rows tells inserts from updates.

use sqlx::{AssertSqlSafe, Postgres, Transaction};

use crate::contract::Counts;
use crate::schema::{Column, ColumnData, Kind, TableSchema, quote};

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
            .map(|(name, sql_type, typname, nullable, category)| Column {
                kind: if category == "A" {
                    Kind::Other
                } else {
                    Kind::from_postgres(&typname)
                },
                // Arrays are marked by their type name ending in [] (see upsert_sql).
                sql_type,
                nullable,
                name,
            })
            .collect(),
        unique_keys: unique_keys.into_iter().map(|(k,)| k).collect(),
    }))
}

/// The statement for one batch: `$n` is column `n`'s array.
pub fn upsert_sql(
    table: &TableSchema,
    columns: &[&Column],
    conflict: &[&Column],
    update: &[&Column],
) -> Result<String, String> {
    if let Some(array) = columns.iter().find(|c| c.sql_type.ends_with("[]")) {
        return Err(format!(
            "table {}: column {} has array type {}, which seedhost cannot write yet",
            table.name, array.name, array.sql_type
        ));
    }
    let names: Vec<String> = columns.iter().map(|c| quote(&c.name)).collect();
    let arrays: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| format!("${}::{}[]", i + 1, c.sql_type))
        .collect();
    let target: Vec<String> = conflict.iter().map(|c| quote(&c.name)).collect();
    let action = if update.is_empty() {
        "DO NOTHING".to_owned()
    } else {
        let set: Vec<String> = update
            .iter()
            .map(|c| format!("{0} = EXCLUDED.{0}", quote(&c.name)))
            .collect();
        // json and xml have no equality operator: compare their text.
        let compare = |prefix: &str, c: &Column| {
            let cast = if matches!(c.sql_type.as_str(), "json" | "xml") {
                "::text"
            } else {
                ""
            };
            format!("{prefix}.{}{cast}", quote(&c.name))
        };
        let old: Vec<String> = update.iter().map(|c| compare("t", c)).collect();
        let new: Vec<String> = update.iter().map(|c| compare("EXCLUDED", c)).collect();
        format!(
            "DO UPDATE SET {} WHERE ({}) IS DISTINCT FROM ({})",
            set.join(", "),
            old.join(", "),
            new.join(", ")
        )
    };
    Ok(format!(
        "WITH written AS (\
           INSERT INTO {}.{} AS t ({}) SELECT * FROM UNNEST({}) \
           ON CONFLICT ({}) {action} \
           RETURNING (xmax = 0) AS inserted) \
         SELECT COUNT(*) FILTER (WHERE inserted), COUNT(*) FILTER (WHERE NOT inserted) FROM written",
        quote(&table.schema),
        quote(&table.name),
        names.join(", "),
        arrays.join(", "),
        target.join(", "),
    ))
}

/// Runs one batch of `rows` rows.
pub async fn upsert(
    tx: &mut Transaction<'static, Postgres>,
    sql: &str,
    data: Vec<ColumnData>,
    rows: usize,
) -> Result<Counts, sqlx::Error> {
    let mut query = sqlx::query_as::<_, (i64, i64)>(AssertSqlSafe(sql.to_owned()));
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
    let (inserted, updated) = query.fetch_one(&mut **tx).await?;
    let (inserted, updated) = (inserted as u64, updated as u64);
    Ok(Counts {
        inserted,
        updated,
        unchanged: rows as u64 - inserted - updated,
    })
}
