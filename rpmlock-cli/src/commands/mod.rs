//! One module per subcommand.

pub(crate) mod diff;
pub(crate) mod lock;
pub(crate) mod verify;
pub(crate) mod why;
