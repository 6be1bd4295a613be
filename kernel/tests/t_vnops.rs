//! NetBSD tests/fs/vfs/t_vnops.c (and t_link.c), run against every read-write file system.

mod common;

use common::*;
use kernel::vfs::*;
use kernel::Errno;

fn t_vnops_lookup_simple(e: &Env) {
    // mp/../mnt and mp/./../mnt name the same directory.
    let base = e.mp.rsplit('/').next().unwrap();
    let sb1 = e.p.stat(format!("{}/../{}", e.mp, base).as_bytes()).unwrap();
    let sb2 = e.p.stat(format!("{}/./../{}", e.mp, base).as_bytes()).unwrap();
    assert_eq!(sb1, sb2);
}

fn t_vnops_lookup_complex(e: &Env) {
    e.p.mkdir(&e.path("dir"), 0o777).unwrap();
    let sb1 = e.p.stat(&e.path("dir")).unwrap();
    let mut sb2 = e.p.stat(&e.path("./dir/../././dir/.")).unwrap();
    // A search may touch the directory's atime; up to one second later is allowed.
    if sb2.atime > sb1.atime && sb2.atime.sec < sb1.atime.sec + 1 {
        sb2.atime = sb1.atime;
    }
    assert_eq!(sb1, sb2);
}

fn t_vnops_dir_simple(e: &Env) {
    let pb = e.path("dir");
    e.p.mkdir(&pb, 0o777).unwrap();
    e.p.stat(&pb).unwrap();
    e.p.rmdir(&pb).unwrap();
    expect_err(e.p.stat(&pb), Errno::ENOENT);
}

fn do_dir_slash(e: &Env, addend: &str) {
    let plain = format!("{}/dir{addend}", e.mp).into_bytes();
    let with_slash = e.path("dir/");
    e.p.mkdir(&with_slash, 0o777).unwrap();
    e.p.stat(&plain).unwrap();
    e.p.rmdir(&plain).unwrap();
    expect_err(e.p.stat(&with_slash), Errno::ENOENT);
}

fn t_vnops_dir_slash(e: &Env) {
    do_dir_slash(e, "/");
}

fn t_vnops_dir_2slash(e: &Env) {
    do_dir_slash(e, "//");
}

fn t_vnops_dir_3slash(e: &Env) {
    do_dir_slash(e, "///");
}

fn t_vnops_dir_notempty(e: &Env) {
    let pb = e.path("dir");
    let pb2 = e.path("dir/file");
    e.p.mkdir(&pb, 0o777).unwrap();
    let fd = e.p.open(&pb2, O_RDWR | O_CREAT, 0o777).unwrap();
    e.p.close(fd).unwrap();
    expect_err(e.p.rmdir(&pb), Errno::ENOTEMPTY);
    e.p.unlink(&pb2).unwrap();
    e.p.rmdir(&pb).unwrap();
}

fn t_vnops_dir_rmdirdotdot(e: &Env) {
    e.enter();
    e.p.mkdir(b"test", 0o777).unwrap();
    e.p.chdir(b"test").unwrap();
    e.p.mkdir(b"subtest", 0o777).unwrap();
    e.p.chdir(b"subtest").unwrap();
    e.p.rmdir(&e.path("test/subtest")).unwrap();
    e.p.rmdir(&e.path("test")).unwrap();
    expect_err(e.p.chdir(b".."), Errno::ENOENT);
    // The removed cwd is empty and takes no new entries; getcwd cannot name it.
    expect_err(e.p.mkdir(b"x", 0o777), Errno::ENOENT);
    expect_err(e.p.open(b"x", O_CREAT | O_RDWR, 0o666), Errno::ENOENT);
    expect_err(e.p.getcwd(), Errno::ENOENT);
    assert_eq!(e.p.readdir_path(b".").unwrap().len(), 0);
    e.exit();
}

fn checkfile(e: &Env, dir: &[u8], reference: &Stat) {
    let mut p = dir.to_vec();
    p.extend_from_slice(b"/file");
    assert_eq!(&e.p.stat(&p).unwrap(), reference, "stat of {}", String::from_utf8_lossy(&p));
}

