#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Apply patches/*.patch with `git am` onto a fresh branch "syslet" of the
# base tree, in $TREE.  Files whose content the series leaves unchanged
# keep their modification time, so the next kernel build stays incremental.
. "$(dirname "$0")/lib.sh"

[ -d "$BASE_REPO/.git" ] || die "no base tree at $BASE_REPO (run scripts/fetch-base.sh)"
shopt -s nullglob
patches=("$TOP"/patches/*.patch)
((${#patches[@]})) || die "no patches in $TOP/patches"
series=$(cat "${patches[@]}" | sha256sum | cut -c1-16)

if [ ! -d "$TREE/.git" ]; then
	step "creating $TREE from the base tree"
	git clone -q --shared -b base "$BASE_REPO" "$TREE"
fi
cd "$TREE"
git fetch -q origin base
base=$(git rev-parse FETCH_HEAD)
git update-ref refs/heads/base "$base"

if [ "$(git config syslet.series || true)" = "$series" ] &&
	[ "$(git symbolic-ref -q --short HEAD || true)" = syslet ] &&
	[ "$(git merge-base HEAD base)" = "$base" ] &&
	[ -z "$(git status --porcelain --untracked-files=no)" ]; then
	step "series: already applied in $TREE ($(git rev-list --count base..HEAD) patches)"
	exit 0
fi

step "series: git am ${#patches[@]} files onto $(git log -1 --format=%s base)"
# Remember the mtime of every file the current checkout has beyond the base.
declare -A old_blob old_mtime
if git rev-parse -q --verify HEAD >/dev/null; then
	while IFS= read -r f; do
		[ -f "$f" ] || continue
		old_blob[$f]=$(git hash-object "$f")
		old_mtime[$f]=$(stat -c %Y "$f")
	done < <(git diff --name-only base HEAD; git diff --name-only HEAD)
fi

git am --abort >/dev/null 2>&1 || true
git checkout -q -f -B syslet base
git clean -q -fd
if ! git -c user.name=syslet -c user.email=syslet@localhost \
	am -q --empty=drop --whitespace=error-all "${patches[@]}" >"$CACHE/git-am.log" 2>&1; then
	cat "$CACHE/git-am.log" >&2
	failed=$(git am --show-current-patch=raw 2>/dev/null | sed -n 's/^Subject: //p' | head -1)
	git am --abort >/dev/null 2>&1 || true
	die "git am failed on: ${failed:-see above} — the series does not apply to the base tree"
fi

kept=0
for f in "${!old_blob[@]}"; do
	if [ -f "$f" ] && [ "$(git hash-object "$f")" = "${old_blob[$f]}" ]; then
		touch -m -d "@${old_mtime[$f]}" "$f"
		kept=$((kept + 1))
	fi
done
git config syslet.series "$series"
info "applied $(git rev-list --count base..HEAD) patches; $kept unchanged files keep their timestamps"
