#!/usr/bin/env bash
# scripts/layers.sh on copies of src/store and src/core: a clean copy passes, and each include
# that breaks a layer rule (a core header with functions or an api/ header in the store, an api/
# or http/ header in core) fails it, named in its output. `tests/layers/test_layers.sh [SRC]`.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=${1:-$here/../../src}
check=$here/../../scripts/layers.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0

fresh() {
	rm -rf "$work/src" && mkdir -p "$work/src" && cp -r "$src/store" "$src/core" "$work/src/"
}

# expect WANT_RC FILE LINE: appends LINE to FILE (relative to the copy; none when empty) and
# checks that layers.sh exits WANT_RC, naming FILE when it fails.
expect() {
	fresh
	[ -z "$2" ] || echo "$3" >>"$work/src/$2"
	out=$(bash "$check" "$work/src" 2>&1)
	rc=$?
	if [ "$rc" != "$1" ] || { [ "$1" = 1 ] && ! grep -q "$2" <<<"$out"; }; then
		echo "FAIL: $2 + '$3': exit $rc, wanted $1"
		echo "$out"
		failed=1
	else
		echo "ok: ${2:-clean copy} ${3:++ $3} -> exit $rc"
	fi
}

expect 0 "" ""
expect 0 store/gold.c '#include "core/quality_types.h"'
expect 1 store/gold.c '#include "core/quality.h"'
expect 1 store/gold.h '#include "api/api.h"'
expect 1 core/gold.c '#include "http/server.h"'
expect 1 core/gold.h '#include "api/task_json.h"'
exit "$failed"
