//! Template databases: the project migrated and seeded once (`run --all` in a
//! profile), kept, and copied into fresh seeded databases in a fraction of the
//! time a replay takes (`template clone`).
//!
//! A template is named by a digest of what shapes it (the migration files of
//! its backend, the seed files' hashes, each plugin's component digest and
//! parameters, the profile, seedhost's version) and by the project (a digest
//! of its root's path), so `prune` never drops another project's template.
//! It is complete or absent: it is built under another name and renamed into
//! place only once its run committed everything.
//!
//! PostgreSQL: a template is a database marked `IS_TEMPLATE` and
//! `ALLOW_CONNECTIONS false`, copied by `CREATE DATABASE … TEMPLATE …`
//! (PostgreSQL 15's default strategy, `WAL_LOG`, copies block by block
//! without the checkpoint `FILE_COPY` forces). SQLite: a file under
//! `.seedhost/templates/` (not the cache, which `cache clear` empties), never
//! opened for writing once in place, so a byte copy of it is consistent.
//! A clone inherits the template's seed ledger and the CLI's `seed_files`
//! rows, so `on-change` seeds skip on it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{AssertSqlSafe, Row};

use crate::config::Config;
use crate::db::{Backend, Conn, Database, quote};
use crate::plan::{self, Destination, RunError, RunOptions};
use crate::redact::redact;
use crate::report::{Report, RunReport, header, new_table};
use crate::runner;

/// Where SQLite templates live, relative to the project root.
pub const SQLITE_DIR: &str = ".seedhost/templates";

/// Every template's name starts with this.
pub const PREFIX: &str = "seedhost_tpl_";

/// How long `clone` waits, by default, for sessions still holding the template.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(10);

/// What a template command did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TemplateReport {
    /// `build`, `clone`, `list` or `prune`.
    pub action: &'static str,
    /// The profile.
    pub env: String,
    /// The server (or, on SQLite, the templates' directory), redacted.
    pub server: Option<String>,
    /// The current template's name (what the project is now).
    pub template: Option<String>,
    /// Whether this command built it (it was missing).
    pub built: bool,
    /// How long building it took.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build_ms: Option<u64>,
    /// The build's run, when it was built now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build_run: Option<RunReport>,
    /// The database `clone` made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clone: Option<Cloned>,
    /// The project's templates (`list`, `prune`: those kept).
    pub templates: Vec<Entry>,
    /// What `prune` dropped.
    pub dropped: Vec<String>,
    /// Why it failed; `null` otherwise.
    pub error: Option<String>,
}

/// A fresh database made from the template.
#[derive(Debug, Clone, Serialize)]
pub struct Cloned {
    /// Its name (PostgreSQL) or path (SQLite).
    pub name: String,
    /// Its URL, password redacted.
    pub url: String,
    /// How long the copy took.
    pub ms: u64,
}

/// One of the project's templates.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Entry {
    /// Its database name (PostgreSQL) or file name (SQLite).
    pub name: String,
    /// Whether it is the project's current one.
    pub current: bool,
    /// Unfinished: a build in progress, or one that was stopped (never used;
    /// `prune` drops it once nothing holds it).
    pub incomplete: bool,
    /// When it was built (UTC, RFC 3339), from its metadata.
    pub built_at: Option<String>,
    /// The profile it was built in.
    pub profile: Option<String>,
    /// Its size.
    pub bytes: Option<i64>,
}

impl Report for TemplateReport {
    fn succeeded(&self) -> bool {
        self.error.is_none()
    }

    /// The build's run's: a signal stops `template build` as it stops `run`.
    fn interrupted(&self) -> Option<u8> {
        self.build_run.as_ref().and_then(|run| run.interrupted)
    }

    fn to_human(&self) -> String {
        let mut out = header(&self.env, self.server.as_deref());
        if let Some(error) = &self.error {
            if let Some(run) = &self.build_run
                && !run.succeeded()
            {
                out.push_str(&run.to_human());
            }
            out.push_str(&format!("error: {error}\n"));
            return out;
        }
        if let Some(name) = &self.template {
            match self.build_ms {
                Some(ms) if self.built => out.push_str(&format!(
                    "template {name}: built in {:.2} s\n",
                    ms as f64 / 1000.0
                )),
                _ => out.push_str(&format!("template {name}: up to date\n")),
            }
        }
        if let Some(clone) = &self.clone {
            out.push_str(&format!(
                "created {} in {:.3} s: {}\n",
                clone.name,
                clone.ms as f64 / 1000.0,
                clone.url
            ));
        }
        for name in &self.dropped {
            out.push_str(&format!("dropped {name}\n"));
        }
        if matches!(self.action, "list" | "prune") {
            let mut table = new_table(["template", "built", "profile", "size", "state"]);
            for t in &self.templates {
                let state = match (t.incomplete, t.current) {
                    (true, _) => "incomplete",
                    (false, true) => "current",
                    (false, false) => "older",
                };
                table.add_row([
                    t.name.clone(),
                    t.built_at.clone().unwrap_or_default(),
                    t.profile.clone().unwrap_or_default(),
                    t.bytes
                        .map(|b| format!("{:.1} MB", b as f64 / 1e6))
                        .unwrap_or_default(),
                    state.to_owned(),
                ]);
            }
            out.push_str(&format!("{table}\n"));
        }
        out
    }
}

