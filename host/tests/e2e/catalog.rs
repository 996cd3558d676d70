//! The catalog plugin on both databases: the document's row counts and stats,
//! idempotent re-runs, and dry runs that report a real run's counts and write
//! nothing.

use crate::harness::*;

/// What a first run on a migrated database writes for `local`.
fn local_first_run() -> Vec<(String, [u64; 3])> {
    expected(&[
        ("catalog_journeys", [0, 0, 1]), // the migration's baseline row, unchanged
        ("catalog_chapters", [6, 0, 0]),
        ("catalog_journey_chapters", [6, 0, 0]),
        ("catalog_insights", [3, 0, 0]),
        ("catalog_chapter_insights", [3, 0, 0]),
        ("catalog_journey_enrollments", [5, 0, 0]),
        ("catalog_journey_ratings", [5, 0, 0]),
    ])
}

/// Sorted by table, as `counts` gives them (JSON objects come back sorted).
fn expected(rows: &[(&str, [u64; 3])]) -> Vec<(String, [u64; 3])> {
    let mut rows: Vec<(String, [u64; 3])> = rows.iter().map(|(t, c)| (t.to_string(), *c)).collect();
    rows.sort();
    rows
}

/// Every row of `first` counted as unchanged.
fn all_unchanged(first: &[(String, [u64; 3])]) -> Vec<(String, [u64; 3])> {
    first
        .iter()
        .map(|(t, c)| (t.clone(), [0, 0, c.iter().sum()]))
        .collect()
}

fn table_counts(db: &Db) -> Vec<(String, i64)> {
    db.snapshot(&CATALOG_TABLES)
}

const LOCAL_ROWS: [i64; 7] = [1, 6, 6, 3, 3, 5, 5];

#[test]
fn sqlite_local_seeds_the_documented_rows_and_reruns_unchanged() {
    let project = Project::new(CATALOG);
    let first = project
        .seedhost(&["run", "catalog", "--env", "local", "--json"])
        .ok_json();
    assert_eq!(first["env"], "local");
    assert_eq!(first["dry_run"], false);
    assert!(first["database"].as_str().unwrap().starts_with("sqlite://"));
    assert_eq!(
        first["migrations"]["applied"],
        serde_json::json!(migration_stems(false))
    );
    assert_eq!(first["plugins"][0]["status"], "ok");
    assert_eq!(counts(&first, 0), local_first_run());

    let db = project.sqlite();
    let after_first = table_counts(&db);
    let rows: Vec<i64> = after_first.iter().map(|(_, n)| *n).collect();
    assert_eq!(rows, LOCAL_ROWS);
    // chapters, insights, learners, rating × 10, ratings, minutes
    assert_eq!(db.catalog_stats(), [6, 0, 5, 46, 5, 480]);

    let second = project
        .seedhost(&["run", "catalog", "--env", "local", "--json"])
        .ok_json();
    assert_eq!(second["migrations"]["applied"], serde_json::json!([]));
    assert_eq!(counts(&second, 0), all_unchanged(&local_first_run()));
    assert_eq!(table_counts(&db), after_first);
}

#[test]
fn human_output_is_a_table_per_plugin() {
    let project = Project::new(CATALOG);
    let run = project.seedhost(&["run", "catalog"]);
    assert!(run.0.status.success(), "{}", run.stderr());
    let out = run.stdout();
    assert!(out.contains("env local"), "{out}");
    assert!(out.contains("catalog · ok"), "{out}");
    for header in ["table", "inserted", "updated", "unchanged"] {
        assert!(out.contains(header), "{out}");
    }
    assert!(out.contains("catalog_journey_ratings"), "{out}");
}

