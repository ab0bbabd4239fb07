#!/usr/bin/env bash
# Brings up a real Docker engine for offgrid's Docker tests, with nothing pulled from a
# registry: Debian's docker.io, a daemon that needs no iptables or bridge (CI sandboxes
# have neither), and two local base images built from Debian packages.
#
#   offgrid-test/busybox:latest   a busybox-static rootfs, `docker import`ed
#   offgrid-test/debian:bookworm  `debootstrap --variant=minbase` against the machine's
#                                 own apt mirror, `docker import`ed
#
# Run as root. Idempotent: installed packages, a running daemon and existing images are
# left as they are. Debian's client (/usr/bin/docker) is used throughout: another build
# of the client may sit earlier in PATH (e.g. /usr/local/bin/docker) and behave
# differently with BuildKit.
set -euo pipefail

DOCKER=/usr/bin/docker
DOCKERD_LOG=${DOCKERD_LOG:-/tmp/dockerd.log}
WAIT_SECONDS=${DOCKER_WAIT_SECONDS:-60}
BUSYBOX_IMAGE=offgrid-test/busybox:latest
DEBIAN_IMAGE=offgrid-test/debian:bookworm

log() { echo "ci-docker: $*" >&2; }
die() { log "error: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (apt-get and dockerd need it)"

install_packages() {
  local missing=()
  for pkg in docker.io busybox-static debootstrap; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

daemon_answers() { "$DOCKER" info >/dev/null 2>&1; }

start_daemon() {
  daemon_answers && return 0
  log "starting dockerd (log: $DOCKERD_LOG)"
  # vfs: works on any filesystem (overlay-on-overlay does not). No iptables/bridge: the
  # sandbox may lack the kernel modules; builds use --network=none or --network=host.
  nohup dockerd --storage-driver=vfs --iptables=false --bridge=none >"$DOCKERD_LOG" 2>&1 &
  local waited=0
  until daemon_answers; do
    if [ "$waited" -ge "$WAIT_SECONDS" ]; then
      log "last lines of $DOCKERD_LOG:"
      tail -n 20 "$DOCKERD_LOG" >&2 || true
      die "dockerd did not answer 'docker info' within ${WAIT_SECONDS}s"
    fi
    sleep 1
    waited=$((waited + 1))
  done
  log "dockerd answers after ${waited}s"
}

image_exists() { "$DOCKER" image inspect "$1" >/dev/null 2>&1; }

build_busybox_image() {
  image_exists "$BUSYBOX_IMAGE" && return 0
  log "building $BUSYBOX_IMAGE"
  local rootfs
  rootfs=$(mktemp -d)
  mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,proc,sys,dev}
  chmod 1777 "$rootfs/tmp"
  cp /bin/busybox "$rootfs/bin/busybox"
  # One symlink per applet, as busybox --install would make.
  local applet
  for applet in $("$rootfs/bin/busybox" --list); do
    [ -e "$rootfs/bin/$applet" ] || ln -s busybox "$rootfs/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\n' >"$rootfs/etc/group"
  tar -C "$rootfs" -c . | "$DOCKER" import \
    --change 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin' --change 'CMD ["/bin/sh"]' - "$BUSYBOX_IMAGE" >/dev/null
  rm -rf "$rootfs"
}

# The first http(s) URI of the machine's Debian archive, from deb822 .sources files or
# the one-line format. Never written into this script: CI machines configure their own.
debian_mirror() {
  local uri
  uri=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null \
        | awk '{for (i = 2; i <= NF; i++) print $i}' | grep -vE 'security' | head -n 1 || true)
  if [ -z "$uri" ]; then
    uri=$(grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
          | sed -E 's/\[[^]]*\]//' | awk '{print $2}' | grep -vE 'security' | head -n 1 || true)
  fi
  [ -n "$uri" ] || die "no Debian mirror found in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list"
  echo "$uri"
}

build_debian_image() {
  image_exists "$DEBIAN_IMAGE" && return 0
  local mirror rootfs
  mirror=$(debian_mirror)
  log "building $DEBIAN_IMAGE with debootstrap (minbase)"
  rootfs=$(mktemp -d)
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >/tmp/debootstrap.log 2>&1 \
    || { tail -n 20 /tmp/debootstrap.log >&2; die "debootstrap failed (full log: /tmp/debootstrap.log)"; }
  # Same archive inside the image as on the host, so `apt-get update` in a build with
  # --network=host reaches the mirror the machine is allowed to reach.
  printf 'deb %s bookworm main\n' "$mirror" >"$rootfs/etc/apt/sources.list"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | "$DOCKER" import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/bash"]' - "$DEBIAN_IMAGE" >/dev/null
  rm -rf "$rootfs"
}

install_packages
start_daemon
build_busybox_image
build_debian_image
log "ready: $("$DOCKER" version --format '{{.Server.Version}}') with $BUSYBOX_IMAGE and $DEBIAN_IMAGE"
