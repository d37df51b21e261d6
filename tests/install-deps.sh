#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages rpmlock needs: `build` for building it (libsolv
# and bindgen's libclang), `test` (the default) for the whole test suite too (createrepo_c,
# rpm, dnf, PyYAML, jsonschema, nginx, openssl, docker-registry, perl).
#
# Works as root and as a user with sudo; runs `apt-get update` first when something is
# missing. The tests start their own nginx and registry, so the system services these
# packages bring are kept from starting on install (policy-rc.d) and disabled if systemd
# enabled them anyway: nothing is left listening on the host.
set -euo pipefail

what=${1:-test}
build=(libsolv-dev libsolvext-dev libclang-dev pkg-config)
tests=(createrepo-c rpm dnf python3-yaml python3-jsonschema nginx openssl docker-registry perl)
case "$what" in
  build) packages=("${build[@]}") ;;
  test) packages=("${build[@]}" "${tests[@]}") ;;
  *) echo "usage: $0 [build|test]" >&2; exit 2 ;;
esac

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "$0: run as root, or install sudo" >&2; exit 1; }
  sudo=(sudo)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
"${sudo[@]}" apt-get update -qq
policy=/usr/sbin/policy-rc.d
created=
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# rpmlock tests/install-deps.sh: no service starts during this install\nexit 101\n' \
    | "${sudo[@]}" tee "$policy" >/dev/null
  "${sudo[@]}" chmod 755 "$policy"
  created=1
fi
cleanup() { if [ -n "$created" ]; then "${sudo[@]}" rm -f "$policy"; fi; }
trap cleanup EXIT
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
  for service in nginx docker-registry; do
    "${sudo[@]}" systemctl disable --now "$service" >/dev/null 2>&1 || true
  done
fi
