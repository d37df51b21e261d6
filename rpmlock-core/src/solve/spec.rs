//! Package specs as `dnf install` reads them: NEVRA forms, globs, provides, file paths.

use std::cmp::Ordering;

use crate::model::{DepFlags, Evr, rpmvercmp};

/// The forms dnf tries, in order, for `dnf install SPEC` (hawkey's most-specific list).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    Nevra,
    Na,
    Name,
    Nevr,
    Nev,
}

pub(crate) const INSTALL_FORMS: [Form; 5] =
    [Form::Nevra, Form::Na, Form::Name, Form::Nevr, Form::Nev];

/// A spec parsed in one form. `None` fields are not constrained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NevraPattern<'a> {
    pub name: &'a str,
    pub epoch: Option<u64>,
    pub version: Option<&'a str>,
    pub release: Option<&'a str>,
    pub arch: Option<&'a str>,
}

impl NevraPattern<'_> {
    /// Whether only a name (possibly a glob) was given.
    pub fn has_just_name(&self) -> bool {
        self.epoch.is_none()
            && self.version.is_none()
            && self.release.is_none()
            && self.arch.is_none()
    }

    /// Whether the name matches (the cheap first test).
    pub fn name_matches(&self, name: &str) -> bool {
        field_matches(self.name, name)
    }

    /// Whether a package with these fields matches.
    pub fn matches(&self, name: &str, evr: &Evr, arch: &str) -> bool {
        field_matches(self.name, name)
            && self.epoch.is_none_or(|e| e == evr.epoch)
            && self
                .version
                .is_none_or(|v| version_matches(v, &evr.version))
            && self
                .release
                .is_none_or(|r| version_matches(r, &evr.release))
            && self.arch.is_none_or(|a| field_matches(a, arch))
    }
}

fn field_matches(pattern: &str, value: &str) -> bool {
    if is_glob(pattern) {
        fnmatch(pattern, value)
    } else {
        pattern == value
    }
}

fn version_matches(pattern: &str, value: &str) -> bool {
    if is_glob(pattern) {
        fnmatch(pattern, value)
    } else {
        rpmvercmp(pattern, value) == Ordering::Equal
    }
}

/// Characters not allowed in a name (hawkey: `[^:(/=<> ]`).
fn valid_name(s: &str) -> bool {
    !s.is_empty() && !s.contains([':', '(', '/', '=', '<', '>', ' '])
}

/// Version and release: `[^-:(/=<> ]+`.
fn valid_vr(s: &str) -> bool {
    valid_name(s) && !s.contains('-')
}

/// Arch: `[^-:.(/=<> ]+`.
fn valid_arch(s: &str) -> bool {
    valid_vr(s) && !s.contains('.')
}

/// Splits `[epoch:]version`.
fn split_epoch(s: &str) -> Option<(Option<u64>, &str)> {
    match s.split_once(':') {
        Some((e, v)) => {
            if e.is_empty() || !e.bytes().all(|b| b.is_ascii_digit()) || !valid_vr(v) {
                return None;
            }
            Some((Some(e.parse().ok()?), v))
        }
        None => valid_vr(s).then_some((None, s)),
    }
}

/// Parses `spec` in `form`; `None` when it does not have that shape. The name is
/// greedy, as in hawkey's regular expressions: fields are split off from the right.
pub(crate) fn parse_form(spec: &str, form: Form) -> Option<NevraPattern<'_>> {
    let blank = |name| NevraPattern {
        name,
        epoch: None,
        version: None,
        release: None,
        arch: None,
    };
    match form {
        Form::Name => valid_name(spec).then(|| blank(spec)),
        Form::Na => {
            let (name, arch) = spec.rsplit_once('.')?;
            (valid_name(name) && valid_arch(arch)).then(|| NevraPattern {
                arch: Some(arch),
                ..blank(name)
            })
        }
        Form::Nev => {
            let (name, ev) = spec.rsplit_once('-')?;
            let (epoch, version) = split_epoch(ev)?;
            valid_name(name).then(|| NevraPattern {
                epoch,
                version: Some(version),
                ..blank(name)
            })
        }
        Form::Nevr => {
            let (rest, release) = spec.rsplit_once('-')?;
            let (name, ev) = rest.rsplit_once('-')?;
            let (epoch, version) = split_epoch(ev)?;
            (valid_name(name) && valid_vr(release)).then(|| NevraPattern {
                epoch,
                version: Some(version),
                release: Some(release),
                ..blank(name)
            })
        }
        Form::Nevra => {
            let (rest, arch) = spec.rsplit_once('.')?;
            if !valid_arch(arch) {
                return None;
            }
            let mut p = parse_form(rest, Form::Nevr)?;
            p.arch = Some(arch);
            Some(p)
        }
    }
}

