#!/usr/bin/env bash
# The browser kernel's figures side by side in one run (wasm/benches/web.mjs says what each is): .wasm size,
# boot to first prompt in headless Chromium, and reading every file of the bench's many-small image in
# Chromium and in Node against the native CLI. Builds the package (scripts/build-web.sh) and the release CLI.
# Usage: wasm/benches/web.sh [IMAGE] [PAGE_LOADS=10]
# IMAGE defaults to the bench corpus's many-small tree (runtime/benches/corpus.py, fixed seeds) made into a
# UFS1 image by NetBSD's makefs, as runtime/benches/per_file.sh makes it. Needs node, chromium,
# chromedriver, makefs and what build-web.sh needs.
set -euo pipefail
cd "$(dirname "$0")/../.."
IMAGE=${1:-}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
if [ -z "$IMAGE" ]; then
  echo "== making the bench image (50,100 files, fixed seeds) in $W"
  python3 runtime/benches/corpus.py "$W/corpus" 0 > /dev/null
  makefs -t ffs -o version=1 "$W/small.img" "$W/corpus/small" > /dev/null
  IMAGE=$W/small.img
fi
scripts/build-web.sh "$W/web" > /dev/null
cargo build --release -q -p rumpjs
cat "$IMAGE" > /dev/null # in the host's page cache for all three
chromedriver=$(command -v chromedriver || echo /usr/lib/chromium/chromedriver)
node wasm/benches/web.mjs "$W/web" "$IMAGE" "$PWD/target/release/rumpjs" "$(command -v chromium)" "$chromedriver" "${2:-10}"
