#!/usr/bin/env bash
# The write figure: a 1 GiB file written from JavaScript (fs.writeSync, 1 MiB at a time, then fsyncSync)
# into a read-write FFS image on a host file, side by side with dd writing 1 GiB to a host file in the
# same directory (dd before and after us, so neither side alone gets the cooler page cache).
# The written file is checked afterwards: its size and sha256 read back by `rumpjs cat`, and fsck -n clean.
# Usage: runtime/benches/ffs_write.sh [DIR=$TMPDIR or /tmp]
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release -q -p rumpjs
BIN=$PWD/target/release/rumpjs
TMP=$(mktemp -d "${1:-${TMPDIR:-/tmp}}/ffs-write.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
IMG=$TMP/gib.img

secs() { echo "scale=2; ($2 - $1) / 1000000000" | bc; }
rate() { echo "scale=0; 1024 / $1" | bc; }

run_dd() {
  sync
  local s e
  s=$(date +%s%N)
  dd if=/dev/zero of="$TMP/dd.out" bs=1M count=1024 conv=fsync status=none
  e=$(date +%s%N)
  rm -f "$TMP/dd.out"
  secs "$s" "$e"
}

"$BIN" newfs -O 2 -s 1300m "$IMG" > /dev/null
dd1=$(run_dd)

# The script reports its own write+fsync time; the process time around it adds boot, mount and unmount.
cat > "$TMP/write.js" <<'EOF'
const chunk = crypto.randomBytes(1 << 20);
const t0 = process.hrtime.bigint();
const fd = fs.openSync('/ffs/big', 'w');
for (let i = 0; i < 1024; i++) fs.writeSync(fd, chunk);
fs.fsyncSync(fd);
fs.closeSync(fd);
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
const h = crypto.createHash('sha256');
for (let i = 0; i < 1024; i++) h.update(chunk);
console.log(`write_ms ${ms.toFixed(0)}`);
console.log(`sha256 ${h.digest('hex')}`);
EOF
sync
s=$(date +%s%N)
"$BIN" --rw --image "$IMG" run "$TMP/write.js" > "$TMP/out"
e=$(date +%s%N)
whole=$(secs "$s" "$e")
dd2=$(run_dd)

ms=$(awk '$1 == "write_ms" { print $2 }' "$TMP/out")
want=$(awk '$1 == "sha256" { print $2 }' "$TMP/out")
js=$(echo "scale=2; $ms / 1000" | bc)
printf '%-58s %6s s  %5s MB/s\n' "rumpjs: fs.writeSync 1 MiB x 1024 + fsyncSync (in JS)" "$js" "$(rate "$js")"
printf '%-58s %6s s\n' "rumpjs: whole process (boot, mount, write, unmount)" "$whole"
printf '%-58s %6s s  %5s MB/s\n' "dd bs=1M count=1024 conv=fsync, before" "$dd1" "$(rate "$dd1")"
printf '%-58s %6s s  %5s MB/s\n' "dd bs=1M count=1024 conv=fsync, after" "$dd2" "$(rate "$dd2")"

got=$("$BIN" cat "$IMG" /big | sha256sum | cut -d' ' -f1)
size=$("$BIN" -e "console.log(fs.statSync('/ffs/big').size)" --image "$IMG")
[ "$size" = 1073741824 ] || { echo "WRONG SIZE: $size"; exit 1; }
[ "$got" = "$want" ] || { echo "DIGESTS DIFFER: wrote $want, read back $got"; exit 1; }
"$BIN" fsck -n "$IMG" > "$TMP/fsck" || { cat "$TMP/fsck"; echo "FSCK NOT CLEAN"; exit 1; }
echo "read back: 1073741824 bytes, sha256 $got; fsck -n clean"
