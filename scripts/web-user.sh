#!/usr/bin/env bash
# The web server runs as a user of its own; only the agent runs as root. The web server needs its database, the
# secrets it writes on a first start and the agent's token: all of them in STATE/web, owned by that user.
#
#   scripts/web-user.sh prepare STATE AGENT_TOKEN   # (root) the user, STATE/web, a copy of the agent's token
#   scripts/web-user.sh run STATE CMD...            # (root) CMD as that user, in place of this shell (same pid)
#
# The user is NETLENS_WEB_USER (default: netlens), made as a system user when missing. STATE/web holds data/
# (PGlite), agent-token (a copy: the agent keeps its own file, 0600 root, and makes it 0600 again if widened),
# admin-password, demo-password and cli-token. A state directory of the layout before this (STATE/data,
# STATE/admin-password, ...) is moved in once. Everything else in STATE stays root's alone.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
user=${NETLENS_WEB_USER:-netlens}

usage() {
  echo "usage: $0 prepare STATE AGENT_TOKEN | run STATE CMD..." >&2
  exit 2
}

[[ $# -ge 3 ]] || usage
verb=$1
state=$2
shift 2
web=$state/web

case $verb in
prepare)
  [[ $# -eq 1 ]] || usage
  token=$1
  if ! id -u "$user" >/dev/null 2>&1; then
    useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$user"
  fi
  if ! setpriv --reuid="$user" --regid="$user" --clear-groups test -r "$root/node_modules/next/package.json"; then
    echo "netlens: the web server runs as user $user, who cannot read $root (a private parent directory," \
      "like /root?): clone netlens where other users may read it (/opt, /srv), or set NETLENS_WEB_USER" >&2
    exit 1
  fi
  # The web server's user may pass through STATE to its own directory, and see nothing else there: not the
  # agent's state, nor the OVS sandbox's database socket. Others may pass too (not list): dnsmasq, once it has
  # dropped root for nobody, reads its files under the agent's state directory (agent/dhcp/, world-readable;
  # the agent's other files are its alone).
  chgrp "$user" "$state"
  chmod 711 "$state"
  for entry in "$state"/*; do
    case $entry in
    "$web") ;;
    # Passed, not listed: the daemons' files are below it (one host: its own; a lab: each host's directory).
    "$state/agent") chmod 711 "$entry" ;;
    *) chmod go-rwx "$entry" ;;
    esac
  done
  install -d -o "$user" -g "$user" -m 700 "$web"
  for name in data admin-password demo-password cli-token; do
    if [[ -e $state/$name && ! -e $web/$name ]]; then
      mv "$state/$name" "$web/$name"
      chown -R "$user:$user" "$web/$name"
    fi
  done
  # Whatever stands at that name goes first: the web server's user owns the directory, and root must not write
  # through a link it may have left there.
  rm -f "$web/agent-token"
  install -o "$user" -g "$user" -m 600 "$token" "$web/agent-token"
  ;;
run)
  exec setpriv --reuid="$user" --regid="$user" --clear-groups --no-new-privs -- env HOME="$web" "$@"
  ;;
*)
  usage
  ;;
esac
