//! dnf repo options: which ones rpmlock knows, and typed access to their values on a
//! [`ResolvedRepo`] (defaults and syntax as in libdnf 0.69's `ConfigRepo`/`ConfigMain`).
//!
//! Every option of a repo is kept as written in [`ResolvedRepo::options`]; the accessors
//! parse one each. [`ResolvedRepo::validate`] runs every fallible accessor, so a
//! malformed value fails when the repos are resolved, naming the repo and the option
//! (dnf warns and uses the default instead: a typo in a lock input had better stop).

use std::time::Duration;

use super::{ConfigError, ResolvedRepo, parse};

/// Repo options rpmlock reads (through the accessors below) or records.
pub(crate) const KNOWN_REPO_OPTIONS: &[&str] = &[
    "baseurl",
    "metalink",
    "mirrorlist",
    "enabled",
    "sslverify",
    "sslcacert",
    "sslclientcert",
    "sslclientkey",
    "proxy",
    "proxy_username",
    "proxy_password",
    "username",
    "password",
    "excludepkgs",
    "exclude",
    "includepkgs",
    "priority",
    "cost",
    "module_hotfixes",
    "gpgcheck",
    "gpgkey",
    "timeout",
    "minrate",
];

/// Other options dnf knows for a repo: valid in a `.repo` file, without effect on a
/// resolution (rpmlock neither installs nor verifies packages), so accepted silently.
pub(crate) const INERT_REPO_OPTIONS: &[&str] = &[
    "name",
    "type",
    "metadata_expire",
    "skip_if_unavailable",
    "repo_gpgcheck",
    "localpkg_gpgcheck",
    "enabled_metadata",
    "countme",
    "fastestmirror",
    "deltarpm",
    "deltarpm_percentage",
    "failovermethod",
    "mediaid",
    "max_parallel_downloads",
    "retries",
    "throttle",
    "bandwidth",
    "ip_resolve",
    "user_agent",
    "sslverifystatus",
    "proxy_auth_method",
    "proxy_sslverify",
    "proxy_sslcacert",
    "proxy_sslclientcert",
    "proxy_sslclientkey",
    "autorefresh",
    "mirrorlist_expire",
    "metadata_timer_sync",
    "minrate_timeout",
];

/// Warns once per repo about the options in `keys` that dnf does not know (with a
/// suggestion for each that looks like a typo). `origin` names the input or .repo file.
pub(crate) fn warn_unknown<'a>(
    origin: &str,
    repoid: &str,
    keys: impl IntoIterator<Item = &'a str>,
) {
    let unknown: Vec<String> = keys
        .into_iter()
        .filter(|k| !KNOWN_REPO_OPTIONS.contains(k) && !INERT_REPO_OPTIONS.contains(k))
        .map(|k| {
            let known = KNOWN_REPO_OPTIONS.iter().chain(INERT_REPO_OPTIONS).copied();
            match parse::suggest(k, known) {
                Some(s) => format!("`{k}` (did you mean `{s}`?)"),
                None => format!("`{k}`"),
            }
        })
        .collect();
    match unknown.len() {
        0 => {}
        1 => tracing::warn!(
            "{origin}: repo {repoid}: unknown repo option {} is ignored",
            unknown[0]
        ),
        _ => tracing::warn!(
            "{origin}: repo {repoid}: unknown repo options {} are ignored",
            unknown.join(", ")
        ),
    }
}

/// A list option split as libdnf splits `OptionStringList`s: on commas and white space,
/// empty items dropped.
pub(crate) fn split_list(value: &str) -> impl Iterator<Item = &str> {
    value
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
}

impl ResolvedRepo {
    fn invalid(&self, key: &str, message: String) -> ConfigError {
        ConfigError::InvalidValue {
            origin: format!("repo {}", self.repoid),
            key: key.to_string(),
            message,
        }
    }

