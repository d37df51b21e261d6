//! Hostile metadata, damaged caches and odd outputs (issue 10): every case ends with a
//! clear error (exit 2) or a correct result, never a panic, and never a damaged
//! lockfile.

mod support;

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{Faults, Server, copy_tree, read, workspace};

const OLD_LOCK: &str = "---\nlockfileVersion: 1\nlockfileVendor: redhat\narches: []\n";
const LOCK_START: &str = "---\nlockfileVersion: 1\nlockfileVendor: redhat\narches:\n";

/// A temp dir with a copy of the `base/x86_64` test repo under `www/repo`.
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

    fn path(&self) -> &Path {
        self.tmp.path()
    }

    fn repo(&self) -> PathBuf {
        self.path().join("www/repo")
    }

    fn cache(&self) -> PathBuf {
        self.path().join("cache")
    }

    /// An input locking `packages` from `baseurl` (default: the local copy).
    fn input(&self, baseurl: Option<&str>, packages: &str) -> PathBuf {
        let local = self.repo().display().to_string();
        let p = self.path().join("rpms.in.yaml");
        std::fs::write(
            &p,
            format!(
                "contentOrigin:\n  repos:\n    - repoid: testrepo\n      baseurl: {}\npackages: [{packages}]\narches: [x86_64]\ncontext:\n  bare: true\n",
                baseurl.unwrap_or(&local)
            ),
        )
        .unwrap();
        p
    }

    /// `rpmlock ARGS`, not run yet.
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_rpmlock"));
        cmd.args(args)
            .env("RPMLOCK_CACHE_DIR", self.cache())
            .env_remove("RPMLOCK_LOG")
            .env_remove("RPMLOCK_RESOLUTION_CACHE")
            .env_remove("RPMLOCK_ENTITLEMENT_DIR")
            .env("RPMLOCK_RETRY_DELAY_MS", "0")
            .stdin(Stdio::null());
        cmd
    }

    fn lock_to(&self, input: &Path, outfile: &Path) -> std::process::Output {
        self.command(&[
            "lock",
            input.to_str().unwrap(),
            "--outfile",
            outfile.to_str().unwrap(),
        ])
        .output()
        .unwrap()
    }
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn assert_no_panic(out: &std::process::Output) {
    let e = stderr(out);
    assert!(!e.contains("panicked"), "{e}");
}

/// Sets a file's modification time `secs` into the past.
fn age(path: &Path, secs: u64) {
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(std::time::SystemTime::now() - Duration::from_secs(secs))
        .unwrap();
}

// ---------------------------------------------------------------- A. output files

#[test]
fn outfile_symlink_chain_is_written_through() {
    let case = Case::new();
    let input = case.input(None, "chain-a");
    let real = case.path().join("real");
    std::fs::create_dir(&real).unwrap();
    std::fs::write(real.join("rpms.lock.yaml"), OLD_LOCK).unwrap();
    let links = case.path().join("links");
    std::fs::create_dir(&links).unwrap();
    std::os::unix::fs::symlink("../real/rpms.lock.yaml", links.join("mid")).unwrap();
    std::os::unix::fs::symlink("mid", links.join("out.yaml")).unwrap();
    let out = case.lock_to(&input, &links.join("out.yaml"));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(read(&real.join("rpms.lock.yaml")).starts_with(LOCK_START));
    for l in ["mid", "out.yaml"] {
        assert!(
            std::fs::symlink_metadata(links.join(l))
                .unwrap()
                .is_symlink()
        );
    }
    assert_eq!(names(&real), ["rpms.lock.yaml"]);
    assert_eq!(names(&links), ["mid", "out.yaml"]);

    // A dangling link: its target is created.
    std::os::unix::fs::symlink("../real/new.yaml", links.join("dangling")).unwrap();
    let out = case.lock_to(&input, &links.join("dangling"));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(read(&real.join("new.yaml")).starts_with(LOCK_START));
    assert!(
        std::fs::symlink_metadata(links.join("dangling"))
            .unwrap()
            .is_symlink()
    );
}

