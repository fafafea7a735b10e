#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Count the results of a run_kselftest.sh TAP log.

Counts every test case of every selftest binary (the nested TAP level).
A binary that reports "not ok" without any failing case (crash, timeout)
counts as one failure of its own.  Prints "PASSED FAILED SKIPPED" on the
last line, the failures before it.
"""
import re
import sys

case_re = re.compile(r'^# (not ok|ok) \d+ (.*)$')
top_re = re.compile(r'^(not ok|ok) \d+ selftests: (\S+): (\S+)(.*)$')

passed = failed = skipped = 0
case_failed = 0
lines = open(sys.argv[1], errors='replace').read().splitlines()
for line in lines:
    m = case_re.match(line)
    if m:
        verdict, rest = m.groups()
        if '# SKIP' in rest:
            skipped += 1
        elif verdict == 'ok':
            passed += 1
        else:
            failed += 1
            case_failed += 1
            print(f'FAIL {rest}')
        continue
    m = top_re.match(line)
    if m:
        verdict, _, prog, rest = m.groups()
        if verdict == 'not ok' and case_failed == 0:
            failed += 1
            print(f'FAIL {prog} (no failing case reported:{rest or " crashed or timed out"})')
        case_failed = 0
print(passed, failed, skipped)
