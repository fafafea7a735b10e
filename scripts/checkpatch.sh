#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run the base tree's checkpatch.pl --strict on every patch of the series.
# FILE_PATH_CHANGES ("does MAINTAINERS need updating?") is ignored: the
# series adds its MAINTAINERS entry in a patch of its own.
# Prints one line per patch: "ok <patch>" or "FAIL <patch>" plus the report.
. "$(dirname "$0")/lib.sh"

[ -x "$TREE/scripts/checkpatch.pl" ] || die "no tree at $TREE"
status=0
for p in "$TOP"/patches/0*.patch; do
	case $p in */0000-cover-letter.patch) continue ;; esac
	if out=$(cd "$TREE" && perl scripts/checkpatch.pl --strict -q \
		--ignore FILE_PATH_CHANGES "$p" 2>&1); then
		echo "ok ${p##*/}"
	else
		echo "FAIL ${p##*/}"
		echo "$out" | sed 's/^/    /'
		status=1
	fi
done
exit $status
