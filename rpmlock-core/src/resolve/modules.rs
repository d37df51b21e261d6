//! Modules for one arch's resolution: enabled and disabled streams, `@module` specs,
//! the active streams and the package filter they give, and the lock's
//! `module_metadata`.
//!
//! The platform pseudo-module: libdnf takes it from `module_platform_id`, else from the
//! `base-module(platform:ID)` provide of the newest `system-release` package, else from
//! `PLATFORM_ID` in the install root's os-release. rpms.in.yaml has no
//! `module_platform_id`, and a bare context has neither a system-release package nor
//! an os-release, so there is no platform: exactly as with dnf on an empty install
//! root ("No valid Platform ID detected"), a stream that requires `platform` cannot be
//! active (a "Modular dependency problem" warning) and its packages stay hidden. Image
//! contexts, when they come, can take the platform from the image's rpmdb or
//! os-release ([`ModuleRequest::platform`] is ready for it).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use super::ArchRepo;
use crate::config::Input;
use crate::error::Error;
use crate::lock::ModuleMetadata;
use crate::model::ChecksumAlgorithm;
use crate::repo::{ModuleDefaults, ModuleStream};
use crate::solve::modules::{
    ModuleFilter, ModuleProblems, ModuleRequest, merged_defaults, module_install, solve_modules,
};
use crate::solve::{PackageRef, SolveError};

/// The request after modules: the specs to install and the package filter.
pub(super) struct Modular {
    /// Package specs, `@module` specs replaced by their profiles' packages.
    pub specs: Vec<String>,
    /// What the pool hides; `None` when no repo has modules metadata.
    pub filter: Option<ModuleFilter>,
}

fn missing(what: &str) -> SolveError {
    SolveError::Module {
        message: format!("Problems in request:\nmissing groups or modules: {what}"),
    }
}

