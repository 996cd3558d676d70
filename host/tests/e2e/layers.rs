//! The three layers of the data-hydration document with this repository's own
//! configuration, migrations, plugins and smoke checks: setup, smoke, the
//! local-only test users, guarded resets, the curriculum, new migrations.

use crate::harness::*;

/// Every table the document counts, with its count after `setup` on `local`.
fn documented_counts(postgres: bool) -> Vec<(&'static str, i64)> {
    vec![
        ("content_snapshots", 1),
        ("domains", 1),
        ("trails", 3),
        ("concepts", 12),
        ("sparks", 18),
        ("beacons", 18),
        ("concept_prerequisites", 11),
        ("catalog_journeys", 1),
        ("catalog_chapters", 6),
        ("catalog_journey_chapters", 6),
        ("catalog_insights", 3),
        ("catalog_chapter_insights", 3),
        ("catalog_journey_enrollments", 5),
        ("catalog_journey_ratings", 5),
        (if postgres { "auth.users" } else { "auth_users" }, 4),
        ("subscriptions", 4),
        ("journeys", 2),
        ("learning_events", 6),
        ("access_tiers", 3),
    ]
}

fn counts_of(db: &Db, postgres: bool) -> Vec<(&'static str, i64)> {
    documented_counts(postgres)
        .into_iter()
        .map(|(t, _)| (t, db.count(t)))
        .collect()
}

fn setup_then_smoke(pg: Option<&PgDb>) {
    let project = Project::repo();
    let url: Vec<&str> = pg.map_or(vec![], |p| vec!["--database-url", p.url.as_str()]);
    let postgres = pg.is_some();
    let with_url = |args: &[&'static str]| -> Vec<&str> {
        let mut all = args.to_vec();
        all.extend(&url);
        all
    };

    let first = project.seedhost(&with_url(&["setup", "--json"])).ok_json();
    let ran: Vec<&str> = first["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        ran,
        ["curriculum", "test-users", "catalog"],
        "the document's local:setup order"
    );
    assert!(first["reset"].is_array());
    let db = || pg.map_or_else(|| project.sqlite(), PgDb::db);
    assert_eq!(counts_of(&db(), postgres), documented_counts(postgres));
    // The curriculum came with the baseline migration: the plugin changed nothing.
    assert!(
        counts(&first, 0)
            .iter()
            .all(|(_, [i, u, _])| *i == 0 && *u == 0),
        "{first}"
    );

    let smoke = project.seedhost(&with_url(&["smoke", "--json"])).ok_json();
    let checks = smoke["checks"].as_array().unwrap();
    assert!(checks.len() >= 5, "{smoke}");
    assert!(checks.iter().all(|c| c["passed"] == true), "{smoke}");

    let second = project.seedhost(&with_url(&["setup", "--json"])).ok_json();
    assert!(
        !second["reset"].as_array().unwrap().is_empty(),
        "the second setup reset what the first built"
    );
    assert_eq!(
        second["migrations"]["applied"],
        first["migrations"]["applied"]
    );
    assert_eq!(counts_of(&db(), postgres), documented_counts(postgres));
    assert!(project.seedhost(&with_url(&["smoke"])).0.status.success());
}

#[test]
fn sqlite_setup_reaches_the_documented_counts_and_smoke_passes() {
    setup_then_smoke(None);
}

#[test]
fn postgres_setup_reaches_the_documented_counts_and_smoke_passes() {
    let pg = PgDb::create();
    setup_then_smoke(Some(&pg));
}

#[test]
fn smoke_fails_on_a_mismatch_naming_column_expected_and_actual() {
    let project = Project::repo();
    project.seedhost(&["setup"]);
    project
        .sqlite()
        .execute("DELETE FROM catalog_journey_ratings WHERE user_id = 'bbbbbbbb-0001-0001-0001-000000000005'");
    let run = project.seedhost(&["smoke", "--json"]);
    run.failed();
    let report = run.json();
    let failed: Vec<&serde_json::Value> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["passed"] == false)
        .collect();
    assert_eq!(failed.len(), 1, "{report}");
    let problems = failed[0]["problems"].to_string();
    assert!(
        problems.contains("rating_count: expected 5, got 4"),
        "{problems}"
    );
    assert!(
        problems.contains("average_rating: expected 4.6, got 4.8"),
        "{problems}"
    );
}

