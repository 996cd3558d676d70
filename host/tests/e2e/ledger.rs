//! The seed ledger, run policies and `seedhost plan`, on SQLite and
//! PostgreSQL: what a committed run records, what `on-change` and `once`
//! skip and why, that a plan and the run after it agree, and
//! `--detailed-exitcode`.

use std::path::Path;

use crate::harness::*;

/// catalog (on-change), follower (on-change, after catalog), first (once),
/// and broken (staging only; fails).
fn policies_project() -> Project {
    let catalog = wasm_dir().join("catalog.wasm");
    let config = format!(
        "{}policy = \"on-change\"\n{}after = [\"catalog\"]\npolicy = \"on-change\"\n{}policy = \"once\"\n{}",
        catalog_entry("catalog", &catalog),
        catalog_entry("follower", &catalog),
        catalog_entry("first", &catalog),
        hostile("broken", "no-such-mode", "").replace("[\"local\", \"staging\"]", "[\"staging\"]"),
    );
    Project::new(&config)
}

fn reason<'s>(skipped: &'s [(String, String)], name: &str) -> &'s str {
    skipped
        .iter()
        .find(|(n, _)| n == name)
        .map_or("(not skipped)", |(_, r)| r.as_str())
}

fn ledger_table(url: &str) -> &'static str {
    if url.starts_with("sqlite") {
        "_seedhost_seed_ledger"
    } else {
        "seedhost.seed_ledger"
    }
}

