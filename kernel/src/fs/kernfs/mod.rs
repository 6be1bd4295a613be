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

#[derive(Copy, Clone, PartialEq, Eq)]
enum Node {
    Boottime,
    Copyright,
    Hostname,
    Hz,
    Loadavg,
    Msgbuf,
    Osrelease,
    Ostype,
    Pagesize,
    Physmem,
    Time,
    Version,
}

/// The directory, in readdir order, with each file's mode (kern_targets in kernfs_vnops.c).
const TARGETS: &[(&str, Node, u32)] = &[
    ("boottime", Node::Boottime, 0o444),
    ("copyright", Node::Copyright, 0o444),
    ("hostname", Node::Hostname, 0o644),
    ("hz", Node::Hz, 0o444),
    ("loadavg", Node::Loadavg, 0o444),
    ("msgbuf", Node::Msgbuf, 0o444),
    ("osrelease", Node::Osrelease, 0o444),
    ("ostype", Node::Ostype, 0o444),
    ("pagesize", Node::Pagesize, 0o444),
    ("physmem", Node::Physmem, 0o444),
    ("time", Node::Time, 0o444),
    ("version", Node::Version, 0o444),
];

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
    fn target(ino: Ino) -> KResult<(&'static str, Node, u32)> {
        ino.checked_sub(ROOT_INO + 1).and_then(|i| TARGETS.get(i as usize)).copied().ok_or(Errno::ENOENT)
    }

    /// kernfs_xread: the text of a file now.
    fn contents(&self, node: Node) -> Vec<u8> {
        let s = match node {
            Node::Boottime => format!("{}\n", self.kern.boottime.sec),
            Node::Copyright => COPYRIGHT.to_string(),
            Node::Hostname => format!("{}\n", self.kern.hostname()),
            Node::Hz => "100\n".to_string(),
            Node::Loadavg => "0 0 0 2048\n".to_string(),
            Node::Msgbuf => return self.kern.msgbuf().into_bytes(),
            Node::Osrelease => format!("{OSRELEASE}\n"),
            Node::Ostype => format!("{OSTYPE}\n"),
            Node::Pagesize => format!("{PAGESIZE}\n"),
            Node::Physmem => format!("{}\n", PHYSMEM / PAGESIZE),
            Node::Time => {
                let t = self.kern.hyper.wall_clock();
                format!("{} {}\n", t.sec, t.nsec / 1000)
            }
            Node::Version => format!("{VERSION}\n"),
        };
        s.into_bytes()
    }
}

impl VfsOps for Kernfs {
    /// The name mount_kernfs registers.
    fn fstype(&self) -> &'static str {
        "kernfs"
    }

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
        TARGETS.iter().position(|(n, _, _)| n.as_bytes() == name).map(|i| ROOT_INO + 1 + i as u64).ok_or(Errno::ENOENT)
    }

    /// kernfs_getattr: sizes are those of the text a read would give now.
    fn getattr(&self, ino: Ino) -> KResult<Vattr> {
        let (vtype, mode, size, nlink) = if ino == ROOT_INO {
            (VType::Dir, 0o555, DEV_BSIZE_U64, 2)
        } else {
            let (_, node, mode) = Kernfs::target(ino)?;
            (VType::Reg, mode, self.contents(node).len() as u64, 1)
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
        let (_, node, _) = Kernfs::target(ino)?;
        let data = self.contents(node);
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
        let (_, node, _) = Kernfs::target(ino)?;
        if buf.is_empty() {
            return Ok((0, off));
        }
        if off != 0 {
            return Err(Errno::EINVAL);
        }
        if node != Node::Hostname {
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
        for (i, (name, _, _)) in TARGETS.iter().enumerate() {
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
