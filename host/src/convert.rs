//! Value conversion: a batch as the plugin sent it (row after row of WIT
//! values) becomes column data of each column's type, or an error naming the
//! table, column and row whose value does not fit. Both backends bind from
//! this one shape, so a value means the same whichever path writes it.

use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Utc};

use crate::contract::{Datetime, Value};
use crate::schema::{Column, Kind};

/// One batch converted to its columns' types, column by column: the shape both
/// backends bind from (PostgreSQL binds each column as one array).
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnData {
    /// Booleans.
    Bool(Vec<Option<bool>>),
    /// Integers of any width (range-checked against the column).
    Int(Vec<Option<i64>>),
    /// Floats.
    Float(Vec<Option<f64>>),
    /// Text, numeric text, JSON text and text for database casts.
    Text(Vec<Option<String>>),
    /// UUIDs.
    Uuid(Vec<Option<uuid::Uuid>>),
    /// Timestamps, in UTC.
    Timestamp(Vec<Option<DateTime<Utc>>>),
    /// Dates.
    Date(Vec<Option<NaiveDate>>),
    /// Byte strings.
    Bytes(Vec<Option<Vec<u8>>>),
}

impl ColumnData {
    /// Whether any row holds NULL.
    pub fn has_null(&self) -> bool {
        match self {
            ColumnData::Bool(v) => v.contains(&None),
            ColumnData::Int(v) => v.contains(&None),
            ColumnData::Float(v) => v.contains(&None),
            ColumnData::Text(v) => v.contains(&None),
            ColumnData::Uuid(v) => v.contains(&None),
            ColumnData::Timestamp(v) => v.contains(&None),
            ColumnData::Date(v) => v.contains(&None),
            ColumnData::Bytes(v) => v.contains(&None),
        }
    }

    fn for_kind(kind: Kind, rows: usize) -> ColumnData {
        match kind {
            Kind::Bool => ColumnData::Bool(Vec::with_capacity(rows)),
            Kind::Int(_) => ColumnData::Int(Vec::with_capacity(rows)),
            Kind::Float => ColumnData::Float(Vec::with_capacity(rows)),
            Kind::Numeric | Kind::Text | Kind::Json | Kind::Other => {
                ColumnData::Text(Vec::with_capacity(rows))
            }
            Kind::Uuid => ColumnData::Uuid(Vec::with_capacity(rows)),
            Kind::Timestamp { .. } => ColumnData::Timestamp(Vec::with_capacity(rows)),
            Kind::Date => ColumnData::Date(Vec::with_capacity(rows)),
            Kind::Bytes => ColumnData::Bytes(Vec::with_capacity(rows)),
        }
    }

    /// Rows held.
    pub fn len(&self) -> usize {
        match self {
            ColumnData::Bool(v) => v.len(),
            ColumnData::Int(v) => v.len(),
            ColumnData::Float(v) => v.len(),
            ColumnData::Text(v) => v.len(),
            ColumnData::Uuid(v) => v.len(),
            ColumnData::Timestamp(v) => v.len(),
            ColumnData::Date(v) => v.len(),
            ColumnData::Bytes(v) => v.len(),
        }
    }

    /// Whether it holds no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A hashable view of row `i`, for finding duplicate conflict keys.
    pub fn key_part(&self, i: usize) -> KeyPart<'_> {
        match self {
            ColumnData::Bool(v) => v[i].map_or(KeyPart::Null, KeyPart::Bool),
            ColumnData::Int(v) => v[i].map_or(KeyPart::Null, KeyPart::Int),
            ColumnData::Float(v) => v[i].map_or(KeyPart::Null, |f| KeyPart::Float(f.to_bits())),
            ColumnData::Text(v) => v[i].as_deref().map_or(KeyPart::Null, KeyPart::Text),
            ColumnData::Uuid(v) => v[i].map_or(KeyPart::Null, KeyPart::Uuid),
            ColumnData::Timestamp(v) => v[i].map_or(KeyPart::Null, |t| {
                KeyPart::Int(t.timestamp_nanos_opt().unwrap_or(t.timestamp()))
            }),
            ColumnData::Date(v) => v[i].map_or(KeyPart::Null, |d| {
                KeyPart::Int(i64::from(d.num_days_from_ce()))
            }),
            ColumnData::Bytes(v) => v[i].as_deref().map_or(KeyPart::Null, KeyPart::Bytes),
        }
    }
}

