#!/usr/bin/env bash
# Time `rpmlock lock` against `dnf --assumeno install` on the benchmark repository built by
# prepare.sh, cold (empty cache) and warm (cache populated), and cold on four arches (one
# relabelled repo per arch under $basearch: rpmlock in one run, dnf once per arch), in one
# run; peak RSS for each; compare the package sets; print the ratios against issue 11's
# targets. Usage: benches/cli-bench.sh [OUT]   (default benches/.data)
# Environment: RPMLOCK (binary; default target/release/rpmlock), RUNS (default 3),
# WARMUP (default 1), BENCH_PORT (default: the port prepare.sh wrote to OUT/PORT),
# MULTI=0 skips the four-arch case (default 1).
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
MULTI=${MULTI:-1}
SPECS=(nginx python3 gcc)
ARCH=x86_64   # deb2rpmmd.py emits x86_64 + noarch
MULTI_ARCHES=(x86_64 aarch64 ppc64le s390x)   # as prepare.sh relabels them

[ -f "$OUT/rpms.in.yaml" ] || { echo "cli-bench.sh: $OUT/rpms.in.yaml missing: run benches/prepare.sh first" >&2; exit 2; }
OUT=$(cd "$OUT" && pwd)
PORT=${BENCH_PORT:-$(cat "$OUT/PORT")}
if [ "$MULTI" = 1 ]; then
    for a in "${MULTI_ARCHES[@]}"; do
        [ -f "$OUT/multi/$a/bin/repodata/repomd.xml" ] && [ -f "$OUT/multi/$a/src/repodata/repomd.xml" ] \
            && [ -f "$OUT/rpms.multi.in.yaml" ] \
            || { echo "cli-bench.sh: $OUT/multi/$a or rpms.multi.in.yaml missing: run benches/prepare.sh again (or MULTI=0)" >&2; exit 2; }
    done
fi
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
            "$W"/summary.txt "$W"/chk-lock.yaml "$W"/chk-multi-lock.yaml "$RESULTS"/ 2>/dev/null || true
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
# the inputs name the port prepare.sh was given: point copies of them at this server
for f in rpms.in.yaml rpms.multi.in.yaml; do
    [ -f "$OUT/$f" ] && sed "s#//127\.0\.0\.1:$(cat "$OUT/PORT")/#//127.0.0.1:$PORT/#" "$OUT/$f" >"$W/$f"
done

