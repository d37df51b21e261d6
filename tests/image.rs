//! Image contexts against a real registry (Debian's docker-registry on 127.0.0.1):
//! images built here from roots whose rpmdb `rpm --root` filled, pushed over the
//! registry API, pulled by rpmlock-core's `image::fetch_rootfs`; the directory it
//! returns is read back with `rpm --root DIR -qa`.

mod support;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rpmlock_core::image::{ImageError, ImageOptions, fetch_rootfs};
use rpmlock_core::reporter::Reporter;
use support::registry::{
    Compression, Entry, Layer, Registry, list_tree, rpm_qa, rpm_root, tree_entries,
};

const SYSIMAGE: &str = "/usr/lib/sysimage/rpm";
const X86: [&str; 2] = [
    "repos/base/x86_64/Packages/l/libfoo-1.0-1.x86_64.rpm",
    "repos/base/x86_64/Packages/c/chain-c-1.0-1.x86_64.rpm",
];
const ARM: [&str; 1] = ["repos/base/aarch64/Packages/a/app64-1.0-1.aarch64.rpm"];

/// Records download events.
#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

impl Reporter for Recorder {
    fn download_started(&self, label: &str, url: &str, _total: Option<u64>) {
        self.0
            .lock()
            .unwrap()
            .push(format!("started {label} {url}"));
    }
    fn download_finished(&self, url: &str) {
        self.0.lock().unwrap().push(format!("finished {url}"));
    }
}

fn opts(cache: &Path, auth_files: Vec<PathBuf>) -> ImageOptions {
    let mut o = ImageOptions::new(cache.to_path_buf());
    o.auth_files = auth_files;
    o.retry_delay = Duration::ZERO;
    o
}

/// A layer holding an rpmdb with `rpms` at `dbpath`, plus a file outside the rpmdb
/// paths that must not be extracted.
fn rpmdb_layer(tmp: &Path, name: &str, dbpath: &str, rpms: &[&str], c: Compression) -> Layer {
    let root = rpm_root(&tmp.join(name), dbpath, rpms);
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("etc/os-release"), "ID=test\n").unwrap();
    Layer::new(&tree_entries(&root), c)
}

/// amd64 (gzip) and arm64 (zstd) images under one OCI index tagged `1`.
fn push_multi_arch(reg: &Registry, tmp: &Path, repo: &str) -> (String, String, String) {
    let amd = rpmdb_layer(tmp, "amd", SYSIMAGE, &X86, Compression::Gzip);
    let arm = rpmdb_layer(tmp, "arm", SYSIMAGE, &ARM, Compression::Zstd);
    let amd = reg.push_image(repo, None, "amd64", &[amd], false);
    let arm = reg.push_image(repo, None, "arm64", &[arm], false);
    let index = reg.push_index(repo, "1", &[amd.clone(), arm.clone()], false);
    (index, amd.digest, arm.digest)
}

