//! NetBSD tests/fs/vfs: t_vfsops.c, t_ro.c, t_unpriv.c, t_io.c, t_full.c, t_mtime_otrunc.c,
//! t_mtime_write.c and t_rwtoro.c, run against every file system (t_ro against read-only mounts).

use crate::common::*;
use kernel::vfs::*;
use kernel::Errno;

// ------------------------------------------------------------------------------------ t_vfsops.c

fn t_vfsops_tmount(_e: &Env) {
    // Mounting and unmounting is what the harness does around every test.
}

fn t_vfsops_tstatvfs(e: &Env) {
    let svb = e.p.statvfs(e.mp.as_bytes()).unwrap();
    assert!(svb.fs.namemax > 0 && svb.fs.namemax <= 511, "f_namemax {}", svb.fs.namemax);
    assert_eq!(svb.fstypename, e.fstype);
    assert_eq!(svb.mntonname, e.mp);
    assert!(svb.fs.bsize > 0 && svb.fs.frsize > 0);
    assert!(svb.fs.bfree <= svb.fs.blocks && svb.fs.bavail <= svb.fs.bfree);
    assert!(svb.fs.ffree <= svb.fs.files);
    // The same through a descriptor and in getvfsstat's list; a file inside reports its mount.
    let fd = e.p.open(e.mp.as_bytes(), O_RDONLY, 0).unwrap();
    assert_eq!(e.p.fstatvfs(fd).unwrap(), svb);
    e.p.close(fd).unwrap();
    let all = e.p.getvfsstat().unwrap();
    assert_eq!(all.iter().filter(|m| m.mntonname == e.mp).count(), 1);
    assert_eq!(all[0].mntonname, "/");
    write_file(&e.p, &e.path("f"), b"x");
    assert_eq!(e.p.statvfs(&e.path("f")).unwrap().fsid, svb.fsid);
    assert_eq!(e.p.stat(&e.path("f")).unwrap().dev, svb.fsid);
    e.p.unlink(&e.path("f")).unwrap();
}

fn t_vfsops_tsync(e: &Env) {
    write_file(&e.p, &e.path("f"), b"data");
    e.p.sync().unwrap();
    let fd = e.p.open(&e.path("f"), O_RDWR, 0).unwrap();
    e.p.fsync(fd).unwrap();
    e.p.close(fd).unwrap();
    e.p.unlink(&e.path("f")).unwrap();
}

// The file-handle cases (tfilehandle, tfhremove, tfhinval) need getfh/fhopen, which this kernel
// does not have.

// ---------------------------------------------------------------------------------------- t_ro.c

const AFILE: &[u8] = b"testfile";
const ADIR: &[u8] = b"testdir";
const AFIFO: &[u8] = b"testfifo";
const ASYMLINK: &[u8] = b"testsymlink";
const ALINK: &[u8] = b"testlink";
const FUNTEXT: &[u8] = b"this is some non-humppa text";

fn nullgen(_e: &Env) {}

fn filegen(e: &Env) {
    e.enter();
    let fd = e.p.open(AFILE, O_CREAT | O_RDWR, 0o777).unwrap();
    assert_eq!(e.p.write(fd, FUNTEXT).unwrap(), FUNTEXT.len());
    e.p.close(fd).unwrap();
    e.p.mkdir(ADIR, 0o777).unwrap();
    e.p.symlink(AFILE, ASYMLINK).unwrap();
    e.exit();
}

fn t_ro_create(e: &Env) {
    e.enter();
    // NetBSD creates AFILE on an empty file system; a name not there is the same case on a
    // prepared image that already holds AFILE.
    expect_err(e.p.open(b"newfile", O_CREAT | O_RDONLY, 0o600), Errno::EROFS);
    expect_err(e.p.open(b"newfile", O_CREAT | O_RDWR | O_EXCL, 0o600), Errno::EROFS);
    e.exit();
}

fn t_ro_rmfile(e: &Env) {
    e.enter();
    expect_err(e.p.unlink(AFILE), Errno::EROFS);
    e.exit();
}

