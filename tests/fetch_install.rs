//! `rpmlock fetch` and `rpmlock sbom` end to end: the demo is locked, fetched into a
//! local tree whose repodata rpmlock wrote itself, and Debian's dnf installs from it
//! offline into a root that `rpmlock verify` then finds clean. A resumed fetch
//! downloads only what is missing or damaged (requests counted on the server); a
//! server handing out the wrong file is named and leaves nothing behind; a
//! client-certificate repo is fetched with the input's settings. The SBOMs list every
//! locked package once with a well-formed purl and validate against the official
//! CycloneDX 1.6 and SPDX 2.3 JSON schemas (vendored in tests/data/sbom).

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::nginx::{Nginx, Pki};
use support::{Faults, Server, copy_tree, rpmlock, rpmlock_env, workspace};

#[track_caller]
fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Locks `input` into `dir/rpms.lock.yaml`.
fn lock(dir: &Path, input: &Path) -> PathBuf {
    let lockfile = dir.join("rpms.lock.yaml");
    ok(&rpmlock(
        &["lock", s(input), "--outfile", s(&lockfile)],
        &dir.join("cache"),
    ));
    lockfile
}

/// `rpmlock fetch INPUT --lockfile LOCK --dest DEST ARGS...`.
fn fetch(dir: &Path, input: Option<&Path>, lockfile: &Path, dest: &Path, args: &[&str]) -> Output {
    let mut all = vec!["fetch", "--lockfile", s(lockfile), "--dest", s(dest)];
    if let Some(i) = input {
        all.push(s(i));
    }
    all.extend_from_slice(args);
    rpmlock(&all, &dir.join("cache"))
}

/// The lock's entries: (arch section, kind, name, evr, file arch, repoid, file name).
fn lock_entries(lockfile: &Path) -> Vec<BTreeMap<&'static str, String>> {
    let v: serde_yaml::Value = serde_yaml::from_str(&support::read(lockfile)).unwrap();
    let mut out = Vec::new();
    for arch in v["arches"].as_sequence().unwrap() {
        for kind in ["packages", "source"] {
            for p in arch[kind].as_sequence().cloned().unwrap_or_default() {
                let url = p["url"].as_str().unwrap().to_string();
                let file = url.rsplit('/').next().unwrap().to_string();
                let file_arch = file
                    .strip_suffix(".rpm")
                    .unwrap()
                    .rsplit_once('.')
                    .unwrap()
                    .1
                    .to_string();
                let mut e = BTreeMap::new();
                e.insert("section", arch["arch"].as_str().unwrap().to_string());
                e.insert("kind", kind.to_string());
                e.insert("name", p["name"].as_str().unwrap().to_string());
                e.insert("evr", p["evr"].as_str().unwrap().to_string());
                e.insert("arch", file_arch);
                e.insert("repoid", p["repoid"].as_str().unwrap().to_string());
                e.insert("file", file);
                e.insert("url", url);
                e.insert("checksum", p["checksum"].as_str().unwrap().to_string());
                out.push(e);
            }
        }
    }
    out
}

/// Installs `packages` with Debian's dnf from the fetched tree of x86_64 only (no
/// network: every other repo is disabled), into `root`, with the rpm database at
/// /var/lib/rpm (Debian's rpm defaults to ~/.rpmdb; a private HOME's .rpmmacros says
/// otherwise).
fn dnf_install(tree: &Path, repoids: &[&str], root: &Path, packages: &[&str]) {
    let work = root.with_extension("dnf");
    std::fs::create_dir_all(work.join("home")).unwrap();
    std::fs::create_dir_all(root).unwrap();
    std::fs::write(work.join("home/.rpmmacros"), "%_dbpath /var/lib/rpm\n").unwrap();
    let mut cmd = Command::new("dnf");
    cmd.env("HOME", work.join("home"))
        .arg("-y")
        .arg(format!("--installroot={}", root.display()))
        .arg("--releasever=1")
        .arg(format!(
            "--setopt=reposdir={}",
            tree.join("x86_64").display()
        ))
        .arg(format!(
            "--setopt=cachedir={}",
            work.join("cache").display()
        ))
        .arg("--setopt=tsflags=noscripts")
        .arg("--disablerepo=*")
        .arg("--forcearch=x86_64")
        .arg("--nogpgcheck");
    for r in repoids {
        cmd.arg(format!("--enablerepo={r}"));
    }
    let out = cmd.arg("install").args(packages).output().expect("run dnf");
    ok(&out);
}

