//! One history with the real Supabase CLI (npm `supabase`, pinned, run with
//! `--db-url`, no Docker) on a plain PostgreSQL database: a project made by
//! `seedhost init` in a Supabase repository keeps the CLI's history on every
//! database, so whichever tool migrates, pushes or resets first, the other
//! agrees about what is applied.
//!
//! These tests need node and npm (the CLI is installed once into
//! target/supabase-cli) and PostgreSQL, and fail saying so when either is
//! missing.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::harness::*;

/// The CLI version measured with this repository (newer releases' lock files
/// name platform builds that the registry does not serve).
pub const SUPABASE_CLI: &str = "supabase@2.117.0";

/// The `supabase` program, installed once per test process.
pub fn supabase_cli() -> &'static Path {
    static CLI: OnceLock<PathBuf> = OnceLock::new();
    CLI.get_or_init(|| {
        let dir = workspace().join("target/supabase-cli");
        let bin = dir.join("node_modules/.bin/supabase");
        let wanted = SUPABASE_CLI.trim_start_matches("supabase@");
        let installed = Command::new(&bin)
            .arg("--version")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == wanted);
        if !installed {
            std::fs::create_dir_all(&dir).unwrap();
            let out = Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--save-exact"])
                .arg(SUPABASE_CLI)
                .current_dir(&dir)
                .output()
                .unwrap_or_else(|e| {
                    panic!(
                        "this test runs the Supabase CLI from npm, and `npm` cannot be run ({e}): \
                         install Node.js 20+ with npm"
                    )
                });
            assert!(
                out.status.success(),
                "npm install {SUPABASE_CLI} failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        bin
    })
}

/// `supabase ARGS --db-url URL --yes` in `dir`; its stdout and stderr.
pub fn supabase(dir: &Path, args: &[&str], url: &str) -> String {
    let out = Command::new(supabase_cli())
        .args(args)
        .args(["--db-url", url, "--yes"])
        .current_dir(dir)
        .env("DO_NOT_TRACK", "1")
        .output()
        .unwrap();
    let said = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "supabase {args:?} failed:\n{said}");
    said
}

/// A Supabase repository (`supabase/config.toml`, two migrations) made a
/// seedhost project by `seedhost init`.
pub fn supabase_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let migrations = dir.path().join("supabase/migrations");
    std::fs::create_dir_all(&migrations).unwrap();
    std::fs::write(
        dir.path().join("supabase/config.toml"),
        "project_id = \"demo\"\n",
    )
    .unwrap();
    for (file, sql) in [
        (
            "20240101000000_create_notes.sql",
            "CREATE TABLE notes (id integer PRIMARY KEY, body text NOT NULL);",
        ),
        (
            "20240102000000_add_tags.sql",
            "CREATE TABLE tags (id integer PRIMARY KEY, note integer REFERENCES notes (id));",
        ),
    ] {
        std::fs::write(migrations.join(file), sql).unwrap();
    }
    seedhost_in(dir.path(), &shared_cache(), &["init"], &[]).ok();
    dir
}

/// `seedhost migrate --json` on `url`: its report.
fn migrate(dir: &Path, url: &str) -> serde_json::Value {
    seedhost_in(
        dir,
        &shared_cache(),
        &["migrate", "--database-url", url, "--json"],
        &[],
    )
    .ok_json()
}

/// Each migration's state and who recorded it, from `status --json`.
fn states(dir: &Path, url: &str) -> Vec<(String, String, String)> {
    let status = seedhost_in(
        dir,
        &shared_cache(),
        &["status", "--database-url", url, "--json"],
        &[],
    )
    .ok_json();
    status["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["name"].as_str().unwrap().to_owned(),
                m["state"].as_str().unwrap().to_owned(),
                m["applied_by"].as_str().unwrap_or("-").to_owned(),
            )
        })
        .collect()
}

/// The versions `supabase migration list` shows applied on the database
/// (Local and Remote both filled).
fn cli_applied(dir: &Path, url: &str) -> Vec<String> {
    supabase(dir, &["migration", "list"], url)
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line
                .split('|')
                .map(|c| c.trim().trim_matches('`'))
                .collect();
            (cells.len() >= 2 && !cells[0].is_empty() && cells[0] == cells[1])
                .then(|| cells[0].to_owned())
        })
        .filter(|v| v.chars().all(|c| c.is_ascii_digit()))
        .collect()
}

