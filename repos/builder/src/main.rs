//! `rpmlock-repos-builder OUTDIR`: writes every RPM of the test repositories below
//! OUTDIR (`base/x86_64/Packages/c/chain-a-1.0-1.noarch.rpm`, `source/Packages/...`).
//!
//! Reproducible: a fixed build time and build host, inputs in table order, no
//! signatures; two runs give byte-identical files. `repos/build.sh` runs it and then
//! `createrepo_c` on each directory.

mod arches;
mod modular;
mod table;

use std::collections::BTreeMap;
use std::error::Error;
use std::path::{Path, PathBuf};

use rpm::{
    BuildConfig, CompressionType, Dependency, FileOptions, HeaderEntry, IndexData, IndexTag,
    Package, PackageBuilder, SignatureHeaderBuilder,
};

use table::{Kind, Pkg, Repo};

/// 2023-11-14T22:13:20Z: build time and file mtimes of every package.
pub const SOURCE_DATE: u32 = 1_700_000_000;
const BUILD_HOST: &str = "builder.rpmlock.invalid";
const VENDOR: &str = "rpmlock test repositories";
const LICENSE: &str = "MIT";

type Result<T> = std::result::Result<T, Box<dyn Error>>;

fn main() {
    let mut args = std::env::args_os().skip(1);
    let (Some(out), None) = (args.next(), args.next()) else {
        eprintln!("usage: rpmlock-repos-builder OUTDIR");
        std::process::exit(2);
    };
    if let Err(e) = run(Path::new(&out)) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run(out: &Path) -> Result<()> {
    let pkgs = table::packages();
    // Source packages, keyed by file name, so subpackages share one SRPM.
    let mut sources: BTreeMap<String, Vec<&Pkg>> = BTreeMap::new();
    for p in &pkgs {
        let rpm = build_binary(p)?;
        for dir in repo_dirs(p) {
            write(
                &rpm,
                &out.join(dir),
                &file_name(p.name, p.version, p.release, p.arch),
            )?;
        }
        if !p.source_missing {
            sources.entry(p.source_rpm()).or_default().push(p);
        }
    }
    for (file, binaries) in &sources {
        let rpm = build_source(binaries)?;
        write(&rpm, &out.join("source"), file)?;
    }
    Ok(())
}

/// Directories (relative to OUTDIR) a binary package is written to.
fn repo_dirs(p: &Pkg) -> Vec<String> {
    let per_arch = |family: &str| -> Vec<String> {
        match p.arch {
            "noarch" => vec![format!("{family}/aarch64"), format!("{family}/x86_64")],
            "x86_64" | "i686" => vec![format!("{family}/x86_64")],
            "aarch64" => vec![format!("{family}/aarch64")],
            other => panic!("no repo directory for arch {other}"),
        }
    };
    match p.repo {
        Repo::Base => per_arch("base"),
        Repo::Updates => per_arch("updates"),
        Repo::XmlBase => vec!["xmlbase".into()],
        Repo::Bz2 => vec!["compress-bz2".into()],
        Repo::Zst => vec!["compress-zst".into()],
        Repo::Arches => match p.arch {
            "noarch" => ["aarch64", "i386", "ppc64le", "s390x", "x86_64"]
                .iter()
                .map(|a| format!("arches/{a}"))
                .collect(),
            "i686" | "i586" => vec!["arches/i386".into(), "arches/x86_64".into()],
            other => vec![format!("arches/{other}")],
        },
        Repo::Groups => vec!["groups".into()],
        Repo::Groups2 => vec!["groups2".into()],
        Repo::Modular => vec!["modular".into()],
        Repo::ModularHotfix => vec!["modular-hotfix".into()],
    }
}

fn file_name(name: &str, version: &str, release: &str, arch: &str) -> String {
    format!("{name}-{version}-{release}.{arch}.rpm")
}

/// Writes `bytes` to `DIR/Packages/<first letter>/FILE`.
fn write(bytes: &[u8], dir: &Path, file: &str) -> Result<()> {
    let letter = file[..1].to_ascii_lowercase();
    let dir: PathBuf = dir.join("Packages").join(letter);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let path = dir.join(file);
    std::fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(())
}

fn config() -> BuildConfig {
    BuildConfig::v4()
        .compression(CompressionType::Gzip)
        .source_date(SOURCE_DATE)
}

/// Parses `name`, `name OP evr` or a rich `(...)` dependency.
fn dependency(kind: Kind, text: &str) -> Result<Dependency> {
    if text.starts_with('(') {
        return Ok(Dependency::any(text));
    }
    let parts: Vec<&str> = text.split_whitespace().collect();
    let dep = match (kind, parts.as_slice()) {
        (Kind::RequiresPre, [name]) => Dependency::script_pre(*name),
        (Kind::RequiresPre, _) => return Err(format!("versioned Requires(pre): {text}").into()),
        (_, [name]) => Dependency::any(*name),
        (_, [name, "=" | "==", evr]) => Dependency::eq(*name, *evr),
        (_, [name, ">=", evr]) => Dependency::greater_eq(*name, *evr),
        (_, [name, "<=", evr]) => Dependency::less_eq(*name, *evr),
        (_, [name, ">", evr]) => Dependency::greater(*name, *evr),
        (_, [name, "<", evr]) => Dependency::less(*name, *evr),
        _ => return Err(format!("cannot parse dependency {text:?}").into()),
    };
    Ok(dep)
}

fn build_binary(p: &Pkg) -> Result<Vec<u8>> {
    let summary = format!("{} (rpmlock test package)", p.name);
    let mut b = PackageBuilder::new(p.name, p.version, LICENSE, p.arch, &summary);
    b.using_config(config())
        .release(p.release)
        .build_host(BUILD_HOST)
        .vendor(VENDOR)
        .url("https://rpmlock.invalid/");
    if p.epoch != 0 {
        b.epoch(p.epoch);
    }
    for (kind, text) in &p.deps {
        let dep = dependency(*kind, text)?;
        match kind {
            Kind::Provides => b.provides(dep),
            Kind::Requires | Kind::RequiresPre => b.requires(dep),
            Kind::Conflicts => b.conflicts(dep),
            Kind::Obsoletes => b.obsoletes(dep),
            Kind::Recommends => b.recommends(dep),
            Kind::Suggests => b.suggests(dep),
            Kind::Supplements => b.supplements(dep),
            Kind::Enhances => b.enhances(dep),
        };
    }
    let mut files = p.files.clone();
    files.sort();
    for path in &files {
        let contents = format!(
            "{} {}-{} {}\n{path}\n",
            p.name, p.version, p.release, p.arch
        );
        let executable = path.contains("/bin/") || path.contains("/sbin/") || path.contains(".so");
        let opts =
            FileOptions::new(path.as_str()).permissions(if executable { 0o755 } else { 0o644 });
        b.with_file_contents(contents, opts)?;
    }
    let pkg = b.build()?;
    let pkg = rewrite_header(pkg, Some(&p.source_rpm()))?;
    to_bytes(&pkg, false)
}

/// A source package for `binaries` (all from one SRPM): a spec file and a tarball
/// stand-in, arch `noarch` when every binary is noarch.
fn build_source(binaries: &[&Pkg]) -> Result<Vec<u8>> {
    let first = binaries[0];
    let name = first.source;
    let arch = if binaries.iter().all(|p| p.arch == "noarch") {
        "noarch"
    } else {
        "x86_64"
    };
    let summary = format!("{name} (rpmlock test source package)");
    let mut b = PackageBuilder::new(name, first.version, LICENSE, arch, &summary);
    b.using_config(config())
        .release(first.release)
        .build_host(BUILD_HOST)
        .vendor(VENDOR)
        .url("https://rpmlock.invalid/");
    if first.epoch != 0 {
        b.epoch(first.epoch);
    }
    let mut subpackages: Vec<&str> = binaries.iter().map(|p| p.name).collect();
    subpackages.sort();
    subpackages.dedup();
    let spec = format!(
        "Name: {name}\nVersion: {}\nRelease: {}\n# subpackages: {}\n",
        first.version,
        first.release,
        subpackages.join(" ")
    );
    b.with_file_contents(spec, FileOptions::new(format!("/{name}.spec")))?;
    let tarball = format!("{name}-{} sources\n", first.version);
    b.with_file_contents(
        tarball,
        FileOptions::new(format!("/{name}-{}.tar", first.version)),
    )?;
    let pkg = b.build()?;
    let pkg = rewrite_header(pkg, None)?;
    to_bytes(&pkg, true)
}

/// The rpm crate always writes `SOURCERPM: (none)`. Replace it with the real source
/// RPM file name, or, for a source package, drop it and set `SOURCEPACKAGE` (what
/// `rpmbuild -bs` writes; rpm and createrepo_c call a header without SOURCERPM a source
/// package). The header digests and the header+payload size in the signature header
/// are then recomputed.
fn rewrite_header(mut pkg: Package, source_rpm: Option<&str>) -> Result<Package> {
    let sourcerpm = IndexTag::RPMTAG_SOURCERPM as u32;
    let immutable = IndexTag::RPMTAG_HEADERIMMUTABLE as u32;
    let mut entries: Vec<HeaderEntry> = pkg
        .metadata
        .header
        .get_all_entries()?
        .into_iter()
        .filter(|(tag, _)| *tag != sourcerpm && *tag != immutable)
        .map(|(tag, data)| HeaderEntry::new(tag, data))
        .collect();
    match source_rpm {
        Some(file) => entries.push(HeaderEntry::new(
            sourcerpm,
            IndexData::StringTag(file.into()),
        )),
        None => entries.push(HeaderEntry::new(
            IndexTag::RPMTAG_SOURCEPACKAGE as u32,
            IndexData::Int32(vec![1]),
        )),
    }
    pkg.metadata.header = rpm::Header::from_entries(entries, IndexTag::RPMTAG_HEADERIMMUTABLE);
    let header = pkg.header_bytes()?;
    let length = header.len() as u64 + pkg.payload.len() as u64;
    pkg.metadata.signature = SignatureHeaderBuilder::from_existing(&pkg.metadata.signature)?
        .calculate_digests(&header)
        .set_content_length(length)
        .build()?;
    Ok(pkg)
}

/// Serializes the package; for a source package the lead's type field (bytes 6..8,
/// not covered by any digest) is set to 1 as rpmbuild does.
fn to_bytes(pkg: &Package, source: bool) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    pkg.write(&mut bytes)?;
    if source {
        bytes[6..8].copy_from_slice(&1u16.to_be_bytes());
    }
    Ok(bytes)
}
