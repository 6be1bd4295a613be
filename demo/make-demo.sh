#!/bin/sh
# Rebuilds demo.img.gz, the FFS image the REPL mounts at /ffs when no --image is given. It is made by
# NetBSD's makefs (Debian package `makefs`), not by rumpjs, so the demo reads a real image.
set -eu
cd "$(dirname "$0")"
rm -f demo.img demo.img.gz
# Every timestamp set to 2012-06-01 (the -T of Debian's makefs only covers nodes the spec adds); UFS1 (as The Sleuth Kit reads it too), 8 KiB blocks.
# A git checkout loses the hard link between data/primes.txt and data/primes.hardlink (the manifest,
# tests/demo/fixtures/demo.manifest.js, says nlink 2): build from a copy that has it again.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -a tree "$work/tree"
if cmp -s "$work/tree/data/primes.txt" "$work/tree/data/primes.hardlink"; then
  ln -f "$work/tree/data/primes.txt" "$work/tree/data/primes.hardlink"
fi
find "$work/tree" -exec touch -h -d @1338508800 {} +
makefs -t ffs -o version=1,bsize=8192,fsize=1024 -s 2m -T 1338508800 -F spec demo.img "$work/tree"
gzip -9 -n demo.img
ls -l demo.img.gz
