//! End to end: the `rpmlock` binary against an HTTP server on 127.0.0.1 serving
//! `repos/`, for every scenario under `tests/scenarios/`. Each successful lock is
//! compared with what Debian's dnf resolves on the same repos and request
//! (`tests/dnf_resolve.py`), and snapshotted.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use support::{Server, copy_tree, read, rpmlock, rpmlock_env, rpmlock_in, workspace};

struct Scenario {
    name: String,
    dir: PathBuf,
}

fn scenarios() -> Vec<Scenario> {
    let root = workspace().join("tests/scenarios");
    let mut out: Vec<Scenario> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("rpms.in.yaml").is_file())
        .map(|dir| Scenario {
            name: dir.file_name().unwrap().to_string_lossy().into_owned(),
            dir,
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    // `RPMLOCK_TEST_SCENARIOS=treefile,flatpak`: only the scenarios whose names start
    // with one of these (for development; the full set otherwise).
    if let Ok(only) = std::env::var("RPMLOCK_TEST_SCENARIOS") {
        let prefixes: Vec<&str> = only.split(',').filter(|p| !p.is_empty()).collect();
        out.retain(|s| prefixes.iter().any(|p| s.name.starts_with(p)));
        return out;
    }
    assert!(
        out.len() >= 10,
        "expected the scenario set under {}",
        root.display()
    );
    out
}

/// `name-evr.arch` per arch, from a lockfile (the arch is the URL's file name's).
fn lock_sets(lock: &str) -> BTreeMap<String, BTreeSet<String>> {
    let doc: serde_yaml::Value = serde_yaml::from_str(lock).expect("lock is YAML");
    let mut out = BTreeMap::new();
    for arch in doc["arches"].as_sequence().expect("arches") {
        let mut set = BTreeSet::new();
        for p in arch["packages"].as_sequence().expect("packages") {
            let url = p["url"].as_str().unwrap();
            let file = url.rsplit('/').next().unwrap().trim_end_matches(".rpm");
            let parch = file.rsplit('.').next().unwrap();
            set.insert(format!(
                "{}-{}.{}",
                p["name"].as_str().unwrap(),
                p["evr"].as_str().unwrap(),
                parch
            ));
        }
        out.insert(arch["arch"].as_str().unwrap().to_string(), set);
    }
    out
}

/// What dnf resolves for the scenario, per arch: Ok(set) or Err(message).
fn dnf_sets(
    input: &Path,
    repos_url: &str,
    env: &BTreeMap<String, String>,
) -> BTreeMap<String, Result<BTreeSet<String>, String>> {
    let script = workspace().join("tests/dnf_resolve.py");
    let out = Command::new("/usr/bin/python3")
        .arg(&script)
        .arg(input)
        .arg("--repos-root")
        .arg(repos_url)
        .envs(env)
        .output()
        .expect("run tests/dnf_resolve.py (needs Debian's dnf and python3-yaml)");
    assert!(
        out.status.success(),
        "dnf_resolve.py failed on {}:\n{}",
        input.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("dnf_resolve.py prints JSON");
    json.as_object()
        .unwrap()
        .iter()
        .map(|(arch, r)| {
            let v = if r["ok"].as_bool() == Some(true) {
                Ok(r["packages"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p.as_str().unwrap().to_string())
                    .collect())
            } else {
                Err(r["error"].as_str().unwrap_or_default().to_string())
            };
            (arch.clone(), v)
        })
        .collect()
}

#[derive(serde::Deserialize)]
struct Expect {
    exit: i32,
    #[serde(default)]
    error: Option<String>,
    /// Environment variables for rpmlock and dnf (e.g. `DNF_VAR_*`).
    #[serde(default)]
    env: BTreeMap<String, String>,
    /// Substrings stderr must contain (warnings of a successful run).
    #[serde(default)]
    stderr: Vec<String>,
    /// A root filesystem `root/` beside the input (for `context: {rootfs: root}`),
    /// made with Debian's rpm before the run.
    #[serde(default)]
    rootfs: Option<RootfsSpec>,
    /// Extra arguments of `rpmlock lock` (run in the scenario's directory), e.g.
    /// `[-f, Containerfile.rhel]`, `[--flatpak]`.
    #[serde(default)]
    args: Vec<String>,
    /// The request rpmlock must derive (Containerfile, treefile and flatpak
    /// scenarios), per arch, as `rpmlock lock --print-request` prints it; dnf then
    /// resolves exactly this request (the input with these lists instead of the
    /// Containerfile, treefile or container.yaml, on a bare context).
    #[serde(default)]
    request: Option<BTreeMap<String, RequestSpec>>,
    /// Source RPMs to build with `rpmbuild -bs` beside the input (for
    /// `dnf builddep` in a Containerfile).
    #[serde(default)]
    srpms: Vec<SrpmSpec>,
}

#[derive(serde::Deserialize, Default, Debug, PartialEq)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
struct RequestSpec {
    install: BTreeSet<String>,
    upgrade: BTreeSet<String>,
    reinstall: BTreeSet<String>,
    module_enable: BTreeSet<String>,
    module_disable: BTreeSet<String>,
}

#[derive(serde::Deserialize)]
struct SrpmSpec {
    name: String,
    #[serde(default)]
    build_requires: Vec<String>,
}

#[derive(serde::Deserialize)]
struct RootfsSpec {
    /// RPM files to install, relative to `repos/`.
    #[serde(default)]
    rpms: Vec<String>,
    /// Where the rpmdb lives in the root (default `/var/lib/rpm`).
    #[serde(default)]
    dbpath: Option<String>,
    /// When set, a `test-release` package providing `system-release(releasever) =
    /// VALUE` is installed too.
    #[serde(default)]
    releasever: Option<String>,
    /// `bdb`: the database is rewritten as Berkeley DB (RHEL 8); default sqlite.
    #[serde(default)]
    backend: Option<String>,
}

/// Builds `work/root` as the scenario's `rootfs` says.
fn build_rootfs(spec: &RootfsSpec, work: &Path, scratch: &Path) {
    let mut rpms: Vec<PathBuf> = spec
        .rpms
        .iter()
        .map(|r| workspace().join("repos").join(r))
        .collect();
    if let Some(v) = &spec.releasever {
        rpms.push(support::build_rpm(
            scratch,
            "test-release",
            "1.0",
            &[&format!("Provides: system-release(releasever) = {v}")],
        ));
    }
    let dbpath = spec.dbpath.as_deref().unwrap_or("/var/lib/rpm");
    support::rpm_install(&work.join("root"), dbpath, &rpms);
    match spec.backend.as_deref() {
        None | Some("sqlite") => {}
        Some("bdb") => {
            support::rpmdb_sqlite_to_bdb(&work.join("root").join(dbpath.trim_start_matches('/')))
        }
        Some(other) => panic!("unknown rpmdb backend {other}"),
    }
}

/// Copies the scenario directory into `to`, with `@REPOS@` replaced by `repos_url` in
/// the input and in every `.repo` file.
fn copy_scenario(from: &Path, to: &Path, repos_url: &str) {
    copy_tree(from, to);
    let mut stack = vec![to.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "repo" || e == "yaml") {
                let text = read(&path).replace("@REPOS@", repos_url);
                std::fs::write(&path, text).unwrap();
            }
        }
    }
}

