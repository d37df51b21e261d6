//! Repository metadata for a folder of downloaded RPMs, written from their headers:
//! `primary`, `filelists`, `other` (gzip) and, when the lock has one, `modules`,
//! listed with checksums and sizes in `repodata/repomd.xml`. The package checksum
//! (the `pkgid`) is the locked one, verified when the file was fetched.
//!
//! Output is deterministic: packages sorted by file name, gzip without a time stamp,
//! and every time stamp taken from the packages' build times.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use rpm::{DependencyFlags, FileFlags, FileType};
use sha2::Digest as _;

use super::FetchError;
use crate::model::Checksum;

/// One package of a folder: its file name there and its locked checksum and size.
pub(super) struct RepoPackage<'a> {
    /// File name inside the folder.
    pub(super) file: &'a str,
    /// The locked checksum (`pkgid`).
    pub(super) checksum: &'a Checksum,
    /// The locked size.
    pub(super) size: u64,
}

/// The three XML documents, built package by package.
#[derive(Default)]
struct Documents {
    primary: String,
    filelists: String,
    other: String,
    count: usize,
    /// Latest build time seen (the data files' time stamp).
    newest: u64,
}

/// Writes `dir/repodata/` for `packages` (files in `dir`) and the module metadata
/// file `modules`, if any: into a fresh `repodata.tmp` first, which then replaces
/// any `repodata/` left by an earlier run.
pub(super) fn write(
    dir: &Path,
    packages: &[RepoPackage<'_>],
    modules: Option<&Path>,
) -> Result<(), FetchError> {
    let mut sorted: Vec<&RepoPackage<'_>> = packages.iter().collect();
    sorted.sort_by(|a, b| a.file.cmp(b.file));
    let mut docs = Documents::default();
    for p in sorted {
        let path = dir.join(p.file);
        let header = rpm::PackageMetadata::open(&path).map_err(|source| FetchError::Header {
            path: path.clone(),
            source,
        })?;
        docs.add(&path, &header, p)?;
    }
    let tmp = dir.join("repodata.tmp");
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| FetchError::Io { path, source }
    };
    if tmp.exists() {
        fs_err::remove_dir_all(&tmp).map_err(io(&tmp))?;
    }
    fs_err::create_dir_all(&tmp).map_err(io(&tmp))?;
    let n = docs.count;
    let primary = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<metadata xmlns=\"http://linux.duke.edu/metadata/common\" xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\" packages=\"{n}\">\n{}</metadata>\n",
        docs.primary
    );
    let filelists = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<filelists xmlns=\"http://linux.duke.edu/metadata/filelists\" packages=\"{n}\">\n{}</filelists>\n",
        docs.filelists
    );
    let other = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<otherdata xmlns=\"http://linux.duke.edu/metadata/other\" packages=\"{n}\">\n{}</otherdata>\n",
        docs.other
    );
    let mut entries = Vec::new();
    for (kind, text) in [
        ("primary", primary),
        ("filelists", filelists),
        ("other", other),
    ] {
        entries.push(write_gz(&tmp, kind, text.as_bytes())?);
    }
    if let Some(m) = modules {
        entries.push(copy_modules(&tmp, m)?);
    }
    let mut repomd = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<repomd xmlns=\"http://linux.duke.edu/metadata/repo\" xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\">\n  <revision>{}</revision>\n",
        docs.newest
    );
    for e in &entries {
        let _ = write!(
            repomd,
            "  <data type=\"{}\">\n    <checksum type=\"sha256\">{}</checksum>\n    <open-checksum type=\"sha256\">{}</open-checksum>\n    <location href=\"repodata/{}\"/>\n    <timestamp>{}</timestamp>\n    <size>{}</size>\n    <open-size>{}</open-size>\n  </data>\n",
            e.kind, e.checksum, e.open_checksum, e.file, docs.newest, e.size, e.open_size
        );
    }
    repomd.push_str("</repomd>\n");
    let repomd_path = tmp.join("repomd.xml");
    fs_err::write(&repomd_path, repomd).map_err(io(&repomd_path))?;
    let target = dir.join("repodata");
    if target.exists() {
        fs_err::remove_dir_all(&target).map_err(io(&target))?;
    }
    fs_err::rename(&tmp, &target).map_err(io(&target))?;
    Ok(())
}

/// One `<data>` entry of repomd.xml.
struct DataFile {
    kind: &'static str,
    file: String,
    checksum: String,
    open_checksum: String,
    size: u64,
    open_size: u64,
}

