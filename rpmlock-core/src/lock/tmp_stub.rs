//! Temporary stand-in until the lock renderer lands.
#![allow(missing_docs)]
use super::Lockfile;

#[derive(Debug, thiserror::Error)]
#[error("lock error: {0}")]
pub struct LockError(String);

impl Lockfile {
    pub fn normalize(&mut self) {
        self.arches.sort_by(|a, b| a.arch.cmp(&b.arch));
        for a in &mut self.arches {
            a.packages.sort();
            a.packages.dedup();
            a.source.sort();
            a.source.dedup();
        }
    }
    pub fn render(&self) -> String {
        let mut s = String::from("---\nlockfileVersion: 1\nlockfileVendor: redhat\narches:\n");
        for a in &self.arches {
            s.push_str(&format!("- arch: {}\n", a.arch));
            for (key, list) in [("packages", &a.packages), ("source", &a.source)] {
                if list.is_empty() {
                    s.push_str(&format!("  {key}: []\n"));
                    continue;
                }
                s.push_str(&format!("  {key}:\n"));
                for p in list {
                    s.push_str(&format!("  - url: {}\n    repoid: {}\n    size: {}\n    checksum: {}\n    name: {}\n    evr: {}\n", p.url, p.repoid, p.size, p.checksum, p.name, p.evr));
                    if let Some(srpm) = &p.sourcerpm {
                        s.push_str(&format!("    sourcerpm: {srpm}\n"));
                    }
                }
            }
            s.push_str("  module_metadata: []\n");
        }
        s
    }
    pub fn write_atomic(&self, path: &std::path::Path) -> Result<(), LockError> {
        std::fs::write(path, self.render()).map_err(|e| LockError(e.to_string()))
    }
}