fn t_vnops_rename_dir(e: &Env) {
    let p = &e.p;
    p.mkdir(&e.path("dir1"), 0o777).unwrap();
    p.mkdir(&e.path("dir2"), 0o777).unwrap();
    p.mkdir(&e.path("dir2/subdir"), 0o777).unwrap();
    p.mknod(&e.path("dir1/file"), S_IFREG | 0o777, u64::MAX).unwrap();
    let r = p.stat(&e.path("dir1/file")).unwrap();

    // Rename within a directory.
    p.rename(&e.path("dir1"), &e.path("dir3")).unwrap();
    checkfile(e, &e.path("dir3"), &r);

    // Rename a directory onto itself, two ways.
    expect_err(p.rename(&e.path("dir3/."), &e.path("dir3")), Errno::EINVAL);
    expect_err(p.rename(&e.path("dir3"), &e.path("dir3/.")), Errno::EISDIR);
    checkfile(e, &e.path("dir3"), &r);

    // A directory into itself, and into its grandchild.
    expect_err(p.rename(&e.path("dir2"), &e.path("dir2/dir")), Errno::EINVAL);
    expect_err(p.rename(&e.path("dir2"), &e.path("dir2/subdir/dir2")), Errno::EINVAL);
    checkfile(e, &e.path("dir3"), &r);

    // Over a non-empty directory.
    expect_err(p.rename(&e.path("dir2"), &e.path("dir3")), Errno::ENOTEMPTY);

    // Cross-directory rename, and back up through "..".
    p.rename(&e.path("dir3"), &e.path("dir2/somedir")).unwrap();
    checkfile(e, &e.path("dir2/somedir"), &r);
    p.rename(&e.path("dir2/somedir"), &e.path("dir2/somedir/../../dir3")).unwrap();
    checkfile(e, &e.path("dir2/../dir3"), &r);

    // Atomic cross-directory rename over an empty directory.
    p.rename(&e.path("dir2/../dir3"), &e.path("dir2/subdir")).unwrap();
    checkfile(e, &e.path("dir2/subdir"), &r);

    // Over an empty directory: the parent loses one link.
    p.mkdir(&e.path("parent"), 0o777).unwrap();
    p.mkdir(&e.path("parent/dir1"), 0o777).unwrap();
    p.mkdir(&e.path("parent/dir2"), 0o777).unwrap();
    p.rename(&e.path("parent/dir1"), &e.path("parent/dir2")).unwrap();
    assert_eq!(p.stat(&e.path("parent")).unwrap().nlink, 3);
    p.rmdir(&e.path("parent/dir2")).unwrap();
    p.rmdir(&e.path("parent")).unwrap();
}

