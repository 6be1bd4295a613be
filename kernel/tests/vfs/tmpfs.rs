//! tmpfs beyond the shared conformance tests: NetBSD tests/fs/tmpfs (t_times, t_sizes, t_statvfs,
//! t_mount, t_readdir, t_devices, t_pipes), size and inode limits, sparse files, file flags.

use crate::common::*;
use kernel::vfs::*;
use kernel::{Errno, Kernel};
use std::sync::Arc;

fn opts(kv: &[(&str, &str)]) -> MountOptions {
    MountOptions { opts: kv.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(), ..Default::default() }
}

/// A kernel with a tmpfs mounted at /mnt with the given options; the process's cwd is /mnt.
fn tmpfs(kv: &[(&str, &str)]) -> (Arc<Kernel>, Proc) {
    let (k, p) = boot();
    p.mount("tmpfs", b"/mnt", 0, None, &opts(kv)).unwrap();
    p.chdir(b"/mnt").unwrap();
    (k, p)
}

fn cat(p: &Proc, path: &[u8]) {
    let fd = p.open(path, O_RDONLY, 0).unwrap();
    let mut buf = [0u8; 100];
    while p.read(fd, &mut buf).unwrap() > 0 {}
    p.close(fd).unwrap();
}

#[test]
fn t_times_empty() {
    let (_k, p) = tmpfs(&[]);
    write_file(&p, b"a", b"");
    let o = p.stat(b"a").unwrap();
    assert_eq!(o.birthtime, o.atime);
    assert_eq!(o.birthtime, o.ctime);
    assert_eq!(o.birthtime, o.mtime);
    cat(&p, b"a");
    let s = p.stat(b"a").unwrap();
    assert!(s.atime > o.atime);
    assert_eq!(s.ctime, o.ctime);
    assert_eq!(s.mtime, o.mtime);
    let fd = p.open(b"a", O_WRONLY | O_TRUNC, 0).unwrap();
    p.write(fd, b"foo\n").unwrap();
    p.close(fd).unwrap();
    let s2 = p.stat(b"a").unwrap();
    assert!(s2.ctime > o.ctime && s2.mtime > o.mtime);
    assert_eq!(s2.atime, s.atime, "writing does not read");
    assert_eq!(s2.birthtime, o.birthtime);
}

#[test]
fn t_times_non_empty() {
    let (_k, p) = tmpfs(&[]);
    write_file(&p, b"b", b"foo\n");
    let o = p.stat(b"b").unwrap();
    cat(&p, b"b");
    let s = p.stat(b"b").unwrap();
    assert!(s.atime > o.atime);
    assert_eq!(s.ctime, o.ctime);
    assert_eq!(s.mtime, o.mtime);
    // Reading nothing does not touch atime (tmpfs_read returns before tmpfs_update).
    let fd = p.open(b"b", O_RDONLY, 0).unwrap();
    p.read(fd, &mut []).unwrap();
    p.close(fd).unwrap();
    assert_eq!(p.stat(b"b").unwrap().atime, s.atime);
}

#[test]
fn t_times_link() {
    let (_k, p) = tmpfs(&[]);
    write_file(&p, b"c", b"foo\n");
    let o = p.stat(b"c").unwrap();
    let od = p.stat(b".").unwrap();
    p.link(b"c", b"d").unwrap();
    let s = p.stat(b"c").unwrap();
    assert_eq!(s.atime, o.atime);
    assert!(s.ctime > o.ctime);
    assert_eq!(s.mtime, o.mtime);
    let d = p.stat(b".").unwrap();
    assert!(d.mtime > od.mtime && d.ctime > od.ctime);
}

