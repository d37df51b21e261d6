//! Helpers shared by the config tests.

use std::io::Write;
use std::process::{Command, Stdio};

/// The one policy for tests that compare with an external reference (Python, PyYAML,
/// libdnf, dnf): a missing reference fails the test, unless
/// `RPMLOCK_TEST_SKIP_REFERENCES=1` says to skip such tests. Returns (after a note on
/// stderr) when skipping is allowed; panics otherwise.
pub(crate) fn reference_missing(what: &str) {
    if std::env::var("RPMLOCK_TEST_SKIP_REFERENCES").is_ok_and(|v| v == "1") {
        eprintln!("note: {what} is not available: skipped (RPMLOCK_TEST_SKIP_REFERENCES=1)");
        return;
    }
    panic!(
        "{what} is needed by this test (tests/install-deps.sh installs it); set RPMLOCK_TEST_SKIP_REFERENCES=1 to skip the tests that compare with an external reference"
    );
}

/// Runs `script` with `/usr/bin/python3`, `input` on stdin; its stdout, or `None` when
/// Python is not installed. A failing script panics with its stderr.
pub(crate) fn python(script: &str, input: &str) -> Option<String> {
    let mut child = Command::new("/usr/bin/python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(input.as_bytes())
        .expect("write to python");
    let out = child.wait_with_output().expect("python ran");
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).expect("UTF-8 output"))
}
