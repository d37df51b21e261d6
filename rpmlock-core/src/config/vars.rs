//! dnf variables: `$arch`, `$basearch`, `$releasever`, `DNF_VAR_*`.

/// dnf's base arch of `arch` (`i686` → `i386`, `armv7hl` → `armhfp`, ...).
pub fn basearch(arch: &str) -> &str {
    match arch {
        "amd64" | "ia32e" => "x86_64",
        "athlon" | "geode" | "i386" | "i486" | "i586" | "i686" => "i386",
        "armv6hl" | "armv7hl" | "armv7hnl" | "armv8hl" => "armhfp",
        "ppc64p7" => "ppc64",
        other => other,
    }
}
