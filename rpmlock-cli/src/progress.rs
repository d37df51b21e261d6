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

/// Stderr for log lines: written with the bars hidden, so lines never interleave
/// with a half-drawn bar.
pub(crate) struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match MULTI.get() {
            Some(m) => m.suspend(|| std::io::stderr().write_all(buf))?,
            None => std::io::stderr().write_all(buf)?,
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

    /// A new, empty bar for `repoid`, added below the others.
    fn bar(&self, repoid: &str) -> ProgressBar {
        let bar = self.multi.add(ProgressBar::new(0));
        bar.set_style(
            ProgressStyle::with_template(
                "{prefix:>20.bold} [{bar:30}] {bytes:>10}/{total_bytes:<10} {msg}",
            )
            .expect("a valid template")
            .progress_chars("=> "),
        );
        bar.set_prefix(repoid.to_string());
        bar
    }
}

impl Reporter for Bars {
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
            bar.inc_length(t);
        }
        bar.set_message(url.rsplit('/').next().unwrap_or(url).to_string());
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
}
