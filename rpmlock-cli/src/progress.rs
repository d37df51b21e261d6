//! Download progress bars, one per repository, drawn only when stderr is a terminal
//! (and `--quiet` is not given). Log lines are printed above the bars.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex, OnceLock};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use rpmlock_core::reporter::{NoopReporter, Reporter};

/// The bars of this process, once any are shown; log output suspends them.
static MULTI: OnceLock<MultiProgress> = OnceLock::new();

/// The reporter for this run: bars on a terminal, nothing otherwise.
pub(crate) fn reporter(quiet: bool) -> Arc<dyn Reporter> {
    if quiet || !std::io::stderr().is_terminal() {
        return Arc::new(NoopReporter);
    }
    let multi = MULTI.get_or_init(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
    Arc::new(Bars::new(multi.clone()))
}

/// Whether log lines carry the logger's colours (set once by the logging set-up).
pub(crate) static LOG_COLOUR: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// Stderr for log lines: written with the bars hidden, so lines never interleave
/// with a half-drawn bar, and with control characters from names escaped.
pub(crate) struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        let safe = crate::printer::printable_log(
            &text,
            LOG_COLOUR.load(std::sync::atomic::Ordering::Relaxed),
        );
        match MULTI.get() {
            Some(m) => m.suspend(|| std::io::stderr().write_all(safe.as_bytes()))?,
            None => std::io::stderr().write_all(safe.as_bytes())?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

#[derive(Default)]
struct State {
    /// repoid → its bar and how many of its downloads are running.
    repos: HashMap<String, (ProgressBar, usize)>,
    /// url → repoid.
    urls: HashMap<String, String>,
    /// `fetch`: files in place out of all.
    files: Option<ProgressBar>,
}

/// One bar per repository summing its downloads.
struct Bars {
    multi: MultiProgress,
    state: Mutex<State>,
}

impl Bars {
    fn new(multi: MultiProgress) -> Bars {
        Bars {
            multi,
            state: Mutex::new(State::default()),
        }
    }

    /// A new, empty bar for `repoid`, added below the others: a spinner until a size
    /// is known (never a full bar at `0 B/0 B`), at most 80 columns wide.
    fn bar(&self, repoid: &str) -> ProgressBar {
        let bar = self.multi.add(ProgressBar::no_length());
        bar.set_style(spinner_style());
        bar.set_prefix(shorten(repoid, PREFIX_WIDTH));
        bar
    }
}

/// Columns of the repoid column.
const PREFIX_WIDTH: usize = 20;
/// Columns of the message column (data types, retries).
const MESSAGE_WIDTH: usize = 24;
const _: () = assert!(PREFIX_WIDTH == 20, "the templates say 20");

fn spinner_style() -> ProgressStyle {
    ProgressStyle::with_template("{prefix:>20.bold} {spinner} {bytes:>10} {msg}")
        .expect("a valid template")
}

/// Repoid (20) + bar (22) + bytes (19) + message: 62 columns before the message,
/// which names a data type (a few characters) or a retry (cut to 24).
fn bar_style() -> ProgressStyle {
    ProgressStyle::with_template("{prefix:>20.bold} [{bar:20}] {bytes:>9}/{total_bytes:<9} {msg}")
        .expect("a valid template")
        .progress_chars("=> ")
}

/// `s` cut to `width` characters (with `…`).
fn shorten(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_string()
    } else {
        let cut: String = s.chars().take(width.saturating_sub(1)).collect();
        let mut out = cut.trim_end().to_string();
        out.push('…');
        out
    }
}

/// What a repository URL downloads, for the bar: `repomd`, `primary`, `filelists`,
/// `modules`, `group`, ... (the data type, not the long hashed file name), or the
/// file name for anything else.
fn data_kind(url: &str) -> String {
    let file = url.rsplit('/').next().unwrap_or(url);
    let mut stem = file;
    for ext in [
        ".gz", ".xz", ".bz2", ".zst", ".zck", ".xml", ".yaml", ".sqlite",
    ] {
        stem = stem.strip_suffix(ext).unwrap_or(stem);
    }
    // createrepo_c's `<checksum>-<type>` names.
    let kind = match stem.split_once('-') {
        Some((hash, rest)) if hash.len() >= 32 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
            rest
        }
        _ => stem,
    };
    shorten(kind, MESSAGE_WIDTH)
}

/// `fetch`'s files bar: files in place out of all, with the bytes to fetch in all.
fn files_style() -> ProgressStyle {
    ProgressStyle::with_template("{prefix:>20.bold} [{bar:20}] {pos:>5}/{len:<5} files {msg}")
        .expect("a valid template")
        .progress_chars("=> ")
}

impl Reporter for Bars {
    fn fetch_started(&self, files: usize, bytes: u64) {
        let bar = self.multi.add(ProgressBar::new(files as u64));
        bar.set_style(files_style());
        bar.set_prefix("all");
        bar.set_message(format!("({})", indicatif::HumanBytes(bytes)));
        self.state.lock().expect("progress state").files = Some(bar);
    }

    fn file_fetched(&self, _arch: &str, _repoid: &str, _path: &std::path::Path, _downloaded: bool) {
        let st = self.state.lock().expect("progress state");
        if let Some(bar) = &st.files {
            bar.inc(1);
            if bar.length().is_some_and(|l| bar.position() >= l) {
                bar.finish_and_clear();
            }
        }
    }