#[test]
fn smoke_checks_are_added_without_rebuilding() {
    let project = Project::repo();
    project.seedhost(&["setup"]);
    std::fs::write(
        project.path().join("smoke/ours.toml"),
        "[[check]]\nname = 'our own'\nsql = \"SELECT COUNT(*) AS n FROM trails WHERE slug = 'foundations'\"\nexpect = { n = 2 }\n",
    )
    .unwrap();
    let run = project.seedhost(&["smoke", "--json"]);
    run.failed();
    let report = run.json();
    let ours = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "our own")
        .unwrap()
        .clone();
    assert_eq!(ours["problems"][0], "n: expected 2, got 1");
}

#[test]
fn test_users_never_run_outside_local() {
    let pg = PgDb::create();
    let project = Project::repo();
    let url = pg.url.as_str();
    // Named explicitly: refused before connecting, whatever the flags.
    for flags in [vec![], vec!["--dry-run"]] {
        let mut args = vec![
            "run",
            "test-users",
            "--env",
            "staging",
            "--database-url",
            url,
            "--json",
        ];
        args.extend(flags);
        let run = project.seedhost(&args);
        let out = run.failed();
        assert!(
            out.contains("`test-users` may run only in profile local"),
            "{out}"
        );
        assert_eq!(run.json()["plugins"], serde_json::json!([]));
    }
    assert!(
        !pg.db().table_exists("_seedhost_migrations"),
        "something connected and migrated"
    );

    // With --all on staging it is skipped; the others run.
    let report = project
        .seedhost(&[
            "run",
            "--all",
            "--env",
            "staging",
            "--database-url",
            url,
            "--json",
        ])
        .ok_json();
    let ran: Vec<&str> = report["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(ran, ["curriculum", "catalog"]);
    let db = pg.db();
    assert_eq!(db.count("auth.users"), 0);
    assert_eq!(db.count("subscriptions"), 0);
    assert_eq!(db.count("catalog_journey_enrollments"), 10);
    assert!(
        project
            .seedhost(&["smoke", "--env", "staging", "--database-url", url])
            .0
            .status
            .success()
    );

    // setup is local-only too.
    let out = project
        .seedhost(&["setup", "--env", "staging", "--database-url", url])
        .failed();
    assert!(
        out.contains("setup resets the database and is for the local profile only"),
        "{out}"
    );
}

#[test]
fn resetting_staging_needs_force_and_the_database_name() {
    let pg = PgDb::create();
    let project = Project::repo();
    let url = pg.url.as_str();
    project
        .seedhost(&[
            "run",
            "catalog",
            "--env",
            "staging",
            "--database-url",
            url,
            "--json",
        ])
        .ok_json();
    let db = pg.db();
    let before = db.snapshot(&CATALOG_TABLES);
    let confirm_hint = format!("--confirm {}", pg.name);
    let refusals: [(&[&str], &str); 3] = [
        (&[], "pass --force"),
        (&["--force"], &confirm_hint),
        (&["--force", "--confirm", "postgres"], "does not match"),
    ];
    for (flags, expected) in refusals {
        let mut args = vec!["reset", "--env", "staging", "--database-url", url];
        args.extend(flags);
        let out = project.seedhost(&args).failed();
        assert!(out.contains(expected), "{flags:?}: {out}");
        assert_eq!(
            db.snapshot(&CATALOG_TABLES),
            before,
            "{flags:?} touched the database"
        );
    }
    let confirmed = [
        "reset",
        "--env",
        "staging",
        "--database-url",
        url,
        "--force",
        "--confirm",
        pg.name.as_str(),
        "--json",
    ];
    let report = project.seedhost(&confirmed).ok_json();
    assert!(!report["reset"].as_array().unwrap().is_empty());
    assert_eq!(
        db.count("catalog_journey_enrollments"),
        0,
        "reset replays migrations only"
    );
    assert_eq!(
        db.count("catalog_journeys"),
        1,
        "the baseline journey is back"
    );
}

#[test]
fn local_reset_needs_no_confirmation_and_replays_migrations() {
    let project = Project::repo();
    project.seedhost(&["setup"]);
    let report = project.seedhost(&["reset", "--json"]).ok_json();
    let dropped = report["reset"].as_array().unwrap();
    assert!(
        dropped.iter().any(|d| d == "table subscriptions"),
        "{report}"
    );
    let db = project.sqlite();
    assert_eq!(db.count("subscriptions"), 0);
    assert_eq!(db.count("sparks"), 18, "the baseline migration ran again");
}

#[test]
fn curriculum_is_unchanged_after_migration_and_complete_on_an_empty_staging() {
    let project = Project::repo();
    let local = project.seedhost(&["run", "curriculum", "--json"]).ok_json();
    let total: u64 = counts(&local, 0).iter().map(|(_, [_, _, u])| u).sum();
    assert_eq!(total, 1 + 1 + 3 + 12 + 11 + 18 + 18);
    assert!(
        counts(&local, 0)
            .iter()
            .all(|(_, [i, u, _])| *i == 0 && *u == 0),
        "{local}"
    );

    // Staging whose migrations did not seed content: its curriculum tables are empty.
    let pg = PgDb::create();
    let url = pg.url.as_str();
    project
        .seedhost(&["migrate", "--env", "staging", "--database-url", url])
        .ok();
    let db = pg.db();
    db.execute(
        "DELETE FROM beacons; DELETE FROM sparks; DELETE FROM concept_prerequisites; DELETE FROM concepts; \
         DELETE FROM trails; DELETE FROM domains; DELETE FROM content_snapshots;",
    );
    assert_eq!(db.count("sparks"), 0);
    let staging = project
        .seedhost(&[
            "run",
            "curriculum",
            "--env",
            "staging",
            "--database-url",
            url,
            "--json",
        ])
        .ok_json();
    let mut inserted = counts(&staging, 0);
    inserted.sort();
    let expected: Vec<(String, [u64; 3])> = [
        ("beacons", 18),
        ("concept_prerequisites", 11),
        ("concepts", 12),
        ("content_snapshots", 1),
        ("domains", 1),
        ("sparks", 18),
        ("trails", 3),
    ]
    .iter()
    .map(|(t, n)| (t.to_string(), [*n, 0, 0]))
    .collect();
    assert_eq!(inserted, expected);
    // The rest of the document's staging hydration, then its smoke test.
    project
        .seedhost(&["run", "catalog", "--env", "staging", "--database-url", url])
        .ok();
    project
        .seedhost(&["smoke", "--env", "staging", "--database-url", url])
        .ok();
}

#[test]
fn new_creates_a_migration_the_next_run_applies() {
    let project = Project::repo();
    project.seedhost(&["migrate"]).ok();
    let run = project.seedhost(&["new", "add_learner_notes"]);
    assert!(run.0.status.success(), "{}", run.stderr());
    let path = std::path::PathBuf::from(run.stdout().trim());
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.ends_with("_add_learner_notes.sql"), "{name}");
    assert_eq!(name.len(), "20260101000000_add_learner_notes.sql".len());
    assert!(name[..14].bytes().all(|b| b.is_ascii_digit()), "{name}");
    let mut sql = std::fs::read_to_string(&path).unwrap();
    sql.push_str("CREATE TABLE learner_notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);\n");
    std::fs::write(&path, sql).unwrap();
    let report = project.seedhost(&["migrate", "--json"]).ok_json();
    assert_eq!(
        report["migrations"]["applied"],
        serde_json::json!([name.trim_end_matches(".sql")])
    );
    assert!(project.sqlite().table_exists("learner_notes"));

    for bad in ["AddNotes", "add-notes", "add__notes", "_add"] {
        let out = project.seedhost(&["new", bad]).failed();
        assert!(out.contains("is not snake_case"), "{bad}: {out}");
    }
}

