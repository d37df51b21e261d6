//! Bad input of every kind: a clear message naming the culprit, the right exit code,
//! and an existing lockfile left byte-identical.

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use support::{Faults, Server, copy_tree, read, rpmlock, workspace};

const OLD_LOCK: &str = "---\nlockfileVersion: 1\nlockfileVendor: redhat\narches: []\n";

/// A temp dir holding a copy of one test repo (served over HTTP), an input file and an
/// existing lockfile.
struct Case {
    tmp: tempfile::TempDir,
}

impl Case {
    fn new(repo: &str) -> Case {
        let tmp = tempfile::tempdir().unwrap();
        copy_tree(
            &workspace().join("repos").join(repo),
            &tmp.path().join("www/repo"),
        );
        std::fs::write(tmp.path().join("rpms.lock.yaml"), OLD_LOCK).unwrap();
        Case { tmp }
    }

    fn repo(&self) -> PathBuf {
        self.tmp.path().join("www/repo")
    }

    fn write_input(&self, text: &str) -> PathBuf {
        let p = self.tmp.path().join("rpms.in.yaml");
        std::fs::write(&p, text).unwrap();
        p
    }

    fn input_for(&self, baseurl: &str, packages: &str) -> PathBuf {
        self.write_input(&format!(
            "contentOrigin:\n  repos:\n    - repoid: testrepo\n      baseurl: {baseurl}\npackages: [{packages}]\narches: [x86_64]\ncontext:\n  bare: true\n"
        ))
    }

    /// Runs `rpmlock lock`; asserts the exit code, that stderr contains every
    /// `needles`, and that the old lockfile is untouched. Returns stderr.
    fn expect_failure(&self, input: &Path, code: i32, needles: &[&str]) -> String {
        let lock = self.tmp.path().join("rpms.lock.yaml");
        let out = rpmlock(
            &[
                "lock",
                input.to_str().unwrap(),
                "--outfile",
                lock.to_str().unwrap(),
            ],
            &self.tmp.path().join("cache"),
        );
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(code), "stderr:\n{stderr}");
        for n in needles {
            assert!(stderr.contains(n), "stderr lacks {n:?}:\n{stderr}");
        }
        assert_eq!(read(&lock), OLD_LOCK, "the existing lockfile was modified");
        let leftovers: Vec<_> = std::fs::read_dir(self.tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".tmp") || n.contains("rpms.lock.yaml."))
            .collect();
        assert!(
            leftovers.is_empty(),
            "temp files left behind: {leftovers:?}"
        );
        stderr
    }

    /// The path of repodata file `kind` (e.g. primary), from repomd.xml.
    fn data_file(&self, kind: &str) -> PathBuf {
        let repomd = read(&self.repo().join("repodata/repomd.xml"));
        let block = data_block(&repomd, kind);
        let href = between(block, "href=\"", "\"");
        self.repo().join(href)
    }

    /// Replaces data file `kind` with `bytes` and updates repomd's checksum and size,
    /// so only the content itself is bad.
    fn replace_data(&self, kind: &str, bytes: &[u8]) {
        let path = self.data_file(kind);
        std::fs::write(&path, bytes).unwrap();
        let repomd_path = self.repo().join("repodata/repomd.xml");
        let repomd = read(&repomd_path);
        let block = data_block(&repomd, kind).to_string();
        let old_sum = between(&block, "<checksum type=\"sha256\">", "<");
        let mut new_block = block.replace(
            &format!(">{old_sum}<"),
            &format!(">{}<", hex(&Sha256::digest(bytes))),
        );
        if let Some(size) = block
            .split("<size>")
            .nth(1)
            .and_then(|s| s.split('<').next())
        {
            new_block = new_block.replace(
                &format!("<size>{size}<"),
                &format!("<size>{}<", bytes.len()),
            );
        }
        std::fs::write(&repomd_path, repomd.replace(&block, &new_block)).unwrap();
    }
}

