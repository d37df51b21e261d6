//! The package table: every RPM the test repositories contain.
//!
//! Each package names the scenario it serves (`chain-*`, `rich-*`, `weak-*`, ...);
//! `repos/README.md` has the same table in prose. Dependencies are written as rpm spec
//! files write them: `name`, `name OP [epoch:]version[-release]`, or a rich dependency
//! in parentheses.

/// Which repository (family) a package goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Repo {
    /// `base/$basearch`: gz metadata, per-arch directories.
    Base,
    /// `updates/$basearch`: xz metadata, per-arch directories.
    Updates,
    /// `xmlbase/`: flat, primary locations carry `xml:base`.
    XmlBase,
    /// `compress-bz2/`: flat, bz2 metadata.
    Bz2,
    /// `compress-zst/`: flat, zstd metadata (createrepo_c 1.x layout).
    Zst,
    /// `arches/$basearch`: one directory per dnf base arch (see `arches.rs`).
    Arches,
    /// `groups/`: flat, with comps (`builder/comps/groups.xml`).
    Groups,
    /// `groups2/`: flat, with comps extending a group of `groups/`.
    Groups2,
    /// `modular/`: flat, with `modules.yaml` (see `modular.rs`).
    Modular,
    /// `modular-hotfix/`: flat, no modules metadata (`module_hotfixes=1` scenarios).
    ModularHotfix,
}

/// Kind of a dependency entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Provides,
    Requires,
    /// `Requires(pre)`.
    RequiresPre,
    Conflicts,
    Obsoletes,
    Recommends,
    Suggests,
    Supplements,
    Enhances,
}

/// One binary package.
#[derive(Clone, Debug)]
pub struct Pkg {
    pub repo: Repo,
    pub name: &'static str,
    pub epoch: u32,
    pub version: &'static str,
    pub release: &'static str,
    pub arch: &'static str,
    pub deps: Vec<(Kind, String)>,
    pub files: Vec<String>,
    /// Name of the source package (defaults to `name`).
    pub source: &'static str,
    /// The source RPM is deliberately left out of `repos/source`.
    pub source_missing: bool,
}

impl Pkg {
    pub(crate) fn new(
        repo: Repo,
        name: &'static str,
        evr: &'static str,
        arch: &'static str,
    ) -> Self {
        let (epoch, vr) = match evr.split_once(':') {
            Some((e, vr)) => (e.parse().expect("numeric epoch"), vr),
            None => (0, evr),
        };
        let (version, release) = vr.rsplit_once('-').expect("version-release");
        Pkg {
            repo,
            name,
            epoch,
            version,
            release,
            arch,
            deps: Vec::new(),
            files: Vec::new(),
            source: name,
            source_missing: false,
        }
    }

    fn dep(mut self, kind: Kind, dep: &str) -> Self {
        self.deps.push((kind, dep.to_owned()));
        self
    }
    pub(crate) fn provides(self, dep: &str) -> Self {
        self.dep(Kind::Provides, dep)
    }
    pub(crate) fn requires(self, dep: &str) -> Self {
        self.dep(Kind::Requires, dep)
    }
    fn requires_pre(self, dep: &str) -> Self {
        self.dep(Kind::RequiresPre, dep)
    }
    fn conflicts(self, dep: &str) -> Self {
        self.dep(Kind::Conflicts, dep)
    }
    fn obsoletes(self, dep: &str) -> Self {
        self.dep(Kind::Obsoletes, dep)
    }
    fn recommends(self, dep: &str) -> Self {
        self.dep(Kind::Recommends, dep)
    }
    fn suggests(self, dep: &str) -> Self {
        self.dep(Kind::Suggests, dep)
    }
    fn supplements(self, dep: &str) -> Self {
        self.dep(Kind::Supplements, dep)
    }
    fn enhances(self, dep: &str) -> Self {
        self.dep(Kind::Enhances, dep)
    }
    pub(crate) fn file(mut self, path: &str) -> Self {
        self.files.push(path.to_owned());
        self
    }
    pub(crate) fn source(mut self, source: &'static str) -> Self {
        self.source = source;
        self
    }
    pub(crate) fn source_missing(mut self) -> Self {
        self.source_missing = true;
        self
    }
    /// The usual small file set: a README plus whatever the caller adds.
    pub(crate) fn readme(self) -> Self {
        let path = format!("/usr/share/doc/{}/README", self.name);
        self.file(&path)
    }
    /// `/usr/bin/NAME` plus a README.
    pub(crate) fn bin(self) -> Self {
        let path = format!("/usr/bin/{}", self.name);
        self.file(&path).readme()
    }

    /// `name-version-release.src.rpm`, the SOURCERPM header value.
    pub fn source_rpm(&self) -> String {
        format!("{}-{}-{}.src.rpm", self.source, self.version, self.release)
    }
}

use Repo::*;

mod groups;

/// Arch-specific packages are built once per entry of this list unless restricted.
const ARCHES: [&str; 2] = ["x86_64", "aarch64"];

/// One package per arch in `arches`.
fn per_arch(arches: &[&'static str], f: impl Fn(&'static str) -> Pkg) -> Vec<Pkg> {
    arches.iter().map(|a| f(a)).collect()
}

