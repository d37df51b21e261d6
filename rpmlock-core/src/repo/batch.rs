//! Packages of primary.xml stored flat: a batch holds one text buffer with every string
//! of its packages, one record per package and one per dependency. The cold path
//! parses into batches and hands them to the package index and the pool builder, so
//! no package costs a heap allocation of its own; [`PackageView::to_package`] makes
//! the owned [`Package`] where one is wanted.

use crate::model::{Checksum, ChecksumAlgorithm, DepFlags, Dependency, Evr, Package};

/// A string of a batch: a range of its text buffer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Span {
    start: u32,
    len: u32,
}

impl Span {
    pub(crate) fn is_empty(self) -> bool {
        self.len == 0
    }
}

/// Which list a dependency belongs to, in [`Package`]'s field order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DepKind {
    /// `rpm:provides`
    Provides,
    /// `rpm:requires`
    Requires,
    /// `rpm:conflicts`
    Conflicts,
    /// `rpm:obsoletes`
    Obsoletes,
    /// `rpm:recommends`
    Recommends,
    /// `rpm:suggests`
    Suggests,
    /// `rpm:supplements`
    Supplements,
    /// `rpm:enhances`
    Enhances,
}

impl DepKind {
    /// The kind named by a container element's local name (`requires`, ...).
    pub(crate) fn from_local_name(name: &[u8]) -> Option<DepKind> {
        Some(match name {
            b"provides" => DepKind::Provides,
            b"requires" => DepKind::Requires,
            b"conflicts" => DepKind::Conflicts,
            b"obsoletes" => DepKind::Obsoletes,
            b"recommends" => DepKind::Recommends,
            b"suggests" => DepKind::Suggests,
            b"supplements" => DepKind::Supplements,
            b"enhances" => DepKind::Enhances,
            _ => return None,
        })
    }

    /// This list of `p`.
    pub(crate) fn list(self, p: &Package) -> &Vec<Dependency> {
        match self {
            DepKind::Provides => &p.provides,
            DepKind::Requires => &p.requires,
            DepKind::Conflicts => &p.conflicts,
            DepKind::Obsoletes => &p.obsoletes,
            DepKind::Recommends => &p.recommends,
            DepKind::Suggests => &p.suggests,
            DepKind::Supplements => &p.supplements,
            DepKind::Enhances => &p.enhances,
        }
    }

    fn list_mut(self, p: &mut Package) -> &mut Vec<Dependency> {
        match self {
            DepKind::Provides => &mut p.provides,
            DepKind::Requires => &mut p.requires,
            DepKind::Conflicts => &mut p.conflicts,
            DepKind::Obsoletes => &mut p.obsoletes,
            DepKind::Recommends => &mut p.recommends,
            DepKind::Suggests => &mut p.suggests,
            DepKind::Supplements => &mut p.supplements,
            DepKind::Enhances => &mut p.enhances,
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct DepRec {
    pub(crate) kind: DepKind,
    pub(crate) name: Span,
    /// The constraint: its operator and `[epoch:]version[-release]`.
    pub(crate) constraint: Option<(DepFlags, Span)>,
    pub(crate) pre: bool,
}

#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PkgRec {
    pub(crate) name: Span,
    pub(crate) arch: Span,
    pub(crate) epoch: u64,
    pub(crate) version: Span,
    pub(crate) release: Span,
    /// The checksum's algorithm and its lower-case hex digits.
    pub(crate) checksum: Option<(ChecksumAlgorithm, Span)>,
    pub(crate) href: Span,
    pub(crate) base: Option<Span>,
    pub(crate) download_size: u64,
    pub(crate) install_size: u64,
    pub(crate) sourcerpm: Span,
    /// This package's dependencies: `deps[start..end]`.
    pub(crate) deps: (u32, u32),
    /// This package's files: `files[start..end]`.
    pub(crate) files: (u32, u32),
    /// Whether `<version>` gave a `ver` attribute.
    pub(crate) has_version: bool,
}

/// Packages parsed from primary.xml, in file order, stored flat.
#[derive(Debug, Default)]
pub struct PackageBatch {
    text: String,
    pub(crate) pkgs: Vec<PkgRec>,
    pub(crate) deps: Vec<DepRec>,
    pub(crate) files: Vec<Span>,
}

/// Where a batch stood before a package was started (see [`PackageBatch::truncate`]).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Mark {
    text: usize,
    deps: usize,
    files: usize,
}

impl PackageBatch {
    /// The number of packages.
    pub fn len(&self) -> usize {
        self.pkgs.len()
    }

