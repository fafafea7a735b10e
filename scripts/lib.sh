# SPDX-License-Identifier: GPL-2.0
# Common settings for the syslet scripts; sourced, never run.

set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${SYSLET_CACHE:-$HOME/.cache/syslet}
BASE_REPO=$CACHE/linux-base	# the imported base tree, branch "base"
TREE=$CACHE/linux		# base + series (git worktree-free clone)
LLVM_BIN=/usr/lib/llvm-19/bin

export PATH=$LLVM_BIN:/usr/local/cargo/bin:$HOME/.cargo/bin:$PATH

mkdir -p "$CACHE"

step() { printf '\n==> [%s] %s\n' "$(date +%H:%M:%S)" "$*"; }
info() { printf '    %s\n' "$*"; }
die() { printf '\nERROR: %s\n' "$*" >&2; exit 1; }

# The kernel wants the Debian rustc that matches rust-web-src, not rustup's.
kernel_make_env() {
	echo "LLVM=1 RUSTC=/usr/bin/rustc BINDGEN=$(command -v bindgen) HOSTRUSTC=/usr/bin/rustc"
}

build_dir() { echo "$CACHE/build-$1"; }

kernel_image_target() {
	case $1 in
	x86_64) echo bzImage ;;
	arm64) echo Image ;;
	esac
}

kernel_image() {
	echo "$(build_dir "$1")/arch/$([ "$1" = x86_64 ] && echo x86 || echo arm64)/boot/$(kernel_image_target "$1")"
}

# Kernel options for every x86_64 guest.  no5lvl: QEMU's emulated CPU has
# LA57, and in v7.3 pgtable_l5_enabled() reads the CPU feature bit, which
# identify_cpu() clears and sets again with interrupts on; a timer interrupt
# in that window makes generic KASAN see the 5-level direct map as having
# no shadow ("wild-memory-access in rcu_is_watching" at boot, unpatched
# kernels too).  Four-level paging has no such window.
X86_GUEST_APPEND=no5lvl

# vng_accel IMAGE: virtme-ng's accelerator option for an x86_64 guest of
# IMAGE.  KVM where it works: a probe boots IMAGE once per machine boot
# and checks that it reaches user space within 45 s, where a KVM guest
# needs a few (on some machines /dev/kvm opens and a boot sector runs, but
# a nested Linux guest stalls while it decompresses itself); software
# emulation (--disable-kvm) otherwise, or with SYSLET_KVM=0.  The
# benchmark always emulates: it counts instructions with -icount.
vng_accel() {
	local probe=$CACHE/kvm-probe boot
	if [ "${SYSLET_KVM:-1}" = 0 ] || [ ! -w /dev/kvm ]; then
		echo --disable-kvm
		return
	fi
	boot=$(cat /proc/sys/kernel/random/boot_id)
	if [ "$(head -1 "$probe" 2>/dev/null)" != "$boot" ]; then
		local ok=no
		timeout 45 vng --run "$1" --cpus 1 --memory 1G --append "$X86_GUEST_APPEND" \
			--exec 'echo syslet-kvm-probe-ok' </dev/null >"$probe.log" 2>&1 || true
		grep -q syslet-kvm-probe-ok "$probe.log" && ok=yes
		printf '%s\n%s\n' "$boot" "$ok" >"$probe"
	fi
	[ "$(sed -n 2p "$probe")" = yes ] || echo --disable-kvm
}

# The accelerator a vng_accel option stands for, for progress messages.
accel_name() { [ "$1" = --disable-kvm ] && echo "software emulation" || echo KVM; }

kernel_arch() { [ "$1" = x86_64 ] && echo x86 || echo "$1"; }

# Make variables that select ARCH; none for the native x86_64 build, so that
# its configuration and objects stay exactly as they are.
arch_make_env() { [ "$1" = x86_64 ] || echo "ARCH=$(kernel_arch "$1")"; }

# The arm64 guest: an initramfs in DIR whose static init
# (scripts/guest/tinit.c) runs every program in /kselftest, then every one
# in /samples with --check, and prints what they print behind "# ".
# arm64_guest_root DIR makes DIR/root with the init; the caller copies the
# programs into DIR/root/kselftest and DIR/root/samples.
arm64_guest_root() {
	mkdir -p "$1/root"/{kselftest,samples,proc,sys,dev,tmp}
	aarch64-linux-gnu-gcc -static -O2 -Wall -o "$1/root/init" "$TOP/scripts/guest/tinit.c" ||
		die "building the arm64 init failed"
}

# arm64_guest_boot DIR IMAGE SECONDS APPEND QEMU-OPTION...: packs DIR/root
# and boots IMAGE with it on QEMU's virt machine; the console goes to
# DIR/console.log.  Returns QEMU's (or timeout's) exit status.
arm64_guest_boot() {
	local dir=$1 image=$2 limit=$3 append=$4
	shift 4
	# Callers test the boot's status, which turns set -e off in here.
	(cd "$dir/root" && find . | cpio -o -H newc --quiet | gzip -1) >"$dir/initramfs.cpio.gz" ||
		die "packing the arm64 initramfs failed"
	timeout "$limit" qemu-system-aarch64 -M virt -cpu max -nographic -no-reboot "$@" \
		-kernel "$image" -initrd "$dir/initramfs.cpio.gz" \
		-append "console=ttyAMA0 loglevel=1 panic=-1 rdinit=/init $append" \
		</dev/null >"$dir/console.log" 2>&1
}
