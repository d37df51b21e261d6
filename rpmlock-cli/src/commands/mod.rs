//! One module per subcommand.

pub(crate) mod diff;
pub(crate) mod fetch;
pub(crate) mod lock;
pub(crate) mod sbom;
pub(crate) mod verify;
pub(crate) mod why;