fn data_block<'a>(repomd: &'a str, kind: &str) -> &'a str {
    let start = repomd
        .find(&format!("<data type=\"{kind}\">"))
        .unwrap_or_else(|| panic!("no {kind} in repomd"));
    let end = start + repomd[start..].find("</data>").unwrap();
    &repomd[start..end]
}

fn between<'a>(s: &'a str, a: &str, b: &str) -> &'a str {
    let i = s.find(a).unwrap_or_else(|| panic!("{a} not in {s}")) + a.len();
    &s[i..i + s[i..].find(b).unwrap()]
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

#[test]
fn yaml_syntax_error_names_file_and_line() {
    let case = Case::new("base/x86_64");
    let input = case.write_input("contentOrigin:\n  repos: [\npackages: foo\n");
    case.expect_failure(&input, 2, &["rpms.in.yaml", "line"]);
}

#[test]
fn unknown_key_is_named() {
    let case = Case::new("base/x86_64");
    let input = case.write_input(
        "contentOrigin:\n  repos:\n    - repoid: r\n      baseurl: /nowhere\npackages: [a]\npackagez: [b]\n",
    );
    case.expect_failure(&input, 2, &["packagez"]);
}

#[test]
fn repomd_404() {
    let case = Case::new("base/x86_64");
    let server = Server::start(&case.tmp.path().join("www"));
    let input = case.input_for(&format!("{}/missing", server.url()), "chain-a");
    case.expect_failure(
        &input,
        2,
        &["404", "/missing/repodata/repomd.xml", "testrepo"],
    );
}

#[test]
fn server_500() {
    let case = Case::new("base/x86_64");
    let server = Server::start_with(
        &case.tmp.path().join("www"),
        Faults {
            status_500: vec!["repomd.xml".into()],
            ..Default::default()
        },
    );
    let input = case.input_for(&format!("{}/repo", server.url()), "chain-a");
    case.expect_failure(&input, 2, &["500", "repomd.xml"]);
}

#[test]
fn connection_refused() {
    let case = Case::new("base/x86_64");
    // Bind and drop to get a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let input = case.input_for(&format!("http://127.0.0.1:{port}/repo"), "chain-a");
    let stderr = case.expect_failure(&input, 2, &[&format!("127.0.0.1:{port}")]);
    assert!(stderr.to_lowercase().contains("refused"), "{stderr}");
}

#[test]
fn corrupt_gzip_names_the_file() {
    let case = Case::new("base/x86_64");
    let mut bytes = std::fs::read(case.data_file("primary")).unwrap();
    // Damage the CRC-32 trailer: the XML inflates fine, the gzip integrity check fails.
    let crc = bytes.len() - 8;
    for b in &mut bytes[crc..crc + 4] {
        *b ^= 0x5a;
    }
    case.replace_data("primary", &bytes);
    let server = Server::start(&case.tmp.path().join("www"));
    let input = case.input_for(&format!("{}/repo", server.url()), "chain-a");
    case.expect_failure(&input, 2, &["primary.xml.gz", "cannot decompress gzip"]);
}

#[test]
fn truncated_zstd_names_the_file() {
    let case = Case::new("compress-zst");
    let bytes = std::fs::read(case.data_file("primary")).unwrap();
    assert_eq!(
        &bytes[..4],
        &[0x28, 0xb5, 0x2f, 0xfd],
        "compress-zst's primary is zstd"
    );
    case.replace_data("primary", &bytes[..bytes.len() * 2 / 3]);
    let server = Server::start(&case.tmp.path().join("www"));
    let input = case.input_for(&format!("{}/repo", server.url()), "zst-hello");
    case.expect_failure(&input, 2, &["primary.xml.zst", "cannot decompress zstd"]);
}

#[test]
fn checksum_mismatch_names_the_url() {
    let case = Case::new("base/x86_64");
    let path = case.data_file("primary");
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    let server = Server::start(&case.tmp.path().join("www"));
    let input = case.input_for(&format!("{}/repo", server.url()), "chain-a");
    case.expect_failure(&input, 2, &["checksum mismatch", "primary.xml.gz"]);
}

