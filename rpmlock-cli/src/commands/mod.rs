//! One module per subcommand.

pub(crate) mod lock;
pub(crate) mod verify;
pub(crate) mod why;
