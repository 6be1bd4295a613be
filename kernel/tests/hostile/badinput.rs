//! Bad input: bad or closed descriptors, negative and huge offsets and lengths, unknown flags, empty
//! paths and paths with NUL, each with NetBSD's errno; then random arguments thrown at every syscall,
//! which must never panic the kernel nor leave it inconsistent.

use crate::common::*;
use kernel::vfs::*;
use kernel::{Errno, KResult, Kernel};
use proptest::prelude::*;
use std::sync::Arc;

const BAD_FDS: &[i32] = &[-1, -100 /* AT_FDCWD is no descriptor */, 3, 99, 4095, 4096, i32::MAX, i32::MIN];

fn setup() -> (Arc<Kernel>, Proc) {
    let (k, p) = boot();
    p.mount("tmpfs", b"/mnt", 0, None, &MountOptions::default()).unwrap();
    write_file(&p, b"/mnt/f", b"0123456789");
    p.mkdir(b"/mnt/d", 0o755).unwrap();
    (k, p)
}

#[test]
fn bad_and_closed_descriptors_are_ebadf() {
    let (_k, p) = setup();
    // 0, 1, 2 are taken so 3 is the next; closing makes it a closed descriptor.
    for _ in 0..3 {
        p.open(b"/dev/null", O_RDWR, 0).unwrap();
    }
    let fd = p.open(b"/mnt/f", O_RDWR, 0).unwrap();
    assert_eq!(fd, 3);
    p.close(fd).unwrap();
    let mut buf = [0u8; 8];
    let mut fl = Flock { ltype: F_RDLCK, ..Default::default() };
    for &fd in BAD_FDS {
        let e = Errno::EBADF;
        expect_err(p.read(fd, &mut buf), e);
        expect_err(p.write(fd, b"x"), e);
        expect_err(p.pread(fd, &mut buf, 0), e);
        expect_err(p.pwrite(fd, b"x", 0), e);
        expect_err(p.lseek(fd, 0, SEEK_SET), e);
        expect_err(p.fstat(fd), e);
        expect_err(p.fsync(fd), e);
        expect_err(p.close(fd), e);
        expect_err(p.dup(fd), e);
        expect_err(p.dup2(fd, 10), e);
        expect_err(p.fcntl(fd, F_GETFL, 0), e);
        expect_err(p.fcntl_lock(fd, F_GETLK, &mut fl), e);
        expect_err(p.fchmod(fd, 0o644), e);
        expect_err(p.fchown(fd, 0, 0), e);
        expect_err(p.fchflags(fd, 0), e);
        expect_err(p.futimes(fd, None), e);
        expect_err(p.futimens(fd, None), e);
        expect_err(p.fchdir(fd), e);
        expect_err(p.ftruncate(fd, 0), e);
        expect_err(p.getdents(fd, &mut [0u8; 512]), e);
        expect_err(p.readdir(fd, 10), e);
        expect_err(p.fstatvfs(fd), e);
        expect_err(p.tell(fd), e);
        if fd != AT_FDCWD {
            // *at() with a relative path needs a descriptor; an absolute path ignores it.
            expect_err(p.openat(fd, b"f", O_RDONLY, 0), e);
            expect_err(p.fstatat(fd, b"f", 0), e);
            expect_err(p.mkdirat(fd, b"x", 0o755), e);
            expect_err(p.unlinkat(fd, b"f", 0), e);
            expect_err(p.renameat(fd, b"f", AT_FDCWD, b"/mnt/g"), e);
            expect_err(p.linkat(AT_FDCWD, b"/mnt/f", fd, b"g", 0), e);
            expect_err(p.symlinkat(b"t", fd, b"l"), e);
            expect_err(p.readlinkat(fd, b"l"), e);
            expect_err(p.faccessat(fd, b"f", F_OK, 0), e);
            expect_err(p.utimensat(fd, b"f", None, 0), e);
            p.fstatat(fd, b"/mnt/f", 0).unwrap();
        }
    }
    // dup2 onto a bad target, fcntl F_DUPFD past the limit.
    let fd = p.open(b"/mnt/f", O_RDONLY, 0).unwrap();
    expect_err(p.dup2(fd, -1), Errno::EBADF);
    expect_err(p.dup2(fd, 1 << 20), Errno::EBADF);
    assert_eq!(p.dup2(fd, fd).unwrap(), fd);
    expect_err(p.fcntl(fd, F_DUPFD, -1), Errno::EINVAL);
    expect_err(p.fcntl(fd, F_DUPFD, 1 << 20), Errno::EINVAL);
    // A descriptor not open for reading or writing.
    expect_err(p.write(fd, b"x"), Errno::EBADF);
    expect_err(p.pwrite(fd, b"x", 0), Errno::EBADF);
    expect_err(p.ftruncate(fd, 0), Errno::EINVAL);
    fl.ltype = F_WRLCK;
    expect_err(p.fcntl_lock(fd, F_SETLK, &mut fl), Errno::EBADF);
    p.close(fd).unwrap();
    let fd = p.open(b"/mnt/f", O_WRONLY, 0).unwrap();
    expect_err(p.read(fd, &mut buf), Errno::EBADF);
    expect_err(p.pread(fd, &mut buf, 0), Errno::EBADF);
    fl.ltype = F_RDLCK;
    expect_err(p.fcntl_lock(fd, F_SETLK, &mut fl), Errno::EBADF);
    p.close(fd).unwrap();
    // A *at() descriptor that is no directory.
    let fd = p.open(b"/mnt/f", O_RDONLY, 0).unwrap();
    expect_err(p.openat(fd, b"x", O_RDONLY, 0), Errno::ENOTDIR);
    expect_err(p.fchdir(fd), Errno::ENOTDIR);
    expect_err(p.getdents(fd, &mut [0u8; 512]), Errno::ENOTDIR);
    p.close(fd).unwrap();
    // Running out of descriptors is EMFILE.
    let mut n = 0;
    let err = loop {
        match p.open(b"/dev/null", O_RDONLY, 0) {
            Ok(_) => n += 1,
            Err(e) => break e,
        }
    };
    assert_eq!(err, Errno::EMFILE);
    assert!(n > 4000);
    let fd = p.open_fds()[5];
    expect_err(p.dup(fd), Errno::EMFILE);
    for fd in p.open_fds() {
        p.close(fd).unwrap();
    }
}

