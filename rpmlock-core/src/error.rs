//! The crate-level error: one variant per pipeline stage.

/// Any error of a lock run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Invalid input file.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// A Containerfile, treefile or container.yaml (or a file they name) cannot be
    /// read or makes no sense.
    #[error(transparent)]
    Containerfile(#[from] crate::containerfile::ContainerfileError),
    /// The context (what is installed) cannot be read.
    #[error(transparent)]
    Context(#[from] crate::context::ContextError),
    /// A verification could not run.
    #[error(transparent)]
    Verify(#[from] crate::verify::VerifyError),
    /// Fetching the files of a lock failed.
    #[error(transparent)]
    Fetch(#[from] crate::fetch::FetchError),
    /// An SBOM cannot be made.
    #[error(transparent)]
    Sbom(#[from] crate::sbom::SbomError),
    /// Fetching or parsing repository metadata failed.
    #[error(transparent)]
    Repo(#[from] crate::repo::RepoError),
    /// Resolution failed for one arch.
    #[error("failed to resolve packages for {arch}")]
    Solve {
        /// Target arch.
        arch: String,
        /// What went wrong.
        #[source]
        source: crate::solve::SolveError,
    },
    /// A repository's packages cannot be taken into a libsolv repository (for
    /// example a name with a NUL byte), or its cache files cannot be written.
    #[error("repo '{repoid}': cannot index its packages")]
    RepoData {
        /// The repo.
        repoid: String,
        /// What went wrong.
        #[source]
        source: crate::solve::SolveError,
    },
    /// Pulling a context image failed.
    #[error(transparent)]
    Image(#[from] crate::image::ImageError),
    /// Reading or writing a lockfile failed.
    #[error(transparent)]
    Lock(#[from] crate::lock::LockError),
    /// A target arch given on the command line that rpm does not know.
    #[error(
        "unknown arch `{arch}` ({})",
        match crate::config::vars::rpm_arch_for(arch) {
            Some(rpm) => format!("rpm calls it {rpm}: use --arch {rpm}"),
            None => "expected an rpm arch such as x86_64, aarch64, ppc64le, s390x, i686".to_string(),
        }
    )]
    UnknownArch {
        /// The arch as given.
        arch: String,
    },
    /// The input names no context (what is installed before the packages).
    #[error(
        "{}no context given: add `context: {{bare: true}}` (or `localSystem`, `rootfs`, `image`, `containerfile`) to the input, pass --bare, --local-system, --rootfs DIR, --image REF or -f CONTAINERFILE, or run where a Containerfile or Dockerfile is",
        .input.as_ref().map(|p| format!("{}: ", p.display())).unwrap_or_default()
    )]
    NoContext {
        /// The input file.
        input: Option<std::path::PathBuf>,
    },
    /// A package that is an artifact of a module comes from a repo without modules
    /// metadata: the lock could not list the metadata that makes it installable.
    #[error(
        "repo '{repoid}': {package} is a modular package, but the repo has no modules metadata"
    )]
    ModularWithoutMetadata {
        /// The repo.
        repoid: String,
        /// The package, `name-evr.arch`.
        package: String,
    },
    /// Several arches failed: each one's error.
    #[error("{} arches failed: {}", errors.len(), errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Arches {
        /// One error per failed arch.
        errors: Vec<Error>,
    },
    /// Options that do not go together, or an option the situation does not allow.
    #[error("{message}")]
    Usage {
        /// What is wrong and what to do.
        message: String,
    },
    /// `rpmlock why NAME`: no package NAME in any arch's resolution.
    #[error(transparent)]
    NotInResolution(#[from] crate::solve::why::NotInResolution),
    /// `--same-versions`: packages of one source package resolve to different
    /// versions on different arches.
    #[error(
        "packages resolve to different source versions on different arches: {}",
        skew.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
    )]
    VersionSkew {
        /// Every source package concerned, with its EVRs per arch.
        skew: Vec<crate::lock::VersionSkew>,
    },
    /// A package the lock needs has no usable download location or checksum.
    #[error("repo '{repoid}': package {package}: {reason}")]
    PackageLocation {
        /// The repo.
        repoid: String,
        /// The package, `name-evr.arch`.
        package: String,
        /// What is wrong.
        reason: String,
    },
    /// Other I/O.
    #[error("{context}")]
    Io {
        /// What was being done.
        context: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// Whether this is a failure the user must act on (exit code 1): an unsolvable
    /// request or a spec that matches nothing (or names an invalid group package type). Everything else is exit code 2.
    pub fn is_user_failure(&self) -> bool {
        if let Error::Arches { errors } = self {
            return errors.iter().all(Error::is_user_failure);
        }
        matches!(
            self,
            Error::NotInResolution(_)
                | Error::VersionSkew { .. }
                | Error::Solve {
                    source: crate::solve::SolveError::NoMatch { .. }
                        | crate::solve::SolveError::Unsolvable { .. }
                        | crate::solve::SolveError::InvalidGroupType { .. }
                        | crate::solve::SolveError::ReinstallNotAvailable { .. }
                        | crate::solve::SolveError::Module { .. },
                    ..
                }
        )
    }
}
