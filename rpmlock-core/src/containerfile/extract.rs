//! One Containerfile stage's [`PackageSets`]: the RUN analysis, the scripts it runs,
//! the package-list files and builddep SRPMs (CONTAINERFILE.md A6.4, A11), and the
//! argFile reader.
//!
//! For the selected stage (A6.2): R1 = the shell analysis of each RUN with the stage's
//! final variables, R2 = the scripts the RUNs run (A9), R3 = the package lists the RUNs
//! feed to `dnf install` (A10); their union, then the `dnf builddep` patterns resolved
//! against the SRPMs beside the Containerfile into the install set (A11). The
//! warnings are those of the stage (and of the global ARG/ENV) and of the passes.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;

use super::listfiles::{self, Context};
use super::reader::{self, read_text};
use super::scripts::{self, CopyMap};
use super::stages::{self, strip_quotes};
use super::{ContainerfileError, PackageSets, StageFilter, Vars, Warning, builddep, shell};

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
///
/// Errors: the file cannot be read; it has no FROM; no stage matches `filter` (or its
/// `imagePattern` is not a regex); a script or package list it COPYs is missing from
/// the build context; an SRPM for `dnf builddep` cannot be read.
pub fn extract(
    path: &Path,
    filter: &StageFilter,
    arches: &[String],
) -> Result<Extraction, ContainerfileError> {
    let document = reader::read(path)?;
    let all = stages::split(document.instructions, path);
    let stage = stages::select(&all, filter, path)?;
    let mut sets = PackageSets::default();
    let mut warnings = stage.warnings.clone();
    for run in stage.instructions("RUN") {
        shell::analyze(
            &run.value,
            &run.lines,
            &stage.vars,
            arches,
            &mut sets,
            &mut warnings,
        );
    }
    let copy_map = CopyMap::of_stage(stage);
    let ctx = Context::new(path, &stage.vars, &copy_map, arches);
    for run in stage.instructions("RUN") {
        scripts::from_run(run, &ctx, &mut sets, &mut warnings)?;
    }
    for run in stage.instructions("RUN") {
        listfiles::from_text(&run.value, &run.lines, &ctx, &mut sets, &mut warnings)?;
    }
    builddep::resolve(&sets.builddep, &ctx.dir, &mut sets.install, &mut warnings)?;
    Ok(Extraction {
        sets,
        warnings,
        stage: stage.number,
        path: path.to_path_buf(),
    })
}

static ARG_FILE_LINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\w+)\s*=(.*)$").expect("valid regex"));

/// Reads an argFile: `NAME=VALUE` lines (blank lines and `#` comments skipped; one
/// pair of matching outer quotes removed from the value).
///
/// NAME is word characters; blanks around NAME and VALUE are dropped. Any other line
/// is [`ContainerfileError::ArgFileSyntax`]. A later line overrides an earlier one.
pub fn read_arg_file(path: &Path) -> Result<Vars, ContainerfileError> {
    let text = read_text(path)?;
    let mut vars = Vars::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let c = ARG_FILE_LINE
            .captures(line)
            .ok_or_else(|| ContainerfileError::ArgFileSyntax {
                path: path.to_path_buf(),
                line: i + 1,
            })?;
        vars.insert(c[1].to_string(), strip_quotes(c[2].trim()).to_string());
    }
    Ok(vars)
}
