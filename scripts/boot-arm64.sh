#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boot the arm64 kernel under qemu-system-aarch64 (software emulation, the
# "virt" machine) with an initramfs holding a static init
# (scripts/guest/tinit.c) and the static syslet kselftests; the TAP output
# comes back on the serial console.  Results: $CACHE/run-arm64/.
. "$(dirname "$0")/lib.sh"

image=${SYSLET_IMAGE:-$(kernel_image arm64)}	# another kernel: SYSLET_IMAGE
[ -f "$image" ] || die "no arm64 kernel image at $image (run scripts/build.sh arm64)"
kst=$CACHE/kselftest-arm64/syslet
[ -d "$kst" ] || die "no arm64 kselftests in $kst (run scripts/kselftest-build.sh arm64)"
res=${SYSLET_RUN_DIR:-$CACHE/run-arm64}
rm -rf "$res"

step "boot (arm64): qemu-system-aarch64 -M virt, software emulation"
arm64_guest_root "$res"
# The programs kselftest runs (TEST_GEN_PROGS), as its install lists them.
list=$CACHE/kselftest-arm64/kselftest-list.txt
[ -f "$list" ] || die "no $list (run scripts/kselftest-build.sh arm64)"
while IFS=: read -r _ t; do
	cp "$kst/$t" "$res/root/kselftest/"
done <"$list"
cp "$CACHE"/kselftest-arm64/samples/* "$res/root/samples/"
start=$SECONDS
rc=0
arm64_guest_boot "$res" "$image" 1500 "${SYSLET_APPEND:-}" -smp 2 -m 2G || rc=$?
info "guest ran for $((SECONDS - start))s (qemu exit $rc)"
tr -d '\r' <"$res/console.log" | sed -n '/^TAP version/,/^syslet-guest: dmesg/p' >"$res/tap.txt"
tr -d '\r' <"$res/console.log" | sed -n '/^syslet-guest: dmesg/,/^syslet-guest: end of dmesg/p' >"$res/dmesg.txt"
tr -d '\r' <"$res/console.log" | grep -q '^syslet-guest: done' || {
	tail -30 "$res/console.log" >&2
	die "the arm64 guest did not finish the kselftests (console: $res/console.log)"
}
