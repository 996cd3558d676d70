//! The four test users of the local environment, for authenticated end-to-end
//! tests: free, pro, premium and admin, password `test123456`, each with a
//! subscription; the free user also has sample journeys and learning events.
//!
//! Local only. The grant in seedhost.toml is what enforces it (the host refuses
//! to load this plugin for any other profile); the check in `run` is a second
//! line of defence.
//!
//! Each user is a row Supabase Auth (GoTrue) can sign in with e-mail and
//! password: instance `00000000-…`, audience and role `authenticated`, a
//! lower-case e-mail, confirmed, the four token columns GoTrue scans as strings
//! set to `''` (NULL there makes sign-in fail with 500 "Database error querying
//! schema", supabase/auth#1940), `raw_app_meta_data` with the e-mail provider,
//! and an `auth.identities` row of provider `email`. Generated columns
//! (`confirmed_at`, `identities.email`) are never written, and users are keyed
//! on `id`: e-mail uniqueness in `auth.users` is a partial index.
//!
//! Passwords are bcrypt hashes (`$2a$`, cost 10) as Supabase Auth and pgcrypto's
//! `crypt()` verify them (a higher cost is re-hashed at the first sign-in,
//! which changes the row). The salt is derived from the user's id, so every run
//! writes the same hash, and every timestamp is fixed, so re-runs report every
//! row unchanged.

use seedhost_sdk::{Context, Datetime, Json, Plugin, Result, Uuid, export_plugin, info, row, uuid};

struct TestUsers;

/// The document's password for every test user.
const PASSWORD: &str = "test123456";
/// Supabase Auth's default bcrypt cost.
const COST: u32 = 10;

/// (n, email, role, plan, display name)
const USERS: [(u64, &str, &str, &str, &str); 4] = [
    (1, "test-free@example.com", "free", "free", "Test Free"),
    (2, "test-pro@example.com", "pro", "pro", "Test Pro"),
    (
        3,
        "test-premium@example.com",
        "premium",
        "premium",
        "Test Premium",
    ),
    (
        4,
        "test-admin@example.com",
        "admin",
        "premium",
        "Test Admin",
    ),
];

const NO_INSTANCE: Uuid = uuid!("00000000-0000-0000-0000-000000000000");

/// `7e570000-<kind>-0001-0001-<n>`: kind 1 users, 2 subscriptions, 3 journeys,
/// 4 learning events, 5 identities.
fn id(kind: u16, n: u64) -> Uuid {
    Uuid::from_u128(
        (0x7e57_0000u128 << 96)
            | (u128::from(kind) << 80)
            | (0x0001_0001u128 << 48)
            | u128::from(n),
    )
}

/// A fixed instant `days` after 2026-01-09T00:00:00Z: deterministic rows.
fn day(days: i64) -> Datetime {
    Datetime::from_unix(1_767_916_800 + days * 86_400, 0)
}

fn password_hash(user: Uuid) -> Result<String> {
    let salt: [u8; 16] = user.as_u128().to_be_bytes();
    let parts = bcrypt::hash_with_salt(PASSWORD, COST, salt).map_err(|e| format!("bcrypt: {e}"))?;
    Ok(parts.format_for_version(bcrypt::Version::TwoA))
}

/// Curriculum ids as the baseline migration has them.
fn curriculum(prefix: u32, n: u64) -> Uuid {
    Uuid::parse(&format!("{prefix:08x}-0001-0001-0001-{n:012}")).expect("a valid uuid")
}