/// Link counts and the type rules of rename, beyond t_vnops: directory over file (ENOTDIR), file over
/// directory (EISDIR), link counts of both parents after a cross-directory move, ".." of the moved one.
fn t_vnops_rename_dir_linkcounts(e: &Env) {
    let p = &e.p;
    e.enter();
    p.mkdir(b"a", 0o777).unwrap();
    p.mkdir(b"b", 0o777).unwrap();
    p.mkdir(b"a/d", 0o777).unwrap();
    write_file(p, b"f", b"x");
    let root_links = p.stat(b".").unwrap().nlink;
    assert_eq!(p.stat(b"a").unwrap().nlink, 3);
    assert_eq!(p.stat(b"b").unwrap().nlink, 2);
    p.rename(b"a/d", b"b/d").unwrap();
    assert_eq!(p.stat(b"a").unwrap().nlink, 2);
    assert_eq!(p.stat(b"b").unwrap().nlink, 3);
    assert_eq!(p.stat(b"b/d/..").unwrap().ino, p.stat(b"b").unwrap().ino);
    expect_err(p.rename(b"b/d", b"f"), Errno::ENOTDIR);
    expect_err(p.rename(b"f", b"b/d"), Errno::EISDIR);
    expect_err(p.rename(b"f", b"f2/"), Errno::ENOENT);
    expect_err(p.rename(b"f/", b"f2"), Errno::ENOTDIR);
    expect_err(p.rename(b"nonexistent", b"f2"), Errno::ENOENT);
    p.rename(b"b/d", b"d2/").unwrap();
    assert_eq!(p.stat(b"b").unwrap().nlink, 2);
    assert_eq!(p.stat(b".").unwrap().nlink, root_links + 1);
    // A directory over an empty directory elsewhere: the source parent loses a link, the target
    // parent keeps its count.
    p.mkdir(b"a/e", 0o777).unwrap();
    p.rename(b"d2", b"a/e").unwrap();
    assert_eq!(p.stat(b"a").unwrap().nlink, 3);
    assert_eq!(p.stat(b".").unwrap().nlink, root_links);
    // Renaming a name to itself changes nothing.
    let before = p.stat(b"a/e").unwrap();
    p.rename(b"a/e", b"a/e").unwrap();
    assert_eq!(p.stat(b"a/e").unwrap().ino, before.ino);
    p.rmdir(b"a/e").unwrap();
    p.rmdir(b"a").unwrap();
    p.rmdir(b"b").unwrap();
    p.unlink(b"f").unwrap();
    e.exit();
}

fn t_vnops_rename_dotdot(e: &Env) {
    e.enter();
    e.p.mkdir(b"dir1", 0o777).unwrap();
    e.p.mkdir(b"dir2", 0o777).unwrap();
    expect_err(e.p.rename(b"dir1", b"dir1/.."), Errno::EINVAL);
    expect_err(e.p.rename(b"dir1/..", b"sometarget"), Errno::EINVAL);
    expect_err(e.p.rename(b"dir1", b"dir2/.."), Errno::EINVAL);
    expect_err(e.p.rename(b".", b"sometarget"), Errno::EINVAL);
    e.exit();
}

fn t_vnops_rename_reg_nodir(e: &Env) {
    let p = &e.p;
    e.enter();
    p.mknod(b"file1", S_IFREG | 0o777, u64::MAX).unwrap();
    p.mknod(b"file2", S_IFREG | 0o777, u64::MAX).unwrap();
    let f1ino = p.stat(b"file1").unwrap().ino;
    p.link(b"file1", b"file_link").unwrap();
    let sb = p.stat(b"file_link").unwrap();
    assert_eq!(sb.ino, f1ino);
    assert_eq!(sb.nlink, 2);
    p.stat(b"file2").unwrap();

    p.rename(b"file1", b"file3").unwrap();
    assert_eq!(p.stat(b"file3").unwrap().ino, f1ino);
    expect_err(p.stat(b"file1"), Errno::ENOENT);

    p.rename(b"file3", b"file2").unwrap();
    assert_eq!(p.stat(b"file2").unwrap().ino, f1ino);
    expect_err(p.stat(b"file3"), Errno::ENOENT);

    // Two links of one file: NetBSD's rename(2) (do_sys_renameat with retain 0) removes the source.
    p.rename(b"file2", b"file_link").unwrap();
    expect_err(p.stat(b"file2"), Errno::ENOENT);
    let sb = p.stat(b"file_link").unwrap();
    assert_eq!(sb.ino, f1ino);
    assert_eq!(sb.nlink, 1);

    // The C test's NULL paths (EFAULT) have no Rust form; empty paths are ENOENT.
    expect_err(p.rename(b"file_link", b""), Errno::ENOENT);
    expect_err(p.rename(b"", b"file_link"), Errno::ENOENT);
    e.exit();
}

