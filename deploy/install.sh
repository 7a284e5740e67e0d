#!/usr/bin/env bash
# Installs tovholderd and tovholderctl with their configuration and systemd units.
# Usage: deploy/install.sh BUILD_DIR   (PREFIX defaults to /usr/local; DESTDIR is honoured)
set -euo pipefail
build=${1:?usage: deploy/install.sh BUILD_DIR}
prefix=${PREFIX:-/usr/local}
dest=${DESTDIR:-}
here=$(cd "$(dirname "$0")/.." && pwd)

install -d "$dest$prefix/bin" "$dest/etc/tovholder" "$dest/etc/systemd/system" "$dest/usr/lib/sysusers.d" \
    "$dest$prefix/share/doc/tovholder"
install -m 0755 "$build/tovholderd" "$build/tovholderctl" "$dest$prefix/bin/"
install -m 0644 "$here/config/rulebook.toml" "$dest/etc/tovholder/rulebook.toml.example"
[ -e "$dest/etc/tovholder/rulebook.toml" ] || install -m 0644 "$here/config/rulebook.toml" "$dest/etc/tovholder/rulebook.toml"
if [ ! -e "$dest/etc/tovholder/tovholder.toml" ]; then
    # The example with system paths: state under /var/lib, socket from the socket unit, rulebook in /etc.
    sed -e 's|^state-directory = .*|state-directory = "/var/lib/tovholder"|' \
        -e 's|^socket = .*|socket = "/run/tovholder/control.sock"|' \
        -e 's|^rulebook = .*|rulebook = "/etc/tovholder/rulebook.toml"|' \
        "$here/config/tovholder.toml" > "$dest/etc/tovholder/tovholder.toml"
    chmod 0644 "$dest/etc/tovholder/tovholder.toml"
fi
install -m 0644 "$here/deploy/tovholderd.service" "$here/deploy/tovholderd.socket" "$dest/etc/systemd/system/"
install -m 0644 "$here/deploy/sysusers-tovholder.conf" "$dest/usr/lib/sysusers.d/tovholder.conf"
install -m 0644 "$here/README.md" "$dest$prefix/share/doc/tovholder/"
if [ -z "$dest" ] && [ -d /run/systemd/system ]; then
    systemd-sysusers
    systemctl daemon-reload
    echo "installed; start with: systemctl enable --now tovholderd.socket tovholderd.service"
else
    echo "installed under ${dest:-/}; run systemd-sysusers and systemctl daemon-reload on the target"
fi
