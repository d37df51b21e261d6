#!/usr/bin/env bash
# Time `rpmlock lock` against `dnf --assumeno install` on the benchmark repository built by
# prepare.sh, cold (empty cache) and warm (cache populated), in one run; peak RSS for each;
# compare the package sets. Usage: benches/cli-bench.sh [OUT]   (default benches/.data)
# Environment: RPMLOCK (binary; default target/release/rpmlock), RUNS (default 3),
# WARMUP (default 1), BENCH_PORT (default: the port prepare.sh wrote to OUT/PORT).
# RESULTS=DIR keeps the raw outputs (dnf transaction, package sets, diff, hyperfine JSON).
# Works without rpmlock: dnf is measured and rpmlock is reported missing.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(git -C "$here" rev-parse --show-toplevel)
OUT=${1:-$here/.data}
RUNS=${RUNS:-3}
WARMUP=${WARMUP:-1}
RPMLOCK=${RPMLOCK:-$top/target/release/rpmlock}
RESULTS=${RESULTS:-}   # if set: keep outputs, sets, diff, hyperfine JSON and summary there
SPECS=(nginx python3 gcc)
ARCH=x86_64   # deb2rpmmd.py emits x86_64 + noarch

[ -f "$OUT/rpms.in.yaml" ] || { echo "cli-bench.sh: $OUT/rpms.in.yaml missing: run benches/prepare.sh first" >&2; exit 2; }
OUT=$(cd "$OUT" && pwd)
PORT=${BENCH_PORT:-$(cat "$OUT/PORT")}
for t in hyperfine /usr/bin/time dnf; do
    command -v "$t" >/dev/null || { echo "cli-bench.sh: $t missing (apt-get install -y hyperfine time dnf)" >&2; exit 2; }
