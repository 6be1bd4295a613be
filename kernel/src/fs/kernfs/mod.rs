//! kernfs: the kernel's own state as files (NetBSD sys/miscfs/kernfs). Every file is generated when read;
//! `hostname` is writable by root; attribute changes are silently ignored, as kernfs_setattr does.

use crate::errno::{Errno, KResult};
use crate::vfs::types::*;
use crate::vfs::{
    erofs, FileSystem, KernState, MountCtx, MountOptions, VfsOps, VnodeOps, OSRELEASE, OSTYPE, PAGESIZE, VERSION,
};
use std::sync::Arc;

const ROOT_INO: Ino = 2;

/// Physical memory the kernel reports, in bytes (a rump kernel's RUMP_MEMLIMIT default: unlimited; we
/// report what the host hypervisor lets tmpfs use by default).
const PHYSMEM: u64 = 8 << 30;

/// A file of the directory: its name, its mode, and its text now (kernfs_xread).
struct Target {
    name: &'static str,
    mode: u32,
    text: fn(&KernState) -> String,
}

/// The directory, in readdir order (kern_targets in kernfs_vnops.c).
const TARGETS: &[Target] = &[
    Target { name: "boottime", mode: 0o444, text: |k| format!("{}\n", k.boottime.sec) },
    Target { name: "copyright", mode: 0o444, text: |_| COPYRIGHT.to_string() },
    Target { name: "hostname", mode: 0o644, text: |k| format!("{}\n", k.hostname()) },
    Target { name: "hz", mode: 0o444, text: |_| "100\n".to_string() },
    Target { name: "loadavg", mode: 0o444, text: |_| "0 0 0 2048\n".to_string() },
    Target { name: "msgbuf", mode: 0o444, text: |k| k.msgbuf() },
    Target { name: "osrelease", mode: 0o444, text: |_| format!("{OSRELEASE}\n") },
    Target { name: "ostype", mode: 0o444, text: |_| format!("{OSTYPE}\n") },
    Target { name: "pagesize", mode: 0o444, text: |_| format!("{PAGESIZE}\n") },
    Target { name: "physmem", mode: 0o444, text: |_| format!("{}\n", PHYSMEM / PAGESIZE) },
    Target {
        name: "time",
        mode: 0o444,
        text: |k| {
            let t = k.hyper.wall_clock();
            format!("{} {}\n", t.sec, t.nsec / 1000)
        },
    },
    Target { name: "version", mode: 0o444, text: |_| format!("{VERSION}\n") },
];

/// The one file root may write: kernfs_xwrite's KFSstring target.
const HOSTNAME: &str = "hostname";

const COPYRIGHT: &str = "Copyright (c) 1996, 1997, 1998, 1999, 2000, 2001, 2002, 2003, 2004, 2005,
    2006, 2007, 2008, 2009, 2010, 2011, 2012, 2013, 2014, 2015, 2016, 2017,
    2018, 2019, 2020, 2021, 2022, 2023, 2024
    The NetBSD Foundation, Inc.  All rights reserved.
Copyright (c) 1982, 1986, 1989, 1991, 1993
    The Regents of the University of California.  All rights reserved.
";

pub fn mount(ctx: &MountCtx, _opts: &MountOptions) -> KResult<Arc<dyn FileSystem>> {
    Ok(Arc::new(Kernfs { kern: ctx.kern.clone(), mounted: ctx.hyper.wall_clock() }))
}

pub struct Kernfs {
    kern: Arc<KernState>,
    mounted: Timespec,
}

impl Kernfs {
    fn target(ino: Ino) -> KResult<&'static Target> {
        ino.checked_sub(ROOT_INO + 1).and_then(|i| TARGETS.get(i as usize)).ok_or(Errno::ENOENT)
    }

    /// kernfs_xread: the text of a file now.
    fn contents(&self, t: &Target) -> Vec<u8> {
        (t.text)(&self.kern).into_bytes()
    }
}

impl VfsOps for Kernfs {
    /// kernfs_root.
    fn root(&self) -> Ino {
        ROOT_INO
    }

    /// kernfs_statvfs: genfs_statvfs (nothing to count).
    fn statvfs(&self) -> KResult<StatVfs> {
        Ok(StatVfs {
            bsize: DEV_BSIZE_U64,
            frsize: DEV_BSIZE_U64,
            iosize: DEV_BSIZE_U64,
            namemax: NAME_MAX as u64,
            ..Default::default()
        })
    }

    /// kernfs_sync: nothing is dirty.
    fn sync(&self) -> KResult<()> {
        Ok(())
    }

    /// kernfs_unmount.
    fn unmount(&self, _force: bool) -> KResult<()> {
        Ok(())
    }
}

impl VnodeOps for Kernfs {
    /// kernfs_lookup.
    fn lookup(&self, dir: Ino, name: &[u8]) -> KResult<Ino> {
        if dir != ROOT_INO {
            Kernfs::target(dir)?;
            return Err(Errno::ENOTDIR);
        }
        if name == b"." || name == b".." {
            return Ok(ROOT_INO);
        }
        TARGETS.iter().position(|t| t.name.as_bytes() == name).map(|i| ROOT_INO + 1 + i as u64).ok_or(Errno::ENOENT)
    }