#[test]
fn postgres_local_and_staging_seed_their_own_counts() {
    // local, with the URL from the environment
    let local = PgDb::create();
    let project = Project::new(CATALOG);
    let env = [("DATABASE_URL", local.url.as_str())];
    let first = project
        .seedhost_env(&["run", "catalog", "--env", "local", "--json"], &env)
        .ok_json();
    assert!(
        first["database"]
            .as_str()
            .unwrap()
            .starts_with("postgres://")
    );
    assert_eq!(counts(&first, 0), local_first_run());
    let db = local.db();
    let after_first = table_counts(&db);
    assert_eq!(
        after_first.iter().map(|(_, n)| *n).collect::<Vec<_>>(),
        LOCAL_ROWS
    );
    assert_eq!(db.catalog_stats(), [6, 0, 5, 46, 5, 480]);
    let second = project
        .seedhost_env(&["run", "catalog", "--env", "local", "--json"], &env)
        .ok_json();
    assert_eq!(counts(&second, 0), all_unchanged(&local_first_run()));
    assert_eq!(table_counts(&db), after_first);

    // staging, with the URL from .env.staging
    let staging = PgDb::create();
    std::fs::write(
        project.path().join(".env.staging"),
        format!("DATABASE_URL={}\n", staging.url),
    )
    .unwrap();
    let first = project
        .seedhost(&["run", "catalog", "--env", "staging", "--json"])
        .ok_json();
    let staging_first = expected(&[
        ("catalog_journeys", [0, 0, 1]),
        ("catalog_chapters", [6, 0, 0]),
        ("catalog_journey_chapters", [6, 0, 0]),
        ("catalog_insights", [3, 0, 0]),
        ("catalog_chapter_insights", [3, 0, 0]),
        ("catalog_journey_enrollments", [10, 0, 0]),
        ("catalog_journey_ratings", [8, 0, 0]),
    ]);
    assert_eq!(counts(&first, 0), staging_first);
    let db = staging.db();
    // 10 learners; 8 ratings averaging 4.625, shown as 4.6
    assert_eq!(db.catalog_stats(), [6, 0, 10, 46, 8, 480]);
    let second = project
        .seedhost(&["run", "catalog", "--env", "staging", "--json"])
        .ok_json();
    assert_eq!(counts(&second, 0), all_unchanged(&staging_first));
}

#[test]
fn a_changed_row_is_updated_and_only_that_row() {
    let pg = PgDb::create();
    let project = Project::new(CATALOG);
    let url = ["--database-url", pg.url.as_str()];
    project
        .seedhost(&["run", "catalog", "--json", url[0], url[1]])
        .ok_json();
    let db = pg.db();
    db.scalar::<i64>("WITH u AS (UPDATE catalog_chapters SET title = 'edited' WHERE slug = 'memory-and-context' RETURNING 1) SELECT COUNT(*) FROM u");
    let again = project
        .seedhost(&["run", "catalog", "--json", url[0], url[1]])
        .ok_json();
    let chapters = counts(&again, 0)
        .into_iter()
        .find(|(t, _)| t == "catalog_chapters")
        .unwrap();
    assert_eq!(chapters.1, [0, 1, 5]);
    assert_eq!(
        db.scalar::<String>("SELECT title FROM catalog_chapters WHERE slug = 'memory-and-context'"),
        "Memory and Context"
    );
}

fn dry_run_then_real(project: &Project, extra: &[&str], db: impl Fn() -> Db) {
    let mut args = vec!["run", "catalog", "--json", "--dry-run"];
    args.extend_from_slice(extra);
    let dry = project.seedhost(&args).ok_json();
    assert_eq!(dry["dry_run"], true);
    let applied = dry["migrations"]["applied"].as_array().unwrap().len();
    assert!(applied == migration_stems(false).len() || applied == migration_stems(true).len());
    assert_eq!(counts(&dry, 0), local_first_run());

    if extra.is_empty() {
        // The embedded default did not exist: the dry run left no file at all.
        assert!(
            !project.local_db().exists(),
            "a dry run created the database file"
        );
    } else {
        let db = db();
        assert!(
            !db.table_exists("_seedhost_migrations"),
            "a dry run left its migration record"
        );
        assert!(
            !db.table_exists("catalog_chapters"),
            "a dry run left a table"
        );
    }

    // The real run does what the dry run said it would.
    args.retain(|a| *a != "--dry-run");
    let real = project.seedhost(&args).ok_json();
    assert_eq!(counts(&real, 0), counts(&dry, 0));
    assert_eq!(real["migrations"]["applied"], dry["migrations"]["applied"]);
}

#[test]
fn sqlite_dry_run_reports_a_real_runs_counts_and_writes_nothing() {
    let project = Project::new(CATALOG);
    dry_run_then_real(&project, &[], || project.sqlite());
}

#[test]
fn postgres_dry_run_reports_a_real_runs_counts_and_writes_nothing() {
    let pg = PgDb::create();
    let project = Project::new(CATALOG);
    dry_run_then_real(&project, &["--database-url", &pg.url], || pg.db());
}
