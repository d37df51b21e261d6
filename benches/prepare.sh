#!/usr/bin/env bash
# Build the large benchmark repository (Debian bookworm main amd64 -> RPM repodata).
# Usage: benches/prepare.sh [OUT]   (default: benches/.data, git-ignored)
# Result: OUT/bin (binary repo), OUT/src (source repo), OUT/rpms.in.yaml, OUT/PORT.
# Idempotent: regenerates only when the Packages index (or deb2rpmmd.py) changed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(git -C "$here" rev-parse --show-toplevel)
OUT=${1:-$here/.data}
PORT=${BENCH_PORT:-18731}
TOOL=${DEB2RPMMD:-$top/../shared/tools/deb2rpmmd.py}
[ -f "$TOOL" ] || { echo "prepare.sh: $TOOL not found (set DEB2RPMMD)" >&2; exit 2; }
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

find_index() {
    # the plain "main" suite (not -updates/-security), amd64; the largest if several
    ls -S /var/lib/apt/lists/*_dists_*_main_binary-amd64_Packages* 2>/dev/null \
        | grep -Ev -- '-(updates|security|backports|proposed-updates)_' | grep -v '\.diff' | head -n1 || true
}
idx=$(find_index)
if [ -z "$idx" ]; then
    echo "prepare.sh: no Packages index under /var/lib/apt/lists, running apt-get update" >&2
    apt-get update >&2
    idx=$(find_index)
fi
[ -n "$idx" ] || { echo "prepare.sh: no amd64 main Packages index found" >&2; exit 2; }

tmp=$(mktemp -d "$OUT/.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
case "$idx" in
    *.lz4|*.gz|*.xz|*.bz2|*.zst) /usr/lib/apt/apt-helper cat-file "$idx" > "$tmp/Packages" ;;
    *) cp "$idx" "$tmp/Packages" ;;
esac

stamp="$(sha256sum < "$tmp/Packages" | cut -d' ' -f1) $(sha256sum < "$TOOL" | cut -d' ' -f1)"
if [ -f "$OUT/.stamp" ] && [ "$(cat "$OUT/.stamp")" = "$stamp" ] \
   && [ -f "$OUT/bin/repodata/repomd.xml" ] && [ -f "$OUT/src/repodata/repomd.xml" ]; then
    echo "prepare.sh: $OUT is up to date ($(basename "$idx"))"
else
    echo "prepare.sh: converting $(basename "$idx") -> $OUT/{bin,src}"
    # build beside, then swap in: deb2rpmmd.py never removes old primaries itself
    python3 "$TOOL" "$tmp/Packages" "$tmp/bin" "$tmp/src"
    rm -rf "$OUT/bin" "$OUT/src"
    mv "$tmp/bin" "$tmp/src" "$OUT/"
    echo "$stamp" > "$OUT/.stamp"
fi

# deb2rpmmd.py maps amd64 -> x86_64 and all -> noarch: x86_64 resolves both.
cat > "$OUT/rpms.in.yaml" <<YAML
contentOrigin:
  repos:
    - repoid: bench
      baseurl: http://127.0.0.1:$PORT/bin
    - repoid: bench-source
      baseurl: http://127.0.0.1:$PORT/src
packages: [nginx, python3, gcc]
arches: [x86_64]
context:
  bare: true
YAML
echo "$PORT" > "$OUT/PORT"

n=$(grep -o 'packages="[0-9]*"' <(zcat "$OUT"/bin/repodata/*-primary.xml.gz | head -c 4096) | grep -o '[0-9]*')
ns=$(grep -o 'packages="[0-9]*"' <(zcat "$OUT"/src/repodata/*-primary.xml.gz | head -c 4096) | grep -o '[0-9]*')
gz=$(stat -c %s "$OUT"/bin/repodata/*-primary.xml.gz)
open=$(grep -o '<open-size>[0-9]*' "$OUT/bin/repodata/repomd.xml" | grep -o '[0-9]*')
echo "prepare.sh: bin: $n packages, primary $((open/1000000)) MB ($((gz/1000000)) MB gz); src: $ns packages"
echo "prepare.sh: input $OUT/rpms.in.yaml (port $PORT)"
