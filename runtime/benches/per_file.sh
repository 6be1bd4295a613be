#!/usr/bin/env bash
# Per-file costs and whole jobs on the bench corpus, rumpjs side by side with the tools people would use
# instead: The Sleuth Kit (fls -r -p, tsk_recover -e), Python's os.lstat on the host's copy of the tree,
# cat, and NetBSD's makefs (Debian's package). One run, page cache warm.
# Usage: runtime/benches/per_file.sh [LARGE_MIB=1600] [WORKDIR]   (needs makefs, sleuthkit, python3)
set -euo pipefail
cd "$(dirname "$0")/../.."
LARGE_MIB=${1:-1600}
W=${2:-$(mktemp -d)}
[ -n "${2:-}" ] || trap 'rm -rf "$W"' EXIT
for t in makefs fls tsk_recover python3; do
  command -v "$t" > /dev/null || { echo "per_file.sh: $t is missing (apt-get install makefs sleuthkit)"; exit 1; }
done
cargo build --release -q -p rumpjs
BIN=$PWD/target/release/rumpjs
secs() { local s e; s=$(date +%s%N); "$@" > /dev/null; e=$(date +%s%N); echo "scale=3; ($e - $s) / 1000000000" | bc; }
best3() { local b=999999 t; for _ in 1 2 3; do t=$(secs "$@"); b=$(echo "if ($t < $b) $t else $b" | bc); done; echo "$b"; }

if [ ! -d "$W/corpus/small" ]; then
  echo "== making the corpus in $W (fixed seeds)"
  python3 runtime/benches/corpus.py "$W/corpus" "$LARGE_MIB"
