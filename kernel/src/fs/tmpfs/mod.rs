//! tmpfs: a complete read-write file system in memory (NetBSD sys/fs/tmpfs semantics). The root file
//! system (rump's rumpfs) is an instance of it too.
//!
//! Options: `size=` (bytes of file data, ENOSPC past it), `inodes=` (nodes, ENOSPC past it), `mode=`,
//! `uid=`, `gid=` of the root directory (as mount_tmpfs -s -n -m -u -g); `noatime` (the VFS adds it
//! for MNT_NOATIME).

mod data;

use crate::errno::{Errno, KResult};
use crate::vfs::fxhash::FxHashMap;
use crate::vfs::types::*;
use crate::vfs::vnops::check_entry_name;
use crate::vfs::{FileSystem, MountCtx, MountOptions, VfsOps, VnodeOps};
use data::{FileData, PAGE};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

const ROOT_INO: Ino = 2;
/// Default limits: far more than tests need, finite so statvfs says something true.
const DEFAULT_SIZE: u64 = 8 << 30;
const DEFAULT_INODES: u64 = 1 << 22;
/// Bytes each directory entry counts for in a directory's size (sizeof(struct tmpfs_dirent) on LP64).
const DIRENT_SIZE: u64 = 40;

/// Readdir cookies: 0 is ".", 1 is "..", entries start at 2 and keep theirs for life.
const COOKIE_DOT: u64 = 0;
const COOKIE_DOTDOT: u64 = 1;
const COOKIE_FIRST: u64 = 2;

pub fn mount(ctx: &MountCtx, opts: &MountOptions) -> KResult<Arc<dyn FileSystem>> {
    Ok(Tmpfs::new(ctx, opts, "tmpfs")?)
}

struct Dir {
    /// None once the directory is removed (".." then gives ENOENT, as tmpfs_lookup does).
    parent: Option<Ino>,
    entries: BTreeMap<u64, (Vec<u8>, Ino)>,
    /// The name index: name → (cookie, inode). NetBSD's tmpfs keeps a list; ours is hashed so huge
    /// directories stay fast, as dirhash makes them in FFS.
    index: FxHashMap<Vec<u8>, (u64, Ino)>,
    next_cookie: u64,
}

enum Kind {
    Reg(FileData),
    Dir(Dir),
    Lnk(Vec<u8>),
    Other,
}

struct Node {
    vtype: VType,
    mode: u32,
    uid: u32,
    gid: u32,
    nlink: u64,
    flags: u32,
    gen: u32,
    rdev: u64,
    atime: Timespec,
    mtime: Timespec,
    ctime: Timespec,
    birthtime: Timespec,
    kind: Kind,
}

struct State {
    nodes: FxHashMap<Ino, Node>,
    next_ino: Ino,
    pages_used: u64,
    link_bytes: u64,
}

pub struct Tmpfs {
    st: Mutex<State>,
    ctx: MountCtx,
    /// "tmpfs", or "rumpfs" for the root file system (what `info` says it is).
    name: &'static str,
    max_pages: u64,
    max_nodes: u64,
    /// Mounted with MNT_NOATIME: reads leave atime alone (tmpfs_read, tmpfs_getpages).
    noatime: bool,
}

