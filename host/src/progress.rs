//! Progress on a terminal: a spinner per running plugin counting the rows its
//! settled batches wrote. Log lines go through the same place, so a line is
//! printed with the spinners out of the way instead of over them.

use std::io::Write;
use std::sync::OnceLock;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

fn bars() -> &'static MultiProgress {
    static BARS: OnceLock<MultiProgress> = OnceLock::new();
    BARS.get_or_init(MultiProgress::new)
}

/// A spinner for `plugin`, drawn on stderr until it is finished.
pub fn spinner(plugin: &str) -> ProgressBar {
    let bar = bars().add(ProgressBar::new_spinner().with_prefix(plugin.to_owned()));
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} {prefix}: {human_pos} rows upserted, {elapsed}")
    {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// A bar counting `len` things done (`what`: `targets`), drawn on stderr.
pub fn counter(len: u64, what: &str) -> ProgressBar {
    let bar = bars().add(ProgressBar::new(len).with_prefix(what.to_owned()));
    if let Ok(style) = ProgressStyle::with_template("{bar:32} {pos}/{len} {prefix} done, {elapsed}")
    {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// stderr for `tracing`, with the spinners suspended while a line is written.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        let scrubbed = crate::redact::scrub(&text);
        bars().suspend(|| std::io::stderr().write_all(scrubbed.as_bytes()))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogWriter {
    type Writer = LogWriter;

    fn make_writer(&'a self) -> Self::Writer {
        *self
    }
}
