#!/usr/bin/env bash
# Builds the differential oracle against Debian's moby 20.10 Go types and runs it: the tables against the
# Go types, then the fuzzer for ORACLE_SECONDS (default 30) over the checked-in corpus of real client bodies.
# Usage: tests/oracle/run.sh DOCKGATE_BIN JUDGE_BIN
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src"
cp "$here"/*.go "$work/src/"
(cd "$work/src" && GO111MODULE=off GOPATH="$work:/usr/share/gocode" GOCACHE="$work/cache" go build -o "$work/oracle" .)
"$work/oracle" fields "$1"
(cd "$work" && "$work/oracle" fuzz "$2" "$here/corpus" "${ORACLE_SECONDS:-30}")
