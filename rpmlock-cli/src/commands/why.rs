//! `rpmlock why NAME`: the dependency paths that bring NAME into the lock.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use rpmlock_core::Error;
use rpmlock_core::config::{Context, Input};
use rpmlock_core::repo::FetchOptions;
use rpmlock_core::reporter::Reporter;
use rpmlock_core::resolve::{self, LockOptions};

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
    /// Target arch (repeatable); overrides the input's `arches`.
    #[arg(long = "arch", value_name = "ARCH")]
    arches: Vec<String>,
    /// Resolve on an empty root, whatever the input's context says.
    #[arg(long, group = "context_choice")]
    bare: bool,
    /// Resolve on top of this machine's installed packages.
    #[arg(long, group = "context_choice")]
    local_system: bool,
    /// Resolve on top of the packages installed in an unpacked root filesystem.
    #[arg(long, value_name = "DIR", group = "context_choice")]
    rootfs: Option<PathBuf>,
    /// Resolve on top of the packages installed in a container image.
    #[arg(long, value_name = "REF", group = "context_choice")]
    image: Option<String>,
    /// Resolve on top of this Containerfile's base image.
    #[arg(short = 'f', long, value_name = "FILE", group = "context_choice")]
    containerfile: Option<PathBuf>,
    /// Allow removing installed packages (as the input's `allowerasing: true`).
    #[arg(long)]
    allowerasing: bool,
    /// Use only cached metadata; never touch the network.
    #[arg(long, conflicts_with = "refresh")]
    offline: bool,
    /// Download all metadata again, ignoring the cache.
    #[arg(long)]
    refresh: bool,
    /// Cache directory (default: $XDG_CACHE_HOME/rpmlock/v1, else ~/.cache/rpmlock/v1).
    #[arg(long, value_name = "DIR", env = "RPMLOCK_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
    /// Subscription-manager entitlement directory.
    #[arg(long, value_name = "DIR", env = "RPMLOCK_ENTITLEMENT_DIR")]
    entitlement_dir: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

pub(crate) fn run(args: WhyArgs, reporter: Arc<dyn Reporter>) -> Result<Outcome, Error> {
    let input = Input::from_path(&args.input)?;
    let fetch = FetchOptions {
        cache_dir: args
            .cache_dir
            .unwrap_or_else(rpmlock_core::repo::default_cache_dir),
        offline: args.offline,
        refresh: args.refresh,
        entitlement_dir: args.entitlement_dir,
        ..FetchOptions::default()
    };
    let mut options = LockOptions::new(crate::fetch_options_from_env(fetch));
    options.arches = args.arches;
    options.bare = args.bare;
    options.containerfile = args.containerfile;
    options.allow_erasing = args.allowerasing;
    options.dnf_env = std::env::vars().collect();
    options.context = if args.local_system {
        Some(Context::LocalSystem)
    } else if let Some(dir) = args.rootfs {
        Some(Context::Rootfs(dir))
    } else {
        args.image.map(Context::Image)
    };
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
