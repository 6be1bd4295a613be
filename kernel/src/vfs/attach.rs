//! Mounting an image, the one way every caller does it (the session's images, `rump.mount`, `rumpjs
//! mount`, the image tools): the host file opened through the hypervisor (read-only at the host level
//! unless written), put under a copy-on-write overlay when asked (kept in memory, or in a host file as
//! well), registered under `/dev` (rump_pub_etfs_register) and mounted — and on failure a typed error
//! saying which step failed and why. `rump.unmount` undoes it as one step too. unmount(2) itself leaves
//! the device registered, as in NetBSD, so it can be mounted again by its node until it is unmounted here.

use super::syscalls::Proc;
use super::MountOptions;
use crate::dev::{Dev, OverlayDevice};
use crate::errno::{Errno, KResult};
use crate::hyper::Hypervisor;
use std::fmt;
use std::sync::Arc;

/// Where a mount of an image failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MountStage {
    /// Opening the image file.
    Image,
    /// Opening or reading back the overlay file.
    OverlayFile,
    /// mount(2) itself.
    Mount,
}

/// Why a mount failed: the errno, what the file system said about it, and at which step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MountError {
    pub errno: Errno,
    /// In words: what the file system logged while it tried, or what was wrong with the overlay file.
    pub reason: Option<String>,
    pub stage: MountStage,
}

impl From<Errno> for MountError {
    fn from(errno: Errno) -> MountError {
        MountError { errno, reason: None, stage: MountStage::Mount }
    }
}

impl fmt::Display for MountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.reason {
            Some(r) => write!(f, "{} ({r})", self.errno),
            None => write!(f, "{}", self.errno),
        }
    }
}

impl std::error::Error for MountError {}

impl MountError {
    /// One line for a person, the same from every command: the step that failed and why
    /// ("disk.img: no such file or directory", "overlay file x: made for another image …",
    /// "EINVAL: invalid argument (no FFS superblock found …)").
    pub fn text(&self, image: &str) -> String {
        match (self.stage, &self.reason) {
            (MountStage::Image, _) => format!("{image}: {}", self.errno.message()),
            (MountStage::OverlayFile, Some(r)) => r.clone(),
            _ => self.to_string(),
        }
    }
}

/// Where an image's writes go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Overlay {
    /// To the image itself (none at all when it is mounted read-only).
    None,
    /// To a copy-on-write layer in memory: the image file is opened read-only and never written.
    Memory,
    /// As `Memory`, the layer also kept in the host file named (made if missing, else carried on).
    File(String),
}

/// An image to open: the host path the hypervisor opens, and how.
#[derive(Clone, Debug)]
pub struct Image<'a> {
    pub path: &'a str,
    pub readonly: bool,
    pub overlay: Overlay,
}

/// Opens `img` as a block device: read-only at the host level when it is read-only or overlaid, under
/// the overlay asked for (a read-only view of an overlay file is its changes as kept: what `fsck -n
/// --overlay-file` checks). Logs how many chunks an overlay file brought back.
pub fn open_image(hyper: &dyn Hypervisor, img: &Image<'_>, log: &dyn Fn(&str)) -> Result<Dev, MountError> {
    let host_ro = img.readonly || img.overlay != Overlay::None;
    let base = hyper.open_block_device(img.path, host_ro).map_err(|errno| MountError {
        errno,
        reason: None,
        stage: MountStage::Image,
    })?;
    Ok(match &img.overlay {
        Overlay::None => base,
        Overlay::Memory => Arc::new(OverlayDevice::new(base)),
        Overlay::File(f) => {
            let file = hyper.open_host_file(f).map_err(|errno| MountError {
                errno,
                reason: Some(format!("overlay file {f}: {}", errno.message())),
                stage: MountStage::OverlayFile,
            })?;
            let (ov, n) = OverlayDevice::with_sidecar_file(base, file, f).map_err(|e| MountError {
                errno: Errno::EINVAL,
                reason: Some(e.0),
                stage: MountStage::OverlayFile,
            })?;
            if n > 0 {
                log(&format!("overlay file {f}: {n} changed chunks read back"));
            }
            Arc::new(ov)
        }
    })
}

