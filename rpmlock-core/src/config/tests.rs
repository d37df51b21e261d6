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
fn request_lists_and_allowerasing() {
    let input = parse(&format!(
        "{MINIMAL}excludePackages: [\"foo*\", bar-1.0-1.noarch]\nassumeProvides: [\"webserver\", \"libx >= 2\"]\nreinstallPackages: [a, {{name: b, arches: {{only: aarch64}}}}]\nupgradePackages: [{{name: c, arches: {{not: [aarch64]}}}}]\nallowerasing: yes\n"
    ))
    .unwrap();
    assert_eq!(input.exclude_packages, ["foo*", "bar-1.0-1.noarch"]);
    assert_eq!(input.assume_provides, ["webserver", "libx >= 2"]);
    assert_eq!(input.reinstall_for_arch("x86_64"), ["a"]);
    assert_eq!(input.reinstall_for_arch("aarch64"), ["a", "b"]);
    assert_eq!(input.upgrade_for_arch("x86_64"), ["c"]);
    assert!(input.upgrade_for_arch("aarch64").is_empty());
    assert!(input.allow_erasing);
    assert!(!parse(MINIMAL).unwrap().allow_erasing);
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
    assert_eq!((*line, *column), (3, 2));
    assert_eq!(e.to_string(), "/in/rpms.in.yaml:3:2: invalid YAML");
    let cause = e.source().unwrap().to_string();
    assert!(cause.contains("line 3 column 2"), "{cause}");
}

