//! Solver cases written as small inline package lists.

use super::*;
use crate::model::{DepFlags, Dependency, Evr, Package};

/// `name-[e:]v-r.arch` plus dependencies given as `"requires: foo >= 1"`-style lines.
fn pkg(nevra: &str, deps: &[&str]) -> Package {
    let (rest, arch) = nevra.rsplit_once('.').unwrap();
    let (rest, rel) = rest.rsplit_once('-').unwrap();
    let (name, ver) = rest.rsplit_once('-').unwrap();
    let evr = Evr::parse(&format!("{ver}-{rel}"));
    let mut p = Package {
        name: name.into(),
        arch: arch.into(),
        evr: evr.clone(),
        location_href: format!("Packages/{nevra}.rpm"),
        ..Default::default()
    };
    p.provides
        .push(Dependency::versioned(name, DepFlags::Eq, evr.to_string()));
    for line in deps {
        let (kind, dep) = line.split_once(": ").unwrap();
        let d = parse_dep(dep);
        match kind {
            "requires" => p.requires.push(d),
            "pre" => p.requires.push(Dependency { pre: true, ..d }),
            "provides" => p.provides.push(d),
            "conflicts" => p.conflicts.push(d),
            "obsoletes" => p.obsoletes.push(d),
            "recommends" => p.recommends.push(d),
            "suggests" => p.suggests.push(d),
            "supplements" => p.supplements.push(d),
            "enhances" => p.enhances.push(d),
            "file" => p.files.push(dep.into()),
            other => panic!("unknown dep kind {other}"),
        }
    }
    p
}

fn parse_dep(s: &str) -> Dependency {
    if s.starts_with('(') {
        return Dependency::unversioned(s);
    }
    let parts: Vec<&str> = s.split_whitespace().collect();
    match parts.as_slice() {
        [n] => Dependency::unversioned(*n),
        [n, op, evr] => Dependency::versioned(*n, DepFlags::from_operator(op).unwrap(), *evr),
        _ => panic!("bad dep {s}"),
    }
}

fn repo<'a>(id: &'a str, packages: &'a [Package]) -> SolveRepo<'a> {
    SolveRepo::new(
        id,
        RepoSource::Packages {
            packages,
            filelists: None,
        },
    )
}

fn packages_of<'a>(r: &SolveRepo<'a>) -> &'a [Package] {
    match r.source {
        RepoSource::Packages { packages, .. } => packages,
        RepoSource::Solv(_) | RepoSource::SolvBytes { .. } => {
            panic!("tests map results through packages")
        }
    }
}

fn run(
    arch: &str,
    repos: Vec<SolveRepo<'_>>,
    specs: &[&str],
    weak: bool,
) -> Result<Vec<String>, SolveError> {
    let mut request = request(arch, repos, specs);
    request.install_weak_deps = weak;
    run_request(&request).map(|(packages, _)| packages)
}

/// Solves `request` (whose repos are all `RepoSource::Packages`): the sorted NEVRAs
/// to install and the warnings.
fn run_request(request: &SolveRequest<'_>) -> Result<(Vec<String>, Vec<String>), SolveError> {
    let repos = &request.repos;
    let solution = solve(request)?;
    let mut out: Vec<String> = solution
        .packages
        .iter()
        .map(|r| packages_of(&repos[r.repo])[r.package].nevra())
        .collect();
    out.sort();
    Ok((out, solution.warnings))
}

fn ok(arch: &str, packages: &[Package], specs: &[&str]) -> Vec<String> {
    run(arch, vec![repo("base", packages)], specs, true).unwrap()
}

#[test]
fn chain_and_virtual_provides() {
    let p = [
        pkg("a-1-1.x86_64", &["requires: b"]),
        pkg("b-1-1.noarch", &["requires: webserver"]),
        pkg("httpd-2-1.x86_64", &["provides: webserver"]),
        pkg("unrelated-1-1.x86_64", &[]),
    ];
    assert_eq!(
        ok("x86_64", &p, &["a"]),
        ["a-1-1.x86_64", "b-1-1.noarch", "httpd-2-1.x86_64"]
    );
    assert_eq!(ok("x86_64", &p, &["webserver"]), ["httpd-2-1.x86_64"]);
}

#[test]
fn newest_version_and_epoch_win() {
    let p = [
        pkg("v-1.0-1.noarch", &[]),
        pkg("v-2.0-1.noarch", &[]),
        pkg("v-1.5-1.noarch", &[]),
        pkg("e-1:1.0-1.noarch", &[]),
        pkg("e-9.0-1.noarch", &[]),
    ];
    assert_eq!(
        ok("x86_64", &p, &["v", "e"]),
        ["e-1:1.0-1.noarch", "v-2.0-1.noarch"]
    );
    assert_eq!(ok("x86_64", &p, &["v-1.5"]), ["v-1.5-1.noarch"]);
    assert_eq!(ok("x86_64", &p, &["v-1.0-1"]), ["v-1.0-1.noarch"]);
    assert_eq!(ok("x86_64", &p, &["v-1.0-1.noarch"]), ["v-1.0-1.noarch"]);
    assert_eq!(ok("x86_64", &p, &["v < 2"]), ["v-1.5-1.noarch"]);
    assert_eq!(ok("x86_64", &p, &["e-9.0-1"]), ["e-9.0-1.noarch"]);
}

