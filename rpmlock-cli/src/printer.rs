//! Diagnostics on stderr: log lines and error chains.

use std::error::Error as StdError;

use rpmlock_core::Error;
use tracing_subscriber::EnvFilter;

/// Logs go to stderr; `RPMLOCK_LOG` (an `EnvFilter` spec) overrides the level.
pub(crate) fn init_logging(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        _ => "trace",
    };
    // rustls-platform-verifier logs every rejected certificate at error level; the
    // error rpmlock reports says it better.
    let filter = EnvFilter::try_from_env("RPMLOCK_LOG")
        .unwrap_or_else(|_| EnvFilter::new(format!("{level},rustls_platform_verifier=off")));
    // Colour only on a terminal (and never with NO_COLOR set).
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| crate::progress::LogWriter)
        .with_ansi(colour)
        .with_target(false);
    // Debug output carries the time since start, for seeing where a run spends it.
    if verbose >= 2 || std::env::var_os("RPMLOCK_LOG").is_some() {
        builder
            .with_timer(tracing_subscriber::fmt::time::uptime())
            .init();
    } else {
        builder.without_time().init();
    }
}

/// Prints `error: ...` and the whole `Caused by:` chain (for several failed arches,
/// each one's); returns the exit code.
pub(crate) fn print_error(err: &Error) -> u8 {
    if let Error::Arches { errors } = err {
        for e in errors {
            print_error(e);
        }
        eprintln!("error: {} arches failed", errors.len());
        return if err.is_user_failure() { 1 } else { 2 };
    }
    let mut text = format!("error: {err}");
    let mut source = err.source();
    if source.is_some() {
        text.push_str("\n\nCaused by:");
    }
    while let Some(cause) = source {
        let msg = cause.to_string();
        let mut lines = msg.lines();
        if let Some(first) = lines.next() {
            text.push_str(&format!("\n    {first}"));
        }
        for l in lines {
            text.push_str(&format!("\n    {l}"));
        }
        source = cause.source();
    }
    eprintln!("{text}");
    if err.is_user_failure() { 1 } else { 2 }
}