fn t_ro_fileio(e: &Env) {
    e.enter();
    let fd = e.p.open(AFILE, O_RDONLY, 0).unwrap();
    let mut buf = [0u8; 64];
    assert_eq!(e.p.read(fd, &mut buf).unwrap(), FUNTEXT.len());
    assert_eq!(&buf[..FUNTEXT.len()], FUNTEXT);
    e.p.close(fd).unwrap();
    expect_err(e.p.open(AFILE, O_WRONLY, 0), Errno::EROFS);
    expect_err(e.p.open(AFILE, O_RDWR, 0), Errno::EROFS);
    expect_err(e.p.open(AFILE, O_RDONLY | O_TRUNC, 0), Errno::EROFS);
    expect_err(e.p.truncate(AFILE, 0), Errno::EROFS);
    expect_err(e.p.access(AFILE, W_OK), Errno::EROFS);
    e.p.access(AFILE, R_OK).unwrap();
    e.exit();
}

fn t_ro_attrs(e: &Env) {
    e.enter();
    let sb = e.p.stat(AFILE).unwrap();
    let tvs = Some([Timespec::default(), Timespec::default()]);
    expect_err(e.p.chmod(AFILE, 0o775), Errno::EROFS);
    expect_err(e.p.chown(AFILE, 1, 1), Errno::EROFS);
    expect_err(e.p.utimes(AFILE, tvs), Errno::EROFS);
    expect_err(e.p.utimes(AFILE, None), Errno::EROFS);
    expect_err(e.p.chflags(AFILE, UF_NODUMP), Errno::EROFS);
    expect_err(e.p.lchmod(ASYMLINK, 0o700), Errno::EROFS);
    expect_err(e.p.lchown(ASYMLINK, 1, 1), Errno::EROFS);
    expect_err(e.p.lutimes(ASYMLINK, tvs), Errno::EROFS);
    let fd = e.p.open(AFILE, O_RDONLY, 0).unwrap();
    expect_err(e.p.fchmod(fd, 0o775), Errno::EROFS);
    expect_err(e.p.fchown(fd, 1, 1), Errno::EROFS);
    expect_err(e.p.futimes(fd, tvs), Errno::EROFS);
    expect_err(e.p.fchflags(fd, UF_NODUMP), Errno::EROFS);
    // Not open for writing: EBADF/EINVAL before EROFS, as NetBSD checks the descriptor first.
    expect_err(e.p.write(fd, b"x"), Errno::EBADF);
    expect_err(e.p.ftruncate(fd, 0), Errno::EINVAL);
    e.p.close(fd).unwrap();
    assert_eq!(e.p.stat(AFILE).unwrap(), sb, "nothing changed");
    e.exit();
}

fn t_ro_createdir(e: &Env) {
    e.enter();
    expect_err(e.p.mkdir(b"newdir", 0o775), Errno::EROFS);
    // An existing name is EEXIST even on a read-only mount (namei answers before the file system).
    expect_err(e.p.mkdir(ADIR, 0o775), Errno::EEXIST);
    e.exit();
}

fn t_ro_createfifo(e: &Env) {
    e.enter();
    expect_err(e.p.mkfifo(AFIFO, 0o775), Errno::EROFS);
    expect_err(e.p.mknod(b"dev", S_IFCHR | 0o600, 0), Errno::EROFS);
    e.exit();
}

fn t_ro_createsymlink(e: &Env) {
    e.enter();
    expect_err(e.p.symlink(b"hoge", b"newsymlink"), Errno::EROFS);
    e.exit();
}

fn t_ro_createlink(e: &Env) {
    e.enter();
    expect_err(e.p.link(AFILE, ALINK), Errno::EROFS);
    e.exit();
}

fn t_ro_rmdir(e: &Env) {
    e.enter();
    expect_err(e.p.rmdir(ADIR), Errno::EROFS);
    expect_err(e.p.unlinkat(AT_FDCWD, ADIR, AT_REMOVEDIR), Errno::EROFS);
    e.exit();
}

