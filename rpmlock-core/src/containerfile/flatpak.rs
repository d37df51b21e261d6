//! Flatpak `container.yaml` files (`--flatpak`, `context.flatpak`): the packages of
//! `flatpak.packages` for one arch (CONTAINERFILE.md A14).
//!
//! An entry is a package name (every arch), or `{name, platforms: {only, not}}`
//! (`only`/`not`: an arch or a list; both may be given; no `platforms` means every
//! arch). Every other key of the file is ignored.

use std::path::Path;

use serde_yaml::Value;

use super::{ContainerfileError, NameSet, Origin, add_name};

/// The packages `flatpak.packages` of the `container.yaml` at `path` names for `arch`.
pub fn packages(path: &Path, arch: &str) -> Result<NameSet, ContainerfileError> {
    let doc = super::read_yaml(path, path)?;
    let invalid = |key: String, message: &str| ContainerfileError::Invalid {
        path: path.to_path_buf(),
        key,
        message: message.to_string(),
    };
    let origin = Origin {
        file: path.to_path_buf(),
        line: 0,
    };
    let mut out = NameSet::new();
    let list = match &doc {
        Value::Null => return Ok(out),
        Value::Mapping(m) => match m.get("flatpak") {
            None | Some(Value::Null) => return Ok(out),
            Some(Value::Mapping(f)) => match f.get("packages") {
                None | Some(Value::Null) => return Ok(out),
                Some(Value::Sequence(items)) => items,
                Some(_) => return Err(invalid("flatpak.packages".into(), "expected a list")),
            },
            Some(_) => return Err(invalid("flatpak".into(), "expected a mapping")),
        },
        _ => return Err(invalid("(top level)".into(), "expected a mapping")),
    };
    for (i, item) in list.iter().enumerate() {
        let key = format!("flatpak.packages[{i}]");
        match item {
            Value::String(name) => add_name(&mut out, name.trim(), origin.clone()),
            Value::Mapping(entry) => {
                let applies = match entry.get("platforms") {
                    None | Some(Value::Null) => true,
                    Some(Value::Mapping(p)) => {
                        let list = |k: &str| -> Result<Option<Vec<String>>, ContainerfileError> {
                            match p.get(k) {
                                None => Ok(None),
                                Some(Value::String(s)) => Ok(Some(vec![s.clone()])),
                                Some(Value::Sequence(v)) => v
                                    .iter()
                                    .map(|a| a.as_str().map(str::to_string))
                                    .collect::<Option<Vec<_>>>()
                                    .map(Some)
                                    .ok_or_else(|| {
                                        invalid(
                                            format!("{key}.platforms.{k}"),
                                            "expected an arch or a list of arches",
                                        )
                                    }),
                                Some(_) => Err(invalid(
                                    format!("{key}.platforms.{k}"),
                                    "expected an arch or a list of arches",
                                )),
                            }
                        };
                        let only = list("only")?;
                        let not = list("not")?;
                        only.is_none_or(|o| o.iter().any(|a| a == arch))
                            && !not.is_some_and(|n| n.iter().any(|a| a == arch))
                    }
                    Some(_) => {
                        return Err(invalid(format!("{key}.platforms"), "expected {only, not}"));
                    }
                };
                match entry.get("name") {
                    Some(Value::String(name)) if !name.trim().is_empty() => {
                        if applies {
                            add_name(&mut out, name.trim(), origin.clone());
                        }
                    }
                    // Checked whether or not it applies: a typo must not hide on
                    // the arches it does not apply to.
                    _ => return Err(invalid(format!("{key}.name"), "missing package name")),
                }
            }
            _ => return Err(invalid(key, "expected a package name or {name, platforms}")),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("container.yaml");
        std::fs::write(&p, text).unwrap();
        (dir, p)
    }

    #[test]
    fn platforms_only_and_not() {
        let (_d, p) = yaml(
            "compose: {modules: [x]}\nflatpak:\n  id: org.example.App\n  packages:\n  - test-common\n  - {name: test-x86-only, platforms: {only: [x86_64]}}\n  - {name: test-not-aarch64, platforms: {not: aarch64}}\n  - {name: both, platforms: {only: [x86_64, s390x], not: [s390x]}}\n",
        );
        let names = |a| packages(&p, a).unwrap().into_keys().collect::<Vec<_>>();
        assert_eq!(
            names("x86_64"),
            ["both", "test-common", "test-not-aarch64", "test-x86-only"]
        );
        assert_eq!(names("aarch64"), ["test-common"]);
        assert_eq!(names("s390x"), ["test-common", "test-not-aarch64"]);
    }

    #[test]
    fn missing_sections_are_empty() {
        for text in [
            "",
            "compose: {}\n",
            "flatpak: {id: x}\n",
            "flatpak: {packages: null}\n",
        ] {
            let (_d, p) = yaml(text);
            assert!(packages(&p, "x86_64").unwrap().is_empty(), "{text}");
        }
    }

    #[test]
    fn errors_name_file_and_key() {
        for (text, want) in [
            (
                "flatpak: {packages: [{platforms: {only: x86_64}}]}\n",
                "flatpak.packages[0].name: missing package name",
            ),
            (
                "flatpak: {packages: [{name: a, platforms: {only: {x: 1}}}]}\n",
                "flatpak.packages[0].platforms.only: expected an arch or a list of arches",
            ),
            (
                "flatpak: {packages: a}\n",
                "flatpak.packages: expected a list",
            ),
            ("flatpak: [a]\n", "flatpak: expected a mapping"),
            (
                "flatpak: {packages: [1]}\n",
                "flatpak.packages[0]: expected a package name or {name, platforms}",
            ),
            ("flatpak: {packages: [a\n", "container.yaml: invalid YAML"),
        ] {
            let (_d, p) = yaml(text);
            let e = packages(&p, "x86_64").unwrap_err().to_string();
            assert!(e.ends_with(want), "{text}: {e}");
            assert!(e.contains("container.yaml"), "{e}");
        }
        let e = packages(Path::new("/nonexistent/container.yaml"), "x86_64").unwrap_err();
        assert!(e.to_string().contains("/nonexistent/container.yaml"));
    }
}
