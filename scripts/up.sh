#!/usr/bin/env bash
# `npm run up`: netlens with its embedded defaults, in the foreground. Starts a private Open vSwitch (userspace
# datapath), the host agent (root) and the web server (as its own unprivileged user, scripts/web-user.sh) with its
# embedded PGlite database; seeds the demo topology on the database's first start (NETLENS_SEED_DEMO=1), and only
# then: a demo deleted later stays deleted. Ctrl-C stops everything it started and removes the dataplane it made.
#
# Settings (environment): NETLENS_PORT (3000), NETLENS_HOST (127.0.0.1), NETLENS_AGENT_PORT (9797),
# NETLENS_STATE_DIR (.netlens), NETLENS_WEB_USER (netlens), DATABASE_URL (postgres://… instead of PGlite), and
# the web server's own (server/env.ts), such as NETLENS_TRUSTED_PROXIES, and the MTUs of the physical networks:
# NETLENS_GLOBAL_PHYSNET_MTU (1500) and NETLENS_PHYSICAL_NETWORK_MTUS (public:1500, the demo's bridge mapping's).
#
# `npm run up -- --hosts N` (2-9) starts a lab of N hosts on this machine instead (scripts/lab-hosts.sh): each a
# network namespace with its own Open vSwitch and tunnel address, joined by an underlay of their own — network1
# (routers, DHCP, the outside world on its br-ex) and compute1..compute<N-1> — one agent each (ports from
# NETLENS_AGENT_PORT up), and the web server dialing them all. Its state is NETLENS_STATE_DIR (.netlens/lab).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

if [[ $(id -u) != 0 ]]; then
  echo "npm run up needs root: the host agent makes OVS ports, namespaces and iptables rules" >&2
  exit 1
fi
lab_hosts=0
while [[ $# -gt 0 ]]; do
  case $1 in
  --hosts)
    [[ ${2-} =~ ^[2-9]$ ]] || {
      echo "npm run up: --hosts takes a number of lab hosts from 2 to 9, got '${2-}'" >&2
      exit 2
    }
    lab_hosts=$2
    shift 2
    ;;
  *)
    echo "npm run up: unknown argument '$1' (npm run up [-- --hosts N])" >&2
    exit 2
    ;;
  esac
done
bash scripts/system-packages.sh

default_state=.netlens
((lab_hosts)) && default_state=.netlens/lab
state=$(realpath -m "${NETLENS_STATE_DIR:-$default_state}")
web=$state/web
port=${NETLENS_PORT:-3000}
host=${NETLENS_HOST:-127.0.0.1}
agent_port=${NETLENS_AGENT_PORT:-9797}
mkdir -p "$state"
chmod 700 "$state"

# The agent's metadata relay forwards the instances' requests to the web server's metadata service.
metadata_host=$host
[[ $host == 0.0.0.0 ]] && metadata_host=127.0.0.1
# One host: the agent on this machine's OVS sandbox. A lab: an agent per lab host, in the root namespace (its API
# reachable) running the host's commands in the host's namespace, against that host's OVS.
lab_prefix=nl-
lab_lines=()
if ((lab_hosts)); then
  names=(network1)
  for i in $(seq 1 $((lab_hosts - 1))); do names+=("compute$i"); done
  # A line per host: host NAME netns NS ovsdb OVSDB rundir DIR local_ip IP public_bridge BRIDGE
  # (scripts/lab-hosts.sh). The web server dials the agents in this order (computes first): ties in scheduling
  # go to the host listed first.
  mapfile -t lab_lines < <(bash scripts/lab-hosts.sh start "$state/lab" "$lab_prefix" "${names[@]}" | sort -k2,2)
fi
agent_count=$((lab_hosts ? lab_hosts : 1))
agent_url() { echo "http://127.0.0.1:$((agent_port + $1))"; }
# The arguments of agent $1 (from 0), in the array `args`.
agent_args() {
  args=(
    --listen "127.0.0.1:$((agent_port + $1))"
    --metadata-url "http://$metadata_host:$port/api/metadata"
    --integration-bridge br-int
    --token-file "$state/agent/token"
  )
  if ((!lab_hosts)); then
    args+=(--ovsdb "unix:$state/ovs/db.sock" --bridge-mapping public:br-ex --state-dir "$state/agent")
    return
  fi
  local name netns ovsdb rundir local_ip public_bridge role=compute
  read -r _ name _ netns _ ovsdb _ rundir _ local_ip _ public_bridge <<<"${lab_lines[$1]}"
  [[ $name == network* ]] && role=network
  # Every host maps `public`, as provider networks need on each host with ports on them.
  args+=(
    --bridge-mapping "public:$public_bridge"
    --host "$name" --role "$role" --local-ip "$local_ip" --host-netns "$netns" --ovsdb "$ovsdb"
    --ovs-rundir "$rundir" --datapath-type netdev --prefix "$name-" --state-dir "$state/agent/$name"
  )
}

