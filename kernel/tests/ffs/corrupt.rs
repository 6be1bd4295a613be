//! Damaged images: superblock, cylinder group, inode, indirect block and directory damage, sizes and
//! block numbers out of range, directory loops, and random byte flips. Each gives an errno (EIO, EINVAL,
//! EFTYPE) and a kernel-log line naming what is wrong — never a panic, a hang or a huge allocation.

use crate::common::fixtures::*;
use kernel::errno::Errno;
use kernel::fs::ffs::dir::{DirFormat, Entries};
use kernel::vfs::*;

/// Byte offset in the image of the directory entry `name` in directory `dir` (first block only).
fn entry_off(img: &Img, dir: &str, name: &[u8]) -> usize {
    let d = img.inode(img.ino(dir));
    let base = img.at(d.db[0]);
    let len = d.size.min(img.sb.bsize as u64) as usize;
    let fmt = DirFormat { order: img.sb.order, dtype: img.sb.maxsymlinklen > 0 };
    let blk = &img.data[base..base + len];
    let e = Entries::new(blk, 0, fmt, img.sb.ninodes()).map(|e| e.unwrap()).find(|e| e.name == name).unwrap();
    base + e.off
}

fn mount_err(img: &Img, opts: &[(&str, &str)]) -> (Errno, Vec<String>) {
    let (_k, p, h) = kernel_with(img.dev());
    let e = p.mount("ffs", b"/ffs", MNT_RDONLY, Some("/dev/ffs0"), &ro(opts)).unwrap_err();
    (e, h.console_lines())
}

fn has(lines: &[String], what: &str) -> bool {
    lines.iter().any(|l| l.contains(what))
}

const SB: usize = 8192;

#[test]
fn superblock_damage() {
    let name = "ufs2-le-8192-1024";
    // No magic anywhere.
    let mut img = Img::fixture(name);
    for loc in [0usize, 8192, 65536, 262144] {
        if loc + 1376 <= img.data.len() {
            img.data[loc + 1372..loc + 1376].fill(0);
        }
    }
    let (e, l) = mount_err(&img, &[]);
    assert_eq!(e, Errno::EINVAL);
    assert!(has(&l, "no FFS superblock found") || has(&l, "no file system found"), "{l:?}");
    // Impossible block size.
    let mut img = Img::fixture(name);
    img.sb.order.put_u32(&mut img.data, SB + 48, 3000);
    let (e, l) = mount_err(&img, &[]);
    assert_eq!(e, Errno::EINVAL);
    assert!(has(&l, "superblock rejected: block size 3000"), "{l:?}");
    // Huge group count and inode count: refused before anything is sized by them.
    for (off, v, what) in [(44usize, 0x7fff_ffffu32, "does not fit"), (184, 0x7fff_0000, "inodes per group")] {
        let mut img = Img::fixture(name);
        img.sb.order.put_u32(&mut img.data, SB + off, v);
        let (e, l) = mount_err(&img, &[]);
        assert_eq!(e, Errno::EINVAL, "{what}");
        assert!(has(&l, "superblock rejected"), "{what}: {l:?}");
    }
    // UFS2 with extended attributes: recognised and refused by name.
    let mut img = Img::fixture(name);
    img.sb.order.put_u32(&mut img.data, SB + 1372, 0x1901_2038);
    let (e, l) = mount_err(&img, &[]);
    assert_eq!(e, Errno::EFTYPE);
    assert!(has(&l, "UFS2ea"), "{l:?}");
}

#[test]
fn unknown_flags_refused_unless_forced() {
    for name in ["ufs2-be-8192-1024", "ufs1-le-8192-1024"] {
        let mut img = Img::fixture(name);
        img.sb.order.put_u32(&mut img.data, SB + 1312, 0x1000);
        let (e, l) = mount_err(&img, &[]);
        assert_eq!(e, Errno::EINVAL);
        assert!(has(&l, "unknown ufs flags: 0x00001000, not mounting"), "{l:?}");
        let (_k, p, h) = kernel_with(img.dev());
        let forced = MountOptions { readonly: true, force: true, opts: vec![] };
        p.mount("ffs", b"/ffs", MNT_RDONLY, Some("/dev/ffs0"), &forced).unwrap();
        assert!(!log_lines(&h, "(forced)").is_empty());
        assert_eq!(read_all(&p, b"/ffs/hello.txt").unwrap(), b"hello, world\n");
    }
}

