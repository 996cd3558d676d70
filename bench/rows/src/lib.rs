//! The synthetic enrollment rows: a pure function of (seed, index), so the
//! plugin and the benchmark's reference files (CSV, SQL) hold the same data.
//! No dependencies, so it builds for the plugin (wasm32-wasip2) and the
//! benchmark (native) alike.

/// Users and journeys the rows point at (the benchmark migration creates them):
/// (user, journey) is unique for up to USERS × JOURNEYS = 10,000,000 rows.
pub const USERS: u64 = 100_000;
pub const JOURNEYS: u64 = 100;

const STATUSES: [&str; 4] = ["active", "completed", "paused", "dropped"];

/// One enrollment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    /// A random-looking version-4 UUID, as real seeds have.
    pub id: u128,
    pub user: u128,
    pub journey: u128,
    pub status: &'static str,
    pub progress: i64,
    /// Seconds since the Unix epoch.
    pub enrolled_at: i64,
    /// The `score` in `meta`.
    pub score: u64,
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// `00000000-0000-4000-8000-<k>`: user `k` (hex), as the migration makes them.
pub fn user_id(k: u64) -> u128 {
    0x0000_0000_0000_4000_8000_0000_0000_0000 | u128::from(k)
}

/// `00000000-0000-4000-9000-<j>`: journey `j` (hex).
pub fn journey_id(j: u64) -> u128 {
    0x0000_0000_0000_4000_9000_0000_0000_0000 | u128::from(j)
}

/// Row `i` of the rows generated from `seed`.
pub fn row(seed: u64, i: u64) -> Row {
    let h1 = splitmix64(seed ^ splitmix64(i));
    let h2 = splitmix64(h1);
    // Version 4, variant 10.
    let id = ((u128::from(h1) << 64) | u128::from(h2))
        & !(0xF000u128 << 64)
        & !(0xC000_0000_0000_0000u128);
    let id = id | (0x4000u128 << 64) | 0x8000_0000_0000_0000u128;
    Row {
        id,
        user: user_id((i / JOURNEYS) % USERS),
        journey: journey_id(i % JOURNEYS),
        status: STATUSES[(h2 % 4) as usize],
        progress: (h2 % 101) as i64,
        enrolled_at: 1_700_000_000 + (h1 % 31_536_000) as i64,
        score: h2 % 1000,
    }
}

/// The `meta` JSON of a row.
pub fn meta(score: u64) -> String {
    format!("{{\"source\":\"bench\",\"score\":{score}}}")
}
