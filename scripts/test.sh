#!/usr/bin/env bash
# The test command (README, and CI through .ci/run): installs the test dependencies, then runs
# every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-test-dependencies.sh
cargo test --workspace "$@"