#[test]
fn cylinder_group_damage() {
    // Group 0 holds the root inode: the mount fails.
    let mut img = Img::fixture("ufs2-le-4096-512");
    let cg0 = img.at(img.sb.cgtod(0));
    img.data[cg0 + 4..cg0 + 8].fill(0);
    let (e, l) = mount_err(&img, &[]);
    assert_eq!(e, Errno::EIO);
    assert!(has(&l, "cylinder group 0: bad magic"), "{l:?}");
    // A later group: only the inodes in it fail.
    let mut img = Img::fixture("ufs2-le-4096-512");
    assert!(img.sb.ncg > 1, "the fixture has several cylinder groups");
    let ipg = img.sb.ipg as u64;
    let (_k, p, _h) = mount(img.dev(), &[]).unwrap();
    let victim = p
        .readdir_path(b"/ffs/big_dir")
        .unwrap()
        .into_iter()
        .find(|d| d.ino >= ipg && d.ino < 2 * ipg)
        .expect("a file in group 1");
    drop(p);
    let cg1 = img.at(img.sb.cgtod(1));
    img.sb.order.put_u32(&mut img.data, cg1 + 12, 7); // cg_cgx
    let (_k, p, h) = mount(img.dev(), &[]).unwrap();
    let path = [b"/ffs/big_dir/".as_slice(), &victim.name].concat();
    assert_eq!(p.stat(&path), Err(Errno::EIO));
    assert!(!log_lines(&h, "cylinder group 1: header says it is group 7").is_empty());
    assert_eq!(read_all(&p, b"/ffs/hello.txt").unwrap(), b"hello, world\n");
}

#[test]
fn inode_damage() {
    let name = "ufs1-be-8192-1024";
    for mode in [0u16, 0o160644, 0o170000] {
        let mut img = Img::fixture(name);
        let ino = img.ino("hello.txt");
        let mut d = img.inode(ino);
        d.mode = mode;
        img.put_inode(ino, &d);
        let (_k, p, h) = mount(img.dev(), &[]).unwrap();
        assert_eq!(p.stat(b"/ffs/hello.txt"), Err(Errno::EIO), "mode {mode:o}");
        assert!(!log_lines(&h, "is no file type").is_empty());
        assert!(!log_lines(&h, "not a valid inode").is_empty());
    }
}

#[test]
fn block_numbers_out_of_range() {
    let name = "ufs2-le-4096-512";
    let path = format!("sizes/s{}", 12 * 4096 + 1);
    for (which, what) in [("direct", "data block"), ("indirect", "indirect block")] {
        let mut img = Img::fixture(name);
        let ino = img.ino(&path);
        let mut d = img.inode(ino);
        let bad = img.sb.size + 1000;
        if which == "direct" {
            d.db[2] = bad;
        } else {
            d.ib[0] = bad;
        }
        img.put_inode(ino, &d);
        let (_k, p, h) = mount(img.dev(), &[]).unwrap();
        assert_eq!(read_all(&p, format!("/ffs/{path}").as_bytes()), Err(Errno::EIO), "{which}");
        assert!(!log_lines(&h, &format!("{what} {bad} outside the file system")).is_empty(), "{which}");
    }
    // A pointer inside an indirect block.
    let mut img = Img::fixture(name);
    let ino = img.ino(&format!("sizes/s{}", (12 + 512) * 4096 + 1));
    let d = img.inode(ino);
    let bad = u64::MAX - 5;
    img.put_ptr(d.ib[0], 7, bad);
    let (_k, p, h) = mount(img.dev(), &[]).unwrap();
    assert_eq!(read_all(&p, format!("/ffs/sizes/s{}", (12 + 512) * 4096 + 1).as_bytes()), Err(Errno::EIO));
    assert!(!log_lines(&h, "outside the file system").is_empty());
}

