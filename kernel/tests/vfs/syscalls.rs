//! The descriptor and path syscalls the conformance suites touch only in passing: namei across
//! mounts, symbolic-link limits, open flags, dup/dup2/fcntl, cwd and chroot, umask, credentials,
//! uname/sysctl, and the block and character devices behind /dev nodes.

use crate::common::*;
use kernel::dev::{BlockDevice, FileDevice, MemDevice, SliceDevice};
use kernel::vfs::*;
use kernel::Errno;
use std::sync::Arc;

#[test]
fn namei_crosses_mounts_both_ways() {
    let (_k, p) = boot();
    p.mount("tmpfs", b"/mnt", 0, None, &MountOptions::default()).unwrap();
    p.mkdir(b"/mnt/inner", 0o755).unwrap();
    p.mount("tmpfs", b"/mnt/inner", 0, None, &MountOptions::default()).unwrap();
    write_file(&p, b"/mnt/inner/f", b"deep");
    let id = |path: &[u8]| {
        let st = p.stat(path).unwrap();
        (st.dev, st.ino)
    };
    let (root, mnt, inner) = (id(b"/"), id(b"/mnt"), id(b"/mnt/inner"));
    assert!(root.0 != mnt.0 && mnt.0 != inner.0);
    // Down through two mounts, up through both with "..", and the mount roots' ".." leave them.
    assert_eq!(read_file(&p, b"/mnt/inner/../inner/./f"), b"deep");
    assert_eq!(id(b"/mnt/inner/.."), mnt);
    assert_eq!(id(b"/mnt/inner/../.."), root);
    assert_eq!(id(b"/mnt/inner/../../mnt/inner"), inner);
    assert_eq!(id(b"/../../.."), root);
    p.chdir(b"/mnt/inner").unwrap();
    assert_eq!(p.getcwd().unwrap(), b"/mnt/inner");
    assert_eq!(id(b"../.."), root);
    assert_eq!(p.realpath(b"f").unwrap(), b"/mnt/inner/f");
    assert_eq!(p.realpath(b"../inner/./").unwrap(), b"/mnt/inner");
    // The mount points are busy: not removable, not renamable, not unmountable from beneath.
    expect_err(p.rmdir(b"/mnt/inner"), Errno::EBUSY);
    expect_err(p.rename(b"/mnt/inner", b"/mnt/other"), Errno::EBUSY);
    expect_err(p.unmount(b"/mnt", 0), Errno::EBUSY);
    // Cross-device links and renames are EXDEV.
    expect_err(p.link(b"/mnt/inner/f", b"/mnt/f"), Errno::EXDEV);
    expect_err(p.rename(b"/mnt/inner/f", b"/mnt/f"), Errno::EXDEV);
    p.chdir(b"/").unwrap();
    p.unmount(b"/mnt/inner", 0).unwrap();
    p.unmount(b"/mnt", 0).unwrap();
}

