//! Bounds: images crafted to claim absurd counts and sizes — four billion inodes, a GPT of
//! four billion 4 KiB entries, a journal record naming eight million blocks — are mounted, walked,
//! probed and fsck'd without the process allocating more than a few hundred MiB, and journals of
//! enormous records replay (or are refused) in moments; symlink loops end in ELOOP; a walk of an image
//! whose directories form a cycle ends, with no budget to stop it.
//!
//! The memory cases each run in a child process (this test binary again, one `child_*` test, with a
//! counting allocator — the binary's — that refuses any single allocation over 1 GiB), so a blow-up is
//! a failed test rather than a machine out of memory, and peaks are not mixed up with other tests
//! running alongside.

use crate::common::fixtures::*;
use kernel::dev::{part, Dev, MemDevice};
use kernel::fs::ffs;
use kernel::fs::ffs::fsck::{fsck, FsckOptions, Repair};
use kernel::vfs::*;
use kernel::Errno;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What a case may hold at once.
const PEAK_LIMIT: usize = 320 << 20;
/// A single allocation larger than this is refused (the process aborts: "memory allocation of N bytes
/// failed").
const REFUSE_ABOVE: usize = 1 << 30;

struct Counting;
static CUR: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(n: usize) {
    let now = CUR.fetch_add(n, Relaxed) + n;
    PEAK.fetch_max(now, Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        if l.size() > REFUSE_ABOVE {
            return std::ptr::null_mut();
        }
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            grew(l.size());
        }
        p
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        if l.size() > REFUSE_ABOVE {
            return std::ptr::null_mut();
        }
        let p = unsafe { System.alloc_zeroed(l) };
        if !p.is_null() {
            grew(l.size());
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        CUR.fetch_sub(l.size(), Relaxed);
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        if new > REFUSE_ABOVE {
            return std::ptr::null_mut();
        }
        let q = unsafe { System.realloc(p, l, new) };
        if !q.is_null() {
            CUR.fetch_sub(l.size(), Relaxed);
            grew(new);
        }
        q
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const CHILD_ENV: &str = "RUMPJS_HOSTILE_BOUNDS_CHILD";

/// Runs the ignored test `name` (of this module) in a child process and checks it passed.
fn in_child(name: &str) {
    // Test names are paths from the binary's root: this module's path without the crate's name.
    let module = module_path!().split_once("::").map_or("", |(_, m)| m);
    let name = &format!("{module}::{name}");
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", name, "--test-threads=1", "--nocapture"])
        .env(CHILD_ENV, "1")
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && text.contains("1 passed"), "{name} failed ({}):\n{text}", out.status);
}

/// In a child: whether to run (only there), and the measuring around `f`.
fn measured(f: impl FnOnce()) {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    let base = CUR.load(Relaxed);
    PEAK.store(base, Relaxed);
    let t = Instant::now();
    f();
    let peak = PEAK.load(Relaxed) - base;
    println!("peak {} MiB above the start, {:?}", peak >> 20, t.elapsed());
    assert!(peak < PEAK_LIMIT, "peak allocation {peak} bytes");
}

/// Mounts `dev` read-only, walks it (bounded), fsck -n's it; errors are fine.
fn mount_walk_fsck(dev: Dev) {
    let (_k, p, _h) = kernel_with(dev.clone());
    if p.mount("ffs", b"/ffs", MNT_RDONLY, Some("/dev/ffs0"), &ro(&[])).is_ok() {
        walk(&p, b"/ffs", 0, &mut 5000);
        let _ = p.statvfs(b"/ffs");
        p.unmount(b"/ffs", 0).unwrap();
    }
    let _ = ffs::probe_info(&dev, None).map(|i| i.to_json());
    let _ = fsck(
        &dev,
        &FsckOptions { repair: Repair::No, ..Default::default() },
        &kernel::hyper::DeterministicHypervisor::default_for_tests(),
        &mut |_| {},
    );
}

fn walk(p: &Proc, path: &[u8], depth: usize, budget: &mut usize) -> usize {
    let mut seen = 0;
    if depth > 10_000 || *budget == 0 {
        return 0;
    }
    let Ok(ents) = p.readdir_path(path) else { return 0 };
    for e in ents {
        if e.name == b"." || e.name == b".." || *budget == 0 {
            continue;
        }
        *budget -= 1;
        seen += 1;
        let full = [path, b"/", &e.name].concat();
        match p.lstat(&full).map(|st| st.vtype()) {
            Ok(Some(VType::Dir)) => seen += walk(p, &full, depth + 1, budget),
            Ok(Some(VType::Reg)) => {
                if let Ok(fd) = p.open(&full, O_RDONLY, 0) {
                    let mut buf = vec![0u8; 65536];
                    let _ = p.read(fd, &mut buf);
                    let _ = p.close(fd);
                }
            }
            Ok(Some(VType::Lnk)) => {
                let _ = p.readlink(&full);
                let _ = p.stat(&full);
            }
            _ => {}
        }
    }
    seen
}

/// Superblock field offsets used below (fs.h `struct fs`).
mod sbo {
    pub const DBLKNO: usize = 20;
    pub const NCG: usize = 44;
    pub const CGSIZE: usize = 160;
    pub const OLD_CPG: usize = 180;
    pub const IPG: usize = 184;
    pub const FPG: usize = 188;
    pub const SIZE: usize = 1080;
    pub const DSIZE: usize = 1088;
    pub const CONTIGSUMSIZE: usize = 1316;
}

/// A UFS2 superblock that passes every check and claims 16383 groups of 262144 inodes (4.29 billion,
/// just under 2^32) and two billion fragments — on a 7 MiB device.
fn four_billion_inodes() -> Img {
    let mut img = Img::fixture("ufs2-le-8192-1024");
    let o = img.sb.order;
    let sb = img.sb.sblockloc as usize;
    let (ipg, fpg, ncg) = (1u32 << 18, 1u32 << 17, 16383u32);
    let d = &mut img.data;
    o.put_u32(d, sb + sbo::IPG, ipg);
    o.put_u32(d, sb + sbo::FPG, fpg);
    o.put_u32(d, sb + sbo::NCG, ncg);
    o.put_u32(d, sb + sbo::OLD_CPG, 0);
    o.put_u32(d, sb + sbo::CONTIGSUMSIZE, 0);
    let iblkno = img.sb.iblkno;
    o.put_u32(d, sb + sbo::DBLKNO, iblkno + (ipg / 32) * 8 + 8);
    let want = 176 + 4 + ipg / 8 + fpg / 8;
    o.put_u32(d, sb + sbo::CGSIZE, want.div_ceil(1024) * 1024);
    o.put_u64(d, sb + sbo::SIZE, ncg as u64 * fpg as u64);
    o.put_u64(d, sb + sbo::DSIZE, ncg as u64 * fpg as u64 - 1000);
    let img = Img::new(img.data);
    assert_eq!(img.sb.ninodes(), ncg as u64 * ipg as u64, "the crafted superblock is accepted");
    img
}

#[test]
#[ignore = "run by four_billion_inodes_in_a_small_image, in a child process"]
fn child_four_billion_inodes() {
    measured(|| {
        let img = four_billion_inodes();
        let dev = img.dev();
        let (_k, p, h) = kernel_with(dev.clone());
        p.mount("ffs", b"/ffs", MNT_RDONLY, Some("/dev/ffs0"), &ro(&[])).unwrap();
        assert!(!log_lines(&h, "larger than its").is_empty(), "{:?}", h.console_lines());
        walk(&p, b"/ffs", 0, &mut 5000);
        let st = p.statvfs(b"/ffs").unwrap();
        assert!(st.fs.files > 4_000_000_000);
        drop((p, _k));
        let r = fsck(
            &dev,
            &FsckOptions { repair: Repair::No, ..Default::default() },
            &kernel::hyper::DeterministicHypervisor::default_for_tests(),
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(r.exit_code, 8, "{r:?}");
    });
}

#[test]
fn four_billion_inodes_in_a_small_image() {
    in_child("child_four_billion_inodes");
}

/// A GPT header claiming 2^32-1 entries of 4096 bytes, at the very end of a 16 MiB disk (and then at
/// LBA 2 with the table past the end).
#[test]
#[ignore = "run by gpt_claiming_four_billion_entries, in a child process"]
fn child_gpt_claiming_four_billion_entries() {
    measured(|| {
        for entries_lba in [2u64, 16 * 2048 - 100, u64::MAX / 512] {
            let mut d = vec![0u8; 16 << 20];
            d[510] = 0x55;
            d[511] = 0xaa;
            d[446 + 4] = 0xee;
            d[446 + 8..446 + 12].copy_from_slice(&1u32.to_le_bytes());
            d[446 + 12..446 + 16].copy_from_slice(&u32::MAX.to_le_bytes());
            d[512..520].copy_from_slice(b"EFI PART");
            d[512 + 72..512 + 80].copy_from_slice(&entries_lba.to_le_bytes());
            d[512 + 80..512 + 84].copy_from_slice(&u32::MAX.to_le_bytes());
            d[512 + 84..512 + 88].copy_from_slice(&4096u32.to_le_bytes());
            // Every entry a partition from LBA 0 to the end of time.
            for e in (1024..d.len() - 128).step_by(4096) {
                d[e] = 1;
                d[e + 40..e + 48].copy_from_slice(&u64::MAX.to_le_bytes());
            }
            let dev: Dev = Arc::new(MemDevice::new(d, true));
            let t = part::probe(dev.as_ref()).unwrap();
            assert!(t.len() <= 1024, "{}", t.len());
            assert!(ffs::probe_info(&dev, None).is_err());
            assert!(ffs::probe_info(&dev, Some("1")).is_err());
        }
    });
}

#[test]
fn gpt_claiming_four_billion_entries() {
    in_child("child_gpt_claiming_four_billion_entries");
}

/// A WAPBL journal whose first record lists 4095 blocks of 1 MiB each, in 512-byte pieces (eight
/// million pieces), all inside the device: refused, quickly and in little memory.
#[test]
#[ignore = "run by journal_record_naming_eight_million_blocks, in a child process"]
fn child_journal_record_naming_eight_million_blocks() {
    measured(|| {
        let mut img = Img::fixture("ufs2-le-8192-1024");
        let log_bytes = 512 * 1024;
        let log_at = img.data.len();
        img.data.resize(log_at + log_bytes, 0);
        let o = img.sb.order;
        let sb = img.sb.sblockloc as usize;
        let flags = o.u32(&img.data, sb + 1312);
        o.put_u32(&mut img.data, sb + 1312, flags | 0x100);
        img.data[sb + 864] = 1;
        img.data[sb + 865] = 1;
        for (i, v) in [(log_at / 512) as u64, (log_bytes / 512) as u64, 512, 0].into_iter().enumerate() {
            o.put_u64(&mut img.data, sb + 872 + 8 * i, v);
        }
        let mut log = ffs::wapbl::build_log(65536, log_bytes, &[(0, vec![0u8; 512])], &[], false, 0);
        // The record: 65536-byte log blocks (shift 16), 4095 entries of 1 MiB at sector 0.
        let rec = 2 * 65536;
        log[rec + 4..rec + 8].copy_from_slice(&(65536u32 * 2).to_le_bytes());
        log[rec + 8..rec + 12].copy_from_slice(&4095u32.to_le_bytes());
        for i in 0..4095usize {
            let e = rec + 16 + 16 * i;
            log[e..e + 8].copy_from_slice(&((i as u64 % 8) * 8).to_le_bytes());
            log[e + 12..e + 16].copy_from_slice(&(1u32 << 20).to_le_bytes());
        }
        img.data[log_at..].copy_from_slice(&log);
        let t = Instant::now();
        let (_k, p, h) = kernel_with(img.dev());
        let r = p.mount("ffs", b"/ffs", MNT_RDONLY, Some("/dev/ffs0"), &ro(&[]));
        assert!(r.is_err(), "{:?}", h.console_lines());
        assert!(!log_lines(&h, "cannot be replayed").is_empty(), "{:?}", h.console_lines());
        assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    });
}

#[test]
fn journal_record_naming_eight_million_blocks() {
    in_child("child_journal_record_naming_eight_million_blocks");
}

/// A journal of 30 revocation records, each revoking 4095 ranges of 1 MiB in 512-byte pieces (a
/// quarter of a billion pieces in all) of blocks the log does not even hold: replayed in moments.
#[test]
fn journal_of_huge_revocations() {
    let mut img = Img::fixture("ufs2-le-8192-1024");
    let (lblk, nrec) = (65536usize, 30usize);
    let log_bytes = (2 + nrec + 2) * lblk;
    let log_at = img.data.len();
    img.data.resize(log_at + log_bytes, 0);
    let o = img.sb.order;
    let sb = img.sb.sblockloc as usize;
    let flags = o.u32(&img.data, sb + 1312);
    o.put_u32(&mut img.data, sb + 1312, flags | 0x100);
    img.data[sb + 864] = 1;
    img.data[sb + 865] = 1;
    for (i, v) in [(log_at / 512) as u64, (log_bytes / 512) as u64, 512, 0].into_iter().enumerate() {
        o.put_u64(&mut img.data, sb + 872 + 8 * i, v);
    }
    let mut log = ffs::wapbl::build_log(lblk, log_bytes, &[], &[], false, 0);
    for r in 0..nrec {
        let rec = (2 + r) * lblk;
        log[rec..rec + 4].copy_from_slice(&(ffs::wapbl::WAPBL_WC_REVOCATIONS).to_le_bytes());
        log[rec + 4..rec + 8].copy_from_slice(&(lblk as u32).to_le_bytes());
        log[rec + 8..rec + 12].copy_from_slice(&4095u32.to_le_bytes());
        for i in 0..4095usize {
            let e = rec + 16 + 16 * i;
            log[e..e + 8].copy_from_slice(&((i as u64 % 8) * 8).to_le_bytes());
            log[e + 12..e + 16].copy_from_slice(&(1u32 << 20).to_le_bytes());
        }
    }
    for h in [0, lblk] {
        log[h + 48..h + 56].copy_from_slice(&(((2 + nrec) * lblk) as u64).to_le_bytes());
    }
    img.data[log_at..].copy_from_slice(&log);
    let t = Instant::now();
    let (_k, p, h) = kernel_with(img.dev());
    p.mount("ffs", b"/ffs", MNT_RDONLY, Some("/dev/ffs0"), &ro(&[])).unwrap();
    assert!(!log_lines(&h, "replaying log to memory: 0 blocks").is_empty(), "{:?}", h.console_lines());
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    assert_eq!(read_all(&p, b"/ffs/hello.txt").unwrap(), b"hello, world\n");
}

/// Every fixture mounted, walked, probed and fsck'd, for the peak a normal image takes.
#[test]
#[ignore = "run by fixtures_stay_within_bounds, in a child process"]
fn child_fixtures_stay_within_bounds() {
    measured(|| {
        for name in ["ufs1-le-4096-512", "ufs2-be-65536-8192", "disk-mbr-label", "ufs1-42-be"] {
            let dev: Dev = Arc::new(MemDevice::new(gunzip(&format!("{name}.img.gz")), true));
            mount_walk_fsck(dev);
        }
    });
}

#[test]
fn fixtures_stay_within_bounds() {
    in_child("child_fixtures_stay_within_bounds");
}

/// Fast symlinks of a fixture rewritten into loops: to itself, in a pair, through an absolute path,
/// through `..`; each ends in ELOOP, for stat and for open, and readlink still reads the target.
#[test]
fn symlink_loops_end_in_eloop() {
    let name = "ufs2-le-8192-1024";
    let mut img = Img::fixture(name);
    let set = |img: &mut Img, link: &str, target: &[u8]| {
        let ino = img.ino(link);
        let mut d = img.inode(ino);
        assert!(target.len() < 120 && d.blocks == 0, "{link} is a fast symlink");
        d.shortlink = [0; 120];
        d.shortlink[..target.len()].copy_from_slice(target);
        d.size = target.len() as u64;
        let o = img.inode_off(ino);
        let n = img.sb.ufs.dinode_size() as usize;
        let (order, ufs) = (img.sb.order, img.sb.ufs);
        d.encode(&mut img.data[o..o + n], order, ufs, true);
    };
    set(&mut img, "links/l1", b"l1");
    set(&mut img, "links/l59", b"l60");
    set(&mut img, "links/l60", b"./l59");
    set(&mut img, "links/l61", b"/ffs/links/l61");
    set(&mut img, "links/l119", b"../links/l119/");
    let (_k, p, _h) = mount(img.dev(), &[]).unwrap();
    for (l, target) in [
        ("l1", &b"l1"[..]),
        ("l59", b"l60"),
        ("l60", b"./l59"),
        ("l61", b"/ffs/links/l61"),
        ("l119", b"../links/l119/"),
    ] {
        let path = format!("/ffs/links/{l}");
        assert_eq!(p.stat(path.as_bytes()).map(|_| ()), Err(Errno::ELOOP), "{l}");
        assert_eq!(p.open(path.as_bytes(), O_RDONLY, 0).map(|_| ()), Err(Errno::ELOOP), "{l}");
        assert_eq!(p.readlink(path.as_bytes()).unwrap(), target, "{l}");
        assert!(p.lstat(path.as_bytes()).is_ok());
        assert_eq!(p.stat(format!("{path}/x").as_bytes()).map(|_| ()), Err(Errno::ELOOP), "{l}/x");
    }
    assert_eq!(read_all(&p, b"/ffs/links/rel").unwrap(), b"hello, world\n", "other links still work");
}

/// Directory entries rewritten into cycles (a directory naming its grandparent; one naming the root;
/// one naming itself under another name): a walk with no limit but a huge depth ends, having seen no
/// more than the image holds, and the cycles' names are EIO.
#[test]
fn walks_of_cyclic_directories_end() {
    let name = "ufs1-be-16384-2048";
    let clean = Img::fixture(name);
    let (_k, p, _h) = mount(clean.dev(), &[]).unwrap();
    let total = walk(&p, b"/ffs", 0, &mut { usize::MAX });
    let mut img = Img::fixture(name);
    let entry = |img: &Img, dir: &str, name: &[u8]| -> usize {
        let (_k, p, _h) = mount(img.dev(), &[]).unwrap();
        let ino = p.lstat(format!("/ffs/{dir}").as_bytes()).unwrap().ino;
        let d = img.inode(ino);
        let blk = img.at(d.db[0]);
        let fmt = kernel::fs::ffs::dir::DirFormat { order: img.sb.order, dtype: img.sb.has_dtype() };
        let len = d.size.min(img.sb.bsize as u64) as usize;
        let e = kernel::fs::ffs::dir::Entries::new(&img.data[blk..blk + len], 0, fmt, img.sb.ninodes())
            .map(|e| e.unwrap())
            .find(|e| e.name == name)
            .unwrap();
        blk + e.off
    };
    let deep = img.ino("deep") as u32;
    let d01 = img.ino("deep/d00/d01") as u32;
    for (dir, name, to) in [("deep/d00/d01", &b"d02"[..], deep), ("deep/d00", b"d01", 2), ("names", b"-dash", d01)] {
        let off = entry(&img, dir, name);
        img.sb.order.put_u32(&mut img.data, off, to);
    }
    let (_k, p, _h) = mount(img.dev(), &[]).unwrap();
    let t = Instant::now();
    let seen = walk(&p, b"/ffs", 0, &mut { usize::MAX });
    assert!(seen <= total, "{seen} entries seen, the image has {total}");
    assert!(t.elapsed() < Duration::from_secs(30));
    assert_eq!(p.stat(b"/ffs/deep/d00/d01").map(|_| ()), Err(Errno::EIO));
    assert_eq!(p.stat(b"/ffs/names/-dash").map(|_| ()), Err(Errno::EIO));
    assert!(p.stat(b"/ffs/deep/d00").is_ok());
}
