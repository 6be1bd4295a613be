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

/// How a tool reads a size's suffix. NetBSD's tools disagree on `b`: strsuftoll(3), which makefs(8)
/// reads its sizes with, takes it for a 512-byte block; newfs(8) and the mount options for a byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SizeUnits {
    /// newfs(8) and mount options (`size=16m`): k, m, g, t (powers of 1024); `b` is bytes.
    Newfs,
    /// strsuftoll(3), as makefs(8) reads sizes: `b` a 512-byte block, k, m, g, t, `w` a 4-byte word;
    /// `AxB` multiplies.
    Strsuftoll,
    /// A memory size (`--max-memory`): a decimal number, fractions too ("1.5G"), then K, M, G or T
    /// with an optional B or iB, any case ("4GiB"); B alone is bytes.
    Memory,
}

/// Why a size does not parse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SizeError {
    /// Not a number with a suffix these units know.
    Invalid,
    /// A memory size below zero (or past what a float holds).
    OutOfRange,
}

/// Parses "4096", "16k", "64m", "2g", "1t" (powers of 1024), `b` as bytes: [`SizeUnits::Newfs`].
pub fn parse_size(s: &str) -> Option<u64> {
    parse_size_as(s, SizeUnits::Newfs).ok()
}

/// Parses a size as a tool with `units` reads it.
pub fn parse_size_as(s: &str, units: SizeUnits) -> Result<u64, SizeError> {
    if units == SizeUnits::Memory {
        let t = s.trim();
        let (num, mul) = match t.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
            Some((i, _)) => {
                let mul: u64 = match t[i..].to_ascii_uppercase().trim_end_matches("IB").trim_end_matches('B') {
                    "" => 1,
                    "K" => 1 << 10,
                    "M" => 1 << 20,
                    "G" => 1 << 30,
                    "T" => 1 << 40,
                    _ => return Err(SizeError::Invalid),
                };
                (&t[..i], mul)
            }
            None => (t, 1),
        };
        let n: f64 = num.trim().parse().map_err(|_| SizeError::Invalid)?;
        if !(n.is_finite() && n >= 0.0) {
            return Err(SizeError::OutOfRange);
        }
        return Ok((n * mul as f64).min(u64::MAX as f64) as u64);
    }
    let term = |part: &str| -> Option<u64> {
        let part = part.trim();
        let (digits, mul) = match part.char_indices().last()? {
            (i, 'k' | 'K') => (&part[..i], 1u64 << 10),
            (i, 'm' | 'M') => (&part[..i], 1 << 20),
            (i, 'g' | 'G') => (&part[..i], 1 << 30),
            (i, 't' | 'T') => (&part[..i], 1 << 40),
            (i, 'b' | 'B') if units == SizeUnits::Strsuftoll => (&part[..i], 512),
            (i, 'b' | 'B') if i > 0 => (&part[..i], 1),
            (i, 'w' | 'W') if units == SizeUnits::Strsuftoll => (&part[..i], 4),
            _ => (part, 1),
        };
        digits.parse::<u64>().ok()?.checked_mul(mul)
    };
    let mut total: u64 = 1;
    if units == SizeUnits::Strsuftoll {
        for part in s.split('x') {
            total = total.checked_mul(term(part).ok_or(SizeError::Invalid)?).ok_or(SizeError::Invalid)?;
        }
        return Ok(total);
    }
    term(s).ok_or(SizeError::Invalid)
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
    use super::{parse_size, parse_size_as, SizeError, SizeUnits};

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4096"), Some(4096));
        assert_eq!(parse_size("16k"), Some(16384));
        assert_eq!(parse_size("2G"), Some(2 << 30));
        assert_eq!(parse_size("x"), None);
        assert_eq!(parse_size("99999999999999t"), None);
    }

    #[test]
    fn each_tool_its_suffixes() {
        use SizeUnits::*;
        // `b`: a byte to newfs and mount, a 512-byte block to strsuftoll (makefs).
        assert_eq!(parse_size_as("3b", Newfs), Ok(3));
        assert_eq!(parse_size_as("3b", Strsuftoll), Ok(1536));
        assert_eq!(parse_size_as("3B", Memory), Ok(3));
        assert_eq!(parse_size_as("b", Newfs), Err(SizeError::Invalid));
        assert_eq!(parse_size_as("b", Strsuftoll), Err(SizeError::Invalid));
        // `w` and products are strsuftoll's only.
        assert_eq!(parse_size_as("2w", Strsuftoll), Ok(8));
        assert_eq!(parse_size_as("2x512", Strsuftoll), Ok(1024));
        assert_eq!(parse_size_as("2x512", Newfs), Err(SizeError::Invalid));
        assert_eq!(parse_size_as("2w", Newfs), Err(SizeError::Invalid));
        assert_eq!(parse_size_as("x", Strsuftoll), Err(SizeError::Invalid));
        assert_eq!(parse_size_as("64m", Strsuftoll), Ok(64 << 20));
        assert_eq!(parse_size_as("99999999999999tx2", Strsuftoll), Err(SizeError::Invalid));
        // Fractions and long suffixes are the memory size's only.
        assert_eq!(parse_size_as("1.5GiB", Memory), Ok(3 << 29));
        assert_eq!(parse_size_as("512mb", Memory), Ok(512 << 20));
        assert_eq!(parse_size_as("1.5g", Newfs), Err(SizeError::Invalid));
        assert_eq!(parse_size_as("4KiB", Newfs), Err(SizeError::Invalid));
        assert_eq!(parse_size_as("-1G", Memory), Err(SizeError::OutOfRange));
        assert_eq!(parse_size_as("3X", Memory), Err(SizeError::Invalid));
        assert_eq!(parse_size_as("lots", Memory), Err(SizeError::Invalid));
    }
}