#[test]
fn symlink_limits_and_following() {
    let (_k, p) = boot();
    p.mount("tmpfs", b"/mnt", 0, None, &MountOptions::default()).unwrap();
    p.chdir(b"/mnt").unwrap();
    write_file(&p, b"target", b"end");
    // A chain of MAXSYMLINKS links resolves; one more is ELOOP.
    let mut prev = b"target".to_vec();
    for i in 0..=MAXSYMLINKS {
        let name = format!("l{i}").into_bytes();
        p.symlink(&prev, &name).unwrap();
        prev = name;
    }
    assert_eq!(read_file(&p, format!("l{}", MAXSYMLINKS - 1).as_bytes()), b"end");
    expect_err(p.open(format!("l{MAXSYMLINKS}").as_bytes(), O_RDONLY, 0), Errno::ELOOP);
    // lstat, readlink, unlink, rename act on the link; stat, open, chmod follow it.
    assert_eq!(p.lstat(b"l0").unwrap().mode & S_IFMT, S_IFLNK);
    assert_eq!(p.stat(b"l0").unwrap().mode & S_IFMT, S_IFREG);
    // O_NOFOLLOW on a final link is EFTYPE (NetBSD), as is opening a link at all.
    expect_err(p.open(b"l0", O_RDONLY | O_NOFOLLOW, 0), Errno::EFTYPE);
    let fd = p.open(b"target", O_RDONLY | O_NOFOLLOW, 0).unwrap();
    p.close(fd).unwrap();
    // Relative and absolute targets, and links to directories in the middle of a path.
    p.mkdir(b"d", 0o755).unwrap();
    write_file(&p, b"d/f", b"in d");
    p.symlink(b"d", b"rel").unwrap();
    p.symlink(b"/mnt/d", b"abs").unwrap();
    p.symlink(b"../d", b"d/up").unwrap();
    assert_eq!(read_file(&p, b"rel/f"), b"in d");
    assert_eq!(read_file(&p, b"abs/f"), b"in d");
    assert_eq!(read_file(&p, b"d/up/f"), b"in d");
    assert_eq!(p.stat(b"rel/").unwrap().ino, p.stat(b"d").unwrap().ino);
    // A trailing slash follows a final link (to a directory), and refuses one to a file.
    expect_err(p.stat(b"l0/"), Errno::ENOTDIR);
    // lchmod and lutimes change the link itself.
    p.lchmod(b"rel", 0o700).unwrap();
    assert_eq!(p.lstat(b"rel").unwrap().mode & 0o777, 0o700);
    assert_eq!(p.stat(b"rel").unwrap().mode & 0o777, 0o755);
    let t = Timespec::new(1234, 5678);
    p.lutimes(b"rel", Some([t, t])).unwrap();
    assert_eq!(p.lstat(b"rel").unwrap().mtime, t);
    assert_ne!(p.stat(b"rel").unwrap().mtime, t);
    // link() follows a final symlink (NetBSD's link is linkat with AT_SYMLINK_FOLLOW); linkat
    // without the flag links the symlink itself.
    p.link(b"l0", b"hard").unwrap();
    assert_eq!(p.lstat(b"hard").unwrap().ino, p.stat(b"target").unwrap().ino);
    p.linkat(AT_FDCWD, b"l0", AT_FDCWD, b"hardlink-to-link", 0).unwrap();
    assert_eq!(p.lstat(b"hardlink-to-link").unwrap().ino, p.lstat(b"l0").unwrap().ino);
    p.chdir(b"/").unwrap();
}

#[test]
fn open_flags() {
    let (_k, p) = boot();
    p.mount("tmpfs", b"/mnt", 0, None, &MountOptions::default()).unwrap();
    p.chdir(b"/mnt").unwrap();
    write_file(&p, b"f", b"0123456789");
    p.mkdir(b"d", 0o755).unwrap();
    // O_DIRECTORY, O_REGULAR; writing a directory.
    expect_err(p.open(b"f", O_RDONLY | O_DIRECTORY, 0), Errno::ENOTDIR);
    expect_err(p.open(b"d", O_RDONLY | O_REGULAR, 0), Errno::EFTYPE);
    expect_err(p.open(b"d", O_WRONLY, 0), Errno::EISDIR);
    expect_err(p.open(b"d", O_RDWR, 0), Errno::EISDIR);
    expect_err(p.open(b"d", O_RDONLY | O_TRUNC, 0), Errno::EISDIR);
    expect_err(p.open(b"d", O_RDONLY | O_CREAT | O_DIRECTORY, 0o755), Errno::EINVAL);
    // unlink of "." is EINVAL, of another directory EPERM; rmdir of a file ENOTDIR.
    expect_err(p.unlink(b"."), Errno::EINVAL);
    expect_err(p.unlink(b"d/."), Errno::EINVAL);
    expect_err(p.unlink(b"d"), Errno::EPERM);
    expect_err(p.unlink(b"d/.."), Errno::EPERM);
    expect_err(p.rmdir(b"f"), Errno::ENOTDIR);
    expect_err(p.unlinkat(AT_FDCWD, b"f", AT_REMOVEDIR), Errno::ENOTDIR);
    expect_err(p.open(b"newdir", O_RDONLY | O_CREAT | O_DIRECTORY, 0o755), Errno::EINVAL);
    let fd = p.open(b"d", O_RDONLY | O_CREAT, 0o644).unwrap();
    assert_eq!(p.fstat(fd).unwrap().mode & S_IFMT, S_IFDIR);
    p.close(fd).unwrap();
    // O_TRUNC, O_APPEND (writes go to the end whatever the offset), O_EXCL.
    let fd = p.open(b"f", O_RDWR | O_APPEND, 0).unwrap();
    p.lseek(fd, 0, SEEK_SET).unwrap();
    p.write(fd, b"AB").unwrap();
    assert_eq!(p.lseek(fd, 0, SEEK_CUR).unwrap(), 12);
    p.close(fd).unwrap();
    assert_eq!(read_file(&p, b"f"), b"0123456789AB");
    let fd = p.open(b"f", O_WRONLY | O_TRUNC, 0).unwrap();
    assert_eq!(p.fstat(fd).unwrap().size, 0);
    p.close(fd).unwrap();
    // The mode of a new file: umask applied, the sticky bit dropped, the owner and the directory's
    // group; the mode argument is ignored for an existing file.
    assert_eq!(p.umask(0o027), 0o022);
    let fd = p.open(b"new", O_RDWR | O_CREAT, 0o1777).unwrap();
    p.close(fd).unwrap();
    assert_eq!(p.stat(b"new").unwrap().mode, S_IFREG | 0o750);
    let fd = p.open(b"new", O_RDWR | O_CREAT, 0o600).unwrap();
    p.close(fd).unwrap();
    assert_eq!(p.stat(b"new").unwrap().mode, S_IFREG | 0o750);
    p.mkdir(b"nd", 0o777).unwrap();
    assert_eq!(p.stat(b"nd").unwrap().mode, S_IFDIR | 0o750);
    p.symlink(b"x", b"sl").unwrap();
    assert_eq!(p.lstat(b"sl").unwrap().mode, S_IFLNK | 0o750);
    p.umask(0o022);
    // F_GETFL shows the access mode and status flags; O_CREAT and friends are not kept.
    let fd = p.open(b"f", O_RDWR | O_CREAT | O_APPEND | O_NONBLOCK, 0).unwrap();
    assert_eq!(p.fcntl(fd, F_GETFL, 0).unwrap() as u32, O_RDWR | O_APPEND | O_NONBLOCK);
    p.fcntl(fd, F_SETFL, 0).unwrap();
    assert_eq!(p.fcntl(fd, F_GETFL, 0).unwrap() as u32, O_RDWR);
    p.close(fd).unwrap();
    p.chdir(b"/").unwrap();
}

