#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The whole test suite: host tests, the series checks, and for each
# architecture the kernel build and the syslet kselftests in the booted
# kernel.  Ends with "N passed, N failed".
#
#   scripts/test.sh [--arch x86_64|arm64]...   (default: both)
. "$(dirname "$0")/lib.sh"
set +e

archs=()
while (($#)); do
	case $1 in
	--arch) archs+=("$2"); shift ;;
	--arch=*) archs+=("${1#--arch=}") ;;
	*) die "usage: $0 [--arch x86_64|arm64]..." ;;
	esac
	shift
done
((${#archs[@]})) || archs=(x86_64 arm64)
for arch in "${archs[@]}"; do
	case $arch in x86_64 | arm64) ;; *) die "unknown architecture $arch" ;; esac
done
passed=0 failed=0 skipped=0
failures=()
pass() { passed=$((passed + ${2:-1})); info "PASS $1"; }
fail() { failed=$((failed + ${2:-1})); failures+=("$1"); info "FAIL $1"; }
# check NAME COMMAND...: one test whose verdict is the command's exit code.
check() {
	local name=$1 log
	shift
	log=$CACHE/test-$(echo "$name" | tr -c 'a-zA-Z0-9\n' '-').log
	if "$@" >"$log" 2>&1; then pass "$name"; else
		sed 's/^/      /' "$log" | tail -40
		fail "$name"
	fi
}
summary() {
	echo
	((${#failures[@]})) && printf 'failed: %s\n' "${failures[@]}"
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
	exit
}
start=$SECONDS

bash "$TOP/scripts/install-deps.sh" || die "installing the dependencies failed"

step "host tests: cargo test (kernel-rust/)"
log=$CACHE/test-cargo.log
(cd "$TOP/kernel-rust" && cargo test 2>&1) >"$log"
cargo_rc=$?
while read -r name verdict; do
	case $verdict in
	ok) pass "host: $name" ;;
	ignored) skipped=$((skipped + 1)) ;;
	*) fail "host: $name" ;;
	esac
done < <(sed -nE 's/^test (.*) \.\.\. (ok|FAILED|ignored)$/\1 \2/p' "$log")
grep -q '^test result:' "$log" && [ $cargo_rc -eq 0 ] || {
	tail -30 "$log"
	[ $cargo_rc -ne 0 ] && fail "host: cargo test exit $cargo_rc"
}
step "host tests: the user-space library (tools-lib/tests/)"
log=$CACHE/test-libsyslet.log
# On a copy, so that the build products stay out of the clone.
rm -rf "$CACHE/libsyslet-test" && cp -r "$TOP/tools-lib" "$CACHE/libsyslet-test"
make -C "$CACHE/libsyslet-test/tests" check \
	UAPI_SYSLET="$TOP/include-uapi/linux/syslet.h" >"$log" 2>&1
lib_rc=$?
while read -r verdict name; do
	case $verdict:$name in
	ok:*"# SKIP"*) skipped=$((skipped + 1)) ;;
	ok:*) pass "libsyslet: $name" ;;
	*) fail "libsyslet: $name" ;;
	esac
done < <(sed -nE 's/^(ok|not ok)( [0-9]+)? - (.*)$/\1 \3/p' "$log" | sed 's/^not ok/FAIL/')
grep -qE '^ok [0-9]+ - ' "$log" && [ $lib_rc -eq 0 ] || {
	tail -30 "$log"
	fail "libsyslet: make check exit $lib_rc"
}
check "rustfmt --check kernel-rust/" \
	bash -c "cd '$TOP/kernel-rust' && rustfmt --check --edition 2021 *.rs host/src/*.rs"

step "base tree and series"
bash "$TOP/scripts/fetch-base.sh" || die "could not fetch the base tree"
check "series applies with git am" bash "$TOP/scripts/apply-series.sh" ||
	summary
check "series reproduces the repository sources" bash "$TOP/scripts/check-sources.sh"
check "README concept map: each row's patches touch its files" \
	python3 "$TOP/scripts/check-concept-map.py" "$TOP/README.md" "$TOP/patches"
