//! PostgreSQL's write paths must store the same values: binary COPY (batches of
//! COPY_MIN_ROWS rows or more) straight into a table that was empty or into a
//! stage, and bound UNNEST arrays (smaller batches). Every type seedhost encodes
//! in COPY's binary format goes through each, with NULLs, edge values and
//! non-ASCII text, into twin tables. The direct COPY is taken only where it
//! gives what the upsert would: the cases where it must not be are checked.

use seedhost::contract::{Datetime, OnConflict, Target, Uuid, Value};
use seedhost::db::Database;
use seedhost::grant::{Grant, TableName};
use seedhost::store::{COPY_MIN_ROWS, Session, WriterId};

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

/// Runs `future` on a runtime of its own (the harness's `Db` blocks on the
/// shared one, so it cannot be used inside).
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
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
        ["copied", "unnested", "staged"]
            .iter()
            .map(|t| TableName::parse(t).unwrap())
            .collect(),
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
    // A table that holds a row takes the stage, never the direct COPY.
    db.execute(&table_sql("staged"));
    db.execute("INSERT INTO staged (id) VALUES (0)");
    let n = 2_500;
    let big = COPY_MIN_ROWS as i64 * 2;
    let small = COPY_MIN_ROWS as i64 / 4;
    block_on(async {
        let database = Database::connect(&pg.url).await.unwrap();
        assert_eq!(write(&database, "copied", n, big).await, [n as u64, 0, 0]);
        assert_eq!(
            write(&database, "unnested", n, small).await,
            [n as u64, 0, 0]
        );
        assert_eq!(write(&database, "staged", n, big).await, [n as u64, 0, 0]);
        // Re-runs through either path change nothing.
        assert_eq!(write(&database, "copied", n, big).await, [0, 0, n as u64]);
        assert_eq!(write(&database, "copied", n, small).await, [0, 0, n as u64]);
        assert_eq!(write(&database, "unnested", n, big).await, [0, 0, n as u64]);
        database.close().await;
    });
    let digest = |table: &str| -> String {
        db.scalar(&format!(
            "SELECT md5(string_agg(x::text, '|' ORDER BY x.id)) FROM {table} x WHERE x.id > 0"
        ))
    };
    assert_eq!(digest("copied"), digest("unnested"));
    assert_eq!(digest("staged"), digest("unnested"));
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

/// Rows `from..=to` of a two-column table, `v` saying which version.
fn versioned(from: i64, to: i64, v: u32) -> Vec<Value> {
    (from..=to)
        .flat_map(|i| [Value::Integer(i), Value::Text(format!("{i}-{v}"))])
        .collect()
}

/// A session of `database` granted `table`, and a writer of its (id, v).
async fn id_v_writer(
    database: &Database,
    table: &str,
    on_conflict: OnConflict,
) -> (Session, WriterId) {
    writer_of(database, table, &["id", "v"], on_conflict).await
}

/// A session of `database` granted `table`, and a writer of its `columns`,
/// keyed by `id`.
async fn writer_of(
    database: &Database,
    table: &str,
    columns: &[&str],
    on_conflict: OnConflict,
) -> (Session, WriterId) {
    let grant = Grant::new(
        vec![TableName::parse(table).unwrap()],
        vec!["local".to_owned()],
    );
    let mut session = Session::new(
        database.begin().await.unwrap(),
        grant,
        &database.default_schema,
    );
    let target = Target {
        table: table.to_owned(),
        columns: columns.iter().map(|c| (*c).to_owned()).collect(),
        conflict: vec!["id".to_owned()],
        on_conflict,
    };
    let writer = session.open(target).await.unwrap();
    (session, writer)
}

/// The error that writing `batch` ends in: batches are pipelined, so it
/// surfaces at the write or when the writer ends.
async fn refusal(session: &mut Session, writer: &mut WriterId, batch: Vec<Value>) -> String {
    let refused = match session.write(writer, batch).await {
        Err(e) => e,
        Ok(()) => session
            .finish_writer(writer)
            .await
            .expect_err("the batch is refused"),
    };
    format!("{refused:?}")
}