/// Builds `NAME-1.0-1.src.rpm` with the given BuildRequires into `dir`.
fn build_srpm(spec: &SrpmSpec, dir: &Path, scratch: &Path) {
    let top = scratch.join(format!("srpm-{}", spec.name));
    std::fs::create_dir_all(top.join("SPECS")).unwrap();
    let spec_file = top.join(format!("SPECS/{}.spec", spec.name));
    let requires: String = spec
        .build_requires
        .iter()
        .map(|r| format!("BuildRequires: {r}\n"))
        .collect();
    std::fs::write(
        &spec_file,
        format!(
            "Name: {}\nVersion: 1.0\nRelease: 1\nSummary: test\nLicense: MIT\n{requires}%description\ntest\n%files\n",
            spec.name
        ),
    )
    .unwrap();
    let out = Command::new("rpmbuild")
        .arg("--define")
        .arg(format!("_topdir {}", top.display()))
        .args(["--quiet", "-bs"])
        .arg(&spec_file)
        .output()
        .expect("run rpmbuild (Debian package rpm)");
    assert!(
        out.status.success(),
        "rpmbuild -bs {}: {}",
        spec.name,
        String::from_utf8_lossy(&out.stderr)
    );
    let name = format!("{}-1.0-1.src.rpm", spec.name);
    std::fs::copy(top.join("SRPMS").join(&name), dir.join(&name)).unwrap();
}