#[test]
fn t_times_rename() {
    let (_k, p) = tmpfs(&[]);
    p.mkdir(b"e", 0o755).unwrap();
    write_file(&p, b"e/a", b"foo\n");
    let dost = p.stat(b"e").unwrap();
    let o = p.stat(b"e/a").unwrap();
    p.rename(b"e/a", b"e/b").unwrap();
    let dst = p.stat(b"e").unwrap();
    let s = p.stat(b"e/b").unwrap();
    assert_eq!(s.atime, o.atime);
    assert!(s.ctime > o.ctime);
    assert_eq!(s.mtime, o.mtime);
    assert!(dst.mtime > dost.mtime);
}

#[test]
fn t_times_remove_and_attrs() {
    let (_k, p) = tmpfs(&[]);
    write_file(&p, b"f", b"x");
    p.link(b"f", b"g").unwrap();
    let o = p.stat(b"f").unwrap();
    let od = p.stat(b".").unwrap();
    p.unlink(b"g").unwrap();
    let s = p.stat(b"f").unwrap();
    assert!(s.ctime > o.ctime, "removing a hard link marks ctime");
    assert_eq!(s.mtime, o.mtime);
    assert!(p.stat(b".").unwrap().mtime > od.mtime);
    // Attribute changes mark ctime only; truncating to the same size changes nothing at all
    // (tmpfs_chsize); a real size change marks mtime and ctime.
    for f in [|p: &Proc| p.chmod(b"f", 0o600), |p: &Proc| p.chown(b"f", 5, 5), |p: &Proc| p.chflags(b"f", UF_NODUMP)] {
        let before = p.stat(b"f").unwrap();
        f(&p).unwrap();
        let after = p.stat(b"f").unwrap();
        assert!(after.ctime > before.ctime);
        assert_eq!(after.mtime, before.mtime);
    }
    let before = p.stat(b"f").unwrap();
    p.truncate(b"f", 1).unwrap();
    assert_eq!(p.stat(b"f").unwrap(), before);
    p.truncate(b"f", 100).unwrap();
    let after = p.stat(b"f").unwrap();
    assert!(after.mtime > before.mtime && after.ctime > before.ctime);
    // readdir and readlink mark atime.
    let od = p.stat(b".").unwrap();
    p.readdir_path(b".").unwrap();
    assert!(p.stat(b".").unwrap().atime > od.atime);
    p.symlink(b"f", b"l").unwrap();
    let ol = p.lstat(b"l").unwrap();
    p.readlink(b"l").unwrap();
    assert!(p.lstat(b"l").unwrap().atime > ol.atime);
}

#[test]
fn t_sizes_size_limit() {
    let (_k, p) = tmpfs(&[("size", "1m")]);
    let sv = p.statvfs(b".").unwrap();
    assert_eq!(sv.fs.blocks * sv.fs.frsize, 1 << 20);
    assert_eq!(sv.fs.bfree, sv.fs.blocks);
    let fd = p.open(b"big", O_RDWR | O_CREAT, 0o644).unwrap();
    let chunk = vec![1u8; 64 * 1024];
    let mut total = 0;
    let err = loop {
        match p.write(fd, &chunk) {
            Ok(n) => total += n,
            Err(e) => break e,
        }
    };
    assert_eq!(err, Errno::ENOSPC);
    assert_eq!(total, 1 << 20, "every page is usable");
    assert_eq!(p.statvfs(b".").unwrap().fs.bfree, 0);
    // A failed write lands nothing.
    assert_eq!(p.fstat(fd).unwrap().size, 1 << 20);
    expect_err(p.pwrite(fd, b"x", 5 << 20), Errno::ENOSPC);
    assert_eq!(p.fstat(fd).unwrap().size, 1 << 20);
    // Rewriting pages already held needs no new space.
    p.pwrite(fd, &chunk, 0).unwrap();
    // Symbolic links take space too.
    expect_err(p.symlink(&[b'a'; 1000], b"l"), Errno::ENOSPC);
    // Shrinking frees pages.
    p.ftruncate(fd, 4096).unwrap();
    assert_eq!(p.statvfs(b".").unwrap().fs.bfree, sv.fs.blocks - 1);
    p.close(fd).unwrap();
    p.unlink(b"big").unwrap();
    assert_eq!(p.statvfs(b".").unwrap().fs.bfree, sv.fs.blocks);
    // An unlinked file keeps its pages until its last close.
    let fd = p.open(b"held", O_RDWR | O_CREAT, 0o644).unwrap();
    p.write(fd, &chunk).unwrap();
    p.unlink(b"held").unwrap();
    assert_eq!(p.statvfs(b".").unwrap().fs.bfree, sv.fs.blocks - 16);
    p.close(fd).unwrap();
    assert_eq!(p.statvfs(b".").unwrap().fs.bfree, sv.fs.blocks);
}