#[test]
fn offsets_and_lengths() {
    let (_k, p) = setup();
    let fd = p.open(b"/mnt/f", O_RDWR, 0).unwrap();
    let mut buf = vec![0u8; 1 << 20];
    for off in [-1, i64::MIN, -4096] {
        expect_err(p.pread(fd, &mut buf, off), Errno::EINVAL);
        expect_err(p.pwrite(fd, b"x", off), Errno::EINVAL);
        expect_err(p.lseek(fd, off, SEEK_SET), Errno::EINVAL);
        expect_err(p.ftruncate(fd, off), Errno::EINVAL);
        expect_err(p.truncate(b"/mnt/f", off), Errno::EINVAL);
    }
    // Reading far past the end gives nothing; a huge buffer gets what there is.
    assert_eq!(p.pread(fd, &mut buf, i64::MAX).unwrap(), 0);
    assert_eq!(p.pread(fd, &mut buf, 1 << 40).unwrap(), 0);
    assert_eq!(p.pread(fd, &mut buf, 0).unwrap(), 10);
    assert_eq!(p.read(fd, &mut []).unwrap(), 0);
    // Writing past the largest offset is EFBIG; nothing changes.
    expect_err(p.pwrite(fd, b"xy", i64::MAX - 1), Errno::EFBIG);
    expect_err(p.pwrite(fd, &buf, i64::MAX - 1000), Errno::EFBIG);
    assert_eq!(p.fstat(fd).unwrap().size, 10);
    p.pwrite(fd, b"z", i64::MAX - 1).unwrap();
    assert_eq!(p.fstat(fd).unwrap().size, i64::MAX as u64);
    p.ftruncate(fd, 10).unwrap();
    // lseek: bad whence, overflow, and far past the end (allowed).
    expect_err(p.lseek(fd, 0, 3), Errno::EINVAL);
    expect_err(p.lseek(fd, 0, -1), Errno::EINVAL);
    assert_eq!(p.lseek(fd, i64::MAX, SEEK_SET).unwrap(), i64::MAX);
    expect_err(p.lseek(fd, 1, SEEK_CUR), Errno::EOVERFLOW);
    expect_err(p.lseek(fd, -11, SEEK_END), Errno::EINVAL);
    assert_eq!(p.lseek(fd, -10, SEEK_END).unwrap(), 0);
    // A write at the file offset i64::MAX cannot go further.
    p.lseek(fd, i64::MAX, SEEK_SET).unwrap();
    expect_err(p.write(fd, b"x"), Errno::EFBIG);
    assert_eq!(p.read(fd, &mut buf).unwrap(), 0);
    // Record locks with impossible ranges.
    let mut fl = Flock { start: -1, len: 1, ltype: F_WRLCK, whence: SEEK_SET as i16, pid: 0 };
    expect_err(p.fcntl_lock(fd, F_SETLK, &mut fl), Errno::EINVAL);
    fl = Flock { start: i64::MAX, len: 2, ..fl };
    expect_err(p.fcntl_lock(fd, F_SETLK, &mut fl), Errno::EOVERFLOW);
    fl = Flock { start: 0, len: -1, ..fl };
    expect_err(p.fcntl_lock(fd, F_SETLK, &mut fl), Errno::EINVAL);
    fl = Flock { start: 0, len: 1, whence: 7, ..fl };
    expect_err(p.fcntl_lock(fd, F_SETLK, &mut fl), Errno::EINVAL);
    fl = Flock { whence: 0, ltype: 99, ..fl };
    expect_err(p.fcntl_lock(fd, F_SETLK, &mut fl), Errno::EINVAL);
    p.close(fd).unwrap();
    // getdents needs room for one entry; readdir of 0 entries reads nothing and moves nothing.
    let d = p.open(b"/mnt", O_RDONLY | O_DIRECTORY, 0).unwrap();
    expect_err(p.getdents(d, &mut []), Errno::EINVAL);
    assert!(p.readdir(d, 0).unwrap().is_empty());
    assert_eq!(p.readdir(d, 1).unwrap()[0].name, b".");
    p.close(d).unwrap();
}

