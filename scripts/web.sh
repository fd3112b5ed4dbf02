#!/usr/bin/env bash
# Builds the web app into web/dist: installs the npm packages from the lockfile when
# node_modules is missing or older than the lockfile, then bundles.
set -euo pipefail
cd "$(dirname "$0")/../web"

if ! command -v npm >/dev/null; then
  echo "crowdloop: npm is missing; run scripts/deps.sh (it installs nodejs and npm)" >&2
  exit 1
fi

stamp=node_modules/.package-lock.json
if [ ! -d node_modules ] || [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  echo "crowdloop: installing web packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

npm run --silent build

# The MLflow client test's own packages (tests/mlflow), from their lockfile.
cd ../tests/mlflow
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "crowdloop: installing the MLflow client test's packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi
