#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The main job: install the tools, fetch the base tree, apply the series,
# build the kernel, boot it under virtme-ng and show syslets working.
#
#   scripts/run.sh
. "$(dirname "$0")/lib.sh"
arch=x86_64
start=$SECONDS

bash "$TOP/scripts/install-deps.sh"
bash "$TOP/scripts/fetch-base.sh"
bash "$TOP/scripts/apply-series.sh"
bash "$TOP/scripts/build.sh" "$arch"
bash "$TOP/scripts/kselftest-build.sh" "$arch"

step "demo: building scripts/demo/syslet-demo.c against the patched uapi headers"
demo=$CACHE/syslet-demo-$arch
cc -O2 -Wall -Werror -isystem "$(build_dir "$arch")/usr/include" -I "$TOP/tools-lib" \
	-o "$demo" "$TOP/scripts/demo/syslet-demo.c" || die "building the demo failed"

bash "$TOP/scripts/boot-test.sh" "$arch" --demo "$demo"
res=$CACHE/run-$arch
step "demo output from the booted kernel ($(sed -n 's/^guest: //p' "$res/console.log" | head -1))"
sed 's/^/    /' "$res/demo.txt"
step "kselftests in the booted kernel"
grep -E '^# (ok|not ok) |^(ok|not ok) ' "$res/tap.txt" | sed 's/^/    /'
bash "$TOP/scripts/dmesg-check.sh" "$res/dmesg.txt" | sed 's/^/    /'
info "done in $((SECONDS - start))s"
grep -q '^demo exit=0' "$res/demo.txt" || die "the demo did not get the expected results"