/// Locks `packages` again, from the fetched folders `repoids` of `tree` (x86_64): the
/// generated repodata read by rpmlock's own parsers and libsolv.
fn relock_from_tree(dir: &Path, tree: &Path, repoids: &[&str], extra: &str) -> PathBuf {
    let again = dir.join("again");
    std::fs::create_dir_all(&again).unwrap();
    let mut text = String::from("contentOrigin:\n  repos:\n");
    for r in repoids {
        text.push_str(&format!(
            "    - repoid: {r}\n      baseurl: {}\n",
            std::path::absolute(tree.join("x86_64").join(r))
                .unwrap()
                .display()
        ));
    }
    text.push_str(extra);
    text.push_str("arches: [x86_64]\ncontext:\n  bare: true\n");
    let input = again.join("rpms.in.yaml");
    std::fs::write(&input, text).unwrap();
    lock(&again, &input)
}

/// A lock's entries for x86_64 without their URLs (which differ between trees).
fn same_packages(lockfile: &Path) -> BTreeSet<Vec<String>> {
    lock_entries(lockfile)
        .into_iter()
        .filter(|e| e["section"] == "x86_64")
        .map(|e| {
            ["kind", "name", "evr", "arch", "repoid", "file", "checksum"]
                .iter()
                .map(|k| e[k].clone())
                .collect()
        })
        .collect()
}

/// The demo input with its repos served over HTTP from `www` (a copy of `repos/`).
fn http_input(dir: &Path, server: &Server) -> PathBuf {
    let input = dir.join("rpms.in.yaml");
    std::fs::write(
        &input,
        format!(
            "contentOrigin:\n  repos:\n    - repoid: base\n      baseurl: {u}/base/$basearch\n    - repoid: updates\n      baseurl: {u}/updates/$basearch\n    - repoid: source\n      baseurl: {u}/source\npackages: [chain-a, webapp]\narches: [x86_64]\ncontext:\n  bare: true\n",
            u = server.url()
        ),
    )
    .unwrap();
    input
}

fn served_copy(dir: &Path) -> PathBuf {
    let www = dir.join("www");
    for repo in ["base", "updates", "source"] {
        copy_tree(&workspace().join("repos").join(repo), &www.join(repo));
    }
    www
}

#[test]
fn fetched_tree_installs_offline_with_dnf_and_verifies_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let input = workspace().join("repos/demo/rpms.in.yaml");
    let lockfile = lock(dir, &input);
    let tree = dir.join("rpms");
    let out = fetch(dir, Some(&input), &lockfile, &tree, &[]);
    ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("already in place"), "{stderr}");

    // Every locked file is at <arch>/<repoid>/<file>.
    let entries = lock_entries(&lockfile);
    assert!(entries.iter().any(|e| e["kind"] == "source"));
    for e in &entries {
        let path = tree.join(&e["section"]).join(&e["repoid"]).join(&e["file"]);
        assert!(path.is_file(), "{} missing", path.display());
    }
    // One section per folder, file:// base URLs.
    let repo = support::read(&tree.join("x86_64/rpmlock.repo"));
    for id in ["base", "updates", "source"] {
        let folder = std::path::absolute(tree.join("x86_64").join(id)).unwrap();
        assert!(repo.contains(&format!("[{id}]\n")), "{repo}");
        assert!(
            repo.contains(&format!("baseurl=file://{}\n", folder.display())),
            "{repo}"
        );
        let repomd = support::read(&tree.join("x86_64").join(id).join("repodata/repomd.xml"));
        for kind in ["primary", "filelists", "other"] {
            assert!(
                repomd.contains(&format!("<data type=\"{kind}\">")),
                "{repomd}"
            );
        }
    }
    assert!(repo.contains("gpgcheck=0") && repo.contains("enabled=1"));

    // Debian's dnf installs the request from the tree alone.
    let root = dir.join("root");
    dnf_install(&tree, &["base", "updates"], &root, &["chain-a", "webapp"]);
    let out = rpmlock(
        &[
            "verify",
            "--lockfile",
            s(&lockfile),
            "--rootfs",
            s(&root),
            "--arch",
            "x86_64",
        ],
        &dir.join("cache"),
    );
    assert_eq!(ok(&out), "", "verify --rootfs finds nothing");

    // rpmlock reading the generated repodata resolves the same packages.
    let again = relock_from_tree(
        dir,
        &tree,
        &["base", "updates", "source"],
        "packages: [chain-a, webapp, weak-main, x86only]\n",
    );
    assert_eq!(same_packages(&again), same_packages(&lockfile));

    // With a prefix, the repo file points there; nothing is fetched again.
    let out = fetch(
        dir,
        Some(&input),
        &lockfile,
        &tree,
        &[
            "--baseurl-prefix",
            "http://cachi2.local/deps/rpm/",
            "--arch",
            "x86_64",
        ],
    );
    ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(": 0 files downloaded"), "{stderr}");
    let repo = support::read(&tree.join("x86_64/rpmlock.repo"));
    assert!(
        repo.contains("baseurl=http://cachi2.local/deps/rpm/x86_64/updates\n"),
        "{repo}"
    );
}

