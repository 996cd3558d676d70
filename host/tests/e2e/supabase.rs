//! seedhost on a database shaped like a hosted Supabase project
//! (`supabase/shape.sql`: Supabase's roles, `auth.users` and `auth.identities`
//! owned by `supabase_auth_admin` with GoTrue's columns, RLS without policies,
//! default privileges on `public`, the `supabase_realtime` publication), run as
//! a NOSUPERUSER role with hosted `postgres`'s rights (`supabase/hosted_role.sql`:
//! owner of the database and of `public`, BYPASSRLS, ALL on the auth tables, no
//! CREATE on `auth`). Also: the Supabase CLI's history, adoption, CLI-style file
//! names, `init` and `migrate repair`.

use std::path::Path;
use std::process::Command;

use crate::harness::*;

/// A Supabase-shaped database and the role seedhost runs as there.
struct Supabase {
    pg: PgDb,
    /// The stand-in for hosted `postgres`; dropped after the database it owns.
    _role: Role,
    /// The database, as the hosted role.
    url: String,
}

struct Role(String);

impl Drop for Role {
    fn drop(&mut self) {
        Db::connect(&postgres_admin_url()).execute(&format!("DROP ROLE IF EXISTS {}", self.0));
    }
}

fn psql(url: &str, file: &Path, role: &str) {
    let out = Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-v"])
        .arg(format!("hosted={role}"))
        .arg("-f")
        .arg(file)
        .arg(url)
        .output()
        .expect("psql runs (PostgreSQL's client is needed for these tests)");
    assert!(
        out.status.success(),
        "psql -f {} failed:\n{}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Supabase {
    fn create() -> Supabase {
        let pg = PgDb::create();
        let role = Role(format!("{}_hosted", pg.name));
        let dir = workspace().join("host/tests/e2e/supabase");
        psql(&pg.url, &dir.join("hosted_role.sql"), &role.0);
        psql(&pg.url, &dir.join("shape.sql"), &role.0);
        let url = pg
            .url
            .replacen("://postgres@", &format!("://{}@", role.0), 1);
        assert_ne!(url, pg.url, "the admin URL names user postgres");
        Supabase {
            pg,
            _role: role,
            url,
        }
    }

    /// The database as the superuser, for inspection.
    fn admin(&self) -> Db {
        self.pg.db()
    }
}

/// `(version, name, statements)` of the Supabase CLI's history.
fn cli_history(db: &Db) -> Vec<(String, String, i64)> {
    let rows: String = db.scalar(
        "SELECT COALESCE(string_agg(version || '|' || name || '|' || COALESCE(array_length(statements, 1), 0), ',' ORDER BY version), '')
           FROM supabase_migrations.schema_migrations",
    );
    rows.split(',')
        .filter(|r| !r.is_empty())
        .map(|r| {
            let mut parts = r.splitn(3, '|');
            (
                parts.next().unwrap().to_owned(),
                parts.next().unwrap().to_owned(),
                parts.next().unwrap().parse().unwrap(),
            )
        })
        .collect()
}

/// The repository's PostgreSQL migration files as the CLI names them.
fn cli_names() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(workspace().join("migrations"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".sqlite.sql"))
        .map(|n| {
            let base = n.trim_end_matches(".sql");
            let (v, name) = base.split_once('_').unwrap();
            (v.to_owned(), name.to_owned())
        })
        .collect();
    files.sort();
    files
}

