//! The input's `variables`: `{NAME}` placeholders substituted in the input's strings.
//!
//! `variables` is a list of `{inline: {K: V}}` and `{file: PATH}` entries (a file holds
//! `KEY=VALUE` lines; blank lines and `#` comments are skipped; PATH is relative to the
//! input's directory); later entries win. A placeholder is `{NAME}` with `NAME` made of
//! ASCII letters, digits and `_`, not preceded by `$` (so dnf's `${basearch}` stays dnf's);
//! anything else with braces is literal. Substituted values are not substituted again.
//! A placeholder whose name no entry defines is an error naming it and where it is used.
//!
//! [`Input::apply_variables`] substitutes every string list of the input; a new list is
//! wired in by adding it to one of the lists of lists there.

use std::collections::BTreeMap;

use super::{ConfigError, Input, RepoConfig};

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Replaces every `{NAME}` in `s` with its value in `vars`; `origin` and `key` name the
/// place for the error about an undefined name.
pub(crate) fn substitute_braces(
    s: &str,
    vars: &BTreeMap<String, String>,
    origin: &str,
    key: &str,
) -> Result<String, ConfigError> {
    if !s.contains('{') {
        return Ok(s.to_string());
    }
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut done = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'{' || (i > 0 && bytes[i - 1] == b'$') {
            i += 1;
            continue;
        }
        let start = i + 1;
        let end = start
            + bytes[start..]
                .iter()
                .take_while(|&&b| is_name_byte(b))
                .count();
        if end == start || bytes.get(end) != Some(&b'}') {
            i += 1;
            continue;
        }
        let name = &s[start..end];
        let value = vars
            .get(name)
            .ok_or_else(|| ConfigError::UndefinedVariable {
                origin: origin.to_string(),
                key: key.to_string(),
                name: name.to_string(),
            })?;
        out.push_str(&s[done..i]);
        out.push_str(value);
        i = end + 1;
        done = i;
    }
    out.push_str(&s[done..]);
    Ok(out)
}

/// The `KEY=VALUE` lines of a variables file; `origin` names it in errors.
pub(crate) fn parse_file(text: &str, origin: &str) -> Result<Vec<(String, String)>, ConfigError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let bad = |message: String| ConfigError::InvalidValue {
            origin: format!("{origin}:{}", i + 1),
            key: "variables".into(),
            message,
        };
        // The line itself is not echoed: a variables file may hold secrets.
        let Some((key, value)) = trimmed.split_once('=') else {
            return Err(bad("expected KEY=VALUE".to_string()));
        };
        let key = key.trim();
        if key.is_empty() || !key.bytes().all(is_name_byte) {
            return Err(bad(format!(
                "`{key}` is not a variable name (letters, digits and `_`)"
            )));
        }
        out.push((key.to_string(), value.trim().to_string()));
    }
    Ok(out)
}

impl Input {
    /// Substitutes [`Input::variables`] for `{NAME}` in every string list of the input:
    /// package specs, repoids, base URLs and options of `contentOrigin.repos`, repofile
    /// locations, `excludePackages` and `assumeProvides`. Called by the parser; a list
    /// added to [`Input`] gets one entry in a list of lists here.
    pub fn apply_variables(&mut self) -> Result<(), ConfigError> {
        let origin = super::parse::origin_name(self.path.as_deref());
        let vars = &self.variables;
        let item = |s: &mut String, key: &str, i: usize| -> Result<(), ConfigError> {
            *s = substitute_braces(s, vars, &origin, &format!("{key}[{i}]"))?;
            Ok(())
        };
        for (list, key) in [
            (&mut self.packages, "packages"),
            (&mut self.reinstall_packages, "reinstallPackages"),
            (&mut self.upgrade_packages, "upgradePackages"),
        ] {
            for (i, p) in list.iter_mut().enumerate() {
                item(&mut p.spec, key, i)?;
            }
        }
        for (i, repo) in self.repos.iter_mut().enumerate() {
            substitute_repo(repo, vars, &origin, &format!("contentOrigin.repos[{i}]"))?;
        }
        for (list, key) in [
            (&mut self.repofiles, "contentOrigin.repofiles"),
            (&mut self.exclude_packages, "excludePackages"),
            (&mut self.assume_provides, "assumeProvides"),
            (&mut self.module_disable, "moduleDisable"),
        ] {
            for (i, s) in list.iter_mut().enumerate() {
                item(s, key, i)?;
            }
        }
        // `name:stream` as written, substituted, then split again.
        for (i, m) in self.module_enable.iter_mut().enumerate() {
            let mut text = m.to_string();
            item(&mut text, "moduleEnable", i)?;
            match text.split_once(':') {
                Some((n, s)) => {
                    m.name = n.to_string();
                    m.stream = Some(s.to_string());
                }
                None => m.name = text,
            }
        }
        // As the prototype: `{NAME}` in the context image reference.
        if let super::Context::Image(reference) = &mut self.context {
            item(reference, "context.image", 0)?;
        }
        // As the prototype: in packagesFromContainerfile's path (not in the stage
        // filters, not in context.containerfile).
        if let Some(cf) = &mut self.packages_from_containerfile {
            let mut file = cf.file.to_string_lossy().into_owned();
            item(&mut file, "packagesFromContainerfile", 0)?;
            cf.file = file.into();
        }
        Ok(())
    }

