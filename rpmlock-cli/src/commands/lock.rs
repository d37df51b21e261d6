//! `rpmlock lock`: resolve an rpms.in.yaml into an rpms.lock.yaml.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use rpmlock_core::Error;
use rpmlock_core::config::{Context, Input};
use rpmlock_core::lock::{Freshness, LockDiff, Lockfile};
use rpmlock_core::reporter::Reporter;
use rpmlock_core::resolve::{self, LockOptions};

use crate::Outcome;

/// Report formats.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum Format {
    /// Readable text (`lock`: on standard error; `verify`: on standard output).
    Text,
    /// JSON on standard output.
    Json,
}

/// How a resolution runs: target arches, the context, the cache and the network
/// (shared by `lock` and `why`).
#[derive(Debug, Args)]
pub(crate) struct ResolveArgs {
    /// Target arch (repeatable); overrides the input's `arches`.
    #[arg(long = "arch", value_name = "ARCH")]
    arches: Vec<String>,
    /// Resolve on an empty root, whatever the input's context says.
    #[arg(long, group = "context_choice")]
    bare: bool,
    /// Resolve on top of this machine's installed packages (its rpm database at /).
    #[arg(long, group = "context_choice")]
    local_system: bool,
    /// Resolve on top of the packages installed in an unpacked root filesystem.
    #[arg(long, value_name = "DIR", group = "context_choice")]
    rootfs: Option<PathBuf>,
    /// Resolve on top of the packages installed in a container image.
    #[arg(long, value_name = "REF", group = "context_choice")]
    image: Option<String>,
    /// Resolve on top of this Containerfile's base image (its last stage, or the
    /// stage `context.containerfile` selects); without `packages` in the input, its
    /// `RUN dnf install` packages are requested (deprecated: use
    /// `packagesFromContainerfile`). Relative to the current directory.
    #[arg(short = 'f', long, value_name = "FILE", group = "context_choice")]
    containerfile: Option<PathBuf>,
    /// Resolve on an empty root and request the packages of this rpm-ostree treefile
    /// (relative to the current directory).
    #[arg(long, value_name = "FILE", group = "context_choice")]
    rpm_ostree_treefile: Option<PathBuf>,
    /// Request the packages of `container.yaml`'s `flatpak.packages` too (from the
    /// current directory, else beside the input).
    #[arg(long)]
    flatpak: bool,
    /// Allow removing installed packages to resolve dependencies (as the input's
    /// `allowerasing: true`).
    #[arg(long)]
    allowerasing: bool,
    /// Use only cached metadata; never touch the network.
    #[arg(long, conflicts_with = "refresh")]
    offline: bool,
    /// Download all metadata again, ignoring the cache.
    #[arg(long)]
    refresh: bool,
    #[command(flatten)]
    cache: super::CacheArgs,
}

impl ResolveArgs {
    /// The lock options these arguments (and the environment: `DNF_VAR_*`,
    /// `RPMLOCK_RESOLUTION_CACHE`, `RPMLOCK_INSECURE_REGISTRIES`) give.
    pub(crate) fn lock_options(self) -> LockOptions {
        let mut fetch = self.cache.fetch_options();
        fetch.offline = self.offline;
        fetch.refresh = self.refresh;
        let mut options = LockOptions::new(fetch);
        options.arches = self.arches;
        options.bare = self.bare;
        options.containerfile = self.containerfile;
        options.treefile = self.rpm_ostree_treefile;
        options.flatpak = self.flatpak;
        options.allow_erasing = self.allowerasing;
        options.dnf_env = std::env::vars().collect();
        options.context = if self.local_system {
            Some(Context::LocalSystem)
        } else if let Some(dir) = self.rootfs {
            Some(Context::Rootfs(dir))
        } else {
            self.image.map(Context::Image)
        };
        options
    }
}