    /// The option's value, `None` when it is not set or set to the empty string (dnf's
    /// "unset" for string options).
    fn nonempty(&self, key: &str) -> Option<&str> {
        self.options
            .get(key)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// A boolean repo option in dnf's syntax (`1`/`0`, `yes`/`no`, `true`/`false`,
    /// `on`/`off`); `None` when the option is not set.
    pub fn bool_option(&self, name: &str) -> Result<Option<bool>, ConfigError> {
        let Some(value) = self.options.get(name) else {
            return Ok(None);
        };
        parse::dnf_bool(value)
            .map(Some)
            .ok_or_else(|| self.invalid(name, format!("`{value}` is not a boolean")))
    }

    fn bool_or(&self, key: &str, default: bool) -> Result<bool, ConfigError> {
        Ok(self.bool_option(key)?.unwrap_or(default))
    }

    /// An integer option; like libdnf 0.69 (measured), no range is enforced.
    fn int(&self, key: &str, default: i32) -> Result<i32, ConfigError> {
        let Some(value) = self.nonempty(key) else {
            return Ok(default);
        };
        value
            .parse()
            .map_err(|_| self.invalid(key, format!("`{value}` is not an integer")))
    }

    /// Runs every fallible accessor: the first malformed value is an error naming the
    /// repo and the option.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.enabled()?;
        self.priority()?;
        self.cost()?;
        self.module_hotfixes()?;
        self.gpgcheck()?;
        self.sslverify()?;
        self.timeout()?;
        self.minrate()?;
        Ok(())
    }

    /// `enabled` (default true). Disabled repos are dropped by
    /// [`super::Input::repos_for_arch_with`].
    pub fn enabled(&self) -> Result<bool, ConfigError> {
        self.bool_or("enabled", true)
    }

    /// `excludepkgs` and its alias `exclude` (both, in that order): package name globs
    /// hidden from this repo, split on commas and white space.
    pub fn excludes(&self) -> Vec<String> {
        ["excludepkgs", "exclude"]
            .iter()
            .filter_map(|k| self.options.get(*k))
            .flat_map(|v| split_list(v))
            .map(str::to_string)
            .collect()
    }

    /// `includepkgs`: when non-empty, only packages matching one of these globs are
    /// visible in this repo.
    pub fn includes(&self) -> Vec<String> {
        self.options
            .get("includepkgs")
            .map(|v| split_list(v).map(str::to_string).collect())
            .unwrap_or_default()
    }

    /// `priority` (default 99; lower wins).
    pub fn priority(&self) -> Result<i32, ConfigError> {
        self.int("priority", 99)
    }

    /// `cost` (default 1000; among equal priorities, lower wins).
    pub fn cost(&self) -> Result<i32, ConfigError> {
        self.int("cost", 1000)
    }

    /// `module_hotfixes` (default false): packages of this repo are not filtered by
    /// modularity.
    pub fn module_hotfixes(&self) -> Result<bool, ConfigError> {
        self.bool_or("module_hotfixes", false)
    }

    /// `gpgcheck` (default false, dnf's own default): recorded, not enforced.
    pub fn gpgcheck(&self) -> Result<bool, ConfigError> {
        self.bool_or("gpgcheck", false)
    }

    /// `gpgkey`: key URLs, split on commas and white space.
    pub fn gpgkey(&self) -> Vec<String> {
        self.options
            .get("gpgkey")
            .map(|v| split_list(v).map(str::to_string).collect())
            .unwrap_or_default()
    }

    /// `metalink` URL.
    pub fn metalink(&self) -> Option<&str> {
        self.nonempty("metalink")
    }

    /// `mirrorlist` URL.
    pub fn mirrorlist(&self) -> Option<&str> {
        self.nonempty("mirrorlist")
    }

    /// `sslverify` (default true).
    pub fn sslverify(&self) -> Result<bool, ConfigError> {
        self.bool_or("sslverify", true)
    }