#[test]
fn malformed_xml_reports_a_byte_offset() {
    let case = Case::new("base/x86_64");
    let xml = b"<?xml version=\"1.0\"?>\n<metadata xmlns=\"http://linux.duke.edu/metadata/common\" packages=\"1\">\n<package type=\"rpm\"><name>x</name></oops></metadata>\n";
    case.replace_data("primary", &gzip(xml));
    let server = Server::start(&case.tmp.path().join("www"));
    let input = case.input_for(&format!("{}/repo", server.url()), "chain-a");
    case.expect_failure(
        &input,
        2,
        &[
            "primary.xml.gz",
            "invalid metadata at byte",
            "malformed XML",
        ],
    );
}

#[test]
fn unknown_package_exits_1() {
    let case = Case::new("base/x86_64");
    let server = Server::start(&case.tmp.path().join("www"));
    let input = case.input_for(&format!("{}/repo", server.url()), "no-such-package");
    case.expect_failure(&input, 1, &["No match for argument: no-such-package"]);
}

#[test]
fn unsolvable_request_exits_1_with_dnf_problems() {
    let case = Case::new("base/x86_64");
    let server = Server::start(&case.tmp.path().join("www"));
    let input = case.input_for(&format!("{}/repo", server.url()), "broken");
    case.expect_failure(&input, 1, &["Problem", "nothing provides"]);
}

#[test]
fn excluded_package_exits_1_naming_the_spec() {
    let case = Case::new("base/x86_64");
    let server = Server::start(&case.tmp.path().join("www"));
    let input = case.write_input(&format!(
        "contentOrigin:\n  repos:\n    - repoid: testrepo\n      baseurl: {}/repo\n      excludepkgs: \"chain-*\"\npackages: [chain-a, no-such-package]\narches: [x86_64]\ncontext:\n  bare: true\n",
        server.url()
    ));
    case.expect_failure(
        &input,
        1,
        &[
            "All matches were filtered out by exclude filtering for argument: chain-a",
            "No match for argument: no-such-package",
        ],
    );
}

#[test]
fn non_numeric_priority_is_named() {
    let case = Case::new("base/x86_64");
    let server = Server::start(&case.tmp.path().join("www"));
    let input = case.write_input(&format!(
        "contentOrigin:\n  repos:\n    - repoid: testrepo\n      baseurl: {}/repo\n      priority: high\npackages: [chain-a]\narches: [x86_64]\ncontext:\n  bare: true\n",
        server.url()
    ));
    case.expect_failure(&input, 2, &["testrepo", "priority", "high"]);
}

#[test]
fn offline_without_cache_fails_clearly() {
    let case = Case::new("base/x86_64");
    let input = case.input_for("http://127.0.0.1:9/repo", "chain-a");
    let lock = case.tmp.path().join("rpms.lock.yaml");
    let out = rpmlock(
        &[
            "lock",
            input.to_str().unwrap(),
            "--outfile",
            lock.to_str().unwrap(),
            "--offline",
        ],
        &case.tmp.path().join("cache"),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("testrepo") && stderr.contains("cache"),
        "{stderr}"
    );
    assert_eq!(read(&lock), OLD_LOCK);
}

#[test]
fn unknown_cli_arch_is_named() {
    let case = Case::new("base/x86_64");
    let input = case.input_for("http://127.0.0.1:9/repo", "chain-a");
    let lock = case.tmp.path().join("rpms.lock.yaml");
    let out = rpmlock(
        &[
            "lock",
            input.to_str().unwrap(),
            "--outfile",
            lock.to_str().unwrap(),
            "--arch",
            "x86-64",
        ],
        &case.tmp.path().join("cache"),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("unknown arch `x86-64`"), "{stderr}");
    assert_eq!(read(&lock), OLD_LOCK);
}

#[test]
fn missing_context_is_explained() {
    let case = Case::new("base/x86_64");
    let input = case.write_input(
        "contentOrigin:\n  repos:\n    - repoid: r\n      baseurl: /nowhere\npackages: [a]\n",
    );
    case.expect_failure(&input, 2, &["no context given", "--bare"]);
}