#[test]
fn bad_inputs_have_precise_messages() {
    let cases: &[(&str, &str)] = &[
        ("", "missing required key: contentOrigin"),
        ("packages: [a]\n", "missing required key: contentOrigin"),
        ("- a\n", "(top level): expected a mapping, found a list"),
        ("contentOrigin: {}\n1: a\n", "unknown key: 1"),
        (
            "contentOrigin: {}\n~: a\n",
            "(top level): keys must be strings, found null",
        ),
        (
            "contentOrigin: {}\npackage: [a]\n",
            "unknown key: package (did you mean `packages`?)",
        ),
        ("contentOrigin: {}\nfoo: 1\n", "unknown key: foo"),
        (
            "contentOrigin: {}\nreinstallPackages: a\n",
            "reinstallPackages: expected a list of package specs, found a string",
        ),
        (
            "contentOrigin: {}\nupgradePackages: [{name: a, arches: {only: x86-64}}]\n",
            "upgradePackages[0].arches.only: unknown arch `x86-64` (did you mean `x86_64`?)",
        ),
        (
            "contentOrigin: {}\nexcludePackages: [a, {b: 1}]\n",
            "excludePackages[1]: expected a string, found a mapping",
        ),
        (
            "contentOrigin: {}\nassumeProvides: [\"\"]\n",
            "assumeProvides[0]: must not be empty",
        ),
        (
            "contentOrigin: {}\nallowerasing: maybe\n",
            "allowerasing: expected a boolean, found a string",
        ),
        (
            "contentOrigin: {repofiles: a.repo}\n",
            "contentOrigin.repofiles: expected a list of paths or URLs, found a string",
        ),
        (
            "contentOrigin: {repofiles: [{path: a.repo}]}\n",
            "unknown key: contentOrigin.repofiles[0].path",
        ),
        (
            "contentOrigin: {repofiles: ['']}\n",
            "contentOrigin.repofiles[0]: must not be empty",
        ),
        (
            "contentOrigin: {}\nvariables: {a: 1}\n",
            "variables: expected a list of {inline: ...} / {file: ...}, found a mapping",
        ),
        (
            "contentOrigin: {}\nvariables: [{inline: {a: 1}, file: x}]\n",
            "variables[0]: expected exactly one of `inline` and `file`",
        ),
        (
            "contentOrigin: {}\nvariables: [{inline: {a-b: 1}}]\n",
            "variables[0].inline: `a-b` is not a variable name (letters, digits and `_`)",
        ),
        (
            "contentOrigin: {}\nvariables: [{inline: {a: [1]}}]\n",
            "variables[0].inline.a: expected a string, found a list",
        ),
        (
            "contentOrigin: {}\nvariables: [{env: x}]\n",
            "unknown key: variables[0].env",
        ),
        (
            "contentOrigin: {}\npackages: ['{NAME}']\nvariables: [{inline: {NAMES: x}}]\n",
            "packages[0]: variable `{NAME}` is not defined in `variables`",
        ),
        (
            "contentOrigin: {repos: [{repoid: 'r-{R}', baseurl: x}]}\n",
            "contentOrigin.repos[0].repoid: variable `{R}` is not defined in `variables`",
        ),
        (
            "contentOrigin: {repos: [{repoid: r, baseurl: x, sslclientcert: '{C}'}]}\n",
            "contentOrigin.repos[0].sslclientcert: variable `{C}` is not defined in `variables`",
        ),
        (
            "contentOrigin: {}\nreinstallPackages: [a, '{P}']\n",
            "reinstallPackages[1]: variable `{P}` is not defined in `variables`",
        ),
        (
            "contentOrigin: {repofiles: ['{F}.repo']}\n",
            "contentOrigin.repofiles[0]: variable `{F}` is not defined in `variables`",
        ),
        (
            "contentOrigin: {}\nexcludePackages: ['{E}']\n",
            "excludePackages[0]: variable `{E}` is not defined in `variables`",
        ),
        (
            "contentOrigin: {}\nassumeProvides: [x, '{A}']\n",
            "assumeProvides[1]: variable `{A}` is not defined in `variables`",
        ),
        (
            "contentOrigin: {}\nmoduleDisable: ['{M}']\n",
            "moduleDisable[0]: variable `{M}` is not defined in `variables`",
        ),
        (
            "contentOrigin: {}\nmoduleEnable: ['nodejs:{S}']\n",
            "moduleEnable[0]: variable `{S}` is not defined in `variables`",
        ),
        (
            "contentOrigin: {}\ncontext: {image: 'ubi9:{T}'}\n",
            "context.image[0]: variable `{T}` is not defined in `variables`",
        ),
        (
            "contentOrigin: {}\npackages: ['{X}']\nexcludePackages: ['{Y}']\n",
            "packages[0]: variable `{X}` is not defined in `variables`",
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
            "contentOrigin: {repos: [{repoid: [7], baseurl: x}]}\n",
            "contentOrigin.repos[0].repoid: expected a string, found a list",
        ),
        (
            "contentOrigin: {repos: [{repoid: a}]}\n",
            "missing required key: contentOrigin.repos[0].baseurl",
        ),
        (
            "contentOrigin: {repos: [{repoid: a, metalink: ''}]}\n",
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
            "contentOrigin: {}\ncontext: {rootfs: [a]}\n",
            "context.rootfs: expected a string, found a list",
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
fn containerfile_treefile_and_flatpak_keys_parse() {
    use crate::config::ContainerfileRef;
    let input = parse(&format!(
        "{MINIMAL}packagesFromContainerfile: Containerfile\n"
    ))
    .unwrap();
    assert_eq!(
        input.packages_from_containerfile,
        Some(ContainerfileRef::new("Containerfile"))
    );
    assert_eq!(
        input.resolve_path(std::path::Path::new("a/../Containerfile")),
        std::path::PathBuf::from("/in/Containerfile")
    );
    let input = parse(&format!(
        "{MINIMAL}variables: [{{inline: {{CF: Dockerfile.rhel}}}}]\npackagesFromContainerfile: {{file: '{{CF}}', stageName: build, stageNum: 2.0, imagePattern: 'ubi[0-9]', argFile: args.conf}}\n"
    ))
    .unwrap();
    let cf = input.packages_from_containerfile.unwrap();
    assert_eq!(cf.file, std::path::PathBuf::from("Dockerfile.rhel"));
    assert_eq!(cf.filter.num, Some(2));
    assert_eq!(cf.filter.name.as_deref(), Some("build"));
    assert_eq!(cf.filter.image_pattern.as_deref(), Some("ubi[0-9]"));
    assert_eq!(cf.arg_file, Some("args.conf".into()));
    // An empty string is "not given", as in the prototype.
    let input = parse(&format!("{MINIMAL}packagesFromContainerfile: ''\n")).unwrap();
    assert_eq!(input.packages_from_containerfile, None);

    let ctx = |v: &str| parse(&format!("{MINIMAL}context: {v}\n"));
    assert_eq!(
        ctx("{containerfile: Containerfile}").unwrap().context,
        Context::Containerfile(ContainerfileRef::new("Containerfile"))
    );
    assert_eq!(
        ctx("{rpmOstreeTreefile: t.yaml}").unwrap().context,
        Context::RpmOstreeTreefile("t.yaml".into())
    );
    let flat = ctx("{flatpak: true, bare: true}").unwrap();
    assert!(flat.flatpak);
    assert_eq!(flat.context, Context::Bare);
    assert!(!ctx("{bare: true}").unwrap().flatpak);

    for (value, want) in [
        (
            "{image: x, containerfile: Containerfile}",
            "context: `image` and `containerfile` cannot be used together",
        ),
        (
            "{rpmOstreeTreefile: t.yaml, flatpak: true}",
            "context: `flatpak` goes with `image`, `containerfile` or `bare` only",
        ),
        (
            "{containerfile: {stageName: x}}",
            "missing required key: context.containerfile.file",
        ),
        (
            "{containerfile: {file: C, stage: x}}",
            "unknown key: context.containerfile.stage",
        ),
        (
            "{containerfile: {file: C, stageNum: 0}}",
            "context.containerfile.stageNum: stages are numbered from 1",
        ),
        (
            "{containerfile: {file: C, stageNum: 1.5}}",
            "context.containerfile.stageNum: stages are numbered from 1",
        ),
        (
            "{containerfile: {file: C, imagePattern: '('}}",
            "context.containerfile.imagePattern: not a regular expression",
        ),
    ] {
        let e = ctx(value).unwrap_err().to_string();
        assert!(e.contains(want), "{value}: {e}");
    }
    let e = parse(&format!("{MINIMAL}packagesFromContainerfile: [x]\n"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(
            "packagesFromContainerfile: expected a path or {file, stageName, ...}, found a list"
        ),
        "{e}"
    );
}

#[test]
fn every_unimplemented_key_is_refused() {
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
fn repoids_are_checked_as_dnf_checks_them() {
    let check = |id: &str| {
        let input = parse(&format!(
            "contentOrigin:\n  repos:\n  - {{repoid: '{id}', baseurl: x}}\n"
        ))
        .unwrap();
        input
            .repos_for_arch_with(&Vars::new("x86_64", "9", []))
            .map(|r| r[0].repoid.clone())
            .map_err(|e| e.to_string())
    };
    assert_eq!(
        check("Base_OS-9.2:x-$basearch"),
        Ok("Base_OS-9.2:x-x86_64".into())
    );
    assert_eq!(
        check("../etc"),
        Err("/in/rpms.in.yaml: invalid repoid \"../etc\": '/' at byte 2 (dnf accepts letters, digits and -_.: only)".into())
    );
    for (id, bad) in [
        ("a b", "' ' at byte 1"),
        ("ré", "'é' at byte 1"),
        ("a$b", "'$' at byte 1"),
    ] {
        let e = check(id).unwrap_err();
        assert!(e.contains(bad), "{id}: {e}");
    }
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
fn module_lists_are_typed() {
    let input = parse(&format!(
        "{MINIMAL}moduleEnable: ['nodejs:18', perl]\nmoduleDisable: [python36]\n"
    ))
    .unwrap();
    assert_eq!(
        input.module_enable,
        [
            ModuleStreamRef {
                name: "nodejs".into(),
                stream: Some("18".into())
            },
            ModuleStreamRef {
                name: "perl".into(),
                stream: None
            }
        ]
    );
    assert_eq!(input.module_enable[0].to_string(), "nodejs:18");
    assert_eq!(input.module_disable, ["python36"]);
    for (key, value, want) in [
        (
            "moduleEnable",
            "['nodejs:']",
            "moduleEnable[0]: expected name:stream",
        ),
        (
            "moduleEnable",
            "['a:b:c']",
            "moduleEnable[0]: expected name:stream",
        ),
        ("moduleEnable", "['a:1/common']", "without a profile"),
        (
            "moduleDisable",
            "['a', 'b:1']",
            "moduleDisable[1]: expected a module name",
        ),
        (
            "moduleEnable",
            "nodejs:18",
            "moduleEnable: expected a list of module names",
        ),
        (
            "moduleDisable",
            "['']",
            "moduleDisable[0]: must not be empty",
        ),
    ] {
        let e = parse(&format!("{MINIMAL}{key}: {value}\n")).unwrap_err();
        assert!(e.to_string().contains(want), "{key}: {value}: {e}");
    }
}

/// A fetch function for inputs that must not fetch anything.
fn no_fetch(url: &str) -> Result<String, std::io::Error> {
    panic!("unexpected fetch of {url}")
}

#[test]
fn repofiles_local_glob_url_and_location() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("repos.d")).unwrap();
    std::fs::write(
        d.join("repos.d/a.repo"),
        "# local\n[a-$basearch]\nname=A\nbaseurl=http://a/$basearch/\n  http://mirror/{V}/\nenabled=1\npriority=5\n\n[off]\nenabled=0\n",
    )
    .unwrap();
    std::fs::write(
        d.join("repos.d/b.repo"),
        "[b]\nmetalink=https://m/?arch=$basearch\nexcludepkgs=x*,y\n",
    )
    .unwrap();
    std::fs::write(d.join("c.repo"), "[c]\nbaseurl=file:///srv/c\n").unwrap();
    std::fs::write(
        d.join("rpms.in.yaml"),
        "contentOrigin:\n  repos:\n  - {repoid: inline, baseurl: 'http://i/'}\n  repofiles:\n  - repos.d/*.repo\n  - location: ./c.repo\n  - https://host/{V}/r.repo\nvariables:\n- inline: {V: '9'}\n",
    )
    .unwrap();
    let mut input = Input::from_path(d.join("rpms.in.yaml")).unwrap();
    assert_eq!(
        input.repofiles,
        ["repos.d/*.repo", "./c.repo", "https://host/9/r.repo"]
    );
    let fetched = std::cell::RefCell::new(Vec::new());
    input
        .load_repofiles(|url| {
            fetched.borrow_mut().push(url.to_string());
            Ok::<_, std::io::Error>("[remote]\nbaseurl = http://r/\n".to_string())
        })
        .unwrap();
    assert_eq!(*fetched.borrow(), ["https://host/9/r.repo"]);
    assert!(input.repofiles.is_empty());
    let ids: Vec<&str> = input.repos.iter().map(|r| r.repoid.as_str()).collect();
    assert_eq!(ids, ["inline", "a-$basearch", "b", "c", "remote"]);
    assert_eq!(
        input.repos[1].baseurls,
        ["http://a/$basearch/", "http://mirror/9/"]
    );
    assert_eq!(input.repos[1].options["name"], "A");
    assert_eq!(input.repos[1].options["priority"], "5");
    let repos = input
        .repos_for_arch_with(&Vars::new("aarch64", "unknown", []))
        .unwrap();
    assert_eq!(repos[1].repoid, "a-aarch64");
    assert_eq!(repos[1].priority().unwrap(), 5);
    assert_eq!(repos[2].metalink(), Some("https://m/?arch=aarch64"));
    assert!(repos[2].baseurls.is_empty());
    assert_eq!(repos[2].excludes(), ["x*", "y"]);
    assert_eq!(repos[3].baseurls, ["file:///srv/c"]);
}

#[test]
fn repofile_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("html.repo"), "[ok]\nbaseurl=x\n<html>\n").unwrap();
    std::fs::write(d.join("nourl.repo"), "[n]\nname=N\n").unwrap();
    std::fs::write(d.join("dup.repo"), "[inline]\nbaseurl=http://d/\n").unwrap();
    let load = |files: &str| -> String {
        let text = format!(
            "contentOrigin:\n  repos: [{{repoid: inline, baseurl: 'http://i/'}}]\n  repofiles: [{files}]\n"
        );
        let path = d.join("rpms.in.yaml");
        std::fs::write(&path, text).unwrap();
        let mut input = Input::from_path(&path).unwrap();
        let e = input
            .load_repofiles(|_| Err(std::io::Error::other("connection refused")))
            .unwrap_err();
        let mut msg = e.to_string();
        if let Some(source) = e.source() {
            msg.push_str(&format!(": {source}"));
        }
        msg.replace(&d.display().to_string(), "D")
    };
    assert_eq!(
        load("missing.repo"),
        "D/rpms.in.yaml: contentOrigin.repofiles: cannot read D/missing.repo: no such file"
    );
    assert_eq!(
        load("'*.nothing'"),
        "D/rpms.in.yaml: contentOrigin.repofiles: `*.nothing` matches no file"
    );
    assert_eq!(
        load("html.repo"),
        "D/html.repo:3: not a dnf .repo file (INI): expected `key=value`, found `<html>`"
    );
    assert_eq!(
        load("nourl.repo"),
        "D/nourl.repo:1: [n]: needs one of baseurl, metalink or mirrorlist"
    );
    assert_eq!(
        load("dup.repo"),
        "D/dup.repo: [inline]: repoid already defined by contentOrigin.repos or an earlier repofile"
    );
    assert_eq!(
        load("'http://h/x.repo'"),
        "D/rpms.in.yaml: contentOrigin.repofiles: cannot fetch http://h/x.repo: connection refused"
    );
    assert_eq!(
        load("'ftp://h/x.repo'"),
        "D/rpms.in.yaml: contentOrigin.repofiles: `ftp://h/x.repo`: a repofile is a path, an http(s):// or a file:// URL"
    );
}

#[test]
fn variables_inline_and_file_later_wins() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("vars.env"), "# v\nPKG=from-file\nARCHX=x86_64\n").unwrap();
    std::fs::write(
        d.join("rpms.in.yaml"),
        "contentOrigin:\n  repos:\n  - repoid: r-{PKG}\n    baseurl: 'http://h/{PKG}/${basearch}/'\n    excludepkgs: '{PKG}-debug'\npackages:\n- '{PKG}'\n- name: 'lib{PKG}.{ARCHX}'\n  arches: {only: x86_64}\n- '{a,b}'\nvariables:\n- inline: {PKG: inline, N: 1}\n- file: vars.env\n- inline: {ARCHX: i686}\n",
    )
    .unwrap();
    let mut input = Input::from_path(d.join("rpms.in.yaml")).unwrap();
    assert_eq!(input.variables["PKG"], "from-file");
    assert_eq!(input.variables["N"], "1");
    assert_eq!(input.variables["ARCHX"], "i686");
    assert_eq!(
        input.packages_for_arch("x86_64"),
        ["from-file", "libfrom-file.i686", "{a,b}"]
    );
    assert_eq!(input.repos[0].repoid, "r-from-file");
    assert_eq!(input.repos[0].baseurls, ["http://h/from-file/${basearch}/"]);
    assert_eq!(input.repos[0].options["excludepkgs"], "from-file-debug");
    input.load_repofiles(no_fetch).unwrap();
    let mut extra = vec!["{N}".to_string(), "x".to_string()];
    input
        .substitute_list(&mut extra, "upgradePackages")
        .unwrap();
    assert_eq!(extra, ["1", "x"]);
    let mut bad = vec!["ok".to_string(), "{NOPE}".to_string()];
    let e = input
        .substitute_list(&mut bad, "upgradePackages")
        .unwrap_err();
    assert!(
        e.to_string().ends_with(
            "rpms.in.yaml: upgradePackages[1]: variable `{NOPE}` is not defined in `variables`"
        ),
        "{e}"
    );
    let e = Input::from_yaml_str(
        "contentOrigin: {}\nvariables: [{file: nope.env}]\n",
        Some(&d.join("rpms.in.yaml")),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("variables[0].file: cannot read variables file"),
        "{e}"
    );
}