fn t_ro_rename(e: &Env) {
    e.enter();
    expect_err(e.p.rename(AFILE, b"renamed"), Errno::EROFS);
    expect_err(e.p.rename(ADIR, b"renamed"), Errno::EROFS);
    expect_err(e.p.rename(AFILE, ASYMLINK), Errno::EROFS);
    e.exit();
}

/// A file opened for writing before the switch to read-only (which must then be refused: t_rwtoro)
/// cannot exist, so the read-only mount refuses writes at open; a removal of the mount itself is
/// still allowed.
fn t_ro_unmount_and_statvfs(e: &Env) {
    let st = e.p.statvfs(e.mp.as_bytes()).unwrap();
    assert!(st.flag & MNT_RDONLY != 0);
    e.p.sync().unwrap();
}

// ------------------------------------------------------------------------------------ t_unpriv.c

/// rump_sys_setuid(1) in an rforked process: uid 1, root's group left as it was.
fn setuid1(e: &Env) -> Proc {
    let c = e.p.fork();
    let mut cred = c.getcred();
    cred.uid = 1;
    c.setcred(cred).unwrap();
    c
}

fn t_unpriv_owner(e: &Env) {
    e.enter();
    let c = setuid1(e);
    expect_err(c.chown(b".", 1, u32::MAX), Errno::EPERM);
    expect_err(c.chmod(b".", 0o000), Errno::EPERM);
    drop(c);
    e.p.chown(b".", 1, u32::MAX).unwrap();
    let c = setuid1(e);
    c.chown(b".", 1, u32::MAX).unwrap();
    c.chmod(b".", 0o000).unwrap();
    drop(c);
    e.exit();
}

fn t_unpriv_dirperms(e: &Env) {
    e.enter();
    e.p.mkdir(b"dir.test", 0o777).unwrap();
    let c = setuid1(e);
    expect_err(c.open(b"dir.test/file.test", O_RDWR | O_CREAT, 0o666), Errno::EACCES);
    drop(c);
    let fd = e.p.open(b"dir.test/file.test", O_RDWR | O_CREAT, 0o666).unwrap();
    e.p.close(fd).unwrap();
    let c = setuid1(e);
    expect_err(c.unlink(b"dir.test/file.test"), Errno::EACCES);
    drop(c);
    e.p.unlink(b"dir.test/file.test").unwrap();
    e.p.rmdir(b"dir.test").unwrap();
    e.exit();
}

fn t_unpriv_times(e: &Env) {
    e.enter();
    let fd = e.p.open(b"file.test", O_RDWR | O_CREAT, 0o666).unwrap();
    e.p.close(fd).unwrap();
    let c = setuid1(e);
    // genfs_can_chtimes: "now" needs write access (EACCES without); explicit times need ownership.
    expect_err(c.utimes(b"file.test", None), Errno::EACCES);
    expect_err(c.utimes(b"file.test", Some([Timespec::new(1, 0), Timespec::new(2, 0)])), Errno::EPERM);
    drop(c);
    e.p.utimes(b"file.test", None).unwrap();
    // With write permission, anyone may set the times to now, but not to a given time.
    e.p.chmod(b"file.test", 0o666).unwrap();
    let c = setuid1(e);
    c.utimes(b"file.test", None).unwrap();
    c.utimensat(AT_FDCWD, b"file.test", Some([UtimeSpec::Now, UtimeSpec::Now]), 0).unwrap();
    expect_err(c.utimensat(AT_FDCWD, b"file.test", Some([UtimeSpec::Now, UtimeSpec::Omit]), 0), Errno::EPERM);
    expect_err(c.utimes(b"file.test", Some([Timespec::new(1, 0), Timespec::new(2, 0)])), Errno::EPERM);
    drop(c);
    e.p.unlink(b"file.test").unwrap();
    e.exit();
}

