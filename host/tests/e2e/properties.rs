//! Property: PostgreSQL's two write paths (binary COPY for batches of
//! COPY_MIN_ROWS rows or more, UNNEST below) store the same values for every
//! generated batch, edge values included, or both refuse it.

use proptest::prelude::*;
use seedhost::contract::{Datetime, OnConflict, Target, Uuid, Value};
use seedhost::db::Database;
use seedhost::grant::{Grant, TableName};
use seedhost::store::{COPY_MIN_ROWS, Session};

use crate::harness::*;

const COLUMNS: [&str; 14] = [
    "id", "b", "i2", "i4", "i8", "f4", "f8", "t", "vc", "u", "jb", "tsz", "d", "by",
];

fn table_sql(name: &str) -> String {
    format!(
        "CREATE TABLE {name} (id INTEGER PRIMARY KEY, b BOOLEAN, i2 SMALLINT, i4 INTEGER,
         i8 BIGINT, f4 REAL, f8 DOUBLE PRECISION, t TEXT, vc VARCHAR(8), u UUID, jb JSONB,
         tsz TIMESTAMPTZ, d DATE, by BYTEA)"
    )
}

fn maybe(value: impl Strategy<Value = Value> + 'static) -> BoxedStrategy<Value> {
    prop_oneof![1 => Just(Value::Null), 7 => value].boxed()
}

/// One row's values after its id: every column's range, edges included.
fn row() -> impl Strategy<Value = Vec<Value>> {
    let floats = prop_oneof![
        any::<f64>(),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(-0.0),
        Just(f64::MIN_POSITIVE),
        Just(f64::MAX)
    ];
    let reals = prop_oneof![
        any::<f32>().prop_map(f64::from),
        -1e30f64..1e30,
        Just(f64::from(f32::MAX)),
        Just(f64::from(f32::MIN_POSITIVE) / 4.0)
    ];
    let json = prop_oneof![
        Just("null".to_owned()),
        Just("{\"a\": [1, 2.5, true, \"é\"]}".to_owned()),
        Just("1e300".to_owned()),
        any::<i64>().prop_map(|i| format!("{{\"k\": {i}}}")),
        "[a-z ]{0,8}".prop_map(|s| format!("\"{s}\"")),
    ];
    let dates = (1i32..=9999, 1u32..=12, 1u32..=28)
        .prop_map(|(y, m, d)| Value::Text(format!("{y:04}-{m:02}-{d:02}")));
    (
        (
            maybe(any::<bool>().prop_map(Value::Boolean)),
            maybe((-32768i64..=32767).prop_map(Value::Integer)),
            maybe((i64::from(i32::MIN)..=i64::from(i32::MAX)).prop_map(Value::Integer)),
            maybe(any::<i64>().prop_map(Value::Integer)),
            maybe(reals.prop_map(Value::Float)),
            maybe(floats.prop_map(Value::Float)),
            maybe("[^\\x00]{0,12}".prop_map(Value::Text)),
        ),
        (
            maybe("[^\\x00]{0,8}".prop_map(Value::Text)),
            maybe(any::<u128>().prop_map(|u| {
                Value::Uuid(Uuid {
                    high: (u >> 64) as u64,
                    low: u as u64,
                })
            })),
            maybe(json.prop_map(Value::Json)),
            maybe(
                (-62_135_596_800i64..253_402_300_799, 0u32..1_000_000_000).prop_map(
                    |(seconds, nanoseconds)| {
                        Value::Timestamp(Datetime {
                            seconds,
                            nanoseconds,
                        })
                    },
                ),
            ),
            maybe(dates),
            maybe(proptest::collection::vec(any::<u8>(), 0..6).prop_map(Value::Bytes)),
        ),
    )
        .prop_map(|((b, i2, i4, i8, f4, f8, t), (vc, u, jb, tsz, d, by))| {
            vec![b, i2, i4, i8, f4, f8, t, vc, u, jb, tsz, d, by]
        })
}

