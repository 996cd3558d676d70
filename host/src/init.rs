//! `seedhost init`: makes the current directory a seedhost project.
//!
//! In a Supabase project (one with `supabase/config.toml`) the configuration
//! points at `supabase/migrations`, which the Supabase CLI and seedhost then
//! share, with one history on the database. Elsewhere it writes a starter
//! project with a `migrations/` directory and a first migration. Either way it
//! adds the profile templates and keeps `.seedhost/` and real `.env.*` files
//! out of git. It never overwrites a file; an existing `seedhost.toml` stops it.

use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::config::FILE_NAME;
use crate::migrate;

/// Why a project could not be set up.
#[derive(Debug, Error)]
pub enum InitError {
    /// There is a configuration already.
    #[error("{0} exists already: this is a seedhost project")]
    Exists(PathBuf),
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The first migration could not be created.
    #[error(transparent)]
    Migration(#[from] migrate::MigrationError),
}

/// What `init` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Initialized {
    /// Whether it found a Supabase project.
    pub supabase: bool,
    /// Files written, relative to the project.
    pub written: Vec<PathBuf>,
    /// Files that were there and were kept.
    pub kept: Vec<PathBuf>,
}

const SUPABASE_CONFIG: &str = r#"# seedhost: SQL migrations, then seed plugins (sandboxed WebAssembly components).
#
# The Supabase CLI and seedhost share these migrations and one history: on every
# PostgreSQL database seedhost records what it applies in
# supabase_migrations.schema_migrations too (a CI service container or a plain
# staging server included), so `supabase migration list` agrees with `seedhost
# status`, and it adopts what `supabase db push` applied instead of running it again.
migrations = "supabase/migrations"
smoke = "supabase/smoke"
reset_schemas = ["public"]
supabase_history = "always"  # always: every PostgreSQL database; auto: only those that look like Supabase's; never

[limits]
cpu_seconds = 60
memory_mib = 256

# A seed plugin: its component, what it may write, where it may run.
# [plugins.catalog]
# wasm = "target/wasm32-wasip2/release/catalog.wasm"
# tables = ["public.catalog_journeys"]
# profiles = ["local", "staging"]
"#;

const STARTER_CONFIG: &str = r#"# seedhost: SQL migrations, then seed plugins (sandboxed WebAssembly components).
migrations = "migrations"
smoke = "smoke"
reset_schemas = ["public"]

[limits]
cpu_seconds = 60
memory_mib = 256

# A seed plugin: its component, what it may write, where it may run.
# [plugins.greetings]
# wasm = "target/wasm32-wasip2/release/greetings.wasm"
# tables = ["greetings"]
# profiles = ["local", "staging"]
"#;

const STARTER_MIGRATION: &str = "CREATE TABLE greetings (
    id   UUID PRIMARY KEY,
    text TEXT NOT NULL,
    lang TEXT
);
";

const ENV_LOCAL: &str = "# Copy to .env.local to seed the Supabase local stack (`supabase start`);
# without it, `--env local` uses the embedded SQLite file .seedhost/local.db.
DATABASE_URL=postgresql://postgres:postgres@127.0.0.1:54322/postgres
";

const ENV_STAGING: &str = "# Copy to .env.staging. A hosted project: the direct connection or the
# session pooler (port 5432), never the transaction pooler (port 6543).
DATABASE_URL=postgresql://postgres.PROJECT_REF:PASSWORD@aws-0-REGION.pooler.supabase.com:5432/postgres
";

const GITIGNORE: [&str; 3] = ["/.seedhost", ".env.*", "!.env.*.example"];

