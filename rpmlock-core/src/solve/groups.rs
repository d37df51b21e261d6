//! `@group` specs, read as dnf 4.14's `Base.install_specs` reads them (the API
//! rpm-lockfile-prototype calls): `@PATTERN` or `@PATTERN/TYPE[,TYPE...]`.
//!
//! PATTERN is looked up among environments and groups (comps merged over every repo):
//! an exact (case-sensitive) id or name, else a case-insensitive glob over ids and
//! names; every match is installed. A group gives its packages of the selected types
//! (default `mandatory`, `default` and `conditional`); an environment gives those of
//! each group of its `<grouplist>` (not its `<optionlist>`). The solver turns each
//! member into a job ([`super::solve`]).

use crate::repo::{Comps, CompsEnvironment, CompsGroup, PackageKind};

use super::spec;

/// dnf's default `group_package_types`.
const DEFAULT_TYPES: [PackageKind; 3] = [
    PackageKind::Mandatory,
    PackageKind::Default,
    PackageKind::Conditional,
];

/// A package a group asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMember {
    /// The package name.
    pub name: String,
    /// The condition of a conditional package: it is installed only if a package
    /// providing this is installed too.
    pub requires: Option<String>,
    /// Only the package of the base arch.
    pub basearchonly: bool,
}

/// Why a group spec selects nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum GroupSpecError {
    /// No group or environment matches the pattern (dnf: "Module or Group 'X' is not
    /// available.").
    NotAvailable(String),
    /// A `/TYPE` that is not a comps package type.
    InvalidType(String),
}

/// The packages `@spec` installs (`spec` without the `@`), and dnf's warnings about
/// groups an environment names but comps lacks.
pub(crate) fn expand(
    comps: Option<&Comps>,
    spec: &str,
) -> Result<(Vec<GroupMember>, Vec<String>), GroupSpecError> {
    let (pattern, types) = match spec.split_once('/') {
        Some((pattern, rest)) => {
            // Python's `spec.split('/')[1]`: anything after a second `/` is dropped.
            let list = rest.split('/').next().unwrap_or_default();
            (pattern, Some(list))
        }
        None => (spec, None),
    };
    let empty = Comps::default();
    let comps = comps.unwrap_or(&empty);
    let groups = by_pattern(&comps.groups, pattern, |g: &CompsGroup| {
        (g.id.as_str(), g.name.as_deref())
    });
    let environments = by_pattern(&comps.environments, pattern, |e: &CompsEnvironment| {
        (e.id.as_str(), e.name.as_deref())
    });
    if groups.is_empty() && environments.is_empty() {
        return Err(GroupSpecError::NotAvailable(pattern.to_string()));
    }
    let types: Vec<PackageKind> = match types {
        None => DEFAULT_TYPES.to_vec(),
        Some(list) => list
            .split(',')
            .map(|t| match t {
                "mandatory" => Ok(PackageKind::Mandatory),
                "default" => Ok(PackageKind::Default),
                "optional" => Ok(PackageKind::Optional),
                "conditional" => Ok(PackageKind::Conditional),
                other => Err(GroupSpecError::InvalidType(other.to_string())),
            })
            .collect::<Result<_, _>>()?,
    };
    let mut members = Vec::new();
    let mut warnings = Vec::new();
    for g in groups {
        push_members(g, &types, &mut members);
    }
    for env in environments {
        for id in &env.groups {
            match comps.group(id) {
                Some(g) => push_members(g, &types, &mut members),
                None => warnings.push(format!("no group '{id}' from environment '{}'", env.id)),
            }
        }
    }
    Ok((members, warnings))
}

fn push_members(g: &CompsGroup, types: &[PackageKind], out: &mut Vec<GroupMember>) {
    for p in &g.packages {
        if types.contains(&p.kind) {
            out.push(GroupMember {
                name: p.name.clone(),
                requires: p.requires.clone(),
                basearchonly: p.basearchonly,
            });
        }
    }
}

