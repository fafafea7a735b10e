#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs inside the virtme-ng guest: the syslet kselftests, then dmesg.
#   run-kselftests.sh KSELFTEST_DIR OUT_DIR [DEMO]
kst=$1
out=$2
demo=$3
echo "guest: $(uname -r), $(nproc) CPUs"
if [ -n "$demo" ]; then
	"$demo" >"$out/demo.txt" 2>&1
	echo "demo exit=$?" >>"$out/demo.txt"
fi
# Append mode: the runner and the tests write through different open file
# descriptions of this file; without O_APPEND they overwrite each other.
: >"$out/tap.txt"
cd "$kst" && ./run_kselftest.sh >>"$out/tap.txt" 2>&1
echo "kselftest exit=$?" >"$out/status.txt"
# The samples check themselves (--check), in the same TAP shape: their
# "ok N ..." lines nested under one top-level line each (exit 4: skipped).
n=0
for s in "$kst"/samples/*; do
	[ -x "$s" ] || continue
	n=$((n + 1))
	name=samples/${s##*/}
	echo "# selftests: syslet: $name" >>"$out/tap.txt"
	{
		cd /tmp && timeout 900 "$s" --check 2>&1
		echo "$?" >"$out/sample-rc"
	} | sed 's/^/# /' >>"$out/tap.txt"
	rc=$(cat "$out/sample-rc")
	case $rc in
	0) echo "ok $n selftests: syslet: $name" ;;
	4) echo "ok $n selftests: syslet: $name # SKIP" ;;
	*) echo "not ok $n selftests: syslet: $name # exit=$rc" ;;
	esac >>"$out/tap.txt"
done
dmesg >"$out/dmesg.txt"
sync
