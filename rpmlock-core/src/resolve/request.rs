//! The request of a lock run (CONTAINERFILE.md A2, A12): the context to resolve on and,
//! per target arch, the input's lists plus what a Containerfile, an rpm-ostree treefile
//! or a flatpak `container.yaml` adds to them.
//!
//! The context, first rule that applies: `--bare`; `--rpm-ostree-treefile` (bare);
//! `--local-system` / `--rootfs`; otherwise the input's `context` unless it selects an
//! image, a Containerfile or nothing: then *image mode*: the image is `--image`, else
//! `context.image`, else the base image of the Containerfile given by `-f`, else
//! `context.containerfile`, else `Containerfile` or `Dockerfile` in the working
//! directory (`FROM scratch` means an empty root). With neither an image nor a
//! Containerfile there is no context (an error).
//!
//! Packages: `packagesFromContainerfile` extracts from its Containerfile (relative to
//! the input's directory) and adds to `packages`; without it, image mode with a
//! Containerfile and an empty `packages` extracts from that Containerfile (deprecated,
//! with a warning, as the prototype). The treefile's (else, with `--flatpak` /
//! `context.flatpak`, `container.yaml`'s) packages are added on every arch they name.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::config::{
    ArchFilter, ContainerfileRef, Context, Input, ModuleStreamRef, PackageRequest,
};
use crate::containerfile::{self, NameSet, Origin, PackageSets, StageFilter};
use crate::error::Error;

use super::LockOptions;

/// What one lock run asks for: the context and the request lists per arch, with the
/// places every extracted entry came from.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Plan {
    /// The input with everything extracted merged into its lists (arch-specific
    /// entries as `{name, arches: {only: [...]}}`).
    pub input: Input,
    /// The context to resolve on: never [`Context::Unspecified`],
    /// [`Context::Containerfile`] or [`Context::RpmOstreeTreefile`].
    pub context: Context,
    /// The target arches, in the order given.
    pub arches: Vec<String>,
    /// Per arch, what was extracted, with origins (empty when nothing was).
    pub extracted: BTreeMap<String, PackageSets>,
    /// What could not be analysed in a Containerfile, and other warnings of planning.
    pub warnings: Vec<String>,
}

/// One request list entry of [`Plan::requests`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RequestEntry {
    /// The spec (package, `@group`, `@module:stream`, `name:stream` for modules).
    pub spec: String,
    /// Where it came from: `FILE:LINE` of a Containerfile, script, list file, or the
    /// SRPM, treefile, container.yaml; the input file for its own lists.
    pub from: Vec<String>,
}

/// The request lists of one arch, as resolved.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArchRequest {
    /// The arch.
    pub arch: String,
    /// Packages to install.
    pub install: Vec<RequestEntry>,
    /// Packages to upgrade (`upgradePackages`, `dnf upgrade NAME`).
    pub upgrade: Vec<RequestEntry>,
    /// Packages to reinstall.
    pub reinstall: Vec<RequestEntry>,
    /// Module streams to enable.
    pub module_enable: Vec<RequestEntry>,
    /// Modules to disable.
    pub module_disable: Vec<RequestEntry>,
}

impl Plan {
    /// Every arch's request lists, with where each entry came from.
    pub fn requests(&self) -> Vec<ArchRequest> {
        let input_name = self
            .input
            .path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "<input>".into());
        let none = PackageSets::default();
        self.arches
            .iter()
            .map(|arch| {
                let ex = self.extracted.get(arch).unwrap_or(&none);
                let entries = |specs: Vec<&str>, from: &NameSet| -> Vec<RequestEntry> {
                    let mut seen = BTreeSet::new();
                    specs
                        .into_iter()
                        .filter(|s| seen.insert(*s))
                        .map(|spec| RequestEntry {
                            spec: spec.to_string(),
                            from: match from.get(spec) {
                                Some(origins) => origins.iter().map(Origin::to_string).collect(),
                                None => vec![input_name.clone()],
                            },
                        })
                        .collect()
                };
                let enable: Vec<String> = self
                    .input
                    .module_enable
                    .iter()
                    .map(ToString::to_string)
                    .collect();
                ArchRequest {
                    arch: arch.clone(),
                    install: entries(self.input.packages_for_arch(arch), &ex.install),
                    upgrade: entries(self.input.upgrade_for_arch(arch), &ex.upgrade),
                    reinstall: entries(self.input.reinstall_for_arch(arch), &ex.reinstall),
                    module_enable: entries(
                        enable.iter().map(String::as_str).collect(),
                        &ex.module_enable,
                    ),
                    module_disable: entries(
                        self.input
                            .module_disable
                            .iter()
                            .map(String::as_str)
                            .collect(),
                        &ex.module_disable,
                    ),
                }
            })
            .collect()
    }
}

/// The rpm arch of the machine rpmlock runs on.
pub fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86" => "i686",
        "powerpc64" if cfg!(target_endian = "little") => "ppc64le",
        other => other,
    }
}

/// The Containerfile of image mode and the stage filter to read it with.
struct ImageSource {
    containerfile: Option<(PathBuf, StageFilter)>,
    image: Option<String>,
    arg_file: Option<PathBuf>,
}