/// Writes `batches` into `table` (id, v) in one session of `database` and
/// returns the counts, and whether, before the commit, another session saw
/// the table locked as the direct COPY locks it.
async fn write_batches(
    database: &Database,
    observer: &mut sqlx::PgConnection,
    table: &str,
    batches: &[(i64, i64, u32)],
) -> ([u64; 3], bool) {
    let (mut session, mut writer) = id_v_writer(database, table, OnConflict::UpdateAll).await;
    for &(from, to, v) in batches {
        session
            .write(&mut writer, versioned(from, to, v))
            .await
            .unwrap();
    }
    let counts = session.finish_writer(&mut writer).await.unwrap();
    let locked: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT FROM pg_locks
                         WHERE relation = $1::regclass AND mode = 'ShareRowExclusiveLock' AND granted)",
    )
    .bind(table)
    .fetch_one(&mut *observer)
    .await
    .unwrap();
    let outcome = session.finish().await;
    assert_eq!(outcome.failure, None, "{table}");
    outcome.tx.commit().await.unwrap();
    ([counts.inserted, counts.updated, counts.unchanged], locked)
}

#[test]
fn the_direct_copy_is_taken_only_where_it_gives_what_the_upsert_would() {
    use sqlx::Connection;
    let pg = PgDb::create();
    let db = pg.db();
    for t in ["fresh", "holds_a_row", "triggered", "busy", "secured"] {
        db.execute(&format!(
            "CREATE TABLE {t} (id INTEGER PRIMARY KEY, v TEXT)"
        ));
    }
    db.execute("CREATE TABLE always (id INTEGER PRIMARY KEY GENERATED ALWAYS AS IDENTITY, v TEXT)");
    db.execute("INSERT INTO holds_a_row VALUES (0, 'kept')");
    // A unique index besides the key: ids n and n + 2000 collide in it.
    db.execute(&format!(
        "CREATE TABLE twin (id INTEGER PRIMARY KEY, v TEXT);
         CREATE UNIQUE INDEX twin_residue ON twin (((split_part(v, '-', 1)::int - 1) % {}))",
        2 * COPY_MIN_ROWS
    ));
    db.execute(
        "CREATE FUNCTION mark() RETURNS trigger LANGUAGE plpgsql AS
           $$ BEGIN NEW.v := 'x' || NEW.v; RETURN NEW; END $$;
         CREATE TRIGGER mark BEFORE INSERT ON triggered FOR EACH ROW EXECUTE FUNCTION mark()",
    );
    // A role subject to row-level security: COPY FROM refuses such a table.
    let role = format!("{}_rls", pg.name);
    db.execute(&format!(
        "CREATE ROLE {role} LOGIN NOSUPERUSER;
         GRANT ALL ON secured TO {role};
         ALTER TABLE secured ENABLE ROW LEVEL SECURITY;
         CREATE POLICY everything ON secured USING (true) WITH CHECK (true)"
    ));
    // Dropped before the database: what the role was granted goes first.
    struct DropRole(String, String);
    impl Drop for DropRole {
        fn drop(&mut self) {
            Db::connect(&self.1).execute(&format!("DROP OWNED BY {}", self.0));
            Db::connect(&postgres_admin_url()).execute(&format!("DROP ROLE {}", self.0));
        }
    }
    let _role = DropRole(role.clone(), pg.url.clone());
    block_on(async {
        let database = Database::connect(&pg.url).await.unwrap();
        let mut observer = sqlx::PgConnection::connect(&pg.url).await.unwrap();
        let big = COPY_MIN_ROWS as i64;

        // Empty: two batches of new keys go straight in; the third repeats
        // keys of both, so it takes the stage and updates them. The fourth,
        // built while the third was in flight, takes the stage too.
        let overlapping = [
            (1, 2 * big, 0),
            (2 * big + 1, 4 * big, 0),
            (big + 1, 3 * big, 1),
            (4 * big + 1, 5 * big, 0),
        ];
        let (counts, locked) = write_batches(&database, &mut observer, "fresh", &overlapping).await;
        let n = big as u64;
        assert_eq!(counts, [5 * n, 2 * n, 0]);
        assert!(locked, "the empty table was not locked for the direct COPY");
        let versions: Vec<(String, i64)> = sqlx::query_as(
            "SELECT split_part(v, '-', 2), COUNT(*) FROM fresh GROUP BY 1 ORDER BY 1",
        )
        .fetch_all(&mut observer)
        .await
        .unwrap();
        assert_eq!(
            versions,
            [("0".to_owned(), 3 * big), ("1".to_owned(), 2 * big)]
        );
        // Again: the table holds rows, so all of it goes through the stage.
        let (counts, locked) = write_batches(&database, &mut observer, "fresh", &overlapping).await;
        assert_eq!(counts, [0, 4 * n, 3 * n]);
        assert!(!locked);

        // A table that holds rows, one with a BEFORE INSERT trigger, one
        // another session is writing, and one under row-level security for
        // the writer: the stage, and every row written as the upsert does.
        let one = [(1, 2 * big, 0)];
        let (counts, locked) = write_batches(&database, &mut observer, "holds_a_row", &one).await;
        assert_eq!((counts, locked), ([2 * n, 0, 0], false));
        let (counts, locked) = write_batches(&database, &mut observer, "triggered", &one).await;
        assert_eq!((counts, locked), ([2 * n, 0, 0], false));
        let marked: String = sqlx::query_scalar("SELECT v FROM triggered WHERE id = 7")
            .fetch_one(&mut observer)
            .await
            .unwrap();
        assert_eq!(marked, "x7-0");

        let mut other = sqlx::PgConnection::connect(&pg.url).await.unwrap();
        let mut busy = other.begin().await.unwrap();
        sqlx::query("LOCK TABLE busy IN ROW EXCLUSIVE MODE")
            .execute(&mut *busy)
            .await
            .unwrap();
        let (counts, locked) = write_batches(&database, &mut observer, "busy", &one).await;
        assert_eq!((counts, locked), ([2 * n, 0, 0], false));
        busy.rollback().await.unwrap();

        let role_url = pg.url.replacen("postgres@", &format!("{role}@"), 1);
        assert_ne!(role_url, pg.url, "the test URL names its user as postgres@");
        let as_role = Database::connect(&role_url).await.unwrap();
        let (counts, locked) = write_batches(&as_role, &mut observer, "secured", &one).await;
        assert_eq!((counts, locked), ([2 * n, 0, 0], false));
        as_role.close().await;

        // A batch of new keys that another unique index refuses: the direct
        // COPY is undone, and the stage's upsert refuses it as it would have
        // without the direct path.
        let (mut session, mut writer) = id_v_writer(&database, "twin", OnConflict::UpdateAll).await;
        session
            .write(&mut writer, versioned(1, 2 * big, 0))
            .await
            .unwrap();
        let refused = refusal(
            &mut session,
            &mut writer,
            versioned(2 * big + 1, 4 * big, 0),
        )
        .await;
        assert!(refused.contains("twin_residue"), "{refused}");
        drop(session);

        // COPY takes values for a GENERATED ALWAYS identity that an INSERT
        // refuses: such a table keeps the stage, and the refusal.
        let (mut session, mut writer) =
            id_v_writer(&database, "always", OnConflict::UpdateAll).await;
        let refused = refusal(&mut session, &mut writer, versioned(1, 2 * big, 0)).await;
        assert!(refused.contains("GENERATED ALWAYS"), "{refused}");
        drop(session);
        database.close().await;
    });
    assert_eq!(db.count("holds_a_row"), 2 * COPY_MIN_ROWS as i64 + 1);
    assert_eq!(db.count("secured"), 2 * COPY_MIN_ROWS as i64);
}

