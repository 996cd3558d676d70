//! Environment profiles: which database a run talks to, decided before anything
//! connects.
//!
//! `--env NAME` reads `.env.NAME` from the project root if it exists. Variables of
//! the process environment win over the file, and `--database-url` wins over both.
//! The URL comes from the first of [`URL_VARIABLES`] that is set; only `local` has a
//! default (an embedded SQLite file under `.seedhost/`), so a remote profile with
//! no URL fails here, naming what to set, instead of reaching a surprising database.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use thiserror::Error;

/// Variables that name the database, highest priority first.
pub const URL_VARIABLES: [&str; 2] = ["DATABASE_URL", "SUPABASE_DB_URL"];

/// The profile whose database may default to the embedded one.
pub const LOCAL: &str = "local";

/// Where the local default database lives, relative to the project root.
pub const LOCAL_DATABASE: &str = ".seedhost/local.db";

/// A resolved profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// The profile's name (`local`, `staging`, ...).
    pub name: String,
    /// The database URL; print it through [`crate::redact::redact`].
    pub database_url: String,
    /// Where the URL came from, for messages.
    pub source: UrlSource,
    /// The `.env.NAME` file that was read, if there was one.
    pub env_file: Option<PathBuf>,
}

/// Where a profile's database URL came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlSource {
    /// `--database-url`.
    Flag,
    /// A variable of the process environment.
    Process(&'static str),
    /// A variable of the `.env.NAME` file.
    File(&'static str),
    /// The embedded default of `local`.
    Default,
}

impl fmt::Display for UrlSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlSource::Flag => f.write_str("--database-url"),
            UrlSource::Process(var) => write!(f, "{var} (environment)"),
            UrlSource::File(var) => write!(f, "{var} (env file)"),
            UrlSource::Default => f.write_str("default embedded database"),
        }
    }
}

/// Why a profile could not be resolved.
#[derive(Debug, Error)]
pub enum ProfileError {
    /// The profile name cannot name a file.
    #[error("profile name {0:?} is not valid: use letters, digits, '-' and '_'")]
    BadName(
        /// The name as given.
        String,
    ),
    /// The `.env.NAME` file could not be read or parsed.
    #[error("cannot read {path}: {problem}")]
    EnvFile {
        /// The file.
        path: PathBuf,
        /// What is wrong, without the line's text (it may hold a password).
        problem: String,
    },
    /// A profile other than `local` names no database.
    #[error(
        "profile `{profile}` names no database: set {} in the environment or in {}, \
         or pass --database-url (only `local` has a default)",
        URL_VARIABLES.join(" or "),
        env_file.display()
    )]
    MissingUrl {
        /// The profile.
        profile: String,
        /// The `.env.NAME` file that could name it.
        env_file: PathBuf,
    },
}

/// Resolves profile `name` for the project at `root`.
///
/// `process` is the process environment (a parameter so tests need not touch
/// the real one); `flag` is `--database-url`.
pub fn resolve(
    root: &Path,
    name: &str,
    flag: Option<&str>,
    process: &HashMap<String, String>,
) -> Result<Profile, ProfileError> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(ProfileError::BadName(name.to_owned()));
    }
    let env_path = root.join(format!(".env.{name}"));
    // --database-url wins over everything the file could say, so the file is
    // not even read then (a broken or secret-laden file stays out of it).
    if let Some(url) = flag {
        return Ok(Profile {
            name: name.to_owned(),
            database_url: url.to_owned(),
            source: UrlSource::Flag,
            env_file: None,
        });
    }
    let file = read_env_file(&env_path)?;
    let env_file = file.is_some().then(|| env_path.clone());
    let profile = |database_url: String, source| Profile {
        name: name.to_owned(),
        database_url,
        source,
        env_file: env_file.clone(),
    };

    for var in URL_VARIABLES {
        if let Some(url) = process.get(var).filter(|v| !v.is_empty()) {
            return Ok(profile(url.clone(), UrlSource::Process(var)));
        }
        if let Some(url) = file
            .as_ref()
            .and_then(|f| f.get(var))
            .filter(|v| !v.is_empty())
        {
            return Ok(profile(url.clone(), UrlSource::File(var)));
        }
    }
    if name == LOCAL {
        let path = root.join(LOCAL_DATABASE);
        return Ok(profile(
            format!("sqlite://{}?mode=rwc", path.display()),
            UrlSource::Default,
        ));
    }
    Err(ProfileError::MissingUrl {
        profile: name.to_owned(),
        env_file: env_path,
    })
}

/// The value of variable `var` for profile `name` of the project at `root`:
/// the process environment's, else the `.env.NAME` file's. `None` when
/// neither sets it.
pub fn variable(
    root: &Path,
    name: &str,
    var: &str,
    process: &HashMap<String, String>,
) -> Result<Option<String>, ProfileError> {
    if let Some(value) = process.get(var) {
        return Ok(Some(value.clone()));
    }
    let path = root.join(format!(".env.{name}"));
    Ok(read_env_file(&path)?.and_then(|mut vars| vars.remove(var)))
}

fn read_env_file(path: &Path) -> Result<Option<HashMap<String, String>>, ProfileError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(ProfileError::EnvFile {
                path: path.to_owned(),
                problem: e.to_string(),
            });
        }
    };
    let mut vars = HashMap::new();
    for item in dotenvy::from_read_iter(text.as_bytes()) {
        let (key, value) = item.map_err(|e| ProfileError::EnvFile {
            path: path.to_owned(),
            problem: env_problem(&text, &e),
        })?;
        vars.insert(key, value);
    }
    Ok(Some(vars))
}