/// Works out the modules of one arch: `in_pool` are the indices of `repos` given to
/// the solver (the filter's repo indices are positions in that list).
pub(super) fn prepare(
    input: &Input,
    arch: &str,
    repos: &[ArchRepo<'_>],
    in_pool: &[usize],
    warnings: &mut Vec<String>,
) -> Result<Modular, Error> {
    let solve_error = |source| Error::Solve {
        arch: arch.to_string(),
        source,
    };
    let mut streams: Vec<&ModuleStream> = Vec::new();
    let mut all_defaults: Vec<&ModuleDefaults> = Vec::new();
    for &i in in_pool {
        if let Some((_, m)) = &repos[i].data.modules {
            streams.extend(&m.streams);
            all_defaults.extend(&m.defaults);
        }
    }
    let defaults: BTreeMap<String, ModuleDefaults> = merged_defaults(&all_defaults);
    let known = |name: &str| streams.iter().any(|m| m.name == name);

    // `moduleDisable`, then `moduleEnable` (as `dnf module disable/enable`).
    for name in &input.module_disable {
        if !known(name) {
            return Err(solve_error(missing(name)));
        }
    }
    let mut enabled: Vec<(String, String)> = Vec::new();
    for m in &input.module_enable {
        let stream = match &m.stream {
            Some(s) => s.clone(),
            None => match defaults.get(&m.name).and_then(|d| d.stream.clone()) {
                Some(s) => s,
                None => return Err(solve_error(missing(&m.to_string()))),
            },
        };
        if !streams
            .iter()
            .any(|s| s.name == m.name && s.stream == stream)
        {
            return Err(solve_error(missing(&m.to_string())));
        }
        enable(&mut enabled, &m.name, &stream).map_err(solve_error)?;
    }

    // `@` specs: a module first, as dnf's install_specs tries modules before groups.
    let mut specs = Vec::new();
    for spec in input.packages_for_arch(arch) {
        let Some(at) = spec.strip_prefix('@') else {
            specs.push(spec.to_string());
            continue;
        };
        match module_install(at, &streams, &defaults, &enabled).map_err(solve_error)? {
            Some(install) => {
                enable(&mut enabled, &install.name, &install.stream).map_err(solve_error)?;
                specs.extend(install.packages);
            }
            // Not a module: a group, perhaps (the solver looks it up in comps and
            // answers dnf's "Module or Group '...' is not available." otherwise).
            None => specs.push(spec.to_string()),
        }
    }
    if streams.is_empty() {
        return Ok(Modular {
            specs,
            filter: None,
        });
    }

    let request = ModuleRequest {
        streams: streams.clone(),
        defaults: all_defaults,
        enabled,
        disabled: input.module_disable.clone(),
        platform: None,
    };
    let active = solve_modules(arch, &request).map_err(solve_error)?;
    if active.problems == ModuleProblems::Error && !input.module_enable.is_empty() {
        // `dnf module enable` stops on modular dependency problems beyond the
        // defaults (`dnf install` only logs them).
        // dnf's error message says "problems" whatever their number.
        let text = active
            .warnings
            .iter()
            .map(|w| {
                w.replacen(
                    "Modular dependency problem:",
                    "Modular dependency problems:",
                    1,
                )
            })
            .collect::<Vec<_>>()
            .join("\n");
        return Err(solve_error(SolveError::Module {
            message: format!("Problems in request:\n{text}"),
        }));
    }
    warnings.extend(active.warnings);
    let names: BTreeSet<String> = active
        .active
        .iter()
        .map(|&i| streams[i].name_stream())
        .collect();
    tracing::info!(
        "{arch}: active module streams: {}",
        names.into_iter().collect::<Vec<_>>().join(", ")
    );
    let mut filter = ModuleFilter::new(&streams, &active.active);
    for (j, &i) in in_pool.iter().enumerate() {
        if repos[i].config.bool_option("module_hotfixes")? == Some(true) {
            filter.hotfix_repos.insert(j);
        }
    }
    Ok(Modular {
        specs,
        filter: Some(filter),
    })
}

/// Enables `name:stream`; another stream of the same module is an error, as in dnf.
fn enable(enabled: &mut Vec<(String, String)>, name: &str, stream: &str) -> Result<(), SolveError> {
    match enabled.iter().find(|(n, _)| n == name) {
        Some((_, s)) if s == stream => Ok(()),
        Some((_, s)) => Err(SolveError::Module {
            message: format!(
                "Cannot enable multiple streams for module '{name}' ({s} and {stream})"
            ),
        }),
        None => {
            enabled.push((name.to_string(), stream.to_string()));
            Ok(())
        }
    }
}

/// The `module_metadata` of a resolution: the modules file of every repo that
/// supplied a modular package. A modular package from a repo without one is an error.
pub(super) fn metadata(
    repos: &[ArchRepo<'_>],
    refs: &[PackageRef],
    filter: Option<&ModuleFilter>,
) -> Result<Vec<ModuleMetadata>, Error> {
    let Some(filter) = filter else {
        return Ok(Vec::new());
    };
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for r in refs {
        let repo = &repos[r.repo];
        let p = repo.data.index.get(r.package);
        if !filter.is_modular(p.name, &p.evr(), p.arch) || !seen.insert(r.repo) {
            continue;
        }
        let Some((file, _)) = &repo.data.modules else {
            return Err(Error::ModularWithoutMetadata {
                repoid: repo.config.repoid.clone(),
                package: format!("{}-{}.{}", p.name, p.evr(), p.arch),
            });
        };
        let checksum = if file.checksum.algorithm == ChecksumAlgorithm::Sha256 {
            file.checksum.to_string()
        } else {
            sha256_of(&file.path)?
        };
        out.push(ModuleMetadata::new(
            file.url.clone(),
            repo.config.repoid.clone(),
            file.size,
            checksum,
        ));
    }
    out.sort();
    Ok(out)
}

fn sha256_of(path: &std::path::Path) -> Result<String, Error> {
    use sha2::{Digest, Sha256};
    let bytes = fs_err::read(path).map_err(|source| Error::Io {
        context: format!("reading {}", path.display()),
        source,
    })?;
    Ok(format!("sha256:{}", hex::encode(Sha256::digest(&bytes))))
}