/// A provide spec: `name`, `name OP evr`, or a rich dependency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ProvideSpec<'a> {
    Rich(&'a str),
    Plain {
        name: &'a str,
        constraint: Option<(DepFlags, &'a str)>,
    },
}

pub(crate) fn parse_provide(spec: &str) -> Option<ProvideSpec<'_>> {
    let spec = spec.trim();
    if spec.starts_with('(') {
        return Some(ProvideSpec::Rich(spec));
    }
    let mut parts = spec.split_whitespace();
    let name = parts.next()?;
    match (parts.next(), parts.next(), parts.next()) {
        (None, _, _) => Some(ProvideSpec::Plain {
            name,
            constraint: None,
        }),
        (Some(op), Some(evr), None) => Some(ProvideSpec::Plain {
            name,
            constraint: Some((DepFlags::from_operator(op)?, evr)),
        }),
        _ => None,
    }
}

/// Whether `s` contains fnmatch wildcards.
pub(crate) fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// fnmatch(3) without flags: `*`, `?`, `[...]` (with `!`/`^` negation and ranges).
pub(crate) fn fnmatch(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    star = Some((pi, ti));
                    pi += 1;
                    continue;
                }
                '?' => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                '[' => {
                    if let Some((matched, next)) = match_class(&p, pi, t[ti]) {
                        if matched {
                            pi = next;
                            ti += 1;
                            continue;
                        }
                    } else if t[ti] == '[' {
                        pi += 1;
                        ti += 1;
                        continue;
                    }
                }
                c if c == t[ti] => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, st)) => {
                pi = sp + 1;
                ti = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Matches a bracket expression starting at `p[start] == '['`; returns whether `c`
/// matched and the index after `]`, or `None` for an unterminated bracket.
fn match_class(p: &[char], start: usize, c: char) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let negate = matches!(p.get(i), Some('!') | Some('^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < p.len() {
        if p[i] == ']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
            if p[i] <= c && c <= p[i + 2] {
                matched = true;
            }
            i += 3;
        } else {
            if p[i] == c {
                matched = true;
            }
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_split_like_hawkey() {
        let p = parse_form("foo-bar-1.0-1.el9.x86_64", Form::Nevra).unwrap();
        assert_eq!(
            (p.name, p.version, p.release, p.arch),
            ("foo-bar", Some("1.0"), Some("1.el9"), Some("x86_64"))
        );
        let p = parse_form("foo-2:1.0-1", Form::Nevr).unwrap();
        assert_eq!(
            (p.name, p.epoch, p.version, p.release),
            ("foo", Some(2), Some("1.0"), Some("1"))
        );
        let p = parse_form("python3.11", Form::Na).unwrap();
        assert_eq!((p.name, p.arch), ("python3", Some("11")));
        assert!(parse_form("python3.11", Form::Name).is_some());
        assert!(parse_form("foo", Form::Nev).is_none());
        assert!(parse_form("/usr/bin/foo", Form::Name).is_none());
        assert!(parse_form("foo >= 1", Form::Name).is_none());
        assert!(parse_form("foo-x:1-1", Form::Nevr).is_none());
    }

    #[test]
    fn pattern_matching() {
        let evr = Evr::new(1, "2.0", "3");
        let p = parse_form("foo-2.0", Form::Nev).unwrap();
        assert!(p.matches("foo", &evr, "x86_64"));
        let p = parse_form("foo-0:2.0", Form::Nev).unwrap();
        assert!(!p.matches("foo", &evr, "x86_64"));
        let p = parse_form("fo*", Form::Name).unwrap();
        assert!(p.matches("foo", &evr, "noarch") && p.has_just_name());
        assert!(
            parse_form("foo-2.00-3", Form::Nevr)
                .unwrap()
                .matches("foo", &evr, "x")
        );
    }

    #[test]
    fn provides() {
        assert_eq!(
            parse_provide("foo >= 1.2"),
            Some(ProvideSpec::Plain {
                name: "foo",
                constraint: Some((DepFlags::Ge, "1.2"))
            })
        );
        assert_eq!(
            parse_provide("(a or b)"),
            Some(ProvideSpec::Rich("(a or b)"))
        );
        assert_eq!(parse_provide("foo ~ 1"), None);
    }

    #[test]
    fn globs() {
        assert!(fnmatch("chain-*", "chain-a"));
        assert!(fnmatch("*", ""));
        assert!(fnmatch("a?c", "abc"));
        assert!(!fnmatch("a?c", "ac"));
        assert!(fnmatch("lib[0-9]*", "lib5foo"));
        assert!(!fnmatch("lib[!0-9]*", "lib5foo"));
        assert!(fnmatch("*.x86_64", "foo-1-1.x86_64"));
        assert!(!fnmatch("foo", "foobar"));
        assert!(fnmatch("*/bin/*", "/usr/bin/ls"));
    }
}
