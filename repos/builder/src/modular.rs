//! The modular repositories (`modular/`, `modular-hotfix/`): RHEL 8 style modules.
//!
//! `modular/` gets `repos/builder/modules.yaml` as its `modules` metadata (build.sh
//! runs `modifyrepo_c --mdtype=modules`); the artifacts listed there are the packages
//! whose release contains `.module_el8`. Module source RPMs are not in `source/`
//! (the scenarios use `noSources`).

use crate::table::{Pkg, Repo};

/// Every package of both modular repositories.
pub fn packages() -> Vec<Pkg> {
    use Repo::{Modular, ModularHotfix};
    let m = |name, evr| Pkg::new(Modular, name, evr, "noarch").source_missing();
    vec![
        // module modapp, stream 1 (the default) and stream 2
        m("modapp", "1.0-1.module_el8.1")
            .requires("modapp-libs")
            .bin(),
        m("modapp-libs", "1.0-1.module_el8.1")
            .source("modapp")
            .bin(),
        m("modapp", "2.0-1.module_el8.2")
            .requires("modapp-libs")
            .bin(),
        m("modapp-libs", "2.0-1.module_el8.2")
            .source("modapp")
            .bin(),
        m("modapp-extras", "2.0-1.module_el8.2")
            .source("modapp")
            .bin(),
        // non-modular: shadowed by the active stream's modapp, newer than both
        m("modapp", "3.0-1").bin(),
        // non-modular, provides the name of a stream 2 artifact
        m("modcompat", "1.0-1").provides("modapp-extras = 9").bin(),
        // non-modular, pulls whichever modapp-libs is active
        m("modplain", "1.0-1").requires("modapp-libs").bin(),
        // module modtool:a (no default) requires moddep:s2 (no default either)
        m("modtool", "1.0-1.module_el8.3").requires("moddep").bin(),
        m("moddep", "1.0-1.module_el8.4").bin(),
        m("moddep", "2.0-1.module_el8.5").bin(),
        // module modplat:el8 (default) requires the platform pseudo-module
        m("modplat", "1.0-1.module_el8.6").bin(),
        // module modbest:x (default): build 2 needs a module nobody has, build 1 not
        m("modbest", "1.0-1.module_el8.7").bin(),
        m("modbest", "2.0-1.module_el8.8").bin(),
        // module modver:1 (default): two builds of one stream and context
        m("modver", "1.0-1.module_el8.9").bin(),
        m("modver", "2.0-1.module_el8.10").bin(),
        // modular-hotfix/: a non-modular fix of modapp 1.0
        Pkg::new(ModularHotfix, "modapp", "1.0-2.hotfix", "noarch")
            .source_missing()
            .requires("modapp-libs")
            .bin(),
    ]
}