/// Permission checks beyond t_unpriv.c: owner/group/other bits, the sticky directory, chown and
/// chmod as non-root, new files taking the directory's group.
fn t_unpriv_permissions(e: &Env) {
    e.enter();
    e.p.chmod(b".", 0o777).unwrap();
    let alice = e.as_user(100, 100);
    let bob = e.as_user(101, 100);
    let eve = e.as_user(102, 102);
    write_file(&alice, b"f", b"secret");
    // The file took the directory's group (0); alice moves it to her own.
    assert_eq!(e.p.stat(b"f").unwrap().gid, 0);
    alice.chown(b"f", u32::MAX, 100).unwrap();
    alice.chmod(b"f", 0o640).unwrap();
    assert_eq!(read_file(&bob, b"f"), b"secret");
    expect_err(bob.open(b"f", O_WRONLY, 0), Errno::EACCES);
    expect_err(eve.open(b"f", O_RDONLY, 0), Errno::EACCES);
    expect_err(eve.access(b"f", R_OK), Errno::EACCES);
    eve.access(b"f", F_OK).unwrap();
    // The owner's bits decide for the owner even when the group's would allow more.
    alice.chmod(b"f", 0o070).unwrap();
    expect_err(alice.open(b"f", O_RDONLY, 0), Errno::EACCES);
    bob.open(b"f", O_RDONLY, 0).map(|fd| bob.close(fd).unwrap()).unwrap();
    alice.chmod(b"f", 0o644).unwrap();
    // Root reads anything but executes only what has an execute bit.
    e.p.access(b"f", R_OK | W_OK).unwrap();
    expect_err(e.p.access(b"f", X_OK), Errno::EACCES);
    // Search permission on directories.
    alice.mkdir(b"d", 0o700).unwrap();
    write_file(&alice, b"d/g", b"");
    expect_err(bob.stat(b"d/g"), Errno::EACCES);
    expect_err(bob.chdir(b"d"), Errno::EACCES);
    // chown: only root gives files away; an owner may change the group to one of its own groups.
    expect_err(alice.chown(b"f", 101, u32::MAX), Errno::EPERM);
    expect_err(alice.chown(b"f", u32::MAX, 102), Errno::EPERM);
    let mut cred = alice.getcred();
    cred.groups = vec![100, 7];
    alice.setcred(cred).unwrap();
    alice.chown(b"f", u32::MAX, 7).unwrap();
    assert_eq!(e.p.stat(b"f").unwrap().gid, 7);
    // chmod by a non-owner is EPERM; the sticky bit on a file is EFTYPE for non-root; setgid for a
    // group one is not in is EPERM.
    expect_err(bob.chmod(b"f", 0o777), Errno::EPERM);
    expect_err(alice.chmod(b"f", 0o1644), Errno::EFTYPE);
    e.p.chown(b"f", u32::MAX, 102).unwrap();
    expect_err(alice.chmod(b"f", 0o2644), Errno::EPERM);
    // A non-root chown to a new group clears set-group-id (ufs_chown), not set-user-id; root's
    // chown clears nothing; chown(-1, -1) changes nothing, not even ctime.
    e.p.chown(b"f", u32::MAX, 100).unwrap();
    e.p.chmod(b"f", 0o6755).unwrap();
    alice.chown(b"f", u32::MAX, 7).unwrap();
    assert_eq!(e.p.stat(b"f").unwrap().mode & 0o7777, 0o4755);
    e.p.chmod(b"f", 0o6755).unwrap();
    e.p.chown(b"f", 100, 100).unwrap();
    assert_eq!(e.p.stat(b"f").unwrap().mode & 0o7777, 0o6755);
    let before = e.p.stat(b"f").unwrap();
    alice.chown(b"f", u32::MAX, u32::MAX).unwrap();
    assert_eq!(e.p.stat(b"f").unwrap(), before);
    e.p.chmod(b"f", 0o755).unwrap();
    // New nodes take the directory's group, not the creator's.
    e.p.mkdir(b"grp", 0o777).unwrap();
    e.p.chmod(b"grp", 0o777).unwrap();
    e.p.chown(b"grp", 0, 55).unwrap();
    write_file(&eve, b"grp/new", b"");
    eve.mkdir(b"grp/newdir", 0o777).unwrap();
    assert_eq!(e.p.stat(b"grp/new").unwrap().gid, 55);
    assert_eq!(e.p.stat(b"grp/newdir").unwrap().gid, 55);
    assert_eq!(e.p.stat(b"grp/new").unwrap().uid, 102);
    // mknod of a device is root's; a fifo anyone's.
    expect_err(eve.mknod(b"grp/dev", S_IFCHR | 0o600, 0), Errno::EPERM);
    eve.mkfifo(b"grp/fifo", 0o600).unwrap();
    for n in [b"grp/new" as &[u8], b"grp/fifo"] {
        eve.unlink(n).unwrap();
    }
    eve.rmdir(b"grp/newdir").unwrap();
    e.p.rmdir(b"grp").unwrap();
    alice.unlink(b"d/g").unwrap();
    alice.rmdir(b"d").unwrap();
    alice.unlink(b"f").unwrap();
    drop((alice, bob, eve));
    e.exit();
}

