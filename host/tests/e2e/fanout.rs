//! Fan-out (`--targets FILE`): one command on many databases, on SQLite and
//! PostgreSQL and across two PostgreSQL servers, with its bound on
//! connections, its failure isolation, its output (table, JSON, JUnit) and
//! no password in any of it.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use crate::harness::*;

/// A password no output may show.
const SECRET: &str = "fan-0ut-s3cret";

/// The URL `url` with `${FANOUT_PW}` as its password (trust auth ignores it).
fn with_password_variable(url: &str) -> String {
    url.replacen(
        "postgres://postgres@",
        "postgres://postgres:${FANOUT_PW}@",
        1,
    )
}

fn write_targets(project: &Project, lines: &[String]) -> PathBuf {
    let file = project.path().join("targets.txt");
    let mut text = String::from("# the tenants\n\n");
    for line in lines {
        text.push_str(line);
        text.push('\n');
    }
    std::fs::write(&file, text).unwrap();
    file
}

fn sqlite_target(project: &Project, name: &str) -> (String, PathBuf) {
    let file = project.path().join(format!("tenants/{name}.db"));
    (format!("sqlite://{}?mode=rwc", file.display()), file)
}

fn statuses(report: &serde_json::Value) -> Vec<String> {
    report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["status"].as_str().unwrap().to_owned())
        .collect()
}

fn assert_no_secret(run: &Run) {
    let all = format!("{}{}", run.stdout(), run.stderr());
    assert!(!all.contains(SECRET), "the password leaked:\n{all}");
}

