#!/usr/bin/env bash
# Installs what the tests need beyond the Rust toolchain:
#   - from Debian's packages: R with the `survey` and `laeken` packages (independent reference
#     values and the real laeken `eusilc` extract read by crates/data/tests/readers.rs);
#     Chromium and ChromeDriver (the portal's browser tests, crates/cli/tests/browser.rs);
#     the ReadStat library, libreadstat1 (SAS, Stata and SPSS input, crates/data/tests/
#     statistical_files.rs; loaded at run time, not needed to build); PostgreSQL (the
#     exchange's store and security tests run on SQLite and on a real PostgreSQL server,
#     which scripts/postgres-for-tests.sh starts);
#   - from the npm registry: axe-core (the accessibility check injected into the pages), into
#     tests/browser/node_modules at the version tests/browser/package-lock.json pins.
# Idempotent: does nothing when everything is present.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v Rscript >/dev/null 2>&1 || need+=(r-base-core)
if command -v Rscript >/dev/null 2>&1; then
    Rscript -e 'quit(status = !requireNamespace("survey", quietly = TRUE))' >/dev/null 2>&1 || need+=(r-cran-survey)
    Rscript -e 'quit(status = !requireNamespace("laeken", quietly = TRUE))' >/dev/null 2>&1 || need+=(r-cran-laeken)
else
    need+=(r-cran-survey r-cran-laeken)
fi
ldconfig -p 2>/dev/null | grep -q 'libreadstat\.so\.1 ' || need+=(libreadstat1)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
command -v npm >/dev/null 2>&1 || need+=(npm)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
    echo "installing test dependencies: ${need[*]}" >&2
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        sudo="sudo"
    fi
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -q >/dev/null
    $sudo apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi
if [ ! -f tests/browser/node_modules/axe-core/axe.min.js ]; then
    echo "installing axe-core from the npm registry" >&2
    (cd tests/browser && npm ci --no-audit --no-fund --silent)
fi
