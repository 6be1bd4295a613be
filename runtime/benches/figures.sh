#!/usr/bin/env bash
# Prints the JavaScript host's figures side by side: native syscall cost from JS, lstat+readFileSync per file,
# readFileSync+sha256 throughput in the kernel against sha256sum on the host, `rumpjs -e 0` start-to-exit
# time and peak RSS. Usage: runtime/benches/figures.sh [MiB=1024]
set -euo pipefail
cd "$(dirname "$0")/../.."
MIB=${1:-1024}
cargo build --release -q -p rumpjs
BIN=target/release/rumpjs
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

echo "== rumpjs -e 0 (20 runs)"
best=999999
for _ in $(seq 20); do
  s=$(date +%s%N); "$BIN" -e 0; e=$(date +%s%N)
  t=$(( (e - s) / 1000 )); (( t < best )) && best=$t
done
/usr/bin/time -f '%M' -o "$TMP/rss" "$BIN" -e 0
printf '%-40s %10.1f ms (best of 20; goal < 20 ms)\n' "start to exit" "$(echo "$best / 1000" | bc -l)"
printf '%-40s %10s KiB\n' "peak RSS" "$(cat "$TMP/rss")"

echo "== inside rumpjs"
/usr/bin/time -f '%M' -o "$TMP/rss2" "$BIN" --allow-host "$TMP" run runtime/benches/figures.js "$TMP" "$MIB" > "$TMP/out"
get() { awk -v k="$1" '$1 == k { print $2 }' "$TMP/out"; }
printf '%-40s %10s ms  (%s us/call; empty loop %s ms)\n' "1,000,000 rump.sys.fstat" "$(get fstat_1m_ms)" "$(get fstat_us_per_call)" "$(get empty_loop_1m_ms)"
printf '%-40s %10s us/file (budget 20)\n' "lstat + readFileSync, 10k files of 6 KB" "$(get lstat_readfile_us_per_file)"
printf '%-40s %10s ms for %s MiB\n' "readFileSync" "$(get readfile_ms)" "$(get big_file_mib)"
printf '%-40s %10s ms\n' "sha256 in rumpjs" "$(get sha256_ms)"
printf '%-40s %10s MiB/s\n' "readFileSync + sha256" "$(get readfile_sha256_mib_s)"
printf '%-40s %10s MiB/s  (1 MiB readSync + update)\n' "streamed sha256" "$(get streamed_sha256_mib_s)"
printf '%-40s %10s KiB\n' "peak RSS of that run" "$(cat "$TMP/rss2")"

echo "== host"
s=$(date +%s%N); host=$(sha256sum "$TMP/big" | cut -d' ' -f1); e=$(date +%s%N)
hms=$(( (e - s) / 1000000 ))
printf '%-40s %10s ms  (%s MiB/s, file in the page cache)\n' "sha256sum on the host" "$hms" "$(( MIB * 1000 / (hms > 0 ? hms : 1) ))"
s=$(date +%s%N); cat "$TMP/big" > /dev/null; e=$(date +%s%N)
printf '%-40s %10s ms  (reading the file alone)\n' "cat > /dev/null on the host" "$(( (e - s) / 1000000 ))"
if [ "$host" = "$(get sha256)" ]; then echo "digests agree: $host"; else echo "DIGESTS DIFFER: host $host, rumpjs $(get sha256)"; exit 1; fi

echo "== the same file read from an FFS image (rumpjs makefs, UFS2, mounted read-only at /ffs)"
mkdir "$TMP/tree" && mv "$TMP/big" "$TMP/tree/big"
"$BIN" makefs -o version=2 "$TMP/ffs.img" "$TMP/tree" > /dev/null
sync; cat "$TMP/ffs.img" > /dev/null   # in the page cache, as the host's copy was for sha256sum
"$BIN" --image "$TMP/ffs.img" -e "
  let t0 = process.hrtime.bigint(); const d = fs.readFileSync('/ffs/big'); const r = Number(process.hrtime.bigint() - t0) / 1e6;
  t0 = process.hrtime.bigint(); const h = crypto.createHash('sha256').update(d).digest('hex'); const s = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log('ffs_readfile_ms', r.toFixed(0)); console.log('ffs_sha256_ms', s.toFixed(0));
  console.log('ffs_mib_s', (d.length / 1048576 / ((r + s) / 1000)).toFixed(0)); console.log('ffs_sha256', h);
  t0 = process.hrtime.bigint(); const hs = crypto.createHash('sha256'); const b = new Uint8Array(1 << 20); const fd = fs.openSync('/ffs/big');
  for (let n; (n = fs.readSync(fd, b, 0, b.length, null)) > 0; ) hs.update(n === b.length ? b : b.subarray(0, n));
  const st = Number(process.hrtime.bigint() - t0) / 1e6; if (hs.digest('hex') !== h) throw new Error('streamed digest differs');
  console.log('ffs_streamed_mib_s', (d.length / 1048576 / (st / 1000)).toFixed(0));" > "$TMP/ffs"
fget() { awk -v k="$1" '$1 == k { print $2 }' "$TMP/ffs"; }
printf '%-40s %10s ms\n' "readFileSync from /ffs" "$(fget ffs_readfile_ms)"
printf '%-40s %10s MiB/s  (sha256 %s ms)\n' "readFileSync + sha256 from /ffs" "$(fget ffs_mib_s)" "$(fget ffs_sha256_ms)"
printf '%-40s %10s MiB/s  (1 MiB readSync + update)\n' "streamed sha256 from /ffs" "$(fget ffs_streamed_mib_s)"
[ "$(fget ffs_sha256)" = "$host" ] || { echo "FFS DIGEST DIFFERS: $(fget ffs_sha256)"; exit 1; }
echo "digest from the image agrees"
