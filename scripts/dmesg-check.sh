#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Fail if a guest's dmesg shows a warning, a bug, a lockdep report or an
# atomic-sleep report.   scripts/dmesg-check.sh DMESG_FILE
pat='WARNING:|BUG:|Oops|Kernel panic|general protection fault|INFO: possible|'
pat+='possible recursive locking|possible circular locking|inconsistent lock state|'
pat+='suspicious RCU usage|sleeping function called from invalid context|'
pat+='UBSAN:|KASAN:|detected stalls|blocked for more than|Call Trace:|'
pat+='rust_panic|panicked at'
[ -f "$1" ] || { echo "no dmesg at $1"; exit 1; }
if grep -nE "$pat" "$1"; then
	echo "dmesg of the test run shows the reports above"
	exit 1
fi
echo "dmesg clean ($(wc -l <"$1") lines, no WARNING/BUG/lockdep/atomic-sleep report)"