impl Tmpfs {
    fn new(ctx: &MountCtx, opts: &MountOptions, name: &'static str) -> KResult<Arc<Tmpfs>> {
        let size = opts.get_size("size")?.filter(|&s| s > 0).unwrap_or(DEFAULT_SIZE);
        let max_nodes = match opts.get("inodes") {
            Some(v) => v.parse::<u64>().map_err(|_| Errno::EINVAL)?,
            None => DEFAULT_INODES,
        };
        if max_nodes < 3 {
            return Err(Errno::EINVAL);
        }
        let num = |k: &str, radix: u32, def: u32| -> KResult<u32> {
            opts.get(k).map_or(Ok(def), |v| u32::from_str_radix(v, radix).map_err(|_| Errno::EINVAL))
        };
        let default_mode = if name == "rumpfs" { 0o755 } else { 0o1777 };
        let mode = num("mode", 8, default_mode)? & ALLPERMS;
        let uid = num("uid", 10, 0)?;
        let gid = num("gid", 10, 0)?;
        let fs = Tmpfs {
            st: Mutex::new(State { nodes: FxHashMap::default(), next_ino: ROOT_INO, pages_used: 0, link_bytes: 0 }),
            ctx: ctx.clone(),
            name,
            max_pages: size.div_ceil(PAGE),
            max_nodes,
            noatime: opts.get("noatime").is_some(),
        };
        {
            let mut st = fs.lock();
            let attr = NewNode { vtype: VType::Dir, mode, uid, gid, rdev: 0 };
            let ino = fs.alloc_node(&mut st, &attr, Kind::Dir(Dir::new(None)))?;
            debug_assert_eq!(ino, ROOT_INO);
            if let Some(Kind::Dir(d)) = st.nodes.get_mut(&ino).map(|n| &mut n.kind) {
                d.parent = Some(ino);
            }
            if let Some(n) = st.nodes.get_mut(&ino) {
                n.nlink = 2;
            }
        }
        Ok(Arc::new(fs))
    }