#[test]
fn sizes_out_of_range() {
    let name = "ufs2-be-8192-1024";
    // A symlink claiming a terabyte.
    let mut img = Img::fixture(name);
    let ino = img.ino("links/l200");
    let mut d = img.inode(ino);
    d.size = 1 << 40;
    img.put_inode(ino, &d);
    let (_k, p, h) = mount(img.dev(), &[]).unwrap();
    assert_eq!(p.readlink(b"/ffs/links/l200"), Err(Errno::EIO));
    assert!(!log_lines(&h, "symlink of 1099511627776 bytes").is_empty());
    // A directory claiming 2^62 bytes: its real blocks, then a hole — EIO, quickly.
    let mut img = Img::fixture(name);
    let ino = img.ino("modes");
    let mut d = img.inode(ino);
    d.size = 1 << 62;
    img.put_inode(ino, &d);
    let (_k, p, h) = mount(img.dev(), &[]).unwrap();
    assert_eq!(p.readdir_path(b"/ffs/modes"), Err(Errno::EIO));
    assert!(!log_lines(&h, "directory").is_empty());
    // A directory whose size is not a whole number of chunks.
    let mut img = Img::fixture(name);
    let ino = img.ino("modes");
    let mut d = img.inode(ino);
    d.size = 700;
    img.put_inode(ino, &d);
    let (_k, p, h) = mount(img.dev(), &[]).unwrap();
    assert_eq!(p.readdir_path(b"/ffs/modes"), Err(Errno::EIO));
    assert!(!log_lines(&h, "size 700 is not a multiple of 512").is_empty());
    // A file claiming 2^63 - 1 bytes reads holes at the far end, without allocating by its size.
    let mut img = Img::fixture(name);
    let ino = img.ino("hello.txt");
    let mut d = img.inode(ino);
    d.size = i64::MAX as u64;
    img.put_inode(ino, &d);
    let (_k, p, _h) = mount(img.dev(), &[]).unwrap();
    let fd = p.open(b"/ffs/hello.txt", O_RDONLY, 0).unwrap();
    let mut buf = [7u8; 64];
    let r = p.pread(fd, &mut buf, 1 << 62);
    assert!(matches!(r, Ok(64) | Err(Errno::EFBIG) | Err(Errno::EIO)), "{r:?}");
}

#[test]
fn directory_damage() {
    let name = "ufs2-le-8192-1024";
    // d_ino past the last inode.
    let mut img = Img::fixture(name);
    let off = entry_off(&img, "modes", b"suid");
    let n = img.sb.ninodes() as u32 + 5;
    img.sb.order.put_u32(&mut img.data, off, n);
    let (_k, p, h) = mount(img.dev(), &[]).unwrap();
    assert_eq!(p.readdir_path(b"/ffs/modes"), Err(Errno::EIO));
    assert_eq!(p.stat(b"/ffs/modes/suid"), Err(Errno::EIO));
    assert!(!log_lines(&h, &format!("d_ino {n} beyond")).is_empty());
    // d_reclen of zero and one that crosses the chunk.
    for reclen in [0u16, 6, 1000] {
        let mut img = Img::fixture(name);
        let off = entry_off(&img, "modes", b"m777");
        img.sb.order.put_u16(&mut img.data, off + 4, reclen);
        let (_k, p, h) = mount(img.dev(), &[]).unwrap();
        assert_eq!(p.readdir_path(b"/ffs/modes"), Err(Errno::EIO), "reclen {reclen}");
        assert!(!log_lines(&h, "d_reclen").is_empty(), "reclen {reclen}");
    }
    // A name length that does not fit its record.
    let mut img = Img::fixture(name);
    let off = entry_off(&img, "modes", b"m0");
    img.data[off + 7] = 200;
    let (_k, p, h) = mount(img.dev(), &[]).unwrap();
    assert_eq!(p.readdir_path(b"/ffs/modes"), Err(Errno::EIO));
    assert!(!log_lines(&h, "d_namlen 200").is_empty());
    // An entry naming an unallocated inode.
    let mut img = Img::fixture(name);
    let off = entry_off(&img, "modes", b"m0");
    let last = img.sb.ninodes() as u32 - 1;
    img.sb.order.put_u32(&mut img.data, off, last);
    let (_k, p, h) = mount(img.dev(), &[]).unwrap();
    assert_eq!(p.stat(b"/ffs/modes/m0"), Err(Errno::EIO));
    assert!(!log_lines(&h, "not a valid inode").is_empty());
}

