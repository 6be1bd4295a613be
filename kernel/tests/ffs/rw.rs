//! FFS read-write: every kind of change, then unmount, remount and compare; The Sleuth Kit reads what
//! we wrote; the clean flag; errors the file system owns (EEXIST, ENOTEMPTY, ENOSPC, out of inodes); a
//! large directory stays fast in a debug build (20,000 names created, looked up and removed through
//! the directory index, with no linear scans).

use crate::common::fixtures;
use crate::common::fresh::*;
use kernel::dev::{BlockDevice, Dev};
use kernel::fs::ffs::superblock::Superblock;
use kernel::vfs::*;
use kernel::Errno;
use std::sync::Arc;
use std::time::Instant;

/// A tree with every kind of node and every size class of file.
fn populate(p: &Proc, cfg: Cfg) {
    let b = cfg.bsize as usize;
    let f = cfg.fsize as usize;
    p.mkdir(b"/mnt/d", 0o755).unwrap();
    p.mkdir(b"/mnt/d/e", 0o700).unwrap();
    write(p, b"/mnt/empty", b"");
    write(p, b"/mnt/small", b"hello, world\n");
    write(p, b"/mnt/frag", &bytes(1, f + 1));
    write(p, b"/mnt/d/threeblocks", &bytes(2, 3 * b + 5));
    // Past the direct blocks into the first indirect block.
    write(p, b"/mnt/d/e/indirect", &bytes(3, 12 * b + 3 * b + 7));
    // Growing through fragments by small appends (ffs_realloccg moves and extends).
    let fd = p.open(b"/mnt/grow", O_WRONLY | O_CREAT | O_APPEND, 0o600).unwrap();
    for i in 0..40 {
        p.write(fd, &bytes(100 + i, 333)).unwrap();
    }
    p.close(fd).unwrap();
    // Holes: a sparse file, and one grown by truncate.
    let fd = p.open(b"/mnt/sparse", O_WRONLY | O_CREAT, 0o644).unwrap();
    p.pwrite(fd, b"tail", (20 * b) as i64).unwrap();
    p.pwrite(fd, b"head", 0).unwrap();
    p.close(fd).unwrap();
    write(p, b"/mnt/truncgrow", b"abc");
    p.truncate(b"/mnt/truncgrow", (5 * b + 17) as i64).unwrap();
    write(p, b"/mnt/truncshrink", &bytes(4, 14 * b));
    p.truncate(b"/mnt/truncshrink", (b + f / 2 + 3) as i64).unwrap();
    p.symlink(b"small", b"/mnt/fastlink").unwrap();
    let long = "x/".repeat(100);
    p.symlink(long.as_bytes(), b"/mnt/slowlink").unwrap();
    p.link(b"/mnt/small", b"/mnt/d/hardlink").unwrap();
    p.mknod(b"/mnt/chr", S_IFCHR | 0o620, makedev(5, 7)).unwrap();
    p.mknod(b"/mnt/blk", S_IFBLK | 0o600, makedev(14, 0x1234)).unwrap();
    p.mkfifo(b"/mnt/fifo", 0o644).unwrap();
    p.chmod(b"/mnt/frag", 0o4751).unwrap();
    p.chown(b"/mnt/frag", 1000, 100).unwrap();
    p.mkdir(b"/mnt/gone", 0o755).unwrap();
    write(p, b"/mnt/gone/f", b"x");
    p.unlink(b"/mnt/gone/f").unwrap();
    p.rmdir(b"/mnt/gone").unwrap();
    p.mkdir(b"/mnt/moved", 0o755).unwrap();
    write(p, b"/mnt/moved/inside", b"moved file");
    p.rename(b"/mnt/moved", b"/mnt/d/e/moved").unwrap();
    write(p, b"/mnt/victim", b"to be replaced");
    write(p, b"/mnt/replacer", b"the replacement");
    p.rename(b"/mnt/replacer", b"/mnt/victim").unwrap();
    // Many names: the directory grows past one block.
    p.mkdir(b"/mnt/many", 0o755).unwrap();
    for i in 0..300 {
        write(p, format!("/mnt/many/file-with-a-longish-name-{i:04}").as_bytes(), &bytes(i, i as usize % 50));
    }
    for i in (0..300).step_by(3) {
        p.unlink(format!("/mnt/many/file-with-a-longish-name-{i:04}").as_bytes()).unwrap();
    }
}