/// What shapes a template, hashed into its name.
#[derive(Debug, Clone, Serialize)]
struct Inputs {
    backend: &'static str,
    profile: String,
    host_version: &'static str,
    /// File name and SHA-256 of each migration of the backend, in order.
    migrations: Vec<(String, String)>,
    /// Path and hash of each seed file `run --all` takes.
    seed_files: Vec<(String, String)>,
    /// Each plugin `run --all` takes: name, component digest, parameters.
    plugins: Vec<(String, String, BTreeMap<String, String>)>,
}

fn sha256(bytes: &[u8]) -> String {
    crate::ledger::hex(&Sha256::digest(bytes))
}

/// The project's part of a template's name: a digest of its root's path.
fn project_digest(config: &Config) -> String {
    let root = std::fs::canonicalize(&config.root).unwrap_or_else(|_| config.root.clone());
    sha256(root.to_string_lossy().as_bytes())[..8].to_owned()
}

/// What every template of the project in `profile` starts with: prefix,
/// project, profile (`list` and `prune` see only these).
fn family(project: &str, profile: &str) -> String {
    format!("{PREFIX}{project}_{}_", &sha256(profile.as_bytes())[..4])
}

/// The template's name: its family, then the digest of its inputs (43
/// bytes; a build's name adds at most 21, under PostgreSQL's 63).
fn template_name(family: &str, inputs: &Inputs) -> String {
    let json = serde_json::to_vec(inputs).expect("inputs serialize");
    format!("{family}{}", &sha256(&json)[..16])
}

/// The name a build of `name` runs under: the process and a random part, so
/// a reused pid never meets an abandoned build.
fn building_name(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{name}_wip_{}_{:04x}", std::process::id(), nanos & 0xffff)
}

/// What `run --all` in the destination's profile would take: the plan, and
/// the name of the template it makes.
fn current<'c>(
    config: &'c Config,
    destination: &Destination,
) -> Result<(plan::Plan<'c>, String), RunError> {
    let options = RunOptions {
        all: true,
        ..RunOptions::default()
    };
    let mut skipped = Vec::new();
    let decided = plan::decide(config, destination, &options, &mut skipped)?;
    let backend = Backend::of(&decided.profile.database_url)?;
    let mut migrations = Vec::new();
    for m in &decided.migrations {
        let bytes = std::fs::read(&m.path).map_err(|e| {
            RunError::Plan(format!("cannot read migration {}: {e}", m.path.display()))
        })?;
        migrations.push((m.file_name(), sha256(&bytes)));
    }
    let mut plugins = Vec::new();
    for p in &decided.plugins {
        let digest = plan::component_digest(&p.wasm).ok_or_else(|| {
            RunError::Plan(format!(
                "cannot read plugin `{}`'s component {} (build it with `seedhost plugin build {}`)",
                p.name,
                p.wasm.display(),
                p.name
            ))
        })?;
        let params = plan::params_for(config, &destination.env, p, &options);
        plugins.push((p.name.clone(), digest, params));
    }
    let inputs = Inputs {
        backend: backend.name(),
        profile: destination.env.clone(),
        host_version: env!("CARGO_PKG_VERSION"),
        migrations,
        seed_files: decided
            .seed_files
            .iter()
            .map(|f| (f.path.clone(), f.hash.clone()))
            .collect(),
        plugins,
    };
    let name = template_name(&family(&project_digest(config), &destination.env), &inputs);
    Ok((decided, name))
}

