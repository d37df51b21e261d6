//! `rpmlock verify --urls`: does every URL of a lock still download, at the size the
//! lock records? Each URL is probed with the connection settings (TLS, client
//! certificate, proxy, credentials) of the input's repo of the same repoid, a bounded
//! number at a time.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Serialize;

use crate::config::{Input, ResolvedRepo};
use crate::error::Error;
use crate::lock::Lockfile;
use crate::repo::{ConnSettings, Fetcher};

/// How many URLs are probed at once by default.
pub const DEFAULT_CONCURRENCY: usize = 8;

/// What is wrong with one URL.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum UrlProblem {
    /// It does not download (404, a TLS failure, a connection refused...).
    Dead {
        /// The error, with its causes.
        reason: String,
    },
    /// The server announces another size than the lock records.
    SizeMismatch {
        /// The size in the lock.
        locked: u64,
        /// The size the server announces.
        served: u64,
    },
}

/// One finding: a URL of one arch and repo, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[non_exhaustive]
pub struct UrlFinding {
    /// The lock section.
    pub arch: String,
    /// The repoid the lock gives.
    pub repoid: String,
    /// The URL (credentials removed).
    pub url: String,
    /// What is wrong.
    pub problem: UrlProblem,
}

/// What [`verify_urls`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct UrlReport {
    /// How many distinct URLs were probed.
    pub checked: usize,
    /// Every finding, sorted by arch, repoid, URL.
    pub findings: Vec<UrlFinding>,
    /// Repoids of the lock that the input does not define (probed with default
    /// connection settings).
    pub unknown_repos: Vec<String>,
}

impl UrlReport {
    /// Whether every URL downloads at its locked size.
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }
}

/// Findings grouped by arch and repo:
/// ```text
/// x86_64, repo base:
///   dead: URL (REASON)
///   size mismatch: URL (locked 123 bytes, served 61)
/// ```
impl fmt::Display for UrlReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut group: Option<(&str, &str)> = None;
        for x in &self.findings {
            if group != Some((&x.arch, &x.repoid)) {
                writeln!(f, "{}, repo {}:", x.arch, x.repoid)?;
                group = Some((&x.arch, &x.repoid));
            }
            match &x.problem {
                UrlProblem::Dead { reason } => writeln!(f, "  dead: {} ({reason})", x.url)?,
                UrlProblem::SizeMismatch { locked, served } => writeln!(
                    f,
                    "  size mismatch: {} (locked {locked} bytes, served {served})",
                    x.url
                )?,
            }
        }
        Ok(())
    }
}

/// One URL to probe and every (arch, repoid, size) that locks it.
struct Target<'a> {
    url: &'a str,
    repoid: &'a str,
    arch: &'a str,
    uses: Vec<(&'a str, u64)>,
}

/// Probes every URL of `lock` (packages, sources, module metadata; of `arch` only when
/// given), `concurrency` at a time, each with the connection settings of `input`'s
/// repo of its repoid (substituted for its arch; `dnf_env` as in
/// [`crate::resolve::LockOptions::dnf_env`]).
pub fn verify_urls(
    lock: &Lockfile,
    input: &Input,
    fetcher: &Fetcher,
    arch: Option<&str>,
    dnf_env: &[(String, String)],
    concurrency: usize,
) -> Result<UrlReport, Error> {
    let loaded;
    let input = if input.repofiles.is_empty() {
        input
    } else {
        let mut with_files = input.clone();
        with_files.load_repofiles(|url| fetcher.fetch_text("repofile", url))?;
        loaded = with_files;
        &loaded
    };
    let sections: Vec<_> = match arch {
        Some(a) => {
            let found: Vec<_> = lock.arches.iter().filter(|s| s.arch == a).collect();
            if found.is_empty() {
                return Err(super::VerifyError::NoSuchArch {
                    arch: a.to_string(),
                    have: lock.arches.iter().map(|s| s.arch.clone()).collect(),
                }
                .into());
            }
            found
        }
        None => lock.arches.iter().collect(),
    };
    // (arch, repoid) → connection settings, from the input's repos of that arch.
    let mut settings: HashMap<(String, String), ConnSettings> = HashMap::new();
    for s in &sections {
        let vars = crate::config::vars::Vars::from_env(&s.arch, "unknown", dnf_env.iter().cloned());
        let repos: Vec<ResolvedRepo> = input.repos_for_arch_with(&vars)?;
        for r in &repos {
            settings.insert(
                (s.arch.clone(), r.repoid.clone()),
                ConnSettings::from_repo(r)?,
            );
        }
    }
    // Each distinct (url, repoid) once, probed with the settings of the first arch
    // that locks it.
    let mut targets: BTreeMap<(&str, &str), Target<'_>> = BTreeMap::new();
    for s in &sections {
        let files = s
            .packages
            .iter()
            .chain(&s.source)
            .map(|p| (p.url.as_str(), p.repoid.as_str(), p.size))
            .chain(
                s.module_metadata
                    .iter()
                    .map(|m| (m.url.as_str(), m.repoid.as_str(), m.size)),
            );
        for (url, repoid, size) in files {
            targets
                .entry((url, repoid))
                .or_insert_with(|| Target {
                    url,
                    repoid,
                    arch: &s.arch,
                    uses: Vec::new(),
                })
                .uses
                .push((&s.arch, size));
        }
    }
    let mut unknown: Vec<String> = targets
        .values()
        .filter(|t| !settings.contains_key(&(t.arch.to_string(), t.repoid.to_string())))
        .map(|t| t.repoid.to_string())
        .collect();
    unknown.sort();
    unknown.dedup();
    for r in &unknown {
        tracing::warn!(
            "repo '{r}' of the lock is not in the input: its URLs are probed with default settings"
        );
    }
    let targets: Vec<Target<'_>> = targets.into_values().collect();
    let next = AtomicUsize::new(0);
    let findings = Mutex::new(Vec::new());
    let default = ConnSettings::default();
    std::thread::scope(|scope| {
        for _ in 0..concurrency.clamp(1, targets.len().max(1)) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(t) = targets.get(i) else { break };
                    let conn = settings
                        .get(&(t.arch.to_string(), t.repoid.to_string()))
                        .unwrap_or(&default);
                    let found: Vec<UrlFinding> = match fetcher.probe(t.repoid, conn, t.url) {
                        Err(e) => t
                            .uses
                            .iter()
                            .map(|&(arch, _)| UrlFinding {
                                arch: arch.to_string(),
                                repoid: t.repoid.to_string(),
                                url: crate::repo::redact_str(t.url),
                                problem: UrlProblem::Dead { reason: chain(&e) },
                            })
                            .collect(),
                        Ok(Some(served)) => t
                            .uses
                            .iter()
                            .filter(|&&(_, locked)| locked != served)
                            .map(|&(arch, locked)| UrlFinding {
                                arch: arch.to_string(),
                                repoid: t.repoid.to_string(),
                                url: crate::repo::redact_str(t.url),
                                problem: UrlProblem::SizeMismatch { locked, served },
                            })
                            .collect(),
                        Ok(None) => Vec::new(),
                    };
                    findings
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .extend(found);
                }
            });
        }
    });
    let mut findings = findings.into_inner().unwrap_or_else(|e| e.into_inner());
    findings.sort();
    findings.dedup();
    Ok(UrlReport {
        checked: targets.len(),
        findings,
        unknown_repos: unknown,
    })
}

/// An error and its causes, `: `-separated.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