/// Gzips `content` into `dir/<sha256>-<kind>.xml.gz`.
fn write_gz(dir: &Path, kind: &'static str, content: &[u8]) -> Result<DataFile, FetchError> {
    let mut gz = flate2::GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), flate2::Compression::default());
    let io = |path: PathBuf| move |source| FetchError::Io { path, source };
    gz.write_all(content).map_err(io(dir.to_path_buf()))?;
    let bytes = gz.finish().map_err(io(dir.to_path_buf()))?;
    let checksum = hex::encode(sha2::Sha256::digest(&bytes));
    let file = format!("{checksum}-{kind}.xml.gz");
    let path = dir.join(&file);
    fs_err::write(&path, &bytes).map_err(io(path.clone()))?;
    Ok(DataFile {
        kind,
        file,
        checksum,
        open_checksum: hex::encode(sha2::Sha256::digest(content)),
        size: bytes.len() as u64,
        open_size: content.len() as u64,
    })
}

/// Copies the module metadata file `src` (as downloaded, compressed or not) into
/// `dir` as `<sha256>-modules.yaml[.ext]`.
fn copy_modules(dir: &Path, src: &Path) -> Result<DataFile, FetchError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| FetchError::Io { path, source }
    };
    let bytes = fs_err::read(src).map_err(io(src))?;
    let mut open = Vec::new();
    std::io::Read::read_to_end(
        &mut crate::repo::open_decompressed(src).map_err(io(src))?.1,
        &mut open,
    )
    .map_err(io(src))?;
    let checksum = hex::encode(sha2::Sha256::digest(&bytes));
    let name = src
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = ["gz", "xz", "bz2", "zst"]
        .into_iter()
        .find(|e| name.ends_with(&format!(".{e}")))
        .map(|e| format!(".{e}"))
        .unwrap_or_default();
    let file = format!("{checksum}-modules.yaml{ext}");
    let dest = dir.join(&file);
    fs_err::write(&dest, &bytes).map_err(io(&dest))?;
    Ok(DataFile {
        kind: "modules",
        file,
        checksum,
        open_checksum: hex::encode(sha2::Sha256::digest(&open)),
        size: bytes.len() as u64,
        open_size: open.len() as u64,
    })
}

/// Text for XML: `&`, `<`, `>`, `"`, `'` escaped, characters XML 1.0 cannot carry
/// dropped.
fn esc(s: &str) -> String {
    let clean: String = s
        .chars()
        .filter(|&c| matches!(c, '\t' | '\n' | '\r') || c >= ' ')
        .filter(|&c| c != '\u{fffe}' && c != '\u{ffff}')
        .collect();
    quick_xml::escape::escape(clean.as_str()).into_owned()
}

/// A header string that may be absent (`""` then).
fn opt(r: Result<&str, rpm::Error>) -> String {
    r.map(esc).unwrap_or_default()
}

/// `epoch="E" ver="V" rel="R"` of a dependency's version (`[E:]V[-R]`).
fn evr_attrs(evr: &str) -> String {
    let (epoch, rest) = match evr.split_once(':') {
        Some((e, rest)) if !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) => (e, rest),
        _ => ("0", evr),
    };
    match rest.rsplit_once('-') {
        Some((v, r)) => format!(
            " epoch=\"{}\" ver=\"{}\" rel=\"{}\"",
            esc(epoch),
            esc(v),
            esc(r)
        ),
        None => format!(" epoch=\"{}\" ver=\"{}\"", esc(epoch), esc(rest)),
    }
}

/// The comparison of a dependency, as repodata writes it.
fn flags_name(f: DependencyFlags) -> Option<&'static str> {
    let cmp = f & (DependencyFlags::LESS | DependencyFlags::GREATER | DependencyFlags::EQUAL);
    Some(match cmp.bits() {
        x if x == DependencyFlags::EQUAL.bits() => "EQ",
        x if x == DependencyFlags::LESS.bits() => "LT",
        x if x == DependencyFlags::GREATER.bits() => "GT",
        x if x == DependencyFlags::LE.bits() => "LE",
        x if x == DependencyFlags::GE.bits() => "GE",
        _ => return None,
    })
}

/// Whether a file belongs in primary.xml too (as createrepo decides: configuration
/// and binary paths, which dependencies commonly name).
fn primary_file(path: &str) -> bool {
    path.starts_with("/etc/") || path.contains("bin/") || path == "/usr/lib/sendmail"
}

