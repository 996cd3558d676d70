//! The migration lock on PostgreSQL: the advisory lock sqlx's migrator uses
//! (so any sqlx-based migrator, and older seedhost, still takes turns with
//! this one), taken by polling `pg_try_advisory_lock` instead of waiting in
//! `pg_advisory_lock`. A wait is then reported with who holds the lock, it is
//! bounded, and a seedhost that dies while waiting leaves nothing queued on
//! the server.

use std::time::{Duration, Instant};

use sqlx::PgConnection;

use crate::db::DbError;

use super::error::MigrationError;

/// How often a busy lock is tried again.
const POLL: Duration = Duration::from_millis(200);

/// sqlx's lock id for a database: `0x3d32ad9e * crc32(name)`.
fn lock_id(database: &str) -> i64 {
    const CRC_IEEE: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);
    0x3d32ad9e * i64::from(CRC_IEEE.checksum(database.as_bytes()))
}

/// The held migration lock: what [`release`] lets go of.
#[derive(Debug, Clone, Copy)]
pub struct Held(i64);

/// Takes the migration lock, waiting at most `wait` for whoever holds it.
pub async fn acquire(conn: &mut PgConnection, wait: Duration) -> Result<Held, MigrationError> {
    let database: String = sqlx::query_scalar("SELECT current_database()")
        .fetch_one(&mut *conn)
        .await
        .map_err(DbError::from)?;
    let id = lock_id(&database);
    let started = Instant::now();
    let mut reported = false;
    loop {
        let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(id)
            .fetch_one(&mut *conn)
            .await
            .map_err(DbError::from)?;
        if locked {
            return Ok(Held(id));
        }
        let holder = holder(conn, id).await?;
        if started.elapsed() >= wait {
            return Err(MigrationError::LockTimeout {
                waited: wait.as_secs(),
                holder,
            });
        }
        if !reported {
            tracing::warn!("waiting for the migration lock, held by {holder}");
            reported = true;
        }
        tokio::time::sleep(POLL.min(wait.saturating_sub(started.elapsed()))).await;
    }
}

/// Releases the migration lock.
pub async fn release(conn: &mut PgConnection, held: Held) -> Result<(), MigrationError> {
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(held.0)
        .execute(&mut *conn)
        .await
        .map_err(DbError::from)?;
    Ok(())
}

/// Who holds lock `id`, in words: `pid 4711 (seedhost, running since …)`.
async fn holder(conn: &mut PgConnection, id: i64) -> Result<String, MigrationError> {
    let found: Option<(i32, String, String)> = sqlx::query_as(
        "SELECT a.pid, COALESCE(NULLIF(a.application_name, ''), 'no application_name'),
                to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS TZ')
           FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
          WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
            AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND l.classid = (($1 >> 32) & 4294967295)::oid
            AND l.objid = ($1 & 4294967295)::oid
          LIMIT 1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await
    .map_err(DbError::from)?;
    Ok(match found {
        Some((pid, application, since)) => {
            format!("pid {pid} ({application}, connected since {since})")
        }
        None => "a session that has just released it".to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_id_is_sqlx_s() {
        // sqlx: 0x3d32ad9e * crc32("postgres"); crc32("postgres") = 0x156a8775.
        assert_eq!(lock_id("postgres"), 0x3d32ad9e * 0x156a_8775_i64);
    }
}