#[test]
fn multi_arch_index_by_tag_and_by_digest() {
    let reg = Registry::start();
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let (index, amd, arm) = push_multi_arch(&reg, tmp.path(), "test/multi");
    let o = opts(&cache, vec![]);
    let reference = format!("{}/test/multi:1", reg.host());

    let x86 = fetch_rootfs(&reference, "x86_64", &o).unwrap();
    assert_eq!(x86.manifest_digest, amd);
    assert_eq!(
        rpm_qa(&x86.path, SYSIMAGE),
        ["chain-c-1.0-1.x86_64", "libfoo-1.0-1.x86_64"]
    );
    // Only the rpmdb paths were extracted.
    assert!(
        list_tree(&x86.path)
            .iter()
            .all(|p| "usr/lib/sysimage/rpm".starts_with(p.as_str())
                || p.starts_with("usr/lib/sysimage/rpm/")),
        "{:?}",
        list_tree(&x86.path)
    );
    assert!(x86.path.join("usr/lib/sysimage/rpm/rpmdb.sqlite").is_file());

    let aarch64 = fetch_rootfs(&reference, "aarch64", &o).unwrap();
    assert_eq!(aarch64.manifest_digest, arm);
    assert_eq!(rpm_qa(&aarch64.path, SYSIMAGE), ["app64-1.0-1.aarch64"]);
    assert_ne!(aarch64.path, x86.path);

    // Pinned by the index digest, and by the platform manifest's digest.
    let pinned = fetch_rootfs(&format!("{}/test/multi@{index}", reg.host()), "x86_64", &o).unwrap();
    assert_eq!(pinned, x86);
    let pinned = fetch_rootfs(
        &format!("{}/test/multi:ignored@{amd}", reg.host()),
        "x86_64",
        &o,
    )
    .unwrap();
    assert_eq!(pinned, x86);

    // Two pulls at once into one fresh cache share it; downloads are reported.
    let shared = tmp.path().join("shared-cache");
    let recorder = Arc::new(Recorder::default());
    let mut o2 = opts(&shared, vec![]);
    o2.reporter = recorder.clone();
    let pulls: Vec<_> = (0..2)
        .map(|_| {
            let (o2, reference) = (o2.clone(), reference.clone());
            std::thread::spawn(move || fetch_rootfs(&reference, "x86_64", &o2).unwrap())
        })
        .collect();
    for p in pulls {
        let got = p.join().unwrap();
        assert_eq!(got.manifest_digest, amd);
        assert_eq!(
            rpm_qa(&got.path, SYSIMAGE),
            ["chain-c-1.0-1.x86_64", "libfoo-1.0-1.x86_64"]
        );
    }
    let events = recorder.0.lock().unwrap().clone();
    assert!(
        events
            .iter()
            .any(|e| e.starts_with("started ") && e.contains("/v2/test/multi/blobs/sha256:")),
        "{events:?}"
    );
    assert_eq!(
        events.iter().filter(|e| e.starts_with("started ")).count(),
        events.iter().filter(|e| e.starts_with("finished ")).count()
    );
    // No temp dirs left behind.
    let leftovers: Vec<_> = std::fs::read_dir(shared.join("image-v1/rootfs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(leftovers, [amd.replace(':', "-")]);

    // Offline: the cache answers a reference pulled before, and only that.
    let mut off = o.clone();
    off.offline = true;
    drop(reg);
    assert_eq!(fetch_rootfs(&reference, "aarch64", &off).unwrap(), aarch64);
    let e = fetch_rootfs(&reference, "ppc64le", &off).unwrap_err();
    assert!(matches!(e, ImageError::NotCached { .. }), "{e}");
}

#[test]
fn missing_arch_and_missing_image_are_named() {
    let reg = Registry::start();
    let tmp = tempfile::tempdir().unwrap();
    push_multi_arch(&reg, tmp.path(), "test/multi");
    let o = opts(&tmp.path().join("cache"), vec![]);
    let reference = format!("{}/test/multi:1", reg.host());

    let e = fetch_rootfs(&reference, "ppc64le", &o).unwrap_err();
    assert!(matches!(e, ImageError::NoMatchingArch { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        format!(
            "image '{reference}' has no manifest for arch ppc64le (linux/ppc64le); it has: linux/amd64, linux/arm64/v8"
        )
    );

    for missing in [
        format!("{}/test/nothing-here:1", reg.host()),
        format!("{}/test/multi:2", reg.host()),
        format!("{}/test/multi@sha256:{}", reg.host(), "0".repeat(64)),
    ] {
        let e = fetch_rootfs(&missing, "x86_64", &o).unwrap_err();
        assert!(matches!(e, ImageError::NotFound { .. }), "{e:?}");
        let text = e.to_string();
        assert!(
            text.starts_with(&format!("image '{missing}' not found: ")),
            "{text}"
        );
        assert!(text.contains("404"), "{text}");
    }

    let e = fetch_rootfs("127.0.0.1:1/x:1", "x86_64", &o).unwrap_err();
    assert!(matches!(e, ImageError::Network { .. }), "{e:?}");
}

#[test]
fn single_arch_image_is_checked_against_its_config() {
    let reg = Registry::start();
    let tmp = tempfile::tempdir().unwrap();
    let layer = rpmdb_layer(tmp.path(), "amd", "/var/lib/rpm", &X86, Compression::None);
    reg.push_image("test/single", Some("v1"), "amd64", &[layer], true);
    let o = opts(&tmp.path().join("cache"), vec![]);
    let reference = format!("{}/test/single:v1", reg.host());
    let root = fetch_rootfs(&reference, "x86_64", &o).unwrap();
    assert_eq!(
        rpm_qa(&root.path, "/var/lib/rpm"),
        ["chain-c-1.0-1.x86_64", "libfoo-1.0-1.x86_64"]
    );
    let e = fetch_rootfs(&reference, "aarch64", &o).unwrap_err();
    assert!(
        e.to_string()
            .ends_with("has no manifest for arch aarch64 (linux/arm64); it has: linux/amd64"),
        "{e}"
    );
}

#[test]
fn corrupt_layers_are_refused() {
    let reg = Registry::start();
    let tmp = tempfile::tempdir().unwrap();
    let o = opts(&tmp.path().join("cache"), vec![]);

    // The registry serves bytes that do not match the digest (storage tampered with).
    let layer = rpmdb_layer(tmp.path(), "a", SYSIMAGE, &X86, Compression::Gzip);
    let layer_digest = support::registry::sha256(&layer.blob);
    reg.push_image("test/tampered", Some("1"), "amd64", &[layer], false);
    let file = reg.blob_file(&layer_digest);
    let mut bytes = std::fs::read(&file).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&file, &bytes).unwrap();
    let reference = format!("{}/test/tampered:1", reg.host());
    let e = fetch_rootfs(&reference, "x86_64", &o).unwrap_err();
    assert!(matches!(e, ImageError::DigestMismatch { .. }), "{e:?}");
    let text = e.to_string();
    assert!(
        text.starts_with(&format!("image '{reference}': layer {layer_digest} is corrupt: expected digest {layer_digest}, got sha256:")),
        "{text}"
    );
    // Nothing of it was cached.
    assert!(!tmp.path().join("cache/image-v1/rootfs").exists());

    // A layer whose digest is right but whose gzip stream is broken.
    let good = rpmdb_layer(tmp.path(), "b", SYSIMAGE, &X86, Compression::Gzip);
    let mut broken = good.blob.clone();
    broken.truncate(broken.len() * 2 / 3);
    let broken_layer = Layer {
        tar: good.tar.clone(),
        blob: broken.clone(),
        compression: Compression::Gzip,
    };
    reg.push_image("test/badgzip", Some("1"), "amd64", &[broken_layer], false);
    let reference = format!("{}/test/badgzip:1", reg.host());
    let e = fetch_rootfs(&reference, "x86_64", &o).unwrap_err();
    assert!(matches!(e, ImageError::CorruptLayer { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        format!(
            "image '{reference}': layer {} is corrupt",
            support::registry::sha256(&broken)
        )
    );
}

#[test]
fn whiteouts_symlinks_and_traversal() {
    let reg = Registry::start();
    let tmp = tempfile::tempdir().unwrap();
    let o = opts(&tmp.path().join("cache"), vec![]);

    // Layer 1: libfoo only, a stale file in the db dir, usr/share/rpm, and var/lib/rpm
    // as an absolute symlink to the real db dir.
    let root1 = rpm_root(&tmp.path().join("l1"), SYSIMAGE, &X86[..1]);
    std::fs::write(root1.join("usr/lib/sysimage/rpm/stale"), "x").unwrap();
    std::fs::create_dir_all(root1.join("usr/share/rpm")).unwrap();
    std::fs::write(root1.join("usr/share/rpm/macros"), "%x 1\n").unwrap();
    std::fs::create_dir_all(root1.join("var/lib")).unwrap();
    std::os::unix::fs::symlink("/usr/lib/sysimage/rpm", root1.join("var/lib/rpm")).unwrap();
    let l1 = Layer::new(&tree_entries(&root1), Compression::Gzip);
    // Layer 2: the db dir made opaque and refilled (libfoo + chain-c), an extra file,
    // usr/share/rpm whited out.
    let root2 = rpm_root(&tmp.path().join("l2"), SYSIMAGE, &X86);
    std::fs::write(root2.join("usr/lib/sysimage/rpm/extra"), "y").unwrap();
    let mut entries = vec![
        Entry::Dir("usr/lib/sysimage/rpm".into()),
        Entry::File("usr/lib/sysimage/rpm/.wh..wh..opq".into(), vec![]),
        Entry::File("usr/share/.wh.rpm".into(), vec![]),
    ];
    entries.extend(tree_entries(&root2));
    let l2 = Layer::new(&entries, Compression::Zstd);
    // Layer 3: the extra file whited out; a file and a hard link to it.
    let l3 = Layer::new(
        &[
            Entry::File("usr/lib/sysimage/rpm/.wh.extra".into(), vec![]),
            Entry::File("usr/lib/sysimage/rpm/note".into(), b"n".to_vec()),
            Entry::HardLink(
                "usr/lib/sysimage/rpm/note2".into(),
                "usr/lib/sysimage/rpm/note".into(),
            ),
        ],
        Compression::None,
    );
    reg.push_image("test/layers", Some("1"), "amd64", &[l1, l2, l3], false);
    let root = fetch_rootfs(&format!("{}/test/layers:1", reg.host()), "x86_64", &o).unwrap();
    let tree = list_tree(&root.path);
    assert!(
        !tree
            .iter()
            .any(|p| p.ends_with("/stale") || p.ends_with("/extra")),
        "{tree:?}"
    );
    assert!(
        !tree.iter().any(|p| p.starts_with("usr/share/rpm")),
        "{tree:?}"
    );
    assert_eq!(
        rpm_qa(&root.path, SYSIMAGE),
        ["chain-c-1.0-1.x86_64", "libfoo-1.0-1.x86_64"]
    );
    assert_eq!(
        std::fs::read(root.path.join("usr/lib/sysimage/rpm/note2")).unwrap(),
        b"n"
    );
    // The absolute symlink was rewritten to stay inside the root, and works.
    assert_eq!(
        std::fs::read_link(root.path.join("var/lib/rpm")).unwrap(),
        Path::new("../../usr/lib/sysimage/rpm")
    );
    assert_eq!(
        rpm_qa(&root.path, "/var/lib/rpm"),
        ["chain-c-1.0-1.x86_64", "libfoo-1.0-1.x86_64"]
    );

    // An entry climbing out of the root is refused.
    let evil = Layer::new(
        &[Entry::RawFile(
            "usr/lib/sysimage/rpm/../../../../../tmp/evil".into(),
            b"x".to_vec(),
        )],
        Compression::Gzip,
    );
    let evil_digest = support::registry::sha256(&evil.blob);
    reg.push_image("test/evil", Some("1"), "amd64", &[evil], false);
    let reference = format!("{}/test/evil:1", reg.host());
    let e = fetch_rootfs(&reference, "x86_64", &o).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "image '{reference}': layer {evil_digest} has an unsafe path 'usr/lib/sysimage/rpm/../../../../../tmp/evil' (path traversal refused)"
        )
    );

    // An image without an rpmdb.
    let plain = Layer::new(
        &[
            Entry::Dir("etc".into()),
            Entry::File("etc/os-release".into(), b"ID=x\n".to_vec()),
        ],
        Compression::Gzip,
    );
    let pushed = reg.push_image("test/nodb", Some("1"), "amd64", &[plain], false);
    let reference = format!("{}/test/nodb:1", reg.host());
    let e = fetch_rootfs(&reference, "x86_64", &o).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "image '{reference}' ({}) has no rpm database (none of usr/lib/sysimage/rpm, var/lib/rpm, usr/share/rpm holds one)",
            pushed.digest
        )
    );
}

#[test]
fn token_auth_with_credentials_from_auth_files() {
    let reg = Registry::start_with_token_auth();
    let tmp = tempfile::tempdir().unwrap();
    let amd = rpmdb_layer(tmp.path(), "amd", SYSIMAGE, &X86, Compression::Gzip);
    let arm = rpmdb_layer(tmp.path(), "arm", SYSIMAGE, &ARM, Compression::Gzip);
    let amd = reg.push_image("private/img", None, "amd64", &[amd], true);
    let arm = reg.push_image("private/img", None, "arm64", &[arm], true);
    reg.push_index("private/img", "1", &[amd.clone(), arm], true);
    let reference = format!("{}/private/img:1", reg.host());
    let auth = reg.token.clone().unwrap();
    let b64 = |s: String| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(s)
    };

    // No credentials: the anonymous token grants nothing.
    let e = fetch_rootfs(&reference, "x86_64", &opts(&tmp.path().join("c0"), vec![])).unwrap_err();
    assert!(matches!(e, ImageError::Unauthorized { .. }), "{e:?}");
    let text = e.to_string();
    assert!(
        text.starts_with(&format!(
            "image '{reference}': unauthorized at {}: 401 Unauthorized",
            reg.host()
        )),
        "{text}"
    );
    assert!(text.contains("log in"), "{text}");

    // Wrong password in a podman auth file: the token server refuses.
    let wrong = tmp.path().join("auth.json");
    std::fs::write(
        &wrong,
        format!(
            r#"{{"auths": {{"{}": {{"auth": "{}"}}}}}}"#,
            reg.host(),
            b64(format!("{}:nope", auth.user))
        ),
    )
    .unwrap();
    let e = fetch_rootfs(
        &reference,
        "x86_64",
        &opts(&tmp.path().join("c1"), vec![wrong.clone()]),
    )
    .unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, ImageError::Unauthorized { .. }), "{e:?}");
    assert!(
        text.contains(&format!(
            "the credentials of user 'puller' from {} were rejected",
            wrong.display()
        )),
        "{text}"
    );
    assert!(!text.contains("nope"), "the password leaked: {text}");

    // Right credentials in a Docker config.json (after a missing file).
    let docker = tmp.path().join("config.json");
    std::fs::write(
        &docker,
        format!(
            r#"{{"auths": {{"http://{}/v1/": {{"auth": "{}"}}}}}}"#,
            reg.host(),
            b64(format!("{}:{}", auth.user, auth.password))
        ),
    )
    .unwrap();
    let before = reg.token_requests();
    let root = fetch_rootfs(
        &reference,
        "x86_64",
        &opts(
            &tmp.path().join("c2"),
            vec![tmp.path().join("missing.json"), docker],
        ),
    )
    .unwrap();
    assert_eq!(root.manifest_digest, amd.digest);
    assert_eq!(
        rpm_qa(&root.path, SYSIMAGE),
        ["chain-c-1.0-1.x86_64", "libfoo-1.0-1.x86_64"]
    );
    // One token for the whole pull.
    assert_eq!(reg.token_requests() - before, 1);
}

