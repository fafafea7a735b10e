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

# The samples (samples/syslet/) and the library's tests
# (tools/lib/syslet/tests/), built like the tests against the same headers
# and the library; the guest runs them after the kselftests.
step "samples ($arch): samples/syslet/*.c"
if [ "$arch" = arm64 ]; then
	cc=(aarch64-linux-gnu-gcc -static)
else
	cc=(gcc)
fi
mkdir -p "$inst/samples"
for src in "$TREE"/samples/syslet/*.c; do
	prog=$inst/samples/$(basename "$src" .c)
	"${cc[@]}" -O2 -Wall -Wextra -Werror -isystem "$out/usr/include" \
		-I "$TREE/tools/lib/syslet" -o "$prog" "$src" -pthread 2>&1 ||
		die "building the sample $src failed"
done
info "installed in $inst/samples: $(cd "$inst/samples" && ls | tr '\n' ' ')"