/// ffs_write/tmpfs_write: a write by anyone but root clears set-user-ID and set-group-ID (kauth's
/// RETAIN_SUID/RETAIN_SGID are root's); root's write and an empty write keep them.
fn t_unpriv_setid_write(e: &Env) {
    e.enter();
    e.p.chmod(b".", 0o777).unwrap();
    let alice = e.as_user(100, 100);
    let nobody = e.as_user(65534, 65534);
    for (name, mode) in [("u", 0o4777), ("g", 0o2777), ("ug", 0o6777)] {
        let f = name.as_bytes();
        write_file(&e.p, f, b"x");
        e.p.chmod(f, mode).unwrap();
        // Root writes: the bits stay.
        let fd = e.p.open(f, O_WRONLY | O_APPEND, 0).unwrap();
        e.p.write(fd, b"r").unwrap();
        e.p.close(fd).unwrap();
        assert_eq!(e.p.stat(f).unwrap().mode & 0o7777, mode, "{name}: root's write");
        // Another user opens it for writing (the mode allows it): nothing written, nothing cleared.
        let fd = nobody.open(f, O_WRONLY, 0).unwrap();
        assert_eq!(nobody.write(fd, b""), Ok(0));
        assert_eq!(e.p.stat(f).unwrap().mode & 0o7777, mode, "{name}: an empty write");
        assert_eq!(nobody.write(fd, b"n"), Ok(1));
        nobody.close(fd).unwrap();
        assert_eq!(e.p.stat(f).unwrap().mode & 0o7777, 0o777, "{name}: another user's write");
        // The owner, not root, clears them too.
        e.p.chown(f, 100, 100).unwrap();
        e.p.chmod(f, mode).unwrap();
        let fd = alice.open(f, O_WRONLY, 0).unwrap();
        alice.pwrite(fd, b"a", 0).unwrap();
        alice.close(fd).unwrap();
        assert_eq!(e.p.stat(f).unwrap().mode & 0o7777, 0o777, "{name}: the owner's write");
        assert_eq!(read_file(&e.p, f), b"ar");
    }
    e.exit();
}

/// The sticky directory (genfs_can_sticky): in a 01777 directory only root, the directory's owner
/// and the file's owner remove or rename a file.
fn t_unpriv_sticky(e: &Env) {
    e.enter();
    e.p.mkdir(b"tmp", 0o777).unwrap();
    e.p.chmod(b"tmp", 0o1777).unwrap();
    e.p.chown(b"tmp", 200, 200).unwrap();
    let alice = e.as_user(100, 100);
    let bob = e.as_user(101, 101);
    let owner = e.as_user(200, 200);
    write_file(&alice, b"tmp/a", b"");
    alice.mkdir(b"tmp/ad", 0o777).unwrap();
    expect_err(bob.unlink(b"tmp/a"), Errno::EPERM);
    expect_err(bob.rename(b"tmp/a", b"tmp/b"), Errno::EPERM);
    expect_err(bob.rmdir(b"tmp/ad"), Errno::EPERM);
    write_file(&bob, b"tmp/b", b"");
    expect_err(bob.rename(b"tmp/b", b"tmp/a"), Errno::EPERM);
    alice.rename(b"tmp/a", b"tmp/a2").unwrap();
    owner.unlink(b"tmp/a2").unwrap();
    owner.rmdir(b"tmp/ad").unwrap();
    bob.unlink(b"tmp/b").unwrap();
    write_file(&alice, b"tmp/c", b"");
    e.p.unlink(b"tmp/c").unwrap();
    drop((alice, bob, owner));
    e.p.rmdir(b"tmp").unwrap();
    e.exit();
}

