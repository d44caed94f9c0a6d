#!/bin/sh
# Fetches the pinned @digdir/designsystemet-css (package.json) and copies its built CSS and
# licence here unmodified: the components (designsystemet.css) and the default Digdir theme
# (theme.css). Run it after changing the version; commit what it writes.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
version=$(sed -n 's/.*"@digdir\/designsystemet-css": "\([^"]*\)".*/\1/p' "$here/package.json")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "@digdir/designsystemet-css@$version" >/dev/null && tar xzf ./*.tgz)
cp "$work/package/dist/src/index.css" "$here/designsystemet.css"
cp "$work/package/dist/theme/designsystemet.css" "$here/theme.css"
cp "$work/package/LICENSE" "$here/LICENSE"
echo "$version" > "$here/VERSION"
echo "Designsystemet $version: designsystemet.css, theme.css, LICENSE"
