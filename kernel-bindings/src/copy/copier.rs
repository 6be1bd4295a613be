//! The second pass of a copy: a scanned tree made on the destination, under the copier's own rules
//! (everything kept that the destination can hold) or Node's `fs.cp` rules ([`CpRules`]).

use super::{cerr, is_zero, push_name, split, Attrs, CopyError, Fs, Handle, Kind, Meta, Node, Refusal, R};
use kernel::Errno;
use std::collections::HashMap;

/// How to copy.
pub struct Options<'o> {
    /// Set owners (uid, gid) from the source.
    pub owners: bool,
    /// Set birth times where the source has them (and the destination can).
    pub btime: bool,
    /// Set file flags.
    pub flags: bool,
    /// Keep set-user-ID and set-group-ID bits (else they are cleared).
    pub setid: bool,
    /// Make device nodes and fifos (else they are reported and skipped).
    pub specials: bool,
    /// Told how the copy goes (the runtime's progress bar).
    pub progress: Option<&'o dyn Progress>,
    /// Called before a node's attributes are set, and before a hard link to it is made (makefs moves
    /// its clock here, so a node's change time is its modification time).
    pub before_attrs: Option<&'o dyn Fn(&Meta)>,
    /// Node's `fs.cp` rules instead of the copier's own (see [`CpRules`]).
    pub cp: Option<CpRules>,
}

impl Default for Options<'_> {
    fn default() -> Self {
        Options {
            owners: false,
            btime: false,
            flags: false,
            setid: true,
            specials: true,
            progress: None,
            before_attrs: None,
            cp: None,
        }
    }
}

/// Node's `fs.cp` (`fs.cpSync`): every name is copied on its own (hard links are not kept); a
/// directory merges into a directory, but a directory over anything else, or anything over a directory,
/// is refused; anything else in the way is replaced (`force`), refused (`error_on_exist`) or left as it
/// is. Files get the source's mode, a directory it makes gets it when its contents are in, other nodes
/// are made with it (less the umask); times only with `preserve_timestamps`; a mode or time that
/// cannot be set is let be. Devices and fifos are made or the copy fails; a socket is refused.
#[derive(Copy, Clone, Debug, Default)]
pub struct CpRules {
    pub force: bool,
    pub error_on_exist: bool,
    pub preserve_timestamps: bool,
}

/// What a copy did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Regular files written (each inode once).
    pub files: u64,
    pub dirs: u64,
    pub symlinks: u64,
    /// Names made with `link` (hard links after the first name).
    pub hardlinks: u64,
    /// Fifos and device nodes made.
    pub specials: u64,
    /// Bytes of file contents copied (holes not counted).
    pub bytes: u64,
    /// Nodes not copied, with why.
    pub skipped: Vec<String>,
}

/// What a copy tells as it goes.
pub trait Progress {
    /// The copy starts: `files` files (each inode once, directories not counted) and `bytes` bytes of
    /// contents.
    fn start(&self, files: u64, bytes: u64);
    /// `n` more bytes of contents copied.
    fn bytes(&self, n: u64);
    /// `done` of the `total` files made (every 256 files, and at the last).
    fn files(&self, done: u64, total: u64);
    /// The copy ended, done or failed.
    fn finish(&self);
}

struct Copier<'c, S: Fs, D: Fs> {
    src: &'c S,
    dst: &'c D,
    opts: &'c Options<'c>,
    /// The directory the copy is made in: hard links are made by paths relative to it.
    top: &'c D::Dir,
    /// Source (device, inode) → the destination path (relative to `top`) of its first name.
    links: HashMap<(u64, u64), Vec<u8>>,
    stats: Stats,
    buf: Vec<u8>,
    files_total: u64,
    /// The paths of the node being copied: on the source, on the destination, and relative to `top`.
    spath: Vec<u8>,
    dpath: Vec<u8>,
    rel: Vec<u8>,
}

/// Copies the scanned `tree` (from `src_path` on `src`) to `dst_path` on `dst`. A directory merges
/// into an existing one; an existing file is replaced (or as [`CpRules`] say).
pub fn copy<S: Fs, D: Fs>(
    src: &S,
    src_path: &[u8],
    tree: &Node,
    dst: &D,
    dst_path: &[u8],
    opts: &Options<'_>,
) -> Result<Stats, CopyError> {
    let (sparent, _) = split(src_path);
    let (dparent, dname) = split(dst_path);
    let sdir =
        if tree.in_source { Some(src.open_path_dir(&sparent).map_err(|e| cerr(e, "open", &sparent))?) } else { None };
    let ddir = dst.open_path_dir(&dparent).map_err(|e| cerr(e, "open", &dparent))?;
    let (files, bytes) = tree.totals();
    let mut c = Copier {
        src,
        dst,
        opts,
        top: &ddir,
        links: HashMap::new(),
        stats: Stats::default(),
        buf: vec![0u8; 1 << 20],
        files_total: files,
        spath: src_path.to_vec(),
        dpath: dst_path.to_vec(),
        rel: dname.clone(),
    };
    if let Some(p) = opts.progress {
        p.start(files, bytes);
    }
    let r = c.node(sdir.as_ref(), tree, &ddir, &dname);
    if let Some(p) = opts.progress {
        p.finish();
    }
    r.map(|_| c.stats)
}

