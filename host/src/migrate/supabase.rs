//! The Supabase CLI's migration history, kept beside seedhost's own on a
//! Supabase database so `supabase migration list` and `seedhost status` agree.
//!
//! The CLI's table is `supabase_migrations.schema_migrations (version text
//! PRIMARY KEY, statements text[], name text)`. It records a file's version
//! (the digits of its name, as text), its name (the rest, without `.sql`) and
//! its statements, in the same transaction as the file's statements, and
//! compares versions only, as text: it keeps no checksum. This module creates
//! the table as the CLI does, reads it, and records a file there.

use sqlx::{Executor, PgConnection};

use super::files::MigrationFile;

/// The CLI's table.
pub const TABLE: &str = "supabase_migrations.schema_migrations";

/// Whether the database looks like a Supabase project's: it has the CLI's
/// history, or Supabase Auth's own (`auth.schema_migrations`, which GoTrue
/// creates on every project, hosted or local).
pub async fn detect(conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT to_regclass('supabase_migrations.schema_migrations') IS NOT NULL
             OR to_regclass('auth.schema_migrations') IS NOT NULL",
    )
    .fetch_one(conn)
    .await
}

/// Creates the history as the CLI's `CreateMigrationTable` does, if missing.
pub async fn ensure_table(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    conn.execute(
        "CREATE SCHEMA IF NOT EXISTS supabase_migrations;
         CREATE TABLE IF NOT EXISTS supabase_migrations.schema_migrations (version text NOT NULL PRIMARY KEY);
         ALTER TABLE supabase_migrations.schema_migrations ADD COLUMN IF NOT EXISTS statements text[];
         ALTER TABLE supabase_migrations.schema_migrations ADD COLUMN IF NOT EXISTS name text;",
    )
    .await?;
    Ok(())
}

/// The versions the history holds, in the CLI's order (as text); none when
/// there is no history.
pub async fn versions(conn: &mut PgConnection) -> Result<Vec<String>, sqlx::Error> {
    let exists: bool = sqlx::query_scalar(
        "SELECT to_regclass('supabase_migrations.schema_migrations') IS NOT NULL",
    )
    .fetch_one(&mut *conn)
    .await?;
    if !exists {
        return Ok(Vec::new());
    }
    sqlx::query_scalar("SELECT version FROM supabase_migrations.schema_migrations ORDER BY version")
        .fetch_all(conn)
        .await
}

/// Records `file` as the CLI would have: version, name and statements.
pub async fn record(conn: &mut PgConnection, file: &MigrationFile) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO supabase_migrations.schema_migrations (version, name, statements)
         VALUES ($1, $2, $3)",
    )
    .bind(&file.version_text)
    .bind(&file.cli_name)
    .bind(split_statements(file.migration.sql.as_str()))
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes `file`'s name and statements over its row (after a repair).
pub async fn rewrite(conn: &mut PgConnection, file: &MigrationFile) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE supabase_migrations.schema_migrations SET name = $2, statements = $3
          WHERE version = $1",
    )
    .bind(&file.version_text)
    .bind(&file.cli_name)
    .bind(split_statements(file.migration.sql.as_str()))
    .execute(conn)
    .await?
    .rows_affected())
}

/// Splits a migration file into its statements the way the Supabase CLI
/// records them (`parser.SplitAndTrim`): at each `;` outside quotes, quoted
/// identifiers, dollar-quoted bodies and comments; each statement trimmed of
/// white space, without its `;`, empty ones dropped.
pub fn split_statements(sql: &str) -> Vec<String> {
    let bytes = sql.as_bytes();
    let mut statements = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' | b'"' => {
                let quote = bytes[i];
                i += 1;
                while i < bytes.len() {
                    if bytes[i] == quote {
                        if bytes.get(i + 1) == Some(&quote) {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let mut depth = 0;
                while i < bytes.len() {
                    if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'*') {
                        depth += 1;
                        i += 2;
                    } else if bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
            }
            b'$' => {
                // $tag$ … $tag$, where tag is empty or an identifier not
                // starting with a digit ($1 is a parameter).
                let tag_end = bytes[i + 1..]
                    .iter()
                    .position(|&b| !(b.is_ascii_alphanumeric() || b == b'_'))
                    .map(|p| i + 1 + p);
                match tag_end {
                    Some(end)
                        if bytes[end] == b'$'
                            && !bytes.get(i + 1).is_some_and(u8::is_ascii_digit) =>
                    {
                        let tag = &sql[i..=end];
                        match sql[end + 1..].find(tag) {
                            Some(close) => i = end + 1 + close + tag.len(),
                            None => i = bytes.len(),
                        }
                    }
                    _ => i += 1,
                }
            }
            b';' => {
                push(&mut statements, &sql[start..i]);
                i += 1;
                start = i;
            }
            _ => i += 1,
        }
    }
    push(&mut statements, &sql[start.min(sql.len())..]);
    statements
}

fn push(statements: &mut Vec<String>, statement: &str) {
    let trimmed = statement.trim();
    if !trimmed.is_empty() {
        statements.push(trimmed.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_semicolons_outside_quotes_bodies_and_comments() {
        let sql = "-- header; not a statement end\nCREATE TABLE a (x text DEFAULT 'it''s; fine');\n\n\
                   CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;\n\
                   DO $body$ BEGIN PERFORM 1; END $body$;\n\
                   /* a; /* nested; */ comment */ SELECT \"odd;name\" FROM a;\n\
                   SELECT $1::int;  ;\n";
        assert_eq!(
            split_statements(sql),
            [
                "-- header; not a statement end\nCREATE TABLE a (x text DEFAULT 'it''s; fine')",
                "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$",
                "DO $body$ BEGIN PERFORM 1; END $body$",
                "/* a; /* nested; */ comment */ SELECT \"odd;name\" FROM a",
                "SELECT $1::int",
            ]
        );
    }

    #[test]
    fn a_last_statement_without_semicolon_and_empty_files() {
        assert_eq!(
            split_statements("SELECT 1;\nSELECT 2"),
            ["SELECT 1", "SELECT 2"]
        );
        assert!(split_statements("  \n ").is_empty());
        assert_eq!(
            split_statements("SELECT 'unterminated;"),
            ["SELECT 'unterminated;"]
        );
    }
}