#[test]
fn descriptors() {
    let (_k, p) = boot();
    p.mount("tmpfs", b"/mnt", 0, None, &MountOptions::default()).unwrap();
    write_file(&p, b"/mnt/f", b"0123456789");
    let a = p.open(b"/mnt/f", O_RDONLY, 0).unwrap();
    let b = p.open(b"/mnt/f", O_RDONLY | O_CLOEXEC, 0).unwrap();
    assert_eq!((a, b), (0, 1), "the lowest free descriptors");
    assert_eq!(p.fcntl(b, F_GETFD, 0).unwrap(), FD_CLOEXEC as i64);
    assert_eq!(p.fcntl(a, F_GETFD, 0).unwrap(), 0);
    // dup shares the offset and clears close-on-exec.
    let c = p.dup(b).unwrap();
    assert_eq!(c, 2);
    assert_eq!(p.fcntl(c, F_GETFD, 0).unwrap(), 0);
    let mut buf = [0u8; 3];
    p.read(b, &mut buf).unwrap();
    p.read(c, &mut buf).unwrap();
    assert_eq!(&buf, b"345");
    // Separate opens have separate offsets.
    p.read(a, &mut buf).unwrap();
    assert_eq!(&buf, b"012");
    // dup2 replaces what was there; onto itself it does nothing.
    assert_eq!(p.dup2(a, c).unwrap(), c);
    p.read(c, &mut buf).unwrap();
    assert_eq!(&buf, b"345");
    assert_eq!(p.dup2(a, 10).unwrap(), 10);
    assert_eq!(p.open_fds(), vec![0, 1, 2, 10]);
    // F_DUPFD finds the lowest free at or above the argument.
    assert_eq!(p.fcntl(a, F_DUPFD, 5).unwrap(), 5);
    assert_eq!(p.fcntl(a, F_DUPFD_CLOEXEC, 5).unwrap(), 6);
    assert_eq!(p.fcntl(6, F_GETFD, 0).unwrap(), FD_CLOEXEC as i64);
    p.fcntl(6, F_SETFD, 0).unwrap();
    assert_eq!(p.fcntl(6, F_GETFD, 0).unwrap(), 0);
    // Closing one descriptor leaves the open file to the others.
    p.close(a).unwrap();
    p.read(10, &mut buf).unwrap();
    assert_eq!(&buf, b"678");
    // A forked process shares open files (and offsets) until it closes them. Process ids are the
    // kernel's own: another kernel booted the same way numbers its processes the same.
    let child = p.fork();
    assert_eq!(child.pid(), p.pid() + 1);
    assert_eq!(boot().1.pid(), p.pid());
    child.read(10, &mut buf).unwrap();
    assert_eq!(&buf[..1], b"9");
    child.close(10).unwrap();
    p.fstat(10).unwrap();
    drop(child);
    for fd in p.open_fds() {
        p.close(fd).unwrap();
    }
    p.unmount(b"/mnt", 0).unwrap();
}

