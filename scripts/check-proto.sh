#!/usr/bin/env bash
# Fails when the protos break buf's STANDARD lint rules or when gen/ is not what `buf generate` makes.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"

buf lint

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp -r proto buf.yaml buf.gen.yaml "$scratch"/
(cd "$scratch" && buf generate)
if ! diff -r "$scratch/gen" gen >/dev/null; then
  echo "gen/ is out of date with proto/: run 'npm run generate' and commit the result." >&2
  diff -rq "$scratch/gen" gen >&2 || true
  exit 1
fi
echo "proto: lint ok, gen/ up to date"
