#!/usr/bin/env bash
# Checks that the layers call one way down (docs/ARCHITECTURE.md, "Which layer may call which"):
# no file of src/store/ includes a core header other than a type-only one (core/*_types.h) or an
# api/ header, and no file of src/core/ includes an api/ or http/ header. Prints each include
# that breaks a rule and exits 1 when there is one. `scripts/layers.sh [SRC]`, SRC defaults to
# the src/ next to this script.
set -u
src=${1:-$(dirname "$0")/../src}
broken=0

# Prints the `#include "dir/..."` lines of the .c and .h files under $1 whose header matches $2.
includes() {
	grep -rHnE --include='*.c' --include='*.h' \
		"^[[:space:]]*#[[:space:]]*include[[:space:]]+\"($2)\"" "$1"
}

report() {
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		echo "layers: $line: $1"
		broken=1
	done
}

[ -d "$src/store" ] && [ -d "$src/core" ] || { echo "layers: no src/store or src/core under $src"; exit 2; }
report "the store includes a core header with functions in it (only core/*_types.h)" \
	< <(includes "$src/store" 'core/[^"]*' | grep -vE '"core/[^"]*_types\.h"')
report "the store includes an api/ header" < <(includes "$src/store" 'api/[^"]*')
report "core includes an api/ or http/ header" < <(includes "$src/core" '(api|http)/[^"]*')
[ "$broken" = 0 ] && echo "layers: store -> core types only, core -> no api/ or http/: ok"
exit "$broken"