/// The request `rpmlock lock --print-request` derives, per arch.
fn printed_request(
    work: &Path,
    input: &Path,
    args: &[String],
    cache: &Path,
) -> Result<BTreeMap<String, RequestSpec>, String> {
    let mut all = vec!["lock", input.to_str().unwrap(), "--print-request"];
    all.extend(args.iter().map(String::as_str));
    let out = rpmlock_in(work, &all, cache, &[]);
    if !out.status.success() {
        return Err(format!(
            "--print-request failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
    let specs = |v: &serde_json::Value| -> BTreeSet<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|e| e["spec"].as_str().unwrap().to_string())
            .collect()
    };
    Ok(doc["arches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["arch"].as_str().unwrap().to_string(),
                RequestSpec {
                    install: specs(&a["install"]),
                    upgrade: specs(&a["upgrade"]),
                    reinstall: specs(&a["reinstall"]),
                    module_enable: specs(&a["moduleEnable"]),
                    module_disable: specs(&a["moduleDisable"]),
                },
            )
        })
        .collect())
}

/// The input dnf resolves for a scenario whose request comes from a Containerfile,
/// treefile or container.yaml: the same input with that request as plain lists.
fn dnf_input(input: &Path, request: &BTreeMap<String, RequestSpec>) -> PathBuf {
    use serde_yaml::{Mapping, Value};
    let mut doc: Mapping = serde_yaml::from_str(&read(input)).unwrap();
    doc.remove("packagesFromContainerfile");
    let rootfs = doc.get("context").and_then(|c| c.get("rootfs")).cloned();
    let mut ctx = Mapping::new();
    match rootfs {
        Some(dir) => ctx.insert("rootfs".into(), dir),
        None => ctx.insert("bare".into(), true.into()),
    };
    doc.insert("context".into(), Value::Mapping(ctx));
    let per_arch = |pick: fn(&RequestSpec) -> &BTreeSet<String>| -> Value {
        let mut out = Vec::new();
        for (arch, spec) in request {
            for name in pick(spec) {
                let entry: Value = serde_yaml::from_str(&format!(
                    "{{name: {}, arches: {{only: [{arch}]}}}}",
                    serde_json::to_string(name).unwrap()
                ))
                .unwrap();
                out.push(entry);
            }
        }
        Value::Sequence(out)
    };
    doc.insert("packages".into(), per_arch(|s| &s.install));
    doc.insert("upgradePackages".into(), per_arch(|s| &s.upgrade));
    doc.insert("reinstallPackages".into(), per_arch(|s| &s.reinstall));
    let union = |pick: fn(&RequestSpec) -> &BTreeSet<String>| -> Value {
        let all: BTreeSet<&String> = request.values().flat_map(pick).collect();
        Value::Sequence(all.into_iter().map(|s| s.as_str().into()).collect())
    };
    doc.insert("moduleEnable".into(), union(|s| &s.module_enable));
    doc.insert("moduleDisable".into(), union(|s| &s.module_disable));
    let out = input.with_file_name("dnf.in.yaml");
    std::fs::write(&out, serde_yaml::to_string(&doc).unwrap()).unwrap();
    out
}

