//! Faults found by trying seedhost as an operator and an attacker would
//! (shared/findings/reliability.md, security.md), each with the test that
//! failed before its fix.

use crate::harness::*;

const CHATTY: &str = r#"
[plugins.chatty]
wasm = "{wasm}/chatty.wasm"
tables = []
profiles = ["local"]
"#;

#[test]
fn verify_survives_a_plugin_that_prints_from_its_metadata() {
    let project = Project::new(CHATTY);
    let junit = project.path().join("verify.xml");
    let run = project.seedhost(&["verify", "--junit", junit.to_str().unwrap()]);
    let out = format!("{}\n{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), Some(0), "{out}");
    assert!(
        out.contains("chatty 1.0.0: tables and profiles within the grant"),
        "{out}"
    );
    assert!(
        out.contains("describing myself"),
        "the plugin's output reaches the log: {out}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("<testsuite name=\"chatty\" tests=\"4\" failures=\"0\">"),
        "{xml}"
    );
}

#[test]
fn a_component_of_another_world_is_refused_before_anything_connects() {
    let project = Project::new(
        r#"
[plugins.stranger]
wasm = "stranger.wasm"
tables = []
profiles = ["local"]
"#,
    );
    // A valid component that exports nothing: no `run`.
    std::fs::write(
        project.path().join("stranger.wasm"),
        [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00],
    )
    .unwrap();
    let out = project.seedhost(&["run", "stranger"]).failed();
    assert!(out.contains("plugin `stranger` cannot be linked"), "{out}");
    assert!(out.contains("run"), "{out}");
    assert!(
        !project.local_db().exists(),
        "it connected and migrated first"
    );
    let out = project.seedhost(&["verify"]).failed();
    assert!(out.contains("cannot be linked"), "{out}");
}

#[test]
fn a_misspelled_migrations_directory_is_an_error_not_up_to_date() {
    let project = Project::new("migrations = \"migrationz\"\n");
    let out = project.seedhost(&["migrate"]).failed();
    assert!(out.contains("migrationz does not exist"), "{out}");
    assert!(!project.local_db().exists(), "it connected first");
    let out = project.seedhost(&["status"]).failed();
    assert!(out.contains("migrationz does not exist"), "{out}");
}

#[test]
fn a_failing_migration_points_at_its_own_line_not_postgres_source() {
    let pg = PgDb::create();
    let project = Project::new("");
    std::fs::write(
        project.path().join("migrations/20991231000000_broken.sql"),
        "-- a broken migration\nCREATE TABLE ok_one (id INTEGER);\nSELEC 1;\nCREATE TABLE never (id INTEGER);\n",
    )
    .unwrap();
    let out = project
        .seedhost(&["migrate", "--database-url", &pg.url])
        .failed();
    assert!(
        out.contains("migration 20991231000000_broken.sql failed: syntax error at or near \"SELEC\" (line 3 of the file)"),
        "{out}"
    );
    assert!(!out.contains("at line"), "sqlx's source line leaked: {out}");
}

#[test]
fn escape_sequences_from_a_plugin_are_neutralised_in_every_output() {
    let project = Project::new(&hostile("shouty", "escapes", ""));
    let junit = project.path().join("verify.xml");
    let runs = [
        project.seedhost(&["run", "shouty"]),
        project.seedhost(&["run", "shouty", "--json"]),
        project.seedhost(&["run", "shouty", "-vv"]),
        project.seedhost(&["verify", "--junit", junit.to_str().unwrap()]),
    ];
    for run in &runs {
        let out = run.failed();
        assert!(
            !out.contains('\u{1b}') && !out.contains('\u{7}'),
            "raw escapes: {out:?}"
        );
        assert!(
            !out.lines().any(|l| l.starts_with("INFO forged")),
            "a forged log line: {out}"
        );
    }
    let human = runs[0].failed();
    assert!(human.contains("failed \\u{1b}]0;pwned\\u{7}"), "{human}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        !xml.chars().any(|c| c.is_control() && c != '\n'),
        "JUnit holds characters XML forbids: {xml:?}"
    );
    assert!(xml.contains("\\u{1b}]0;pwned"), "{xml}");
}

