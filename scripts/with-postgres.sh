#!/usr/bin/env bash
# Runs a command with TEST_DATABASE_URL pointing at a throwaway PostgreSQL cluster (Debian's postgresql),
# so that the database tests run against a real server as well as the embedded PGlite.
# Without PostgreSQL installed, or with TEST_DATABASE_URL already set, it just runs the command.
set -euo pipefail
initdb=$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -1 || true)
if [[ -n "${TEST_DATABASE_URL:-}" || -z "$initdb" ]]; then
  [[ -z "$initdb" && -z "${TEST_DATABASE_URL:-}" ]] && echo "with-postgres: no PostgreSQL installed; database tests run on PGlite only"
  exec "$@"
fi
bin=$(dirname "$initdb")
dir=$(mktemp -d /tmp/netlens-pg.XXXXXX)
chown postgres "$dir" 2>/dev/null || true
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as_pg() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() { as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT
as_pg "$bin/initdb" -D "$dir/data" -U postgres --auth=trust >/dev/null
# A throwaway cluster: nothing to keep after a crash, so no fsync (the unit suite creates a database per test API).
as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  -w start >/dev/null
echo "with-postgres: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres" "$@"
