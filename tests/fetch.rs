//! Robust fetching against a misbehaving server: a connection reset mid-file is
//! retried, a truncated file is a checksum error naming it, two rpmlock processes fill
//! one empty cache at once.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use support::{Faults, Server, copy_tree, read, rpmlock_env, workspace};

/// A temp dir holding a copy of `repos/base/x86_64` (served over HTTP) and an input.
struct Case {
    tmp: tempfile::TempDir,
}

impl Case {
    fn new() -> Case {
        let tmp = tempfile::tempdir().unwrap();
        copy_tree(
            &workspace().join("repos/base/x86_64"),
            &tmp.path().join("www/repo"),
        );
        Case { tmp }
    }

    fn www(&self) -> PathBuf {
        self.tmp.path().join("www")
    }

    fn input(&self, baseurl: &str) -> PathBuf {
        self.input_with("baseurl", baseurl)
    }

    /// An input whose repo is given by `key` (baseurl, mirrorlist, metalink).
    fn input_with(&self, key: &str, url: &str) -> PathBuf {
        let p = self.tmp.path().join("rpms.in.yaml");
        std::fs::write(
            &p,
            format!(
                "contentOrigin:\n  repos:\n    - repoid: testrepo\n      {key}: {url}\npackages: [chain-a]\narches: [x86_64]\ncontext:\n  bare: true\n"
            ),
        )
        .unwrap();
        p
    }

    /// An input with a baseurl and extra repo options.
    fn input_opts(&self, baseurl: &str, options: &[(&str, &str)]) -> PathBuf {
        let mut extra = String::new();
        for (k, v) in options {
            extra.push_str(&format!("\n      {k}: \"{v}\""));
        }
        self.input_with("baseurl", &format!("{baseurl}{extra}"))
    }

    /// Runs `rpmlock lock -v` on `input`; returns the output and the lock path.
    fn run(&self, input: &Path) -> (std::process::Output, PathBuf) {
        let lock = self.tmp.path().join("rpms.lock.yaml");
        let _ = std::fs::remove_file(&lock);
        let args = self.lock_args(input, &lock);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        (
            rpmlock_env(&args, &self.tmp.path().join("cache"), &[]),
            lock,
        )
    }

    fn lock_args(&self, input: &Path, out: &Path) -> Vec<String> {
        vec![
            "lock".into(),
            input.to_str().unwrap().into(),
            "--outfile".into(),
            out.to_str().unwrap().into(),
            "-v".into(),
        ]
    }
}

#[test]
fn reset_mid_file_is_retried_then_succeeds() {
    let case = Case::new();
    let resets = Arc::new(AtomicUsize::new(0));
    let server = Server::start_with(
        &case.www(),
        Faults {
            reset: vec!["primary.xml.gz".into()],
            reset_first: 2,
            resets_done: resets.clone(),
            ..Default::default()
        },
    );
    let input = case.input(&format!("{}/repo", server.url()));
    let (out, lock) = case.run(&input);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(read(&lock).contains("chain-a"));
    // Two resets, each logged as a retry, then the third request succeeded.
    assert_eq!(resets.load(Ordering::SeqCst), 3);
    assert!(stderr.contains("retry 1 of 4"), "{stderr}");
    assert!(stderr.contains("retry 2 of 4"), "{stderr}");
    assert!(!stderr.contains("retry 3 of 4"), "{stderr}");
}

/// With more than one core, primary.xml is parsed as it downloads. A reset after part
/// of the body (retried) leaves the parse with a broken copy: it is parsed again from
/// the stored file, and the lock is the same as a clean run's.
#[test]
fn primary_is_parsed_as_it_downloads_and_again_after_a_reset() {
    let parallel = std::thread::available_parallelism().map_or(1, usize::from) > 1;
    let run = |faults: Faults| -> (String, String) {
        let case = Case::new();
        let server = Server::start_with(&case.www(), faults);
        let input = case.input(&format!("{}/repo", server.url()));
        let lock = case.tmp.path().join("rpms.lock.yaml");
        let mut args = case.lock_args(&input, &lock);
        args.push("-vv".into());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = rpmlock_env(&args, &case.tmp.path().join("cache"), &[]);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{stderr}");
        (read(&lock).replace(&server.url(), "SERVER"), stderr)
    };
    let streamed = "parsing primary as it downloads";
    let again = "parsed again in one piece";
    let (clean, stderr) = run(Faults::default());
    assert!(clean.contains("chain-a"), "{clean}");
    assert_eq!(stderr.contains(streamed), parallel, "{stderr}");
    assert!(!stderr.contains(again), "{stderr}");
    let (after_reset, stderr) = run(Faults {
        reset: vec!["primary.xml.gz".into()],
        reset_first: 1,
        ..Default::default()
    });
    assert_eq!(after_reset, clean);
    assert!(stderr.contains("retry 1 of 4"), "{stderr}");
    assert_eq!(stderr.contains(streamed), parallel, "{stderr}");
    assert_eq!(stderr.contains(again), parallel, "{stderr}");
}