    /// The root file system: a tmpfs called rumpfs, root mode 0755.
    pub fn new_rootfs(ctx: &MountCtx) -> KResult<Arc<dyn FileSystem>> {
        Ok(Tmpfs::new(ctx, &MountOptions::default(), "rumpfs")?)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.st.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn now(&self) -> Timespec {
        self.ctx.hyper.wall_clock()
    }

    fn alloc_node(&self, st: &mut State, attr: &NewNode, kind: Kind) -> KResult<Ino> {
        if st.nodes.len() as u64 >= self.max_nodes {
            return Err(Errno::ENOSPC);
        }
        let now = self.now();
        let mut g = [0u8; 4];
        self.ctx.hyper.random(&mut g)?;
        let ino = st.next_ino;
        st.next_ino += 1;
        st.nodes.insert(
            ino,
            Node {
                vtype: attr.vtype,
                mode: attr.mode & ALLPERMS,
                uid: attr.uid,
                gid: attr.gid,
                nlink: 1,
                flags: 0,
                gen: u32::from_le_bytes(g) & 0x7fff_ffff,
                rdev: attr.rdev,
                atime: now,
                mtime: now,
                ctime: now,
                birthtime: now,
                kind,
            },
        );
        Ok(ino)
    }

    /// Frees a node with no links left (pages, link target, the node itself).
    fn free_node(st: &mut State, ino: Ino) {
        if let Some(n) = st.nodes.remove(&ino) {
            match n.kind {
                Kind::Reg(d) => st.pages_used -= d.pages(),
                Kind::Lnk(t) => st.link_bytes -= t.len() as u64,
                _ => {}
            }
        }
    }

    /// Adds `name` → `ino` to directory `dir` (EEXIST if taken), updating its times.
    fn dir_add(&self, st: &mut State, dir: Ino, name: &[u8], ino: Ino) -> KResult<()> {
        let now = self.now();
        let d = dir_mut(st, dir)?;
        if d.index.contains_key(name) {
            return Err(Errno::EEXIST);
        }
        let c = d.next_cookie;
        d.next_cookie += 1;
        d.entries.insert(c, (name.to_vec(), ino));
        d.index.insert(name.to_vec(), (c, ino));
        touch_mc(st, dir, now);
        Ok(())
    }

    /// Removes `name` from directory `dir`, returning the inode it named.
    fn dir_remove(&self, st: &mut State, dir: Ino, name: &[u8]) -> KResult<Ino> {
        let now = self.now();
        let d = dir_mut(st, dir)?;
        let (c, ino) = d.index.remove(name).ok_or(Errno::ENOENT)?;
        d.entries.remove(&c).ok_or(Errno::EIO)?;
        touch_mc(st, dir, now);
        Ok(ino)
    }

    fn create_common(&self, dir: Ino, name: &[u8], attr: &NewNode, kind: Kind) -> KResult<Ino> {
        check_entry_name(name)?;
        let mut st = self.lock();
        {
            let d = dir_ref(&st, dir)?;
            if d.parent.is_none() {
                return Err(Errno::ENOENT);
            }
            if d.index.contains_key(name) {
                return Err(Errno::EEXIST);
            }
        }
        let is_dir = matches!(kind, Kind::Dir(_));
        if is_dir && node(&st, dir)?.nlink >= LINK_MAX {
            return Err(Errno::EMLINK);
        }
        if let Kind::Lnk(t) = &kind {
            if self.pages_for_links(st.link_bytes + t.len() as u64) + st.pages_used > self.max_pages {
                return Err(Errno::ENOSPC);
            }
        }
        let link_len = if let Kind::Lnk(t) = &kind { t.len() as u64 } else { 0 };
        let ino = self.alloc_node(&mut st, attr, kind)?;
        st.link_bytes += link_len;
        if is_dir {
            if let Some(Kind::Dir(d)) = st.nodes.get_mut(&ino).map(|n| &mut n.kind) {
                d.parent = Some(dir);
            }
            if let Some(n) = st.nodes.get_mut(&ino) {
                n.nlink = 2;
            }
        }
        if let Err(e) = self.dir_add(&mut st, dir, name, ino) {
            Tmpfs::free_node(&mut st, ino);
            return Err(e);
        }
        if is_dir {
            node_mut(&mut st, dir)?.nlink += 1;
        }
        Ok(ino)
    }

    fn pages_for_links(&self, bytes: u64) -> u64 {
        bytes.div_ceil(PAGE)
    }
}

impl Dir {
    fn new(parent: Option<Ino>) -> Dir {
        Dir { parent, entries: BTreeMap::new(), index: FxHashMap::default(), next_cookie: COOKIE_FIRST }
    }
}

fn node(st: &State, ino: Ino) -> KResult<&Node> {
    st.nodes.get(&ino).ok_or(Errno::ENOENT)
}

fn node_mut(st: &mut State, ino: Ino) -> KResult<&mut Node> {
    st.nodes.get_mut(&ino).ok_or(Errno::ENOENT)
}

fn dir_ref(st: &State, ino: Ino) -> KResult<&Dir> {
    match &node(st, ino)?.kind {
        Kind::Dir(d) => Ok(d),
        _ => Err(Errno::ENOTDIR),
    }
}

fn dir_mut(st: &mut State, ino: Ino) -> KResult<&mut Dir> {
    match &mut node_mut(st, ino)?.kind {
        Kind::Dir(d) => Ok(d),
        _ => Err(Errno::ENOTDIR),
    }
}

/// Modification and change time of a node set to `now`.
fn touch_mc(st: &mut State, ino: Ino, now: Timespec) {
    if let Some(n) = st.nodes.get_mut(&ino) {
        n.mtime = now;
        n.ctime = now;
    }
}

fn touch_c(st: &mut State, ino: Ino, now: Timespec) {
    if let Some(n) = st.nodes.get_mut(&ino) {
        n.ctime = now;
    }
}

impl VfsOps for Tmpfs {
    /// tmpfs_root.
    fn root(&self) -> Ino {
        ROOT_INO
    }

    /// tmpfs_statvfs: pages and nodes against the mount's limits.
    fn statvfs(&self) -> KResult<StatVfs> {
        let st = self.lock();
        let used = st.pages_used + st.link_bytes.div_ceil(PAGE);
        let free = self.max_pages.saturating_sub(used);
        let ffree = self.max_nodes.saturating_sub(st.nodes.len() as u64);
        Ok(StatVfs {
            bsize: PAGE,
            frsize: PAGE,
            iosize: PAGE,
            blocks: self.max_pages,
            bfree: free,
            bavail: free,
            bresvd: 0,
            files: self.max_nodes,
            ffree,
            favail: ffree,
            fresvd: 0,
            namemax: NAME_MAX as u64,
        })
    }