/// `rpmlock lock` on an image context, end to end: the per-arch image's installed
/// packages are never locked and satisfy dependencies; `verify --image` with the image
/// as its own base is clean, without a base the image's packages are outside the lock.
#[test]
fn lock_and_verify_on_an_image_context() {
    let reg = Registry::start();
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    push_multi_arch(&reg, t, "test/ctx");
    let reference = format!("{}/test/ctx:1", reg.host());
    let input = t.join("rpms.in.yaml");
    std::fs::write(
        &input,
        format!(
            "contentOrigin:\n  repos:\n    - repoid: base\n      baseurl: {}/$basearch\npackages: [chain-a, libfoo-devel]\narches: [x86_64, aarch64]\nnoSources: true\ncontext:\n  image: '{reference}'\n",
            support::workspace().join("repos/base").display()
        ),
    )
    .unwrap();
    let lockfile = t.join("rpms.lock.yaml");
    let cache = t.join("cache");
    let out = support::rpmlock(
        &[
            "lock",
            input.to_str().unwrap(),
            "-o",
            lockfile.to_str().unwrap(),
        ],
        &cache,
    );
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{err}");
    let lock = support::read(&lockfile);
    let section = |arch: &str| -> String {
        let start = lock.find(&format!("- arch: {arch}")).unwrap();
        let rest = &lock[start + 1..];
        rest[..rest.find("\n- arch:").unwrap_or(rest.len())].to_string()
    };
    let (x86, arm) = (section("x86_64"), section("aarch64"));
    // amd64 has chain-c and libfoo installed: neither is locked nor pulled in again
    // (nor chain-d, which only chain-c needs: installed packages are not repaired).
    assert!(!x86.contains("name: chain-d\n"), "{x86}");
    assert!(arm.contains("name: chain-d\n"), "{arm}");
    for name in ["chain-a", "chain-b", "libfoo-devel"] {
        assert!(x86.contains(&format!("name: {name}\n")), "{name}: {x86}");
    }
    for name in ["chain-c", "libfoo"] {
        assert!(!x86.contains(&format!("name: {name}\n")), "{name}: {x86}");
        // The arm64 image has neither: locked there.
        assert!(arm.contains(&format!("name: {name}\n")), "{name}: {arm}");
    }
    let verify = |extra: &[&str]| {
        let mut args = vec![
            "verify",
            "--lockfile",
            lockfile.to_str().unwrap(),
            "--image",
            &reference,
            "--arch",
            "x86_64",
        ];
        args.extend_from_slice(extra);
        support::rpmlock(&args, &cache)
    };
    let out = verify(&["--base-image", &reference]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = verify(&[]);
    assert_eq!(out.status.code(), Some(1));
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        report.contains("chain-c-1.0-1.x86_64") && report.contains("libfoo-1.0-1.x86_64"),
        "{report}"
    );
}

