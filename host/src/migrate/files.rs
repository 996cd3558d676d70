//! Migration files: their names, versions and dialects, read from the
//! migrations directory in version order.
//!
//! A file is `<version>_<name>.sql`, the version being digits: every name the
//! Supabase CLI accepts (`^([0-9]+)_(.*)\.sql$`). `seedhost new` writes the
//! convention, `<UTC yyyymmddhhmmss>_<snake_case_description>.sql`; a name off
//! it is applied all the same, with a warning.
//!
//! Dialects: `<version>_<name>.postgres.sql` applies only on PostgreSQL and
//! `<version>_<name>.sqlite.sql` only on SQLite; one version may have one file
//! per dialect (but not also a portable `.sql`). The Supabase CLI reads
//! `supabase/migrations` and compares versions only, so it would apply both
//! files of such a pair: in a directory it reads, a version has one file, and
//! SQLite's versions of those files go in the directory `sqlite_migrations`
//! names (files there replace, on SQLite, the same version's file, or add one).
//!
//! A first line `-- no-transaction` runs the file outside a transaction (for
//! statements such as `CREATE INDEX CONCURRENTLY`); a dry run cannot rehearse it.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sqlx::migrate::{Migration, MigrationType};
use sqlx::{AssertSqlSafe, SqlSafeStr};

use crate::db::Backend;

use super::error::MigrationError;

/// One migration file that applies to the current backend.
#[derive(Debug, Clone)]
pub struct MigrationFile {
    /// The file name without `.sql` (or `.postgres.sql` / `.sqlite.sql`).
    pub stem: String,
    /// Where it is.
    pub path: PathBuf,
    /// The version as the file name spells it, leading zeros and all: what the
    /// Supabase CLI records and compares, as text.
    pub version_text: String,
    /// What the Supabase CLI records as its name: the file name between the
    /// first `_` and `.sql`.
    pub cli_name: String,
    /// The migration as sqlx applies it (its version is the number).
    pub migration: Migration,
}

impl MigrationFile {
    /// The version, as a number.
    pub fn version(&self) -> i64 {
        self.migration.version
    }

    /// The file name, for messages.
    pub fn file_name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

/// Whether the Supabase CLI reads `dir`: it is a project's `supabase/migrations`.
pub fn read_by_supabase_cli(dir: &Path) -> bool {
    dir.file_name().is_some_and(|n| n == "migrations")
        && dir
            .parent()
            .is_some_and(|p| p.file_name().is_some_and(|n| n == "supabase"))
}

/// Reads the migrations in `dir` that apply to `backend`, in version order;
/// on SQLite, the files of `sqlite_dir` replace or add versions. A missing
/// `dir` means no migrations unless it is `required` (the configuration named
/// it, so a missing one is a typo); a missing `sqlite_dir` is an error.
pub fn discover(
    dir: &Path,
    required: bool,
    sqlite_dir: Option<&Path>,
    backend: Backend,
) -> Result<Vec<MigrationFile>, MigrationError> {
    for (wanted, named) in [(Some(dir), required), (sqlite_dir, true)] {
        if let Some(wanted) = wanted.filter(|d| named && !d.exists()) {
            return Err(MigrationError::NoDirectory {
                path: wanted.to_owned(),
            });
        }
    }
    let mut by_version = versions(dir, read_by_supabase_cli(dir))?;
    if let (Backend::Sqlite, Some(sqlite_dir)) = (backend, sqlite_dir) {
        for (version, files) in versions(sqlite_dir, false)? {
            if let Some((path, _)) = files
                .iter()
                .find(|(_, p)| p.dialect == Some(Backend::Postgres))
            {
                return Err(MigrationError::Misplaced { path: path.clone() });
            }
            by_version.insert(version, files);
        }
    }
    let mut files = Vec::new();
    for (path, parsed) in by_version.into_values().flatten() {
        if parsed.dialect.is_some_and(|d| d != backend) {
            continue;
        }
        if !parsed.conventional {
            tracing::warn!(
                file = %path.display(),
                "migration name is off the convention <yyyymmddhhmmss>_<snake_case_description>.sql; \
                 it is applied all the same"
            );
        }
        let sql = std::fs::read_to_string(&path).map_err(|source| MigrationError::Read {
            path: path.clone(),
            source,
        })?;
        let no_tx = sql
            .lines()
            .next()
            .is_some_and(|l| l.trim() == "-- no-transaction");
        let migration = Migration::new(
            parsed.version,
            Cow::Owned(parsed.description.replace('_', " ")),
            MigrationType::Simple,
            AssertSqlSafe(sql).into_sql_str(),
            no_tx,
        );
        files.push(MigrationFile {
            stem: parsed.stem,
            path,
            version_text: parsed.version_text,
            cli_name: parsed.cli_name,
            migration,
        });
    }
    Ok(files)
}

type Versions = BTreeMap<i64, Vec<(PathBuf, ParsedName)>>;

/// Every `.sql` file of `dir` by version, checked for clashes. `one_file`: a
/// version has one file whatever its dialect (the Supabase CLI reads `dir`).
fn versions(dir: &Path, one_file: bool) -> Result<Versions, MigrationError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(source) => {
            return Err(MigrationError::Directory {
                path: dir.to_owned(),
                source,
            });
        }
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "sql"))
        .collect();
    paths.sort();
    let mut by_version: Versions = BTreeMap::new();
    for path in paths {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let parsed = parse_name(&name).map_err(|problem| match problem {
            NameProblem::NotAMigration => MigrationError::BadName { path: path.clone() },
            NameProblem::VersionTooLong => MigrationError::VersionTooLong {
                path: path.clone(),
                max: MAX_VERSION_DIGITS,
            },
        })?;
        let same = by_version.entry(parsed.version).or_default();
        if let Some((other, theirs)) = same.first() {
            if theirs.version_text != parsed.version_text {
                return Err(MigrationError::LeadingZeros {
                    first: other.clone(),
                    second: path,
                });
            }
            let clash = one_file
                || same.iter().any(|(_, p)| {
                    p.dialect.is_none() || parsed.dialect.is_none() || p.dialect == parsed.dialect
                });
            if clash {
                return Err(
                    if one_file && theirs.dialect.is_some() && parsed.dialect.is_some() {
                        MigrationError::TwinsReadBySupabase {
                            first: other.clone(),
                            second: path,
                        }
                    } else {
                        MigrationError::Duplicate {
                            version: parsed.version,
                            first: other.clone(),
                            second: path,
                        }
                    },
                );
            }
        }
        same.push((path, parsed));
    }
    Ok(by_version)
}