fn run_scenario(s: &Scenario, server: &Server) -> Result<(), String> {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("scenario");
    copy_scenario(&s.dir, &work, &server.url());
    let input = work.join("rpms.in.yaml");
    let outfile = tmp.path().join("rpms.lock.yaml");
    let expect: Expect = serde_yaml::from_str(&read(&s.dir.join("expect.yaml"))).unwrap();
    if let Some(spec) = &expect.rootfs {
        build_rootfs(spec, &work, tmp.path());
    }
    for srpm in &expect.srpms {
        build_srpm(srpm, &work, tmp.path());
    }
    let env: Vec<(&str, &str)> = expect
        .env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let mut args = vec![
        "lock",
        input.to_str().unwrap(),
        "--outfile",
        outfile.to_str().unwrap(),
    ];
    args.extend(expect.args.iter().map(String::as_str));
    let out = rpmlock_in(&work, &args, &tmp.path().join("cache"), &env);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let code = out.status.code().unwrap_or(-1);
    if code != expect.exit {
        return Err(format!(
            "exit {code}, expected {}; stderr:\n{stderr}",
            expect.exit
        ));
    }
    if let Some(msg) = &expect.error
        && !stderr.contains(msg.as_str())
    {
        return Err(format!("stderr lacks {msg:?}:\n{stderr}"));
    }
    if let Some(msg) = expect.stderr.iter().find(|m| !stderr.contains(m.as_str())) {
        return Err(format!("stderr lacks {msg:?}:\n{stderr}"));
    }
    let dnf_input = match &expect.request {
        Some(want) => {
            let got = printed_request(&work, &input, &expect.args, &tmp.path().join("cache"))?;
            if &got != want {
                return Err(format!(
                    "derived request differs:\n  rpmlock:  {got:?}\n  expected: {want:?}"
                ));
            }
            dnf_input(&input, want)
        }
        None => input.clone(),
    };
    let dnf = dnf_sets(&dnf_input, &server.url(), &expect.env);
    if code != 0 {
        if outfile.exists() {
            return Err("a failed run wrote a lockfile".into());
        }
        if !dnf.values().any(|r| r.is_err()) {
            return Err(format!(
                "rpmlock failed but dnf resolved every arch: {dnf:?}"
            ));
        }
        return Ok(());
    }
    let lock = read(&outfile);
    let ours = lock_sets(&lock);
    for (arch, theirs) in &dnf {
        let Some(mine) = ours.get(arch) else {
            return Err(format!("lock has no arch {arch}"));
        };
        match theirs {
            Ok(set) if set == mine => {}
            Ok(set) => {
                return Err(format!(
                    "{arch}: differs from dnf\n  only rpmlock: {:?}\n  only dnf:     {:?}",
                    mine.difference(set).collect::<Vec<_>>(),
                    set.difference(mine).collect::<Vec<_>>()
                ));
            }
            Err(e) => return Err(format!("{arch}: rpmlock resolved, dnf failed: {e}")),
        }
    }
    if ours.len() != dnf.len() {
        return Err(format!(
            "arches differ: rpmlock {:?}, dnf {:?}",
            ours.keys(),
            dnf.keys()
        ));
    }
    let normalized = lock.replace(&server.url(), "http://127.0.0.1:PORT");
    insta::with_settings!({ snapshot_suffix => s.name.clone(), prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("lock", normalized);
    });
    Ok(())
}

