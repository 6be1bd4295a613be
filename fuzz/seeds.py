#!/usr/bin/env python3
"""Builds the seed corpora of the fuzz targets from the FFS fixtures (tests/fixtures/ffs/*.img.gz).

    fuzz/seeds.py [OUT]        # OUT defaults to fuzz/corpus; one directory per target

Images are handed to the targets in the sparse form `fuzz/src/harness.rs` decodes (see `sparse_image`
there): a u32 image size in sectors, then records (u32 first sector, u16 sector count, the sectors).
To keep seeds small, and the fuzzer's mutations on metadata, the seeds leave out what the tests put in
files (sectors that start with the fixture script's "%08x:%08x:" pattern), unallocated inodes (makefs
fills their di_gen) and every all-zero sector. Also made here: two journaled (WAPBL) images, since
makefs writes no journal, and directory blocks for `dir_block`.
"""
import glob, gzip, os, re, struct, sys

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "..", "tests", "fixtures", "ffs")
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus")
CONTENT = re.compile(rb"^[0-9a-f]{8}:[0-9a-f]{8}:[.\n\0]")

# dir_block's templates, in the order of harness.rs's DIR_TEMPLATES.
DIR_TEMPLATES = ["ufs1-42-le", "ufs1-42-be", "ufs2-le-8192-1024", "ufs2-be-8192-1024", "ufs1-be-4096-512"]


def load(name):
    with gzip.open(os.path.join(FIX, name + ".img.gz")) as f:
        return bytearray(f.read())


class Fs:
    """The few superblock fields the seed builder needs."""

    def __init__(self, img, sboff):
        le = struct.unpack_from("<I", img, sboff + 1372)[0]
        be = struct.unpack_from(">I", img, sboff + 1372)[0]
        if le in (0x011954, 0x19540119):
            self.o, magic = "<", le
        elif be in (0x011954, 0x19540119):
            self.o, magic = ">", be
        else:
            raise ValueError("no superblock")
        self.ufs = 1 if magic == 0x011954 else 2
        u32 = lambda off: struct.unpack_from(self.o + "I", img, sboff + off)[0]
        i32 = lambda off: struct.unpack_from(self.o + "i", img, sboff + off)[0]
        u64 = lambda off: struct.unpack_from(self.o + "Q", img, sboff + off)[0]
        updated = img[sboff + 211] & 0x80
        new = self.ufs == 2 or updated
        self.sblockloc = u64(1000) if new else 8192
        self.start = sboff - self.sblockloc
        self.iblkno, self.ncg, self.bsize, self.fsize = u32(16), u32(44), u32(48), u32(52)
        self.cgoffset, self.cgmask = i32(24), i32(28)
        self.ipg, self.fpg = u32(184), u32(188)
        self.size = u64(1080) if new else u32(36)
        self.isz = 128 if self.ufs == 1 else 256
        self.sboff = sboff

    def cgstart(self, c):
        base = c * self.fpg
        if self.ufs == 1:
            base += self.cgoffset * (c & ~self.cgmask)
        return base

    def inode_off(self, ino):
        c, i = divmod(ino, self.ipg)
        return self.start + (self.cgstart(c) + self.iblkno) * self.fsize + i * self.isz

    def inodes(self, img):
        for ino in range(self.ncg * self.ipg):
            off = self.inode_off(ino)
            if off + self.isz <= len(img):
                yield ino, off

    def mode(self, img, off):
        return struct.unpack_from(self.o + "H", img, off)[0]

    def db(self, img, off, i):
        if self.ufs == 1:
            return struct.unpack_from(self.o + "I", img, off + 40 + 4 * i)[0]
        return struct.unpack_from(self.o + "Q", img, off + 112 + 8 * i)[0]

    def db0(self, img, off):
        return self.db(img, off, 0)

    def isize(self, img, off):
        return struct.unpack_from(self.o + "Q", img, off + (8 if self.ufs == 1 else 16))[0]


def filesystems(img):
    """Every FFS in the image (whole or in partitions): the first superblock found in each."""
    out, s = [], 0
    while s + 8192 <= len(img):
        try:
            fs = Fs(img, s)
            if fs.start >= 0 and fs.bsize in (4096, 8192, 16384, 32768, 65536):
                out.append(fs)
                s = max(s + 512, fs.start + fs.size * fs.fsize)
                s = (s + 511) // 512 * 512
                continue
        except (ValueError, struct.error):
            pass
        s += 512
    return out


def slim(img):
    """The image without unallocated inodes (their di_gen) and without the data in regular files' direct
    blocks — the copy the seeds are made from (what files hold is no input to the parsers)."""
    img = bytearray(img)
    for fs in filesystems(img):
        for _, off in fs.inodes(img):
            mode = fs.mode(img, off)
            if mode == 0:
                img[off:off + fs.isz] = bytes(fs.isz)
            elif mode & 0o170000 == 0o100000:
                size = fs.isize(img, off)
                for i in range(12):
                    if i * fs.bsize >= size:
                        break
                    a = fs.db(img, off, i)
                    n = min(fs.bsize, size - i * fs.bsize)
                    at = fs.start + a * fs.fsize
                    if a and at + n <= len(img):
                        img[at:at + n] = bytes(n)
    return img


