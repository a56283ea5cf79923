#!/usr/bin/env bash
# Every src/X/Y.cpp has tests/unit/X/Y_test.cpp (or its directory's tests/unit/X_test.cpp), or a line in
# tests/unit/untested.txt saying why not; and every such line names a source that exists and has no test.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
listed=$(grep -v '^#' tests/unit/untested.txt | awk 'NF {print $1}')
status=0
while IFS= read -r src; do
  rel=${src#src/}
  own="tests/unit/${rel%.cpp}_test.cpp"
  dir="tests/unit/$(dirname "$rel")_test.cpp"
  tested=no
  [[ -f $own || ( $(dirname "$rel") != . && -f $dir ) ]] && tested=yes
  if grep -qxF "$src" <<<"$listed"; then
    if [[ $tested == yes ]]; then
      echo "tests/unit/untested.txt lists $src, which has a test now: remove its line"
      status=1
    fi
  elif [[ $tested == no ]]; then
    echo "$src has no unit test: add $own, or a line with the reason to tests/unit/untested.txt"
    status=1
  fi
done < <(find src -name '*.cpp' | sort)
while IFS= read -r src; do
  [[ -f $src ]] || { echo "tests/unit/untested.txt lists $src, which does not exist"; status=1; }
done <<<"$listed"
exit $status
