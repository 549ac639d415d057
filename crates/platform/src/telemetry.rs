//! Log output: JSON lines for machines or a compact pretty format for people — by default the
//! one that suits where stderr goes (a terminal: pretty; a file, a pipe, journald: JSON).
//!
//! What gets logged is decided elsewhere (the access line in [`crate::observe`], errors at their
//! source); here we only choose the format and the filter. Request fields are carried by the
//! request span, so every line written while serving a request names its request id.

use std::io::Write;

use tracing::Subscriber;
use tracing_subscriber::{
    EnvFilter, fmt::MakeWriter, layer::SubscriberExt, util::SubscriberInitExt,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Pretty on a terminal, JSON anywhere else.
    #[default]
    Auto,
    Pretty,
    Json,
}

impl LogFormat {
    /// The format to write when stderr is (`terminal`) or is not a terminal.
    pub fn resolve(self, terminal: bool) -> LogFormat {
        match self {
            LogFormat::Auto if terminal => LogFormat::Pretty,
            LogFormat::Auto => LogFormat::Json,
            f => f,
        }
    }
}

/// A subscriber writing to `writer` (not a terminal: no colour codes, `Auto` is JSON); `filter` is
/// an `EnvFilter` directive such as `"info"`.
pub fn subscriber<W>(
    format: LogFormat,
    filter: &str,
    writer: W,
) -> Box<dyn Subscriber + Send + Sync>
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    build(format, filter, writer, false)
}

/// [`subscriber`], with terminal colours in the pretty format when `ansi`.
fn build<W>(
    format: LogFormat,
    filter: &str,
    writer: W,
    ansi: bool,
) -> Box<dyn Subscriber + Send + Sync>
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
    match format.resolve(ansi) {
        LogFormat::Json => Box::new(
            registry.with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_current_span(true)
                    .with_span_list(false)
                    .with_writer(writer),
            ),
        ),
        LogFormat::Pretty | LogFormat::Auto => Box::new(
            registry.with(
                tracing_subscriber::fmt::layer()
                    .compact()
                    .with_ansi(ansi)
                    .with_writer(writer),
            ),
        ),
    }
}

/// Install the process-wide subscriber writing to stderr. `RUST_LOG` overrides `default_filter`.
/// On a terminal: colours, and `Auto` is pretty; a file, a pipe or journald gets no colour codes,
/// and `Auto` writes JSON lines.
pub fn init(format: LogFormat, default_filter: &str) {
    use std::io::IsTerminal;
    let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| default_filter.to_owned());
    let ansi = std::io::stderr().is_terminal();
    let _ = build(format, &filter, std::io::stderr, ansi).try_init();
}

/// An in-memory log sink for tests that assert on what was (not) logged.
#[derive(Clone, Default)]
pub struct CapturedLogs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl CapturedLogs {
    pub fn contents(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("log buffer")).into_owned()
    }
}

impl Write for CapturedLogs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for CapturedLogs {
    type Writer = CapturedLogs;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pretty_format_writes_no_colour_codes_where_no_terminal_reads_it() {
        let logs = CapturedLogs::default();
        let sub = subscriber(LogFormat::Pretty, "info", logs.clone());
        tracing::subscriber::with_default(sub, || tracing::info!(user = "x", "hello"));
        let text = logs.contents();
        assert!(text.contains("hello"), "{text}");
        assert!(!text.contains('\x1b'), "{text:?}");
    }

    #[test]
    fn auto_writes_json_where_no_terminal_reads_it_and_pretty_on_one() {
        assert_eq!(LogFormat::Auto.resolve(false), LogFormat::Json);
        assert_eq!(LogFormat::Auto.resolve(true), LogFormat::Pretty);
        assert_eq!(LogFormat::Pretty.resolve(false), LogFormat::Pretty);
        let logs = CapturedLogs::default();
        let sub = subscriber(LogFormat::Auto, "info", logs.clone());
        tracing::subscriber::with_default(sub, || tracing::info!(user = "x", "hello"));
        let line: serde_json::Value = serde_json::from_str(logs.contents().trim()).unwrap();
        assert_eq!(line["fields"]["message"], "hello");
    }
}
