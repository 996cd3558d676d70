//! PostgreSQL's binary COPY format, as the stage tables receive it: a header,
//! then per row a field count and each field as its length and bytes (-1 for
//! NULL), then a trailer. Each type is encoded as the server's `*recv`
//! function reads it.

use crate::convert::ColumnData;
use crate::schema::{Column, Kind};

/// Microseconds from the Unix epoch to PostgreSQL's, 2000-01-01.
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;
/// Days from 0001-01-01 (chrono's day 1 of the common era) to 2000-01-01.
const PG_EPOCH_DAYS_FROM_CE: i32 = 730_120;

/// Writes `rows` rows in COPY's binary format: header, then per row a field
/// count and each field as length and bytes (-1 for NULL), then a trailer.
pub fn encode_binary(columns: &[Column], data: &[ColumnData], rows: usize, out: &mut Vec<u8>) {
    out.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
    out.extend_from_slice(&0u32.to_be_bytes()); // flags
    out.extend_from_slice(&0u32.to_be_bytes()); // header extension
    let fields = (columns.len() as i16).to_be_bytes();
    for row in 0..rows {
        out.extend_from_slice(&fields);
        for (column, data) in columns.iter().zip(data) {
            field(column, data, row, out);
        }
    }
    out.extend_from_slice(&(-1i16).to_be_bytes());
}

/// A batch encoded for `columns` (by [`encode_binary`]) as it would be had
/// its jsonb columns been text: each jsonb field loses its version byte. The
/// stage holds documents as text; a batch meant for the table, refused there,
/// goes to the stage this way, without its values (freed once encoded).
pub fn jsonb_as_text(columns: &[Column], batch: &[u8]) -> Vec<u8> {
    const HEADER: usize = 19;
    let mut out = Vec::with_capacity(batch.len());
    out.extend_from_slice(&batch[..HEADER]);
    let mut at = HEADER;
    let read = |at: usize, n: usize| &batch[at..at + n];
    loop {
        let fields = i16::from_be_bytes(read(at, 2).try_into().expect("2 bytes"));
        out.extend_from_slice(read(at, 2));
        at += 2;
        if fields < 0 {
            return out;
        }
        for column in columns {
            let len = i32::from_be_bytes(read(at, 4).try_into().expect("4 bytes"));
            at += 4;
            if len < 0 {
                out.extend_from_slice(&len.to_be_bytes());
            } else if column.sql_type == "jsonb" {
                out.extend_from_slice(&(len - 1).to_be_bytes());
                out.extend_from_slice(read(at + 1, len as usize - 1));
            } else {
                out.extend_from_slice(&len.to_be_bytes());
                out.extend_from_slice(read(at, len as usize));
            }
            at += len.max(0) as usize;
        }
    }
}

fn put(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as i32).to_be_bytes());
    out.extend_from_slice(bytes);
}

