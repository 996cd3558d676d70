//! Writes are checked against the live schema: unknown tables and columns,
//! SQL-looking identifiers and values that do not fit are clear errors, and
//! nothing is written. Values are always bound, never spliced.

use crate::harness::*;

const WRITER: &str = r#"
[plugins.write]
wasm = "{wasm}/hostile.wasm"
tables = ["fixture_items", "no_such_table", "fixture_items\"; DROP TABLE fixture_items; --"]
profiles = ["local"]
params = { mode = "write", table = "fixture_items", conflict = "id" }
"#;

struct Case {
    table: &'static str,
    columns: &'static str,
    rows: &'static str,
    expect: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        table: "no_such_table",
        columns: "id",
        rows: "int:1",
        expect: &["no table no_such_table"],
    },
    Case {
        table: "catalog_journeys",
        columns: "id",
        rows: "int:1",
        expect: &["table catalog_journeys is not in this plugin's grant"],
    },
    Case {
        table: "fixture_items",
        columns: "id,nmae",
        rows: "int:1|text:x",
        expect: &["table fixture_items has no column \"nmae\""],
    },
    Case {
        table: "fixture_items\"; DROP TABLE fixture_items; --",
        columns: "id",
        rows: "int:1",
        expect: &["no table fixture_items\"; DROP TABLE fixture_items; --"],
    },
    Case {
        table: "fixture_items",
        columns: "id,name\") VALUES (1, 'x'); DROP TABLE fixture_items; --",
        rows: "int:1|text:x",
        expect: &["has no column \"name\\\") VALUES (1"],
    },
    Case {
        table: "fixture_items",
        columns: "id,name,qty",
        rows: "int:1|text:a|int:1;int:2|text:b|text:many",
        expect: &[
            "table fixture_items, column qty",
            "row 2",
            "expected integer, got text \"many\"",
        ],
    },
    Case {
        table: "fixture_items",
        columns: "id,name,at",
        rows: "int:1|text:a|text:yesterday",
        expect: &["column at", "row 1", "is not a timestamp"],
    },
    Case {
        table: "fixture_items",
        columns: "id,name,doc",
        rows: "int:1|text:a|json:{oops",
        expect: &["column doc", "row 1", "invalid JSON"],
    },
    Case {
        table: "fixture_items",
        columns: "id,name",
        rows: "int:1|null",
        expect: &["column name", "row 1", "null in a NOT NULL column"],
    },
    Case {
        table: "fixture_items",
        columns: "id,name",
        rows: "int:7|text:a;int:7|text:b",
        expect: &["rows 1 and 2 have the same conflict key (id) = (7)"],
    },
];

fn bad_input_is_refused_and_nothing_written(pg: Option<&PgDb>) {
    let project = Project::new(WRITER);
    let url: Vec<&str> = pg.map_or(vec![], |p| vec!["--database-url", p.url.as_str()]);
    let mut migrate = vec!["migrate"];
    migrate.extend(&url);
    assert!(project.seedhost(&migrate).0.status.success());
    let db = || pg.map_or_else(|| project.sqlite(), PgDb::db);
    for case in CASES {
        let table = format!("table={}", case.table);
        let columns = format!("columns={}", case.columns);
        let rows = format!("rows={}", case.rows);
        let mut args = vec![
            "run", "write", "--json", "--param", &table, "--param", &columns, "--param", &rows,
        ];
        args.extend(&url);
        let run = project.seedhost(&args);
        run.failed();
        let error = run.json()["plugins"][0]["error"]
            .as_str()
            .unwrap()
            .to_owned();
        for expected in case.expect {
            assert!(
                error.contains(expected),
                "{}: expected {expected:?} in {error:?}",
                case.columns
            );
        }
        assert_eq!(db().count("fixture_items"), 0, "{error}");
        assert!(db().table_exists("fixture_items"), "{error}");
    }
}

#[test]
fn sqlite_bad_input_is_refused_and_nothing_written() {
    bad_input_is_refused_and_nothing_written(None);
}

#[test]
fn postgres_bad_input_is_refused_and_nothing_written() {
    let pg = PgDb::create();
    bad_input_is_refused_and_nothing_written(Some(&pg));
}

