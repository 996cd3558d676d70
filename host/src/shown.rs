//! Text from a plugin, made safe to show: a plugin's errors, logs, output and
//! the names it sends reach terminals, log files and JUnit reports, where a
//! control character could set a terminal's title, clear its screen, write its
//! clipboard or forge a log line, and a huge name could flood the report.

/// The most characters of one piece of plugin text that are shown.
pub const MAX_CHARS: usize = 2_000;

/// `text` with every control character (and the Unicode direction overrides)
/// escaped as `\n`, `\t`, `\u{1b}`…, cut after `max_chars` characters.
pub fn shown(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars.saturating_add(32)));
    for (count, (at, c)) in text.char_indices().enumerate() {
        if count == max_chars {
            out.push_str(&format!("… ({} more bytes)", text.len() - at));
            break;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control()
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') =>
            {
                out.push_str(&format!("\\u{{{:x}}}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_long_text_is_cut() {
        assert_eq!(
            shown("\u{1b}]0;pwned\u{7}ok\nINFO forged\t\u{202e}x", 100),
            "\\u{1b}]0;pwned\\u{7}ok\\nINFO forged\\t\\u{202e}x"
        );
        assert_eq!(shown("naïve café ✓", 100), "naïve café ✓");
        assert_eq!(shown("abcdef", 3), "abc… (3 more bytes)");
        assert_eq!(shown(&"é".repeat(5), 2), "éé… (6 more bytes)");
    }
}