    /// Whether the batch holds no package.
    pub fn is_empty(&self) -> bool {
        self.pkgs.is_empty()
    }

    /// Whether any of its text holds a NUL byte (which libsolv's strings cannot): one
    /// scan of the batch instead of one per string.
    pub fn text_has_nul(&self) -> bool {
        memchr::memchr(0, self.text.as_bytes()).is_some()
    }

    /// Empties the batch, keeping its buffers for reuse.
    pub fn clear(&mut self) {
        self.text.clear();
        self.pkgs.clear();
        self.deps.clear();
        self.files.clear();
    }

    /// The package at `i`.
    pub fn get(&self, i: usize) -> PackageView<'_> {
        PackageView {
            batch: self,
            rec: &self.pkgs[i],
        }
    }

    /// Every package, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = PackageView<'_>> {
        self.pkgs.iter().map(|rec| PackageView { batch: self, rec })
    }

    pub(crate) fn str(&self, s: Span) -> &str {
        // Spans are only made by `push`/`push_parts` of this batch, on char boundaries.
        &self.text[s.start as usize..(s.start + s.len) as usize]
    }

    /// Appends `s` to the text buffer.
    pub(crate) fn push(&mut self, s: &str) -> Span {
        self.push_parts(&[s])
    }

    /// Appends the concatenation of `parts` to the text buffer.
    pub(crate) fn push_parts(&mut self, parts: &[&str]) -> Span {
        let start = self.text.len();
        for p in parts {
            self.text.push_str(p);
        }
        Span {
            start: start as u32,
            len: (self.text.len() - start) as u32,
        }
    }

    /// The text buffer's length: a batch past [`MAX_TEXT`] is handed on.
    pub(crate) fn text_len(&self) -> usize {
        self.text.len()
    }

    pub(crate) fn mark(&self) -> Mark {
        Mark {
            text: self.text.len(),
            deps: self.deps.len(),
            files: self.files.len(),
        }
    }

    /// Drops what was appended since `mark` (a package that is read again).
    pub(crate) fn truncate(&mut self, mark: Mark) {
        self.text.truncate(mark.text);
        self.deps.truncate(mark.deps);
        self.files.truncate(mark.files);
    }
}

/// The most text a batch holds before it is handed on (spans are 32-bit).
pub(crate) const MAX_TEXT: usize = 1 << 30;

/// One package of a [`PackageBatch`].
#[derive(Clone, Copy)]
pub struct PackageView<'a> {
    batch: &'a PackageBatch,
    rec: &'a PkgRec,
}

/// One dependency of a [`PackageView`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DepView<'a> {
    /// The list it belongs to.
    pub kind: DepKind,
    /// Capability name, file path, or a whole rich dependency expression.
    pub name: &'a str,
    /// Version constraint, if any.
    pub constraint: Option<(DepFlags, &'a str)>,
    /// `pre="1"`.
    pub pre: bool,
}

impl DepView<'_> {
    /// Whether this is a rich (boolean) dependency such as `(a or b)`.
    pub fn is_rich(&self) -> bool {
        self.name.starts_with('(')
    }
}

