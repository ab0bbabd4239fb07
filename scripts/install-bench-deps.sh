#!/usr/bin/env bash
# The real peers the benchmarks measure offgrid against: nginx (serving the same files),
# wrk (load), apt-cacher-ng (the same apt workload), sha256sum and tar (cache throughput).
# Installs only what is missing; their system services are not used (the benchmarks start
# their own instances on loopback).
set -euo pipefail
need=()
command -v nginx >/dev/null || need+=(nginx-light)
command -v wrk >/dev/null || need+=(wrk)
[ -x /usr/sbin/apt-cacher-ng ] || need+=(apt-cacher-ng)
if [ "${#need[@]}" -eq 0 ]; then exit 0; fi
if [ "$(id -u)" != 0 ]; then echo "offgrid bench: install first: ${need[*]}" >&2; exit 2; fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