    /// tmpfs_sync: nothing is dirty.
    fn sync(&self) -> KResult<()> {
        Ok(())
    }

    /// tmpfs_unmount: every node freed.
    fn unmount(&self, _force: bool) -> KResult<()> {
        let mut st = self.lock();
        st.nodes.clear();
        st.pages_used = 0;
        st.link_bytes = 0;
        Ok(())
    }

    /// Node and data usage against the mount's limits.
    fn info(&self) -> Vec<(String, String)> {
        let st = self.lock();
        vec![
            ("type".into(), self.name.into()),
            ("nodes".into(), format!("{} of {}", st.nodes.len(), self.max_nodes)),
            ("data".into(), format!("{} of {} bytes", st.pages_used * PAGE, self.max_pages * PAGE)),
        ]
    }
}

impl VnodeOps for Tmpfs {
    /// tmpfs_lookup.
    fn lookup(&self, dir: Ino, name: &[u8]) -> KResult<Ino> {
        let st = self.lock();
        let d = dir_ref(&st, dir)?;
        match name {
            b"." => Ok(dir),
            b".." => d.parent.ok_or(Errno::ENOENT),
            _ => {
                if name.len() > NAME_MAX {
                    return Err(Errno::ENAMETOOLONG);
                }
                d.index.get(name).map(|&(_, ino)| ino).ok_or(Errno::ENOENT)
            }
        }
    }

    /// tmpfs_getattr.
    fn getattr(&self, ino: Ino) -> KResult<Vattr> {
        let st = self.lock();
        let n = node(&st, ino)?;
        let (size, bytes) = match &n.kind {
            Kind::Reg(d) => (d.size, d.pages() * PAGE),
            Kind::Dir(d) => {
                let s = (d.entries.len() as u64 + 2) * DIRENT_SIZE;
                (s, s)
            }
            Kind::Lnk(t) => (t.len() as u64, t.len() as u64),
            Kind::Other => (0, 0),
        };
        Ok(Vattr {
            vtype: n.vtype,
            mode: n.mode,
            nlink: n.nlink,
            uid: n.uid,
            gid: n.gid,
            ino,
            size,
            bytes,
            blksize: PAGE as u32,
            atime: n.atime,
            mtime: n.mtime,
            ctime: n.ctime,
            birthtime: n.birthtime,
            rdev: n.rdev,
            flags: n.flags,
            gen: n.gen,
        })
    }

    /// tmpfs_setattr: tmpfs_chflags, tmpfs_chsize, tmpfs_chown, tmpfs_chmod, tmpfs_chtimes in that order;
    /// each change marks ctime. A size change (tmpfs_chsize → tmpfs_reg_resize) marks mtime too; a
    /// size that is already the file's changes nothing. Growing makes a hole (no pages).
    fn setattr(&self, ino: Ino, a: &SetAttr) -> KResult<()> {
        let now = self.now();
        let mut st = self.lock();
        let mut changed = false;
        if let Some(size) = a.size {
            let vtype = node(&st, ino)?.vtype;
            match vtype {
                VType::Reg => {}
                VType::Dir => return Err(Errno::EISDIR),
                VType::Blk | VType::Chr | VType::Fifo => {}
                _ => return Err(Errno::EOPNOTSUPP),
            }
            if size > i64::MAX as u64 {
                return Err(Errno::EFBIG);
            }
            let State { nodes, pages_used, .. } = &mut *st;
            let n = nodes.get_mut(&ino).ok_or(Errno::ENOENT)?;
            if let Kind::Reg(d) = &mut n.kind {
                if d.size != size {
                    let before = d.pages();
                    d.truncate(size);
                    *pages_used -= before - d.pages();
                    n.mtime = now;
                    changed = true;
                }
            }
        }
        let n = node_mut(&mut st, ino)?;
        changed |= set_field(&mut n.flags, a.flags) | set_field(&mut n.uid, a.uid) | set_field(&mut n.gid, a.gid);
        changed |= set_field(&mut n.mode, a.mode.map(|m| m & ALLPERMS));
        changed |= set_field(&mut n.atime, a.atime) | set_field(&mut n.mtime, a.mtime);
        changed |= set_field(&mut n.birthtime, a.birthtime);
        if changed {
            n.ctime = now;
        }
        Ok(())
    }

