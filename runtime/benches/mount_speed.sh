#!/usr/bin/env bash
# `rumpjs mount` side by side with the host's own tmpfs and with fuse2fs (ext4 served through FUSE by
# Debian's fuse2fs, the FUSE peer), one run each, on the bench's many-small-files tree: copy it in with
# `cp -a`, read the copy back with tar, walk it with find and du. rumpjs serves a fresh 2 GiB UFS2 image
# made by `rumpjs newfs`; fuse2fs a fresh 2 GiB ext4 image; both images sit in WORKDIR.
# "tar after a remount" reads the copy again with every cache of the mount dropped (the host's and the
# server's); "umount" is the time `rumpjs umount` (or fusermount3 -u) takes to write everything out.
# Usage: runtime/benches/mount_speed.sh [TREE] [WORKDIR]   (root; /dev/fuse, fuse3; fuse2fs optional, FUSE2FS=0 skips it;
# RUMPJS_BIN=PATH runs that rumpjs instead of building one, e.g. to set two builds side by side;
# RUMPJS_MOUNT_STATS=FILE makes the rumpjs server write its request counts there, runtime/src/cmd/mount/stats.rs)
# TREE defaults to the bench corpus's small/ (made from fixed seeds in WORKDIR when not given).
set -euo pipefail
cd "$(dirname "$0")/../.."
TREE=${1:-}
W=${2:-$(mktemp -d)}
[ -n "${2:-}" ] || trap 'rm -rf "$W"' EXIT
mkdir -p "$W"
W=$(cd "$W" && pwd)
if [ -z "$TREE" ]; then
  [ -d "$W/corpus/small" ] || python3 runtime/benches/corpus.py "$W/corpus" 0 > /dev/null
  TREE=$W/corpus/small
fi
TREE=$(cd "$TREE" && pwd)
if [ -n "${RUMPJS_BIN:-}" ]; then
  BIN=$(cd "$(dirname "$RUMPJS_BIN")" && pwd)/$(basename "$RUMPJS_BIN")
else
  cargo build --release -q -p rumpjs
  BIN=$PWD/target/release/rumpjs
fi
secs() { local s e; s=$(date +%s%N); "$@" > /dev/null; e=$(date +%s%N); echo "scale=2; ($e - $s) / 1000000000" | bc; }
cat_tree() { cd "$1" && tar cf - . | cat > /dev/null; }
count_files() { find "$1" -type f | wc -l; }
du_s() { du -s "$1" | cut -f1; }
find "$TREE" -type f | xargs cat > /dev/null # the source tree in the host's page cache for everyone

declare -A R
# One column: $1 its name, $2 the command that mounts on $W/mnt, $3 the one that unmounts it.
column() {
  local name=$1 mount=$2 umount=$3 m=$W/mnt
  mkdir -p "$m"
  eval "$mount"
  R[$name,cp]=$(secs cp -a "$TREE" "$m/t")
  R[$name,tar]=$(secs cat_tree "$m/t")
  R[$name,find]=$(secs count_files "$m")
  R[$name,files]=$(count_files "$m")
  R[$name,du]=$(secs du_s "$m")
  R[$name,blocks]=$(du_s "$m")
  if [ "$name" = tmpfs ]; then
    R[$name,umount]=$(secs eval "$umount")
    R[$name,cold]=-
  else
    R[$name,umount]=$(secs eval "$umount")
    eval "$mount"
    R[$name,cold]=$(secs cat_tree "$m/t")
    eval "$umount"
  fi
}

rm -f "$W/ufs2.img" "$W/ext4.img"
truncate -s 2G "$W/ufs2.img"
"$BIN" newfs -O 2 "$W/ufs2.img" > /dev/null
column rumpjs "\"$BIN\" mount --rw \"$W/ufs2.img\" \"$W/mnt\"" "\"$BIN\" umount \"$W/mnt\""
"$BIN" fsck -n "$W/ufs2.img" > "$W/fsck.out" 2>&1 || { echo "fsck -n of the image after the run:"; cat "$W/fsck.out"; }
rm -f "$W/ufs2.img"

cols=(rumpjs)
if [ "${FUSE2FS:-1}" != 0 ] && command -v fuse2fs > /dev/null && command -v mkfs.ext4 > /dev/null; then
  truncate -s 2G "$W/ext4.img"
  mkfs.ext4 -q -F "$W/ext4.img"
  column fuse2fs "fuse2fs \"$W/ext4.img\" \"$W/mnt\" -o rw > /dev/null" "fusermount3 -u \"$W/mnt\"; sleep 1"
  rm -f "$W/ext4.img"
  cols+=(fuse2fs)
fi
column tmpfs "mount -t tmpfs -o size=4g tmpfs \"$W/mnt\"" "umount \"$W/mnt\""
cols+=(tmpfs)

printf '%-40s' "$(find "$TREE" -type f | wc -l) files, $(du -sh "$TREE" | cut -f1)"
for c in "${cols[@]}"; do printf ' %12s' "$c"; done
printf ' %18s\n' "rumpjs / tmpfs"
row() {
  printf '%-40s' "$1"
  local v
  for c in "${cols[@]}"; do
    v=${R[$c,$2]}
    [ "$v" = - ] || v=$v${3:-}
    printf ' %12s' "$v"
  done
  if [ "${R[tmpfs,$2]}" != - ] && [ -n "${3:-}" ]; then
    printf ' %17sx' "$(echo "scale=1; ${R[rumpjs,$2]} / ${R[tmpfs,$2]}" | bc)"
  fi
  echo
}
row "cp -a TREE MNT/t" cp " s"
row "tar cf - . | cat >/dev/null in the copy" tar " s"
row "find MNT -type f | wc -l" find " s"
row "  (files found)" files
row "du -s MNT" du " s"
row "  (KiB used)" blocks
row "umount" umount " s"
row "tar after a remount" cold " s"