/// Works out the context and the request of a run (no network: a Containerfile's
/// base image is read from the file, pulled later).
pub fn plan(input: &Input, options: &LockOptions) -> Result<Plan, Error> {
    if let Some(bad) = options
        .arches
        .iter()
        .find(|a| !crate::config::vars::is_known_arch(a))
    {
        return Err(Error::UnknownArch { arch: bad.clone() });
    }
    let arches: Vec<String> = if !options.arches.is_empty() {
        // A repeated arch is one arch.
        let mut unique: Vec<String> = Vec::new();
        for a in &options.arches {
            if !unique.contains(a) {
                unique.push(a.clone());
            }
        }
        unique
    } else if !input.arches.is_empty() {
        input.arches.clone()
    } else {
        vec![host_arch().to_string()]
    };
    let work_dir = match &options.work_dir {
        Some(dir) => dir.clone(),
        None => std::env::current_dir().map_err(|source| Error::Io {
            context: "finding the current directory".into(),
            source,
        })?,
    };
    let mut warnings = Vec::new();

    // The context, and the Containerfile of image mode (for implicit extraction).
    let mut treefile: Option<PathBuf> = None;
    let mut image_cf: Option<(PathBuf, StageFilter)> = None;
    let context = if options.bare {
        Context::Bare
    } else if let Some(t) = &options.treefile {
        treefile = Some(work_dir.join(t));
        Context::Bare
    } else if let Some(c @ (Context::LocalSystem | Context::Rootfs(_))) = &options.context {
        c.clone()
    } else {
        let cli_image = match &options.context {
            Some(Context::Image(r)) => Some(r.clone()),
            _ => None,
        };
        match (&input.context, cli_image, &options.containerfile) {
            (Context::RpmOstreeTreefile(t), None, None) => {
                treefile = Some(input.resolve_path(t));
                Context::Bare
            }
            (c @ (Context::Bare | Context::LocalSystem | Context::Rootfs(_)), None, None) => {
                c.clone()
            }
            (ctx, cli_image, cli_cf) => {
                let from_input = match ctx {
                    Context::Containerfile(cf) => Some(cf),
                    _ => None,
                };
                let source = ImageSource {
                    image: cli_image.or(match ctx {
                        Context::Image(r) => Some(r.clone()),
                        _ => None,
                    }),
                    containerfile: image_containerfile(
                        input,
                        from_input,
                        cli_cf.as_deref(),
                        &work_dir,
                    ),
                    arg_file: from_input
                        .and_then(|cf| cf.arg_file.as_ref())
                        .map(|p| input.resolve_path(p)),
                };
                image_cf = source.containerfile.clone();
                image_context(input, source)?
            }
        }
    };

    // What the Containerfile, treefile and container.yaml add.
    let mut per_arch: BTreeMap<String, PackageSets> = BTreeMap::new();
    let extraction = if let Some(cf) = &input.packages_from_containerfile {
        if let Some(arg_file) = &cf.arg_file {
            let w = format!(
                "packagesFromContainerfile.argFile ({}) is not used: an argFile sets the ARGs of FROM lines, for context.containerfile",
                arg_file.display()
            );
            tracing::warn!("{w}");
            warnings.push(w);
        }
        Some(containerfile::extract(
            &input.resolve_path(&cf.file),
            &cf.filter,
            &arches,
        )?)
    } else if let Some((path, filter)) = image_cf.filter(|_| input.packages.is_empty()) {
        let w = format!(
            "Implicit package extraction from Containerfile is deprecated. Add 'packagesFromContainerfile' with the Containerfile path ({}) to your config file to preserve this behavior.",
            path.display()
        );
        tracing::warn!("{w}");
        warnings.push(w);
        Some(containerfile::extract(&path, &filter, &arches)?)
    } else {
        None
    };
    if let Some(ex) = &extraction {
        let arch_specific: usize = arches
            .iter()
            .filter_map(|a| ex.sets.arch_install.get(a))
            .map(BTreeMap::len)
            .sum();
        tracing::info!(
            "{}: stage {}: {} common and {} arch-specific packages extracted",
            ex.path.display(),
            ex.stage,
            ex.sets.install.len(),
            arch_specific
        );
        for w in &ex.warnings {
            tracing::warn!("{w}");
            warnings.push(w.to_string());
        }
    }
    let flatpak_file = if treefile.is_none() && (input.flatpak || options.flatpak) {
        Some(container_yaml(input, &work_dir))
    } else {
        None
    };
    for arch in &arches {
        let mut sets = PackageSets::default();
        if let Some(ex) = &extraction {
            sets.install = ex.sets.install_for_arch(arch);
            sets.upgrade = ex.sets.upgrade.clone();
            sets.reinstall = ex.sets.reinstall.clone();
            sets.module_enable = ex.sets.module_enable.clone();
            sets.module_disable = ex.sets.module_disable.clone();
        }
        let extra = match (&treefile, &flatpak_file) {
            (Some(t), _) => containerfile::treefile::packages(t, arch)?,
            (None, Some(f)) => containerfile::flatpak::packages(f, arch)?,
            (None, None) => NameSet::new(),
        };
        for (name, origins) in extra {
            sets.install.entry(name).or_default().extend(origins);
        }
        for (name, origins) in &sets.install {
            let from: Vec<String> = origins.iter().map(Origin::to_string).collect();
            tracing::info!("{arch}: `{name}` from {}", from.join(", "));
        }
        per_arch.insert(arch.clone(), sets);
    }

    let mut merged = input.clone();
    merged.allow_erasing |= options.allow_erasing;
    merge(&mut merged, &arches, &per_arch)?;
    Ok(Plan {
        input: merged,
        context,
        arches,
        extracted: per_arch,
        warnings,
    })
}

