//! The base image of a Containerfile's selected stage, for the image context
//! (CONTAINERFILE.md A3).

use std::path::Path;

use super::{ContainerfileError, StageFilter, Vars};

/// The (ARG-expanded, stage-alias-resolved) base image of the stage `filter` selects
/// in the Containerfile at `path`; `args` (an argFile) override and extend its ARGs.
pub fn base_image(
    path: &Path,
    filter: &StageFilter,
    args: &Vars,
) -> Result<String, ContainerfileError> {
    let _ = (path, filter, args);
    unimplemented!("being written")
}
