#!/usr/bin/env bash
# Runs every fuzz target on its corpus (fuzz/corpus/TARGET), deterministically: a
# fixed seed and a fixed number of inputs (FUZZ_RUNS, default 20000), so a run that
# passed here passes in CI; SECONDS caps each target's time (a slow machine runs a
# prefix of the same sequence).
# Usage: fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]   (default 20 s, every target)
#
# cargo-fuzz (libFuzzer) needs nightly features; the stable toolchain enables them
# with RUSTC_BOOTSTRAP=1. New inputs found while running go to a scratch copy of the
# corpus, so a run never changes the repository; a crash fails the run and leaves its
# input under fuzz/artifacts/TARGET/ (add it to the corpus once fixed).
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-20}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(repomd primary filelists comps modules mirrors input repofile lockfile containerfile)
fi
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
export RUSTC_BOOTSTRAP=1
cargo fuzz build -O
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for t in "${targets[@]}"; do
  mkdir -p "$scratch/$t"
  cp -r "corpus/$t/." "$scratch/$t/"
  # -rss_limit_mb: a parser that holds the whole input several times over fails;
  # -timeout: one input may not take 10 s.
  if ! cargo fuzz run -O "$t" "$scratch/$t" -- \
      -seed=1 -runs="${FUZZ_RUNS:-20000}" -max_total_time="$seconds" \
      -rss_limit_mb=1024 -max_len=262144 -timeout=10 \
      -print_final_stats=1 >"$scratch/$t.log" 2>&1; then
    tail -n 60 "$scratch/$t.log"
    echo "fuzz: $t FAILED (input saved under fuzz/artifacts/$t/)" >&2
    exit 1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$scratch/$t.log")
  echo "fuzz: $t ok, ${runs:-?} inputs (at most ${seconds}s)"
done