#[test]
fn disabled_and_invalid_inline_repos() {
    let input = parse(&format!(
        "{MINIMAL}    enabled: false\n  - {{repoid: on, baseurl: x}}\n"
    ))
    .unwrap();
    let repos = input
        .repos_for_arch_with(&Vars::new("x86_64", "unknown", []))
        .unwrap();
    let ids: Vec<&str> = repos.iter().map(|r| r.repoid.as_str()).collect();
    assert_eq!(ids, ["on"]);
    let input = parse(&format!("{MINIMAL}    priority: abc\n")).unwrap();
    let e = input
        .repos_for_arch_with(&Vars::new("x86_64", "unknown", []))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "repo baseos: priority: `abc` is not an integer"
    );
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

#[test]
fn exclude_packages_leave_every_request_list() {
    let input = Input::from_yaml_str(
        "contentOrigin: {repos: [{repoid: r, baseurl: 'http://h/'}]}\npackages: [a, b-devel, c]\nupgradePackages: [b-libs, d]\nreinstallPackages: [c]\nexcludePackages: ['b-*', c]\n",
        None,
    )
    .unwrap();
    assert_eq!(input.packages_for_arch("x86_64"), ["a"]);
    assert_eq!(input.upgrade_for_arch("x86_64"), ["d"]);
    assert!(input.reinstall_for_arch("x86_64").is_empty());
    assert!(input.is_excluded_request("b-x") && !input.is_excluded_request("cc"));
}