fi
rm -f "$W"/*.img
# The images, made by NetBSD's makefs (a tool we did not write): UFS1 for the many small files, as the
# issue's figures were taken on, UFS2 for the large ones.
makefs -t ffs -o version=1 "$W/small.img" "$W/corpus/small" > /dev/null
makefs -t ffs -o version=2 "$W/large.img" "$W/corpus/large" > /dev/null
cat "$W/small.img" "$W/large.img" > /dev/null
find "$W/corpus/small" -type f > "$W/paths"
cat "$W/paths" | xargs cat > /dev/null

echo "== inside rumpjs (release build)"
"$BIN" --image "$W/small.img:/ffs" --image "$W/large.img:/big" run runtime/benches/per_file.js > "$W/js"
get() { awk -v k="$1" '$1 == k { print $2 }' "$W/js"; }
N=$(get files)
printf '%-44s %9s\n' "files in the many-small image" "$N"
for k in lstat stat access open_close readfile buffer_alloc_6000 uint8array_6000 getpid access_ffs; do
  printf '%-44s %9s us\n' "$k per call" "$(get "${k}_us")"
done

echo "== whole jobs, side by side (seconds; ratio = peer / rumpjs)"
ratio() { echo "scale=2; $2 / $1" | bc; }
walk=$(echo "scale=3; $(get walk_ms) / 1000" | bc)
walk_names=$(echo "scale=3; $(get walk_names_ms) / 1000" | bc)
fls=$(best3 fls -r -p "$W/small.img")
printf '%-44s %8s s  fls -r -p %8s s  ratio %s (goal >= 2)\n' "walk (readdirSync withFileTypes)" "$walk" "$fls" "$(ratio "$walk" "$fls")"
printf '%-44s %8s s\n' "walk (readdirSync, names only)" "$walk_names"
printf '%-44s %8s s  (the first, reading the directories into the caches)\n' "walk (withFileTypes), first pass" \
  "$(echo "scale=3; $(get walk_cold_ms) / 1000" | bc)"
readall=$(echo "scale=3; $(get read_all_ms) / 1000" | bc)
rm -rf "$W/tsk"
s=$(date +%s%N); tsk_recover -e "$W/small.img" "$W/tsk" > /dev/null; e=$(date +%s%N)
tsk=$(echo "scale=3; ($e - $s) / 1000000000" | bc)
rm -rf "$W/tsk"
printf '%-44s %8s s  tsk_recover -e %8s s  ratio %s (goal >= 3)\n' "read all (walk + readFileSync)" "$readall" "$tsk" "$(ratio "$readall" "$tsk")"
lstat_all=$(echo "scale=3; $(get lstat_all_ms) / 1000" | bc)
py=$(python3 -c "
import os, time, sys
paths = open(sys.argv[1]).read().split()
best = 1e9
for _ in range(3):
    t = time.perf_counter()
    for p in paths: os.lstat(p)
    best = min(best, time.perf_counter() - t)
print(f'{best:.3f}')" "$W/paths")
printf '%-44s %8s s  Python os.lstat %7s s  ratio %s (goal >= 2)\n' "lstatSync of every file" "$lstat_all" "$py" "$(ratio "$lstat_all" "$py")"

echo "== the large files (readFileSync of each against cat of its bytes on the host)"
ratios=()
for f in "$W"/corpus/large/*; do
  name=$(basename "$f")
  r=$(awk -v k="$name" '$1 == "large_readfile_ms" && $2 == k { print $3 }' "$W/js")
  c=$(echo "scale=1; $(best3 cat "$f") * 1000" | bc)
  ratios+=("$(echo "scale=2; $r / $c" | bc)")
done
mapfile -t sorted < <(printf '%s\n' "${ratios[@]}" | sort -n)
# The worst is a buffer of memory the process takes fresh from the host (page faults, and on a VM that
# gives freed memory back to its host, the host's faults too); the median, memory the process reuses.
printf '%-44s %8s median, %s worst (goal <= 2)\n' "readFileSync / cat over the files" "${sorted[${#sorted[@]} / 2]}" \
  "${sorted[${#sorted[@]} - 1]}"
printf '%-44s %8s ms for %s MiB; cat of the image %s s\n' "1 MiB readSync of all of them" "$(get large_readsync_all_ms)" \
  "$(get large_all_mib)" "$(best3 cat "$W/large.img")"

# rumpjs makefs works on more than one core (the scan, the read-ahead, the image writes beside the kernel):
# its wall time is below its CPU time only when the machine has a core to spare, so both are shown, and
# the load average. Five runs each, the two tools alternately; the best wall time of each, and the CPU
# time (user + sys) of that run. The images go to /dev/shm when there is one (as makefs_bench.rs puts them):
# then neither tool waits for the host's disk writeback of the images written before.
O=$W
[ -d /dev/shm ] && O=$(mktemp -d /dev/shm/per_file.XXXXXX)
echo "== makefs of the many-small tree (UFS1, seconds; best of 5, run alternately; load average $(cut -d' ' -f1-3 /proc/loadavg))"
timed() { /usr/bin/time -f '%e %U %S' "$@" 2>&1 > /dev/null | tail -1; }
best_ours=999 best_theirs=999
for _ in 1 2 3 4 5; do
  read -r e u s < <(timed "$BIN" makefs -o version=1 "$O/ours.img" "$W/corpus/small")
  if [ "$(echo "$e < $best_ours" | bc)" = 1 ]; then best_ours=$e; cpu_ours=$(echo "$u + $s" | bc); fi
  read -r e u s < <(timed makefs -t ffs -o version=1 "$O/theirs.img" "$W/corpus/small")
  if [ "$(echo "$e < $best_theirs" | bc)" = 1 ]; then best_theirs=$e; cpu_theirs=$(echo "$u + $s" | bc); fi
done
printf '%-44s %8s s (CPU %s s)  NetBSD makefs %8s s (CPU %s s)  ratio %s (goal >= 1.5)\n' "rumpjs makefs" \
  "$best_ours" "$cpu_ours" "$best_theirs" "$cpu_theirs" "$(ratio "$best_ours" "$best_theirs")"
rm -f "$O/ours.img" "$O/theirs.img"
[ "$O" = "$W" ] || rmdir "$O"