/// The URL of database `name` on the server `url` names.
pub fn with_database(url: &str, name: &str) -> Result<String, RunError> {
    let mut parsed = url::Url::parse(url)
        .map_err(|e| RunError::Plan(format!("cannot read the URL {}: {e}", redact(url))))?;
    let query: Vec<(String, String)> = parsed
        .query_pairs()
        .filter(|(k, _)| k != "dbname")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    parsed.set_path(&format!("/{}", urlencode(name)));
    if query.is_empty() {
        parsed.set_query(None);
    } else {
        parsed.query_pairs_mut().clear().extend_pairs(query);
    }
    Ok(parsed.to_string())
}

fn urlencode(name: &str) -> String {
    url::form_urlencoded::byte_serialize(name.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// `seedhost template build`: builds the current template when missing.
pub async fn build(config: &Config, destination: &Destination) -> TemplateReport {
    let mut report = TemplateReport {
        action: "build",
        env: destination.env.clone(),
        ..TemplateReport::default()
    };
    match ensure(config, destination, &mut report).await {
        Ok((_, Some(db))) => db.close().await,
        Ok((_, None)) => {}
        Err(e) => report.error = Some(e.to_string()),
    }
    report
}

/// `seedhost template clone NAME`: database NAME (SQLite: the file NAME)
/// from the current template, built first when missing.
pub async fn clone(
    config: &Config,
    destination: &Destination,
    name: &str,
    wait: Duration,
) -> TemplateReport {
    let mut report = TemplateReport {
        action: "clone",
        env: destination.env.clone(),
        ..TemplateReport::default()
    };
    let outcome = async {
        if Backend::of(&plan::resolve(config, destination)?.database_url)? == Backend::Postgres {
            check_database_name(name)?;
        }
        let (server, open) = ensure(config, destination, &mut report).await?;
        let template = report.template.clone().expect("ensured");
        let clock = Instant::now();
        let url = match (&server, open) {
            (Server::Postgres { url }, Some(db)) => {
                let made = clone_postgres(&db, &template, name, wait).await;
                db.close().await;
                made?;
                with_database(url, name)?
            }
            (Server::Postgres { .. }, None) => unreachable!("ensure connects to PostgreSQL"),
            (Server::Sqlite { dir }, _) => {
                let file = dir.join(format!("{template}.db"));
                clone_sqlite(&file, Path::new(name))?;
                format!("sqlite://{name}")
            }
        };
        report.clone = Some(Cloned {
            name: name.to_owned(),
            url: redact(&url),
            ms: clock.elapsed().as_millis() as u64,
        });
        Ok::<_, RunError>(())
    }
    .await;
    if let Err(e) = outcome {
        report.error = Some(e.to_string());
    }
    report
}

/// `seedhost template list`, and with `keep`, `template prune`: drops all
/// but the `keep` newest complete templates of the project (the current one
/// always stays) and every abandoned build nothing holds.
pub async fn list(
    config: &Config,
    destination: &Destination,
    keep: Option<usize>,
) -> TemplateReport {
    let mut report = TemplateReport {
        action: if keep.is_some() { "prune" } else { "list" },
        env: destination.env.clone(),
        ..TemplateReport::default()
    };
    let outcome = async {
        let (plan, name) = current(config, destination)?;
        report.template = Some(name.clone());
        let project = family(&project_digest(config), &destination.env);
        match server(config, &plan.profile.database_url)? {
            Server::Postgres { url } => {
                report.server = Some(redact(&url));
                let db = maintenance(&url).await?;
                let listed = list_postgres(&db, &project, &name).await;
                let listed = match (listed, keep) {
                    (Ok(all), Some(keep)) => {
                        let (kept, drop) = split_for_prune(all, keep);
                        let mut dropped = Vec::new();
                        let mut failed = Vec::new();
                        for t in drop {
                            if t.incomplete && !abandoned(&db, &t.name).await? {
                                continue; // a build in progress
                            }
                            match drop_postgres(&db, &t.name).await {
                                Ok(()) => dropped.push(t.name),
                                Err(e) => failed.push(e.to_string()),
                            }
                        }
                        report.dropped = dropped;
                        if failed.is_empty() {
                            Ok(kept)
                        } else {
                            Err(RunError::Plan(failed.join("; ")))
                        }
                    }
                    (listed, _) => listed,
                };
                db.close().await;
                report.templates = listed?;
            }
            Server::Sqlite { dir } => {
                report.server = Some(dir.display().to_string());
                let all = list_sqlite(&dir, &project, &name)?;
                report.templates = match keep {
                    Some(keep) => {
                        let (kept, drop) = split_for_prune(all, keep);
                        for t in drop {
                            if t.incomplete && builder_alive(&t.name) {
                                continue; // a build in progress
                            }
                            let file = dir.join(&t.name);
                            remove_side_files(&file);
                            match std::fs::remove_file(&file) {
                                Ok(()) => report.dropped.push(t.name),
                                Err(e) => {
                                    return Err(RunError::Plan(format!(
                                        "cannot remove {}: {e}",
                                        file.display()
                                    )));
                                }
                            }
                        }
                        kept
                    }
                    None => all,
                };
            }
        }
        Ok::<_, RunError>(())
    }
    .await;
    if let Err(e) = outcome {
        report.error = Some(e.to_string());
    }
    report
}

/// Which templates `prune --keep N` keeps: the current one, then the newest
/// complete ones up to N in all. Incomplete ones go (one still being built
/// is held by its builder's session, and a drop then fails and keeps it).
fn split_for_prune(mut all: Vec<Entry>, keep: usize) -> (Vec<Entry>, Vec<Entry>) {
    all.sort_by(|a, b| (b.current, &b.built_at, &b.name).cmp(&(a.current, &a.built_at, &a.name)));
    let mut kept = Vec::new();
    let mut dropped = Vec::new();
    for t in all {
        if !t.incomplete && (t.current || kept.len() < keep) {
            kept.push(t);
        } else {
            dropped.push(t);
        }
    }
    (kept, dropped)
}

/// Where templates live.
enum Server {
    /// A PostgreSQL server, reached through this URL (the profile's).
    Postgres { url: String },
    /// The project's template directory.
    Sqlite { dir: PathBuf },
}

fn server(config: &Config, url: &str) -> Result<Server, RunError> {
    Ok(match Backend::of(url)? {
        Backend::Postgres => Server::Postgres {
            url: url.to_owned(),
        },
        Backend::Sqlite => Server::Sqlite {
            dir: config.root.join(SQLITE_DIR),
        },
    })
}

/// Builds the current template unless it exists; the report gets its name.
/// On PostgreSQL the maintenance connection is given back open, for the
/// caller's next statement; the caller closes it.
async fn ensure(
    config: &Config,
    destination: &Destination,
    report: &mut TemplateReport,
) -> Result<(Server, Option<Database>), RunError> {
    let (plan, name) = current(config, destination)?;
    report.template = Some(name.clone());
    let server = server(config, &plan.profile.database_url)?;
    let clock = Instant::now();
    let mut open = None;
    match &server {
        Server::Postgres { url } => {
            report.server = Some(redact(url));
            let db = maintenance(url).await?;
            let outcome = ensure_postgres(config, destination, &db, url, &name, report).await;
            if let Err(e) = outcome {
                db.close().await;
                return Err(e);
            }
            open = Some(db);
        }
        Server::Sqlite { dir } => {
            report.server = Some(dir.display().to_string());
            ensure_sqlite(config, destination, dir, &name, report).await?;
        }
    }
    if report.built {
        report.build_ms = Some(clock.elapsed().as_millis() as u64);
    }
    Ok((server, open))
}

/// `run --all` in the destination's profile on the database `url` (a build);
/// its report goes into `report`. Whether it succeeded.
async fn seed(
    config: &Config,
    destination: &Destination,
    url: String,
    report: &mut TemplateReport,
) -> bool {
    let to = Destination {
        database_url: Some(url),
        ..destination.clone()
    };
    let all = RunOptions {
        all: true,
        ..RunOptions::default()
    };
    let run = runner::run(config, &to, &all).await;
    let ok = run.succeeded();
    report.build_run = Some(run);
    ok
}

/// A connection to the server for `CREATE`, `ALTER` and `DROP DATABASE`: to
/// the profile's own database, or else to `postgres`.
async fn maintenance(url: &str) -> Result<Database, RunError> {
    match Database::connect(url).await {
        Ok(db) => Ok(db),
        Err(first) => match Database::connect(&with_database(url, "postgres")?).await {
            Ok(db) => Ok(db),
            Err(_) => Err(first.into()),
        },
    }
}

async fn execute(db: &Database, sql: String) -> Result<(), sqlx::Error> {
    let mut conn = postgres(db).await.map_err(into_sqlx)?;
    sqlx::raw_sql(AssertSqlSafe(sql))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The maintenance connection (templates on a PostgreSQL server only).
async fn postgres(
    db: &Database,
) -> Result<sqlx::pool::PoolConnection<sqlx::Postgres>, crate::db::DbError> {
    match db.acquire().await? {
        Conn::Postgres(conn) => Ok(conn),
        Conn::Sqlite(_) => unreachable!("templates on SQLite are files"),
    }
}

fn into_sqlx(e: crate::db::DbError) -> sqlx::Error {
    match e {
        crate::db::DbError::Sql(e) => e,
        other => sqlx::Error::Protocol(other.to_string()),
    }
}

fn sql_error(what: &str, e: &sqlx::Error) -> RunError {
    RunError::Plan(format!("{what}: {}", crate::db::error_text(e)))
}

fn code(e: &sqlx::Error) -> Option<String> {
    e.as_database_error()
        .and_then(|d| d.code())
        .map(|c| c.into_owned())
}

async fn database_exists(db: &Database, name: &str) -> Result<bool, RunError> {
    let mut conn = postgres(db).await?;
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(name)
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| sql_error("cannot read pg_database", &e))
}

async fn ensure_postgres(
    config: &Config,
    destination: &Destination,
    db: &Database,
    url: &str,
    name: &str,
    report: &mut TemplateReport,
) -> Result<(), RunError> {
    if database_exists(db, name).await? {
        return Ok(());
    }
    let building = building_name(name);
    // Held by this session for the whole build: `prune` drops a build only
    // when it can take this lock, so never one in progress.
    build_lock(db, &building, true).await?;
    execute(db, format!("CREATE DATABASE {}", quote(&building)))
        .await
        .map_err(|e| {
            sql_error(
                &format!("cannot create the template's build database {building}"),
                &e,
            )
        })?;
    let built = with_database(url, &building)?;
    if !seed(config, destination, built, report).await {
        let _ = execute(db, format!("DROP DATABASE IF EXISTS {}", quote(&building))).await;
        return Err(RunError::Plan(format!(
            "the template's run failed (above), so no template was made; the build database \
             {building} was dropped"
        )));
    }
    let metadata = serde_json::json!({
        "seedhost_template": name,
        "root": config.root.display().to_string(),
        "profile": destination.env,
        "built_at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "host_version": env!("CARGO_PKG_VERSION"),
    })
    .to_string();
    let finish = format!(
        "COMMENT ON DATABASE {b} IS '{comment}'; \
         ALTER DATABASE {b} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false",
        b = quote(&building),
        comment = metadata.replace('\'', "''"),
    );
    let done = async {
        execute(db, finish).await?;
        // The commit point: under its name, a template is complete.
        execute(
            db,
            format!(
                "ALTER DATABASE {} RENAME TO {}",
                quote(&building),
                quote(name)
            ),
        )
        .await
    }
    .await;
    match done {
        Ok(()) => {
            report.built = true;
            Ok(())
        }
        // Another seedhost finished the same template first: use theirs.
        Err(e) if code(&e).as_deref() == Some("42P04") => {
            drop_postgres(db, &building).await?;
            Ok(())
        }
        Err(e) => {
            let _ = drop_postgres(db, &building).await;
            Err(sql_error(&format!("cannot finish the template {name}"), &e))
        }
    }
}

/// Takes (`wait`) or tries the session-level lock a build of `building`
/// holds; whether it was taken.
async fn build_lock(db: &Database, building: &str, wait: bool) -> Result<bool, RunError> {
    let mut conn = postgres(db).await?;
    let sql = if wait {
        "SELECT pg_advisory_lock(hashtextextended($1, 0)) IS NULL OR true"
    } else {
        "SELECT pg_try_advisory_lock(hashtextextended($1, 0))"
    };
    sqlx::query_scalar(sql)
        .bind(format!("seedhost.template:{building}"))
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| sql_error("cannot take the template build's lock", &e))
}

/// Whether the build `building` was abandoned: no seedhost holds its lock
/// (taken now, and kept until this session ends).
async fn abandoned(db: &Database, building: &str) -> Result<bool, RunError> {
    build_lock(db, building, false).await
}

/// Drops a template (or an abandoned build): a template must be unmarked first.
async fn drop_postgres(db: &Database, name: &str) -> Result<(), RunError> {
    // Two statements: DROP DATABASE refuses the implicit transaction of a
    // multi-statement query.
    let q = quote(name);
    execute(db, format!("ALTER DATABASE {q} WITH IS_TEMPLATE false"))
        .await
        .map_err(|e| sql_error(&format!("cannot drop {name}"), &e))?;
    execute(db, format!("DROP DATABASE IF EXISTS {q}"))
        .await
        .map_err(|e| sql_error(&format!("cannot drop {name}"), &e))
}

/// A database name PostgreSQL takes as it is: at most 63 bytes, no NUL.
fn check_database_name(name: &str) -> Result<(), RunError> {
    if name.is_empty() || name.len() > 63 || name.contains('\0') {
        return Err(RunError::Plan(format!(
            "{name:?} cannot name a PostgreSQL database: 1 to 63 bytes"
        )));
    }
    if name.starts_with(PREFIX) {
        return Err(RunError::Plan(format!(
            "{name:?} starts with {PREFIX}, which names seedhost's templates: choose another name"
        )));
    }
    Ok(())
}

async fn clone_postgres(
    db: &Database,
    template: &str,
    name: &str,
    wait: Duration,
) -> Result<(), RunError> {
    let deadline = Instant::now() + wait;
    let create = format!(
        "CREATE DATABASE {} TEMPLATE {}",
        quote(name),
        quote(template)
    );
    loop {
        match execute(db, create.clone()).await {
            Ok(()) => return Ok(()),
            Err(e) if code(&e).as_deref() == Some("42P04") => {
                return Err(RunError::Plan(format!(
                    "database {name} already exists: drop it, or choose another name"
                )));
            }
            // "source database is being accessed by other users".
            Err(e) if code(&e).as_deref() == Some("55006") && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) if code(&e).as_deref() == Some("55006") => {
                let holders = holders(db, template).await.unwrap_or_default();
                return Err(RunError::Plan(format!(
                    "cannot copy template {template}: other sessions still hold it after {:.0} s \
                     of waiting ({}); end them, or wait longer with --wait",
                    wait.as_secs_f64(),
                    if holders.is_empty() {
                        "none is visible to this role".to_owned()
                    } else {
                        holders.join("; ")
                    }
                )));
            }
            Err(e) => {
                return Err(sql_error(
                    &format!("cannot create {name} from template {template}"),
                    &e,
                ));
            }
        }
    }
}