#[test]
fn module_metadata_is_fetched_and_listed_in_the_generated_repodata() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let input = dir.join("rpms.in.yaml");
    std::fs::write(
        &input,
        format!(
            "contentOrigin:\n  repos:\n    - repoid: modular\n      baseurl: {}\npackages: ['@modapp:2/full']\narches: [x86_64]\nnoSources: true\ncontext:\n  bare: true\n",
            workspace().join("repos/modular").display()
        ),
    )
    .unwrap();
    let lockfile = lock(dir, &input);
    assert!(support::read(&lockfile).contains("module_metadata:\n  - url:"));
    let tree = dir.join("rpms");
    ok(&fetch(dir, Some(&input), &lockfile, &tree, &[]));
    let repomd = support::read(&tree.join("x86_64/modular/repodata/repomd.xml"));
    assert!(repomd.contains("<data type=\"modules\">"), "{repomd}");
    // The same stream and profile resolve from the fetched tree, module metadata
    // included.
    let again = relock_from_tree(
        dir,
        &tree,
        &["modular"],
        "packages: ['@modapp:2/full']\nnoSources: true\n",
    );
    assert_eq!(same_packages(&again), same_packages(&lockfile));
    assert!(support::read(&again).contains("module_metadata:\n  - url:"));

    // Without source entries (noSources) the SBOMs still name each source RPM, and
    // validate.
    for (format, schema) in [
        ("cyclonedx", "bom-1.6.schema.json"),
        ("spdx", "spdx-2.3.schema.json"),
    ] {
        let out = rpmlock_env(
            &["sbom", "--lockfile", s(&lockfile), "--format", format],
            &dir.join("cache"),
            &[("SOURCE_DATE_EPOCH", "0")],
        );
        let text = ok(&out);
        let path = dir.join(format!("{format}.json"));
        std::fs::write(&path, &text).unwrap();
        validate(&path, schema);
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        if format == "cyclonedx" {
            for c in doc["components"].as_array().unwrap() {
                let a =
                    parse_purl(c["pedigree"]["ancestors"][0]["purl"].as_str().unwrap()).unwrap();
                assert_eq!(a.qualifiers["arch"], "src");
                assert!(!a.qualifiers.contains_key("repository_id"));
            }
        } else {
            for p in doc["packages"].as_array().unwrap() {
                assert!(
                    p["sourceInfo"].as_str().unwrap().ends_with(".src.rpm"),
                    "{p}"
                );
            }
        }
    }
}

