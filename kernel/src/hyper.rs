//! The hypercall interface (NetBSD's rumpuser(3) analog): everything the kernel needs from its host.
//! The kernel makes no host OS call except through this trait; the implementation std gives is in
//! std_host.rs, and an embedder (the runtime, a web page) may bring its own.

use crate::dev::{Dev, HostFile};
use crate::errno::KResult;
use crate::vfs::types::Timespec;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

#[cfg(unix)]
pub use crate::std_host::StdHypervisor;

pub trait Hypervisor: Send + Sync {
    /// rumpuser_open + rumpuser_getfileinfo: a host file or device as a block device; opened read-only at
    /// the host level when `readonly`.
    fn open_block_device(&self, host_path: &str, readonly: bool) -> KResult<Dev>;
    /// rumpuser_open of a regular host file for reading and writing, made if missing: where an overlay
    /// keeps its changes. A host without files answers EOPNOTSUPP.
    fn open_host_file(&self, _host_path: &str) -> KResult<Box<dyn HostFile>> {
        Err(crate::errno::Errno::EOPNOTSUPP)
    }
    /// rumpuser_clock_gettime(RUMPUSER_CLOCK_RELWALL).
    fn wall_clock(&self) -> Timespec;
    /// rumpuser_clock_gettime(RUMPUSER_CLOCK_ABSMONO), in nanoseconds since an arbitrary start.
    fn monotonic_ns(&self) -> u64;
    /// rumpuser_getrandom: fills `buf` from the host's generator, or fails (EIO) — never with bytes
    /// weaker than asked for.
    fn random(&self, buf: &mut [u8]) -> KResult<()>;
    /// rumpuser_putchar, a line at a time: kernel console output.
    fn console(&self, line: &str);
    /// What runs the kernel, for the boot message ("rump kernel hosted by …").
    fn hosted_by(&self) -> &str {
        "the Boa JavaScript engine"
    }
}

/// A host for tests and reproducible builds: the clock stands still at a fixed time (advancing by one
/// microsecond per reading so orderings still show), randomness comes from a seeded generator, console
/// lines are kept. Anything the kernel writes under it is the same byte for byte on every run.
pub struct DeterministicHypervisor {
    epoch: Timespec,
    ticks: AtomicU64,
    seed: AtomicU64,
    console: Mutex<Vec<String>>,
    /// Whether `open_block_device` may open host files (tests use fixtures on disk; only where std has
    /// files).
    allow_host_files: bool,
}

impl DeterministicHypervisor {
    pub fn new(epoch: Timespec, seed: u64) -> DeterministicHypervisor {
        DeterministicHypervisor {
            epoch,
            ticks: AtomicU64::new(0),
            seed: AtomicU64::new(seed),
            console: Mutex::new(Vec::new()),
            allow_host_files: true,
        }
    }

    /// 2012-06-01 00:00:00 UTC (the year of the JavaScript rump kernel), seed 0.
    pub fn default_for_tests() -> DeterministicHypervisor {
        DeterministicHypervisor::new(Timespec::new(1_338_508_800, 0), 0)
    }

    pub fn console_lines(&self) -> Vec<String> {
        self.console.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Hypervisor for DeterministicHypervisor {
    fn open_block_device(&self, host_path: &str, readonly: bool) -> KResult<Dev> {
        if !self.allow_host_files {
            return Err(crate::errno::Errno::EACCES);
        }
        host_file_device(host_path, readonly)
    }

    fn open_host_file(&self, host_path: &str) -> KResult<Box<dyn HostFile>> {
        if !self.allow_host_files {
            return Err(crate::errno::Errno::EACCES);
        }
        host_file(host_path)
    }

    fn wall_clock(&self) -> Timespec {
        let t = self.ticks.fetch_add(1, Ordering::Relaxed);
        let ns = self.epoch.nsec as u64 + t * 1000;
        Timespec::new(self.epoch.sec + (ns / 1_000_000_000) as i64, (ns % 1_000_000_000) as u32)
    }

    fn monotonic_ns(&self) -> u64 {
        self.ticks.fetch_add(1, Ordering::Relaxed) * 1000
    }

    fn random(&self, buf: &mut [u8]) -> KResult<()> {
        fill_splitmix(&self.seed, buf);
        Ok(())
    }

    fn console(&self, line: &str) {
        self.console.lock().unwrap_or_else(|e| e.into_inner()).push(line.to_string());
    }
}

/// A host file as a block device, where std has files (the deterministic host opens test fixtures).
#[cfg(unix)]
fn host_file_device(path: &str, readonly: bool) -> KResult<Dev> {
    crate::std_host::open_file_device(std::path::Path::new(path), readonly)
}

#[cfg(not(unix))]
fn host_file_device(_path: &str, _readonly: bool) -> KResult<Dev> {
    Err(crate::errno::Errno::ENODEV)
}

/// A host file to keep data in, where std has files.
#[cfg(unix)]
fn host_file(path: &str) -> KResult<Box<dyn HostFile>> {
    crate::std_host::open_host_file(std::path::Path::new(path))
}

#[cfg(not(unix))]
fn host_file(_path: &str) -> KResult<Box<dyn HostFile>> {
    Err(crate::errno::Errno::ENODEV)
}

/// SplitMix64: small, fast and good enough for generation numbers and test data (not for keys).
pub fn fill_splitmix(state: &AtomicU64, buf: &mut [u8]) {
    for chunk in buf.chunks_mut(8) {
        let mut z = state.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed).wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        chunk.copy_from_slice(&z.to_le_bytes()[..chunk.len()]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_host_repeats_itself() {
        let a = DeterministicHypervisor::default_for_tests();
        let b = DeterministicHypervisor::default_for_tests();
        let (mut x, mut y) = ([0u8; 37], [0u8; 37]);
        a.random(&mut x).unwrap();
        b.random(&mut y).unwrap();
        assert_eq!(x, y);
        assert_ne!(x, [0u8; 37]);
        assert_eq!(a.wall_clock(), b.wall_clock());
        let t1 = a.wall_clock();
        assert!(a.wall_clock() > t1, "each reading moves the clock on");
    }
}
