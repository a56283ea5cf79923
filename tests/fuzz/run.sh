#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (into build-fuzz/, ASan and UBSan on) and runs each from its
# checked-in corpus for FUZZ_SECONDS (default 20), two at a time; json also starts from the oracle's real
# client bodies. A crash, a sanitizer report, a broken property or a hang fails the run; the input that did
# it is kept in build-fuzz/crashes/. New inputs found go to a scratch directory, never into the repository.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ "${1:-}" = one ]; then
  target=$2 work=$3
  seeds=("tests/fuzz/corpus/$target")
  [ "$target" = json ] && seeds+=(tests/oracle/corpus)
  mkdir -p "$work/$target"
  if ! "build-fuzz/tests/fuzz/fuzz_$target" -max_total_time="${FUZZ_SECONDS:-20}" -timeout=10 -rss_limit_mb=2048 \
      -max_len=65536 -print_final_stats=1 -artifact_prefix="build-fuzz/crashes/$target-" \
      "$work/$target" "${seeds[@]}" >"$work/$target.log" 2>&1; then
    echo "fuzz_$target FAILED:"
    tail -n 60 "$work/$target.log"
    exit 1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$target.log")
  corpus=$(ls "$work/$target" | wc -l)
  echo "fuzz_$target: $runs inputs in ${FUZZ_SECONDS:-20} s, no failure ($corpus new inputs kept)"
  exit 0
fi

CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DDOCKGATE_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz
mkdir -p build-fuzz/crashes
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '%s\n' head chunked json policy config listen | xargs -P 2 -I{} "$0" one {} "$work"
