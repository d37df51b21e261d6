//! rpm-ostree treefiles (`context.rpmOstreeTreefile`, `--rpm-ostree-treefile`): the
//! packages they name for one arch (CONTAINERFILE.md A13).
//!
//! A treefile is YAML (or JSON). Read, per target arch: `packages`, `packages-ARCH`
//! and every `repo-packages[].packages` (each entry split on white space, so `"a b"`
//! is two packages), plus, recursively, the treefiles named by `include` (a path or a
//! list, relative to the including treefile) and by `arch-include.ARCH` (the key is the
//! rpm arch exactly). Everything else (`repos`, `exclude-packages`, `recommends`, ...)
//! is ignored, as by the prototype: repositories come from `contentOrigin`. Unlike the
//! prototype, an include loop is an error naming the chain (not a stack overflow), and
//! `arch-include` may also name a list of files.

use std::path::{Path, PathBuf};

use serde_yaml::Value;

use super::{ContainerfileError, NameSet, Origin, add_name};

/// How deep includes may nest (a chain longer than this is surely a mistake).
const MAX_DEPTH: usize = 64;

/// The packages the treefile at `path` names for `arch`, each with its treefile.
pub fn packages(path: &Path, arch: &str) -> Result<NameSet, ContainerfileError> {
    let mut out = NameSet::new();
    let mut chain = Vec::new();
    read(path, arch, &mut chain, &mut out)?;
    Ok(out)
}

fn read(
    path: &Path,
    arch: &str,
    chain: &mut Vec<PathBuf>,
    out: &mut NameSet,
) -> Result<(), ContainerfileError> {
    let canonical = std::fs::canonicalize(path).map_err(|source| ContainerfileError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    if chain.contains(&canonical) || chain.len() >= MAX_DEPTH {
        let mut looped = chain.clone();
        looped.push(canonical);
        return Err(ContainerfileError::IncludeLoop { chain: looped });
    }
    let doc = super::read_yaml(&canonical, path)?;
    let invalid = |key: &str, message: &str| ContainerfileError::Invalid {
        path: path.to_path_buf(),
        key: key.to_string(),
        message: message.to_string(),
    };
    let Value::Mapping(map) = &doc else {
        return Err(invalid("(top level)", "expected a mapping"));
    };
    let dir = canonical.parent().unwrap_or(Path::new("/")).to_path_buf();
    let origin = Origin {
        file: path.to_path_buf(),
        line: 0,
    };
    chain.push(canonical);

    let get = |key: &str| map.get(key);
    // Includes first, then this file's own lists (the order does not matter: a set).
    let mut includes: Vec<(String, String)> = Vec::new();
    if let Some(v) = get("include") {
        includes.extend(
            paths(v)
                .ok_or_else(|| invalid("include", "expected a path or a list of paths"))?
                .into_iter()
                .map(|p| ("include".to_string(), p)),
        );
    }
    if let Some(v) = get("arch-include") {
        let Value::Mapping(by_arch) = v else {
            return Err(invalid(
                "arch-include",
                "expected a mapping of arch to path",
            ));
        };
        if let Some(v) = by_arch.get(arch) {
            let key = format!("arch-include.{arch}");
            includes.extend(
                paths(v)
                    .ok_or_else(|| invalid(&key, "expected a path or a list of paths"))?
                    .into_iter()
                    .map(|p| (key.clone(), p)),
            );
        }
    }
    for (_, include) in includes {
        read(&dir.join(include), arch, chain, out)?;
    }
    let arch_key = format!("packages-{arch}");
    for key in ["packages", arch_key.as_str()] {
        if let Some(v) = get(key) {
            add_split(v, key, &origin, out).map_err(|m| invalid(key, m))?;
        }
    }
    if let Some(v) = get("repo-packages") {
        let Value::Sequence(items) = v else {
            return Err(invalid("repo-packages", "expected a list"));
        };
        for (i, item) in items.iter().enumerate() {
            let key = format!("repo-packages[{i}]");
            let Value::Mapping(entry) = item else {
                return Err(invalid(&key, "expected {repo, packages}"));
            };
            if let Some(v) = entry.get("packages") {
                let key = format!("{key}.packages");
                add_split(v, &key, &origin, out).map_err(|m| invalid(&key, m))?;
            }
        }
    }
    chain.pop();
    Ok(())
}

/// A path or a list of paths.
fn paths(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Sequence(items) => items
            .iter()
            .map(|i| i.as_str().map(str::to_string))
            .collect(),
        _ => None,
    }
}