/// The whole table, in a fixed order.
#[allow(clippy::vec_init_then_push)]
pub fn packages() -> Vec<Pkg> {
    let mut v: Vec<Pkg> = Vec::new();

    // --- dependency chain: chain-a -> chain-b -> chain-c (arch) -> chain-d (Requires(pre))
    v.push(
        Pkg::new(Base, "chain-a", "1.0-1", "noarch")
            .requires("chain-b")
            .bin(),
    );
    v.push(
        Pkg::new(Base, "chain-b", "1.0-1", "noarch")
            .requires("chain-c >= 1.0")
            .bin(),
    );
    v.extend(per_arch(&ARCHES, |a| {
        Pkg::new(Base, "chain-c", "1.0-1", a)
            .requires("chain-d")
            .bin()
            .file("/usr/lib64/chain-c/libchain.so.1")
    }));
    v.extend(per_arch(&ARCHES, |a| {
        Pkg::new(Updates, "chain-c", "1.1-1", a)
            .requires("chain-d")
            .bin()
            .file("/usr/lib64/chain-c/libchain.so.1")
    }));
    v.push(Pkg::new(Base, "chain-d", "1.0-1", "noarch").bin());

    // --- Requires(pre)
    v.push(
        Pkg::new(Base, "prereq-user", "1.0-1", "noarch")
            .requires_pre("prereq-tool")
            .requires_pre("/usr/sbin/prereq-adduser")
            .bin(),
    );
    v.push(
        Pkg::new(Base, "prereq-tool", "1.0-1", "noarch")
            .file("/usr/sbin/prereq-adduser")
            .readme(),
    );

    // --- virtual provides: two providers of `webserver`
    v.push(
        Pkg::new(Base, "webserver-apache", "2.4.62-1", "noarch")
            .provides("webserver = 2.4")
            .provides("webserver-tls")
            .file("/usr/sbin/apache")
            .readme(),
    );
    v.push(
        Pkg::new(Base, "webserver-nginx", "1.24.0-1", "noarch")
            .provides("webserver = 1.24")
            .file("/usr/sbin/nginx")
            .readme(),
    );
    v.push(
        Pkg::new(Base, "webapp", "1.0-1", "noarch")
            .requires("webserver")
            .bin(),
    );

    // --- file dependencies
    v.push(Pkg::new(Base, "filedep-tool", "1.0-1", "noarch").bin());
    v.push(
        Pkg::new(Base, "filedep-primary", "1.0-1", "noarch")
            .requires("/usr/bin/filedep-tool")
            .bin(),
    );
    v.extend(per_arch(&ARCHES, |a| {
        Pkg::new(Base, "libfoo", "1.0-1", a)
            .provides("libfoo.so.1()(64bit)")
            .file("/opt/libfoo/libfoo.so.1")
            .file("/opt/libfoo/lib/libfoo.so.1.0.0")
            .readme()
    }));
    v.extend(per_arch(&ARCHES, |a| {
        Pkg::new(Base, "libfoo-devel", "1.0-1", a)
            .requires("libfoo = 1.0-1")
            .file("/usr/include/foo.h")
            .readme()
            .source("libfoo")
    }));
    v.push(
        Pkg::new(Base, "filedep-filelists", "1.0-1", "noarch")
            .requires("/opt/libfoo/libfoo.so.1")
            .bin(),
    );

    // --- rich dependencies, one package per operator; targets rdep-*
    v.push(
        Pkg::new(Base, "rich-and", "1.0-1", "noarch")
            .requires("(rdep-a and rdep-b)")
            .bin(),
    );
    v.push(
        Pkg::new(Base, "rich-or", "1.0-1", "noarch")
            .requires("(rdep-c or rdep-d)")
            .bin(),
    );
    v.push(
        Pkg::new(Base, "rich-if", "1.0-1", "noarch")
            .requires("(rdep-e if chain-d)")
            .bin(),
    );
    v.push(
        Pkg::new(Base, "rich-ifelse", "1.0-1", "noarch")
            .requires("(rdep-f if chain-d else rdep-g)")
            .bin(),
    );
    v.push(
        Pkg::new(Base, "rich-with", "1.0-1", "noarch")
            .requires("(webserver with webserver-tls)")
            .bin(),
    );
    v.push(
        Pkg::new(Base, "rich-without", "1.0-1", "noarch")
            .requires("(webserver without webserver-tls)")
            .bin(),
    );
    v.push(
        Pkg::new(Base, "rich-unless", "1.0-1", "noarch")
            .requires("(rdep-h unless rdep-i)")
            .bin(),
    );
    v.push(
        Pkg::new(Base, "rich-unlesselse", "1.0-1", "noarch")
            .requires("(rdep-j unless rdep-k else rdep-l)")
            .bin(),
    );
    v.push(
        Pkg::new(Base, "rich-weak", "1.0-1", "noarch")
            .recommends("(rdep-a and rdep-b)")
            .bin(),
    );
    v.push(
        Pkg::new(Base, "rich-supp", "1.0-1", "noarch")
            .supplements("(rdep-a and rdep-b)")
            .readme(),
    );
    for name in [
        "rdep-a", "rdep-b", "rdep-c", "rdep-d", "rdep-e", "rdep-f", "rdep-g", "rdep-h", "rdep-i",
        "rdep-j", "rdep-k", "rdep-l",
    ] {
        v.push(
            Pkg::new(Base, name, "1.0-1", "noarch")
                .readme()
                .source("rdep"),
        );
    }

    // --- weak dependencies both ways
    v.push(
        Pkg::new(Base, "weak-main", "1.0-1", "noarch")
            .recommends("weak-rec")
            .suggests("weak-sug")
            .bin(),
    );
    v.push(Pkg::new(Base, "weak-rec", "1.0-1", "noarch").readme());
    v.push(Pkg::new(Updates, "weak-rec", "1.1-1", "noarch").readme());
    v.push(Pkg::new(Base, "weak-sug", "1.0-1", "noarch").readme());
    v.push(
        Pkg::new(Base, "weak-supp", "1.0-1", "noarch")
            .supplements("weak-main")
            .readme(),
    );
    v.push(
        Pkg::new(Base, "weak-enh", "1.0-1", "noarch")
            .enhances("weak-main")
            .readme(),
    );

    // --- conflicts
    v.push(
        Pkg::new(Base, "conflict-a", "1.0-1", "noarch")
            .conflicts("conflict-b")
            .bin(),
    );
    v.push(Pkg::new(Base, "conflict-b", "1.0-1", "noarch").bin());

    // --- obsoletes: oldname replaced by newname
    v.push(Pkg::new(Base, "oldname", "1.0-1", "noarch").bin());
    v.push(
        Pkg::new(Base, "newname", "2.0-1", "noarch")
            .provides("oldname = 2.0-1")
            .obsoletes("oldname < 2.0")
            .bin(),
    );

    // --- epochs: 1:1.0 beats 0:2.0
    v.push(Pkg::new(Base, "epochpkg", "1:1.0-1", "noarch").bin());
    v.push(Pkg::new(Base, "epochpkg", "2.0-1", "noarch").bin());

    // --- several versions of one (arch) package
    for evr in ["1.0-1", "1.1-1", "1.1-2", "2.0-1"] {
        v.extend(per_arch(&ARCHES, |a| {
            Pkg::new(Base, "multiver", evr, a).bin()
        }));
    }

    // --- multilib: libmulti for x86_64 and i686; an i686-only app needs the 32-bit one
    v.extend(per_arch(&["x86_64", "aarch64"], |a| {
        Pkg::new(Base, "libmulti", "1.0-1", a)
            .provides("libmulti.so.1()(64bit)")
            .file("/usr/lib64/libmulti.so.1")
            .readme()
    }));
    v.push(
        Pkg::new(Base, "libmulti", "1.0-1", "i686")
            .provides("libmulti.so.1")
            .file("/usr/lib/libmulti.so.1")
            .readme(),
    );
    v.push(
        Pkg::new(Base, "legacy-app", "1.0-1", "i686")
            .requires("libmulti.so.1")
            .bin(),
    );
    v.extend(per_arch(&ARCHES, |a| {
        Pkg::new(Base, "app64", "1.0-1", a)
            .requires("libmulti.so.1()(64bit)")
            .bin()
    }));

    // --- exists only for x86_64
    v.push(Pkg::new(Base, "x86only", "1.0-1", "x86_64").bin());

    // --- unsolvable: requires what nobody provides
    v.push(
        Pkg::new(Base, "broken", "1.0-1", "noarch")
            .requires("nosuchcap >= 1")
            .bin(),
    );

    // --- source RPM deliberately missing from repos/source
    v.push(
        Pkg::new(Base, "nosrc", "1.0-1", "noarch")
            .bin()
            .source_missing(),
    );

    // --- xmlbase repo (primary locations with xml:base)
    v.push(
        Pkg::new(XmlBase, "xb-hello", "1.0-1", "noarch")
            .requires("xb-lib")
            .bin(),
    );
    v.extend(per_arch(&ARCHES, |a| {
        Pkg::new(XmlBase, "xb-lib", "1.0-1", a)
            .file("/usr/lib64/libxb.so.1")
            .readme()
    }));

    // --- bz2 and zstd repos (small; bz-hello duplicates a base package name too)
    v.push(
        Pkg::new(Bz2, "bz-hello", "1.0-1", "noarch")
            .requires("chain-d")
            .bin(),
    );
    v.push(Pkg::new(Bz2, "chain-d", "1.0-1", "noarch").bin());
    v.push(
        Pkg::new(Zst, "zst-hello", "1.0-1", "noarch")
            .requires("zst-lib")
            .bin(),
    );
    v.extend(per_arch(&ARCHES, |a| {
        Pkg::new(Zst, "zst-lib", "1.0-1", a)
            .file("/usr/lib64/libzst.so.1")
            .readme()
    }));

    v.extend(crate::arches::packages());
    v.extend(groups::packages());
    v.extend(crate::modular::packages());

    v
}
