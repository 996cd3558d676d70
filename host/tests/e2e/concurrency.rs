//! Eight CI jobs seeding one database at once: every one succeeds, each
//! migration is applied once, and the rows are exactly one run's.

use crate::harness::*;

fn eight_at_once(pg: Option<&PgDb>) {
    let project = Project::repo();
    let url: Vec<String> = pg.map_or(vec![], |p| vec!["--database-url".into(), p.url.clone()]);
    let mut args = vec!["run", "--all", "--json"];
    args.extend(url.iter().map(String::as_str));
    let children: Vec<std::process::Child> = (0..8).map(|_| project.spawn(&args)).collect();
    let mut applied = 0;
    for child in children {
        let report = Run(child.wait_with_output().unwrap()).ok_json();
        applied += report["migrations"]["applied"].as_array().unwrap().len();
    }
    let mut stems = migration_stems(pg.is_some());
    stems.retain(|s| s != "20990101000000_create_fixture_items");
    assert_eq!(
        applied,
        stems.len(),
        "each migration applied by exactly one process"
    );
    let db = pg.map_or_else(|| project.sqlite(), PgDb::db);
    assert_eq!(db.count("_seedhost_migrations"), stems.len() as i64);
    let users = if pg.is_some() {
        "auth.users"
    } else {
        "auth_users"
    };
    let identities = if pg.is_some() {
        "auth.identities"
    } else {
        "auth_identities"
    };
    assert_eq!(
        db.snapshot(&[
            users,
            identities,
            "subscriptions",
            "catalog_journey_enrollments",
            "concepts"
        ]),
        [
            (users.to_owned(), 4),
            (identities.to_owned(), 4),
            ("subscriptions".to_owned(), 4),
            ("catalog_journey_enrollments".to_owned(), 5),
            ("concepts".to_owned(), 12),
        ]
    );
}

#[test]
fn sqlite_eight_concurrent_runs_all_succeed() {
    eight_at_once(None);
}

#[test]
fn postgres_eight_concurrent_runs_all_succeed() {
    let pg = PgDb::create();
    eight_at_once(Some(&pg));
}
