#!/usr/bin/env bash
# The test command (README, and CI through .ci/run): installs the test dependencies, starts a
# private PostgreSQL server for the exchange tests (stopped at the end), then runs every test
# of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-test-dependencies.sh
INCITY_TEST_POSTGRES_URL=$(scripts/postgres-for-tests.sh start)
export INCITY_TEST_POSTGRES_URL
trap 'scripts/postgres-for-tests.sh stop' EXIT
cargo test --workspace "$@"
