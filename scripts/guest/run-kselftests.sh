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
dmesg >"$out/dmesg.txt"
sync
