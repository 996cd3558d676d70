//! seedhost-bench: seeds N synthetic enrollments through seedhost (the `bulk`
//! plugin) and through the reference paths a team would otherwise use, on the
//! same database in one run, and prints medians and ratios.
//!
//! PostgreSQL: psql `\copy` (no upsert, the ceiling), COPY into a temporary
//! table then one upsert (with and without an `IS DISTINCT FROM` guard), a
//! seed.sql of 1,000-row multi-row upserts run by psql, one upsert per row, and
//! sqlx UNNEST batches from native code (seedhost's own statement, without the
//! sandbox). SQLite: the sqlite3 shell's `.import` and a multi-row INSERT
//! script. Start-up: `seedhost run catalog` with nothing to do against `psql -f`
//! of the same rows, and the in-process cost of loading a cached component and
//! instantiating it.
//!
//! Each path seeds an empty table, then re-runs on the full table (nothing
//! changed). Every path's result is checked row by row against the generator.
//! Needs `psql`, `pg_dump` and `sqlite3` on PATH and a PostgreSQL server.
//!
//!     cargo run --release -p seedhost-bench -- --rows 100000

use bulk_rows as rows;

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail, ensure};
use clap::{Parser, ValueEnum};
use sqlx::{Connection, Executor};

#[derive(Debug, Parser)]
#[command(about = "Benchmarks seedhost against psql, COPY and sqlite3 on one database, in one run")]
struct Args {
    /// Rows to seed
    #[arg(long, default_value_t = 1_000_000)]
    rows: u64,

    /// Repetitions of each measurement (medians are reported)
    #[arg(long, default_value_t = 3)]
    reps: usize,

    /// A PostgreSQL URL whose user may create databases
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    postgres: String,

    /// Which parts to run (default: all)
    #[arg(long, value_enum)]
    only: Vec<Part>,

    /// Skip one-upsert-per-row (about a minute per pass at 1M rows)
    #[arg(long)]
    skip_row_at_a_time: bool,