# dnf command line, cachedir and installroot given (-q hides the transaction table,
# so the checked run drops it; the timed runs use -q as the reference invocation).
# REPOS is the repos' path on the server: "" (OUT/bin, OUT/src) or "multi/ARCH/".
dnf_cmd_for() { # ARCH REPOS ROOT CACHE [extra...]
    local arch=$1 repos=$2 root=$3 cache=$4; shift 4
    echo dnf "$@" --installroot="$root" --releasever=1 --setopt=reposdir=/dev/null \
        --setopt=cachedir="$cache" --repofrompath=bench,$URL/${repos}bin \
        --repofrompath=bench-source,$URL/${repos}src --setopt=*.gpgcheck=0 --forcearch=$arch \
        --assumeno install "${SPECS[@]}"
}
dnf_cmd() { dnf_cmd_for "$ARCH" "" "$@"; }  # ROOT CACHE [extra...]
rl_cmd() { # CACHE LOCK [INPUT]
    echo "$RPMLOCK" lock "${3:-$W/rpms.in.yaml}" --outfile "$2" --cache-dir "$1"
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
# the transaction table of a dnf run without -q -> name-[epoch:]version-release lines
DNF_SET_PY=$(cat <<'PY'
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
)
"$PY" -c "$DNF_SET_PY" "$W/dnf.out" >"$W/dnf.set"
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

# -- four arches, correctness: dnf once per arch (--forcearch, that arch's relabelled repo)
#    must resolve a transaction of x86_64's size; rpmlock once on rpms.multi.in.yaml must
#    lock, for every arch, dnf's set for that arch (name-evr), from that arch's repo only
have_multi_rl=0
if [ "$MULTI" = 1 ]; then
    for a in "${MULTI_ARCHES[@]}"; do
        set +e
        $(dnf_cmd_for "$a" "multi/$a/" "$W/m-root-$a" "$W/m-cache-$a") >"$W/dnf-$a.out" 2>&1
        rc=$?
        set -e
        if ! grep -q '^Transaction Summary' "$W/dnf-$a.out"; then
            echo "cli-bench.sh: dnf --forcearch=$a did not resolve a transaction (exit $rc):" >&2
            cat "$W/dnf-$a.out" >&2
            exit 1
        fi
        "$PY" -c "$DNF_SET_PY" "$W/dnf-$a.out" >"$W/dnf-$a.set"
        rm -rf "$W/m-root-$a" "$W/m-cache-$a"
    done
    ns=$(for a in "${MULTI_ARCHES[@]}"; do echo "$a $(sort -u "$W/dnf-$a.set" | wc -l)"; done)
    echo "== dnf per arch (--forcearch): $(echo $ns)"
    for a in "${MULTI_ARCHES[@]}"; do
        cmp -s <(sort -u "$W/dnf.set") <(sort -u "$W/dnf-$a.set") \
            || echo "== WARNING: dnf's $a set differs from its one-arch x86_64 set (relabelling?)"
    done
    if [ $have_rl = 1 ]; then
        set +e
        $(rl_cmd "$W/rl-multi-chk-cache" "$W/chk-multi-lock.yaml" "$W/rpms.multi.in.yaml") >"$W/rl-multi.out" 2>&1
        rlrc=$?
        set -e
        rm -rf "$W/rl-multi-chk-cache"
        if [ $rlrc -eq 0 ] && [ -s "$W/chk-multi-lock.yaml" ]; then
            have_multi_rl=1
            "$PY" - "$W" "$W/chk-multi-lock.yaml" "${MULTI_ARCHES[@]}" <<'PY'
import os, re, sys, yaml
w, lock, arches = sys.argv[1], sys.argv[2], sys.argv[3:]
d = {a["arch"]: a for a in yaml.safe_load(open(lock))["arches"]}
if sorted(d) != sorted(arches):
    print(f"== WARNING: four-arch lock has arches {sorted(d)}, expected {sorted(arches)}")
for arch in arches:
    a = d.get(arch, {"packages": [], "source": []})
    with open(os.path.join(w, f"rl-{arch}.set"), "w") as f:
        for p in a["packages"]:
            print(f'{p["name"]}-{p["evr"]}', file=f)
    # every binary package from this arch's repo, of this arch or noarch
    bad = [p["url"] for p in a["packages"]
           if f"/multi/{arch}/bin/" not in p["url"]
           or re.search(r"\.([^.]+)\.rpm$", p["url"]).group(1) not in (arch, "noarch")]
    for u in bad[:5]:
        print(f"== WARNING: {arch} locks {u}")
    print(f"== rpmlock four arches: {arch} {len(a['packages'])} packages, {len(a['source'])} source"
          + (f", {len(bad)} from another arch" if bad else ""))
PY
            for a in "${MULTI_ARCHES[@]}"; do
                if diff <(sort -u "$W/dnf-$a.set") <(sort -u "$W/rl-$a.set") >"$W/set-$a.diff"; then
                    echo "== $a package set: IDENTICAL (name-evr) to dnf --forcearch=$a"
                else
                    echo "== $a package sets DIFFER (< dnf only, > rpmlock only):"
                    grep '^[<>]' "$W/set-$a.diff" | sed 's/^/   /'
                fi
            done
        else
            echo "== rpmlock four arches FAILED (exit $rlrc): not timed"; sed 's/^/   /' "$W/rl-multi.out" | tail -20
        fi
    fi
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
if [ "$MULTI" = 1 ]; then
    # four arches: dnf cold once per arch (the sum of the four medians is dnf's figure),
    # rpmlock cold on all four in one run
    for a in "${MULTI_ARCHES[@]}"; do
        "${HF[@]}" -i --warmup 0 --export-json "$W/dnf-cold-$a.json" -n "dnf cold $a" \
            --prepare "rm -rf $W/m-root $W/m-cache" \
            "$(timed "$W/dnf-cold-$a.rss" $(dnf_cmd_for "$a" "multi/$a/" "$W/m-root" "$W/m-cache" -q))"
    done
    rm -rf "$W/m-root" "$W/m-cache"
    if [ $have_multi_rl = 1 ]; then
        "${HF[@]}" --warmup 0 --export-json "$W/rl-multi-cold.json" -n "rpmlock cold, four arches" \
            --prepare "rm -rf $W/rl-multi-cache" \
            "$(timed "$W/rl-multi-cold.rss" $(rl_cmd "$W/rl-multi-cache" "$W/lock-multi-cold.yaml" "$W/rpms.multi.in.yaml"))"
        rm -rf "$W/rl-multi-cache"
        cmp -s "$W/chk-multi-lock.yaml" "$W/lock-multi-cold.yaml" || echo "== WARNING: four-arch locks of the check and timed runs differ"
    fi
fi
# the timed runs are quiet (-q): check once that warm dnf still resolves from its cache
set +e; $(dnf_cmd "$W/warm-root" "$W/warm-cache") >"$W/dnf-warm.out" 2>&1; set -e
grep -q '^Transaction Summary' "$W/dnf-warm.out" || { echo "== WARNING: warm dnf did not resolve:"; tail "$W/dnf-warm.out"; }
grep -qE '^bench +.*(MB/s|kB/s)' "$W/dnf-warm.out" && echo "== note: warm dnf downloaded metadata again"
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"

"$PY" - "$W" "${MULTI_ARCHES[@]}" <<'PY' | tee "$W/summary.txt"
import json, os, statistics, sys
w, arches = sys.argv[1], sys.argv[2:]
def med(tag):
    p = os.path.join(w, tag + ".json")
    if not os.path.exists(p):
        return None, None
    r = json.load(open(p))["results"][0]
    t = statistics.median(r["times"])
    rss = [int(x) for x in open(os.path.join(w, tag + ".rss")).read().split() if x.isdigit()]
    return t, max(rss) / 1024 if rss else None
labels = [("dnf-cold", "dnf cold"), ("dnf-warm", "dnf warm"),
          ("rl-cold", "rpmlock cold"), ("rl-warm", "rpmlock warm"),
          ("rl-warm-meta", "rpmlock warm, metadata only")]
labels += [(f"dnf-cold-{a}", f"dnf cold, {a}") for a in arches]
labels += [("rl-multi-cold", "rpmlock cold, four arches")]
rows = {t: med(t) for t, _ in labels}
per_arch = [rows[f"dnf-cold-{a}"] for a in arches]
if all(t is not None for t, _ in per_arch):
    rows["dnf-multi-cold"] = (sum(t for t, _ in per_arch), max(m for _, m in per_arch))
    labels.insert(len(labels) - 1, ("dnf-multi-cold", "dnf cold, sum of four arches"))
f = lambda v, fmt: (fmt % v) if v is not None else "-"
print()
print(f"{'':32}{'median s':>10}{'peak RSS MB':>13}")
for tag, label in labels:
    if tag in rows and rows[tag][0] is not None:
        t, m = rows[tag]
        print(f"{label:32}{f(t, '%.3f'):>10}{f(m, '%.1f'):>13}")
print()
print("issue 11 targets:")
def target(label, num, den, limit, unit="x"):
    a, b = rows.get(num, (None, None)), rows.get(den, (None, None)) if den else None
    if unit == "s":
        v = a[0]
    elif unit == "rss":
        v = a[1] / b[1] if a[1] is not None and b[1] else None
    else:
        v = a[0] / b[0] if a[0] is not None and b[0] else None
    lim = f"<= {limit * 1000:.0f} ms" if unit == "s" else f"<= {limit}x"
    if v is None:
        print(f"  {label:52} {'-':>7}  (target {lim}; not measured)")
    else:
        val = f"{v * 1000:.1f} ms" if unit == "s" else f"{v:.3f}"
        print(f"  {label:52} {val:>7}  (target {lim}: {'MET' if v <= limit else 'NOT met'})")
target("cold, one arch: rpmlock / dnf", "rl-cold", "dnf-cold", 0.12)
target("cold, four arches: rpmlock / sum of four dnf", "rl-multi-cold", "dnf-multi-cold", 0.12)
target("peak RSS, four arches: rpmlock / dnf one-arch", "rl-multi-cold", "dnf-cold", 1.4, "rss")
target("warm: rpmlock median", "rl-warm", None, 0.010, "s")
target("warm: rpmlock / dnf", "rl-warm", "dnf-warm", 0.03)
target("warm, no resolution cache: rpmlock / dnf", "rl-warm-meta", "dnf-warm", 0.25)
target("peak RSS, one arch (cold): rpmlock / dnf", "rl-cold", "dnf-cold", 1.0, "rss")
PY