#[test]
fn directory_loops_and_hard_linked_directories() {
    let name = "ufs1-le-16384-2048";
    // deep/d00/d01's entry d02 made to point back at deep/d00: a loop.
    let mut img = Img::fixture(name);
    let target = img.ino("deep/d00") as u32;
    let off = entry_off(&img, "deep/d00/d01", b"d02");
    img.sb.order.put_u32(&mut img.data, off, target);
    let (_k, p, h) = mount(img.dev(), &[]).unwrap();
    assert_eq!(p.stat(b"/ffs/deep/d00/d01/d02"), Err(Errno::EIO));
    assert!(!log_lines(&h, "directory loop or hard-linked directory").is_empty());
    assert!(p.stat(b"/ffs/deep/d00/d01").is_ok());
    // A second name for a directory elsewhere.
    let mut img = Img::fixture(name);
    let target = img.ino("deep/d00/d01") as u32;
    let off = entry_off(&img, "names", b"-dash");
    img.sb.order.put_u32(&mut img.data, off, target);
    let (_k, p, h) = mount(img.dev(), &[]).unwrap();
    assert_eq!(p.stat(b"/ffs/names/-dash"), Err(Errno::EIO));
    assert!(!log_lines(&h, "directory loop or hard-linked directory").is_empty());
    assert!(p.stat(b"/ffs/deep/d00/d01/d02").is_ok());
    // A directory whose ".." is not the directory it is found in.
    let mut img = Img::fixture(name);
    let target = img.ino("deep") as u32;
    let off = entry_off(&img, "deep/d00/d01", b"..");
    img.sb.order.put_u32(&mut img.data, off, target);
    let (_k, p, h) = mount(img.dev(), &[]).unwrap();
    assert_eq!(p.stat(b"/ffs/deep/d00/d01"), Err(Errno::EIO));
    assert!(!log_lines(&h, "its '..' is").is_empty());
    assert!(p.stat(b"/ffs/deep/d00").is_ok());
}

/// xorshift64*: deterministic damage.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// Walks everything reachable, reading files (first 64 KiB), links and attributes; errors are fine.
fn walk(p: &kernel::Proc, path: &[u8], depth: usize, budget: &mut usize) {
    if depth > 64 || *budget == 0 {
        return;
    }
    let Ok(ents) = p.readdir_path(path) else { return };
    for e in ents {
        if *budget == 0 {
            return;
        }
        *budget -= 1;
        if e.name == b"." || e.name == b".." {
            continue;
        }
        let full = [path, b"/", &e.name].concat();
        let Ok(st) = p.lstat(&full) else { continue };
        match st.vtype() {
            Some(VType::Dir) => walk(p, &full, depth + 1, budget),
            Some(VType::Lnk) => {
                let _ = p.readlink(&full);
            }
            Some(VType::Reg) => {
                if let Ok(fd) = p.open(&full, O_RDONLY, 0) {
                    let mut buf = vec![0u8; 65536];
                    let _ = p.read(fd, &mut buf);
                    let _ = p.pread(fd, &mut buf[..100], st.size.saturating_sub(50) as i64);
                    let _ = p.close(fd);
                }
            }
            _ => {}
        }
    }
    let _ = p.statvfs(path);
}

#[test]
fn random_damage_never_panics_or_hangs() {
    let start = std::time::Instant::now();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut outcomes = [0usize; 2];
    for name in ["ufs1-42-le", "ufs1-42-be", "ufs2-le-32768-4096"] {
        let clean = Img::fixture(name);
        let sb = clean.sb.clone();
        // Where metadata lives: the superblock, group 0's header and inode blocks, the root directory.
        let root = clean.inode(2);
        let ranges = [
            (sb.sblockloc as usize, sb.sbsize as usize),
            (clean.at(sb.cgtod(0)), sb.cgsize as usize),
            (clean.at(sb.cgstart(0) + sb.iblkno as u64), 8 * sb.bsize as usize),
            (clean.at(root.db[0]), root.size.min(sb.bsize as u64) as usize),
        ];
        for round in 0..120 {
            let mut img = Img { data: clean.data.clone(), sb: sb.clone() };
            let flips = 1 + (rng.next() % 8) as usize;
            for _ in 0..flips {
                let (base, len) = if round % 4 == 0 {
                    (0, img.data.len().min(4 << 20))
                } else {
                    ranges[(rng.next() % ranges.len() as u64) as usize]
                };
                let at = base + (rng.next() % len as u64) as usize;
                img.data[at] ^= 1 << (rng.next() % 8);
                if rng.next().is_multiple_of(3) {
                    img.data[at] = rng.next() as u8;
                }
            }
            let (_k, p, _h) = kernel_with(img.dev());
            match p.mount("ffs", b"/ffs", MNT_RDONLY, Some("/dev/ffs0"), &ro(&[])) {
                Ok(()) => {
                    outcomes[0] += 1;
                    let mut budget = 5000;
                    walk(&p, b"/ffs", 0, &mut budget);
                }
                Err(e) => {
                    assert!([Errno::EINVAL, Errno::EIO, Errno::EFTYPE].contains(&e), "{name} round {round}: {e}");
                    outcomes[1] += 1;
                }
            }
        }
    }
    assert!(outcomes[0] > 50, "{outcomes:?}");
    assert!(start.elapsed().as_secs() < 60);
}