fn applied_versions(status: &serde_json::Value) -> Vec<String> {
    status["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["state"] == "applied")
        .map(|m| m["version"].to_string())
        .collect()
}

/// What GoTrue needs of each test user for an e-mail + password sign-in: the
/// columns that fail, by user ("" when every requirement holds).
const SIGN_IN_PROBLEMS: &str = "
SELECT COALESCE(string_agg(u.email || ': ' || problems, '; ' ORDER BY u.email), '')
  FROM auth.users u
 CROSS JOIN LATERAL (SELECT concat_ws(', ',
     CASE WHEN u.instance_id IS DISTINCT FROM '00000000-0000-0000-0000-000000000000' THEN 'instance_id' END,
     CASE WHEN u.aud IS DISTINCT FROM 'authenticated' THEN 'aud' END,
     CASE WHEN u.role IS DISTINCT FROM 'authenticated' THEN 'role' END,
     CASE WHEN u.email IS DISTINCT FROM lower(u.email) THEN 'email (lower case)' END,
     CASE WHEN u.email_confirmed_at IS NULL THEN 'email_confirmed_at' END,
     CASE WHEN u.confirmed_at IS NULL THEN 'confirmed_at (generated)' END,
     CASE WHEN u.created_at IS NULL THEN 'created_at' END,
     CASE WHEN u.updated_at IS NULL THEN 'updated_at' END,
     CASE WHEN u.confirmation_token IS DISTINCT FROM '' THEN 'confirmation_token' END,
     CASE WHEN u.recovery_token IS DISTINCT FROM '' THEN 'recovery_token' END,
     CASE WHEN u.email_change_token_new IS DISTINCT FROM '' THEN 'email_change_token_new' END,
     CASE WHEN u.email_change IS DISTINCT FROM '' THEN 'email_change' END,
     CASE WHEN u.raw_app_meta_data->>'provider' IS DISTINCT FROM 'email'
            OR u.raw_app_meta_data->'providers' IS DISTINCT FROM '[\"email\"]'::jsonb THEN 'raw_app_meta_data' END,
     CASE WHEN u.encrypted_password NOT LIKE '$2a$10$%' THEN 'encrypted_password (bcrypt $2a$ cost 10)' END,
     CASE WHEN u.encrypted_password IS DISTINCT FROM extensions.crypt('test123456', u.encrypted_password)
          THEN 'encrypted_password (password)' END,
     CASE WHEN NOT EXISTS (
            SELECT 1 FROM auth.identities i
             WHERE i.user_id = u.id AND i.provider = 'email' AND i.provider_id = u.id::text
               AND i.identity_data = jsonb_build_object('sub', u.id::text, 'email', u.email,
                                                        'email_verified', false, 'phone_verified', false)
               AND i.email = u.email AND i.created_at IS NOT NULL AND i.updated_at IS NOT NULL)
          THEN 'auth.identities' END
   ) AS problems) p
 WHERE u.email LIKE 'test-%@example.com' AND p.problems <> ''";

#[test]
fn as_hosted_postgres_every_command_works_and_both_histories_agree() {
    let supabase = Supabase::create();
    let project = Project::repo();
    let url = supabase.url.as_str();
    let admin = supabase.admin();
    let db_args = |env: &'static str| vec!["--env", env, "--database-url", url];
    let cmd = |args: &[&'static str], env: &'static str| -> Vec<&str> {
        let mut all = args.to_vec();
        all.extend(db_args(env));
        all.push("--json");
        all
    };

    // 1. migrate: every file applies without rights on `auth`; both histories.
    let migrated = project.seedhost(&cmd(&["migrate"], "staging")).ok_json();
    assert!(
        !migrated["migrations"]["applied"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let history = cli_history(&admin);
    let named: Vec<(String, String)> = history
        .iter()
        .map(|(v, n, _)| (v.clone(), n.clone()))
        .collect();
    assert_eq!(named, cli_names());
    assert!(
        history.iter().all(|(_, _, statements)| *statements > 0),
        "{history:?}"
    );
    let status = project.seedhost(&cmd(&["status"], "staging")).ok_json();
    let versions: Vec<String> = history.iter().map(|(v, _, _)| v.clone()).collect();
    assert_eq!(applied_versions(&status), versions);
    // Supabase's own tables were left as they were.
    assert_eq!(
        admin.scalar::<String>("SELECT tableowner::text FROM pg_tables WHERE schemaname = 'auth' AND tablename = 'users'"),
        "supabase_auth_admin"
    );

    // 2. every plugin, then smoke; test users can sign in.
    let first = project.seedhost(&cmd(&["run", "--all"], "local")).ok_json();
    let ran: Vec<&str> = first["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(ran, ["curriculum", "test-users", "catalog"]);
    assert_eq!(admin.scalar::<String>(SIGN_IN_PROBLEMS), "");
    assert_eq!(admin.count("auth.identities"), 4);
    let smoke = project.seedhost(&cmd(&["smoke"], "local")).ok_json();
    assert!(
        smoke["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["passed"] == true),
        "{smoke}"
    );
    let second = project.seedhost(&cmd(&["run", "--all"], "local")).ok_json();
    for plugin in 0..3 {
        assert!(
            counts(&second, plugin)
                .iter()
                .all(|(_, [i, u, _])| *i == 0 && *u == 0),
            "a second run changed rows: {second}"
        );
    }

    // 3. reset keeps what Supabase set up in public, and the histories agree.
    let grants = "SELECT (SELECT COUNT(*) FROM pg_default_acl d JOIN pg_namespace n ON n.oid = d.defaclnamespace WHERE n.nspname = 'public')
                        || '/' || has_schema_privilege('anon', 'public', 'USAGE')
                        || '/' || has_schema_privilege('authenticated', 'public', 'USAGE')
                        || '/' || has_schema_privilege('service_role', 'public', 'USAGE')
                        || '/' || (SELECT COUNT(*) FROM pg_publication WHERE pubname = 'supabase_realtime')";
    let before = admin.scalar::<String>(grants);
    assert_eq!(before, "6/true/true/true/1");
    let name = supabase.pg.name.clone();
    let mut reset = vec!["reset", "--force", "--confirm", name.as_str()];
    reset.extend(db_args("staging"));
    reset.push("--json");
    let report = project.seedhost(&reset).ok_json();
    assert!(!report["reset"].as_array().unwrap().is_empty());
    assert_eq!(admin.scalar::<String>(grants), before);
    let status = project.seedhost(&cmd(&["status"], "staging")).ok_json();
    let history: Vec<String> = cli_history(&admin).into_iter().map(|(v, _, _)| v).collect();
    assert_eq!(applied_versions(&status), history);
    assert_eq!(history, versions);

    // 4. setup, as the same role.
    let setup = project.seedhost(&cmd(&["setup"], "local")).ok_json();
    assert_eq!(setup["plugins"].as_array().unwrap().len(), 3, "{setup}");
    assert_eq!(admin.scalar::<String>(SIGN_IN_PROBLEMS), "");
    let history: Vec<String> = cli_history(&admin).into_iter().map(|(v, _, _)| v).collect();
    assert_eq!(history, versions);
}

#[test]
fn a_database_migrated_by_the_supabase_cli_is_adopted_not_migrated_again() {
    let supabase = Supabase::create();
    let project = Project::repo();
    let admin = supabase.admin();
    // The CLI's way: each file and its history row in one transaction, as the
    // hosted role; nothing in seedhost's history.
    let hosted = Db::connect(&supabase.url);
    hosted.execute(
        "CREATE SCHEMA supabase_migrations;
         CREATE TABLE supabase_migrations.schema_migrations (version text NOT NULL PRIMARY KEY, statements text[], name text);",
    );
    for (version, name) in cli_names() {
        let file = workspace()
            .join("migrations")
            .join(format!("{version}_{name}.sql"));
        let sql = std::fs::read_to_string(&file).unwrap();
        hosted.execute(&format!(
            "BEGIN; {sql}; INSERT INTO supabase_migrations.schema_migrations (version, name, statements) VALUES ('{version}', '{name}', ARRAY[$seedhost${sql}$seedhost$]); COMMIT;"
        ));
    }
    let url = supabase.url.as_str();
    let run = project.seedhost(&["migrate", "--env", "staging", "--database-url", url]);
    run.ok();
    let out = run.stdout();
    let files = cli_names().len();
    assert!(
        out.contains(&format!(
            "adopted {files} migrations applied by the Supabase CLI"
        )),
        "{out}"
    );
    assert!(out.contains("migrations: up to date"), "{out}");
    let again = project
        .seedhost(&[
            "migrate",
            "--env",
            "staging",
            "--database-url",
            url,
            "--json",
        ])
        .ok_json();
    assert_eq!(again["migrations"]["applied"], serde_json::json!([]));
    assert!(again["migrations"].get("adopted").is_none(), "{again}");
    assert_eq!(admin.count("_seedhost_migrations"), files as i64);
    project
        .seedhost(&[
            "run",
            "--all",
            "--env",
            "local",
            "--database-url",
            url,
            "--json",
        ])
        .ok_json();

    // A version in the CLI's history with no file is named, with the CLI's fix.
    admin.execute("INSERT INTO supabase_migrations.schema_migrations (version, name) VALUES ('20300101000000', 'gone')");
    let out = project
        .seedhost(&["migrate", "--env", "staging", "--database-url", url])
        .failed();
    assert!(
        out.contains(
            "migration 20300101000000 is recorded in supabase_migrations.schema_migrations"
        ),
        "{out}"
    );
    assert!(
        out.contains("supabase migration repair --status reverted 20300101000000"),
        "{out}"
    );
}

#[test]
fn a_plain_postgres_database_gets_no_supabase_history() {
    let pg = PgDb::create();
    let project = Project::repo();
    project
        .seedhost(&["migrate", "--env", "staging", "--database-url", &pg.url])
        .ok();
    assert!(
        !pg.db()
            .scalar::<bool>("SELECT to_regnamespace('supabase_migrations') IS NOT NULL")
    );
}

#[test]
fn file_names_the_cli_accepts_migrate_and_new_stays_strict() {
    let project = Project::new("");
    std::fs::write(
        project
            .path()
            .join("migrations/20240101000000_Initial-Schema.sql"),
        "CREATE TABLE initial_things (id INTEGER PRIMARY KEY);",
    )
    .unwrap();
    let run = project.seedhost(&["migrate", "--json"]);
    let report = run.ok_json();
    let applied = report["migrations"]["applied"].as_array().unwrap();
    assert!(
        applied.iter().any(|a| a == "20240101000000_Initial-Schema"),
        "{report}"
    );
    assert!(
        run.stderr().contains("off the convention"),
        "{}",
        run.stderr()
    );
    assert!(project.sqlite().table_exists("initial_things"));
    let out = project.seedhost(&["new", "Initial-Schema"]).failed();
    assert!(out.contains("is not snake_case"), "{out}");
}

#[test]
fn migrate_repair_records_a_deliberately_changed_file() {
    let project = Project::new("");
    project.seedhost(&["migrate"]).ok();
    let file = project
        .path()
        .join("migrations/20990101000000_create_fixture_items.sql");
    std::fs::write(
        &file,
        format!("{FIXTURE_MIGRATION}\n-- reviewed 2026-11-29\n"),
    )
    .unwrap();
    let out = project.seedhost(&["migrate"]).failed();
    assert!(
        out.contains("seedhost migrate repair 20990101000000"),
        "{out}"
    );
    let repaired = project
        .seedhost(&["migrate", "repair", "20990101000000", "--json"])
        .ok_json();
    assert_eq!(repaired["file"], "20990101000000_create_fixture_items.sql");
    assert!(repaired["replaced"].is_string(), "{repaired}");
    let human = project
        .seedhost(&["migrate", "repair", "20990101000000"])
        .ok()
        .stdout();
    assert!(human.contains("already matches"), "{human}");
    project.seedhost(&["migrate"]).ok();
    let out = project.seedhost(&["migrate", "repair", "42"]).failed();
    assert!(out.contains("no migration file has version 42"), "{out}");
}

#[test]
fn init_in_a_supabase_project_shares_its_migrations() {
    let dir = tempfile::tempdir().unwrap();
    let migrations = dir.path().join("supabase/migrations");
    std::fs::create_dir_all(&migrations).unwrap();
    std::fs::write(
        dir.path().join("supabase/config.toml"),
        "project_id = \"demo\"\n",
    )
    .unwrap();
    std::fs::write(
        migrations.join("20240101000000_Initial-Schema.sql"),
        "CREATE TABLE a (id INTEGER PRIMARY KEY);",
    )
    .unwrap();
    std::fs::write(
        migrations.join("20240102000000_add_b.sql"),
        "CREATE TABLE b (id INTEGER PRIMARY KEY);",
    )
    .unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_seedhost"))
            .args(args)
            .current_dir(dir.path())
            .env_remove("DATABASE_URL")
            .env_remove("SUPABASE_DB_URL")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let said = run(&["init"]);
    assert!(said.contains("a Supabase project"), "{said}");
    // One history with the CLI on every PostgreSQL database, a plain one too.
    let config = std::fs::read_to_string(dir.path().join("seedhost.toml")).unwrap();
    assert!(config.contains("supabase_history = \"always\""), "{config}");
    let status: serde_json::Value = serde_json::from_str(&run(&["status", "--json"])).unwrap();
    let names: Vec<&str> = status["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["20240101000000_Initial-Schema", "20240102000000_add_b"]
    );
    assert!(
        status["migrations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["state"] == "pending")
    );
}
