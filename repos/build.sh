#!/bin/bash
# Rebuilds the test repositories under repos/ from scratch, byte for byte.
#
#   repos/build.sh
#
# 1. rpmlock-repos-builder (repos/builder) writes every RPM (fixed build time and host).
# 2. Every file gets the same mtime, since createrepo_c records it (<time file=...>).
# 3. createrepo_c runs on each repository directory with a fixed revision and
#    timestamps, no sqlite, one worker and a sorted package list:
#      base/*      Debian createrepo_c 0.17, gz (its default)
#      updates/*   Debian createrepo_c 0.17, xz
#      source      Debian createrepo_c 0.17, gz
#      xmlbase     Debian createrepo_c 0.17, gz, --baseurl (xml:base in primary)
#      compress-bz2  Debian createrepo_c 0.17, bz2
#      arches/*    Debian createrepo_c 0.17, gz (x86_64 aarch64 ppc64le s390x i386)
#      modular     Debian createrepo_c 0.17, gz, + modules.yaml (modifyrepo_c 0.17)
#      modular-hotfix  Debian createrepo_c 0.17, gz (no modules metadata)
#      compress-zst  createrepo_c 1.2.5 from PyPI (zstd, today's Fedora/RHEL 10 layout),
#                    installed into a cached venv on first use
#      groups, groups2  Debian createrepo_c 0.17, gz, --groupfile builder/comps/NAME.xml
#                    (group and group_gz metadata)
# 4. The generated directories replace those in repos/; builder/, demo/, README.md and
#    this script are left alone.
#
# Needs: cargo, createrepo_c (Debian package createrepo-c), python3 with venv and pip
# access to PyPI (first run only). Set CREATEREPO_VENV to reuse a venv elsewhere.
set -euo pipefail

REVISION=1700000000          # = SOURCE_DATE in repos/builder/src/main.rs
CREATEREPO_C_PYPI=1.2.5
XMLBASE_URL=http://mirror.example.invalid/pool/
GENERATED=(base updates source xmlbase compress-bz2 compress-zst arches groups groups2 modular modular-hotfix)

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
venv=${CREATEREPO_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/rpmlock/createrepo-c-$CREATEREPO_C_PYPI}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=$tmp/out

export LC_ALL=C TZ=UTC SOURCE_DATE_EPOCH=$REVISION

cargo run --quiet --manifest-path "$root/Cargo.toml" -p rpmlock-repos-builder -- "$out"

if [[ ! -x $venv/bin/createrepo_c ]]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "createrepo-c==$CREATEREPO_C_PYPI"
fi
new_createrepo=$venv/bin/createrepo_c
"$new_createrepo" --version | grep -q "^Version: $CREATEREPO_C_PYPI " \
    || { echo "build.sh: $new_createrepo is not createrepo_c $CREATEREPO_C_PYPI" >&2; exit 1; }

find "$out" -exec touch -h -d "@$REVISION" {} +

# createrepo DIR TOOL [OPTIONS...]
createrepo() {
    local dir=$out/$1 tool=$2
    shift 2
    (cd "$dir" && find Packages -name '*.rpm' | sort) >"$tmp/pkglist"
    "$tool" --quiet --revision "$REVISION" --set-timestamp-to-revision --no-database \
        --workers 1 --pkglist "$tmp/pkglist" "$@" "$dir" >/dev/null
}

for arch in x86_64 aarch64; do
    createrepo "base/$arch" createrepo_c
    createrepo "updates/$arch" createrepo_c --general-compress-type=xz
done
for arch in x86_64 aarch64 ppc64le s390x i386; do
    createrepo "arches/$arch" createrepo_c
done
createrepo source createrepo_c
createrepo xmlbase createrepo_c --baseurl "$XMLBASE_URL"
createrepo compress-bz2 createrepo_c --general-compress-type=bz2
createrepo compress-zst "$new_createrepo" --general-compress-type=zstd
createrepo groups createrepo_c --groupfile "$here/builder/comps/groups.xml"
createrepo groups2 createrepo_c --groupfile "$here/builder/comps/groups2.xml"
createrepo modular createrepo_c
createrepo modular-hotfix createrepo_c
# modules.yaml as the `modules` data type (gz); modifyrepo_c stamps it with the
# current time, reset to the revision like every other entry.
cp "$here/builder/modules.yaml" "$tmp/modules.yaml"
modifyrepo_c --mdtype=modules --compress-type=gz "$tmp/modules.yaml" \
    "$out/modular/repodata" >/dev/null
sed -i "s|<timestamp>[0-9]*</timestamp>|<timestamp>$REVISION</timestamp>|" \
    "$out/modular/repodata/repomd.xml"

find "$out" -exec touch -h -d "@$REVISION" {} +

for d in "${GENERATED[@]}"; do
    rm -rf "${here:?}/$d"
    mv "$out/$d" "$here/$d"
done
echo "repos rebuilt in $here"