#[test]
fn cwd_chroot_and_credentials() {
    let (k, p) = boot();
    p.mount("tmpfs", b"/mnt", 0, None, &MountOptions::default()).unwrap();
    p.mkdir(b"/mnt/jail", 0o755).unwrap();
    p.mkdir(b"/mnt/jail/sub", 0o755).unwrap();
    write_file(&p, b"/mnt/jail/sub/f", b"jailed");
    let fd = p.open(b"/mnt/jail/sub", O_RDONLY | O_DIRECTORY, 0).unwrap();
    p.fchdir(fd).unwrap();
    assert_eq!(p.getcwd().unwrap(), b"/mnt/jail/sub");
    assert_eq!(read_file(&p, b"f"), b"jailed");
    // *at() relative to a directory descriptor.
    assert_eq!(p.fstatat(fd, b"f", 0).unwrap().size, 6);
    p.mkdirat(fd, b"made", 0o755).unwrap();
    p.stat(b"/mnt/jail/sub/made").unwrap();
    p.close(fd).unwrap();
    // chroot: "/" and ".." stop at the new root; only root may do it.
    let jailed = p.fork();
    jailed.chroot(b"/mnt/jail").unwrap();
    jailed.chdir(b"/").unwrap();
    assert_eq!(jailed.getcwd().unwrap(), b"/");
    assert_eq!(read_file(&jailed, b"/sub/f"), b"jailed");
    assert_eq!(jailed.stat(b"/..").unwrap().ino, jailed.stat(b"/").unwrap().ino);
    expect_err(jailed.stat(b"/mnt"), Errno::ENOENT);
    let user = p.fork();
    user.setcred(Cred { uid: 5, gid: 5, groups: vec![5, 6] }).unwrap();
    expect_err(user.chroot(b"/mnt"), Errno::EPERM);
    expect_err(user.mount("tmpfs", b"/mnt/jail", 0, None, &MountOptions::default()), Errno::EPERM);
    expect_err(user.unmount(b"/mnt", 0), Errno::EPERM);
    expect_err(user.mknod(b"/mnt/dev", S_IFBLK | 0o600, 0), Errno::EPERM);
    assert_eq!(user.getcred(), Cred { uid: 5, gid: 5, groups: vec![5, 6] });
    // uname and the kern.* sysctls.
    let u = p.uname();
    assert_eq!((u.sysname.as_str(), u.release.as_str(), u.nodename.as_str()), ("NetBSD", OSRELEASE, "rumpjs"));
    assert_eq!(p.sysctl("kern.ostype").unwrap(), SysctlValue::Str("NetBSD".into()));
    assert_eq!(p.sysctl("kern.osrelease").unwrap(), SysctlValue::Str(OSRELEASE.into()));
    assert_eq!(p.sysctl("kern.version").unwrap(), SysctlValue::Str(VERSION.into()));
    assert_eq!(p.sysctl("kern.boottime").unwrap(), SysctlValue::Int(k.state.boottime.sec));
    assert_eq!(p.sysctl("hw.pagesize").unwrap(), SysctlValue::Int(4096));
    drop((jailed, user));
    p.chdir(b"/").unwrap();
}

