//! What a file system's mount entry point is given.

use crate::dev::Dev;
use crate::errno::{Errno, KResult};
use crate::hyper::Hypervisor;
use std::sync::Arc;

/// Options of one mount, from `mount(2)`'s flags and its file-system arguments (`-o a=b,c`).
#[derive(Clone, Debug, Default)]
pub struct MountOptions {
    pub readonly: bool,
    /// Mount even what is normally refused (an unclean file system read-write, unknown flags), as
    /// `mount -f` does.
    pub force: bool,
    /// File-system specific options, in order (`size=16m`, `partition=a`, ...).
    pub opts: Vec<(String, String)>,
}

impl MountOptions {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.opts.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// A size option such as `size=16m` (suffixes k, m, g, t; plain bytes otherwise).
    pub fn get_size(&self, key: &str) -> KResult<Option<u64>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => parse_size(v).map(Some).ok_or(Errno::EINVAL),
        }
    }
}

/// Parses "4096", "16k", "64m", "2g", "1t" (powers of 1024).
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, mul) = match s.char_indices().last()? {
        (i, 'k' | 'K') => (&s[..i], 1u64 << 10),
        (i, 'm' | 'M') => (&s[..i], 1 << 20),
        (i, 'g' | 'G') => (&s[..i], 1 << 30),
        (i, 't' | 'T') => (&s[..i], 1 << 40),
        (i, 'b' | 'B') if i > 0 => (&s[..i], 1),
        _ => (s, 1),
    };
    num.parse::<u64>().ok()?.checked_mul(mul)
}

/// What the kernel hands a file system when mounting it.
#[derive(Clone)]
pub struct MountCtx {
    pub hyper: Arc<dyn Hypervisor>,
    /// Writes a line to the kernel message buffer (dmesg), prefixed with the file system's identity.
    pub log: Arc<dyn Fn(&str) + Send + Sync>,
    /// The device named as the mount's spec, for file systems that live on a disk.
    pub dev: Option<Dev>,
    /// Kernel state that kernfs shows (hostname, boot time, message buffer).
    pub kern: Arc<crate::vfs::KernState>,
    /// Where it is mounted (mnt_stat.f_mntonname): FFS records it in fs_fsmnt.
    pub mnton: String,
}

impl MountCtx {
    pub fn log(&self, msg: &str) {
        (self.log)(msg)
    }
}

/// A file-system type's mount entry point (NetBSD's vfsops->vfs_mount).
pub type MountFn = fn(&MountCtx, &MountOptions) -> KResult<Arc<dyn crate::vfs::FileSystem>>;

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4096"), Some(4096));
        assert_eq!(parse_size("16k"), Some(16384));
        assert_eq!(parse_size("2G"), Some(2 << 30));
        assert_eq!(parse_size("x"), None);
        assert_eq!(parse_size("99999999999999t"), None);
    }
}