fn t_vnops_create_many(e: &Env) {
    let nfiles = 2324;
    e.enter();
    e.p.mkdir(b"subdir", 0o777).unwrap();
    e.p.chdir(b"subdir").unwrap();
    for i in 0..nfiles {
        let fd = e.p.open(format!("testfile{i}").as_bytes(), O_RDWR | O_CREAT | O_EXCL, 0o666).unwrap();
        e.p.close(fd).unwrap();
    }
    assert_eq!(list_dir(&e.p, b".").len(), nfiles);
    for i in 0..nfiles {
        e.p.unlink(format!("testfile{i}").as_bytes()).unwrap_or_else(|err| panic!("testfile{i}: {err}"));
    }
    assert!(list_dir(&e.p, b".").is_empty());
    e.exit();
}

fn t_vnops_create_nonalphanum(e: &Env) {
    e.enter();
    let mut created = 0;
    for i in 0..=255u8 {
        let name = [i];
        let fd = match e.p.open(&name, O_RDWR | O_CREAT | O_EXCL, 0o666) {
            Ok(fd) => fd,
            Err(_) => continue,
        };
        created += 1;
        e.p.close(fd).unwrap();
        e.p.unlink(&name).unwrap_or_else(|err| panic!("unlink {i}: {err}"));
    }
    // Every byte but NUL, '/' and '.' names a file (NUL is refused with EINVAL, as a C path ends there).
    assert_eq!(created, 253);
    expect_err(e.p.open(b"\0", O_RDWR | O_CREAT | O_EXCL, 0o666), Errno::EINVAL);
    expect_err(e.p.open(b".", O_RDWR | O_CREAT | O_EXCL, 0o666), Errno::EEXIST);
    expect_err(e.p.open(b"/", O_RDWR | O_CREAT | O_EXCL, 0o666), Errno::EEXIST);
    e.exit();
}

fn t_vnops_create_nametoolong(e: &Env) {
    e.enter();
    let max = e.p.pathconf(b".", 4 /* _PC_NAME_MAX */).unwrap() as usize;
    assert_eq!(e.p.pathconf(b".", 8 /* _PC_NO_TRUNC */).unwrap(), 1);
    let name = vec![b'a'; max + 1];
    expect_err(e.p.open(&name, O_RDWR | O_CREAT, 0o666), Errno::ENAMETOOLONG);
    expect_err(e.p.mkdir(&name, 0o777), Errno::ENAMETOOLONG);
    expect_err(e.p.symlink(b"x", &name), Errno::ENAMETOOLONG);
    expect_err(e.p.stat(&name), Errno::ENAMETOOLONG);
    // NAME_MAX itself is fine.
    let ok = vec![b'b'; max];
    let fd = e.p.open(&ok, O_RDWR | O_CREAT, 0o666).unwrap();
    e.p.close(fd).unwrap();
    assert_eq!(list_dir(&e.p, b"."), vec![ok.clone()]);
    e.p.unlink(&ok).unwrap();
    e.exit();
}

fn t_vnops_create_exist(e: &Env) {
    e.enter();
    let name = b"hoge";
    let fd = e.p.open(name, O_RDWR | O_CREAT | O_EXCL, 0o666).unwrap();
    e.p.close(fd).unwrap();
    e.p.unlink(name).unwrap();
    let fd = e.p.open(name, O_RDWR | O_CREAT, 0o666).unwrap();
    e.p.close(fd).unwrap();
    let fd = e.p.open(name, O_RDWR | O_CREAT, 0o666).unwrap();
    e.p.close(fd).unwrap();
    expect_err(e.p.open(name, O_RDWR | O_CREAT | O_EXCL, 0o666), Errno::EEXIST);
    // O_EXCL does not follow a symbolic link, even a dangling one.
    e.p.symlink(b"nowhere", b"dangling").unwrap();
    expect_err(e.p.open(b"dangling", O_RDWR | O_CREAT | O_EXCL, 0o666), Errno::EEXIST);
    expect_err(e.p.stat(b"nowhere"), Errno::ENOENT);
    // Without O_EXCL the link is followed and its target created.
    let fd = e.p.open(b"dangling", O_RDWR | O_CREAT, 0o666).unwrap();
    e.p.close(fd).unwrap();
    e.p.stat(b"nowhere").unwrap();
    e.p.unlink(b"nowhere").unwrap();
    e.p.unlink(b"dangling").unwrap();
    e.p.unlink(name).unwrap();
    e.exit();
}