// ---------------------------------------------------------------------------------------- t_io.c

const PAGE: usize = 4096;

fn t_io_holywrite(e: &Env) {
    e.enter();
    let fd = e.p.open(b"file", O_RDWR | O_CREAT | O_TRUNC, 0o666).unwrap();
    e.p.pwrite(fd, b"A", PAGE as i64).unwrap();
    e.p.pwrite(fd, b"BB", PAGE as i64 - 1).unwrap();
    let therange = PAGE + 1;
    let mut b2 = vec![0xffu8; 2 * PAGE];
    assert_eq!(e.p.pread(fd, &mut b2[..therange], 0).unwrap(), therange);
    let mut b3 = vec![0u8; therange];
    b3[PAGE - 1] = b'B';
    b3[PAGE] = b'B';
    assert_eq!(&b2[..therange], &b3[..]);
    e.p.close(fd).unwrap();
    e.exit();
}

const TESTSTR: &[u8] = b"this is a string.  collect enough and you'll have Em\0";

fn extendbody(e: &Env, seekcnt: i64) {
    e.enter();
    let fd = e.p.open(b"testfile", O_CREAT | O_RDWR | if seekcnt != 0 { O_APPEND } else { 0 }, 0o666).unwrap();
    e.p.ftruncate(fd, seekcnt).unwrap();
    assert_eq!(e.p.fstat(fd).unwrap().size, seekcnt as u64);
    assert_eq!(e.p.write(fd, TESTSTR).unwrap(), TESTSTR.len());
    let mut buf = vec![0u8; TESTSTR.len()];
    assert_eq!(e.p.pread(fd, &mut buf, seekcnt).unwrap(), TESTSTR.len());
    assert_eq!(buf, TESTSTR);
    assert_eq!(e.p.fstat(fd).unwrap().size, TESTSTR.len() as u64 + seekcnt as u64);
    e.p.close(fd).unwrap();
    e.exit();
}

fn t_io_extendfile(e: &Env) {
    extendbody(e, 0);
}

fn t_io_extendfile_append(e: &Env) {
    extendbody(e, 37);
}

fn overwritebody(e: &Env, count: usize, dotrunc: bool) {
    let buf: Vec<u8> = (0..count).map(|i| (i * 7) as u8).collect();
    e.enter();
    let fd = e.p.open(b"testi", O_CREAT | O_RDWR, 0o666).unwrap();
    assert_eq!(e.p.write(fd, &buf).unwrap(), count);
    e.p.close(fd).unwrap();
    let fd = e.p.open(b"testi", O_RDWR, 0).unwrap();
    if dotrunc {
        e.p.ftruncate(fd, 0).unwrap();
    }
    assert_eq!(e.p.write(fd, &buf).unwrap(), count);
    e.p.close(fd).unwrap();
    assert_eq!(read_file(&e.p, b"testi"), buf);
    e.exit();
}

fn t_io_overwrite512(e: &Env) {
    overwritebody(e, 512, false);
}

fn t_io_overwrite64k(e: &Env) {
    overwritebody(e, 1 << 16, false);
}

fn t_io_overwrite_trunc(e: &Env) {
    overwritebody(e, 1 << 16, true);
}