fn sb_of(dev: &dyn BlockDevice) -> Superblock {
    Superblock::find(dev, &mut Vec::new()).unwrap()
}

#[test]
fn round_trip_every_config() {
    for cfg in CFGS {
        let name = format!(
            "ufs{}-{}-{}",
            cfg.ufs,
            if cfg.order == kernel::fs::ffs::endian::ByteOrder::Big { "be" } else { "le" },
            cfg.bsize
        );
        let dev = fresh(cfg, 24 << 20);
        assert!(sb_of(dev.as_ref()).is_clean());
        let (_k, p, _h) = boot(dev.clone() as Dev);
        mount_rw(&p).unwrap();
        // Not clean on disk while mounted read-write.
        assert!(!sb_of(dev.as_ref()).is_clean(), "{name}: clean while mounted read-write");
        populate(&p, cfg);
        let before = snapshot(&p, "/mnt");
        assert_eq!(before["grow"].data.len(), 40 * 333);
        assert_eq!(before["truncshrink"].size, (cfg.bsize + cfg.fsize / 2 + 3) as u64);
        assert_eq!(&before["sparse"].data[..4], b"head");
        assert_eq!(before["small"].nlink, 2);
        assert_eq!(before["victim"].data, b"the replacement");
        assert_eq!(before["d"].nlink, 3);
        assert_eq!(before["d/e"].nlink, 3);
        let sv1 = p.statvfs(b"/mnt").unwrap();
        p.unmount(b"/mnt", 0).unwrap();
        assert!(sb_of(dev.as_ref()).is_clean(), "{name}: not clean after unmount");
        mount_ro(&p).unwrap();
        let after = snapshot(&p, "/mnt");
        assert_eq!(before, after, "{name}: tree changed across remount");
        let sv2 = p.statvfs(b"/mnt").unwrap();
        assert_eq!((sv1.fs.bfree, sv1.fs.ffree), (sv2.fs.bfree, sv2.fs.ffree), "{name}: free counts");
        p.unmount(b"/mnt", 0).unwrap();
        assert_fsck_clean(dev.clone() as Dev, &name);
        check_with_tsk(dev.as_ref(), &name, cfg.ufs, &after);
    }
}

#[test]
fn errors_the_file_system_owns() {
    let cfg = CFGS[2];
    let dev = fresh(cfg, 8 << 20);
    let (_k, p, _h) = boot(dev.clone() as Dev);
    mount_rw(&p).unwrap();
    p.mkdir(b"/mnt/d", 0o755).unwrap();
    write(&p, b"/mnt/d/f", b"x");
    assert_eq!(p.mkdir(b"/mnt/d", 0o755).unwrap_err(), Errno::EEXIST);
    assert_eq!(p.rmdir(b"/mnt/d").unwrap_err(), Errno::ENOTEMPTY);
    assert_eq!(p.unlink(b"/mnt/d").unwrap_err(), Errno::EPERM);
    p.mkdir(b"/mnt/d2", 0o755).unwrap();
    write(&p, b"/mnt/d2/g", b"y");
    assert_eq!(p.rename(b"/mnt/d", b"/mnt/d2").unwrap_err(), Errno::ENOTEMPTY);
    p.unlink(b"/mnt/d2/g").unwrap();
    p.rename(b"/mnt/d", b"/mnt/d2").unwrap();
    assert_eq!(read(&p, b"/mnt/d2/f"), b"x");
    assert_eq!(p.stat(b"/mnt").unwrap().nlink, 3);
    p.unmount(b"/mnt", 0).unwrap();
    assert_fsck_clean(dev.clone() as Dev, "errors");
}

#[test]
fn fresh_newfs_is_fsck_clean() {
    for cfg in CFGS {
        let dev = fresh(cfg, 8 << 20);
        assert_fsck_clean(dev as Dev, &format!("{cfg:?}"));
    }
}

