#!/usr/bin/env bash
# Installs the Debian packages the test suites use, when they are missing. Idempotent: when everything is
# present it does not touch apt at all.
#
#   bash scripts/provision.sh           install what is missing (as root)
#   bash scripts/provision.sh --check   only report; exit 1 when something is missing
#
# What each package is for:
#   docker.io       dockerd, the engine for Docker collectors and the scheduler's containerizer tests
#   busybox-static  the static /bin/busybox copied into the local test image (no registry is reachable)
#   zookeeper       ZooKeeper 3.8 servers (standalone + ensemble) for the client, election and migration tests
#   chromium        headless browser for the UI tests (driven by playwright-core)
#   conntrack       connection tracking for the probe's network collectors
#   iproute2        `ip`, used to give a private test dockerd its own bridge
#   prometheus      a real Prometheus server for the rollout analyzer's Prometheus provider tests
#   docker-registry a local image registry (distribution) on loopback: the containerizer's image pull tests
set -euo pipefail

check_only=false
if [[ "${1:-}" == "--check" ]]; then check_only=true; fi

has_command() {
  command -v "$1" >/dev/null 2>&1 || [[ -x "/usr/sbin/$1" || -x "/sbin/$1" || -x "/usr/bin/$1" ]]
}

package_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

missing=()
has_command dockerd || missing+=(docker.io)
# the dynamic `busybox` package also installs /bin/busybox, but it cannot run inside an image without libc
package_installed busybox-static || missing+=(busybox-static)
[[ -x /usr/share/zookeeper/bin/zkServer.sh ]] || missing+=(zookeeper)
has_command chromium || missing+=(chromium)
has_command conntrack || missing+=(conntrack)
has_command ip || missing+=(iproute2)
has_command prometheus || missing+=(prometheus)
has_command docker-registry || missing+=(docker-registry)

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "provision: all test prerequisites are installed (docker.io busybox-static zookeeper chromium conntrack iproute2 prometheus docker-registry)"
  exit 0
fi

if [[ "$check_only" == true ]]; then
  echo "provision: missing: ${missing[*]}" >&2
  exit 1
fi

if [[ "$(id -u)" -ne 0 ]]; then
  cat >&2 <<EOF
provision: these Debian packages are missing: ${missing[*]}
provision: run this script as root (sudo bash scripts/provision.sh), or install them yourself:
  sudo apt-get update && sudo apt-get install -y ${missing[*]}
EOF
  exit 1
fi

echo "provision: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get -o Acquire::Retries=3 update -q
apt-get -o Acquire::Retries=3 -o Dpkg::Use-Pty=0 install -y -q "${missing[@]}"

still_missing=()
has_command dockerd || still_missing+=(docker.io)
package_installed busybox-static || still_missing+=(busybox-static)
[[ -x /usr/share/zookeeper/bin/zkServer.sh ]] || still_missing+=(zookeeper)
has_command chromium || still_missing+=(chromium)
has_command conntrack || still_missing+=(conntrack)
has_command ip || still_missing+=(iproute2)
has_command prometheus || still_missing+=(prometheus)
has_command docker-registry || still_missing+=(docker-registry)
if [[ ${#still_missing[@]} -gt 0 ]]; then
  echo "provision: still missing after apt-get install: ${still_missing[*]}" >&2
  exit 1
fi
echo "provision: done"
