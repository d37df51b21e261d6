//! What no other lock tool offers, end to end over HTTP: `rpmlock why` (a deep chain, a
//! weak dependency, file dependencies, an installed context), `rpmlock diff` between
//! two locks of two repo states (each format snapshotted), the cross-arch consistency
//! warning and `--same-versions`, and `verify --urls` against a server that lost one
//! RPM and truncated another, and against nginx with client certificates.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::nginx::{Nginx, Pki};
use support::{Faults, Server, copy_tree, read, rpm_install, rpmlock, workspace};

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[track_caller]
fn success(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\n{}{}",
        out.status.code(),
        stdout(out),
        stderr(out)
    );
    stdout(out)
}

/// Writes `rpms.in.yaml` in `dir`: `packages` for `arches` from `repos`
/// (`(repoid, baseurl)`), with `extra` lines at the end.
fn input(
    dir: &Path,
    repos: &[(&str, String)],
    packages: &str,
    arches: &str,
    extra: &str,
) -> PathBuf {
    let mut text = String::from("contentOrigin:\n  repos:\n");
    for (id, url) in repos {
        text.push_str(&format!("    - repoid: {id}\n      baseurl: {url}\n"));
    }
    text.push_str(&format!(
        "packages: [{packages}]\narches: [{arches}]\nnoSources: true\n{extra}"
    ));
    let path = dir.join("rpms.in.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

/// `createrepo_c` over `dir`, replacing its metadata.
fn createrepo(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir.join("repodata"));
    let status = Command::new("createrepo_c")
        .args(["--quiet", "--no-database"])
        .arg(dir)
        .status()
        .expect("createrepo_c (Debian package createrepo-c)");
    assert!(status.success());
}

fn lock(input: &Path, lockfile: &Path, cache: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "lock",
        input.to_str().unwrap(),
        "-o",
        lockfile.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    rpmlock(&args, cache)
}

#[test]
fn why_a_chain_a_weak_dependency_and_file_dependencies() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let server = Server::start(&workspace().join("repos"));
    let input = input(
        t,
        &[("base", format!("{}/base/$basearch", server.url()))],
        "chain-a, weak-main, filedep-primary, filedep-filelists, rich-weak",
        "x86_64, aarch64",
        "context:\n  bare: true\n",
    );
    let cache = t.join("cache");
    let why = |args: &[&str]| {
        let mut all = vec!["why"];
        all.extend_from_slice(args);
        all.push(input.to_str().unwrap());
        rpmlock(&all, &cache)
    };
    let mut report = String::new();
    for name in [
        "chain-d",
        "chain-a",
        "weak-rec",
        "weak-supp",
        "filedep-tool",
        "libfoo",
        "rdep-b",
        "rich-supp",
    ] {
        let out = why(&[name]);
        report.push_str(&format!("$ rpmlock why {name}\n{}", success(&out)));
    }
    insta::assert_snapshot!(report);

    // One arch, as JSON, from the cached metadata alone.
    let out = why(&[
        "chain-c",
        "--arch",
        "x86_64",
        "--format",
        "json",
        "--offline",
    ]);
    let json: serde_json::Value = serde_json::from_str(&success(&out)).unwrap();
    assert_eq!(json["name"], "chain-c");
    assert_eq!(json["arches"][0]["arches"], serde_json::json!(["x86_64"]));
    let steps = &json["arches"][0]["paths"][0]["steps"];
    assert_eq!(steps[1]["kind"], "requires");
    assert_eq!(steps[1]["dep"], "chain-c >= 1.0");
    assert_eq!(steps[1]["nevra"], "chain-c-1.0-1.x86_64");

    // Not in the lock: exit 1 with the closest names.
    let out = why(&["chain-z"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    assert!(
        stderr(&out).contains(
            "error: chain-z is not in the lock (did you mean chain-a, chain-b, chain-c?)"
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn why_a_group_member() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let server = Server::start(&workspace().join("repos"));
    let input = input(
        t,
        &[("groups", format!("{}/groups", server.url()))],
        "\"@base-tools\", grp-trigger",
        "x86_64",
        "context:\n  bare: true\n",
    );
    let cache = t.join("cache");
    let mut report = String::new();
    for name in ["grp-dep", "grp-cond", "grp-trigger"] {
        let out = rpmlock(&["why", name, input.to_str().unwrap()], &cache);
        report.push_str(&format!("$ rpmlock why {name}\n{}", success(&out)));
    }
    insta::assert_snapshot!(report);
}

#[test]
fn why_on_an_installed_context() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let server = Server::start(&workspace().join("repos"));
    let packages = workspace().join("repos/base/x86_64/Packages");
    rpm_install(
        &t.join("root"),
        "/var/lib/rpm",
        &[
            packages.join("c/chain-c-1.0-1.x86_64.rpm"),
            packages.join("c/chain-d-1.0-1.noarch.rpm"),
        ],
    );
    let input = input(
        t,
        &[("base", format!("{}/base/$basearch", server.url()))],
        "chain-a",
        "x86_64",
        "context:\n  rootfs: root\n",
    );
    let cache = t.join("cache");
    let mut report = String::new();
    for name in ["chain-b", "chain-d"] {
        let out = rpmlock(&["why", name, input.to_str().unwrap()], &cache);
        report.push_str(&format!("$ rpmlock why {name}\n{}", success(&out)));
    }
    insta::assert_snapshot!(report);
}

/// `repos/base/{x86_64,aarch64}` copied under `dir/ARCH`, served.
fn two_arch_repo(dir: &Path) -> Server {
    for arch in ["x86_64", "aarch64"] {
        copy_tree(&workspace().join("repos/base").join(arch), &dir.join(arch));
    }
    Server::start(dir)
}

/// `repos/updates/ARCH`'s packages added to `dir/ARCH`.
fn add_updates(dir: &Path, arch: &str) {
    copy_tree(
        &workspace()
            .join("repos/updates")
            .join(arch)
            .join("Packages"),
        &dir.join(arch).join("Packages"),
    );
    createrepo(&dir.join(arch));
}

#[test]
fn diff_between_two_repo_states() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let repo = t.join("repo");
    let server = two_arch_repo(&repo);
    let input = input(
        t,
        &[("base", format!("{}/$basearch", server.url()))],
        "chain-a, weak-main",
        "x86_64, aarch64",
        "context:\n  bare: true\n",
    );
    let cache = t.join("cache");
    let (old, new) = (t.join("old.lock.yaml"), t.join("new.lock.yaml"));
    success(&lock(&input, &old, &cache, &[]));
    add_updates(&repo, "x86_64");
    add_updates(&repo, "aarch64");
    success(&lock(&input, &new, &cache, &[]));
    let diff = |format: &str| {
        success(&rpmlock(
            &[
                "diff",
                old.to_str().unwrap(),
                new.to_str().unwrap(),
                "--format",
                format,
            ],
            &cache,
        ))
    };
    insta::assert_snapshot!("diff_text", diff("text"));
    insta::assert_snapshot!("diff_markdown", diff("markdown"));
    insta::assert_snapshot!("diff_json", diff("json"));

    // One side from standard input (as from `git show HEAD~1:rpms.lock.yaml`).
    let mut child = Command::new(env!("CARGO_BIN_EXE_rpmlock"))
        .args(["diff", "-", new.to_str().unwrap()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(read(&old).as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(success(&out), diff("text"));
    // Standard input once at most; an unreadable file is named.
    let out = rpmlock(&["diff", "-", "-"], &cache);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("only one of OLD and NEW can be -"),
        "{}",
        stderr(&out)
    );
    let missing = t.join("missing.lock.yaml");
    let out = rpmlock(
        &["diff", missing.to_str().unwrap(), new.to_str().unwrap()],
        &cache,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(&format!(
            "error: cannot read lockfile {}",
            missing.display()
        )),
        "{}",
        stderr(&out)
    );
    // Nothing changed: nothing printed.
    let out = rpmlock(
        &["diff", new.to_str().unwrap(), new.to_str().unwrap()],
        &cache,
    );
    assert_eq!(success(&out), "");
    // lock --check prints the same report.
    std::fs::copy(&old, t.join("rpms.lock.yaml")).unwrap();
    let out = lock(&input, &t.join("rpms.lock.yaml"), &cache, &["--check"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).ends_with(&diff("text")), "{}", stderr(&out));
}

#[test]
fn an_arch_lagging_behind_warns_and_fails_with_same_versions() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let repo = t.join("repo");
    let server = two_arch_repo(&repo);
    // x86_64 has the updates (chain-c 1.1-1, weak-rec 1.1-1), aarch64 does not.
    add_updates(&repo, "x86_64");
    let input = input(
        t,
        &[("base", format!("{}/$basearch", server.url()))],
        "chain-a, weak-main",
        "x86_64, aarch64",
        "context:\n  bare: true\n",
    );
    let cache = t.join("cache");
    let lockfile = t.join("rpms.lock.yaml");
    let out = lock(&input, &lockfile, &cache, &[]);
    success(&out);
    let err = stderr(&out);
    let warnings: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("different source versions"))
        .collect();
    assert_eq!(warnings.len(), 2, "{}", stderr(&out));
    assert!(warnings[0].contains("chain-c: aarch64 1.0-1, x86_64 1.1-1: built from different source versions on different arches"), "{}", warnings[0]);
    assert!(
        warnings[1].contains("weak-rec: aarch64 1.0-1, x86_64 1.1-1"),
        "{}",
        warnings[1]
    );
    let written = read(&lockfile);

    let out = lock(&input, &lockfile, &cache, &["--same-versions"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    insta::assert_snapshot!(stderr(&out));
    assert_eq!(
        read(&lockfile),
        written,
        "a failed run left the lockfile alone"
    );
}

/// `verify --urls` for `lockfile` with `input`; (exit code, stdout with `server`'s URL
/// as `@SERVER@`).
fn verify_urls(
    input: &Path,
    lockfile: &Path,
    cache: &Path,
    server: &str,
    extra: &[&str],
) -> (Option<i32>, String) {
    let mut args = vec![
        "verify",
        "--urls",
        "--lockfile",
        lockfile.to_str().unwrap(),
        input.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = rpmlock(&args, cache);
    (out.status.code(), stdout(&out).replace(server, "@SERVER@"))
}

/// An input locking `chain-a weak-main` for x86_64 from `server`'s `/base`.
fn input_for(t: &Path, server: &Server) -> PathBuf {
    input(
        t,
        &[("base", format!("{}/base", server.url()))],
        "chain-a, weak-main",
        "x86_64",
        "context:\n  bare: true\n",
    )
}

#[test]
fn verify_urls_finds_a_deleted_and_a_truncated_rpm() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let www = t.join("www");
    copy_tree(&workspace().join("repos/base/x86_64"), &www.join("base"));
    let server = Server::start(&www);
    let input = input_for(t, &server);
    let cache = t.join("cache");
    let lockfile = t.join("rpms.lock.yaml");
    success(&lock(&input, &lockfile, &cache, &[]));
    assert_eq!(
        verify_urls(&input, &lockfile, &cache, &server.url(), &[]),
        (Some(0), String::new())
    );

    std::fs::remove_file(www.join("base/Packages/c/chain-b-1.0-1.noarch.rpm")).unwrap();
    let truncated = www.join("base/Packages/w/weak-rec-1.0-1.noarch.rpm");
    let bytes = std::fs::read(&truncated).unwrap();
    std::fs::write(&truncated, &bytes[..100]).unwrap();
    let (code, text) = verify_urls(&input, &lockfile, &cache, &server.url(), &[]);
    assert_eq!(code, Some(1));
    insta::assert_snapshot!(text);
    let (code, json) = verify_urls(
        &input,
        &lockfile,
        &cache,
        &server.url(),
        &["--format", "json"],
    );
    assert_eq!(code, Some(1));
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2, "{json}");
    assert_eq!(findings[0]["problem"]["kind"], "dead");
    assert_eq!(findings[1]["problem"]["kind"], "size-mismatch");
    assert_eq!(findings[1]["problem"]["served"], 100);
    assert_eq!(findings[1]["problem"]["locked"], bytes.len());

    // A server that refuses HEAD is asked with a ranged GET: the same findings.
    let refusing = Server::start_with(
        &www,
        Faults {
            refuse_head: true,
            ..Default::default()
        },
    );
    let input = input_for(t, &refusing);
    let lockfile2 = t.join("refusing.lock.yaml");
    std::fs::write(
        &lockfile2,
        read(&lockfile).replace(&server.url(), &refusing.url()),
    )
    .unwrap();
    assert_eq!(
        verify_urls(&input, &lockfile2, &cache, &refusing.url(), &[]),
        (Some(1), text)
    );
}

#[test]
fn verify_urls_with_a_client_certificate() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let pki = Pki::generate(&t.join("pki"));
    std::fs::create_dir_all(t.join("nginx")).unwrap();
    let nginx = Nginx::start(&pki, &workspace().join("repos"), &t.join("nginx"));
    let url = format!("https://127.0.0.1:{}/base/x86_64/", nginx.mtls_port);
    let repo = |with_cert: bool| {
        let mut text = format!(
            "contentOrigin:\n  repos:\n    - repoid: secure\n      baseurl: {url}\n      sslcacert: {}\n",
            pki.path("ca.pem")
        );
        if with_cert {
            text.push_str(&format!(
                "      sslclientcert: {}\n      sslclientkey: {}\n",
                pki.path("client.pem"),
                pki.path("client.key")
            ));
        }
        text.push_str(
            "packages: [chain-a]\narches: [x86_64]\nnoSources: true\ncontext:\n  bare: true\n",
        );
        let path = t.join(if with_cert {
            "with.in.yaml"
        } else {
            "without.in.yaml"
        });
        std::fs::write(&path, text).unwrap();
        path
    };
    let (with, without) = (repo(true), repo(false));
    let cache = t.join("cache");
    let lockfile = t.join("rpms.lock.yaml");
    let out = lock(&with, &lockfile, &cache, &[]);
    assert!(out.status.success(), "{}\n{}", stderr(&out), nginx.log());
    let base = format!("https://127.0.0.1:{}", nginx.mtls_port);
    assert_eq!(
        verify_urls(&with, &lockfile, &cache, &base, &[]),
        (Some(0), String::new())
    );
    // Without the certificate every URL is refused, and the report says why.
    let (code, text) = verify_urls(&without, &lockfile, &cache, &base, &[]);
    assert_eq!(code, Some(1));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "x86_64, repo secure:");
    assert_eq!(lines.len(), 5, "{text}");
    assert!(
        lines[1..].iter().all(
            |l| l.starts_with("  dead: @SERVER@/base/x86_64/Packages/c/chain-")
                && l.contains("client certificate")
        ),
        "{text}"
    );
}