#[test]
fn sigint_and_sigterm_roll_back_report_and_exit_130_and_143() {
    for (signal, status) in [("INT", 130), ("TERM", 143)] {
        let project = Project::new(&hostile("spin", "loop", "limits = { cpu_seconds = 120 }"));
        let child = project.spawn(&["run", "spin", "--json"]);
        // The plugin writes its row, then spins.
        std::thread::sleep(std::time::Duration::from_secs(3));
        let killed = std::process::Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(child.id().to_string())
            .status()
            .unwrap();
        assert!(killed.success());
        let run = Run(child.wait_with_output().unwrap());
        assert_eq!(
            run.code(),
            Some(status),
            "{}\n{}",
            run.stdout(),
            run.stderr()
        );
        let report = run.json();
        let error = report["error"].as_str().unwrap();
        assert!(
            error.starts_with(&format!("interrupted by SIG{signal}")),
            "{error}"
        );
        assert_eq!(
            project.sqlite().count("fixture_items"),
            0,
            "the row was kept"
        );
    }
}

#[test]
fn a_held_migration_lock_is_reported_and_the_wait_bounded() {
    let pg = PgDb::create();
    let slow = Project::new("");
    std::fs::write(
        slow.path()
            .join("migrations/20991231000000_slow.postgres.sql"),
        "SELECT pg_sleep(5);",
    )
    .unwrap();
    let holder = slow.spawn(&["migrate", "--database-url", &pg.url]);
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let waiter = Project::new("lock_timeout_seconds = 1\n");
    let started = std::time::Instant::now();
    let out = waiter
        .seedhost(&["migrate", "--database-url", &pg.url])
        .failed();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(4),
        "it waited {:?}",
        started.elapsed()
    );
    assert!(
        out.contains("waiting for the migration lock, held by pid"),
        "{out}"
    );
    assert!(
        out.contains("gave up after 1 s waiting for the migration lock, held by pid")
            && out.contains("(seedhost, connected since"),
        "{out}"
    );
    Run(holder.wait_with_output().unwrap()).ok();
}

#[test]
fn a_write_blocked_by_another_sessions_row_lock_gives_up_and_rolls_back() {
    let pg = PgDb::create();
    let config = format!("lock_timeout_seconds = 1\n{}", hostile("w", "ok", ""));
    let project = Project::new(&config);
    project
        .seedhost(&["migrate", "--database-url", &pg.url])
        .ok();
    pg.db()
        .execute("INSERT INTO fixture_items (id, name) VALUES (1, 'held')");
    // Another session holds row 1 for 6 s.
    let mut blocker = std::process::Command::new("psql")
        .args(["-X", "-q", &pg.url, "-c", "BEGIN; UPDATE fixture_items SET name = 'held' WHERE id = 1; SELECT pg_sleep(6); COMMIT;"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1000));
    let started = std::time::Instant::now();
    let run = project.seedhost(&["run", "w", "--database-url", &pg.url, "--json"]);
    let out = run.failed();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "it waited {:?}",
        started.elapsed()
    );
    let report = run.json();
    let error = report["plugins"][0]["error"].as_str().unwrap();
    assert!(
        error.contains("table fixture_items") && error.contains("lock timeout"),
        "{out}"
    );
    blocker.wait().unwrap();
    assert_eq!(
        pg.db()
            .scalar::<String>("SELECT name FROM fixture_items WHERE id = 1"),
        "held"
    );
}

