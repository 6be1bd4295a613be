//! kernfs (NetBSD sys/miscfs/kernfs): the kernel's state as files, and the message buffer the kernel
//! writes to on boot, mounts, unmounts and errors.

use crate::common::*;
use kernel::hyper::DeterministicHypervisor;
use kernel::vfs::*;
use kernel::{Errno, Kernel};
use std::sync::Arc;

fn kern() -> (Arc<Kernel>, Proc) {
    let (k, p) = boot();
    p.mkdir(b"/kern", 0o755).unwrap();
    p.mount("kernfs", b"/kern", 0, None, &MountOptions::default()).unwrap();
    (k, p)
}

fn text(p: &Proc, name: &str) -> String {
    String::from_utf8(read_file(p, format!("/kern/{name}").as_bytes())).unwrap()
}

#[test]
fn kernfs_files() {
    let (k, p) = kern();
    let names: Vec<String> = list_dir(&p, b"/kern").into_iter().map(|n| String::from_utf8(n).unwrap()).collect();
    for n in [
        "boottime",
        "copyright",
        "hostname",
        "hz",
        "msgbuf",
        "osrelease",
        "ostype",
        "pagesize",
        "physmem",
        "time",
        "version",
    ] {
        assert!(names.contains(&n.to_string()), "/kern/{n}");
    }
    assert_eq!(text(&p, "ostype"), "NetBSD\n");
    assert_eq!(text(&p, "osrelease"), format!("{OSRELEASE}\n"));
    assert_eq!(text(&p, "version"), format!("{VERSION}\n"));
    assert_eq!(text(&p, "pagesize"), "4096\n");
    assert_eq!(text(&p, "hostname"), "rumpjs\n");
    assert_eq!(text(&p, "boottime"), format!("{}\n", k.state.boottime.sec));
    assert_eq!(text(&p, "boottime").trim(), "1338508800", "the deterministic host's epoch");
    let physmem: u64 = text(&p, "physmem").trim().parse().unwrap();
    assert!(physmem > 0);
    let time = text(&p, "time");
    let parts: Vec<i64> = time.split_whitespace().map(|x| x.parse().unwrap()).collect();
    assert_eq!(parts.len(), 2);
    assert!(parts[0] >= k.state.boottime.sec && (0..1_000_000).contains(&parts[1]));
    assert!(text(&p, "copyright").contains("The NetBSD Foundation"));
    // Sizes are those of the text a read gives; files are regular, the directory 0555.
    for n in ["ostype", "version", "hostname", "pagesize"] {
        let st = p.stat(format!("/kern/{n}").as_bytes()).unwrap();
        assert_eq!(st.size as usize, text(&p, n).len(), "{n}");
        assert_eq!(st.mode & S_IFMT, S_IFREG);
    }
    assert_eq!(p.stat(b"/kern/hostname").unwrap().mode & 0o777, 0o644);
    assert_eq!(p.stat(b"/kern/version").unwrap().mode & 0o777, 0o444);
    assert_eq!(p.stat(b"/kern").unwrap().mode, S_IFDIR | 0o555);
    assert_eq!(p.statvfs(b"/kern").unwrap().fstypename, "kernfs");
    // Reads at an offset, and past the end.
    let fd = p.open(b"/kern/ostype", O_RDONLY, 0).unwrap();
    let mut buf = [0u8; 3];
    assert_eq!(p.pread(fd, &mut buf, 3).unwrap(), 3);
    assert_eq!(&buf, b"BSD");
    assert_eq!(p.pread(fd, &mut buf, 100).unwrap(), 0);
    p.close(fd).unwrap();
}

