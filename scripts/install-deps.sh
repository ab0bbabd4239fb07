#!/usr/bin/env bash
# Debian packages the test suite drives for real: jq (the guide's queries), curl and wget
# (clients through the proxy), docker.io + debootstrap + busybox-static (a real engine and
# locally built base images), iproute2 (loopback inside network namespaces). The
# benchmarks' peers come from scripts/install-bench-deps.sh.
# Installs only what is missing; needs root and apt-get.
set -euo pipefail

need=()
have() { command -v "$1" >/dev/null 2>&1; }
have jq || need+=(jq)
have curl || need+=(curl)
have wget || need+=(wget)
[ -x /usr/bin/docker ] && have dockerd || need+=(docker.io)
have debootstrap || need+=(debootstrap)
[ -x /bin/busybox ] || need+=(busybox-static)
have unshare || need+=(util-linux)
have ip || need+=(iproute2)
have dpkg-deb || need+=(dpkg)

if [ "${#need[@]}" -eq 0 ]; then exit 0; fi
if [ "$(id -u)" != 0 ] || ! have apt-get; then
  echo "offgrid: the tests need these packages, install them first: ${need[*]}" >&2
  exit 2
fi
echo "offgrid: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
