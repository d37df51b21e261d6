//! Repository metadata: repomd.xml, fetching with a content-addressed cache, and
//! streaming parsers for primary, filelists and comps.
//!
//! Parsers: [`parse_repomd`], [`parse_primary`] / [`parse_primary_with`],
//! [`parse_filelists`], [`parse_comps`]; input is decompressed by magic bytes ([`open_decompressed`]).
//! Every parse error names the file and the byte offset in the uncompressed document.
//!
//! Fetching, for one repository: [`Fetcher::fetch_repomd`] (revalidated on every run)
//! → [`Fetcher::fetch_data`] (content-addressed in the cache by the checksum repomd.xml
//! gives, verified while it streams) → [`Fetcher::open`] (decompressed by magic bytes),
//! or [`Fetcher::load_primary`] / [`Fetcher::load_filelists`] /
//! [`Fetcher::load_comps`] for all three steps.

mod batch;
mod bounded;
mod cache;
mod comps;
mod connection;
mod decompress;
mod error;
mod fetch;
mod filelists;
mod gzip;
mod index;
mod mirrors;
mod modules;
mod primary;
mod repomd;
mod roots;
mod tls;
mod xml;

pub use batch::{DepKind, DepView, PackageBatch, PackageView};
pub use comps::{
    Comps, CompsCategory, CompsEnvironment, CompsGroup, GroupPackage, PackageKind, parse_comps,
};
pub use connection::ConnSettings;
#[cfg(test)]
pub(crate) use connection::RepoConn;
pub use decompress::{Compression, open_decompressed};
pub(crate) use error::error_chain;
pub(crate) use error::redact_str;
pub use error::{ParseErrorKind, RepoError, XmlSyntax, redact_url};
pub(crate) use fetch::hasher;
pub use fetch::{CachedFile, FetchOptions, FetchedRepo, Fetcher, default_cache_dir};
pub use filelists::{parse_filelists, parse_filelists_map};
pub use index::{IndexBuilder, IndexEntry, IndexError, PackageIndex};
#[cfg(feature = "fuzzing")]
pub(crate) use mirrors::{parse_metalink, parse_mirrorlist};
pub use modules::{ModuleDefaults, ModuleStream, Modules, parse_modules, split_artifact};
#[cfg(feature = "fuzzing")]
pub(crate) use primary::parallel_packages;
pub use primary::{
    BATCH_PACKAGES, parse_primary, parse_primary_batches, parse_primary_parallel,
    parse_primary_with,
};
pub use repomd::parse_repomd;
pub use tls::TlsFileKind;

use crate::model::Checksum;

/// A parsed `repodata/repomd.xml`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct RepoMd {
    /// `<revision>`, when present.
    pub revision: Option<String>,
    /// Every `<data>` entry, in file order.
    pub data: Vec<RepoMdData>,
}

impl RepoMd {
    /// The entry of type `kind` (`primary`, `filelists`, `modules`, ...).
    pub fn get(&self, kind: &str) -> Option<&RepoMdData> {
        self.data.iter().find(|d| d.kind == kind)
    }
}

/// One `<data type=...>` entry of repomd.xml.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RepoMdData {
    /// `type` attribute.
    pub kind: String,
    /// `location href`.
    pub location_href: String,
    /// `location xml:base`, if any.
    pub location_base: Option<String>,
    /// Checksum of the file as stored.
    pub checksum: Checksum,
    /// Checksum of the uncompressed content.
    pub open_checksum: Option<Checksum>,
    /// Size of the file as stored.
    pub size: Option<u64>,
    /// Size of the uncompressed content.
    pub open_size: Option<u64>,
}
