#!/usr/bin/env bash
# Linux release archive: dist/savsr-studio-<version>-linux-<arch>[-cuda].tar.gz from the built bundle.
#
#   packaging/linux/make_tarball.sh [BUNDLE_DIR] [OUT_DIR]
#
# BUNDLE_DIR defaults to dist/savsr-studio (build it first: .venv/bin/python packaging/build.py).
# The archive unpacks to one folder with savsr-app, savsr, _internal/, install.sh (per-user or
# system-wide install with a menu entry and the icon) and the desktop entry. Files are stored
# owned by root with a+rX permissions, so a system-wide install is readable by every user.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BUNDLE="${1:-$ROOT/dist/savsr-studio}"
OUT="${2:-$ROOT/dist}"

[ -x "$BUNDLE/savsr-app" ] && [ -x "$BUNDLE/savsr" ] || {
    echo "make_tarball: no built bundle at $BUNDLE (run: .venv/bin/python packaging/build.py)" >&2; exit 2; }
VERSION="$(sed -n 's/^__version__ = "\(.*\)"/\1/p' "$ROOT/engine/__init__.py")"
[ -n "$VERSION" ] || { echo "make_tarball: cannot read __version__ from engine/__init__.py" >&2; exit 2; }
SUFFIX=""
case "$(basename "$BUNDLE")" in *-cuda) SUFFIX="-cuda" ;; esac
NAME="savsr-studio-$VERSION-linux-$(uname -m)$SUFFIX"

STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
cp -a "$BUNDLE" "$STAGE/$NAME"
cp "$HERE/savsr-studio.desktop" "$STAGE/$NAME/savsr-studio.desktop"
cp "$ROOT/resources/icons/savsr_studio_256.png" "$STAGE/$NAME/savsr-studio.png"
cp "$HERE/install.sh" "$STAGE/$NAME/install.sh"
chmod -R a+rX "$STAGE/$NAME"
chmod 755 "$STAGE/$NAME/install.sh" "$STAGE/$NAME/savsr-app" "$STAGE/$NAME/savsr"

mkdir -p "$OUT"
tar -C "$STAGE" --owner=0 --group=0 --numeric-owner --sort=name -czf "$OUT/$NAME.tar.gz" "$NAME"
( cd "$OUT" && sha256sum "$NAME.tar.gz" > "$NAME.tar.gz.sha256" )
echo "make_tarball: $OUT/$NAME.tar.gz ($(du -h "$OUT/$NAME.tar.gz" | cut -f1); unpacked $(du -sh "$STAGE/$NAME" | cut -f1))"
