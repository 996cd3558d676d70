//! Redaction: database URLs with their passwords hidden, safe to print. Every
//! line seedhost prints that names a database goes through [`redact`], and
//! every line it prints at all (reports, errors, logs) through [`scrub`],
//! which hides the passwords of the URLs seedhost was given, wherever an
//! error or a library might have quoted them.

use std::sync::{Mutex, OnceLock};

fn secrets() -> &'static Mutex<Vec<String>> {
    static SECRETS: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    SECRETS.get_or_init(|| Mutex::new(Vec::new()))
}

/// Remembers the passwords in `url` (the authority's and any `?password=`),
/// as written and percent-decoded, so [`scrub`] hides them from every line.
pub fn remember_secrets_of(url: &str) {
    let Ok(parsed) = url::Url::parse(url) else {
        return;
    };
    let mut found: Vec<String> = parsed
        .query_pairs()
        .filter(|(k, _)| SECRET_PARAMETERS.contains(&k.as_ref()))
        .map(|(_, v)| v.into_owned())
        .collect();
    if let Some(password) = parsed.password() {
        found.push(password.to_owned());
        if let Some((_, decoded)) =
            url::form_urlencoded::parse(format!("p={password}").as_bytes()).next()
        {
            found.push(decoded.into_owned());
        }
    }
    let mut secrets = secrets().lock().unwrap_or_else(|e| e.into_inner());
    for secret in found {
        // Too short to hide without mangling ordinary text.
        if secret.chars().count() >= 4 && !secrets.contains(&secret) {
            secrets.push(secret);
        }
    }
}

/// `text` with every remembered password replaced by `***`.
pub fn scrub(text: &str) -> std::borrow::Cow<'_, str> {
    let secrets = secrets().lock().unwrap_or_else(|e| e.into_inner());
    let mut out = std::borrow::Cow::Borrowed(text);
    for secret in secrets.iter() {
        if out.contains(secret.as_str()) {
            out = std::borrow::Cow::Owned(out.replace(secret.as_str(), "***"));
        }
    }
    out
}

/// Query parameters that carry a secret (libpq's and sqlx's names).
const SECRET_PARAMETERS: [&str; 2] = ["password", "sslpassword"];

/// The URL with any password replaced by `***`, safe to print: the one in the
/// authority (`user:password@`) and any `?password=` parameter.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            let secret_query = parsed
                .query_pairs()
                .any(|(k, _)| SECRET_PARAMETERS.contains(&k.as_ref()));
            if parsed.password().is_none() && !secret_query {
                return url.to_owned();
            }
            if parsed.password().is_some() {
                // Only fails for URLs that cannot have a password, which this one has.
                let _ = parsed.set_password(Some("***"));
            }
            if secret_query {
                let pairs: Vec<(String, String)> = parsed
                    .query_pairs()
                    .map(|(k, v)| {
                        let v = if SECRET_PARAMETERS.contains(&k.as_ref()) {
                            "***".to_owned()
                        } else {
                            v.into_owned()
                        };
                        (k.into_owned(), v)
                    })
                    .collect();
                parsed.query_pairs_mut().clear().extend_pairs(pairs);
            }
            parsed.to_string()
        }
        // Not a URL we understand: hide everything between "://" and "@".
        Err(_) => match (url.find("://"), url.rfind('@')) {
            (Some(start), Some(at)) if at > start => {
                format!("{}***{}", &url[..start + 3], &url[at..])
            }
            _ => url.to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_hides_passwords_only() {
        assert_eq!(
            redact("postgresql://postgres:s3cret@127.0.0.1:54322/postgres"),
            "postgresql://postgres:***@127.0.0.1:54322/postgres"
        );
        assert_eq!(
            redact("postgres://root@localhost/db"),
            "postgres://root@localhost/db"
        );
        assert_eq!(
            redact("sqlite:///tmp/x.db?mode=rwc"),
            "sqlite:///tmp/x.db?mode=rwc"
        );
        assert_eq!(
            redact("weird://user:pw@host:port:bad/x"),
            "weird://***@host:port:bad/x"
        );
    }

    #[test]
    fn remembered_passwords_are_scrubbed_from_any_text() {
        remember_secrets_of("postgres://u:Pa%24%24word9@h/db?password=QueryS3cret");
        assert_eq!(
            scrub("failed: password Pa$$word9 or Pa%24%24word9, and QueryS3cret"),
            "failed: password *** or ***, and ***"
        );
        assert_eq!(scrub("nothing secret"), "nothing secret");
        remember_secrets_of("postgres://u:pw@h/db");
        assert_eq!(
            scrub("pw stays: too short to hide"),
            "pw stays: too short to hide"
        );
    }

    #[test]
    fn password_parameters_are_redacted_too() {
        assert_eq!(
            redact("postgres://127.0.0.1:5432/db?user=u&password=S3cr3t&sslmode=disable"),
            "postgres://127.0.0.1:5432/db?user=u&password=***&sslmode=disable"
        );
        assert_eq!(
            redact("postgres://u:a@h/db?sslpassword=k3y"),
            "postgres://u:***@h/db?sslpassword=***"
        );
        assert_eq!(
            redact("postgres://h/db?sslmode=require"),
            "postgres://h/db?sslmode=require"
        );
    }
}
