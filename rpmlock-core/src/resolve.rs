//! The orchestrator: one lock run, from an [`crate::config::Input`] to a
//! [`crate::lock::Lockfile`], every target arch in parallel.