#[test]
fn contexts_parse() {
    let ctx = |v: &str| parse(&format!("{MINIMAL}context: {v}\n")).unwrap().context;
    assert_eq!(ctx("{localSystem: true}"), Context::LocalSystem);
    assert_eq!(ctx("{localSystem: false}"), Context::Unspecified);
    assert_eq!(
        ctx("{rootfs: /srv/root}"),
        Context::Rootfs("/srv/root".into())
    );
    // Relative to the input file's directory.
    assert_eq!(ctx("{rootfs: root}"), Context::Rootfs("/in/root".into()));
    assert_eq!(
        ctx("{image: 'registry.example.com/ubi9:latest'}"),
        Context::Image("registry.example.com/ubi9:latest".into())
    );
    // Variables are substituted in the image reference, as the prototype does.
    let input = parse(&format!(
        "{MINIMAL}variables: [{{inline: {{TAG: '9.4'}}}}]\ncontext: {{image: 'ubi9:{{TAG}}'}}\n"
    ))
    .unwrap();
    assert_eq!(input.context, Context::Image("ubi9:9.4".into()));
}

/// Scalars where strings are expected are their source text (PyYAML and serde_yaml
/// would re-render numbers: `8.10` as `8.1`, `017` as `15` or `17`).
#[test]
fn scalars_are_taken_as_written() {
    let input = parse(
        "contentOrigin:\n  repos:\n  - repoid: 8.10\n    baseurl: https://example.com/{V}/\n    priority: 017\npackages: [1e3, 0o17, 8.10, 017, yes]\nvariables: [{inline: {V: 9.10}}]\narches: [x86_64]\n",
    )
    .unwrap();
    assert_eq!(
        input.packages_for_arch("x86_64"),
        ["1e3", "0o17", "8.10", "017", "yes"]
    );
    let repos = input
        .repos_for_arch_with(&crate::config::vars::Vars::new("x86_64", "9", []))
        .unwrap();
    assert_eq!(repos[0].repoid, "8.10");
    assert_eq!(repos[0].baseurls, ["https://example.com/9.10/"]);
    assert_eq!(repos[0].options["priority"], "017");
}