#[test]
fn unknown_flags_and_modes_are_einval() {
    let (_k, p) = setup();
    for flags in [0x8000_0000u32, 0x0400_0000, O_ACCMODE, O_ACCMODE | O_CREAT] {
        expect_err(p.open(b"/mnt/f", flags, 0), Errno::EINVAL);
    }
    expect_err(p.fstatat(AT_FDCWD, b"/mnt/f", 0x4000), Errno::EINVAL);
    expect_err(p.faccessat(AT_FDCWD, b"/mnt/f", 8, 0), Errno::EINVAL);
    expect_err(p.faccessat(AT_FDCWD, b"/mnt/f", F_OK, 0x1), Errno::EINVAL);
    expect_err(p.access(b"/mnt/f", 0xff), Errno::EINVAL);
    expect_err(p.unlinkat(AT_FDCWD, b"/mnt/f", 0x1), Errno::EINVAL);
    expect_err(p.linkat(AT_FDCWD, b"/mnt/f", AT_FDCWD, b"/mnt/g", AT_REMOVEDIR), Errno::EINVAL);
    expect_err(p.utimensat(AT_FDCWD, b"/mnt/f", None, AT_REMOVEDIR), Errno::EINVAL);
    expect_err(p.fchmodat(AT_FDCWD, b"/mnt/f", 0o644, 0x1), Errno::EINVAL);
    expect_err(p.fchownat(AT_FDCWD, b"/mnt/f", 0, 0, 0x1), Errno::EINVAL);
    let fd = p.open(b"/mnt/f", O_RDONLY, 0).unwrap();
    expect_err(p.fcntl(fd, 999, 0), Errno::EINVAL);
    expect_err(p.fcntl(fd, -1, 0), Errno::EINVAL);
    let mut fl = Flock::default();
    expect_err(p.fcntl_lock(fd, F_SETFL, &mut fl), Errno::EINVAL);
    // F_SETFL keeps only the flags it may change (FCNTLFLAGS), ignoring the rest.
    p.fcntl(fd, F_SETFL, (O_NONBLOCK | O_APPEND | O_CREAT | O_WRONLY) as i64).unwrap();
    assert_eq!(p.fcntl(fd, F_GETFL, 0).unwrap() as u32, O_RDONLY | O_NONBLOCK | O_APPEND);
    p.fcntl(fd, F_SETFL, -1).unwrap();
    assert_eq!(p.fcntl(fd, F_GETFL, 0).unwrap() as u32 & O_ACCMODE, O_RDONLY);
    p.close(fd).unwrap();
    // mknod of what is no node type; a bad utimes nanosecond count; too many groups.
    for mode in [0, S_IFDIR | 0o755, S_IFLNK | 0o755, S_IFWHT, 0o170000, S_IFSOCK] {
        expect_err(p.mknod(b"/mnt/n", mode, 0), Errno::EINVAL);
    }
    let bad = Timespec::new(0, 1_000_000_000);
    expect_err(p.utimes(b"/mnt/f", Some([bad, bad])), Errno::EINVAL);
    expect_err(p.setcred(Cred { uid: 1, gid: 1, groups: (0..17).collect() }), Errno::EINVAL);
    expect_err(p.sysctl("kern.nonexistent"), Errno::ENOENT);
    expect_err(p.sysctl_set("kern.hostname", "a\0b"), Errno::EINVAL);
    expect_err(p.pathconf(b"/mnt/f", 999), Errno::EINVAL);
    expect_err(p.mount("nofs", b"/mnt/d", 0, None, &MountOptions::default()), Errno::ENODEV);
    expect_err(p.mount("ffs", b"/mnt/d", 0, None, &MountOptions::default()), Errno::EINVAL);
    expect_err(p.mount("ffs", b"/mnt/d", 0, Some("/mnt/f"), &MountOptions::default()), Errno::ENOTBLK);
    expect_err(p.mount("tmpfs", b"/mnt/f", 0, None, &MountOptions::default()), Errno::ENOTDIR);
    expect_err(p.unmount(b"/mnt/d", 0), Errno::EINVAL);
    expect_err(p.mount("tmpfs", b"/mnt/d", MNT_UPDATE, None, &MountOptions::default()), Errno::EINVAL);
    // umask and modes keep only permission bits.
    p.umask(0xffff_ffff);
    assert_eq!(p.umask(0o022), 0o7777);
    p.chmod(b"/mnt/f", 0xffff_ffff).unwrap();
    assert_eq!(p.stat(b"/mnt/f").unwrap().mode, S_IFREG | 0o7777);
}

