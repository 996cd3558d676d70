//! The store's checks: pure functions of a write's target, the table's live
//! schema and the plugin's grant, run before anything reaches the database.
//! The grant decides which tables, the schema which columns and keys; a batch
//! must be whole rows, and no two of its rows may share a conflict key.

use std::collections::HashMap;

use crate::contract::{OnConflict, StoreError, Target};
use crate::convert::{ColumnData, KeyPart};
use crate::grant::{Grant, TableName};
use crate::schema::TableSchema;

/// Parses the table a plugin names and checks it against the plugin's grant.
/// An unqualified name on either side means `default_schema`.
pub fn granted_table(
    grant: &Grant,
    table: &str,
    default_schema: &str,
) -> Result<TableName, StoreError> {
    let name = TableName::parse(table).map_err(StoreError::Usage)?;
    if grant.allows_table(&name, default_schema) {
        return Ok(name);
    }
    let granted: Vec<String> = grant.tables().iter().map(|t| t.to_string()).collect();
    Err(StoreError::Denied(format!(
        "table {table} is not in this plugin's grant (granted: {})",
        if granted.is_empty() {
            "none".to_owned()
        } else {
            granted.join(", ")
        }
    )))
}

/// A write's columns resolved against the live table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape {
    /// Indexes into the table's columns, in the batch's order.
    pub columns: Vec<usize>,
    /// Positions within `columns` of the conflict target.
    pub conflict: Vec<usize>,
    /// Positions within `columns` updated on conflict (none: do nothing).
    pub update: Vec<usize>,
}

/// Checks the target's columns, conflict target and update list against the
/// table: every column exists and is given once, the conflict target is
/// exactly a primary key or unique constraint among the written columns, and
/// the update list is written columns outside the key.
pub fn shape(target: &Target, schema: &TableSchema) -> Result<Shape, StoreError> {
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
            .ok_or_else(|| StoreError::Schema(format!("table {table} has no column {name:?}")))?;
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
    if let Some(column) = &schema.distribution
        && !target.conflict.contains(column)
    {
        return Err(StoreError::Schema(format!(
            "table {table} is distributed by Citus on column {column}: the conflict target ({}) \
             must include it, as every unique key of a distributed table does; name a unique \
             key that includes {column} (unique keys: {})",
            target.conflict.join(", "),
            schema.describe_keys()
        )));
    }
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
    Ok(Shape {
        columns,
        conflict,
        update,
    })
}

/// The number of rows in a batch of `values` values for `width` columns,
/// which must be whole rows.
pub fn batch_rows(table: &str, width: usize, values: usize) -> Result<usize, StoreError> {
    if !values.is_multiple_of(width) {
        return Err(StoreError::Usage(format!(
            "table {table}: a batch of {values} values is not whole rows of {width} columns"
        )));
    }
    Ok(values / width)
}