/// SQLite writes a chunk in the way its first row suggests (a probe of that
/// row's key): every mix of new, changed and unchanged rows must still count
/// each row once and store what the upsert would.
#[test]
fn sqlite_counts_every_mix_of_new_changed_and_unchanged_rows() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("mix.db").display());
    block_on(async {
        use sqlx::{Connection, Executor};
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        conn.execute(
            "CREATE TABLE mix (id INTEGER PRIMARY KEY, v TEXT);
             CREATE TABLE kept (id INTEGER PRIMARY KEY, v TEXT)",
        )
        .await
        .unwrap();
        let database = Database::connect(&url).await.unwrap();
        // (ids, version) per batch: the rows `id-version`.
        let write = async |table: &str, on_conflict: OnConflict, batch: Vec<(i64, u32)>| {
            let (mut session, mut writer) = id_v_writer(&database, table, on_conflict).await;
            let values = batch
                .iter()
                .flat_map(|&(i, v)| [Value::Integer(i), Value::Text(format!("{i}-{v}"))])
                .collect();
            session.write(&mut writer, values).await.unwrap();
            let counts = session.finish_writer(&mut writer).await.unwrap();
            let outcome = session.finish().await;
            assert_eq!(outcome.failure, None);
            outcome.tx.commit().await.unwrap();
            [counts.inserted, counts.updated, counts.unchanged]
        };
        let up = || OnConflict::UpdateAll;
        // New rows only.
        assert_eq!(
            write("mix", up(), (1..=4).map(|i| (i, 0)).collect()).await,
            [4, 0, 0]
        );
        // Unchanged rows only: one statement.
        assert_eq!(
            write("mix", up(), (1..=4).map(|i| (i, 0)).collect()).await,
            [0, 0, 4]
        );
        // The first row stored and unchanged, then changed and new rows.
        let batch = vec![(1, 0), (2, 1), (3, 0), (4, 1), (5, 0), (6, 0)];
        assert_eq!(write("mix", up(), batch).await, [2, 2, 2]);
        // The first row new, then stored ones, changed and not.
        let batch = vec![(7, 0), (1, 2), (2, 1), (5, 0)];
        assert_eq!(write("mix", up(), batch).await, [1, 1, 2]);
        // The first row stored and changed, the rest unchanged.
        let batch = vec![(3, 3), (4, 1), (6, 0)];
        assert_eq!(write("mix", up(), batch).await, [0, 1, 2]);
        // DO NOTHING: stored rows are unchanged whatever their values.
        assert_eq!(
            write("kept", OnConflict::DoNothing, vec![(1, 0), (2, 0)]).await,
            [2, 0, 0]
        );
        let batch = vec![(1, 9), (3, 0), (2, 9)];
        assert_eq!(write("kept", OnConflict::DoNothing, batch).await, [1, 0, 2]);

        database.close().await;
        let rows: Vec<(String,)> = sqlx::query_as("SELECT v FROM mix ORDER BY id")
            .fetch_all(&mut conn)
            .await
            .unwrap();
        let rows: Vec<String> = rows.into_iter().map(|(v,)| v).collect();
        assert_eq!(rows, ["1-2", "2-1", "3-3", "4-1", "5-0", "6-0", "7-0"]);
        let rows: Vec<(String,)> = sqlx::query_as("SELECT v FROM kept ORDER BY id")
            .fetch_all(&mut conn)
            .await
            .unwrap();
        let rows: Vec<String> = rows.into_iter().map(|(v,)| v).collect();
        assert_eq!(rows, ["1-0", "2-0", "3-0"]);
    });
}