#[test]
fn bad_paths() {
    let (_k, p) = setup();
    let long = vec![b'a'; MAXPATHLEN];
    let mut longname = b"/mnt/".to_vec();
    longname.extend_from_slice(&[b'n'; NAME_MAX + 1]);
    p.symlink(b"/mnt/loop2", b"/mnt/loop1").unwrap();
    p.symlink(b"/mnt/loop1", b"/mnt/loop2").unwrap();
    let cases: &[(&[u8], Errno)] = &[
        (b"", Errno::ENOENT),
        (b"/mnt/f\0x", Errno::EINVAL),
        (b"\0", Errno::EINVAL),
        (&long, Errno::ENAMETOOLONG),
        (&longname, Errno::ENAMETOOLONG),
        (b"/mnt/loop1", Errno::ELOOP),
        (b"/mnt/f/x", Errno::ENOTDIR),
        (b"/mnt/nonexistent/x", Errno::ENOENT),
    ];
    for (path, want) in cases {
        let path = *path;
        let want = *want;
        let mut buf = [0u8; 4];
        expect_err(p.stat(path), want);
        expect_err(p.open(path, O_RDONLY, 0), want);
        expect_err(p.chdir(path), want);
        expect_err(p.access(path, F_OK), want);
        expect_err(p.chmod(path, 0o644), want);
        expect_err(p.chown(path, 0, 0), want);
        expect_err(p.utimes(path, None), want);
        expect_err(p.truncate(path, 0), want);
        expect_err(p.statvfs(path), want);
        expect_err(p.realpath(path), want);
        expect_err(p.chflags(path, 0), want);
        expect_err(p.pathconf(path, 4), want);
        expect_err(p.readdir_path(path), want);
        expect_err(p.link(path, b"/mnt/new"), want);
        expect_err(p.chroot(path), want);
        expect_err(p.mount("tmpfs", path, 0, None, &MountOptions::default()), want);
        let _ = &mut buf;
        if want != Errno::ELOOP {
            // These act on a final symbolic link itself.
            expect_err(p.rename(path, b"/mnt/new"), want);
            expect_err(p.lstat(path), want);
            expect_err(p.readlink(path), want);
            expect_err(p.unlink(path), want);
            expect_err(p.rmdir(path), want);
        }
        if want != Errno::ELOOP && want != Errno::ENOTDIR && want != Errno::ENOENT {
            expect_err(p.mkdir(path, 0o755), want);
            expect_err(p.symlink(b"t", path), want);
            expect_err(p.mkfifo(path, 0o644), want);
            expect_err(p.open(path, O_CREAT | O_RDWR, 0o644), want);
            expect_err(p.rename(b"/mnt/f", path), want);
            expect_err(p.link(b"/mnt/f", path), want);
        }
    }
    // A symlink target too long or with NUL.
    expect_err(p.symlink(&long, b"/mnt/l"), Errno::ENAMETOOLONG);
    expect_err(p.symlink(b"a\0b", b"/mnt/l"), Errno::EINVAL);
    // Following a link whose target plus the rest of the path is too long.
    p.symlink(&vec![b'x'; MAXPATHLEN - 10], b"/mnt/longlink").unwrap();
    expect_err(p.stat(b"/mnt/longlink/0123456789"), Errno::ENAMETOOLONG);
    // Creating with a trailing slash: only directories.
    expect_err(p.open(b"/mnt/newfile/", O_CREAT | O_RDWR, 0o644), Errno::ENOENT);
    expect_err(p.symlink(b"t", b"/mnt/newlink/"), Errno::ENOENT);
    expect_err(p.stat(b"/mnt/f/"), Errno::ENOTDIR);
    p.mkdir(b"/mnt/newdir/", 0o755).unwrap();
}

