//! The device switch (NetBSD's bdevsw and cdevsw): what a device node's numbers reach. Block devices
//! are rump's etfs registrations (host images, memory disks) under one major number; character devices
//! are the drivers of [`CDEVSW`]: mem(4)'s null and zero, rnd(4)'s random and urandom.

use super::types::*;
use super::{Cred, Kernel};
use crate::dev::Dev;
use crate::errno::{Errno, KResult};
use crate::hyper::Hypervisor;
use std::collections::HashMap;
use std::sync::Arc;

/// Major number of etfs block devices (rump's own range).
pub const BLK_MAJOR_ETFS: u32 = 200;
/// NetBSD's mem(4): minor 2 is null, 12 is zero.
pub const CHR_MAJOR_MEM: u32 = 2;
pub const CHR_MINOR_NULL: u32 = 2;
pub const CHR_MINOR_ZERO: u32 = 12;
/// NetBSD's rnd(4): minor 0 is random, 1 is urandom.
pub const CHR_MAJOR_RANDOM: u32 = 46;

/// NetBSD's makedev for the 32-bit dev_t layout.
pub fn makedev(major: u32, minor: u32) -> u64 {
    (((major as u64) << 8) & 0x000f_ff00) | ((minor as u64) & 0xff) | (((minor as u64) << 12) & 0xfff0_0000)
}
pub fn major(dev: u64) -> u32 {
    ((dev & 0x000f_ff00) >> 8) as u32
}
pub fn minor(dev: u64) -> u32 {
    ((dev & 0xfff0_0000) >> 12 | (dev & 0xff)) as u32
}

/// The block device switch: device number → (node path, device), as etfs registered them.
pub(crate) struct Bdevsw {
    pub block: HashMap<u64, (String, Dev)>,
    next_minor: u64,
}

impl Bdevsw {
    pub(crate) fn new() -> Bdevsw {
        Bdevsw { block: HashMap::new(), next_minor: 0 }
    }
}

/// A character device driver's entry points (struct cdevsw's d_read and d_write).
pub trait CharDev: Send + Sync {
    /// d_read: fills `buf`; how much it filled (0: end of file).
    fn read(&self, hyper: &dyn Hypervisor, buf: &mut [u8]) -> KResult<usize>;
    /// d_write: takes `buf`; how much it took.
    fn write(&self, buf: &[u8]) -> KResult<usize>;
}

/// mem(4)'s null (mmrw, DEV_NULL): reads end at once, writes vanish.
struct Null;
/// mem(4)'s zero (DEV_ZERO): reads give zeros, writes vanish.
struct Zero;
/// rnd(4): reads give the hypervisor's random bytes; writes are taken (and add nothing here).
struct Random;

impl CharDev for Null {
    fn read(&self, _: &dyn Hypervisor, _buf: &mut [u8]) -> KResult<usize> {
        Ok(0)
    }
    fn write(&self, buf: &[u8]) -> KResult<usize> {
        Ok(buf.len())
    }
}

impl CharDev for Zero {
    fn read(&self, _: &dyn Hypervisor, buf: &mut [u8]) -> KResult<usize> {
        buf.fill(0);
        Ok(buf.len())
    }
    fn write(&self, buf: &[u8]) -> KResult<usize> {
        Ok(buf.len())
    }
}

impl CharDev for Random {
    fn read(&self, hyper: &dyn Hypervisor, buf: &mut [u8]) -> KResult<usize> {
        hyper.random(buf)?;
        Ok(buf.len())
    }
    fn write(&self, buf: &[u8]) -> KResult<usize> {
        Ok(buf.len())
    }
}

/// The character device switch: (major, minor) → driver.
pub static CDEVSW: &[(u32, u32, &dyn CharDev)] = &[
    (CHR_MAJOR_MEM, CHR_MINOR_NULL, &Null),
    (CHR_MAJOR_MEM, CHR_MINOR_ZERO, &Zero),
    (CHR_MAJOR_RANDOM, 0, &Random),
    (CHR_MAJOR_RANDOM, 1, &Random),
];

/// cdevsw_lookup: the driver of character device `rdev`; ENXIO when there is none.
pub fn cdev(rdev: u64) -> KResult<&'static dyn CharDev> {
    let (ma, mi) = (major(rdev), minor(rdev));
    CDEVSW.iter().find(|(a, i, _)| *a == ma && *i == mi).map(|(_, _, d)| *d).ok_or(Errno::ENXIO)
}

impl Kernel {
    /// rump_pub_etfs_register(key, hostpath, RUMP_ETFS_BLK): a block device node at kernel path `key`
    /// (e.g. `/dev/ffs0`, created in the root file system) backed by `dev`.
    pub fn etfs_register(self: &Arc<Kernel>, key: &str, dev: Dev) -> KResult<()> {
        let minor = {
            let mut sw = self.bdevsw.lock().unwrap_or_else(|e| e.into_inner());
            let m = sw.next_minor;
            sw.next_minor += 1;
            sw.block.insert(makedev(BLK_MAJOR_ETFS, m as u32), (key.to_string(), dev.clone()));
            m
        };
        let rdev = makedev(BLK_MAJOR_ETFS, minor as u32);
        let p = self.new_proc(Cred::root());
        if let Err(e) = p.mknod(key.as_bytes(), S_IFBLK | 0o600, rdev) {
            self.bdevsw.lock().unwrap_or_else(|e| e.into_inner()).block.remove(&rdev);
            return Err(e);
        }
        self.log(&format!("etfs: {} registered as {}", dev.describe(), key));
        Ok(())
    }

    /// rump_pub_etfs_remove: forget a registered device and remove its node.
    pub fn etfs_remove(self: &Arc<Kernel>, key: &str) -> KResult<()> {
        let p = self.new_proc(Cred::root());
        let st = p.stat(key.as_bytes())?;
        if st.vtype() != Some(VType::Blk) {
            return Err(Errno::ENOTBLK);
        }
        if self.mounts().iter().any(|m| m.from == key) {
            return Err(Errno::EBUSY);
        }
        self.bdevsw.lock().unwrap_or_else(|e| e.into_inner()).block.remove(&st.rdev);
        p.unlink(key.as_bytes())
    }

    /// Whether a mounted file system lives on device `rdev` (vfs_mountedon).
    pub fn device_is_mounted(&self, rdev: u64) -> bool {
        self.mounts().iter().any(|m| m.rdev() == Some(rdev))
    }

    /// The block device behind device number `rdev`.
    pub fn block_device(&self, rdev: u64) -> Option<Dev> {
        self.bdevsw.lock().unwrap_or_else(|e| e.into_inner()).block.get(&rdev).map(|(_, d)| d.clone())
    }

    /// A kernel path not yet used under /dev for a new etfs registration: `/dev/<prefix>N`.
    pub fn free_dev_name(self: &Arc<Kernel>, prefix: &str) -> String {
        let p = self.new_proc(Cred::root());
        (0..)
            .map(|i| format!("/dev/{prefix}{i}"))
            .find(|n| p.lstat(n.as_bytes()).is_err())
            .unwrap_or_else(|| format!("/dev/{prefix}"))
    }
}