    /// tmpfs_read: holes read as zeros; atime updated.
    fn read(&self, ino: Ino, off: u64, buf: &mut [u8]) -> KResult<usize> {
        let mut st = self.lock();
        let n = node_mut(&mut st, ino)?;
        let r = match &n.kind {
            Kind::Reg(d) => d.read(off, buf),
            Kind::Dir(_) => return Err(Errno::EISDIR),
            _ => return Err(Errno::EINVAL),
        };
        if !buf.is_empty() && !self.noatime {
            n.atime = self.ctx.hyper.wall_clock();
        }
        Ok(r)
    }

    /// tmpfs_write: ENOSPC before any byte lands if the pages do not fit; mtime and ctime updated.
    fn write(&self, ino: Ino, off: u64, buf: &[u8], append: bool) -> KResult<(usize, u64)> {
        let now = self.now();
        let mut st = self.lock();
        let max_pages = self.max_pages;
        let State { nodes, pages_used, link_bytes, .. } = &mut *st;
        let n = nodes.get_mut(&ino).ok_or(Errno::ENOENT)?;
        let d = match &mut n.kind {
            Kind::Reg(d) => d,
            Kind::Dir(_) => return Err(Errno::EISDIR),
            _ => return Err(Errno::EINVAL),
        };
        if buf.is_empty() {
            // tmpfs_write: nothing to write changes nothing, not even the size or the times.
            return Ok((0, off));
        }
        let off = if append { d.size } else { off };
        let end = off.checked_add(buf.len() as u64).ok_or(Errno::EFBIG)?;
        if end > i64::MAX as u64 {
            return Err(Errno::EFBIG);
        }
        let need = d.pages_needed(off, buf.len());
        if *pages_used + need + link_bytes.div_ceil(PAGE) > max_pages {
            return Err(Errno::ENOSPC);
        }
        d.write(off, buf);
        *pages_used += need;
        if !buf.is_empty() {
            n.mtime = now;
            n.ctime = now;
        }
        n.mode = crate::vfs::mode_after_write(n.mode, buf.len());
        Ok((buf.len(), end))
    }

