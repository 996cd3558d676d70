//! A plugin's stdout and stderr: captured, never inherited. Complete lines go
//! to `tracing` under the plugin's name as they arrive; the last ones are kept
//! for the message of a trap (a Rust guest's panic message is printed there,
//! and a JavaScript runtime's complaint, its stack and its abort).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

use crate::shown::shown;

/// A plugin's stdout or stderr: complete lines go to `tracing` as they arrive.
#[derive(Clone)]
pub struct LogStream {
    plugin: Arc<str>,
    stream: &'static str,
    pending: Arc<Mutex<Vec<u8>>>,
    /// The last lines, for error messages.
    recent: Arc<Mutex<VecDeque<String>>>,
}

/// Lines of a stream kept, to find where the last complaint began.
const KEPT_LINES: usize = 64;

/// Lines of it quoted in an error message: its first and its last.
const QUOTED_LINES: usize = 4;

/// What runtimes print on the way down that explains nothing.
const NOISE: [&str; 2] = [
    "note: run with `RUST_BACKTRACE",
    // StarlingMonkey (componentize-js), as it traps.
    "Redirecting call to abort() to mozalloc_abort",
];

/// Lines that introduce a stack trace: they belong to the complaint before.
const STACK_HEADERS: [&str; 3] = [
    "Stack:",
    "stack backtrace:",
    "Traceback (most recent call last):",
];

/// A line longer than this is logged in pieces, so a plugin cannot make the
/// host buffer without bound.
const MAX_LINE: usize = 64 * 1024;

impl LogStream {
    /// The stream called `stream` (stdout, stderr) of `plugin`.
    pub fn new(plugin: Arc<str>, stream: &'static str) -> LogStream {
        LogStream {
            plugin,
            stream,
            pending: Arc::new(Mutex::new(Vec::new())),
            recent: Arc::new(Mutex::new(VecDeque::with_capacity(KEPT_LINES))),
        }
    }

    /// The last lines written, for an error message: at most
    /// [`QUOTED_LINES`], without runtime noise or blank lines. When they are
    /// the middle of a complaint (a stack trace: indented lines, or a stack
    /// header), the line it began with is quoted first, then `…`, then the
    /// last lines: a runtime's words above its stack are what explains.
    pub fn recent(&self) -> Vec<String> {
        let recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        let lines: Vec<&String> = recent
            .iter()
            .filter(|l| !l.trim().is_empty() && !NOISE.iter().any(|n| l.starts_with(n)))
            .collect();
        let begins = |l: &str| {
            !l.starts_with([' ', '\t']) && !STACK_HEADERS.iter().any(|h| l.starts_with(h))
        };
        let tail = lines.len().saturating_sub(QUOTED_LINES);
        let quoted = |ls: &[&String]| ls.iter().map(|l| l.to_string()).collect::<Vec<_>>();
        // Only a stack that is still going at the end (the runtime's words
        // are above it) sends us looking back.
        let in_stack = lines.last().is_some_and(|last| !begins(last));
        if !in_stack || lines.get(tail).is_none_or(|first| begins(first)) {
            return quoted(&lines[tail..]);
        }
        match lines[..tail].iter().rposition(|l| begins(l)) {
            Some(origin) => {
                let mut said = vec![lines[origin].to_string(), "…".to_owned()];
                said.extend(quoted(&lines[tail + 1..]));
                said
            }
            None => quoted(&lines[tail..]),
        }
    }

    fn emit(&self, line: &[u8]) {
        let text = String::from_utf8_lossy(line);
        let text = text.trim_end_matches('\r');
        let logged = shown(text, MAX_LINE);
        tracing::info!(target: "plugin", plugin = &*self.plugin, stream = self.stream, "{logged}");
        // Blank lines say nothing in a trap's message: they keep no place.
        if text.trim().is_empty() {
            return;
        }
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        if recent.len() == KEPT_LINES {
            recent.pop_front();
        }
        recent.push_back(shown(text, 500));
    }