fn t_io_shrinkfile(e: &Env) {
    e.enter();
    let fd = e.p.open(b"file", O_RDWR | O_CREAT | O_TRUNC, 0o666).unwrap();
    e.p.ftruncate(fd, 2).unwrap();
    e.p.ftruncate(fd, 1).unwrap();
    assert_eq!(e.p.fstat(fd).unwrap().size, 1);
    // Shrinking zeroes what lay past the new end: growing again shows zeros, not old bytes.
    e.p.pwrite(fd, &[7u8; 5000], 0).unwrap();
    e.p.ftruncate(fd, 10).unwrap();
    e.p.ftruncate(fd, 5000).unwrap();
    let mut buf = vec![1u8; 5000];
    assert_eq!(e.p.pread(fd, &mut buf, 0).unwrap(), 5000);
    assert!(buf[..10].iter().all(|&b| b == 7));
    assert!(buf[10..].iter().all(|&b| b == 0));
    e.p.close(fd).unwrap();
    e.exit();
}

fn t_io_read_after_unlink(e: &Env) {
    const TBSIZE: usize = 9000;
    e.enter();
    let fd = e.p.open(b"file", O_RDWR | O_CREAT, 0o666).unwrap();
    let buf = vec![b'D'; TBSIZE];
    assert_eq!(e.p.write(fd, &buf).unwrap(), TBSIZE);
    e.p.close(fd).unwrap();
    // Our cwd is inside: the unmount is refused.
    expect_err(e.p.unmount(e.mp.as_bytes(), 0), Errno::EBUSY);
    let fd = e.p.open(b"file", O_RDWR, 0).unwrap();
    e.p.unlink(b"file").unwrap();
    let mut buf2 = vec![0u8; TBSIZE];
    assert_eq!(e.p.read(fd, &mut buf2).unwrap(), TBSIZE);
    assert_eq!(buf, buf2);
    assert_eq!(e.p.fstat(fd).unwrap().nlink, 0);
    e.p.close(fd).unwrap();
    e.exit();
}

fn t_io_wrrd_after_unlink(e: &Env) {
    e.enter();
    let value = 0x11i32.to_ne_bytes();
    let fd = e.p.open(b"file", O_RDWR | O_CREAT, 0o666).unwrap();
    e.p.unlink(b"file").unwrap();
    e.p.pwrite(fd, &value, 654321).unwrap();
    e.p.fsync(fd).unwrap();
    let mut v2 = [0u8; 4];
    e.p.pread(fd, &mut v2, 654321).unwrap();
    e.p.close(fd).unwrap();
    assert_eq!(value, v2);
    e.exit();
}

// -------------------------------------------------------------------------------------- t_full.c

fn t_full_fillfs(e: &Env) {
    e.enter();
    let fd = e.p.open(b"afile", O_CREAT | O_RDWR, 0o666).unwrap();
    let mut written = 0u64;
    let mut i = 0u8;
    let err = loop {
        let buf = [i; 8192];
        i = i.wrapping_add(1);
        match e.p.write(fd, &buf) {
            Ok(n) => written += n as u64,
            Err(err) => break err,
        }
        assert!(written < FSTEST_IMGSIZE + (1 << 16), "filled file system over size limit");
    };
    assert_eq!(err, Errno::ENOSPC);
    // A full file system still reads, and frees space when a file goes.
    let st = e.p.fstat(fd).unwrap();
    assert_eq!(st.size, written);
    e.p.close(fd).unwrap();
    assert_eq!(e.p.statvfs(b".").unwrap().fs.bavail, 0);
    e.p.unlink(b"afile").unwrap();
    assert!(e.p.statvfs(b".").unwrap().fs.bavail > 0);
    write_file(&e.p, b"small", b"fits again");
    e.p.unlink(b"small").unwrap();
    e.exit();
}

// ---------------------------------------------------------------------- t_mtime_otrunc.c, _write.c

fn t_mtime_otrunc_otrunc_mtime_update(e: &Env) {
    e.enter();
    let mut last = None;
    for _ in 0..5 {
        let fd = e.p.open(b"lock", O_WRONLY | O_CREAT | O_TRUNC, 0o666).unwrap();
        e.p.close(fd).unwrap();
        let m = e.p.stat(b"lock").unwrap().mtime;
        if let Some(l) = last {
            assert!(m > l, "open(O_TRUNC) of an empty file did not move mtime");
        }
        last = Some(m);
    }
    e.exit();
}

