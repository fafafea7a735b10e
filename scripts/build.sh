#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Configure and build the patched kernel for ARCH (x86_64 by default) in
# $CACHE/build-$ARCH, outside the clone.  Incremental when it exists.
# --prod builds the benchmark's production-like kernel instead: the same
# configuration without the debug options (scripts/config/production.config)
# in $CACHE/build-$ARCH-prod.
#
#   scripts/build.sh [x86_64|arm64] [--tree DIR] [--prod]
. "$(dirname "$0")/lib.sh"

arch=x86_64
src=$TREE
prod=
while (($#)); do
	case $1 in
	--tree) src=$2; shift ;;
	--prod) prod=$TOP/scripts/config/production.config ;;
	x86_64 | arm64) arch=$1 ;;
	*) die "usage: $0 [x86_64|arm64] [--tree DIR] [--prod]" ;;
	esac
	shift
done
[ -f "$src/Makefile" ] || die "no kernel tree at $src (run scripts/apply-series.sh)"
out=$(build_dir "$arch")${prod:+-prod}
mkdir -p "$out"
# shellcheck disable=SC2046
make_args=(-C "$src" O="$out" $(arch_make_env "$arch") $(kernel_make_env) -j"$(nproc)")

frags=("$TOP/scripts/config/$arch.config" "$TOP/selftests/config" ${prod:+"$prod"})
stamp=$(cat "${frags[@]}" | sha256sum | cut -c1-16)
if [ ! -f "$out/.config" ] || [ "$(cat "$out/.syslet-config-stamp" 2>/dev/null)" != "$stamp" ]; then
	base_cfg="virtme-ng defconfig"
	[ "$arch" = arm64 ] && base_cfg=allnoconfig
	step "config ($arch): $base_cfg + ${frags[*]##*/}"
	frag=$out/.syslet-fragment
	cat "${frags[@]}" >"$frag"
	if [ "$arch" = arm64 ]; then
		# allnoconfig plus the fragment: the virt machine needs little.
		make "${make_args[@]}" KCONFIG_ALLCONFIG="$frag" allnoconfig
	else
		(cd "$src" && virtme-configkernel --arch "$arch" --defconfig O="$out" \
			$(arch_make_env "$arch") $(kernel_make_env) &&
			ARCH=$(kernel_arch "$arch") scripts/kconfig/merge_config.sh -m -O "$out" "$out/.config" "$frag")
	fi >"$out/.config.log" 2>&1 || die "configuration failed, see $out/.config.log"
	make "${make_args[@]}" olddefconfig >>"$out/.config.log" 2>&1 ||
		die "olddefconfig failed, see $out/.config.log"
	echo "$stamp" >"$out/.syslet-config-stamp"
fi
make "${make_args[@]}" rustavailable >/dev/null 2>&1 ||
	die "make rustavailable: Rust toolchain not usable (run scripts/install-deps.sh)"
for opt in $(grep -hoE '^CONFIG_[A-Z0-9_]+=y' "${frags[@]}" | sort -u); do
	# The production fragment turns some of the test options off again.
	[ -n "$prod" ] && grep -qx "# ${opt%=y} is not set" "$prod" && continue
	grep -qx "$opt" "$out/.config" || {
		# CONFIG_SYSLET only exists once the series is applied.
		[ "$opt" = CONFIG_SYSLET=y ] && ! grep -q 'config SYSLET' "$src/kernel/syslet/Kconfig" 2>/dev/null && continue
		die "$opt requested but not set in $out/.config (dependency missing?)"
	}
done

step "build ($arch) in $out — a cold build takes a while, progress every minute"
log=$out/.build.log
start=$SECONDS
make "${make_args[@]}" "$(kernel_image_target "$arch")" >"$log" 2>&1 &
pid=$!
while kill -0 $pid 2>/dev/null; do
	for _ in $(seq 60); do kill -0 $pid 2>/dev/null && sleep 1; done
	kill -0 $pid 2>/dev/null && info "$((SECONDS - start))s: $(grep -cE '^  (CC|RUSTC|AR|LD)' "$log") steps, at: $(tail -1 "$log" | cut -c1-90)"
done
if ! wait $pid; then
	grep -E 'error|Error' "$log" | head -20 >&2
	die "kernel build failed ($arch), full log: $log"
fi
grep -E 'warning:' "$log" | grep -v '^scripts/' | head -20 || true
info "built $(kernel_image_target "$arch") in $((SECONDS - start))s"
