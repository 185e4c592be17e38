#!/usr/bin/env bash
# Install the Debian packages the product and its tests need, only those missing.
# Java runs TorchServe; the others are used by the UI, monitoring and e2e tests.
set -euo pipefail

declare -A wanted=(
  [java]=openjdk-17-jre-headless
  [chromium]=chromium
  [prometheus]=prometheus
  [promtool]=prometheus
  [prometheus-alertmanager]=prometheus-alertmanager
  [amtool]=prometheus-alertmanager
  [prometheus-node-exporter]=prometheus-node-exporter
  # A container engine for the image and Compose tests where Docker has no daemon.
  [podman]="podman buildah runc netavark aardvark-dns containernetworking-plugins catatonit slirp4netns iptables conmon"
  [debootstrap]=debootstrap
)
missing=()
for command in "${!wanted[@]}"; do
  command -v "$command" >/dev/null 2>&1 || missing+=("${wanted[$command]}")
done
configure_podman() {
  # Limits this kind of VM refuses, and runc (crun fails on its hybrid cgroup layout).
  # An existing configuration is the machine owner's: left alone.
  local conf=/etc/containers/containers.conf
  if [ -e "$conf" ] || ! command -v podman >/dev/null 2>&1; then return 0; fi
  $sudo_cmd mkdir -p /etc/containers
  printf '%s\n' '[containers]' 'default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]' \
    '[engine]' 'runtime = "runc"' | $sudo_cmd tee "$conf" >/dev/null
}
sudo_cmd=""
[ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
if [ ${#missing[@]} -eq 0 ]; then configure_podman; exit 0; fi

# shellcheck disable=SC2068  # an entry may name several packages
packages=$(printf '%s\n' ${missing[@]} | sort -u | tr '\n' ' ')
echo "installing system packages: $packages"
export DEBIAN_FRONTEND=noninteractive
$sudo_cmd apt-get update -qq
# shellcheck disable=SC2086
$sudo_cmd apt-get install -y -qq --no-install-recommends $packages
configure_podman