/// Adds every white-space separated word of every entry of the list `v`.
fn add_split(v: &Value, key: &str, origin: &Origin, out: &mut NameSet) -> Result<(), &'static str> {
    let _ = key;
    let Value::Sequence(items) = v else {
        return Err("expected a list of package names");
    };
    for item in items {
        let text = match item {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => return Err("expected a list of package names"),
        };
        for word in text.split_whitespace() {
            add_name(out, word, origin.clone());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, text).unwrap();
        p
    }

    fn names(set: &NameSet) -> Vec<&str> {
        set.keys().map(String::as_str).collect()
    }

    #[test]
    fn packages_arch_packages_repo_packages_and_includes() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "common/base.yaml",
            "packages: [test-base]\nrepos: [ignored]\n",
        );
        write(dir.path(), "x86.yaml", "packages: [x86-extra]\n");
        let top = write(
            dir.path(),
            "treefile.yaml",
            "include: [common/base.yaml]\narch-include: {x86_64: x86.yaml}\npackages: [test-app, 'two words']\npackages-x86_64: [test-arch-specific]\nrepo-packages: [{repo: test-repo, packages: [test-from-repo-packages]}]\nexclude-packages: [test-base]\n",
        );
        let x86 = packages(&top, "x86_64").unwrap();
        assert_eq!(
            names(&x86),
            [
                "test-app",
                "test-arch-specific",
                "test-base",
                "test-from-repo-packages",
                "two",
                "words",
                "x86-extra"
            ]
        );
        let arm = packages(&top, "aarch64").unwrap();
        assert_eq!(
            names(&arm),
            [
                "test-app",
                "test-base",
                "test-from-repo-packages",
                "two",
                "words"
            ]
        );
        assert_eq!(
            arm["test-base"].iter().next().unwrap().file,
            dir.path().canonicalize().unwrap().join("common/base.yaml")
        );
    }

    #[test]
    fn json_treefiles_and_a_single_include() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "inc.json", "{\"packages\": [\"a\"]}");
        let top = write(
            dir.path(),
            "t.json",
            "{\"include\": \"inc.json\", \"packages\": [\"b\"]}",
        );
        assert_eq!(names(&packages(&top, "s390x").unwrap()), ["a", "b"]);
    }

    #[test]
    fn errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let a = write(dir.path(), "a.yaml", "include: b.yaml\npackages: [x]\n");
        write(dir.path(), "b.yaml", "include: [a.yaml]\n");
        let e = packages(&a, "x86_64").unwrap_err().to_string();
        assert!(e.starts_with("treefile include loop: "), "{e}");
        assert_eq!(e.matches("a.yaml").count(), 2, "{e}");

        let missing = packages(&dir.path().join("nope.yaml"), "x86_64")
            .unwrap_err()
            .to_string();
        assert!(missing.contains("nope.yaml"), "{missing}");
        let bad = write(dir.path(), "bad.yaml", "packages: {a: 1}\n");
        let e = packages(&bad, "x86_64").unwrap_err().to_string();
        assert!(
            e.ends_with("bad.yaml: packages: expected a list of package names"),
            "{e}"
        );
        let syntax = write(dir.path(), "syntax.yaml", "packages: [a\n");
        let e = packages(&syntax, "x86_64").unwrap_err().to_string();
        assert!(e.ends_with("syntax.yaml: invalid YAML"), "{e}");
        let empty = write(dir.path(), "empty.yaml", "");
        let e = packages(&empty, "x86_64").unwrap_err().to_string();
        assert!(
            e.ends_with("empty.yaml: (top level): expected a mapping"),
            "{e}"
        );
    }
}