#[test]
fn t_sizes_sparse_files() {
    let (_k, p) = tmpfs(&[("size", "1m")]);
    let fd = p.open(b"sparse", O_RDWR | O_CREAT, 0o644).unwrap();
    // Growing by truncate costs nothing, even far past the size limit.
    p.ftruncate(fd, 1 << 40).unwrap();
    let st = p.fstat(fd).unwrap();
    assert_eq!(st.size, 1 << 40);
    assert_eq!(st.blocks, 0);
    assert_eq!(p.statvfs(b".").unwrap().fs.bfree, 256);
    // One byte in the middle costs one page; holes read as zeros.
    p.pwrite(fd, b"z", 1 << 30).unwrap();
    assert_eq!(p.fstat(fd).unwrap().blocks, 8);
    assert_eq!(p.statvfs(b".").unwrap().fs.bfree, 255);
    let mut buf = [9u8; 3];
    p.pread(fd, &mut buf, (1 << 30) - 1).unwrap();
    assert_eq!(buf, [0, b'z', 0]);
    let mut buf = vec![9u8; 8192];
    assert_eq!(p.pread(fd, &mut buf, 12345).unwrap(), 8192);
    assert!(buf.iter().all(|&b| b == 0));
    // Reading at the end gives 0; lseek past the end and writing makes a hole.
    assert_eq!(p.pread(fd, &mut buf, 1 << 40).unwrap(), 0);
    p.close(fd).unwrap();
    let fd = p.open(b"hole", O_RDWR | O_CREAT, 0o644).unwrap();
    p.lseek(fd, 100_000, SEEK_SET).unwrap();
    p.write(fd, b"end").unwrap();
    assert_eq!(p.fstat(fd).unwrap().size, 100_003);
    assert_eq!(p.fstat(fd).unwrap().blocks, 8);
    p.close(fd).unwrap();
    let data = read_file(&p, b"hole");
    assert!(data[..100_000].iter().all(|&b| b == 0));
    // Past the largest offset: EFBIG (EINVAL for a negative one).
    let fd = p.open(b"hole", O_RDWR, 0).unwrap();
    expect_err(p.pwrite(fd, b"x", i64::MAX), Errno::EFBIG);
    expect_err(p.pwrite(fd, b"x", -1), Errno::EINVAL);
    expect_err(p.ftruncate(fd, -1), Errno::EINVAL);
    p.close(fd).unwrap();
}

#[test]
fn t_sizes_inode_limit() {
    let (_k, p) = tmpfs(&[("inodes", "10")]);
    let sv = p.statvfs(b".").unwrap();
    assert_eq!(sv.fs.files, 10);
    assert_eq!(sv.fs.ffree, 9, "the root directory is one");
    for i in 0..9 {
        write_file(&p, format!("f{i}").as_bytes(), b"");
    }
    assert_eq!(p.statvfs(b".").unwrap().fs.ffree, 0);
    expect_err(p.open(b"one-more", O_CREAT | O_RDWR, 0o644), Errno::ENOSPC);
    expect_err(p.mkdir(b"d", 0o755), Errno::ENOSPC);
    expect_err(p.symlink(b"x", b"l"), Errno::ENOSPC);
    expect_err(p.mkfifo(b"p", 0o644), Errno::ENOSPC);
    // Hard links are names, not nodes.
    p.link(b"f0", b"f0-again").unwrap();
    p.unlink(b"f0").unwrap();
    p.unlink(b"f0-again").unwrap();
    p.mkdir(b"d", 0o755).unwrap();
}