fn t_vnops_rename_nametoolong(e: &Env) {
    e.enter();
    let max = e.p.pathconf(b".", 4).unwrap() as usize;
    let name = vec![b'a'; max + 1];
    let fd = e.p.open(b"dummy", O_RDWR | O_CREAT, 0o666).unwrap();
    e.p.close(fd).unwrap();
    expect_err(e.p.rename(b"dummy", &name), Errno::ENAMETOOLONG);
    e.p.stat(b"dummy").unwrap();
    e.p.unlink(b"dummy").unwrap();
    e.exit();
}

fn symlink_len(e: &Env, len: usize) {
    e.enter();
    let buf = vec![b'a'; len];
    let r = e.p.symlink(&buf, b"afile");
    match r {
        Ok(()) => {
            let l = e.p.lstat(b"afile").unwrap();
            assert_eq!(l.size, len as u64);
            assert_eq!(e.p.readlink(b"afile").unwrap(), buf);
            e.p.unlink(b"afile").unwrap();
        }
        Err(err) => assert_eq!(err, Errno::ENAMETOOLONG, "symlink of {len} bytes"),
    }
    // The kernel takes every length below MAXPATHLEN and refuses the rest.
    assert_eq!(r.is_ok(), len < MAXPATHLEN, "symlink of {len} bytes");
    e.exit();
}

fn t_vnops_symlink_zerolen(e: &Env) {
    symlink_len(e, 0);
    // An empty link names nothing.
    e.enter();
    e.p.symlink(b"", b"empty").unwrap();
    expect_err(e.p.stat(b"empty"), Errno::ENOENT);
    assert_eq!(e.p.lstat(b"empty").unwrap().size, 0);
    e.p.unlink(b"empty").unwrap();
    e.exit();
}

fn t_vnops_symlink_long(e: &Env) {
    let mut len = 2;
    while len <= 65536 {
        for l in [len - 1, len, len + 1] {
            symlink_len(e, l);
        }
        len *= 2;
    }
}

fn t_vnops_symlink_root(e: &Env) {
    e.enter();
    e.p.symlink(b"/", b"foo").unwrap();
    e.p.chdir(b"foo").unwrap();
    assert_eq!(e.p.getcwd().unwrap(), b"/");
    e.p.chdir(e.mp.as_bytes()).unwrap();
    e.p.unlink(b"foo").unwrap();
    e.exit();
}

fn t_vnops_attrs(e: &Env) {
    e.enter();
    let fd = e.p.open(b"afile", O_RDWR | O_CREAT, 0o755).unwrap();
    e.p.close(fd).unwrap();
    let mut sb = e.p.stat(b"afile").unwrap();
    e.p.chown(b"afile", 1, 2).unwrap();
    sb.uid = 1;
    sb.gid = 2;
    e.p.chmod(b"afile", 0o123).unwrap();
    sb.mode = (sb.mode & !ACCESSPERMS) | 0o123;
    let tv = [Timespec::new(1_000_000_000, 1000), Timespec::new(1_000_000_002, 3000)];
    e.p.utimes(b"afile", Some(tv)).unwrap();
    e.p.utimes(b"afile", Some(tv)).unwrap();
    let sb2 = e.p.stat(b"afile").unwrap();
    assert_eq!(sb.uid, sb2.uid);
    assert_eq!(sb.gid, sb2.gid);
    assert_eq!(sb.mode, sb2.mode);
    assert_eq!(sb2.atime, tv[0]);
    assert_eq!(sb2.mtime, tv[1]);
    // Nanoseconds survive (utimensat), UTIME_OMIT leaves a time alone, and ctime moved on.
    let t = Timespec::new(1_234_567_890, 123_456_789);
    e.p.utimensat(AT_FDCWD, b"afile", Some([UtimeSpec::Omit, UtimeSpec::Set(t)]), 0).unwrap();
    let sb3 = e.p.stat(b"afile").unwrap();
    assert_eq!(sb3.atime, tv[0]);
    assert_eq!(sb3.mtime, t);
    assert!(sb3.ctime > sb.ctime);
    expect_err(
        e.p.utimensat(AT_FDCWD, b"afile", Some([UtimeSpec::Set(Timespec::new(0, 1_000_000_000)), UtimeSpec::Omit]), 0),
        Errno::EINVAL,
    );
    e.p.unlink(b"afile").unwrap();
    e.exit();
}

