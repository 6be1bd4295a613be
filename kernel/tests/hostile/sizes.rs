//! Inodes that lie about their size: a file of 8 PB on a UFS1 image with 8 KiB blocks, one past 2^63 on
//! UFS2 (negative as an off_t), one under a superblock whose fs_maxfilesize is absurd — each on an image
//! Debian's makefs wrote (the fixtures), damaged here. `stat` still answers; reading fails at once
//! with EIO (EFBIG past the largest offset, as ffs_read), writing too; one kernel-log line names the
//! inode; fsck reports the inode as fsck_ffs's pass 1 does (UNKNOWN FILE TYPE) and -y clears it.

use crate::common::fixtures::*;
use kernel::dev::{Dev, MemDevice};
use kernel::fs::ffs::fsck::{fsck, FsckOptions, Repair};
use kernel::vfs::*;
use kernel::Errno;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What a refused read may take (a read of the holes would take hours).
const PROMPT: Duration = Duration::from_secs(2);

/// `hello.txt` of fixture `name` claims `size` bytes and holds no blocks. Returns the image and the
/// inode number.
fn lying(name: &str, size: u64) -> (Img, u64) {
    let mut img = Img::fixture(name);
    let ino = img.ino("hello.txt");
    let mut d = img.inode(ino);
    d.size = size;
    d.blocks = 0;
    d.db = [0; 12];
    d.ib = [0; 3];
    img.put_inode(ino, &d);
    (img, ino)
}

/// The mounted image answers stat, refuses reads at once (EIO; EFBIG past the largest offset) and
/// says so in one kernel-log line naming the inode.
fn refused(img: &Img, ino: u64, size: u64, what: &str) {
    let (_k, p, h) = mount(img.dev(), &[]).unwrap();
    let st = p.stat(b"/ffs/hello.txt").unwrap();
    assert_eq!((st.ino, st.size), (ino, size), "{what}: stat answers with the size on disk");
    let t = Instant::now();
    let fd = p.open(b"/ffs/hello.txt", O_RDONLY, 0).unwrap();
    let mut buf = vec![0u8; 1 << 16];
    assert_eq!(p.read(fd, &mut buf), Err(Errno::EIO), "{what}");
    assert_eq!(p.read(fd, &mut buf), Err(Errno::EIO), "{what}: again");
    assert_eq!(p.pread(fd, &mut buf, 1 << 40), Err(Errno::EIO), "{what}: within the largest file");
    assert_eq!(p.pread(fd, &mut buf, i64::MAX - 10), Err(Errno::EFBIG), "{what}: past the largest file");
    assert!(t.elapsed() < PROMPT, "{what}: refused at once, not after {:?}", t.elapsed());
    p.close(fd).unwrap();
    let lines = log_lines(&h, &format!("inode {ino}: size {size}"));
    assert_eq!(lines.len(), 1, "{what}: one line names the inode: {:?}", h.console_lines());
    // The rest of the image reads as before.
    assert!(!p.readdir_path(b"/ffs").unwrap().is_empty(), "{what}");
}

/// Writing into the lying file fails too (a read-write mount of the damaged image).
fn write_refused(img: &Img, what: &str) {
    let hyper = Arc::new(kernel::hyper::DeterministicHypervisor::default_for_tests());
    let k = Kernel::boot_default(hyper).unwrap();
    let dev: Dev = Arc::new(MemDevice::new(img.data.clone(), false));
    k.etfs_register("/dev/ffs0", dev).unwrap();
    let p = k.new_proc(Cred::root());
    p.mkdir(b"/ffs", 0o755).unwrap();
    p.mount("ffs", b"/ffs", 0, Some("/dev/ffs0"), &MountOptions::default()).unwrap();
    let fd = p.open(b"/ffs/hello.txt", O_WRONLY | O_APPEND, 0).unwrap();
    assert_eq!(p.write(fd, b"more"), Err(Errno::EIO), "{what}: append");
    assert_eq!(p.pwrite(fd, b"more", 0), Err(Errno::EIO), "{what}: overwrite");
    p.close(fd).unwrap();
}

