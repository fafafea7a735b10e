#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Developer check (too slow for CI): every patch of the series builds on
# its own, and the whole series builds in the configurations a reviewer
# asks about.
#
#   scripts/check-bisect.sh [prefixes|variants|all] [N ...]
#
# prefixes: each prefix of the series (or only patches N ...), x86_64 with
#           CONFIG_SYSLET=y;
# variants: the whole series for x86_64 with CONFIG_SYSLET=n and with
#           CONFIG_RUST=n, and for arm64 with CONFIG_SYSLET=y and =n.
#
# Everything is built from allnoconfig plus scripts/config/bisect.config
# (every subsystem the series touches and little else), in a worktree of
# the patched tree and build directories of its own, so that the test
# kernels stay as they are.  Prints one line per build with its time and
# ends with "N passed, N failed".
. "$(dirname "$0")/lib.sh"

what=${1:-all}
shift || true
wt=$CACHE/bisect-tree
frag=$TOP/scripts/config/bisect.config
passed=0 failed=0

[ -d "$TREE/.git" ] || die "no patched tree at $TREE (run scripts/apply-series.sh)"
command -v ccache >/dev/null || apt-get install -y -qq ccache >/dev/null 2>&1 || true
export CCACHE_DIR=$CACHE/ccache CCACHE_MAXSIZE=20G
if [ ! -d "$wt" ]; then
	git -C "$TREE" worktree prune
	git -C "$TREE" worktree add -q --detach "$wt" HEAD || die "git worktree add failed"
fi
cd "$wt"
git checkout -q --detach "$(git -C "$TREE" rev-parse HEAD)"
mapfile -t commits < <(git rev-list --reverse base..HEAD)

# build NAME ARCH COMMIT [CONFIG_X=y|n ...]: one build, one verdict line.
build() {
	local name=$1 arch=$2 commit=$3 out log t0 opt syms=NONE
	shift 3
	out=$CACHE/build-bisect-$arch${1:+-$(echo "$*" | tr -c 'A-Za-z0-9\n' _)}
	log=$out.log
	mkdir -p "$out"
	git checkout -q --detach "$commit"
	# shellcheck disable=SC2046
	local mk=(make O="$out" $(arch_make_env "$arch") $(kernel_make_env) -j"$(nproc)")
	# The variants share most objects with the prefixes' builds.
	command -v ccache >/dev/null && mk+=(CC="ccache clang")
	local rc=0
	t0=$SECONDS
	{
		# The variant's options replace the fragment's lines for the same
		# symbols (a reassignment would be a Kconfig warning).
		for opt; do syms="$syms|${opt%%=*}"; done
		{ grep -vE "^(# )?($syms)[= ]" "$frag"; for opt; do
			[ "${opt#*=}" = n ] && echo "# ${opt%%=*} is not set" || echo "$opt"
		done; } >"$out/.fragment"
		"${mk[@]}" KCONFIG_ALLCONFIG="$out/.fragment" allnoconfig &&
			"${mk[@]}" "$(kernel_image_target "$arch")"
	} >"$log" 2>&1 || rc=$?
	# Once an architecture can have CONFIG_SYSLET (it selects
	# HAVE_ARCH_SYSLET from patch 3 on), the configuration must have asked
	# for exactly what the variant says.
	if [ $rc -eq 0 ] && grep -q 'config SYSLET$' kernel/syslet/Kconfig 2>/dev/null &&
		grep -q 'select HAVE_ARCH_SYSLET' "arch/$(kernel_arch "$arch")/Kconfig"; then
		local want=y
		case " $* " in *" CONFIG_SYSLET=n "* | *" CONFIG_RUST=n "*) want=n ;; esac
		if [ $want = y ]; then
			grep -qx CONFIG_SYSLET=y "$out/.config" || { echo "CONFIG_SYSLET is not set" >>"$log"; rc=1; }
		else
			! grep -qx CONFIG_SYSLET=y "$out/.config" || { echo "CONFIG_SYSLET is set" >>"$log"; rc=1; }
		fi
	fi
	if [ $rc -eq 0 ] && grep -E '(warning|error):' "$log" | grep -vE '^(scripts|tools)/' | grep -q .; then
		echo "new warnings, see above" >>"$log"
		rc=1
	fi
	if [ $rc -eq 0 ]; then
		passed=$((passed + 1))
		info "PASS $name ($((SECONDS - t0)) s)"
	else
		failed=$((failed + 1))
		{ grep -E '(warning|error):' "$log" || true; } | head -20
		tail -5 "$log"
		info "FAIL $name ($((SECONDS - t0)) s, log: $log)"
	fi
}

if [ "$what" = prefixes ] || [ "$what" = all ]; then
	want=("$@")
	((${#want[@]})) || mapfile -t want < <(seq 1 ${#commits[@]})
	step "each prefix of the series: x86_64, CONFIG_SYSLET=y"
	prev=
	for n in "${want[@]}"; do
		c=${commits[$((n - 1))]}
		name="$(printf '%02d/%d' "$n" ${#commits[@]}) $(git log -1 --format=%s "$c" | cut -c1-60)"
		# A patch that changes nothing the kernel build reads (selftests,
		# documentation, the user-space library, MAINTAINERS) builds
		# exactly what the prefix before it built.
		if [ "$prev" = $((n - 1)) ] &&
			! git diff --name-only "$c~1" "$c" |
			grep -qvE '^(Documentation/.*\.rst|tools/testing/.*|tools/lib/syslet/.*|MAINTAINERS)$'; then
			passed=$((passed + 1))
			info "PASS $name (no build input changed since $(printf '%02d' "$prev"))"
		else
			failed_before=$failed
			build "$name" x86_64 "$c"
			# Only a prefix that built stands in for the next ones.
			[ "$failed" = "$failed_before" ] || { prev=; continue; }
		fi
		prev=$n
	done
fi
if [ "$what" = variants ] || [ "$what" = all ]; then
	last=${commits[-1]}
	step "the whole series in other configurations"
	build "x86_64 CONFIG_SYSLET=n" x86_64 "$last" CONFIG_SYSLET=n
	build "x86_64 CONFIG_RUST=n" x86_64 "$last" CONFIG_RUST=n
	build "arm64 CONFIG_SYSLET=y" arm64 "$last"
	build "arm64 CONFIG_SYSLET=n" arm64 "$last" CONFIG_SYSLET=n
fi
git checkout -q --detach "$(git -C "$TREE" rev-parse HEAD)"
echo
echo "total $((SECONDS / 60)) min $((SECONDS % 60)) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