#[test]
fn kernfs_hostname_is_writable_by_root() {
    let (_k, p) = kern();
    write_file(&p, b"/kern/hostname", b"vax.example.org\n");
    assert_eq!(text(&p, "hostname"), "vax.example.org\n");
    assert_eq!(p.uname().nodename, "vax.example.org");
    assert_eq!(p.sysctl("kern.hostname").unwrap(), SysctlValue::Str("vax.example.org".into()));
    // Set through sysctl, seen in kernfs.
    p.sysctl_set("kern.hostname", "pdp11").unwrap();
    assert_eq!(text(&p, "hostname"), "pdp11\n");
    // Only at offset 0; not by other users; no other file takes writes.
    let fd = p.open(b"/kern/hostname", O_WRONLY, 0).unwrap();
    expect_err(p.pwrite(fd, b"x", 1), Errno::EINVAL);
    p.close(fd).unwrap();
    let user = p.fork();
    user.setcred(Cred { uid: 1000, gid: 1000, groups: vec![] }).unwrap();
    expect_err(user.open(b"/kern/hostname", O_WRONLY, 0), Errno::EACCES);
    expect_err(user.sysctl_set("kern.hostname", "evil"), Errno::EPERM);
    let fd = p.open(b"/kern/version", O_WRONLY, 0).unwrap();
    expect_err(p.write(fd, b"x"), Errno::EIO);
    p.close(fd).unwrap();
    expect_err(p.sysctl_set("kern.ostype", "Linux"), Errno::EPERM);
    // Too long for MAXHOSTNAMELEN.
    let fd = p.open(b"/kern/hostname", O_WRONLY, 0).unwrap();
    expect_err(p.write(fd, &[b'h'; 300]), Errno::EINVAL);
    p.close(fd).unwrap();
    assert_eq!(text(&p, "hostname"), "pdp11\n");
    // Attribute changes are silently ignored (kernfs_setattr), so O_TRUNC works.
    let fd = p.open(b"/kern/hostname", O_WRONLY | O_TRUNC, 0).unwrap();
    p.close(fd).unwrap();
    assert_eq!(text(&p, "hostname"), "pdp11\n");
}

#[test]
fn kernfs_is_not_a_place_for_files() {
    let (_k, p) = kern();
    expect_err(p.open(b"/kern/new", O_CREAT | O_RDWR, 0o644), Errno::EOPNOTSUPP);
    expect_err(p.mkdir(b"/kern/d", 0o755), Errno::EOPNOTSUPP);
    expect_err(p.unlink(b"/kern/version"), Errno::EOPNOTSUPP);
    expect_err(p.rename(b"/kern/version", b"/kern/v2"), Errno::EOPNOTSUPP);
    expect_err(p.symlink(b"x", b"/kern/l"), Errno::EROFS);
    expect_err(p.link(b"/kern/version", b"/kern/v2"), Errno::EROFS);
    expect_err(p.mkfifo(b"/kern/fifo", 0o644), Errno::EOPNOTSUPP);
    expect_err(p.stat(b"/kern/nonexistent"), Errno::ENOENT);
    expect_err(p.stat(b"/kern/version/x"), Errno::ENOTDIR);
    expect_err(p.readlink(b"/kern/version"), Errno::EINVAL);
    assert_eq!(p.stat(b"/kern/..").unwrap().ino, p.stat(b"/").unwrap().ino);
    p.unmount(b"/kern", 0).unwrap();
}

#[test]
fn kernfs_msgbuf_records_the_kernel_life() {
    let hyper = Arc::new(DeterministicHypervisor::default_for_tests());
    let k = Kernel::boot_default(hyper.clone()).unwrap();
    let p = k.new_proc(Cred::root());
    p.mkdir(b"/kern", 0o755).unwrap();
    p.mkdir(b"/tmp", 0o755).unwrap();
    p.mount("kernfs", b"/kern", 0, None, &MountOptions::default()).unwrap();
    p.mount("tmpfs", b"/tmp", 0, None, &MountOptions::default()).unwrap();
    p.unmount(b"/tmp", 0).unwrap();
    let _ = p.mount("ffs", b"/tmp", MNT_RDONLY, Some("/dev/nonexistent"), &MountOptions::default());
    let fd = p.open(b"/kern/msgbuf", O_RDONLY, 0).unwrap();
    let mut buf = vec![0u8; 1 << 16];
    let n = p.read(fd, &mut buf).unwrap();
    p.close(fd).unwrap();
    let log = String::from_utf8(buf[..n].to_vec()).unwrap();
    assert!(log.lines().next().unwrap().ends_with(VERSION), "boot banner first: {log}");
    for want in [
        "root file system type: rumpfs",
        "mounted kernfs kernfs on /kern",
        "mounted tmpfs tmpfs on /tmp",
        "unmounted tmpfs from /tmp",
    ] {
        assert!(log.contains(want), "msgbuf lacks {want:?}:\n{log}");
    }
    // Every line is timestamped like dmesg, and the host console saw the same lines.
    assert!(log.lines().all(|l| l.starts_with('[') && l.contains("] ")));
    assert_eq!(hyper.console_lines().join("\n") + "\n", log);
    // Under the deterministic host, two kernels write the same message buffer byte for byte.
    let k2 = Kernel::boot_default(Arc::new(DeterministicHypervisor::default_for_tests())).unwrap();
    assert_eq!(k2.state.msgbuf().lines().next(), log.lines().next());
}
