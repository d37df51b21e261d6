//! rpmlock-core: resolve RPM package requests exactly as dnf does, with libsolv, and
//! write pinned `rpms.lock.yaml` files for hermetic container builds.
//!
//! The pipeline, one module per stage:
//! [`config`] (rpms.in.yaml) → [`repo`] (repomd, fetch, cache, primary/filelists
//! parsing) → [`solve`] (libsolv, behind a safe wrapper) → [`lock`] (the lockfile model,
//! rendering, parsing and diffing). [`context`] reads what is installed (the rpm
//! database of a root filesystem or image) beside them, and [`verify`] checks a build
//! against a lock. [`resolve`] drives the stages for one lock run, every target arch in
//! parallel. [`image`] pulls a container image's rpm database from a registry
//! (a context to resolve on). [`model`] holds the pure RPM types shared by all stages.
#![deny(unsafe_code)]
#![deny(missing_docs)]

pub mod config;
pub mod containerfile;
pub mod context;
pub mod error;
pub mod image;
pub mod lock;
pub mod model;
pub mod repo;
pub mod reporter;
pub mod resolve;
pub mod solve;
pub mod tempfiles;
pub mod verify;

pub use error::Error;