    /// Measure this seedhost binary instead of building this checkout's (the
    /// plugins are still built): an earlier build, for before-and-after figures
    #[arg(long, value_name = "PATH")]
    seedhost: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Part {
    Postgres,
    Sqlite,
    Startup,
    /// The seed ledger's cost per plugin run, and `seedhost plan` on this
    /// repository's project, on PostgreSQL and SQLite.
    Ledger,
    /// The same rows from the TypeScript SDK (bench/bulk-ts) and the Python
    /// SDK (bench/bulk-py) against the Rust SDK's, into PostgreSQL; a language
    /// is skipped, with a line saying so, without its tools (node and npm;
    /// python3 with venv).
    #[value(alias = "typescript", alias = "python")]
    Languages,
    /// `run --all` of this repository's project on 50 fresh PostgreSQL
    /// databases: 50 invocations one after another, against one fan-out
    /// (`--targets`) with `--jobs 1` and `--jobs 2`.
    Fanout,
    /// A fresh seeded database from a template (`template clone`) against a
    /// replay of the migrations and seeds, on PostgreSQL and SQLite: this
    /// repository's project plus the `bulk` plugin and table at 100k rows.
    Template,
}

/// Medians of one path.
struct Line {
    path: String,
    empty: Option<f64>,
    rerun: Option<f64>,
}

fn main() -> Result<()> {
    let args = Args::parse();
    ensure!(args.reps > 0, "--reps must be at least 1");
    ensure!(
        args.rows <= rows::USERS * rows::JOURNEYS,
        "--rows at most {}",
        rows::USERS * rows::JOURNEYS
    );
    for tool in ["psql", "pg_dump", "sqlite3"] {
        let found = Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        ensure!(found, "`{tool}` is needed on PATH");
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned();
    build(&root, args.seedhost.is_none())?;
    let work = tempfile::Builder::new()
        .prefix("seedhost-bench-")
        .tempdir_in(root.join("target"))?;
    let bench = Bench {
        seedhost: match &args.seedhost {
            Some(path) => std::path::absolute(path)?,
            None => root.join("target/release/seedhost"),
        },
        root,
        work: work.path().to_owned(),
        rows: args.rows,
        reps: args.reps,
        admin: args.postgres.clone(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let parts = if args.only.is_empty() {
        vec![
            Part::Postgres,
            Part::Sqlite,
            Part::Startup,
            Part::Ledger,
            Part::Languages,
            Part::Fanout,
            Part::Template,
        ]
    } else {
        args.only.clone()
    };

    println!(
        "seedhost benchmark · N = {} rows · {} repetition(s), medians in seconds · {}",
        thousands(args.rows),
        args.reps,
        runtime.block_on(server_version(&args.postgres))?
    );
    println!("generating reference files in {} ...", bench.work.display());
    bench.write_files()?;
    let expected = expected_digest(args.rows);
    if parts.contains(&Part::Postgres) {
        runtime.block_on(bench.postgres(&expected, args.skip_row_at_a_time))?;
    }
    if parts.contains(&Part::Sqlite) {
        runtime.block_on(bench.sqlite(&expected))?;
    }
    if parts.contains(&Part::Startup) {
        runtime.block_on(bench.startup())?;
    }
    if parts.contains(&Part::Ledger) {
        runtime.block_on(bench.ledger())?;
    }
    if parts.contains(&Part::Languages) {
        runtime.block_on(bench.languages(&expected))?;
    }
    if parts.contains(&Part::Fanout) {
        runtime.block_on(bench.fanout())?;
    }
    if parts.contains(&Part::Template) {
        runtime.block_on(bench.template())?;
    }
    Ok(())
}

/// Builds what is measured, in release mode: the host (unless `host` is
/// false) and the plugins.
fn build(root: &Path, host: bool) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    for args in [
        // With the benchmark in the same build, so features unify as they did
        // for `cargo run -p seedhost-bench` and nothing is rebuilt.
        vec![
            "build",
            "--release",
            "-p",
            "seedhost",
            "-p",
            "seedhost-bench",
        ],
        vec![
            "build",
            "--release",
            "--target",
            "wasm32-wasip2",
            "-p",
            "bulk",
            "-p",
            "catalog",
            "-p",
            "curriculum",
            "-p",
            "test-users",
        ],
    ]
    .into_iter()
    .skip(usize::from(!host))
    {
        let mut command = Command::new(&cargo);
        command.args(&args).current_dir(root);
        // `cargo run` gives this process its package's CARGO_PKG_* variables;
        // build scripts (ring's) watch some of them, and a nested build that
        // inherited them would rebuild half the dependency tree.
        for (key, _) in std::env::vars() {
            let package = [
                "CARGO_PKG_",
                "CARGO_MANIFEST_",
                "CARGO_CRATE_",
                "CARGO_BIN_",
                "CARGO_PRIMARY_",
            ];
            if package.iter().any(|p| key.starts_with(p)) {
                command.env_remove(key);
            }
        }
        let status = command.status()?;
        ensure!(status.success(), "cargo {} failed", args.join(" "));
    }
    Ok(())
}

struct Bench {
    root: PathBuf,
    seedhost: PathBuf,
    work: PathBuf,
    rows: u64,
    reps: usize,
    admin: String,
}

/// One enrollment as text, the way every path writes it.
struct Text {
    id: String,
    user: String,
    journey: String,
    status: &'static str,
    progress: i64,
    at: String,
    meta: String,
}

fn text(i: u64) -> Text {
    let r = rows::row(SEED, i);
    Text {
        id: uuid_text(r.id),
        user: uuid_text(r.user),
        journey: uuid_text(r.journey),
        status: r.status,
        progress: r.progress,
        at: chrono::DateTime::from_timestamp(r.enrolled_at, 0)
            .unwrap()
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string(),
        meta: rows::meta(r.score),
    }
}

const SEED: u64 = 1;
const COLUMNS: &str = "id, user_id, journey_id, status, progress, enrolled_at, meta";
const UPDATE_ALL: &str = "user_id = EXCLUDED.user_id, journey_id = EXCLUDED.journey_id, status = EXCLUDED.status, \
     progress = EXCLUDED.progress, enrolled_at = EXCLUDED.enrolled_at, meta = EXCLUDED.meta";

/// An order-independent digest of the table's content, comparable with what
/// the database holds: (rows, xor of per-row hashes).
#[derive(Debug, PartialEq, Eq)]
struct Digest(u64, u64);

fn row_hash(
    id: &str,
    user: &str,
    journey: &str,
    status: &str,
    progress: i64,
    epoch: i64,
    score: i64,
) -> u64 {
    let mut h = DefaultHasher::new();
    (id, user, journey, status, progress, epoch, score).hash(&mut h);
    h.finish()
}

fn expected_digest(n: u64) -> Digest {
    let mut x = 0;
    for i in 0..n {
        let r = rows::row(SEED, i);
        x ^= row_hash(
            &uuid_text(r.id),
            &uuid_text(r.user),
            &uuid_text(r.journey),
            r.status,
            r.progress,
            r.enrolled_at,
            r.score as i64,
        );
    }
    Digest(n, x)
}

impl Bench {
    fn path(&self, name: &str) -> PathBuf {
        self.work.join(name)
    }

    /// rows.csv (for \copy and .import), seed.sql (1,000-row upserts),
    /// rows.sql (one upsert per row).
    fn write_files(&self) -> Result<()> {
        let mut csv = std::io::BufWriter::new(std::fs::File::create(self.path("rows.csv"))?);
        let mut seed = std::io::BufWriter::new(std::fs::File::create(self.path("seed.sql"))?);
        let mut single = std::io::BufWriter::new(std::fs::File::create(self.path("rows.sql"))?);
        let mut values = String::new();
        for i in 0..self.rows {
            let t = text(i);
            writeln!(
                csv,
                "{},{},{},{},{},{},\"{}\"",
                t.id,
                t.user,
                t.journey,
                t.status,
                t.progress,
                t.at,
                t.meta.replace('"', "\"\"")
            )?;
            let tuple = format!(
                "('{}', '{}', '{}', '{}', {}, '{}', '{}')",
                t.id, t.user, t.journey, t.status, t.progress, t.at, t.meta
            );
            writeln!(
                single,
                "INSERT INTO bench_enrollments ({COLUMNS}) VALUES {tuple} ON CONFLICT (id) DO UPDATE SET {UPDATE_ALL};"
            )?;
            if !values.is_empty() {
                values.push_str(",\n");
            }
            values.push_str(&tuple);
            if (i + 1) % 1000 == 0 || i + 1 == self.rows {
                writeln!(
                    seed,
                    "INSERT INTO bench_enrollments ({COLUMNS}) VALUES\n{values}\nON CONFLICT (id) DO UPDATE SET {UPDATE_ALL};"
                )?;
                values.clear();
            }
        }
        csv.flush()?;
        seed.flush()?;
        single.flush()?;
        let copy = |guard: &str| {
            format!(
                "BEGIN;\nCREATE TEMP TABLE bench_stage (LIKE bench_enrollments) ON COMMIT DROP;\n\
                 \\copy bench_stage FROM '{}' WITH (FORMAT csv)\n\
                 INSERT INTO bench_enrollments AS t SELECT * FROM bench_stage \
                 ON CONFLICT (id) DO UPDATE SET {UPDATE_ALL}{guard};\nCOMMIT;\n",
                self.path("rows.csv").display()
            )
        };
        std::fs::write(self.path("copy_upsert.sql"), copy(""))?;
        std::fs::write(
            self.path("copy_upsert_guarded.sql"),
            copy(" WHERE (t.*) IS DISTINCT FROM (EXCLUDED.*)"),
        )?;
        Ok(())
    }

    /// Runs `command` and returns its wall time, failing on a non-zero exit.
    fn time(&self, command: &mut Command) -> Result<Duration> {
        let started = Instant::now();
        let output = command
            .output()
            .with_context(|| format!("running {command:?}"))?;
        let elapsed = started.elapsed();
        ensure!(
            output.status.success(),
            "{command:?} failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        Ok(elapsed)
    }

    /// Runs seedhost and returns its wall time and peak RSS in KiB (0 when
    /// GNU time is missing).
    ///
    /// The RSS comes from GNU time, not from our own wait4: Linux carries a
    /// process's peak RSS across exec, so a child of this (large) process would
    /// report our peak, not its own. time's small process forks seedhost.
    fn seedhost_run(&self, args: &[&str]) -> Result<(Duration, u64)> {
        let log = self.path("seedhost.log");
        let rss = self.path("seedhost.rss");
        let gnu_time = Path::new("/usr/bin/time").is_file();
        let mut command = if gnu_time {
            let mut c = Command::new("/usr/bin/time");
            c.args(["-f", "%M", "-o"]).arg(&rss).arg(&self.seedhost);
            c
        } else {
            Command::new(&self.seedhost)
        };
        command
            .args(args)
            .env_remove("DATABASE_URL")
            .env_remove("SUPABASE_DB_URL")
            .stdout(std::fs::File::create(&log)?)
            .stderr(std::fs::OpenOptions::new().append(true).open(&log)?);
        let started = Instant::now();
        let status = command.status()?;
        let elapsed = started.elapsed();
        ensure!(
            status.success(),
            "seedhost {args:?} failed:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        let kib = if gnu_time {
            std::fs::read_to_string(&rss)?
                .trim()
                .lines()
                .last()
                .unwrap_or("0")
                .parse()
                .unwrap_or(0)
        } else {
            0
        };
        Ok((elapsed, kib))
    }

    fn bulk_args<'a>(&'a self, url: &'a str, rows: &'a str) -> Vec<&'a str> {
        self.plugin_args("bulk", url, rows)
    }

    fn plugin_args<'a>(&'a self, plugin: &'a str, url: &'a str, rows: &'a str) -> Vec<&'a str> {
        let config = self.root.join("bench/seedhost.toml");
        let config: &'a str = Box::leak(config.display().to_string().into_boxed_str());
        vec![
            "--config",
            config,
            "run",
            plugin,
            "-q",
            "--database-url",
            url,
            "--param",
            rows,
        ]
    }

    async fn postgres(&self, expected: &Digest, skip_row_at_a_time: bool) -> Result<()> {
        let db = TempDb::create(&self.admin).await?;
        let url = db.url.clone();
        let rows_param = format!("rows={}", self.rows);
        let config = self.root.join("bench/seedhost.toml").display().to_string();
        self.seedhost_run(&["--config", &config, "migrate", "-q", "--database-url", &url])?;
        let mut conn = sqlx::PgConnection::connect(&url).await?;
        let truncate = async |conn: &mut sqlx::PgConnection| -> Result<()> {
            conn.execute("TRUNCATE bench_enrollments").await?;
            conn.execute("VACUUM ANALYZE bench_enrollments").await?;
            conn.execute("CHECKPOINT").await?;
            Ok(())
        };
        let psql = |file: &Path| {
            let mut c = Command::new("psql");
            c.args(["-q", "-X", "-v", "ON_ERROR_STOP=1", "-1", "-d", &url, "-f"])
                .arg(file);
            c
        };
        let copy_from = |from: String| {
            let mut c = Command::new("psql");
            c.args(["-q", "-X", "-d", &url, "-c"])
                .arg(format!("\\copy bench_enrollments FROM {from}"));
            c
        };

        // PostgreSQL's own text export of the rows, for the second \copy.
        let export = self.path("rows.pg.txt");
        truncate(&mut conn).await?;
        self.seedhost_run(&self.bulk_args(&url, &rows_param))?;
        let to = format!("\\copy bench_enrollments TO '{}'", export.display());
        self.time(Command::new("psql").args(["-q", "-X", "-d", &url, "-c", &to]))?;

        #[derive(Clone, Copy, PartialEq)]
        enum PgPath {
            Seedhost,
            Native,
            CopyCsv,
            CopyExport,
            Psql(&'static str, bool),
        }
        let mut paths = vec![
            (PgPath::Seedhost, "seedhost run bulk (sandboxed plugin)"),
            (
                PgPath::Native,
                "sqlx UNNEST, 10k batches, guarded (native, no sandbox)",
            ),
            (
                PgPath::CopyCsv,
                "psql \\copy, the generator's CSV (no upsert)",
            ),
            (
                PgPath::CopyExport,
                "psql \\copy, PostgreSQL's own text export (no upsert)",
            ),
            (
                PgPath::Psql("copy_upsert.sql", false),
                "COPY → temp → INSERT … ON CONFLICT DO UPDATE",
            ),
            (
                PgPath::Psql("copy_upsert_guarded.sql", true),
                "same, WHERE (t.*) IS DISTINCT FROM (excluded.*)",
            ),
            (
                PgPath::Psql("seed.sql", false),
                "psql seed.sql, 1,000-row INSERT … ON CONFLICT",
            ),
        ];
        if !skip_row_at_a_time {
            paths.push((
                PgPath::Psql("rows.sql", false),
                "one INSERT … ON CONFLICT per row (1 pass)",
            ));
        }
        let mut empty: Vec<Vec<Duration>> = vec![vec![]; paths.len()];
        let mut rerun: Vec<Vec<Duration>> = vec![vec![]; paths.len()];
        let mut peak_rss = 0;
        let mut rewritten = None;
        // Rounds: every path once per round, so that drift in the machine's
        // speed (it is shared) falls on all of them alike.
        for rep in 0..self.reps {
            for (i, (path, label)) in paths.iter().enumerate() {
                // One upsert per row takes minutes per pass: one pass is
                // enough to place it an order of magnitude away.
                if *path == PgPath::Psql("rows.sql", false) && rep > 0 {
                    continue;
                }
                truncate(&mut conn).await?;
                let (t_empty, t_rerun) = match path {
                    PgPath::Seedhost => {
                        let (t, rss) = self.seedhost_run(&self.bulk_args(&url, &rows_param))?;
                        peak_rss = peak_rss.max(rss);
                        if rep == 0 {
                            check(&mut conn, expected, label).await?;
                        }
                        let before = versions(&mut conn).await?;
                        let (r, rss) = self.seedhost_run(&self.bulk_args(&url, &rows_param))?;
                        peak_rss = peak_rss.max(rss);
                        if rep == 0 {
                            rewritten = Some(changed_rows(&before, &versions(&mut conn).await?));
                        }
                        (Some(t), Some(r))
                    }
                    PgPath::Native => {
                        let t = native_unnest(&url, self.rows).await?;
                        if rep == 0 {
                            check(&mut conn, expected, label).await?;
                        }
                        (Some(t), Some(native_unnest(&url, self.rows).await?))
                    }
                    PgPath::CopyCsv | PgPath::CopyExport => {
                        let from = match path {
                            PgPath::CopyCsv => {
                                format!("'{}' WITH (FORMAT csv)", self.path("rows.csv").display())
                            }
                            _ => format!("'{}'", export.display()),
                        };
                        let t = self.time(&mut copy_from(from))?;
                        if rep == 0 {
                            check(&mut conn, expected, label).await?;
                        }
                        (Some(t), None)
                    }
                    PgPath::Psql(file, guarded) => {
                        let t = self.time(&mut psql(&self.path(file)))?;
                        if rep == 0 {
                            check(&mut conn, expected, label).await?;
                        }
                        let r = self.time(&mut psql(&self.path(file)))?;
                        // The guarded upsert differs only on a re-run.
                        ((!guarded).then_some(t), Some(r))
                    }
                };
                empty[i].extend(t_empty);
                rerun[i].extend(t_rerun);
            }
        }
        conn.close().await?;
        drop(db);

        let lines: Vec<Line> = paths
            .iter()
            .enumerate()
            .map(|(i, (_, label))| Line {
                path: (*label).into(),
                empty: median(&empty[i]),
                rerun: median(&rerun[i]),
            })
            .collect();
        print_table("PostgreSQL", &lines);
        // The ceiling is the faster of the two \copy inputs: the generator's
        // CSV (ISO 8601 `T…Z` timestamps, JSON quoted with doubled quotes) or
        // PostgreSQL's own text, which may parse faster.
        let ceiling = lines
            .iter()
            .filter(|l| l.path.starts_with("psql \\copy"))
            .filter_map(|l| l.empty.map(|t| (l.path.as_str(), t)))
            .min_by(|a, b| a.1.total_cmp(&b.1));
        if let (Some((label, t)), Some(ours)) = (ceiling, lines[0].empty) {
            println!(
                "  the ceiling is the faster \\copy ({}): seedhost ÷ \\copy = {:.2}",
                label.trim_start_matches("psql \\copy, "),
                ours / t
            );
        }
        println!("  seedhost peak RSS: {}", mib(peak_rss));
        if let Some(rewritten) = rewritten {
            println!(
                "  rows the seedhost re-run rewrote: {rewritten} (row versions compared before and after)"
            );
        }
        Ok(())
    }

    /// `bulk` (Rust SDK) against `bulk-ts` (TypeScript SDK) and `bulk-py`
    /// (Python SDK): the same rows into PostgreSQL, rows per second of the
    /// whole `seedhost run`, in rounds as the other parts. A language whose
    /// tools are missing is skipped with a line saying so.
    async fn languages(&self, expected: &Digest) -> Result<()> {
        let config = self.root.join("bench/seedhost.toml").display().to_string();
        let found = |tool: &str, args: &[&str]| {
            Command::new(tool)
                .args(args)
                .output()
                .is_ok_and(|o| o.status.success())
        };
        let mut plugins = vec![("bulk", "seedhost run bulk (Rust SDK)", "Rust")];
        for (plugin, label, language, needs) in [
            (
                "bulk-ts",
                "seedhost run bulk-ts (TypeScript SDK)",
                "TypeScript",
                vec![("node", vec!["--version"]), ("npm", vec!["--version"])],
            ),
            (
                "bulk-py",
                "seedhost run bulk-py (Python SDK)",
                "Python",
                // `plugin build` makes a venv and pip-installs componentize-py.
                vec![("python3", vec!["-c", "import venv, ensurepip"])],
            ),
        ] {
            let missing: Vec<&str> = needs
                .iter()
                .filter(|(tool, args)| !found(tool, args))
                .map(|(tool, _)| *tool)
                .collect();
            if !missing.is_empty() {
                println!(
                    "\nskipped the {language} part: `{}` not found on PATH, or without venv and ensurepip (it builds bench/{plugin})",
                    missing.join("` and `")
                );
                continue;
            }
            let build = self.time(
                Command::new(&self.seedhost).args(["--config", &config, "plugin", "build", plugin]),
            )?;
            println!(
                "\nbuilt bench/{plugin} with `seedhost plugin build` in {:.1} s",
                build.as_secs_f64()
            );
            plugins.push((plugin, label, language));
        }
        let db = TempDb::create(&self.admin).await?;
        let url = db.url.clone();
        let rows_param = format!("rows={}", self.rows);
        self.seedhost_run(&["--config", &config, "migrate", "-q", "--database-url", &url])?;
        let mut conn = sqlx::PgConnection::connect(&url).await?;
        let mut empty: Vec<Vec<Duration>> = vec![vec![]; plugins.len()];
        let mut rerun: Vec<Vec<Duration>> = vec![vec![]; plugins.len()];
        let mut peak_rss = vec![0; plugins.len()];
        for rep in 0..self.reps {
            for (i, (plugin, ..)) in plugins.iter().enumerate() {
                conn.execute("TRUNCATE bench_enrollments").await?;
                conn.execute("CHECKPOINT").await?;
                let (t, rss) = self.seedhost_run(&self.plugin_args(plugin, &url, &rows_param))?;
                empty[i].push(t);
                peak_rss[i] = peak_rss[i].max(rss);
                if rep == 0 {
                    check(&mut conn, expected, plugin).await?;
                }
                let (t, rss) = self.seedhost_run(&self.plugin_args(plugin, &url, &rows_param))?;
                rerun[i].push(t);
                peak_rss[i] = peak_rss[i].max(rss);
            }
        }
        conn.close().await?;
        drop(db);
        let lines: Vec<Line> = plugins
            .iter()
            .enumerate()
            .map(|(i, (_, label, _))| Line {
                path: (*label).into(),
                empty: median(&empty[i]),
                rerun: median(&rerun[i]),
            })
            .collect();
        print_table(
            "PostgreSQL: the Rust SDK against the TypeScript and Python SDKs",
            &lines,
        );
        let rate = |s: Option<f64>| s.map(|s| self.rows as f64 / s);
        let rust = &lines[0];
        for ((_, _, language), (line, rss)) in plugins.iter().zip(lines.iter().zip(&peak_rss)) {
            let of_rust = |a: Option<f64>, b: Option<f64>| match (rate(a), rate(b)) {
                (Some(a), Some(b)) => format!("{:.2}", a / b),
                _ => "—".to_owned(),
            };
            let rows_s = |s: Option<f64>| rate(s).map_or("—".to_owned(), |r| format!("{r:.0}"));
            println!(
                "  {language:<10} rows/s empty {:>8} ({} of Rust's), re-run {:>8} ({} of Rust's); peak RSS {}",
                rows_s(line.empty),
                of_rust(line.empty, rust.empty),
                rows_s(line.rerun),
                of_rust(line.rerun, rust.rerun),
                mib(*rss)
            );
        }
        Ok(())
    }

    async fn sqlite(&self, expected: &Digest) -> Result<()> {
        let file = self.path("bench.db");
        let url = format!("sqlite://{}?mode=rwc", file.display());
        let config = self.root.join("bench/seedhost.toml").display().to_string();
        self.seedhost_run(&["--config", &config, "migrate", "-q", "--database-url", &url])?;
        let rows_param = format!("rows={}", self.rows);
        let sqlite3 = |script: String| {
            let mut c = Command::new("sqlite3");
            c.arg(&file).arg(script);
            c
        };
        let clear = || -> Result<()> {
            self.time(&mut sqlite3(
                "DELETE FROM bench_enrollments; VACUUM;".into(),
            ))?;
            Ok(())
        };
        let script = format!(
            ".bail on\nBEGIN;\n.read {}\nCOMMIT;\n",
            self.path("seed.sql").display()
        );
        std::fs::write(self.path("seed_sqlite.txt"), &script)?;
        let read = format!(".read {}", self.path("seed_sqlite.txt").display());
        let import = format!(
            ".import --csv {} bench_enrollments",
            self.path("rows.csv").display()
        );

        let labels = [
            "seedhost run bulk (sandboxed plugin)",
            "sqlite3 .import of the CSV (no upsert)",
            "the same .import, foreign keys checked (as seedhost does)",
            "sqlite3 seed.sql, 1,000-row INSERT … ON CONFLICT",
        ];
        let mut empty: Vec<Vec<Duration>> = vec![vec![]; labels.len()];
        let mut rerun: Vec<Vec<Duration>> = vec![vec![]; labels.len()];
        let mut peak_rss = 0;
        // Rounds, every path once per round, as on PostgreSQL.
        for rep in 0..self.reps {
            for (i, label) in labels.iter().enumerate() {
                clear()?;
                match i {
                    0 => {
                        let (t, rss) = self.seedhost_run(&self.bulk_args(&url, &rows_param))?;
                        empty[i].push(t);
                        peak_rss = peak_rss.max(rss);
                        if rep == 0 {
                            check_sqlite(&url, expected, label).await?;
                        }
                        let (t, rss) = self.seedhost_run(&self.bulk_args(&url, &rows_param))?;
                        rerun[i].push(t);
                        peak_rss = peak_rss.max(rss);
                    }
                    1 | 2 => {
                        // The sqlite3 shell leaves foreign keys off.
                        let mut command = Command::new("sqlite3");
                        if i == 2 {
                            command.args(["-cmd", "PRAGMA foreign_keys = ON"]);
                        }
                        empty[i].push(self.time(command.arg(&file).arg(&import))?);
                        if rep == 0 {
                            check_sqlite(&url, expected, label).await?;
                        }
                    }
                    _ => {
                        empty[i].push(self.time(&mut sqlite3(read.clone()))?);
                        if rep == 0 {
                            check_sqlite(&url, expected, label).await?;
                        }
                        rerun[i].push(self.time(&mut sqlite3(read.clone()))?);
                    }
                }
            }
        }
        let lines: Vec<Line> = labels
            .iter()
            .enumerate()
            .map(|(i, label)| Line {
                path: (*label).into(),
                empty: median(&empty[i]),
                rerun: median(&rerun[i]),
            })
            .collect();
        print_table("SQLite (embedded default)", &lines);
        println!("  seedhost peak RSS: {}", mib(peak_rss));
        Ok(())
    }

    async fn startup(&self) -> Result<()> {
        let db = TempDb::create(&self.admin).await?;
        let url = db.url.clone();
        let config = self.root.join("seedhost.toml").display().to_string();
        let catalog = [
            "--config",
            config.as_str(),
            "run",
            "catalog",
            "-q",
            "--database-url",
            url.as_str(),
        ];
        // Migrate, seed and warm the component cache.
        self.seedhost_run(&catalog)?;
        let dump = Command::new("pg_dump")
            .args([
                "--data-only",
                "--inserts",
                "--on-conflict-do-nothing",
                "-t",
                "catalog_*",
                "-d",
                &url,
            ])
            .output()?;
        ensure!(
            dump.status.success(),
            "pg_dump failed: {}",
            String::from_utf8_lossy(&dump.stderr)
        );
        let sql = String::from_utf8(dump.stdout)?;
        let statements = sql.lines().filter(|l| l.starts_with("INSERT INTO")).count();
        std::fs::write(self.path("catalog.sql"), &sql)?;

        let runs = 20;
        let plain = format!("{url}?sslmode=disable");
        let catalog_sql = self.path("catalog.sql");
        let psql = |url: &str| {
            let mut c = Command::new("psql");
            c.args(["-q", "-X", "-1", "-d", url, "-f"])
                .arg(&catalog_sql);
            c
        };
        let (mut ours, mut theirs, mut theirs_plain) = (vec![], vec![], vec![]);
        for _ in 0..runs {
            ours.push(self.seedhost_run(&catalog)?.0);
            theirs.push(self.time(&mut psql(&url))?);
            theirs_plain.push(self.time(&mut psql(&plain))?);
        }
        drop(db);

        // In process: the cached component's load, and a fresh instantiation.
        let cache = tempfile::tempdir()?;
        let sandbox = seedhost::sandbox::Sandbox::new(Some(cache.path().to_owned()))?;
        let wasm = self.root.join("target/wasm32-wasip2/release/catalog.wasm");
        let cold = sandbox.load("catalog", &wasm)?;
        ensure!(!cold.cached, "the first load must compile");
        let mut loads = vec![];
        let mut instantiations = vec![];
        for _ in 0..runs {
            let loaded = sandbox.load("catalog", &wasm)?;
            ensure!(loaded.cached, "the second load must come from the cache");
            loads.push(loaded.load_time);
            instantiations.push(sandbox.probe("catalog", &loaded)?);
        }
        let ms = |d: &[Duration]| median(d).unwrap_or(f64::NAN) * 1000.0;
        println!(
            "\nStart-up · PostgreSQL, nothing pending, warm component cache, median of {runs}"
        );
        println!(
            "  seedhost run catalog                {:>8.1} ms",
            ms(&ours)
        );
        println!(
            "  psql -1 -f of the same rows         {:>8.1} ms   ({statements} INSERT statements, ON CONFLICT DO NOTHING)",
            ms(&theirs)
        );
        println!(
            "  psql, sslmode=disable               {:>8.1} ms",
            ms(&theirs_plain)
        );
        println!(
            "  seedhost ÷ psql, ÷ plain psql       {:>8.2}×  {:.2}×  (seedhost skips TLS on loopback)",
            ms(&ours) / ms(&theirs),
            ms(&ours) / ms(&theirs_plain)
        );
        println!(
            "  component, cold compile (Cranelift) {:>8.1} ms",
            cold.load_time.as_secs_f64() * 1000.0
        );
        println!(
            "  component, cached load              {:>8.2} ms",
            ms(&loads)
        );
        println!(
            "  instantiate (fresh store + WASI)    {:>8.2} ms",
            ms(&instantiations)
        );
        Ok(())
    }
}

impl Bench {
    /// What the seed ledger adds to a plugin run (its read and ensure once
    /// per run, its row in the plugin's transaction: from `-v`'s debug lines),
    /// and `seedhost plan --all` on this repository's project, which hashes
    /// components and starts no sandbox. The goals: at most 5 ms per plugin
    /// run, at most 100 ms per plan.
    async fn ledger(&self) -> Result<()> {
        let db = TempDb::create(&self.admin).await?;
        let sqlite = format!("sqlite://{}?mode=rwc", self.path("ledger.db").display());
        let config = self.root.join("seedhost.toml").display().to_string();
        let runs = self.reps * 7;
        println!("\nSeed ledger and plan · this repository's project, median of {runs}");
        for (name, url) in [("PostgreSQL", db.url.as_str()), ("SQLite", sqlite.as_str())] {
            let base = ["--config", config.as_str()];
            let at = ["--database-url", url];
            // Migrate, seed, and warm the component cache.
            let mut all = base.to_vec();
            all.extend(["run", "--all", "-q"]);
            all.extend(at);
            self.seedhost_run(&all)?;
            let (mut read, mut written) = (vec![], vec![]);
            for _ in 0..runs {
                let output = Command::new(&self.seedhost)
                    .args(base)
                    .args(["-v", "run", "catalog"])
                    .args(at)
                    .env_remove("RUST_LOG")
                    .output()?;
                ensure!(output.status.success(), "seedhost run catalog failed");
                let log = String::from_utf8_lossy(&output.stderr);
                let micros = |what: &str| -> Option<Duration> {
                    let line = log.lines().find(|l| l.contains(what))?;
                    let value = line.split("micros=").nth(1)?;
                    let digits: String = value.chars().take_while(char::is_ascii_digit).collect();
                    Some(Duration::from_micros(digits.parse().ok()?))
                };
                read.push(micros("seed ledger read").context("no ledger read line in -v")?);
                written.push(micros("seed ledger row written").context("no ledger row line")?);
            }
            let mut plans = vec![];
            for _ in 0..runs {
                let mut plan = Command::new(&self.seedhost);
                plan.args(base).args(["plan", "--all", "-q"]).args(at);
                plans.push(self.time(&mut plan)?);
            }
            let ms = |d: &[Duration]| median(d).unwrap_or(f64::NAN) * 1000.0;
            println!(
                "  {name:<10} ledger per plugin run {:>7.2} ms (read and ensure {:.2} ms + row {:.2} ms; goal ≤ 5)   plan --all {:>7.1} ms (goal ≤ 100)",
                ms(&read) + ms(&written),
                ms(&read),
                ms(&written),
                ms(&plans)
            );
        }
        drop(db);
        Ok(())
    }
}

impl Bench {
    /// 50 fresh databases brought to the state of `run --all`: one invocation
    /// each, one after another, against one fan-out.
    async fn fanout(&self) -> Result<()> {
        const N: usize = 50;
        let config = self.root.join("seedhost.toml").display().to_string();
        println!(
            "\nFan-out · `run --all` of this repository's project on {N} fresh PostgreSQL databases"
        );
        // Warm the component cache: every path starts from it.
        let warm = TempDb::create(&self.admin).await?;
        self.seedhost_run(&[
            "--config",
            &config,
            "run",
            "--all",
            "-q",
            "--database-url",
            &warm.url,
        ])?;
        drop(warm);
        let fresh = |n: usize| async move {
            let mut dbs = Vec::with_capacity(n);
            for _ in 0..n {
                dbs.push(TempDb::create(&self.admin).await?);
            }
            Ok::<_, anyhow::Error>(dbs)
        };
        let dbs = fresh(N).await?;
        let mut peak_sequential = 0;
        let started = Instant::now();
        for db in &dbs {
            let (_, kib) = self.seedhost_run(&[
                "--config",
                &config,
                "run",
                "--all",
                "-q",
                "--database-url",
                &db.url,
            ])?;
            peak_sequential = peak_sequential.max(kib);
        }
        let sequential = started.elapsed();
        drop(dbs);
        println!(
            "  {N} invocations, one after another      {:>7.2} s  ({:.0} ms a database, peak RSS {})",
            sequential.as_secs_f64(),
            sequential.as_secs_f64() * 1000.0 / N as f64,
            mib(peak_sequential)
        );
        for jobs in ["1", "2"] {
            let dbs = fresh(N).await?;
            let file = self.path("targets.txt");
            let lines: Vec<&str> = dbs.iter().map(|d| d.url.as_str()).collect();
            std::fs::write(&file, lines.join("\n"))?;
            let file = file.display().to_string();
            let (elapsed, kib) = self.seedhost_run(&[
                "--config",
                &config,
                "run",
                "--all",
                "-q",
                "--targets",
                &file,
                "--jobs",
                jobs,
            ])?;
            for db in &dbs {
                let mut conn = sqlx::PgConnection::connect(&db.url).await?;
                let ran: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM seedhost.seed_ledger")
                    .fetch_one(&mut conn)
                    .await?;
                ensure!(
                    ran == 3,
                    "{}: {ran} ledger rows after the fan-out, not 3",
                    db.name
                );
            }
            println!(
                "  one fan-out, --targets ({N}) --jobs {jobs}        {:>7.2} s  ({:.0} ms a database, peak RSS {}) · ÷ sequential {:.2}{}",
                elapsed.as_secs_f64(),
                elapsed.as_secs_f64() * 1000.0 / N as f64,
                mib(kib),
                elapsed.as_secs_f64() / sequential.as_secs_f64(),
                if jobs == "2" {
                    " (goal ≤ 0.50)"
                } else {
                    " (shared start-up and compile alone)"
                }
            );
        }
        Ok(())
    }

    /// The project of the template part: this repository's migrations and
    /// plugins, plus the benchmark's table and the `bulk` plugin at 100k rows.
    fn template_project(&self) -> Result<PathBuf> {
        let dir = self.path("template-project");
        let migrations = dir.join("migrations");
        std::fs::create_dir_all(&migrations)?;
        for from in ["migrations", "bench/migrations"] {
            for entry in std::fs::read_dir(self.root.join(from))? {
                let entry = entry?;
                std::fs::copy(entry.path(), migrations.join(entry.file_name()))?;
            }
        }
        let config = std::fs::read_to_string(self.root.join("seedhost.toml"))?;
        let config = config
            .split("# Examples in other languages")
            .next()
            .context("seedhost.toml")?
            .replace(
                "target/wasm32-wasip2/release",
                &self
                    .root
                    .join("target/wasm32-wasip2/release")
                    .display()
                    .to_string(),
            )
            .replace("smoke = \"smoke\"", "");
        let bulk = self.root.join("target/wasm32-wasip2/release/bulk.wasm");
        std::fs::write(
            dir.join("seedhost.toml"),
            format!(
                "{config}\n[plugins.bulk]\nwasm = \"{}\"\ntables = [\"bench_enrollments\"]\n\
                 profiles = [\"local\"]\nparams = {{ rows = \"100000\", seed = \"1\", batch = \"10000\" }}\n\
                 limits = {{ cpu_seconds = 600 }}\n",
                bulk.display()
            ),
        )?;
        Ok(dir)
    }

    /// A fresh seeded database from the template, against a replay.
    async fn template(&self) -> Result<()> {
        let project = self.template_project()?;
        let config = project.join("seedhost.toml").display().to_string();
        let home = TempDb::create(&self.admin).await?;
        let reps = self.reps.max(3);
        println!(
            "\nTemplates · this repository's project + bulk at 100,000 rows (bench_enrollments) · \
             median of {reps} (clones: {})",
            reps * 3
        );
        let seedhost = |args: &[&str], url: Option<&str>| {
            let mut c = Command::new(&self.seedhost);
            c.args(["--config", &config]).args(args).arg("-q");
            c.env_remove("DATABASE_URL").env_remove("SUPABASE_DB_URL");
            if let Some(url) = url {
                c.env("DATABASE_URL", url);
            }
            c
        };
        // Warm the component cache.
        self.time(&mut seedhost(&["plugin", "build", "bulk"], None))
            .ok();

        // PostgreSQL: replays, each on a fresh database.
        let mut replays = Vec::new();
        for _ in 0..reps {
            let db = TempDb::create(&self.admin).await?;
            replays.push(self.time(&mut seedhost(
                &["run", "--all", "--database-url", &db.url],
                None,
            ))?);
        }
        let build = self.time(&mut seedhost(&["template", "build"], Some(&home.url)))?;
        let mut clones = Vec::new();
        let mut names = Vec::new();
        for i in 0..reps * 3 {
            let name = format!("{}_clone_{i}", home.name);
            clones.push(self.time(&mut seedhost(
                &["template", "clone", &name],
                Some(&home.url),
            ))?);
            names.push(name);
        }
        // The server's own part: CREATE DATABASE … TEMPLATE alone.
        let mut admin = sqlx::PgConnection::connect(&self.admin).await?;
        let template: String = sqlx::query_scalar(
            "SELECT datname::text FROM pg_database WHERE datistemplate AND starts_with(datname, 'seedhost_tpl_') \
             AND shobj_description(oid, 'pg_database') LIKE '%' || $1 || '%' ORDER BY oid DESC LIMIT 1",
        )
        .bind(project.display().to_string())
        .fetch_one(&mut admin)
        .await
        .context("the template just built")?;
        let size: i64 = sqlx::query_scalar("SELECT pg_database_size($1)")
            .bind(&template)
            .fetch_one(&mut admin)
            .await?;
        let mut floor = Vec::new();
        for i in 0..reps * 3 {
            let name = format!("{}_raw_{i}", home.name);
            let started = Instant::now();
            admin
                .execute(sqlx::AssertSqlSafe(format!(
                    "CREATE DATABASE {name} TEMPLATE {template}"
                )))
                .await?;
            floor.push(started.elapsed());
            names.push(name);
        }
        // Each clone is the seeded database.
        let mut conn =
            sqlx::PgConnection::connect(&home.url.replace(&home.name, &names[0])).await?;
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM bench_enrollments")
            .fetch_one(&mut conn)
            .await?;
        ensure!(rows == 100_000, "a clone holds {rows} rows, not 100,000");
        drop(conn);
        for name in names.iter().chain([&template]) {
            // Two statements: DROP DATABASE refuses a multi-statement query.
            admin
                .execute(sqlx::AssertSqlSafe(format!(
                    "ALTER DATABASE {name} WITH IS_TEMPLATE false"
                )))
                .await?;
            admin
                .execute(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .await?;
        }
        let (replay, clone) = (median(&replays).unwrap(), median(&clones).unwrap());
        println!(
            "  PostgreSQL  replay (run --all on an empty database) {replay:>6.2} s · template build {:.2} s ({:.0} MB)",
            build.as_secs_f64(),
            size as f64 / 1e6
        );
        println!(
            "              template clone {:>6.0} ms a fresh database (CREATE DATABASE … TEMPLATE alone {:.0} ms) · \
             clone ÷ replay {:.3} (goal ≤ 0.10) · IntegreSQL publishes 10–50 ms",
            clone * 1000.0,
            median(&floor).unwrap() * 1000.0,
            clone / replay
        );

        // SQLite: the default profile's templates are files.
        let mut replays = Vec::new();
        for i in 0..reps {
            let url = format!(
                "sqlite://{}?mode=rwc",
                self.path(&format!("replay-{i}.db")).display()
            );
            replays.push(self.time(&mut seedhost(
                &["run", "--all", "--database-url", &url],
                None,
            ))?);
        }
        let build = self.time(&mut seedhost(&["template", "build"], None))?;
        let mut clones = Vec::new();
        for i in 0..reps * 3 {
            let to = self.path(&format!("clone-{i}.db")).display().to_string();
            clones.push(self.time(&mut seedhost(&["template", "clone", &to], None))?);
        }
        let (replay, clone) = (median(&replays).unwrap(), median(&clones).unwrap());
        println!(
            "  SQLite      replay {replay:>6.2} s · template build {:.2} s · template clone {:.0} ms · \
             clone ÷ replay {:.3} (goal ≤ 0.10)",
            build.as_secs_f64(),
            clone * 1000.0,
            clone / replay
        );
        Ok(())
    }
}

/// The hyphenated text of a UUID's bits.
fn uuid_text(bits: u128) -> String {
    sqlx::types::Uuid::from_u128(bits).hyphenated().to_string()
}

fn median(samples: &[Duration]) -> Option<f64> {
    if samples.is_empty() {
        return None;
    }
    let mut s: Vec<f64> = samples.iter().map(Duration::as_secs_f64).collect();
    s.sort_by(f64::total_cmp);
    Some(if s.len() % 2 == 1 {
        s[s.len() / 2]
    } else {
        (s[s.len() / 2 - 1] + s[s.len() / 2]) / 2.0
    })
}

fn print_table(title: &str, lines: &[Line]) {
    let ours = &lines[0];
    println!("\n{title}");
    println!(
        "  {:<56} {:>9} {:>9}   {:>18}",
        "path", "empty s", "re-run s", "seedhost ÷ path"
    );
    for line in lines {
        let cell = |v: Option<f64>| v.map_or("—".to_owned(), |v| format!("{v:.2}"));
        let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => format!("{:.2}", a / b),
            _ => "—".to_owned(),
        };
        let ratios = if std::ptr::eq(line, ours) {
            String::new()
        } else {
            // An empty-only path compares with seedhost's empty run; a
            // re-run-only path with seedhost's re-run.
            format!(
                "{:>8} {:>8}",
                ratio(ours.empty, line.empty),
                ratio(ours.rerun, line.rerun)
            )
        };
        println!(
            "  {:<56} {:>9} {:>9}   {ratios}",
            line.path,
            cell(line.empty),
            cell(line.rerun)
        );
    }
}

fn mib(kib: u64) -> String {
    if kib == 0 {
        "n/a (needs GNU time at /usr/bin/time)".to_owned()
    } else {
        format!("{:.0} MiB", kib as f64 / 1024.0)
    }
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

async fn server_version(url: &str) -> Result<String> {
    let mut conn = sqlx::PgConnection::connect(url)
        .await
        .with_context(|| format!("connecting to {url}"))?;
    let version: String = sqlx::query_scalar("SELECT split_part(version(), ' on ', 1)")
        .fetch_one(&mut conn)
        .await?;
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    Ok(format!("{version} · {cores} cores"))
}

/// The table's content against the generator's, row by row.
async fn check(conn: &mut sqlx::PgConnection, expected: &Digest, path: &str) -> Result<()> {
    let rows = sqlx::query(
        "SELECT id::text, user_id::text, journey_id::text, status, progress::int8,
                extract(epoch FROM enrolled_at)::int8, (meta->>'score')::int8 FROM bench_enrollments",
    )
    .fetch(&mut *conn);
    digest_matches(rows, expected, path).await
}

async fn check_sqlite(url: &str, expected: &Digest, path: &str) -> Result<()> {
    let mut conn = sqlx::SqliteConnection::connect(url).await?;
    let rows = sqlx::query(
        "SELECT id, user_id, journey_id, status, progress, CAST(strftime('%s', enrolled_at) AS INTEGER),
                json_extract(meta, '$.score') FROM bench_enrollments",
    )
    .fetch(&mut conn);
    digest_matches(rows, expected, path).await
}

/// Rows of (id, user, journey, status, progress, epoch, score) against the
/// generator's digest, one at a time.
async fn digest_matches<R>(
    mut rows: impl futures_util::Stream<Item = Result<R, sqlx::Error>> + Unpin,
    expected: &Digest,
    path: &str,
) -> Result<()>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> &'r str: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    use futures_util::TryStreamExt;
    let (mut n, mut x) = (0u64, 0);
    while let Some(r) = rows.try_next().await? {
        n += 1;
        x ^= row_hash(
            r.try_get(0)?,
            r.try_get(1)?,
            r.try_get(2)?,
            r.try_get(3)?,
            r.try_get(4)?,
            r.try_get(5)?,
            r.try_get(6)?,
        );
    }
    if Digest(n, x) != *expected {
        bail!(
            "{path}: the table holds {n} rows that differ from the generator's {}",
            expected.0
        );
    }
    Ok(())
}

/// Every row's version (ctid and xmin): equal before and after means no row was rewritten.
async fn versions(conn: &mut sqlx::PgConnection) -> Result<Vec<(String, String)>> {
    Ok(
        sqlx::query_as("SELECT id::text, xmin::text FROM bench_enrollments ORDER BY id")
            .fetch_all(&mut *conn)
            .await?,
    )
}

fn changed_rows(before: &[(String, String)], after: &[(String, String)]) -> usize {
    before.iter().zip(after).filter(|(a, b)| a != b).count() + before.len().abs_diff(after.len())
}

/// One batch, column by column, as UNNEST takes it.
#[derive(Default)]
struct Columns(
    Vec<sqlx::types::Uuid>,
    Vec<sqlx::types::Uuid>,
    Vec<sqlx::types::Uuid>,
    Vec<&'static str>,
    Vec<i64>,
    Vec<chrono::DateTime<chrono::Utc>>,
    Vec<String>,
);

/// seedhost's PostgreSQL statement, run from native code: the cost of the
/// database and the driver alone.
async fn native_unnest(url: &str, n: u64) -> Result<Duration> {
    let started = Instant::now();
    let mut conn = sqlx::PgConnection::connect(url).await?;
    let mut tx = conn.begin().await?;
    let sql = "WITH written AS (INSERT INTO bench_enrollments AS t (id, user_id, journey_id, status, progress, enrolled_at, meta) \
        SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::int4[], $6::timestamptz[], $7::jsonb[]) \
        ON CONFLICT (id) DO UPDATE SET user_id = EXCLUDED.user_id, journey_id = EXCLUDED.journey_id, status = EXCLUDED.status, \
        progress = EXCLUDED.progress, enrolled_at = EXCLUDED.enrolled_at, meta = EXCLUDED.meta \
        WHERE (t.user_id, t.journey_id, t.status, t.progress, t.enrolled_at, t.meta) IS DISTINCT FROM \
        (EXCLUDED.user_id, EXCLUDED.journey_id, EXCLUDED.status, EXCLUDED.progress, EXCLUDED.enrolled_at, EXCLUDED.meta) \
        RETURNING (xmax = 0) AS inserted) \
        SELECT COUNT(*) FILTER (WHERE inserted), COUNT(*) FILTER (WHERE NOT inserted) FROM written";
    let mut i = 0;
    while i < n {
        let end = (i + 10_000).min(n);
        let mut cols = Columns::default();
        for k in i..end {
            let r = rows::row(SEED, k);
            cols.0.push(sqlx::types::Uuid::from_u128(r.id));
            cols.1.push(sqlx::types::Uuid::from_u128(r.user));
            cols.2.push(sqlx::types::Uuid::from_u128(r.journey));
            cols.3.push(r.status);
            cols.4.push(r.progress);
            cols.5
                .push(chrono::DateTime::from_timestamp(r.enrolled_at, 0).unwrap());
            cols.6.push(rows::meta(r.score));
        }
        sqlx::query(sql)
            .bind(cols.0)
            .bind(cols.1)
            .bind(cols.2)
            .bind(cols.3)
            .bind(cols.4)
            .bind(cols.5)
            .bind(cols.6)
            .fetch_one(&mut *tx)
            .await?;
        i = end;
    }
    tx.commit().await?;
    Ok(started.elapsed())
}

/// A database of the benchmark's own, dropped at the end.
struct TempDb {
    admin: String,
    name: String,
    url: String,
}

impl TempDb {
    async fn create(admin: &str) -> Result<TempDb> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .subsec_nanos();
        let name = format!("seedhost_bench_{}_{nanos}", std::process::id());
        let mut conn = sqlx::PgConnection::connect(admin).await?;
        conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await?;
        let (server, _) = admin
            .rsplit_once('/')
            .context("the PostgreSQL URL must end in /DATABASE")?;
        Ok(TempDb {
            admin: admin.to_owned(),
            url: format!("{server}/{name}"),
            name,
        })
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        // Drop runs inside the runtime: a plain thread may block.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let mut conn = sqlx::PgConnection::connect(&admin).await.ok()?;
                conn.execute(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .await
                .ok()
            })
        })
        .join();
    }
}