#[test]
fn t_mount_options() {
    let (_k, p) = boot();
    p.mkdir(b"/t", 0o755).unwrap();
    p.mount("tmpfs", b"/t", 0, None, &opts(&[("mode", "750"), ("uid", "7"), ("gid", "8")])).unwrap();
    let st = p.stat(b"/t").unwrap();
    assert_eq!(st.mode, S_IFDIR | 0o750);
    assert_eq!((st.uid, st.gid), (7, 8));
    assert_eq!(st.nlink, 2);
    p.unmount(b"/t", 0).unwrap();
    // Default root: 01777 owned by root, like /tmp.
    p.mount("tmpfs", b"/t", 0, None, &MountOptions::default()).unwrap();
    assert_eq!(p.stat(b"/t").unwrap().mode, S_IFDIR | 0o1777);
    p.unmount(b"/t", 0).unwrap();
    for bad in [("size", "lots"), ("inodes", "-1"), ("inodes", "2"), ("mode", "999"), ("uid", "x")] {
        expect_err(p.mount("tmpfs", b"/t", 0, None, &opts(&[bad])), Errno::EINVAL);
    }
    // A mount that failed leaves a line in the message buffer and the directory unchanged.
    assert!(p.kernel().state.msgbuf().contains("mount tmpfs tmpfs on /t failed"));
    assert_eq!(p.stat(b"/t").unwrap().dev, p.stat(b"/").unwrap().dev);
}

#[test]
fn t_readdir_cookies() {
    let (_k, p) = tmpfs(&[]);
    for i in 0..100 {
        write_file(&p, format!("e{i:03}").as_bytes(), b"");
    }
    p.mkdir(b"sub", 0o755).unwrap();
    let all = p.readdir_path(b".").unwrap();
    assert_eq!(all.len(), 103);
    assert_eq!(all[0].name, b".");
    assert_eq!(all[1].name, b"..");
    assert_eq!(all[0].ino, p.stat(b".").unwrap().ino);
    assert_eq!(all[1].ino, p.stat(b"..").unwrap().ino);
    let sub = all.iter().find(|e| e.name == b"sub").unwrap();
    assert_eq!(sub.dtype, DT_DIR);
    assert_eq!(all.iter().find(|e| e.name == b"e000").unwrap().dtype, DT_REG);
    // Read in small chunks while removing entries not yet read and adding new ones: every entry that
    // stays is seen exactly once.
    let fd = p.open(b".", O_RDONLY | O_DIRECTORY, 0).unwrap();
    let mut seen = Vec::new();
    let mut round = 0;
    loop {
        let chunk = p.readdir(fd, 7).unwrap();
        if chunk.is_empty() {
            break;
        }
        seen.extend(chunk.into_iter().map(|e| e.name));
        if round < 5 {
            p.unlink(format!("e{:03}", 99 - round).as_bytes()).unwrap();
            write_file(&p, format!("new{round}").as_bytes(), b"");
        }
        round += 1;
    }
    p.close(fd).unwrap();
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), seen.len(), "no entry twice");
    for i in 0..95 {
        assert!(seen.contains(&format!("e{i:03}").into_bytes()), "e{i:03} missed");
    }
    for i in 95..100 {
        assert!(!seen.contains(&format!("e{i:03}").into_bytes()), "removed e{i:03} seen");
    }
    // getdents: NetBSD's struct dirent records, resumable with a small buffer (EINVAL if too small
    // for even one entry).
    let fd = p.open(b".", O_RDONLY | O_DIRECTORY, 0).unwrap();
    let mut buf = [0u8; 8];
    expect_err(p.getdents(fd, &mut buf), Errno::EINVAL);
    let mut buf = [0u8; 64];
    let mut names = Vec::new();
    loop {
        let n = p.getdents(fd, &mut buf).unwrap();
        if n == 0 {
            break;
        }
        let mut off = 0;
        while off < n {
            let reclen = u16::from_ne_bytes([buf[off + 8], buf[off + 9]]) as usize;
            let namlen = u16::from_ne_bytes([buf[off + 10], buf[off + 11]]) as usize;
            names.push(buf[off + 13..off + 13 + namlen].to_vec());
            assert_eq!(buf[off + 13 + namlen], 0);
            assert_eq!(reclen % 8, 0);
            off += reclen;
        }
    }
    assert_eq!(names.len(), p.readdir_path(b".").unwrap().len());
    p.close(fd).unwrap();
    // A removed directory reads as empty; ".." of it is gone.
    p.mkdir(b"gone", 0o755).unwrap();
    let fd = p.open(b"gone", O_RDONLY | O_DIRECTORY, 0).unwrap();
    p.rmdir(b"gone").unwrap();
    assert!(p.readdir(fd, 100).unwrap().is_empty());
    p.fchdir(fd).unwrap();
    expect_err(p.stat(b".."), Errno::ENOENT);
    p.chdir(b"/").unwrap();
    p.close(fd).unwrap();
}