// ------------------------------------------------------------------- random arguments, no panics

const PATHS: &[&[u8]] = &[
    b"/mnt",
    b"/mnt/a",
    b"/mnt/a/b",
    b"/mnt/d",
    b"/mnt/f",
    b"/mnt/l",
    b"/mnt/a/",
    b"//mnt///a//b",
    b"a",
    b"b",
    b"",
    b"\0",
    b"/",
    b".",
    b"..",
    b"../..",
    b"/mnt/..",
    b"/dev/null",
    b"/dev/zero",
    b"/dev/random",
    b"/dev/blk0",
    b"/kern",
    b"/kern/hostname",
    b"/kern/msgbuf",
    b"/mnt/fifo",
    b"/nonexistent/x",
];

#[derive(Debug, Clone)]
enum Arg {
    Path(usize),
    Long(usize),
}

fn path_of(a: &Arg) -> Vec<u8> {
    match a {
        Arg::Path(i) => PATHS[*i % PATHS.len()].to_vec(),
        Arg::Long(n) => {
            let mut v = b"/mnt/".to_vec();
            v.extend(std::iter::repeat_n(b'z', *n));
            v
        }
    }
}

fn arg() -> impl Strategy<Value = Arg> {
    prop_oneof![9 => (0..PATHS.len()).prop_map(Arg::Path), 1 => (250usize..1100).prop_map(Arg::Long)]
}

fn fd() -> impl Strategy<Value = i32> {
    prop_oneof![6 => 0i32..8, 1 => Just(AT_FDCWD), 1 => Just(-1), 1 => Just(i32::MAX), 1 => Just(4096)]
}

fn off() -> impl Strategy<Value = i64> {
    prop::sample::select(vec![0i64, 1, 4095, 4096, 1 << 20, 1 << 40, -1, i64::MIN, i64::MAX, i64::MAX - 1])
}

fn len() -> impl Strategy<Value = usize> {
    prop::sample::select(vec![0usize, 1, 13, 4096, 70_000])
}

#[derive(Debug, Clone)]
enum Call {
    Open(i32, Arg, u32, u32),
    Close(i32),
    Read(i32, usize),
    Pread(i32, usize, i64),
    Write(i32, usize),
    Pwrite(i32, usize, i64),
    Lseek(i32, i64, i32),
    Fstat(i32),
    Stat(i32, Arg, i32),
    Access(i32, Arg, u32, i32),
    Pathconf(Arg, i32),
    Mkdir(i32, Arg, u32),
    Unlink(i32, Arg, i32),
    Rename(i32, Arg, i32, Arg),
    Link(i32, Arg, i32, Arg, i32),
    Symlink(Arg, i32, Arg),
    Readlink(i32, Arg),
    Mknod(i32, Arg, u32, u64),
    Getdents(i32, usize),
    Readdir(i32, usize),
    Chmod(i32, Arg, u32, i32),
    Fchmod(i32, u32),
    Chown(i32, Arg, u32, u32, i32),
    Fchown(i32, u32, u32),
    Chflags(Arg, u32, bool),
    Fchflags(i32, u32),
    Utimens(i32, Arg, u8, i64, u32, i32),
    Futimens(i32, u8, i64, u32),
    Truncate(Arg, i64),
    Ftruncate(i32, i64),
    Fsync(i32),
    Sync,
    Dup(i32),
    Dup2(i32, i32),
    Fcntl(i32, i32, i64),
    Lock(i32, i32, i64, i64, i16, i16),
    Chdir(Arg),
    Fchdir(i32),
    Getcwd,
    Realpath(Arg),
    Statvfs(Arg),
    Fstatvfs(i32),
    Getvfsstat,
    Mount(u8, Arg, u64),
    Unmount(Arg, u64),
    Umask(u32),
    Setcred(u32, u32),
    Sysctl(u8, bool),
    Uname,
}