done
PY=${PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}   # needs PyYAML
"$PY" -c "import yaml" 2>/dev/null || { echo "cli-bench.sh: $PY lacks PyYAML (apt-get install -y python3-yaml)" >&2; exit 2; }
case "$RPMLOCK" in /*) ;; *) RPMLOCK=$top/$RPMLOCK ;; esac

W=$(mktemp -d /tmp/rpmlock-bench.XXXXXX)
server=""
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null
    if [ -n "$RESULTS" ]; then
        mkdir -p "$RESULTS" && cp "$W"/*.out "$W"/*.set "$W"/*.diff "$W"/*.json "$W"/*.rss \
            "$W"/summary.txt "$W"/chk-lock.yaml "$RESULTS"/ 2>/dev/null || true
    fi
    rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE
"$PY" -m http.server --bind 127.0.0.1 "$PORT" --directory "$OUT" >"$W/http.log" 2>&1 &
server=$!
for _ in $(seq 50); do
    curl -fsS -o /dev/null "http://127.0.0.1:$PORT/bin/repodata/repomd.xml" 2>/dev/null && break
    "$PY" -c 'import urllib.request,sys; urllib.request.urlopen(sys.argv[1])' \
        "http://127.0.0.1:$PORT/bin/repodata/repomd.xml" 2>/dev/null && break
    sleep 0.2
done
kill -0 "$server" || { echo "cli-bench.sh: http server failed on port $PORT:" >&2; cat "$W/http.log" >&2; exit 2; }
URL=http://127.0.0.1:$PORT

# dnf command line, cachedir and installroot given (-q hides the transaction table,
# so the checked run drops it; the timed runs use -q as the reference invocation)
dnf_cmd() { # ROOT CACHE [extra...]
    local root=$1 cache=$2; shift 2
    echo dnf "$@" --installroot="$root" --releasever=1 --setopt=reposdir=/dev/null \
        --setopt=cachedir="$cache" --repofrompath=bench,$URL/bin \
        --repofrompath=bench-source,$URL/src --setopt=*.gpgcheck=0 --forcearch=$ARCH \
        --assumeno install "${SPECS[@]}"
}
rl_cmd() { # CACHE LOCK
    echo "$RPMLOCK" lock "$OUT/rpms.in.yaml" --outfile "$2" --cache-dir "$1"
}
# every timed command runs under /usr/bin/time, appending its peak RSS (KB) to a file
timed() { echo /usr/bin/time -a -o "$1" -f %M "${@:2}"; }

echo "== load before: $(cut -d' ' -f1-3 /proc/loadavg)  ($(nproc) cores)  runs=$RUNS warmup=$WARMUP"

# -- correctness run of dnf (cold): must list the transaction; its root and cache then
#    serve the warm runs
mkdir -p "$W/warm-root"
set +e
$(dnf_cmd "$W/warm-root" "$W/warm-cache") >"$W/dnf.out" 2>&1
rc=$?
set -e
if ! grep -q '^Transaction Summary' "$W/dnf.out"; then
    echo "cli-bench.sh: dnf did not resolve a transaction (exit $rc):" >&2
    cat "$W/dnf.out" >&2
    exit 1
fi
"$PY" - "$W/dnf.out" >"$W/dnf.set" <<'PY'
import re, sys
rows, intable = [], False
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    if line.startswith("Transaction Summary"):
        break
    if re.match(r"^(Installing|Upgrading|Installing dependencies|Installing weak dependencies)", line):
        intable = True
        continue
    if not intable or not line.strip():
        continue
    if re.match(r"^ \S", line):
        rows.append(line.split())
    elif rows and line.startswith("  "):  # dnf wraps long names onto a second line
        rows[-1] += line.split()
for r in rows:
    print(f"{r[0]}-{r[2]}")  # name, arch, [epoch:]version-release, repo, size
PY
ndnf=$(sort -u "$W/dnf.set" | wc -l)
echo "== dnf resolves ${SPECS[*]}: $(grep -E '^Install +[0-9]+ Package' "$W/dnf.out" | tr -s ' ') (parsed $ndnf) — exit $rc as expected with --assumeno"

have_rl=0
if [ -x "$RPMLOCK" ]; then
    set +e
    $(rl_cmd "$W/rl-warm-cache" "$W/chk-lock.yaml") >"$W/rl.out" 2>&1
    rlrc=$?
    set -e
    if [ $rlrc -eq 0 ] && [ -s "$W/chk-lock.yaml" ]; then
        have_rl=1
        "$PY" - "$W/chk-lock.yaml" >"$W/rl.set" <<'PY'
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
for a in d["arches"]:
    for p in a["packages"]:
        print(f'{p["name"]}-{p["evr"]}')
PY
        nrl=$(sort -u "$W/rl.set" | wc -l)
        nsrc=$("$PY" -c 'import sys,yaml; print(sum(len(a["source"]) for a in yaml.safe_load(open(sys.argv[1]))["arches"]))' "$W/chk-lock.yaml")
        echo "== rpmlock locks $nrl packages, $nsrc source packages"
        if diff <(sort -u "$W/dnf.set") <(sort -u "$W/rl.set") >"$W/set.diff"; then
            echo "== package sets: IDENTICAL (name-evr) to dnf's transaction"
        else
            echo "== package sets DIFFER (< dnf only, > rpmlock only):"
            grep '^[<>]' "$W/set.diff" | sed 's/^/   /'
        fi
    else
        echo "== rpmlock FAILED (exit $rlrc): not timed"; sed 's/^/   /' "$W/rl.out" | tail -20
    fi
else
    echo "== rpmlock MISSING: $RPMLOCK (cargo build --release, or set RPMLOCK=): only dnf is measured"
fi

# -- timings: cold = fresh cache (and fresh installroot for dnf) before each run
HF=(hyperfine -N --style basic --runs "$RUNS")
"${HF[@]}" -i --warmup 0 --export-json "$W/dnf-cold.json" -n "dnf cold" \
    --prepare "rm -rf $W/cold-root $W/cold-cache" \
    "$(timed "$W/dnf-cold.rss" $(dnf_cmd "$W/cold-root" "$W/cold-cache" -q))"
"${HF[@]}" -i --warmup "$WARMUP" --export-json "$W/dnf-warm.json" -n "dnf warm" \
    "$(timed "$W/dnf-warm.rss" $(dnf_cmd "$W/warm-root" "$W/warm-cache" -q))"
if [ $have_rl = 1 ]; then
    "${HF[@]}" --warmup 0 --export-json "$W/rl-cold.json" -n "rpmlock cold" \
        --prepare "rm -rf $W/rl-cold-cache" \
        "$(timed "$W/rl-cold.rss" $(rl_cmd "$W/rl-cold-cache" "$W/lock-cold.yaml"))"
    "${HF[@]}" --warmup "$WARMUP" --export-json "$W/rl-warm.json" -n "rpmlock warm" \
        "$(timed "$W/rl-warm.rss" $(rl_cmd "$W/rl-warm-cache" "$W/lock-warm.yaml"))"
    # warm without the resolution cache: what loading the cached repository metadata
    # (.solv files + package indexes) and solving again cost
    "${HF[@]}" --warmup "$WARMUP" --export-json "$W/rl-warm-meta.json" -n "rpmlock warm, metadata only" \
        "$(timed "$W/rl-warm-meta.rss" env RPMLOCK_RESOLUTION_CACHE=0 $(rl_cmd "$W/rl-warm-cache" "$W/lock-warm-meta.yaml"))"
    cmp -s "$W/lock-cold.yaml" "$W/lock-warm.yaml" || echo "== WARNING: cold and warm locks differ"
    cmp -s "$W/lock-cold.yaml" "$W/lock-warm-meta.yaml" || echo "== WARNING: cold and metadata-warm locks differ"
fi
# the timed runs are quiet (-q): check once that warm dnf still resolves from its cache
set +e; $(dnf_cmd "$W/warm-root" "$W/warm-cache") >"$W/dnf-warm.out" 2>&1; set -e
grep -q '^Transaction Summary' "$W/dnf-warm.out" || { echo "== WARNING: warm dnf did not resolve:"; tail "$W/dnf-warm.out"; }
grep -qE '^bench +.*(MB/s|kB/s)' "$W/dnf-warm.out" && echo "== note: warm dnf downloaded metadata again"
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"

"$PY" - "$W" "$have_rl" <<'PY' | tee "$W/summary.txt"
import json, os, statistics, sys
w, have_rl = sys.argv[1], sys.argv[2] == "1"
def med(tag):
    p = os.path.join(w, tag + ".json")
    if not os.path.exists(p):
        return None, None
    r = json.load(open(p))["results"][0]
    t = statistics.median(r["times"])
    rss = [int(x) for x in open(os.path.join(w, tag + ".rss")).read().split() if x.isdigit()]
    return t, max(rss) / 1024 if rss else None
rows = {t: med(t) for t in ("dnf-cold", "dnf-warm", "rl-cold", "rl-warm", "rl-warm-meta")}
f = lambda v, fmt: (fmt % v) if v is not None else "-"
print()
print(f"{'':30}{'median s':>10}{'peak RSS MB':>13}")
for tag, label in (("dnf-cold", "dnf cold"), ("dnf-warm", "dnf warm"),
                   ("rl-cold", "rpmlock cold"), ("rl-warm", "rpmlock warm"),
                   ("rl-warm-meta", "rpmlock warm, metadata only")):
    t, m = rows[tag]
    print(f"{label:30}{f(t, '%.3f'):>10}{f(m, '%.1f'):>13}")
print()
for kind, target in (("cold", 0.35), ("warm", 0.2)):
    d, r = rows["dnf-" + kind][0], rows["rl-" + kind][0]
    if r is None:
        print(f"ratio rpmlock/dnf {kind}: - (rpmlock not measured; target <= {target})")
    else:
        q = r / d
        print(f"ratio rpmlock/dnf {kind}: {q:.3f} (target <= {target}: {'MET' if q <= target else 'NOT met'})")
m = rows["rl-warm-meta"][0]
if m is not None:
    print(f"ratio rpmlock/dnf warm, metadata only (no resolution cache): {m / rows['dnf-warm'][0]:.3f}")
PY
