//! Template databases on PostgreSQL and SQLite: built once and named by what
//! shapes them, copied into fresh seeded databases that inherit the ledger,
//! listed and pruned; a failed build leaves nothing, and a template another
//! session holds is waited for, then named with its sessions.

use crate::harness::*;

/// The catalog, `on-change`, granted local and staging.
fn project() -> Project {
    Project::new(&format!("{CATALOG}policy = \"on-change\"\n"))
}

/// Databases made by a test, dropped (templates unmarked first) at its end.
struct Dropper(Vec<String>);

impl Drop for Dropper {
    fn drop(&mut self) {
        let admin = Db::connect(&postgres_admin_url());
        for name in &self.0 {
            admin.execute(&format!(
                "UPDATE pg_database SET datistemplate = false WHERE datname = '{name}'"
            ));
            admin.execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
        }
    }
}

fn project_templates(prefix: &str) -> Vec<String> {
    let admin = Db::connect(&postgres_admin_url());
    let names: String = admin.scalar(&format!(
        "SELECT coalesce(string_agg(datname, ',' ORDER BY datname), '') FROM pg_database \
         WHERE datname LIKE '{prefix}%'"
    ));
    names
        .split(',')
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The project, its `staging` profile on `home`'s server.
fn staging_on(home: &PgDb) -> Project {
    let project = project();
    std::fs::write(
        project.path().join(".env.staging"),
        format!("DATABASE_URL={}\n", home.url),
    )
    .unwrap();
    project
}

fn url_of(base: &PgDb, name: &str) -> String {
    base.url.replace(&base.name, name)
}

#[test]
fn postgres_templates_build_once_clone_and_prune() {
    let home = PgDb::create();
    let project = staging_on(&home);
    let mut made = Dropper(Vec::new());

    let build = project
        .seedhost(&["template", "build", "--env", "staging", "--json"])
        .ok_json();
    let template = build["template"].as_str().unwrap().to_owned();
    made.0.push(template.clone());
    assert!(
        template.starts_with("seedhost_tpl_") && template.len() <= 63,
        "{template}"
    );
    assert_eq!(build["built"], true);
    let admin = Db::connect(&postgres_admin_url());
    let flags: String = admin.scalar(&format!(
        "SELECT datistemplate::text || ' ' || datallowconn::text FROM pg_database \
         WHERE datname = '{template}'"
    ));
    assert_eq!(flags, "true false");
    // The prefix of this project's templates; no build database is left.
    let prefix = &template[..template.rfind('_').unwrap() + 1];
    assert_eq!(project_templates(prefix), std::slice::from_ref(&template));

    let again = project
        .seedhost(&["template", "build", "--env", "staging", "--json"])
        .ok_json();
    assert_eq!(again["built"], false);
    assert_eq!(again["template"], template.as_str());

    // A clone is the seeded database, ledger included.
    let clone = format!("{}_clone", home.name);
    made.0.push(clone.clone());
    let out = project.seedhost(&["template", "clone", &clone, "--env", "staging"]);
    out.ok();
    assert!(
        out.stdout().contains(&format!("created {clone}")),
        "{}",
        out.stdout()
    );
    let replayed = PgDb::create();
    project
        .seedhost(&[
            "run",
            "--all",
            "--env",
            "staging",
            "--database-url",
            &replayed.url,
        ])
        .ok();
    let cloned = Db::connect(&url_of(&home, &clone));
    assert_eq!(cloned.catalog_stats(), replayed.db().catalog_stats());
    assert_eq!(cloned.count("seedhost.seed_ledger"), 1);
    drop(cloned);
    let rerun = project
        .seedhost(&[
            "run",
            "--all",
            "--env",
            "staging",
            "--database-url",
            &url_of(&home, &clone),
            "--json",
        ])
        .ok_json();
    assert!(rerun["plugins"].as_array().unwrap().is_empty(), "{rerun}");
    assert!(
        rerun["skipped"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("unchanged")
    );

    // An existing name is refused.
    let out = project.seedhost(&["template", "clone", &clone, "--env", "staging"]);
    assert!(out.failed().contains("already exists"));

    // A new migration makes a new template; prune keeps the newest.
    std::fs::write(
        project
            .path()
            .join("migrations/20991231000000_add_notes.sql"),
        "CREATE TABLE notes (id INTEGER PRIMARY KEY);\n",
    )
    .unwrap();
    let newer = project
        .seedhost(&["template", "build", "--env", "staging", "--json"])
        .ok_json();
    let newer = newer["template"].as_str().unwrap().to_owned();
    made.0.push(newer.clone());
    assert_ne!(newer, template);
    let list = project
        .seedhost(&["template", "list", "--env", "staging", "--json"])
        .ok_json();
    let listed: Vec<(String, bool)> = list["templates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_owned(),
                t["current"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(listed.len(), 2, "{list}");
    assert!(listed.contains(&(newer.clone(), true)) && listed.contains(&(template.clone(), false)));
    let pruned = project
        .seedhost(&[
            "template", "prune", "--keep", "1", "--env", "staging", "--json",
        ])
        .ok_json();
    assert_eq!(pruned["dropped"], serde_json::json!([template]));
    assert_eq!(project_templates(prefix), [newer]);
}

#[test]
fn a_held_template_is_waited_for_then_its_sessions_are_named() {
    let home = PgDb::create();
    let project = staging_on(&home);
    let mut made = Dropper(Vec::new());
    let build = project
        .seedhost(&["template", "build", "--env", "staging", "--json"])
        .ok_json();
    let template = build["template"].as_str().unwrap().to_owned();
    made.0.push(template.clone());
    let admin = Db::connect(&postgres_admin_url());
    admin.execute(&format!("ALTER DATABASE {template} ALLOW_CONNECTIONS true"));
    let holder = Db::connect(&format!(
        "{}?application_name=template-holder",
        url_of(&home, &template)
    ));
    let _: i32 = holder.scalar("SELECT 1");
    let clone = format!("{}_held", home.name);
    made.0.push(clone.clone());
    let started = std::time::Instant::now();
    let out = project.seedhost(&[
        "template", "clone", &clone, "--env", "staging", "--wait", "1",
    ]);
    let text = out.failed();
    assert!(started.elapsed() >= std::time::Duration::from_secs(1));
    assert!(text.contains("other sessions still hold it"), "{text}");
    assert!(
        text.contains("template-holder") && text.contains("pid "),
        "{text}"
    );
    drop(holder);
    project
        .seedhost(&[
            "template", "clone", &clone, "--env", "staging", "--wait", "10",
        ])
        .ok();
}

#[test]
fn a_failed_build_leaves_no_template() {
    for postgres in [false, true] {
        let home = PgDb::create();
        let project = Project::new(&format!(
            "{CATALOG}{}",
            hostile("broken", "no-such-mode", "after = [\"catalog\"]")
        ));
        let env = if postgres { "staging" } else { "local" };
        if postgres {
            std::fs::write(
                project.path().join(".env.staging"),
                format!("DATABASE_URL={}\n", home.url),
            )
            .unwrap();
        }
        let out = project.seedhost(&["template", "build", "--env", env, "--json"]);
        let text = out.failed();
        let report = out.json();
        assert!(text.contains("no template was made"), "{text}");
        let template = report["template"].as_str().unwrap();
        let prefix = &template[..template.rfind('_').unwrap() + 1];
        if postgres {
            assert_eq!(project_templates(prefix), Vec::<String>::new());
        } else {
            let dir = project.path().join(".seedhost/templates");
            let left: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
            assert!(left.is_empty(), "{left:?}");
        }
        let list = project
            .seedhost(&["template", "list", "--env", env, "--json"])
            .ok_json();
        assert_eq!(list["templates"], serde_json::json!([]));
    }
}

#[test]
fn sqlite_templates_are_files_outside_the_cache() {
    let project = project();
    let build = project.seedhost(&["template", "build", "--json"]).ok_json();
    assert_eq!(build["built"], true);
    let template = build["template"].as_str().unwrap();
    let file = project
        .path()
        .join(format!(".seedhost/templates/{template}.db"));
    assert!(file.exists());
    project.seedhost(&["cache", "clear"]).ok();
    assert!(file.exists(), "cache clear kept the template");

    let out = project.seedhost(&["template", "clone", "tests/one.db"]);
    out.ok();
    let clone = project.path().join("tests/one.db");
    let db = Db::connect(&format!("sqlite://{}", clone.display()));
    assert!(db.count("catalog_journeys") > 0);
    assert_eq!(db.count("_seedhost_seed_ledger"), 1);
    assert_eq!(db.scalar::<String>("PRAGMA integrity_check"), "ok");
    drop(db);
    let rerun = project
        .seedhost(&[
            "run",
            "--all",
            "--json",
            "--database-url",
            &format!("sqlite://{}", clone.display()),
        ])
        .ok_json();
    assert!(rerun["plugins"].as_array().unwrap().is_empty(), "{rerun}");
    // The template itself is untouched by its clones.
    let out = project.seedhost(&["template", "clone", "tests/one.db"]);
    assert!(out.failed().contains("already exists"));
    let list = project.seedhost(&["template", "list", "--json"]).ok_json();
    assert_eq!(list["templates"][0]["current"], true);
}
