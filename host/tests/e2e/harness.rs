//! What the end-to-end tests share: plugins compiled for real, throwaway
//! projects, the real `seedhost` binary, and real databases to look into.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::{Connection, Executor};

/// The repository root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// Where the test plugins are, after building them (once per test process;
/// cargo's own lock serializes concurrent test binaries).
pub fn wasm_dir() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let output = Command::new(cargo)
            .args(["build", "--release", "--target", "wasm32-wasip2"])
            .args([
                "-p",
                "catalog",
                "-p",
                "curriculum",
                "-p",
                "test-users",
                "-p",
                "hostile",
                "-p",
                "future",
                "-p",
                "chatty",
            ])
            .current_dir(workspace())
            .output()
            .expect("cargo runs");
        assert!(
            output.status.success(),
            "building the test plugins failed (is the wasm32-wasip2 target installed? \
             `rustup target add wasm32-wasip2`):\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        workspace().join("target/wasm32-wasip2/release")
    })
}

/// The component cache the tests share, so each plugin compiles once.
pub fn shared_cache() -> PathBuf {
    workspace().join("target/seedhost-test-cache")
}

/// Where the repository's seedhost.toml starts its TypeScript and Python examples.
pub const EXAMPLES_MARKER: &str = "# Examples in other languages";

/// A migration every fixture project gets besides the repository's own.
pub const FIXTURE_MIGRATION: &str = "CREATE TABLE fixture_items (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    qty INTEGER CHECK (qty IS NULL OR qty >= 0),
    price NUMERIC(10,2),
    doc JSONB,
    at TIMESTAMPTZ
);
";

/// A throwaway project: `seedhost.toml`, the repository's migrations plus the
/// fixture table, and its own `.seedhost/`.
pub struct Project {
    pub dir: tempfile::TempDir,
    pub cache: PathBuf,
}

impl Project {
    /// A project whose configuration is `config`, with `{wasm}` standing for
    /// the directory of the compiled test plugins.
    pub fn new(config: &str) -> Project {
        let dir = tempfile::tempdir().unwrap();
        let wasm = wasm_dir().display().to_string();
        std::fs::write(
            dir.path().join("seedhost.toml"),
            config.replace("{wasm}", &wasm),
        )
        .unwrap();
        let migrations = dir.path().join("migrations");
        std::fs::create_dir(&migrations).unwrap();
        for entry in std::fs::read_dir(workspace().join("migrations")).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), migrations.join(entry.file_name())).unwrap();
        }
        std::fs::write(
            migrations.join("20990101000000_create_fixture_items.sql"),
            FIXTURE_MIGRATION,
        )
        .unwrap();
        Project {
            dir,
            cache: shared_cache(),
        }
    }

    /// A project set up like this repository: its seedhost.toml (pointing at
    /// the test build of the plugins), migrations and smoke checks.
    pub fn repo() -> Project {
        let config = std::fs::read_to_string(workspace().join("seedhost.toml")).unwrap();
        // The TypeScript and Python examples are left out: whether they are
        // built must not change what these tests see (polyglot.rs tests them).
        let config = config
            .split(EXAMPLES_MARKER)
            .next()
            .unwrap()
            .replace("target/wasm32-wasip2/release", "{wasm}");
        let project = Project::new(&config);
        // The repository's migrations only: no fixture table.
        std::fs::remove_file(
            project
                .path()
                .join("migrations/20990101000000_create_fixture_items.sql"),
        )
        .unwrap();
        let smoke = project.path().join("smoke");
        std::fs::create_dir(&smoke).unwrap();
        for entry in std::fs::read_dir(workspace().join("smoke")).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), smoke.join(entry.file_name())).unwrap();
        }
        project
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs `seedhost` in the project with a clean environment: no database
    /// variables leak in from the test's own environment.
    pub fn seedhost(&self, args: &[&str]) -> Run {
        self.seedhost_env(args, &[])
    }

    pub fn seedhost_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        seedhost_in(self.path(), &self.cache, args, env)
    }

    /// Starts `seedhost` in the project, as `seedhost` does, without waiting:
    /// output is piped, for `Run(child.wait_with_output())`.
    pub fn spawn(&self, args: &[&str]) -> std::process::Child {
        seedhost_command(self.path(), &self.cache, args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// The embedded default database's file.
    pub fn local_db(&self) -> PathBuf {
        self.path().join(".seedhost/local.db")
    }

    /// The embedded default database, opened for inspection.
    pub fn sqlite(&self) -> Db {
        Db::connect(&format!("sqlite://{}", self.local_db().display()))
    }
}

/// `seedhost args` in `dir`, caching in `cache`, with a clean environment:
/// no database variables leak in from the test's own.
pub fn seedhost_command(dir: &Path, cache: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_seedhost"));
    command
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("SUPABASE_DB_URL")
        .env_remove("RUST_LOG")
        .env("SEEDHOST_CACHE_DIR", cache);
    command
}

/// Runs `seedhost args` in `dir` (see [`seedhost_command`]) with `env` added.
pub fn seedhost_in(dir: &Path, cache: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = seedhost_command(dir, cache, args);
    command.envs(env.iter().copied());
    Run(command.output().expect("seedhost runs"))
}

/// A finished `seedhost` process.
pub struct Run(pub Output);

impl Run {
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }

    pub fn code(&self) -> Option<i32> {
        self.0.status.code()
    }

    /// Asserts success.
    pub fn ok(&self) -> &Run {
        assert!(
            self.0.status.success(),
            "seedhost failed:\n{}\n{}",
            self.stdout(),
            self.stderr()
        );
        self
    }

    /// Asserts success and returns the JSON report.
    pub fn ok_json(&self) -> serde_json::Value {
        assert!(
            self.0.status.success(),
            "seedhost failed:\n{}\n{}",
            self.stdout(),
            self.stderr()
        );
        self.json()
    }

    /// The JSON report (the run used `--json`).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout()).unwrap_or_else(|e| {
            panic!(
                "stdout is not one JSON object ({e}):\n{}\n{}",
                self.stdout(),
                self.stderr()
            )
        })
    }

    /// Asserts failure (exit status 1) and returns stdout and stderr together.
    pub fn failed(&self) -> String {
        assert_eq!(
            self.code(),
            Some(1),
            "expected exit 1:\n{}\n{}",
            self.stdout(),
            self.stderr()
        );
        format!("{}\n{}", self.stdout(), self.stderr())
    }
}