#[test]
fn weak_deps_both_ways() {
    let p = [
        pkg("app-1-1.noarch", &["recommends: extra", "suggests: sugg"]),
        pkg("extra-1-1.noarch", &[]),
        pkg("sugg-1-1.noarch", &[]),
        pkg("plugin-1-1.noarch", &["supplements: app"]),
        pkg("lang-1-1.noarch", &["supplements: (app and extra)"]),
    ];
    assert_eq!(
        ok("x86_64", &p, &["app"]),
        [
            "app-1-1.noarch",
            "extra-1-1.noarch",
            "lang-1-1.noarch",
            "plugin-1-1.noarch"
        ]
    );
    let off = run("x86_64", vec![repo("base", &p)], &["app"], false).unwrap();
    assert_eq!(off, ["app-1-1.noarch"]);
}

#[test]
fn rich_dependencies() {
    let p = [
        pkg(
            "r-1-1.noarch",
            &["requires: (x or y)", "requires: (z if x else w)"],
        ),
        pkg("x-1-1.noarch", &[]),
        pkg("y-1-1.noarch", &[]),
        pkg("z-1-1.noarch", &[]),
        pkg("w-1-1.noarch", &[]),
    ];
    assert_eq!(
        ok("x86_64", &p, &["r"]),
        ["r-1-1.noarch", "x-1-1.noarch", "z-1-1.noarch"]
    );
}

fn chain_of(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(c) = source {
        s.push_str(&format!(": {c}"));
        source = c.source();
    }
    s
}

#[test]
fn deeply_nested_rich_dependencies_are_an_error_not_a_crash() {
    let depth = 100_000;
    let mut dep = String::new();
    for i in 0..depth {
        dep.push_str(&format!("(d{i} and "));
    }
    dep.push('z');
    dep.push_str(&")".repeat(depth));
    let mut r = pkg("r-1-1.noarch", &[]);
    r.requires.push(Dependency::unversioned(dep.clone()));
    let p = [r, pkg("z-1-1.noarch", &[])];
    let e = run("x86_64", vec![repo("base", &p)], &["r"], false).unwrap_err();
    let chain = chain_of(&e);
    assert!(
        chain.contains("r-1-1.noarch") && chain.contains("nested 100000 levels deep"),
        "{chain}"
    );
    // As a requested provide too.
    let p = [pkg("z-1-1.noarch", &[])];
    let e = run("x86_64", vec![repo("base", &p)], &[&dep], false).unwrap_err();
    let chain = chain_of(&e);
    assert!(chain.contains("nested 100000 levels deep"), "{chain}");
    // A thousand levels still resolve.
    let mut dep = String::new();
    for i in 0..999 {
        dep.push_str(&format!("(d{i} or "));
    }
    dep.push('z');
    dep.push_str(&")".repeat(999));
    let mut r = pkg("r-1-1.noarch", &[]);
    r.requires.push(Dependency::unversioned(dep));
    let p = [r, pkg("z-1-1.noarch", &[])];
    assert_eq!(ok("x86_64", &p, &["r"]), ["r-1-1.noarch", "z-1-1.noarch"]);
}

#[test]
fn multilib_only_when_needed() {
    let p = [
        pkg("lib-1-1.x86_64", &["provides: liblib.so.1()(64bit)"]),
        pkg("lib-1-1.i686", &["provides: liblib.so.1"]),
        pkg("old32-1-1.i686", &["requires: liblib.so.1"]),
    ];
    assert_eq!(ok("x86_64", &p, &["lib"]), ["lib-1-1.x86_64"]);
    assert_eq!(ok("x86_64", &p, &["lib.i686"]), ["lib-1-1.i686"]);
    // libsolv installs the multilib sibling of a pulled-in i686 library as well
    // (checked with testsolv on the same packages and flags).
    assert_eq!(
        ok("x86_64", &p, &["old32"]),
        ["lib-1-1.i686", "lib-1-1.x86_64", "old32-1-1.i686"]
    );
    assert_eq!(ok("i686", &p, &["lib"]), ["lib-1-1.i686"]);
}

#[test]
fn obsoletes_replace_old_name() {
    let p = [
        pkg("oldname-1-1.noarch", &[]),
        pkg(
            "newname-2-1.noarch",
            &["obsoletes: oldname < 2", "provides: oldname = 2-1"],
        ),
    ];
    assert_eq!(ok("x86_64", &p, &["oldname"]), ["newname-2-1.noarch"]);
}

#[test]
fn no_match_lists_every_spec() {
    let p = [pkg("a-1-1.noarch", &[])];
    let err = run(
        "x86_64",
        vec![repo("base", &p)],
        &["nosuch", "a", "other"],
        true,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "No match for argument: nosuch\nNo match for argument: other"
    );
}

