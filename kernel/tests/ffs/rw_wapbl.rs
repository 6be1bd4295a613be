//! WAPBL and read-write mounts. This driver does not write a journal. A journal holding records
//! (changes not yet in place) is replayed to disk before a read-write mount (as ffs_mountfs's
//! wapbl_replay_write), the inodes it lists as unlinked are freed, and the file system is mounted
//! without logging; a read-only mount replays it in memory and writes nothing. An empty journal at
//! the end of the partition is dropped from the superblock, as NetBSD does when a file system with a
//! log is mounted without `-o log`; a journal inside the file system refuses read-write (its log
//! inode would be left behind).

use crate::common::fixtures::{gunzip, Img};
use crate::common::fresh;
use kernel::dev::{Dev, MemDevice};
use kernel::fs::ffs::fsck::{fsck, FsckOptions, Repair};
use kernel::fs::ffs::superblock::{Superblock, FS_DOWAPBL};
use kernel::fs::ffs::wapbl::build_log;
use kernel::vfs::*;
use kernel::Errno;
use std::sync::Arc;

const LOG_BYTES: usize = 64 * 1024;

/// A fixture with a journal (end of partition, or "in the file system" when `inside`) appended.
fn journaled(inside: bool) -> (Img, usize, usize) {
    let mut img = Img::new(gunzip("ufs2-le-8192-1024.img.gz"));
    let ino = img.ino("hello.txt");
    let data_at = img.at(img.inode(ino).db[0]);
    let log_at = img.data.len();
    img.data.resize(log_at + LOG_BYTES, 0);
    let o = img.sb.order;
    let sb = img.sb.sblockloc as usize;
    let flags = o.u32(&img.data, sb + 1312);
    o.put_u32(&mut img.data, sb + 1312, flags | FS_DOWAPBL);
    img.data[sb + 864] = 1;
    img.data[sb + 865] = if inside { 2 } else { 1 };
    for (i, v) in [(log_at / 512) as u64, (LOG_BYTES / 512) as u64, 512, 0].into_iter().enumerate() {
        o.put_u64(&mut img.data, sb + 872 + 8 * i, v);
    }
    (img, data_at, log_at)
}

#[allow(clippy::type_complexity)]
fn rw_mount(dev: Dev) -> (kernel::KResult<()>, Proc, Arc<kernel::hyper::DeterministicHypervisor>, Arc<kernel::Kernel>) {
    let (k, p, h) = fresh::boot(dev);
    let r = fresh::mount_rw(&p);
    (r, p, h, k)
}

