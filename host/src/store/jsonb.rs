//! jsonb's own text: a JSON document rewritten as PostgreSQL prints the jsonb
//! it stores, so that the stage can tell an unchanged document by comparing
//! text (`cur.doc::text = s.doc`) instead of parsing every staged document
//! into jsonb.
//!
//! The rewrite never changes the value the database stores: jsonb keeps an
//! object's keys sorted (shorter first, then bytewise) and only the last of
//! duplicate keys, and prints `": "` after a key and `", "` between members.
//! Tokens whose printed form depends on the server are left as written:
//! numbers (`1e2` prints as `100`) and `\u` escapes of non-ASCII characters
//! (their bytes depend on the database's encoding). Such a document prints
//! differently from its text, and the stage then compares it as jsonb, as it
//! would any document: the rewrite is an optimisation, never a condition.

/// The document as PostgreSQL prints it as jsonb, or `None` when `text` is not
/// JSON (it is then sent as written, for the database to refuse) or has a key
/// with a `\u` escape left as written: such a key's place among the others,
/// and which of two equal keys comes last, are the database's to decide, so
/// the document is sent as written.
pub fn canonical(text: &str) -> Option<String> {
    let mut parser = Parser {
        s: text.as_bytes(),
        i: 0,
    };
    let mut out = Vec::with_capacity(text.len() + 16);
    parser.space();
    parser.value(&mut out, 0)?;
    parser.space();
    if parser.i != parser.s.len() {
        return None;
    }
    // Bytes are copied whole from `text` or are ASCII: still UTF-8.
    String::from_utf8(out).ok()
}

/// Past this depth a document is left as written (serde_json's own limit).
const MAX_DEPTH: usize = 128;

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

/// One member of an object: its key's bytes (for the order and for telling
/// duplicates), then its key and value as printed.
struct Member {
    key: Vec<u8>,
    printed: Vec<u8>,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        self.i += usize::from(found);
        found
    }

    fn value(&mut self, out: &mut Vec<u8>, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'{' => self.object(out, depth),
            b'[' => self.array(out, depth),
            b'"' => self.string(out).map(drop),
            b't' => self.literal(out, b"true"),
            b'f' => self.literal(out, b"false"),
            b'n' => self.literal(out, b"null"),
            _ => self.number(out),
        }
    }

    fn object(&mut self, out: &mut Vec<u8>, depth: usize) -> Option<()> {
        self.i += 1;
        self.space();
        let mut members: Vec<Member> = Vec::new();
        if !self.eat(b'}') {
            loop {
                self.space();
                let mut printed = Vec::new();
                let (key, exact) = self.string(&mut printed)?;
                if !exact {
                    return None;
                }
                self.space();
                if !self.eat(b':') {
                    return None;
                }
                self.space();
                printed.extend_from_slice(b": ");
                self.value(&mut printed, depth + 1)?;
                members.push(Member { key, printed });
                self.space();
                if self.eat(b'}') {
                    break;
                }
                if !self.eat(b',') {
                    return None;
                }
            }
        }
        // Stable: of equal keys, the last written sorts last, and is kept.
        members.sort_by(|a, b| (a.key.len(), &a.key).cmp(&(b.key.len(), &b.key)));
        let mut kept: Vec<&Member> = Vec::with_capacity(members.len());
        for member in &members {
            match kept.last_mut() {
                Some(last) if last.key == member.key => *last = member,
                _ => kept.push(member),
            }
        }
        out.push(b'{');
        for (n, member) in kept.iter().enumerate() {
            if n > 0 {
                out.extend_from_slice(b", ");
            }
            out.extend_from_slice(&member.printed);
        }
        out.push(b'}');
        Some(())
    }

    fn array(&mut self, out: &mut Vec<u8>, depth: usize) -> Option<()> {
        self.i += 1;
        self.space();
        out.push(b'[');
        if !self.eat(b']') {
            loop {
                self.space();
                self.value(out, depth + 1)?;
                self.space();
                if self.eat(b']') {
                    break;
                }
                if !self.eat(b',') {
                    return None;
                }
                out.extend_from_slice(b", ");
            }
        }
        out.push(b']');
        Some(())
    }

    fn literal(&mut self, out: &mut Vec<u8>, word: &[u8]) -> Option<()> {
        if !self.s[self.i..].starts_with(word) {
            return None;
        }
        self.i += word.len();
        out.extend_from_slice(word);
        Some(())
    }

    /// A number, checked against JSON's grammar and printed as written.
    fn number(&mut self, out: &mut Vec<u8>) -> Option<()> {
        let start = self.i;
        self.eat(b'-');
        match self.peek()? {
            b'0' => self.i += 1,
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.eat(b'.') {
            self.some_digits()?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            self.some_digits()?;
        }
        out.extend_from_slice(&self.s[start..self.i]);
        Some(())
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
    }

    fn some_digits(&mut self) -> Option<()> {
        let start = self.i;
        self.digits();
        (self.i > start).then_some(())
    }

    /// A string, printed as jsonb prints it; returns its bytes, and whether
    /// they are exactly the database's (no `\u` escape left as written).
    fn string(&mut self, out: &mut Vec<u8>) -> Option<(Vec<u8>, bool)> {
        if !self.eat(b'"') {
            return None;
        }
        let mut key = Vec::new();
        let mut exact = true;
        out.push(b'"');
        loop {
            let byte = self.peek()?;
            self.i += 1;
            match byte {
                b'"' => break,
                b'\\' => {
                    let escape = self.peek()?;
                    self.i += 1;
                    let ch = match escape {
                        b'"' | b'\\' | b'/' => escape,
                        b'b' => 0x08,
                        b'f' => 0x0c,
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'u' => {
                            let hex = self.s.get(self.i..self.i + 4)?;
                            if !hex.iter().all(u8::is_ascii_hexdigit) {
                                return None;
                            }
                            let hex = std::str::from_utf8(hex).ok()?;
                            let code = u16::from_str_radix(hex, 16).ok()?;
                            self.i += 4;
                            // NUL and non-ASCII stay escaped: the database
                            // decides what they become.
                            if code == 0 || code >= 0x80 {
                                out.extend_from_slice(&self.s[self.i - 6..self.i]);
                                exact = false;
                                continue;
                            }
                            code as u8
                        }
                        _ => return None,
                    };
                    key.push(ch);
                    escaped(ch, out);
                }
                0x00..=0x1f => return None,
                _ => {
                    key.push(byte);
                    out.push(byte);
                }
            }
        }
        out.push(b'"');
        Some((key, exact))
    }
}

