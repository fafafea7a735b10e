#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Print the To: and Cc: lines for posting the series: the applied tree's
# scripts/get_maintainer.pl over patches/ (maintainers in To:, reviewers
# and mailing lists in Cc:), plus linux-api and the man-pages list, which
# every new system call must reach.  Our own MAINTAINERS entry is left out.
# Takes a minute or two.
#
#   scripts/recipients.sh
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
echo "To: $to"
echo "Cc: $cc, linux-api@vger.kernel.org, linux-man@vger.kernel.org"
