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
    crate::progress::LOG_COLOUR.store(colour, std::sync::atomic::Ordering::Relaxed);
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
    eprintln!("{}", printable(&text));
    if err.is_user_failure() { 1 } else { 2 }
}

/// `text` with control characters (other than newline and tab) shown as `\u{..}`:
/// names from repository metadata or input files must not move the cursor, recolour
/// or retitle the user's terminal.
pub(crate) fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() && c != '\n' && c != '\t' {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Log output made safe for a terminal: control characters escaped as in
/// [`printable`], except the colour sequences (`ESC [ digits ; ... m`) the logger
/// itself writes when `colour` is on.
pub(crate) fn printable_log(text: &str, colour: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\u{1b}' && colour {
            let rest = &text[i + 1..];
            if let Some(body) = rest.strip_prefix('[') {
                let len = body
                    .find(|ch: char| !(ch.is_ascii_digit() || ch == ';'))
                    .unwrap_or(body.len());
                if body[len..].starts_with('m') {
                    out.push_str(&text[i..i + 2 + len + 1]);
                    for _ in 0..len + 2 {
                        chars.next();
                    }
                    continue;
                }
            }
        }
        if c.is_control() && c != '\n' && c != '\t' {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_shown_not_obeyed() {
        assert_eq!(printable("plain\nline\t"), "plain\nline\t");
        assert_eq!(
            printable("a\u{1b}]0;pwned\u{7}b"),
            "a\\u{1b}]0;pwned\\u{7}b"
        );
        assert_eq!(printable("x\ry"), "x\\u{d}y");
        // The logger's own colours pass when colour is on; anything else is escaped.
        assert_eq!(
            printable_log("\u{1b}[33m WARN\u{1b}[0m name\u{1b}[2Jx", true),
            "\u{1b}[33m WARN\u{1b}[0m name\\u{1b}[2Jx"
        );
        assert_eq!(printable_log("\u{1b}[33mx", false), "\\u{1b}[33mx");
    }
}