#[test]
fn run_status_plan_and_verify_fan_out_over_sqlite_and_postgres() {
    let project = Project::repo();
    std::fs::write(
        project.path().join(".env.local"),
        format!("FANOUT_PW={SECRET}\n"),
    )
    .unwrap();
    let pgs: Vec<PgDb> = (0..3).map(|_| PgDb::create()).collect();
    let (lite_a, file_a) = sqlite_target(&project, "a");
    let (lite_b, file_b) = sqlite_target(&project, "b");
    let mut lines: Vec<String> = pgs.iter().map(|p| with_password_variable(&p.url)).collect();
    lines.insert(1, format!("{lite_a}   # first SQLite tenant"));
    lines.push(lite_b.clone());
    let targets = write_targets(&project, &lines);
    let targets = targets.to_str().unwrap();
    let junit = project.path().join("fan.xml");

    let out = project.seedhost(&[
        "run",
        "--all",
        "--targets",
        targets,
        "--jobs",
        "2",
        "--json",
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert_no_secret(&out);
    let report = out.ok_json();
    assert_eq!(report["command"], "run");
    assert_eq!(report["jobs"], 2);
    assert_eq!(statuses(&report), ["ok"; 5]);
    let targets_json = report["targets"].as_array().unwrap();
    // In the file's order, each with its single-target report and its time.
    assert!(
        targets_json[0]["target"]
            .as_str()
            .unwrap()
            .contains(&pgs[0].name)
    );
    assert!(
        targets_json[0]["target"]
            .as_str()
            .unwrap()
            .contains(":***@")
    );
    assert!(targets_json[1]["target"].as_str().unwrap().contains("a.db"));
    for t in targets_json {
        assert_eq!(t["plugins"].as_array().unwrap().len(), 3, "{t}");
        assert!(t["duration_ms"].as_u64().is_some());
        assert!(!t["migrations"]["applied"].as_array().unwrap().is_empty());
    }
    // Every database holds the same seed.
    let expected = pgs[0].db().catalog_stats();
    for pg in &pgs[1..] {
        assert_eq!(pg.db().catalog_stats(), expected);
    }
    for file in [&file_a, &file_b] {
        let db = Db::connect(&format!("sqlite://{}", file.display()));
        assert_eq!(
            db.count("catalog_journeys"),
            pgs[0].db().count("catalog_journeys")
        );
    }
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(xml.matches("<testsuite ").count(), 5, "{xml}");
    assert!(xml.contains("failures=\"0\""), "{xml}");
    assert!(!xml.contains(SECRET));

    // The table for people.
    let out = project.seedhost(&["status", "--targets", targets]);
    assert_no_secret(&out);
    out.ok();
    let text = out.stdout();
    assert!(text.contains("migrations pending"), "{text}");
    assert!(text.contains("5 targets, 5 ok, 0 failed"), "{text}");

    // Nothing would change: the plan says so on every target.
    let out = project.seedhost(&[
        "plan",
        "--targets",
        targets,
        "--detailed-exitcode",
        "--json",
    ]);
    assert_no_secret(&out);
    assert_eq!(out.code(), Some(2), "{}", out.stderr());
    let plan = out.json();
    assert_eq!(
        statuses(&plan),
        ["changes"; 5],
        "always-policy plugins would run"
    );

    let out = project.seedhost(&["verify", "--targets", targets, "--json", "-j", "3"]);
    assert_no_secret(&out);
    let verify = out.ok_json();
    assert_eq!(statuses(&verify), ["ok"; 5]);
    assert!(verify["targets"][0]["checks"].as_array().unwrap().len() >= 6);

    let out = project.seedhost(&["migrate", "--targets", targets, "--json"]);
    let migrate = out.ok_json();
    for t in migrate["targets"].as_array().unwrap() {
        assert!(
            t["migrations"]["applied"].as_array().unwrap().is_empty(),
            "{t}"
        );
    }
}

#[test]
fn one_target_failing_fails_the_command_and_no_other_target() {
    let project = Project::repo();
    let good = PgDb::create();
    let later = PgDb::create();
    let missing = format!("{}_missing", good.url);
    let lines = [good.url.clone(), missing.clone(), later.url.clone()];
    let targets = write_targets(&project, &lines);
    let targets = targets.to_str().unwrap();

    let out = project.seedhost(&["run", "--all", "--targets", targets, "--json", "-j", "1"]);
    let text = out.failed();
    let report = out.json();
    assert_eq!(statuses(&report), ["ok", "failed", "ok"], "{text}");
    assert!(
        report["targets"][1]["error"]
            .as_str()
            .unwrap()
            .contains("does not exist"),
        "{text}"
    );
    assert_eq!(later.db().catalog_stats(), good.db().catalog_stats());

    // --fail-fast: nothing starts after the failure.
    let fresh = PgDb::create();
    let lines = [missing, fresh.url.clone()];
    let targets = write_targets(&project, &lines);
    let out = project.seedhost(&[
        "migrate",
        "--targets",
        targets.to_str().unwrap(),
        "-j",
        "1",
        "--fail-fast",
    ]);
    let text = out.failed();
    assert!(text.contains("1 not started (--fail-fast)"), "{text}");
    assert!(!fresh.db().table_exists("_seedhost_migrations"), "{text}");
}

#[test]
fn bad_targets_files_are_refused_naming_the_line() {
    let project = Project::repo();
    let targets = write_targets(
        &project,
        &[
            "postgres://postgres@127.0.0.1/x".into(),
            format!("mysql://root:{SECRET}@h/db"),
        ],
    );
    let targets = targets.to_str().unwrap();
    let out = project.seedhost(&["status", "--targets", targets]);
    let text = out.failed();
    assert!(text.contains("targets.txt:4: not a target"), "{text}");
    assert_no_secret(&out);

    let targets = write_targets(&project, &["postgres://u:${NOT_SET_ANYWHERE}@h/db".into()]);
    let out = project.seedhost(&["run", "--all", "--targets", targets.to_str().unwrap()]);
    let text = out.failed();
    assert!(text.contains("${NOT_SET_ANYWHERE} is not set"), "{text}");

    // setup resets: URL targets only, and it says so before it starts.
    let targets = write_targets(&project, &["profile:staging".into()]);
    let out = project.seedhost(&["setup", "--targets", targets.to_str().unwrap()]);
    let text = out.failed();
    assert!(text.contains("setup takes database URLs only"), "{text}");
    let pg = PgDb::create();
    let targets = write_targets(&project, std::slice::from_ref(&pg.url));
    let out = project.seedhost(&["setup", "--targets", targets.to_str().unwrap()]);
    out.ok();
    assert!(
        out.stderr()
            .contains("setup resets each of these 1 databases"),
        "{}",
        out.stderr()
    );
    assert!(pg.db().count("catalog_journeys") > 0);

    // --targets and --database-url do not mix; --jobs needs --targets.
    let out = project.seedhost(&["status", "--targets", "t", "--database-url", "sqlite://x"]);
    assert_eq!(out.code(), Some(2));
    let out = project.seedhost(&["status", "--jobs", "2"]);
    assert_eq!(out.code(), Some(2));
    // migrate repair stays single-target.
    let out = project.seedhost(&["migrate", "--targets", "t", "repair", "20241229000001"]);
    assert_eq!(out.code(), Some(2), "{}", out.stderr());
    // setup names what it resets even under -q.
    let pg = PgDb::create();
    let targets = write_targets(&project, std::slice::from_ref(&pg.url));
    let out = project.seedhost(&["setup", "-q", "--targets", targets.to_str().unwrap()]);
    out.ok();
    assert!(out.stderr().contains(&pg.name), "{}", out.stderr());
}

/// Watches the server's sessions named `seedhost` until stopped; returns the most seen.
fn watch_sessions(stop: Arc<AtomicBool>) -> std::thread::JoinHandle<i64> {
    let peak = Arc::new(AtomicI64::new(0));
    std::thread::spawn(move || {
        let admin = Db::connect(&postgres_admin_url());
        while !stop.load(Ordering::SeqCst) {
            let now: i64 = admin.scalar(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = 'seedhost'",
            );
            peak.fetch_max(now, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(5));
        }
        peak.load(Ordering::SeqCst)
    })
}

#[test]
fn connections_never_exceed_the_bound() {
    let project = Project::repo();
    let pgs: Vec<PgDb> = (0..6).map(|_| PgDb::create()).collect();
    let lines: Vec<String> = pgs.iter().map(|p| p.url.clone()).collect();
    let targets = write_targets(&project, &lines);
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = watch_sessions(stop.clone());
    let out = project.seedhost(&[
        "run",
        "--all",
        "--targets",
        targets.to_str().unwrap(),
        "--jobs",
        "2",
        "--json",
    ]);
    stop.store(true, Ordering::SeqCst);
    let peak = watcher.join().unwrap();
    let report = out.ok_json();
    assert_eq!(statuses(&report), ["ok"; 6]);
    println!("peak seedhost sessions with --jobs 2: {peak}");
    assert!(peak <= 5, "{peak} sessions with --jobs 2 (at most 5)");
    assert!(peak >= 1, "the watcher saw no session at all");
}

#[test]
fn fan_out_spans_two_postgres_servers() {
    let second = second_postgres_admin_url();
    // Fails, not skips, without the second server (.ci/run starts it).
    let other = PgDb::create_on(&second);
    let here = PgDb::create();
    let project = Project::repo();
    let lines = [here.url.clone(), other.url.clone()];
    let targets = write_targets(&project, &lines);
    let report = project
        .seedhost(&[
            "run",
            "--all",
            "--targets",
            targets.to_str().unwrap(),
            "--json",
        ])
        .ok_json();
    assert_eq!(statuses(&report), ["ok", "ok"]);
    assert!(
        report["targets"][1]["target"]
            .as_str()
            .unwrap()
            .contains(":5433/")
    );
    assert_eq!(other.db().catalog_stats(), here.db().catalog_stats());
    let ports: Vec<i32> = [&here, &other]
        .iter()
        .map(|p| p.db().scalar("SELECT inet_server_port()"))
        .collect();
    assert_ne!(ports[0], ports[1], "two servers");
}

#[test]
fn profile_targets_use_their_own_profile() {
    let project = Project::repo();
    let staging = PgDb::create();
    std::fs::write(
        project.path().join(".env.staging"),
        format!("DATABASE_URL={}\n", staging.url),
    )
    .unwrap();
    let (lite, _) = sqlite_target(&project, "local");
    let targets = write_targets(&project, &["profile:staging".into(), lite]);
    let report = project
        .seedhost(&[
            "run",
            "--all",
            "--targets",
            targets.to_str().unwrap(),
            "--json",
        ])
        .ok_json();
    assert_eq!(statuses(&report), ["ok", "ok"]);
    assert_eq!(report["targets"][0]["target"], "profile:staging");
    assert_eq!(report["targets"][0]["env"], "staging");
    // test-users is local only: staging skips it.
    let ran = |t: &serde_json::Value| t["plugins"].as_array().unwrap().len();
    assert_eq!(ran(&report["targets"][0]), 2);
    assert_eq!(ran(&report["targets"][1]), 3);
}