pids=()
cleanup() {
  # Finish the cleanup whatever happens to the terminal: a second Ctrl-C, or a closed pipe (`npm run up | tee`).
  trap '' INT TERM PIPE
  trap - EXIT
  set +e
  echo
  echo "netlens: stopping"
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait "${pids[@]}" 2>/dev/null || true
  for i in $(seq 0 $((agent_count - 1))); do
    agent_args "$i"
    node_modules/.bin/tsx agent/main.ts "${args[@]}" --cleanup || true
  done
  if ((lab_hosts)); then
    bash scripts/lab-hosts.sh stop "$state/lab" "$lab_prefix" || true
  else
    bash scripts/ovs-sandbox.sh stop "$state/ovs" || true
  fi
  rm -f "$state/url"
  echo "netlens: stopped"
}
trap cleanup INT TERM EXIT

((lab_hosts)) || bash scripts/ovs-sandbox.sh start "$state/ovs"

# The agents share one token (made here when missing): the web server dials each with it.
if [[ ! -s $state/agent/token ]]; then
  # Others may pass, not list: the daemons the agents start (dnsmasq, haproxy) read their files below as nobody.
  install -d -m 711 "$state/agent"
  (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$state/agent/token" && echo >>"$state/agent/token")
fi
agent_urls=()
for i in $(seq 0 $((agent_count - 1))); do
  agent_args "$i"
  node_modules/.bin/tsx agent/main.ts "${args[@]}" &
  pids+=($!)
  agent_urls+=("$(agent_url "$i")")
done

newest_source=$(find app components lib server next.config.ts package-lock.json -newer .next/BUILD_ID 2>/dev/null | head -1 || true)
if [[ ! -f .next/BUILD_ID || -n "$newest_source" ]]; then
  echo "netlens: building the web app (next build)"
  node_modules/.bin/next build
fi

bash scripts/web-user.sh prepare "$state" "$state/agent/token"

# NEXT_MANUAL_SIG_HANDLE: the server's own SIGTERM/SIGINT handler (server/shutdown.ts) closes the database and
# then ends the process; Next's would end it first, leaving PGlite to recover on the next start.
NETLENS_DATA_DIR="$web/data" \
  NEXT_MANUAL_SIG_HANDLE=1 \
  NETLENS_STATE_DIR="$web" \
  NETLENS_AGENTS="$(IFS=,; echo "${agent_urls[*]}")" \
  NETLENS_AGENT_TOKEN_FILE="$web/agent-token" \
  NETLENS_SEED_DEMO=1 \
  NETLENS_PHYSICAL_NETWORK_MTUS="${NETLENS_PHYSICAL_NETWORK_MTUS:-public:1500}" \
  bash scripts/web-user.sh run "$state" node scripts/web.mjs --hostname "$host" --port "$port" &
pids+=($!)

url="http://$host:$port"
healthy=0
for _ in $(seq 1 120); do
  if node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' \
    "$url/api/health"; then
    healthy=1
    break
  fi
  sleep 0.5
done
if ((!healthy)); then
  echo "netlens: the web server did not become healthy at $url/api/health (see the messages above)" >&2
  exit 1
fi
echo "$url" >"$state/url"
# Credentials for OpenStack's own clients, as devstack writes them (the admin, and the read-only demo tenant).
bash scripts/openrc.sh "$state/openrc" "$url" admin admin "$web/admin-password" "${NETLENS_ADMIN_PASSWORD:-}"
bash scripts/openrc.sh "$state/demo-openrc" "$url" demo demo "$web/demo-password" "${NETLENS_DEMO_PASSWORD:-}"
rel_state=$(realpath --relative-to="$root" "$state")
# The CLI finds the token under .netlens by itself; another state directory has to be named to it.
cli=./cli/netlens
[[ $rel_state == .netlens ]] || cli="NETLENS_STATE_DIR=$rel_state ./cli/netlens"
cat <<MSG

  netlens is up: $url
  Log in:        admin, password NETLENS_ADMIN_PASSWORD or the one in $web/admin-password
                 demo (read-only tenant), password NETLENS_DEMO_PASSWORD or the one in $web/demo-password
                 (written on the first start, with an empty database)
  CLI:           $cli network list      (as admin, with the token in $web/cli-token)
  Demo:          $cli server show vm1 -f json; $cli floating ip list
  openstack CLI: source $rel_state/openrc && openstack network list
                 ($rel_state/demo-openrc: the demo tenant, read-only; Keystone at $url/identity)
  Ctrl-C stops everything.

MSG
wait -n "${pids[@]}"
