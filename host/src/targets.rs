//! The targets file of a fan-out (`--targets FILE`): one target a line, `#`
//! comments. A target is a database URL, whose `${VAR}`s (its password, say)
//! are read from the environment or the profile's `.env` file, or
//! `profile:NAME`, the database profile NAME names.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::profile::{self, ProfileError};
use crate::redact::{redact, remember_secrets_of};

/// One database of a fan-out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A database URL, its variables expanded, in the command's profile.
    Url {
        /// The URL (print it through [`Target::label`]).
        url: String,
        /// The line of the targets file.
        line: usize,
    },
    /// The database of profile NAME, which also governs its grants.
    Profile {
        /// The profile's name.
        name: String,
        /// The line of the targets file.
        line: usize,
    },
}

impl Target {
    /// How reports name the target: the URL with its password redacted, or
    /// `profile:NAME`.
    pub fn label(&self) -> String {
        match self {
            Target::Url { url, .. } => redact(url),
            Target::Profile { name, .. } => format!("profile:{name}"),
        }
    }

    /// Whether the target is a URL (not a profile).
    pub fn is_url(&self) -> bool {
        matches!(self, Target::Url { .. })
    }

    /// Its line in the targets file.
    pub fn line(&self) -> usize {
        match self {
            Target::Url { line, .. } | Target::Profile { line, .. } => *line,
        }
    }
}

/// Why a targets file cannot be used.
#[derive(Debug, Error)]
pub enum TargetsError {
    /// The file could not be read.
    #[error("cannot read the targets file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A line is not a target.
    #[error("{path}:{line}: {problem}")]
    Line {
        /// The file.
        path: PathBuf,
        /// The line's number.
        line: usize,
        /// What is wrong (the line itself is not quoted: it may hold a password).
        problem: String,
    },
    /// The profile's `.env` file could not be read.
    #[error(transparent)]
    Profile(#[from] ProfileError),
    /// The file names no target.
    #[error("the targets file {0} names no target (one database URL or profile:NAME a line)")]
    Empty(PathBuf),
}

/// Reads the targets file at `path`; `${VAR}` is looked up for profile `env`
/// of the project at `root` (the process environment first, then `.env.ENV`).
/// Every expanded URL's password is remembered, so nothing prints it.
pub fn read(
    path: &Path,
    root: &Path,
    env: &str,
    process: &HashMap<String, String>,
) -> Result<Vec<Target>, TargetsError> {
    let text = std::fs::read_to_string(path).map_err(|source| TargetsError::Read {
        path: path.to_owned(),
        source,
    })?;
    let lookup = |var: &str| profile::variable(root, env, var, process);
    let targets = parse(&text, lookup).map_err(|e| match e {
        Parse::Line(line, problem) => TargetsError::Line {
            path: path.to_owned(),
            line,
            problem,
        },
        Parse::Profile(e) => TargetsError::Profile(e),
    })?;
    if targets.is_empty() {
        return Err(TargetsError::Empty(path.to_owned()));
    }
    Ok(targets)
}

#[derive(Debug)]
enum Parse {
    Line(usize, String),
    Profile(ProfileError),
}

fn parse(
    text: &str,
    lookup: impl Fn(&str) -> Result<Option<String>, ProfileError>,
) -> Result<Vec<Target>, Parse> {
    let mut targets: Vec<Target> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let entry = match raw.find(" #").or_else(|| raw.find("\t#")) {
            Some(at) => &raw[..at],
            None => raw,
        }
        .trim();
        if entry.is_empty() || entry.starts_with('#') {
            continue;
        }
        if entry.contains(char::is_whitespace) {
            return Err(Parse::Line(
                line,
                "one target a line: a database URL or profile:NAME, without spaces".into(),
            ));
        }
        let target = if let Some(name) = entry.strip_prefix("profile:") {
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(Parse::Line(
                    line,
                    format!("profile name {name:?} is not valid: use letters, digits, '-' and '_'"),
                ));
            }
            Target::Profile {
                name: name.to_owned(),
                line,
            }
        } else if entry.starts_with("postgres://")
            || entry.starts_with("postgresql://")
            || entry.starts_with("sqlite:")
        {
            let url = expand(entry, &lookup).map_err(|e| match e {
                Parse::Line(_, problem) => Parse::Line(line, problem),
                other => other,
            })?;
            remember_secrets_of(&url);
            Target::Url { url, line }
        } else {
            return Err(Parse::Line(
                line,
                "not a target: expected postgres://…, postgresql://…, sqlite:… or profile:NAME"
                    .into(),
            ));
        };
        if let Some(same) = targets.iter().find(|t| same_database(t, &target)) {
            return Err(Parse::Line(
                line,
                format!(
                    "{} is already the target of line {}: each database is a target once",
                    target.label(),
                    same.line()
                ),
            ));
        }
        targets.push(target);
    }
    Ok(targets)
}

fn same_database(a: &Target, b: &Target) -> bool {
    match (a, b) {
        (Target::Url { url: x, .. }, Target::Url { url: y, .. }) => {
            database_of(x) == database_of(y)
        }
        (Target::Profile { name: x, .. }, Target::Profile { name: y, .. }) => x == y,
        _ => false,
    }
}

