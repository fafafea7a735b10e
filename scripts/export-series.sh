#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Developer tool: turn the commits base..HEAD of a kernel tree into
# patches/ (git format-patch with the cover letter of
# scripts/cover-letter.txt) and copy the files the series adds into
# kernel-rust/, include-uapi/, selftests/, tools-lib/ and samples/, so
# that the repository and the series never drift apart.
#
#   scripts/export-series.sh [KERNEL_TREE]     (default: $TREE)
. "$(dirname "$0")/lib.sh"

src=${1:-$TREE}
cd "$src"
[ -z "$(git status --porcelain --untracked-files=no)" ] || die "$src has uncommitted changes"
n=$(git rev-list --count base..HEAD)
((n)) || die "no commits between base and HEAD in $src"

step "exporting $n patches from $src"
rm -f "$TOP"/patches/*.patch
git -c branch."$(git symbolic-ref --short HEAD)".description="$(cat "$TOP/scripts/cover-letter.txt")" \
	format-patch -q --cover-letter --cover-from-description=subject \
	--rfc --base=base --no-signature --zero-commit -o "$TOP/patches" base..HEAD
# The cover letter carries the recipients (scripts/recipients.sh --write)
# in its headers, which end at its first empty line.
if [ -f "$TOP/scripts/recipients.txt" ]; then
	cover=$TOP/patches/0000-cover-letter.patch
	awk -v r="$TOP/scripts/recipients.txt" \
		'!done && /^$/ { while ((getline l < r) > 0) print l; done = 1 } { print }' \
		"$cover" >"$cover.tmp" && mv "$cover.tmp" "$cover"
fi

rsync -a --delete --exclude '/host' --exclude '/Cargo.*' --exclude '/.gitignore' \
	--exclude '/.rustfmt.toml' --exclude '/target' \
	--include '*.rs' --exclude '*' kernel/syslet/ "$TOP/kernel-rust/"
mkdir -p "$TOP/include-uapi/linux"
rsync -a --delete --include 'syslet*' --exclude '*' include/uapi/linux/ "$TOP/include-uapi/linux/"
rsync -a --delete tools/testing/selftests/syslet/ "$TOP/selftests/"
rsync -a --delete tools/lib/syslet/ "$TOP/tools-lib/"
rsync -a --delete samples/syslet/ "$TOP/samples/"
info "patches: $(ls "$TOP"/patches | tr '\n' ' ')"
