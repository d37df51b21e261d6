//! The comps repositories `groups/` and `groups2/` (`@group` installs). Their comps
//! files are `repos/builder/comps/groups.xml` and `groups2.xml`; what each group holds
//! is described there and in `repos/README.md`.

use super::{Pkg, Repo::*};

pub(super) fn packages() -> Vec<Pkg> {
    vec![
        // base-tools: mandatory (with a dependency), default, optional, conditional.
        Pkg::new(Groups, "grp-mand", "1.0-1", "noarch")
            .requires("grp-dep")
            .bin(),
        Pkg::new(Groups, "grp-dep", "1.0-1", "noarch").readme(),
        Pkg::new(Groups, "grp-default", "1.0-1", "noarch").bin(),
        Pkg::new(Groups, "grp-opt", "1.0-1", "noarch").bin(),
        Pkg::new(Groups, "grp-cond", "1.0-1", "noarch").readme(),
        Pkg::new(Groups, "grp-trigger", "1.0-1", "noarch").bin(),
        Pkg::new(Groups, "grp-needs-trigger", "1.0-1", "noarch")
            .requires("grp-trigger")
            .bin(),
        // A member that is obsoleted: dnf installs one of it and its obsoleter.
        Pkg::new(Groups, "grp-old", "1.0-1", "noarch").bin(),
        Pkg::new(Groups, "grp-new", "2.0-1", "noarch")
            .obsoletes("grp-old < 2.0")
            .provides("grp-old = 2.0-1")
            .bin(),
        // web-stack, the group of the server-env environment.
        Pkg::new(Groups, "grp-web", "1.0-1", "noarch").bin(),
        // groups2 adds a member to base-tools.
        Pkg::new(Groups2, "grp-extra", "1.0-1", "noarch").bin(),
    ]
}