#[test]
fn truncated_file_is_a_checksum_error_naming_it() {
    let case = Case::new();
    let server = Server::start_with(
        &case.www(),
        Faults {
            truncate: vec!["primary.xml.gz".into()],
            ..Default::default()
        },
    );
    let input = case.input(&format!("{}/repo", server.url()));
    let (out, lock) = case.run(&input);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "checksum mismatch for {}/repo/repodata/e445f946bc1aa0f798924ed3266a2b9e77a6e8df974f561d1715f4aa352d18d5-primary.xml.gz",
            server.url()
        )),
        "{stderr}"
    );
    assert!(!lock.exists());
    // Nothing half-written is left in the cache.
    let data = case.tmp.path().join("cache/data/sha256");
    let names: Vec<_> = std::fs::read_dir(&data)
        .map(|rd| rd.map(|e| e.unwrap().file_name()).collect())
        .unwrap_or_default();
    assert!(
        !names
            .iter()
            .any(|n| n.to_string_lossy().starts_with("e445f946")
                || n.to_string_lossy().starts_with(".tmp")),
        "{names:?}"
    );
}

#[test]
fn two_processes_fill_one_empty_cache() {
    let case = Case::new();
    let server = Server::start(&case.www());
    let input = case.input(&format!("{}/repo", server.url()));
    let cache = case.tmp.path().join("cache");
    let children: Vec<_> = (0..2)
        .map(|i| {
            let out = case.tmp.path().join(format!("lock{i}.yaml"));
            let child = Command::new(env!("CARGO_BIN_EXE_rpmlock"))
                .args(case.lock_args(&input, &out))
                .env("RPMLOCK_CACHE_DIR", &cache)
                .env("RPMLOCK_RETRY_DELAY_MS", "0")
                .env_remove("RPMLOCK_LOG")
                .env_remove("RPMLOCK_RESOLUTION_CACHE")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            (child, out)
        })
        .collect();
    let mut locks = Vec::new();
    for (child, out) in children {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        locks.push(read(&out));
    }
    assert_eq!(locks[0], locks[1]);
    assert!(locks[0].contains("chain-a"));
    // The cache is consistent: every data file matches its name, no temporary files.
    let data = cache.join("data/sha256");
    for entry in std::fs::read_dir(&data).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        assert!(!name.starts_with(".tmp"), "{name}");
        let bytes = std::fs::read(entry.path()).unwrap();
        use sha2::Digest;
        let sum: String = sha2::Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(sum, name);
    }
    // A third run, offline, finds everything cached.
    let out = case.tmp.path().join("lock2.yaml");
    let mut args = case.lock_args(&input, &out);
    args.push("--offline".into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let res = rpmlock_env(&args, &cache, &[("RPMLOCK_RESOLUTION_CACHE", "0")]);
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    assert_eq!(read(&out), locks[0]);
}

#[test]
fn mirrorlist_skips_a_failing_mirror() {
    let case = Case::new();
    copy_tree(&case.www().join("repo"), &case.www().join("bad"));
    let server = Server::start_with(
        &case.www(),
        Faults {
            status_500: vec!["bad/repodata/repomd.xml".into()],
            ..Default::default()
        },
    );
    let url = server.url();
    std::fs::write(
        case.www().join("mirrorlist.txt"),
        format!("# mirrors\n{url}/bad/\n{url}/repo/\n"),
    )
    .unwrap();
    let input = case.input_with("mirrorlist", &format!("{url}/mirrorlist.txt"));
    let (out, lock) = case.run(&input);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("base URL {url}/bad/ failed, trying the next")),
        "{stderr}"
    );
    let lock = read(&lock);
    assert!(lock.contains(&format!("{url}/repo/Packages/")), "{lock}");
    assert!(!lock.contains("/bad/"), "{lock}");
}

