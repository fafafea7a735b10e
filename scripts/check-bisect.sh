#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Developer check: every patch of the series builds on its own.  Checks out
# each prefix of the series in $TREE, builds it incrementally for x86_64,
# and re-applies the whole series at the end.  Slow (two or three large
# incremental builds); not part of scripts/test.sh.
#
#   scripts/check-bisect.sh [N ...]     (patch numbers; default: all)
. "$(dirname "$0")/lib.sh"

bash "$TOP/scripts/apply-series.sh" >/dev/null
cd "$TREE"
mapfile -t commits < <(git rev-list --reverse base..HEAD)
want=("$@")
((${#want[@]})) || mapfile -t want < <(seq 1 ${#commits[@]})
status=0
for n in "${want[@]}"; do
	c=${commits[$((n - 1))]}
	step "patch $n/${#commits[@]}: $(git log -1 --format=%s "$c")"
	git checkout -q --detach "$c"
	if bash "$TOP/scripts/build.sh" x86_64 >"$CACHE/bisect-$n.log" 2>&1; then
		info "builds"
	else
		tail -20 "$CACHE/bisect-$n.log"
		info "FAILS to build (log: $CACHE/bisect-$n.log)"
		status=1
	fi
done
git checkout -q syslet
git config --unset syslet.series || true
bash "$TOP/scripts/apply-series.sh" >/dev/null
exit $status