/// An input with `repofiles: [FILES]`, bare, x86_64, chain-a.
fn repofile_input(case: &Case, files: &str) -> PathBuf {
    case.write_input(&format!(
        "contentOrigin:\n  repofiles: [{files}]\npackages: [chain-a]\narches: [x86_64]\ncontext:\n  bare: true\n"
    ))
}

#[test]
fn missing_repofile_is_named() {
    let case = Case::new("base/x86_64");
    let input = repofile_input(&case, "nope.repo");
    case.expect_failure(
        &input,
        2,
        &[
            "rpms.in.yaml: contentOrigin.repofiles: cannot read",
            "nope.repo",
            "no such file",
        ],
    );
    let input = repofile_input(&case, "'conf.d/*.repo'");
    case.expect_failure(&input, 2, &["`conf.d/*.repo` matches no file"]);
}

#[test]
fn non_ini_repofile_names_file_and_line() {
    let case = Case::new("base/x86_64");
    std::fs::write(
        case.tmp.path().join("bad.repo"),
        "[testrepo]\nbaseurl=file:///nowhere\nname: Colon style\n",
    )
    .unwrap();
    let input = repofile_input(&case, "bad.repo");
    case.expect_failure(
        &input,
        2,
        &[
            "bad.repo:3: not a dnf .repo file (INI)",
            "dnf does not accept `key: value`",
        ],
    );
}

#[test]
fn remote_repofile_errors() {
    let case = Case::new("base/x86_64");
    std::fs::write(case.tmp.path().join("www/page.repo"), "<html>oops</html>\n").unwrap();
    let server = Server::start(&case.tmp.path().join("www"));
    let input = repofile_input(&case, &format!("'{}/missing.repo'", server.url()));
    case.expect_failure(
        &input,
        2,
        &[
            "contentOrigin.repofiles: cannot fetch",
            "missing.repo",
            "404",
        ],
    );
    let url = format!("{}/page.repo", server.url());
    let input = repofile_input(&case, &format!("'{url}'"));
    case.expect_failure(
        &input,
        2,
        &[&format!(
            "{url}:1: not a dnf .repo file (INI): expected a `[section]` header"
        )],
    );
}

#[test]
fn undefined_variable_is_named() {
    let case = Case::new("base/x86_64");
    let input = case.write_input(
        "contentOrigin:\n  repos:\n    - repoid: r\n      baseurl: /nowhere\npackages: [chain-a, '{PKG}']\nvariables:\n  - inline: {PKGS: x}\narches: [x86_64]\ncontext:\n  bare: true\n",
    );
    case.expect_failure(
        &input,
        2,
        &["rpms.in.yaml: packages[1]: variable `{PKG}` is not defined in `variables`"],
    );
}

#[test]
fn malformed_repo_option_names_repo_and_option() {
    let case = Case::new("base/x86_64");
    let input = case.write_input(&format!(
        "contentOrigin:\n  repos:\n    - repoid: testrepo\n      baseurl: {}\n      priority: abc\npackages: [chain-a]\narches: [x86_64]\ncontext:\n  bare: true\n",
        case.repo().display()
    ));
    case.expect_failure(
        &input,
        2,
        &["repo testrepo: priority: `abc` is not an integer"],
    );
}