/// `(name, action, reason)` of each plugin in a plan.
fn planned(plan: &serde_json::Value) -> Vec<(String, String, String)> {
    plan["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_owned(),
                p["action"].as_str().unwrap().to_owned(),
                p["reason"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// Plugins a run report says ran, and those it skipped with the reason.
fn ran(report: &serde_json::Value) -> (Vec<String>, Vec<(String, String)>) {
    let ran = report["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect();
    let skipped = report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["plugin"].as_str().unwrap().to_owned(),
                s["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    (ran, skipped)
}

/// `plan` then `run` with the same arguments: the run does what the plan said.
fn plan_then_run(project: &Project, url: &str, args: &[&str]) -> serde_json::Value {
    let mut plan_args = vec!["plan", "--database-url", url, "--json"];
    plan_args.extend(args);
    let plan = project.seedhost(&plan_args).ok_json();
    let mut run_args = vec!["run", "--database-url", url, "--json"];
    run_args.extend(args);
    let run = project.seedhost(&run_args).json();
    let (ran_now, skipped) = ran(&run);
    let would: Vec<String> = planned(&plan)
        .into_iter()
        .filter(|(_, action, _)| action == "run")
        .map(|(name, ..)| name)
        .collect();
    assert_eq!(ran_now, would, "plan {plan}\nrun {run}");
    for (name, action, reason) in planned(&plan) {
        if action == "skip" {
            assert!(
                skipped.contains(&(name.clone(), reason.clone())),
                "{name}: {reason}; run skipped {skipped:?}"
            );
        }
    }
    assert_eq!(
        plan["migrations"]["pending"], run["migrations"]["applied"],
        "plan {plan}\nrun {run}"
    );
    run
}

fn exit_code(project: &Project, args: &[&str]) -> Option<i32> {
    project.seedhost(args).code()
}

fn policies_on(project: &Project, url: &str) {
    let table = ledger_table(url);
    let all = ["--all"];
    let detailed = ["plan", "--database-url", url, "--detailed-exitcode"];
    assert_eq!(exit_code(project, &detailed), Some(2), "a fresh database");
    let counted = project
        .seedhost(&["plan", "--counts", "--database-url", url, "--json"])
        .ok_json();
    let catalog = &counted["plugins"][0];
    assert_eq!(catalog["name"], "catalog", "{counted}");
    assert_eq!(
        catalog["tables"]["catalog_chapters"]["inserted"], 6,
        "{counted}"
    );
    assert_eq!(
        Db::connect(url).count(ledger_table(url)),
        0,
        "--counts wrote nothing"
    );

    // Nothing ran yet: everything granted runs.
    let run = plan_then_run(project, url, &all);
    assert_eq!(ran(&run).0, ["catalog", "first", "follower"], "{run}");
    assert_eq!(
        reason(&ran(&run).1, "broken"),
        "its grant allows staging only"
    );
    let db = Db::connect(url);
    assert_eq!(db.count(table), 3, "catalog, first, follower");
    // A failed run is rolled back with its ledger row.
    let failed = project.seedhost(&["run", "broken", "--env", "staging", "--database-url", url]);
    assert!(failed.failed().contains("no-such-mode"));
    assert_eq!(db.count(table), 3);
    assert_eq!(db.count("fixture_items"), 0);
    let digest: String = db.scalar(&format!(
        "SELECT digest FROM {table} WHERE name = 'catalog'"
    ));
    let wasm = std::fs::read(wasm_dir().join("catalog.wasm")).unwrap();
    assert_eq!(digest, sha256_hex(&wasm));
    let counts: String = db.scalar(&format!(
        "SELECT CAST(counts AS TEXT) FROM {table} WHERE name = 'catalog'"
    ));
    assert!(counts.contains("catalog_chapters"), "{counts}");
    let recorded: String = db.scalar(&format!(
        "SELECT migration_version || ' ' || profile || ' ' || host_version FROM {table} \
         WHERE name = 'first'"
    ));
    assert_eq!(
        recorded,
        format!("20990101000000 local {}", env!("CARGO_PKG_VERSION"))
    );

    // Nothing changed: on-change and once skip, saying why.
    let config = project.path().join("seedhost.toml");
    assert_eq!(
        exit_code(project, &detailed),
        Some(0),
        "nothing would change"
    );
    let run = plan_then_run(project, url, &all);
    let (ran_now, skipped) = ran(&run);
    assert!(ran_now.is_empty(), "{run}");
    for name in ["catalog", "follower"] {
        assert!(
            reason(&skipped, name).starts_with("unchanged since 20"),
            "{skipped:?}"
        );
    }
    assert!(
        reason(&skipped, "first").starts_with("once: ran at 20"),
        "{skipped:?}"
    );
    assert_eq!(db.count(table), 3);
    // With --counts, a plugin that would run but change no row changes nothing.
    let counted = [
        "plan",
        "--ignore-policy",
        "--counts",
        "--detailed-exitcode",
        "--database-url",
        url,
    ];
    assert_eq!(exit_code(project, &counted), Some(0));
    assert_eq!(
        exit_code(
            project,
            &[
                "plan",
                "--ignore-policy",
                "--detailed-exitcode",
                "--database-url",
                url
            ]
        ),
        Some(2),
        "without --counts, a plugin that would run is a change"
    );
    // A dry run decides alike.
    let dry = project
        .seedhost(&["run", "--all", "--dry-run", "--database-url", url, "--json"])
        .ok_json();
    assert_eq!(ran(&dry), (Vec::new(), skipped.clone()));

    // catalog runs alone with another parameter: next time it runs again
    // (its parameters changed back), and follower with it (what it comes
    // after ran since it did).
    project
        .seedhost(&[
            "run",
            "catalog",
            "--param",
            "extra=1",
            "--database-url",
            url,
        ])
        .ok();
    let run = plan_then_run(project, url, &all);
    assert_eq!(ran(&run).0, ["catalog", "follower"], "{run}");
    assert_eq!(db.count(table), 6);

    // --ignore-policy runs what once would skip; verify and --dry-run record nothing.
    let run = plan_then_run(project, url, &["first", "--ignore-policy"]);
    assert_eq!(ran(&run).0, ["first"]);
    project
        .seedhost(&["verify", "--database-url", url, "--json"])
        .ok();
    project
        .seedhost(&[
            "run",
            "catalog",
            "--ignore-policy",
            "--dry-run",
            "--database-url",
            url,
        ])
        .ok();
    assert_eq!(db.count(table), 7);

    // status: when each last ran here, and what changed since.
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        text.replacen(
            "policy = \"on-change\"",
            "policy = \"on-change\"\nparams = { extra = \"2\" }",
            1,
        ),
    )
    .unwrap();
    let status = project
        .seedhost(&["status", "--database-url", url, "--json"])
        .ok_json();
    let plugins = status["plugins"].as_array().unwrap();
    let catalog = plugins.iter().find(|p| p["name"] == "catalog").unwrap();
    assert_eq!(catalog["policy"], "on-change");
    assert_eq!(
        catalog["last_run"]["changed"],
        serde_json::json!(["params"]),
        "{status}"
    );
    let follower = plugins.iter().find(|p| p["name"] == "follower").unwrap();
    assert_eq!(
        follower["last_run"]["changed"],
        serde_json::json!([]),
        "{status}"
    );
    let broken = plugins.iter().find(|p| p["name"] == "broken").unwrap();
    assert!(broken["last_run"].is_null(), "{status}");
    let human = project
        .seedhost(&["status", "--database-url", url])
        .ok()
        .stdout();
    assert!(human.contains("params changed since"), "{human}");

    // A new migration: on-change plugins run again.
    std::fs::write(
        project.path().join("migrations/20990102000000_more.sql"),
        "CREATE TABLE more_items (id INTEGER PRIMARY KEY);",
    )
    .unwrap();
    let run = plan_then_run(project, url, &all);
    assert_eq!(ran(&run).0, ["catalog", "follower"], "{run}");

    // An older migration merged late: the newest is the same, yet on-change
    // plugins run again.
    std::fs::write(
        project
            .path()
            .join("migrations/20250101000000_merged_late.sql"),
        "CREATE TABLE late_items (id INTEGER PRIMARY KEY);",
    )
    .unwrap();
    let run = plan_then_run(project, url, &all);
    assert_eq!(ran(&run).0, ["catalog", "follower"], "{run}");
    let run = plan_then_run(project, url, &all);
    assert!(ran(&run).0.is_empty(), "{run}");
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn policies_skip_what_did_not_change_and_plan_agrees_with_run_on_sqlite() {
    let project = policies_project();
    let url = format!(
        "sqlite://{}?mode=rwc",
        project.path().join("policies.db").display()
    );
    policies_on(&project, &url);
    // reset clears the ledger with everything else.
    let local = project.path().join(".seedhost/local.db");
    project.seedhost(&["run", "--all"]).code();
    let db = Db::connect(&format!("sqlite://{}", local.display()));
    assert!(db.count("_seedhost_seed_ledger") > 0);
    project.seedhost(&["reset"]).ok();
    assert_eq!(db.count("_seedhost_seed_ledger"), 0);
}

#[test]
fn policies_skip_what_did_not_change_and_plan_agrees_with_run_on_postgres() {
    let project = policies_project();
    let pg = PgDb::create();
    policies_on(&project, &pg.url);
    // The ledger is out of the Data API's reach: not in public, and nothing
    // granted to PUBLIC.
    let db = pg.db();
    let public: bool = db.scalar(
        "SELECT has_schema_privilege('public', 'seedhost', 'USAGE') \
         OR has_table_privilege('public', 'seedhost.seed_ledger', 'SELECT')",
    );
    assert!(!public);
    project.seedhost(&["reset", "--database-url", &pg.url]).ok();
    assert_eq!(db.count("seedhost.seed_ledger"), 0);
}

#[test]
fn detailed_exitcode_is_one_for_errors_and_bad_usage() {
    let project = policies_project();
    let dir: &Path = project.path();
    assert!(dir.exists());
    assert_eq!(
        exit_code(&project, &["plan", "--detailed-exitcode", "--no-such-flag"]),
        Some(1)
    );
    assert_eq!(exit_code(&project, &["plan", "--no-such-flag"]), Some(2));
    assert_eq!(
        exit_code(
            &project,
            &["plan", "--detailed-exitcode", "--env", "staging"]
        ),
        Some(1),
        "staging has no database URL"
    );
    // A plugin the profile may not run is listed as refused, not raised.
    let plan = project
        .seedhost(&[
            "plan",
            "catalog",
            "--database-url",
            "sqlite::memory:",
            "--env",
            "production",
            "--json",
        ])
        .ok_json();
    let (name, action, reason) = &planned(&plan)[0];
    assert_eq!((name.as_str(), action.as_str()), ("catalog", "refused"));
    assert!(
        reason.contains("may run only in profiles local, staging"),
        "{reason}"
    );
}

/// Two `run`s at the same moment on one database decide on a `once` (or
/// unchanged `on-change`) seed one after the other, under the seed's lock:
/// it runs once, and the other run says why it skipped.
#[test]
fn two_runs_at_once_run_a_once_seed_once() {
    for postgres in [false, true] {
        for attempt in 0..3 {
            let project = policies_project();
            let pg = postgres.then(PgDb::create);
            let url = pg.as_ref().map_or_else(
                || {
                    format!(
                        "sqlite://{}?mode=rwc",
                        project.path().join("race.db").display()
                    )
                },
                |p| p.url.clone(),
            );
            project.seedhost(&["migrate", "--database-url", &url]).ok();
            let runs: Vec<_> = (0..2)
                .map(|_| {
                    project.spawn(&["run", "first", "catalog", "--json", "--database-url", &url])
                })
                .collect();
            let reports: Vec<serde_json::Value> = runs
                .into_iter()
                .map(|child| Run(child.wait_with_output().unwrap()).ok_json())
                .collect();
            let db = Db::connect(&url);
            let table = ledger_table(&url);
            for name in ["first", "catalog"] {
                let rows: i64 = db.scalar(&format!(
                    "SELECT COUNT(*) FROM {table} WHERE name = '{name}'"
                ));
                assert_eq!(
                    rows, 1,
                    "{name} ran {rows} times (attempt {attempt}, postgres {postgres})"
                );
            }
            let skipped: Vec<String> = reports
                .iter()
                .flat_map(|r| ran(r).1)
                .map(|(name, reason)| format!("{name}: {reason}"))
                .collect();
            assert!(
                skipped.iter().any(|s| s.starts_with("first: once: ran at")),
                "{skipped:?}"
            );
        }
    }
}