/// What is wrong with an `.env` file, by line number: dotenvy's own message
/// quotes the line, which may hold a password.
fn env_problem(text: &str, error: &dotenvy::Error) -> String {
    match error {
        dotenvy::Error::LineParse(line, _) => {
            let number = text
                .find(line.as_str())
                .map(|at| text[..at].matches('\n').count() + 1);
            let at = number.map_or_else(String::new, |n| format!("line {n}: "));
            format!(
                "{at}expected KEY=VALUE (a letter or `_` first, then letters, digits and `_`; \
                 quotes closed); the line is not shown, as it may hold a password"
            )
        }
        dotenvy::Error::Io(e) => e.to_string(),
        _ => "not a valid .env file".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        dir
    }

    #[test]
    fn local_defaults_to_embedded_sqlite() {
        let dir = project(&[]);
        let p = resolve(dir.path(), "local", None, &env(&[])).unwrap();
        assert_eq!(p.source, UrlSource::Default);
        assert!(p.database_url.starts_with("sqlite://"));
        assert!(p.database_url.contains(".seedhost/local.db"));
    }

    #[test]
    fn staging_without_url_names_the_variables() {
        let dir = project(&[]);
        let err = resolve(dir.path(), "staging", None, &env(&[])).unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("DATABASE_URL or SUPABASE_DB_URL"),
            "{message}"
        );
        assert!(message.contains(".env.staging"), "{message}");
    }

    #[test]
    fn priority_is_flag_then_process_then_file_then_second_variable() {
        let dir = project(&[(
            ".env.staging",
            "DATABASE_URL=postgres://file/db\nSUPABASE_DB_URL=postgres://file-supabase/db\n",
        )]);
        let root = dir.path();
        let p = resolve(root, "staging", None, &env(&[])).unwrap();
        assert_eq!(p.database_url, "postgres://file/db");
        assert_eq!(p.source, UrlSource::File("DATABASE_URL"));

        let process = env(&[("DATABASE_URL", "postgres://process/db")]);
        let p = resolve(root, "staging", None, &process).unwrap();
        assert_eq!(p.database_url, "postgres://process/db");

        let p = resolve(root, "staging", Some("postgres://flag/db"), &process).unwrap();
        assert_eq!(p.database_url, "postgres://flag/db");
        assert_eq!(p.source, UrlSource::Flag);

        // The process's SUPABASE_DB_URL does not beat the file's DATABASE_URL.
        let process = env(&[("SUPABASE_DB_URL", "postgres://process-supabase/db")]);
        let p = resolve(root, "staging", None, &process).unwrap();
        assert_eq!(p.database_url, "postgres://file/db");
    }

    #[test]
    fn second_variable_is_used_when_first_is_missing() {
        let dir = project(&[(".env.staging", "SUPABASE_DB_URL=postgres://s/db\n")]);
        let p = resolve(dir.path(), "staging", None, &env(&[])).unwrap();
        assert_eq!(p.database_url, "postgres://s/db");
        assert_eq!(p.source, UrlSource::File("SUPABASE_DB_URL"));
    }

    #[test]
    fn bad_profile_names_are_refused() {
        let dir = project(&[]);
        for name in ["", "../etc", "a b", "x/y"] {
            assert!(matches!(
                resolve(dir.path(), name, None, &env(&[])),
                Err(ProfileError::BadName(_))
            ));
        }
    }

    #[test]
    fn malformed_env_file_is_an_error_naming_it() {
        let dir = project(&[(".env.staging", "DATABASE_URL='unterminated\n")]);
        let err = resolve(dir.path(), "staging", None, &env(&[])).unwrap_err();
        assert!(err.to_string().contains(".env.staging"), "{err}");
    }

    #[test]
    fn a_malformed_env_line_is_named_by_number_never_echoed() {
        for (text, line) in [
            ("DATABASE_URL='postgres://u:S3cr3t@h/db\n", 1),
            (
                "# comment\nOK=1\nDATABASE-URL=postgres://u:S3cr3t@h/db\n",
                3,
            ),
            ("A=1\nDATABASE_URL postgres://u:S3cr3t@h/db\n", 2),
            ("PASS=\"S3cr3t\nDATABASE_URL=x\n", 1),
        ] {
            let dir = project(&[(".env.staging", text)]);
            let err = resolve(dir.path(), "staging", None, &env(&[]))
                .unwrap_err()
                .to_string();
            assert!(!err.contains("S3cr3t"), "{err}");
            assert!(
                err.contains(&format!("line {line}: expected KEY=VALUE")),
                "{text:?}: {err}"
            );
        }
    }

    #[test]
    fn the_flag_wins_without_reading_the_env_file() {
        let dir = project(&[(".env.staging", "DATABASE_URL='broken\n")]);
        let p = resolve(dir.path(), "staging", Some("postgres://flag/db"), &env(&[])).unwrap();
        assert_eq!(p.database_url, "postgres://flag/db");
        assert_eq!(p.env_file, None);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(64))]
            /// Any .env file: a profile or an error, never a panic, and the
            /// error never quotes a line.
            #[test]
            fn env_files_never_panic_or_echo_a_line(
                lines in proptest::collection::vec("[ -~]{0,30}", 0..5),
                secret in "[A-Za-z0-9]{16}",
                broken in any::<bool>(),
            ) {
                let mut text = lines.join("\n");
                if broken {
                    text.push_str(&format!("\nDATABASE_URL='postgres://u:{secret}@h/db\n"));
                } else {
                    text.push_str(&format!("\nSECRET_{secret}=x\n"));
                }
                let dir = project(&[(".env.staging", &text)]);
                if let Err(e) = resolve(dir.path(), "staging", None, &env(&[])) {
                    prop_assert!(!e.to_string().contains(&secret), "{}", e);
                }
            }
        }
    }
}
