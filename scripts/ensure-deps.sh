#!/usr/bin/env bash
# Installs the system packages Tovholder needs when they are missing (Debian/Ubuntu), and checks that a
# Swift 6 toolchain is on PATH. Safe to run repeatedly: it installs nothing that is already there.
set -euo pipefail

packages=(libsystemd-dev libsqlite3-dev pkg-config systemd tzdata strace)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if [ ${#missing[@]} -gt 0 ]; then
    echo "ensure-deps: installing ${missing[*]}"
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { echo "ensure-deps: run as root or install sudo to install ${missing[*]}" >&2; exit 1; }
        sudo="sudo"
    fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null; then
    [ -x /opt/swift/usr/bin/swift ] && echo "ensure-deps: add /opt/swift/usr/bin to PATH" >&2
    echo "ensure-deps: a Swift 6 toolchain is needed on PATH (swift.org/install)" >&2
    exit 1
fi