#[test]
fn problems_in_dnf_words() {
    let p = [
        pkg("needy-1-1.x86_64", &["requires: ghost"]),
        pkg("left-1-1.noarch", &["conflicts: right"]),
        pkg("right-1-1.noarch", &[]),
        pkg("armonly-1-1.aarch64", &[]),
    ];
    let err = run("x86_64", vec![repo("base", &p)], &["needy"], true).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Problem: conflicting requests\n  - nothing provides ghost needed by needy-1-1.x86_64 from base"
    );
    let err = run("x86_64", vec![repo("base", &p)], &["left", "right"], true).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Problem: package left-1-1.noarch from base conflicts with right provided by right-1-1.noarch from base\n  - conflicting requests"
    );
    let err = run("x86_64", vec![repo("base", &p)], &["armonly"], true).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Problem: conflicting requests\n  - package armonly-1-1.aarch64 from base does not have a compatible architecture"
    );
}

#[test]
fn many_problems_and_a_wide_problem_stay_fast() {
    // 2,000 unresolvable requests: one problem each.
    let n = 2000;
    let p: Vec<Package> = (0..n)
        .map(|i| {
            pkg(
                &format!("p{i}-1-1.noarch"),
                &[&format!("requires: ghost{i}")],
            )
        })
        .collect();
    let specs: Vec<String> = (0..n).map(|i| format!("p{i}")).collect();
    let specs: Vec<&str> = specs.iter().map(String::as_str).collect();
    let started = std::time::Instant::now();
    let err = run("x86_64", vec![repo("base", &p)], &specs, true).unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("Problem 1: "), "{}", &text[..200]);
    assert!(text.contains(&format!("\nProblem {n}: ")));
    // One problem with 2,000 lines: every provider of `x` needs a ghost.
    let mut p: Vec<Package> = (0..n)
        .map(|i| {
            pkg(
                &format!("x{i}-1-1.noarch"),
                &["provides: x", &format!("requires: ghost{i}")],
            )
        })
        .collect();
    p.push(pkg("top-1-1.noarch", &["requires: x"]));
    let err = run("x86_64", vec![repo("base", &p)], &["top"], true).unwrap_err();
    let text = err.to_string();
    assert!(
        text.matches("nothing provides ghost").count() >= n,
        "{}",
        &text[..200]
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn priority_and_cost_pick_the_repo() {
    let a = [pkg("p-1-1.noarch", &[])];
    let b = [pkg("p-2-1.noarch", &[])];
    let mut high = repo("high", &a);
    high.priority = 10;
    let r = run("x86_64", vec![repo("low", &b), high], &["p"], true).unwrap();
    assert_eq!(r, ["p-1-1.noarch"]);
}

#[test]
fn globs_files_and_nul_bytes() {
    let p = [
        pkg("chain-a-1-1.noarch", &["file: /usr/bin/chain-a"]),
        pkg("chain-b-1-1.noarch", &[]),
        pkg("tool-1-1.noarch", &["requires: /usr/bin/chain-a"]),
    ];
    assert_eq!(
        ok("x86_64", &p, &["chain-*"]),
        ["chain-a-1-1.noarch", "chain-b-1-1.noarch"]
    );
    assert_eq!(
        ok("x86_64", &p, &["/usr/bin/chain-a"]),
        ["chain-a-1-1.noarch"]
    );
    assert_eq!(
        ok("x86_64", &p, &["/usr/*/chain-?"]),
        ["chain-a-1-1.noarch"]
    );
    assert_eq!(
        ok("x86_64", &p, &["tool"]),
        ["chain-a-1-1.noarch", "tool-1-1.noarch"]
    );
    let bad = [pkg("bad-1-1.noarch", &["requires: a\0b"])];
    let err = run("x86_64", vec![repo("base", &bad)], &["bad"], true).unwrap_err();
    assert!(matches!(err, SolveError::InvalidData { .. }), "{err}");
}

#[test]
fn filelists_satisfy_deep_file_deps() {
    let p = [
        pkg("lib-1-1.x86_64", &[]),
        pkg("user-1-1.x86_64", &["requires: /opt/lib/liblib.so.1"]),
    ];
    let err = run("x86_64", vec![repo("base", &p)], &["user"], true).unwrap_err();
    assert!(err.may_need_filelists());
    let files = vec![vec!["/opt/lib/liblib.so.1".to_string()], vec![]];
    let mut r = repo("base", &p);
    r.source = RepoSource::Packages {
        packages: &p,
        filelists: Some(&files),
    };
    assert_eq!(
        run("x86_64", vec![r], &["user"], true).unwrap(),
        ["lib-1-1.x86_64", "user-1-1.x86_64"]
    );
}

#[test]
fn solv_files_round_trip_with_the_same_order_and_answers() {
    let p = [
        pkg(
            "a-1-1.x86_64",
            &["requires: (b or c)", "pre: /usr/bin/b", "recommends: c"],
        ),
        pkg("b-1-1.noarch", &["file: /usr/bin/b"]),
        pkg("c-2-1.noarch", &["obsoletes: oldc < 2"]),
        pkg("a-1-1.src", &[]),
    ];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("base.solv");
    write_solv("base", &p, None, &path).unwrap();
    let from_records = run("x86_64", vec![repo("base", &p)], &["a"], true).unwrap();
    let request = SolveRequest::new(
        "x86_64",
        vec![SolveRepo::new("base", RepoSource::Solv(&path))],
        vec!["a".into()],
    );
    let mut from_solv: Vec<String> = solve(&request)
        .unwrap()
        .packages
        .iter()
        .map(|r| p[r.package].nevra())
        .collect();
    from_solv.sort();
    assert_eq!(from_solv, from_records);
    assert_eq!(from_solv, ["a-1-1.x86_64", "b-1-1.noarch", "c-2-1.noarch"]);
    // The same file's bytes, read from memory.
    let bytes = std::fs::read(&path).unwrap();
    let in_memory = |bytes: &[u8]| {
        let request = SolveRequest {
            repos: vec![SolveRepo {
                source: RepoSource::SolvBytes {
                    bytes,
                    origin: &path,
                },
                ..request.repos[0]
            }],
            ..request.clone()
        };
        solve(&request).map(|s| {
            let mut v: Vec<String> = s.packages.iter().map(|r| p[r.package].nevra()).collect();
            v.sort();
            v
        })
    };
    assert_eq!(in_memory(&bytes).unwrap(), from_records);
    // Truncated or empty content is an error naming the file, not a crash.
    for cut in [0, 1, bytes.len() / 2, bytes.len() - 1] {
        let e = in_memory(&bytes[..cut]).unwrap_err();
        assert!(
            matches!(&e, SolveError::Libsolv { message } if message.contains("base.solv")),
            "cut {cut}: {e:?}"
        );
    }
    let nope = dir.path().join("nope.solv");
    let missing = SolveRequest {
        repos: vec![SolveRepo {
            source: RepoSource::Solv(&nope),
            ..request.repos[0]
        }],
        ..request.clone()
    };
    assert!(matches!(solve(&missing), Err(SolveError::Libsolv { .. })));
}

/// A request over `repos` for `specs` with dnf's defaults.
fn request<'a>(arch: &'a str, repos: Vec<SolveRepo<'a>>, specs: &[&str]) -> SolveRequest<'a> {
    SolveRequest::new(arch, repos, strings(specs))
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn repo_excludes_and_includes_hide_packages() {
    let base = [
        pkg("multiver-1.0-1.x86_64", &[]),
        pkg("multiver-2.0-1.x86_64", &[]),
        pkg("app-1-1.noarch", &["requires: webserver"]),
        pkg("httpd-2-1.noarch", &["provides: webserver"]),
        pkg("nginx-1-1.noarch", &["provides: webserver"]),
    ];
    let updates = [
        pkg("multiver-3.0-1.x86_64", &[]),
        pkg("extra-1-1.noarch", &[]),
    ];
    let base_ex = strings(&["multiver-2.*", "httpd*"]);
    let updates_in = strings(&["extra"]);
    let repos = vec![
        SolveRepo {
            excludes: &base_ex,
            ..repo("base", &base)
        },
        SolveRepo {
            includes: &updates_in,
            ..repo("updates", &updates)
        },
    ];
    let (got, _) = run_request(&request(
        "x86_64",
        repos.clone(),
        &["multiver", "app", "extra"],
    ))
    .unwrap();
    assert_eq!(
        got,
        [
            "app-1-1.noarch",
            "extra-1-1.noarch",
            "multiver-1.0-1.x86_64",
            "nginx-1-1.noarch"
        ]
    );
    // Without the repo settings: the newest multiver and libsolv's pick of providers.
    let plain = vec![repo("base", &base), repo("updates", &updates)];
    let (got, _) = run_request(&request("x86_64", plain, &["multiver"])).unwrap();
    assert_eq!(got, ["multiver-3.0-1.x86_64"]);
    // A global exclude in the NEV form and one in the NEVRA-glob form.
    let mut req = request("x86_64", repos, &["multiver"]);
    req.excludes = strings(&["multiver-1.0", "*-3.0-1.x86_64"]);
    let err = run_request(&req).unwrap_err();
    assert_eq!(
        err.to_string(),
        "All matches were filtered out by exclude filtering for argument: multiver"
    );
}

#[test]
fn unmatched_specs_say_why_in_request_order() {
    let p = [pkg("a-1-1.noarch", &[]), pkg("b-1-1.noarch", &[])];
    let mut req = request("x86_64", vec![repo("base", &p)], &["b", "nope", "a"]);
    req.excludes = strings(&["b"]);
    let err = run_request(&req).unwrap_err();
    assert_eq!(
        err.to_string(),
        "All matches were filtered out by exclude filtering for argument: b\nNo match for argument: nope"
    );
    assert!(!err.may_need_filelists());
}

#[test]
fn excluded_provider_is_named_in_the_problem() {
    let p = [
        pkg("a-1-1.noarch", &["requires: b"]),
        pkg("b-1-1.noarch", &[]),
    ];
    let mut req = request("x86_64", vec![repo("base", &p)], &["a"]);
    req.excludes = strings(&["b"]);
    let err = run_request(&req).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Problem: package a-1-1.noarch from base requires b, but none of the providers can be installed\n  - conflicting requests\n  - package b-1-1.noarch from base is filtered out by exclude filtering"
    );
}

#[test]
fn cost_breaks_a_tie_between_equal_packages() {
    let a = [pkg("p-1-1.noarch", &[])];
    let b = [pkg("p-1-1.noarch", &[])];
    for (cost_a, cost_b, want) in [(2000, 500, 1), (500, 2000, 0)] {
        let repos = vec![
            SolveRepo {
                cost: cost_a,
                ..repo("a", &a)
            },
            SolveRepo {
                cost: cost_b,
                ..repo("b", &b)
            },
        ];
        let solution = solve(&request("x86_64", repos, &["p"])).unwrap();
        assert_eq!(solution.packages.len(), 1);
        assert_eq!(solution.packages[0].repo, want, "costs {cost_a}/{cost_b}");
    }
}

#[test]
fn assumed_provides_satisfy_deps_and_are_never_returned() {
    let p = [
        pkg("broken-1-1.noarch", &["requires: nosuchcap >= 1"]),
        pkg("v-1-1.noarch", &["requires: libx >= 2"]),
    ];
    assert!(matches!(
        run_request(&request("x86_64", vec![repo("base", &p)], &["broken"])),
        Err(SolveError::Unsolvable { .. })
    ));
    let mut req = request("x86_64", vec![repo("base", &p)], &["broken", "v"]);
    req.assume_provides = strings(&["nosuchcap", "libx = 2.1"]);
    let (got, _) = run_request(&req).unwrap();
    assert_eq!(got, ["broken-1-1.noarch", "v-1-1.noarch"]);
    // Excludes see the dummies too: a repo's `*` only hides that repo's packages, a
    // global one hides the dummy as well.
    let all = strings(&["*"]);
    let hidden = SolveRepo {
        excludes: &all,
        ..repo("other", &[])
    };
    let mut with_other = req.clone();
    with_other.repos.push(hidden);
    assert_eq!(run_request(&with_other).unwrap().0, got);
    with_other.excludes = strings(&["_assumed-provides-nosuchcap"]);
    assert!(matches!(
        run_request(&with_other),
        Err(SolveError::Unsolvable { .. })
    ));
    // A versioned capability that is too old does not help.
    req.assume_provides = strings(&["nosuchcap", "libx = 1.0"]);
    assert!(matches!(
        run_request(&req),
        Err(SolveError::Unsolvable { .. })
    ));
}

#[test]
fn upgrade_and_reinstall_on_bare_warn_like_dnf() {
    let p = [pkg("a-1-1.noarch", &[]), pkg("b-1-1.noarch", &[])];
    let mut req = request("x86_64", vec![repo("base", &p)], &["b"]);
    req.upgrade = strings(&["a", "a*"]);
    req.reinstall = strings(&["b"]);
    req.allow_erasing = true;
    let (got, warnings) = run_request(&req).unwrap();
    assert_eq!(got, ["b-1-1.noarch"]);
    assert_eq!(
        warnings,
        [
            "Package a available, but not installed.",
            "Package b available, but not installed."
        ]
    );
    req.upgrade = strings(&["nope"]);
    req.reinstall = strings(&["gone"]);
    assert_eq!(
        run_request(&req).unwrap_err().to_string(),
        "No match for argument: nope\nNo match for argument: gone"
    );
}

#[test]
fn every_target_arch_takes_its_own_packages() {
    let mut p = Vec::new();
    for arch in ["x86_64", "aarch64", "ppc64le", "s390x", "i686"] {
        p.push(pkg(&format!("tool-1-1.{arch}"), &["requires: lib"]));
        p.push(pkg(&format!("lib-1-1.{arch}"), &[]));
    }
    p.push(pkg("old-1-1.i586", &[]));
    p.push(pkg("s390only-1-1.s390", &[]));
    for arch in ["x86_64", "aarch64", "ppc64le", "s390x", "i686"] {
        assert_eq!(
            ok(arch, &p, &["tool"]),
            [format!("lib-1-1.{arch}"), format!("tool-1-1.{arch}")],
            "{arch}"
        );
    }
    assert_eq!(ok("x86_64", &p, &["old"]), ["old-1-1.i586"]);
    assert_eq!(ok("i686", &p, &["old"]), ["old-1-1.i586"]);
    assert_eq!(ok("s390x", &p, &["s390only"]), ["s390only-1-1.s390"]);
    for arch in ["aarch64", "ppc64le"] {
        assert!(matches!(
            run(arch, vec![repo("base", &p)], &["old"], true),
            Err(SolveError::Unsolvable { .. })
        ));
    }
}

#[test]
fn exclude_patterns_match_source_packages_like_dnf() {
    let evr = Evr::parse("1.0-1");
    let m = |pat| exclude_pattern_matches(pat, "chain-a", &evr, "src");
    for yes in [
        "chain-a",
        "chain-*",
        "chain-a-1.0",
        "chain-a-1.0-1",
        "chain-a-1.0-1.src",
        "chain-a.src",
        "*-1.0-1.src",
        "chain-a-0:1.0-1.src",
    ] {
        assert!(m(yes), "{yes}");
    }
    for no in [
        "chain-b",
        "chain-a.noarch",
        "chain-a-2*",
        "/usr/bin/chain-a",
    ] {
        assert!(!m(no), "{no}");
    }
}

/// Solves `specs` over `packages` with the comps document `comps`; the packages and
/// dnf's warnings.
fn with_comps(
    arch: &str,
    packages: &[Package],
    comps: &str,
    specs: &[&str],
) -> Result<(Vec<String>, Vec<String>), SolveError> {
    let comps = crate::repo::parse_comps(comps.as_bytes(), "comps.xml").unwrap();
    let repos = vec![repo("base", packages)];
    let mut request = SolveRequest::new(
        arch,
        repos.clone(),
        specs.iter().map(|s| s.to_string()).collect(),
    );
    request.comps = Some(&comps);
    let solution = solve(&request)?;
    let warnings = solution.warnings;
    let mut out: Vec<String> = solution
        .packages
        .iter()
        .map(|r| packages_of(&repos[r.repo])[r.package].nevra())
        .collect();
    out.sort();
    Ok((out, warnings))
}

const GROUPS: &str = r#"<comps>
  <group><id>g</id><name>The Group</name><packagelist>
    <packagereq type="mandatory">m</packagereq>
    <packagereq type="default">d</packagereq>
    <packagereq type="optional">o</packagereq>
    <packagereq type="conditional" requires="trigger">c</packagereq>
    <packagereq type="mandatory">missing</packagereq>
    <packagereq type="mandatory" basearchonly="true">lib</packagereq>
    <packagereq type="mandatory">old</packagereq>
  </packagelist></group>
  <environment><id>env</id><grouplist><groupid>g</groupid></grouplist></environment>
</comps>"#;

fn group_repo() -> Vec<Package> {
    vec![
        pkg("m-1-1.noarch", &[]),
        pkg("d-1-1.noarch", &[]),
        pkg("o-1-1.noarch", &[]),
        pkg("c-1-1.noarch", &[]),
        pkg("trigger-1-1.noarch", &[]),
        pkg("needs-trigger-1-1.noarch", &["requires: trigger"]),
        pkg("lib-1-1.x86_64", &[]),
        pkg("lib-1-1.i686", &[]),
        pkg("old-1-1.noarch", &[]),
        pkg("new-2-1.noarch", &["obsoletes: old < 2"]),
    ]
}

#[test]
fn group_installs_mandatory_default_and_warns_about_missing_members() {
    let p = group_repo();
    let (pkgs, warnings) = with_comps("x86_64", &p, GROUPS, &["@g"]).unwrap();
    assert_eq!(
        pkgs,
        [
            "d-1-1.noarch",
            "lib-1-1.x86_64",
            "m-1-1.noarch",
            "new-2-1.noarch"
        ],
        "no optional package, no conditional one without its trigger, and old's obsoleter"
    );
    assert_eq!(warnings, ["No match for group package \"missing\""]);
    let (_, warnings) = with_comps("x86_64", &p, GROUPS, &["@g", "@env", "@g/mandatory"]).unwrap();
    assert_eq!(
        warnings,
        ["No match for group package \"missing\""],
        "one job, and one warning, per member over every group spec"
    );
    let (pkgs, _) = with_comps("x86_64", &p, GROUPS, &["@env"]).unwrap();
    assert_eq!(pkgs.len(), 4, "the environment installs its group");
    let (pkgs, _) = with_comps("x86_64", &p, GROUPS, &["@the group/optional"]).unwrap();
    assert_eq!(pkgs, ["o-1-1.noarch"]);
}

#[test]
fn excluded_group_members_are_missing_members() {
    let p = group_repo();
    let comps = crate::repo::parse_comps(GROUPS.as_bytes(), "comps.xml").unwrap();
    let mut request = SolveRequest::new("x86_64", vec![repo("base", &p)], vec!["@g".into()]);
    request.comps = Some(&comps);
    request.excludes = vec!["d".into()];
    let solution = solve(&request).unwrap();
    assert_eq!(solution.packages.len(), 3, "m, lib.x86_64 and new");
    assert!(
        solution
            .warnings
            .contains(&"No match for group package \"d\"".to_string()),
        "{:?}",
        solution.warnings
    );
}

#[test]
fn group_conditional_packages_follow_their_trigger() {
    let p = group_repo();
    for trigger in ["trigger", "needs-trigger"] {
        let (pkgs, _) = with_comps("x86_64", &p, GROUPS, &["@g", trigger]).unwrap();
        assert!(
            pkgs.contains(&"c-1-1.noarch".to_string()),
            "{trigger}: {pkgs:?}"
        );
    }
}

#[test]
fn group_basearchonly_missing_and_unknown() {
    let p = [pkg("lib-1-1.i686", &[]), pkg("m-1-1.noarch", &[])];
    let (pkgs, warnings) = with_comps("x86_64", &p, GROUPS, &["@g/mandatory"]).unwrap();
    assert_eq!(pkgs, ["m-1-1.noarch"]);
    assert!(
        warnings.contains(&"No match for group package \"lib.x86_64\"".to_string()),
        "{warnings:?}"
    );
    let e = with_comps("x86_64", &p, GROUPS, &["@nosuch", "nopkg", "@g"]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "No match for argument: nopkg\nModule or Group 'nosuch' is not available."
    );
    let e = with_comps("x86_64", &p, GROUPS, &["@g/bogus"]).unwrap_err();
    assert!(
        matches!(e, SolveError::InvalidGroupType { ref kind, .. } if kind == "bogus"),
        "{e}"
    );
    let e = run("x86_64", vec![repo("base", &p)], &["@g"], true).unwrap_err();
    assert_eq!(e.to_string(), "Module or Group 'g' is not available.");
}

fn nea(name: &str, evr: &str) -> (String, String, String) {
    (name.into(), evr.into(), "noarch".into())
}

fn run_filtered(
    repos: Vec<SolveRepo<'_>>,
    specs: &[&str],
    filter: &modules::ModuleFilter,
) -> Result<Vec<String>, SolveError> {
    let mut req = request("x86_64", repos, specs);
    req.modules = Some(filter);
    run_request(&req).map(|(packages, _)| packages)
}

#[test]
fn modular_filtering_hides_inactive_streams_and_shadowed_packages() {
    let p = vec![
        pkg("app-1.0-1.mod1.noarch", &["requires: app-libs"]),
        pkg("app-libs-1.0-1.mod1.noarch", &[]),
        pkg("app-2.0-1.mod2.noarch", &["requires: app-libs"]),
        pkg("app-libs-2.0-1.mod2.noarch", &[]),
        // non-modular, newest, shadowed by the active stream's `app`
        pkg("app-3.0-1.noarch", &[]),
        // non-modular, provides an active artifact's name: shadowed too
        pkg("app-compat-1.0-1.noarch", &["provides: app-libs = 9"]),
        pkg("plain-1.0-1.noarch", &["requires: app-libs"]),
    ];
    let hotfix = vec![pkg("app-2.0-2.fix.noarch", &["requires: app-libs"])];
    let mut filter = modules::ModuleFilter::default();
    for (n, e) in [
        ("app", "1.0-1.mod1"),
        ("app-libs", "1.0-1.mod1"),
        ("app", "2.0-1.mod2"),
        ("app-libs", "2.0-1.mod2"),
    ] {
        filter.all.insert(nea(n, e));
    }
    for (n, e) in [("app", "2.0-1.mod2"), ("app-libs", "2.0-1.mod2")] {
        filter.active.insert(nea(n, e));
        filter.active_names.insert(n.into());
    }
    assert_eq!(
        run_filtered(vec![repo("m", &p)], &["app", "plain"], &filter).unwrap(),
        [
            "app-2.0-1.mod2.noarch",
            "app-libs-2.0-1.mod2.noarch",
            "plain-1.0-1.noarch"
        ]
    );
    // Hidden packages match no spec.
    assert!(matches!(
        run_filtered(vec![repo("m", &p)], &["app-compat"], &filter),
        Err(SolveError::NoMatch { .. })
    ));
    assert!(matches!(
        run_filtered(vec![repo("m", &p)], &["app-1.0-1.mod1.noarch"], &filter),
        Err(SolveError::NoMatch { .. })
    ));
    // A shadowed package from a hotfix repo is exempt.
    filter.hotfix_repos.insert(1);
    assert_eq!(
        run_filtered(vec![repo("m", &p), repo("fix", &hotfix)], &["app"], &filter).unwrap(),
        ["app-2.0-2.fix.noarch", "app-libs-2.0-1.mod2.noarch"]
    );
    // Without the filter the non-modular app wins.
    assert_eq!(
        run("x86_64", vec![repo("m", &p)], &["app"], true).unwrap(),
        ["app-3.0-1.noarch"]
    );
}

/// An installed system (`@System`) as a `.solv` file of `packages`.
fn installed_solv(packages: &[Package]) -> tempfile::NamedTempFile {
    let f = tempfile::NamedTempFile::new().unwrap();
    write_solv(INSTALLED_REPOID, packages, None, f.path()).unwrap();
    f
}

#[test]
fn installed_packages_satisfy_and_are_never_listed() {
    let base = [
        pkg("app-1.0-1.noarch", &["requires: lib >= 1"]),
        pkg("lib-1.0-1.x86_64", &[]),
        pkg("lib-2.0-1.x86_64", &[]),
        pkg("tool-1.0-1.noarch", &["conflicts: app"]),
    ];
    let system = installed_solv(&[
        pkg("lib-1.0-1.x86_64", &[]),
        pkg("app-1.0-1.noarch", &["requires: lib >= 1"]),
    ]);
    let with = |specs: &[&str], f: &dyn Fn(&mut SolveRequest<'_>)| {
        let mut r = request("x86_64", vec![repo("base", &base)], specs);
        r.installed = Some(system.path());
        f(&mut r);
        run_request(&r)
    };
    // Installed app and lib: nothing to install, no upgrade of lib.
    assert_eq!(with(&["app"], &|_| {}).unwrap().0, Vec::<String>::new());
    // upgradePackages moves lib; reinstallPackages locks app at its NEVRA.
    let (got, warnings) = with(&[], &|r| {
        r.upgrade = strings(&["lib"]);
        r.reinstall = strings(&["app"]);
    })
    .unwrap();
    assert_eq!(got, ["app-1.0-1.noarch", "lib-2.0-1.x86_64"]);
    assert!(warnings.is_empty(), "{warnings:?}");
    // tool conflicts with the installed app: unsolvable, unless erasing is allowed.
    let e = with(&["tool"], &|_| {}).unwrap_err();
    assert!(
        e.to_string()
            .contains("problem with installed package app-1.0-1.noarch"),
        "{e}"
    );
    let (got, _) = with(&["tool"], &|r| r.allow_erasing = true).unwrap();
    assert_eq!(got, ["tool-1.0-1.noarch"]);
    // Excludes never hide what is installed.
    let (got, _) = with(&["app"], &|r| r.excludes = strings(&["app", "lib"])).unwrap();
    assert_eq!(got, Vec::<String>::new());
}

#[test]
fn favored_packages_are_kept_where_they_still_resolve() {
    let base = [
        pkg("a-1.0-1.noarch", &["requires: b", "requires: c"]),
        pkg("b-1.0-1.noarch", &[]),
        pkg("b-2.0-1.noarch", &[]),
        pkg("c-1.0-1.noarch", &[]),
        pkg("c-2.0-1.noarch", &["requires: b >= 2"]),
    ];
    let with_favor = |favor: &[&str]| {
        let mut r = request("x86_64", vec![repo("base", &base)], &["a"]);
        r.favor = strings(favor);
        run_request(&r).unwrap().0
    };
    assert_eq!(
        with_favor(&[]),
        ["a-1.0-1.noarch", "b-2.0-1.noarch", "c-2.0-1.noarch"]
    );
    // b and c kept at 1.0.
    assert_eq!(
        with_favor(&["a-1.0-1.noarch", "b-1.0-1.noarch", "c-1.0-1.noarch"]),
        ["a-1.0-1.noarch", "b-1.0-1.noarch", "c-1.0-1.noarch"]
    );
    // c may move: it pulls b 2.0 with it although b was favored at 1.0.
    assert_eq!(
        with_favor(&["a-1.0-1.noarch", "b-1.0-1.noarch"]),
        ["a-1.0-1.noarch", "b-2.0-1.noarch", "c-2.0-1.noarch"]
    );
}

#[test]
fn a_prebuilt_pool_solves_like_its_solv_file() {
    let base = [
        pkg("app-1-1.noarch", &["requires: lib", "recommends: extra"]),
        pkg("lib-1-1.x86_64", &[]),
        pkg("lib-2-1.x86_64", &[]),
        pkg("lib-2-1.i686", &[]),
        pkg("extra-1-1.noarch", &["requires: /usr/bin/tool"]),
        pkg("tool-1-1.x86_64", &["provides: /usr/bin/tool"]),
    ];
    let other = [pkg("lib-3-1.x86_64", &[])];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("base.solv");
    let mut writer = SolvWriter::new("base").unwrap();
    for p in &base {
        writer.add(p, None).unwrap();
    }
    let mut built = writer.finish();
    built.write(&path).unwrap();
    let repos = vec![
        SolveRepo::new("base", RepoSource::Solv(&path)),
        SolveRepo {
            priority: 10,
            ..repo("other", &other)
        },
    ];
    let req = request("x86_64", repos, &["app"]);
    let from_file = solve(&req).unwrap();
    let from_pool = solve_on(&req, Some(built)).unwrap();
    assert_eq!(from_pool, from_file);
    assert_eq!(from_pool.packages.len(), 4, "{from_pool:?}");
    // A pool for another repo than the first is not used.
    let mut writer = SolvWriter::new("elsewhere").unwrap();
    writer.add(&base[0], None).unwrap();
    let wrong = writer.finish();
    assert_eq!(solve_on(&req, Some(wrong)).unwrap(), from_file);
}

/// The cold path checks a batch for NUL bytes once: a batch with one (here in a
/// dependency name, and in a file name) is still refused with the package named, and
/// one without any builds.
#[test]
fn a_nul_byte_in_a_parsed_batch_is_refused() {
    let doc = |dep: &str, file: &str| {
        format!(
            "<metadata packages=\"1\"><package type=\"rpm\"><name>a</name><arch>x86_64</arch>\
             <version epoch=\"0\" ver=\"1\" rel=\"1\"/><location href=\"a.rpm\"/><format>\
             <rpm:requires><rpm:entry name=\"{dep}\"/></rpm:requires><file>{file}</file>\
             </format></package></metadata>"
        )
    };
    let build = |xml: String| {
        let mut batches = Vec::new();
        crate::repo::parse_primary_batches(xml.as_bytes(), "primary.xml", |b| {
            batches.push(b);
            crate::repo::PackageBatch::default()
        })
        .unwrap();
        let mut writer = SolvWriter::new("r").unwrap();
        batches
            .iter()
            .try_for_each(|b| writer.add_batch(b))
            .map_err(|e| e.to_string())
    };
    build(doc("b", "/usr/bin/a")).unwrap();
    for (dep, file) in [("b\0c", "/usr/bin/a"), ("b", "/usr/bin/\0a")] {
        let err = build(doc(dep, file)).unwrap_err();
        assert!(err.contains("NUL byte") && err.contains("'r'"), "{err}");
    }
}