fn t_mtime_write_mtime_update_on_write(e: &Env) {
    e.enter();
    let mut last = None;
    for _ in 0..5 {
        let fd = e.p.open(b"lock", O_WRONLY | O_CREAT, 0o666).unwrap();
        e.p.write(fd, b"0123456789").unwrap();
        e.p.close(fd).unwrap();
        let m = e.p.stat(b"lock").unwrap().mtime;
        if let Some(l) = last {
            assert!(m > l, "write did not move mtime");
        }
        last = Some(m);
    }
    e.exit();
}

// ------------------------------------------------------------------------------------ t_rwtoro.c

fn remount_ro(e: &Env) -> kernel::KResult<()> {
    e.p.mount(e.fstype, e.mp.as_bytes(), MNT_UPDATE | MNT_RDONLY, None, &MountOptions::default())
}

fn remount_rw(e: &Env) {
    e.p.mount(e.fstype, e.mp.as_bytes(), MNT_UPDATE, None, &MountOptions::default()).unwrap();
}

fn t_rwtoro_noneopen(e: &Env) {
    remount_ro(e).unwrap();
    expect_err(e.p.mkdir(&e.path("d"), 0o777), Errno::EROFS);
    remount_rw(e);
    e.p.mkdir(&e.path("d"), 0o777).unwrap();
    e.p.rmdir(&e.path("d")).unwrap();
}

fn t_rwtoro_readopen(e: &Env) {
    let path = e.path("file");
    let fd = e.p.open(&path, O_CREAT | O_RDWR, 0o777).unwrap();
    e.p.close(fd).unwrap();
    let fd = e.p.open(&path, O_RDONLY, 0).unwrap();
    remount_ro(e).unwrap();
    e.p.close(fd).unwrap();
    remount_rw(e);
}

fn t_rwtoro_writeopen(e: &Env) {
    let fd = e.p.open(&e.path("file"), O_CREAT | O_RDWR, 0o777).unwrap();
    expect_err(remount_ro(e), Errno::EBUSY);
    e.p.write(fd, b"still writable").unwrap();
    e.p.close(fd).unwrap();
    remount_ro(e).unwrap();
    remount_rw(e);
}

fn t_rwtoro_read_unlinked(e: &Env) {
    let path = e.path("file");
    let fd = e.p.open(&path, O_CREAT | O_RDWR, 0o777).unwrap();
    e.p.close(fd).unwrap();
    let fd = e.p.open(&path, O_RDONLY, 0).unwrap();
    e.p.unlink(&path).unwrap();
    // Freeing the file at its last close is a write.
    expect_err(remount_ro(e), Errno::EBUSY);
    e.p.close(fd).unwrap();
    remount_ro(e).unwrap();
    remount_rw(e);
}

rw_tests!(
    t_vfsops_tmount,
    t_vfsops_tstatvfs,
    t_vfsops_tsync,
    t_unpriv_owner,
    t_unpriv_dirperms,
    t_unpriv_times,
    t_unpriv_permissions,
    t_unpriv_sticky,
    t_unpriv_setid_write,
    t_io_holywrite,
    t_io_extendfile,
    t_io_extendfile_append,
    t_io_overwrite512,
    t_io_overwrite64k,
    t_io_overwrite_trunc,
    t_io_shrinkfile,
    t_io_read_after_unlink,
    t_io_wrrd_after_unlink,
    t_full_fillfs,
    t_mtime_otrunc_otrunc_mtime_update,
    t_mtime_write_mtime_update_on_write,
    t_rwtoro_noneopen,
    t_rwtoro_readopen,
    t_rwtoro_writeopen,
    t_rwtoro_read_unlinked,
);

ro_tests!(
    t_ro_create: nullgen,
    t_ro_rmfile: filegen,
    t_ro_fileio: filegen,
    t_ro_attrs: filegen,
    t_ro_createdir: filegen,
    t_ro_createfifo: nullgen,
    t_ro_createsymlink: nullgen,
    t_ro_createlink: filegen,
    t_ro_rmdir: filegen,
    t_ro_rename: filegen,
    t_ro_unmount_and_statvfs: nullgen,
);