    /// `sslcacert`: a CA bundle (path) to verify servers with.
    pub fn sslcacert(&self) -> Option<&str> {
        self.nonempty("sslcacert")
    }

    /// `sslclientcert`: a client certificate (path).
    pub fn sslclientcert(&self) -> Option<&str> {
        self.nonempty("sslclientcert")
    }

    /// `sslclientkey`: the client certificate's key (path).
    pub fn sslclientkey(&self) -> Option<&str> {
        self.nonempty("sslclientkey")
    }

    /// `proxy` URL; `None` when unset, empty or `_none_` (dnf's "no proxy").
    pub fn proxy(&self) -> Option<&str> {
        self.nonempty("proxy").filter(|p| *p != "_none_")
    }

    /// `proxy_username`.
    pub fn proxy_username(&self) -> Option<&str> {
        self.nonempty("proxy_username")
    }

    /// `proxy_password`.
    pub fn proxy_password(&self) -> Option<&str> {
        self.nonempty("proxy_password")
    }

    /// `username` (HTTP basic authentication).
    pub fn username(&self) -> Option<&str> {
        self.nonempty("username")
    }

    /// `password` (HTTP basic authentication).
    pub fn password(&self) -> Option<&str> {
        self.nonempty("password")
    }

    /// `timeout` (default 30 s): seconds, optionally with an `s`/`m`/`h`/`d` suffix, as
    /// dnf's `OptionSeconds` reads it.
    pub fn timeout(&self) -> Result<Duration, ConfigError> {
        let Some(value) = self.nonempty("timeout") else {
            return Ok(Duration::from_secs(30));
        };
        parse_seconds(value)
            .ok_or_else(|| self.invalid("timeout", format!("`{value}` is not a duration")))
    }

    /// `minrate` (default 1000 bytes/s): bytes per second, optionally with a `k`/`M`/`G`
    /// suffix (powers of 1024), as dnf reads it.
    pub fn minrate(&self) -> Result<u64, ConfigError> {
        let Some(value) = self.nonempty("minrate") else {
            return Ok(1000);
        };
        parse_bytes(value)
            .ok_or_else(|| self.invalid("minrate", format!("`{value}` is not a byte rate")))
    }
}

/// `30`, `2.5`, `10s`, `5m`, `1h`, `1d` (dnf's `OptionSeconds`, without its `-1`/`never`
/// which mean "forever" and make no sense for a timeout).
fn parse_seconds(s: &str) -> Option<Duration> {
    let (number, unit) = match s.char_indices().last()? {
        (i, c) if c.is_ascii_alphabetic() => (&s[..i], c.to_ascii_lowercase()),
        _ => (s, 's'),
    };
    let factor = match unit {
        's' => 1.0,
        'm' => 60.0,
        'h' => 3600.0,
        'd' => 86400.0,
        _ => return None,
    };
    let n: f64 = number.trim().parse().ok()?;
    (n.is_finite() && n >= 0.0).then(|| Duration::from_secs_f64(n * factor))
}