#[test]
fn postgres_sessions_are_named_seedhost() {
    let pg = PgDb::create();
    let project = Project::new("");
    std::fs::write(
        project
            .path()
            .join("migrations/20991231000000_slow.postgres.sql"),
        "SELECT pg_sleep(1);",
    )
    .unwrap();
    let mut child = project.spawn(&["migrate", "--database-url", &pg.url]);
    let name = pg.name.clone();
    let mut seen = false;
    for _ in 0..100 {
        seen = pg.db().scalar::<bool>(&format!(
            "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = '{name}' AND application_name = 'seedhost')"
        ));
        if seen || child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait().unwrap();
    assert!(seen, "no session named seedhost was seen");
}

#[test]
fn a_dry_run_on_a_fresh_checkout_creates_no_database_file() {
    let project = Project::new(CATALOG);
    let report = project
        .seedhost(&["run", "catalog", "--dry-run", "--json"])
        .ok_json();
    assert_eq!(report["plugins"][0]["status"], "ok", "{report}");
    assert!(
        !report["migrations"]["applied"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(
        !project.local_db().exists(),
        "the dry run left a database file"
    );
}

#[test]
fn a_sqlite_url_naming_a_missing_file_says_how_to_create_it() {
    let project = Project::new("");
    let out = project
        .seedhost(&["migrate", "--database-url", "sqlite://new.db"])
        .failed();
    assert!(
        out.contains("SQLite database new.db does not exist; to create it, add ?mode=rwc"),
        "{out}"
    );
    project
        .seedhost(&["migrate", "--database-url", "sqlite://new.db?mode=rwc"])
        .ok();
    assert!(project.path().join("new.db").exists());
}

#[test]
fn a_failed_plugins_counts_are_marked_rolled_back() {
    let project = Project::new(&format!(
        "{}{}",
        hostile("boom", "trap", ""),
        hostile("fine", "ok", "")
    ));
    let ok = project.seedhost(&["run", "fine", "--json"]).ok_json();
    assert_eq!(ok["plugins"][0]["rolled_back"], false, "{ok}");
    let run = project.seedhost(&["run", "boom", "--json"]);
    run.failed();
    let report = run.json();
    assert_eq!(report["plugins"][0]["status"], "failed");
    assert_eq!(report["plugins"][0]["rolled_back"], true, "{report}");
}

/// `rows` for the hostile fixture's `write` mode: `n` good rows, then `last`.
fn rows_then(n: usize, last: &str) -> String {
    let mut rows: Vec<String> = (1..=n)
        .map(|i| format!("int:{i}|text:ok|float:1.5"))
        .collect();
    rows.push(format!("int:{}|{last}", n + 1));
    rows.join(";")
}

#[test]
fn both_postgres_write_paths_refuse_what_does_not_fit_alike() {
    let pg = PgDb::create();
    let project = Project::new(
        &hostile("w", "write", "tables = [\"fits\"]").replace("tables = [\"fixture_items\"]\n", ""),
    );
    std::fs::write(
        project
            .path()
            .join("migrations/20991231000000_create_fits.sql"),
        "CREATE TABLE fits (id INTEGER PRIMARY KEY, code VARCHAR(4), r REAL);",
    )
    .unwrap();
    // 1 row goes through UNNEST; 1,500 through binary COPY.
    for n in [0, 1_500] {
        for (last, expected) in [
            (
                "text:toolong|float:1",
                "column code (character varying(4)), row",
            ),
            ("text:ok|float:1e300", "column r (real), row"),
        ] {
            let rows = format!("rows={}", rows_then(n, last));
            let run = project.seedhost(&[
                "run",
                "w",
                "--database-url",
                &pg.url,
                "--json",
                "--param",
                "table=fits",
                "--param",
                "columns=id,code,r",
                "--param",
                "conflict=id",
                "--param",
                &rows,
            ]);
            let out = run.failed();
            assert!(out.contains(expected), "{n} rows, {last}: {out}");
            assert!(
                out.contains(&format!("row {}", n + 1)),
                "{n} rows, {last}: {out}"
            );
            assert_eq!(
                pg.db().count("fits"),
                0,
                "{n} rows, {last}: something was kept"
            );
        }
    }
}

#[test]
fn an_unreachable_port_fails_soon_saying_connection_refused() {
    let project = Project::new("");
    let started = std::time::Instant::now();
    let out = project
        .seedhost(&[
            "migrate",
            "--database-url",
            "postgres://postgres@127.0.0.1:1/nowhere",
        ])
        .failed();
    let took = started.elapsed();
    assert!(
        took < std::time::Duration::from_secs(20),
        "it took {took:?}"
    );
    assert!(out.to_lowercase().contains("connection refused"), "{out}");
}

fn stopped_at_the_wall_clock_limit(pg: Option<&PgDb>) {
    for mode in ["sleep", "nap"] {
        let project = Project::new(&hostile(
            "sleepy",
            mode,
            "limits = { wall_seconds = 2, cpu_seconds = 60 }",
        ));
        let mut args = vec!["run", "sleepy", "--json"];
        if let Some(pg) = pg {
            args.extend(["--database-url", pg.url.as_str()]);
        }
        let started = std::time::Instant::now();
        let run = project.seedhost(&args);
        let took = started.elapsed();
        run.failed();
        assert!(
            took < std::time::Duration::from_secs(8),
            "{mode}: it took {took:?}"
        );
        let report = run.json();
        let error = report["plugins"][0]["error"].as_str().unwrap_or_default();
        assert!(
            error.contains("exceeded its wall-clock limit of 2s"),
            "{mode}: {report}"
        );
        let db = pg.map_or_else(|| project.sqlite(), PgDb::db);
        assert_eq!(db.count("fixture_items"), 0, "{mode}: its row was kept");
    }
}

#[test]
fn sqlite_a_sleeping_plugin_is_stopped_at_its_wall_clock_limit() {
    stopped_at_the_wall_clock_limit(None);
}

#[test]
fn postgres_a_sleeping_plugin_is_stopped_at_its_wall_clock_limit() {
    let pg = PgDb::create();
    stopped_at_the_wall_clock_limit(Some(&pg));
}

/// A pgbouncer of the test's own on a free loopback port, in front of the
/// test server; stopped when dropped.
struct Pgbouncer {
    child: std::process::Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Pgbouncer {
    fn start(mode: &str) -> Pgbouncer {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let admin = url::Url::parse(&postgres_admin_url()).unwrap();
        let path = dir.path();
        std::fs::write(path.join("users.txt"), "\"postgres\" \"\"\n").unwrap();
        std::fs::write(
            path.join("pgbouncer.ini"),
            format!(
                "[databases]\n* = host={} port={}\n[pgbouncer]\nlisten_addr = 127.0.0.1\n\
                 listen_port = {port}\nunix_socket_dir =\nauth_type = trust\nauth_file = {}\n\
                 pool_mode = {mode}\ndefault_pool_size = 4\nlogfile = {}\npidfile = {}\n\
                 ignore_startup_parameters = extra_float_digits\n",
                admin.host_str().unwrap(),
                admin.port().unwrap_or(5432),
                path.join("users.txt").display(),
                path.join("pgbouncer.log").display(),
                path.join("pgbouncer.pid").display(),
            ),
        )
        .unwrap();
        let mut command = std::process::Command::new("pgbouncer");
        // pgbouncer refuses to run as root; CI runs as root.
        let root = std::process::Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
        if root {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o777)).unwrap();
            command.args(["-u", "postgres"]);
        }
        let mut child = command
            .arg(path.join("pgbouncer.ini"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("pgbouncer runs (Debian's pgbouncer package; .ci/run installs it)");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Pgbouncer {
                    child,
                    port,
                    _dir: dir,
                };
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("pgbouncer did not listen on {port}");
    }

    fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }
}

impl Drop for Pgbouncer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_transaction_pooler_is_refused_clearly_and_leaves_no_lock() {
    let pg = PgDb::create();
    let project = Project::new(CATALOG);
    let pooler = Pgbouncer::start("transaction");
    let url = pooler.url(&pg.name);
    for _ in 0..3 {
        let out = project
            .seedhost(&["run", "catalog", "--env", "staging", "--database-url", &url])
            .failed();
        assert!(out.contains("is a pooler in transaction mode"), "{out}");
        assert!(out.contains("session pooler (port 5432)"), "{out}");
    }
    // This database's advisory locks only: other tests migrate concurrently.
    let locks: i64 = pg.db().scalar(
        "SELECT COUNT(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database
          WHERE l.locktype = 'advisory' AND d.datname = current_database()",
    );
    assert_eq!(locks, 0, "an advisory lock was left behind");
    assert!(!pg.db().table_exists("_seedhost_migrations"), "it migrated");
    // Straight to the database, it works (and does not wait on a stranded lock).
    project
        .seedhost(&[
            "run",
            "catalog",
            "--env",
            "staging",
            "--database-url",
            &pg.url,
        ])
        .ok();
}

#[test]
fn a_session_pooler_works() {
    let pg = PgDb::create();
    let project = Project::new(CATALOG);
    let pooler = Pgbouncer::start("session");
    let url = pooler.url(&pg.name);
    for _ in 0..2 {
        project
            .seedhost(&["run", "catalog", "--env", "staging", "--database-url", &url])
            .ok();
    }
    assert_eq!(pg.db().count("catalog_journey_enrollments"), 10);
}

#[test]
fn a_plugin_that_exits_is_not_reported_as_unlinkable() {
    let project = Project::new(&hostile("quitter", "exit", ""));
    let out = project.seedhost(&["run", "quitter"]).failed();
    assert!(
        out.contains("plugin `quitter` exited (status 0) instead of returning from `run`"),
        "{out}"
    );
    assert!(!out.contains("cannot be linked"), "{out}");
    assert_eq!(project.sqlite().count("fixture_items"), 0);
}

#[test]
fn a_trap_over_a_store_error_keeps_the_stores_words() {
    let project = Project::new(&hostile("careless", "unwrap-denied", ""));
    let out = project.seedhost(&["run", "careless"]).failed();
    assert!(
        out.contains("plugin `careless`: table catalog_journeys is not in this plugin's grant"),
        "{out}"
    );
    assert!(out.contains("(then the plugin trapped:"), "{out}");
}

#[test]
fn a_rebuilt_plugin_leaves_one_cache_entry_and_cache_shows_and_clears() {
    let project = Project::new(
        r#"
[plugins.p]
wasm = "p.wasm"
tables = ["fixture_items"]
profiles = ["local"]
params = { mode = "ok" }
"#,
    );
    let cache = tempfile::tempdir().unwrap();
    let env = [("SEEDHOST_CACHE_DIR", cache.path().to_str().unwrap())];
    let component = project.path().join("p.wasm");
    let listed =
        || -> serde_json::Value { project.seedhost_env(&["cache", "--json"], &env).ok_json() };
    std::fs::copy(wasm_dir().join("hostile.wasm"), &component).unwrap();
    project.seedhost_env(&["run", "p"], &env).ok();
    assert_eq!(listed()["entries"].as_array().unwrap().len(), 1);
    // The plugin is rebuilt (here: another component at the same path).
    std::fs::copy(wasm_dir().join("chatty.wasm"), &component).unwrap();
    project.seedhost_env(&["run", "p"], &env).ok();
    let after = listed();
    let entries = after["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "the old build stayed: {after}");
    let source = std::fs::canonicalize(&component).unwrap();
    assert_eq!(entries[0]["sources"][0], source.display().to_string());
    let human = project.seedhost_env(&["cache"], &env).ok().stdout();
    assert!(
        human.contains("1 entries") && human.contains("p.wasm"),
        "{human}"
    );
    let cleared = project
        .seedhost_env(&["cache", "clear"], &env)
        .ok()
        .stdout();
    assert!(cleared.contains("removed 1 entries"), "{cleared}");
    assert!(listed()["entries"].as_array().unwrap().is_empty());
}

#[test]
fn verify_checks_only_the_plugins_named() {
    let project = Project::new(&format!(
        "{}{}",
        hostile("fine", "ok", ""),
        hostile("broken", "trap", "")
    ));
    let report = project.seedhost(&["verify", "fine", "--json"]).ok_json();
    let checked: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["plugin"].as_str().unwrap())
        .collect();
    assert!(checked.iter().all(|p| *p == "fine"), "{report}");
    assert_eq!(
        checked.len(),
        4,
        "load, grant, dry-run, idempotent: {report}"
    );
    let out = project.seedhost(&["verify"]).failed();
    assert!(out.contains("broken"), "{out}");
    let out = project.seedhost(&["verify", "nosuch"]).failed();
    assert!(out.contains("no plugin `nosuch`"), "{out}");
}

#[test]
fn verify_fails_plugins_that_are_not_idempotent() {
    let pg = PgDb::create();
    for (mode, changed, key, url) in [
        ("random-id", "inserted 1 and updated 0", "id = ", None),
        ("clock", "inserted 0 and updated 1", "id = 2 ", None),
        (
            "random-id",
            "inserted 1 and updated 0",
            "id = ",
            Some(&pg.url),
        ),
        (
            "clock",
            "inserted 0 and updated 1",
            "id = 2 ",
            Some(&pg.url),
        ),
    ] {
        let project = Project::new(&hostile("flaky", mode, ""));
        let junit = project.path().join("verify.xml");
        let mut args = vec!["verify", "--json", "--junit", junit.to_str().unwrap()];
        if let Some(url) = url {
            args.extend(["--database-url", url.as_str()]);
        }
        let before =
            url.map(|u| Db::connect(u).snapshot(&["fixture_items", "_seedhost_migrations"]));
        let run = project.seedhost(&args);
        run.failed();
        let report = run.json();
        let check = report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["check"] == "idempotent")
            .unwrap_or_else(|| panic!("{mode}: no idempotency check: {report}"));
        assert_eq!(check["plugin"], "flaky");
        assert_eq!(check["passed"], false);
        let detail = check["detail"].as_str().unwrap();
        assert!(
            detail.contains(&format!("{changed} rows of table fixture_items")),
            "{mode}: {detail}"
        );
        assert!(
            detail.contains(&format!("a changed row: fixture_items {key}")),
            "{mode} on {url:?}: {detail}"
        );
        if let Some(url) = url {
            let after = Db::connect(url).snapshot(&["fixture_items", "_seedhost_migrations"]);
            assert_eq!(before, Some(after), "verify left PostgreSQL as it was");
        }
        let xml = std::fs::read_to_string(&junit).unwrap();
        assert!(xml.contains("name=\"idempotent\""), "{xml}");
        // verify leaves nothing behind.
        assert!(!project.local_db().exists());
    }
}