#[test]
fn devices_memory_slice_and_host_file() {
    // Memory device: bounds are EIO, read-only is EROFS.
    let m = MemDevice::new(vec![1; 4096], false);
    let mut buf = [0u8; 16];
    m.read_at(4080, &mut buf).unwrap();
    assert_eq!(m.read_at(4090, &mut buf), Err(Errno::EIO));
    assert_eq!(m.read_at(u64::MAX, &mut buf), Err(Errno::EIO));
    m.write_at(0, b"abc").unwrap();
    assert_eq!(MemDevice::new(vec![0; 16], true).write_at(0, b"x"), Err(Errno::EROFS));
    // Slices: a window that must lie inside; reads and writes stay in it.
    let base: kernel::dev::Dev = Arc::new(MemDevice::new((0..=255u8).cycle().take(8192).collect(), false));
    assert!(SliceDevice::new(base.clone(), 4096, 8192, "bad").is_err());
    assert!(SliceDevice::new(base.clone(), u64::MAX, 2, "bad").is_err());
    let s = SliceDevice::new(base.clone(), 1024, 2048, "s").unwrap();
    assert_eq!(s.size(), 2048);
    s.read_at(0, &mut buf).unwrap();
    assert_eq!(buf[0], 0); // 1024 % 256
    assert_eq!(s.read_at(2040, &mut buf), Err(Errno::EIO));
    s.write_at(0, b"zz").unwrap();
    let mut b2 = [0u8; 2];
    base.read_at(1024, &mut b2).unwrap();
    assert_eq!(&b2, b"zz");
    // A host file opened read-only cannot be written, by us or through the host handle.
    let path = std::env::temp_dir().join(format!("rumpjs-dev-test-{}", std::process::id()));
    std::fs::write(&path, vec![9u8; 10_000]).unwrap();
    let ro = FileDevice::open(&path, true).unwrap();
    assert!(ro.readonly());
    assert_eq!(ro.size(), 10_000);
    assert_eq!(ro.write_at(0, b"x"), Err(Errno::EROFS));
    assert_eq!(ro.read_at(9_999, &mut [0u8; 2]), Err(Errno::EIO));
    let rw = FileDevice::open(&path, false).unwrap();
    rw.write_at(100, b"host").unwrap();
    rw.flush().unwrap();
    let mut b4 = [0u8; 4];
    ro.read_at(100, &mut b4).unwrap();
    assert_eq!(&b4, b"host");
    assert_eq!(FileDevice::open(std::path::Path::new("/nonexistent/x"), true).err(), Some(Errno::ENOENT));
    assert_eq!(FileDevice::open(&std::env::temp_dir(), true).err(), Some(Errno::EISDIR));
    drop((ro, rw));
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn etfs_block_device_nodes() {
    let (k, p) = boot();
    let dev = Arc::new(MemDevice::new(vec![0u8; 64 * 1024], false));
    k.etfs_register("/dev/disk0", dev.clone()).unwrap();
    let st = p.stat(b"/dev/disk0").unwrap();
    assert_eq!(st.mode & S_IFMT, S_IFBLK);
    assert_eq!(major(st.rdev), BLK_MAJOR_ETFS);
    expect_err(k.etfs_register("/dev/disk0", dev.clone()), Errno::EEXIST);
    assert_eq!(k.free_dev_name("disk"), "/dev/disk1");
    // Through the node: positioned reads and writes, the end of the device, lseek to its size.
    let fd = p.open(b"/dev/disk0", O_RDWR, 0).unwrap();
    p.pwrite(fd, b"block", 4096).unwrap();
    let mut buf = [0u8; 5];
    p.pread(fd, &mut buf, 4096).unwrap();
    assert_eq!(&buf, b"block");
    assert_eq!(dev.contents()[4096..4101], *b"block");
    assert_eq!(p.lseek(fd, 0, SEEK_END).unwrap(), 64 * 1024);
    assert_eq!(p.read(fd, &mut buf).unwrap(), 0);
    expect_err(p.write(fd, b"x"), Errno::ENOSPC);
    assert_eq!(p.pwrite(fd, b"0123456789", 64 * 1024 - 4).unwrap(), 4, "a short write at the end");
    p.fsync(fd).unwrap();
    p.close(fd).unwrap();
    // The node is root's (0600); a read-only device refuses to open for writing.
    let user = p.fork();
    user.setcred(Cred { uid: 7, gid: 7, groups: vec![] }).unwrap();
    expect_err(user.open(b"/dev/disk0", O_RDONLY, 0), Errno::EACCES);
    k.etfs_register("/dev/rodisk", Arc::new(MemDevice::new(vec![0; 512], true))).unwrap();
    expect_err(p.open(b"/dev/rodisk", O_RDWR, 0), Errno::EROFS);
    expect_err(p.mount("ffs", b"/mnt", 0, Some("/dev/rodisk"), &MountOptions::default()), Errno::EROFS);
    // Removal: the node goes, the device number no longer answers.
    k.etfs_remove("/dev/disk0").unwrap();
    expect_err(p.stat(b"/dev/disk0"), Errno::ENOENT);
    expect_err(k.etfs_remove("/dev/null"), Errno::ENOTBLK);
    // /dev/null, /dev/zero, /dev/random and /dev/urandom.
    let fd = p.open(b"/dev/urandom", O_RDONLY, 0).unwrap();
    let mut r = [0u8; 32];
    assert_eq!(p.read(fd, &mut r).unwrap(), 32);
    assert_ne!(r, [0u8; 32]);
    p.close(fd).unwrap();
    drop(user);
}
