#!/usr/bin/env bash
# Build the large benchmark repository (Debian bookworm main amd64 -> RPM repodata).
# Usage: benches/prepare.sh [OUT]   (default: benches/.data, git-ignored)
# Result: OUT/bin (binary repo), OUT/src (source repo), OUT/rpms.in.yaml, OUT/PORT, and
# for the four-arch case OUT/multi/<arch>/{bin,src} (x86_64 aarch64 ppc64le s390x: the bin
# repo relabelled per arch; src shared) with OUT/rpms.multi.in.yaml.
# Idempotent: regenerates only when the Packages index (or deb2rpmmd.py) changed
# (OUT/.stamp), resp. the bin/src repos or the relabelling (OUT/multi/.stamp).
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

# -- four arches: OUT/multi/<arch>/{bin,src}, the bin repo relabelled (x86_64 -> arch in
#    <arch> and in the location hrefs; noarch stays noarch), primary re-compressed and
#    repomd.xml rewritten with its checksums and sizes (deb2rpmmd.py emits primary only).
#    x86_64/bin and every <arch>/src are symlinks to OUT/bin and OUT/src.
MULTI_ARCHES=(x86_64 aarch64 ppc64le s390x)
arches_csv=$(IFS=,; echo "${MULTI_ARCHES[*]}")
relabel_py=$(cat <<'PY'
import gzip, hashlib, os, re, sys, zlib
from concurrent.futures import ThreadPoolExecutor
src, dst, arches = sys.argv[1], sys.argv[2], sys.argv[3:]
repomd = open(os.path.join(src, "repodata/repomd.xml")).read()
if re.findall(r'<data type="([^"]+)"', repomd) != ["primary"]:
    sys.exit(f"relabel: {src}/repodata/repomd.xml lists more than primary: update prepare.sh")
href = re.search(r'<data type="primary">.*?<location href="([^"]+)"', repomd, re.S).group(1)
xml = gzip.decompress(open(os.path.join(src, href), "rb").read())
n_arch, n_loc = xml.count(b"<arch>x86_64</arch>"), xml.count(b'.x86_64.rpm"/>')
if n_arch == 0 or n_arch != n_loc:
    sys.exit(f"relabel: {n_arch} <arch>x86_64</arch> but {n_loc} .x86_64.rpm hrefs")
rev = re.search(r"<revision>(\d+)</revision>", repomd).group(1)
def one(arch):
    out = xml.replace(b"<arch>x86_64</arch>", f"<arch>{arch}</arch>".encode()) \
             .replace(b'.x86_64.rpm"/>', f'.{arch}.rpm"/>'.encode())
    gz = gzip.compress(out, 6, mtime=0)
    osha, gsha = hashlib.sha256(out).hexdigest(), hashlib.sha256(gz).hexdigest()
    d = os.path.join(dst, arch, "bin", "repodata")
    os.makedirs(d)
    fname = f"repodata/{gsha}-primary.xml.gz"
    with open(os.path.join(dst, arch, "bin", fname), "wb") as f:
        f.write(gz)
    with open(os.path.join(d, "repomd.xml"), "w") as f:
        f.write(f'''<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">
  <revision>{rev}</revision>
  <data type="primary">
    <checksum type="sha256">{gsha}</checksum>
    <open-checksum type="sha256">{osha}</open-checksum>
    <location href="{fname}"/>
    <timestamp>{rev}</timestamp>
    <size>{len(gz)}</size>
    <open-size>{len(out)}</open-size>
  </data>
</repomd>
''')
    return f"{arch}: {n_arch} packages relabelled, {len(gz) / 1e6:.1f} MB gz"
with ThreadPoolExecutor(2) as ex:   # zlib releases the GIL
    for line in ex.map(one, arches):
        print("prepare.sh: multi/" + line)
PY
)
mstamp="$(sha256sum < "$OUT/bin/repodata/repomd.xml" | cut -d' ' -f1) $(sha256sum < "$OUT/src/repodata/repomd.xml" | cut -d' ' -f1) $(printf '%s\n' "$relabel_py" "${MULTI_ARCHES[*]}" | sha256sum | cut -d' ' -f1)"
if [ -f "$OUT/multi/.stamp" ] && [ "$(cat "$OUT/multi/.stamp")" = "$mstamp" ]; then
    echo "prepare.sh: $OUT/multi is up to date (${MULTI_ARCHES[*]})"
else
    echo "prepare.sh: relabelling $OUT/bin -> $OUT/multi/{$arches_csv}/bin"
    mkdir -p "$tmp/multi"
    foreign=()
    for a in "${MULTI_ARCHES[@]}"; do [ "$a" = x86_64 ] || foreign+=("$a"); done
    python3 -c "$relabel_py" "$OUT/bin" "$tmp/multi" "${foreign[@]}"
    for a in "${MULTI_ARCHES[@]}"; do
        mkdir -p "$tmp/multi/$a"
        [ "$a" = x86_64 ] && ln -s ../../bin "$tmp/multi/$a/bin"
        ln -s ../../src "$tmp/multi/$a/src"
    done
    echo "$mstamp" > "$tmp/multi/.stamp"
    rm -rf "$OUT/multi"
    mv "$tmp/multi" "$OUT/multi"
fi
cat > "$OUT/rpms.multi.in.yaml" <<YAML
contentOrigin:
  repos:
    - repoid: bench
      baseurl: http://127.0.0.1:$PORT/multi/\$basearch/bin
    - repoid: bench-source
      baseurl: http://127.0.0.1:$PORT/multi/\$basearch/src
packages: [nginx, python3, gcc]
arches: [${arches_csv//,/, }]
context:
  bare: true
YAML

n=$(grep -o 'packages="[0-9]*"' <(zcat "$OUT"/bin/repodata/*-primary.xml.gz | head -c 4096) | grep -o '[0-9]*')
ns=$(grep -o 'packages="[0-9]*"' <(zcat "$OUT"/src/repodata/*-primary.xml.gz | head -c 4096) | grep -o '[0-9]*')
gz=$(stat -c %s "$OUT"/bin/repodata/*-primary.xml.gz)
open=$(grep -o '<open-size>[0-9]*' "$OUT/bin/repodata/repomd.xml" | grep -o '[0-9]*')
echo "prepare.sh: bin: $n packages, primary $((open/1000000)) MB ($((gz/1000000)) MB gz); src: $ns packages"
echo "prepare.sh: input $OUT/rpms.in.yaml, four arches $OUT/rpms.multi.in.yaml (port $PORT)"
