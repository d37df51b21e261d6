//! CI modes end to end with real components: roots made by Debian's `rpm`, repos by
//! `createrepo_c`. A lock on a rootfs context is installed into a copy of that root
//! with `rpm` and `rpmlock verify` passes; one more package makes it fail naming the
//! package. `lock --check` notices a repo gaining a newer version; `--upgrade-package`
//! moves only the named package. `verify --rpms` on good and bad download trees.

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;

use support::{copy_tree, read, rpm_install, rpmlock, workspace};

fn repo_rpm(rel: &str) -> PathBuf {
    workspace().join("repos/base/x86_64/Packages").join(rel)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The local files of a lock's package URLs (`file://` URLs).
fn locked_files(lock: &str) -> Vec<PathBuf> {
    lock.lines()
        .filter_map(|l| l.trim().strip_prefix("- url: file://"))
        .map(PathBuf::from)
        .collect()
}

fn write_input(dir: &Path, body: &str) -> PathBuf {
    let p = dir.join("rpms.in.yaml");
    std::fs::write(&p, body).unwrap();
    p
}

/// An input locking chain-a from the base repo for x86_64 on the rootfs `root` beside it.
fn rootfs_input(dir: &Path) -> PathBuf {
    write_input(
        dir,
        &format!(
            "contentOrigin:\n  repos:\n    - repoid: base\n      baseurl: {}\npackages: [chain-a]\narches: [x86_64]\nnoSources: true\ncontext:\n  rootfs: root\n",
            workspace().join("repos/base/x86_64").display()
        ),
    )
}

/// `rpmlock lock INPUT -o LOCKFILE`, which must succeed; the lockfile written.
fn lock_ok(input: &Path, lockfile: &Path, cache: &Path) -> String {
    let out = rpmlock(
        &[
            "lock",
            input.to_str().unwrap(),
            "-o",
            lockfile.to_str().unwrap(),
        ],
        cache,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    read(lockfile)
}

#[test]
fn lock_on_a_rootfs_install_it_and_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let root = t.join("root");
    rpm_install(
        &root,
        "/var/lib/rpm",
        &[
            repo_rpm("c/chain-c-1.0-1.x86_64.rpm"),
            repo_rpm("c/chain-d-1.0-1.noarch.rpm"),
        ],
    );
    let input = rootfs_input(t);
    let lockfile = t.join("rpms.lock.yaml");
    let cache = t.join("cache");
    let lock = lock_ok(&input, &lockfile, &cache);
    // chain-c and chain-d are installed: not locked, not pulled in again.
    assert!(
        lock.contains("name: chain-a") && lock.contains("name: chain-b"),
        "{lock}"
    );
    assert!(
        !lock.contains("chain-c") && !lock.contains("chain-d"),
        "{lock}"
    );

    // The build: the locked RPMs installed into a copy of the root.
    let built = t.join("built");
    copy_tree(&root, &built);
    rpm_install(&built, "/var/lib/rpm", &locked_files(&lock));
    let verify = |extra: &[&str]| {
        let mut args = vec![
            "verify",
            "--lockfile",
            lockfile.to_str().unwrap(),
            "--rootfs",
            built.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        rpmlock(&args, &cache)
    };
    let base = ["--base-rootfs", root.to_str().unwrap()];
    let out = verify(&base);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(stdout(&out), "");
    // Without the base, the root's own packages are outside the lock.
    let out = verify(&[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout(&out),
        "not in the lock: chain-c-1.0-1.x86_64\nnot in the lock: chain-d-1.0-1.noarch\n"
    );
    // One RPM outside the lock.
    rpm_install(
        &built,
        "/var/lib/rpm",
        &[repo_rpm("w/weak-sug-1.0-1.noarch.rpm")],
    );
    let out = verify(&base);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "not in the lock: weak-sug-1.0-1.noarch\n");
    let out = verify(&[base[0], base[1], "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["unexpected"][0]["name"], "weak-sug");
    // A locked package installed at another version.
    let other = t.join("other");
    copy_tree(&root, &other);
    let mut files = locked_files(&lock);
    files.push(repo_rpm("m/multiver-1.0-1.x86_64.rpm"));
    rpm_install(&other, "/var/lib/rpm", &files);
    // The lock as written, plus multiver 2.0-1.
    let multiver_lock = t.join("multiver.lock.yaml");
    std::fs::write(
        &multiver_lock,
        lock.replace(
            "  source: []",
            &format!(
                "  - url: file://{}\n    repoid: base\n    size: 1\n    checksum: sha256:00\n    name: multiver\n    evr: 2.0-1\n  source: []",
                repo_rpm("m/multiver-2.0-1.x86_64.rpm").display()
            ),
        ),
    )
    .unwrap();
    let out = rpmlock(
        &[
            "verify",
            "--lockfile",
            multiver_lock.to_str().unwrap(),
            "--rootfs",
            other.to_str().unwrap(),
            "--base-rootfs",
            root.to_str().unwrap(),
        ],
        &cache,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "installed at another version: multiver.x86_64 1.0-1 (locked: 2.0-1)\n"
    );
}

/// A copy of `repos/base/x86_64` (to add packages to) and an input locking from it.
fn growing_repo(t: &Path, packages: &str) -> (PathBuf, PathBuf) {
    let repo = t.join("repo");
    copy_tree(&workspace().join("repos/base/x86_64"), &repo);
    let input = write_input(
        t,
        &format!(
            "contentOrigin:\n  repos:\n    - repoid: base\n      baseurl: {}\npackages: [{packages}]\narches: [x86_64]\nnoSources: true\ncontext:\n  bare: true\n",
            repo.display()
        ),
    );
    (repo, input)
}

/// The repo gains updates' packages (chain-c 1.1-1, weak-rec 1.1-1).
fn add_updates(repo: &Path) {
    copy_tree(
        &workspace().join("repos/updates/x86_64/Packages"),
        &repo.join("Packages"),
    );
    std::fs::remove_dir_all(repo.join("repodata")).unwrap();
    let status = std::process::Command::new("createrepo_c")
        .args(["--quiet", "--no-database"])
        .arg(repo)
        .status()
        .expect("createrepo_c (Debian package createrepo-c)");
    assert!(status.success());
}

#[test]
fn check_notices_a_newer_version_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (repo, input) = growing_repo(t, "chain-a, weak-main");
    let lockfile = t.join("rpms.lock.yaml");
    let cache = t.join("cache");
    let lock_args = [
        "lock",
        input.to_str().unwrap(),
        "-o",
        lockfile.to_str().unwrap(),
    ];
    let out = rpmlock(&lock_args, &cache);
    assert!(out.status.success(), "{}", stderr(&out));
    let before = read(&lockfile);
    let check = |extra: &[&str]| {
        let mut args = lock_args.to_vec();
        args.push("--check");
        args.extend_from_slice(extra);
        rpmlock(&args, &cache)
    };
    let out = check(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    add_updates(&repo);
    let out = check(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!(
            "{} is not up to date:\nx86_64:\n  chain-c:\n    upgraded   chain-c.x86_64 1.0-1 -> 1.1-1\n  weak-rec:\n    upgraded   weak-rec.noarch 1.0-1 -> 1.1-1\n",
            lockfile.display()
        )),
        "{}",
        stderr(&out)
    );
    assert_eq!(read(&lockfile), before, "--check wrote the lockfile");
    let out = check(&["--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["status"], "stale");
    assert_eq!(json["changes"][0]["upgraded"][0]["name"], "chain-c");
    assert_eq!(json["changes"][0]["upgraded"][0]["from"], "1.0-1");
    assert_eq!(json["changes"][0]["upgraded"][0]["to"], "1.1-1");
    // A missing lockfile is stale too; nothing is created.
    std::fs::remove_file(&lockfile).unwrap();
    let out = check(&[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!lockfile.exists());

    // --upgrade-package moves only the named package.
    std::fs::write(&lockfile, &before).unwrap();
    let out = rpmlock(
        &[
            "lock",
            input.to_str().unwrap(),
            "-o",
            lockfile.to_str().unwrap(),
            "--upgrade-package",
            "chain-c",
        ],
        &cache,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "moved:\nx86_64:\n  chain-c:\n    upgraded   chain-c.x86_64 1.0-1 -> 1.1-1\n"
        ),
        "{}",
        stderr(&out)
    );
    let after = read(&lockfile);
    assert!(after.contains("name: chain-c\n    evr: 1.1-1"), "{after}");
    assert!(after.contains("name: weak-rec\n    evr: 1.0-1"), "{after}");
    // Now only weak-rec is behind: --check names it alone.
    let out = check(&[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out)
            .contains("x86_64:\n  weak-rec:\n    upgraded   weak-rec.noarch 1.0-1 -> 1.1-1\n"),
        "{}",
        stderr(&out)
    );
    // And a plain lock moves the rest.
    let out = rpmlock(&lock_args, &cache);
    assert!(out.status.success());
    assert_eq!(check(&[]).status.code(), Some(0));
}

#[test]
fn verify_rpms_good_and_bad_trees() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (_repo, input) = growing_repo(t, "chain-a");
    let lockfile = t.join("rpms.lock.yaml");
    let cache = t.join("cache");
    let lock = lock_ok(&input, &lockfile, &cache);
    // A prefetch-like tree: <arch>/<repoid>/<basename>.
    let tree = t.join("deps");
    let dir = tree.join("x86_64/base");
    std::fs::create_dir_all(&dir).unwrap();
    for f in locked_files(&lock) {
        std::fs::copy(&f, dir.join(f.file_name().unwrap())).unwrap();
    }
    let verify = |lockfile: &Path| {
        rpmlock(
            &[
                "verify",
                "--lockfile",
                lockfile.to_str().unwrap(),
                "--rpms",
                tree.to_str().unwrap(),
            ],
            &cache,
        )
    };
    let out = verify(&lockfile);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    // An extra file, a damaged file, a missing file.
    std::fs::copy(
        repo_rpm("w/weak-sug-1.0-1.noarch.rpm"),
        dir.join("weak-sug-1.0-1.noarch.rpm"),
    )
    .unwrap();
    let mut damaged = std::fs::read(dir.join("chain-b-1.0-1.noarch.rpm")).unwrap();
    let last = damaged.len() - 1;
    damaged[last] ^= 0xff;
    std::fs::write(dir.join("chain-b-1.0-1.noarch.rpm"), damaged).unwrap();
    std::fs::remove_file(dir.join("chain-d-1.0-1.noarch.rpm")).unwrap();
    let out = verify(&lockfile);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("x86_64/base/weak-sug-1.0-1.noarch.rpm: not in the lock for x86_64\n"),
        "{text}"
    );
    assert!(
        text.contains("x86_64/base/chain-b-1.0-1.noarch.rpm: checksum differs from the locked"),
        "{text}"
    );
    assert!(
        text.contains("missing: x86_64/base/chain-d-1.0-1.noarch.rpm (file://"),
        "{text}"
    );
    assert!(
        text.contains("missing: x86_64/base/chain-b-1.0-1.noarch.rpm (file://"),
        "damaged counts as missing: {text}"
    );
    // A file whose checksum matches an entry that names another package.
    std::fs::remove_dir_all(&tree).unwrap();
    std::fs::create_dir_all(&dir).unwrap();
    let a = locked_files(&lock)
        .into_iter()
        .find(|f| f.to_string_lossy().contains("chain-a"))
        .unwrap();
    std::fs::copy(&a, dir.join("chain-a-1.0-1.noarch.rpm")).unwrap();
    let only_a = t.join("only-a.lock.yaml");
    let mut text = String::from(
        "---\nlockfileVersion: 1\nlockfileVendor: redhat\narches:\n- arch: x86_64\n  packages:\n",
    );
    let entry_start = lock.find("  - url: file://").unwrap();
    let entry = &lock[entry_start..];
    let entry_end = entry[1..].find("  - url:").map_or(entry.len(), |i| i + 1);
    text.push_str(&entry[..entry_end].replace("name: chain-a", "name: chain-z"));
    text.push_str("  source: []\n  module_metadata: []\n");
    std::fs::write(&only_a, text).unwrap();
    let out = verify(&only_a);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stdout(&out)
            .contains("header says chain-a-1.0-1.noarch, the lock entry is chain-z-1.0-1.noarch"),
        "{}",
        stdout(&out)
    );
}

/// The resolution cache keys on the context's installed packages: after the root
/// gains a package, the same input resolves again (and no longer locks it).
#[test]
fn a_changed_rpmdb_is_never_served_from_the_resolution_cache() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let root = t.join("root");
    rpm_install(
        &root,
        "/usr/lib/sysimage/rpm",
        &[repo_rpm("c/chain-d-1.0-1.noarch.rpm")],
    );
    let input = rootfs_input(t);
    let cache = t.join("cache");
    let lock = |name: &str| lock_ok(&input, &t.join(name), &cache);
    let first = lock("first.yaml");
    assert!(
        first.contains("name: chain-c") && !first.contains("name: chain-d"),
        "{first}"
    );
    assert_eq!(lock("memo.yaml"), first);
    rpm_install(
        &root,
        "/usr/lib/sysimage/rpm",
        &[repo_rpm("c/chain-c-1.0-1.x86_64.rpm")],
    );
    let second = lock("second.yaml");
    assert!(!second.contains("name: chain-c"), "{second}");
}

/// Under the name `rpm-lockfile-prototype` (a symlink, as the README shows), rpmlock
/// takes the prototype's command line exactly as Konflux's lockfile refresh and
/// MintMaker call it, and writes the same bytes as `rpmlock lock`; `--print-schema`
/// prints `rpmlock schema`'s schema; `--pull` is accepted with a note.
#[test]
fn drop_in_under_the_prototype_name() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let link = t.join("bin/rpm-lockfile-prototype");
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_rpmlock"), &link).unwrap();
    let demo = workspace().join("repos/demo/rpms.in.yaml");
    let cache = t.join("cache");
    let ours = t.join("ours.lock.yaml");
    lock_ok(&demo, &ours, &cache);

    let out_dir = t.join("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    let theirs = out_dir.join("rpms.lock.yaml");
    let run = |args: &[&str]| {
        std::process::Command::new(&link)
            .args(args)
            .env("RPMLOCK_CACHE_DIR", &cache)
            .env_remove("RPMLOCK_LOG")
            .output()
            .unwrap()
    };
    let out = run(&[
        demo.to_str().unwrap(),
        "--outfile",
        theirs.to_str().unwrap(),
        "--pull",
        "never",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(read(&theirs), read(&ours));
    assert!(
        stderr(&out).contains("--pull never is ignored"),
        "{}",
        stderr(&out)
    );

    let schema = run(&["--print-schema"]);
    assert!(schema.status.success());
    let direct = rpmlock(&["schema"], &cache);
    assert_eq!(schema.stdout, direct.stdout);
    let doc: serde_json::Value = serde_json::from_slice(&schema.stdout).unwrap();
    assert_eq!(doc["title"], "rpms.in.yaml");

    // Usage errors are clap's (exit 2), naming the prototype.
    let bad = run(&["--bare", "--local-system", demo.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("rpm-lockfile-prototype"),
        "{}",
        stderr(&bad)
    );
    // An unknown package: rpmlock's exit code 1 (the prototype's is 1 too).
    let input = write_input(
        t,
        &format!(
            "contentOrigin:\n  repos:\n    - repoid: base\n      baseurl: {}/$basearch\npackages: [no-such-package]\narches: [x86_64]\n",
            workspace().join("repos/base").display()
        ),
    );
    let failed = run(&[
        input.to_str().unwrap(),
        "--bare",
        "--outfile",
        theirs.to_str().unwrap(),
    ]);
    assert_eq!(failed.status.code(), Some(1), "{}", stderr(&failed));
    assert_eq!(
        read(&theirs),
        read(&ours),
        "a failed run changed the lockfile"
    );
}

/// Every input of the tests (the scenarios and the demo) validates against the JSON
/// Schema `rpmlock schema` prints, checked with Python's `jsonschema` (Debian's
/// python3-jsonschema) after loading the YAML with PyYAML as the prototype does; and
/// inputs the parser refuses are refused by the schema too.
#[test]
fn every_test_input_validates_against_the_schema() {
    let tmp = tempfile::tempdir().unwrap();
    let schema = tmp.path().join("schema.json");
    let out = rpmlock(&["schema"], &tmp.path().join("cache"));
    assert!(out.status.success());
    std::fs::write(&schema, &out.stdout).unwrap();
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(workspace().join("tests/scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path().join("rpms.in.yaml"))
        .filter(|p| p.is_file())
        .collect();
    inputs.sort();
    inputs.push(workspace().join("repos/demo/rpms.in.yaml"));
    assert!(inputs.len() > 50);
    let bad_dir = tmp.path().join("bad");
    std::fs::create_dir_all(&bad_dir).unwrap();
    let bad: Vec<PathBuf> = [
        "contentOrigin: {repos: []}\npackage: [a]\n",
        "packages: [a]\n",
        "contentOrigin: {repos: [{repoid: r}]}\n",
        "contentOrigin: {repos: []}\ncontext: {containerfile: {stageName: x}}\n",
        "contentOrigin: {repos: []}\npackages: [{name: a, arches: {only: x86_64, not: s390x}}]\n",
        "contentOrigin: {repos: []}\npackagesFromContainerfile: {file: C, stageNum: 1.5}\n",
    ]
    .iter()
    .enumerate()
    .map(|(i, text)| {
        let p = bad_dir.join(format!("bad{i}.yaml"));
        std::fs::write(&p, text).unwrap();
        // The parser refuses each of them too.
        let out = rpmlock(
            &["lock", p.to_str().unwrap(), "--bare", "--print-request"],
            &tmp.path().join("cache"),
        );
        assert_eq!(out.status.code(), Some(2), "{text}: {}", stderr(&out));
        p
    })
    .collect();
    let script = r#"
import json, sys, yaml, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft7Validator.check_schema(schema)
v = jsonschema.Draft7Validator(schema)
expect_valid = True
for arg in sys.argv[2:]:
    if arg == "--invalid":
        expect_valid = False
        continue
    errors = list(v.iter_errors(yaml.safe_load(open(arg))))
    if expect_valid and errors:
        print(f"{arg}: {errors[0].message}")
    if not expect_valid and not errors:
        print(f"{arg}: accepted")
"#;
    let out = std::process::Command::new("/usr/bin/python3")
        .arg("-c")
        .arg(script)
        .arg(&schema)
        .args(&inputs)
        .arg("--invalid")
        .args(&bad)
        .output()
        .expect("python3 with python3-jsonschema and python3-yaml (Debian packages)");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "", "inputs the schema judges differently");
}

/// `--upgrade-package` keeps the other packages by their checksum, not by a NEVRA
/// guessed from file names: in a repo whose files are named by content (not
/// N-V-R.A.rpm), the named package moves and nothing else does.
#[test]
fn upgrade_package_matches_by_checksum_whatever_the_file_names() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let repo = t.join("repo");
    let add = |from: &str| {
        let dir = workspace().join(from);
        let mut stack = vec![dir];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "rpm") {
                    let bytes = std::fs::read(&p).unwrap();
                    let name = format!("{}.rpm", &support::registry::sha256(&bytes)[7..23]);
                    std::fs::create_dir_all(repo.join("pool")).unwrap();
                    std::fs::write(repo.join("pool").join(name), bytes).unwrap();
                }
            }
        }
        let _ = std::fs::remove_dir_all(repo.join("repodata"));
        let status = std::process::Command::new("createrepo_c")
            .args(["--quiet", "--no-database"])
            .arg(&repo)
            .status()
            .expect("createrepo_c (Debian package createrepo-c)");
        assert!(status.success());
    };
    add("repos/base/x86_64/Packages");
    let input = write_input(
        t,
        &format!(
            "contentOrigin:\n  repos:\n    - repoid: base\n      baseurl: {}\npackages: [chain-a, weak-main]\narches: [x86_64]\nnoSources: true\ncontext:\n  bare: true\n",
            repo.display()
        ),
    );
    let lockfile = t.join("rpms.lock.yaml");
    let cache = t.join("cache");
    lock_ok(&input, &lockfile, &cache);
    assert!(
        !read(&lockfile).contains("/chain-c-"),
        "file names are hashed"
    );
    add("repos/updates/x86_64/Packages");
    let out = rpmlock(
        &[
            "lock",
            input.to_str().unwrap(),
            "-o",
            lockfile.to_str().unwrap(),
            "--upgrade-package",
            "chain-c",
        ],
        &cache,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("moved:\nx86_64:\n  chain-c:\n    upgraded   chain-c"),
        "{}",
        stderr(&out)
    );
    let after = read(&lockfile);
    assert!(after.contains("name: chain-c\n    evr: 1.1-1"), "{after}");
    assert!(after.contains("name: weak-rec\n    evr: 1.0-1"), "{after}");
}

/// `verify --rpms` on a prefetcher's layout (`ARCH/REPOID/FILE`) checks each arch's
/// folder on its own: a noarch file present for x86_64 but not for aarch64 is missing
/// for aarch64; a locked file under another repoid is reported with where it belongs;
/// `--arch A` reads A's folder only.
#[test]
fn verify_rpms_checks_each_arch_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let lockfile = t.join("rpms.lock.yaml");
    let lock = lock_ok(
        &workspace().join("repos/demo/rpms.in.yaml"),
        &lockfile,
        &t.join("cache"),
    );
    let doc: serde_yaml::Value = serde_yaml::from_str(&lock).unwrap();
    let tree = t.join("deps");
    for section in doc["arches"].as_sequence().unwrap() {
        let arch = section["arch"].as_str().unwrap();
        for list in ["packages", "source"] {
            for p in section[list].as_sequence().unwrap() {
                let url = p["url"].as_str().unwrap();
                let from = url.strip_prefix("file://").unwrap();
                let dir = tree.join(arch).join(p["repoid"].as_str().unwrap());
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::copy(from, dir.join(url.rsplit('/').next().unwrap())).unwrap();
            }
        }
    }
    let verify = |extra: &[&str]| {
        let mut args = vec![
            "verify",
            "--lockfile",
            lockfile.to_str().unwrap(),
            "--rpms",
            tree.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        rpmlock(&args, &t.join("cache"))
    };
    let out = verify(&[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    // aarch64 loses its copy of a noarch package x86_64 still has; x86_64's copy of
    // another one sits under the wrong repoid.
    std::fs::remove_file(tree.join("aarch64/base/chain-a-1.0-1.noarch.rpm")).unwrap();
    std::fs::create_dir_all(tree.join("x86_64/updates")).unwrap();
    std::fs::rename(
        tree.join("x86_64/base/webapp-1.0-1.noarch.rpm"),
        tree.join("x86_64/updates/webapp-1.0-1.noarch.rpm"),
    )
    .unwrap();
    let out = verify(&[]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("missing: aarch64/base/chain-a-1.0-1.noarch.rpm ("),
        "{text}"
    );
    assert!(!text.contains("missing: x86_64/base/chain-a"), "{text}");
    assert!(
        text.contains("x86_64/updates/webapp-1.0-1.noarch.rpm: a locked file in the wrong place: it belongs at x86_64/base/webapp-1.0-1.noarch.rpm"),
        "{text}"
    );
    assert!(
        text.contains("missing: x86_64/base/webapp-1.0-1.noarch.rpm ("),
        "{text}"
    );
    // Only aarch64's folder: x86_64's problems are not aarch64's.
    let out = verify(&["--arch", "aarch64"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(!text.contains("x86_64/"), "{text}");
    assert!(text.contains("missing: aarch64/base/chain-a"), "{text}");
    std::fs::copy(
        tree.join("x86_64/base/chain-a-1.0-1.noarch.rpm"),
        tree.join("aarch64/base/chain-a-1.0-1.noarch.rpm"),
    )
    .unwrap();
    let out = verify(&["--arch", "aarch64"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}
