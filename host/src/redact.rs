//! Redaction: database URLs with their passwords hidden, safe to print. Every
//! line seedhost prints that names a database goes through [`redact`].

/// The URL with any password replaced by `***`, safe to print.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            // Only fails for URLs that cannot have a password, which this one has.
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(_) => url.to_owned(),
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
}
