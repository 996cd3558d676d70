//! Profiles: where the database URL comes from, and refusing before connecting
//! when a remote profile names no database.

use crate::harness::*;

#[test]
fn staging_without_a_url_fails_before_connecting_naming_the_variables() {
    let project = Project::new(CATALOG);
    let run = project.seedhost(&["run", "catalog", "--env", "staging", "--json"]);
    run.failed();
    let report = run.json();
    let error = report["error"].as_str().unwrap();
    assert!(error.contains("DATABASE_URL or SUPABASE_DB_URL"), "{error}");
    assert!(error.contains(".env.staging"), "{error}");
    assert_eq!(report["database"], serde_json::Value::Null);
    assert_eq!(report["plugins"], serde_json::json!([]));
    assert!(
        !project.path().join(".seedhost").exists(),
        "something was created"
    );
}

#[test]
fn the_process_environment_beats_the_env_file_and_the_flag_beats_both() {
    let from_file = PgDb::create();
    let from_env = PgDb::create();
    let project = Project::new(CATALOG);
    std::fs::write(
        project.path().join(".env.staging"),
        format!("DATABASE_URL={}\n", from_file.url),
    )
    .unwrap();
    let env = [("SUPABASE_DB_URL", from_env.url.as_str())];
    // DATABASE_URL (file) outranks SUPABASE_DB_URL (environment).
    let report = project
        .seedhost_env(&["migrate", "--env", "staging", "--json"], &env)
        .ok_json();
    assert!(
        report["database"]
            .as_str()
            .unwrap()
            .ends_with(&from_file.name)
    );
    let env = [("DATABASE_URL", from_env.url.as_str())];
    let report = project
        .seedhost_env(&["migrate", "--env", "staging", "--json"], &env)
        .ok_json();
    assert!(
        report["database"]
            .as_str()
            .unwrap()
            .ends_with(&from_env.name)
    );
    let local = project.local_db().display().to_string();
    let flag = format!("sqlite://{local}?mode=rwc");
    let report = project
        .seedhost_env(
            &[
                "migrate",
                "--env",
                "staging",
                "--json",
                "--database-url",
                &flag,
            ],
            &env,
        )
        .ok_json();
    assert!(
        report["database"]
            .as_str()
            .unwrap()
            .starts_with("sqlite://")
    );
}

#[test]
fn passwords_never_appear_in_output() {
    let pg = PgDb::create();
    let project = Project::new(CATALOG);
    // Trust authentication ignores the password, so the run succeeds with one.
    let url = pg.url.replacen("postgres@", "postgres:hunter2@", 1);
    assert!(url.contains("hunter2"));
    let run = project.seedhost(&["run", "catalog", "-v", "--database-url", &url]);
    assert!(run.0.status.success(), "{}", run.stderr());
    let all = format!("{}{}", run.stdout(), run.stderr());
    assert!(!all.contains("hunter2"), "{all}");
    assert!(all.contains("postgres:***@"), "{all}");
    // Also when the connection fails.
    let bad = "postgres://postgres:hunter2@127.0.0.1:1/nowhere";
    let out = project
        .seedhost(&["run", "catalog", "--database-url", bad])
        .failed();
    assert!(!out.contains("hunter2"), "{out}");
    assert!(
        out.contains("cannot connect to postgres://postgres:***@127.0.0.1:1/nowhere"),
        "{out}"
    );
}

#[test]
fn a_plugin_is_refused_outside_its_granted_profiles_before_connecting() {
    let project = Project::new(&hostile("localonly", "ok", "").replace(
        "profiles = [\"local\", \"staging\"]",
        "profiles = [\"local\"]",
    ));
    let env = [("DATABASE_URL", "postgres://postgres@127.0.0.1:1/never")];
    let out = project
        .seedhost_env(&["run", "localonly", "--env", "staging"], &env)
        .failed();
    assert!(
        out.contains("`localonly` may run only in profile local"),
        "{out}"
    );
    assert!(!out.contains("cannot connect"), "{out}");
}
