//! Tests of rpms.in.yaml parsing, validation and per-arch substitution.

use std::error::Error as _;
use std::path::{Path, PathBuf};

use super::vars::Vars;
use super::*;

const MINIMAL: &str =
    "contentOrigin:\n  repos:\n  - repoid: baseos\n    baseurl: https://example.com/baseos/\n";

fn parse(text: &str) -> Result<Input, ConfigError> {
    Input::from_yaml_str(text, Some(Path::new("/in/rpms.in.yaml")))
}

fn err(text: &str) -> String {
    parse(text).expect_err("input must be rejected").to_string()
}

#[test]
fn full_input() {
    let text = r#"
contentOrigin:
  repos:
  - repoid: rhel-9-for-$basearch-baseos-rpms
    baseurl: "https://cdn.example.com/$releasever/$basearch/os https://mirror.example.com/$basearch/"
    sslclientcert: $SSL_CLIENT_CERT
    sslverify: false
    priority: 10
    gpgkey: [https://k/1, https://k/2]
    proxy:
  - repoid: local
    baseurl:
    - ./repos/local/
    - file:///srv/repo
    - /abs/../abs2
packages:
- bash
- name: grub2-efi-x64
  arches:
    only: x86_64
- name: not-on-s390
  arches: {not: [s390x, ppc64le]}
arches: [x86_64, aarch64, s390x]
installWeakDeps: no
noSources: true
context:
  bare: true
"#;
    let input = parse(text).unwrap();
    assert_eq!(input.path.as_deref(), Some(Path::new("/in/rpms.in.yaml")));
    assert_eq!(input.arches, ["x86_64", "aarch64", "s390x"]);
    assert!(!input.install_weak_deps);
    assert!(input.no_sources);
    assert_eq!(input.context, Context::Bare);
    assert_eq!(input.repos.len(), 2);
    let opts = &input.repos[0].options;
    assert_eq!(opts["sslverify"], "0");
    assert_eq!(opts["priority"], "10");
    assert_eq!(opts["gpgkey"], "https://k/1 https://k/2");
    assert_eq!(opts["proxy"], "");
    assert_eq!(input.repos[0].baseurls.len(), 2);
    assert_eq!(
        input.packages[1].arches,
        ArchFilter::Only(vec!["x86_64".into()])
    );
    assert_eq!(
        input.packages_for_arch("x86_64"),
        ["bash", "grub2-efi-x64", "not-on-s390"]
    );
    assert_eq!(input.packages_for_arch("s390x"), ["bash"]);
    assert_eq!(input.packages_for_arch("aarch64"), ["bash", "not-on-s390"]);

    let env = [(
        "DNF_VAR_SSL_CLIENT_CERT".to_string(),
        "/etc/pki/e.pem".to_string(),
    )];
    let repos = input
        .repos_for_arch_with(&Vars::from_env("i686", "9", env))
        .unwrap();
    assert_eq!(repos[0].repoid, "rhel-9-for-i386-baseos-rpms");
    assert_eq!(
        repos[0].baseurls,
        [
            "https://cdn.example.com/9/i386/os",
            "https://mirror.example.com/i386/"
        ]
    );
    assert_eq!(repos[0].options["sslclientcert"], "/etc/pki/e.pem");
    assert_eq!(repos[0].bool_option("sslverify").unwrap(), Some(false));
    assert_eq!(repos[0].bool_option("gpgcheck").unwrap(), None);
    assert!(repos[0].bool_option("priority").is_err());
    // The input's directory does not exist: the base is /in, taken lexically.
    assert_eq!(
        repos[1].baseurls,
        [
            "file:///in/repos/local/",
            "file:///srv/repo",
            "file:///abs2"
        ]
    );
}

#[test]
fn defaults() {
    let input = parse(MINIMAL).unwrap();
    assert!(input.install_weak_deps);
    assert!(!input.no_sources);
    assert_eq!(input.context, Context::Unspecified);
    assert!(input.arches.is_empty());
    assert!(input.packages.is_empty());
    let bare_false = parse(&format!("{MINIMAL}context: {{bare: false}}\n")).unwrap();
    assert_eq!(bare_false.context, Context::Unspecified);
    // Inert values of keys that are not implemented change nothing and are accepted.
    let inert = format!(
        "{MINIMAL}allowerasing: false\nreinstallPackages: []\nvariables: []\nzchunk: true\ncontext: {{localSystem: false, bare: true}}\n"
    );
    assert_eq!(parse(&inert).unwrap().context, Context::Bare);
}

#[test]
fn relative_paths_resolve_against_the_real_input_directory() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real");
    fs_err::create_dir(&real).unwrap();
    let file = real.join("rpms.in.yaml");
    fs_err::write(
        &file,
        "contentOrigin:\n  repos:\n  - repoid: r\n    baseurl: [../repo dir/x86_64]\n",
    )
    .unwrap();
    let input = Input::from_path(&file).unwrap();
    let canonical = fs_err::canonicalize(dir.path()).unwrap();
    let repos = input.repos_for_arch("x86_64", "unknown").unwrap();
    let want = format!("file://{}/repo%20dir/x86_64", canonical.display());
    assert_eq!(repos[0].baseurls, [want]);

    // Without a path, the current directory.
    let input = Input::from_yaml_str(
        "contentOrigin:\n  repos:\n  - repoid: r\n    baseurl: repo\n",
        None,
    )
    .unwrap();
    let cwd = std::env::current_dir().unwrap();
    assert_eq!(input.base_dir, cwd);
}

