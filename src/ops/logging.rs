//! Log output: readable lines (the default) or, with `LOG_FORMAT=json`, one JSON object per
//! line with every field at the top level, for a log pipeline. Either way no line ever holds a
//! token or a session id: sessions appear as a keyed hash (`session`), security events carry
//! an `event` field (`refresh_reuse`, `login_failed`, `login_throttled`, `session_ended`, …).

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the process's log output, on standard error (standard output carries only the
/// "listening on" lines). `RUST_LOG` filters it (default `info`).
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Colours only for a person at a terminal, never into a file or a pipeline.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .try_init(),
    };
}
