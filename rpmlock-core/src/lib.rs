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
//! [`fetch`] downloads what a lock lists into a local repository tree, and [`sbom`]
//! describes a lock as a CycloneDX or SPDX document.
//!
//! Locking an input, as the `rpmlock lock` command does (see [`resolve::lock`] for a
//! complete example that runs against this repository's demo input):
//!
//! ```no_run
//! use std::sync::Arc;
//! use rpmlock_core::{config::Input, repo::FetchOptions, reporter::NoopReporter};
//! use rpmlock_core::resolve::{LockOptions, lock};
//!
//! let input = Input::from_path("rpms.in.yaml")?;
//! let options = LockOptions::new(FetchOptions::default());
//! let lockfile = lock(&input, &options, Arc::new(NoopReporter))?;
//! lockfile.write_atomic("rpms.lock.yaml")?;
//! # Ok::<(), rpmlock_core::Error>(())
//! ```
#![deny(unsafe_code)]
#![deny(missing_docs)]

pub mod config;
pub mod containerfile;
pub mod context;
pub mod error;
pub mod fetch;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod image;
pub mod lock;
pub mod model;
pub mod repo;
pub mod reporter;
pub mod resolve;
pub mod sbom;
pub mod solve;
pub mod tempfiles;
pub mod verify;

pub use error::Error;