while read -r verdict patch; do
	[ -n "$patch" ] || continue
	if [ "$verdict" = ok ]; then pass "checkpatch --strict $patch"; else fail "checkpatch --strict $patch"; fi
done < <(bash "$TOP/scripts/checkpatch.sh" 2>&1 | tee "$CACHE/test-checkpatch.log" | grep -E '^(ok|FAIL) ')
grep -q '^FAIL' "$CACHE/test-checkpatch.log" && sed -n '/^FAIL/,/^ok/p' "$CACHE/test-checkpatch.log" | head -60

# kernel-doc: no warning in any C file or header the series adds.
check "kernel-doc -none -Wall on the files the series adds" bash -c '
	cd "$0" && files=$(git diff --name-only --diff-filter=A base HEAD -- "*.c" "*.h" |
		grep -v "^tools/testing/\|^samples/\|/tests/") &&
	out=$(scripts/kernel-doc -none -Wall $files 2>&1) && [ -z "$out" ] || { echo "$out"; false; }' "$TREE"
# Man pages as the man-pages project lints them.
check "man pages: groff -man -ww and mandoc -Tlint clean" bash -c '
	out=$(for f in "$0"/man/man2/*.2; do groff -man -ww -z "$f"; mandoc -Tlint -W warning "$f"; done 2>&1) &&
	[ -z "$out" ] || { echo "$out"; false; }' "$TOP"
# The proc_sys_kernel(5) entries are a fragment: lint them in a minimal page.
check "man pages: the proc_sys_kernel(5) entries lint clean" bash -c '
	page=$(mktemp --suffix=.5) && trap "rm -f $page" EXIT &&
	{ echo ".TH proc_sys_kernel 5 2026-12-07 \"Linux man-pages (unreleased)\""
	  printf "%s\n" ".SH NAME" "proc_sys_kernel \\- syslet entries" ".SH DESCRIPTION"
	  cat "$0/man/man5/proc_sys_kernel.5.syslet"; } >"$page" &&
	out=$({ groff -man -ww -z "$page"; mandoc -Tlint -W warning "$page"; } 2>&1) &&
	[ -z "$out" ] || { echo "$out"; false; }' "$TOP"
check "man pages: the EXAMPLES programs compile" bash "$TOP/scripts/check-man-examples.sh"

# One architecture: build, kselftests, boot, results.  Returns non-zero
# when there is nothing more to test for it.
test_arch() {
	local arch=$1 res kp kf ks t0=$SECONDS
	step "kernel ($arch)"
	if bash "$TOP/scripts/build.sh" "$arch"; then pass "kernel build ($arch)"; else
		fail "kernel build ($arch)"
		return 1
	fi
	if bash "$TOP/scripts/kselftest-build.sh" "$arch"; then pass "kselftests build ($arch)"; else
		fail "kselftests build ($arch)"
		return 1
	fi
	if ! bash "$TOP/scripts/boot-test.sh" "$arch"; then
		fail "boot and run kselftests ($arch)"
		return 1
	fi
	res=$CACHE/run-$arch
	step "kselftest results ($arch)"
	sed -n 's/^# \(ok\|not ok\) /  \1 /p' "$res/tap.txt"
	read -r kp kf ks < <(python3 "$TOP/scripts/tap-summary.py" "$res/tap.txt" | tee "$CACHE/test-tap-$arch.log" | tail -1)
	grep '^FAIL' "$CACHE/test-tap-$arch.log" | while read -r _ t; do info "FAIL kselftest ($arch): $t"; done
	passed=$((passed + kp)) skipped=$((skipped + ks))
	((kf)) && fail "kselftests ($arch): $kf failed" "$kf"
	((kp + kf)) || fail "kselftests ($arch): no test ran"
	check "dmesg clean after kselftests ($arch)" bash "$TOP/scripts/dmesg-check.sh" "$res/dmesg.txt"
	info "$arch: $((SECONDS - t0))s"
}

for arch in "${archs[@]}"; do
	test_arch "$arch"
done

info "total time $((SECONDS - start))s"
summary