    /// tmpfs_readdir: ".", "..", then entries in creation order; cookies survive other changes.
    fn readdir(&self, dir: Ino, cookie: u64, sink: &mut dyn FnMut(&DirEntry<'_>) -> bool) -> KResult<()> {
        let mut st = self.lock();
        {
            let d = dir_ref(&st, dir)?;
            let Some(parent) = d.parent else {
                return Ok(()); // removed: empty
            };
            let mut go = true;
            if cookie == COOKIE_DOT {
                go = sink(&DirEntry { ino: dir, name: b".", dtype: DT_DIR, next: COOKIE_DOTDOT });
            }
            if go && cookie <= COOKIE_DOTDOT {
                go = sink(&DirEntry { ino: parent, name: b"..", dtype: DT_DIR, next: COOKIE_FIRST });
            }
            if go {
                for (&c, (name, ino)) in d.entries.range(cookie.max(COOKIE_FIRST)..) {
                    let dtype = st.nodes.get(ino).map_or(DT_UNKNOWN, |n| n.vtype.dtype());
                    if !sink(&DirEntry { ino: *ino, name, dtype, next: c + 1 }) {
                        break;
                    }
                }
            }
        }
        if !self.noatime {
            let now = self.now();
            if let Some(n) = st.nodes.get_mut(&dir) {
                n.atime = now;
            }
        }
        Ok(())
    }

    /// tmpfs_readlink: the target; atime updated.
    fn readlink(&self, ino: Ino) -> KResult<Vec<u8>> {
        let now = self.now();
        let mut st = self.lock();
        let n = node_mut(&mut st, ino)?;
        match &n.kind {
            Kind::Lnk(t) => {
                let t = t.clone();
                if !self.noatime {
                    n.atime = now;
                }
                Ok(t)
            }
            _ => Err(Errno::EINVAL),
        }
    }

    /// tmpfs_create.
    fn create(&self, dir: Ino, name: &[u8], attr: &NewNode) -> KResult<Ino> {
        let attr = NewNode { vtype: if attr.vtype == VType::Sock { VType::Sock } else { VType::Reg }, ..attr.clone() };
        let kind = if attr.vtype == VType::Reg { Kind::Reg(FileData::default()) } else { Kind::Other };
        self.create_common(dir, name, &attr, kind)
    }

    /// tmpfs_mknod.
    fn mknod(&self, dir: Ino, name: &[u8], attr: &NewNode) -> KResult<Ino> {
        match attr.vtype {
            VType::Blk | VType::Chr | VType::Fifo | VType::Sock => self.create_common(dir, name, attr, Kind::Other),
            VType::Reg => self.create(dir, name, attr),
            _ => Err(Errno::EINVAL),
        }
    }

    /// tmpfs_mkdir.
    fn mkdir(&self, dir: Ino, name: &[u8], attr: &NewNode) -> KResult<Ino> {
        let attr = NewNode { vtype: VType::Dir, ..attr.clone() };
        self.create_common(dir, name, &attr, Kind::Dir(Dir::new(Some(dir))))
    }

    /// tmpfs_symlink.
    fn symlink(&self, dir: Ino, name: &[u8], attr: &NewNode, target: &[u8]) -> KResult<Ino> {
        let attr = NewNode { vtype: VType::Lnk, ..attr.clone() };
        self.create_common(dir, name, &attr, Kind::Lnk(target.to_vec()))
    }

    /// tmpfs_remove.
    fn remove(&self, dir: Ino, name: &[u8]) -> KResult<()> {
        let now = self.now();
        let mut st = self.lock();
        let ino = {
            let d = dir_ref(&st, dir)?;
            d.index.get(name).map(|&(_, i)| i).ok_or(Errno::ENOENT)?
        };
        if node(&st, ino)?.vtype == VType::Dir {
            return Err(Errno::EPERM);
        }
        self.dir_remove(&mut st, dir, name)?;
        let n = node_mut(&mut st, ino)?;
        n.nlink = n.nlink.saturating_sub(1);
        n.ctime = now;
        Ok(())
    }

    /// tmpfs_rmdir.
    fn rmdir(&self, dir: Ino, name: &[u8]) -> KResult<()> {
        if name == b"." {
            return Err(Errno::EINVAL);
        }
        if name == b".." {
            return Err(Errno::ENOTEMPTY);
        }
        let now = self.now();
        let mut st = self.lock();
        let ino = {
            let d = dir_ref(&st, dir)?;
            d.index.get(name).map(|&(_, i)| i).ok_or(Errno::ENOENT)?
        };
        let victim = dir_ref(&st, ino)?;
        if !victim.entries.is_empty() {
            return Err(Errno::ENOTEMPTY);
        }
        self.dir_remove(&mut st, dir, name)?;
        let n = node_mut(&mut st, ino)?;
        n.nlink = 0;
        n.ctime = now;
        if let Kind::Dir(d) = &mut n.kind {
            d.parent = None;
        }
        let p = node_mut(&mut st, dir)?;
        p.nlink = p.nlink.saturating_sub(1);
        Ok(())
    }

    /// tmpfs_link.
    fn link(&self, ino: Ino, dir: Ino, name: &[u8]) -> KResult<()> {
        check_entry_name(name)?;
        let now = self.now();
        let mut st = self.lock();
        let n = node(&st, ino)?;
        if n.vtype == VType::Dir {
            return Err(Errno::EPERM);
        }
        if n.nlink == 0 {
            return Err(Errno::ENOENT);
        }
        if n.nlink >= LINK_MAX {
            return Err(Errno::EMLINK);
        }
        if dir_ref(&st, dir)?.parent.is_none() {
            return Err(Errno::ENOENT);
        }
        self.dir_add(&mut st, dir, name, ino)?;
        let n = node_mut(&mut st, ino)?;
        n.nlink += 1;
        n.ctime = now;
        Ok(())
    }

    /// tmpfs_rename (genfs_rename's part below the VFS checks).
    fn rename(&self, fdir: Ino, fname: &[u8], tdir: Ino, tname: &[u8]) -> KResult<()> {
        check_entry_name(tname)?;
        let now = self.now();
        let mut st = self.lock();
        let fino = {
            let d = dir_ref(&st, fdir)?;
            d.index.get(fname).map(|&(_, i)| i).ok_or(Errno::ENOENT)?
        };
        let tino = {
            let d = dir_ref(&st, tdir)?;
            if d.parent.is_none() {
                return Err(Errno::ENOENT);
            }
            d.index.get(tname).map(|&(_, i)| i)
        };
        if tino == Some(fino) {
            return Ok(());
        }
        let is_dir = node(&st, fino)?.vtype == VType::Dir;
        if let Some(t) = tino {
            let tn = node(&st, t)?;
            match (&tn.kind, is_dir) {
                (Kind::Dir(d), true) if !d.entries.is_empty() => return Err(Errno::ENOTEMPTY),
                (Kind::Dir(_), true) => {}
                (Kind::Dir(_), false) => return Err(Errno::EISDIR),
                (_, true) => return Err(Errno::ENOTDIR),
                _ => {}
            }
        }
        if is_dir && fdir != tdir && tino.is_none() && node(&st, tdir)?.nlink >= LINK_MAX {
            return Err(Errno::EMLINK);
        }
        // Remove the target first, then move the source.
        if let Some(t) = tino {
            self.dir_remove(&mut st, tdir, tname)?;
            let tn = node_mut(&mut st, t)?;
            tn.ctime = now;
            if is_dir {
                tn.nlink = 0;
                if let Kind::Dir(d) = &mut tn.kind {
                    d.parent = None;
                }
                let td = node_mut(&mut st, tdir)?;
                td.nlink = td.nlink.saturating_sub(1);
            } else {
                tn.nlink = tn.nlink.saturating_sub(1);
            }
        }
        self.dir_remove(&mut st, fdir, fname)?;
        self.dir_add(&mut st, tdir, tname, fino)?;
        if is_dir && fdir != tdir {
            if let Kind::Dir(d) = &mut node_mut(&mut st, fino)?.kind {
                d.parent = Some(tdir);
            }
            let f = node_mut(&mut st, fdir)?;
            f.nlink = f.nlink.saturating_sub(1);
            node_mut(&mut st, tdir)?.nlink += 1;
        }
        touch_c(&mut st, fino, now);
        Ok(())
    }

    /// tmpfs_fsync: nothing to do, memory is up to date.
    fn fsync(&self, ino: Ino) -> KResult<()> {
        node(&self.lock(), ino).map(|_| ())
    }

    /// tmpfs_inactive → tmpfs_reclaim: a node with no links left is freed once unreferenced.
    fn inactive(&self, ino: Ino) {
        let mut st = self.lock();
        if st.nodes.get(&ino).is_some_and(|n| n.nlink == 0) {
            Tmpfs::free_node(&mut st, ino);
        }
    }
}
