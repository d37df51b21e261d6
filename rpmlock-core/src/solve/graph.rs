//! Why a package is in a resolution: the dependency graph of the resolved system (every
//! package the transaction installs, and the installed context) and the shortest paths
//! in it from what was requested to a package.
//!
//! An edge `A -> B` means: one of A's Requires or Recommends is provided by B, or B
//! Supplements something A provides (B was pulled in because A is there).

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::fmt;

use serde::Serialize;

use super::libsolv::{DepKind, Pool, SolvableId};

/// The kind of dependency behind an edge of a [`DependencyGraph`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EdgeKind {
    /// `from` Requires (or `Requires(pre)`) something `to` provides.
    Requires,
    /// `from` Recommends something `to` provides (weak).
    Recommends,
    /// `to` Supplements something `from` provides (weak, reverse).
    Supplements,
}

impl EdgeKind {
    /// Whether the dependency is weak (`installWeakDeps: false` drops it).
    pub fn is_weak(self) -> bool {
        self != EdgeKind::Requires
    }

    fn word(self) -> &'static str {
        match self {
            EdgeKind::Requires => "requires",
            EdgeKind::Recommends => "recommends",
            EdgeKind::Supplements => "supplements",
        }
    }
}

/// One package of a resolved system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct GraphNode {
    /// Name.
    pub name: String,
    /// `name-[epoch:]version-release.arch`.
    pub nevra: String,
    /// Whether it is part of the installed context (not locked).
    pub installed: bool,
    /// The specs that requested it (empty: pulled in, or installed).
    pub requested_by: Vec<String>,
}

/// One edge: see the module documentation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct GraphEdge {
    /// Index of the package that pulls in.
    pub from: usize,
    /// Index of the package pulled in.
    pub to: usize,
    /// What kind of dependency.
    pub kind: EdgeKind,
    /// The dependency as written in the package (`libssl.so.3()(64bit)`,
    /// `(a or b)`): of `from` for Requires/Recommends, of `to` for Supplements.
    pub dep: String,
}

/// The dependency graph of one resolution (one arch).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DependencyGraph {
    /// Packages, sorted by NEVRA.
    pub nodes: Vec<GraphNode>,
    /// Edges, at most one per (from, to): Requires before Recommends before
    /// Supplements.
    pub edges: Vec<GraphEdge>,
}

/// Where a path starts.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum PathRoot {
    /// A requested spec.
    Requested {
        /// The spec, as given.
        spec: String,
    },
    /// A package of the installed context.
    Installed,
}

/// One step of a path: the dependency and the package it pulled in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[non_exhaustive]
pub struct PathStep {
    /// Kind of dependency.
    pub kind: EdgeKind,
    /// The dependency.
    pub dep: String,
    /// The package pulled in: its name.
    pub name: String,
    /// Its NEVRA.
    pub nevra: String,
}

/// A path from a requested (or installed) package to the package asked about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[non_exhaustive]
pub struct DependencyPath {
    /// Why the first package is there.
    pub root: PathRoot,
    /// The first package's name.
    pub name: String,
    /// The first package's NEVRA.
    pub nevra: String,
    /// The steps from it to the package asked about (empty when it is the package).
    pub steps: Vec<PathStep>,
}

impl DependencyPath {
    /// Whether any step is a weak dependency.
    pub fn is_weak(&self) -> bool {
        self.steps.iter().any(|s| s.kind.is_weak())
    }
}

/// `nginx -> requires libssl.so.3()(64bit) -> openssl-libs` (for `supplements`, the
/// next package supplements the dependency shown), with the root first
/// (`requested nginx: ...` / `installed: ...`) and weak steps marked.
impl fmt::Display for DependencyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.root {
            PathRoot::Requested { spec } => write!(f, "[requested {spec}] ")?,
            PathRoot::Installed => write!(f, "[installed] ")?,
        }
        write!(f, "{}", self.name)?;
        for s in &self.steps {
            let weak = if s.kind.is_weak() { " (weak)" } else { "" };
            write!(f, " -> {} {}{weak} -> {}", s.kind.word(), s.dep, s.name)?;
        }
        Ok(())
    }
}