/// The sessions connected to database `name`, one line each.
async fn holders(db: &Database, name: &str) -> Result<Vec<String>, sqlx::Error> {
    let mut conn = postgres(db).await.map_err(into_sqlx)?;
    let rows = sqlx::query(
        "SELECT pid, coalesce(usename::text, '?'), coalesce(application_name, ''), \
                coalesce(client_addr::text, 'local'), \
                coalesce(to_char(backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), '?') \
         FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() ORDER BY pid",
    )
    .bind(name)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            format!(
                "pid {} (user {}, application {:?}, from {}, since {} UTC)",
                r.get::<i32, _>(0),
                r.get::<String, _>(1),
                r.get::<String, _>(2),
                r.get::<String, _>(3),
                r.get::<String, _>(4)
            )
        })
        .collect())
}

async fn list_postgres(
    db: &Database,
    project: &str,
    current: &str,
) -> Result<Vec<Entry>, RunError> {
    let mut conn = postgres(db).await?;
    let rows = sqlx::query(
        "SELECT d.datname::text, shobj_description(d.oid, 'pg_database'), \
                pg_database_size(d.oid) \
         FROM pg_database d WHERE starts_with(d.datname, $1) ORDER BY d.datname",
    )
    .bind(project)
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| sql_error("cannot list the templates", &e))?;
    Ok(rows
        .iter()
        .map(|r| {
            let name: String = r.get(0);
            let meta: Option<serde_json::Value> = r
                .get::<Option<String>, _>(1)
                .and_then(|c| serde_json::from_str(&c).ok());
            let field = |k: &str| meta.as_ref().and_then(|m| m[k].as_str().map(str::to_owned));
            Entry {
                current: name == current,
                incomplete: name.contains("_wip_"),
                built_at: field("built_at"),
                profile: field("profile"),
                bytes: r.get(2),
                name,
            }
        })
        .collect())
}

