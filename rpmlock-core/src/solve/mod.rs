//! Dependency resolution with libsolv, configured exactly as dnf configures it.