#[test]
fn encodings_bom_utf16_and_binary() {
    let dir = tempfile::tempdir().unwrap();
    let text = "contentOrigin: {repos: [{repoid: r, baseurl: /x}]}\npackages: [a]\n";
    let bom = dir.path().join("bom.yaml");
    std::fs::write(&bom, format!("\u{feff}{text}")).unwrap();
    assert_eq!(
        Input::from_path(&bom).unwrap().packages_for_arch("x86_64"),
        ["a"]
    );
    let utf16 = dir.path().join("utf16.yaml");
    let mut bytes = vec![0xff, 0xfe];
    for u in text.encode_utf16() {
        bytes.extend(u.to_le_bytes());
    }
    std::fs::write(&utf16, bytes).unwrap();
    let e = Input::from_path(&utf16).unwrap_err().to_string();
    assert!(
        e.contains("UTF-16") && e.contains("save it as UTF-8"),
        "{e}"
    );
    let binary = dir.path().join("bin.yaml");
    std::fs::write(&binary, b"contentOrigin: \xff\xfe\x00\n").unwrap();
    let e = Input::from_path(&binary).unwrap_err().to_string();
    assert!(e.contains("not UTF-8"), "{e}");
}

#[test]
fn pathological_yaml_fails_fast_with_a_position() {
    let deep = format!("contentOrigin: {}\n", "[".repeat(50_000));
    let e = parse(&deep).unwrap_err();
    assert!(matches!(e, ConfigError::Syntax { line: 1, .. }), "{e}");
}
