//! `rpmlock why NAME`: the answer for every arch, arches with the same answer merged.

use std::fmt;

use serde::Serialize;

use super::graph::{DependencyGraph, DependencyPath};

/// Why a package is in the resolution of each arch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct WhyReport {
    /// The package name asked about.
    pub name: String,
    /// One answer per group of arches that answer the same, in arch order.
    pub arches: Vec<ArchWhy>,
}

/// The answer for one or more arches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ArchWhy {
    /// The arches with this answer.
    pub arches: Vec<String>,
    /// The package's NEVRAs on the first of these arches (several for multilib or
    /// install-only packages).
    pub nevras: Vec<String>,
    /// Whether it is part of the installed context rather than the lock.
    pub installed: bool,
    /// The shortest paths from what was requested (or installed) to it.
    pub paths: Vec<DependencyPath>,
}

/// Nothing named so in any arch's resolution.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{name} is not in the lock{}",
    if suggestions.is_empty() { String::new() } else { format!(" (did you mean {}?)", suggestions.join(", ")) }
)]
#[non_exhaustive]
pub struct NotInResolution {
    /// The name asked about.
    pub name: String,
    /// The closest names that are there.
    pub suggestions: Vec<String>,
}

/// Answers `why NAME` from every arch's graph (`(arch, graph)`), with at most `limit`
/// paths per arch; arches in name order.
pub fn why(
    graphs: &[(String, DependencyGraph)],
    name: &str,
    limit: usize,
) -> Result<WhyReport, NotInResolution> {
    let mut arches: Vec<ArchWhy> = Vec::new();
    let mut sorted: Vec<&(String, DependencyGraph)> = graphs.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    for (arch, graph) in sorted {
        let found: Vec<usize> = graph.named(name).collect();
        if found.is_empty() {
            continue;
        }
        let answer = ArchWhy {
            arches: vec![arch.clone()],
            nevras: found
                .iter()
                .map(|&i| graph.nodes[i].nevra.clone())
                .collect(),
            installed: found.iter().all(|&i| graph.nodes[i].installed),
            paths: graph.paths_to(name, limit),
        };
        // Same answer but for the arch in NEVRAs: merged.
        let same = arches.iter_mut().find(|a| {
            a.installed == answer.installed
                && a.paths.len() == answer.paths.len()
                && strip_arch(&a.nevras, &a.arches[0]) == strip_arch(&answer.nevras, arch)
                && a.paths.iter().zip(&answer.paths).all(|(x, y)| {
                    strip_arch(&[x.to_string()], &a.arches[0]) == strip_arch(&[y.to_string()], arch)
                })
        });
        match same {
            Some(a) => a.arches.push(arch.clone()),
            None => arches.push(answer),
        }
    }
    if arches.is_empty() {
        let mut names: Vec<&str> = graphs
            .iter()
            .flat_map(|(_, g)| g.nodes.iter().map(|n| n.name.as_str()))
            .collect();
        names.sort_unstable();
        names.dedup();
        return Err(NotInResolution {
            name: name.to_string(),
            suggestions: crate::config::closest(name, names, 3),
        });
    }
    Ok(WhyReport {
        name: name.to_string(),
        arches,
    })
}

/// Texts with the target arch written as `ARCH`, to compare answers across arches.
fn strip_arch(texts: &[String], arch: &str) -> Vec<String> {
    texts
        .iter()
        .map(|t| t.replace(&format!(".{arch}"), ".ARCH"))
        .collect()
}

/// ```text
/// aarch64, x86_64: chain-c-1.0-1
///   [requested chain-a] chain-a -> requires chain-b -> chain-b -> ...
/// ```
impl fmt::Display for WhyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for a in &self.arches {
            // Several arches: a package of the target arch is shown without it.
            let nevras: Vec<&str> = a
                .nevras
                .iter()
                .map(|n| match a.arches.as_slice() {
                    [first, _, ..] => n.strip_suffix(&format!(".{first}")).unwrap_or(n),
                    _ => n,
                })
                .collect();
            writeln!(f, "{}: {}", a.arches.join(", "), nevras.join(", "))?;
            if a.installed {
                writeln!(f, "  installed in the context (not locked)")?;
            }
            if a.paths.is_empty() && !a.installed {
                writeln!(f, "  (nothing in the resolution pulls it in)")?;
            }
            for p in &a.paths {
                writeln!(f, "  {p}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solve::graph::{EdgeKind, GraphEdge, GraphNode};

    fn graph(arch: &str, lib_installed: bool) -> DependencyGraph {
        DependencyGraph {
            nodes: vec![
                GraphNode {
                    name: "app".into(),
                    nevra: format!("app-1-1.{arch}"),
                    installed: false,
                    requested_by: vec!["app".into()],
                },
                GraphNode {
                    name: "lib".into(),
                    nevra: format!("lib-2-1.{arch}"),
                    installed: lib_installed,
                    requested_by: Vec::new(),
                },
            ],
            edges: vec![GraphEdge {
                from: 0,
                to: 1,
                kind: EdgeKind::Requires,
                dep: "libx.so.2()(64bit)".into(),
            }],
        }
    }

    #[test]
    fn arches_with_one_answer_share_a_block() {
        let graphs = vec![
            ("x86_64".to_string(), graph("x86_64", false)),
            ("aarch64".to_string(), graph("aarch64", false)),
            ("s390x".to_string(), graph("s390x", true)),
        ];
        let report = why(&graphs, "lib", 5).unwrap();
        assert_eq!(
            report.to_string(),
            "aarch64, x86_64: lib-2-1\n  [requested app] app -> requires libx.so.2()(64bit) -> lib\n\
             s390x: lib-2-1.s390x\n  installed in the context (not locked)\n  [installed] lib\n  [requested app] app -> requires libx.so.2()(64bit) -> lib\n"
        );
        let err = why(&graphs, "lob", 5).unwrap_err();
        assert_eq!(
            err.to_string(),
            "lob is not in the lock (did you mean lib?)"
        );
    }
}
