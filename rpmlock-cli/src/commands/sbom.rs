//! `rpmlock sbom`: a CycloneDX 1.6 or SPDX 2.3 JSON document of a lockfile on
//! standard output.

use std::path::PathBuf;

use clap::Args;
use rpmlock_core::Error;
use rpmlock_core::lock::Lockfile;
use rpmlock_core::sbom::{self, SbomFormat, SbomOptions};

use crate::Outcome;

/// SBOM formats.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum Format {
    /// CycloneDX 1.6 JSON.
    Cyclonedx,
    /// SPDX 2.3 JSON.
    Spdx,
}

/// Arguments of `rpmlock sbom`.
#[derive(Debug, Args)]
pub(crate) struct SbomArgs {
    /// The lockfile.
    #[arg(long, default_value = "rpms.lock.yaml")]
    lockfile: PathBuf,
    /// Document format.
    #[arg(long, value_enum, default_value = "cyclonedx")]
    format: Format,
    /// Only this arch's packages (default: every arch of the lockfile).
    #[arg(long, value_name = "ARCH")]
    arch: Option<String>,
    /// The vendor (purl namespace) of the packages.
    #[arg(long, value_name = "VENDOR", default_value = "redhat")]
    vendor: String,
}

/// The creation time: `SOURCE_DATE_EPOCH` when set (reproducible documents), else now.
fn created() -> Result<u64, Error> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(v) => v.trim().parse().map_err(|_| Error::Usage {
            message: format!("SOURCE_DATE_EPOCH={v}: expected seconds since 1970-01-01"),
        }),
        Err(_) => Ok(std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)),
    }
}

pub(crate) fn run(args: SbomArgs) -> Result<Outcome, Error> {
    let lock = Lockfile::from_path(&args.lockfile)?;
    let format = match args.format {
        Format::Cyclonedx => SbomFormat::CycloneDx,
        Format::Spdx => SbomFormat::Spdx,
    };
    let mut options = SbomOptions::new(format, created()?);
    options.arch = args.arch;
    options.vendor = args.vendor;
    options.name = args.lockfile.display().to_string();
    let text = sbom::render(&lock, &options)?;
    crate::write_stdout(&text, "the SBOM")?;
    Ok(Outcome::Success)
}
