//! libsolv problems rendered in dnf's words (libdnf's `describeProblemRules`).

use super::libsolv::{Pool, RuleInfo, SolvableId, rule};

/// A package as dnf names it in problems: `name-[epoch:]version-release.arch from REPO`.
fn pkg(pool: &Pool, id: i32) -> String {
    match pool.solvable_id(id) {
        Some(s) => format!(
            "{} from {}",
            pool.solvable_str(s),
            pool.solvable_repo_name(s)
        ),
        None => format!("solvable #{id}"),
    }
}

/// One problem: every rule info as a line, de-duplicated, in libsolv's order.
pub(super) fn describe(pool: &Pool, infos: &[RuleInfo]) -> Vec<String> {
    describe_with(pool, infos, &|_| false)
}

/// [`describe`], where `modular(s)` says whether `s` was hidden by modular filtering
/// (rather than by an exclude).
pub(super) fn describe_with(
    pool: &Pool,
    infos: &[RuleInfo],
    modular: &dyn Fn(SolvableId) -> bool,
) -> Vec<String> {
    dedup_in_order(infos.iter().map(|info| describe_rule(pool, info, modular)))
}

/// The lines without repeats, first occurrences in order; linear in their number (a
/// problem of hostile metadata may have hundreds of thousands of rule infos).
fn dedup_in_order(lines: impl Iterator<Item = String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    lines.filter(|l| seen.insert(l.clone())).collect()
}

fn describe_rule(pool: &Pool, r: &RuleInfo, modular: &dyn Fn(SolvableId) -> bool) -> String {
    let dep = || pool.dep_str(r.dep);
    match r.kind {
        rule::DISTUPGRADE => format!(
            "{} does not belong to a distupgrade repository",
            pkg(pool, r.source)
        ),
        rule::INFARCH => format!("{} has inferior architecture", pkg(pool, r.source)),
        rule::UPDATE => format!("problem with installed package {}", pkg(pool, r.source)),
        rule::JOB => "conflicting requests".to_string(),
        rule::JOB_UNSUPPORTED => "unsupported request".to_string(),
        rule::JOB_NOTHING_PROVIDES_DEP => format!("nothing provides requested {}", dep()),
        rule::JOB_UNKNOWN_PACKAGE => format!("package {} does not exist", dep()),
        rule::JOB_PROVIDED_BY_SYSTEM => format!("{} is provided by the system", dep()),
        rule::PKG => "some dependency problem".to_string(),
        rule::BEST if r.source > 0 => {
            format!(
                "cannot install the best update candidate for package {}",
                pkg(pool, r.source)
            )
        }
        rule::BEST => "cannot install the best candidate for the job".to_string(),
        rule::PKG_NOT_INSTALLABLE => {
            let Some(s) = pool.solvable_id(r.source) else {
                return format!("package {} is not installable", pkg(pool, r.source));
            };
            if modular(s) {
                format!(
                    "package {} is filtered out by modular filtering",
                    pkg(pool, r.source)
                )
            } else if !pool.is_considered(s) {
                format!(
                    "package {} is filtered out by exclude filtering",
                    pkg(pool, r.source)
                )
            } else if !pool.arch_installable(s) {
                format!(
                    "package {} does not have a compatible architecture",
                    pkg(pool, r.source)
                )
            } else {
                format!("package {} is not installable", pkg(pool, r.source))
            }
        }
        rule::PKG_NOTHING_PROVIDES_DEP => format!(
            "nothing provides {} needed by {}",
            dep(),
            pkg(pool, r.source)
        ),
        rule::PKG_SAME_NAME => format!(
            "cannot install both {} and {}",
            pkg(pool, r.source),
            pkg(pool, r.target)
        ),
        rule::PKG_CONFLICTS => format!(
            "package {} conflicts with {} provided by {}",
            pkg(pool, r.source),
            dep(),
            pkg(pool, r.target)
        ),
        rule::PKG_OBSOLETES => format!(
            "package {} obsoletes {} provided by {}",
            pkg(pool, r.source),
            dep(),
            pkg(pool, r.target)
        ),
        rule::PKG_INSTALLED_OBSOLETES => format!(
            "installed package {} obsoletes {} provided by {}",
            pkg(pool, r.source),
            dep(),
            pkg(pool, r.target)
        ),
        rule::PKG_IMPLICIT_OBSOLETES => format!(
            "package {} implicitly obsoletes {} provided by {}",
            pkg(pool, r.source),
            dep(),
            pkg(pool, r.target)
        ),
        rule::PKG_REQUIRES => format!(
            "package {} requires {}, but none of the providers can be installed",
            pkg(pool, r.source),
            dep()
        ),
        rule::PKG_SELF_CONFLICT => {
            format!(
                "package {} conflicts with {} provided by itself",
                pkg(pool, r.source),
                dep()
            )
        }
        rule::YUMOBS => format!(
            "both package {} and {} obsolete {}",
            pkg(pool, r.source),
            pkg(pool, r.target),
            dep()
        ),
        other => format!("bad rule type {other}"),
    }
}

/// All problems as dnf prints them: `Problem: first\n  - second ...`, numbered when
/// there are several.
pub(super) fn render(problems: &[Vec<String>]) -> String {
    let mut out = String::new();
    for (i, lines) in problems.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if problems.len() == 1 {
            out.push_str("Problem: ");
        } else {
            out.push_str(&format!("Problem {}: ", i + 1));
        }
        let mut it = lines.iter();
        if let Some(first) = it.next() {
            out.push_str(first);
        }
        for l in it {
            out.push_str("\n  - ");
            out.push_str(l);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dedup_keeps_first_occurrences_in_linear_time() {
        let lines = ["b", "a", "b", "c", "a"].map(String::from);
        assert_eq!(dedup_in_order(lines.into_iter()), ["b", "a", "c"]);
        // 200,000 distinct lines: a quadratic de-duplication takes minutes here.
        let started = std::time::Instant::now();
        let many = (0..200_000).map(|i| format!("nothing provides missing-{i} needed by x"));
        assert_eq!(dedup_in_order(many).len(), 200_000);
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
    }
}
