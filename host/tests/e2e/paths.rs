//! PostgreSQL's two write paths must store the same values: binary COPY into a
//! stage (batches of COPY_MIN_ROWS rows or more) and bound UNNEST arrays
//! (smaller batches). Every type seedhost encodes in COPY's binary format goes
//! through both, with NULLs, edge values and non-ASCII text, into twin tables.

use seedhost::contract::{Datetime, OnConflict, Target, Uuid, Value};
use seedhost::db::Database;
use seedhost::grant::{Grant, TableName};
use seedhost::store::{COPY_MIN_ROWS, Session};

use crate::harness::*;

const COLUMNS: [&str; 16] = [
    "id", "b", "i2", "i4", "i8", "f4", "f8", "t", "vc", "u", "j", "jb", "ts", "tsz", "d", "by",
];

fn table_sql(name: &str) -> String {
    format!(
        "CREATE TABLE {name} (id INTEGER PRIMARY KEY, b BOOLEAN, i2 SMALLINT, i4 INTEGER, i8 BIGINT,
         f4 REAL, f8 DOUBLE PRECISION, t TEXT, vc VARCHAR(40), u UUID, j JSON, jb JSONB,
         ts TIMESTAMP, tsz TIMESTAMPTZ, d DATE, by BYTEA)"
    )
}

/// Row `i`: every third value NULL in some column, the rest varied.
fn row(i: i64) -> Vec<Value> {
    let null_if = |k: i64, v: Value| if (i + k) % 7 == 0 { Value::Null } else { v };
    vec![
        Value::Integer(i),
        null_if(1, Value::Boolean(i % 2 == 0)),
        null_if(2, Value::Integer((i % 65_536) - 32_768)),
        null_if(3, Value::Integer(i * 1_000 - 2_147_483_648 / 2)),
        null_if(4, Value::Integer(i64::MAX - i)),
        null_if(5, Value::Float(i as f64 / 8.0)),
        null_if(6, Value::Float(-(i as f64) * 1e-3 + 0.1)),
        null_if(
            0,
            Value::Text(format!("row {i}: naïve café ✓ \"quoted\" \\ back")),
        ),
        null_if(1, Value::Text(format!("v{i}"))),
        null_if(
            2,
            Value::Uuid(Uuid {
                high: i as u64,
                low: !(i as u64),
            }),
        ),
        null_if(3, Value::Json(format!("{{\"n\": {i}, \"list\": [1, 2]}}"))),
        null_if(4, Value::Json(format!("{{\"n\": {i}, \"s\": \"é\"}}"))),
        null_if(
            5,
            Value::Timestamp(Datetime {
                seconds: 946_684_800 - 86_400 * 400 + i * 3_600,
                nanoseconds: 123_456_000,
            }),
        ),
        null_if(
            6,
            Value::Text(format!("2026-02-{:02}T10:00:00.5+02:00", i % 28 + 1)),
        ),
        null_if(0, Value::Text(format!("19{:02}-12-31", i % 100))),
        null_if(1, Value::Bytes(vec![0, 255, (i % 256) as u8, b'\\'])),
    ]
}

fn target(table: &str) -> Target {
    Target {
        table: table.to_owned(),
        columns: COLUMNS.iter().map(|c| c.to_string()).collect(),
        conflict: vec!["id".to_owned()],
        on_conflict: OnConflict::UpdateAll,
    }
}

/// Writes rows 1..=n into `table` in batches of `batch`; returns the counts.
async fn write(db: &Database, table: &str, n: i64, batch: i64) -> [u64; 3] {
    let grant = Grant::new(
        vec![
            TableName::parse("copied").unwrap(),
            TableName::parse("unnested").unwrap(),
        ],
        vec!["local".to_owned()],
    );
    let mut session = Session::new(db.begin().await.unwrap(), grant, &db.default_schema);
    let mut writer = session.open(target(table)).await.unwrap();
    let mut i = 1;
    while i <= n {
        let values: Vec<Value> = (i..(i + batch).min(n + 1)).flat_map(row).collect();
        session.write(&mut writer, values).await.unwrap();
        i += batch;
    }
    let counts = session.finish_writer(&mut writer).await.unwrap();
    let outcome = session.finish().await;
    assert_eq!(outcome.failure, None);
    outcome.tx.commit().await.unwrap();
    [counts.inserted, counts.updated, counts.unchanged]
}

#[test]
fn copy_and_unnest_store_identical_values() {
    let pg = PgDb::create();
    let db = pg.db();
    db.execute(&table_sql("copied"));
    db.execute(&table_sql("unnested"));
    let n = 2_500;
    let big = COPY_MIN_ROWS as i64 * 2;
    let small = COPY_MIN_ROWS as i64 / 4;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let database = Database::connect(&pg.url).await.unwrap();
        assert_eq!(write(&database, "copied", n, big).await, [n as u64, 0, 0]);
        assert_eq!(
            write(&database, "unnested", n, small).await,
            [n as u64, 0, 0]
        );
        // Re-runs through either path change nothing.
        assert_eq!(write(&database, "copied", n, big).await, [0, 0, n as u64]);
        assert_eq!(write(&database, "copied", n, small).await, [0, 0, n as u64]);
        assert_eq!(write(&database, "unnested", n, big).await, [0, 0, n as u64]);
        database.close().await;
    });
    let digest = |table: &str| -> String {
        db.scalar(&format!(
            "SELECT md5(string_agg(x::text, '|' ORDER BY x.id)) FROM {table} x"
        ))
    };
    assert_eq!(digest("copied"), digest("unnested"));
    // Spot checks that the values are the ones sent, not merely equal garbage.
    assert_eq!(
        db.scalar::<String>("SELECT t FROM copied WHERE id = 8"),
        "row 8: naïve café ✓ \"quoted\" \\ back"
    );
    assert_eq!(
        db.scalar::<String>("SELECT tsz::text FROM copied WHERE id = 2"),
        "2026-02-03 08:00:00.5+00"
    );
    assert_eq!(
        db.scalar::<String>("SELECT ts::text FROM copied WHERE id = 1"),
        "1998-11-27 01:00:00.123456"
    );
    assert_eq!(
        db.scalar::<String>("SELECT d::text FROM copied WHERE id = 3"),
        "1903-12-31"
    );
    assert_eq!(
        db.scalar::<i64>("SELECT i8 FROM copied WHERE id = 1"),
        i64::MAX - 1
    );
    assert_eq!(
        db.scalar::<String>("SELECT jb->>'s' FROM copied WHERE id = 1"),
        "é"
    );
    assert_eq!(
        db.scalar::<i64>("SELECT COUNT(*) FROM copied WHERE b IS NULL"),
        db.scalar::<i64>("SELECT COUNT(*) FROM unnested WHERE b IS NULL")
    );
}