fn call() -> impl Strategy<Value = Call> {
    let flags = prop_oneof![
        4 => prop::sample::select(vec![O_RDONLY, O_WRONLY, O_RDWR, O_RDWR | O_CREAT, O_WRONLY | O_CREAT | O_TRUNC,
            O_RDWR | O_CREAT | O_EXCL, O_RDONLY | O_DIRECTORY, O_RDWR | O_APPEND, O_RDONLY | O_NOFOLLOW,
            O_RDONLY | O_REGULAR, O_WRONLY | O_TRUNC]),
        1 => any::<u32>(),
    ];
    let mode = prop_oneof![3 => prop::sample::select(vec![0o644u32, 0o755, 0o000, 0o4777, 0o1777]), 1 => any::<u32>()];
    let small = || prop_oneof![3 => -2i32..0x1000, 1 => any::<i32>()];
    let id = || prop_oneof![3 => 0u32..3, 1 => Just(u32::MAX), 1 => any::<u32>()];
    prop_oneof![
        (fd(), arg(), flags, mode.clone()).prop_map(|(a, b, c, d)| Call::Open(a, b, c, d)),
        fd().prop_map(Call::Close),
        (fd(), len()).prop_map(|(a, b)| Call::Read(a, b)),
        (fd(), len(), off()).prop_map(|(a, b, c)| Call::Pread(a, b, c)),
        (fd(), len()).prop_map(|(a, b)| Call::Write(a, b)),
        (fd(), len(), off()).prop_map(|(a, b, c)| Call::Pwrite(a, b, c)),
        (fd(), off(), -1i32..4).prop_map(|(a, b, c)| Call::Lseek(a, b, c)),
        fd().prop_map(Call::Fstat),
        (fd(), arg(), small()).prop_map(|(a, b, c)| Call::Stat(a, b, c)),
        (fd(), arg(), 0u32..10, small()).prop_map(|(a, b, c, d)| Call::Access(a, b, c, d)),
        (arg(), -1i32..15).prop_map(|(a, b)| Call::Pathconf(a, b)),
        (fd(), arg(), mode.clone()).prop_map(|(a, b, c)| Call::Mkdir(a, b, c)),
        (fd(), arg(), small()).prop_map(|(a, b, c)| Call::Unlink(a, b, c)),
        (fd(), arg(), fd(), arg()).prop_map(|(a, b, c, d)| Call::Rename(a, b, c, d)),
        (fd(), arg(), fd(), arg(), small()).prop_map(|(a, b, c, d, e)| Call::Link(a, b, c, d, e)),
        (arg(), fd(), arg()).prop_map(|(a, b, c)| Call::Symlink(a, b, c)),
        (fd(), arg()).prop_map(|(a, b)| Call::Readlink(a, b)),
        (fd(), arg(), mode.clone(), any::<u64>()).prop_map(|(a, b, c, d)| Call::Mknod(a, b, c, d)),
        (fd(), len()).prop_map(|(a, b)| Call::Getdents(a, b)),
        (fd(), len()).prop_map(|(a, b)| Call::Readdir(a, b)),
        (fd(), arg(), mode.clone(), small()).prop_map(|(a, b, c, d)| Call::Chmod(a, b, c, d)),
        (fd(), mode.clone()).prop_map(|(a, b)| Call::Fchmod(a, b)),
        (fd(), arg(), id(), id(), small()).prop_map(|(a, b, c, d, e)| Call::Chown(a, b, c, d, e)),
        (fd(), id(), id()).prop_map(|(a, b, c)| Call::Fchown(a, b, c)),
        (arg(), any::<u32>(), any::<bool>()).prop_map(|(a, b, c)| Call::Chflags(a, b, c)),
        (fd(), any::<u32>()).prop_map(|(a, b)| Call::Fchflags(a, b)),
        (fd(), arg(), 0u8..4, off(), prop_oneof![0u32..2_000_000_000, Just(UTIME_NOW), Just(UTIME_OMIT)], small())
            .prop_map(|(a, b, c, d, e, f)| Call::Utimens(a, b, c, d, e, f)),
        (fd(), 0u8..4, off(), any::<u32>()).prop_map(|(a, b, c, d)| Call::Futimens(a, b, c, d)),
        (arg(), off()).prop_map(|(a, b)| Call::Truncate(a, b)),
        (fd(), off()).prop_map(|(a, b)| Call::Ftruncate(a, b)),
        fd().prop_map(Call::Fsync),
        Just(Call::Sync),
        fd().prop_map(Call::Dup),
        (fd(), fd()).prop_map(|(a, b)| Call::Dup2(a, b)),
        (fd(), -1i32..14, prop_oneof![0i64..8, any::<i64>()]).prop_map(|(a, b, c)| Call::Fcntl(a, b, c)),
        (fd(), 6i32..11, off(), off(), 0i16..5, -1i16..4).prop_map(|(a, b, c, d, e, f)| Call::Lock(a, b, c, d, e, f)),
        arg().prop_map(Call::Chdir),
        fd().prop_map(Call::Fchdir),
        Just(Call::Getcwd),
        arg().prop_map(Call::Realpath),
        arg().prop_map(Call::Statvfs),
        fd().prop_map(Call::Fstatvfs),
        Just(Call::Getvfsstat),
        (
            0u8..4,
            arg(),
            prop_oneof![Just(0u64), Just(MNT_RDONLY), Just(MNT_UPDATE | MNT_RDONLY), Just(MNT_UPDATE), any::<u64>()]
        )
            .prop_map(|(a, b, c)| Call::Mount(a, b, c)),
        (arg(), prop_oneof![Just(0u64), Just(MNT_FORCE), any::<u64>()]).prop_map(|(a, b)| Call::Unmount(a, b)),
        any::<u32>().prop_map(Call::Umask),
        (id(), id()).prop_map(|(a, b)| Call::Setcred(a, b)),
        (0u8..6, any::<bool>()).prop_map(|(a, b)| Call::Sysctl(a, b)),
        Just(Call::Uname),
    ]
}