fn field(column: &Column, data: &ColumnData, row: usize, out: &mut Vec<u8>) {
    const NULL: [u8; 4] = (-1i32).to_be_bytes();
    match data {
        ColumnData::Bool(v) => match v[row] {
            Some(b) => put(out, &[u8::from(b)]),
            None => out.extend_from_slice(&NULL),
        },
        ColumnData::Int(v) => match (v[row], column.kind) {
            (Some(i), Kind::Int(16)) => put(out, &(i as i16).to_be_bytes()),
            (Some(i), Kind::Int(32)) => put(out, &(i as i32).to_be_bytes()),
            (Some(i), _) => put(out, &i.to_be_bytes()),
            (None, _) => out.extend_from_slice(&NULL),
        },
        ColumnData::Float(v) => match v[row] {
            Some(f) if column.sql_type == "real" => put(out, &(f as f32).to_be_bytes()),
            Some(f) => put(out, &f.to_be_bytes()),
            None => out.extend_from_slice(&NULL),
        },
        ColumnData::Text(v) => match &v[row] {
            // jsonb's binary form is a version byte and the JSON text.
            Some(s) if column.sql_type == "jsonb" => {
                out.extend_from_slice(&(s.len() as i32 + 1).to_be_bytes());
                out.push(1);
                out.extend_from_slice(s.as_bytes());
            }
            Some(s) => put(out, s.as_bytes()),
            None => out.extend_from_slice(&NULL),
        },
        ColumnData::Uuid(v) => match v[row] {
            Some(u) => put(out, u.as_bytes()),
            None => out.extend_from_slice(&NULL),
        },
        ColumnData::Timestamp(v) => match v[row] {
            // A timestamp without time zone holds the same UTC wall time.
            Some(t) => put(out, &(t.timestamp_micros() - PG_EPOCH_MICROS).to_be_bytes()),
            None => out.extend_from_slice(&NULL),
        },
        ColumnData::Date(v) => match v[row] {
            Some(d) => {
                use chrono::Datelike;
                put(
                    out,
                    &(d.num_days_from_ce() - PG_EPOCH_DAYS_FROM_CE).to_be_bytes(),
                )
            }
            None => out.extend_from_slice(&NULL),
        },
        ColumnData::Bytes(v) => match &v[row] {
            Some(b) => put(out, b),
            None => out.extend_from_slice(&NULL),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, NaiveDate};

    fn column(name: &str, kind: Kind, sql_type: &str) -> Column {
        Column::new(name.into(), kind, sql_type.into(), true, true)
    }

    /// Bytes from hex written with spaces between groups.
    fn hex(text: &str) -> Vec<u8> {
        let digits: String = text.split_whitespace().collect();
        (0..digits.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn encodes_every_type_as_the_server_reads_it() {
        let columns = [
            column("n", Kind::Int(32), "integer"),
            column("s", Kind::Int(16), "smallint"),
            column("big", Kind::Int(64), "bigint"),
            column("b", Kind::Bool, "boolean"),
            column("t", Kind::Text, "text"),
            column("jb", Kind::Json, "jsonb"),
            column("j", Kind::Json, "json"),
            column("f4", Kind::Float, "real"),
            column("f8", Kind::Float, "double precision"),
            column(
                "ts",
                Kind::Timestamp { tz: true },
                "timestamp with time zone",
            ),
            column("d", Kind::Date, "date"),
            column("u", Kind::Uuid, "uuid"),
            column("by", Kind::Bytes, "bytea"),
        ];
        let data = [
            ColumnData::Int(vec![Some(1), None]),
            ColumnData::Int(vec![Some(-2), Some(3)]),
            ColumnData::Int(vec![Some(-1), None]),
            ColumnData::Bool(vec![Some(true), Some(false)]),
            ColumnData::Text(vec![Some("é".into()), None]),
            ColumnData::Text(vec![Some("{}".into()), None]),
            ColumnData::Text(vec![Some("[]".into()), None]),
            ColumnData::Float(vec![Some(1.5), None]),
            ColumnData::Float(vec![Some(-2.0), None]),
            ColumnData::Timestamp(vec![DateTime::from_timestamp(946_684_801, 0), None]),
            ColumnData::Date(vec![NaiveDate::from_ymd_opt(2000, 1, 2), None]),
            ColumnData::Uuid(vec![Some(uuid::Uuid::from_u128(0x0102)), None]),
            ColumnData::Bytes(vec![Some(vec![0xde, 0xad]), None]),
        ];
        let mut out = Vec::new();
        encode_binary(&columns, &data, 2, &mut out);
        let expected = [
            // Signature, flags, header extension length.
            "50 47 43 4f 50 59 0a ff 0d 0a 00  00000000  00000000",
            // Row 1: 13 fields.
            "000d",
            "00000004 00000001",         // integer 1
            "00000002 fffe",             // smallint -2
            "00000008 ffffffffffffffff", // bigint -1
            "00000001 01",               // true
            "00000002 c3a9",             // "é" in UTF-8
            "00000003 01 7b7d",          // jsonb: version 1, then "{}"
            "00000002 5b5d",             // json: the text "[]"
            "00000004 3fc00000",         // real 1.5
            "00000008 c000000000000000", // double -2.0
            "00000008 00000000000f4240", // 1 s after 2000-01-01, in µs
            "00000004 00000001",         // 1 day after 2000-01-01
            "00000010 00000000000000000000000000000102",
            "00000002 dead",
            // Row 2: NULL is length -1 with no bytes.
            "000d",
            "ffffffff 00000002 0003 ffffffff 00000001 00",
            "ffffffff ffffffff ffffffff ffffffff ffffffff",
            "ffffffff ffffffff ffffffff ffffffff",
            // Trailer.
            "ffff",
        ];
        assert_eq!(out, hex(&expected.join(" ")));
    }

    #[test]
    fn a_batch_for_the_table_becomes_one_for_the_stage() {
        let target = [
            column("id", Kind::Int(64), "bigint"),
            column("doc", Kind::Json, "jsonb"),
            column("j", Kind::Json, "json"),
        ];
        let stage = [
            column("id", Kind::Int(64), "bigint"),
            column("doc", Kind::Json, "text"),
            column("j", Kind::Json, "text"),
        ];
        let data = [
            ColumnData::Int(vec![Some(1), None, Some(3)]),
            ColumnData::Text(vec![Some(r#"{"a": 1}"#.into()), Some("[]".into()), None]),
            ColumnData::Text(vec![Some("{}".into()), None, Some("1".into())]),
        ];
        let (mut for_target, mut for_stage) = (Vec::new(), Vec::new());
        encode_binary(&target, &data, 3, &mut for_target);
        encode_binary(&stage, &data, 3, &mut for_stage);
        assert_ne!(for_target, for_stage);
        assert_eq!(jsonb_as_text(&target, &for_target), for_stage);
        assert_eq!(jsonb_as_text(&stage, &for_stage), for_stage);
    }

    #[test]
    fn no_rows_is_header_and_trailer() {
        let mut out = Vec::new();
        encode_binary(
            &[column("n", Kind::Int(32), "integer")],
            &[ColumnData::Int(vec![])],
            0,
            &mut out,
        );
        assert_eq!(
            out,
            hex("50 47 43 4f 50 59 0a ff 0d 0a 00 00000000 00000000 ffff")
        );
    }
}