#[test]
fn enospc_and_out_of_inodes_leave_a_consistent_fs() {
    let cfg = CFGS[0];
    let dev = fresh(cfg, 4 << 20);
    let (_k, p, _h) = boot(dev.clone() as Dev);
    mount_rw(&p).unwrap();
    write(&p, b"/mnt/keep", b"kept");
    // Fill with one big file.
    let fd = p.open(b"/mnt/big", O_WRONLY | O_CREAT, 0o644).unwrap();
    let chunk = bytes(9, 64 * 1024);
    let mut written = 0u64;
    let e = loop {
        match p.write(fd, &chunk) {
            Ok(n) => written += n as u64,
            Err(e) => break e,
        }
    };
    assert_eq!(e, Errno::ENOSPC);
    p.close(fd).unwrap();
    assert_eq!(p.stat(b"/mnt/big").unwrap().size, written);
    // Inodes: small files until none are left (or space runs out).
    let mut made = 0;
    let e = loop {
        match p.open(format!("/mnt/n{made}").as_bytes(), O_WRONLY | O_CREAT, 0o644) {
            Ok(fd) => {
                p.close(fd).unwrap();
                made += 1;
            }
            Err(e) => break e,
        }
    };
    assert_eq!(e, Errno::ENOSPC);
    let snap = snapshot(&p, "/mnt");
    p.unmount(b"/mnt", 0).unwrap();
    assert_fsck_clean(dev.clone() as Dev, "full");
    mount_ro(&p).unwrap();
    assert_eq!(snap, snapshot(&p, "/mnt"));
    p.unmount(b"/mnt", 0).unwrap();
    // And space comes back.
    mount_rw(&p).unwrap();
    p.unlink(b"/mnt/big").unwrap();
    for i in 0..made {
        p.unlink(format!("/mnt/n{i}").as_bytes()).unwrap();
    }
    write(&p, b"/mnt/again", &bytes(1, 100_000));
    assert_eq!(read(&p, b"/mnt/again"), bytes(1, 100_000));
    p.unmount(b"/mnt", 0).unwrap();
    assert_fsck_clean(dev.clone() as Dev, "emptied");
}

/// Writes `seed`'s 64 KiB chunk to `path` again and again until a write fails: the bytes written and
/// the error.
fn fill(p: &Proc, path: &[u8], seed: u64) -> (u64, Errno) {
    let fd = p.open(path, O_WRONLY | O_CREAT, 0o644).unwrap();
    let chunk = bytes(seed, 64 * 1024);
    let mut written = 0u64;
    let e = loop {
        match p.write(fd, &chunk) {
            Ok(n) => written += n as u64,
            Err(e) => break e,
        }
    };
    p.close(fd).unwrap();
    (written, e)
}

/// The fs_minfree reserve is root's (ffs_alloc and ffs_realloccg ask kauth for
/// KAUTH_SYSTEM_FS_RESERVEDSPACE): a user's writes, file growth and mkdir stop with ENOSPC when only
/// the reserve is left (statvfs: bavail 0, bfree the reserve); root's writes go on into it until the
/// file system is full; fsck finds the result clean and both files read back.
#[test]
fn minfree_reserve_is_for_root_alone() {
    for cfg in [CFGS[0], CFGS[2]] {
        let name = format!("{cfg:?}");
        let dev = fresh(cfg, 4 << 20);
        let (_k, p, _h) = boot(dev.clone() as Dev);
        mount_rw(&p).unwrap();
        p.mkdir(b"/mnt/u", 0o777).unwrap();
        p.chmod(b"/mnt/u", 0o777).unwrap();
        write(&p, b"/mnt/u/small", b"x");
        p.chown(b"/mnt/u/small", 1000, 1000).unwrap();
        p.setcred(Cred { uid: 1000, gid: 1000, groups: vec![1000] }).unwrap();
        let (user, e) = fill(&p, b"/mnt/u/user", 1);
        assert_eq!(e, Errno::ENOSPC, "{name}");
        let at_reserve = p.statvfs(b"/mnt").unwrap().fs;
        assert!(at_reserve.bresvd > 0 && at_reserve.bavail == 0, "{name}: {at_reserve:?}");
        assert!(at_reserve.bfree + cfg.bsize as u64 / cfg.fsize as u64 > at_reserve.bresvd, "{name}: {at_reserve:?}");
        // Nothing more for the user: no new fragment, no directory block.
        let fd = p.open(b"/mnt/u/small", O_WRONLY | O_APPEND, 0).unwrap();
        assert_eq!(p.write(fd, &bytes(3, cfg.fsize as usize)).unwrap_err(), Errno::ENOSPC, "{name}");
        p.close(fd).unwrap();
        assert_eq!(p.mkdir(b"/mnt/u/d", 0o755).unwrap_err(), Errno::ENOSPC, "{name}");
        // Root goes on into the reserve, until there is really no room.
        p.setcred(Cred::root()).unwrap();
        let (root, e) = fill(&p, b"/mnt/u/root", 2);
        assert_eq!(e, Errno::ENOSPC, "{name}");
        let full = p.statvfs(b"/mnt").unwrap().fs;
        // (What is left is fragments too scattered for a block: a file's full blocks cannot use them.)
        let ctx = format!("{name}: root wrote {root}; {at_reserve:?} then {full:?}");
        assert!(root >= at_reserve.bresvd * at_reserve.frsize / 2 && full.bfree < at_reserve.bfree / 4, "{ctx}");
        p.unmount(b"/mnt", 0).unwrap();
        assert_fsck_clean(dev.clone() as Dev, &name);
        mount_ro(&p).unwrap();
        for (path, seed, len) in [(&b"/mnt/u/user"[..], 1, user), (b"/mnt/u/root", 2, root)] {
            let want: Vec<u8> = bytes(seed, 64 * 1024).into_iter().cycle().take(len as usize).collect();
            assert!(read(&p, path) == want, "{name}: {}", String::from_utf8_lossy(path));
        }
        assert_eq!(read(&p, b"/mnt/u/small"), b"x");
        p.unmount(b"/mnt", 0).unwrap();
    }
}

