//! dnf variables: `$arch`, `$basearch`, `$releasever`, `DNF_VAR_*`.
//!
//! Substitution follows libdnf 0.69's `ConfigParser::substitute` (what Debian's dnf 4.14
//! and the prototype use), measured with `libdnf.conf.ConfigParser.substitute`:
//! `$name` and `${name}` where a name is `[A-Za-z0-9_]+` (the longest such run after `$`);
//! an unknown name, `${` without `}`, `${}`, `${ name}` and a lone `$` stay literal;
//! substituted values are not substituted again; there are no escapes and no
//! `${name:-word}` forms.

use std::collections::BTreeMap;

use super::ConfigError;

/// dnf's base arch of `arch` (`i686` → `i386`, `armv7hl` → `armhfp`, ...), as
/// `dnf.rpm.basearch` maps it; an arch dnf does not know maps to itself.
pub fn basearch(arch: &str) -> &str {
    match arch {
        "amd64" | "ia32e" => "x86_64",
        "athlon" | "geode" | "i386" | "i486" | "i586" | "i686" => "i386",
        "armv6hl" | "armv7hl" | "armv7hnl" | "armv8hl" => "armhfp",
        "armv5tejl" | "armv5tel" | "armv5tl" | "armv6l" | "armv7l" | "armv8l" => "arm",
        "ppc64iseries" | "ppc64p7" | "ppc64pseries" => "ppc64",
        "alphaev4" | "alphaev45" | "alphaev5" | "alphaev56" | "alphaev6" | "alphaev67"
        | "alphaev68" | "alphaev7" | "alphapca56" => "alpha",
        "sh4a" => "sh4",
        "sparc64" | "sparc64v" | "sparcv8" | "sparcv9" | "sparcv9v" => "sparc",
        other => other,
    }
}

/// Every arch dnf knows (`dnf.rpm._BASEARCH_MAP`), except `noarch`: the valid target
/// arches of an input's `arches` and of package arch filters.
pub const KNOWN_ARCHES: &[&str] = &[
    "aarch64",
    "alpha",
    "alphaev4",
    "alphaev45",
    "alphaev5",
    "alphaev56",
    "alphaev6",
    "alphaev67",
    "alphaev68",
    "alphaev7",
    "alphapca56",
    "amd64",
    "armv5tejl",
    "armv5tel",
    "armv5tl",
    "armv6hl",
    "armv6l",
    "armv7hl",
    "armv7hnl",
    "armv7l",
    "armv8hl",
    "armv8l",
    "athlon",
    "geode",
    "i386",
    "i486",
    "i586",
    "i686",
    "ia32e",
    "ia64",
    "loongarch64",
    "mips",
    "mips64",
    "mips64el",
    "mipsel",
    "ppc",
    "ppc64",
    "ppc64iseries",
    "ppc64le",
    "ppc64p7",
    "ppc64pseries",
    "riscv128",
    "riscv32",
    "riscv64",
    "s390",
    "s390x",
    "sh3",
    "sh4",
    "sh4a",
    "sparc",
    "sparc64",
    "sparc64v",
    "sparcv8",
    "sparcv9",
    "sparcv9v",
    "x86_64",
];

/// The rpm arch other ecosystems call `name` (Debian's and Go's `amd64`, `arm64`,
/// ...), for a hint when such a name is given as a target arch.
pub fn rpm_arch_for(name: &str) -> Option<&'static str> {
    Some(match name {
        "amd64" | "x86-64" | "x64" => "x86_64",
        "arm64" | "armv8" => "aarch64",
        "ppc64el" => "ppc64le",
        "386" | "x86" => "i686",
        "armhf" => "armv7hl",
        _ => return None,
    })
}

/// Whether `arch` is a target arch dnf knows (see [`KNOWN_ARCHES`]) and rpm packages
/// are built for: `amd64` is in dnf's map but no package has that arch (a run for it
/// would find nothing), so it is refused with a hint ([`rpm_arch_for`]).
pub fn is_known_arch(arch: &str) -> bool {
    KNOWN_ARCHES.contains(&arch) && rpm_arch_for(arch).is_none()
}

/// The variables substituted in repoids, base URLs and repo options.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Vars {
    map: BTreeMap<String, String>,
}