/// A metalink listing `mirrors` (by preference) for the repomd.xml of `repo`.
fn metalink(repomd: &[u8], mirrors: &[String]) -> String {
    use sha2::Digest;
    let sha: String = sha2::Sha256::digest(repomd)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut urls = String::new();
    for (i, m) in mirrors.iter().enumerate() {
        urls.push_str(&format!(
            "<url protocol=\"http\" type=\"http\" preference=\"{}\">{m}repodata/repomd.xml</url>\n",
            100 - i
        ));
    }
    format!(
        "<?xml version=\"1.0\"?>\n<metalink version=\"3.0\" xmlns=\"http://www.metalinker.org/\"><files><file name=\"repomd.xml\"><size>{}</size><verification><hash type=\"sha256\">{sha}</hash></verification><resources>{urls}</resources></file></files></metalink>\n",
        repomd.len()
    )
}

#[test]
fn metalink_rejects_a_mirror_whose_repomd_does_not_match() {
    let case = Case::new();
    // A stale mirror: same layout, a repomd.xml the metalink does not list.
    copy_tree(&case.www().join("repo"), &case.www().join("stale"));
    let good = std::fs::read(case.www().join("repo/repodata/repomd.xml")).unwrap();
    let mut stale = good.clone();
    stale.extend_from_slice(b"<!-- stale -->\n");
    std::fs::write(case.www().join("stale/repodata/repomd.xml"), &stale).unwrap();
    let server = Server::start(&case.www());
    let url = server.url();
    std::fs::write(
        case.www().join("metalink.xml"),
        metalink(&good, &[format!("{url}/stale/"), format!("{url}/repo/")]),
    )
    .unwrap();
    let input = case.input_with("metalink", &format!("{url}/metalink.xml"));
    let (out, lock) = case.run(&input);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{url}/stale/repodata/repomd.xml does not match the metalink"
        )),
        "{stderr}"
    );
    let lock = read(&lock);
    assert!(lock.contains(&format!("{url}/repo/Packages/")), "{lock}");
    assert!(!lock.contains("/stale/"), "{lock}");

    // No mirror matches: a clear error listing each.
    std::fs::write(
        case.www().join("metalink.xml"),
        metalink(&good, &[format!("{url}/stale/")]),
    )
    .unwrap();
    let input = case.input_with("metalink", &format!("{url}/metalink.xml"));
    let (out, lock) = case.run(&input);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("repo 'testrepo'"), "{stderr}");
    assert!(
        stderr.contains("does not match the metalink (expected size"),
        "{stderr}"
    );
    assert!(!lock.exists());
}

#[test]
fn proxy_with_and_without_credentials() {
    let case = Case::new();
    let server = Server::start(&case.www());
    // "pu:ppw-secret"
    let proxy = support::proxy::Proxy::start(Some("Basic cHU6cHB3LXNlY3JldA==".into()));
    let base = format!("{}/repo", server.url());
    let purl = proxy.url();

    let input = case.input_opts(&base, &[("proxy", &purl)]);
    let (out, _) = case.run(&input);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "repo 'testrepo': GET {base}/repodata/repomd.xml: proxy {purl}/: HTTP 407"
        )),
        "{stderr}"
    );

    let input = case.input_opts(
        &base,
        &[
            ("proxy", &purl),
            ("proxy_username", "pu"),
            ("proxy_password", "ppw-secret"),
        ],
    );
    let (out, lock) = case.run(&input);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(read(&lock).contains("chain-a"));
    assert!(!stderr.contains("ppw-secret"), "{stderr}");
    // repomd.xml, primary and filelists (at least) went through the proxy.
    assert!(proxy.forwarded() >= 2, "{}", proxy.forwarded());

    // A proxy nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dead = format!("http://127.0.0.1:{port}");
    let input = case.input_opts(&base, &[("proxy", &dead)]);
    let (out, _) = case.run(&input);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!("proxy {dead}/")), "{stderr}");
}