impl Proc {
    /// Mounts the image `img` (see [`open_image`]) of type `fstype` on `dir`; its device is
    /// `/dev/<fstype>N` (returned) for as long as it is mounted.
    pub fn attach_image(
        &self,
        fstype: &str,
        dir: &[u8],
        img: &Image<'_>,
        opts: &MountOptions,
    ) -> Result<String, MountError> {
        self.takes_image(fstype, dir)?;
        let k = self.kernel().clone();
        let dev = open_image(k.hyper().as_ref(), img, &|m| k.log(m))?;
        let mut opts = opts.clone();
        opts.readonly |= img.readonly;
        self.mount_device(fstype, dir, if img.readonly { super::MNT_RDONLY } else { 0 }, dev, &opts)
    }

    /// mount(2) of `fstype` on `dir` from `dev`, registered as `/dev/<fstype>N` (returned). A type that
    /// takes no device (tmpfs, kernfs) takes no image either (EINVAL, nothing registered); a failed mount
    /// leaves nothing registered.
    pub fn mount_device(
        &self,
        fstype: &str,
        dir: &[u8],
        flags: u64,
        dev: Dev,
        opts: &MountOptions,
    ) -> Result<String, MountError> {
        self.takes_image(fstype, dir)?;
        let k = self.kernel().clone();
        let key = k.free_dev_name(fstype);
        k.etfs_register(&key, dev)?;
        if let Err(e) = self.mount_why(fstype, dir, flags, Some(&key), opts) {
            let _ = k.etfs_remove(&key);
            return Err(e);
        }
        k.image_devs.lock().unwrap_or_else(|e| e.into_inner()).push(key.clone());
        Ok(key)
    }

    /// unmount(2) of `dir`, then, when what was mounted there is a device [`Proc::mount_device`]
    /// registered and nothing mounts it any more, its removal (rump_pub_etfs_remove): the host file is
    /// let go.
    pub fn unmount_device(&self, dir: &[u8], flags: u64) -> KResult<()> {
        let k = self.kernel().clone();
        let on = self.realpath(dir).ok().map(|p| String::from_utf8_lossy(&p).into_owned());
        let from =
            k.mounts().into_iter().rev().find(|m| Some(&m.on) == on.as_ref() && !m.is_dead()).map(|m| m.from.clone());
        self.unmount(dir, flags)?;
        let Some(from) = from else { return Ok(()) };
        let mut devs = k.image_devs.lock().unwrap_or_else(|e| e.into_inner());
        if devs.contains(&from) && !k.mounts().iter().any(|m| m.from == from) {
            devs.retain(|d| *d != from);
            drop(devs);
            if let Err(e) = k.etfs_remove(&from) {
                k.log(&format!("etfs: {from} not removed: {e}"));
            }
        }
        Ok(())
    }
}

impl Proc {
    /// Whether `fstype` is a type that lives on a device (ENODEV for no such type; EINVAL, said in the
    /// log, for tmpfs and kernfs, which take no image).
    fn takes_image(&self, fstype: &str, dir: &[u8]) -> Result<(), MountError> {
        let ty = self.kernel().fstype(fstype).ok_or(Errno::ENODEV)?;
        if ty.needs_device {
            return Ok(());
        }
        let on = self.realpath(dir).unwrap_or_else(|_| dir.to_vec());
        self.kernel().log(&format!("{fstype} {}: {fstype} takes no image", String::from_utf8_lossy(&on)));
        Err(MountError {
            errno: Errno::EINVAL,
            reason: Some(format!("{fstype} takes no image")),
            stage: MountStage::Mount,
        })
    }
}