/// Writes `rows` into `table` in batches of `batch`: the table's digest, or
/// the error.
async fn write(
    db: &Database,
    table: &str,
    rows: &[Vec<Value>],
    batch: usize,
) -> Result<(), String> {
    let grant = Grant::new(vec![TableName::parse(table).unwrap()], vec!["local".into()]);
    let mut session = Session::new(db.begin().await.unwrap(), grant, &db.default_schema);
    let target = Target {
        table: table.to_owned(),
        columns: COLUMNS.iter().map(|c| c.to_string()).collect(),
        conflict: vec!["id".to_owned()],
        on_conflict: OnConflict::UpdateAll,
    };
    let mut writer = session
        .open(target)
        .await
        .map_err(|e| e.message().to_owned())?;
    let mut failed = None;
    for (n, chunk) in rows.chunks(batch).enumerate() {
        let values: Vec<Value> = chunk
            .iter()
            .enumerate()
            .flat_map(|(i, row)| {
                let id = Value::Integer((n * batch + i) as i64 + 1);
                std::iter::once(id).chain(row.iter().cloned())
            })
            .collect();
        if let Err(e) = session.write(&mut writer, values).await {
            failed = Some(e.message().to_owned());
            break;
        }
    }
    if failed.is_none()
        && let Err(e) = session.finish_writer(&mut writer).await
    {
        failed = Some(e.message().to_owned());
    }
    let outcome = session.finish().await;
    match failed.or(outcome.failure) {
        Some(e) => {
            outcome.tx.rollback().await.unwrap();
            Err(e)
        }
        None => {
            outcome.tx.commit().await.unwrap();
            Ok(())
        }
    }
}

#[test]
fn copy_and_unnest_agree_on_every_generated_batch() {
    let pg = PgDb::create();
    let admin = pg.db();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let database = runtime.block_on(Database::connect(&pg.url)).unwrap();
    let case = std::sync::atomic::AtomicUsize::new(0);
    let config = ProptestConfig {
        cases: 6,
        ..ProptestConfig::default()
    };
    proptest!(config, |(rows in proptest::collection::vec(row(), COPY_MIN_ROWS..COPY_MIN_ROWS + 50))| {
        let case = case.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (copied, unnested) = (format!("copied_{case}"), format!("unnested_{case}"));
        admin.execute(&table_sql(&copied));
        admin.execute(&table_sql(&unnested));
        let (by_copy, by_unnest) = runtime.block_on(async {
            (
                write(&database, &copied, &rows, rows.len()).await,
                write(&database, &unnested, &rows, COPY_MIN_ROWS / 3).await,
            )
        });
        prop_assert_eq!(by_copy.is_ok(), by_unnest.is_ok(), "COPY: {:?}, UNNEST: {:?}", by_copy, by_unnest);
        if by_copy.is_ok() {
            let digest = |table: &str| -> String {
                admin.scalar(&format!(
                    "SELECT md5(string_agg(x::text, '|' ORDER BY x.id)) FROM {table} x"
                ))
            };
            // The first row and column where the two tables differ, if any.
            let differ: String = admin.scalar(&format!(
                "SELECT COALESCE(string_agg(format('row %s, %s: COPY %s, UNNEST %s', c.id, col,
                        c.v, u.v), '; '), '')
                   FROM (SELECT id, key AS col, value AS v FROM {copied} x, jsonb_each_text(to_jsonb(x))) c
                   JOIN (SELECT id, key AS col, value AS v FROM {unnested} x, jsonb_each_text(to_jsonb(x))) u
                  USING (id, col)
                  WHERE c.v IS DISTINCT FROM u.v"
            ));
            prop_assert_eq!(differ, "");
            prop_assert_eq!(digest(&copied), digest(&unnested));
            prop_assert_eq!(admin.count(&copied), rows.len() as i64);
        }
    });
    runtime.block_on(database.close());
}