async fn ensure_sqlite(
    config: &Config,
    destination: &Destination,
    dir: &Path,
    name: &str,
    report: &mut TemplateReport,
) -> Result<(), RunError> {
    let file = dir.join(format!("{name}.db"));
    if file.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| RunError::Plan(format!("cannot create {}: {e}", dir.display())))?;
    let stem = building_name(name);
    let building = dir.join(format!("{stem}.db"));
    let finished = dir.join(format!("{stem}.copy"));
    let cleanup = || {
        for f in [&building, &finished] {
            let _ = std::fs::remove_file(f);
            for suffix in ["-wal", "-shm", "-journal"] {
                let mut side = f.as_os_str().to_owned();
                side.push(suffix);
                let _ = std::fs::remove_file(side);
            }
        }
    };
    cleanup();
    let built = format!("sqlite://{}?mode=rwc", building.display());
    if !seed(config, destination, built, report).await {
        cleanup();
        return Err(RunError::Plan(
            "the template's run failed (above), so no template was made".into(),
        ));
    }
    // One self-contained file (no WAL beside it), written whole, then renamed
    // into place: the commit point.
    let consolidated = async {
        let db = Database::connect(&format!("sqlite://{}", building.display())).await?;
        let Conn::Sqlite(mut conn) = db.acquire().await? else {
            unreachable!("a SQLite file")
        };
        let target = finished.display().to_string().replace('\'', "''");
        let vacuum = sqlx::raw_sql(AssertSqlSafe(format!("VACUUM INTO '{target}'")))
            .execute(&mut *conn)
            .await;
        drop(conn);
        db.close().await;
        vacuum?;
        Ok::<_, crate::db::DbError>(())
    }
    .await;
    let renamed = consolidated
        .map_err(|e| RunError::Plan(format!("cannot write the template {}: {e}", file.display())))
        .and_then(|()| {
            let mut readonly = std::fs::metadata(&finished)
                .map_err(|e| RunError::Plan(e.to_string()))?
                .permissions();
            readonly.set_readonly(true);
            let _ = std::fs::set_permissions(&finished, readonly);
            std::fs::rename(&finished, &file).map_err(|e| {
                RunError::Plan(format!("cannot write the template {}: {e}", file.display()))
            })
        });
    cleanup();
    renamed?;
    report.built = true;
    Ok(())
}

