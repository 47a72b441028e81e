#!/usr/bin/env bash
# `npm test`: every test — typecheck, lint, deps, unit, integration (real OVS, namespaces, iptables: root), e2e.
# Safe beside a running `npm run up`: tests take their own ports, data, OVS sandbox, prefixes and build dir.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-packages.sh

export NETLENS_DIST_DIR=.next-test
failed=()
step() {
  local name=$1
  shift
  echo
  echo "=== $name: $*"
  local start=$SECONDS
  if "$@"; then echo "=== $name: ok ($((SECONDS - start)) s)"; else
    echo "=== $name: FAILED ($((SECONDS - start)) s)"
    failed+=("$name")
  fi
}

step typecheck npx tsc --noEmit -p tsconfig.json
step lint npx biome check .
step deps node scripts/deps.mjs .
# The unit suite twice: on the embedded PGlite, and on PostgreSQL (each test API a copy of one migrated template).
step unit npx vitest run --project unit
if compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || [[ -n "${TEST_DATABASE_URL:-}" ]]; then
  step unit-postgres bash scripts/with-postgres.sh npx vitest run --project unit-postgres
else
  echo "=== unit-postgres: skipped, no PostgreSQL installed (NETLENS_WITH_POSTGRES=1 scripts/system-packages.sh)"
fi
if [[ $(id -u) == 0 ]]; then
  # On PostgreSQL (a database per stack) where it is installed, as the unit suite; `npm run up` stays on PGlite.
  step integration bash scripts/with-postgres.sh npx vitest run --project integration
else
  echo "=== integration: needs root (real OVS, namespaces, iptables)"
  failed+=(integration-needs-root)
fi
if [[ -d e2e ]] && compgen -G "e2e/*.spec.ts" >/dev/null; then
  step build npx next build
  step e2e npx playwright test
fi

echo
if ((${#failed[@]})); then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
echo "all test steps passed"
