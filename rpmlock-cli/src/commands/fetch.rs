//! `rpmlock fetch`: download every file a lockfile lists into a local repository
//! tree (`DEST/<arch>/<repoid>/`, with repodata and an `rpmlock.repo` per arch) that
//! an offline build installs from.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use rpmlock_core::Error;
use rpmlock_core::config::Input;
use rpmlock_core::fetch::{self, FetchRequest};
use rpmlock_core::lock::Lockfile;
use rpmlock_core::repo::Fetcher;
use rpmlock_core::reporter::Reporter;

use super::lock::Format;
use crate::Outcome;

/// Arguments of `rpmlock fetch`.
#[derive(Debug, Args)]
pub(crate) struct FetchArgs {
    /// The input file, for each repo's connection settings (client certificate, CA,
    /// proxy, credentials), matched by repoid. Default: rpms.in.yaml when it exists.
    input: Option<PathBuf>,
    /// The lockfile.
    #[arg(long, default_value = "rpms.lock.yaml")]
    lockfile: PathBuf,
    /// Where to put the tree (`DEST/<arch>/<repoid>/`).
    #[arg(long, value_name = "DIR", default_value = "rpms")]
    dest: PathBuf,
    /// Only this arch's packages (repeatable; default: every arch of the lockfile).
    #[arg(long = "arch", value_name = "ARCH")]
    arches: Vec<String>,
    /// Leave out the source RPMs.
    #[arg(long)]
    no_sources: bool,
    /// Base URL of the tree as the build will see it: rpmlock.repo then points at
    /// `URL/<arch>/<repoid>` instead of the folders' file:// URLs.
    #[arg(long, value_name = "URL")]
    baseurl_prefix: Option<String>,
    /// Downloads running at once.
    #[arg(long, value_name = "N", default_value_t = fetch::DEFAULT_JOBS)]
    jobs: usize,
    /// Output format of the report (text on standard error, json on standard output).
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    #[command(flatten)]
    cache: super::CacheArgs,
}

pub(crate) fn run(
    args: FetchArgs,
    reporter: Arc<dyn Reporter>,
    quiet: bool,
) -> Result<Outcome, Error> {
    let started = std::time::Instant::now();
    let lock = Lockfile::from_path(&args.lockfile)?;
    let input = match &args.input {
        Some(path) => Some(Input::from_path(path)?),
        None if std::path::Path::new("rpms.in.yaml").is_file() => {
            Some(Input::from_path("rpms.in.yaml")?)
        }
        None => {
            tracing::info!("no input file: every repo is fetched with default settings");
            None
        }
    };
    let fetcher = Fetcher::new(args.cache.fetch_options(), reporter.clone())?;
    let mut request = FetchRequest::new(args.dest);
    request.arches = args.arches;
    request.sources = !args.no_sources;
    request.baseurl_prefix = args.baseurl_prefix;
    request.jobs = args.jobs.max(1);
    let report = fetch::fetch(&lock, input.as_ref(), &fetcher, &request, &*reporter)?;
    match args.format {
        Format::Json => crate::write_stdout(
            &format!("{}\n", serde_json::json!(report)),
            "the fetch report",
        )?,
        Format::Text => {
            for (arch, found) in &report.verify {
                for line in found.to_string().lines() {
                    eprintln!("{arch}: {line}");
                }
            }
        }
    }
    if !quiet {
        eprintln!(
            "fetched into {}: {} files downloaded ({} bytes), {} already in place, {} repositories, in {:.2} s",
            request.dest.display(),
            report.downloaded,
            report.bytes,
            report.reused,
            report.folders.len(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(if report.is_clean() {
        Outcome::Success
    } else {
        Outcome::Failure
    })
}
