//! Mounting an image: its device registered under `/dev` (rump_pub_etfs_register) and mounted as one
//! step, and unmounted and unregistered as one step. Every caller that mounts a host image (the
//! session's images, `rump.mount`) comes here. unmount(2) itself leaves the device registered, as in
//! NetBSD, so it can be mounted again by its node (`spec`) until the image is unmounted here.

use super::syscalls::Proc;
use super::MountOptions;
use crate::dev::Dev;
use crate::errno::{Errno, KResult};

impl Proc {
    /// mount(2) of `fstype` on `dir` from `dev`, registered as `/dev/<fstype>N` (returned). A type that
    /// takes no device (tmpfs, kernfs) takes no image either (EINVAL, nothing registered); a failed mount
    /// leaves nothing registered.
    pub fn mount_device(&self, fstype: &str, dir: &[u8], flags: u64, dev: Dev, opts: &MountOptions) -> KResult<String> {
        let k = self.kernel().clone();
        let ty = k.fstype(fstype).ok_or(Errno::ENODEV)?;
        if !ty.needs_device {
            let on = self.realpath(dir).unwrap_or_else(|_| dir.to_vec());
            k.log(&format!("{fstype} {}: {fstype} takes no image", String::from_utf8_lossy(&on)));
            return Err(Errno::EINVAL);
        }
        let key = k.free_dev_name(fstype);
        k.etfs_register(&key, dev)?;
        if let Err(e) = self.mount(fstype, dir, flags, Some(&key), opts) {
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
