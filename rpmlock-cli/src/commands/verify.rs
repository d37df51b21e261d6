//! `rpmlock verify`: check a build against its lockfile: the packages installed in a
//! root filesystem (or image), or the RPM files of a download directory.

use std::path::PathBuf;

use clap::Args;
use rpmlock_core::Error;
use rpmlock_core::config::Context;
use rpmlock_core::context::{self, Installed};
use rpmlock_core::lock::Lockfile;
use rpmlock_core::verify;

use super::lock::Format;
use crate::Outcome;

/// Arguments of `rpmlock verify`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["rootfs", "image", "rpms", "urls"])))]
pub(crate) struct VerifyArgs {
    /// The lockfile.
    #[arg(long, default_value = "rpms.lock.yaml")]
    lockfile: PathBuf,
    /// Check the packages installed in this root filesystem.
    #[arg(long, value_name = "DIR")]
    rootfs: Option<PathBuf>,
    /// Check the packages installed in this container image.
    #[arg(long, value_name = "REF")]
    image: Option<String>,
    /// What the build started from (its packages are allowed): a root filesystem.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["base_image", "rpms"])]
    base_rootfs: Option<PathBuf>,
    /// What the build started from: a container image.
    #[arg(long, value_name = "REF", conflicts_with = "rpms")]
    base_image: Option<String>,
    /// Check the RPM files under this directory (e.g. a prefetch output tree).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["rootfs", "image"])]
    rpms: Option<PathBuf>,
    /// The lock section to check (default: the lockfile's only arch; with --rpms,
    /// every arch).
    #[arg(long, value_name = "ARCH")]
    arch: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Check that every URL of the lock still downloads at its locked size, with
    /// each repo's connection settings from INPUT.
    #[arg(long, conflicts_with_all = ["rootfs", "image", "rpms"])]
    urls: bool,
    /// The input file whose repos give the connection settings (with --urls).
    #[arg(requires = "urls", default_value = "rpms.in.yaml")]
    input: PathBuf,
    #[command(flatten)]
    cache: super::CacheArgs,
}

/// `verify --urls`: every URL of the lock, probed.
fn verify_urls(args: &VerifyArgs, lock: &Lockfile) -> Result<bool, Error> {
    let input = rpmlock_core::config::Input::from_path(&args.input)?;
    let fetcher = rpmlock_core::repo::Fetcher::new(
        args.cache.fetch_options(),
        std::sync::Arc::new(rpmlock_core::reporter::NoopReporter),
    )?;
    let env: Vec<(String, String)> = std::env::vars().collect();
    let report = verify::verify_urls(
        lock,
        &input,
        &fetcher,
        args.arch.as_deref(),
        &env,
        verify::DEFAULT_CONCURRENCY,
    )?;
    let text = match args.format {
        Format::Json => format!("{}\n", serde_json::json!(report)),
        Format::Text => report.to_string(),
    };
    crate::write_stdout(&text, "the report")?;
    tracing::info!("{} URLs checked", report.checked);
    Ok(report.is_clean())
}

pub(crate) fn run(args: VerifyArgs) -> Result<Outcome, Error> {
    let lock = Lockfile::from_path(&args.lockfile)?;
    let clean = if args.urls {
        verify_urls(&args, &lock)?
    } else if let Some(dir) = &args.rpms {
        let report = verify::verify_rpms(&lock, args.arch.as_deref(), dir)?;
        let text = match args.format {
            Format::Json => format!("{}\n", serde_json::json!(report)),
            Format::Text => report.to_string(),
        };
        crate::write_stdout(&text, "the report")?;
        tracing::info!("{} RPM files match the lock", report.matched);
        report.is_clean()
    } else {
        let fetch = args.cache.fetch_options();
        let arch = args
            .arch
            .clone()
            .or_else(|| (lock.arches.len() == 1).then(|| lock.arches[0].arch.clone()))
            .unwrap_or_else(|| rpmlock_core::resolve::host_arch().to_string());
        let read = |rootfs: &Option<PathBuf>, image: &Option<String>| -> Result<_, Error> {
            let context = match (rootfs, image) {
                (Some(dir), _) => Context::Rootfs(dir.clone()),
                (None, Some(reference)) => Context::Image(reference.clone()),
                (None, None) => return Ok(None),
            };
            let root = context::rootfs(&context, &arch, &fetch)?
                .expect("a rootfs or image context has a root");
            Ok(Some(Installed::read(&root)?))
        };
        let root = read(&args.rootfs, &args.image)?.expect("clap requires a target");
        let base = read(&args.base_rootfs, &args.base_image)?;
        let report = verify::verify_root(&lock, Some(&arch), &root, base.as_ref())?;
        let text = match args.format {
            Format::Json => format!("{}\n", serde_json::json!(report)),
            Format::Text => report.to_string(),
        };
        crate::write_stdout(&text, "the report")?;
        report.is_clean()
    };
    Ok(if clean {
        if !args.urls {
            tracing::info!("verified: nothing outside {}", args.lockfile.display());
        }
        Outcome::Success
    } else {
        Outcome::Failure
    })
}
