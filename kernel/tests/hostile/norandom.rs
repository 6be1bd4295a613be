//! A host whose random number generator fails: what needs randomness fails with EIO — a new tmpfs
//! node, a fresh FFS inode block, newfs, a read of /dev/random — and nothing panics or makes up bytes.

use kernel::dev::{BlockDevice, Dev, MemDevice};
use kernel::fs::ffs::newfs::{newfs, NewfsOptions};
use kernel::hyper::{DeterministicHypervisor, Hypervisor};
use kernel::vfs::*;
use kernel::{Errno, KResult, Kernel};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The deterministic host, with randomness that can be switched off.
struct Flaky {
    inner: DeterministicHypervisor,
    broken: AtomicBool,
}

impl Hypervisor for Flaky {
    fn open_block_device(&self, p: &str, ro: bool) -> KResult<Dev> {
        self.inner.open_block_device(p, ro)
    }
    fn wall_clock(&self) -> Timespec {
        self.inner.wall_clock()
    }
    fn monotonic_ns(&self) -> u64 {
        self.inner.monotonic_ns()
    }
    fn random(&self, buf: &mut [u8]) -> KResult<()> {
        if self.broken.load(Ordering::Relaxed) {
            return Err(Errno::EIO);
        }
        self.inner.random(buf)
    }
    fn console(&self, line: &str) {
        self.inner.console(line)
    }
}

#[test]
fn randomness_that_fails_is_eio_not_a_panic() {
    let h = Arc::new(Flaky { inner: DeterministicHypervisor::default_for_tests(), broken: AtomicBool::new(false) });
    let k = Kernel::boot_default(h.clone()).unwrap();
    let p = k.new_proc(Cred::root());
    let dev = Arc::new(MemDevice::zeroed(8 << 20));
    newfs(dev.as_ref(), &NewfsOptions::default(), h.as_ref()).unwrap();
    p.mkdir(b"/f", 0o755).unwrap();
    p.mount_device("ffs", b"/f", 0, dev.clone() as Dev, &MountOptions::default()).unwrap();
    p.mkdir(b"/t", 0o755).unwrap();
    p.mount("tmpfs", b"/t", 0, None, &MountOptions::default()).unwrap();

    h.broken.store(true, Ordering::Relaxed);
    assert_eq!(p.open(b"/t/new", O_CREAT | O_WRONLY, 0o644).err(), Some(Errno::EIO));
    let fd = p.open(b"/dev/random", O_RDONLY, 0).unwrap();
    assert_eq!(p.read(fd, &mut [0u8; 16]).err(), Some(Errno::EIO));
    p.close(fd).unwrap();
    // FFS takes fresh inode blocks as it goes: some creation needs randomness and fails, none panics.
    let mut failed = false;
    for i in 0..4000 {
        match p.open(format!("/f/n{i}").as_bytes(), O_CREAT | O_WRONLY, 0o644) {
            Ok(fd) => p.close(fd).unwrap(),
            Err(e) => {
                assert_eq!(e, Errno::EIO);
                failed = true;
                break;
            }
        }
    }
    assert!(failed, "no FFS creation needed randomness");
    let spare = MemDevice::zeroed(8 << 20);
    assert_eq!(newfs(&spare, &NewfsOptions::default(), h.as_ref()).err(), Some(Errno::EIO));
    assert!(spare.size() > 0);

    // With it back, all goes on.
    h.broken.store(false, Ordering::Relaxed);
    let fd = p.open(b"/t/new", O_CREAT | O_WRONLY, 0o644).unwrap();
    p.close(fd).unwrap();
}
