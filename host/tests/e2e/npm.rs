//! seedhost installed the way Supabase teams install the Supabase CLI: from
//! npm, a small `seedhost` package whose per-platform optional dependency
//! carries the binary. `npm/pack` packs the binary under test; a
//! Supabase-shaped project installs the tarballs with `npm i -D` and then does
//! what the README's install and CI sections say, through `npx seedhost`.
//!
//! Needs node and npm (fails saying so when missing), and reaches the npm
//! registry for componentize-js on the plugin's first build.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::harness::*;

fn npm_ok(what: &str, out: &Output) -> String {
    let said = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{what} failed:\n{said}");
    said
}

/// `npm/pack` of the binary under test: the platform tarball, then the main one.
fn pack(out: &Path) -> Vec<PathBuf> {
    let packed = Command::new("bash")
        .arg(workspace().join("npm/pack"))
        .args(["--binary", env!("CARGO_BIN_EXE_seedhost"), "--out"])
        .arg(out)
        .output()
        .unwrap();
    let said = npm_ok("npm/pack", &packed);
    let tarballs: Vec<PathBuf> = said
        .lines()
        .filter_map(|l| l.strip_prefix("tarball: "))
        .map(PathBuf::from)
        .collect();
    assert_eq!(tarballs.len(), 2, "{said}");
    tarballs
}

/// `npx seedhost ARGS` in `dir`, with no database variables from outside.
fn npx(dir: &Path, args: &[&str]) -> Output {
    Command::new("npx")
        .arg("seedhost")
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("SUPABASE_DB_URL")
        .env_remove("SEEDHOST_SDK_DIR")
        .env_remove("SEEDHOST_CACHE_DIR")
        .output()
        .expect("npx runs (Node.js 20+ with npm)")
}

#[test]
fn installed_from_npm_it_seeds_a_supabase_project_with_a_typescript_plugin() {
    let found = Command::new("npm")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "this test installs seedhost with npm: install Node.js 20+ with npm"
    );
    let packed = tempfile::tempdir().unwrap();
    let tarballs = pack(packed.path());

    // A Supabase team's repository.
    let project = tempfile::tempdir().unwrap();
    let dir = project.path();
    std::fs::create_dir_all(dir.join("supabase/migrations")).unwrap();
    std::fs::write(dir.join("supabase/config.toml"), "project_id = \"demo\"\n").unwrap();
    std::fs::write(
        dir.join("supabase/migrations/20240101000000_create_greetings.sql"),
        "CREATE TABLE greetings (id integer PRIMARY KEY, text text NOT NULL);",
    )
    .unwrap();
    std::fs::write(
        dir.join("package.json"),
        r#"{ "name": "team-app", "private": true }"#,
    )
    .unwrap();

    // The README's install: npm i -D seedhost (here, the packed tarballs).
    // --offline: the tarballs are all it needs, and the other platforms'
    // packages, which npm would look up and skip, are not asked for.
    let mut install = Command::new("npm");
    install
        .args([
            "install",
            "--save-dev",
            "--offline",
            "--no-audit",
            "--no-fund",
        ])
        .args(&tarballs)
        .current_dir(dir);
    npm_ok("npm install of the tarballs", &install.output().unwrap());
    // npm skips an optional dependency that fails without a word: the
    // platform package must be there.
    let platform = std::fs::read_dir(dir.join("node_modules/@seedhost"))
        .map(|d| d.flatten().map(|e| e.path()).collect::<Vec<_>>())
        .unwrap_or_default();
    assert!(
        platform.iter().any(|p| p.join("bin/seedhost").is_file()),
        "no platform package with bin/seedhost was installed: {platform:?}"
    );

    let version = npm_ok("npx seedhost --version", &npx(dir, &["--version"]));
    assert!(version.contains(env!("CARGO_PKG_VERSION")), "{version}");
    let init = npm_ok("npx seedhost init", &npx(dir, &["init"]));
    assert!(init.contains("a Supabase project"), "{init}");
    npm_ok(
        "npx seedhost plugin new",
        &npx(dir, &["plugin", "new", "greetings", "--lang", "ts"]),
    );
    let config = dir.join("seedhost.toml");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("tables = []", "tables = [\"greetings\"]");
    std::fs::write(&config, text).unwrap();
    std::fs::write(
        dir.join("plugins/greetings/src/index.ts"),
        r#"import { definePlugin } from '@seedhost/plugin';
export const { run, metadata } = definePlugin({
  name: 'greetings',
  tables: ['greetings'],
  run(ctx) {
    ctx.write('greetings', { columns: ['id', 'text'], conflict: ['id'] }, [[1, `hello from ${ctx.env}`]]);
  },
});
"#,
    )
    .unwrap();
    let built = npm_ok(
        "npx seedhost plugin build",
        &npx(dir, &["plugin", "build", "greetings"]),
    );
    assert!(built.contains("built greetings (TypeScript)"), "{built}");
    let run = npm_ok(
        "npx seedhost run",
        &npx(dir, &["run", "greetings", "--env", "local", "--json"]),
    );
    assert!(run.contains("\"greetings\""), "{run}");
    let db = Db::connect(&format!(
        "sqlite://{}",
        dir.join(".seedhost/local.db").display()
    ));
    assert_eq!(db.count("greetings"), 1);
    // The README's CI job: verify, with a JUnit report.
    npm_ok(
        "npx seedhost verify",
        &npx(dir, &["verify", "--junit", "verify.xml"]),
    );
    let junit = std::fs::read_to_string(dir.join("verify.xml")).unwrap();
    assert!(junit.contains("greetings"), "{junit}");
    // The README's second CI job: the same against a PostgreSQL service.
    let pg = PgDb::create();
    let mut verify = Command::new("npx");
    verify
        .args(["seedhost", "verify", "--junit", "verify-postgres.xml"])
        .current_dir(dir)
        .env("DATABASE_URL", &pg.url);
    npm_ok(
        "npx seedhost verify on PostgreSQL",
        &verify.output().unwrap(),
    );

    // Bad usage, a failure and success come through the launcher unchanged.
    assert_eq!(npx(dir, &["--no-such-flag"]).status.code(), Some(2));
    assert_eq!(npx(dir, &["run", "nothing-here"]).status.code(), Some(1));
    assert_eq!(npx(dir, &["status"]).status.code(), Some(0));
}
