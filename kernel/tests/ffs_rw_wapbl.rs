//! WAPBL and read-write mounts. This driver does not write a journal. A journal holding records
//! (changes not yet in place) refuses a read-write mount — mount read-only (the journal is replayed
//! in memory) or run `fsck -y`, which writes the records in place — rather than writing around it.
//! An empty journal at the end of the partition is dropped from the superblock, as NetBSD does when
//! a file system with a log is mounted without `-o log`; a journal inside the file system refuses
//! read-write (its log inode would be left behind).

mod ffs_common;
mod ffs_rw_common;

use ffs_common::{gunzip, Img};
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

fn rw_mount(dev: Dev) -> (kernel::KResult<()>, Proc, Arc<kernel::hyper::DeterministicHypervisor>, Arc<kernel::Kernel>) {
    let (k, p, h) = ffs_rw_common::boot(dev);
    let r = ffs_rw_common::mount_rw(&p);
    (r, p, h, k)
}

#[test]
fn journal_with_records_refuses_read_write_until_fsck_replays_it() {
    let (mut img, data_at, log_at) = journaled(false);
    let mut data = vec![0u8; 512];
    data[..16].copy_from_slice(b"journal says hi\n");
    let log = build_log(512, LOG_BYTES, &[(data_at as u64, data)], &[], false, 0);
    img.data[log_at..].copy_from_slice(&log);
    let dev: Dev = Arc::new(MemDevice::new(img.data.clone(), false));
    let (r, p, h, _k) = rw_mount(dev.clone());
    assert_eq!(r, Err(Errno::EROFS));
    assert!(h.console_lines().iter().any(|l| l.contains("journal")), "{:?}", h.console_lines());
    // Read-only still works, with the journal's view.
    ffs_rw_common::mount_ro(&p).unwrap();
    assert_eq!(ffs_rw_common::read(&p, b"/mnt/hello.txt"), b"journal says "); // 13 bytes: the size is unchanged
    p.unmount(b"/mnt", 0).unwrap();
    // fsck -y writes the journal in place; then read-write is fine and sees it.
    let rep = fsck(&dev, &FsckOptions { repair: Repair::Yes, ..Default::default() }, &mut |_| {}).unwrap();
    assert_eq!(rep.exit_code, 0);
    ffs_rw_common::mount_rw(&p).unwrap();
    assert_eq!(ffs_rw_common::read(&p, b"/mnt/hello.txt"), b"journal says "); // 13 bytes: the size is unchanged
    ffs_rw_common::write(&p, b"/mnt/after", b"written after the replay");
    p.unmount(b"/mnt", 0).unwrap();
    ffs_rw_common::assert_fsck_clean(dev, "after journal");
}

#[test]
fn empty_journal_is_dropped_and_inside_journal_refused() {
    let (mut img, _, log_at) = journaled(false);
    img.data[log_at..].copy_from_slice(&build_log(512, LOG_BYTES, &[], &[], false, 0));
    let dev: Dev = Arc::new(MemDevice::new(img.data.clone(), false));
    let (r, p, _h, _k) = rw_mount(dev.clone());
    r.unwrap();
    ffs_rw_common::write(&p, b"/mnt/x", b"x");
    p.unmount(b"/mnt", 0).unwrap();
    let sb = Superblock::find(dev.as_ref(), &mut Vec::new()).unwrap();
    assert_eq!(sb.flags & FS_DOWAPBL, 0, "the journal flag stays after a mount that did not log");
    assert_eq!(sb.journal_location, 0);
    ffs_rw_common::assert_fsck_clean(dev, "journal dropped");

    let (mut img, _, log_at) = journaled(true);
    img.data[log_at..].copy_from_slice(&build_log(512, LOG_BYTES, &[], &[], false, 0));
    let dev: Dev = Arc::new(MemDevice::new(img.data.clone(), false));
    let (r, _p, h, _k) = rw_mount(dev);
    assert_eq!(r, Err(Errno::EROFS));
    assert!(h.console_lines().iter().any(|l| l.contains("inside the file system")));
}