impl DependencyGraph {
    /// The nodes named `name`.
    pub fn named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = usize> + 'a {
        self.nodes
            .iter()
            .enumerate()
            .filter(move |(_, n)| n.name == name)
            .map(|(i, _)| i)
    }

    /// The shortest paths from requested (or installed) packages to any package named
    /// `name`: for every such starting package, every shortest path from it (at most
    /// `limit` in all), shortest first. Empty when no package is named `name`.
    pub fn paths_to(&self, name: &str, limit: usize) -> Vec<DependencyPath> {
        let targets: Vec<usize> = self.named(name).collect();
        if targets.is_empty() {
            return Vec::new();
        }
        // Distance from every node to the nearest target, along edges.
        let mut incoming: Vec<Vec<&GraphEdge>> = vec![Vec::new(); self.nodes.len()];
        let mut outgoing: Vec<Vec<&GraphEdge>> = vec![Vec::new(); self.nodes.len()];
        for e in &self.edges {
            incoming[e.to].push(e);
            outgoing[e.from].push(e);
        }
        let mut dist = vec![usize::MAX; self.nodes.len()];
        let mut queue = VecDeque::new();
        for &t in &targets {
            dist[t] = 0;
            queue.push_back(t);
        }
        while let Some(v) = queue.pop_front() {
            for e in &incoming[v] {
                if dist[e.from] == usize::MAX {
                    dist[e.from] = dist[v] + 1;
                    queue.push_back(e.from);
                }
            }
        }
        // Every root with a path, nearest first.
        let mut roots: Vec<(usize, PathRoot)> = Vec::new();
        for (i, n) in self.nodes.iter().enumerate() {
            if dist[i] == usize::MAX {
                continue;
            }
            for spec in &n.requested_by {
                roots.push((i, PathRoot::Requested { spec: spec.clone() }));
            }
            if n.installed {
                roots.push((i, PathRoot::Installed));
            }
        }
        roots.sort_by_key(|(i, root)| (dist[*i], root.clone(), self.nodes[*i].nevra.clone()));
        // Enumerate shortest paths from each root (each step gets one closer), a
        // bounded number in all.
        let budget = limit.saturating_mul(8).max(limit);
        let mut found: Vec<DependencyPath> = Vec::new();
        for (start, root) in roots {
            let mut stack: Vec<(usize, Vec<PathStep>)> = vec![(start, Vec::new())];
            while let Some((v, steps)) = stack.pop() {
                if found.len() >= budget {
                    break;
                }
                if dist[v] == 0 {
                    found.push(DependencyPath {
                        root: root.clone(),
                        name: self.nodes[start].name.clone(),
                        nevra: self.nodes[start].nevra.clone(),
                        steps,
                    });
                    continue;
                }
                // Pushed in reverse so the first edge is explored first.
                for e in outgoing[v].iter().rev() {
                    if dist[e.to] == dist[v] - 1 {
                        let mut next = steps.clone();
                        next.push(PathStep {
                            kind: e.kind,
                            dep: e.dep.clone(),
                            name: self.nodes[e.to].name.clone(),
                            nevra: self.nodes[e.to].nevra.clone(),
                        });
                        stack.push((e.to, next));
                    }
                }
            }
        }
        // Strong paths before weak ones of the same length; then by text.
        found.sort_by_key(|p| (p.steps.len(), p.is_weak(), p.to_string()));
        found.dedup();
        found.truncate(limit);
        found
    }
}