/// One value of a conflict key, borrowed from a [`ColumnData`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyPart<'a> {
    /// NULL.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer, or a timestamp or date as a number.
    Int(i64),
    /// A float, by its bits.
    Float(u64),
    /// Text.
    Text(&'a str),
    /// A UUID.
    Uuid(uuid::Uuid),
    /// Bytes.
    Bytes(&'a [u8]),
}

impl fmt::Display for KeyPart<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyPart::Null => f.write_str("NULL"),
            KeyPart::Bool(b) => write!(f, "{b}"),
            KeyPart::Int(i) => write!(f, "{i}"),
            KeyPart::Float(bits) => write!(f, "{}", f64::from_bits(*bits)),
            KeyPart::Text(s) => write!(f, "{s:?}"),
            KeyPart::Uuid(u) => write!(f, "{u}"),
            KeyPart::Bytes(b) => write!(f, "<{} bytes>", b.len()),
        }
    }
}

/// Converts a batch given row after row (`values.len()` is a multiple of
/// `columns.len()`) into column data. `first_row` numbers the batch's first row
/// in messages (rows count from 1 across a writer's batches).
pub fn convert_batch(
    table: &str,
    columns: &[&Column],
    values: Vec<Value>,
    first_row: u64,
) -> Result<Vec<ColumnData>, String> {
    let width = columns.len();
    let rows = values.len() / width;
    let mut out: Vec<ColumnData> = columns
        .iter()
        .map(|c| ColumnData::for_kind(c.kind, rows))
        .collect();
    for (i, value) in values.into_iter().enumerate() {
        let column = columns[i % width];
        let row = first_row + (i / width) as u64;
        push(&mut out[i % width], column, value).map_err(|problem| {
            format!(
                "table {table}, column {} ({}), row {row}: {problem}",
                column.name, column.sql_type
            )
        })?;
    }
    Ok(out)
}

/// The largest JSON batch the host parses. Parsed, JSON takes many times its
/// text's size (a `[0]` row of 3 bytes becomes two allocations), so without a
/// bound a plugin within its own memory limit could exhaust the host's.
pub const MAX_JSON_BATCH_BYTES: usize = 64 << 20;

/// The values of a batch given as JSON rows (`writer.write-json`): an array of
/// `width`-long arrays. Numbers that are integers become `integer`, other
/// numbers `float`; arrays and objects become `json`. `first_row` numbers the
/// rows in messages.
pub fn json_rows(
    table: &str,
    width: usize,
    first_row: u64,
    text: &[u8],
) -> Result<Vec<Value>, String> {
    if text.len() > MAX_JSON_BATCH_BYTES {
        return Err(format!(
            "table {table}: a JSON batch of {} MiB is more than the {} MiB one call may send; \
             send fewer rows per batch",
            text.len() >> 20,
            MAX_JSON_BATCH_BYTES >> 20
        ));
    }
    // Documents stay as the plugin wrote them (key order, number text): a
    // `json` value is its text, whichever path it took.
    let rows: Vec<Vec<&serde_json::value::RawValue>> =
        serde_json::from_slice(text).map_err(|e| {
            format!("table {table}: the JSON batch is not an array of rows (arrays): {e}")
        })?;
    let mut values = Vec::with_capacity(rows.len() * width);
    for (i, row) in rows.into_iter().enumerate() {
        if row.len() != width {
            return Err(format!(
                "table {table}: row {} has {} values for {width} columns",
                first_row + i as u64,
                row.len()
            ));
        }
        for raw in row {
            values.push(
                json_value(raw)
                    .map_err(|e| format!("table {table}, row {}: {e}", first_row + i as u64))?,
            );
        }
    }
    Ok(values)
}