impl Documents {
    fn add(
        &mut self,
        path: &Path,
        h: &rpm::PackageMetadata,
        p: &RepoPackage<'_>,
    ) -> Result<(), FetchError> {
        let header_err = |source| FetchError::Header {
            path: path.to_path_buf(),
            source,
        };
        let name = esc(h.get_name().map_err(header_err)?);
        let arch = if h.is_source_package() {
            "src".to_string()
        } else {
            esc(h.get_arch().map_err(header_err)?)
        };
        let epoch = h.get_epoch().unwrap_or(0);
        let version = esc(h.get_version().map_err(header_err)?);
        let release = esc(h.get_release().map_err(header_err)?);
        let vattrs = format!("epoch=\"{epoch}\" ver=\"{version}\" rel=\"{release}\"");
        let build_time = h.get_build_time().unwrap_or(0);
        self.newest = self.newest.max(build_time);
        let pkgid = &p.checksum.hex;
        let alg = p.checksum.algorithm.as_str();
        let offsets = h.get_package_segment_offsets();
        let files = h.get_file_entries().unwrap_or_default();

        let s = &mut self.primary;
        let _ = write!(
            s,
            "<package type=\"rpm\">\n  <name>{name}</name>\n  <arch>{arch}</arch>\n  <version {vattrs}/>\n  <checksum type=\"{alg}\" pkgid=\"YES\">{pkgid}</checksum>\n  <summary>{}</summary>\n  <description>{}</description>\n  <packager>{}</packager>\n  <url>{}</url>\n  <time file=\"{build_time}\" build=\"{build_time}\"/>\n  <size package=\"{}\" installed=\"{}\" archive=\"0\"/>\n  <location href=\"{}\"/>\n  <format>\n    <rpm:license>{}</rpm:license>\n    <rpm:vendor>{}</rpm:vendor>\n    <rpm:group>{}</rpm:group>\n    <rpm:buildhost>{}</rpm:buildhost>\n    <rpm:sourcerpm>{}</rpm:sourcerpm>\n    <rpm:header-range start=\"{}\" end=\"{}\"/>\n",
            opt(h.get_summary()),
            opt(h.get_description()),
            opt(h.get_packager()),
            opt(h.get_url()),
            p.size,
            h.get_installed_size().unwrap_or(0),
            esc(p.file),
            opt(h.get_license()),
            opt(h.get_vendor()),
            opt(h.get_group()),
            opt(h.get_build_host()),
            if h.is_source_package() {
                String::new()
            } else {
                opt(h.get_source_rpm())
            },
            offsets.header,
            offsets.payload,
        );
        let deps: [(&str, Result<Vec<rpm::Dependency>, rpm::Error>); 8] = [
            ("provides", h.get_provides()),
            ("requires", h.get_requires()),
            ("conflicts", h.get_conflicts()),
            ("obsoletes", h.get_obsoletes()),
            ("suggests", h.get_suggests()),
            ("enhances", h.get_enhances()),
            ("recommends", h.get_recommends()),
            ("supplements", h.get_supplements()),
        ];
        for (tag, list) in deps {
            let list = list.unwrap_or_default();
            let mut seen = std::collections::BTreeSet::new();
            let mut out = String::new();
            for d in &list {
                // rpmlib() capabilities are for rpm itself, not the solver.
                if tag == "requires" && d.name.starts_with("rpmlib(") {
                    continue;
                }
                let pre = tag == "requires"
                    && d.flags.intersects(
                        DependencyFlags::PREREQ
                            | DependencyFlags::SCRIPT_PRE
                            | DependencyFlags::SCRIPT_POST,
                    );
                let mut line = format!("      <rpm:entry name=\"{}\"", esc(&d.name));
                if let Some(f) = flags_name(d.flags) {
                    let _ = write!(line, " flags=\"{f}\"{}", evr_attrs(&d.version));
                }
                if pre {
                    line.push_str(" pre=\"1\"");
                }
                line.push_str("/>\n");
                if seen.insert(line.clone()) {
                    out.push_str(&line);
                }
            }
            if !out.is_empty() {
                let _ = write!(s, "    <rpm:{tag}>\n{out}    </rpm:{tag}>\n");
            }
        }
        let file_line = |f: &rpm::FileEntry<'_>| {
            let path = f.path().to_string_lossy().into_owned();
            let kind = if f.flags().contains(FileFlags::GHOST) {
                " type=\"ghost\""
            } else if f.file_type() == FileType::Dir {
                " type=\"dir\""
            } else {
                ""
            };
            (path.clone(), format!("<file{kind}>{}</file>", esc(&path)))
        };
        for f in &files {
            let (path, line) = file_line(f);
            if primary_file(&path) {
                let _ = writeln!(s, "    {line}");
            }
        }
        s.push_str("  </format>\n</package>\n");

        let fl = &mut self.filelists;
        let _ = writeln!(
            fl,
            "<package pkgid=\"{pkgid}\" name=\"{name}\" arch=\"{arch}\">\n  <version {vattrs}/>"
        );
        for f in &files {
            let _ = writeln!(fl, "  {}", file_line(f).1);
        }
        fl.push_str("</package>\n");

