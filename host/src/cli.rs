//! The command line: every flag is defined here, with its help; [`dispatch`]
//! turns a parsed command into a runner call and an exit status.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{ArgAction, Args, Parser, Subcommand};

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Instant;

use crate::config::Config;
use crate::plan::{self, Components, Destination, ResetGuard, RunOptions};
use crate::redact::scrub;
use crate::report::{RepairReport, Report, RunReport};
use crate::{fanout, inspect, runner};

/// Hydrates databases: applies SQL migrations, then runs seed plugins packaged
/// as sandboxed WebAssembly components.
#[derive(Debug, Parser)]
#[command(
    name = "seedhost",
    version,
    after_help = "Everyday use:  seedhost run catalog --env local\n\
                  Configuration: seedhost.toml (plugins, grants, limits); profiles: .env.NAME"
)]
pub struct Cli {
    /// The project configuration [default: seedhost.toml in this directory or a parent]
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// More log output on stderr: -v for debug, -vv for trace (RUST_LOG overrides)
    #[arg(short, long, global = true, action = ArgAction::Count)]
    pub verbose: u8,

    /// Only errors on stderr
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Apply pending migrations, then run seed plugins, each in its own transaction
    #[command(long_about = "Apply pending migrations, then run seed plugins.\n\n\
            Each plugin runs in its own transaction: it commits only if the plugin succeeds; \
            an error, a trap or a limit hit rolls back everything it wrote. Plugins run in \
            the order given and the run stops at the first failure.\n\n\
            With --dry-run, migrations and plugins run inside one transaction that is rolled \
            back: the report shows exactly what a real run would do, and nothing is written.")]
    Run(RunArgs),
    /// Apply pending migrations only; `migrate repair VERSION` realigns a changed file's checksum
    #[command(
        long_about = "Apply pending migrations only.\n\n\
        On a Supabase database (one with the Supabase CLI's history, or Supabase Auth's), what \
        seedhost applies is recorded in supabase_migrations.schema_migrations too, and what the \
        CLI applied is adopted: recorded in seedhost's history, never run again.\n\n\
        `seedhost migrate repair VERSION` records the current checksum of an applied migration \
        whose file was changed on purpose, and says what it replaced. It runs nothing.",
        args_conflicts_with_subcommands = true
    )]
    Migrate(MigrateArgs),
    /// Make this directory a seedhost project (in a Supabase project: share supabase/migrations)
    #[command(long_about = "Make the current directory a seedhost project.\n\n\
        In a Supabase project (one with supabase/config.toml), seedhost.toml points at \
        supabase/migrations, which the Supabase CLI and seedhost then share with one history. \
        Elsewhere it writes a starter project with a first migration. Either way it adds \
        .env.local.example and .env.staging.example and a .gitignore entry. It overwrites \
        nothing and stops if seedhost.toml exists.")]
    Init,
    /// Show applied, pending and changed migrations, and the configured plugins
    Status(StatusArgs),
    /// Say what `run` with the same arguments would do, changing nothing
    #[command(
        long_about = "Say what `seedhost run` with the same arguments would do, \
        changing nothing: the migrations it would apply (or adopt from the Supabase CLI's \
        history), then per plugin `run` or `skip` with the reason its policy gives \
        (`unchanged since …`, `once: ran at …`), and the plugins it would refuse (grant, \
        profile, not built). No plugin is loaded: components are only hashed.\n\n\
        --counts dry-runs what would run and gives its rows inserted, updated and left \
        unchanged per table. --detailed-exitcode exits 0 when nothing would change, 2 when \
        something would (a migration, a plugin that would run; with --counts, one that would \
        insert or update rows) and 1 on any error, bad usage included, so a pipeline can \
        gate on it. Without names or --all, every plugin granted the profile."
    )]
    Plan(PlanArgs),
    /// Create migrations/<UTC yyyymmddhhmmss>_<description>.sql
    New {
        /// What the migration does, in snake_case, starting with a verb: add_, fix_, remove_, create_
        description: String,
    },
    /// Drop everything the migrations built, then replay them
    #[command(
        long_about = "Drop everything the migrations built, then replay them.\n\n\
        On SQLite every table and view goes. On PostgreSQL the tables, views, sequences, \
        functions and types of the schemas in `reset_schemas` (default: public) go, in one \
        transaction; the schemas, their privileges and extension objects stay.\n\n\
        `local` resets without question. Any other profile needs --force and the database's \
        name, typed at the prompt or given with --confirm NAME."
    )]
    Reset(ResetArgs),
    /// Local set-up in one step: reset, migrate, then every plugin granted `local`
    #[command(
        long_about = "Local set-up in one step (the seed document's local:setup): \
        reset the local database, apply the migrations, then run every plugin granted \
        `local` in dependency order (test users, then the catalog). Local only.\n\n\
        With --targets FILE (database URLs only), each database of the file is reset and \
        set up the same way; seedhost names them all before it starts."
    )]
    Setup(SetupArgs),
    /// Run the read-only smoke checks of smoke/*.toml; fails on any mismatch
    Smoke(DbArgs),
    /// For CI: load and check every plugin against the contract and its grant, then dry-run them
    #[command(
        long_about = "For CI: load every configured plugin (its contract version included), \
        compare the tables and profiles it declares with its grant, then run every plugin \
        granted the profile in a dry run, in dependency order. Nothing is written. Non-zero \
        exit on any failure; --json or --junit FILE for machines."
    )]
    Verify(VerifyArgs),
    /// Make a plugin (`plugin new NAME --lang rust|ts|python`) or build one (`plugin build NAME`)
    #[command(
        long_about = "Make and build plugins, in Rust, TypeScript or Python.\n\n\
        `seedhost plugin new NAME --lang ts` writes plugins/NAME from a template and adds its \
        entry to seedhost.toml (no tables granted yet: add them there). \
        `seedhost plugin build NAME` builds it with its language's toolchain (cargo; npm and \
        componentize-js; python3 and componentize-py, installed on first use) and compiles the \
        component into the cache, so the first run starts at once. Then `seedhost run NAME`.\n\n\
        The SDKs travel inside this binary: a plugin names the copy that seedhost writes into \
        the project's .seedhost/sdk/<version>/ (kept out of git) by a relative path, with the \
        version it was made with (`sdk` in its seedhost.toml entry). SEEDHOST_SDK_DIR points \
        new plugins at a seedhost checkout instead, for work on the SDKs.",
        subcommand_required = true
    )]
    Plugin {
        #[command(subcommand)]
        action: PluginAction,
    },
    /// Template databases: seeded once, copied in a moment (`template clone NAME`)
    #[command(
        long_about = "Template databases, for a fresh seeded database per test.\n\n\
        `seedhost template build` makes, when missing, the project's template: a database \
        migrated and seeded as `run --all` does in the profile, named by a digest of what \
        shapes it (migration files, seed files, components, parameters, profile, seedhost's \
        version) and of the project. A change to any of them makes the next build a new \
        template. `seedhost template clone NAME` creates database NAME on the profile's \
        server from the current template (building it first when missing) and prints its \
        name and URL: on PostgreSQL by CREATE DATABASE … TEMPLATE; on SQLite NAME is a file \
        path, copied from .seedhost/templates/. A clone holds the template's seed ledger, so \
        `run` on it skips what is unchanged. `template list` shows the project's templates, \
        `template prune` drops all but the newest (--keep, default 3; the current one \
        stays).\n\n\
        A template is complete or absent: it is built under another name and renamed into \
        place once its run committed. On PostgreSQL it is marked IS_TEMPLATE and \
        ALLOW_CONNECTIONS false.",
        subcommand_required = true
    )]
    Template {
        #[command(subcommand)]
        action: TemplateAction,
    },
    /// Show the cache of compiled components; `cache clear` empties it
    #[command(
        long_about = "Show the cache of compiled components: each entry's size, when it was \
        last used and which component files it was compiled from. The cache is \
        .seedhost/cache in the project (or SEEDHOST_CACHE_DIR, which projects may share). \
        A rebuilt plugin's older entry is removed when no other project uses it, and past \
        SEEDHOST_CACHE_MAX_MIB (default 1024) the least recently used entries go.\n\n\
        `seedhost cache clear` removes every entry; the next run compiles again.",
        args_conflicts_with_subcommands = true
    )]
    Cache(CacheArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    #[command(long_about = "Print a completion script for SHELL on stdout.\n\n\
        bash:  seedhost completions bash > ~/.local/share/bash-completion/completions/seedhost\n\
        zsh:   seedhost completions zsh > ~/.zfunc/_seedhost   (with ~/.zfunc in fpath)\n\
        fish:  seedhost completions fish > ~/.config/fish/completions/seedhost.fish")]
    Completions {
        /// The shell
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum PluginAction {
    /// Write plugins/NAME from a template and add it to seedhost.toml
    New {
        /// The plugin's name (lowercase letters, digits, '-' and '_')
        name: String,
        /// Its language
        #[arg(long, value_enum, default_value = "rust")]
        lang: LangArg,
    },
    /// Build a plugin's component, then compile it into the cache
    Build {
        /// The plugin, as named in seedhost.toml
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum TemplateAction {
    /// Build the project's current template, unless it exists
    Build(TemplateDb),
    /// Create database NAME (SQLite: the file NAME) from the current template
    Clone {
        /// The new database's name (PostgreSQL) or file path (SQLite)
        name: String,

        /// How long to wait, in seconds, for sessions still holding the template
        #[arg(long, value_name = "SECONDS", default_value_t = 10)]
        wait: u64,

        #[command(flatten)]
        db: TemplateDb,
    },
    /// List the project's templates on the profile's server
    List(TemplateDb),
    /// Drop the project's older templates and abandoned builds
    Prune {
        /// How many complete templates to keep (the current one always stays)
        #[arg(long, value_name = "N", default_value_t = 3)]
        keep: usize,

        #[command(flatten)]
        db: TemplateDb,
    },
}

/// Which profile's server holds the templates.
#[derive(Debug, Clone, Args)]
pub(crate) struct TemplateDb {
    /// Environment profile: its database's server holds the templates, and the template
    /// is seeded as `run --all` seeds it
    #[arg(short, long, default_value = "local", value_name = "NAME")]
    pub env: String,

    /// Print one JSON object on stdout instead of lines
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum LangArg {
    /// Rust, with seedhost-sdk
    Rust,
    /// TypeScript, with @seedhost/plugin (needs node and npm)
    #[value(alias = "typescript")]
    Ts,
    /// Python, with the seedhost module (needs python3)
    #[value(alias = "py")]
    Python,
}

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// Plugins to verify [default: every configured plugin]
    pub plugins: Vec<String>,

    /// The reference time plugins see (RFC 3339), instead of seedhost.toml's `[now]`
    #[arg(long, value_name = "INSTANT", value_parser = parse_now)]
    pub now: Option<String>,

    #[command(flatten)]
    pub db: DbArgs,

    #[command(flatten)]
    pub fan: FanArgs,
}

/// `status`'s arguments.
#[derive(Debug, Args)]
pub(crate) struct StatusArgs {
    #[command(flatten)]
    pub db: DbArgs,

    #[command(flatten)]
    pub fan: FanArgs,
}

/// `setup`'s arguments.
#[derive(Debug, Args)]
pub(crate) struct SetupArgs {
    #[command(flatten)]
    pub db: DbArgs,

    #[command(flatten)]
    pub fan: FanArgs,
}

/// Many databases from one command.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Many databases")]
pub(crate) struct FanArgs {
    /// Apply to every database of FILE, concurrently: one target a line (`#` comments), a
    /// database URL (`${VAR}` read from the environment or the profile's .env file) or
    /// profile:NAME
    #[arg(long, value_name = "FILE", conflicts_with = "database_url")]
    pub targets: Option<PathBuf>,

    /// How many targets are in flight at once, and so the connections held (two each at
    /// most) [default: the number of cores]
    #[arg(long, short = 'j', value_name = "J", requires = "targets",
          value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,

    /// Start no new target once one has failed (those in flight finish)
    #[arg(long, requires = "targets")]
    pub fail_fast: bool,

    /// Also write the results as JUnit XML to FILE (one test suite per target)
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct ResetArgs {
    /// Allow resetting a profile other than `local`
    #[arg(long)]
    pub force: bool,

    /// The database's name, confirming a --force reset without a prompt
    #[arg(long, value_name = "NAME", requires = "force")]
    pub confirm: Option<String>,

    #[command(flatten)]
    pub db: DbArgs,
}

/// Which database to use.
#[derive(Debug, Clone, Args)]
pub(crate) struct DbArgs {
    /// Environment profile: reads .env.NAME from the project root; only `local` has a
    /// default database (the embedded SQLite file .seedhost/local.db)
    #[arg(short, long, default_value = "local", value_name = "NAME")]
    pub env: String,

    /// Database URL (postgres://... or sqlite://...); wins over DATABASE_URL and
    /// SUPABASE_DB_URL from the environment or the .env file
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,

    /// Print one JSON object on stdout instead of tables
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// Plugins to run, in this order (as named in seedhost.toml)
    #[arg(value_name = "PLUGIN", required_unless_present = "all")]
    pub plugins: Vec<String>,

    /// Run every plugin the profile is granted, in dependency order
    #[arg(long, conflicts_with = "plugins")]
    pub all: bool,

    /// Do everything inside a transaction that is rolled back, and report what would happen
    #[arg(long)]
    pub dry_run: bool,

    #[command(flatten)]
    pub inputs: RunInputs,

    #[command(flatten)]
    pub db: DbArgs,

    #[command(flatten)]
    pub fan: FanArgs,
}

/// What the plugins of a run get, and whether policies apply: `run` and
/// `plan` take the same, so a plan is of the run it names.
#[derive(Debug, Args)]
pub(crate) struct RunInputs {
    /// Set a plugin parameter, overriding seedhost.toml (repeatable)
    #[arg(long = "param", value_name = "KEY=VALUE", value_parser = parse_param)]
    pub params: Vec<(String, String)>,

    /// The reference time plugins see (RFC 3339), instead of seedhost.toml's `[now]`
    #[arg(long, value_name = "INSTANT", value_parser = parse_now)]
    pub now: Option<String>,

    /// Run the selected plugins whatever their `policy` (on-change, once) says
    #[arg(long)]
    pub ignore_policy: bool,
}

#[derive(Debug, Args)]
pub(crate) struct PlanArgs {
    /// Plugins `run` would be given, in this order (default: every plugin granted the profile)
    #[arg(value_name = "PLUGIN")]
    pub plugins: Vec<String>,

    /// Every plugin the profile is granted, in dependency order (the default)
    #[arg(long, conflicts_with = "plugins")]
    pub all: bool,

    #[command(flatten)]
    pub inputs: RunInputs,

    /// Dry-run what would run and report its rows per table
    #[arg(long)]
    pub counts: bool,

    /// Exit 0 when nothing would change, 2 when something would, 1 on error
    #[arg(long)]
    pub detailed_exitcode: bool,

    #[command(flatten)]
    pub db: DbArgs,

    #[command(flatten)]
    pub fan: FanArgs,
}

#[derive(Debug, Args)]
pub(crate) struct MigrateArgs {
    /// Apply inside a transaction that is rolled back, and report what would be applied
    #[arg(long)]
    pub dry_run: bool,

    #[command(flatten)]
    pub db: DbArgs,

    #[command(flatten)]
    pub fan: FanArgs,

    #[command(subcommand)]
    pub action: Option<MigrateAction>,
}

#[derive(Debug, Args)]
pub(crate) struct CacheArgs {
    /// Print one JSON object instead of lines
    #[arg(long)]
    pub json: bool,

    #[command(subcommand)]
    pub action: Option<CacheAction>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum CacheAction {
    /// Remove every cached component
    Clear,
}

#[derive(Debug, Subcommand)]
pub(crate) enum MigrateAction {
    /// Record the current checksum of an applied migration whose file was changed on purpose
    Repair {
        /// The migration's version (the digits its file name starts with)
        version: String,

        #[command(flatten)]
        db: DbArgs,
    },
}

fn parse_now(text: &str) -> Result<String, String> {
    crate::config::parse_instant(text)
}

fn parse_param(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if key == crate::config::NOW_PARAM => {
            crate::config::parse_instant(value).map(|now| (key.to_owned(), now))
        }
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err(format!("expected KEY=VALUE, got {text:?}")),
    }
}

/// Sets up logging on stderr: warnings, plus seedhost's and plugins' info lines,
/// unless `-v`, `-q` or `RUST_LOG` say otherwise.
pub fn init_logging(verbose: u8, quiet: bool) {
    let default = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn,seedhost=info,plugin=info,sqlx=error",
        (false, 1) => "info,seedhost=debug,plugin=debug,sqlx=warn",
        (false, _) => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(crate::progress::LogWriter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .without_time()
        .init();
}

/// Parses the command line. Bad usage exits 2 with clap's message, except
/// under `--detailed-exitcode`, where 2 means "would change": it exits 1.
pub fn parse() -> Cli {
    match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() && detailed_plan(std::env::args_os()) => {
            let _ = e.print();
            std::process::exit(1)
        }
        Err(e) => e.exit(),
    }
}

/// Whether the command line is `plan … --detailed-exitcode`.
fn detailed_plan(args: impl Iterator<Item = std::ffi::OsString>) -> bool {
    let args: Vec<std::ffi::OsString> = args.skip(1).collect();
    args.iter().any(|a| a == "plan") && args.iter().any(|a| a == "--detailed-exitcode")
}

impl Command {
    /// Whether the command is, from its start, a write through `runner::run`,
    /// which a signal stops with a report and exit status 130 or 143. (`reset`
    /// asks first, and a prompt must still end on Ctrl-C: it starts catching
    /// after. Other commands that reach `runner::run` catch signals from then.)
    fn stops_on_signals(&self) -> bool {
        match self {
            Command::Run(_) | Command::Setup(_) => true,
            Command::Migrate(args) => args.action.is_none(),
            _ => false,
        }
    }
}

/// Runs a parsed command; the exit status is 0 only if everything succeeded.
pub async fn dispatch(cli: Cli) -> ExitCode {
    if cli.command.stops_on_signals() {
        // Before anything else: a signal during start-up then stops the run as
        // one during it does, instead of killing the process outright.
        runner::listen();
    }
    let process_env: HashMap<String, String> = std::env::vars().collect();
    let config = match &cli.config {
        Some(path) => Config::load(path),
        None => std::env::current_dir()
            .map_err(|source| crate::config::ConfigError::Read {
                path: PathBuf::from("."),
                source,
            })
            .and_then(|dir| Config::discover(&dir)),
    };
    let destination = |db: &DbArgs| Destination {
        env: db.env.clone(),
        database_url: db.database_url.clone(),
        process_env: process_env.clone(),
    };
    match cli.command {
        Command::Run(args) => {
            let options = RunOptions {
                plugins: args.plugins,
                all: args.all,
                dry_run: args.dry_run,
                params: args.inputs.params,
                now: args.inputs.now,
                reset: None,
                progress: !cli.quiet && !args.db.json && std::io::stderr().is_terminal(),
                twice: false,
                ignore_policy: args.inputs.ignore_policy,
                components: None,
            };
            let config = match config {
                Ok(config) => config,
                Err(e) => return finish(&failed(&args.db, args.dry_run, e), args.db.json),
            };
            let fan = Fan::new("run", &args.db, &args.fan, &process_env, cli.quiet);
            fan.writes(config, options, true).await
        }
        Command::Migrate(MigrateArgs {
            action: Some(MigrateAction::Repair { version, db }),
            ..
        }) => {
            let report = match config {
                Ok(config) => runner::repair(&config, &destination(&db), &version).await,
                Err(e) => RepairReport::failed(&db.env, e),
            };
            finish(&report, db.json)
        }
        Command::Cache(args) => {
            let env_dir = process_env
                .get("SEEDHOST_CACHE_DIR")
                .filter(|d| !d.is_empty());
            let dir = match (&config, env_dir) {
                (_, Some(dir)) => PathBuf::from(dir),
                (Ok(config), None) => plan::cache_dir(config, &process_env),
                (Err(e), None) => return fail(e),
            };
            cache_command(&dir, plan::cache_limit(&process_env), args)
        }
        Command::Template { action } => {
            let config = match config {
                Ok(config) => config,
                Err(e) => return fail(e),
            };
            let to = |db: &TemplateDb| Destination {
                env: db.env.clone(),
                database_url: None,
                process_env: process_env.clone(),
            };
            use crate::template;
            let (report, json) = match action {
                TemplateAction::Build(db) => (template::build(&config, &to(&db)).await, db.json),
                TemplateAction::Clone { name, wait, db } => {
                    let wait = std::time::Duration::from_secs(wait);
                    (
                        template::clone(&config, &to(&db), &name, wait).await,
                        db.json,
                    )
                }
                TemplateAction::List(db) => {
                    (template::list(&config, &to(&db), None).await, db.json)
                }
                TemplateAction::Prune { keep, db } => {
                    (template::list(&config, &to(&db), Some(keep)).await, db.json)
                }
            };
            finish(&report, json)
        }
        Command::Plugin { action } => {
            let config = match config {
                Ok(config) => config,
                Err(e) => return fail(e),
            };
            plugin_command(&config, &process_env, action)
        }
        Command::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "seedhost",
                &mut std::io::stdout(),
            );
            ExitCode::SUCCESS
        }
        Command::Init => {
            let dir = match std::env::current_dir() {
                Ok(dir) => dir,
                Err(e) => return fail(format!("cannot read the current directory: {e}")),
            };
            match crate::init::init(&dir, chrono::Utc::now()) {
                Ok(done) => {
                    println!(
                        "{}",
                        if done.supabase {
                            "a Supabase project: seedhost.toml shares supabase/migrations with the Supabase CLI"
                        } else {
                            "a starter project"
                        }
                    );
                    for file in &done.written {
                        println!("  wrote {}", file.display());
                    }
                    for file in &done.kept {
                        println!("  kept  {}", file.display());
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
        Command::Migrate(args) => {
            let options = RunOptions {
                dry_run: args.dry_run,
                ..RunOptions::default()
            };
            let config = match config {
                Ok(config) => config,
                Err(e) => return finish(&failed(&args.db, args.dry_run, e), args.db.json),
            };
            let fan = Fan::new("migrate", &args.db, &args.fan, &process_env, cli.quiet);
            fan.writes(config, options, false).await
        }
        Command::New { description } => {
            let config = match config {
                Ok(config) => config,
                Err(e) => return fail(e),
            };
            match crate::migrate::create(&config.migrations, &description, chrono::Utc::now()) {
                Ok(path) => {
                    println!("{}", path.display());
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
        Command::Reset(args) => {
            let config = match config {
                Ok(config) => config,
                Err(e) => return finish(&failed(&args.db, false, e), args.db.json),
            };
            let destination = destination(&args.db);
            let mut guard = ResetGuard {
                force: args.force,
                confirm: args.confirm,
            };
            if guard.force
                && guard.confirm.is_none()
                && destination.env != crate::profile::LOCAL
                && std::io::stdin().is_terminal()
            {
                guard.confirm = plan::reset_confirmation_name(&config, &destination)
                    .ok()
                    .and_then(|name| {
                        ask(&format!("Type the database name ({name}) to reset it: "))
                    });
            }
            let options = RunOptions {
                reset: Some(guard),
                ..RunOptions::default()
            };
            // After the prompt (see `stops_on_signals`).
            runner::listen();
            let report = runner::run(&config, &destination, &options).await;
            finish(&report, args.db.json)
        }
        Command::Setup(SetupArgs { db, fan }) => {
            if db.env != crate::profile::LOCAL {
                let e = format!(
                    "setup resets the database and is for the local profile only; for `{0}` run \
                     `seedhost reset --env {0} --force` and `seedhost run --all --env {0}` deliberately",
                    db.env
                );
                return finish(&failed(&db, false, e), db.json);
            }
            let config = match config {
                Ok(config) => config,
                Err(e) => return finish(&failed(&db, false, e), db.json),
            };
            let options = RunOptions {
                all: true,
                reset: Some(ResetGuard::default()),
                ..RunOptions::default()
            };
            let mut fanned = Fan::new("setup", &db, &fan, &process_env, cli.quiet);
            fanned.resets = true;
            fanned.writes(config, options, true).await
        }
        Command::Smoke(db) => {
            let config = match config {
                Ok(config) => config,
                Err(e) => return fail(e),
            };
            let report = inspect::smoke(&config, &destination(&db)).await;
            finish(&report, db.json)
        }
        Command::Verify(args) => {
            let config = match config {
                Ok(config) => config,
                Err(e) => return fail(e),
            };
            if args.fan.targets.is_some() {
                let components = match Components::new(&config, &process_env) {
                    Ok(components) => Arc::new(components),
                    Err(e) => return fail(e),
                };
                let (plugins, now) = (args.plugins.clone(), args.now.clone());
                let verify = move |config: Arc<Config>, destination: Destination| {
                    let (plugins, now) = (plugins.clone(), now.clone());
                    let components = Some(components.clone());
                    async move {
                        crate::verify::verify(&config, &destination, &plugins, now, components)
                            .await
                    }
                };
                let fan = Fan::new("verify", &args.db, &args.fan, &process_env, cli.quiet);
                return fan.run(config, verify).await;
            }
            let report = crate::verify::verify(
                &config,
                &destination(&args.db),
                &args.plugins,
                args.now,
                None,
            )
            .await;
            if let Some(path) = &args.fan.junit
                && let Err(e) = std::fs::write(path, scrub(&report.to_junit()).as_bytes())
            {
                return fail(format!("cannot write {}: {e}", path.display()));
            }
            finish(&report, args.db.json)
        }
        Command::Plan(args) => {
            let config = match config {
                Ok(config) => config,
                Err(e) => return fail(e),
            };
            let options = RunOptions {
                all: args.plugins.is_empty(),
                plugins: args.plugins,
                params: args.inputs.params,
                now: args.inputs.now,
                ignore_policy: args.inputs.ignore_policy,
                ..RunOptions::default()
            };
            let extra = crate::preview::PlanOptions {
                counts: args.counts,
                detailed_exitcode: args.detailed_exitcode,
            };
            if args.fan.targets.is_some() {
                let options = if args.counts {
                    match shared(&config, &process_env, options) {
                        Ok(options) => options,
                        Err(e) => return fail(e),
                    }
                } else {
                    options
                };
                let plan = move |config: Arc<Config>, destination: Destination| {
                    let options = options.clone();
                    async move { crate::preview::plan(&config, &destination, &options, extra).await }
                };
                let fan = Fan::new("plan", &args.db, &args.fan, &process_env, cli.quiet);
                return fan.run(config, plan).await;
            }
            let clock = Instant::now();
            let report =
                crate::preview::plan(&config, &destination(&args.db), &options, extra).await;
            single("plan", &args.fan, &report, clock);
            finish(&report, args.db.json)
        }
        Command::Status(StatusArgs { db, fan }) => {
            let config = match config {
                Ok(config) => config,
                Err(e) => return fail(e),
            };
            if fan.targets.is_some() {
                let status = |config: Arc<Config>, destination: Destination| async move {
                    inspect::status(&config, &destination).await
                };
                let fanned = Fan::new("status", &db, &fan, &process_env, cli.quiet);
                return fanned.run(config, status).await;
            }
            let clock = Instant::now();
            let report = inspect::status(&config, &destination(&db)).await;
            single("status", &fan, &report, clock);
            finish(&report, db.json)
        }
    }
}

/// Components compiled once for every target of a fan-out.
fn shared(
    config: &Config,
    env: &HashMap<String, String>,
    options: RunOptions,
) -> Result<RunOptions, crate::sandbox::SandboxError> {
    Ok(RunOptions {
        components: Some(Arc::new(Components::new(config, env)?)),
        progress: false,
        ..options
    })
}

/// `--junit` of a command on one database: a fan-out's XML, of one target.
fn single(command: &str, fan: &FanArgs, report: &impl Report, clock: Instant) {
    let Some(path) = &fan.junit else { return };
    let label = report_database(report);
    let outcome = fanout::TargetOutcome::of(label, report, clock.elapsed());
    let xml = fanout::FanoutReport::single(command, outcome).to_junit();
    if let Err(e) = std::fs::write(path, scrub(&xml).as_bytes()) {
        eprintln!("error: cannot write {}: {e}", path.display());
    }
}

/// The (redacted) database a single-target report names.
fn report_database(report: &impl Report) -> String {
    serde_json::to_value(report)
        .ok()
        .and_then(|v| v["database"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "(no database)".to_owned())
}

/// A command about to run on every database of a targets file.
struct Fan<'a> {
    command: &'static str,
    db: &'a DbArgs,
    args: &'a FanArgs,
    process_env: &'a HashMap<String, String>,
    quiet: bool,
    /// The command resets each target (`setup`): URL targets only, named first.
    resets: bool,
}

impl<'a> Fan<'a> {
    fn new(
        command: &'static str,
        db: &'a DbArgs,
        args: &'a FanArgs,
        process_env: &'a HashMap<String, String>,
        quiet: bool,
    ) -> Fan<'a> {
        Fan {
            command,
            db,
            args,
            process_env,
            quiet,
            resets: false,
        }
    }

    /// A command that writes (`run`, `migrate`, `setup`): `runner::run` with
    /// `options` on every target, or on the one database of `--env` and
    /// `--database-url`. `plugins`: it loads plugins, so a fan-out shares
    /// their components.
    async fn writes(self, config: Config, options: RunOptions, plugins: bool) -> ExitCode {
        if self.args.targets.is_some() {
            let options = match plugins {
                true => match shared(&config, self.process_env, options) {
                    Ok(options) => options,
                    Err(e) => return fail(e),
                },
                false => options,
            };
            let run = move |config: Arc<Config>, destination: Destination| {
                let options = options.clone();
                async move { runner::run(&config, &destination, &options).await }
            };
            return self.run(config, run).await;
        }
        let destination = Destination {
            env: self.db.env.clone(),
            database_url: self.db.database_url.clone(),
            process_env: self.process_env.clone(),
        };
        let clock = Instant::now();
        let report = runner::run(&config, &destination, &options).await;
        single(self.command, self.args, &report, clock);
        finish(&report, self.db.json)
    }

    /// Reads the targets, runs `one` on each, prints the summary and writes
    /// `--junit`; exits 0 only if every target succeeded.
    async fn run<R, F, Fut>(self, config: Config, one: F) -> ExitCode
    where
        R: Report + Send + 'static,
        F: Fn(Arc<Config>, Destination) -> Fut,
        Fut: std::future::Future<Output = R> + Send + 'static,
    {
        let file = self.args.targets.as_deref().expect("--targets was given");
        let targets = match crate::targets::read(file, &config.root, &self.db.env, self.process_env)
        {
            Ok(targets) => targets,
            Err(e) => return fail(e),
        };
        if self.resets {
            if let Some(t) = targets.iter().find(|t| !t.is_url()) {
                return fail(format!(
                    "{} takes database URLs only, as it resets each: {}:{} is {}",
                    self.command,
                    file.display(),
                    t.line(),
                    t.label()
                ));
            }
            // Even under -q: nothing is reset unannounced.
            {
                let names: Vec<String> = targets.iter().map(|t| t.label()).collect();
                eprintln!(
                    "{}",
                    scrub(&format!(
                        "setup resets each of these {} databases (everything the migrations \
                         built goes), then migrates and seeds it:\n  {}",
                        names.len(),
                        names.join("\n  ")
                    ))
                );
            }
        }
        let options = fanout::FanOptions {
            jobs: self
                .args
                .jobs
                .map_or_else(fanout::default_jobs, usize::from),
            fail_fast: self.args.fail_fast,
            progress: !self.quiet && !self.db.json && std::io::stderr().is_terminal(),
        };
        let config = Arc::new(config);
        let (db, env) = (self.db, self.process_env);
        let report = fanout::fan_out(self.command, targets, options, |target| {
            one(config.clone(), target_destination(&target, db, env))
        })
        .await;
        if let Some(path) = &self.args.junit
            && let Err(e) = std::fs::write(path, scrub(&report.to_junit()).as_bytes())
        {
            return fail(format!("cannot write {}: {e}", path.display()));
        }
        finish(&report, self.db.json)
    }
}

/// The database `target` names: a URL in the command's profile, or a profile's own.
fn target_destination(
    target: &crate::targets::Target,
    db: &DbArgs,
    process_env: &HashMap<String, String>,
) -> Destination {
    use crate::targets::Target;
    match target {
        Target::Url { url, .. } => Destination {
            env: db.env.clone(),
            database_url: Some(url.clone()),
            process_env: process_env.clone(),
        },
        Target::Profile { name, .. } => Destination {
            env: name.clone(),
            database_url: None,
            process_env: process_env.clone(),
        },
    }
}

/// `seedhost plugin new|build`.
fn plugin_command(
    config: &Config,
    env: &HashMap<String, String>,
    action: PluginAction,
) -> ExitCode {
    use crate::author::{self, Lang};
    match action {
        PluginAction::New { name, lang } => {
            let lang = match lang {
                LangArg::Rust => Lang::Rust,
                LangArg::Ts => Lang::TypeScript,
                LangArg::Python => Lang::Python,
            };
            match author::create(config, &name, lang, env) {
                Ok(created) => {
                    for file in &created.files {
                        println!("  wrote {}", file.display());
                    }
                    println!("  added [plugins.{name}] to {}", config.path.display());
                    println!(
                        "next: list the tables it writes in its grant, then\n  \
                         seedhost plugin build {name}\n  seedhost run {name} --env local"
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
        PluginAction::Build { name } => match author::build(config, &name, env) {
            Ok(built) => {
                println!(
                    "built {name} ({}): {} ({:.1} MB) in {:.1} s; {}",
                    built.lang,
                    built.wasm.display(),
                    built.bytes as f64 / 1e6,
                    built.build_time.as_secs_f64(),
                    if built.cached {
                        "already in the cache".to_owned()
                    } else {
                        format!(
                            "compiled into the cache in {:.1} s",
                            built.compile_time.as_secs_f64()
                        )
                    }
                );
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        },
    }
}

/// `seedhost cache [clear]`.
fn cache_command(dir: &std::path::Path, limit: u64, args: CacheArgs) -> ExitCode {
    use crate::sandbox::cache;
    let mib = |bytes: u64| bytes as f64 / f64::from(1 << 20);
    let entries = match args.action {
        Some(CacheAction::Clear) => cache::clear(dir),
        None => cache::list(dir),
    };
    let total: u64 = entries.iter().map(|e| e.bytes).sum();
    let cleared = matches!(args.action, Some(CacheAction::Clear));
    if args.json {
        let entries: Vec<serde_json::Value> = entries
            .iter()
            .map(|e| {
                serde_json::json!({
                    "file": e.path.file_name().map(|n| n.to_string_lossy().into_owned()),
                    "bytes": e.bytes,
                    "used": chrono::DateTime::<chrono::Utc>::from(e.used).to_rfc3339(),
                    "sources": e.sources,
                })
            })
            .collect();
        let report = serde_json::json!({
            "dir": dir.display().to_string(),
            "cleared": cleared,
            "entries": entries,
            "bytes": total,
            "limit": limit,
        });
        println!("{}", serde_json::to_string_pretty(&report).expect("JSON"));
        return ExitCode::SUCCESS;
    }
    if cleared {
        println!(
            "cache {}: removed {} entries ({:.1} MiB)",
            dir.display(),
            entries.len(),
            mib(total)
        );
        return ExitCode::SUCCESS;
    }
    println!(
        "cache {} · {} entries · {:.1} MiB (limit {:.0} MiB)",
        dir.display(),
        entries.len(),
        mib(total),
        mib(limit)
    );
    for e in &entries {
        let used = chrono::DateTime::<chrono::Utc>::from(e.used).format("%Y-%m-%d %H:%M UTC");
        let name = e
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let from = if e.sources.is_empty() {
            "(no current source)".to_owned()
        } else {
            e.sources.join(", ")
        };
        println!("  {:>7.1} MiB  {used}  {name}  ← {from}", mib(e.bytes));
    }
    ExitCode::SUCCESS
}

fn fail(error: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {}", scrub(&error.to_string()));
    ExitCode::FAILURE
}

/// Asks on the terminal; `None` if nothing could be read.
fn ask(question: &str) -> Option<String> {
    use std::io::Write;
    eprint!("{question}");
    std::io::stderr().flush().ok()?;
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).ok()?;
    Some(answer.trim().to_owned())
}

fn failed(db: &DbArgs, dry_run: bool, error: impl std::fmt::Display) -> RunReport {
    let mut report = RunReport::new(&db.env, dry_run);
    report.error = Some(error.to_string());
    report
}

/// Prints a report, and exits 0 only if it succeeded.
fn finish(report: &impl Report, json: bool) -> ExitCode {
    // Everything printed goes through one scrubbing path.
    if json {
        println!("{}", scrub(&report.to_json()));
    } else {
        print!("{}", scrub(&report.to_human()));
    }
    ExitCode::from(report.exit_status())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn run_needs_plugins_or_all() {
        assert!(Cli::try_parse_from(["seedhost", "run"]).is_err());
        assert!(Cli::try_parse_from(["seedhost", "run", "--all"]).is_ok());
        assert!(Cli::try_parse_from(["seedhost", "run", "catalog", "--all"]).is_err());
        let cli = Cli::try_parse_from([
            "seedhost", "run", "catalog", "--param", "rows=10", "--env", "staging",
        ])
        .unwrap();
        let Command::Run(args) = cli.command else {
            panic!()
        };
        assert_eq!(args.inputs.params, [("rows".to_owned(), "10".to_owned())]);
        assert_eq!(args.db.env, "staging");
    }

    #[test]
    fn only_plan_turns_bad_usage_into_one() {
        let args = |line: &str| {
            line.split(' ')
                .map(std::ffi::OsString::from)
                .collect::<Vec<_>>()
        };
        assert!(detailed_plan(
            args("seedhost plan --nope --detailed-exitcode").into_iter()
        ));
        assert!(detailed_plan(
            args("seedhost --config x.toml plan --detailed-exitcode").into_iter()
        ));
        assert!(!detailed_plan(
            args("seedhost run --detailed-exitcode").into_iter()
        ));
        assert!(!detailed_plan(args("seedhost plan --nope").into_iter()));
    }

    #[test]
    fn confirm_requires_force() {
        assert!(Cli::try_parse_from(["seedhost", "reset", "--confirm", "x"]).is_err());
        assert!(
            Cli::try_parse_from([
                "seedhost",
                "reset",
                "--force",
                "--confirm",
                "x",
                "--env",
                "staging"
            ])
            .is_ok()
        );
    }

    #[test]
    fn completions_are_generated_for_every_shell() {
        for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
            let cli = Cli::try_parse_from(["seedhost", "completions", shell]).unwrap();
            let Command::Completions { shell } = cli.command else {
                panic!()
            };
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "seedhost", &mut script);
            let script = String::from_utf8(script).unwrap();
            assert!(
                script.contains("migrate") && script.contains("repair"),
                "{shell}"
            );
        }
        assert!(Cli::try_parse_from(["seedhost", "completions", "tcsh"]).is_err());
    }

    #[test]
    fn params_need_a_key() {
        assert!(parse_param("=x").is_err());
        assert!(parse_param("novalue").is_err());
        assert_eq!(parse_param("k=a=b").unwrap(), ("k".into(), "a=b".into()));
        // The reference time is checked, and given to plugins in UTC.
        assert!(parse_param("seedhost.now=tomorrow").is_err());
        assert_eq!(
            parse_param("seedhost.now=2026-05-01T14:00:00+02:00")
                .unwrap()
                .1,
            "2026-05-01T12:00:00Z"
        );
    }
}