    fn write_bytes(&self, bytes: &[u8]) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        pending.extend_from_slice(bytes);
        while let Some(end) = pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            self.emit(&line[..line.len() - 1]);
        }
        if pending.len() > MAX_LINE {
            let chunk: Vec<u8> = std::mem::take(&mut *pending);
            self.emit(&chunk);
        }
    }

    /// Logs what is left of an unfinished last line.
    pub fn flush_partial(&self) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        if !pending.is_empty() {
            let rest = std::mem::take(&mut *pending);
            self.emit(&rest);
        }
    }
}

impl IsTerminal for LogStream {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for LogStream {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[async_trait::async_trait]
impl Pollable for LogStream {
    async fn ready(&mut self) {}
}

impl OutputStream for LogStream {
    fn write(&mut self, bytes: bytes::Bytes) -> StreamResult<()> {
        self.write_bytes(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(MAX_LINE)
    }
}

impl tokio::io::AsyncWrite for LogStream {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        self.write_bytes(buf);
        std::task::Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_lines_without_blanks_or_the_backtrace_hint() {
        let stream = LogStream::new(Arc::from("p"), "stderr");
        stream.write_bytes(b"  one\n  two\n\n");
        stream.write_bytes(b"  thr");
        stream.write_bytes(b"ee\r\nnote: run with `RUST_BACKTRACE=1` to see more\n  four\n  five");
        // (Indented lines with nothing at the margin before them: the last.)
        // Lines arrive whole, however the bytes were split; "five" is not a
        // line until it is flushed. Blank lines take no place among the last.
        assert_eq!(stream.recent(), ["  one", "  two", "  three", "  four"]);
        stream.flush_partial();
        assert_eq!(stream.recent(), ["  two", "  three", "  four", "  five"]);
    }

    fn said(text: &str) -> Vec<String> {
        let stream = LogStream::new(Arc::from("p"), "stderr");
        stream.write_bytes(text.as_bytes());
        stream.recent()
    }

    #[test]
    fn a_javascript_complaint_keeps_its_first_line_above_the_stack_and_the_abort() {
        // What a raw componentize-js component prints when `run` throws.
        let quoted = said(
            "warming up\n\
             expected a string, received [object]\n\
             Stack:\n  run@plugin.js:3:11\n  @plugin.js:9:1\n  wrap@plugin.js:12:5\n\
             Redirecting call to abort() to mozalloc_abort\n",
        );
        assert_eq!(
            quoted,
            [
                "expected a string, received [object]",
                "…",
                "  run@plugin.js:3:11",
                "  @plugin.js:9:1",
                "  wrap@plugin.js:12:5"
            ]
        );
    }

    #[test]
    fn rust_panics_and_python_tracebacks_are_quoted_whole() {
        assert_eq!(
            said(
                "thread '<unnamed>' panicked at src/lib.rs:9:5:\nboom\nnote: run with `RUST_BACKTRACE=1`\n"
            ),
            ["thread '<unnamed>' panicked at src/lib.rs:9:5:", "boom"]
        );
        assert_eq!(
            said(
                "Traceback (most recent call last):\n  File \"app.py\", line 3\nValueError: boom\n"
            ),
            [
                "Traceback (most recent call last):",
                "  File \"app.py\", line 3",
                "ValueError: boom"
            ]
        );
        assert_eq!(said("1\n2\n3\n4\n5\n"), ["2", "3", "4", "5"]);
        // A complaint that ends at the margin is quoted from the end.
        assert_eq!(
            said(
                "DeprecationWarning: x\nTraceback (most recent call last):\n  a\n  b\n  c\nValueError: boom\n"
            ),
            ["  a", "  b", "  c", "ValueError: boom"]
        );
    }

    #[test]
    fn an_endless_line_is_logged_in_pieces() {
        let stream = LogStream::new(Arc::from("p"), "stdout");
        stream.write_bytes(&vec![b'x'; MAX_LINE + 1]);
        assert!(stream.pending.lock().unwrap().is_empty());
        let recent = stream.recent();
        assert_eq!(recent.len(), 1);
        // Kept lines are cut to 500 characters.
        assert!(recent[0].starts_with(&"x".repeat(500)));
        assert!(
            recent[0].ends_with("… (65037 more bytes)"),
            "{}",
            &recent[0][490..]
        );
    }
}
