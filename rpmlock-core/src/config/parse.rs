//! Parsing and validation of rpms.in.yaml.

/// An invalid or unreadable input file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Placeholder until the parser lands.
    #[error("not implemented")]
    Todo,
}
