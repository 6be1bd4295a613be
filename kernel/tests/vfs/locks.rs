//! Advisory record locks between processes (fcntl F_SETLK and F_GETLK), from NetBSD's t_vnops.c: the
//! cases a script cannot run, since they need several kernel processes (rump_pub_lwproc_rfork). The
//! rest of t_vnops.c runs through the whole stack, on every file system, in tests/vfs/t_vnops.test.js.

use crate::common::*;
use kernel::vfs::*;
use kernel::Errno;

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

rw_tests!(t_vnops_fcntl_lock, t_vnops_fcntl_getlock_pids);