/// The graph of the resolved system: `installs` (the transaction) and the installed
/// packages that stay (`installed` minus those an install replaces by name).
/// `requested` gives the specs that selected each solvable.
pub(super) fn build(
    pool: &Pool,
    installs: &[SolvableId],
    installed: &[SolvableId],
    requested: &HashMap<SolvableId, Vec<String>>,
) -> DependencyGraph {
    let installing: BTreeSet<&str> = installs.iter().map(|&s| pool.solvable_nea(s).0).collect();
    let mut members: Vec<SolvableId> = installs.to_vec();
    members.extend(
        installed
            .iter()
            .copied()
            .filter(|&s| !installing.contains(pool.solvable_nea(s).0)),
    );
    members.sort_by_key(|&s| pool.solvable_str(s));
    members.dedup();
    let index: HashMap<SolvableId, usize> =
        members.iter().enumerate().map(|(i, &s)| (s, i)).collect();
    let nodes: Vec<GraphNode> = members
        .iter()
        .map(|&s| GraphNode {
            name: pool.solvable_nea(s).0.to_string(),
            nevra: pool.solvable_str(s),
            installed: pool.is_installed(s),
            requested_by: requested.get(&s).cloned().unwrap_or_default(),
        })
        .collect();
    // (from, to) → the strongest edge found.
    let mut edges: BTreeMap<(usize, usize), (EdgeKind, String)> = BTreeMap::new();
    let mut add = |from: usize, to: usize, kind: EdgeKind, dep: String| {
        if from == to {
            return;
        }
        match edges.get(&(from, to)) {
            Some((k, _)) if *k <= kind => {}
            _ => {
                edges.insert((from, to), (kind, dep));
            }
        }
    };
    let providers = |d| -> Vec<usize> {
        let mut out: Vec<usize> = pool
            .pulled_deps(d)
            .into_iter()
            .flat_map(|leaf| pool.whatprovides(leaf))
            .filter_map(|p| index.get(&p).copied())
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    };
    for (i, &s) in members.iter().enumerate() {
        for (kind, dep_kind) in [
            (EdgeKind::Requires, DepKind::Requires),
            (EdgeKind::Recommends, DepKind::Recommends),
        ] {
            for d in pool.solvable_deps(s, dep_kind) {
                for p in providers(d) {
                    add(i, p, kind, pool.dep_text(d));
                }
            }
        }
        for d in pool.solvable_deps(s, DepKind::Supplements) {
            for p in providers(d) {
                add(p, i, EdgeKind::Supplements, pool.dep_text(d));
            }
        }
    }
    let mut graph = DependencyGraph {
        nodes,
        edges: edges
            .into_iter()
            .map(|((from, to), (kind, dep))| GraphEdge {
                from,
                to,
                kind,
                dep,
            })
            .collect(),
    };
    // A package nothing pulls in and no spec names was requested some other way
    // (a group member, an upgrade or reinstall).
    let pulled: BTreeSet<usize> = graph.edges.iter().map(|e| e.to).collect();
    for (i, n) in graph.nodes.iter_mut().enumerate() {
        if !n.installed && n.requested_by.is_empty() && !pulled.contains(&i) {
            n.requested_by.push(n.name.clone());
        }
    }
    graph
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, requested: &[&str]) -> GraphNode {
        GraphNode {
            name: name.into(),
            nevra: format!("{name}-1-1.noarch"),
            installed: false,
            requested_by: requested.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn edge(from: usize, to: usize, kind: EdgeKind, dep: &str) -> GraphEdge {
        GraphEdge {
            from,
            to,
            kind,
            dep: dep.into(),
        }
    }

    #[test]
    fn shortest_paths_first_weak_marked() {
        // a -> b -> d, a -> c -> d (weak), e -> d directly.
        let g = DependencyGraph {
            nodes: vec![
                node("a", &["a"]),
                node("b", &[]),
                node("c", &[]),
                node("d", &[]),
                node("e", &["e"]),
            ],
            edges: vec![
                edge(0, 1, EdgeKind::Requires, "b"),
                edge(0, 2, EdgeKind::Requires, "c"),
                edge(1, 3, EdgeKind::Requires, "libd.so.1()(64bit)"),
                edge(2, 3, EdgeKind::Recommends, "d"),
                edge(4, 3, EdgeKind::Requires, "d >= 1"),
            ],
        };
        let text: Vec<String> = g.paths_to("d", 5).iter().map(|p| p.to_string()).collect();
        assert_eq!(
            text,
            [
                "[requested e] e -> requires d >= 1 -> d",
                "[requested a] a -> requires b -> b -> requires libd.so.1()(64bit) -> d",
                "[requested a] a -> requires c -> c -> recommends d (weak) -> d",
            ]
        );
        assert_eq!(g.paths_to("d", 1).len(), 1);
        assert!(g.paths_to("zzz", 5).is_empty());
        // A requested package is its own (empty) path.
        assert_eq!(g.paths_to("a", 5)[0].to_string(), "[requested a] a");
    }
}