/// A remote repofile is cached: `--offline` reuses it; without a cached copy `--offline`
/// fails naming the URL.
#[test]
fn remote_repofile_offline() {
    let case = Case::new("base/x86_64");
    std::fs::write(
        case.tmp.path().join("www/r.repo"),
        "[testrepo]\nbaseurl=@REPOS@/repo\n",
    )
    .unwrap();
    let server = Server::start(&case.tmp.path().join("www"));
    let input = repofile_input(&case, &format!("'{}/r.repo'", server.url()));
    let out_path = case.tmp.path().join("new.lock.yaml");
    let cache = case.tmp.path().join("cache");
    let lock = |extra: &[&str]| {
        let mut args = vec![
            "lock",
            input.to_str().unwrap(),
            "--outfile",
            out_path.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        rpmlock(&args, &cache)
    };
    let out = lock(&[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let online = read(&out_path);
    assert!(online.contains("name: chain-a"), "{online}");
    drop(server);
    std::fs::remove_file(&out_path).unwrap();
    let out = lock(&["--offline"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(read(&out_path), online);
    std::fs::remove_dir_all(&cache).unwrap();
    std::fs::remove_file(&out_path).unwrap();
    let out = lock(&["--offline"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    for needle in [
        "cannot fetch",
        "/r.repo",
        "is not in the cache (offline mode)",
    ] {
        assert!(
            stderr.contains(needle),
            "stderr lacks {needle:?}:\n{stderr}"
        );
    }
    assert!(!out_path.exists());
}

#[test]
fn unknown_group_exits_1() {
    let case = Case::new("groups");
    let server = Server::start(&case.tmp.path().join("www"));
    let input = case.input_for(&format!("{}/repo", server.url()), "\"@nosuch\", grp-web");
    case.expect_failure(
        &input,
        1,
        &[
            "failed to resolve packages for x86_64",
            "Module or Group 'nosuch' is not available.",
        ],
    );
}

#[test]
fn invalid_group_package_type_exits_1() {
    let case = Case::new("groups");
    let server = Server::start(&case.tmp.path().join("www"));
    let input = case.input_for(&format!("{}/repo", server.url()), "\"@base-tools/bogus\"");
    case.expect_failure(
        &input,
        1,
        &["invalid comps package type \"bogus\" in @base-tools/bogus"],
    );
}

/// Comps are read only for `@` specs: broken comps fail those (naming the file and
/// the byte offset) and nothing else.
#[test]
fn malformed_comps_fails_only_group_requests() {
    let case = Case::new("groups");
    case.replace_data(
        "group_gz",
        &gzip(b"<comps>\n<group><id>base-tools</id></grp></comps>\n"),
    );
    let server = Server::start(&case.tmp.path().join("www"));
    let url = format!("{}/repo", server.url());
    let input = case.input_for(&url, "\"@base-tools\"");
    case.expect_failure(
        &input,
        2,
        &[
            "groups.xml.gz: invalid metadata at byte 34",
            "malformed XML",
        ],
    );
    let input = case.input_for(&url, "grp-web");
    let out = rpmlock(
        &["lock", input.to_str().unwrap(), "--outfile", "-"],
        &case.tmp.path().join("cache"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("name: grp-web"));
}

#[test]
fn malformed_modules_yaml_names_the_repo_and_file() {
    let case = Case::new("modular");
    case.replace_data(
        "modules",
        &gzip(b"---\ndocument: modulemd\nversion: 2\ndata: [\n"),
    );
    let server = Server::start(&case.tmp.path().join("www"));
    let input = case.input_for(&format!("{}/repo", server.url()), "modapp");
    case.expect_failure(
        &input,
        2,
        &[
            "repo 'testrepo': malformed modules metadata",
            "modules.yaml.gz",
            "document 1",
        ],
    );
}

#[test]
fn modular_package_from_a_repo_without_modules_metadata_is_an_error() {
    let case = Case::new("modular");
    // A copy of the modular repo whose repomd.xml lists no modules file, preferred by
    // priority: its modapp is an artifact of the other repo's modapp:1.
    let copy = case.tmp.path().join("www/copy");
    copy_tree(&case.repo(), &copy);
    let repomd_path = copy.join("repodata/repomd.xml");
    let repomd = read(&repomd_path);
    let block = data_block(&repomd, "modules").to_string();
    std::fs::write(&repomd_path, repomd.replace(&format!("{block}</data>"), "")).unwrap();
    let server = Server::start(&case.tmp.path().join("www"));
    let input = case.write_input(&format!(
        "contentOrigin:\n  repos:\n    - repoid: withmodules\n      baseurl: {0}/repo\n    - repoid: nomodules\n      baseurl: {0}/copy\n      priority: 1\npackages: [modapp]\narches: [x86_64]\ncontext:\n  bare: true\n",
        server.url()
    ));
    case.expect_failure(
        &input,
        2,
        &["repo 'nomodules': modapp-1.0-1.module_el8.1.noarch is a modular package, but the repo has no modules metadata"],
    );
}

#[test]
fn unknown_module_stream_exits_1_in_dnfs_words() {
    let case = Case::new("modular");
    let server = Server::start(&case.tmp.path().join("www"));
    let input = case.input_for(&format!("{}/repo", server.url()), "'@modapp:9'");
    case.expect_failure(&input, 1, &["Module or Group 'modapp:9' is not available."]);
}

#[test]
fn corrupt_modules_gzip_names_the_file() {
    let case = Case::new("modular");
    let mut bytes = std::fs::read(case.data_file("modules")).unwrap();
    let crc = bytes.len() - 8;
    for b in &mut bytes[crc..crc + 4] {
        *b ^= 0x5a;
    }
    case.replace_data("modules", &bytes);
    let server = Server::start(&case.tmp.path().join("www"));
    let input = case.input_for(&format!("{}/repo", server.url()), "modapp");
    case.expect_failure(&input, 2, &["modules.yaml.gz", "cannot decompress gzip"]);
}

#[test]
fn a_spec_hidden_by_modular_filtering_says_so() {
    let case = Case::new("modular");
    let server = Server::start(&case.tmp.path().join("www"));
    // moddep has no default stream and nothing enables it.
    let input = case.input_for(&format!("{}/repo", server.url()), "moddep");
    case.expect_failure(
        &input,
        1,
        &["All matches were filtered out by modular filtering for argument: moddep"],
    );
}

/// Contexts that cannot be read: each a clear error (exit 2) naming the root or the
/// database directory, the existing lockfile untouched.
#[test]
fn unreadable_contexts_are_named() {
    let case = Case::new("base/x86_64");
    let url = format!("file://{}", case.repo().display());
    let with_context = |context: &str| {
        case.write_input(&format!(
            "contentOrigin:\n  repos:\n    - repoid: testrepo\n      baseurl: {url}\npackages: [chain-a]\narches: [x86_64]\ncontext: {context}\n"
        ))
    };
    let root = case.tmp.path().join("root");
    // A root without an rpm database.
    std::fs::create_dir_all(root.join("etc")).unwrap();
    let input = with_context(&format!("{{rootfs: {}}}", root.display()));
    case.expect_failure(
        &input,
        2,
        &[&format!(
            "context root {}: no rpm database found (looked for rpmdb.sqlite, Packages or Packages.db in /usr/lib/sysimage/rpm, /var/lib/rpm, /usr/share/rpm)",
            root.display()
        )],
    );
    // A root that does not exist.
    let missing = case.tmp.path().join("no-such-root");
    let input = with_context(&format!("{{rootfs: {}}}", missing.display()));
    case.expect_failure(
        &input,
        2,
        &[&format!(
            "context root {}: not a directory",
            missing.display()
        )],
    );
    // A corrupt sqlite database, then a corrupt Berkeley DB one.
    for file in ["rpmdb.sqlite", "Packages"] {
        let db = root.join("var/lib/rpm");
        let _ = std::fs::remove_dir_all(&db);
        std::fs::create_dir_all(&db).unwrap();
        std::fs::write(db.join(file), vec![0x5a; 16384]).unwrap();
        let input = with_context(&format!("{{rootfs: {}}}", root.display()));
        case.expect_failure(
            &input,
            2,
            &[&format!("cannot read the rpm database in {}", db.display())],
        );
        // Nothing was written into the context root.
        let files: Vec<_> = std::fs::read_dir(&db).unwrap().collect();
        assert_eq!(files.len(), 1, "{file}: the context root was written to");
    }
    // The local system can only be resolved for the host arch.
    let other = if cfg!(target_arch = "s390x") {
        "aarch64"
    } else {
        "s390x"
    };
    let input = case.write_input(&format!(
        "contentOrigin:\n  repos:\n    - repoid: testrepo\n      baseurl: {url}\npackages: [chain-a]\narches: [{other}]\ncontext: {{localSystem: true}}\n"
    ));
    case.expect_failure(
        &input,
        2,
        &[&format!(
            "only {} can be resolved against it, not {other}",
            std::env::consts::ARCH
        )],
    );
    // An image whose registry does not answer: named, exit 2.
    let input = with_context("{image: '127.0.0.1:9/ubi9:latest'}");
    case.expect_failure(&input, 2, &["127.0.0.1:9/ubi9:latest"]);
}

/// An input over `base/x86_64` with `extra` keys and the files `files` beside it.
fn containerfile_case(extra: &str, files: &[(&str, &str)]) -> (Case, PathBuf) {
    let case = Case::new("base/x86_64");
    for (name, text) in files {
        let path = case.tmp.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let input = case.write_input(&format!(
        "contentOrigin:\n  repos:\n    - repoid: r\n      baseurl: www/repo\narches: [x86_64]\n{extra}"
    ));
    (case, input)
}

#[test]
fn missing_containerfile_is_named() {
    let (case, input) = containerfile_case(
        "packagesFromContainerfile: Containerfile.missing\ncontext: {bare: true}\n",
        &[],
    );
    case.expect_failure(&input, 2, &["Containerfile.missing", "cannot read"]);
}

#[test]
fn missing_copied_script_names_containerfile_line_and_script() {
    let (case, input) = containerfile_case(
        "packagesFromContainerfile: Containerfile\ncontext: {bare: true}\n",
        &[(
            "Containerfile",
            "FROM registry.example.com/ubi9\nCOPY hack/setup.sh /usr/local/bin/\nRUN setup.sh\n",
        )],
    );
    case.expect_failure(&input, 2, &["Containerfile:3", "setup.sh", "does not exist"]);
}

#[test]
fn undeclared_arg_in_from_names_the_line() {
    let (case, input) = containerfile_case(
        "context:\n  containerfile: Containerfile\n",
        &[(
            "Containerfile",
            "ARG TAG=9\nFROM registry.example.com/ubi${TAG}:${MINOR}\nRUN dnf install -y chain-a\n",
        )],
    );
    case.expect_failure(&input, 2, &["Containerfile:2", "ARG `MINOR`"]);
}

#[test]
fn unknown_stage_lists_the_stages() {
    let (case, input) = containerfile_case(
        "packagesFromContainerfile: {file: Containerfile, stageName: buildr}\ncontext: {bare: true}\n",
        &[(
            "Containerfile",
            "FROM registry.example.com/ubi9 AS builder\nRUN dnf install -y chain-a\nFROM registry.example.com/ubi9-minimal\n",
        )],
    );
    case.expect_failure(&input, 2, &["Containerfile", "no stage matches stageName `buildr`", "builder"]);
}

#[test]
fn treefile_include_loop_names_the_chain() {
    let (case, input) = containerfile_case(
        "context: {rpmOstreeTreefile: a.yaml}\n",
        &[
            ("a.yaml", "include: b.yaml\npackages: [chain-a]\n"),
            ("b.yaml", "include: [a.yaml]\n"),
        ],
    );
    case.expect_failure(&input, 2, &["treefile include loop", "a.yaml -> ", "b.yaml -> "]);
}

#[test]
fn invalid_container_yaml_names_file_and_key() {
    let (case, input) = containerfile_case(
        "packages: [chain-a]\ncontext: {bare: true, flatpak: true}\n",
        &[(
            "container.yaml",
            "flatpak:\n  packages:\n  - {platforms: {only: x86_64}}\n",
        )],
    );
    case.expect_failure(
        &input,
        2,
        &["container.yaml: flatpak.packages[0].name: missing package name"],
    );
    let (case, input) = containerfile_case(
        "packages: [chain-a]\ncontext: {bare: true, flatpak: true}\n",
        &[("container.yaml", "flatpak: {packages: [a\n")],
    );
    case.expect_failure(&input, 2, &["container.yaml: invalid YAML"]);
}