#[test]
fn outfile_fifo_is_written_not_replaced() {
    let case = Case::new();
    let input = case.input(None, "chain-a");
    let fifo = case.path().join("lock.fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    // A reader opened without blocking: rpmlock's open for writing then succeeds at
    // once, and nothing here can hang if rpmlock replaced the FIFO instead.
    use std::os::unix::fs::OpenOptionsExt as _;
    const O_NONBLOCK: i32 = 0o4000; // Linux
    let mut reader = std::fs::File::options()
        .read(true)
        .custom_flags(O_NONBLOCK)
        .open(&fifo)
        .unwrap();
    let out = case.lock_to(&input, &fifo);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut got = String::new();
    let _ = reader.read_to_string(&mut got);
    assert!(got.starts_with(LOCK_START), "{got:?}");
    use std::os::unix::fs::FileTypeExt as _;
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
}

#[test]
fn outfile_dev_fd_and_stdout_links_write_to_our_pipe() {
    let case = Case::new();
    let input = case.input(None, "chain-a");
    // Never `/dev/stdout` itself: a broken rpmlock would replace it for the whole
    // machine. `/dev/fd/1` lives in /proc, where nothing can be renamed over, and a
    // link to it in a temp dir stands for `/dev/stdout`.
    let link = case.path().join("stdout-link");
    std::os::unix::fs::symlink("/proc/self/fd/1", &link).unwrap();
    for outfile in ["/dev/fd/1", "/proc/self/fd/1", link.to_str().unwrap()] {
        // The child's stdout is a pipe this test owns.
        let out = case
            .command(&["lock", input.to_str().unwrap(), "--outfile", outfile])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{outfile}: {}", stderr(&out));
        let stdout = String::from_utf8(out.stdout.clone()).unwrap();
        assert!(
            stdout.starts_with(LOCK_START),
            "{outfile}: {stdout:?} {}",
            stderr(&out)
        );
    }
}

#[test]
fn read_only_directory_lockfile_is_updated_in_place() {
    // Root ignores directory permissions: run rpmlock as nobody.
    let case = Case::new();
    let input = case.input(None, "chain-a");
    let dir = case.path().join("ro");
    std::fs::create_dir(&dir).unwrap();
    let lock = dir.join("rpms.lock.yaml");
    std::fs::write(&lock, OLD_LOCK).unwrap();
    std::fs::create_dir(case.cache()).unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(case.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&lock, std::fs::Permissions::from_mode(0o666)).unwrap();
    std::fs::set_permissions(case.cache(), std::fs::Permissions::from_mode(0o777)).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o555)).unwrap();
    let as_nobody = |input: &Path| {
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(env!("CARGO_BIN_EXE_rpmlock"))
            .args(["lock", input.to_str().unwrap(), "--outfile"])
            .arg(&lock)
            .env("RPMLOCK_CACHE_DIR", case.cache())
            .env("RPMLOCK_RETRY_DELAY_MS", "0")
            .env_remove("RPMLOCK_LOG")
            .output()
            .expect("setpriv (util-linux)")
    };
    let out = as_nobody(&input);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(read(&lock).starts_with(LOCK_START));
    assert_eq!(names(&dir), ["rpms.lock.yaml"]);

    // A failed run (a package that does not exist) leaves it as it was.
    let before = read(&lock);
    let bad = case.input(None, "no-such-package");
    let out = as_nobody(&bad);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(read(&lock), before);
}

/// Runs `cmd` with its standard output a pipe whose reading end is closed at once.
fn with_closed_stdout(mut cmd: Command) -> std::process::Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    std::process::Output {
        status,
        stdout: Vec::new(),
        stderr: err.into_bytes(),
    }
}

/// Runs `cmd` with `/dev/full` as its standard output (opened for writing by this test,
/// handed to the child: no file is created or replaced).
fn with_full_stdout(mut cmd: Command) -> std::process::Output {
    let full = std::fs::File::options()
        .write(true)
        .open("/dev/full")
        .unwrap();
    cmd.stdout(Stdio::from(full)).output().unwrap()
}

/// A lockfile of the local repo and an RPM directory holding its files, for `verify`.
fn verify_setup(case: &Case) -> (PathBuf, PathBuf) {
    let input = case.input(None, "chain-a");
    let lock = case.path().join("rpms.lock.yaml");
    let out = case.lock_to(&input, &lock);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rpms = case.path().join("rpms");
    std::fs::create_dir(&rpms).unwrap();
    (lock, rpms)
}