fn flock(start: i64, len: i64, ltype: i16) -> Flock {
    Flock { start, len, pid: 0, ltype, whence: SEEK_SET as i16 }
}

fn t_vnops_fcntl_lock(e: &Env) {
    e.enter();
    let mut l = Flock { start: 1024, len: 1024, pid: 0, ltype: F_RDLCK | F_WRLCK, whence: SEEK_END as i16 };
    let fd = e.p.open(b"afile", O_RDWR | O_CREAT, 0o755).unwrap();
    e.p.ftruncate(fd, 8192).unwrap();
    e.p.fcntl_lock(fd, F_SETLK, &mut l).unwrap();

    // Fork and try to lock the same area.
    let p2 = e.p.fork();
    let fd2 = p2.open(b"afile", O_RDWR, 0).unwrap();
    expect_err(p2.fcntl_lock(fd2, F_SETLK, &mut l), Errno::EAGAIN);

    // Unlock in the first process, then the second gets it.
    l.ltype = F_UNLCK;
    e.p.fcntl_lock(fd, F_SETLK, &mut l).unwrap();
    l.ltype = F_RDLCK | F_WRLCK;
    p2.fcntl_lock(fd2, F_SETLK, &mut l).unwrap();
    p2.close(fd2).unwrap();
    drop(p2);
    e.p.close(fd).unwrap();
    e.exit();
}

/// fcntl_getlocks of t_vnops.c: every lock in [start, start+len) as F_GETLK finds them.
fn fcntl_getlocks(p: &Proc, fd: i32, start: i64, len: i64, out: &mut Vec<Flock>, max: usize) {
    if out.len() == max {
        return;
    }
    let mut l = flock(start, len, F_RDLCK);
    p.fcntl_lock(fd, F_GETLK, &mut l).unwrap();
    if l.ltype == F_UNLCK {
        return;
    }
    out.push(l);
    assert_eq!(l.whence, SEEK_SET as i16);
    if l.start > start {
        fcntl_getlocks(p, fd, start, l.start - start, out, max);
        if out.len() == max {
            return;
        }
    }
    if l.len == 0 {
        return;
    }
    if len == 0 {
        fcntl_getlocks(p, fd, l.start + l.len, len, out, max);
    } else if l.start + l.len < start + len {
        fcntl_getlocks(p, fd, l.start + l.len, len - (l.start + l.len - start), out, max);
    }
}

fn t_vnops_fcntl_getlock_pids(e: &Env) {
    let lock = [flock(0, 2, F_WRLCK), flock(2, 1, F_WRLCK), flock(7, 5, F_WRLCK), flock(4, 3, F_WRLCK)];
    let mut expect = lock.to_vec();
    let sz = 8192;
    e.enter();
    let mut procs = Vec::new();
    let mut fds = Vec::new();
    for i in 0..5 {
        let p = e.p.fork();
        let (flags, mode) = if i == 0 { (O_RDWR | O_CREAT, 0o755) } else { (O_RDWR, 0) };
        let fd = p.open(b"afile", flags, mode).unwrap();
        p.ftruncate(fd, sz).unwrap();
        if i < lock.len() {
            let mut l = lock[i];
            p.fcntl_lock(fd, F_SETLK, &mut l).unwrap();
            expect[i].pid = p.pid() as i32;
        }
        procs.push(p);
        fds.push(fd);
    }
    expect.sort_by_key(|l| l.start);
    for i in 0..5 {
        let mut result = Vec::new();
        fcntl_getlocks(&procs[i], fds[i], 0, sz, &mut result, 5);
        if i < lock.len() {
            // A process does not see its own lock: put it in.
            let mut own = lock[i];
            own.pid = procs[i].pid() as i32;
            result.push(own);
        }
        result.sort_by_key(|l| l.start);
        assert_eq!(result, expect, "process {i}");
    }
    // Exiting releases the processes' descriptors and locks, so the unmount afterwards succeeds.
    drop(procs);
    e.exit();
}

