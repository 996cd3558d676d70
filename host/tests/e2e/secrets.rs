//! No command prints a password: not from a malformed `.env` file, not from a
//! `?password=` parameter, in human, JSON or `-vv` output, failing or not.

use crate::harness::*;

const SECRET: &str = "S3cr3t-Pa55";

/// Every command a user might run, as arguments.
fn commands() -> Vec<Vec<&'static str>> {
    vec![
        vec!["run", "catalog"],
        vec!["run", "--all", "--dry-run"],
        vec!["migrate"],
        vec!["status"],
        vec!["smoke"],
        vec!["verify"],
        vec!["reset"],
        vec!["reset", "--force", "--confirm", "wrong"],
        vec!["setup"],
        vec!["migrate", "repair", "20241229000001"],
    ]
}

fn assert_no_secret(project: &Project, args: &[&str], env: &[(&str, &str)]) {
    for mode in [None, Some("--json"), Some("-vv")] {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(mode);
        let run = project.seedhost_env(&all, env);
        let out = format!("{}\n{}", run.stdout(), run.stderr());
        assert!(
            !out.contains(SECRET),
            "`seedhost {}` printed the password:\n{out}",
            all.join(" ")
        );
    }
}

#[test]
fn a_malformed_env_file_is_never_echoed() {
    let project = Project::repo();
    for text in [
        format!("DATABASE_URL='postgres://u:{SECRET}@127.0.0.1:5432/db\n"),
        format!("DATABASE-URL=postgres://u:{SECRET}@127.0.0.1:5432/db\n"),
        format!("OK=1\nDATABASE_URL postgres://u:{SECRET}@127.0.0.1/db\n"),
        format!("DATABASE_URL=postgres://u:{SECRET}@127.0.0.1 :5432/db\nPASS=\"{SECRET}\n"),
    ] {
        std::fs::write(project.path().join(".env.staging"), &text).unwrap();
        for command in commands() {
            let mut args = command.clone();
            args.extend(["--env", "staging"]);
            assert_no_secret(&project, &args, &[]);
        }
        let out = project.seedhost(&["status", "--env", "staging"]).failed();
        assert!(out.contains(".env.staging: line"), "{out}");
    }
}

#[test]
fn a_password_parameter_is_redacted_everywhere() {
    let pg = PgDb::create();
    let project = Project::repo();
    // Trust authentication ignores the password: the runs succeed.
    let url = format!(
        "{}?user=postgres&password={SECRET}",
        pg.url.replacen("postgres@", "", 1)
    );
    for command in commands() {
        let mut args = command.clone();
        args.extend(["--env", "local", "--database-url", url.as_str()]);
        assert_no_secret(&project, &args, &[]);
        let mut args = command.clone();
        args.extend(["--env", "staging"]);
        assert_no_secret(&project, &args, &[("DATABASE_URL", url.as_str())]);
    }
    let report = project
        .seedhost(&[
            "migrate",
            "--env",
            "staging",
            "--database-url",
            &url,
            "--json",
        ])
        .ok_json();
    assert!(
        report["database"]
            .as_str()
            .unwrap()
            .contains("password=***"),
        "{report}"
    );
}
