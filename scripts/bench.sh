#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run the syslet benchmark in the built kernel: one vCPU, QEMU's -icount
# shift=0 so that the guest's CLOCK_MONOTONIC counts one ns per
# instruction (repeatable instruction counts, not wall time).  Needs
# scripts/kselftest-build.sh first.  --prod measures the production-like
# kernel (scripts/build.sh --prod: no lockdep, KASAN or other debug
# options), building it first, incrementally; without it, the test kernel.
# x86_64 runs under virtme-ng, arm64 under qemu-system-aarch64 with the
# static init of scripts/boot-arm64.sh and the benchmark alone in the
# initramfs.
#
#   scripts/bench.sh [x86_64|arm64] [--prod]
. "$(dirname "$0")/lib.sh"

arch=x86_64
prod=
while (($#)); do
	case $1 in
	--prod) prod=1 ;;
	x86_64 | arm64) arch=$1 ;;
	*) die "usage: $0 [x86_64|arm64] [--prod]" ;;
	esac
	shift
done
image=$(kernel_image "$arch")
if [ -n "$prod" ]; then
	bash "$TOP/scripts/build.sh" "$arch" --prod || die "building the production-like kernel failed"
	image=${image/\/build-$arch\//\/build-$arch-prod\/}
fi
bench=$CACHE/kselftest-$arch/syslet/syslet_bench
[ -f "$image" ] || die "no kernel image at $image (run scripts/build.sh)"
[ -x "$bench" ] || die "no benchmark at $bench (run scripts/kselftest-build.sh)"
res=$CACHE/bench-$arch${prod:+-prod}
rm -rf "$res"
mkdir -p "$res"
kind=test
[ -z "$prod" ] || kind=production-like
step "benchmark ($arch, $kind kernel): one vCPU, -icount shift=0 (ns = instructions)"
if [ "$arch" = x86_64 ]; then
	timeout 900 vng --run "$image" --disable-kvm --cpus 1 --memory 1G --verbose \
		--append "$X86_GUEST_APPEND" \
		--qemu-opts='-icount shift=0,sleep=off' --rwdir="$res" \
		--exec "$bench > $res/bench.txt 2>&1; echo exit=\$? >> $res/bench.txt" \
		</dev/null >"$res/console.log" 2>&1 || true
else
	# The guest of boot-arm64.sh with the benchmark alone in it.
	arm64_guest_root "$res"
	cp "$bench" "$res/root/kselftest/"
	arm64_guest_boot "$res" "$image" 900 "" -smp 1 -m 1G -icount shift=0,sleep=off || true
	tr -d '\r' <"$res/console.log" | awk '
		/^# selftests: syslet: syslet_bench/ { on = 1; next }
		on && /^(not )?ok 1 / { print ($1 == "ok" ? "exit=0" : "exit=1"); exit }
		on { sub(/^# /, ""); print }' >"$res/bench.txt"
fi
[ -s "$res/bench.txt" ] || die "the benchmark did not run (console: $res/console.log)"
sed 's/^/    /' "$res/bench.txt"
grep -q '^exit=0' "$res/bench.txt" || die "the benchmark failed"
