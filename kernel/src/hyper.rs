//! The hypercall interface (NetBSD's rumpuser(3) analog): everything the kernel needs from its host.
//! The kernel makes no host OS call except through this trait.

use crate::dev::{Dev, FileDevice};
use crate::errno::KResult;
use crate::vfs::types::Timespec;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

pub trait Hypervisor: Send + Sync {
    /// rumpuser_open + rumpuser_getfileinfo: a host file or device as a block device; opened read-only at
    /// the host level when `readonly`.
    fn open_block_device(&self, host_path: &str, readonly: bool) -> KResult<Dev>;
    /// rumpuser_clock_gettime(RUMPUSER_CLOCK_RELWALL).
    fn wall_clock(&self) -> Timespec;
    /// rumpuser_clock_gettime(RUMPUSER_CLOCK_ABSMONO), in nanoseconds since an arbitrary start.
    fn monotonic_ns(&self) -> u64;
    /// rumpuser_getrandom.
    fn random(&self, buf: &mut [u8]);
    /// rumpuser_putchar, a line at a time: kernel console output.
    fn console(&self, line: &str);
}

/// The real host: host files, the system clocks, OS randomness; console lines go to stderr when verbose.
pub struct StdHypervisor {
    start: Instant,
    verbose: bool,
    seed: AtomicU64,
}

impl StdHypervisor {
    pub fn new(verbose: bool) -> StdHypervisor {
        let t = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0);
        // Mix in the address of a stack local so two kernels started in the same nanosecond differ.
        let local = 0u8;
        let seed = t ^ ((&local as *const u8 as u64).rotate_left(32)) ^ std::process::id() as u64;
        StdHypervisor { start: Instant::now(), verbose, seed: AtomicU64::new(seed) }
    }
}

impl Hypervisor for StdHypervisor {
    fn open_block_device(&self, host_path: &str, readonly: bool) -> KResult<Dev> {
        Ok(Arc::new(FileDevice::open(Path::new(host_path), readonly)?))
    }

    fn wall_clock(&self) -> Timespec {
        match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => Timespec::new(d.as_secs() as i64, d.subsec_nanos()),
            Err(_) => Timespec::default(),
        }
    }

    fn monotonic_ns(&self) -> u64 {
        self.start.elapsed().as_nanos() as u64
    }

    fn random(&self, buf: &mut [u8]) {
        // /dev/urandom when the host has it; a splitmix stream seeded from the clock otherwise.
        if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
            use std::io::Read;
            if f.read_exact(buf).is_ok() {
                return;
            }
        }
        fill_splitmix(&self.seed, buf);
    }

    fn console(&self, line: &str) {
        if self.verbose {
            eprintln!("{line}");
        }
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
    /// Whether `open_block_device` may open host files (tests use fixtures on disk).
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
        Ok(Arc::new(FileDevice::open(Path::new(host_path), readonly)?))
    }

    fn wall_clock(&self) -> Timespec {
        let t = self.ticks.fetch_add(1, Ordering::Relaxed);
        let ns = self.epoch.nsec as u64 + t * 1000;
        Timespec::new(self.epoch.sec + (ns / 1_000_000_000) as i64, (ns % 1_000_000_000) as u32)
    }

    fn monotonic_ns(&self) -> u64 {
        self.ticks.fetch_add(1, Ordering::Relaxed) * 1000
    }

    fn random(&self, buf: &mut [u8]) {
        fill_splitmix(&self.seed, buf);
    }

    fn console(&self, line: &str) {
        self.console.lock().unwrap_or_else(|e| e.into_inner()).push(line.to_string());
    }
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
        a.random(&mut x);
        b.random(&mut y);
        assert_eq!(x, y);
        assert_ne!(x, [0u8; 37]);
        assert_eq!(a.wall_clock(), b.wall_clock());
        let t1 = a.wall_clock();
        assert!(a.wall_clock() > t1, "each reading moves the clock on");
    }
}