#[test]
fn test_user_passwords_verify_as_bcrypt() {
    let pg = PgDb::create();
    let project = Project::repo();
    project
        .seedhost(&["setup", "--database-url", &pg.url, "--json"])
        .ok_json();
    let db = pg.db();
    for user in ["free", "pro", "premium", "admin"] {
        let hash: String = db.scalar(&format!(
            "SELECT encrypted_password FROM auth.users WHERE email = 'test-{user}@example.com'"
        ));
        assert!(hash.starts_with("$2a$10$"), "{hash}");
        assert!(bcrypt::verify("test123456", &hash).unwrap(), "{user}");
        assert!(!bcrypt::verify("wrong", &hash).unwrap());
    }
    // pgcrypto's crypt(), as SQL on a Supabase database checks passwords.
    db.execute("CREATE EXTENSION IF NOT EXISTS pgcrypto");
    let verified: i64 = db.scalar(
        "SELECT COUNT(*) FROM auth.users WHERE encrypted_password = crypt('test123456', encrypted_password)",
    );
    assert_eq!(verified, 4);
    let role: String = db.scalar(
        "SELECT raw_app_meta_data->>'role' FROM auth.users WHERE email = 'test-admin@example.com'",
    );
    assert_eq!(role, "admin");
    let plan: String = db.scalar(
        "SELECT s.tier FROM subscriptions s JOIN auth.users u ON u.id = s.user_id WHERE u.email = 'test-admin@example.com'",
    );
    assert_eq!(plan, "premium");
}

