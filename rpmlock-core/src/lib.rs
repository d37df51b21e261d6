//! rpmlock-core: resolve RPM package requests exactly as dnf does, with libsolv, and
//! write pinned `rpms.lock.yaml` files for hermetic container builds.
//!
//! The pipeline, one module per stage:
//! [`config`] (rpms.in.yaml) → [`repo`] (repomd, fetch, cache, primary/filelists
//! parsing) → [`solve`] (libsolv, behind a safe wrapper) → [`lock`] (the lockfile model,
//! rendering and parsing). [`resolve`] drives the stages for one lock run, every target
//! arch in parallel. [`model`] holds the pure RPM types shared by all stages.
#![deny(unsafe_code)]
#![deny(missing_docs)]

pub mod config;
pub mod context;
pub mod error;
pub mod lock;
pub mod model;
pub mod repo;
pub mod reporter;
pub mod resolve;
pub mod solve;
pub mod verify;

pub use error::Error;
