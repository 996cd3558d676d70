//! Redaction: database URLs with their passwords hidden, safe to print. Every
//! line seedhost prints that names a database goes through [`redact`].

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
