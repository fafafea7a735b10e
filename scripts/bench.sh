#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run the syslet benchmark in the built kernel: one vCPU, QEMU's -icount
# shift=0 so that the guest's CLOCK_MONOTONIC counts one ns per
# instruction (repeatable instruction counts, not wall time).  Needs
# scripts/build.sh and scripts/kselftest-build.sh first.
#
#   scripts/bench.sh [x86_64]
. "$(dirname "$0")/lib.sh"

arch=${1:-x86_64}
image=$(kernel_image "$arch")
bench=$CACHE/kselftest-$arch/syslet/syslet_bench
[ -f "$image" ] || die "no kernel image at $image (run scripts/build.sh)"
[ -x "$bench" ] || die "no benchmark at $bench (run scripts/kselftest-build.sh)"
res=$CACHE/bench-$arch
rm -rf "$res"
mkdir -p "$res"
step "benchmark ($arch): one vCPU, -icount shift=0 (ns = instructions)"
timeout 900 vng --run "$image" --disable-kvm --cpus 1 --memory 1G --verbose \
	--append "$X86_GUEST_APPEND" \
	--qemu-opts='-icount shift=0,sleep=off' --rwdir="$res" \
	--exec "$bench > $res/bench.txt 2>&1; echo exit=\$? >> $res/bench.txt" \
	</dev/null >"$res/console.log" 2>&1 || true
[ -s "$res/bench.txt" ] || die "the benchmark did not run (console: $res/console.log)"
sed 's/^/    /' "$res/bench.txt"
grep -q '^exit=0' "$res/bench.txt" || die "the benchmark failed"