fn clone_sqlite(template: &Path, to: &Path) -> Result<(), RunError> {
    if to.exists() {
        return Err(RunError::Plan(format!(
            "{} already exists: remove it, or choose another path",
            to.display()
        )));
    }
    if let Some(parent) = to.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| RunError::Plan(format!("cannot create {}: {e}", parent.display())))?;
    }
    let mut partial = to.as_os_str().to_owned();
    partial.push(format!(".seedhost-{}", std::process::id()));
    let partial = PathBuf::from(partial);
    let copied = std::fs::copy(template, &partial)
        .and_then(|_| {
            let mut writable = std::fs::metadata(&partial)?.permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            writable.set_readonly(false);
            std::fs::set_permissions(&partial, writable)
        })
        .and_then(|()| std::fs::rename(&partial, to));
    if let Err(e) = copied {
        let _ = std::fs::remove_file(&partial);
        return Err(RunError::Plan(format!(
            "cannot copy template {} to {}: {e}",
            template.display(),
            to.display()
        )));
    }
    Ok(())
}

/// Removes a SQLite file's journal, WAL and shared-memory files.
fn remove_side_files(file: &Path) {
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut side = file.as_os_str().to_owned();
        side.push(suffix);
        let _ = std::fs::remove_file(side);
    }
}

