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
fn outfile_dev_stdout_and_dev_fd_write_to_our_pipe() {
    let case = Case::new();
    let input = case.input(None, "chain-a");
    for outfile in ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"] {
        // The child's stdout is a pipe this test owns.
        let out = case
            .command(&["lock", input.to_str().unwrap(), "--outfile", outfile])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{outfile}: {}", stderr(&out));
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(stdout.starts_with(LOCK_START), "{outfile}: {stdout}");
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
