//! Credentials, umask, uname and sysctl.

use super::*;
use crate::errno::{Errno, KResult};
use crate::vfs::types::*;
use crate::vfs::*;
use std::sync::Arc;

impl Proc {
    /// kauth_cred_get: the process's credentials.
    pub fn getcred(&self) -> Cred {
        (*self.lock().cred).clone()
    }

    /// The host's rump_pub_lwproc credentials switch: act as another user (EINVAL past NGROUPS_MAX).
    pub fn setcred(&self, cred: Cred) -> KResult<()> {
        if cred.groups.len() > NGROUPS_MAX {
            return Err(Errno::EINVAL);
        }
        self.lock().cred = Arc::new(cred);
        Ok(())
    }

    /// umask(2): set the file creation mask, return the old one.
    pub fn umask(&self, mask: u32) -> u32 {
        let mut st = self.lock();
        std::mem::replace(&mut st.umask, mask & ALLPERMS)
    }

    /// uname(3), from the kern.* sysctls.
    pub fn uname(&self) -> Utsname {
        Utsname {
            sysname: OSTYPE.to_string(),
            nodename: self.kernel.state.hostname(),
            release: OSRELEASE.to_string(),
            version: VERSION.to_string(),
            machine: MACHINE.to_string(),
        }
    }

    /// sysctl(3) by name: kern.hostname, kern.ostype, kern.osrelease, kern.version, kern.boottime,
    /// hw.pagesize, hw.machine. ENOENT for others.
    pub fn sysctl(&self, name: &str) -> KResult<SysctlValue> {
        Ok(match name {
            "kern.hostname" => SysctlValue::Str(self.kernel.state.hostname()),
            "kern.ostype" => SysctlValue::Str(OSTYPE.into()),
            "kern.osrelease" => SysctlValue::Str(OSRELEASE.into()),
            "kern.version" => SysctlValue::Str(VERSION.into()),
            "kern.boottime" => SysctlValue::Int(self.kernel.state.boottime.sec),
            "kern.maxfiles" => SysctlValue::Int(super::file::MAXFILES as i64),
            "hw.pagesize" => SysctlValue::Int(PAGESIZE as i64),
            "hw.machine" => SysctlValue::Str(MACHINE.into()),
            _ => return Err(Errno::ENOENT),
        })
    }

    /// sysctl(3) write: only kern.hostname is writable, and only by root (EPERM); read-only names EPERM.
    pub fn sysctl_set(&self, name: &str, value: &str) -> KResult<()> {
        self.sysctl(name)?;
        if name != "kern.hostname" || !self.lock().cred.is_root() {
            return Err(Errno::EPERM);
        }
        self.kernel.state.set_hostname(value)
    }
}