/// Rows of one batch that share a conflict key would make PostgreSQL refuse the
/// statement and SQLite silently keep the last; both deserve a precise message.
/// `first_row` numbers the batch's first row (rows count from 1 per writer).
pub fn distinct_keys(
    table: &str,
    schema: &TableSchema,
    shape: &Shape,
    data: &[ColumnData],
    first_row: u64,
) -> Result<(), StoreError> {
    let rows = data.first().map_or(0, ColumnData::len);
    let mut seen: HashMap<Vec<KeyPart<'_>>, usize> = HashMap::with_capacity(rows);
    for row in 0..rows {
        let key: Vec<KeyPart<'_>> = shape
            .conflict
            .iter()
            .map(|&c| data[c].key_part(row))
            .collect();
        if let Some(earlier) = seen.insert(key.clone(), row) {
            let names: Vec<&str> = shape
                .conflict
                .iter()
                .map(|&c| schema.columns[shape.columns[c]].name.as_str())
                .collect();
            let shown: Vec<String> = key.iter().map(ToString::to_string).collect();
            return Err(StoreError::Value(format!(
                "table {table}: rows {} and {} have the same conflict key ({}) = ({})",
                first_row + earlier as u64,
                first_row + row as u64,
                names.join(", "),
                shown.join(", ")
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Column, Kind};

    fn table() -> TableSchema {
        let column = |name: &str, kind| Column::new(name.into(), kind, "t".into(), true, true);
        TableSchema {
            distribution: None,
            schema: "public".into(),
            name: "links".into(),
            columns: vec![
                column("id", Kind::Int(64)),
                column("journey_id", Kind::Uuid),
                column("chapter_id", Kind::Uuid),
                column("position", Kind::Int(32)),
            ],
            unique_keys: vec![
                vec!["id".into()],
                vec!["journey_id".into(), "chapter_id".into()],
            ],
        }
    }

    fn target(columns: &[&str], conflict: &[&str], on_conflict: OnConflict) -> Target {
        Target {
            table: "links".into(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            conflict: conflict.iter().map(|c| c.to_string()).collect(),
            on_conflict,
        }
    }

    fn refused(target: &Target) -> String {
        shape(target, &table()).unwrap_err().message().to_owned()
    }

    #[test]
    fn grants_decide_tables_in_the_default_schema() {
        let grant = Grant::new(
            vec![
                TableName::parse("links").unwrap(),
                TableName::parse("auth.users").unwrap(),
            ],
            vec!["local".into()],
        );
        assert!(granted_table(&grant, "links", "public").is_ok());
        assert!(granted_table(&grant, "public.links", "public").is_ok());
        assert!(granted_table(&grant, "auth.users", "public").is_ok());
        let err = granted_table(&grant, "users", "public").unwrap_err();
        assert!(matches!(err, StoreError::Denied(_)));
        assert_eq!(
            err.message(),
            "table users is not in this plugin's grant (granted: links, auth.users)"
        );
        assert!(granted_table(&grant, "other.links", "public").is_err());
        let none = Grant::new(vec![], vec![]);
        let err = granted_table(&none, "links", "main").unwrap_err();
        assert!(err.message().ends_with("(granted: none)"), "{err:?}");
        let err = granted_table(&grant, "a.b.c", "public").unwrap_err();
        assert!(matches!(err, StoreError::Usage(_)), "{err:?}");
    }

    #[test]
    fn update_all_updates_every_column_outside_the_key() {
        let s = shape(
            &target(
                &["position", "journey_id", "chapter_id"],
                &["chapter_id", "journey_id"],
                OnConflict::UpdateAll,
            ),
            &table(),
        )
        .unwrap();
        assert_eq!(
            s,
            Shape {
                columns: vec![3, 1, 2],
                conflict: vec![2, 1],
                update: vec![0],
            }
        );
        let s = shape(
            &target(&["id", "position"], &["id"], OnConflict::DoNothing),
            &table(),
        )
        .unwrap();
        assert!(s.update.is_empty());
        let s = shape(
            &target(
                &["id", "position", "journey_id"],
                &["id"],
                OnConflict::Update(vec!["journey_id".into()]),
            ),
            &table(),
        )
        .unwrap();
        assert_eq!(s.update, vec![2]);
    }

    #[test]
    fn columns_must_exist_once() {
        assert_eq!(
            refused(&target(&[], &["id"], OnConflict::UpdateAll)),
            "table links: no columns given"
        );
        assert_eq!(
            refused(&target(&["id", "nope"], &["id"], OnConflict::UpdateAll)),
            "table links has no column \"nope\""
        );
        assert_eq!(
            refused(&target(&["id", "id"], &["id"], OnConflict::UpdateAll)),
            "table links: column id is given twice"
        );
        // An identifier that looks like SQL is just a name that does not exist.
        let err = shape(
            &target(&["id\"; DROP TABLE x; --"], &["id"], OnConflict::UpdateAll),
            &table(),
        )
        .unwrap_err();
        assert!(matches!(err, StoreError::Schema(_)), "{err:?}");
    }

    #[test]
    fn the_conflict_target_is_a_unique_key_among_the_written_columns() {
        let err = refused(&target(&["id"], &[], OnConflict::UpdateAll));
        assert!(err.contains("empty conflict target"), "{err}");
        assert!(err.contains("(id), (journey_id, chapter_id)"), "{err}");
        assert_eq!(
            refused(&target(&["id"], &["journey_id"], OnConflict::UpdateAll)),
            "table links: conflict column \"journey_id\" is not among the written columns"
        );
        let err = refused(&target(
            &["id", "position"],
            &["position"],
            OnConflict::UpdateAll,
        ));
        assert!(
            err.starts_with("table links: conflict target (position) is not a primary key"),
            "{err}"
        );
    }

    #[test]
    fn the_update_list_is_written_columns_outside_the_key() {
        assert_eq!(
            refused(&target(
                &["id", "position"],
                &["id"],
                OnConflict::Update(vec!["id".into()])
            )),
            "table links: column id is in the conflict target and cannot be updated"
        );
        assert_eq!(
            refused(&target(
                &["id", "position"],
                &["id"],
                OnConflict::Update(vec!["journey_id".into()])
            )),
            "table links: update column \"journey_id\" is not among the written columns"
        );
    }

    #[test]
    fn batches_are_whole_rows() {
        assert_eq!(batch_rows("t", 3, 9).unwrap(), 3);
        assert_eq!(batch_rows("t", 3, 0).unwrap(), 0);
        assert_eq!(
            batch_rows("t", 3, 7).unwrap_err().message(),
            "table t: a batch of 7 values is not whole rows of 3 columns"
        );
    }

    #[test]
    fn rows_sharing_a_key_are_named() {
        let s = shape(
            &target(
                &["journey_id", "chapter_id", "position"],
                &["journey_id", "chapter_id"],
                OnConflict::UpdateAll,
            ),
            &table(),
        )
        .unwrap();
        let j = uuid::Uuid::from_u128(1);
        let data = vec![
            ColumnData::Uuid(vec![Some(j), Some(j), Some(j)]),
            ColumnData::Uuid(vec![
                Some(uuid::Uuid::from_u128(7)),
                Some(uuid::Uuid::from_u128(8)),
                Some(uuid::Uuid::from_u128(7)),
            ]),
            ColumnData::Int(vec![Some(1), Some(2), Some(3)]),
        ];
        let err = distinct_keys("links", &table(), &s, &data, 11).unwrap_err();
        assert!(matches!(err, StoreError::Value(_)));
        assert_eq!(
            err.message(),
            "table links: rows 11 and 13 have the same conflict key (journey_id, chapter_id) = \
             (00000000-0000-0000-0000-000000000001, 00000000-0000-0000-0000-000000000007)"
        );
        assert!(distinct_keys("links", &table(), &s, &data[..0], 1).is_ok());
        let unique = vec![
            ColumnData::Uuid(vec![Some(j), Some(j)]),
            ColumnData::Uuid(vec![Some(uuid::Uuid::from_u128(7)), None]),
            ColumnData::Int(vec![Some(1), Some(2)]),
        ];
        assert!(distinct_keys("links", &table(), &s, &unique, 1).is_ok());
    }
}