/// Arguments of `rpmlock lock`.
#[derive(Debug, Args)]
pub(crate) struct LockArgs {
    /// The input file.
    #[arg(default_value = "rpms.in.yaml")]
    input: PathBuf,
    /// Where to write the lockfile (`-`: standard output).
    #[arg(long, short = 'o', default_value = "rpms.lock.yaml")]
    outfile: PathBuf,
    #[command(flatten)]
    resolve: ResolveArgs,
    /// Print what would be resolved (the context and, per arch, every requested spec
    /// with the file and line it came from) as JSON on standard output, and stop:
    /// nothing is fetched or written.
    #[arg(long, conflicts_with_all = ["check", "upgrade_packages"])]
    print_request: bool,
    /// Resolve and compare with the existing lockfile byte for byte; write nothing.
    /// Exit 1 with a summary of what would change when it is not up to date.
    #[arg(long)]
    check: bool,
    /// Move only this package (repeatable) and what it pulls in; every other package
    /// stays at its NEVRA in the existing lockfile wherever that still resolves.
    #[arg(long = "upgrade-package", value_name = "NAME")]
    upgrade_packages: Vec<String>,
    /// Fail (exit 1) when packages built from one source package resolve to
    /// different versions on different arches (by default a warning).
    #[arg(long)]
    same_versions: bool,
    /// Output format of the `--check` and `--upgrade-package` reports.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

/// The one line a successful lock prints: where, what per arch, how long.
fn summary(lockfile: &Lockfile, target: &str, took: std::time::Duration) -> String {
    let arches: Vec<String> = lockfile
        .arches
        .iter()
        .map(|a| {
            let mut s = format!("{} {} packages", a.arch, a.packages.len());
            if !a.source.is_empty() {
                s.push_str(&format!(" + {} sources", a.source.len()));
            }
            if !a.module_metadata.is_empty() {
                s.push_str(&format!(" + {} module metadata", a.module_metadata.len()));
            }
            s
        })
        .collect();
    format!(
        "wrote {target}: {} in {:.2} s",
        arches.join(", "),
        took.as_secs_f64()
    )
}

pub(crate) fn run(
    args: LockArgs,
    reporter: Arc<dyn Reporter>,
    quiet: bool,
) -> Result<Outcome, Error> {
    let started = std::time::Instant::now();
    let input = Input::from_path(&args.input)?;
    let mut options = args.resolve.lock_options();
    options.same_versions = args.same_versions;
    if args.check && crate::is_stdout(&args.outfile) {
        return Err(Error::Usage {
            message: "--check compares with the existing lockfile: give --outfile FILE, not -"
                .into(),
        });
    }
    if !args.upgrade_packages.is_empty() {
        if crate::is_stdout(&args.outfile) {
            return Err(Error::Usage {
                message:
                    "--upgrade-package needs the existing lockfile: give --outfile FILE, not -"
                        .into(),
            });
        }
        options.keep_locked = Some(Lockfile::from_path(&args.outfile)?);
        options.upgrade_names = args.upgrade_packages.clone();
    }
    let plan = resolve::plan(&input, &options)?;
    if let Some(old) = &options.keep_locked {
        // A name neither locked nor requested is surely a typo.
        let requested = |name: &str| {
            plan.arches
                .iter()
                .any(|a| plan.input.packages_for_arch(a).contains(&name))
        };
        let locked = |name: &str| {
            old.arches
                .iter()
                .flat_map(|a| &a.packages)
                .any(|p| p.name == name)
        };
        if let Some(name) = args
            .upgrade_packages
            .iter()
            .find(|n| !locked(n) && !requested(n))
        {
            return Err(Error::Usage {
                message: format!(
                    "--upgrade-package {name}: {name} is neither in {} nor requested by the input",
                    args.outfile.display()
                ),
            });
        }
    }
    if args.print_request {
        let json = serde_json::json!({
            "context": plan.context.to_string(),
            "arches": plan.requests(),
            "warnings": plan.warnings,
        });
        crate::write_stdout(&format!("{json:#}\n"), "the request")?;
        return Ok(Outcome::Success);
    }
    let lockfile = resolve::lock_planned(&plan, &options, reporter)?.lockfile;
    if args.check {
        let freshness = lockfile.freshness(&args.outfile)?;
        let report = |diff: Option<&LockDiff>, status: &str| match args.format {
            Format::Json => {
                let json = serde_json::json!({
                    "lockfile": args.outfile.display().to_string(),
                    "status": status,
                    "changes": diff.map(|d| &d.arches),
                });
                crate::write_stdout(&format!("{json}\n"), "the --check report")
            }
            Format::Text => Ok(()),
        };
        return Ok(match freshness {
            Freshness::UpToDate => {
                report(None, "up-to-date")?;
                if !quiet {
                    eprintln!("{} is up to date", args.outfile.display());
                }
                Outcome::Success
            }
            Freshness::Missing => {
                report(None, "missing")?;
                eprintln!("{} does not exist", args.outfile.display());
                Outcome::Failure
            }
            Freshness::Stale(diff) => {
                report(Some(&diff), "stale")?;
                match args.format {
                    Format::Json => {}
                    Format::Text if diff.is_empty() => eprintln!(
                        "{} is not up to date (same packages, different text)",
                        args.outfile.display()
                    ),
                    Format::Text => {
                        eprint!("{} is not up to date:\n{diff}", args.outfile.display())
                    }
                }
                Outcome::Failure
            }
        });
    }
    let moved = options
        .keep_locked
        .as_ref()
        .map(|old| rpmlock_core::lock::diff(old, &lockfile));
    let target = if crate::is_stdout(&args.outfile) {
        crate::write_stdout(&lockfile.render(), "the lockfile")?;
        "standard output".to_string()
    } else {
        lockfile.write_atomic(&args.outfile)?;
        args.outfile.display().to_string()
    };
    if !quiet {
        eprintln!("{}", summary(&lockfile, &target, started.elapsed()));
    }
    if let Some(diff) = moved {
        match args.format {
            Format::Json => crate::write_stdout(
                &format!("{}\n", serde_json::json!({ "changes": diff.arches })),
                "the --upgrade-package report",
            )?,
            Format::Text if diff.is_empty() => eprintln!("nothing moved"),
            Format::Text => eprint!("moved:\n{diff}"),
        }
        let moved_names = diff.moved_names();
        for name in &args.upgrade_packages {
            if !moved_names.contains(name.as_str()) {
                tracing::warn!(
                    "{name}: not moved (already at the best version that resolves, or not in the lock)"
                );
            }
        }
    }
    Ok(Outcome::Success)
}
