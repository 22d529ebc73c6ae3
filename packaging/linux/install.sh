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
echo "SAVSR Studio installed in $DEST; commands savsr-app and savsr in $BIN"
case ":$PATH:" in *":$BIN:"*) ;; *) echo "note: $BIN is not on your PATH" ;; esac