#[test]
fn scenarios_match_dnf() {
    let server = Server::start(&workspace().join("repos"));
    let all = scenarios();
    let mut failures = Vec::new();
    // Two at a time: dnf's Python start-up dominates and the machine is small.
    for chunk in all.chunks(2) {
        let results: Vec<(String, Result<(), String>)> = std::thread::scope(|scope| {
            let handles: Vec<_> = chunk
                .iter()
                .map(|s| {
                    let server = &server;
                    scope.spawn(move || {
                        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                            run_scenario(s, server)
                        }))
                        .unwrap_or_else(|p| {
                            Err(p
                                .downcast_ref::<String>()
                                .cloned()
                                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                                .unwrap_or_else(|| "panic".into()))
                        });
                        (s.name.clone(), r)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (name, r) in results {
            if let Err(e) = r {
                failures.push(format!("scenario {name}: {e}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} scenarios failed:\n\n{}",
        failures.len(),
        all.len(),
        failures.join("\n\n")
    );
}

/// A server over `repos/`, and scenario `name`'s input with `@REPOS@` pointing at it,
/// written to `dir/rpms.in.yaml`.
fn serve_scenario_input(dir: &Path, name: &str) -> (Server, PathBuf) {
    let server = Server::start(&workspace().join("repos"));
    let text = read(&workspace().join(format!("tests/scenarios/{name}/rpms.in.yaml")))
        .replace("@REPOS@", &server.url());
    let input = dir.join("rpms.in.yaml");
    std::fs::write(&input, text).unwrap();
    (server, input)
}

/// The same lock from a cold cache, a warm one, offline with the server gone, with
/// `--refresh`, and after the cached package index was damaged (rebuilt from the
/// cached metadata). Uses a scenario that needs file lists, so the second `.solv`
/// variant is exercised too.
#[test]
fn warm_cache_offline_refresh_and_damaged_index_give_the_same_lock() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let (server, input) = serve_scenario_input(tmp.path(), "file-deps");
    let run_env = |extra: &[&str], name: &str, env: &[(&str, &str)]| -> String {
        let out_path = tmp.path().join(name);
        let mut args = vec![
            "lock",
            input.to_str().unwrap(),
            "--outfile",
            out_path.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let out = rpmlock_env(&args, &cache, env);
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        read(&out_path)
    };
    let run = |extra: &[&str], name: &str| run_env(extra, name, &[]);
    // Without the resolution cache: the metadata caches (.solv files and indexes).
    let no_memo = [("RPMLOCK_RESOLUTION_CACHE", "0")];
    let cold = run_env(&[], "cold.yaml", &no_memo);
    assert!(
        cold.contains("name: libfoo"),
        "file-deps needs the filelists-only provider:\n{cold}"
    );
    assert_eq!(run_env(&[], "warm.yaml", &no_memo), cold);
    // With it.
    assert_eq!(run(&[], "memo-fill.yaml"), cold);
    assert_eq!(run(&[], "memo-hit.yaml"), cold);
    assert_eq!(run(&["--refresh"], "refresh.yaml"), cold);
    drop(server);
    assert_eq!(run(&["--offline"], "offline.yaml"), cold);
    assert_eq!(
        run_env(&["--offline"], "offline-no-memo.yaml", &no_memo),
        cold
    );
    let mut damaged = 0;
    for entry in std::fs::read_dir(cache.join("index-v1")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "idx") {
            std::fs::write(&path, b"garbage").unwrap();
            damaged += 1;
        }
    }
    assert!(damaged > 0, "no index files in the cache");
    assert_eq!(run_env(&["--offline"], "rebuilt.yaml", &no_memo), cold);
}

/// A cold run resolves from the pools its parse built and writes no cache file for
/// them (the package index stays in memory); the next run that has to resolve (no
/// resolution cache) parses the cached primaries again and writes each repo's `.solv`
/// file and index, and the run after that reads them. Every lock is the same (two
/// arches, each its own repo and pool).
#[test]
fn cache_files_are_written_by_the_second_resolution() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let (_server, input) = serve_scenario_input(tmp.path(), "chain");
    let no_memo = ("RPMLOCK_RESOLUTION_CACHE", "0");
    let run_env = |name: &str, env: &[(&str, &str)]| -> (String, String) {
        let out_path = tmp.path().join(name);
        let out = rpmlock_env(
            &[
                "-v",
                "lock",
                input.to_str().unwrap(),
                "--outfile",
                out_path.to_str().unwrap(),
            ],
            &cache,
            env,
        );
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{name}: {stderr}");
        (read(&out_path), stderr)
    };
    let files = |ext: &str| -> usize {
        std::fs::read_dir(cache.join("index-v1"))
            .unwrap()
            .filter(|e| {
                let name = e.as_ref().unwrap().file_name();
                name.to_string_lossy().ends_with(ext)
            })
            .count()
    };
    let run = |name: &str| run_env(name, &[no_memo]);
    let counts = || (files(".seen"), files(".idx"), files(".solv"));
    let (cold, stderr) = run("cold.yaml");
    let deferred = "cache files left to the next run that resolves";
    assert_eq!(stderr.matches(deferred).count(), 2, "{stderr}");
    assert_eq!(counts(), (2, 0, 0));
    let (second, stderr) = run("second.yaml");
    assert_eq!(second, cold);
    assert_eq!(stderr.matches("cache written").count(), 2, "{stderr}");
    assert_eq!(counts(), (0, 2, 2));
    // The dynamic loader lists what it loads: a run from the cache never loads
    // libsolvext (and librpm's dozen libraries behind it), only libsolv.
    let (third, stderr) = run_env("third.yaml", &[no_memo, ("LD_DEBUG", "libs")]);
    assert_eq!(third, cold);
    assert_eq!(stderr.matches("from the cache").count(), 2, "{stderr}");
    assert!(stderr.contains("libsolv.so"), "{stderr}");
    assert!(!stderr.contains("libsolvext"), "{stderr}");
}

/// A source repo under `$basearch` whose copies for each arch are one file (as the
/// big vendors' are) is parsed once: the other arches share its index, each with its
/// own URLs, and find the same source RPMs.
#[test]
fn source_repos_with_one_primary_are_parsed_once() {
    let tmp = tempfile::tempdir().unwrap();
    let www = tmp.path().join("www");
    let arches = ["x86_64", "aarch64"];
    for arch in arches {
        copy_tree(
            &workspace().join(format!("repos/base/{arch}")),
            &www.join(format!("base/{arch}")),
        );
        copy_tree(
            &workspace().join("repos/source"),
            &www.join(format!("src/{arch}")),
        );
    }
    let server = Server::start(&www);
    let input = tmp.path().join("rpms.in.yaml");
    std::fs::write(
        &input,
        format!(
            "contentOrigin:\n  repos:\n    - repoid: base\n      baseurl: {0}/base/$basearch\n    - repoid: source\n      baseurl: {0}/src/$basearch\npackages: [chain-a, libfoo]\narches: [x86_64, aarch64]\ncontext:\n  bare: true\n",
            server.url()
        ),
    )
    .unwrap();
    let out_path = tmp.path().join("rpms.lock.yaml");
    let out = rpmlock(
        &[
            "-v",
            "lock",
            input.to_str().unwrap(),
            "--outfile",
            out_path.to_str().unwrap(),
        ],
        &tmp.path().join("cache"),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(
        stderr
            .matches("the same primary as a repo loaded before")
            .count(),
        1,
        "{stderr}"
    );
    let lock: serde_yaml::Value = serde_yaml::from_str(&read(&out_path)).unwrap();
    let mut names_per_arch = Vec::new();
    for section in lock["arches"].as_sequence().unwrap() {
        let arch = section["arch"].as_str().unwrap();
        let sources = section["source"].as_sequence().unwrap();
        assert!(!sources.is_empty(), "{arch}: no source RPMs");
        let mut names = Vec::new();
        for s in sources {
            let url = s["url"].as_str().unwrap();
            assert!(url.contains(&format!("/src/{arch}/")), "{arch}: {url}");
            names.push(s["name"].as_str().unwrap().to_string());
        }
        names_per_arch.push(names);
    }
    assert_eq!(names_per_arch.len(), 2);
    assert_eq!(names_per_arch[0], names_per_arch[1]);
}

/// A repository whose metadata changes gives a new resolution, never the cached one.
#[test]
fn changed_metadata_is_never_served_from_the_cache() {
    let tmp = tempfile::tempdir().unwrap();
    let www = tmp.path().join("www");
    copy_tree(&workspace().join("repos/base/x86_64"), &www.join("repo"));
    let server = Server::start(&www);
    let cache = tmp.path().join("cache");
    let input = tmp.path().join("rpms.in.yaml");
    std::fs::write(
        &input,
        format!(
            "contentOrigin:\n  repos:\n    - repoid: r\n      baseurl: {}/repo\npackages: [chain-a]\narches: [x86_64]\ncontext:\n  bare: true\n",
            server.url()
        ),
    )
    .unwrap();
    let lock = |name: &str| {
        let out_path = tmp.path().join(name);
        let out = rpmlock(
            &[
                "lock",
                input.to_str().unwrap(),
                "--outfile",
                out_path.to_str().unwrap(),
            ],
            &cache,
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        read(&out_path)
    };
    let before = lock("before.yaml");
    assert!(before.contains("name: chain-c\n    evr: 1.0-1"), "{before}");
    // The repo gains chain-c 1.1-1 (from updates): new packages, new repodata.
    std::fs::remove_dir_all(www.join("repo/repodata")).unwrap();
    copy_tree(
        &workspace().join("repos/updates/x86_64/Packages"),
        &www.join("repo/Packages"),
    );
    let status = std::process::Command::new("createrepo_c")
        .args(["--quiet", "--no-database"])
        .arg(www.join("repo"))
        .status()
        .expect("createrepo_c (Debian package createrepo-c)");
    assert!(status.success());
    let after = lock("after.yaml");
    assert!(after.contains("name: chain-c\n    evr: 1.1-1"), "{after}");
}

/// Comps are cached like the other data files: a group request locks the same from the
/// cache offline (without the resolution cache, so the comps are read again), and a
/// memoized run repeats the group warnings.
#[test]
fn group_requests_work_offline_from_the_cache() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let (server, input) = serve_scenario_input(tmp.path(), "group-merged");
    let run = |extra: &[&str], name: &str, env: &[(&str, &str)]| -> (String, String) {
        let out_path = tmp.path().join(name);
        let mut args = vec![
            "lock",
            input.to_str().unwrap(),
            "--outfile",
            out_path.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let out = rpmlock_env(&args, &cache, env);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{name}: {stderr}");
        (read(&out_path), stderr)
    };
    let warning = "No match for group package \"grp-missing\"";
    let (cold, stderr) = run(&[], "cold.yaml", &[]);
    assert!(cold.contains("name: grp-extra"), "{cold}");
    assert!(stderr.contains(warning), "{stderr}");
    let (memo, stderr) = run(&[], "memo.yaml", &[]);
    assert_eq!(memo, cold);
    assert!(stderr.contains(warning), "memoized run: {stderr}");
    drop(server);
    let (offline, _) = run(
        &["--offline"],
        "offline.yaml",
        &[("RPMLOCK_RESOLUTION_CACHE", "0")],
    );
    assert_eq!(offline, cold);
}

/// Every cache layer is checked before use: a flipped byte in a cached repomd.xml,
/// data file, `.solv` file, package index or resolution is detected, the file is
/// rebuilt (with a warning naming it), and the lock is the same; a cache directory
/// that cannot be written is replaced by a temporary one for the run.
#[test]
fn damaged_cache_files_are_never_trusted() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let (_server, input) = serve_scenario_input(tmp.path(), "file-deps");
    let run_env = |name: &str, cache: &Path, env: &[(&str, &str)]| -> (String, String) {
        let out_path = tmp.path().join(name);
        let out = rpmlock_env(
            &[
                "lock",
                input.to_str().unwrap(),
                "--outfile",
                out_path.to_str().unwrap(),
            ],
            cache,
            env,
        );
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{name}: {stderr}");
        (read(&out_path), stderr)
    };
    let no_memo = [("RPMLOCK_RESOLUTION_CACHE", "0")];
    let run = |name: &str, cache: &Path| run_env(name, cache, &[]);
    let (cold, _) = run("cold.yaml", &cache);
    let flip = |path: &Path| {
        let mut bytes = std::fs::read(path).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x20;
        std::fs::write(path, bytes).unwrap();
    };
    let files_under = |dir: &Path, keep: &dyn Fn(&Path) -> bool| -> Vec<PathBuf> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if keep(&p) {
                    out.push(p);
                }
            }
        }
        out
    };
    type Keep<'a> = &'a dyn Fn(&Path) -> bool;
    let layers: [(&str, Keep<'_>, &str); 5] = [
        ("repomd", &|p| p.ends_with("entry"), "cached repomd.xml"),
        ("resolved-v1", &|_| true, "cached resolution"),
        (
            "index-v1",
            &|p| p.extension().is_some_and(|e| e == "idx"),
            "checksum does not match",
        ),
        (
            "index-v1",
            &|p| p.extension().is_some_and(|e| e == "solv"),
            "does not match its seal",
        ),
        ("data", &|_| true, "does not have repomd.xml's checksum"),
    ];
    for (dir, keep, warning) in layers {
        let files = files_under(&cache.join(dir), keep);
        assert!(!files.is_empty(), "nothing cached under {dir}");
        for f in &files {
            flip(f);
        }
        // The resolution cache would hide the lower layers: skip it for them.
        let (lock, stderr) = if dir == "resolved-v1" || dir == "repomd" {
            run(&format!("{dir}.yaml"), &cache)
        } else {
            run_env(&format!("{dir}.yaml"), &cache, &no_memo)
        };
        assert_eq!(lock, cold, "{dir}");
        if dir != "data" {
            assert!(stderr.contains(warning), "{dir}: {stderr}");
        }
    }
    // Data files (still damaged from above) are only read again when the .solv and
    // index must be rebuilt.
    for f in files_under(&cache.join("index-v1"), &|_| true) {
        std::fs::remove_file(f).unwrap();
    }
    let (lock, stderr) = run_env("data2.yaml", &cache, &no_memo);
    assert!(
        stderr.contains("does not have repomd.xml's checksum"),
        "{stderr}"
    );
    assert_eq!(lock, cold);

    // A cache path that cannot be a directory.
    let not_a_dir = tmp.path().join("file-not-dir");
    std::fs::write(&not_a_dir, b"x").unwrap();
    let (lock, stderr) = run("no-cache.yaml", &not_a_dir);
    assert_eq!(lock, cold);
    assert!(stderr.contains("cannot be written"), "{stderr}");
}