#[test]
fn resumed_fetch_downloads_only_missing_and_damaged_files() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let www = served_copy(dir);
    let faults = Faults::default();
    let server = Server::start_with(&www, faults.clone());
    let input = http_input(dir, &server);
    let lockfile = lock(dir, &input);
    let entries = lock_entries(&lockfile);
    let tree = dir.join("rpms");

    faults.requests.lock().unwrap().clear();
    ok(&fetch(dir, Some(&input), &lockfile, &tree, &[]));
    let rpm_requests = |f: &Faults| -> Vec<String> {
        let mut v: Vec<String> = f
            .requests
            .lock()
            .unwrap()
            .iter()
            .filter(|p| p.ends_with(".rpm"))
            .map(|p| p.rsplit('/').next().unwrap().to_string())
            .collect();
        v.sort();
        v
    };
    assert_eq!(rpm_requests(&faults).len(), entries.len());

    // Interrupted and damaged: one file gone, one cut short, one with a flipped byte.
    let path =
        |e: &BTreeMap<&str, String>| tree.join(&e["section"]).join(&e["repoid"]).join(&e["file"]);
    let (gone, cut, flipped) = (&entries[0], &entries[1], &entries[2]);
    std::fs::remove_file(path(gone)).unwrap();
    let bytes = std::fs::read(path(cut)).unwrap();
    std::fs::write(path(cut), &bytes[..bytes.len() / 3]).unwrap();
    let mut bytes = std::fs::read(path(flipped)).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(path(flipped), &bytes).unwrap();

    faults.requests.lock().unwrap().clear();
    let out = fetch(dir, Some(&input), &lockfile, &tree, &["--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    assert_eq!(report["downloaded"], 3, "{report}");
    assert_eq!(report["reused"], entries.len() - 3, "{report}");
    assert_eq!(report["verify"]["x86_64"]["missing"], serde_json::json!([]));
    let mut want = vec![
        gone["file"].clone(),
        cut["file"].clone(),
        flipped["file"].clone(),
    ];
    want.sort();
    assert_eq!(rpm_requests(&faults), want);
    let out = rpmlock(
        &[
            "verify",
            "--lockfile",
            s(&lockfile),
            "--rpms",
            s(&tree.join("x86_64")),
            "--arch",
            "x86_64",
        ],
        &dir.join("cache"),
    );
    assert_eq!(ok(&out), "");

    // --no-sources: the source folder is neither fetched nor required.
    let tree2 = dir.join("binaries");
    faults.requests.lock().unwrap().clear();
    ok(&fetch(
        dir,
        Some(&input),
        &lockfile,
        &tree2,
        &["--no-sources"],
    ));
    assert!(!tree2.join("x86_64/source").exists());
    assert_eq!(faults.count(".src.rpm"), 0);
}

#[test]
fn wrong_file_from_the_server_is_named_and_not_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let www = served_copy(dir);
    let server = Server::start(&www);
    let input = http_input(dir, &server);
    let lockfile = lock(dir, &input);
    let entries = lock_entries(&lockfile);
    // The server now hands out another package's bytes under one locked name.
    let victim = entries
        .iter()
        .find(|e| e["repoid"] == "base" && e["kind"] == "packages")
        .unwrap();
    let other = entries
        .iter()
        .find(|e| e["kind"] == "packages" && e["file"] != victim["file"])
        .unwrap();
    let served = |e: &BTreeMap<&str, String>| {
        www.join(
            e["url"]
                .strip_prefix(&format!("{}/", server.url()))
                .unwrap(),
        )
    };
    std::fs::copy(served(other), served(victim)).unwrap();

    let tree = dir.join("rpms");
    let out = fetch(dir, Some(&input), &lockfile, &tree, &["--jobs", "1"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&victim["url"]), "{stderr}");
    assert!(stderr.contains("mismatch for"), "{stderr}");
    let folder = tree.join("x86_64/base");
    assert!(!folder.join(&victim["file"]).exists());
    let leftovers: Vec<_> = std::fs::read_dir(&folder)
        .map(|d| d.map(|e| e.unwrap().file_name()).collect())
        .unwrap_or_default();
    assert!(
        leftovers
            .iter()
            .all(|n| !n.to_string_lossy().starts_with(".tmp-")),
        "{leftovers:?}"
    );
}