/// Typed values land in their columns as themselves, SQL-looking text included,
/// and writing them again changes nothing.
fn values_are_bound_and_round_trip(pg: Option<&PgDb>) {
    let project = Project::new(WRITER);
    let url: Vec<&str> = pg.map_or(vec![], |p| vec!["--database-url", p.url.as_str()]);
    let rows = "rows=int:1|text:Robert') OR 1=1 --|int:3|float:12.5|json:{\"a\": [1, 2]}|text:2026-02-23T09:00:00Z;\
                int:2|text:plain|null|int:4|null|null";
    let mut args = vec![
        "run",
        "write",
        "--json",
        "--param",
        "columns=id,name,qty,price,doc,at",
        "--param",
        rows,
    ];
    args.extend(&url);
    let first = project.seedhost(&args).ok_json();
    assert_eq!(
        counts(&first, 0),
        vec![("fixture_items".to_owned(), [2, 0, 0])]
    );
    let second = project.seedhost(&args).ok_json();
    assert_eq!(
        counts(&second, 0),
        vec![("fixture_items".to_owned(), [0, 0, 2])]
    );
    let db = pg.map_or_else(|| project.sqlite(), PgDb::db);
    assert_eq!(
        db.scalar::<String>("SELECT name FROM fixture_items WHERE id = 1"),
        "Robert') OR 1=1 --"
    );
    assert_eq!(
        db.scalar::<i64>("SELECT CAST(price * 10 AS BIGINT) FROM fixture_items WHERE id = 1"),
        125
    );
    assert_eq!(
        db.scalar::<i64>("SELECT COUNT(*) FROM fixture_items WHERE at IS NULL AND doc IS NULL"),
        1
    );
}

#[test]
fn sqlite_values_are_bound_and_round_trip() {
    values_are_bound_and_round_trip(None);
}

#[test]
fn postgres_values_are_bound_and_round_trip() {
    let pg = PgDb::create();
    values_are_bound_and_round_trip(Some(&pg));
}

/// Citus: a stand-in of its catalog (`pg_dist_partition`, with Citus's
/// columns) marks fixture_items as hash-distributed. A conflict target
/// without the distribution column is refused before any row is written;
/// one that includes it writes.
#[test]
fn postgres_citus_conflict_keys_must_include_the_distribution_column() {
    let pg = PgDb::create();
    let project = Project::new(WRITER);
    project
        .seedhost(&["migrate", "--database-url", &pg.url])
        .ok();
    let distribute = |column: &str| {
        pg.db().execute(&format!(
            "DELETE FROM pg_dist_partition;
             INSERT INTO pg_dist_partition
             SELECT 'fixture_items'::regclass, 'h',
                    '{{VAR :varno 1 :varattno ' || attnum || ' :vartype 23 :vartypmod -1 \
                      :varcollid 0 :varlevelsup 0 :varnosyn 1 :varattnosyn ' || attnum || \
                      ' :location -1}}', 1, 's'
               FROM pg_attribute
              WHERE attrelid = 'fixture_items'::regclass AND attname = '{column}'"
        ));
    };
    pg.db().execute(
        "CREATE TABLE pg_dist_partition (logicalrelid regclass NOT NULL, partmethod \"char\" NOT NULL,
                                         partkey text, colocationid integer, repmodel \"char\")",
    );
    pg.db()
        .execute("CREATE UNIQUE INDEX fixture_items_name_id ON fixture_items (name, id)");
    distribute("name");
    let write = |conflict: &str| {
        project.seedhost(&[
            "run",
            "write",
            "--json",
            "--database-url",
            &pg.url,
            "--param",
            "table=fixture_items",
            "--param",
            "columns=id,name",
            "--param",
            "rows=int:1|text:a;int:2|text:b",
            "--param",
            &format!("conflict={conflict}"),
        ])
    };
    let run = write("id");
    run.failed();
    let error = run.json()["plugins"][0]["error"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        error.contains("table fixture_items is distributed by Citus on column name")
            && error.contains("conflict target (id) must include it")
            && error.contains("(name, id)"),
        "{error}"
    );
    assert_eq!(pg.db().count("fixture_items"), 0);
    // A key with the distribution column writes.
    write("name,id").ok();
    assert_eq!(pg.db().count("fixture_items"), 2);
    // Distributed on the key itself: the primary key is fine.
    distribute("id");
    write("id").ok();
}
