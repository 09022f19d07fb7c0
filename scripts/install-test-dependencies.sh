#!/usr/bin/env bash
# Installs what the tests need beyond the Rust toolchain, from Debian's packages:
#   R with the `survey` and `laeken` packages (independent reference values and the real
#   laeken `eusilc` extract read by crates/data/tests/readers.rs).
# Idempotent: does nothing when everything is present.
set -euo pipefail
need=()
command -v Rscript >/dev/null 2>&1 || need+=(r-base-core)
if command -v Rscript >/dev/null 2>&1; then
    Rscript -e 'quit(status = !requireNamespace("survey", quietly = TRUE))' >/dev/null 2>&1 || need+=(r-cran-survey)
    Rscript -e 'quit(status = !requireNamespace("laeken", quietly = TRUE))' >/dev/null 2>&1 || need+=(r-cran-laeken)
else
    need+=(r-cran-survey r-cran-laeken)
fi
if [ ${#need[@]} -eq 0 ]; then
    exit 0
fi
echo "installing test dependencies: ${need[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q >/dev/null
$sudo apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
