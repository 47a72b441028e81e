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
step unit bash scripts/with-postgres.sh npx vitest run --project unit
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
