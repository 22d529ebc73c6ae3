#!/usr/bin/env bash
# Install SAVSR Studio from this unpacked folder.
#
#   ./install.sh            per user: ~/.local/opt/savsr-studio, commands in ~/.local/bin, menu entry
#   sudo ./install.sh --system   for everyone: /opt/savsr-studio, commands in /usr/local/bin, menu entry
#   ./install.sh --uninstall [--system]
#
# Then run `savsr-app --selftest` to check the installation (renders a few frames, no window).
set -euo pipefail
SRC="$(cd "$(dirname "$0")" && pwd)"
MODE=user ACTION=install
for arg in "$@"; do
    case "$arg" in
        --system) MODE=system ;;
        --uninstall) ACTION=uninstall ;;
        -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
        *) echo "install.sh: unknown option $arg (see --help)" >&2; exit 2 ;;
    esac
done
if [ "$MODE" = system ]; then
    DEST=/opt/savsr-studio BIN=/usr/local/bin SHARE=/usr/share
else
    DEST="$HOME/.local/opt/savsr-studio" BIN="$HOME/.local/bin" SHARE="${XDG_DATA_HOME:-$HOME/.local/share}"
fi
APPS="$SHARE/applications" ICONS="$SHARE/icons/hicolor/256x256/apps"

# System libraries the bundle leaves to the system: Qt's X11 (xcb) platform plugin needs these
# (Debian/Ubuntu package names; the same list as savsr_app/support/platform_check.py and docs/app.md).
DEBIAN_PACKAGES="libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-randr0
    libxcb-render-util0 libxcb-shape0 libxcb-xkb1 libxcb-sync1 libxcb-xfixes0 libxcb-shm0
    libxcb-util1 libxkbcommon-x11-0 libxkbcommon0 libx11-xcb1 libegl1 libgl1 libfontconfig1
    libdbus-1-3"
SONAMES="libxcb-cursor.so.0 libxcb-icccm.so.4 libxcb-keysyms.so.1 libxcb-image.so.0
    libxcb-randr.so.0 libxcb-render-util.so.0 libxcb-shape.so.0 libxcb-xkb.so.1
    libxcb-sync.so.1 libxcb-xfixes.so.0 libxcb-shm.so.0 libxcb-util.so.1
    libxkbcommon-x11.so.0 libxkbcommon.so.0 libX11-xcb.so.1 libEGL.so.1 libGL.so.1
    libfontconfig.so.1 libdbus-1.so.3"

if [ "$ACTION" = uninstall ]; then
    rm -f "$BIN/savsr-app" "$BIN/savsr" "$APPS/savsr-studio.desktop" "$ICONS/savsr-studio.png"
    rm -rf "$DEST"
    echo "SAVSR Studio removed from $DEST (your settings and queue stay in your config folder)"
    exit 0
fi

[ -x "$SRC/savsr-app" ] || { echo "install.sh: run me from the unpacked savsr-studio folder" >&2; exit 2; }
mkdir -p "$(dirname "$DEST")" "$BIN" "$APPS" "$ICONS"
NEW="$DEST.new.$$"
rm -rf "$NEW"
cp -a "$SRC" "$NEW"
rm -f "$NEW/install.sh"
rm -rf "$DEST"
mv "$NEW" "$DEST"
chmod -R a+rX "$DEST"
ln -sf "$DEST/savsr-app" "$BIN/savsr-app"
ln -sf "$DEST/savsr" "$BIN/savsr"
install -m 644 "$SRC/savsr-studio.png" "$ICONS/savsr-studio.png"
sed "s|^Exec=savsr-app|Exec=$DEST/savsr-app|" "$SRC/savsr-studio.desktop" > "$APPS/savsr-studio.desktop"
chmod 644 "$APPS/savsr-studio.desktop"
command -v update-desktop-database >/dev/null && update-desktop-database -q "$APPS" || true
missing=""
if command -v ldconfig >/dev/null; then
    cache="$(ldconfig -p 2>/dev/null || true)"
    for so in $SONAMES; do
        case "$cache" in *"$so "*) ;; *) missing="$missing $so" ;; esac
    done
fi
if [ -n "$missing" ]; then
    echo "note: the app's window needs system libraries that are missing:$missing"
    echo "  Debian/Ubuntu: sudo apt install $(echo $DEBIAN_PACKAGES)"
fi
echo "SAVSR Studio installed in $DEST; commands savsr-app and savsr in $BIN"
case ":$PATH:" in *":$BIN:"*) ;; *) echo "note: $BIN is not on your PATH" ;; esac
