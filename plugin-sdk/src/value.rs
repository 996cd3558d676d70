//! Conversions into [`Value`], so rows can be written with plain Rust values.

use crate::{Datetime, Uuid, Value};

/// A serialized JSON document, for `json`/`jsonb` columns. The host checks that
/// it parses.
#[derive(Debug, Clone, PartialEq)]
pub struct Json(pub String);

impl Json {
    /// Wraps JSON text as it is.
    pub fn new(text: impl Into<String>) -> Self {
        Json(text.into())
    }
}

impl Uuid {
    /// The UUID with these 128 bits.
    pub const fn from_u128(bits: u128) -> Self {
        Uuid {
            high: (bits >> 64) as u64,
            low: bits as u64,
        }
    }

    /// The UUID's 128 bits.
    pub const fn as_u128(&self) -> u128 {
        ((self.high as u128) << 64) | self.low as u128
    }

    /// Parses the hyphenated form (`aaaaaaaa-0001-0001-0001-000000000001`) or
    /// 32 bare hex digits, either case.
    pub const fn parse(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        let hyphenated = match bytes.len() {
            36 => true,
            32 => false,
            _ => return None,
        };
        let mut bits: u128 = 0;
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if hyphenated && (i == 8 || i == 13 || i == 18 || i == 23) {
                if b != b'-' {
                    return None;
                }
            } else {
                let digit = match b {
                    b'0'..=b'9' => b - b'0',
                    b'a'..=b'f' => b - b'a' + 10,
                    b'A'..=b'F' => b - b'A' + 10,
                    _ => return None,
                };
                bits = (bits << 4) | digit as u128;
            }
            i += 1;
        }
        Some(Uuid::from_u128(bits))
    }
}

impl core::fmt::Display for Uuid {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let b = self.as_u128();
        write!(
            f,
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            (b >> 96) as u32,
            (b >> 80) as u16,
            (b >> 64) as u16,
            (b >> 48) as u16,
            b & 0xffff_ffff_ffff
        )
    }
}

impl Datetime {
    /// The instant `seconds` (and `nanoseconds`) after 1970-01-01T00:00:00Z.
    pub const fn from_unix(seconds: i64, nanoseconds: u32) -> Self {
        Datetime {
            seconds,
            nanoseconds,
        }
    }

    /// Now, from the host's wall clock.
    pub fn now() -> Self {
        let since = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Datetime::from_unix(since.as_secs() as i64, since.subsec_nanos())
    }
}

macro_rules! from_integer {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Value {
                Value::Integer(i64::from(v))
            }
        }
    )*};
}
from_integer!(i8, i16, i32, i64, u8, u16, u32);

impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Boolean(v)
    }
}

impl From<f32> for Value {
    fn from(v: f32) -> Value {
        Value::Float(f64::from(v))
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Value {
        Value::Float(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(v)
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Value {
        Value::Text(v.clone())
    }
}

impl From<Uuid> for Value {
    fn from(v: Uuid) -> Value {
        Value::Uuid(v)
    }
}

impl From<Datetime> for Value {
    fn from(v: Datetime) -> Value {
        Value::Timestamp(v)
    }
}

impl From<Json> for Value {
    fn from(v: Json) -> Value {
        Value::Json(v.0)
    }
}

impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Value {
        Value::Bytes(v)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_round_trips_through_text() {
        let text = "aaaaaaaa-0001-0001-0001-000000000001";
        let uuid = Uuid::parse(text).unwrap();
        assert_eq!(uuid.as_u128(), 0xaaaaaaaa_0001_0001_0001_000000000001);
        assert_eq!(uuid.to_string(), text);
        assert_eq!(Uuid::parse("AAAAAAAA000100010001000000000001"), Some(uuid));
    }

    #[test]
    fn uuid_rejects_malformed_text() {
        for bad in [
            "",
            "aaaaaaaa-0001-0001-0001-00000000000",
            "aaaaaaaa_0001_0001_0001_000000000001",
            "gaaaaaaa-0001-0001-0001-000000000001",
        ] {
            assert_eq!(Uuid::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn options_become_null() {
        assert_eq!(Value::from(None::<i64>), Value::Null);
        assert_eq!(Value::from(Some(3u8)), Value::Integer(3));
    }
}
