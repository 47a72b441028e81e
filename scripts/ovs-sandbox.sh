#!/usr/bin/env bash
# A private Open vSwitch (ovsdb-server + ovs-vswitchd, userspace datapath) whose files all live under DIR,
# so that tests, benches and a live stack can run side by side without touching /var/run/openvswitch.
#
#   scripts/ovs-sandbox.sh start DIR   # creates DIR/conf.db, DIR/db.sock, pids, logs, control sockets
#   scripts/ovs-sandbox.sh stop DIR    # deletes the sandbox's bridges, stops both daemons, removes leftover taps
#   scripts/ovs-sandbox.sh env DIR     # prints the environment to talk to it by hand (eval "$(... env DIR)")
#
# Talk to it with: ovs-vsctl --db=unix:DIR/db.sock ...   and   ovs-appctl -t DIR/ovs-vswitchd.<pid>.ctl ...
# Both verbs are idempotent: start on a running sandbox and stop on a stopped one succeed and change nothing.
set -euo pipefail

usage() {
  echo "usage: $0 start|stop|env DIR" >&2
  exit 2
}

[[ $# -eq 2 ]] || usage
verb=$1
dir=$2
[[ -n "$dir" ]] || usage
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

# Every OVS tool reads these; pointing them at DIR keeps pid files, control sockets and logs private.
export OVS_RUNDIR="$dir" OVS_DBDIR="$dir" OVS_LOGDIR="$dir" OVS_SYSCONFDIR="$dir"
export OVS_PKGDATADIR=${OVS_PKGDATADIR:-/usr/share/openvswitch}
db="unix:$dir/db.sock"

pid_alive() {
  local file=$1
  [[ -f "$file" ]] || return 1
  local pid
  pid=$(cat "$file" 2>/dev/null || true)
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  # A killed daemon may stay a zombie when PID 1 does not reap (containers): kill -0 would still succeed.
  local state
  state=$(ps -o stat= -p "$pid" 2>/dev/null || true)
  [[ -n "$state" && "$state" != Z* ]]
}

# Whether some other ovs-vswitchd process (not a zombie) runs on this machine.
other_vswitchd_alive() {
  ps -C ovs-vswitchd -o stat= 2>/dev/null | grep -qv '^Z'
}

stop_pid() {
  local file=$1
  pid_alive "$file" || {
    rm -f "$file"
    return 0
  }
  local pid
  pid=$(cat "$file")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do
    pid_alive "$file" || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$file"
}

start() {
  if [[ ! -f "$dir/conf.db" ]]; then
    ovsdb-tool create "$dir/conf.db" "$OVS_PKGDATADIR/vswitch.ovsschema"
  fi
  if ! pid_alive "$dir/ovsdb-server.pid"; then
    ovsdb-server "$dir/conf.db" \
      --remote="punix:$dir/db.sock" \
      --remote=db:Open_vSwitch,Open_vSwitch,manager_options \
      --pidfile="$dir/ovsdb-server.pid" \
      --unixctl="$dir/ovsdb-server.ctl" \
      -vconsole:off --log-file="$dir/ovsdb-server.log" \
      --detach
  fi
  ovs-vsctl --db="$db" --no-wait init
  # veths hand TCP packets to AF_PACKET with their checksum not yet computed (offloaded); without the virtio
  # net header that TSO mode turns on, the userspace datapath forwards them as they are and the receiver drops
  # them: ping works, TCP does not. vswitchd reads this at start only.
  ovs-vsctl --db="$db" --no-wait set Open_vSwitch . other_config:userspace-tso-enable=true
  if ! pid_alive "$dir/ovs-vswitchd.pid"; then
    # --enable-dummy adds the "dummy" datapath type beside "netdev" (it replaces nothing). Only one process on a
    # machine can hold the netdev datapath, because it creates a tap named "ovs-netdev" in the root namespace;
    # the dummy datapath is the same userspace forwarding code without kernel taps for the bridges' own ports,
    # so tests and benches use it to run beside a live stack.
    ovs-vswitchd "$db" --enable-dummy \
      --pidfile="$dir/ovs-vswitchd.pid" \
      -vconsole:off --log-file="$dir/ovs-vswitchd.log" \
      --detach
  fi
  # Without --no-wait this returns once vswitchd has read the database: the caller may add bridges at once.
  ovs-vsctl --db="$db" --timeout=10 set Open_vSwitch . external_ids:netlens-sandbox="$dir"
  echo "ovs sandbox running in $dir (db unix:$dir/db.sock, vswitchd pid $(cat "$dir/ovs-vswitchd.pid"))"
}

stop() {
  local bridges=()
  [[ -f "$dir/conf.db" ]] || {
    echo "ovs sandbox in $dir: nothing to stop"
    return 0
  }
  # The bridge names live in the database; bring ovsdb-server back if it died, so that they can be read.
  if ! pid_alive "$dir/ovsdb-server.pid"; then
    ovsdb-server "$dir/conf.db" --remote="punix:$dir/db.sock" --pidfile="$dir/ovsdb-server.pid" \
      --unixctl="$dir/ovsdb-server.ctl" -vconsole:off --log-file="$dir/ovsdb-server.log" --detach || true
  fi
  mapfile -t bridges < <(ovs-vsctl --db="$db" --timeout=5 list-br 2>/dev/null || true)
  local wait=--no-wait vswitchd_alive=0 netdev=0
  if pid_alive "$dir/ovs-vswitchd.pid"; then
    wait=--timeout=10
    vswitchd_alive=1
  fi
  if ovs-vsctl --db="$db" --timeout=5 --bare --columns=datapath_type list Bridge 2>/dev/null | grep -qx netdev; then
    netdev=1
  fi
  # Deleting the bridges while vswitchd still runs lets it close its own taps.
  for br in "${bridges[@]}"; do
    [[ -n "$br" ]] && { ovs-vsctl --db="$db" "$wait" --if-exists del-br "$br" || true; }
  done
  stop_pid "$dir/ovs-vswitchd.pid"
  stop_pid "$dir/ovsdb-server.pid"
  # The userspace datapath leaves persistent taps named after its bridges in the root namespace when it is
  # killed; remove those of this sandbox only (the names read from its database).
  for br in "${bridges[@]}"; do
    [[ -n "$br" ]] || continue
    if ip link show dev "$br" >/dev/null 2>&1; then
      ip link delete dev "$br" 2>/dev/null || true
    fi
  done
  # A killed vswitchd also leaves the netdev datapath's own tap. It is ours only when no other vswitchd runs.
  if [[ $vswitchd_alive -eq 0 && $netdev -eq 1 ]] && ! other_vswitchd_alive; then
    ip link delete dev ovs-netdev 2>/dev/null || true
  fi
  rm -f "$dir"/*.ctl "$dir/db.sock"
  echo "ovs sandbox in $dir stopped"
}

case "$verb" in
start) start ;;
stop) stop ;;
env)
  echo "export OVS_RUNDIR='$dir' OVS_DBDIR='$dir' OVS_LOGDIR='$dir' OVS_SYSCONFDIR='$dir'"
  echo "# ovs-vsctl --db=unix:$dir/db.sock show"
  ;;
*) usage ;;
esac
