//! The analysis of RUN bodies and scripts (CONTAINERFILE.md A7, A8): which `dnf`,
//! `yum` and `microdnf` commands they run, with which packages, on which arches.

use super::{LineMap, PackageSets, Vars, Warning};

/// Analyses the shell `text` (a RUN value or a script body) and adds what its package
/// commands ask for to `out`. `vars` are the stage's ARG/ENV variables (empty for
/// scripts); `arches` the run's target arches; `lines` maps offsets in `text` to the
/// lines they came from. What cannot be analysed is reported in `warnings`.
pub(crate) fn analyze(
    text: &str,
    lines: &LineMap,
    vars: &Vars,
    arches: &[String],
    out: &mut PackageSets,
    warnings: &mut Vec<Warning>,
) {
    // Placeholder until the analysis lands: finds nothing.
    let _ = (text, lines, vars, arches, out, warnings);
}
