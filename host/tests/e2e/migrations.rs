//! Migrations: applied once, in order, recorded with checksums; an edited
//! migration stops the run before any plugin; concurrent processes never apply
//! one migration twice.

use crate::harness::*;

const MIGRATION: &str = "20260223000001_add_catalog_journey_tables.sql";

fn edited_migration_stops_the_run(pg: Option<&PgDb>) {
    let project = Project::new(CATALOG);
    let url: Vec<&str> = pg.map_or(vec![], |p| vec!["--database-url", p.url.as_str()]);
    let mut args = vec!["run", "catalog", "--json"];
    args.extend(&url);
    project.seedhost(&args).ok_json();
    let db = pg.map_or_else(|| project.sqlite(), PgDb::db);
    let before = db.snapshot(&CATALOG_TABLES);

    let path = project.path().join("migrations").join(MIGRATION);
    let mut sql = std::fs::read_to_string(&path).unwrap();
    sql.push_str("\n-- an innocent-looking edit\n");
    std::fs::write(&path, sql).unwrap();

    let run = project.seedhost(&args);
    run.failed();
    let report = run.json();
    let error = report["error"].as_str().unwrap();
    assert!(error.contains(MIGRATION), "{error}");
    assert!(error.contains("changed after it was applied"), "{error}");
    assert_eq!(
        report["plugins"],
        serde_json::json!([]),
        "a plugin ran after a changed migration"
    );
    assert_eq!(db.snapshot(&CATALOG_TABLES), before);

    let mut status = vec!["status", "--json"];
    status.extend(&url);
    let status = project.seedhost(&status);
    status.failed();
    let entries = status.json()["migrations"].clone();
    let state = |stem: &str| {
        let entries = entries.as_array().unwrap();
        entries.iter().find(|e| e["name"] == stem).unwrap()["state"].clone()
    };
    assert_eq!(state(MIGRATION.trim_end_matches(".sql")), "changed");
    assert_eq!(state("20990101000000_create_fixture_items"), "applied");
}

#[test]
fn sqlite_edited_migration_stops_the_run_naming_the_file() {
    edited_migration_stops_the_run(None);
}

#[test]
fn postgres_edited_migration_stops_the_run_naming_the_file() {
    let pg = PgDb::create();
    edited_migration_stops_the_run(Some(&pg));
}

#[test]
fn status_lists_pending_then_applied_without_creating_the_database() {
    let project = Project::new(CATALOG);
    let status = project.seedhost(&["status", "--json"]).ok_json();
    let states: Vec<&str> = status["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, vec!["pending"; migration_stems(false).len()]);
    assert_eq!(status["plugins"][0]["name"], "catalog");
    assert_eq!(
        status["plugins"][0]["profiles"],
        serde_json::json!(["local", "staging"])
    );
    assert!(!project.local_db().exists(), "status created the database");
    project.seedhost(&["migrate"]);
    let status = project.seedhost(&["status", "--json"]).ok_json();
    let last = status["migrations"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["state"], "applied");
    assert_eq!(last["name"], "20990101000000_create_fixture_items");
}

#[test]
fn a_failing_migration_names_its_file_and_keeps_the_ones_before_it() {
    let project = Project::new(CATALOG);
    std::fs::write(
        project.path().join("migrations/20991231000000_broken.sql"),
        "CREATE TABLE oops (;",
    )
    .unwrap();
    let run = project.seedhost(&["run", "catalog", "--json"]);
    run.failed();
    let error = run.json()["error"].as_str().unwrap().to_owned();
    assert!(error.contains("20991231000000_broken.sql"), "{error}");
    let db = project.sqlite();
    assert_eq!(
        db.count("_seedhost_migrations"),
        migration_stems(false).len() as i64,
        "the good migrations stay applied"
    );
    assert!(!db.table_exists("oops"));
}

#[test]
fn badly_named_migration_files_are_refused_by_name() {
    // Not `<digits>_<name>.sql`, so not a migration for the Supabase CLI either
    // (a name off seedhost's convention that the CLI accepts is only a warning).
    let project = Project::new(CATALOG);
    std::fs::write(
        project.path().join("migrations/v2026_add_things.sql"),
        "SELECT 1;",
    )
    .unwrap();
    let out = project.seedhost(&["run", "catalog"]).failed();
    assert!(
        out.contains("v2026_add_things.sql: not a migration"),
        "{out}"
    );
    assert!(!project.local_db().exists());
}

/// Two processes migrate one database at the same moment: each migration is
/// applied exactly once and both succeed.
fn concurrent_migrations(pg: Option<&PgDb>) {
    let project = Project::new("");
    // A slow migration widens the race window.
    let slow = match pg {
        Some(_) => ("20991231000000_slow.postgres.sql", "SELECT pg_sleep(1);"),
        None => (
            "20991231000000_slow.sqlite.sql",
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000) SELECT COUNT(*) FROM n;",
        ),
    };
    std::fs::write(project.path().join("migrations").join(slow.0), slow.1).unwrap();
    let url: Vec<String> = pg.map_or(vec![], |p| vec!["--database-url".into(), p.url.clone()]);
    let children: Vec<std::process::Child> = (0..2)
        .map(|_| {
            std::process::Command::new(env!("CARGO_BIN_EXE_seedhost"))
                .args(["migrate", "--json"])
                .args(&url)
                .current_dir(project.path())
                .env_remove("DATABASE_URL")
                .env("SEEDHOST_CACHE_DIR", &project.cache)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut applied = 0;
    for child in children {
        let report = Run(child.wait_with_output().unwrap()).ok_json();
        applied += report["migrations"]["applied"].as_array().unwrap().len();
    }
    // The repository's, the fixture table's and the slow one.
    let expected = migration_stems(pg.is_some()).len() + 1;
    assert_eq!(
        applied, expected,
        "each migration applied by exactly one process"
    );
    let db = pg.map_or_else(|| project.sqlite(), PgDb::db);
    assert_eq!(db.count("_seedhost_migrations"), expected as i64);
}

#[test]
fn sqlite_concurrent_migrations_apply_each_once() {
    concurrent_migrations(None);
}

#[test]
fn postgres_concurrent_migrations_apply_each_once() {
    let pg = PgDb::create();
    concurrent_migrations(Some(&pg));
}