impl<'a> PackageView<'a> {
    /// Name.
    pub fn name(&self) -> &'a str {
        self.batch.str(self.rec.name)
    }

    /// Architecture.
    pub fn arch(&self) -> &'a str {
        self.batch.str(self.rec.arch)
    }

    /// Whether this is a source package (`src` or `nosrc`).
    pub fn is_source(&self) -> bool {
        matches!(self.arch(), "src" | "nosrc")
    }

    /// Epoch.
    pub fn epoch(&self) -> u64 {
        self.rec.epoch
    }

    /// Version.
    pub fn version(&self) -> &'a str {
        self.batch.str(self.rec.version)
    }

    /// Release.
    pub fn release(&self) -> &'a str {
        self.batch.str(self.rec.release)
    }

    /// Appends `[epoch:]version[-release]` (as [`Evr`]'s `Display`) to `out`.
    pub fn write_evr(&self, out: &mut String) {
        use std::fmt::Write;
        if self.rec.epoch != 0 {
            let _ = write!(out, "{}:", self.rec.epoch);
        }
        out.push_str(self.version());
        if !self.release().is_empty() {
            out.push('-');
            out.push_str(self.release());
        }
    }

    /// The checksum's algorithm and lower-case hex digits.
    pub fn checksum(&self) -> Option<(ChecksumAlgorithm, &'a str)> {
        self.rec.checksum.map(|(a, s)| (a, self.batch.str(s)))
    }

    /// `location href`.
    pub fn location_href(&self) -> &'a str {
        self.batch.str(self.rec.href)
    }

    /// `location xml:base`.
    pub fn location_base(&self) -> Option<&'a str> {
        self.rec.base.map(|s| self.batch.str(s))
    }

    /// `size package=`.
    pub fn download_size(&self) -> u64 {
        self.rec.download_size
    }

    /// Source RPM file name.
    pub fn sourcerpm(&self) -> &'a str {
        self.batch.str(self.rec.sourcerpm)
    }

    /// Every dependency, in file order (each list keeps its own order).
    pub fn deps(&self) -> impl Iterator<Item = DepView<'a>> + 'a {
        let batch = self.batch;
        let (start, end) = self.rec.deps;
        batch.deps[start as usize..end as usize]
            .iter()
            .map(move |d| DepView {
                kind: d.kind,
                name: batch.str(d.name),
                constraint: d.constraint.map(|(f, s)| (f, batch.str(s))),
                pre: d.pre,
            })
    }

    /// The dependencies of one list, in file order (`pre`: only those with that `pre`
    /// flag).
    pub fn deps_of(
        &self,
        kind: DepKind,
        pre: Option<bool>,
    ) -> impl Iterator<Item = DepView<'a>> + 'a {
        let batch = self.batch;
        let (start, end) = self.rec.deps;
        batch.deps[start as usize..end as usize]
            .iter()
            .filter(move |d| d.kind == kind && pre.is_none_or(|pre| d.pre == pre))
            .map(move |d| DepView {
                kind: d.kind,
                name: batch.str(d.name),
                constraint: d.constraint.map(|(f, s)| (f, batch.str(s))),
                pre: d.pre,
            })
    }

    /// The files primary lists.
    pub fn files(&self) -> impl Iterator<Item = &'a str> + 'a {
        let batch = self.batch;
        let (start, end) = self.rec.files;
        batch.files[start as usize..end as usize]
            .iter()
            .map(move |&s| batch.str(s))
    }

    /// The owned [`Package`].
    pub fn to_package(&self) -> Package {
        let mut p = Package {
            name: self.name().to_string(),
            arch: self.arch().to_string(),
            evr: Evr::new(self.epoch(), self.version(), self.release()),
            checksum: self.checksum().map(|(algorithm, hex)| Checksum {
                algorithm,
                hex: hex.to_string(),
            }),
            location_href: self.location_href().to_string(),
            location_base: self.location_base().map(str::to_string),
            download_size: self.rec.download_size,
            install_size: self.rec.install_size,
            sourcerpm: self.sourcerpm().to_string(),
            files: self.files().map(str::to_string).collect(),
            ..Package::default()
        };
        for d in self.deps() {
            d.kind.list_mut(&mut p).push(Dependency {
                name: d.name.to_string(),
                constraint: d.constraint.map(|(f, e)| (f, e.to_string())),
                pre: d.pre,
            });
        }
        p
    }
}

impl std::fmt::Debug for PackageView<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut evr = String::new();
        self.write_evr(&mut evr);
        write!(f, "{}-{}.{}", self.name(), evr, self.arch())
    }
}
