#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check the README's map from each concept to its patches and files.

Every row names patch numbers (N, N-M, "N (arch)") and files in
backquotes ({a,b} expands, a trailing / is a directory, * a glob).  Each
file must be touched by at least one of the row's patches, and each patch
must touch at least one of the row's files: the map then finds a
concept's code in one hop, and a renumbered or split series cannot leave
it pointing at the wrong patch.  Usage: check-concept-map.py README PATCHDIR
"""
import fnmatch
import glob
import os
import re
import sys

readme, patchdir = sys.argv[1], sys.argv[2]
patches = {}
for p in sorted(glob.glob(os.path.join(patchdir, '[0-9][0-9][0-9][0-9]-*.patch'))):
    n = int(os.path.basename(p)[:4])
    if n == 0:
        continue
    files = set()
    for line in open(p, encoding='utf-8', errors='replace'):
        m = re.match(r'^diff --git a/(\S+) b/(\S+)', line)
        if m:
            files.add(m.group(2))
    patches[n] = files


def expand(pat):
    m = re.search(r'\{([^}]*)\}', pat)
    if not m:
        return [pat]
    out = []
    for alt in m.group(1).split(','):
        out += expand(pat[:m.start()] + alt + pat[m.end():])
    return out


def touches(files, pat):
    if pat.endswith('/'):
        return any(f.startswith(pat) for f in files)
    return any(fnmatch.fnmatchcase(f, pat) for f in files)


text = open(readme, encoding='utf-8').read()
sec = text.split('### Where each concept lives', 1)[1].split('\n\n', 2)[2]
bad = rows = 0
for line in sec.split('\n'):
    if not line.startswith('| ') or line.startswith(('| concept', '|---')):
        if rows:
            break
        continue
    cols = [c.strip() for c in line.strip('|').split(' | ')]
    if len(cols) < 3:
        continue
    rows += 1
    concept, nums, files = cols[0], cols[1], ' | '.join(cols[2:])
    want = set()
    for a, b in re.findall(r'(\d+)(?:-(\d+))?', re.sub(r'\([^)]*\)', '', nums)):
        want.update(range(int(a), int(b or a) + 1))
    pats = []
    for q in re.findall(r'`([^`]+)`', files):
        if '/' in q or q == 'MAINTAINERS':
            pats += expand(q)
    missing = [n for n in sorted(want) if n not in patches]
    if missing:
        print(f'FAIL {concept}: no patch {missing}')
        bad += 1
        continue
    touched = set().union(*(patches[n] for n in want))
    for pat in pats:
        if not touches(touched, pat):
            print(f'FAIL {concept}: none of patches {sorted(want)} touches {pat}')
            bad += 1
    for n in sorted(want):
        if not any(touches(patches[n], pat) for pat in pats):
            print(f'FAIL {concept}: patch {n} touches none of its files')
            bad += 1
print(f'{rows} rows, {bad} problems')
sys.exit(1 if bad or not rows else 0)