#[test]
fn t_devices_and_pipes() {
    let (k, p) = tmpfs(&[]);
    p.mknod(b"null", S_IFCHR | 0o666, makedev(CHR_MAJOR_MEM, CHR_MINOR_NULL)).unwrap();
    p.mknod(b"blk", S_IFBLK | 0o600, makedev(BLK_MAJOR_ETFS, 99)).unwrap();
    let st = p.stat(b"null").unwrap();
    assert_eq!(st.mode & S_IFMT, S_IFCHR);
    assert_eq!(st.rdev, makedev(CHR_MAJOR_MEM, CHR_MINOR_NULL));
    assert_eq!(major(st.rdev), CHR_MAJOR_MEM);
    assert_eq!(minor(st.rdev), CHR_MINOR_NULL);
    let fd = p.open(b"null", O_RDWR, 0).unwrap();
    assert_eq!(p.write(fd, b"gone").unwrap(), 4);
    assert_eq!(p.read(fd, &mut [0u8; 4]).unwrap(), 0);
    p.close(fd).unwrap();
    // A device number nothing answers to.
    expect_err(p.open(b"blk", O_RDONLY, 0), Errno::ENXIO);
    // /dev/zero of the root file system.
    let fd = p.open(b"/dev/zero", O_RDONLY, 0).unwrap();
    let mut buf = [1u8; 16];
    assert_eq!(p.read(fd, &mut buf).unwrap(), 16);
    assert_eq!(buf, [0u8; 16]);
    p.close(fd).unwrap();
    // Fifos: a non-blocking reader opens at once; a non-blocking writer without reader is ENXIO.
    p.mkfifo(b"fifo", 0o644).unwrap();
    assert_eq!(p.stat(b"fifo").unwrap().mode & S_IFMT, S_IFIFO);
    expect_err(p.open(b"fifo", O_WRONLY | O_NONBLOCK, 0), Errno::ENXIO);
    let r = p.open(b"fifo", O_RDONLY | O_NONBLOCK, 0).unwrap();
    assert_eq!(p.read(r, &mut buf).unwrap(), 0, "no writer: end of file");
    let w = p.open(b"fifo", O_WRONLY, 0).unwrap();
    expect_err(p.read(r, &mut buf), Errno::EAGAIN);
    assert_eq!(p.write(w, b"through").unwrap(), 7);
    assert_eq!(p.read(r, &mut buf).unwrap(), 7);
    assert_eq!(&buf[..7], b"through");
    expect_err(p.lseek(r, 0, SEEK_SET), Errno::ESPIPE);
    p.close(w).unwrap();
    assert_eq!(p.read(r, &mut buf).unwrap(), 0, "end of file once the writer is gone");
    p.close(r).unwrap();
    // A blocking open waits for the other side, across threads.
    let p2 = p.fork();
    let t = std::thread::spawn(move || {
        let w = p2.open(b"/mnt/fifo", O_WRONLY, 0).unwrap();
        p2.write(w, b"hello").unwrap();
        p2.close(w).unwrap();
    });
    let r = p.open(b"fifo", O_RDONLY, 0).unwrap();
    let mut got = Vec::new();
    loop {
        let n = p.read(r, &mut buf).unwrap();
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    t.join().unwrap();
    assert_eq!(got, b"hello");
    p.close(r).unwrap();
    // A write with no reader left is EPIPE.
    let r = p.open(b"fifo", O_RDONLY | O_NONBLOCK, 0).unwrap();
    let w = p.open(b"fifo", O_WRONLY | O_NONBLOCK, 0).unwrap();
    p.close(r).unwrap();
    expect_err(p.write(w, b"x"), Errno::EPIPE);
    p.close(w).unwrap();
    drop(k);
}

#[test]
fn t_flags_immutable_and_append() {
    let (_k, p) = tmpfs(&[]);
    write_file(&p, b"imm", b"data");
    p.chflags(b"imm", UF_IMMUTABLE).unwrap();
    assert_eq!(p.stat(b"imm").unwrap().flags, UF_IMMUTABLE);
    expect_err(p.open(b"imm", O_WRONLY, 0), Errno::EPERM);
    expect_err(p.unlink(b"imm"), Errno::EPERM);
    expect_err(p.rename(b"imm", b"other"), Errno::EPERM);
    expect_err(p.link(b"imm", b"other"), Errno::EPERM);
    expect_err(p.chmod(b"imm", 0o777), Errno::EPERM);
    expect_err(p.chown(b"imm", 1, 1), Errno::EPERM);
    expect_err(p.truncate(b"imm", 0), Errno::EPERM);
    expect_err(p.utimes(b"imm", None), Errno::EPERM);
    assert_eq!(read_file(&p, b"imm"), b"data");
    p.chflags(b"imm", 0).unwrap();
    p.unlink(b"imm").unwrap();

    write_file(&p, b"app", b"start");
    p.chflags(b"app", UF_APPEND).unwrap();
    expect_err(p.open(b"app", O_WRONLY, 0), Errno::EPERM);
    expect_err(p.open(b"app", O_WRONLY | O_APPEND | O_TRUNC, 0), Errno::EPERM);
    let fd = p.open(b"app", O_WRONLY | O_APPEND, 0).unwrap();
    p.write(fd, b"+more").unwrap();
    p.pwrite(fd, b"!", 0).unwrap();
    p.close(fd).unwrap();
    assert_eq!(read_file(&p, b"app"), b"start+more!");
    expect_err(p.unlink(b"app"), Errno::EPERM);
    expect_err(p.truncate(b"app", 0), Errno::EPERM);
    p.chflags(b"app", 0).unwrap();
    p.unlink(b"app").unwrap();

    // An append-only directory takes new names but gives none up; an immutable one neither.
    p.mkdir(b"adir", 0o755).unwrap();
    p.chflags(b"adir", UF_APPEND).unwrap();
    write_file(&p, b"adir/f", b"");
    expect_err(p.unlink(b"adir/f"), Errno::EPERM);
    expect_err(p.rename(b"adir/f", b"g"), Errno::EPERM);
    p.chflags(b"adir", UF_IMMUTABLE).unwrap();
    expect_err(p.open(b"adir/new", O_CREAT | O_RDWR, 0o644), Errno::EPERM);
    expect_err(p.mkdir(b"adir/d", 0o755), Errno::EPERM);
    expect_err(p.rmdir(b"adir"), Errno::EPERM);
    p.chflags(b"adir", 0).unwrap();
    p.unlink(b"adir/f").unwrap();
    p.rmdir(b"adir").unwrap();
}

#[test]
fn t_flags_who_may_change_them() {
    let (_k, p) = tmpfs(&[]);
    write_file(&p, b"f", b"");
    p.chown(b"f", 100, 100).unwrap();
    let owner = p.fork();
    owner.setcred(Cred { uid: 100, gid: 100, groups: vec![] }).unwrap();
    let other = p.fork();
    other.setcred(Cred { uid: 101, gid: 100, groups: vec![] }).unwrap();
    owner.chflags(b"f", UF_NODUMP).unwrap();
    expect_err(other.chflags(b"f", 0), Errno::EPERM);
    expect_err(owner.chflags(b"f", SF_IMMUTABLE), Errno::EPERM);
    p.chflags(b"f", SF_ARCHIVED | UF_NODUMP).unwrap();
    // The owner changes user flags; the system flags stay (tmpfs_chflags keeps SF_* when not
    // changing them).
    owner.chflags(b"f", SF_ARCHIVED | UF_OPAQUE).unwrap();
    assert_eq!(p.stat(b"f").unwrap().flags, SF_ARCHIVED | UF_OPAQUE);
    expect_err(owner.chflags(b"f", UF_OPAQUE), Errno::EPERM);
    // Root sets and clears system flags; SF_IMMUTABLE stops even root.
    p.chflags(b"f", SF_IMMUTABLE).unwrap();
    expect_err(p.unlink(b"f"), Errno::EPERM);
    expect_err(p.open(b"f", O_RDWR, 0), Errno::EPERM);
    p.chflags(b"f", 0).unwrap();
    p.unlink(b"f").unwrap();
}

#[test]
fn t_rootfs_is_rumpfs() {
    let (_k, p) = boot();
    let sv = p.statvfs(b"/").unwrap();
    assert_eq!(sv.fstypename, "rumpfs");
    assert_eq!(sv.mntonname, "/");
    assert!(sv.flag & MNT_ROOTFS != 0);
    assert_eq!(p.stat(b"/").unwrap().mode, S_IFDIR | 0o755);
    let dev = list_dir(&p, b"/dev");
    for n in ["null", "random", "urandom", "zero"] {
        assert!(dev.contains(&n.as_bytes().to_vec()), "/dev/{n}");
    }
    // The root cannot be unmounted, removed or renamed; ".." of "/" is "/".
    expect_err(p.unmount(b"/", 0), Errno::EINVAL);
    expect_err(p.rmdir(b"/"), Errno::EBUSY);
    expect_err(p.rename(b"/", b"/x"), Errno::EBUSY);
    assert_eq!(p.stat(b"/..").unwrap().ino, p.stat(b"/").unwrap().ino);
}

#[test]
fn t_times_noatime() {
    let (_k, p) = boot();
    p.mount("tmpfs", b"/mnt", MNT_NOATIME, None, &MountOptions::default()).unwrap();
    assert!(p.statvfs(b"/mnt").unwrap().flag & MNT_NOATIME != 0);
    write_file(&p, b"/mnt/f", b"data");
    p.symlink(b"f", b"/mnt/l").unwrap();
    let (f, d, l) = (p.stat(b"/mnt/f").unwrap(), p.stat(b"/mnt").unwrap(), p.lstat(b"/mnt/l").unwrap());
    cat(&p, b"/mnt/f");
    p.readdir_path(b"/mnt").unwrap();
    p.readlink(b"/mnt/l").unwrap();
    assert_eq!(p.stat(b"/mnt/f").unwrap().atime, f.atime);
    assert_eq!(p.stat(b"/mnt").unwrap().atime, d.atime);
    assert_eq!(p.lstat(b"/mnt/l").unwrap().atime, l.atime);
    // Writes still mark mtime.
    write_file(&p, b"/mnt/f", b"more");
    assert!(p.stat(b"/mnt/f").unwrap().mtime > f.mtime);
}