/// The stems of the repository's migrations that apply to a backend, in order,
/// plus the fixture table's (which every `Project::new` adds).
pub fn migration_stems(postgres: bool) -> Vec<String> {
    let mut stems: Vec<String> = std::fs::read_dir(workspace().join("migrations"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| {
            !n.ends_with(if postgres {
                ".sqlite.sql"
            } else {
                ".postgres.sql"
            })
        })
        .map(|n| {
            n.trim_end_matches(".sql")
                .trim_end_matches(".postgres")
                .trim_end_matches(".sqlite")
                .to_owned()
        })
        .collect();
    stems.push("20990101000000_create_fixture_items".into());
    stems.sort();
    stems
}

/// `{"table": [inserted, updated, unchanged], ...}` of one plugin in a report,
/// sorted by table.
pub fn counts(report: &serde_json::Value, plugin: usize) -> Vec<(String, [u64; 3])> {
    report["plugins"][plugin]["tables"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(table, c)| {
            let n = |k: &str| c[k].as_u64().unwrap();
            (table.clone(), [n("inserted"), n("updated"), n("unchanged")])
        })
        .collect()
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap()
    })
}

/// A database the test looks into (never through seedhost).
pub enum Db {
    Postgres(sqlx::PgPool),
    Sqlite(sqlx::SqlitePool),
}

impl Db {
    pub fn connect(url: &str) -> Db {
        runtime().block_on(async {
            if url.starts_with("sqlite") {
                Db::Sqlite(sqlx::SqlitePool::connect(url).await.unwrap())
            } else {
                Db::Postgres(sqlx::PgPool::connect(url).await.unwrap())
            }
        })
    }

    /// Rows in `table`; 0 if the table does not exist.
    pub fn count(&self, table: &str) -> i64 {
        if !self.table_exists(table) {
            return 0;
        }
        self.scalar(&format!("SELECT COUNT(*) FROM {table}"))
    }

    pub fn table_exists(&self, table: &str) -> bool {
        match self {
            Db::Postgres(_) => {
                self.scalar::<bool>(&format!("SELECT to_regclass('{table}') IS NOT NULL"))
            }
            Db::Sqlite(_) => {
                self.scalar::<i64>(&format!(
                    "SELECT COUNT(*) FROM sqlite_master WHERE name = '{table}'"
                )) > 0
            }
        }
    }

    /// Runs statements that return nothing.
    pub fn execute(&self, sql: &str) {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        runtime()
            .block_on(async {
                match self {
                    Db::Postgres(p) => sqlx::raw_sql(sql).execute(p).await.map(drop),
                    Db::Sqlite(p) => sqlx::raw_sql(sql).execute(p).await.map(drop),
                }
            })
            .unwrap();
    }

    /// The first column of the first row of `sql`.
    pub fn scalar<T>(&self, sql: &str) -> T
    where
        T: Send + Unpin + for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
        T: for<'r> sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
    {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        runtime().block_on(async {
            match self {
                Db::Postgres(p) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
                Db::Sqlite(p) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
            }
        })
    }

    /// The catalog stats of the seeded journey, as the landing page shows them:
    /// chapters, insights, learners, average rating × 10, ratings, minutes.
    pub fn catalog_stats(&self) -> [i64; 6] {
        let column = |c: &str| {
            self.scalar::<i64>(&format!(
                "SELECT CAST({c} AS BIGINT) FROM catalog_journey_stats WHERE slug = 'agentic-ai-mastery'"
            ))
        };
        [
            column("chapter_count"),
            column("insight_count"),
            column("learner_count"),
            column("ROUND(average_rating * 10)"),
            column("rating_count"),
            column("total_time_minutes"),
        ]
    }