#[test]
fn closed_or_full_stdout_is_quiet_or_an_error_never_a_panic() {
    let case = Case::new();
    let (lock, rpms) = verify_setup(&case);
    let input = case.path().join("rpms.in.yaml");
    let (lock, rpms, input) = (
        lock.to_str().unwrap(),
        rpms.to_str().unwrap(),
        input.to_str().unwrap(),
    );
    let runs: [(&[&str], &str); 5] = [
        (
            &["verify", "--lockfile", lock, "--rpms", rpms],
            "the report",
        ),
        (
            &[
                "verify",
                "--lockfile",
                lock,
                "--rpms",
                rpms,
                "--format",
                "json",
            ],
            "the report",
        ),
        (
            &["lock", input, "-o", lock, "--check", "--format", "json"],
            "the --check report",
        ),
        (&["lock", input, "-o", "-"], "the lockfile"),
        (&["lock", input, "--print-request"], "the request"),
    ];
    for (args, what) in runs {
        let out = with_closed_stdout(case.command(args));
        assert_no_panic(&out);
        // A closed pipe is quiet: the run's own outcome decides the exit code.
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{args:?}: {:?} {}",
            out.status,
            stderr(&out)
        );
        let out = with_full_stdout(case.command(args));
        assert_no_panic(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let expected = format!("writing {what} to standard output");
        assert!(
            stderr(&out).contains(&expected),
            "{args:?}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn sigterm_removes_temporary_files_and_stale_ones_are_swept() {
    let case = Case::new();
    let server = Server::start_with(
        &case.path().join("www"),
        Faults {
            stall: vec!["primary.xml.gz".into(), "primary.xml.zst".into()],
            ..Default::default()
        },
    );
    let input = case.input(Some(&format!("{}/repo", server.url())), "chain-a");
    let lock = case.path().join("rpms.lock.yaml");
    let mut child = case
        .command(&[
            "lock",
            input.to_str().unwrap(),
            "-o",
            lock.to_str().unwrap(),
        ])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait (bounded) for the stalled download's temporary file in the cache.
    let data = case.cache().join("data");
    let deadline = Instant::now() + Duration::from_secs(30);
    let tmp_files = || -> Vec<PathBuf> {
        let Ok(algs) = std::fs::read_dir(&data) else {
            return Vec::new();
        };
        algs.flatten()
            .flat_map(|a| std::fs::read_dir(a.path()).into_iter().flatten().flatten())
            .map(|e| e.path())
            .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(".tmp"))
            .collect()
    };
    while tmp_files().is_empty() {
        assert!(Instant::now() < deadline, "no temporary file appeared");
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let status = child.wait().unwrap();
    use std::os::unix::process::ExitStatusExt as _;
    assert_eq!(status.signal(), Some(15), "{status:?}");
    assert_eq!(tmp_files(), Vec::<PathBuf>::new());

    // Leftovers of a crash, an hour and more old, are swept by the next run; fresh
    // ones (maybe another run's) and other files are not.
    let sha = case.cache().join("data/sha256");
    std::fs::create_dir_all(&sha).unwrap();
    for (p, secs) in [
        (sha.join(".tmpOld123"), 7200),
        (sha.join(".tmpNew123"), 0),
        (case.path().join(".rpmlock-Old123.tmp"), 7200),
        (case.path().join("keep.tmp"), 7200),
    ] {
        std::fs::write(&p, "x").unwrap();
        age(&p, secs);
    }
    let local = case.input(None, "chain-a");
    let out = case.lock_to(&local, &lock);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!sha.join(".tmpOld123").exists());
    assert!(sha.join(".tmpNew123").exists());
    assert!(!case.path().join(".rpmlock-Old123.tmp").exists());
    assert!(case.path().join("keep.tmp").exists());
}

// ---------------------------------------------------- B. metadata from the network

impl Case {
    fn repomd_path(&self) -> PathBuf {
        self.repo().join("repodata/repomd.xml")
    }

    fn edit_repomd(&self, f: impl FnOnce(String) -> String) {
        let text = read(&self.repomd_path());
        std::fs::write(self.repomd_path(), f(text)).unwrap();
    }

    /// Rewrites the (gzipped) primary.xml through `f`, and repomd's checksum and size
    /// of it, so that only the content is hostile.
    fn edit_primary(&self, f: impl FnOnce(String) -> String) {
        use sha2::Digest as _;
        use std::io::Write as _;
        let repomd = read(&self.repomd_path());
        let start = repomd.find("<data type=\"primary\">").unwrap();
        let block = &repomd[start..start + repomd[start..].find("</data>").unwrap()];
        let href = block
            .split("href=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let path = self.repo().join(href);
        let mut xml = String::new();
        flate2::read::GzDecoder::new(std::fs::File::open(&path).unwrap())
            .read_to_string(&mut xml)
            .unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(f(xml).as_bytes()).unwrap();
        let bytes = gz.finish().unwrap();
        std::fs::write(&path, &bytes).unwrap();
        let old_sum = block.split("<checksum type=\"sha256\">").nth(1).unwrap();
        let old_sum = &old_sum[..64];
        let old_size = block
            .split("<size>")
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap();
        let sum: String = sha2::Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let new_block = block
            .replace(&format!(">{old_sum}<"), &format!(">{sum}<"))
            .replace(
                &format!("<size>{old_size}<"),
                &format!("<size>{}<", bytes.len()),
            );
        std::fs::write(self.repomd_path(), repomd.replace(block, &new_block)).unwrap();
    }

    /// Locks `chain-a` from the repo served by `server`; asserts exit code 2, no
    /// panic, that stderr has every needle, that the existing lockfile is untouched
    /// and that no temporary file is left in the cache. Returns stderr.
    fn expect_error(&self, server: &Server, needles: &[&str]) -> String {
        let input = self.input(Some(&format!("{}/repo", server.url())), "chain-a");
        let lock = self.path().join("rpms.lock.yaml");
        std::fs::write(&lock, OLD_LOCK).unwrap();
        let out = self.lock_to(&input, &lock);
        let err = stderr(&out);
        assert_no_panic(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        for n in needles {
            assert!(err.contains(n), "stderr lacks {n:?}:\n{err}");
        }
        assert_eq!(read(&lock), OLD_LOCK);
        let mut stack = vec![self.cache()];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                assert!(!name.starts_with(".tmp"), "left in the cache: {name}");
                if e.file_type().unwrap().is_dir() {
                    stack.push(e.path());
                }
            }
        }
        err
    }
}

#[test]
fn truncated_repomd_is_an_error() {
    let case = Case::new();
    let server = Server::start_with(
        &case.path().join("www"),
        Faults {
            truncate: vec!["repomd.xml".into()],
            ..Default::default()
        },
    );
    // Cut in a tag here (quick-xml's "malformed XML"); cuts between tags read
    // "truncated" (the unit tests of repomd.rs try every cut).
    case.expect_error(&server, &["/repo/repodata/repomd.xml", "invalid metadata"]);
}

#[test]
fn duplicate_data_type_is_named() {
    let case = Case::new();
    case.edit_repomd(|t| {
        let start = t.find("<data type=\"filelists\">").unwrap();
        let end = start + t[start..].find("</data>").unwrap() + "</data>".len();
        let block = t[start..end].to_string();
        t.replace(&block, &format!("{block}\n  {block}"))
    });
    let server = Server::start(&case.path().join("www"));
    case.expect_error(&server, &["two <data type=\"filelists\"> entries"]);
}

#[test]
fn data_file_larger_than_declared_is_cut() {
    let case = Case::new();
    case.edit_repomd(|t| t.replacen("<size>5883</size>", "<size>1000</size>", 1));
    let server = Server::start(&case.path().join("www"));
    let err = case.expect_error(
        &server,
        &["primary.xml.gz", "larger than 1000 bytes", "declares"],
    );
    assert!(err.contains("testrepo"), "{err}");
    // Nothing was stored under primary's checksum.
    let data = case.cache().join("data/sha256");
    assert!(
        std::fs::read_dir(&data)
            .map(|d| d.count() == 0)
            .unwrap_or(true)
    );
}

#[test]
fn endless_repomd_is_capped() {
    let case = Case::new();
    let server = Server::start_with(
        &case.path().join("www"),
        Faults {
            endless: vec!["repomd.xml".into()],
            ..Default::default()
        },
    );
    case.expect_error(&server, &["repomd.xml", "larger than 16777216 bytes"]);
}

#[test]
fn remote_repomd_never_points_at_local_files() {
    let case = Case::new();
    let secret = case.path().join("secret");
    std::fs::create_dir(&secret).unwrap();
    case.edit_repomd(|t| {
        t.replacen(
            "<location href=\"repodata/",
            &format!(
                "<location xml:base=\"file://{}/\" href=\"repodata/",
                secret.display()
            ),
            1,
        )
    });
    let server = Server::start(&case.path().join("www"));
    case.expect_error(
        &server,
        &[
            "testrepo",
            "primary location points at a local file",
            "file://",
        ],
    );
}

#[test]
fn redirect_to_a_local_file_is_refused() {
    let case = Case::new();
    let local = case.path().join("local-repomd.xml");
    std::fs::copy(case.repomd_path(), &local).unwrap();
    let server = Server::start_with(
        &case.path().join("www"),
        Faults {
            redirect: vec![("repomd.xml".into(), format!("file://{}", local.display()))],
            ..Default::default()
        },
    );
    case.expect_error(
        &server,
        &["testrepo", "/repo/repodata/repomd.xml", "redirect"],
    );
}

#[test]
fn package_with_a_local_xml_base_is_refused() {
    let case = Case::new();
    case.edit_primary(|x| {
        x.replace(
            "<location href=\"Packages/c/chain-a-1.0-1.noarch.rpm\"/>",
            "<location xml:base=\"file:///etc/\" href=\"Packages/c/chain-a-1.0-1.noarch.rpm\"/>",
        )
    });
    let server = Server::start(&case.path().join("www"));
    case.expect_error(
        &server,
        &[
            "testrepo",
            "package chain-a-1.0-1.noarch",
            "points at a local file",
        ],
    );
}

#[test]
fn package_href_outside_the_base_is_refused() {
    for (href, needle) in [
        ("http://other.invalid/chain-a.rpm", "absolute URL"),
        ("file:///etc/passwd", "absolute URL"),
        ("../../chain-a.rpm", "leads out of its base URL"),
    ] {
        let case = Case::new();
        case.edit_primary(|x| {
            x.replace(
                "<location href=\"Packages/c/chain-a-1.0-1.noarch.rpm\"/>",
                &format!("<location href=\"{href}\"/>"),
            )
        });
        let server = Server::start(&case.path().join("www"));
        case.expect_error(&server, &["testrepo", "chain-a-1.0-1.noarch", needle]);
    }
}

#[test]
fn package_without_checksum_is_an_error() {
    let case = Case::new();
    case.edit_primary(|x| {
        x.replace(
            "  <checksum type=\"sha256\" pkgid=\"YES\">6f19bb59b57c657a0bc10f56f463904b3bafe9ffb82c937069fda5192bf29b31</checksum>\n",
            "",
        )
    });
    let server = Server::start(&case.path().join("www"));
    case.expect_error(
        &server,
        &["repo 'testrepo': package chain-a-1.0-1.noarch: primary.xml gives it no checksum"],
    );
}

#[test]
fn remote_repofile_with_a_bad_repoid_is_named() {
    let case = Case::new();
    std::fs::write(
        case.path().join("www/bad.repo"),
        "[../../escape]\nname=x\nbaseurl=@REPOS@/repo\n",
    )
    .unwrap();
    let server = Server::start(&case.path().join("www"));
    let input = case.path().join("rpms.in.yaml");
    std::fs::write(
        &input,
        format!(
            "contentOrigin:\n  repofiles: [{}/bad.repo]\npackages: [chain-a]\narches: [x86_64]\ncontext:\n  bare: true\n",
            server.url()
        ),
    )
    .unwrap();
    let lock = case.path().join("rpms.lock.yaml");
    std::fs::write(&lock, OLD_LOCK).unwrap();
    let out = case.lock_to(&input, &lock);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("invalid repoid \"../../escape\": '.'")
            || err.contains("invalid repoid \"../../escape\": '/'"),
        "{err}"
    );
    assert_eq!(read(&lock), OLD_LOCK);
}