#[test]
fn journal_with_records_is_replayed_to_disk_by_a_read_write_mount() {
    let (mut img, data_at, log_at) = journaled(false);
    let mut data = vec![0u8; 512];
    data[..16].copy_from_slice(b"journal says hi\n");
    let log = build_log(512, LOG_BYTES, &[(data_at as u64, data)], &[], false, 0);
    img.data[log_at..].copy_from_slice(&log);
    let dev: Dev = Arc::new(MemDevice::new(img.data.clone(), false));
    let (_k, p, h) = fresh::boot(dev.clone());
    // Read-only: the journal's view, nothing written.
    fresh::mount_ro(&p).unwrap();
    assert_eq!(fresh::read(&p, b"/mnt/hello.txt"), b"journal says "); // the size is unchanged
    p.unmount(b"/mnt", 0).unwrap();
    let mut now = vec![0u8; img.data.len()];
    kernel::dev::BlockDevice::read_at(dev.as_ref(), 0, &mut now).unwrap();
    assert!(now == img.data, "a read-only mount wrote");
    // Read-write: replayed to disk, logging off.
    fresh::mount_rw(&p).unwrap();
    assert!(h.console_lines().iter().any(|l| l.contains("replaying the journal to disk")), "{:?}", h.console_lines());
    assert_eq!(fresh::read(&p, b"/mnt/hello.txt"), b"journal says ");
    fresh::write(&p, b"/mnt/after", b"written after the replay");
    p.unmount(b"/mnt", 0).unwrap();
    let sb = Superblock::find(dev.as_ref(), &mut Vec::new()).unwrap();
    assert_eq!(sb.flags & FS_DOWAPBL, 0);
    fresh::assert_fsck_clean(dev.clone(), "after journal");
    // fsck -y on such an image does the same.
    let (mut img2, data_at2, log_at2) = journaled(false);
    let mut d2 = vec![0u8; 512];
    d2[..4].copy_from_slice(b"fsck");
    img2.data[log_at2..].copy_from_slice(&build_log(512, LOG_BYTES, &[(data_at2 as u64, d2)], &[], false, 0));
    let dev2: Dev = Arc::new(MemDevice::new(img2.data.clone(), false));
    let rep = fsck(
        &dev2,
        &FsckOptions { repair: Repair::Yes, ..Default::default() },
        &kernel::hyper::DeterministicHypervisor::default_for_tests(),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(rep.exit_code, 0);
    let (_k2, p2, _h2) = fresh::boot(dev2);
    fresh::mount_rw(&p2).unwrap();
    assert_eq!(&fresh::read(&p2, b"/mnt/hello.txt")[..4], b"fsck");
    p2.unmount(b"/mnt", 0).unwrap();
    let _ = Errno::EROFS;
}

#[test]
fn empty_journal_is_dropped_and_inside_journal_refused() {
    let (mut img, _, log_at) = journaled(false);
    img.data[log_at..].copy_from_slice(&build_log(512, LOG_BYTES, &[], &[], false, 0));
    let dev: Dev = Arc::new(MemDevice::new(img.data.clone(), false));
    let (r, p, _h, _k) = rw_mount(dev.clone());
    r.unwrap();
    fresh::write(&p, b"/mnt/x", b"x");
    p.unmount(b"/mnt", 0).unwrap();
    let sb = Superblock::find(dev.as_ref(), &mut Vec::new()).unwrap();
    assert_eq!(sb.flags & FS_DOWAPBL, 0, "the journal flag stays after a mount that did not log");
    assert_eq!(sb.journal_location, 0);
    fresh::assert_fsck_clean(dev, "journal dropped");

    let (mut img, _, log_at) = journaled(true);
    img.data[log_at..].copy_from_slice(&build_log(512, LOG_BYTES, &[], &[], false, 0));
    let dev: Dev = Arc::new(MemDevice::new(img.data.clone(), false));
    let (r, _p, h, _k) = rw_mount(dev);
    assert_eq!(r, Err(Errno::EROFS));
    assert!(h.console_lines().iter().any(|l| l.contains("inside the file system")));
}

#[test]
fn inside_journal_with_records_refuses_read_write_before_replaying_and_writes_nothing() {
    let (mut img, data_at, log_at) = journaled(true);
    let mut data = vec![0u8; 512];
    data[..16].copy_from_slice(b"journal says hi\n");
    img.data[log_at..].copy_from_slice(&build_log(512, LOG_BYTES, &[(data_at as u64, data)], &[], false, 0));
    let dev: Dev = Arc::new(MemDevice::new(img.data.clone(), false));
    let (r, p, h, _k) = rw_mount(dev.clone());
    assert_eq!(r, Err(Errno::EROFS));
    assert!(h.console_lines().iter().any(|l| l.contains("inside the file system")), "{:?}", h.console_lines());
    assert!(!h.console_lines().iter().any(|l| l.contains("replaying the journal to disk")));
    let mut now = vec![0u8; img.data.len()];
    kernel::dev::BlockDevice::read_at(dev.as_ref(), 0, &mut now).unwrap();
    assert!(now == img.data, "a refused read-write mount wrote");
    // Read-only still shows the journal's view.
    fresh::mount_ro(&p).unwrap();
    assert_eq!(fresh::read(&p, b"/mnt/hello.txt"), b"journal says ");
    p.unmount(b"/mnt", 0).unwrap();
}