fn json_value(raw: &serde_json::value::RawValue) -> Result<Value, serde_json::Error> {
    use serde_json::Value as J;
    let text = raw.get();
    if text.starts_with(['[', '{']) {
        return Ok(Value::Json(text.to_owned()));
    }
    Ok(match serde_json::from_str::<J>(text)? {
        J::Null => Value::Null,
        J::Bool(b) => Value::Boolean(b),
        J::Number(n) => match n.as_i64() {
            Some(i) => Value::Integer(i),
            // Past i64 (u64) or fractional: a float, which an integer column
            // refuses, naming the row.
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        J::String(s) => Value::Text(s),
        doc @ (J::Array(_) | J::Object(_)) => Value::Json(doc.to_string()),
    })
}

fn push(data: &mut ColumnData, column: &Column, value: Value) -> Result<(), String> {
    if matches!(value, Value::Null) {
        if !column.nullable {
            return Err("null in a NOT NULL column".to_owned());
        }
        match data {
            ColumnData::Bool(v) => v.push(None),
            ColumnData::Int(v) => v.push(None),
            ColumnData::Float(v) => v.push(None),
            ColumnData::Text(v) => v.push(None),
            ColumnData::Uuid(v) => v.push(None),
            ColumnData::Timestamp(v) => v.push(None),
            ColumnData::Date(v) => v.push(None),
            ColumnData::Bytes(v) => v.push(None),
        }
        return Ok(());
    }
    let kind = column.kind;
    let mismatch = |value: &Value| {
        Err(format!(
            "expected {}, got {}",
            kind.describe(),
            describe(value)
        ))
    };
    match data {
        ColumnData::Bool(v) => match value {
            Value::Boolean(b) => v.push(Some(b)),
            other => return mismatch(&other),
        },
        ColumnData::Int(v) => match value {
            Value::Integer(i) => {
                if let Kind::Int(bits) = kind
                    && bits < 64
                {
                    let (min, max) = (-(1i64 << (bits - 1)), (1i64 << (bits - 1)) - 1);
                    if i < min || i > max {
                        return Err(format!("{i} does not fit a {bits}-bit integer"));
                    }
                }
                v.push(Some(i))
            }
            other => return mismatch(&other),
        },
        ColumnData::Float(v) => match value {
            Value::Float(f) if f.is_nan() && !column.nan => {
                return Err("NaN cannot be stored here (SQLite would store NULL)".to_owned());
            }
            Value::Float(f) if column.float32 && f.is_finite() && (f as f32).is_infinite() => {
                return Err(format!(
                    "{f} does not fit a {} (4-byte float)",
                    column.sql_type
                ));
            }
            Value::Float(f) if column.float32 && f != 0.0 && (f as f32) == 0.0 => {
                return Err(format!(
                    "{f} is too small for a {} (4-byte float): it would be 0",
                    column.sql_type
                ));
            }
            Value::Float(f) => v.push(Some(f)),
            Value::Integer(i) => v.push(Some(i as f64)),
            other => return mismatch(&other),
        },
        ColumnData::Uuid(v) => match value {
            Value::Uuid(u) => v.push(Some(to_uuid(u))),
            Value::Text(ref s) => match uuid::Uuid::try_parse(s) {
                Ok(u) => v.push(Some(u)),
                Err(_) => return Err(format!("{s:?} is not a UUID")),
            },
            other => return mismatch(&other),
        },
        ColumnData::Timestamp(v) => match value {
            Value::Timestamp(t) => v.push(Some(whole_micros(to_datetime(t)?))),
            Value::Text(ref s) => v.push(Some(whole_micros(parse_timestamp(s)?))),
            other => return mismatch(&other),
        },
        ColumnData::Date(v) => match value {
            // A date, or an instant (taken in UTC, as a timestamp value is):
            // the TypeScript and Python SDKs send dates and datetimes as text.
            Value::Text(ref s) => match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                Ok(d) => v.push(Some(d)),
                Err(_) => match parse_timestamp(s) {
                    Ok(t) => v.push(Some(t.date_naive())),
                    Err(_) => {
                        return Err(format!(
                            "{s:?} is not a date (YYYY-MM-DD) or an RFC 3339 instant"
                        ));
                    }
                },
            },
            Value::Timestamp(t) => v.push(Some(to_datetime(t)?.date_naive())),
            other => return mismatch(&other),
        },
        ColumnData::Bytes(v) => match value {
            Value::Bytes(b) => v.push(Some(b)),
            other => return mismatch(&other),
        },
        ColumnData::Text(v) => {
            let text = text_for(kind, value)?;
            if let Some(max) = column.max_chars {
                let chars = text.chars().count();
                if chars > max {
                    return Err(format!(
                        "{chars} characters do not fit {} (at most {max}); seedhost never cuts text",
                        column.sql_type
                    ));
                }
            }
            v.push(Some(text))
        }
    }
    Ok(())
}