impl Plugin for TestUsers {
    const TABLES: &'static [&'static str] = &[
        "auth.users",
        "auth.identities",
        "subscriptions",
        "journeys",
        "learning_events",
    ];
    const PROFILES: &'static [&'static str] = &["local"];

    fn run(ctx: &Context) -> Result<()> {
        if ctx.env() != "local" {
            return Err(format!(
                "test users are for the local profile only, not {:?}",
                ctx.env()
            )
            .into());
        }

        let mut users = ctx
            .table("auth.users")
            .columns(&[
                "instance_id",
                "id",
                "aud",
                "role",
                "email",
                "encrypted_password",
                "email_confirmed_at",
                "confirmation_token",
                "recovery_token",
                "email_change_token_new",
                "email_change",
                "raw_app_meta_data",
                "raw_user_meta_data",
                "created_at",
                "updated_at",
            ])
            .conflict(&["id"])
            .open()?;
        let mut identities = ctx
            .table("auth.identities")
            .columns(&[
                "id",
                "provider_id",
                "user_id",
                "identity_data",
                "provider",
                "created_at",
                "updated_at",
            ])
            .conflict(&["provider_id", "provider"])
            .open()?;
        for (n, email, role, _, name) in USERS {
            let user = id(1, n);
            let email = email.to_lowercase();
            let app =
                format!(r#"{{"provider": "email", "providers": ["email"], "role": "{role}"}}"#);
            let profile = format!(r#"{{"display_name": "{name}"}}"#);
            users.push(row![
                NO_INSTANCE,
                user,
                "authenticated",
                "authenticated",
                email.as_str(),
                password_hash(user)?,
                day(0),
                "",
                "",
                "",
                "",
                Json(app),
                Json(profile),
                day(0),
                day(0)
            ])?;
            let identity = format!(
                r#"{{"sub": "{user}", "email": "{email}", "email_verified": false, "phone_verified": false}}"#
            );
            identities.push(row![
                id(5, n),
                user.to_string(),
                user,
                Json(identity),
                "email",
                day(0),
                day(0)
            ])?;
        }
        users.finish()?;
        identities.finish()?;

        let mut subscriptions = ctx
            .table("subscriptions")
            .columns(&[
                "id",
                "user_id",
                "tier",
                "status",
                "current_period_start",
                "current_period_end",
            ])
            .conflict(&["id"])
            .open()?;
        for (n, _, _, plan, _) in USERS {
            let end = (plan != "free").then(|| day(365));
            subscriptions.push(row![id(2, n), id(1, n), plan, "active", day(0), end])?;
        }
        subscriptions.finish()?;

        // The free user is partway along the first two trails.
        let free = id(1, 1);
        let mut journeys = ctx
            .table("journeys")
            .columns(&[
                "id",
                "user_id",
                "trail_id",
                "status",
                "progress_percent",
                "started_at",
            ])
            .conflict(&["id"])
            .open()?;
        journeys.push(row![
            id(3, 1),
            free,
            curriculum(0x2222_2222, 1),
            "active",
            40,
            day(1)
        ])?;
        journeys.push(row![
            id(3, 2),
            free,
            curriculum(0x2222_2222, 2),
            "paused",
            10,
            day(3)
        ])?;
        journeys.finish()?;

        // (spark, kind, day, detail)
        let events: [(u64, &str, i64, Option<&str>); 6] = [
            (1, "spark_started", 1, None),
            (1, "spark_completed", 1, Some(r#"{"minutes": 6}"#)),
            (2, "spark_started", 2, None),
            (2, "spark_completed", 2, Some(r#"{"minutes": 9}"#)),
            (3, "beacon_passed", 2, Some(r#"{"score": 0.8}"#)),
            (4, "spark_started", 3, None),
        ];
        let mut learning = ctx
            .table("learning_events")
            .columns(&["id", "user_id", "spark_id", "kind", "occurred_at", "detail"])
            .conflict(&["id"])
            .open()?;
        for (i, (spark, kind, on, detail)) in (1..).zip(events) {
            let detail = detail.map(|d| Json(d.to_owned()));
            learning.push(row![
                id(4, i),
                free,
                curriculum(0x4444_4444, spark),
                kind,
                day(on),
                detail
            ])?;
        }
        learning.finish()?;

        info!("{} test users, password {PASSWORD}", USERS.len());
        Ok(())
    }
}

export_plugin!(TestUsers);