/// Document `i` in one of several spellings of the same jsonb value: `form` 0
/// is compact, 1 reorders keys, spaces them and escapes what it can, 2 repeats
/// a key (jsonb keeps the last) and writes a number with an exponent.
fn document(i: i64, form: u8) -> String {
    match form {
        0 => format!(r#"{{"n":{i},"s":"é\t/","list":[1,2.5,{{"z":null}}],"bb":true}}"#),
        1 => format!(
            "{{ \"list\" : [ 1 , 2.5 , {{ \"z\" : null }} ] ,\n \"bb\" : true, \
             \"s\" : \"\\u00e9\\u0009\\/\", \"n\" : {i} }}"
        ),
        _ => format!(r#"{{"n":-1,"s":"é\t/","bb":true,"list":[1,25e-1,{{"z":null}}],"n":{i}}}"#),
    }
}

/// Rows `from..=to` of (id, doc jsonb, j json): `doc` in `form`, plus `bump`
/// in its `n` for every seventh row; `j` always compact.
fn documents(from: i64, to: i64, form: u8, bump: i64) -> Vec<Value> {
    (from..=to)
        .flat_map(|i| {
            let n = if i % 7 == 0 { i + bump } else { i };
            [
                Value::Integer(i),
                Value::Json(document(n, form)),
                Value::Json(document(i, 0)),
            ]
        })
        .collect()
}

/// jsonb documents reach the stage printed as the database prints jsonb, so
/// that an unchanged one is told by its text; however a document is spelled,
/// the stage stores and compares it as jsonb does.
#[test]
fn jsonb_documents_are_staged_as_the_database_prints_them() {
    use seedhost::store::jsonb_text;
    let pg = PgDb::create();
    let db = pg.db();
    // The server's own print of jsonb, for documents seedhost prints alike,
    // and the same value for those it leaves as written.
    let alike = [
        document(7, 0),
        document(7, 1).replace("\\u00e9", "é"),
        r#"{"bb":1,"a":[],"ab":{},"a":"x","":"\"\\\b\f\n\r\t\u0001\u001F"}"#.to_owned(),
        r#"[-0.5, 10, 1.50, true, false, null, "\u0041\/", [[]]]"#.to_owned(),
        r#""just text""#.to_owned(),
        "12".to_owned(),
    ];
    for text in &alike {
        let printed = jsonb_text(text).expect(text);
        let server: String = db.scalar(&format!(
            "SELECT ('{}'::jsonb)::text",
            text.replace('\'', "''")
        ));
        assert_eq!(printed, server, "{text}");
    }
    for text in [
        document(7, 1),
        document(7, 2),
        r#"{"k": "\u00e9", "e": 1E+2, "z": -0}"#.to_owned(),
    ] {
        let printed = jsonb_text(&text).expect(&text);
        let same: bool = db.scalar(&format!(
            "SELECT '{}'::jsonb = '{}'::jsonb",
            text.replace('\'', "''"),
            printed.replace('\'', "''")
        ));
        assert!(same, "{text} printed as {printed}");
    }

    for table in ["docs", "twin"] {
        db.execute(&format!(
            "CREATE TABLE {table} (id INTEGER PRIMARY KEY, doc JSONB, j JSON);
             INSERT INTO {table} VALUES (0, '{{}}', '{{}}')"
        ));
    }
    let big = COPY_MIN_ROWS as i64;
    let n = 3 * big;
    let bumped = (n / 7) as u64;
    let write = |table: &'static str, rows: i64, form: u8, bump: i64| {
        let url = pg.url.clone();
        block_on(async move {
            let database = Database::connect(&url).await.unwrap();
            let (mut session, mut writer) =
                writer_of(&database, table, &["id", "doc", "j"], OnConflict::UpdateAll).await;
            let mut from = 1;
            while from <= n {
                let to = (from + rows - 1).min(n);
                session
                    .write(&mut writer, documents(from, to, form, bump))
                    .await
                    .unwrap();
                from = to + 1;
            }
            let counts = session.finish_writer(&mut writer).await.unwrap();
            let outcome = session.finish().await;
            assert_eq!(outcome.failure, None);
            outcome.tx.commit().await.unwrap();
            database.close().await;
            [counts.inserted, counts.updated, counts.unchanged]
        })
    };
    let versions = |table: &str| -> String {
        db.scalar(&format!(
            "SELECT md5(string_agg(id || ':' || xmin, ',' ORDER BY id)) FROM {table}"
        ))
    };
    let digest = |table: &str| -> String {
        db.scalar(&format!(
            "SELECT md5(string_agg(id || doc::text || j::text, ',' ORDER BY id)) FROM {table}"
        ))
    };
    // Through the stage (the table holds a row), and by UNNEST.
    assert_eq!(write("docs", big, 0, 0), [n as u64, 0, 0]);
    assert_eq!(write("twin", big / 4, 0, 0), [n as u64, 0, 0]);
    assert_eq!(digest("docs"), digest("twin"));
    // Spelled otherwise, the same values: nothing changes, nothing rewritten.
    let before = versions("docs");
    for form in [0, 1, 2] {
        assert_eq!(write("docs", big, form, 0), [0, 0, n as u64], "form {form}");
    }
    assert_eq!(versions("docs"), before);
    // Every seventh document changed, in each spelling.
    for (form, bump) in [(1, 1), (2, 2), (0, 3)] {
        assert_eq!(
            write("docs", big, form, bump),
            [0, bumped, n as u64 - bumped],
            "form {form}"
        );
        assert_eq!(
            write("twin", big / 4, 0, bump),
            [0, bumped, n as u64 - bumped]
        );
        assert_eq!(digest("docs"), digest("twin"), "form {form}");
    }
}