/// What names a database in a URL, for comparing targets: a PostgreSQL
/// URL's host (lowercase), port (5432 by default), user and database (the
/// user's name by default, as PostgreSQL has it); a SQLite URL's file.
fn database_of(url: &str) -> String {
    if let Some(rest) = url.strip_prefix("sqlite:") {
        let path = rest.trim_start_matches("//");
        return format!("sqlite:{}", path.split('?').next().unwrap_or(path));
    }
    let Ok(parsed) = url::Url::parse(url) else {
        return url.to_owned();
    };
    let user = parsed.username();
    let named = parsed
        .query_pairs()
        .find(|(k, _)| k == "dbname")
        .map(|(_, v)| v.into_owned());
    let path = parsed.path().trim_start_matches('/').to_owned();
    let database = named
        .or_else(|| (!path.is_empty()).then_some(path))
        .unwrap_or_else(|| user.to_owned());
    format!(
        "postgres://{user}@{}:{}/{database}",
        parsed
            .host_str()
            .unwrap_or("localhost")
            .to_ascii_lowercase(),
        parsed.port().unwrap_or(5432)
    )
}

/// Replaces each `${VAR}` of `text` by the variable's value.
fn expand(
    text: &str,
    lookup: &impl Fn(&str) -> Result<Option<String>, ProfileError>,
) -> Result<String, Parse> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("${") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let Some(end) = after.find('}') else {
            return Err(Parse::Line(0, "`${` is not closed by `}`".into()));
        };
        let var = &after[..end];
        if var.is_empty()
            || !var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            || var.starts_with(|c: char| c.is_ascii_digit())
        {
            return Err(Parse::Line(
                0,
                format!("${{{var}}} is not a variable name (letters, digits and `_`)"),
            ));
        }
        match lookup(var).map_err(Parse::Profile)? {
            Some(value) => out.push_str(&percent_encode(&value)),
            None => {
                return Err(Parse::Line(
                    0,
                    format!("${{{var}}} is not set, in the environment or the profile's .env file"),
                ));
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A variable's value as it may stand in a URL: characters that would end
/// the password (or another part) are percent-encoded.
fn percent_encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Result<Option<String>, ProfileError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |var| Ok(map.get(var).cloned())
    }

    fn problem(text: &str) -> (usize, String) {
        match parse(text, vars(&[])) {
            Err(Parse::Line(line, problem)) => (line, problem),
            Err(Parse::Profile(e)) => panic!("{e}"),
            Ok(t) => panic!("parsed: {t:?}"),
        }
    }

    #[test]
    fn reads_urls_profiles_and_comments() {
        let text = "# tenants\n\npostgres://u:${PW}@db1:5432/a  # first\n\
                    profile:staging\nsqlite://t/b.db\n";
        let targets = parse(text, vars(&[("PW", "s3cr/t@x")])).unwrap();
        assert_eq!(targets.len(), 3);
        assert_eq!(
            targets[0],
            Target::Url {
                url: "postgres://u:s3cr%2Ft%40x@db1:5432/a".into(),
                line: 3
            }
        );
        assert!(
            !targets[0].label().contains("s3cr"),
            "{}",
            targets[0].label()
        );
        assert_eq!(targets[1].label(), "profile:staging");
        assert_eq!(targets[2].line(), 5);
    }

    #[test]
    fn names_the_line_at_fault_without_quoting_it() {
        let (line, p) = problem("postgres://a/b\nmysql://u:hunter2@x/y\n");
        assert_eq!(line, 2);
        assert!(p.contains("not a target") && !p.contains("hunter2"), "{p}");
        let (line, p) = problem("\npostgres://u:${NOPE}@x/y");
        assert_eq!(line, 2);
        assert!(p.contains("${NOPE} is not set"), "{p}");
        let (_, p) = problem("postgres://u:${PW@x/y");
        assert!(p.contains("not closed"), "{p}");
        let (_, p) = problem("profile:../etc");
        assert!(p.contains("not valid"), "{p}");
        let (line, p) = problem("postgres://a/b\n# x\npostgres://a/b\n");
        assert_eq!(line, 3);
        assert!(p.contains("line 1"), "{p}");
        // The same database, written another way.
        let (line, _) =
            problem("postgres://u@DB1/app\npostgresql://u:pw@db1:5432/app?sslmode=disable\n");
        assert_eq!(line, 2);
        let (line, _) = problem("postgres://u@h/u\npostgres://u@h\n");
        assert_eq!(line, 2);
        assert!(parse("postgres://u@h/a\npostgres://u@h:5433/a\n", vars(&[])).is_ok());
        let (_, p) = problem("postgres://a/b postgres://a/c");
        assert!(p.contains("one target a line"), "{p}");
    }

    #[test]
    fn an_empty_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("targets");
        std::fs::write(&file, "# nothing yet\n").unwrap();
        let e = read(&file, dir.path(), "local", &HashMap::new()).unwrap_err();
        assert!(e.to_string().contains("names no target"), "{e}");
    }

    #[test]
    fn variables_come_from_the_profile_file_when_not_in_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".env.tenants"), "PW=from-file\n").unwrap();
        let file = dir.path().join("targets");
        std::fs::write(&file, "postgres://u:${PW}@h/db\n").unwrap();
        let got = read(&file, dir.path(), "tenants", &HashMap::new()).unwrap();
        assert_eq!(
            got[0],
            Target::Url {
                url: "postgres://u:from-file@h/db".into(),
                line: 1
            }
        );
        let process = HashMap::from([("PW".to_owned(), "from-env".to_owned())]);
        let got = read(&file, dir.path(), "tenants", &process).unwrap();
        assert_eq!(
            got[0],
            Target::Url {
                url: "postgres://u:from-env@h/db".into(),
                line: 1
            }
        );
    }
}