/// What Node's rules say about the name a node is to be made at.
enum Way {
    /// Nothing there (or it was removed): make the node.
    Clear,
    /// A directory to merge into.
    Merge,
    /// Something to leave as it is: the node is not copied.
    Leave,
}

impl<S: Fs, D: Fs> Copier<'_, S, D> {
    /// The attributes to set on a node (`made`: made by this copy, not a directory merged into).
    fn attrs(&self, m: &Meta, made: bool) -> Attrs {
        match self.opts.cp {
            None => Attrs {
                mode: true,
                owner: self.opts.owners,
                times: true,
                btime: self.opts.btime && m.btime.is_some(),
                flags: self.opts.flags,
            },
            Some(cp) => Attrs {
                mode: m.kind == Kind::Reg || (m.kind == Kind::Dir && made),
                owner: false,
                times: cp.preserve_timestamps,
                btime: false,
                flags: false,
            },
        }
    }

    fn skip(&mut self, why: String) {
        self.stats.skipped.push(why);
    }

    fn tick(&mut self) {
        let done = self.stats.files + self.stats.symlinks + self.stats.specials;
        if let (Some(p), true) = (self.opts.progress, done.is_multiple_of(256) || done == self.files_total) {
            p.files(done, self.files_total);
        }
    }

    /// Copies node `n` (named `n.name` in `sd` on the source) to `name` in `dd`.
    fn node(&mut self, sd: Option<&S::Dir>, n: &Node, dd: &D::Dir, name: &[u8]) -> Result<(), CopyError> {
        let m = &n.meta;
        let sd = if n.in_source { sd } else { None };
        let linked = self.opts.cp.is_none() && m.kind != Kind::Dir && n.in_source && m.nlink > 1;
        // A name met again: a hard link to the first.
        if linked {
            if let Some(first) = self.links.get(&(m.dev, m.ino)).cloned() {
                if let Some(f) = self.opts.before_attrs {
                    f(m);
                }
                let r = match self.dst.link(self.top, &first, dd, name) {
                    Err(Errno::EEXIST) => {
                        self.dst.unlink(dd, name).map_err(|e| cerr(e, "unlink", &self.dpath))?;
                        self.dst.link(self.top, &first, dd, name)
                    }
                    r => r,
                };
                r.map_err(|e| cerr(e, "link", &self.dpath))?;
                self.stats.hardlinks += 1;
                return Ok(());
            }
        }
        let made = match self.opts.cp {
            Some(cp) => match self.way(cp, m, dd, name)? {
                Way::Clear => true,
                Way::Merge => false,
                Way::Leave => return Ok(()),
            },
            None => true,
        };
        match m.kind {
            Kind::Dir => self.dir(sd, n, dd, name, made)?,
            Kind::Reg => self.file(sd, n, dd, name)?,
            Kind::Lnk => {
                let r = match self.dst.symlink(dd, name, &n.target) {
                    Err(Errno::EEXIST) => self.replace(dd, name).and_then(|_| self.dst.symlink(dd, name, &n.target)),
                    r => r,
                };
                r.map_err(|e| cerr(e, "symlink", &self.dpath))?;
                self.set_attrs(dd, name, Handle::None, m, true)?;
                self.stats.symlinks += 1;
            }
            Kind::Blk | Kind::Chr | Kind::Fifo => {
                let cp = self.opts.cp.is_some();
                if !cp && !self.opts.specials {
                    let p = String::from_utf8_lossy(&self.dpath).into_owned();
                    self.skip(format!(
                        "{p}: {} not made (copies out make them only with --preserve-all)",
                        m.kind.name()
                    ));
                    return Ok(());
                }
                if !cp && m.kind != Kind::Fifo && !self.dst.can_mknod() {
                    let p = String::from_utf8_lossy(&self.dpath).into_owned();
                    self.skip(format!("{p}: {} not made (making device nodes needs root)", m.kind.name()));
                    return Ok(());
                }
                // Node's cp makes the node with its mode; the copier sets it afterwards, as it does owners.
                let perm = if cp { m.perm } else { 0o600 };
                let r = match self.dst.mknod(dd, name, m.kind, perm, m.rdev) {
                    Err(Errno::EEXIST) => {
                        self.replace(dd, name).and_then(|_| self.dst.mknod(dd, name, m.kind, perm, m.rdev))
                    }
                    r => r,
                };
                match r {
                    Err(Errno::EPERM) if !cp => {
                        let p = String::from_utf8_lossy(&self.dpath).into_owned();
                        self.skip(format!("{p}: {} not made (not permitted)", m.kind.name()));
                        return Ok(());
                    }
                    r => r.map_err(|e| cerr(e, "mknod", &self.dpath))?,
                }
                self.set_attrs(dd, name, Handle::None, m, true)?;
                self.stats.specials += 1;
            }
            Kind::Sock if self.opts.cp.is_some() => return Err(self.refuse(Refusal::Unknown, Errno::EINVAL)),
            Kind::Sock => {
                let p = String::from_utf8_lossy(&self.spath).into_owned();
                self.skip(format!("{p}: socket not copied"));
                return Ok(());
            }
        }
        if linked {
            self.links.insert((m.dev, m.ino), self.rel.clone());
        }
        self.tick();
        Ok(())
    }

    /// What Node's rules make of what is at `name` already.
    fn way(&self, cp: CpRules, m: &Meta, dd: &D::Dir, name: &[u8]) -> Result<Way, CopyError> {
        let Ok(there) = self.dst.lstat(dd, name) else { return Ok(Way::Clear) };
        match (m.kind == Kind::Dir, there.kind == Kind::Dir) {
            (true, true) => Ok(Way::Merge),
            (true, false) => Err(self.refuse(Refusal::DirOverNonDir, Errno::EISDIR)),
            (false, true) => Err(self.refuse(Refusal::NonDirOverDir, Errno::EISDIR)),
            (false, false) if cp.force => {
                self.dst.unlink(dd, name).map_err(|e| cerr(e, "unlink", &self.dpath))?;
                Ok(Way::Clear)
            }
            (false, false) if cp.error_on_exist => Err(self.refuse(Refusal::Exists, Errno::EEXIST)),
            (false, false) => Ok(Way::Leave),
        }
    }

    /// Node's rules refuse the node at hand.
    fn refuse(&self, why: Refusal, errno: Errno) -> CopyError {
        let mut e = cerr(errno, "cp", &self.dpath);
        e.refused = Some((why, String::from_utf8_lossy(&self.spath).into_owned()));
        e
    }

    /// Removes a non-directory in the way of a new node.
    fn replace(&self, dd: &D::Dir, name: &[u8]) -> R<()> {
        match self.dst.lstat(dd, name) {
            Ok(m) if m.kind == Kind::Dir => Err(Errno::EISDIR),
            Ok(_) => self.dst.unlink(dd, name),
            Err(e) => Err(e),
        }
    }

    fn set_attrs(
        &self,
        dd: &D::Dir,
        name: &[u8],
        h: Handle<'_, D::Dir, D::File>,
        m: &Meta,
        made: bool,
    ) -> Result<(), CopyError> {
        let a = self.attrs(m, made);
        if self.opts.cp.is_some() {
            // Node's cp sets what it can and lets the rest be.
            if a.mode || a.times {
                let _ = self.dst.set_attrs(dd, name, h, m, &a);
            }
            return Ok(());
        }
        if let Some(f) = self.opts.before_attrs {
            f(m);
        }
        let cleared;
        let m = if self.opts.setid || m.perm & 0o6000 == 0 {
            m
        } else {
            cleared = Meta { perm: m.perm & !0o6000, ..m.clone() };
            &cleared
        };
        self.dst.set_attrs(dd, name, h, m, &a).map_err(|e| cerr(e, "setattr", &self.dpath))
    }

    fn dir(&mut self, sd: Option<&S::Dir>, n: &Node, dd: &D::Dir, name: &[u8], made: bool) -> Result<(), CopyError> {
        match self.dst.mkdir(dd, name, 0o700) {
            Ok(()) => {}
            Err(Errno::EEXIST) => {
                let m = self.dst.lstat(dd, name).map_err(|e| cerr(e, "lstat", &self.dpath))?;
                if m.kind != Kind::Dir {
                    return Err(cerr(Errno::EEXIST, "mkdir", &self.dpath));
                }
            }
            Err(e) => return Err(cerr(e, "mkdir", &self.dpath)),
        }
        let nd = self.dst.open_dir(dd, name).map_err(|e| cerr(e, "open", &self.dpath))?;
        let ns = match sd {
            Some(sd) => Some(self.src.open_dir(sd, &n.name).map_err(|e| cerr(e, "open", &self.spath))?),
            None => None,
        };
        for c in &n.children {
            let lens = [self.spath.len(), self.dpath.len(), self.rel.len()];
            for p in [&mut self.spath, &mut self.dpath, &mut self.rel] {
                push_name(p, &c.name);
            }
            let r = self.node(ns.as_ref(), c, &nd, &c.name);
            for (p, l) in [&mut self.spath, &mut self.dpath, &mut self.rel].into_iter().zip(lens) {
                p.truncate(l);
            }
            r?;
        }
        self.set_attrs(dd, name, Handle::Dir(&nd), &n.meta, made)?;
        self.stats.dirs += 1;
        Ok(())
    }

    fn file(&mut self, sd: Option<&S::Dir>, n: &Node, dd: &D::Dir, name: &[u8]) -> Result<(), CopyError> {
        let m = &n.meta;
        let df = match self.dst.create(dd, name) {
            Err(Errno::EEXIST) => match self.dst.lstat(dd, name) {
                Ok(e) if e.kind == Kind::Reg && e.nlink == 1 => self.dst.open_trunc(dd, name),
                Ok(e) if e.kind == Kind::Dir => Err(Errno::EISDIR),
                Ok(_) => self.dst.unlink(dd, name).and_then(|_| self.dst.create(dd, name)),
                Err(e) => Err(e),
            },
            r => r,
        };
        let df = df.map_err(|e| cerr(e, "open", &self.dpath))?;
        let mut end = 0u64;
        if let Some(sd) = sd {
            let sf = self.src.open_read(sd, &n.name).map_err(|e| cerr(e, "open", &self.spath))?;
            end = self.data(&sf, &df, n)?;
        }
        if end < m.size {
            self.dst.set_len(&df, m.size).map_err(|e| cerr(e, "ftruncate", &self.dpath))?;
        }
        self.set_attrs(dd, name, Handle::File(&df), m, true)?;
        self.stats.files += 1;
        Ok(())
    }

    /// Copies the data of a file, leaving holes where the source has holes or all-zero blocks.
    /// Returns the end of the last byte written.
    fn data(&mut self, sf: &S::File, df: &D::File, n: &Node) -> Result<u64, CopyError> {
        let len = n.copy_len.min(n.meta.size);
        if len == 0 {
            return Ok(0);
        }
        let runs = self.src.data_runs(sf, &n.meta).map_err(|e| cerr(e, "lseek", &self.spath))?;
        let bs = self.dst.block_size(df);
        let mut end = 0u64;
        let mut buf = std::mem::take(&mut self.buf);
        let r = (|| {
            for (off, rlen) in runs {
                if off >= len {
                    break;
                }
                let stop = (off + rlen).min(len);
                let mut pos = off;
                while pos < stop {
                    // Up to a buffer's worth, ending on a block boundary when it can.
                    let mut want = (stop - pos).min(buf.len() as u64);
                    let lim = pos + want;
                    if lim < stop && lim % bs != 0 && lim - lim % bs > pos {
                        want = lim - lim % bs - pos;
                    }
                    let got = read_full(self.src, sf, pos, &mut buf[..want as usize])
                        .map_err(|e| cerr(e, "read", &self.spath))?;
                    if got == 0 {
                        return Ok(()); // the file shrank while we copied
                    }
                    end = end.max(self.write_nonzero(df, pos, &buf[..got], bs)?);
                    self.stats.bytes += got as u64;
                    if let Some(p) = self.opts.progress {
                        p.bytes(got as u64);
                    }
                    pos += got as u64;
                    if got < want as usize {
                        return Ok(());
                    }
                }
            }
            Ok(())
        })();
        self.buf = buf;
        r.map(|_| end)
    }

    /// Writes the blocks of `data` (at file offset `off`) that hold a non-zero byte, in runs; returns
    /// the end of the last one (0 if all were zero).
    fn write_nonzero(&mut self, df: &D::File, off: u64, data: &[u8], bs: u64) -> Result<u64, CopyError> {
        let mut end = 0;
        let mut i = 0usize;
        let mut run: Option<usize> = None;
        while i < data.len() {
            // This block's part of `data`: up to the next multiple of the block size.
            let at = off + i as u64;
            let j = (i + (bs - at % bs) as usize).min(data.len());
            let zero = is_zero(&data[i..j]);
            match (zero, run) {
                (false, None) => run = Some(i),
                (true, Some(s)) => {
                    self.dst.write_at(df, off + s as u64, &data[s..i]).map_err(|e| cerr(e, "write", &self.dpath))?;
                    end = off + i as u64;
                    run = None;
                }
                _ => {}
            }
            i = j;
        }
        if let Some(s) = run {
            self.dst.write_at(df, off + s as u64, &data[s..]).map_err(|e| cerr(e, "write", &self.dpath))?;
            end = off + data.len() as u64;
        }
        Ok(end)
    }
}

fn read_full<S: Fs>(src: &S, f: &S::File, off: u64, buf: &mut [u8]) -> R<usize> {
    let mut got = 0;
    while got < buf.len() {
        let n = src.read_at(f, off + got as u64, &mut buf[got..])?;
        if n == 0 {
            break;
        }
        got += n;
    }
    Ok(got)
}
