#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Fetch Debian's linux-source-7.3, pinned to one version and checksum
# (trixie-backports, then sid, then snapshot.debian.org once the archive
# has moved on), without touching the system's apt configuration, and
# import it as a git repository at $BASE_REPO (branch "base"), whose commit
# id is pinned too.  Cached: a second run does nothing.
. "$(dirname "$0")/lib.sh"

PIN_PKG=linux-source-7.3
PIN_VERSION=7.3.4-1~bpo13+1
PIN_SHA256=703e369ddd4cce971452f5a593ee55df3a5c10c83caf0fa0df039633ed181ee3
PIN_SHA1=94589443b986be97e5c0a149375aad80b208c7d6	# snapshot.debian.org's file id
PIN_COMMIT=46008b8459732a5c788eb962ca769478b3874a15	# the series' base-commit

if git -C "$BASE_REPO" rev-parse -q --verify base >/dev/null 2>&1; then
	step "base tree: cached at $BASE_REPO ($(git -C "$BASE_REPO" log -1 --format=%s base))"
	exit 0
fi

APT=$CACHE/apt
mirror=$(cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null |
	sed -nE 's/^(URIs:|deb)[[:space:]]+(\[[^]]*\][[:space:]]+)?(https?:[^[:space:]]*).*/\3/p' |
	grep -v security | head -1 || true)
mirror=${mirror:-http://deb.debian.org/debian}
mkdir -p "$APT/lists/partial" "$APT/debs"

fetch_from() {	# suite
	local suite=$1
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main" >"$APT/sources.list"
	local opts=(-o Dir::Etc::SourceList="$APT/sources.list" -o Dir::Etc::SourceParts=/dev/null
		-o Dir::State::Lists="$APT/lists" -o Dir::Cache="$APT/cache"
		-o APT::Get::List-Cleanup=0 -o APT::Sandbox::User=root)
	mkdir -p "$APT/cache/archives/partial"
	info "apt update ($suite)"
	apt-get "${opts[@]}" update -q >/dev/null || return 1
	info "downloading $PIN_PKG=$PIN_VERSION from $suite"
	(cd "$APT/debs" && apt-get "${opts[@]}" download -q "$PIN_PKG=$PIN_VERSION" 2>/dev/null) ||
		return 1
}

fetch_snapshot() {
	info "downloading $PIN_PKG $PIN_VERSION from snapshot.debian.org"
	curl -fsSL --retry 3 -o "$APT/debs/${PIN_PKG}_${PIN_VERSION}_all.deb" \
		"https://snapshot.debian.org/file/$PIN_SHA1"
}

step "base tree: fetching Debian $PIN_PKG $PIN_VERSION"
rm -f "$APT"/debs/*.deb
fetch_from trixie-backports || fetch_from sid || fetch_snapshot ||
	die "could not download $PIN_PKG $PIN_VERSION from Debian or snapshot.debian.org"
deb=$(ls "$APT"/debs/*.deb | head -1)
echo "$PIN_SHA256  $deb" | sha256sum -c --quiet - ||
	die "$(basename "$deb") does not have the pinned SHA-256 $PIN_SHA256"
info "got $(basename "$deb") (SHA-256 checked)"

step "base tree: unpacking"
work=$CACHE/unpack
rm -rf "$work" "$BASE_REPO.tmp"
mkdir -p "$work"
dpkg-deb -x "$deb" "$work"
tarball=$(ls "$work"/usr/src/linux-source-*.tar.* | head -1)
[ -f "$tarball" ] || die "no kernel tarball inside $deb"
mkdir -p "$BASE_REPO.tmp"
tar -xf "$tarball" -C "$BASE_REPO.tmp" --strip-components=1
rm -rf "$work"

step "base tree: importing into git"
cd "$BASE_REPO.tmp"
# Debian appends a block that ignores the whole top level (for its packaging
# repository); without dropping it, new files would silently not be added.
python3 - <<'PY'
import re
s = open('.gitignore').read()
i = s.find('\n/*\n')
if i < 0:
    i = s.find('\n# Debian')
if i >= 0:
    # cut from the start of the comment block preceding '/*'
    head = s[:i + 1]
    lines = head.rstrip('\n').split('\n')
    while lines and lines[-1].startswith('#'):
        lines.pop()
    s = '\n'.join(lines) + '\n'
    open('.gitignore', 'w').write(s)
PY
version=$(make -s kernelversion)
git init -q -b base
git add -A -f	# the tarball is a git archive: every file in it is tracked upstream
# Fixed identity and dates: the same tarball gives the same commit id on
# every machine, so series can name it as their base-commit.
GIT_AUTHOR_DATE="2000-01-01T00:00:00Z" GIT_COMMITTER_DATE="2000-01-01T00:00:00Z" \
	git -c user.name=syslet-base -c user.email=syslet-base@localhost \
	commit -q -m "Linux $version (Debian linux-source-$(basename "$deb" | cut -d_ -f2))"
[ "$(git rev-parse base)" = "$PIN_COMMIT" ] ||
	die "the imported tree is commit $(git rev-parse base), not the pinned $PIN_COMMIT"
cd /
mv "$BASE_REPO.tmp" "$BASE_REPO"
info "imported Linux $version at $BASE_REPO (commit $PIN_COMMIT)"