#[test]
fn verify_checks_every_plugin_and_dry_runs_them() {
    let project = Project::repo();
    let junit = project.path().join("verify.xml");
    let junit_arg = junit.display().to_string();
    let report = project
        .seedhost(&["verify", "--json", "--junit", &junit_arg])
        .ok_json();
    let checks = report["checks"].as_array().unwrap();
    for plugin in ["catalog", "curriculum", "test-users"] {
        for check in ["load", "grant", "dry-run", "idempotent"] {
            let found = checks
                .iter()
                .find(|c| c["plugin"] == plugin && c["check"] == check);
            assert_eq!(
                found.map(|c| c["passed"].clone()),
                Some(true.into()),
                "{plugin} {check}: {report}"
            );
        }
    }
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("tests=\"12\" failures=\"0\""), "{xml}");
    // A dry run writes nothing, not even the database file.
    assert!(!project.local_db().exists());

    // A grant narrower than what the plugin writes fails both checks.
    let config = std::fs::read_to_string(project.path().join("seedhost.toml")).unwrap();
    std::fs::write(
        project.path().join("seedhost.toml"),
        config.replace("    \"catalog_journey_ratings\",\n", ""),
    )
    .unwrap();
    let run = project.seedhost(&["verify", "--json", "--junit", &junit_arg]);
    run.failed();
    let report = run.json();
    let failed: Vec<String> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["passed"] == false)
        .map(|c| {
            let text = |k: &str| c[k].as_str().unwrap_or_default().to_owned();
            format!("{} {}: {}", text("plugin"), text("check"), text("detail"))
        })
        .collect();
    assert!(
        failed
            .iter()
            .any(|f| f.starts_with("catalog grant") && f.contains("catalog_journey_ratings")),
        "{failed:?}"
    );
    assert!(
        failed.iter().any(|f| f.starts_with("catalog dry-run")),
        "{failed:?}"
    );
    assert!(
        std::fs::read_to_string(&junit)
            .unwrap()
            .contains("<failure")
    );
}