    /// Substitutes [`Input::variables`] in every item of `list` (`key` names the list in
    /// the error about an undefined variable, with the item's index).
    pub fn substitute_list(&self, list: &mut [String], key: &str) -> Result<(), ConfigError> {
        let origin = super::parse::origin_name(self.path.as_deref());
        for (i, item) in list.iter_mut().enumerate() {
            *item = substitute_braces(item, &self.variables, &origin, &format!("{key}[{i}]"))?;
        }
        Ok(())
    }

    /// Substitutes [`Input::variables`] in a repo's id, base URLs and option values.
    pub(crate) fn substitute_repo(
        &self,
        repo: &mut RepoConfig,
        at: &str,
    ) -> Result<(), ConfigError> {
        let origin = super::parse::origin_name(self.path.as_deref());
        substitute_repo(repo, &self.variables, &origin, at)
    }
}

/// Substitutes `vars` in a repo's id, base URLs and option values; `origin` and `at`
/// name the place for the error about an undefined name.
fn substitute_repo(
    repo: &mut RepoConfig,
    vars: &BTreeMap<String, String>,
    origin: &str,
    at: &str,
) -> Result<(), ConfigError> {
    repo.repoid = substitute_braces(&repo.repoid, vars, origin, &format!("{at}.repoid"))?;
    for url in &mut repo.baseurls {
        *url = substitute_braces(url, vars, origin, &format!("{at}.baseurl"))?;
    }
    for (k, v) in &mut repo.options {
        *v = substitute_braces(v, vars, origin, &format!("{at}.{k}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> BTreeMap<String, String> {
        [("NAME", "bash"), ("v_2", "{NAME}"), ("empty", "")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn braces() {
        let cases = [
            ("{NAME}", "bash"),
            ("x-{NAME}-{NAME}", "x-bash-bash"),
            ("{v_2}", "{NAME}"),
            ("{empty}x", "x"),
            ("${basearch}", "${basearch}"),
            ("$x{NAME}", "$xbash"),
            ("{}", "{}"),
            ("{ NAME}", "{ NAME}"),
            ("{a,b}", "{a,b}"),
            ("{NAME", "{NAME"),
            ("{{NAME}}", "{bash}"),
            ("é{NAME}", "ébash"),
            ("plain", "plain"),
        ];
        for (input, want) in cases {
            assert_eq!(
                substitute_braces(input, &vars(), "in.yaml", "k").unwrap(),
                want,
                "{input:?}"
            );
        }
    }

    #[test]
    fn undefined_is_named() {
        let err = substitute_braces("a{MISSING}b", &vars(), "in.yaml", "packages[1]")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "in.yaml: packages[1]: variable `{MISSING}` is not defined in `variables`"
        );
    }

    #[test]
    fn files() {
        let text = "# comment\n\nA=1\n B = two words \nC=\nD=x=y\n";
        assert_eq!(
            parse_file(text, "v.env").unwrap(),
            [
                ("A".into(), "1".into()),
                ("B".into(), "two words".into()),
                ("C".into(), "".into()),
                ("D".into(), "x=y".into())
            ]
        );
        let err = parse_file("A=1\nnope\n", "v.env").unwrap_err().to_string();
        assert_eq!(err, "v.env:2: variables: expected KEY=VALUE");
        let err = parse_file("a-b=1\n", "v.env").unwrap_err().to_string();
        assert!(err.contains("`a-b` is not a variable name"), "{err}");
    }
}