#[derive(Debug)]
struct ParsedName {
    version: i64,
    version_text: String,
    description: String,
    stem: String,
    cli_name: String,
    dialect: Option<Backend>,
    /// `<14 digits>_<snake_case>`, as `seedhost new` writes.
    conventional: bool,
}

#[derive(Debug, PartialEq)]
enum NameProblem {
    /// Not `<digits>_<anything>.sql`.
    NotAMigration,
    /// More digits than seedhost's record holds.
    VersionTooLong,
}

/// The most digits a version may have: seedhost records it as a 64-bit integer.
pub const MAX_VERSION_DIGITS: usize = 18;

fn parse_name(name: &str) -> Result<ParsedName, NameProblem> {
    let base = name
        .strip_suffix(".sql")
        .ok_or(NameProblem::NotAMigration)?;
    let (version_text, cli_name) = base.split_once('_').ok_or(NameProblem::NotAMigration)?;
    if version_text.is_empty() || !version_text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(NameProblem::NotAMigration);
    }
    if version_text.len() > MAX_VERSION_DIGITS {
        return Err(NameProblem::VersionTooLong);
    }
    let (stem, dialect) = if let Some(stem) = base.strip_suffix(".postgres") {
        (stem, Some(Backend::Postgres))
    } else if let Some(stem) = base.strip_suffix(".sqlite") {
        (stem, Some(Backend::Sqlite))
    } else {
        (base, None)
    };
    let description = stem.split_once('_').map_or("", |(_, d)| d);
    Ok(ParsedName {
        version: version_text
            .parse()
            .map_err(|_| NameProblem::VersionTooLong)?,
        version_text: version_text.to_owned(),
        description: description.to_owned(),
        stem: stem.to_owned(),
        cli_name: cli_name.to_owned(),
        dialect,
        conventional: version_text.len() == 14 && is_snake_case(description),
    })
}
/// Creates `dir/<UTC now>_<description>.sql` and returns its path. A version
/// already taken (two files in one second) moves on to the next free second.
pub fn create(
    dir: &Path,
    description: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<PathBuf, MigrationError> {
    if !is_snake_case(description) {
        return Err(MigrationError::BadDescription {
            description: description.to_owned(),
        });
    }
    let directory_error = |source| MigrationError::Directory {
        path: dir.to_owned(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(directory_error)?;
    let taken: std::collections::HashSet<String> = std::fs::read_dir(dir)
        .map_err(directory_error)?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.get(..14))
                .map(str::to_owned)
        })
        .collect();
    let mut at = now;
    let version = loop {
        let version = at.format("%Y%m%d%H%M%S").to_string();
        if !taken.contains(&version) {
            break version;
        }
        at += chrono::Duration::seconds(1);
    };
    let path = dir.join(format!("{version}_{description}.sql"));
    let header = format!(
        "-- {}\n-- Created {} UTC. Once applied anywhere, this file is frozen: \
         put changes in a new migration.\n\n",
        description.replace('_', " "),
        now.format("%Y-%m-%d %H:%M:%S")
    );
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .and_then(|mut f| std::io::Write::write_all(&mut f, header.as_bytes()))
        .map_err(|source| MigrationError::Read {
            path: path.clone(),
            source,
        })?;
    Ok(path)
}

