#!/usr/bin/env bash
# Lab "hosts" on one machine: each host is a network namespace `<prefix><name>` running its own Open vSwitch
# (scripts/ovs-sandbox.sh started inside it, files under DIR/<name>), with a bridge `br-phy` (netdev datapath)
# that holds the host's underlay veth and, on the bridge's own device, the host's tunnel address: OVS userspace
# tunnelling routes and ARPs from there. The hosts are joined by an underlay of their own: the namespace
# `<prefix>underlay` with a Linux bridge, addresses 192.0.2.0/24. The physical network `public` joins them too,
# as a provider network's wire joins real hosts: a Linux bridge `public` there, and in each host the port
# `public0` on an OVS bridge (br-ex, or the one given after the host's name: each host may name the bridge of a
# physical network its own way, as Neutron's bridge_mappings allow), where the host's agent maps `public`, so that
# a flat or VLAN network on `public` reaches across hosts (a router moved to another network node still reaches
# the lab's outside world on the first one). Nothing in the root namespace changes.
#
#   scripts/lab-hosts.sh start DIR PREFIX NAME[:BRIDGE]...  # host i (from 1): tunnel address 192.0.2.(10+i)
#   scripts/lab-hosts.sh stop DIR PREFIX                    # stops each host's OVS, removes namespaces and files
#
# start prints one line per host:
# `host NAME netns NS ovsdb unix:DIR/NAME/db.sock rundir DIR/NAME local_ip IP public_bridge BRIDGE`.
# The agent of a host runs in the root namespace with `--host-netns NS --ovsdb ... --ovs-rundir ... --local-ip IP
# --datapath-type netdev`: its API stays reachable, OVS is reached through its unix sockets.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
sandbox="$here/ovs-sandbox.sh"

usage() {
  echo "usage: $0 start DIR PREFIX NAME[:BRIDGE]... | stop DIR PREFIX" >&2
  exit 2
}

[[ $# -ge 2 ]] || usage
verb=$1
dir=$2
prefix=${3-}
[[ "$prefix" =~ ^[a-z0-9-]{1,12}$ ]] || {
  echo "lab-hosts: PREFIX must be 1-12 characters of a-z 0-9 -" >&2
  exit 2
}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
underlay="${prefix}underlay"

ns_exists() { [[ -e "/run/netns/$1" ]]; }

# NAME[:BRIDGE] of argument $1 into `name` and `bridge`, or exit with why not.
parse_host() {
  name=${1%%:*}
  bridge=br-ex
  if [[ $1 == *:* ]]; then bridge=${1#*:}; fi
  # The veths' ends in the underlay namespace are `u-<name>` and `p-<name>`: 15 characters at most.
  [[ "$name" =~ ^[a-z0-9]([a-z0-9-]{0,11})$ ]] || {
    echo "lab-hosts: host name $name: 1-12 characters of a-z 0-9 -" >&2
    exit 2
  }
  # Not br-phy (the underlay's) nor br-int or br-tun (the agent's); 11 characters at most, as the agent's
  # bridge names (its patch ports `int-<bridge>` and `phy-<bridge>` are devices of 15).
  [[ "$bridge" =~ ^[a-z][a-z0-9-]{0,10}$ && ! "$bridge" =~ ^br-(phy|int|tun)$ ]] || {
    echo "lab-hosts: host $name: bridge $bridge: 1-11 characters of a-z 0-9 -, not br-phy, br-int or br-tun" >&2
    exit 2
  }
}

start() {
  shift 3
  [[ $# -ge 1 && $# -le 200 ]] || usage
  local i=0 spec name bridge ns ip_addr hostdir
  # Every argument is checked before anything is made.
  for spec in "$@"; do parse_host "$spec"; done
  ns_exists "$underlay" || ip netns add "$underlay"
  ip -n "$underlay" link set lo up
  ip -n "$underlay" link show dev underlay >/dev/null 2>&1 ||
    ip -n "$underlay" link add underlay type bridge
  ip -n "$underlay" link set underlay up
  ip -n "$underlay" link show dev public >/dev/null 2>&1 ||
    ip -n "$underlay" link add public type bridge
  ip -n "$underlay" link set public up
  for spec in "$@"; do
    i=$((i + 1))
    parse_host "$spec"
    ns="${prefix}${name}"
    ip_addr="192.0.2.$((10 + i))"
    hostdir="$dir/$name"
    mkdir -p "$hostdir"
    ns_exists "$ns" || ip netns add "$ns"
    ip -n "$ns" link set lo up
    if ! ip -n "$underlay" link show dev "u-$name" >/dev/null 2>&1; then
      ip -n "$underlay" link add "u-$name" type veth peer name underlay0 netns "$ns"
    fi
    ip -n "$underlay" link set "u-$name" master underlay up
    ip -n "$ns" link set underlay0 up
    if ! ip -n "$underlay" link show dev "p-$name" >/dev/null 2>&1; then
      ip -n "$underlay" link add "p-$name" type veth peer name public0 netns "$ns"
    fi
    ip -n "$underlay" link set "p-$name" master public up
    ip -n "$ns" link set public0 up
    # vswitchd opens the host's devices (and makes its bridges' taps) in the namespace it starts in.
    ip netns exec "$ns" bash "$sandbox" start "$hostdir" >/dev/null
    ovs-vsctl --db="unix:$hostdir/db.sock" --timeout=10 \
      -- --may-exist add-br br-phy -- set Bridge br-phy datapath_type=netdev \
      -- --may-exist add-port br-phy underlay0 \
      -- --may-exist add-br "$bridge" -- set Bridge "$bridge" datapath_type=netdev \
      -- --may-exist add-port "$bridge" public0
    ip -n "$ns" addr replace "$ip_addr/24" dev br-phy
    ip -n "$ns" link set br-phy up
    echo "$name" >>"$dir/hosts"
    sort -u -o "$dir/hosts" "$dir/hosts"
    echo "host $name netns $ns ovsdb unix:$hostdir/db.sock rundir $hostdir local_ip $ip_addr public_bridge $bridge"
  done
}

stop() {
  local name ns
  if [[ -f "$dir/hosts" ]]; then
    while read -r name; do
      [[ -n "$name" ]] || continue
      ns="${prefix}${name}"
      # Inside its namespace, so that the sandbox's cleanup of leftover bridge taps looks there.
      if ns_exists "$ns"; then
        ip netns exec "$ns" bash "$sandbox" stop "$dir/$name" >/dev/null || true
        ip netns del "$ns"
      fi
      rm -rf "${dir:?}/$name"
    done <"$dir/hosts"
    rm -f "$dir/hosts"
  fi
  if ns_exists "$underlay"; then ip netns del "$underlay"; fi
  echo "lab hosts in $dir stopped"
}

case "$verb" in
start) start "$@" ;;
stop) stop ;;
*) usage ;;
esac