        let o = &mut self.other;
        let _ = writeln!(
            o,
            "<package pkgid=\"{pkgid}\" name=\"{name}\" arch=\"{arch}\">\n  <version {vattrs}/>"
        );
        for c in h.get_changelog_entries().unwrap_or_default() {
            let _ = writeln!(
                o,
                "  <changelog author=\"{}\" date=\"{}\">{}</changelog>",
                esc(&c.name),
                c.timestamp,
                esc(&c.description)
            );
        }
        o.push_str("</package>\n");
        self.count += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ChecksumAlgorithm, DepFlags};

    /// An RPM built with the rpm crate, its repodata written, then read back with
    /// rpmlock's own repomd and primary parsers.
    #[test]
    fn written_repodata_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let pkg = rpm::PackageBuilder::new("demo", "1.2", "MIT", "x86_64", "a <demo> & more")
            .epoch(3)
            .release("4.el9")
            .description("text")
            .using_config(
                rpm::BuildConfig::default()
                    .compression(rpm::CompressionType::Gzip)
                    .source_date(1_600_000_000),
            )
            .provides(rpm::Dependency::eq("demo-api", "2:1.0-1"))
            .requires(rpm::Dependency::greater_eq("libfoo", "1.0"))
            .requires(rpm::Dependency::script_pre("shadow-utils"))
            .with_file_contents("x", rpm::FileOptions::new("/usr/bin/demo"))
            .unwrap()
            .with_file_contents("y", rpm::FileOptions::new("/usr/share/doc/demo/README"))
            .unwrap()
            .build()
            .unwrap();
        let path = dir.path().join("demo-1.2-4.el9.x86_64.rpm");
        pkg.write_file(&path).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let checksum = Checksum {
            algorithm: ChecksumAlgorithm::Sha256,
            hex: hex::encode(sha2::Sha256::digest(&bytes)),
        };
        let p = RepoPackage {
            file: "demo-1.2-4.el9.x86_64.rpm",
            checksum: &checksum,
            size: bytes.len() as u64,
        };
        write(dir.path(), std::slice::from_ref(&p), None).unwrap();

        let repomd_bytes = std::fs::read(dir.path().join("repodata/repomd.xml")).unwrap();
        let repomd = crate::repo::parse_repomd(&repomd_bytes, "repomd.xml").unwrap();
        for d in &repomd.data {
            let file = std::fs::read(dir.path().join(&d.location_href)).unwrap();
            assert_eq!(hex::encode(sha2::Sha256::digest(&file)), d.checksum.hex);
            assert_eq!(Some(file.len() as u64), d.size);
        }
        let primary = repomd.get("primary").unwrap();
        let (_, reader) =
            crate::repo::open_decompressed(&dir.path().join(&primary.location_href)).unwrap();
        let packages = crate::repo::parse_primary(reader, "primary").unwrap();
        assert_eq!(packages.len(), 1);
        let got = &packages[0];
        assert_eq!(got.nevra(), "demo-3:1.2-4.el9.x86_64");
        assert_eq!(got.checksum.as_ref(), Some(&checksum));
        assert_eq!(got.location_href, "demo-1.2-4.el9.x86_64.rpm");
        assert_eq!(got.download_size, bytes.len() as u64);
        let api = got.provides.iter().find(|d| d.name == "demo-api").unwrap();
        assert_eq!(api.constraint, Some((DepFlags::Eq, "2:1.0-1".to_string())));
        let foo = got.requires.iter().find(|d| d.name == "libfoo").unwrap();
        assert_eq!(foo.constraint, Some((DepFlags::Ge, "1.0".to_string())));
        assert!(!foo.pre);
        assert!(
            got.requires
                .iter()
                .any(|d| d.name == "shadow-utils" && d.pre)
        );
        assert!(!got.requires.iter().any(|d| d.name.starts_with("rpmlib(")));
        assert_eq!(got.files, vec!["/usr/bin/demo".to_string()]);

        // Rewriting gives the same bytes.
        write(dir.path(), &[p], None).unwrap();
        assert_eq!(
            std::fs::read(dir.path().join("repodata/repomd.xml")).unwrap(),
            repomd_bytes
        );
    }

    #[test]
    fn dependency_versions_and_flags() {
        assert_eq!(evr_attrs("1.0-1"), " epoch=\"0\" ver=\"1.0\" rel=\"1\"");
        assert_eq!(
            evr_attrs("2:1.0-1.el9"),
            " epoch=\"2\" ver=\"1.0\" rel=\"1.el9\""
        );
        assert_eq!(evr_attrs("1.0"), " epoch=\"0\" ver=\"1.0\"");
        assert_eq!(flags_name(DependencyFlags::GE), Some("GE"));
        assert_eq!(
            flags_name(DependencyFlags::EQUAL | DependencyFlags::SCRIPT_PRE),
            Some("EQ")
        );
        assert_eq!(flags_name(DependencyFlags::ANY), None);
        assert_eq!(esc("a<b&\u{1}c"), "a&lt;b&amp;c");
        assert!(primary_file("/usr/bin/x") && primary_file("/etc/x.conf"));
        assert!(!primary_file("/usr/share/doc/x"));
    }
}