/// The text written for a text, numeric, JSON or database-cast column.
fn text_for(kind: Kind, value: Value) -> Result<String, String> {
    let mismatch = |value: &Value| {
        Err(format!(
            "expected {}, got {}",
            kind.describe(),
            describe(value)
        ))
    };
    match kind {
        Kind::Json => match value {
            Value::Json(s) | Value::Text(s) => {
                match serde_json::from_str::<serde::de::IgnoredAny>(&s) {
                    Ok(_) => Ok(s),
                    Err(e) => Err(format!("invalid JSON: {e}")),
                }
            }
            other => mismatch(&other),
        },
        Kind::Numeric => match value {
            Value::Integer(i) => Ok(i.to_string()),
            Value::Float(f) if f.is_finite() => Ok(f.to_string()),
            Value::Text(s) if is_decimal(&s) => Ok(s),
            Value::Text(s) => Err(format!("{s:?} is not a decimal number")),
            other => mismatch(&other),
        },
        Kind::Text => match value {
            Value::Text(s) | Value::Json(s) => Ok(s),
            Value::Uuid(u) => Ok(to_uuid(u).to_string()),
            other => mismatch(&other),
        },
        // The database casts the text and reports what does not fit.
        _ => match value {
            Value::Text(s) | Value::Json(s) => Ok(s),
            Value::Boolean(b) => Ok(b.to_string()),
            Value::Integer(i) => Ok(i.to_string()),
            Value::Float(f) => Ok(f.to_string()),
            Value::Uuid(u) => Ok(to_uuid(u).to_string()),
            Value::Timestamp(t) => Ok(to_datetime(t)?.to_rfc3339()),
            other => mismatch(&other),
        },
    }
}

fn is_decimal(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    !(int.is_empty() && frac.is_empty())
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
}

/// The WIT uuid as a `uuid::Uuid`.
pub fn to_uuid(u: crate::contract::Uuid) -> uuid::Uuid {
    uuid::Uuid::from_u64_pair(u.high, u.low)
}

fn to_datetime(t: Datetime) -> Result<DateTime<Utc>, String> {
    DateTime::from_timestamp(t.seconds, t.nanoseconds).ok_or_else(|| {
        format!(
            "timestamp {}s {}ns is out of range",
            t.seconds, t.nanoseconds
        )
    })
}

/// The instant cut to whole microseconds, the precision both databases keep.
/// Without it the write paths disagreed before 2000: binary COPY floors an
/// instant's microseconds, sqlx's encoding truncates toward 2000-01-01.
fn whole_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    let nanos = t.timestamp_subsec_nanos();
    t - chrono::Duration::nanoseconds(i64::from(nanos % 1_000))
}

/// Parses RFC 3339 (`2026-02-23T09:00:00Z`, any offset) or a zone-less
/// `YYYY-MM-DD HH:MM:SS[.f]`, read as UTC.
fn parse_timestamp(s: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, format) {
            return Ok(t.and_utc());
        }
    }
    Err(format!("{s:?} is not a timestamp (RFC 3339)"))
}

