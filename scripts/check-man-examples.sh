#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The EXAMPLES programs of man/man2/*.2 (between the man-pages project's
# '.\" SRC BEGIN (name.c)' and '.\" SRC END' markers) compile without
# warnings against the series' uapi header.
. "$(dirname "$0")/lib.sh"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
mkdir -p "$out/include/linux"
cp "$TOP/include-uapi/linux/syslet.h" "$out/include/linux/"
status=0 n=0
for page in "$TOP"/man/man2/*.2; do
	python3 - "$page" "$out" <<'PY' || status=1
import re, sys
page, out = sys.argv[1], sys.argv[2]
s = open(page).read()
for name, body in re.findall(r'^\.\\" SRC BEGIN \((\S+)\)\n\.EX\n(.*?)^\.EE\n\.\\" SRC END$', s, re.S | re.M):
    code = body.replace('\\-', '-').replace('\\e', '\\').replace('\\&', '')
    open(f'{out}/{name}', 'w').write(code)
PY
done
for src in "$out"/*.c; do
	[ -e "$src" ] || continue
	n=$((n + 1))
	gcc -Wall -Wextra -Werror -O2 -pthread -isystem "$out/include" \
		-o "${src%.c}" "$src" || { echo "FAIL: $(basename "$src")"; status=1; }
done
((n)) || { echo "no EXAMPLES programs found"; exit 1; }
echo "$n EXAMPLES programs compile"
exit $status
