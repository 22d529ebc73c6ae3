#!/usr/bin/env bash
# Linux AppImage: one file that runs on most distributions (glibc at least as new as the build
# machine's: build on the oldest distribution you support).
#
#   packaging/linux/build_appimage.sh [BUNDLE_DIR] [OUT_DIR]
#
# Builds AppDir/ around the PyInstaller bundle (default dist/savsr-studio), checks it by running
# the AppDir's AppRun (`--selftest` and `savsr --help`), then packs it with appimagetool if that
# is on PATH (or in $APPIMAGETOOL). appimagetool is not in Debian; download it from
# https://github.com/AppImage/appimagetool/releases on the build machine. Without it the script
# stops after the checked AppDir and says so.
#
# One AppImage, two programs: `SAVSR_Studio.AppImage` starts the app, `SAVSR_Studio.AppImage savsr
# ARGS` (or a symlink to the AppImage named `savsr`) runs the command line.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BUNDLE="${1:-$ROOT/dist/savsr-studio}"
OUT="${2:-$ROOT/dist}"
[ -x "$BUNDLE/savsr-app" ] || { echo "build_appimage: no built bundle at $BUNDLE" >&2; exit 2; }
VERSION="$(sed -n 's/^__version__ = "\(.*\)"/\1/p' "$ROOT/engine/__init__.py")"
ARCH="$(uname -m)"

APPDIR="$OUT/SAVSR_Studio.AppDir"
rm -rf "$APPDIR"
mkdir -p "$APPDIR/usr/lib" "$APPDIR/usr/share/applications" "$APPDIR/usr/share/icons/hicolor/256x256/apps"
cp -a "$BUNDLE" "$APPDIR/usr/lib/savsr-studio"
cp "$HERE/savsr-studio.desktop" "$APPDIR/savsr-studio.desktop"
cp "$HERE/savsr-studio.desktop" "$APPDIR/usr/share/applications/savsr-studio.desktop"
cp "$ROOT/resources/icons/savsr_studio_256.png" "$APPDIR/savsr-studio.png"
cp "$ROOT/resources/icons/savsr_studio_256.png" "$APPDIR/usr/share/icons/hicolor/256x256/apps/savsr-studio.png"
ln -s savsr-studio.png "$APPDIR/.DirIcon"
cat > "$APPDIR/AppRun" <<'RUN'
#!/bin/sh
# AppImage entry: `savsr` as first argument or as the name we were started by -> the CLI, else the app.
HERE="$(dirname "$(readlink -f "$0")")"
LIB="$HERE/usr/lib/savsr-studio"
case "$(basename "${ARGV0:-$0}")" in
    savsr|savsr.AppImage) exec "$LIB/savsr" "$@" ;;
esac
if [ "${1:-}" = "savsr" ]; then shift; exec "$LIB/savsr" "$@"; fi
exec "$LIB/savsr-app" "$@"
RUN
chmod 755 "$APPDIR/AppRun"
chmod -R a+rX "$APPDIR"

echo "build_appimage: checking $APPDIR/AppRun"
CHECK_DIR="$(mktemp -d)"
trap 'rm -rf "$CHECK_DIR"' EXIT
( cd "$CHECK_DIR" && env -u PYTHONPATH -u PYTHONHOME QT_QPA_PLATFORM=offscreen "$APPDIR/AppRun" savsr --help >/dev/null )
( cd "$CHECK_DIR" && env -u PYTHONPATH -u PYTHONHOME QT_QPA_PLATFORM=offscreen "$APPDIR/AppRun" --selftest )

TOOL="${APPIMAGETOOL:-$(command -v appimagetool || command -v appimagetool-"$ARCH".AppImage || true)}"
if [ -z "$TOOL" ]; then
    echo "build_appimage: AppDir ready and checked at $APPDIR; appimagetool not found, so no .AppImage written"
    echo "  (install appimagetool, then: ARCH=$ARCH appimagetool $APPDIR $OUT/SAVSR_Studio-$VERSION-$ARCH.AppImage)"
    exit 0
fi
ARCH="$ARCH" "$TOOL" --no-appstream "$APPDIR" "$OUT/SAVSR_Studio-$VERSION-$ARCH.AppImage"
echo "build_appimage: $OUT/SAVSR_Studio-$VERSION-$ARCH.AppImage ($(du -h "$OUT/SAVSR_Studio-$VERSION-$ARCH.AppImage" | cut -f1))"