fn times(kind: u8, sec: i64, nsec: u32) -> Option<[UtimeSpec; 2]> {
    let t = match nsec {
        UTIME_NOW => UtimeSpec::Now,
        UTIME_OMIT => UtimeSpec::Omit,
        n => UtimeSpec::Set(Timespec::new(sec, n)),
    };
    match kind {
        0 => None,
        1 => Some([t, t]),
        2 => Some([UtimeSpec::Omit, t]),
        _ => Some([t, UtimeSpec::Now]),
    }
}

/// Makes one call; any result but a panic is fine. Nothing may block: fifos and devices are opened
/// non-blocking, and no other process holds a lock we could wait for.
fn exec(p: &Proc, c: &Call) -> KResult<()> {
    let mut buf = vec![0u8; 70_000];
    match c {
        Call::Open(d, a, f, m) => p.openat(*d, &path_of(a), *f | O_NONBLOCK, *m).map(drop),
        Call::Close(d) => p.close(*d),
        Call::Read(d, n) => p.read(*d, &mut buf[..*n]).map(drop),
        Call::Pread(d, n, o) => p.pread(*d, &mut buf[..*n], *o).map(drop),
        Call::Write(d, n) => p.write(*d, &buf[..*n]).map(drop),
        Call::Pwrite(d, n, o) => p.pwrite(*d, &buf[..*n], *o).map(drop),
        Call::Lseek(d, o, w) => p.lseek(*d, *o, *w).map(drop),
        Call::Fstat(d) => p.fstat(*d).map(drop),
        Call::Stat(d, a, f) => p.fstatat(*d, &path_of(a), *f).map(drop),
        Call::Access(d, a, m, f) => p.faccessat(*d, &path_of(a), *m, *f),
        Call::Pathconf(a, n) => p.pathconf(&path_of(a), *n).map(drop),
        Call::Mkdir(d, a, m) => p.mkdirat(*d, &path_of(a), *m),
        Call::Unlink(d, a, f) => p.unlinkat(*d, &path_of(a), *f),
        Call::Rename(d1, a, d2, b) => p.renameat(*d1, &path_of(a), *d2, &path_of(b)),
        Call::Link(d1, a, d2, b, f) => p.linkat(*d1, &path_of(a), *d2, &path_of(b), *f),
        Call::Symlink(t, d, a) => p.symlinkat(&path_of(t), *d, &path_of(a)),
        Call::Readlink(d, a) => p.readlinkat(*d, &path_of(a)).map(drop),
        Call::Mknod(d, a, m, dev) => p.mknodat(*d, &path_of(a), *m, *dev),
        Call::Getdents(d, n) => p.getdents(*d, &mut buf[..*n]).map(drop),
        Call::Readdir(d, n) => p.readdir(*d, *n).map(drop),
        Call::Chmod(d, a, m, f) => p.fchmodat(*d, &path_of(a), *m, *f),
        Call::Fchmod(d, m) => p.fchmod(*d, *m),
        Call::Chown(d, a, u, g, f) => p.fchownat(*d, &path_of(a), *u, *g, *f),
        Call::Fchown(d, u, g) => p.fchown(*d, *u, *g),
        Call::Chflags(a, f, follow) => {
            if *follow {
                p.chflags(&path_of(a), *f)
            } else {
                p.lchflags(&path_of(a), *f)
            }
        }
        Call::Fchflags(d, f) => p.fchflags(*d, *f),
        Call::Utimens(d, a, k, s, n, f) => p.utimensat(*d, &path_of(a), times(*k, *s, *n), *f),
        Call::Futimens(d, k, s, n) => p.futimens(*d, times(*k, *s, *n)),
        Call::Truncate(a, l) => p.truncate(&path_of(a), *l),
        Call::Ftruncate(d, l) => p.ftruncate(*d, *l),
        Call::Fsync(d) => p.fsync(*d),
        Call::Sync => p.sync(),
        Call::Dup(d) => p.dup(*d).map(drop),
        Call::Dup2(a, b) => p.dup2(*a, *b).map(drop),
        Call::Fcntl(d, cmd, a) => {
            // Keep O_NONBLOCK on, or a later read of an empty fifo we also write would wait forever.
            let a = if *cmd == F_SETFL { *a | O_NONBLOCK as i64 } else { *a };
            p.fcntl(*d, *cmd, a).map(drop)
        }
        Call::Lock(d, cmd, s, l, t, w) => {
            let cmd = if *cmd == F_SETLKW { F_SETLK } else { *cmd };
            p.fcntl_lock(*d, cmd, &mut Flock { start: *s, len: *l, pid: 0, ltype: *t, whence: *w })
        }
        Call::Chdir(a) => p.chdir(&path_of(a)),
        Call::Fchdir(d) => p.fchdir(*d),
        Call::Getcwd => p.getcwd().map(drop),
        Call::Realpath(a) => p.realpath(&path_of(a)).map(drop),
        Call::Statvfs(a) => p.statvfs(&path_of(a)).map(drop),
        Call::Fstatvfs(d) => p.fstatvfs(*d).map(drop),
        Call::Getvfsstat => p.getvfsstat().map(drop),
        Call::Mount(t, a, f) => {
            let (ty, spec) =
                [("tmpfs", None), ("kernfs", None), ("ffs", Some("/dev/blk0")), ("nofs", None)][*t as usize];
            p.mount(ty, &path_of(a), *f, spec, &MountOptions::default())
        }
        Call::Unmount(a, f) => p.unmount(&path_of(a), *f),
        Call::Umask(m) => {
            p.umask(*m);
            Ok(())
        }
        Call::Setcred(u, g) => p.setcred(Cred { uid: *u, gid: *g, groups: vec![*g] }),
        Call::Sysctl(n, set) => {
            let name =
                ["kern.hostname", "kern.ostype", "kern.osrelease", "kern.version", "hw.pagesize", "x"][*n as usize];
            if *set {
                p.sysctl_set(name, "fuzzed")
            } else {
                p.sysctl(name).map(drop)
            }
        }
        Call::Uname => {
            p.uname();
            Ok(())
        }
    }
}