/// fsck -n reports the inode as pass 1 does; -y clears it (and pass 2 the name), a second -n is clean.
fn fsck_clears(img: &Img, ino: u64, what: &str) {
    let run = |data: &[u8], repair: Repair| {
        let dev = Arc::new(MemDevice::new(data.to_vec(), repair == Repair::No));
        let d: Dev = dev.clone();
        let mut out = Vec::new();
        let opts = FsckOptions { repair, ..Default::default() };
        let hyper = kernel::hyper::DeterministicHypervisor::default_for_tests();
        let r = fsck(&d, &opts, &hyper, &mut |l| out.push(l.to_string())).unwrap();
        (r, out.join("\n"), dev.contents())
    };
    let (r, out, _) = run(&img.data, Repair::No);
    assert_eq!(r.exit_code, 2, "{what}:\n{out}");
    assert!(out.contains(&format!("UNKNOWN FILE TYPE I={ino}")), "{what}:\n{out}");
    let (r, out, fixed) = run(&img.data, Repair::Yes);
    assert_eq!(r.exit_code, 0, "{what}: -y:\n{out}");
    let (r, out, _) = run(&fixed, Repair::No);
    assert_eq!((r.exit_code, r.problems.len()), (0, 0), "{what}: second -n:\n{out}");
    let (_k, p, _h) = mount(Arc::new(MemDevice::new(fixed, true)), &[]).unwrap();
    assert_eq!(p.stat(b"/ffs/hello.txt").map(|s| s.ino), Err(Errno::ENOENT), "{what}: the name went with it");
}

#[test]
fn ufs1_file_of_eight_petabytes() {
    let size = 8 << 50;
    let (img, ino) = lying("ufs1-le-8192-1024", size);
    refused(&img, ino, size, "UFS1 8 PB");
    write_refused(&img, "UFS1 8 PB");
    fsck_clears(&img, ino, "UFS1 8 PB");
}

#[test]
fn ufs2_file_past_two_to_the_63() {
    let size = (1u64 << 63) + 4096;
    let (img, ino) = lying("ufs2-be-8192-1024", size);
    refused(&img, ino, size, "UFS2 2^63 + 4096");
    write_refused(&img, "UFS2 2^63 + 4096");
    fsck_clears(&img, ino, "UFS2 2^63 + 4096");
}

#[test]
fn absurd_fs_maxfilesize_bounds_nothing() {
    // fs_maxfilesize (byte 1328 of struct fs) claims 2^64 - 1: the block
    // pointers still reach no further than 2^43 bytes (8 KiB blocks, 1024 pointers each).
    let size = 1 << 60;
    let (mut img, ino) = lying("ufs2-le-8192-1024", size);
    let at = img.sb.sblockloc as usize + 1328;
    let o = img.sb.order;
    o.put_u64(&mut img.data, at, u64::MAX);
    refused(&img, ino, size, "fs_maxfilesize 2^64 - 1");
}

#[test]
fn sparse_file_within_bounds_still_reads() {
    // The bound is the file system's largest file, not the blocks held: a sparse file at the limit
    // reads its holes (the last bytes, quickly).
    let img = Img::fixture("ufs1-le-8192-1024");
    let size = img.sb.maxfilesize;
    let (img, _) = lying("ufs1-le-8192-1024", size);
    let (_k, p, h) = mount(img.dev(), &[]).unwrap();
    let fd = p.open(b"/ffs/hello.txt", O_RDONLY, 0).unwrap();
    let mut buf = [7u8; 64];
    assert_eq!(p.pread(fd, &mut buf, (size - 64) as i64), Ok(64));
    assert_eq!(buf, [0u8; 64]);
    assert!(log_lines(&h, "largest file").is_empty(), "{:?}", h.console_lines());
}