#[test]
fn client_certificate_repo_is_fetched_with_the_input_settings() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let pki = Pki::generate(&dir.join("pki"));
    std::fs::create_dir_all(dir.join("nginx")).unwrap();
    let nginx = Nginx::start(&pki, &workspace().join("repos"), &dir.join("nginx"));
    let input = dir.join("rpms.in.yaml");
    std::fs::write(
        &input,
        format!(
            "contentOrigin:\n  repos:\n    - repoid: secure\n      baseurl: https://127.0.0.1:{}/base/x86_64/\n      sslcacert: {}\n      sslclientcert: {}\n      sslclientkey: {}\npackages: [chain-a]\narches: [x86_64]\ncontext:\n  bare: true\n",
            nginx.mtls_port,
            pki.path("ca.pem"),
            pki.path("client.pem"),
            pki.path("client.key"),
        ),
    )
    .unwrap();
    let lockfile = lock(dir, &input);
    let tree = dir.join("rpms");
    ok(&fetch(
        dir,
        Some(&input),
        &lockfile,
        &tree,
        &["--no-sources"],
    ));
    let entries = lock_entries(&lockfile);
    for e in entries.iter().filter(|e| e["kind"] == "packages") {
        assert!(tree.join("x86_64/secure").join(&e["file"]).is_file());
    }
    // Without the input's settings the server refuses, and says why.
    let out = fetch(dir, None, &lockfile, &dir.join("other"), &["--no-sources"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("repo 'secure'"), "{stderr}");
}

/// A parsed package URL.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Purl {
    ty: String,
    namespace: String,
    name: String,
    version: String,
    qualifiers: BTreeMap<String, String>,
}

fn percent_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = s.get(i + 1..i + 3).ok_or(format!("short escape in {s}"))?;
                out.push(u8::from_str_radix(hex, 16).map_err(|e| format!("{s}: {e}"))?);
                i += 3;
            }
            b if b.is_ascii_alphanumeric() || b".-_~".contains(&b) => {
                out.push(b);
                i += 1;
            }
            b => return Err(format!("unencoded {:?} in {s}", b as char)),
        }
    }
    String::from_utf8(out).map_err(|e| e.to_string())
}

/// `pkg:type/namespace/name@version?k=v&...` (the subset rpm purls use), checking
/// that qualifier keys are sorted and every component is encoded.
fn parse_purl(s: &str) -> Result<Purl, String> {
    let rest = s.strip_prefix("pkg:").ok_or("no pkg: scheme")?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (path, version) = path.rsplit_once('@').ok_or("no version")?;
    let parts: Vec<&str> = path.split('/').collect();
    let [ty, namespace, name] = parts[..] else {
        return Err(format!("expected type/namespace/name in {s}"));
    };
    let mut qualifiers = BTreeMap::new();
    let mut keys = Vec::new();
    for kv in query.split('&').filter(|kv| !kv.is_empty()) {
        let (k, v) = kv.split_once('=').ok_or(format!("bad qualifier {kv}"))?;
        if k.chars().any(|c| c.is_ascii_uppercase()) {
            return Err(format!("key {k} not lowercase"));
        }
        keys.push(k.to_string());
        qualifiers.insert(k.to_string(), percent_decode(v)?);
    }
    let mut sorted = keys.clone();
    sorted.sort();
    if sorted != keys {
        return Err(format!("qualifiers not sorted in {s}"));
    }
    Ok(Purl {
        ty: ty.to_string(),
        namespace: percent_decode(namespace)?,
        name: percent_decode(name)?,
        version: percent_decode(version)?,
        qualifiers,
    })
}

/// The purl a lock entry must have.
fn expected_purl(e: &BTreeMap<&str, String>, vendor: &str) -> Purl {
    let (epoch, vr) = match e["evr"].split_once(':') {
        Some((ep, vr)) => (Some(ep.to_string()), vr.to_string()),
        None => (None, e["evr"].clone()),
    };
    let mut q = BTreeMap::new();
    q.insert("arch".to_string(), e["arch"].clone());
    q.insert("repository_id".to_string(), e["repoid"].clone());
    if let Some(ep) = epoch.filter(|ep| ep != "0") {
        q.insert("epoch".to_string(), ep);
    }
    Purl {
        ty: "rpm".into(),
        namespace: vendor.into(),
        name: e["name"].clone(),
        version: vr,
        qualifiers: q,
    }
}