#[test]
fn unclean_image_refuses_read_write_unless_forced() {
    let cfg = CFGS[1];
    let dev = fresh(cfg, 8 << 20);
    {
        // A kernel that goes away without unmounting (a crash) leaves the file system unclean.
        let (_k, p, _h) = boot(dev.clone() as Dev);
        mount_rw(&p).unwrap();
        write(&p, b"/mnt/f", b"synced");
        p.sync().unwrap();
    }
    assert!(!sb_of(dev.as_ref()).is_clean());
    let (_k, p, h) = boot(dev.clone() as Dev);
    assert_eq!(mount_rw(&p).unwrap_err(), Errno::EPERM);
    assert!(h.console_lines().iter().any(|l| l.contains("not clean") && l.contains("fsck")), "{:?}", h.console_lines());
    mount_ro(&p).unwrap();
    assert_eq!(read(&p, b"/mnt/f"), b"synced");
    p.unmount(b"/mnt", 0).unwrap();
    // Forced: it mounts, and stays unclean after (it was not clean when it became writable).
    p.mount("ffs", b"/mnt", MNT_FORCE, Some("/dev/ffs0"), &MountOptions { force: true, ..Default::default() }).unwrap();
    p.unmount(b"/mnt", 0).unwrap();
    assert!(!sb_of(dev.as_ref()).is_clean());
    // fsck -y marks it clean; then it mounts read-write again.
    let r = kernel::fs::ffs::fsck::fsck(
        &(dev.clone() as Dev),
        &kernel::fs::ffs::fsck::FsckOptions { repair: kernel::fs::ffs::fsck::Repair::Yes, ..Default::default() },
        &kernel::hyper::DeterministicHypervisor::default_for_tests(),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(r.exit_code, 0);
    assert!(sb_of(dev.as_ref()).is_clean());
    mount_rw(&p).unwrap();
    p.unmount(b"/mnt", 0).unwrap();
}

#[test]
fn every_sync_leaves_a_consistent_image() {
    // After sync(2) the image on the device is consistent as it stands (only not marked clean).
    let cfg = CFGS[3];
    let dev = fresh(cfg, 12 << 20);
    let (_k, p, _h) = boot(dev.clone() as Dev);
    mount_rw(&p).unwrap();
    for round in 0..4u64 {
        populate_round(&p, round);
        p.sync().unwrap();
        let copy: Dev = Arc::new(kernel::dev::MemDevice::new(dev.contents(), true));
        assert_fsck_clean(copy, &format!("after sync {round}"));
    }
    p.unmount(b"/mnt", 0).unwrap();
}

fn populate_round(p: &Proc, round: u64) {
    let d = format!("/mnt/r{round}");
    p.mkdir(d.as_bytes(), 0o755).unwrap();
    for i in 0..30 {
        write(p, format!("{d}/f{i}").as_bytes(), &bytes(round * 100 + i, (i as usize * 3777) % 70_000));
    }
    if round > 0 {
        let prev = format!("/mnt/r{}", round - 1);
        for i in (0..30).step_by(2) {
            p.unlink(format!("{prev}/f{i}").as_bytes()).unwrap();
        }
        p.rename(format!("{prev}/f1").as_bytes(), format!("{d}/moved").as_bytes()).unwrap();
        p.truncate(format!("{prev}/f3").as_bytes(), 10).unwrap();
    }
}

#[test]
fn removed_files_still_open() {
    let cfg = CFGS[2];
    let dev = fresh(cfg, 8 << 20);
    let (_k, p, _h) = boot(dev.clone() as Dev);
    mount_rw(&p).unwrap();
    write(&p, b"/mnt/a", &bytes(1, 100_000));
    let fd = p.open(b"/mnt/a", O_RDWR, 0).unwrap();
    p.unlink(b"/mnt/a").unwrap();
    // Still readable and writable through the descriptor; freed at the last close.
    p.pwrite(fd, b"more", 100_000).unwrap();
    let mut buf = vec![0u8; 4];
    p.pread(fd, &mut buf, 100_000).unwrap();
    assert_eq!(&buf, b"more");
    let free_before = p.statvfs(b"/mnt").unwrap().fs.bfree;
    p.close(fd).unwrap();
    assert!(p.statvfs(b"/mnt").unwrap().fs.bfree > free_before);
    // A forced unmount with a removed file still open frees it too.
    write(&p, b"/mnt/b", &bytes(2, 50_000));
    let fd = p.open(b"/mnt/b", O_RDONLY, 0).unwrap();
    p.unlink(b"/mnt/b").unwrap();
    p.unmount(b"/mnt", MNT_FORCE).unwrap();
    assert_fsck_clean(dev.clone() as Dev, "forced unmount");
    let _ = p.close(fd);
}

#[test]
fn bytes_past_end_of_file_read_as_zeros_when_exposed() {
    // An image from elsewhere may hold garbage past a file's end in its last fragment; a write past
    // the end, or a truncate up, must not expose it.
    let cfg = CFGS[2];
    let dev = fresh(cfg, 8 << 20);
    let (_k, p, _h) = boot(dev.clone() as Dev);
    mount_rw(&p).unwrap();
    write(&p, b"/mnt/w", &[1u8; 100]);
    write(&p, b"/mnt/t", &[2u8; 100]);
    let ino_w = p.stat(b"/mnt/w").unwrap().ino;
    let ino_t = p.stat(b"/mnt/t").unwrap().ino;
    p.unmount(b"/mnt", 0).unwrap();
    let sb = sb_of(dev.as_ref());
    for ino in [ino_w, ino_t] {
        let (fsba, idx) = sb.ino_to_fsba(ino);
        let isz = sb.ufs.dinode_size() as usize;
        let mut blk = vec![0u8; sb.bsize as usize];
        dev.read_at(sb.frag_to_bytes(fsba), &mut blk).unwrap();
        let d = kernel::fs::ffs::inode::Dinode::decode(&blk[idx * isz..(idx + 1) * isz], sb.order, sb.ufs, false);
        dev.write_at(sb.frag_to_bytes(d.db[0]) + 100, &[0xee; 400]).unwrap();
    }
    mount_rw(&p).unwrap();
    let fd = p.open(b"/mnt/w", O_WRONLY, 0).unwrap();
    p.pwrite(fd, b"end", 300).unwrap();
    p.close(fd).unwrap();
    p.truncate(b"/mnt/t", 450).unwrap();
    let w = read(&p, b"/mnt/w");
    assert!(w[100..300].iter().all(|&b| b == 0) && &w[300..] == b"end");
    let t = read(&p, b"/mnt/t");
    assert_eq!(t.len(), 450);
    assert!(t[100..].iter().all(|&b| b == 0));
    p.unmount(b"/mnt", 0).unwrap();
}

#[test]
fn reads_update_access_times_unless_noatime() {
    let dev = fresh(CFGS[2], 8 << 20);
    let (_k, p, _h) = boot(dev.clone() as Dev);
    mount_rw(&p).unwrap();
    write(&p, b"/mnt/f", b"data");
    p.utimes(b"/mnt/f", Some([Timespec::new(1000, 0), Timespec::new(2000, 0)])).unwrap();
    assert_eq!(p.stat(b"/mnt/f").unwrap().atime, Timespec::new(1000, 0));
    read(&p, b"/mnt/f");
    let after = p.stat(b"/mnt/f").unwrap();
    assert!(after.atime > Timespec::new(1000, 0));
    assert_eq!(after.mtime, Timespec::new(2000, 0));
    p.unmount(b"/mnt", 0).unwrap();
    mount_ro(&p).unwrap();
    assert_eq!(p.stat(b"/mnt/f").unwrap().atime, after.atime, "written at unmount");
    read(&p, b"/mnt/f");
    assert_eq!(p.stat(b"/mnt/f").unwrap().atime, after.atime, "a read-only mount changes nothing");
    p.unmount(b"/mnt", 0).unwrap();
    p.mount("ffs", b"/mnt", MNT_NOATIME, Some("/dev/ffs0"), &MountOptions::default()).unwrap();
    read(&p, b"/mnt/f");
    assert_eq!(p.stat(b"/mnt/f").unwrap().atime, after.atime, "noatime");
    p.unmount(b"/mnt", 0).unwrap();
}

/// A file's last block grows through fragments as ffs_realloccg grows it: in place while the fragments
/// after it are free (ffs_fragextend), moved to a new place when a neighbour holds them, and a full block
/// once it passes the last fragment size; the fragments left behind are free again (fsck agrees).
#[test]
fn fragments_extend_in_place_or_move() {
    let cfg = CFGS[2]; // 8192/1024: 8 fragments a block
    let f = cfg.fsize as usize;
    let dev = fresh(cfg, 8 << 20);
    let (_k, p, _h) = boot(dev.clone() as Dev);
    mount_rw(&p).unwrap();
    write(&p, b"/mnt/a", &bytes(1, f - 10));
    write(&p, b"/mnt/b", &bytes(2, f - 10));
    let (ia, ib) = (p.lstat(b"/mnt/a").unwrap().ino, p.lstat(b"/mnt/b").unwrap().ino);
    p.unmount(b"/mnt", 0).unwrap();
    let img = fixtures::Img::new(dev.contents());
    let (a0, b0) = (img.inode(ia).db[0], img.inode(ib).db[0]);
    assert_eq!(b0, a0 + 1, "precondition: b's fragment follows a's");
    let free0 = img.sb.cstotal.nffree + img.sb.cstotal.nbfree * img.sb.frag as i64;

    // a needs 2 fragments: the next one is b's, so a moves; b stays.
    mount_rw(&p).unwrap();
    let fd = p.open(b"/mnt/a", O_WRONLY | O_APPEND, 0).unwrap();
    p.write(fd, &bytes(3, 20)).unwrap();
    p.close(fd).unwrap();
    // b can grow in place: the fragments after it are free.
    let fd = p.open(b"/mnt/b", O_WRONLY | O_APPEND, 0).unwrap();
    p.write(fd, &bytes(4, 2 * f)).unwrap();
    p.close(fd).unwrap();
    p.unmount(b"/mnt", 0).unwrap();
    let img = fixtures::Img::new(dev.contents());
    let (a1, b1) = (img.inode(ia).db[0], img.inode(ib).db[0]);
    assert_ne!(a1, a0, "a was not moved though its neighbour holds the next fragment");
    assert_eq!(b1, b0, "b was moved though the fragments after it were free");
    let free1 = img.sb.cstotal.nffree + img.sb.cstotal.nbfree * img.sb.frag as i64;
    // a: 1 -> 2 fragments (its old one freed), b: 1 -> 3 fragments.
    assert_eq!(free0 - free1, 1 + 2, "free fragments {free0} -> {free1}");
    assert_fsck_clean(dev.clone() as Dev, "after growing through fragments");

    // Past the last fragment size: a full block (aligned), its fragments elsewhere freed.
    mount_rw(&p).unwrap();
    let fd = p.open(b"/mnt/a", O_WRONLY | O_APPEND, 0).unwrap();
    p.write(fd, &bytes(5, 7 * f)).unwrap();
    p.close(fd).unwrap();
    let mut want = bytes(1, f - 10);
    want.extend_from_slice(&bytes(3, 20));
    want.extend_from_slice(&bytes(5, 7 * f));
    assert!(read(&p, b"/mnt/a") == want, "a's contents after moves");
    p.unmount(b"/mnt", 0).unwrap();
    let img = fixtures::Img::new(dev.contents());
    let d = img.inode(ia);
    assert_eq!(d.db[0] % img.sb.frag as u64, 0, "a's first block is not block-aligned: {}", d.db[0]);
    assert_ne!(d.db[1], 0);
    assert_fsck_clean(dev.clone() as Dev, "after a full block");
}

/// chflags on FFS read-write: the flags are in the inode on disk (UFS1's di_flags, UFS2's), survive a
/// remount, and mean what they say (immutable: no write, unlink or chmod; append-only: appends only).
#[test]
fn file_flags_are_kept_on_disk_and_enforced() {
    for cfg in [CFGS[0], CFGS[1]] {
        let dev = fresh(cfg, 8 << 20);
        let (_k, p, _h) = boot(dev.clone() as Dev);
        mount_rw(&p).unwrap();
        write(&p, b"/mnt/imm", b"data");
        write(&p, b"/mnt/app", b"start");
        p.chflags(b"/mnt/imm", UF_NODUMP | UF_IMMUTABLE | SF_ARCHIVED).unwrap();
        p.chflags(b"/mnt/app", UF_APPEND).unwrap();
        let ino = p.lstat(b"/mnt/imm").unwrap().ino;
        p.unmount(b"/mnt", 0).unwrap();
        let img = fixtures::Img::new(dev.contents());
        assert_eq!(img.inode(ino).flags, UF_NODUMP | UF_IMMUTABLE | SF_ARCHIVED, "ufs{}: di_flags", cfg.ufs);
        mount_rw(&p).unwrap();
        assert_eq!(p.stat(b"/mnt/imm").unwrap().flags, UF_NODUMP | UF_IMMUTABLE | SF_ARCHIVED);
        assert_eq!(fixtures::err(p.open(b"/mnt/imm", O_WRONLY, 0)), Errno::EPERM);
        assert_eq!(fixtures::err(p.unlink(b"/mnt/imm")), Errno::EPERM);
        assert_eq!(fixtures::err(p.chmod(b"/mnt/imm", 0o777)), Errno::EPERM);
        assert_eq!(fixtures::err(p.truncate(b"/mnt/imm", 0)), Errno::EPERM);
        assert_eq!(fixtures::err(p.open(b"/mnt/app", O_WRONLY | O_TRUNC, 0)), Errno::EPERM);
        let fd = p.open(b"/mnt/app", O_WRONLY | O_APPEND, 0).unwrap();
        p.write(fd, b"+more").unwrap();
        p.close(fd).unwrap();
        assert_eq!(read(&p, b"/mnt/app"), b"start+more");
        p.chflags(b"/mnt/imm", 0).unwrap();
        p.unlink(b"/mnt/imm").unwrap();
        p.unmount(b"/mnt", 0).unwrap();
        assert_fsck_clean(dev.clone() as Dev, &format!("ufs{} flags", cfg.ufs));
    }
}

#[test]
fn big_directory_without_linear_scans() {
    let dev =
        fresh_with(&kernel::fs::ffs::newfs::NewfsOptions { ufs: 2, density: 1024, ..Default::default() }, 48 << 20);
    let (_k, p, _h) = boot(dev.clone() as Dev);
    mount_rw(&p).unwrap();
    p.mkdir(b"/mnt/d", 0o755).unwrap();
    let n = 20_000;
    let t = Instant::now();
    for i in 0..n {
        let fd = p.open(format!("/mnt/d/f{i}").as_bytes(), O_WRONLY | O_CREAT | O_EXCL, 0o644).unwrap();
        p.close(fd).unwrap();
    }
    for i in (0..n).step_by(7) {
        assert_eq!(p.stat(format!("/mnt/d/f{i}").as_bytes()).unwrap().size, 0);
    }
    for i in (0..n).step_by(2) {
        p.unlink(format!("/mnt/d/f{i}").as_bytes()).unwrap();
    }
    let elapsed = t.elapsed();
    assert_eq!(p.readdir_path(b"/mnt/d").unwrap().len(), n / 2 + 2);
    p.unmount(b"/mnt", 0).unwrap();
    assert_fsck_clean(dev.clone() as Dev, "big directory");
    mount_ro(&p).unwrap();
    assert!(p.stat(b"/mnt/d/f1").is_ok() && p.stat(b"/mnt/d/f2").is_err());
    p.unmount(b"/mnt", 0).unwrap();
    // Linear scans would make this quadratic (hundreds of millions of entry visits).
    assert!(elapsed.as_secs() < 60, "20,000 names took {elapsed:?}");
}
