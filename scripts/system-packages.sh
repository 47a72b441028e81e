#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks for netlens (root), and the npm dependencies.
# Cheap when everything is there: it only calls apt-get when a tool is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v ovs-vswitchd >/dev/null || need+=(openvswitch-switch)
command -v iptables-restore >/dev/null || need+=(iptables)
command -v ip >/dev/null || need+=(iproute2)
command -v ping >/dev/null || need+=(iputils-ping)
command -v tcpdump >/dev/null || need+=(tcpdump)
command -v arping >/dev/null || need+=(iputils-arping)
command -v dnsmasq >/dev/null || need+=(dnsmasq-base)
# haproxy: the metadata proxy in router and DHCP namespaces; conntrack: connection tracking shown per router;
# keepalived: HA routers.
command -v haproxy >/dev/null || need+=(haproxy)
command -v conntrack >/dev/null || need+=(conntrack)
command -v keepalived >/dev/null || need+=(keepalived)
# udhcpc: the DHCP client of the tests' workloads.
command -v busybox >/dev/null || need+=(busybox)
# The clients operators already use, driving netlens's Keystone and Neutron REST API (and its tests).
command -v openstack >/dev/null || need+=(python3-openstackclient)
/usr/bin/python3 -c 'import openstack' 2>/dev/null || need+=(python3-openstacksdk)
if [[ "${NETLENS_WITH_BROWSER:-1}" == 1 ]]; then
  [[ -x /usr/bin/chromium ]] || need+=(chromium)
fi
if [[ "${NETLENS_WITH_POSTGRES:-0}" == 1 ]]; then
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
fi

if ((${#need[@]})); then
  if [[ $(id -u) != 0 ]]; then
    echo "netlens needs these Debian packages: ${need[*]} (run as root, or install them)" >&2
    exit 1
  fi
  echo "Installing Debian packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# Debian's openvswitch-switch may start the system's own OVS; netlens runs a private one and leaves that alone.
if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "Installing npm dependencies (npm ci)"
  # npm ci insists that the lock lists every platform's optional binary (biome, next's swc, rollup, tailwind's
  # oxide …); a registry mirror that serves only this platform's cannot provide them, so the lock cannot hold
  # them and npm ci refuses it. npm install then installs the same locked versions for this platform.
  if ! npm ci --no-audit --no-fund; then
    echo "npm ci refused the lock (platform packages this registry does not serve); using npm install"
    npm install --no-audit --no-fund --no-save
  fi
fi

# The netlens command, compiled once (cli/netlens rebuilds it when a source changes): no TypeScript compile per run.
node scripts/build-cli.mjs
