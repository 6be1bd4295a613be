#!/usr/bin/env python3
"""The per-file bench corpus, made from fixed seeds (the same bytes on every machine).

Usage: corpus.py DIR [LARGE_MIB]

DIR/small: 50,100 files in a tree whose file paths have 8.4 components on average (counted from the image's
root, the file's name included), sizes spread around 6 KB (a few empty, a few up to 64 KiB), made the way a
source tree or a mail spool is: many small files in nested directories.
DIR/large: 20 files of LARGE_MIB / 20 MiB each (default 1600 MiB in all).
"""
import os
import random
import sys

SMALL_FILES = 50_100
LARGE_FILES = 20


def small(root):
    rng = random.Random(20261207)
    # Directories at depths 3 to 10 (so files sit at 4 to 11 components), three children per level.
    depths = [3, 4, 5, 6, 7, 8, 9, 10]
    weights = [1, 3, 8, 16, 22, 22, 16, 12]
    made = set()
    total_components = 0
    for i in range(SMALL_FILES):
        depth = rng.choices(depths, weights)[0]
        parts = [f"d{rng.randrange(3)}{chr(97 + level)}" for level in range(depth)]
        d = os.path.join(root, *parts)
        if d not in made:
            os.makedirs(d, exist_ok=True)
            made.add(d)
        size = 0 if i % 97 == 0 else min(int(rng.lognormvariate(8.3, 0.9)), 65536)
        with open(os.path.join(d, f"f{i:05d}.dat"), "wb") as f:
            f.write(rng.randbytes(size))
        total_components += depth + 1
    return total_components / SMALL_FILES


def large(root, mib):
    rng = random.Random(7)
    os.makedirs(root, exist_ok=True)
    each = (mib << 20) // LARGE_FILES
    block = rng.randbytes(1 << 20)
    for i in range(LARGE_FILES):
        with open(os.path.join(root, f"big{i:02d}.bin"), "wb") as f:
            left = each
            n = 0
            while left > 0:
                # Each MiB differs (its index in front), so no two blocks are alike and nothing is a hole.
                chunk = n.to_bytes(8, "little") + i.to_bytes(8, "little") + block[16:]
                f.write(chunk[: min(left, len(chunk))])
                left -= len(chunk)
                n += 1


def main():
    out = sys.argv[1]
    mib = int(sys.argv[2]) if len(sys.argv) > 2 else 1600
    avg = small(os.path.join(out, "small"))
    large(os.path.join(out, "large"), mib)
    print(f"corpus: {SMALL_FILES} small files, {avg:.1f} path components on average; {LARGE_FILES} large files, {mib} MiB")


if __name__ == "__main__":
    main()
