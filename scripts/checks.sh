#!/usr/bin/env bash
# The static checks of `npm test`: eslint with prettier, and tsc, side by side. They share nothing and each
# mostly uses one core, so on a 2-core machine running them together saves most of the shorter one's time.
# Both always finish, so a run reports every kind of failure at once; the exit status fails if either did.
set -uo pipefail
cd "$(dirname "$0")/.."

npm run --silent typecheck &
typecheck=$!
npm run --silent lint
lint=$?
wait "$typecheck"
types=$?

[ "$lint" -eq 0 ] || echo "checks: lint failed" >&2
[ "$types" -eq 0 ] || echo "checks: typecheck failed" >&2
[ "$lint" -eq 0 ] && [ "$types" -eq 0 ]