    /// kernfs_getattr: sizes are those of the text a read would give now.
    fn getattr(&self, ino: Ino) -> KResult<Vattr> {
        let (vtype, mode, size, nlink) = if ino == ROOT_INO {
            (VType::Dir, 0o555, DEV_BSIZE_U64, 2)
        } else {
            let t = Kernfs::target(ino)?;
            (VType::Reg, t.mode, self.contents(t).len() as u64, 1)
        };
        let t = if ino == ROOT_INO { self.mounted } else { self.kern.hyper.wall_clock() };
        Ok(Vattr {
            vtype,
            mode,
            nlink,
            uid: 0,
            gid: 0,
            ino,
            size,
            bytes: size,
            blksize: DEV_BSIZE_U64 as u32,
            atime: t,
            mtime: t,
            ctime: t,
            birthtime: self.mounted,
            rdev: 0,
            flags: 0,
            gen: 0,
        })
    }

    /// kernfs_setattr: silently ignored (so open with O_TRUNC works before a write).
    fn setattr(&self, ino: Ino, _attr: &SetAttr) -> KResult<()> {
        self.getattr(ino).map(|_| ())
    }

    /// kernfs_read.
    fn read(&self, ino: Ino, off: u64, buf: &mut [u8]) -> KResult<usize> {
        if ino == ROOT_INO {
            return Err(Errno::EISDIR);
        }
        let data = self.contents(Kernfs::target(ino)?);
        if off >= data.len() as u64 {
            return Ok(0);
        }
        let n = (data.len() - off as usize).min(buf.len());
        buf[..n].copy_from_slice(&data[off as usize..off as usize + n]);
        Ok(n)
    }

    /// kernfs_write → kernfs_default_xwrite → kernfs_xwrite: only hostname takes writes (EIO for the
    /// rest), whole from offset 0 (EINVAL elsewhere), a trailing newline dropped.
    fn write(&self, ino: Ino, off: u64, buf: &[u8], _append: bool) -> KResult<(usize, u64)> {
        if ino == ROOT_INO {
            return Err(Errno::EISDIR);
        }
        let t = Kernfs::target(ino)?;
        if buf.is_empty() {
            return Ok((0, off));
        }
        if off != 0 {
            return Err(Errno::EINVAL);
        }
        if t.name != HOSTNAME {
            return Err(Errno::EIO);
        }
        let mut name = buf;
        if let Some(stripped) = name.strip_suffix(b"\n") {
            name = stripped;
        }
        let name = std::str::from_utf8(name).map_err(|_| Errno::EINVAL)?;
        self.kern.set_hostname(name)?;
        self.kern.log(&format!("kernfs: hostname set to {name}"));
        Ok((buf.len(), buf.len() as u64))
    }

    /// kernfs_readdir: ".", "..", then kern_targets in order; the cookie is the index.
    fn readdir(&self, dir: Ino, cookie: u64, sink: &mut dyn FnMut(&DirEntry<'_>) -> bool) -> KResult<()> {
        if dir != ROOT_INO {
            Kernfs::target(dir)?;
            return Err(Errno::ENOTDIR);
        }
        let dots: [(&[u8], Ino); 2] = [(b".", ROOT_INO), (b"..", ROOT_INO)];
        for (i, (name, ino)) in dots.iter().enumerate() {
            if cookie <= i as u64 && !sink(&DirEntry { ino: *ino, name, dtype: DT_DIR, next: i as u64 + 1 }) {
                return Ok(());
            }
        }
        for (i, Target { name, .. }) in TARGETS.iter().enumerate() {
            let c = i as u64 + 2;
            if cookie <= c
                && !sink(&DirEntry { ino: ROOT_INO + 1 + i as u64, name: name.as_bytes(), dtype: DT_REG, next: c + 1 })
            {
                return Ok(());
            }
        }
        Ok(())
    }

    /// kernfs_readlink: genfs_eopnotsupp (nothing here is a link).
    fn readlink(&self, _ino: Ino) -> KResult<Vec<u8>> {
        Err(Errno::EINVAL)
    }

    /// kernfs_create: genfs_eopnotsupp.
    fn create(&self, _: Ino, _: &[u8], _: &NewNode) -> KResult<Ino> {
        Err(Errno::EOPNOTSUPP)
    }

    /// kernfs_mknod: genfs_eopnotsupp.
    fn mknod(&self, _: Ino, _: &[u8], _: &NewNode) -> KResult<Ino> {
        Err(Errno::EOPNOTSUPP)
    }

    /// kernfs_mkdir: genfs_eopnotsupp.
    fn mkdir(&self, _: Ino, _: &[u8], _: &NewNode) -> KResult<Ino> {
        Err(Errno::EOPNOTSUPP)
    }

    /// kernfs_symlink: EROFS.
    fn symlink(&self, _: Ino, _: &[u8], _: &NewNode, _: &[u8]) -> KResult<Ino> {
        erofs()
    }

    /// kernfs_remove: genfs_eopnotsupp.
    fn remove(&self, _: Ino, _: &[u8]) -> KResult<()> {
        Err(Errno::EOPNOTSUPP)
    }

    /// kernfs_rmdir: genfs_eopnotsupp.
    fn rmdir(&self, _: Ino, _: &[u8]) -> KResult<()> {
        Err(Errno::EOPNOTSUPP)
    }

    /// kernfs_link: EROFS.
    fn link(&self, _: Ino, _: Ino, _: &[u8]) -> KResult<()> {
        erofs()
    }

    /// kernfs_rename: genfs_eopnotsupp.
    fn rename(&self, _: Ino, _: &[u8], _: Ino, _: &[u8]) -> KResult<()> {
        Err(Errno::EOPNOTSUPP)
    }

    /// kernfs_fsync: genfs_nullop.
    fn fsync(&self, _ino: Ino) -> KResult<()> {
        Ok(())
    }
}

const DEV_BSIZE_U64: u64 = crate::dev::DEV_BSIZE;
