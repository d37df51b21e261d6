//! The `arches/$basearch` family: one directory per dnf base arch (`x86_64`,
//! `aarch64`, `ppc64le`, `s390x`, `i386`), for the arch-policy scenarios.
//!
//! - `archtool` (every arch) requires `archlib` (every arch, plus i686 in the x86_64
//!   directory: multilib) and `archdata` (noarch).
//! - `archmixed`: 1.0-1 per arch and 2.0-1 noarch (arch against version).
//! - `arch-compat` (i686 only) requires `archlib(x86-32)`, which only `archlib.i686`
//!   provides: on x86_64 the 32-bit library comes in only through it.
//! - `i586tool` (i586 only, in the x86_64 and i386 directories): compatible with the
//!   x86_64 and i686 policies.

use crate::table::{Pkg, Repo};

/// Arches built for every arch-specific package of the family.
const ALL: [&str; 5] = ["x86_64", "aarch64", "ppc64le", "s390x", "i686"];

pub fn packages() -> Vec<Pkg> {
    let mut v = Vec::new();
    for arch in ALL {
        v.push(
            Pkg::new(Repo::Arches, "archtool", "1.0-1", arch)
                .requires("archlib")
                .requires("archdata")
                .bin(),
        );
    }
    for arch in ALL {
        let lib = if arch == "i686" {
            Pkg::new(Repo::Arches, "archlib", "1.0-1", arch)
                .provides("archlib(x86-32)")
                .file("/usr/lib/libarch.so.1")
        } else {
            Pkg::new(Repo::Arches, "archlib", "1.0-1", arch).file("/usr/lib64/libarch.so.1")
        };
        v.push(lib.readme().source("archtool"));
    }
    v.push(
        Pkg::new(Repo::Arches, "archdata", "1.0-1", "noarch")
            .readme()
            .source("archtool"),
    );
    for arch in ALL {
        v.push(Pkg::new(Repo::Arches, "archmixed", "1.0-1", arch).bin());
    }
    v.push(Pkg::new(Repo::Arches, "archmixed", "2.0-1", "noarch").bin());
    v.push(
        Pkg::new(Repo::Arches, "arch-compat", "1.0-1", "i686")
            .requires("archlib(x86-32)")
            .bin(),
    );
    v.push(Pkg::new(Repo::Arches, "i586tool", "1.0-1", "i586").bin());
    v
}
