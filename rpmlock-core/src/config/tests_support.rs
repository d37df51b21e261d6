//! Helpers shared by the config tests.

use std::io::Write;
use std::process::{Command, Stdio};

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