/// Validates `doc` against `schema` (a file of tests/data/sbom) with Python's
/// jsonschema, every `$ref` resolved from the vendored files (no network).
fn validate(doc: &Path, schema: &str) {
    let script = r#"
import json, pathlib, sys
from jsonschema import validators
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7
folder = pathlib.Path(sys.argv[1])
resources = []
for f in sorted(folder.glob("*.json")):
    contents = json.loads(f.read_text())
    r = Resource.from_contents(contents, default_specification=DRAFT7)
    resources.append((f.name, r))
    if "$id" in contents:
        resources.append((contents["$id"], r))
registry = Registry().with_resources(resources)
schema = json.loads((folder / sys.argv[2]).read_text())
cls = validators.validator_for(schema)
v = cls(schema, registry=registry, format_checker=cls.FORMAT_CHECKER)
errors = list(v.iter_errors(json.loads(pathlib.Path(sys.argv[3]).read_text())))
for e in errors[:20]:
    print(list(e.absolute_path), e.message[:300])
sys.exit(1 if errors else 0)
"#;
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(workspace().join("tests/data/sbom"))
        .arg(schema)
        .arg(doc)
        .output()
        .expect("python3 with jsonschema (Debian python3-jsonschema)");
    assert!(
        out.status.success(),
        "{} does not validate against {schema}:\n{}{}",
        doc.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn sboms_list_every_locked_package_once_and_validate() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let lockfile = lock(dir, &workspace().join("repos/demo/rpms.in.yaml"));
    let entries = lock_entries(&lockfile);
    let expected: BTreeSet<Purl> = entries.iter().map(|e| expected_purl(e, "acme")).collect();
    let sbom = |format: &str| {
        let out = rpmlock_env(
            &[
                "sbom",
                "--lockfile",
                s(&lockfile),
                "--format",
                format,
                "--vendor",
                "acme",
            ],
            &dir.join("cache"),
            &[("SOURCE_DATE_EPOCH", "1700000000")],
        );
        ok(&out)
    };

    // CycloneDX 1.6.
    let text = sbom("cyclonedx");
    assert_eq!(
        text,
        sbom("cyclonedx"),
        "the same lock gives the same bytes"
    );
    let path = dir.join("bom.cdx.json");
    std::fs::write(&path, &text).unwrap();
    validate(&path, "bom-1.6.schema.json");
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["metadata"]["timestamp"], "2023-11-14T22:13:20Z");
    let components = doc["components"].as_array().unwrap();
    let purls: Vec<Purl> = components
        .iter()
        .map(|c| parse_purl(c["purl"].as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(purls.len(), expected.len(), "each package once");
    assert_eq!(
        purls.iter().collect::<BTreeSet<_>>(),
        expected.iter().collect()
    );
    let by_purl: BTreeMap<&str, &serde_json::Value> = components
        .iter()
        .map(|c| (c["purl"].as_str().unwrap(), c))
        .collect();
    for c in components {
        let purl = parse_purl(c["purl"].as_str().unwrap()).unwrap();
        let e = entries
            .iter()
            .find(|e| expected_purl(e, "acme") == purl)
            .unwrap();
        assert_eq!(c["hashes"][0]["alg"], "SHA-256");
        assert_eq!(
            format!("sha256:{}", c["hashes"][0]["content"].as_str().unwrap()),
            e["checksum"]
        );
        assert_eq!(c["externalReferences"][0]["url"], e["url"].as_str());
        if e["kind"] == "packages" {
            let ancestor = c["pedigree"]["ancestors"][0]["purl"].as_str().unwrap();
            let src = by_purl[ancestor];
            assert_eq!(parse_purl(ancestor).unwrap().qualifiers["arch"], "src");
            assert!(src["name"].is_string(), "the source is a component");
        }
    }

    // SPDX 2.3.
    let text = sbom("spdx");
    let path = dir.join("bom.spdx.json");
    std::fs::write(&path, &text).unwrap();
    validate(&path, "spdx-2.3.schema.json");
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let packages = doc["packages"].as_array().unwrap();
    let purls: Vec<Purl> = packages
        .iter()
        .map(|p| parse_purl(p["externalRefs"][0]["referenceLocator"].as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(purls.len(), expected.len());
    assert_eq!(
        purls.iter().collect::<BTreeSet<_>>(),
        expected.iter().collect()
    );
    let binaries = entries
        .iter()
        .filter(|e| e["kind"] == "packages")
        .map(|e| expected_purl(e, "acme"))
        .collect::<BTreeSet<_>>()
        .len();
    let generated = doc["relationships"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["relationshipType"] == "GENERATED_FROM")
        .count();
    assert_eq!(generated, binaries, "every binary names its source package");

    // An arch the lock does not have.
    let out = rpmlock(
        &["sbom", "--lockfile", s(&lockfile), "--arch", "s390x"],
        &dir.join("cache"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("s390x"));
}