/// `lowercase_words_with_digits`, no leading, trailing or doubled underscores.
pub fn is_snake_case(s: &str) -> bool {
    !s.is_empty()
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.split('_').all(|w| {
            !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(files: &[(&str, &str)]) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for (name, sql) in files {
            std::fs::write(d.path().join(name), sql).unwrap();
        }
        d
    }

    #[test]
    fn every_name_the_supabase_cli_accepts_is_a_migration() {
        let p = parse_name("20260223000001_add_catalog_journey_tables.sql").unwrap();
        assert!(p.conventional);
        assert_eq!(
            (p.version, p.version_text.as_str()),
            (20260223000001, "20260223000001")
        );
        let p = parse_name("20260109000002_add_auth_hook.postgres.sql").unwrap();
        assert_eq!(p.dialect, Some(Backend::Postgres));
        assert_eq!(p.stem, "20260109000002_add_auth_hook");
        // The CLI's name: everything between the first `_` and `.sql`.
        assert_eq!(p.cli_name, "add_auth_hook.postgres");
        for off in [
            "2026022300000_short_version.sql",
            "20240101000000_Initial-Schema.sql",
            "20260223000001_double__underscore.sql",
            "20260223000001_.sql",
            "20260223000001_trailing_.sql",
            "20260223000001_x.mysql.sql",
            "0001_init.sql",
        ] {
            let p = parse_name(off).unwrap_or_else(|e| panic!("{off}: {e:?}"));
            assert!(!p.conventional, "{off}");
        }
        assert_eq!(parse_name("0001_init.sql").unwrap().version_text, "0001");
        for bad in [
            "20260223000001-dash.sql",
            "init.sql",
            "_x.sql",
            "x1_y.sql",
            "1_x.txt",
        ] {
            assert_eq!(
                parse_name(bad).unwrap_err(),
                NameProblem::NotAMigration,
                "{bad}"
            );
        }
        assert_eq!(
            parse_name("1234567890123456789_too_long.sql").unwrap_err(),
            NameProblem::VersionTooLong
        );
        assert!(parse_name("123456789012345678_fits.sql").is_ok());
    }

    #[test]
    fn discover_orders_filters_dialects_and_reports_bad_names() {
        let d = dir(&[
            ("20260102000000_second.sql", "SELECT 2;"),
            ("20260101000000_first.sql", "SELECT 1;"),
            ("20260103000000_only_pg.postgres.sql", "SELECT 3;"),
            ("20260103000000_only_pg.sqlite.sql", "SELECT 33;"),
            ("README.md", "not a migration"),
        ]);
        let pg = discover(d.path(), true, None, Backend::Postgres).unwrap();
        let stems: Vec<&str> = pg.iter().map(|f| f.stem.as_str()).collect();
        assert_eq!(
            stems,
            [
                "20260101000000_first",
                "20260102000000_second",
                "20260103000000_only_pg"
            ]
        );
        assert_eq!(pg[2].migration.sql.as_str(), "SELECT 3;");
        let lite = discover(d.path(), true, None, Backend::Sqlite).unwrap();
        assert_eq!(lite[2].migration.sql.as_str(), "SELECT 33;");

        std::fs::write(d.path().join("bad.sql"), "").unwrap();
        let err = discover(d.path(), true, None, Backend::Sqlite).unwrap_err();
        assert!(
            err.to_string().contains("bad.sql: not a migration"),
            "{err}"
        );
    }

    #[test]
    fn duplicate_versions_name_both_files() {
        let d = dir(&[
            ("20260101000000_one.sql", ""),
            ("20260101000000_two.sql", ""),
        ]);
        let err = discover(d.path(), true, None, Backend::Sqlite)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("_one.sql") && err.contains("_two.sql"),
            "{err}"
        );
        let d = dir(&[
            ("20260101000000_one.sql", ""),
            ("20260101000000_one.postgres.sql", ""),
        ]);
        assert!(discover(d.path(), true, None, Backend::Sqlite).is_err());
        assert!(discover(d.path(), true, None, Backend::Postgres).is_err());
    }

    #[test]
    fn versions_differing_in_leading_zeros_or_too_long_name_the_files() {
        let d = dir(&[("001_a.sql", ""), ("1_b.sql", "")]);
        let err = discover(d.path(), true, None, Backend::Postgres)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("001_a.sql") && err.contains("1_b.sql") && err.contains("leading zeros"),
            "{err}"
        );
        let d = dir(&[("99999999999999999999_huge.sql", "")]);
        let err = discover(d.path(), true, None, Backend::Postgres)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("99999999999999999999_huge.sql") && err.contains("more than 18 digits"),
            "{err}"
        );
    }

    #[test]
    fn the_supabase_cli_directory_holds_one_file_per_version() {
        let root = tempfile::tempdir().unwrap();
        let cli = root.path().join("supabase/migrations");
        std::fs::create_dir_all(&cli).unwrap();
        assert!(read_by_supabase_cli(&cli));
        assert!(!read_by_supabase_cli(root.path()));
        std::fs::write(cli.join("20260101000000_t.postgres.sql"), "SELECT 1;").unwrap();
        std::fs::write(cli.join("20260101000000_t.sqlite.sql"), "SELECT 2;").unwrap();
        let err = discover(&cli, true, None, Backend::Postgres)
            .unwrap_err()
            .to_string();
        assert!(err.contains("the CLI would apply both"), "{err}");
        // SQLite's version lives where the CLI does not look.
        let lite = root.path().join("sqlite_migrations");
        std::fs::create_dir(&lite).unwrap();
        std::fs::rename(
            cli.join("20260101000000_t.sqlite.sql"),
            lite.join("20260101000000_t.sql"),
        )
        .unwrap();
        std::fs::write(lite.join("20260102000000_only_lite.sql"), "SELECT 3;").unwrap();
        let pg = discover(&cli, true, Some(&lite), Backend::Postgres).unwrap();
        assert_eq!(pg.len(), 1);
        assert_eq!(pg[0].migration.sql.as_str(), "SELECT 1;");
        let sqlite = discover(&cli, true, Some(&lite), Backend::Sqlite).unwrap();
        let sql: Vec<&str> = sqlite.iter().map(|f| f.migration.sql.as_str()).collect();
        assert_eq!(sql, ["SELECT 2;", "SELECT 3;"]);
    }

    #[test]
    fn a_named_directory_must_exist_the_default_may_not() {
        let d = tempfile::tempdir().unwrap();
        let missing = d.path().join("migrationz");
        let err = discover(&missing, true, None, Backend::Sqlite)
            .unwrap_err()
            .to_string();
        assert!(err.contains("migrationz does not exist"), "{err}");
        assert!(
            discover(&missing, false, None, Backend::Sqlite)
                .unwrap()
                .is_empty()
        );
        let err = discover(d.path(), false, Some(&missing), Backend::Sqlite)
            .unwrap_err()
            .to_string();
        assert!(err.contains("migrationz does not exist"), "{err}");
    }

    #[test]
    fn no_transaction_marker_is_read() {
        let d = dir(&[(
            "20260101000000_idx.sql",
            "-- no-transaction\nCREATE INDEX CONCURRENTLY x ON t (a);",
        )]);
        assert!(
            discover(d.path(), true, None, Backend::Postgres).unwrap()[0]
                .migration
                .no_tx
        );
    }

    #[test]
    fn create_names_the_file_by_utc_time_and_skips_taken_versions() {
        let d = dir(&[("20260301120000_existing.sql", "")]);
        let now = chrono::DateTime::parse_from_rfc3339("2026-03-01T12:00:00Z")
            .unwrap()
            .to_utc();
        let path = create(d.path(), "add_widgets", now).unwrap();
        assert_eq!(path.file_name().unwrap(), "20260301120001_add_widgets.sql");
        assert_eq!(
            discover(d.path(), true, None, Backend::Sqlite)
                .unwrap()
                .len(),
            2
        );
        let err = create(d.path(), "Add-Widgets", now)
            .unwrap_err()
            .to_string();
        assert!(err.contains("\"Add-Widgets\" is not snake_case"), "{err}");
    }

    #[test]
    fn snake_case() {
        assert!(is_snake_case("add_catalog_2"));
        assert!(!is_snake_case("2fast"));
        assert!(!is_snake_case("Add"));
        assert!(!is_snake_case("a-b"));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// Any file name parses or is refused, never panics; what parses
            /// keeps its version's digits as written.
            #[test]
            fn file_names_never_panic(name in "[0-9]{0,22}[_a-zA-Z.-]{0,6}[a-z_.]{0,12}(\\.sql)?") {
                if let Ok(parsed) = parse_name(&name) {
                    prop_assert!(name.starts_with(&parsed.version_text));
                    prop_assert_eq!(parsed.version_text.parse::<i64>().ok(), Some(parsed.version));
                }
            }
        }
    }
}
