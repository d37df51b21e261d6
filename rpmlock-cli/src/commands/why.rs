//! `rpmlock why NAME`: the dependency paths that bring NAME into the lock.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use rpmlock_core::Error;
use rpmlock_core::config::Input;
use rpmlock_core::reporter::Reporter;
use rpmlock_core::resolve;

use super::lock::Format;
use crate::Outcome;

/// How many paths are shown per arch.
const PATHS: usize = 5;

/// Arguments of `rpmlock why`.
#[derive(Debug, Args)]
pub(crate) struct WhyArgs {
    /// The package name.
    name: String,
    /// The input file.
    #[arg(default_value = "rpms.in.yaml")]
    input: PathBuf,
    #[command(flatten)]
    resolve: super::lock::ResolveArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

pub(crate) fn run(args: WhyArgs, reporter: Arc<dyn Reporter>) -> Result<Outcome, Error> {
    let input = Input::from_path(&args.input)?;
    let mut options = args.resolve.lock_options();
    options.explain = true;
    let plan = resolve::plan(&input, &options)?;
    let locked = resolve::lock_planned(&plan, &options, reporter)?;
    let report = rpmlock_core::solve::why::why(&locked.graphs, &args.name, PATHS)?;
    let text = match args.format {
        Format::Json => format!("{}\n", serde_json::json!(report)),
        Format::Text => report.to_string(),
    };
    crate::write_stdout(&text, "the report")?;
    Ok(Outcome::Success)
}
