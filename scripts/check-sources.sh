#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# One source of truth: the tree that `git am patches/*.patch` produced must
# hold kernel-rust/, include-uapi/, selftests/, tools-lib/ and samples/ byte
# for byte, and nothing more in the places they mirror.
. "$(dirname "$0")/lib.sh"

[ -d "$TREE/.git" ] || die "no patched tree at $TREE (run scripts/apply-series.sh)"
status=0

# compare REPO_DIR TREE_DIR FIND_ARGS...: same file list, same bytes.
compare() {
	local repo=$1 tree=$2
	shift 2
	local a b
	a=$(cd "$repo" && find . -type f "$@" | sort)
	b=$(cd "$tree" 2>/dev/null && find . -type f "$@" | sort)
	if [ "$a" != "$b" ]; then
		echo "file lists differ: ${repo#"$TOP"/} vs ${tree#"$TREE"/}:"
		diff <(echo "$a") <(echo "$b") | sed -n 's/^[<>]/    &/p'
		status=1
	fi
	local f
	for f in $a; do
		[ -f "$tree/$f" ] || continue
		cmp -s "$repo/$f" "$tree/$f" || { echo "differs: ${repo#"$TOP"/}/${f#./}"; status=1; }
	done
}

compare "$TOP/include-uapi" "$TREE/include/uapi"  -path './linux/syslet*'
compare "$TOP/kernel-rust"  "$TREE/kernel/syslet" -maxdepth 1 -name '*.rs'
compare "$TOP/selftests"    "$TREE/tools/testing/selftests/syslet"
compare "$TOP/tools-lib"    "$TREE/tools/lib/syslet"
compare "$TOP/samples"      "$TREE/samples/syslet"
# Files the repo mirrors must not be missing from it either.
for f in "$TOP"/include-uapi/linux/*; do
	[ -e "$f" ] || { echo "include-uapi/ is empty"; status=1; }
done
if [ $status -eq 0 ]; then
	echo "series reproduces kernel-rust/, include-uapi/, selftests/, tools-lib/ and samples/ byte for byte"
fi
exit $status
