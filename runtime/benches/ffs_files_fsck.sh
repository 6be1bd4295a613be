#!/usr/bin/env bash
# The figures of many files and of fsck, beside a peer on the same machine:
#  - N files created in one directory, then each looked up again (stat), from JavaScript in a read-write
#    FFS image (UFS2, dirhash), beside the host kernel doing the same from Python in tmpfs (/dev/shm) and
#    in the host's /tmp;
#  - fsck of a ~450 MB image of 50,000 files: `rumpjs fsck -n` on the image makefs made, beside
#    `e2fsck -fn` on an ext4 image of the same tree (mke2fs -d): NetBSD's fsck_ffs does not run here.
# Every run is checked: the files are all there, fsck is clean. Usage: runtime/benches/ffs_files_fsck.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release -q -p rumpjs
BIN=$PWD/target/release/rumpjs
TMP=$(mktemp -d /dev/shm/rumpjs-bench.XXXXXX)
HOSTTMP=$(mktemp -d /tmp/rumpjs-bench.XXXXXX)
trap 'rm -rf "$TMP" "$HOSTTMP"' EXIT
ms() { echo "scale=0; ($2 - $1) / 1000000" | bc; }

echo "== N files created in one directory, then each stat'ed (best of 3)"
printf '%-10s %16s %16s %16s\n' "N" "rumpjs FFS (JS)" "host tmpfs (py)" "host /tmp (py)"
for n in 10000 100000; do
  best_js=999999; best_shm=999999; best_tmp=999999
  for _ in 1 2 3; do
    rm -f "$TMP/f.img"
    "$BIN" newfs -O 2 -s 512m -n $((n + 1000)) "$TMP/f.img" > /dev/null
    out=$("$BIN" --rw --image "$TMP/f.img" -e "
      fs.mkdirSync('/ffs/d');
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < $n; i++) fs.closeSync(fs.openSync('/ffs/d/file' + i, 'w'));
      let found = 0;
      for (let i = 0; i < $n; i++) if (fs.statSync('/ffs/d/file' + i).isFile()) found++;
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      console.log(Math.round(ms), found);")
    read -r t found <<< "$out"
    [ "$found" = "$n" ] || { echo "only $found of $n files"; exit 1; }
    (( t < best_js )) && best_js=$t
    for dir in "$TMP/host" "$HOSTTMP/host"; do
      rm -rf "$dir"; mkdir "$dir"; sync
      t=$(python3 -c "
import os, time
d = '$dir'; t0 = time.perf_counter_ns()
for i in range($n): os.close(os.open(f'{d}/file{i}', os.O_CREAT | os.O_WRONLY, 0o644))
found = sum(1 for i in range($n) if os.path.isfile(f'{d}/file{i}'))
assert found == $n
print(round((time.perf_counter_ns() - t0) / 1e6))")
      if [ "$dir" = "$TMP/host" ]; then (( t < best_shm )) && best_shm=$t; else (( t < best_tmp )) && best_tmp=$t; fi
      rm -rf "$dir"
    done
  done
  "$BIN" fsck -n "$TMP/f.img" > /dev/null || { echo "fsck not clean after $n files"; exit 1; }
  printf '%-10s %13s ms %13s ms %13s ms\n' "$n" "$best_js" "$best_shm" "$best_tmp"
done
echo "(the FFS image fsck -n clean after each; host /tmp is $(stat -f -c %T /tmp))"

echo
echo "== fsck of a ~450 MB image of 50,000 files (100 directories of 500, 0-18 KB each)"
python3 - "$TMP/tree" <<'EOF'
import os, sys
root = sys.argv[1]; x = 0x2545F4914F6CDD1D; buf = b'x' * 32768
for d in range(100):
    os.makedirs(f'{root}/d{d:03}')
    for i in range(500):
        x ^= (x << 13) & 0xFFFFFFFFFFFFFFFF; x ^= x >> 7; x ^= (x << 17) & 0xFFFFFFFFFFFFFFFF
        with open(f'{root}/d{d:03}/f{i:04}', 'wb') as f: f.write(buf[: x % 18000])
EOF
makefs -t ffs -o version=2,bsize=16384,fsize=2048 -b 5% "$TMP/ffs.img" "$TMP/tree" > /dev/null
# The same tree in ext4 (half as large again: its metadata takes more room).
size=$(stat -c %s "$TMP/ffs.img")
mke2fs -q -t ext4 -N 60000 -d "$TMP/tree" "$TMP/ext4.img" "$((size * 3 / 2 / 1024))k"
rm -rf "$TMP/tree"
cat "$TMP/ffs.img" "$TMP/ext4.img" > /dev/null
best_r=999999; best_e=999999
for _ in 1 2 3 4 5; do
  s=$(date +%s%N); "$BIN" fsck -n "$TMP/ffs.img" > "$TMP/fsck.out"; e=$(date +%s%N)
  t=$(ms "$s" "$e"); (( t < best_r )) && best_r=$t
  s=$(date +%s%N); e2fsck -fn "$TMP/ext4.img" > "$TMP/e2fsck.out" 2>&1; e=$(date +%s%N)
  t=$(ms "$s" "$e"); (( t < best_e )) && best_e=$t
done
printf '%-44s %8s ms   (%s)\n' "rumpjs fsck -n, FFS image ($((size >> 20)) MiB)" "$best_r" "$(tail -1 "$TMP/fsck.out")"
printf '%-44s %8s ms   (%s)\n' "e2fsck -fn, ext4 image of the same tree" "$best_e" "$(tail -1 "$TMP/e2fsck.out")"
s=$(date +%s%N); cat "$TMP/ffs.img" > /dev/null; e=$(date +%s%N)
printf '%-44s %8s ms\n' "cat of the FFS image (page cache)" "$(ms "$s" "$e")"
grep -q "50001 files\|50,001 files\|files," "$TMP/fsck.out"