/// Whether the process that builds `name` (`…_wip_<pid>_<random>`) still
/// runs, on this machine. Where that cannot be known (no /proc), it is
/// taken to run: an abandoned build is then left, never a live one dropped.
fn builder_alive(name: &str) -> bool {
    let pid = name
        .rsplit_once("_wip_")
        .and_then(|(_, rest)| rest.split('_').next())
        .and_then(|pid| pid.parse::<u32>().ok());
    match pid {
        Some(pid) if Path::new("/proc/self").exists() => {
            Path::new("/proc").join(pid.to_string()).exists()
        }
        _ => true,
    }
}

fn list_sqlite(dir: &Path, project: &str, current: &str) -> Result<Vec<Entry>, RunError> {
    let read = match std::fs::read_dir(dir) {
        Ok(read) => read,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(RunError::Plan(format!(
                "cannot read {}: {e}",
                dir.display()
            )));
        }
    };
    let mut entries = Vec::new();
    for item in read.flatten() {
        let name = item.file_name().to_string_lossy().into_owned();
        let file = name.ends_with(".db") || name.ends_with(".copy");
        if !name.starts_with(project) || !file {
            continue;
        }
        let metadata = item.metadata().ok();
        let built_at = metadata.as_ref().and_then(|m| m.modified().ok()).map(|t| {
            chrono::DateTime::<chrono::Utc>::from(t)
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        });
        entries.push(Entry {
            current: name == format!("{current}.db"),
            incomplete: name.contains("_wip_"),
            built_at,
            profile: None,
            bytes: metadata.map(|m| m.len() as i64),
            name,
        });
    }
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_build_stopped_by_a_signal_exits_as_run_does() {
        let mut run = RunReport::new("local", false);
        run.interrupted = Some(143);
        run.error = Some("interrupted by SIGTERM".into());
        let report = TemplateReport {
            error: Some("the build's run failed".into()),
            build_run: Some(run),
            ..TemplateReport::default()
        };
        assert_eq!(report.exit_status(), 143);
        let failed = TemplateReport {
            error: Some("no server".into()),
            ..TemplateReport::default()
        };
        assert_eq!(failed.exit_status(), 1);
        assert_eq!(TemplateReport::default().exit_status(), 0);
    }

    fn inputs() -> Inputs {
        Inputs {
            backend: "postgres",
            profile: "local".into(),
            host_version: "0.1.0",
            migrations: vec![("1_a.sql".into(), "aa".into())],
            seed_files: vec![],
            plugins: vec![("catalog".into(), "cc".into(), BTreeMap::new())],
        }
    }

    #[test]
    fn a_name_changes_with_every_input_and_fits_postgres() {
        let family = family("0123abcd", "staging");
        let base = template_name(&family, &inputs());
        assert!(base.starts_with("seedhost_tpl_0123abcd_"), "{base}");
        assert_eq!(base.len(), 43);
        // A build's name, with the longest pid, fits too.
        assert!(format!("{base}_wip_{}_ffff", u32::MAX).len() <= 63);
        assert!(building_name(&base).starts_with(&format!("{base}_wip_{}_", std::process::id())));
        assert_ne!(
            template_name(&super::family("0123abcd", "local"), &inputs()),
            base
        );
        let mut changed = inputs();
        changed.migrations[0].1 = "ab".into();
        assert_ne!(template_name(&family, &changed), base);
        let mut changed = inputs();
        changed.plugins[0].2.insert("rows".into(), "10".into());
        assert_ne!(template_name(&family, &changed), base);
        let mut changed = inputs();
        changed.profile = "test".into();
        assert_ne!(template_name(&family, &changed), base);
        let mut changed = inputs();
        changed
            .seed_files
            .push(("supabase/seed.sql".into(), "ff".into()));
        assert_ne!(template_name(&family, &changed), base);
        assert_ne!(
            template_name(&super::family("0123abce", "staging"), &inputs()),
            base
        );
    }

    #[test]
    fn the_url_of_another_database_on_the_same_server() {
        assert_eq!(
            with_database("postgres://u:p@h:5433/app?sslmode=disable", "t1").unwrap(),
            "postgres://u:p@h:5433/t1?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://u@h/?dbname=app", "my db").unwrap(),
            "postgres://u@h/my%20db"
        );
    }

    fn entry(name: &str, built_at: &str, current: bool, incomplete: bool) -> Entry {
        Entry {
            name: name.into(),
            current,
            incomplete,
            built_at: Some(built_at.into()),
            profile: None,
            bytes: None,
        }
    }

    #[test]
    fn prune_keeps_the_current_and_the_newest() {
        let all = vec![
            entry("a", "2026-01-01", false, false),
            entry("b", "2026-01-03", false, false),
            entry("c", "2026-01-02", true, false),
            entry("d", "2026-01-04", false, false),
            entry("e_wip_1", "2026-01-05", false, true),
        ];
        let (kept, dropped) = split_for_prune(all.clone(), 2);
        let names = |v: &[Entry]| v.iter().map(|e| e.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&kept), ["c", "d"]);
        assert_eq!(names(&dropped), ["e_wip_1", "b", "a"]);
        let (kept, _) = split_for_prune(all, 0);
        assert_eq!(names(&kept), ["c"], "the current one always stays");
    }

    #[test]
    fn a_build_of_a_live_process_is_never_taken_for_abandoned() {
        let live = format!("seedhost_tpl_x_wip_{}_00ab.db", std::process::id());
        assert!(builder_alive(&live));
        assert!(!builder_alive("seedhost_tpl_x_wip_4294967294_00ab.db"));
        assert!(
            builder_alive("seedhost_tpl_x_wip_notapid.db"),
            "unknown: kept"
        );
    }

    #[test]
    fn database_names_are_checked() {
        assert!(check_database_name(&"x".repeat(64)).is_err());
        assert!(check_database_name("seedhost_tpl_x").is_err());
        assert!(check_database_name("test_1").is_ok());
    }

    #[test]
    fn a_sqlite_clone_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let template = dir.path().join("t.db");
        std::fs::write(&template, b"x").unwrap();
        let to = dir.path().join("sub/c.db");
        clone_sqlite(&template, &to).unwrap();
        assert_eq!(std::fs::read(&to).unwrap(), b"x");
        let e = clone_sqlite(&template, &to).unwrap_err();
        assert!(e.to_string().contains("already exists"), "{e}");
    }
}
