use kernel::hyper::DeterministicHypervisor;
use kernel::vfs::*;
use kernel::{Errno, Kernel};
use std::sync::Arc;

#[test]
fn boot_mount_tmpfs_and_use_it() {
    let k = Kernel::boot_default(Arc::new(DeterministicHypervisor::default_for_tests())).unwrap();
    let p = k.new_proc(Cred::root());
    p.mkdir(b"/tmp", 0o777).unwrap();
    p.mount("tmpfs", b"/tmp", 0, None, &MountOptions::default()).unwrap();
    let fd = p.open(b"/tmp/a", O_CREAT | O_RDWR, 0o644).unwrap();
    assert_eq!(p.write(fd, b"hello world").unwrap(), 11);
    assert_eq!(p.lseek(fd, 0, SEEK_SET).unwrap(), 0);
    let mut buf = [0u8; 64];
    assert_eq!(p.read(fd, &mut buf).unwrap(), 11);
    assert_eq!(&buf[..11], b"hello world");
    p.close(fd).unwrap();
    assert_eq!(p.stat(b"/tmp/a").unwrap().size, 11);
    assert_eq!(p.stat(b"/tmp/../tmp/./a").unwrap().size, 11);
    p.mkdir(b"/kern", 0o755).unwrap();
    p.mount("kernfs", b"/kern", 0, None, &MountOptions::default()).unwrap();
    let fd = p.open(b"/kern/ostype", O_RDONLY, 0).unwrap();
    let n = p.read(fd, &mut buf).unwrap();
    assert_eq!(&buf[..n], b"NetBSD\n");
    p.chdir(b"/tmp").unwrap();
    p.mkdir(b"d1", 0o755).unwrap();
    p.chdir(b"d1").unwrap();
    assert_eq!(p.getcwd().unwrap(), b"/tmp/d1");
    assert_eq!(p.unmount(b"/tmp", 0), Err(Errno::EBUSY));
    p.chdir(b"/").unwrap();
    p.close(fd).unwrap();
    p.unmount(b"/tmp", 0).unwrap();
    assert_eq!(p.stat(b"/tmp/a"), Err(Errno::ENOENT));
}