/// dnf's `_by_pattern`: the items whose id or name equals `pattern`; if none, those
/// whose id or name matches it as a case-insensitive glob.
fn by_pattern<'c, T>(
    items: &'c [T],
    pattern: &str,
    key: impl Fn(&T) -> (&str, Option<&str>),
) -> Vec<&'c T> {
    let exact: Vec<&T> = items
        .iter()
        .filter(|i| {
            let (id, name) = key(i);
            id == pattern || name == Some(pattern)
        })
        .collect();
    if !exact.is_empty() {
        return exact;
    }
    let pattern = pattern.to_lowercase();
    let matches = |s: &str| spec::fnmatch(&pattern, &s.to_lowercase());
    items
        .iter()
        .filter(|i| {
            let (id, name) = key(i);
            matches(id) || name.is_some_and(matches)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repo::parse_comps;

    const COMPS: &str = r#"<comps>
      <group><id>tools</id><name>Dev Tools</name><packagelist>
        <packagereq type="mandatory">make</packagereq>
        <packagereq type="default">gdb</packagereq>
        <packagereq type="optional">valgrind</packagereq>
        <packagereq type="conditional" requires="gcc">gcc-plugin</packagereq>
        <packagereq type="bogus">never</packagereq>
      </packagelist></group>
      <group><id>web</id><name>Web Server</name><packagelist>
        <packagereq basearchonly="true">httpd</packagereq>
      </packagelist></group>
      <group><id>WEB</id><packagelist><packagereq>nginx</packagereq></packagelist></group>
      <environment><id>server</id><name>Server Env</name>
        <grouplist><groupid>web</groupid><groupid>gone</groupid></grouplist>
        <optionlist><groupid>tools</groupid></optionlist>
      </environment>
    </comps>"#;

    fn names(spec: &str) -> Result<(Vec<String>, Vec<String>), GroupSpecError> {
        let comps = parse_comps(COMPS.as_bytes(), "c").unwrap();
        expand(Some(&comps), spec).map(|(m, w)| (m.into_iter().map(|m| m.name).collect(), w))
    }

    #[test]
    fn types_default_and_explicit() {
        assert_eq!(
            names("tools").unwrap().0,
            ["make", "gdb", "gcc-plugin"],
            "mandatory, default and conditional; never optional or unknown types"
        );
        assert_eq!(names("tools/optional").unwrap().0, ["valgrind"]);
        assert_eq!(
            names("tools/mandatory,optional/ignored").unwrap().0,
            ["make", "valgrind"]
        );
        assert_eq!(
            names("tools/bogus"),
            Err(GroupSpecError::InvalidType("bogus".into()))
        );
        assert_eq!(
            names("nosuch/bogus"),
            Err(GroupSpecError::NotAvailable("nosuch".into())),
            "the lookup comes before the types"
        );
    }

    #[test]
    fn patterns() {
        assert_eq!(names("Dev Tools").unwrap().0, ["make", "gdb", "gcc-plugin"]);
        assert_eq!(names("dev tools").unwrap().0, ["make", "gdb", "gcc-plugin"]);
        assert_eq!(names("TOOL?").unwrap().0, ["make", "gdb", "gcc-plugin"]);
        assert_eq!(
            names("web").unwrap().0,
            ["httpd"],
            "an exact id or name hides glob matches"
        );
        assert_eq!(names("Web").unwrap().0, ["httpd", "nginx"]);
        assert_eq!(names("web server").unwrap().0, ["httpd"]);
        assert_eq!(
            names("nosuch"),
            Err(GroupSpecError::NotAvailable("nosuch".into()))
        );
        assert_eq!(
            expand(None, "tools"),
            Err(GroupSpecError::NotAvailable("tools".into()))
        );
    }

    #[test]
    fn environments_install_their_grouplist() {
        let (names, warnings) = names("server").unwrap();
        assert_eq!(names, ["httpd"]);
        assert_eq!(warnings, ["no group 'gone' from environment 'server'"]);
        let comps = parse_comps(COMPS.as_bytes(), "c").unwrap();
        let (members, _) = expand(Some(&comps), "Server Env").unwrap();
        assert!(members[0].basearchonly);
        let (members, _) = expand(Some(&comps), "tools").unwrap();
        assert_eq!(members[2].requires.as_deref(), Some("gcc"));
    }
}