fn fuzz(calls: &[Call]) {
    let (k, p) = boot();
    p.mount(
        "tmpfs",
        b"/mnt",
        0,
        None,
        &MountOptions { opts: vec![("size".into(), "4m".into())], ..Default::default() },
    )
    .unwrap();
    p.mkdir(b"/kern", 0o755).unwrap();
    p.mount("kernfs", b"/kern", 0, None, &MountOptions::default()).unwrap();
    k.etfs_register("/dev/blk0", Arc::new(kernel::dev::MemDevice::zeroed(1 << 16))).unwrap();
    write_file(&p, b"/mnt/f", b"data");
    p.mkdir(b"/mnt/a", 0o755).unwrap();
    p.mkdir(b"/mnt/d", 0o755).unwrap();
    p.symlink(b"/mnt/a", b"/mnt/l").unwrap();
    p.mkfifo(b"/mnt/fifo", 0o666).unwrap();
    let worker = p.fork();
    for c in calls {
        let _ = exec(&worker, c);
    }
    // Still a working kernel: every mount answers statvfs, and once the process is gone every mount
    // but the root comes off without force (no vnode reference leaked).
    drop(worker);
    let p = k.new_proc(Cred::root());
    for m in p.getvfsstat().unwrap() {
        p.statvfs(m.mntonname.as_bytes()).unwrap();
    }
    let mut mounts: Vec<String> = k.mounts().iter().map(|m| m.on.clone()).collect();
    mounts.reverse();
    for on in mounts.iter().filter(|m| *m != "/") {
        p.unmount(on.as_bytes(), 0).unwrap_or_else(|e| panic!("unmount {on}: {e}"));
    }
    assert_eq!(k.mounts().len(), 1);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_syscalls_never_panic(calls in prop::collection::vec(call(), 1..120)) {
        fuzz(&calls);
    }
}
