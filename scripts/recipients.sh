#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Print the To: and Cc: lines for posting the series: the applied tree's
# scripts/get_maintainer.pl over patches/ (maintainers in To:, reviewers
# and mailing lists in Cc:), plus linux-api and the man-pages list, which
# every new system call must reach.  Our own MAINTAINERS entry is left out.
# Takes a minute or two.  With --write, the lines go to
# scripts/recipients.txt, one address per folded header line, which
# scripts/export-series.sh puts into the cover letter's headers (post with
# git send-email --to-cover --cc-cover, so every patch reaches them).
#
#   scripts/recipients.sh [--write]
. "$(dirname "$0")/lib.sh"

[ -f "$TREE/scripts/get_maintainer.pl" ] || die "no kernel tree at $TREE (run scripts/apply-series.sh)"
mapfile -t series < <(ls "$TOP"/patches/[0-9]*.patch | grep -v /0000-)
((${#series[@]})) || die "no patches in $TOP/patches"
gm() {
	(cd "$TREE" && perl scripts/get_maintainer.pl --no-git --no-git-fallback \
		--no-rolestats --no-multiline --separator ', ' "$@" "${series[@]}") |
		sed 's/, *[^,]*r-seed-917f8151[^,]*//; s/^[^,]*r-seed-917f8151[^,]*, *//'
}
to=$(gm --m --no-r --no-l) || die "get_maintainer.pl failed"
cc=$(gm --no-m --r --l) || die "get_maintainer.pl failed"
# One address per line, continuation lines indented (RFC 5322 folding);
# quoted names may hold commas.
fold() {
	python3 -c 'import re, sys
name, v = sys.argv[1], sys.argv[2]
a = [p.strip() for p in re.findall(r"(?:\"[^\"]*\"|[^,])+", v) if p.strip()]
print(name + ": " + ",\n ".join(a))' "$@"
}
out=$(fold To "$to"; fold Cc "$cc, linux-api@vger.kernel.org, linux-man@vger.kernel.org")
if [ "${1:-}" = --write ]; then
	echo "$out" >"$TOP/scripts/recipients.txt"
	info "$(grep -c '@' "$TOP/scripts/recipients.txt") addresses in scripts/recipients.txt"
else
	echo "$out"
fi
