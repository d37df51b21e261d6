//! `rpmlock diff OLD NEW`: what changed between two lockfiles.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use clap::Args;
use rpmlock_core::Error;
use rpmlock_core::lock::{DiffFormat, Lockfile};

use crate::Outcome;

/// Report formats of `rpmlock diff`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum Format {
    /// Readable text, per group of arches, grouped by source package.
    Text,
    /// A Markdown table, for a pull-request description.
    Markdown,
    /// JSON: every arch's changes.
    Json,
}

/// Arguments of `rpmlock diff`.
#[derive(Debug, Args)]
pub(crate) struct DiffArgs {
    /// The old lockfile (`-`: standard input).
    old: PathBuf,
    /// The new lockfile (`-`: standard input).
    new: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

/// Reads a lockfile, `-` being standard input.
fn read(path: &Path) -> Result<Lockfile, Error> {
    if !crate::is_stdout(path) {
        return Ok(Lockfile::from_path(path)?);
    }
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|source| Error::Io {
            context: "reading a lockfile from standard input".into(),
            source,
        })?;
    Ok(Lockfile::parse(&text, None)?)
}

pub(crate) fn run(args: DiffArgs) -> Result<Outcome, Error> {
    if crate::is_stdout(&args.old) && crate::is_stdout(&args.new) {
        return Err(Error::Usage {
            message: "only one of OLD and NEW can be - (standard input)".into(),
        });
    }
    let diff = rpmlock_core::lock::diff(&read(&args.old)?, &read(&args.new)?);
    let text = match args.format {
        Format::Json => format!("{}\n", serde_json::json!(diff)),
        Format::Markdown => diff.render(DiffFormat::Markdown),
        Format::Text => diff.render(DiffFormat::Text),
    };
    crate::write_stdout(&text, "the report")?;
    Ok(Outcome::Success)
}
