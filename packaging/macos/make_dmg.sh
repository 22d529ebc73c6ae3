#!/usr/bin/env bash
# macOS release: SAVSR Studio.app (built by packaging/build.py on a Mac), signed, notarized, in a .dmg.
#
#   packaging/macos/make_dmg.sh
#
# Run on macOS 11+ with Xcode command line tools, from any folder, after
#     .venv/bin/python packaging/build.py
# which (on macOS) leaves dist/SAVSR Studio.app with savsr-app and savsr in Contents/MacOS.
# Build on an Apple-silicon Mac for arm64 and on an Intel Mac (or x86_64 Python under Rosetta) for
# x86_64: PyInstaller bundles the architecture of the Python it runs in; there is no universal2
# torch wheel.
#
# Environment (all optional; without them the app is ad-hoc signed and Gatekeeper will ask users
# to right-click > Open the first time):
#   SAVSR_CODESIGN_IDENTITY  "Developer ID Application: Name (TEAMID)"  -> signs with the hardened runtime
#   SAVSR_NOTARY_PROFILE     a `xcrun notarytool store-credentials` profile -> notarizes and staples
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
APP="$ROOT/dist/SAVSR Studio.app"
[ "$(uname -s)" = Darwin ] || { echo "make_dmg: run this on macOS" >&2; exit 2; }
[ -d "$APP" ] || { echo "make_dmg: $APP not found (run packaging/build.py on this Mac first)" >&2; exit 2; }
VERSION="$(sed -n 's/^__version__ = "\(.*\)"/\1/p' "$ROOT/engine/__init__.py")"
ARCH="$(uname -m)"
DMG="$ROOT/dist/SAVSR-Studio-$VERSION-macos-$ARCH.dmg"

# 1. signing happens in the build: the spec hands SAVSR_CODESIGN_IDENTITY (and entitlements.plist)
#    to PyInstaller, which signs every collected binary and then the .app with the hardened runtime;
#    without an identity PyInstaller signs ad hoc. Here we only check the signature is whole.
IDENTITY="${SAVSR_CODESIGN_IDENTITY:--}"
codesign --verify --deep --strict --verbose=1 "$APP"

# 2. check the signed app still works, from the bundle itself
( cd "$(mktemp -d)" && QT_QPA_PLATFORM=offscreen "$APP/Contents/MacOS/savsr" --help >/dev/null )
( cd "$(mktemp -d)" && QT_QPA_PLATFORM=offscreen "$APP/Contents/MacOS/savsr-app" --selftest )

# 3. the disk image: the app and a link to /Applications to drag it onto
STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
ditto "$APP" "$STAGE/SAVSR Studio.app"
ln -s /Applications "$STAGE/Applications"
rm -f "$DMG"
hdiutil create -volname "SAVSR Studio $VERSION" -srcfolder "$STAGE" -fs HFS+ -format UDZO -imagekey zlib-level=9 "$DMG"
[ "$IDENTITY" = "-" ] || codesign --force --timestamp --sign "$IDENTITY" "$DMG"

# 4. notarize and staple (needs a Developer ID identity)
if [ -n "${SAVSR_NOTARY_PROFILE:-}" ] && [ "$IDENTITY" != "-" ]; then
    xcrun notarytool submit "$DMG" --keychain-profile "$SAVSR_NOTARY_PROFILE" --wait
    xcrun stapler staple "$DMG"
fi
echo "make_dmg: $DMG ($(du -h "$DMG" | cut -f1))"