/// A value's type and a short rendering, for messages.
fn describe(value: &Value) -> String {
    let short = |s: &str| {
        if s.chars().count() > 40 {
            format!("{:?}…", s.chars().take(40).collect::<String>())
        } else {
            format!("{s:?}")
        }
    };
    match value {
        Value::Null => "null".to_owned(),
        Value::Boolean(b) => format!("boolean {b}"),
        Value::Integer(i) => format!("integer {i}"),
        Value::Float(f) => format!("float {f}"),
        Value::Text(s) => format!("text {}", short(s)),
        Value::Uuid(u) => format!("uuid {}", to_uuid(*u)),
        Value::Json(s) => format!("json {}", short(s)),
        Value::Timestamp(t) => format!("timestamp {}s", t.seconds),
        Value::Bytes(b) => format!("{} bytes", b.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(name: &str, kind: Kind, nullable: bool) -> Column {
        Column::new(name.into(), kind, kind.describe().into(), nullable, true)
    }

    #[test]
    fn converts_a_batch_column_by_column() {
        let id = column("id", Kind::Uuid, false);
        let n = column("n", Kind::Int(32), true);
        let at = column("at", Kind::Timestamp { tz: true }, false);
        let values = vec![
            Value::Text("aaaaaaaa-0001-0001-0001-000000000001".into()),
            Value::Integer(7),
            Value::Text("2026-02-23T09:00:00Z".into()),
            Value::Uuid(crate::contract::Uuid { high: 0, low: 1 }),
            Value::Null,
            Value::Timestamp(Datetime {
                seconds: 0,
                nanoseconds: 0,
            }),
        ];
        let data = convert_batch("t", &[&id, &n, &at], values, 1).unwrap();
        assert_eq!(data[1], ColumnData::Int(vec![Some(7), None]));
        let ColumnData::Uuid(ids) = &data[0] else {
            panic!()
        };
        assert_eq!(ids[1].unwrap().as_u128(), 1);
        let ColumnData::Timestamp(ts) = &data[2] else {
            panic!()
        };
        assert_eq!(ts[0].unwrap().timestamp(), 1_771_837_200);
    }

    #[test]
    fn misfits_name_table_column_and_row() {
        let n = column("minutes", Kind::Int(32), false);
        let cases = [
            (
                Value::Text("abc".into()),
                "expected integer, got text \"abc\"",
            ),
            (Value::Integer(1 << 40), "does not fit a 32-bit integer"),
            (Value::Null, "null in a NOT NULL column"),
        ];
        for (value, expected) in cases {
            let err =
                convert_batch("chapters", &[&n], vec![Value::Integer(1), value], 1).unwrap_err();
            assert!(
                err.starts_with("table chapters, column minutes (integer), row 2: "),
                "{err}"
            );
            assert!(err.contains(expected), "{err}");
        }
        let j = column("doc", Kind::Json, true);
        let err = convert_batch("t", &[&j], vec![Value::Json("{oops".into())], 5).unwrap_err();
        assert!(err.contains("row 5: invalid JSON"), "{err}");
        let u = column("id", Kind::Uuid, false);
        let err =
            convert_batch("t", &[&u], vec![Value::Text("1; DROP TABLE t".into())], 1).unwrap_err();
        assert!(err.contains("is not a UUID"), "{err}");
    }

    #[test]
    fn both_write_paths_get_the_same_refusals() {
        let vc = Column::new(
            "code".into(),
            Kind::Text,
            "character varying(4)".into(),
            true,
            true,
        );
        let err = convert_batch("t", &[&vc], vec![Value::Text("toolong".into())], 1).unwrap_err();
        assert!(
            err.contains("7 characters do not fit character varying(4) (at most 4)"),
            "{err}"
        );
        assert!(convert_batch("t", &[&vc], vec![Value::Text("naïv".into())], 1).is_ok());
        let real = Column::new("r".into(), Kind::Float, "real".into(), true, true);
        let err = convert_batch("t", &[&real], vec![Value::Float(1e300)], 1).unwrap_err();
        assert!(err.contains("does not fit a real"), "{err}");
        for fine in [3.4e38, f64::INFINITY, f64::NAN, -1.5] {
            assert!(
                convert_batch("t", &[&real], vec![Value::Float(fine)], 1).is_ok(),
                "{fine}"
            );
        }
        let lite = Column::new("r".into(), Kind::Float, "REAL".into(), true, false);
        let err = convert_batch("t", &[&lite], vec![Value::Float(f64::NAN)], 1).unwrap_err();
        assert!(err.contains("NaN cannot be stored"), "{err}");
        assert!(convert_batch("t", &[&lite], vec![Value::Float(1e300)], 1).is_ok());
    }

    #[test]
    fn instants_keep_whole_microseconds() {
        let at = column("at", Kind::Timestamp { tz: true }, false);
        let data = convert_batch(
            "t",
            &[&at],
            vec![
                Value::Timestamp(Datetime {
                    seconds: -13_000_000_000,
                    nanoseconds: 537_412_999,
                }),
                Value::Text("1999-12-31T23:59:59.9999999Z".into()),
            ],
            1,
        )
        .unwrap();
        let ColumnData::Timestamp(ts) = &data[0] else {
            panic!()
        };
        assert_eq!(ts[0].unwrap().timestamp_subsec_nanos(), 537_412_000);
        assert_eq!(ts[0].unwrap().timestamp(), -13_000_000_000);
        assert_eq!(ts[1].unwrap().timestamp_subsec_nanos(), 999_999_000);
    }

    #[test]
    fn json_rows_become_the_values_write_takes() {
        let values = json_rows(
            "t",
            3,
            1,
            br#"[[1, "a", null], [2.5, true, {"k": [1]}], [-9007199254740993, "x", [1,2]]]"#,
        )
        .unwrap();
        assert_eq!(
            values,
            [
                Value::Integer(1),
                Value::Text("a".into()),
                Value::Null,
                Value::Float(2.5),
                Value::Boolean(true),
                Value::Json(r#"{"k": [1]}"#.into()),
                Value::Integer(-9_007_199_254_740_993),
                Value::Text("x".into()),
                Value::Json("[1,2]".into()),
            ]
        );
        let err = json_rows("t", 3, 11, b"[[1, 2, 3], [1, 2]]").unwrap_err();
        assert_eq!(err, "table t: row 12 has 2 values for 3 columns");
        let err = json_rows("t", 3, 1, b"{\"rows\": []}").unwrap_err();
        assert!(
            err.starts_with("table t: the JSON batch is not an array of rows"),
            "{err}"
        );
        assert!(json_rows("t", 3, 1, b"[]").unwrap().is_empty());
        // Documents keep their key order and number text; floats are exact.
        let values = json_rows(
            "t",
            2,
            1,
            br#"[[{"b": 1, "a": 0.000001}, 0.30000000000000004]]"#,
        )
        .unwrap();
        assert_eq!(
            values,
            [
                Value::Json(r#"{"b": 1, "a": 0.000001}"#.into()),
                Value::Float(0.1 + 0.2)
            ]
        );
        let huge = vec![b' '; MAX_JSON_BATCH_BYTES + 1];
        let err = json_rows("t", 3, 1, &huge).unwrap_err();
        assert!(err.contains("more than the 64 MiB"), "{err}");
    }

    #[test]
    fn a_date_column_takes_an_instants_utc_date() {
        let d = Column::new("d".into(), Kind::Date, "date".into(), true, true);
        let data = convert_batch(
            "t",
            &[&d],
            vec![
                Value::Text("2026-01-02".into()),
                Value::Text("2026-01-02T23:30:00-02:00".into()),
            ],
            1,
        )
        .unwrap();
        let ColumnData::Date(dates) = &data[0] else {
            panic!()
        };
        let day = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        assert_eq!(dates, &[day("2026-01-02"), day("2026-01-03")]);
        let err = convert_batch("t", &[&d], vec![Value::Text("soon".into())], 1).unwrap_err();
        assert!(
            err.contains("is not a date (YYYY-MM-DD) or an RFC 3339 instant"),
            "{err}"
        );
    }

    #[test]
    fn numeric_text_must_be_decimal() {
        assert!(is_decimal("12.50"));
        assert!(is_decimal("-3"));
        assert!(is_decimal(".5"));
        assert!(!is_decimal("1e5"));
        assert!(!is_decimal("."));
        assert!(!is_decimal("12a"));
    }

    mod properties {
        use super::*;
        use crate::contract::Uuid;
        use proptest::prelude::*;

        fn value() -> impl Strategy<Value = Value> {
            prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::Boolean),
                any::<i64>().prop_map(Value::Integer),
                any::<f64>().prop_map(Value::Float),
                ".{0,12}".prop_map(Value::Text),
                (any::<u64>(), any::<u64>())
                    .prop_map(|(high, low)| Value::Uuid(Uuid { high, low })),
                ".{0,12}".prop_map(Value::Json),
                (any::<i64>(), any::<u32>()).prop_map(|(seconds, nanoseconds)| {
                    Value::Timestamp(Datetime {
                        seconds,
                        nanoseconds,
                    })
                }),
                proptest::collection::vec(any::<u8>(), 0..8).prop_map(Value::Bytes),
            ]
        }

        fn column() -> impl Strategy<Value = Column> {
            let kinds = prop_oneof![
                Just(Kind::Bool),
                Just(Kind::Int(16)),
                Just(Kind::Int(32)),
                Just(Kind::Int(64)),
                Just(Kind::Float),
                Just(Kind::Numeric),
                Just(Kind::Text),
                Just(Kind::Uuid),
                Just(Kind::Json),
                Just(Kind::Timestamp { tz: true }),
                Just(Kind::Date),
                Just(Kind::Bytes),
                Just(Kind::Other),
            ];
            let types = prop_oneof![
                Just("text"),
                Just("character varying(3)"),
                Just("real"),
                Just("REAL"),
                Just("t")
            ];
            (kinds, types, any::<bool>(), any::<bool>()).prop_map(
                |(kind, sql_type, nullable, postgres)| {
                    Column::new("c".into(), kind, sql_type.into(), nullable, postgres)
                },
            )
        }

        proptest! {
            /// Whatever a plugin sends, conversion answers with data or an
            /// error naming the table, column and row; it never panics.
            #[test]
            fn conversion_never_panics(
                columns in proptest::collection::vec(column(), 1..4),
                values in proptest::collection::vec(value(), 0..24),
            ) {
                let width = columns.len();
                let whole = values.len() / width * width;
                let refs: Vec<&Column> = columns.iter().collect();
                match convert_batch("t", &refs, values[..whole].to_vec(), 1) {
                    Ok(data) => prop_assert!(data.iter().all(|d| d.len() == whole / width)),
                    Err(e) => prop_assert!(e.starts_with("table t, column c ("), "{}", e),
                }
            }
        }
    }
}
