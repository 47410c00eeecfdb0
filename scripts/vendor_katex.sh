#!/usr/bin/env bash
# Copy KaTeX from the npm registry into docs/assets/katex/ at a pinned version.
# The copied files are committed, so building the site needs neither node nor a network.
set -euo pipefail
VERSION=0.19.1
root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/docs/assets/katex"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "katex@$VERSION" >/dev/null && tar xzf "katex-$VERSION.tgz")
rm -rf "$dest"
mkdir -p "$dest/fonts" "$dest/contrib"
cp "$work/package/dist/katex.min.js" "$work/package/dist/katex.min.css" "$dest/"
cp "$work/package/dist/contrib/auto-render.min.js" "$dest/contrib/"
cp "$work/package/dist/fonts/"*.woff2 "$dest/fonts/"
cp "$work/package/LICENSE" "$dest/LICENSE"
echo "$VERSION" > "$dest/VERSION"
echo "KaTeX $VERSION copied to $dest ($(du -sh "$dest" | cut -f1))"