fn add_migration(dir: &Path, file: &str, sql: &str) {
    std::fs::write(dir.join("supabase/migrations").join(file), sql).unwrap();
}

#[test]
fn init_keeps_the_clis_history_on_a_plain_postgres_so_both_tools_agree() {
    let project = supabase_project();
    let dir = project.path();
    let config = std::fs::read_to_string(dir.join("seedhost.toml")).unwrap();
    assert!(config.contains("supabase_history = \"always\""), "{config}");
    let pg = PgDb::create();

    // seedhost migrates first: the CLI lists both applied and pushes nothing.
    let report = migrate(dir, &pg.url);
    assert_eq!(report["migrations"]["applied"].as_array().unwrap().len(), 2);
    assert_eq!(
        cli_applied(dir, &pg.url),
        ["20240101000000", "20240102000000"]
    );
    let push = supabase(dir, &["db", "push"], &pg.url);
    assert!(push.contains("Remote database is up to date"), "{push}");

    // The CLI pushes a new file: seedhost's status says applied by the CLI,
    // and migrate adopts it and runs nothing.
    add_migration(
        dir,
        "20240103000000_add_authors.sql",
        "CREATE TABLE authors (id integer PRIMARY KEY);",
    );
    let push = supabase(dir, &["db", "push"], &pg.url);
    assert!(push.contains("20240103000000"), "{push}");
    assert_eq!(
        states(dir, &pg.url)[2],
        (
            "20240103000000_add_authors".to_owned(),
            "applied".to_owned(),
            "supabase_cli".to_owned()
        )
    );
    let human = seedhost_in(
        dir,
        &shared_cache(),
        &["status", "--database-url", &pg.url],
        &[],
    )
    .ok()
    .stdout();
    assert!(human.contains("applied by the Supabase CLI"), "{human}");
    let report = migrate(dir, &pg.url);
    assert_eq!(report["migrations"]["applied"], serde_json::json!([]));
    assert_eq!(
        report["migrations"]["adopted"],
        serde_json::json!(["20240103000000_add_authors"])
    );
    assert!(
        states(dir, &pg.url)
            .iter()
            .all(|(_, state, by)| state == "applied" && by == "seedhost")
    );

    // seedhost applies a new file: the CLI sees it.
    add_migration(
        dir,
        "20240104000000_add_likes.sql",
        "CREATE TABLE likes (id integer PRIMARY KEY);",
    );
    seedhost_in(
        dir,
        &shared_cache(),
        &["migrate", "--database-url", &pg.url],
        &[],
    )
    .ok();
    assert_eq!(cli_applied(dir, &pg.url).len(), 4);
    let push = supabase(dir, &["db", "push"], &pg.url);
    assert!(push.contains("Remote database is up to date"), "{push}");

    // The CLI resets: seedhost's own record is dropped with every schema, and
    // status agrees with the CLI before any migrate.
    supabase(dir, &["db", "reset"], &pg.url);
    assert!(!pg.db().table_exists("_seedhost_migrations"));
    let after_reset = states(dir, &pg.url);
    assert_eq!(after_reset.len(), 4, "{after_reset:?}");
    assert!(
        after_reset
            .iter()
            .all(|(_, state, by)| state == "applied" && by == "supabase_cli"),
        "{after_reset:?}"
    );
    let report = migrate(dir, &pg.url);
    assert_eq!(report["migrations"]["applied"], serde_json::json!([]));
    assert_eq!(report["migrations"]["adopted"].as_array().unwrap().len(), 4);
    assert_eq!(pg.db().count("likes"), 0, "the tables are there, and empty");
}

#[test]
fn never_keeps_status_to_seedhosts_own_record() {
    let project = supabase_project();
    let dir = project.path();
    let path = dir.join("seedhost.toml");
    let config = std::fs::read_to_string(&path).unwrap().replace(
        "supabase_history = \"always\"",
        "supabase_history = \"never\"",
    );
    std::fs::write(&path, config).unwrap();
    let pg = PgDb::create();
    supabase(dir, &["db", "push"], &pg.url);
    assert!(
        states(dir, &pg.url)
            .iter()
            .all(|(_, state, by)| state == "pending" && by == "-")
    );
}