#[test]
fn remote_mirrorlist_never_names_local_mirrors() {
    let case = Case::new();
    std::fs::write(
        case.path().join("www/mirrors.txt"),
        format!("file://{}\n", case.repo().display()),
    )
    .unwrap();
    let server = Server::start(&case.path().join("www"));
    let input = case.path().join("rpms.in.yaml");
    std::fs::write(
        &input,
        format!(
            "contentOrigin:\n  repos:\n    - repoid: testrepo\n      mirrorlist: {}/mirrors.txt\npackages: [chain-a]\narches: [x86_64]\ncontext:\n  bare: true\n",
            server.url()
        ),
    )
    .unwrap();
    let lock = case.path().join("rpms.lock.yaml");
    std::fs::write(&lock, OLD_LOCK).unwrap();
    let out = case.lock_to(&input, &lock);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("repo 'testrepo': a mirror listed by http://")
            && err.contains("points at a local file: file://"),
        "{err}"
    );
    assert_eq!(read(&lock), OLD_LOCK);
}

/// A small compressed primary.xml that expands to a long run of blanks (here 80 MiB
/// between two packages) fails with the bound named, without holding the run: the
/// parser never sees more than 64 MiB of text without markup.
#[test]
fn expanding_blanks_in_primary_fail_cleanly() {
    let case = Case::new();
    case.edit_primary(|xml| {
        let at = xml.find("</package>").unwrap() + "</package>".len();
        format!("{}{}{}", &xml[..at], " ".repeat(80 << 20), &xml[at..])
    });
    let server = Server::start(&case.path().join("www"));
    case.expect_error(
        &server,
        &[
            "primary.xml.gz",
            "a run of text without markup is larger than 67108864 bytes",
        ],
    );
}
