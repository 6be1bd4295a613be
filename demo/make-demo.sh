#!/bin/sh
# Rebuilds demo.img.gz, the FFS image the REPL mounts at /ffs when no --image is given. It is made by
# NetBSD's makefs (Debian package `makefs`), not by rumpjs, so the demo reads a real image.
set -eu
cd "$(dirname "$0")"
rm -f demo.img demo.img.gz
# Every timestamp set to 2012-06-01 (the -T of Debian's makefs only covers nodes the spec adds); UFS1 (as The Sleuth Kit reads it too), 8 KiB blocks.
find tree -exec touch -h -d @1338508800 {} +
makefs -t ffs -o version=1,bsize=8192,fsize=1024 -s 2m -T 1338508800 -F spec demo.img tree
gzip -9 -n demo.img
ls -l demo.img.gz