#[test]
fn missing_file() {
    let e = Input::from_path("/nonexistent/rpms.in.yaml").unwrap_err();
    assert_eq!(
        e.to_string(),
        "cannot read input file /nonexistent/rpms.in.yaml"
    );
    assert!(e.source().is_some());
}

#[test]
fn syntax_error_has_line_and_column() {
    let e = parse("contentOrigin:\n  repos: [\n packages: - a\n").unwrap_err();
    let ConfigError::Syntax { line, column, .. } = &e else {
        panic!("{e:?}")
    };
    assert_eq!((*line, *column), (3, 12));
    assert_eq!(e.to_string(), "/in/rpms.in.yaml:3:12: invalid YAML");
    let cause = e.source().unwrap().to_string();
    assert!(cause.contains("line 3 column 12"), "{cause}");
}

#[test]
fn bad_inputs_have_precise_messages() {
    let cases: &[(&str, &str)] = &[
        ("", "missing required key: contentOrigin"),
        ("packages: [a]\n", "missing required key: contentOrigin"),
        ("- a\n", "(top level): expected a mapping, found a list"),
        (
            "contentOrigin: {}\n1: a\n",
            "(top level): keys must be strings, found a number",
        ),
        (
            "contentOrigin: {}\npackage: [a]\n",
            "unknown key: package (did you mean `packages`?)",
        ),
        ("contentOrigin: {}\nfoo: 1\n", "unknown key: foo"),
        (
            "contentOrigin: {}\nreinstallPackages: [a]\n",
            "not supported yet: reinstallPackages",
        ),
        (
            "contentOrigin: {}\nallowerasing: true\n",
            "not supported yet: allowerasing",
        ),
        (
            "contentOrigin: {repofiles: [a.repo]}\n",
            "not supported yet: contentOrigin.repofiles",
        ),
        (
            "contentOrigin: {repo: []}\n",
            "unknown key: contentOrigin.repo (did you mean `repos`?)",
        ),
        (
            "contentOrigin: {repos: {repoid: a}}\n",
            "contentOrigin.repos: expected a list of repos, found a mapping",
        ),
        (
            "contentOrigin: {repos: [{baseurl: x}]}\n",
            "missing required key: contentOrigin.repos[0].repoid",
        ),
        (
            "contentOrigin: {repos: [{repoid: '', baseurl: x}]}\n",
            "contentOrigin.repos[0].repoid: must not be empty",
        ),
        (
            "contentOrigin: {repos: [{repoid: 7, baseurl: x}]}\n",
            "contentOrigin.repos[0].repoid: expected a string, found a number",
        ),
        (
            "contentOrigin: {repos: [{repoid: a}]}\n",
            "missing required key: contentOrigin.repos[0].baseurl",
        ),
        (
            "contentOrigin: {repos: [{repoid: a, baseurl: ' '}]}\n",
            "contentOrigin.repos[0].baseurl: must hold at least one URL",
        ),
        (
            "contentOrigin: {repos: [{repoid: a, baseurl: x}, {repoid: a, baseurl: y}]}\n",
            "duplicate repoid `a` in contentOrigin.repos",
        ),
        (
            "contentOrigin: {repos: [{repoid: a, baseurl: x, excludepkgs: {a: 1}}]}\n",
            "contentOrigin.repos[0].excludepkgs: expected a scalar or a list of scalars, found a mapping",
        ),
        (
            "contentOrigin: {}\npackages: foo\n",
            "packages: expected a list of package specs, found a string",
        ),
        (
            "contentOrigin: {}\npackages: [[a]]\n",
            "packages[0]: expected a package spec or {name, arches}, found a list",
        ),
        (
            "contentOrigin: {}\npackages: [{arches: {only: x86_64}}]\n",
            "missing required key: packages[0].name",
        ),
        (
            "contentOrigin: {}\npackages: [{name: a, arch: x86_64}]\n",
            "unknown key: packages[0].arch (did you mean `arches`?)",
        ),
        (
            "contentOrigin: {}\npackages: [{name: a, arches: {only: x86_64, not: s390x}}]\n",
            "packages[0].arches: `only` and `not` cannot be used together",
        ),
        (
            "contentOrigin: {}\npackages: [{name: a, arches: {}}]\n",
            "packages[0].arches: expected `only` or `not`",
        ),
        (
            "contentOrigin: {}\npackages: [{name: a, arches: {only: [x86_64, x86-64]}}]\n",
            "packages[0].arches.only[1]: unknown arch `x86-64` (did you mean `x86_64`?)",
        ),
        (
            "contentOrigin: {}\narches: x86_64\n",
            "arches: expected a list of arches, found a string",
        ),
        (
            "contentOrigin: {}\narches: [noarch]\n",
            "arches[0]: unknown arch `noarch`",
        ),
        (
            "contentOrigin: {}\narches: [aarch46]\n",
            "arches[0]: unknown arch `aarch46` (did you mean `aarch64`?)",
        ),
        (
            "contentOrigin: {}\ninstallWeakDeps: maybe\n",
            "installWeakDeps: expected a boolean, found a string",
        ),
        (
            "contentOrigin: {}\ncontext: {image: 'registry.example.com/ubi9'}\n",
            "not supported yet: context.image",
        ),
        (
            "contentOrigin: {}\ncontext: {localSystem: true}\n",
            "not supported yet: context.localSystem",
        ),
        (
            "contentOrigin: {}\ncontext: {bar: true}\n",
            "unknown key: context.bar (did you mean `bare`?)",
        ),
        (
            "contentOrigin: {}\ncontext: bare\n",
            "context: expected a mapping, found a string",
        ),
    ];
    for (text, want) in cases {
        let got = err(text);
        assert_eq!(got, format!("/in/rpms.in.yaml: {want}"), "input: {text}");
    }
}

