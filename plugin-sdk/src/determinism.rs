//! Generated data that is the same on every run: name-based UUIDs, a seeded
//! random generator, and the host's reference time in place of the clock.
//! A seed that uses them re-runs unchanged, which `seedhost verify` checks.

use crate::{Datetime, Uuid};

impl Uuid {
    /// The name-based UUID (version 5, SHA-1) of `name` in `namespace`: the
    /// same for the same inputs in every run and every seedhost SDK.
    pub fn v5(namespace: Uuid, name: &str) -> Uuid {
        let mut hasher = sha1_smol::Sha1::new();
        hasher.update(&namespace.as_u128().to_be_bytes());
        hasher.update(name.as_bytes());
        let digest = hasher.digest().bytes();
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        bytes[6] = (bytes[6] & 0x0f) | 0x50;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        Uuid::from_u128(u128::from_be_bytes(bytes))
    }
}

/// A seeded generator: FNV-1a 64 of the seed's UTF-8 bytes, then SplitMix64.
/// Every seedhost SDK gives the same numbers for the same seed.
#[derive(Debug, Clone)]
pub struct Random {
    state: u64,
}

impl Random {
    /// A generator whose numbers depend only on `seed`.
    pub fn new(seed: &str) -> Random {
        let state = seed.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        Random { state }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A float in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// An integer in `low..=high`.
    ///
    /// # Panics
    /// If `high < low`.
    pub fn int(&mut self, low: i64, high: i64) -> i64 {
        assert!(low <= high, "Random::int({low}, {high}): empty range");
        let span = (high as i128 - low as i128 + 1) as u128;
        (low as i128 + (u128::from(self.next_u64()) % span) as i128) as i64
    }

    /// One element of a non-empty slice.
    ///
    /// # Panics
    /// If `items` is empty.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        assert!(!items.is_empty(), "Random::pick: the slice is empty");
        &items[self.int(0, items.len() as i64 - 1) as usize]
    }

    /// A random (version 4 shaped) UUID from this generator: reproducible.
    pub fn uuid(&mut self) -> Uuid {
        let high = (self.next_u64() & !0xf000) | 0x4000;
        let low = (self.next_u64() & !0xc000_0000_0000_0000) | 0x8000_0000_0000_0000;
        Uuid { high, low }
    }
}

impl Datetime {
    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, the form the host gives the
    /// reference time in.
    pub fn parse_rfc3339(text: &str) -> Option<Datetime> {
        let b = text.as_bytes();
        if b.len() < 20
            || b[4] != b'-'
            || b[7] != b'-'
            || b[10] != b'T'
            || b[13] != b':'
            || b[16] != b':'
        {
            return None;
        }
        let num = |range: core::ops::Range<usize>| -> Option<i64> {
            text.get(range)?.parse::<u32>().ok().map(i64::from)
        };
        let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
            return None;
        }
        let rest = &text[19..];
        let (fraction, zone) = match rest.strip_prefix('.') {
            Some(f) => f.split_at(f.find(|c: char| !c.is_ascii_digit())?),
            None => ("", rest),
        };
        if zone != "Z" || fraction.len() > 9 {
            return None;
        }
        let nanos = if fraction.is_empty() {
            0
        } else {
            format!("{fraction:0<9}").parse::<u32>().ok()?
        };
        let days = days_from_civil(y, mo, d);
        Some(Datetime::from_unix(
            days * 86_400 + h * 3600 + mi * 60 + s,
            nanos,
        ))
    }

    /// This instant plus `days` days (negative: earlier).
    pub const fn plus_days(self, days: i64) -> Datetime {
        Datetime::from_unix(self.seconds + days * 86_400, self.nanoseconds)
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count from 1970-01-01 (the inverse of `days_from_civil`).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

impl core::fmt::Display for Datetime {
    /// RFC 3339 in UTC: `2026-01-01T00:00:00Z`.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let days = self.seconds.div_euclid(86_400);
        let secs = self.seconds.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )?;
        if self.nanoseconds != 0 {
            write!(f, ".{:09}", self.nanoseconds)?;
        }
        f.write_str("Z")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_gives_the_numbers_every_sdk_gives() {
        // The same seed in the TypeScript and Python SDKs gives these too.
        let mut r = Random::new("catalog/local");
        assert_eq!(
            [r.next_u64(), r.next_u64(), r.next_u64()],
            [0xdbc0ab10d01c6974, 0xf51d0dffd0c2f8ba, 0x9c5d8b72dba4e997]
        );
        let mut r = Random::new("x");
        for _ in 0..1000 {
            assert!((1..=6).contains(&r.int(1, 6)));
            assert!((0.0..1.0).contains(&r.next_f64()));
        }
    }

    #[test]
    fn v5_uuids_match_rfc_4122() {
        // Python: uuid.uuid5(uuid.NAMESPACE_DNS, "seedhost")
        let dns = Uuid::parse("6ba7b810-9dad-11d1-80b4-00c04fd430c8").unwrap();
        assert_eq!(
            Uuid::v5(dns, "seedhost").to_string(),
            "2e7f4654-5827-5c45-a764-1661a6eb0d5f"
        );
    }

    #[test]
    fn reference_times_round_trip() {
        for text in [
            "2026-01-01T00:00:00Z",
            "1969-12-31T23:59:59.500000000Z",
            "2024-02-29T12:34:56Z",
        ] {
            let at = Datetime::parse_rfc3339(text).unwrap();
            assert_eq!(at.to_string(), text);
        }
        assert_eq!(
            Datetime::parse_rfc3339("2026-02-23T09:00:00Z"),
            Some(Datetime::from_unix(1_771_837_200, 0))
        );
        assert_eq!(
            Datetime::parse_rfc3339("2026-02-23T09:00:00.25Z")
                .unwrap()
                .nanoseconds,
            250_000_000
        );
        for bad in [
            "2026-01-01",
            "2026-01-01T00:00:00+01:00",
            "2026-13-01T00:00:00Z",
            "x",
        ] {
            assert_eq!(Datetime::parse_rfc3339(bad), None, "{bad}");
        }
    }
}
