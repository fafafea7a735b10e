#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build and install the syslet kselftests of the patched tree against its
# exported uapi headers, into $CACHE/kselftest-$ARCH.
#
#   scripts/kselftest-build.sh [x86_64|arm64]
#
# arm64 test programs are cross-built with aarch64-linux-gnu-gcc and linked
# statically, so that the guest needs no arm64 root filesystem.
. "$(dirname "$0")/lib.sh"

arch=${1:-x86_64}
out=$(build_dir "$arch")
inst=$CACHE/kselftest-$arch
# shellcheck disable=SC2046
step "kselftests ($arch): building TARGETS=syslet"
make -C "$TREE" O="$out" $(arch_make_env "$arch") $(kernel_make_env) headers \
	>"$out/.headers.log" 2>&1 || die "make headers failed, see $out/.headers.log"
rm -rf "$inst"
if [ "$arch" = arm64 ]; then
	cross=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- USERLDFLAGS=-static)
else
	cross=()
fi
make -C "$TREE/tools/testing/selftests" O="$out" TARGETS=syslet "${cross[@]}" \
	KHDR_INCLUDES="-isystem $out/usr/include" \
	INSTALL_PATH="$inst" install >"$out/.kselftest.log" 2>&1 || {
	grep -E 'error|warning' "$out/.kselftest.log" | head -20 >&2
	die "building the syslet kselftests failed, see $out/.kselftest.log"
}
if grep -E 'warning:' "$out/.kselftest.log"; then
	die "the syslet kselftests build with warnings"
fi
[ -x "$inst/run_kselftest.sh" ] || die "kselftest install produced no run_kselftest.sh"
info "installed in $inst: $(cd "$inst/syslet" && ls | tr '\n' ' ')"
