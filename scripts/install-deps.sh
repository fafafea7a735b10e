#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install everything the pipeline needs on Debian 12. Idempotent.
. "$(dirname "$0")/lib.sh"

PKGS=(
	rustc-web rust-web-src
	clang-19 lld-19 llvm-19 libclang-19-dev
	make flex bison bc libelf-dev libssl-dev cpio kmod rsync
	git patch xz-utils zstd python3 python3-pip curl ca-certificates
	groff-base mandoc
	qemu-system-x86 busybox-static
	gcc libc6-dev
	qemu-system-arm gcc-aarch64-linux-gnu libc6-dev-arm64-cross
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
if ((${#missing[@]})); then
	step "apt: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q || die "apt-get update failed"
	apt-get install -y -q --no-install-recommends "${missing[@]}" ||
		die "apt-get install failed"
else
	step "apt: all packages present"
fi

if ! command -v bindgen >/dev/null || ! bindgen --version | grep -q '0.71.1'; then
	step "cargo: installing bindgen-cli 0.71.1 (a few minutes)"
	command -v cargo >/dev/null || die "cargo not found (rustup toolchain expected)"
	cargo install --locked --quiet bindgen-cli --version 0.71.1 ||
		die "cargo install bindgen-cli failed"
fi
info "bindgen: $(bindgen --version)"

# virtme-ng boots the test kernels; checkpatch's SPDX check needs ply and GitPython.
for mod in virtme_ng:virtme-ng ply:ply git:GitPython; do
	python3 -c "import ${mod%%:*}" 2>/dev/null && continue
	step "pip: installing ${mod#*:}"
	python3 -m pip install -q --root-user-action=ignore "${mod#*:}" || die "pip install ${mod#*:} failed"
done
info "vng: $(vng --version 2>&1 | head -1)"
info "rustc (kernel): $(/usr/bin/rustc --version)"