    fn download_started(&self, repoid: &str, url: &str, total: Option<u64>) {
        let mut st = self.state.lock().expect("progress state");
        let (bar, running) = st
            .repos
            .entry(repoid.to_string())
            .or_insert_with(|| (self.bar(repoid), 0));
        if bar.is_finished() {
            // A later download of a repo whose bar was cleared.
            *bar = self.bar(repoid);
        }
        *running += 1;
        if let Some(t) = total {
            if bar.length().is_none() {
                bar.set_length(0);
                bar.set_style(bar_style());
            }
            bar.inc_length(t);
        }
        bar.set_message(data_kind(url));
        st.urls.insert(url.to_string(), repoid.to_string());
    }

    fn download_progress(&self, url: &str, bytes: u64) {
        let st = self.state.lock().expect("progress state");
        if let Some((bar, _)) = st.urls.get(url).and_then(|r| st.repos.get(r)) {
            if bar.length().is_some_and(|l| bar.position() + bytes > l) {
                bar.inc_length(bar.position() + bytes - bar.length().unwrap_or(0));
            }
            bar.inc(bytes);
        }
    }

    fn download_retrying(
        &self,
        repoid: &str,
        _url: &str,
        attempt: u32,
        retries: u32,
        reason: &str,
    ) {
        let st = self.state.lock().expect("progress state");
        if let Some((bar, _)) = st.repos.get(repoid) {
            bar.set_message(shorten(
                &format!("retry {attempt}/{retries}: {reason}"),
                MESSAGE_WIDTH,
            ));
        }
    }

    fn download_finished(&self, url: &str) {
        let mut st = self.state.lock().expect("progress state");
        let Some(repoid) = st.urls.remove(url) else {
            return;
        };
        if let Some((bar, running)) = st.repos.get_mut(&repoid) {
            *running = running.saturating_sub(1);
            if *running == 0 {
                bar.finish_and_clear();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_name_the_data_type_and_stay_narrow() {
        assert_eq!(
            data_kind(
                "http://h/r/repodata/0f3c9d1b2e4a5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8-primary.xml.gz"
            ),
            "primary"
        );
        assert_eq!(
            data_kind("http://h/r/repodata/abcdef0123456789abcdef0123456789-modules.yaml.zst"),
            "modules"
        );
        assert_eq!(data_kind("http://h/r/repodata/repomd.xml"), "repomd");
        assert_eq!(data_kind("http://h/r/repodata/comps-f40.xml"), "comps-f40");
        assert_eq!(
            shorten("a-very-long-repository-id-for-x86_64", 20)
                .chars()
                .count(),
            20
        );
        // Unknown size: no bar drawn full at 0 B/0 B.
        let bars = Bars::new(MultiProgress::with_draw_target(ProgressDrawTarget::hidden()));
        bars.download_started("base", "http://h/base/repodata/repomd.xml", None);
        assert_eq!(bars.state.lock().unwrap().repos["base"].0.length(), None);
        bars.download_retrying(
            "base",
            "http://h/base/repodata/repomd.xml",
            1,
            4,
            "HTTP status 503",
        );
        assert_eq!(
            bars.state.lock().unwrap().repos["base"].0.message(),
            "retry 1/4: HTTP status…"
        );
    }

    #[test]
    fn one_bar_per_repo_sums_its_downloads() {
        let bars = Bars::new(MultiProgress::with_draw_target(ProgressDrawTarget::hidden()));
        bars.download_started("base", "http://h/base/repodata/p.xml.gz", Some(100));
        bars.download_started("base", "http://h/base/repodata/f.xml.gz", Some(50));
        bars.download_started("updates", "http://h/u/repodata/p.xml.gz", None);
        bars.download_progress("http://h/base/repodata/p.xml.gz", 60);
        bars.download_progress("http://h/base/repodata/f.xml.gz", 50);
        bars.download_progress("http://h/u/repodata/p.xml.gz", 7);
        {
            let st = bars.state.lock().unwrap();
            let (base, running) = &st.repos["base"];
            assert_eq!(
                (base.position(), base.length(), *running),
                (110, Some(150), 2)
            );
            assert_eq!(st.repos["updates"].0.position(), 7);
        }
        bars.download_finished("http://h/base/repodata/f.xml.gz");
        assert!(!bars.state.lock().unwrap().repos["base"].0.is_finished());
        bars.download_finished("http://h/base/repodata/p.xml.gz");
        assert!(bars.state.lock().unwrap().repos["base"].0.is_finished());
    }

    #[test]
    fn fetch_counts_files() {
        let bars = Bars::new(MultiProgress::with_draw_target(ProgressDrawTarget::hidden()));
        bars.fetch_started(2, 300);
        bars.file_fetched("x86_64", "base", std::path::Path::new("a.rpm"), false);
        {
            let st = bars.state.lock().unwrap();
            let files = st.files.as_ref().unwrap();
            assert_eq!((files.position(), files.length()), (1, Some(2)));
            assert!(!files.is_finished());
        }
        bars.file_fetched("x86_64", "base", std::path::Path::new("b.rpm"), true);
        assert!(
            bars.state
                .lock()
                .unwrap()
                .files
                .as_ref()
                .unwrap()
                .is_finished()
        );
    }
}