/// Makes `dir` a seedhost project.
pub fn init(dir: &Path, now: chrono::DateTime<chrono::Utc>) -> Result<Initialized, InitError> {
    let config = dir.join(FILE_NAME);
    if config.exists() {
        return Err(InitError::Exists(config));
    }
    let supabase = dir.join("supabase/config.toml").is_file();
    let mut done = Initialized {
        supabase,
        written: Vec::new(),
        kept: Vec::new(),
    };
    let text = if supabase {
        SUPABASE_CONFIG
    } else {
        STARTER_CONFIG
    };
    write_new(dir, Path::new(FILE_NAME), text, &mut done)?;
    write_new(dir, Path::new(".env.local.example"), ENV_LOCAL, &mut done)?;
    write_new(
        dir,
        Path::new(".env.staging.example"),
        ENV_STAGING,
        &mut done,
    )?;
    gitignore(dir, &mut done)?;
    let cli_migrations = dir.join("supabase/migrations");
    if supabase && !cli_migrations.exists() {
        std::fs::create_dir_all(&cli_migrations).map_err(|source| InitError::Write {
            path: cli_migrations.clone(),
            source,
        })?;
        done.written.push(PathBuf::from("supabase/migrations/"));
    }
    if !supabase {
        let migrations = dir.join("migrations");
        let existing = std::fs::read_dir(&migrations)
            .map(|d| d.count())
            .unwrap_or(0);
        if existing == 0 {
            let path = migrate::create(&migrations, "create_greetings", now)?;
            let mut text = std::fs::read_to_string(&path).map_err(|source| InitError::Write {
                path: path.clone(),
                source,
            })?;
            text.push_str(STARTER_MIGRATION);
            std::fs::write(&path, text).map_err(|source| InitError::Write {
                path: path.clone(),
                source,
            })?;
            done.written
                .push(path.strip_prefix(dir).unwrap_or(&path).to_owned());
        }
    }
    Ok(done)
}

fn write_new(
    dir: &Path,
    relative: &Path,
    text: &str,
    done: &mut Initialized,
) -> Result<(), InitError> {
    let path = dir.join(relative);
    if path.exists() {
        done.kept.push(relative.to_owned());
        return Ok(());
    }
    std::fs::write(&path, text).map_err(|source| InitError::Write { path, source })?;
    done.written.push(relative.to_owned());
    Ok(())
}

/// Adds the lines seedhost needs to `.gitignore`, keeping what is there.
fn gitignore(dir: &Path, done: &mut Initialized) -> Result<(), InitError> {
    let path = dir.join(".gitignore");
    let existing = std::fs::read_to_string(&path).unwrap_or_default();
    let missing: Vec<&str> = GITIGNORE
        .iter()
        .copied()
        .filter(|line| !existing.lines().any(|l| l.trim() == *line))
        .collect();
    if missing.is_empty() {
        done.kept.push(PathBuf::from(".gitignore"));
        return Ok(());
    }
    let mut text = existing;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str("# seedhost: the embedded database and the compile cache; real profiles\n");
    for line in missing {
        text.push_str(line);
        text.push('\n');
    }
    std::fs::write(&path, text).map_err(|source| InitError::Write {
        path: path.clone(),
        source,
    })?;
    done.written.push(PathBuf::from(".gitignore"));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::parse_from_rfc3339("2026-11-29T12:00:00Z")
            .unwrap()
            .to_utc()
    }

    #[test]
    fn a_supabase_project_shares_its_migrations() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("supabase/migrations")).unwrap();
        std::fs::write(
            dir.path().join("supabase/config.toml"),
            "project_id = \"x\"\n",
        )
        .unwrap();
        std::fs::write(dir.path().join(".gitignore"), "node_modules\n.env.*").unwrap();
        let done = init(dir.path(), now()).unwrap();
        assert!(done.supabase);
        let config = std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
        assert!(config.contains("migrations = \"supabase/migrations\""));
        let ignore = std::fs::read_to_string(dir.path().join(".gitignore")).unwrap();
        assert_eq!(ignore.matches(".env.*\n").count(), 1, "{ignore}");
        assert!(ignore.starts_with("node_modules\n.env.*\n"), "{ignore}");
        assert!(ignore.contains("/.seedhost\n") && ignore.contains("!.env.*.example\n"));
        // No migration of seedhost's own in the CLI's directory.
        assert_eq!(
            std::fs::read_dir(dir.path().join("supabase/migrations"))
                .unwrap()
                .count(),
            0
        );
        let err = init(dir.path(), now()).unwrap_err().to_string();
        assert!(err.contains("exists already"), "{err}");
    }

    #[test]
    fn an_empty_directory_gets_a_starter_project() {
        let dir = tempfile::tempdir().unwrap();
        let done = init(dir.path(), now()).unwrap();
        assert!(!done.supabase);
        assert!(
            done.written.contains(&PathBuf::from(
                "migrations/20261129120000_create_greetings.sql"
            )),
            "{done:?}"
        );
        let migration = std::fs::read_to_string(
            dir.path()
                .join("migrations/20261129120000_create_greetings.sql"),
        )
        .unwrap();
        assert!(migration.contains("CREATE TABLE greetings"));
        for file in [
            FILE_NAME,
            ".env.local.example",
            ".env.staging.example",
            ".gitignore",
        ] {
            assert!(dir.path().join(file).is_file(), "{file}");
        }
        crate::config::Config::load(&dir.path().join(FILE_NAME)).unwrap();
    }
}