impl Vars {
    /// Variables for one target: `arch`, `basearch` (derived from `arch`) and
    /// `releasever`, plus `extra` (e.g. from the environment); the three named ones win
    /// over `extra`, as in the prototype, which sets them after dnf read the environment.
    pub fn new(
        arch: &str,
        releasever: &str,
        extra: impl IntoIterator<Item = (String, String)>,
    ) -> Vars {
        let mut map: BTreeMap<String, String> = extra.into_iter().collect();
        map.insert("arch".into(), arch.into());
        map.insert("basearch".into(), basearch(arch).into());
        map.insert("releasever".into(), releasever.into());
        Vars { map }
    }

    /// Like [`Vars::new`], with the extra variables taken from `env` the way dnf's
    /// `Substitutions._update_from_env` does: `DNF_VAR_NAME=value` defines `$NAME`
    /// (`NAME` matching `[A-Za-z0-9_]+`), and `DNF0`..`DNF9` define themselves.
    ///
    /// ```
    /// use rpmlock_core::config::vars::{substitute, Vars};
    /// let env = [("DNF_VAR_CERT".to_string(), "/etc/pki/c.pem".to_string())];
    /// let vars = Vars::from_env("i686", "9", env);
    /// assert_eq!(substitute("$basearch:${CERT}", &vars).unwrap(), "i386:/etc/pki/c.pem");
    /// ```
    pub fn from_env(
        arch: &str,
        releasever: &str,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Vars {
        let extra = env.into_iter().filter_map(|(key, value)| {
            if let Some(name) = key.strip_prefix("DNF_VAR_") {
                (!name.is_empty() && name.bytes().all(is_name_byte)).then(|| (name.into(), value))
            } else {
                let numeric =
                    key.len() == 4 && key.starts_with("DNF") && key.as_bytes()[3].is_ascii_digit();
                numeric.then_some((key, value))
            }
        });
        Vars::new(arch, releasever, extra)
    }

    /// Like [`Vars::from_env`] with this process's environment.
    pub fn from_process_env(arch: &str, releasever: &str) -> Vars {
        Vars::from_env(arch, releasever, std::env::vars())
    }

    /// The value of variable `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.map.get(name).map(String::as_str)
    }
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Replaces `$name` and `${name}` in `s` with dnf's semantics (see the module docs).
///
/// This never fails today; the `Result` leaves room for stricter forms.
///
/// ```
/// use rpmlock_core::config::vars::{substitute, Vars};
/// let vars = Vars::new("aarch64", "9", []);
/// assert_eq!(
///     substitute("rhel-$releasever-for-${basearch}-$unknown", &vars).unwrap(),
///     "rhel-9-for-aarch64-$unknown"
/// );
/// ```
pub fn substitute(s: &str, vars: &Vars) -> Result<String, ConfigError> {
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    // Everything before `done` has been copied or replaced.
    let mut done = 0;
    while i < bytes.len() {
        if bytes[i] != b'$' {
            i += 1;
            continue;
        }
        let (name_start, braced) = if bytes.get(i + 1) == Some(&b'{') {
            (i + 2, true)
        } else {
            (i + 1, false)
        };
        let name_end = name_start
            + bytes[name_start..]
                .iter()
                .take_while(|&&b| is_name_byte(b))
                .count();
        let end = if braced {
            (bytes.get(name_end) == Some(&b'}')).then_some(name_end + 1)
        } else {
            Some(name_end)
        };
        let value = match end {
            Some(_) if name_end > name_start => vars.get(&s[name_start..name_end]),
            _ => None,
        };
        match (value, end) {
            (Some(value), Some(end)) => {
                out.push_str(&s[done..i]);
                out.push_str(value);
                i = end;
                done = end;
            }
            // Literal: continue after the `$` (a following `$name` may still match).
            _ => i += 1,
        }
    }
    out.push_str(&s[done..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Vars {
        Vars::new(
            "x86_64",
            "9",
            [
                ("a_1".to_string(), "Z".to_string()),
                ("arch2".to_string(), "$basearch".to_string()),
            ],
        )
    }

    #[test]
    fn substitution_matches_libdnf() {
        // Each expectation measured with libdnf 0.69's ConfigParser.substitute.
        let cases = [
            ("$", "$"),
            ("$$basearch", "$x86_64"),
            ("${}", "${}"),
            ("$1", "$1"),
            ("$basearchx", "$basearchx"),
            ("${basearch}x", "x86_64x"),
            ("$arch2", "$basearch"),
            ("${a_1}", "Z"),
            ("$a_1-", "Z-"),
            ("${ basearch}", "${ basearch}"),
            ("${basearch", "${basearch"),
            ("é$basearch", "éx86_64"),
            ("$BASEARCH", "$BASEARCH"),
            ("${releasever}${releasever}", "99"),
            ("$-x", "$-x"),
            ("${basearch}}", "x86_64}"),
            ("$$", "$$"),
            ("a$arch/$releasever", "ax86_64/9"),
            ("no vars", "no vars"),
        ];
        for (input, want) in cases {
            assert_eq!(substitute(input, &vars()).unwrap(), want, "{input:?}");
        }
    }

    #[test]
    fn substitution_agrees_with_libdnf_when_available() {
        let script = r#"
import sys, json
try:
    import libdnf.conf as c
except ImportError:
    print("SKIP"); sys.exit(0)
cases = json.load(sys.stdin)
print(json.dumps([c.ConfigParser.substitute(t, {"basearch": "x86_64", "arch": "x86_64", "releasever": "9", "a_1": "Z", "arch2": "$basearch"}) for t in cases]))
"#;
        let cases: Vec<String> = {
            let atoms = ["$", "{", "}", "basearch", "a_1", "x", "$arch", "-", "é"];
            let mut v = Vec::new();
            for a in atoms {
                for b in atoms {
                    for c in atoms {
                        v.push(format!("{a}{b}{c}"));
                    }
                }
            }
            v
        };
        let input = serde_json_like(&cases);
        let Some(out) = crate::config::tests_support::python(script, &input) else {
            return crate::config::tests_support::reference_missing("/usr/bin/python3");
        };
        if out.trim() == "SKIP" {
            return crate::config::tests_support::reference_missing("python3-libdnf");
        }
        let want: Vec<String> = serde_yaml::from_str(&out).expect("JSON is YAML");
        for (case, want) in cases.iter().zip(want) {
            assert_eq!(substitute(case, &vars()).unwrap(), want, "{case:?}");
        }
    }

    /// A JSON array of strings (JSON is what Python reads best; serde_json is not a
    /// dependency of the core).
    fn serde_json_like(items: &[String]) -> String {
        let parts: Vec<String> = items
            .iter()
            .map(|s| {
                let mut o = String::from("\"");
                for ch in s.chars() {
                    match ch {
                        '"' => o.push_str("\\\""),
                        '\\' => o.push_str("\\\\"),
                        c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
                        c => o.push(c),
                    }
                }
                o.push('"');
                o
            })
            .collect();
        format!("[{}]", parts.join(","))
    }

    #[test]
    fn env_vars() {
        let env = [
            ("DNF_VAR_SSL_CLIENT_CERT", "/c.pem"),
            ("DNF_VAR_", "ignored"),
            ("DNF_VAR_bad-name", "ignored"),
            ("DNF0", "zero"),
            ("DNF10", "ignored"),
            ("DNF_VAR_basearch", "overridden"),
            ("HOME", "/root"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()));
        let vars = Vars::from_env("armv7hl", "unknown", env);
        assert_eq!(vars.get("SSL_CLIENT_CERT"), Some("/c.pem"));
        assert_eq!(vars.get("DNF0"), Some("zero"));
        assert_eq!(vars.get("basearch"), Some("armhfp"));
        assert_eq!(vars.get("releasever"), Some("unknown"));
        assert_eq!(vars.get("bad-name"), None);
        assert_eq!(vars.get("DNF10"), None);
        assert_eq!(vars.get("HOME"), None);
        assert_eq!(
            substitute("$SSL_CLIENT_CERT $DNF0 $HOME", &vars).unwrap(),
            "/c.pem zero $HOME"
        );
    }

    #[test]
    fn basearch_is_idempotent() {
        assert_eq!(basearch("i686"), "i386");
        assert_eq!(basearch("ppc64le"), "ppc64le");
        assert_eq!(basearch("armv7l"), "arm");
        assert_eq!(basearch("sparcv9"), "sparc");
        for arch in KNOWN_ARCHES {
            assert_eq!(basearch(basearch(arch)), basearch(arch), "{arch}");
        }
        assert!(!is_known_arch("noarch"));
        assert!(!is_known_arch("x86-64"));
    }
}
