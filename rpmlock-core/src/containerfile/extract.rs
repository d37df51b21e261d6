//! One Containerfile stage's [`PackageSets`]: the RUN analysis, the scripts it runs,
//! the package-list files and builddep SRPMs (CONTAINERFILE.md A6.4, A11).

use std::path::{Path, PathBuf};

use super::{ContainerfileError, PackageSets, StageFilter, Vars, Warning};

/// What was extracted from one Containerfile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Extraction {
    /// The request sets of the selected stage; `builddep` patterns are already
    /// resolved into [`PackageSets::install`] (the SRPMs' BuildRequires).
    pub sets: PackageSets,
    /// What could not be analysed (or only approximately), with its line.
    pub warnings: Vec<Warning>,
    /// The selected stage, 1-based.
    pub stage: usize,
    /// The Containerfile read.
    pub path: PathBuf,
}

/// Reads the Containerfile at `path` and extracts the packages of the stage `filter`
/// selects, for the target `arches`.
pub fn extract(
    path: &Path,
    filter: &StageFilter,
    arches: &[String],
) -> Result<Extraction, ContainerfileError> {
    let _ = (path, filter, arches);
    unimplemented!("being written")
}

/// Reads an argFile: `NAME=VALUE` lines (blank lines and `#` comments skipped; one
/// pair of matching outer quotes removed from the value).
pub fn read_arg_file(path: &Path) -> Result<Vars, ContainerfileError> {
    let _ = path;
    unimplemented!("being written")
}