/// `1000`, `10k`, `1.5M`, `1G` (dnf's byte-size syntax: suffixes are powers of 1024).
fn parse_bytes(s: &str) -> Option<u64> {
    let (number, factor) = match s.char_indices().last()? {
        (i, c) if c.is_ascii_alphabetic() => {
            let f = match c.to_ascii_lowercase() {
                'k' => 1024.0,
                'm' => 1024.0 * 1024.0,
                'g' => 1024.0 * 1024.0 * 1024.0,
                _ => return None,
            };
            (&s[..i], f)
        }
        _ => (s, 1.0),
    };
    let n: f64 = number.trim().parse().ok()?;
    (n.is_finite() && n >= 0.0).then_some((n * factor) as u64)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn repo(options: &[(&str, &str)]) -> ResolvedRepo {
        ResolvedRepo {
            repoid: "r1".into(),
            baseurls: vec!["https://x/".into()],
            options: options
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
        }
    }

    #[test]
    fn defaults() {
        let r = repo(&[]);
        assert!(r.enabled().unwrap());
        assert_eq!(r.priority().unwrap(), 99);
        assert_eq!(r.cost().unwrap(), 1000);
        assert!(!r.module_hotfixes().unwrap());
        assert!(!r.gpgcheck().unwrap());
        assert!(r.sslverify().unwrap());
        assert_eq!(r.timeout().unwrap(), Duration::from_secs(30));
        assert_eq!(r.minrate().unwrap(), 1000);
        assert!(r.excludes().is_empty() && r.includes().is_empty() && r.gpgkey().is_empty());
        assert_eq!(
            (r.metalink(), r.mirrorlist(), r.proxy(), r.sslcacert()),
            (None, None, None, None)
        );
        r.validate().unwrap();
    }

    #[test]
    fn values() {
        let r = repo(&[
            ("excludepkgs", "foo*, bar\nbaz"),
            ("exclude", "qux"),
            ("includepkgs", "a,b"),
            ("priority", " 10 "),
            ("cost", "-5"),
            ("module_hotfixes", "True"),
            ("enabled", "yes"),
            ("gpgcheck", "1"),
            ("gpgkey", "file:///k1 https://k/2"),
            ("sslverify", "off"),
            ("sslclientcert", "/c.pem"),
            ("proxy", "_none_"),
            ("username", "u"),
            ("password", ""),
            ("timeout", "2m"),
            ("minrate", "10k"),
            ("metalink", "https://m/?repo=x"),
        ]);
        assert_eq!(r.excludes(), ["foo*", "bar", "baz", "qux"]);
        assert_eq!(r.includes(), ["a", "b"]);
        assert_eq!(r.priority().unwrap(), 10);
        assert_eq!(r.cost().unwrap(), -5);
        assert!(r.module_hotfixes().unwrap());
        assert!(r.gpgcheck().unwrap());
        assert_eq!(r.gpgkey(), ["file:///k1", "https://k/2"]);
        assert!(!r.sslverify().unwrap());
        assert_eq!(r.sslclientcert(), Some("/c.pem"));
        assert_eq!(r.proxy(), None);
        assert_eq!(r.username(), Some("u"));
        assert_eq!(r.password(), None);
        assert_eq!(r.timeout().unwrap(), Duration::from_secs(120));
        assert_eq!(r.minrate().unwrap(), 10240);
        assert_eq!(r.metalink(), Some("https://m/?repo=x"));
        r.validate().unwrap();
        assert_eq!(parse_seconds("1.5"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_seconds("1d"), Some(Duration::from_secs(86400)));
        assert_eq!(parse_bytes("1M"), Some(1 << 20));
    }

    #[test]
    fn malformed_values_name_repo_and_option() {
        let cases = [
            (
                "priority",
                "abc",
                "repo r1: priority: `abc` is not an integer",
            ),
            (
                "priority",
                "1e3",
                "repo r1: priority: `1e3` is not an integer",
            ),
            ("cost", "1.5", "repo r1: cost: `1.5` is not an integer"),
            (
                "enabled",
                "maybe",
                "repo r1: enabled: `maybe` is not a boolean",
            ),
            ("module_hotfixes", "2", "repo r1: module_hotfixes"),
            ("sslverify", "x", "repo r1: sslverify"),
            ("gpgcheck", "x", "repo r1: gpgcheck"),
            (
                "timeout",
                "soon",
                "repo r1: timeout: `soon` is not a duration",
            ),
            ("timeout", "5x", "repo r1: timeout"),
            (
                "minrate",
                "fast",
                "repo r1: minrate: `fast` is not a byte rate",
            ),
        ];
        for (key, value, want) in cases {
            let err = repo(&[(key, value)]).validate().unwrap_err().to_string();
            assert!(err.contains(want), "{key}={value}: {err}");
        }
    }
}