/// A Containerfile as the context (`context.containerfile` with an argFile): the
/// base image of its last stage (a stage alias resolved, ARGs expanded) is pulled per
/// arch; without `packages` its last stage's packages are requested (deprecated, with
/// the prototype's warning); with `packagesFromContainerfile` and `stageName` those
/// of the named stage, arch conditionals included.
#[test]
fn containerfile_context_and_packages() {
    let reg = Registry::start();
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    push_multi_arch(&reg, t, "test/cf");
    std::fs::write(
        t.join("Containerfile"),
        format!(
            "ARG REGISTRY={}\nARG TAG\nFROM ${{REGISTRY}}/test/cf:${{TAG}} AS base\nRUN dnf install -y chain-a && if [ $(arch) = aarch64 ]; then dnf install -y chain-c; fi\n\nFROM base\nRUN dnf install -y libfoo-devel\n",
            reg.host()
        ),
    )
    .unwrap();
    std::fs::write(t.join("args.conf"), "# build args\nTAG=1\n").unwrap();
    let repos = support::workspace().join("repos/base");
    let write_input = |extra: &str| {
        let input = t.join("rpms.in.yaml");
        std::fs::write(
            &input,
            format!(
                "contentOrigin:\n  repos:\n    - repoid: base\n      baseurl: {}/$basearch\narches: [x86_64, aarch64]\nnoSources: true\ncontext:\n  containerfile: {{file: Containerfile, argFile: args.conf}}\n{extra}",
                repos.display()
            ),
        )
        .unwrap();
        input
    };
    let lockfile = t.join("rpms.lock.yaml");
    let cache = t.join("cache");
    let lock = |input: &Path| {
        let out = support::rpmlock_in(
            t,
            &[
                "lock",
                input.to_str().unwrap(),
                "-o",
                lockfile.to_str().unwrap(),
            ],
            &cache,
            &[],
        );
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{err}");
        let text = support::read(&lockfile);
        let section = |arch: &str| -> Vec<String> {
            let start = text.find(&format!("- arch: {arch}")).unwrap();
            let rest = &text[start + 1..];
            let rest = &rest[..rest.find("\n- arch:").unwrap_or(rest.len())];
            rest.lines()
                .filter_map(|l| l.trim().strip_prefix("name: "))
                .map(str::to_string)
                .collect()
        };
        (err, section("x86_64"), section("aarch64"))
    };

    // Implicit: the last stage's packages; amd64 has libfoo installed.
    let (err, x86, arm) = lock(&write_input(""));
    assert!(
        err.contains("Implicit package extraction from Containerfile is deprecated"),
        "{err}"
    );
    assert_eq!(x86, ["libfoo-devel"]);
    assert_eq!(arm, ["libfoo", "libfoo-devel"]);

    // Explicit, another stage: chain-a everywhere, chain-c on aarch64 only.
    let (err, x86, arm) = lock(&write_input(
        "packagesFromContainerfile: {file: Containerfile, stageName: base}\n",
    ));
    assert!(!err.contains("deprecated"), "{err}");
    assert_eq!(x86, ["chain-a", "chain-b"]);
    assert_eq!(arm, ["chain-a", "chain-b", "chain-c", "chain-d"]);
}