/// An ASCII character as `escape_json` prints it.
fn escaped(ch: u8, out: &mut Vec<u8>) {
    match ch {
        b'"' => out.extend_from_slice(b"\\\""),
        b'\\' => out.extend_from_slice(b"\\\\"),
        0x08 => out.extend_from_slice(b"\\b"),
        0x0c => out.extend_from_slice(b"\\f"),
        b'\n' => out.extend_from_slice(b"\\n"),
        b'\r' => out.extend_from_slice(b"\\r"),
        b'\t' => out.extend_from_slice(b"\\t"),
        0x00..=0x1f => out.extend_from_slice(format!("\\u{ch:04x}").as_bytes()),
        _ => out.push(ch),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn prints_as_jsonb_does() {
        let cases = [
            (
                r#"{"score":432,"source":"bench"}"#,
                r#"{"score": 432, "source": "bench"}"#,
            ),
            (r#"{"bb":1,"a":2,"ab":3}"#, r#"{"a": 2, "ab": 3, "bb": 1}"#),
            (r#"{"a":1,"a":2}"#, r#"{"a": 2}"#),
            (" [ 1 , [] , {} , null , true ] ", "[1, [], {}, null, true]"),
            (r#""tab\there\/\u0041\u001F""#, r#""tab\there/A\u001f""#),
            (r#"{"k":"\u00e9 é"}"#, r#"{"k": "\u00e9 é"}"#),
            (r#"{"é":1,"A":2,"\u0041":3}"#, r#"{"A": 3, "é": 1}"#),
            ("-0.5e+10", "-0.5e+10"),
            ("\"\\u0000\"", "\"\\u0000\""),
        ];
        for (text, printed) in cases {
            assert_eq!(canonical(text).as_deref(), Some(printed), "{text}");
        }
    }

    #[test]
    fn leaves_as_written_what_is_not_json_or_not_certain() {
        for text in [
            "",
            "{",
            "[1,]",
            "{\"a\" 1}",
            "01",
            "1.",
            "-",
            "+1",
            "tru",
            "\"a",
            "\"\u{1}\"",
            "\"\\x\"",
            "\"\\u12\"",
            "\"\\u+041\"",
            "[1] 2",
            "{1: 2}",
            "NaN",
        ] {
            assert_eq!(canonical(text), None, "{text:?}");
        }
        let deep = "[".repeat(MAX_DEPTH + 2) + &"]".repeat(MAX_DEPTH + 2);
        assert_eq!(canonical(&deep), None);
        // Which of two equal keys is last is the database's to decide when
        // one is escaped: "\u00e9" is "é", and here the last, 1, wins.
        assert_eq!(canonical(r#"{"\u00e9":2,"é":1}"#), None);
    }

    fn document() -> impl Strategy<Value = serde_json::Value> {
        use serde_json::Value as J;
        let leaf = prop_oneof![
            Just(J::Null),
            any::<bool>().prop_map(J::Bool),
            any::<i64>().prop_map(J::from),
            (-1e9f64..1e9).prop_map(J::from),
            "[a-c\"\\\\/\t\u{1}é]{0,4}".prop_map(J::String),
        ];
        leaf.prop_recursive(4, 32, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(J::Array),
                prop::collection::vec(("[a-c]{0,3}", inner), 0..5)
                    .prop_map(|members| J::Object(members.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// The rewrite keeps the value, and is its own fixed point.
        #[test]
        fn keeps_the_value(doc in document(), pretty in any::<bool>()) {
            let text = if pretty {
                serde_json::to_string_pretty(&doc).unwrap()
            } else {
                doc.to_string()
            };
            let printed = canonical(&text).expect("JSON");
            let back: serde_json::Value = serde_json::from_str(&printed).unwrap();
            prop_assert_eq!(&back, &doc);
            let again = canonical(&printed);
            prop_assert_eq!(again.as_deref(), Some(printed.as_str()));
        }
    }
}
