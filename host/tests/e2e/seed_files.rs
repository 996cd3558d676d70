//! Supabase's seed files (`[db.seed]` of supabase/config.toml) run by
//! seedhost, against the real Supabase CLI on PostgreSQL: whichever tool
//! seeds first, the other agrees; an edited file runs again (unlike the
//! CLI); a failing file is rolled back naming file and line; on SQLite they
//! are skipped, saying so.

use std::path::Path;

use crate::harness::*;
use crate::supabase_cli::{supabase, supabase_project};

fn write_seed(dir: &Path, sql: &str) -> String {
    std::fs::write(dir.join("supabase/seed.sql"), sql).unwrap();
    use sha2::{Digest, Sha256};
    Sha256::digest(sql.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn seedhost(dir: &Path, args: &[&str]) -> Run {
    seedhost_in(dir, &shared_cache(), args, &[])
}

fn recorded_hash(db: &Db) -> String {
    db.scalar("SELECT hash FROM supabase_migrations.seed_files WHERE path = 'supabase/seed.sql'")
}

fn skip_reason(report: &serde_json::Value, path: &str) -> String {
    report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["plugin"] == path)
        .and_then(|s| s["reason"].as_str())
        .unwrap_or("(not skipped)")
        .to_owned()
}

#[test]
fn seedhost_seeds_first_then_the_cli_has_nothing_to_seed_and_an_edit_runs_again() {
    let project = supabase_project();
    let dir = project.path();
    let v1 = write_seed(dir, "INSERT INTO notes (id, body) VALUES (1, 'one');\n");
    let pg = PgDb::create();
    let url = pg.url.as_str();

    let plan = seedhost(dir, &["plan", "--database-url", url, "--json"]).ok_json();
    assert_eq!(plan["seed_files"][0]["action"], "run", "{plan}");
    let report = seedhost(dir, &["run", "--all", "--database-url", url, "--json"]).ok_json();
    assert_eq!(
        report["seed_files"][0]["path"], "supabase/seed.sql",
        "{report}"
    );
    assert_eq!(report["seed_files"][0]["rows_affected"], 1, "{report}");
    let db = pg.db();
    assert_eq!(recorded_hash(&db), v1, "recorded as the CLI records it");
    assert_eq!(
        db.count("seedhost.seed_ledger"),
        1,
        "and in seedhost's ledger"
    );

    // The CLI finds the same hash: nothing to seed (a plain INSERT run again
    // would fail on the duplicate key).
    let push = supabase(dir, &["db", "push", "--include-seed"], url);
    assert!(!push.contains("Seeding data"), "{push}");
    assert_eq!(db.count("notes"), 1);

    // verify runs it once, in its rolled-back transaction, whatever its policy.
    let verify = seedhost(dir, &["verify", "--database-url", url, "--json"]);
    assert_eq!(verify.code(), Some(1));
    let verify = verify.json();
    let check = verify["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["plugin"] == "supabase/seed.sql")
        .cloned()
        .unwrap_or_default();
    assert_eq!(check["check"], "seed-file", "{verify}");
    assert_eq!(
        check["passed"], false,
        "a plain INSERT run again fails: {verify}"
    );
    assert_eq!(db.count("notes"), 1);

    // Unchanged: skipped, saying so; plan agrees.
    let again = seedhost(dir, &["run", "--all", "--database-url", url, "--json"]).ok_json();
    assert!(
        skip_reason(&again, "supabase/seed.sql").starts_with("unchanged since 20"),
        "{again}"
    );
    let code = seedhost(dir, &["plan", "--database-url", url, "--detailed-exitcode"]).code();
    assert_eq!(code, Some(0));

    // An edit that fails on rows it already wrote: rolled back, file and
    // line named, the CLI's record untouched.
    write_seed(
        dir,
        "INSERT INTO notes (id, body) VALUES (2, 'two');\nINSERT INTO notes (id, body) VALUES (1, 'one');\n",
    );
    let failed = seedhost(dir, &["run", "supabase/seed.sql", "--database-url", url]);
    let said = failed.failed();
    assert!(
        said.contains("seed file supabase/seed.sql at line 2") && said.contains("duplicate key"),
        "{said}"
    );
    assert_eq!(db.count("notes"), 1, "nothing of the failed file was kept");
    assert_eq!(recorded_hash(&db), v1);
    assert_eq!(db.count("seedhost.seed_ledger"), 1);

    // An idempotent edit runs again (the CLI would only update the hash).
    let v3 = write_seed(
        dir,
        "INSERT INTO notes (id, body) VALUES (1, 'one'), (2, 'two') ON CONFLICT (id) DO NOTHING;\n",
    );
    let report = seedhost(
        dir,
        &["run", "supabase/seed.sql", "--database-url", url, "--json"],
    )
    .ok_json();
    assert_eq!(report["seed_files"][0]["rows_affected"], 1, "{report}");
    assert_eq!(db.count("notes"), 2);
    assert_eq!(recorded_hash(&db), v3);
    let push = supabase(dir, &["db", "push", "--include-seed"], url);
    assert!(!push.contains("Seeding data"), "{push}");

    // reset clears both records with the rest.
    seedhost(dir, &["reset", "--database-url", url]).ok();
    assert_eq!(db.count("supabase_migrations.seed_files"), 0);
    assert_eq!(db.count("seedhost.seed_ledger"), 0);
}

#[test]
fn the_cli_seeds_first_then_seedhost_skips_and_sqlite_skips_saying_so() {
    let project = supabase_project();
    let dir = project.path();
    write_seed(dir, "INSERT INTO notes (id, body) VALUES (1, 'one');\n");
    let pg = PgDb::create();
    let url = pg.url.as_str();
    supabase(dir, &["db", "push", "--include-seed"], url);
    let report = seedhost(dir, &["run", "--all", "--database-url", url, "--json"]).ok_json();
    assert!(
        skip_reason(&report, "supabase/seed.sql").contains("the Supabase CLI seeded it"),
        "{report}"
    );
    assert_eq!(pg.db().count("notes"), 1);

    // The CLI's push of an edit only updates its hash; seedhost, which has
    // the file in its ledger now, runs the edit.
    write_seed(
        dir,
        "INSERT INTO notes (id, body) VALUES (1, 'one'), (2, 'two') ON CONFLICT (id) DO NOTHING;\n",
    );
    let push = supabase(dir, &["db", "push", "--include-seed"], url);
    assert_eq!(pg.db().count("notes"), 1, "the CLI did not run it: {push}");
    let report = seedhost(dir, &["run", "--all", "--database-url", url, "--json"]).ok_json();
    assert_eq!(report["seed_files"][0]["rows_affected"], 1, "{report}");
    assert_eq!(pg.db().count("notes"), 2);

    // Not granted staging by default: named, it is refused; plan lists it.
    let refused = seedhost(
        dir,
        &[
            "run",
            "supabase/seed.sql",
            "--env",
            "staging",
            "--database-url",
            url,
        ],
    );
    assert!(
        refused
            .failed()
            .contains("seed files run in profile local only"),
        "{}",
        refused.stderr()
    );
    let plan = seedhost(
        dir,
        &[
            "plan",
            "supabase/seed.sql",
            "--env",
            "staging",
            "--database-url",
            url,
            "--json",
        ],
    )
    .ok_json();
    assert_eq!(plan["seed_files"][0]["action"], "refused", "{plan}");
    let unknown = seedhost(dir, &["run", "supabase/other.sql", "--database-url", url]);
    assert!(unknown.failed().contains("no seed file supabase/other.sql"));

    // SQLite: skipped, saying so, in run and plan.
    let report = seedhost(dir, &["run", "--all", "--json"]).ok_json();
    assert!(
        skip_reason(&report, "supabase/seed.sql").contains("skipped on SQLite"),
        "{report}"
    );
    let plan = seedhost(dir, &["plan", "--json"]).ok_json();
    assert_eq!(plan["seed_files"][0]["action"], "skip", "{plan}");
}

#[test]
fn a_seed_file_cannot_end_seedhosts_transaction_nor_leave_its_session_settings() {
    let project = supabase_project();
    let dir = project.path();
    std::fs::write(
        dir.join("supabase/migrations/20240103000000_fixture.sql"),
        FIXTURE_MIGRATION,
    )
    .unwrap();
    let config = dir.join("seedhost.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&hostile("probe", "ok", "").replace("{wasm}", &wasm_dir().display().to_string()));
    std::fs::write(&config, text).unwrap();
    let pg = PgDb::create();
    let url = pg.url.as_str();
    // A search_path no table is on: the plugin after it still writes its
    // unqualified table.
    write_seed(
        dir,
        "SET search_path = nowhere;\nINSERT INTO public.notes (id, body) VALUES (1, 'one');\n",
    );
    let report = seedhost(dir, &["run", "--all", "--database-url", url, "--json"]).ok_json();
    assert_eq!(report["plugins"][0]["status"], "ok", "{report}");
    assert_eq!(pg.db().count("fixture_items"), 1);
    write_seed(
        dir,
        "BEGIN;\nINSERT INTO notes (id, body) VALUES (2, 'two');\nCOMMIT;\n",
    );
    let failed = seedhost(dir, &["run", "--all", "--database-url", url]).failed();
    assert!(
        failed.contains("seed file supabase/seed.sql at line 1: `BEGIN` would end the transaction"),
        "{failed}"
    );
    assert_eq!(pg.db().count("notes"), 1);
}