fn t_vnops_access_simple(e: &Env) {
    e.enter();
    let fd = e.p.open(b"tfile", O_CREAT | O_RDWR, 0o777).unwrap();
    e.p.close(fd).unwrap();
    let allacc = F_OK | X_OK | W_OK | R_OK;
    e.p.access(b"tfile", allacc).unwrap();
    expect_err(e.p.access(b"tfile", allacc + 1), Errno::EINVAL);
    e.p.unlink(b"tfile").unwrap();
    e.exit();
}

fn t_vnops_read_directory(e: &Env) {
    e.enter();
    let fd = e.p.open(b".", O_DIRECTORY | O_RDONLY, 0o777).unwrap();
    let mut buf = [0u8; 1024];
    expect_err(e.p.pread(fd, &mut buf, 0), Errno::EISDIR);
    expect_err(e.p.read(fd, &mut buf), Errno::EISDIR);
    e.p.close(fd).unwrap();
    e.exit();
}

fn t_vnops_lstat_symlink(e: &Env) {
    e.enter();
    e.p.symlink(b"source", b"destination").unwrap();
    let st = e.p.lstat(b"destination").unwrap();
    assert_eq!(st.mode & S_IFMT, S_IFLNK);
    assert_eq!(st.size, "source".len() as u64);
    e.p.unlink(b"destination").unwrap();
    e.exit();
}

/// t_link.c's hardlink_* cases without the sysctl (which this kernel does not have): any user may
/// link to another user's file in a directory they can write.
fn hardlink(e: &Env, u1: u32, u2: u32) {
    e.enter();
    let c = e.p.fork();
    c.chmod(b".", 0o777).unwrap();
    c.setcred(Cred { uid: u1, gid: u1, groups: vec![] }).unwrap();
    let fd = c.open(b"foo", O_RDWR | O_CREAT, 0o666).unwrap();
    c.close(fd).unwrap();
    drop(c);
    let c = e.as_user(u2, u2);
    c.link(b"foo", b"bar").unwrap();
    drop(c);
    assert_eq!(e.p.stat(b"bar").unwrap().nlink, 2);
    e.exit();
}

fn t_link_hardlink_sameuser(e: &Env) {
    hardlink(e, 1, 1);
}

fn t_link_hardlink_otheruser(e: &Env) {
    hardlink(e, 1, 2);
}

fn t_link_hardlink_rootuser(e: &Env) {
    hardlink(e, 1, 0);
}

rw_tests!(
    t_vnops_lookup_simple,
    t_vnops_lookup_complex,
    t_vnops_dir_simple,
    t_vnops_dir_slash,
    t_vnops_dir_2slash,
    t_vnops_dir_3slash,
    t_vnops_dir_notempty,
    t_vnops_dir_rmdirdotdot,
    t_vnops_rename_dir,
    t_vnops_rename_dir_linkcounts,
    t_vnops_rename_dotdot,
    t_vnops_rename_reg_nodir,
    t_vnops_create_many,
    t_vnops_create_nonalphanum,
    t_vnops_create_nametoolong,
    t_vnops_create_exist,
    t_vnops_rename_nametoolong,
    t_vnops_symlink_zerolen,
    t_vnops_symlink_long,
    t_vnops_symlink_root,
    t_vnops_attrs,
    t_vnops_fcntl_lock,
    t_vnops_fcntl_getlock_pids,
    t_vnops_access_simple,
    t_vnops_read_directory,
    t_vnops_lstat_symlink,
    t_link_hardlink_sameuser,
    t_link_hardlink_otheruser,
    t_link_hardlink_rootuser,
);