#[test]
fn every_unimplemented_key_is_refused() {
    for key in [
        "reinstallPackages",
        "upgradePackages",
        "excludePackages",
        "moduleEnable",
        "moduleDisable",
        "assumeProvides",
        "matchContextVersions",
        "variables",
    ] {
        let e = parse(&format!("{MINIMAL}{key}: [x]\n")).unwrap_err();
        assert!(
            matches!(&e, ConfigError::NotSupportedYet { key: k, .. } if k == key),
            "{key}: {e}"
        );
    }
    for (key, value) in [
        ("packagesFromContainerfile", "Containerfile"),
        ("allowerasing", "true"),
        ("context", "{containerfile: Containerfile}"),
        ("context", "{rpmOstreeTreefile: t.yaml}"),
        ("context", "{flatpak: true, bare: true}"),
        ("context", "{rootfs: /srv/root}"),
    ] {
        let e = parse(&format!("{MINIMAL}{key}: {value}\n")).unwrap_err();
        assert!(
            matches!(e, ConfigError::NotSupportedYet { .. }),
            "{key}: {e}"
        );
    }
    for key in ["varsFromImage", "varsFromContainerfile"] {
        let e = parse(&format!("{MINIMAL}    {key}: x\n")).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("/in/rpms.in.yaml: not supported yet: contentOrigin.repos[0].{key}")
        );
    }
}

#[test]
fn duplicate_yaml_keys_are_an_error() {
    let e = err("contentOrigin: {}\npackages: [a]\npackages: [b]\n");
    assert!(e.starts_with("/in/rpms.in.yaml:"), "{e}");
    assert!(e.ends_with("invalid YAML"), "{e}");
}

#[test]
fn repoids_equal_after_substitution_are_an_error() {
    let input = parse(
        "contentOrigin:\n  repos:\n  - {repoid: a-$basearch, baseurl: x}\n  - {repoid: a-x86_64, baseurl: y}\n",
    )
    .unwrap();
    let e = input
        .repos_for_arch_with(&Vars::new("x86_64", "9", []))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "/in/rpms.in.yaml: duplicate repoid `a-x86_64` in contentOrigin.repos"
    );
    assert!(
        input
            .repos_for_arch_with(&Vars::new("aarch64", "9", []))
            .is_ok()
    );
}

#[test]
fn scheme_detection() {
    assert!(has_scheme("https://x"));
    assert!(has_scheme("file:///x"));
    assert!(has_scheme("ftp://x"));
    assert!(!has_scheme("C:/x"));
    assert!(!has_scheme("repos/x:y"));
    assert!(!has_scheme("/abs/path"));
    assert!(!has_scheme("rel"));
    assert_eq!(normalize(Path::new("/a/./b/../c/")), PathBuf::from("/a/c"));
}

#[test]
fn unknown_repo_options_are_kept() {
    let input = parse(&format!("{MINIMAL}    frobnicate: 1\n    enabled: true\n")).unwrap();
    assert_eq!(input.repos[0].options["frobnicate"], "1");
    assert_eq!(input.repos[0].options["enabled"], "1");
}

#[test]
fn metalink_or_mirrorlist_replaces_baseurl() {
    for key in ["metalink", "mirrorlist"] {
        let input = Input::from_yaml_str(
            &format!(
                "contentOrigin:\n  repos:\n    - repoid: a\n      {key}: https://m/?arch=$basearch\npackages: [x]\n"
            ),
            None,
        )
        .unwrap();
        let repos = input.repos_for_arch("aarch64", "9").unwrap();
        assert!(repos[0].baseurls.is_empty());
        assert_eq!(repos[0].options[key], "https://m/?arch=aarch64");
    }
}