    /// Every row of `table` as text, sorted, without the `except` columns:
    /// for row-by-row comparisons.
    pub fn dump(&self, table: &str, except: &[&str]) -> String {
        let except = except
            .iter()
            .map(|c| format!("'{c}'"))
            .collect::<Vec<_>>()
            .join(", ");
        match self {
            Db::Postgres(_) => self.scalar(&format!(
                "SELECT COALESCE(string_agg(r, E'\\n' ORDER BY r), '') FROM \
                 (SELECT (to_jsonb(t) - ARRAY[{except}]::text[])::text AS r FROM {table} t) rows"
            )),
            Db::Sqlite(_) => {
                let columns: String = self.scalar(&format!(
                    "SELECT group_concat('quote(\"' || name || '\")', ' || '','' || ') \
                     FROM pragma_table_info('{table}') WHERE name NOT IN ({except})"
                ));
                self.scalar(&format!(
                    "SELECT COALESCE(group_concat(r, char(10)), '') FROM \
                     (SELECT {columns} AS r FROM {table} ORDER BY r)"
                ))
            }
        }
    }

    /// Every catalog table's rows, for comparing what two plugins wrote;
    /// `created_at` is left out, as the migration, not the plugin, sets it.
    pub fn catalog_rows(&self) -> String {
        CATALOG_TABLES
            .iter()
            .map(|t| format!("{t}:\n{}", self.dump(t, &["created_at"])))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Every table's row count: for "nothing changed" checks.
    pub fn snapshot(&self, tables: &[&str]) -> Vec<(String, i64)> {
        tables
            .iter()
            .map(|t| (t.to_string(), self.count(t)))
            .collect()
    }
}

/// The PostgreSQL server the tests use: `SEEDHOST_TEST_POSTGRES` or the local
/// default. Tests fail, not skip, when it cannot be reached.
pub fn postgres_admin_url() -> String {
    std::env::var("SEEDHOST_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A PostgreSQL database of the test's own, dropped at the end.
pub struct PgDb {
    pub name: String,
    pub url: String,
    admin: String,
}

/// The second PostgreSQL server of the tests that span two:
/// `SEEDHOST_TEST_POSTGRES_2` or a cluster on port 5433 (`.ci/run` creates
/// and starts it). Tests fail, not skip, when it cannot be reached.
pub fn second_postgres_admin_url() -> String {
    std::env::var("SEEDHOST_TEST_POSTGRES_2")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5433/postgres".into())
}

impl PgDb {
    pub fn create() -> PgDb {
        PgDb::create_on(&postgres_admin_url())
    }

    /// A database of the test's own on the server `admin` names.
    pub fn create_on(admin: &str) -> PgDb {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!(
            "seedhost_test_{}_{}_{nanos}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let admin = admin.to_owned();
        runtime().block_on(async {
            let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap_or_else(|e| {
                panic!(
                    "PostgreSQL is required for these tests and {admin} cannot be reached: {e}\n\
                     (start it, or set SEEDHOST_TEST_POSTGRES)"
                )
            });
            conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .await
                .unwrap();
        });
        let url = match admin.rsplit_once('/') {
            Some((server, _)) => format!("{server}/{name}"),
            None => panic!("SEEDHOST_TEST_POSTGRES must end in /DATABASE"),
        };
        PgDb { name, url, admin }
    }

    pub fn db(&self) -> Db {
        Db::connect(&self.url)
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let admin = self.admin.clone();
        let name = self.name.clone();
        runtime().block_on(async {
            if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                let _ = conn
                    .execute(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .await;
            }
        });
    }
}

/// The catalog plugin's configuration entry, pointing at the test build.
pub const CATALOG: &str = r#"
[plugins.catalog]
wasm = "{wasm}/catalog.wasm"
tables = ["catalog_journeys", "catalog_chapters", "catalog_journey_chapters", "catalog_insights",
          "catalog_chapter_insights", "catalog_journey_enrollments", "catalog_journey_ratings"]
profiles = ["local", "staging"]
"#;

/// The catalog's entry again, as plugin `name` with the component `wasm`.
pub fn catalog_entry(name: &str, wasm: &Path) -> String {
    CATALOG
        .replace("[plugins.catalog]", &format!("[plugins.{name}]"))
        .replace("{wasm}/catalog.wasm", &wasm.display().to_string())
}

/// The catalog tables.
pub const CATALOG_TABLES: [&str; 7] = [
    "catalog_journeys",
    "catalog_chapters",
    "catalog_journey_chapters",
    "catalog_insights",
    "catalog_chapter_insights",
    "catalog_journey_enrollments",
    "catalog_journey_ratings",
];

/// A hostile plugin entry: `mode`, extra TOML lines for the entry.
pub fn hostile(name: &str, mode: &str, extra: &str) -> String {
    format!(
        "[plugins.{name}]\nwasm = \"{{wasm}}/hostile.wasm\"\ntables = [\"fixture_items\"]\n\
         profiles = [\"local\", \"staging\"]\nparams = {{ mode = \"{mode}\" }}\n{extra}\n"
    )
}