def sparse(img):
    """The sparse encoding harness.rs's sparse_image reads back."""
    n = len(img) // 512
    keep = []
    for i in range(n):
        s = bytes(img[i * 512:(i + 1) * 512])
        if any(s) and not CONTENT.match(s):
            keep.append(i)
    out = bytearray(struct.pack("<I", n))
    i = 0
    while i < len(keep):
        j = i
        while j + 1 < len(keep) and keep[j + 1] == keep[j] + 1 and j - i < 0xfffe:
            j += 1
        first, count = keep[i], j - i + 1
        out += struct.pack("<IH", first, count)
        out += img[first * 512:(first + count) * 512]
        i = j + 1
    return bytes(out)


def journaled(img, blksize, start):
    """The image with a WAPBL journal at its end, as ffs_wapbl.rs's tests build one: records holding the
    superblock's and the root directory's sectors (unchanged, so a replay reads the same tree)."""
    img = bytearray(img)
    fs = filesystems(img)[0]
    o = fs.o
    log_bytes = 64 * 1024
    log_at = len(img)
    img += bytes(log_bytes)
    sb = fs.sboff
    flags = struct.unpack_from(o + "I", img, sb + 1312)[0]
    struct.pack_into(o + "I", img, sb + 1312, flags | 0x100)
    img[sb + 864] = 1
    img[sb + 865] = 1
    for i, v in enumerate([log_at // blksize, log_bytes // blksize, blksize, 0]):
        struct.pack_into(o + "Q", img, sb + 872 + 8 * i, v)
    root = fs.inode_off(2)
    rootdir = fs.start + fs.db0(img, root) * fs.fsize
    blocks = [(s, bytes(img[s:s + 512])) for s in (sb // 512 * 512, root // 512 * 512, rootdir)]
    be = o == ">"
    b32 = lambda v: struct.pack(">I" if be else "<I", v)
    b64 = lambda v: struct.pack(">Q" if be else "<Q", v)
    log = bytearray(log_bytes)
    circ_off = 2 * blksize
    circ_size = log_bytes - circ_off
    pos = circ_off + start % circ_size
    tail = pos

    def put(data):
        nonlocal pos
        for b in data:
            log[pos] = b
            pos += 1
            if pos == log_bytes:
                pos = circ_off

    for daddr, data in blocks:
        rec = bytearray(blksize)
        rec[0:4] = b32(0x5741424C + 3)
        ln = blksize + (len(data) + blksize - 1) // blksize * blksize
        rec[4:8] = b32(ln)
        rec[8:12] = b32(1)
        rec[16:24] = b64(daddr // 512)
        rec[28:32] = b32(len(data))
        put(rec)
        put(data + bytes(ln - blksize - len(data)))
    rec = bytearray(blksize)
    rec[0:4] = b32(0x5741424C + 2)
    rec[4:8] = b32(blksize)
    rec[8:12] = b32(1)
    rec[16:24] = b64(rootdir // 512 + 1)
    rec[28:32] = b32(512)
    put(rec)
    shift = blksize.bit_length() - 1
    for copy, gen in ((0, 1), (1, 2)):
        h = copy * blksize
        log[h:h + 4] = b32(0x5741424C)
        log[h + 4:h + 8] = b32(blksize)
        log[h + 12:h + 16] = b32(gen)
        log[h + 36:h + 40] = b32(1)
        log[h + 40:h + 44] = b32(shift)
        log[h + 44:h + 48] = b32(9)
        log[h + 48:h + 56] = b64(pos)
        log[h + 56:h + 64] = b64(tail)
        log[h + 64:h + 72] = b64(circ_off)
        log[h + 72:h + 80] = b64(circ_size)
    img[log_at:] = log
    return img


def write(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    names = sorted(os.path.basename(p)[:-len(".img.gz")] for p in glob.glob(os.path.join(FIX, "*.img.gz")))
    for name in names:
        img = slim(load(name))
        seed = sparse(img)
        write("ffs_mount_walk", name, seed)
        write("ffs_rw_fsck", name, seed)
        if name.startswith("disk-") or name == "t_ro":
            write("partitions", name, seed)
        if name in ("ufs2-le-8192-1024", "ufs2-be-16384-2048"):
            write("ffs_mount_walk", name + "-wapbl512", sparse(journaled(img, 512, 0)))
            write("ffs_mount_walk", name + "-wapbl4096-wrap", sparse(journaled(img, 4096, 48 * 1024)))
    for t, name in enumerate(DIR_TEMPLATES):
        img = load(name)
        fs = filesystems(img)[0]
        n = 0
        for ino, off in fs.inodes(img):
            if fs.mode(img, off) & 0o170000 != 0o040000:
                continue
            at = fs.start + fs.db0(img, off) * fs.fsize
            ln = min(fs.isize(img, off), fs.bsize)
            write("dir_block", "%s-ino%d" % (name, ino), bytes([t]) + bytes(img[at:at + ln]))
            n += 1
            if n >= 12:
                break
    for target in sorted(os.listdir(OUT)):
        files = os.listdir(os.path.join(OUT, target))
        size = sum(os.path.getsize(os.path.join(OUT, target, f)) for f in files)
        print("%-16s %3d seeds, %d bytes" % (target, len(files), size))


main()
