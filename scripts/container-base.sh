#!/usr/bin/env bash
# Make sure the base image the Dockerfiles start FROM exists in the container engine.
# Where a registry answers, it is pulled; where none can be reached (these build machines),
# the same Debian release is bootstrapped from the Debian mirror apt already uses and
# tagged with the official image's name. Debian bookworm's Python is 3.11, like the venv's.
#   scripts/container-base.sh ENGINE [IMAGE]
set -euo pipefail
engine="${1:?usage: container-base.sh ENGINE [IMAGE]}"
image="${2:-docker.io/library/python:3.11-slim-bookworm}"

if "$engine" image exists "$image" 2>/dev/null || "$engine" image inspect "$image" >/dev/null 2>&1; then
  exit 0
fi
if timeout 60 "$engine" pull -q "$image" >/dev/null 2>&1; then
  exit 0
fi
echo "no registry reachable: building $image from Debian bookworm with debootstrap" >&2
command -v debootstrap >/dev/null || { echo "error: debootstrap is not installed" >&2; exit 1; }
mirror=$(sed -n 's/^URIs: *\(http[^ ]*debian\)$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
mirror="${mirror:-$(sed -n 's/^deb *\(http[^ ]*debian\) bookworm main.*/\1/p' /etc/apt/sources.list 2>/dev/null | head -1)}"
mirror="${mirror:-http://deb.debian.org/debian}"
rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT
debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates bookworm "$rootfs" "$mirror" >/dev/null
ln -sf python3 "$rootfs/usr/bin/python"
# Only what apt needs inside later builds; no caches or logs in the image.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/*
tar -C "$rootfs" -c . | "$engine" import --change 'CMD ["python3"]' - "$image" >/dev/null
echo "built $image" >&2
