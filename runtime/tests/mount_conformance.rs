//! POSIX permission semantics through `rumpjs mount`: permission matrices run by real host processes
//! (this test forked, then setgroups/setgid/setuid) as root and as two other users, against a tmpfs, a
//! fresh UFS1 and a fresh UFS2 mount, each compared with the same matrix on the host's own file system
//! (/dev/shm). The matrices: opening files of every owner/group/other combination for reading,
//! writing, both and truncation, writing set-ID files, chmod, chown, truncate, utimensat, link,
//! rename and unlink of files; creating, listing, linking, renaming and removing in directories of
//! several modes, sticky or not; mkfifo and mknod; opening FIFOs. The host and the mount must agree
//! on every errno and every resulting mode, owner and size, except where NetBSD and Linux differ on
//! purpose (the group of a new file is its directory's, as BSD does). Afterwards each image is
//! fsck-clean, The Sleuth Kit lists it, and it records the host mount point as "last mounted on".
//! Beside it, the differences the README's mount section documents, as the host sees them.
//!
//! Needs /dev/fuse, fusermount3 and root; without them it says "skipped: …" (RUMPJS_REQUIRE_TOOLS=1
//! makes that a failure).

#[path = "../../tests/support/skip.rs"]
mod skip;

use kernel::dev::{BlockDevice, Dev, FileDevice};
use kernel::fs::ffs::fsck::{fsck, FsckOptions, Repair};
use kernel::fs::ffs::newfs::{newfs, NewfsOptions};
use std::collections::BTreeMap;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

// ------------------------------------------------------------------------------------------ setup

fn have(tool: &str) -> bool {
    Command::new("sh").arg("-c").arg(format!("command -v {tool}")).output().is_ok_and(|o| o.status.success())
}

/// Why the test cannot run here, if it cannot.
fn unavailable() -> Option<String> {
    if !Path::new("/dev/fuse").exists() {
        return Some("no /dev/fuse".into());
    }
    if !have("fusermount3") {
        return Some("no fusermount3 (Debian package fuse3)".into());
    }
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Some("not root (the matrices run as other uids)".into());
    }
    None
}

fn rumpjs() -> Command {
    Command::new(env!("CARGO_BIN_EXE_rumpjs"))
}

/// A `rumpjs mount` at `mnt`, unmounted (everything written) by `umount` or on drop.
struct Mounted {
    mnt: PathBuf,
    done: bool,
}

impl Mounted {
    fn new(args: &[&str], mnt: &Path) -> Mounted {
        std::fs::create_dir_all(mnt).unwrap();
        let o = rumpjs().arg("mount").args(args).arg(mnt).stdin(Stdio::null()).output().unwrap();
        assert!(o.status.success(), "rumpjs mount {args:?}: {}", String::from_utf8_lossy(&o.stderr));
        Mounted { mnt: mnt.to_path_buf(), done: false }
    }

    fn umount(mut self) {
        self.done = true;
        let o = rumpjs().arg("umount").arg(&self.mnt).output().unwrap();
        assert!(o.status.success(), "rumpjs umount: {}", String::from_utf8_lossy(&o.stderr));
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        if !self.done {
            let _ = rumpjs().arg("umount").arg(&self.mnt).output();
            let _ = Command::new("fusermount3").arg("-u").arg("-z").arg(&self.mnt).output();
        }
    }
}

/// A scratch directory, removed at the end.
struct Scratch(PathBuf);