/// The Containerfile of image mode: `-f` (relative to the working directory), else
/// `context.containerfile`, else `Containerfile` or `Dockerfile` in the working
/// directory; with the stage filter of `context.containerfile`.
fn image_containerfile(
    input: &Input,
    from_input: Option<&ContainerfileRef>,
    cli: Option<&Path>,
    work_dir: &Path,
) -> Option<(PathBuf, StageFilter)> {
    let filter = from_input.map(|cf| cf.filter.clone()).unwrap_or_default();
    let path = match (cli, from_input) {
        (Some(p), _) => work_dir.join(p),
        (None, Some(cf)) => input.resolve_path(&cf.file),
        (None, None) => ["Containerfile", "Dockerfile"]
            .iter()
            .map(|name| work_dir.join(name))
            .find(|p| p.is_file())?,
    };
    Some((path, filter))
}

/// The image context: the image given, else the Containerfile's base image (`scratch`:
/// an empty root).
fn image_context(input: &Input, source: ImageSource) -> Result<Context, Error> {
    if let Some(image) = source.image {
        return Ok(Context::Image(image));
    }
    let Some((path, filter)) = source.containerfile else {
        return Err(Error::NoContext {
            input: input.path.clone(),
        });
    };
    let args = match &source.arg_file {
        Some(f) => containerfile::read_arg_file(f)?,
        None => Default::default(),
    };
    let image = containerfile::base_image(&path, &filter, &args)?;
    tracing::info!("{}: base image {image}", path.display());
    Ok(if image == "scratch" {
        Context::Bare
    } else {
        Context::Image(image)
    })
}

/// `container.yaml` in the working directory (the prototype's only place), else
/// beside the input file.
fn container_yaml(input: &Input, work_dir: &Path) -> PathBuf {
    let in_work_dir = work_dir.join("container.yaml");
    if in_work_dir.is_file() {
        return in_work_dir;
    }
    let beside_input = input.base_dir.join("container.yaml");
    if beside_input.is_file() {
        beside_input
    } else {
        in_work_dir
    }
}

/// Adds the extracted names to the input's lists: a name extracted on every arch as a
/// plain entry, others restricted to their arches; names the input already requests on
/// every arch are not repeated.
fn merge(
    input: &mut Input,
    arches: &[String],
    per_arch: &BTreeMap<String, PackageSets>,
) -> Result<(), Error> {
    type Pick = fn(&PackageSets) -> &NameSet;
    type Target = fn(&mut Input) -> &mut Vec<PackageRequest>;
    let lists: [(Pick, Target); 3] = [
        (|s| &s.install, |i| &mut i.packages),
        (|s| &s.upgrade, |i| &mut i.upgrade_packages),
        (|s| &s.reinstall, |i| &mut i.reinstall_packages),
    ];
    for (pick, list) in lists {
        let mut where_: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for arch in arches {
            if let Some(sets) = per_arch.get(arch) {
                for name in pick(sets).keys() {
                    where_.entry(name).or_default().push(arch.clone());
                }
            }
        }
        let target = list(input);
        for (name, on) in where_ {
            if target
                .iter()
                .any(|p| p.spec == name && p.arches == ArchFilter::All)
            {
                continue;
            }
            let arches = if on.len() == arches.len() {
                ArchFilter::All
            } else {
                ArchFilter::Only(on)
            };
            target.push(PackageRequest::new(name, arches));
        }
    }
    // Module lists apply to every arch (the prototype's sets are global).
    let mut enable: BTreeSet<String> = BTreeSet::new();
    let mut disable: BTreeSet<String> = BTreeSet::new();
    for sets in per_arch.values() {
        enable.extend(sets.module_enable.keys().cloned());
        disable.extend(sets.module_disable.keys().cloned());
    }
    for text in enable {
        // `dnf module enable name:stream/profile` enables name:stream.
        let text = text.split('/').next().unwrap_or_default();
        let m = match text.split_once(':') {
            Some((n, s)) => ModuleStreamRef::new(n, Some(s)),
            None => ModuleStreamRef::new(text, None),
        };
        if !m.name.is_empty() && !input.module_enable.contains(&m) {
            input.module_enable.push(m);
        }
    }
    for text in disable {
        let name = text
            .split([':', '/'])
            .next()
            .unwrap_or_default()
            .to_string();
        if !name.is_empty() && !input.module_disable.contains(&name) {
            input.module_disable.push(name);
        }
    }
    Ok(())
}
