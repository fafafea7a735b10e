#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boot the built kernel under virtme-ng (KVM where it works, software
# emulation otherwise: see vng_accel) and run the installed syslet
# kselftests.
# Results land in $CACHE/run-$ARCH: tap.txt, dmesg.txt, console.log.
#
#   scripts/boot-test.sh [x86_64|arm64] [--demo PROGRAM]
#
# arm64 boots with plain QEMU and an initramfs instead (boot-arm64.sh).
. "$(dirname "$0")/lib.sh"

arch=x86_64
demo=
while (($#)); do
	case $1 in
	--demo) demo=$2; shift ;;
	x86_64 | arm64) arch=$1 ;;
	*) die "usage: $0 [x86_64|arm64] [--demo PROGRAM]" ;;
	esac
	shift
done
if [ "$arch" = arm64 ]; then
	[ -z "$demo" ] || die "--demo is x86_64 only"
	exec bash "$TOP/scripts/boot-arm64.sh"
fi
image=$(kernel_image "$arch")
[ -f "$image" ] || die "no kernel image at $image (run scripts/build.sh)"
kst=$CACHE/kselftest-$arch
[ -x "$kst/run_kselftest.sh" ] || die "no kselftests in $kst (run scripts/kselftest-build.sh)"
res=$CACHE/run-$arch
rm -rf "$res"
mkdir -p "$res"

accel=$(vng_accel "$image")
step "boot ($arch): virtme-ng, $(accel_name "$accel"), running the syslet kselftests"
start=$SECONDS
rc=0
# shellcheck disable=SC2086
timeout 1500 vng --run "$image" $accel --cpus 2 --memory 2G --verbose \
	--append "$X86_GUEST_APPEND" \
	--rwdir="$res" --exec "sh $TOP/scripts/guest/run-kselftests.sh $kst $res $demo" \
	</dev/null >"$res/console.log" 2>&1 || rc=$?

info "guest ran for $((SECONDS - start))s (vng exit $rc)"
[ -s "$res/status.txt" ] || {
	tail -30 "$res/console.log" >&2
	die "the guest did not finish the kselftests (console: $res/console.log)"
}
