//! `rpmlock`: hermetic, pinned RPM lockfiles for container builds.
//!
//! A thin front end over `rpmlock-core`: it parses arguments, sets up logging, runs
//! the command and maps errors to exit codes (0 success, 1 user-facing failure such as
//! an unsolvable request, 2 any other error).

use std::io::Write;

use std::process::ExitCode;

use clap::{ArgAction, Parser, Subcommand};

mod commands;
mod compat;
mod printer;
mod progress;

/// Hermetic, pinned RPM lockfiles for container builds.
#[derive(Debug, Parser)]
#[command(name = "rpmlock", version, about, propagate_version = true)]
struct Cli {
    /// More log output (-v: info, -vv: debug, -vvv: trace).
    #[arg(short, long, action = ArgAction::Count, global = true)]
    verbose: u8,
    /// Only errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Resolve rpms.in.yaml and write rpms.lock.yaml.
    Lock(commands::lock::LockArgs),
    /// Check a root filesystem, an image or a download directory against a lockfile.
    Verify(commands::verify::VerifyArgs),
    /// Download every locked RPM into a local repository tree for an offline build.
    Fetch(commands::fetch::FetchArgs),
    /// Print a CycloneDX or SPDX SBOM of a lockfile.
    Sbom(commands::sbom::SbomArgs),
    /// Print a JSON Schema of rpms.in.yaml.
    Schema,
    /// Show what changed between two lockfiles (`-`: standard input).
    Diff(commands::diff::DiffArgs),
    /// Show why a package is in the lock: the dependency paths from what was
    /// requested (or is installed) to it.
    Why(commands::why::WhyArgs),
}

/// Where a run ended, for the exit code.
pub(crate) enum Outcome {
    Success,
    /// A failure the user must act on (unsolvable, no match).
    Failure,
}

fn main() -> ExitCode {
    // A short-lived process with many short-lived threads and large libsolv pools:
    // one heap arena keeps the peak of multi-arch runs down, and pools read from the
    // cache get huge pages (see the function).
    rpmlock_core::solve::tune_process_heap();
    let cli = match compat::invoked_as_prototype() {
        Some(args) => match compat::translate(args) {
            compat::Translated::Run(argv) => Cli::parse_from(argv),
            compat::Translated::Exit(code) => return code,
        },
        None => Cli::parse(),
    };
    printer::init_logging(cli.verbose, cli.quiet);
    remove_temp_files_on_signals();
    let result = match cli.command {
        Command::Lock(args) => commands::lock::run(args, progress::reporter(cli.quiet), cli.quiet),
        Command::Verify(args) => commands::verify::run(args),
        Command::Diff(args) => commands::diff::run(args),
        Command::Why(args) => commands::why::run(args, progress::reporter(cli.quiet)),
        Command::Fetch(args) => {
            commands::fetch::run(args, progress::reporter(cli.quiet), cli.quiet)
        }
        Command::Sbom(args) => commands::sbom::run(args),
        Command::Schema => {
            write_stdout(rpmlock_core::config::JSON_SCHEMA, "the schema").map(|()| Outcome::Success)
        }
    };
    match result {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Failure) => ExitCode::from(1),
        Err(err) => {
            let code = printer::print_error(&err);
            let _ = std::io::stderr().flush();
            ExitCode::from(code)
        }
    }
}

/// The fetch options the environment sets: `RPMLOCK_RESOLUTION_CACHE=0` turns the
/// resolution cache off; `RPMLOCK_INSECURE_REGISTRIES` lists registries
/// (comma-separated `host[:port]`) spoken to over plain http. (The library reads no
/// environment variables of its own.)
pub(crate) fn fetch_options_from_env(
    mut fetch: rpmlock_core::repo::FetchOptions,
) -> rpmlock_core::repo::FetchOptions {
    if std::env::var("RPMLOCK_RESOLUTION_CACHE").is_ok_and(|v| v == "0") {
        fetch.resolution_cache = false;
    }
    if let Ok(list) = std::env::var("RPMLOCK_INSECURE_REGISTRIES") {
        fetch.insecure_registries = list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
    }
    fetch
}

/// Writes `text` to standard output; a closed pipe (e.g. `| head`) is not an error.
/// On SIGINT or SIGTERM, deletes the temporary files the run has open (a lockfile's
/// `.rpmlock-*.tmp`, the cache's `.tmp*`), then dies of the signal as it would have
/// without a handler (so the parent sees exit status 130 or 143).
fn remove_temp_files_on_signals() {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = match signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) {
        Ok(s) => s,
        Err(e) => {
            tracing::debug!("cannot install signal handlers: {e}");
            return;
        }
    };
    let spawned = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                let removed = rpmlock_core::tempfiles::remove_all();
                tracing::debug!("signal {signal}: removed {removed} temporary files");
                let _ = signal_hook::low_level::emulate_default_handler(signal);
                // Not reached: the default action of both signals ends the process.
                std::process::exit(128 + signal);
            }
        });
    if let Err(e) = spawned {
        tracing::debug!("cannot start the signal thread: {e}");
    }
}

/// Writes `text` to standard output, flushed. A closed pipe (e.g. `| head`) is not an
/// error: the rest of the output is dropped quietly, as ripgrep does. Any other
/// failure (a full disk, an I/O error) is one, naming `what` was being written.
/// Every write to standard output goes through here: `print!` panics on failure.
pub(crate) fn write_stdout(text: &str, what: &str) -> Result<(), rpmlock_core::Error> {
    write_to(&mut std::io::stdout().lock(), text, what)
}

fn write_to(out: &mut dyn Write, text: &str, what: &str) -> Result<(), rpmlock_core::Error> {
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(rpmlock_core::Error::Io {
            context: format!("writing {what} to standard output"),
            source: e,
        }),
        _ => Ok(()),
    }
}

/// A path argument that may be `-` for stdout.
pub(crate) fn is_stdout(path: &std::path::Path) -> bool {
    path == std::path::Path::new("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Failing(std::io::ErrorKind);

    impl Write for Failing {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(self.0.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_pipe_is_quiet_and_a_full_disk_an_error() {
        assert!(write_to(&mut Failing(std::io::ErrorKind::BrokenPipe), "x", "it").is_ok());
        let e = write_to(
            &mut Failing(std::io::ErrorKind::StorageFull),
            "x",
            "the report",
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "writing the report to standard output");
    }
}