impl Scratch {
    fn new(base: &Path, tag: &str) -> Scratch {
        let p = base.join(format!("rumpjs-conformance-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        Scratch(p)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh FFS image of 32 MiB from our newfs.
fn new_image(path: &Path, ufs: u8) {
    let f = std::fs::File::create(path).unwrap();
    f.set_len(32 << 20).unwrap();
    drop(f);
    let dev = FileDevice::open(path, false).unwrap();
    newfs(&dev, &NewfsOptions { ufs, ..Default::default() }, &kernel::hyper::StdHypervisor::new(false)).unwrap();
    dev.flush().unwrap();
}

fn assert_fsck_clean(img: &Path, what: &str) {
    let dev: Dev = Arc::new(FileDevice::open(img, true).unwrap());
    let mut out = Vec::new();
    let hyper = kernel::hyper::DeterministicHypervisor::default_for_tests();
    let r =
        fsck(&dev, &FsckOptions { repair: Repair::No, ..Default::default() }, &hyper, &mut |l| out.push(l.to_string()))
            .unwrap();
    assert!(r.exit_code == 0 && r.problems.is_empty(), "{what}: fsck -n:\n{}", out.join("\n"));
}

// ------------------------------------------------------------------------------- host processes

/// Who runs an operation: uid, gid, supplementary groups.
#[derive(Clone, Copy)]
struct User {
    name: &'static str,
    uid: u32,
    gid: u32,
    groups: &'static [u32],
}

const ROOT: User = User { name: "root", uid: 0, gid: 0, groups: &[0] };
/// The owner of the files that are not root's.
const ALICE: User = User { name: "alice", uid: 1000, gid: 1000, groups: &[1000] };
/// A member of alice's group through a supplementary group only.
const BOB: User = User { name: "bob", uid: 1001, gid: 1001, groups: &[1001, 1000] };
const USERS: [User; 3] = [ROOT, ALICE, BOB];

/// The time utimensat sets explicitly.
const SET_TIME: i64 = 1_000_000_000;

/// One operation on prepared paths (C strings made before the fork: the child only makes syscalls).
enum Op {
    Open(CString, i32),
    OpenWrite(CString),
    Chmod(CString, u32),
    Chown(CString, u32, u32),
    Truncate(CString, i64),
    Utimes(CString, bool),
    Link(CString, CString),
    Rename(CString, CString),
    Unlink(CString),
    Mkdir(CString),
    Mkfifo(CString),
    Mknod(CString),
    Symlink(CString, CString),
}

fn c(p: &Path) -> CString {
    CString::new(p.as_os_str().as_bytes()).unwrap()
}

/// Runs `op` in a child process as `u`: 0, or the errno it failed with.
fn run_as(u: User, op: &Op) -> i32 {
    let groups: Vec<libc::gid_t> = u.groups.to_vec();
    // SAFETY: the child makes only async-signal-safe calls (set*id, the file system calls, _exit) on
    // memory prepared before the fork.
    unsafe {
        let pid = libc::fork();
        if pid == 0 {
            if libc::setgroups(groups.len(), groups.as_ptr()) != 0
                || libc::setresgid(u.gid, u.gid, u.gid) != 0
                || libc::setresuid(u.uid, u.uid, u.uid) != 0
            {
                libc::_exit(255);
            }
            let r = match op {
                Op::Open(p, flags) => {
                    let fd = libc::open(p.as_ptr(), *flags | libc::O_CLOEXEC, 0o644);
                    if fd >= 0 {
                        libc::close(fd)
                    } else {
                        -1
                    }
                }
                Op::OpenWrite(p) => {
                    let fd = libc::open(p.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
                    if fd < 0 || libc::write(fd, b"W".as_ptr().cast(), 1) != 1 {
                        -1
                    } else {
                        libc::close(fd)
                    }
                }
                Op::Chmod(p, m) => libc::chmod(p.as_ptr(), *m),
                Op::Chown(p, uid, gid) => libc::chown(p.as_ptr(), *uid, *gid),
                Op::Truncate(p, n) => libc::truncate(p.as_ptr(), *n),
                Op::Utimes(p, explicit) => {
                    let t = [libc::timespec { tv_sec: SET_TIME, tv_nsec: 0 }; 2];
                    libc::utimensat(
                        libc::AT_FDCWD,
                        p.as_ptr(),
                        if *explicit { t.as_ptr() } else { std::ptr::null() },
                        0,
                    )
                }
                Op::Link(a, b) => libc::link(a.as_ptr(), b.as_ptr()),
                Op::Rename(a, b) => libc::rename(a.as_ptr(), b.as_ptr()),
                Op::Unlink(p) => libc::unlink(p.as_ptr()),
                Op::Mkdir(p) => libc::mkdir(p.as_ptr(), 0o755),
                Op::Mkfifo(p) => libc::mkfifo(p.as_ptr(), 0o644),
                Op::Mknod(p) => libc::mknod(p.as_ptr(), libc::S_IFCHR | 0o644, libc::makedev(1, 3)),
                Op::Symlink(t, p) => libc::symlink(t.as_ptr(), p.as_ptr()),
            };
            libc::_exit(if r == 0 { 0 } else { (*libc::__errno_location()).min(254) });
        }
        assert!(pid > 0, "fork");
        let mut st = 0;
        libc::waitpid(pid, &mut st, 0);
        assert!(libc::WIFEXITED(st), "child as {} ended by a signal", u.name);
        let code = libc::WEXITSTATUS(st);
        assert_ne!(code, 255, "could not become {}", u.name);
        code
    }
}

fn errno_name(e: i32) -> String {
    if e == 0 {
        "ok".into()
    } else {
        std::io::Error::from_raw_os_error(e).to_string()
    }
}

/// What a path holds afterwards: mode, owner, size, links, whether utimensat's time is set. What is
/// each file system's own is left out: `gid` where the name is new (its group is the directory's on
/// BSD, the creator's on Linux), a directory's size, a symbolic link's permissions (NetBSD's take
/// the creator's umask, Linux's are always 0777).
fn state(p: &Path, with_gid: bool) -> String {
    match std::fs::symlink_metadata(p) {
        Err(_) => "absent".into(),
        Ok(m) => format!(
            "{:o} {}{} {} {}{}",
            if m.file_type().is_symlink() { m.mode() & 0o170000 } else { m.mode() },
            m.uid(),
            if with_gid { format!(":{}", m.gid()) } else { String::new() },
            if m.is_dir() { 0 } else { m.size() },
            m.nlink(),
            if m.mtime() == SET_TIME { " set" } else { "" }
        ),
    }
}

fn prepare(p: &Path, dir: bool, mode: u32, uid: u32, gid: u32) {
    if dir {
        std::fs::create_dir(p).unwrap();
    } else {
        std::fs::write(p, b"hello").unwrap();
    }
    std::os::unix::fs::chown(p, Some(uid), Some(gid)).unwrap();
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

// ------------------------------------------------------------------------------------ the matrices

/// Owners of the prepared nodes: alice's own, root's in alice's group, root's.
const OWNERS: [(u32, u32); 3] = [(1000, 1000), (0, 1000), (0, 0)];
const FILE_MODES: [u32; 6] = [0o000, 0o600, 0o660, 0o606, 0o777, 0o644];
const SETID_MODES: [u32; 3] = [0o4777, 0o2777, 0o6777];
const DIR_MODES: [u32; 5] = [0o755, 0o777, 0o1777, 0o733, 0o770];
const FIFO_MODES: [u32; 6] = [0o000, 0o600, 0o640, 0o604, 0o660, 0o666];

/// Each line: "what: errno -> state".
type Results = BTreeMap<String, String>;

/// Every matrix under `root` (an empty directory of the file system under test, root's, 0755).
fn matrices(root: &Path) -> Results {
    let mut out = Results::new();
    let mut record = |what: String, e: i32, st: String| {
        out.insert(what, format!("{} -> {st}", errno_name(e)));
    };
    // Files: each operation on a fresh file of each owner and mode, in a directory anyone may write.
    let files = root.join("files");
    prepare(&files, true, 0o777, 0, 0);
    type FileOp = fn(&Path, &User) -> Op;
    let file_ops: [(&str, FileOp); 14] = [
        ("read", |p, _| Op::Open(c(p), libc::O_RDONLY)),
        ("write", |p, _| Op::OpenWrite(c(p))),
        ("rdwr", |p, _| Op::Open(c(p), libc::O_RDWR)),
        ("otrunc", |p, _| Op::Open(c(p), libc::O_WRONLY | libc::O_TRUNC)),
        ("truncate", |p, _| Op::Truncate(c(p), 3)),
        ("chmod", |p, _| Op::Chmod(c(p), 0o751)),
        ("chown", |p, u| Op::Chown(c(p), u.uid, u32::MAX)),
        ("chgrp", |p, _| Op::Chown(c(p), u32::MAX, 1000)),
        ("utime-now", |p, _| Op::Utimes(c(p), false)),
        ("utime-set", |p, _| Op::Utimes(c(p), true)),
        ("link", |p, _| Op::Link(c(p), c(&p.with_extension("l")))),
        ("rename", |p, _| Op::Rename(c(p), c(&p.with_extension("r")))),
        ("unlink", |p, _| Op::Unlink(c(p))),
        ("chmod-setgid", |p, _| Op::Chmod(c(p), 0o2755)),
    ];
    for (uid, gid) in OWNERS {
        for mode in FILE_MODES {
            for u in USERS {
                for (name, op) in &file_ops {
                    let p = files.join(format!("{uid}-{gid}-{mode:o}-{}-{name}", u.name));
                    prepare(&p, false, mode, uid, gid);
                    let e = run_as(u, &op(&p, &u));
                    let after = [&p, &p.with_extension("l"), &p.with_extension("r")].map(|x| state(x, true));
                    record(format!("file {uid}:{gid} {mode:o} {} {name}", u.name), e, after.join(", "));
                }
            }
        }
        // A write to a set-ID file (the mode allows everyone to write).
        for mode in SETID_MODES {
            for u in USERS {
                let p = files.join(format!("{uid}-{gid}-{mode:o}-{}-setid", u.name));
                prepare(&p, false, mode, uid, gid);
                let e = run_as(u, &Op::OpenWrite(c(&p)));
                record(format!("setid {uid}:{gid} {mode:o} {} write", u.name), e, state(&p, true));
            }
        }
    }
    // Directories: what each user may do inside directories of each owner and mode, each holding a
    // file of alice's, bob's and root's.
    for (uid, gid) in [OWNERS[0], OWNERS[2]] {
        for mode in DIR_MODES {
            for u in USERS {
                let d = root.join(format!("d-{uid}-{gid}-{mode:o}-{}", u.name));
                prepare(&d, true, 0o777, 0, 0);
                for (f, o) in [("fa", 1000), ("fb", 1001), ("fr", 0)] {
                    prepare(&d.join(f), false, 0o644, o, o);
                }
                std::os::unix::fs::chown(&d, Some(uid), Some(gid)).unwrap();
                std::fs::set_permissions(&d, std::fs::Permissions::from_mode(mode)).unwrap();
                let j = |n: &str| d.join(n);
                let ops = [
                    ("list", Op::Open(c(&d), libc::O_RDONLY | libc::O_DIRECTORY)),
                    ("stat", Op::Open(c(&j("fa")), libc::O_PATH)),
                    ("create", Op::Open(c(&j("new")), libc::O_CREAT | libc::O_EXCL | libc::O_WRONLY)),
                    ("mkdir", Op::Mkdir(c(&j("sub")))),
                    ("mkfifo", Op::Mkfifo(c(&j("fifo")))),
                    ("mknod", Op::Mknod(c(&j("null")))),
                    ("symlink", Op::Symlink(c(Path::new("fa")), c(&j("sym")))),
                    ("link", Op::Link(c(&j("fr")), c(&j("fr.l")))),
                    ("rename", Op::Rename(c(&j("fb")), c(&j("fb.r")))),
                    ("unlink-alice", Op::Unlink(c(&j("fa")))),
                    ("unlink-root", Op::Unlink(c(&j("fr")))),
                ];
                for (name, op) in &ops {
                    let e = run_as(u, op);
                    record(format!("dir {uid}:{gid} {mode:o} {} {name}", u.name), e, String::new());
                }
                let mut names: Vec<String> = std::fs::read_dir(&d)
                    .unwrap()
                    .map(|e| {
                        let e = e.unwrap();
                        format!("{}={}", e.file_name().to_string_lossy(), state(&e.path(), false))
                    })
                    .collect();
                names.sort();
                record(format!("dir {uid}:{gid} {mode:o} {} after", u.name), 0, names.join(" "));
            }
        }
    }
    // FIFOs: opened by each user, as each mode allows (never blocking: O_RDWR, or O_NONBLOCK).
    for (uid, gid) in OWNERS {
        for mode in FIFO_MODES {
            let p = root.join(format!("p-{uid}-{gid}-{mode:o}"));
            let cp = c(&p);
            // SAFETY: a valid C string.
            assert_eq!(unsafe { libc::mkfifo(cp.as_ptr(), 0o600) }, 0, "mkfifo {}", p.display());
            std::os::unix::fs::chown(&p, Some(uid), Some(gid)).unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
            for u in USERS {
                for (name, flags) in [
                    ("rdonly-nonblock", libc::O_RDONLY | libc::O_NONBLOCK),
                    ("rdwr", libc::O_RDWR),
                    ("wronly-nonblock", libc::O_WRONLY | libc::O_NONBLOCK),
                ] {
                    let e = run_as(u, &Op::Open(cp.clone(), flags));
                    record(format!("fifo {uid}:{gid} {mode:o} {} {name}", u.name), e, state(&p, true));
                }
            }
        }
    }
    out
}

/// The matrices on the host's own file system, then on the mount; the differences listed.
fn compare(host: &Results, mount: &Results, what: &str) {
    assert_eq!(host.len(), mount.len(), "{what}");
    let diffs: Vec<String> = host
        .iter()
        .filter(|(k, v)| mount.get(*k) != Some(v))
        .map(|(k, v)| format!("{k}:\n    host:  {v}\n    mount: {}", mount[k]))
        .collect();
    assert!(
        diffs.is_empty(),
        "{what}: {} of {} differ from the host's:\n{}",
        diffs.len(),
        host.len(),
        diffs.join("\n")
    );
}

/// Results that do not depend on the host: the matrix must have caught what it is there to catch.
fn spot_checks(r: &Results, what: &str) {
    let want = [
        ("file 0:0 600 alice read", "Permission denied (os error 13)"),
        ("file 0:1000 660 bob write", "ok"),
        ("file 1000:1000 600 bob chmod", "Operation not permitted (os error 1)"),
        ("file 1000:1000 777 bob utime-set", "Operation not permitted (os error 1)"),
        ("file 1000:1000 777 bob utime-now", "ok"),
        ("setid 0:0 4777 alice write", "ok -> 100777 0:0 5 1"),
        ("setid 0:1000 2777 bob write", "ok -> 100777 0:1000 5 1"),
        ("setid 0:0 6777 root write", "ok -> 106777 0:0 5 1"),
        ("dir 0:0 1777 alice unlink-root", "Operation not permitted (os error 1)"),
        ("dir 0:0 755 bob create", "Permission denied (os error 13)"),
        ("fifo 0:0 600 alice rdwr", "Permission denied (os error 13)"),
        ("fifo 0:0 600 alice rdonly-nonblock", "Permission denied (os error 13)"),
        ("fifo 1000:1000 640 bob rdonly-nonblock", "ok"),
        ("fifo 1000:1000 640 bob rdwr", "Permission denied (os error 13)"),
    ];
    for (k, v) in want {
        let got = r.get(k).map(String::as_str).unwrap_or("missing");
        assert!(got.starts_with(v), "{what}: {k}: want {v:?}, got {got:?}");
    }
}

#[test]
fn permission_matrices_agree_with_the_host() {
    if let Some(why) = unavailable() {
        skip::skip(&why);
        return;
    }
    let host_base = if Path::new("/dev/shm").is_dir() { PathBuf::from("/dev/shm") } else { std::env::temp_dir() };
    let s = Scratch::new(&std::env::temp_dir(), "mounts");
    let h = Scratch::new(&host_base, "host");
    let t = Instant::now();
    let host = matrices(&h.0);
    let host_time = t.elapsed();
    eprintln!("{} checks on the host's {}: {host_time:?}", host.len(), host_base.display());
    for fs in ["tmpfs", "ufs1", "ufs2"] {
        let mnt = s.0.join(format!("mnt-{fs}"));
        let img = s.0.join(format!("{fs}.img"));
        let m = match fs {
            "tmpfs" => Mounted::new(&["-t", "tmpfs", "--allow-other"], &mnt),
            _ => {
                new_image(&img, if fs == "ufs1" { 1 } else { 2 });
                Mounted::new(&["--rw", "--allow-other", img.to_str().unwrap()], &mnt)
            }
        };
        std::fs::set_permissions(&mnt, std::fs::Permissions::from_mode(0o755)).unwrap();
        let t = Instant::now();
        let got = matrices(&mnt);
        eprintln!("{} checks through the {fs} mount: {:?}", got.len(), t.elapsed());
        spot_checks(&got, fs);
        compare(&host, &got, fs);
        m.umount();
        if fs == "tmpfs" {
            continue;
        }
        assert_fsck_clean(&img, fs);
        // "Last mounted on" is the host's mount point.
        let info = rumpjs().arg("info").arg(&img).output().unwrap();
        let info = String::from_utf8_lossy(&info.stdout).into_owned();
        let canon = std::fs::canonicalize(&mnt).unwrap();
        assert!(
            info.lines().any(|l| l.contains("last mounted on") && l.trim_end().ends_with(&*canon.to_string_lossy())),
            "{fs}: {info}"
        );
        if have("fls") {
            let o = Command::new("fls").args(["-r", "-f", fs]).arg(&img).output().unwrap();
            let listing = String::from_utf8_lossy(&o.stdout);
            assert!(o.status.success(), "fls {fs}: {}", String::from_utf8_lossy(&o.stderr));
            for name in ["files", "0-0-600-alice-read", "fb.r", "p-0-0-600"] {
                assert!(listing.contains(name), "{fs}: fls lists no {name}:\n{listing}");
            }
        } else {
            skip::skip("The Sleuth Kit's fls is not installed");
        }
    }
    spot_checks(&host, "the host");
}

/// Where NetBSD and Linux differ on purpose, the mount keeps NetBSD's rules; what the host's callers
/// see (the README's mount section says the same): the sticky bit on a file by anyone but root is
/// NetBSD's EFTYPE, which Linux callers receive as EINVAL; set-group-ID for a group one is not in is
/// NetBSD's EPERM, but the host checks first (default_permissions) and, as Linux does, drops the bit
/// and carries on; a symbolic link's target of MAXPATHLEN (1,024) bytes or more is ENAMETOOLONG; a new
/// file takes its directory's group, a new symbolic link the creator's umask; chown keeps set-ID bits
/// unless the owner (set-user-ID) or group (set-group-ID) changes by someone other than root.
#[test]
fn netbsd_rules_where_linux_differs() {
    if let Some(why) = unavailable() {
        skip::skip(&why);
        return;
    }
    let host_base = if Path::new("/dev/shm").is_dir() { PathBuf::from("/dev/shm") } else { std::env::temp_dir() };
    let s = Scratch::new(&std::env::temp_dir(), "differences");
    let h = Scratch::new(&host_base, "differences-host");
    let mnt = s.0.join("mnt");
    let m = Mounted::new(&["-t", "tmpfs", "--allow-other"], &mnt);
    let run = |root: &Path| -> Vec<String> {
        let f = root.join("f");
        prepare(&f, false, 0o644, ALICE.uid, 0);
        let long = |n: usize| CString::new(vec![b'x'; n]).unwrap();
        let ops = [
            ("sticky on a file", Op::Chmod(c(&f), 0o1644)),
            ("setgid, not in the group", Op::Chmod(c(&f), 0o2644)),
            ("symlink of 1023 bytes", Op::Symlink(long(1023), c(&root.join("l1023")))),
            ("symlink of 1024 bytes", Op::Symlink(long(1024), c(&root.join("l1024")))),
        ];
        let mut v = Vec::new();
        for (what, op) in &ops {
            let e = run_as(ALICE, op);
            v.push(format!("{what}: {} -> {}", errno_name(e), state(&f, true)));
        }
        let e = run_as(ALICE, &Op::Open(c(&root.join("new")), libc::O_CREAT | libc::O_WRONLY));
        let md = std::fs::metadata(root.join("new")).unwrap();
        v.push(format!("a new file: {} -> group {}", errno_name(e), md.gid()));
        let md = std::fs::symlink_metadata(root.join("l1023")).unwrap();
        v.push(format!("a new symlink: mode {:o}", md.mode() & 0o7777));
        // chown of set-ID files: NetBSD clears set-user-ID when the owner changes and set-group-ID
        // when the group does, and never for root; Linux clears both on every chown.
        let g = root.join("g");
        prepare(&g, false, 0o6755, ALICE.uid, ALICE.gid);
        let e = run_as(ALICE, &Op::Chown(c(&g), u32::MAX, ALICE.gid));
        v.push(format!("alice's chgrp to her group: {} -> {}", errno_name(e), state(&g, true)));
        let e = run_as(ROOT, &Op::Chown(c(&g), BOB.uid, u32::MAX));
        v.push(format!("root's chown: {} -> {}", errno_name(e), state(&g, true)));
        v
    };
    // SAFETY: umask has no preconditions; the children inherit 022.
    unsafe { libc::umask(0o022) };
    std::fs::set_permissions(&mnt, std::fs::Permissions::from_mode(0o777)).unwrap();
    std::fs::set_permissions(&h.0, std::fs::Permissions::from_mode(0o777)).unwrap();
    let host = run(&h.0);
    let got = run(&mnt);
    let want_host = [
        "sticky on a file: ok -> 101644 1000:0 5 1",
        "setgid, not in the group: ok -> 100644 1000:0 5 1",
        "symlink of 1023 bytes: ok -> 100644 1000:0 5 1",
        "symlink of 1024 bytes: ok -> 100644 1000:0 5 1",
        "a new file: ok -> group 1000",
        "a new symlink: mode 777",
        "alice's chgrp to her group: ok -> 100755 1000:1000 5 1",
        "root's chown: ok -> 100755 1001:1000 5 1",
    ];
    let want_mount = [
        "sticky on a file: Invalid argument (os error 22) -> 100644 1000:0 5 1",
        "setgid, not in the group: ok -> 100644 1000:0 5 1",
        "symlink of 1023 bytes: ok -> 100644 1000:0 5 1",
        "symlink of 1024 bytes: File name too long (os error 36) -> 100644 1000:0 5 1",
        "a new file: ok -> group 0",
        "a new symlink: mode 755",
        "alice's chgrp to her group: ok -> 106755 1000:1000 5 1",
        "root's chown: ok -> 106755 1001:1000 5 1",
    ];
    assert_eq!(host, want_host, "the host's own file system");
    assert_eq!(got, want_mount, "through the mount");
    m.umount();
}

/// The pid of the server mounted at `mnt` (its FUSE source is "rumpjs@PID:…").
fn server_pid(mnt: &Path) -> Option<u32> {
    let mnt = std::fs::canonicalize(mnt).ok()?;
    let info = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    info.lines().find_map(|l| {
        let f: Vec<&str> = l.split(' ').collect();
        let dash = f.iter().position(|x| *x == "-")?;
        (f.len() > dash + 2 && Path::new(f[4]) == mnt && f[dash + 1].starts_with("fuse"))
            .then(|| f[dash + 2].strip_prefix("rumpjs@")?.split(':').next()?.parse().ok())?
    })
}

/// A file's bytes, different for each `seed`.
fn content(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// SIGKILL of the server in the middle of a `cp -a` of a tree of 3,000 files: `rumpjs fsck -y`
/// repairs the image, a second check is clean, and every file fsync'd before the kill (before the copy
/// and while it ran) reads back intact.
#[test]
fn sigkill_during_cp_a_then_fsck_repairs() {
    if let Some(why) = unavailable() {
        skip::skip(&why);
        return;
    }
    let s = Scratch::new(&std::env::temp_dir(), "sigkill");
    let src = s.0.join("src");
    for d in 0..30 {
        let dir = src.join(format!("d{d:02}"));
        std::fs::create_dir_all(&dir).unwrap();
        for f in 0..100u64 {
            let seed = d * 1000 + f;
            std::fs::write(dir.join(format!("f{f:03}")), content(seed, (seed % 7) as usize * 1500 + 10)).unwrap();
        }
    }
    let img = s.0.join("ufs2.img");
    new_image(&img, 2);
    let mnt = s.0.join("mnt");
    let m = Mounted::new(&["--rw", img.to_str().unwrap()], &mnt);
    let pid = server_pid(&mnt).expect("the server's pid");
    let mut synced: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    let mut sync_one = |name: String, seed: u64| {
        use std::io::Write;
        let p = mnt.join(name);
        let data = content(seed, 20_000 + seed as usize * 333);
        let mut f = std::fs::File::create(&p).unwrap();
        f.write_all(&data).unwrap();
        f.sync_all().unwrap();
        synced.push((p.strip_prefix(&mnt).unwrap().to_path_buf(), data));
    };
    for i in 0..10 {
        sync_one(format!("before-{i}"), i);
    }
    let mut cp = Command::new("cp").arg("-a").arg(&src).arg(mnt.join("copy")).stderr(Stdio::null()).spawn().unwrap();
    // Files made and fsync'd while the copy runs, until part of the tree is across.
    let mut i = 0;
    let t = Instant::now();
    while std::fs::read_dir(mnt.join("copy")).map_or(0, |r| r.count()) < 5 && t.elapsed().as_secs() < 60 {
        sync_one(format!("during-{i}"), 100 + i);
        i += 1;
    }
    assert!(cp.try_wait().unwrap().is_none(), "the copy ended before the kill: make the tree larger");
    // SAFETY: kill(2) of the server this test started.
    assert_eq!(unsafe { libc::kill(pid as i32, libc::SIGKILL) }, 0);
    let _ = cp.wait();
    for _ in 0..200 {
        if !Path::new(&format!("/proc/{pid}")).exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    drop(m); // detaches the dead mount
    let y = rumpjs().args(["fsck", "-y"]).arg(&img).output().unwrap();
    let out = String::from_utf8_lossy(&y.stdout).into_owned();
    eprintln!("fsck -y after SIGKILL during cp -a ({} files fsync'd):\n{out}", synced.len());
    assert!(y.status.success(), "fsck -y: {:?}\n{out}{}", y.status, String::from_utf8_lossy(&y.stderr));
    assert_fsck_clean(&img, "after fsck -y");
    let m = Mounted::new(&[img.to_str().unwrap()], &mnt);
    for (p, data) in &synced {
        assert!(std::fs::read(mnt.join(p)).unwrap() == *data, "{} after SIGKILL and fsck -y", p.display());
    }
    m.umount();
}
