//! The host tree read ahead of the copy, on a thread of its own. The copy runs the kernel's FFS on its
//! thread and asks the source for each directory and file in the tree's order; a reader thread walks the
//! same tree in the same order just ahead of it, opens each directory and opens and reads each file whole,
//! so the host's openat, pread and close run beside the kernel's work rather than between it. The copy is
//! handed what it would have got itself: the same descriptor or errno, the same bytes.
//!
//! The two threads meet once a batch of [`BATCH`] steps, not once a file: the reader hands a batch over,
//! and the copy, each time it takes one, gives back in one message what it is done with (buffers and
//! descriptors, which the reader frees or reuses: nothing is freed on the other thread than it was made
//! on). Bounded: at most [`BATCHES`] batches and [`BYTES`] bytes of contents wait; a file larger than
//! [`WHOLE_MAX`] (or sparse) is only opened ahead and read by the copy itself. Should the copy ever ask
//! for anything but the reader's next step (the two walks disagree), the reader is stopped and the copy
//! reads the host itself from there on.

use crate::host::copy::HostFs;
use kernel::Errno;
use kernel_bindings::copy::{split, Attrs, Fs, Handle, Kind, Meta, Node, R};
use std::cell::RefCell;
use std::collections::HashSet;
use std::os::fd::OwnedFd;
use std::rc::Rc;
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};
use std::sync::Arc;

/// Steps a batch (each holds at most one descriptor).
const BATCH: usize = 64;
/// Batches waiting at the most (with the batch being filled and the one being used, some 250
/// descriptors open at the most besides the two walks' own).
const BATCHES: usize = 2;
/// Bytes of file contents read ahead and not yet given back, at the most.
const BYTES: u64 = 64 << 20;
/// Files up to this size are read whole ahead; larger ones are only opened.
const WHOLE_MAX: u64 = 4 << 20;
/// Buffers the reader keeps for reuse, and the largest it keeps.
const POOL: usize = 512;
const POOL_MAX: usize = 64 << 10;

/// What the reader did for one step of the copy, with the name (in the tree) it did it for.
enum Step<'t> {
    Dir(&'t [u8], R<Arc<OwnedFd>>),
    File(&'t [u8], R<Fetched>),
}

/// A file as the reader hands it over.
enum Fetched {
    Open(OwnedFd),
    /// Its first bytes as the copy reads them (fewer if it ended sooner: how many), or the errno the
    /// read gave; the bytes it holds of [`BYTES`].
    Read(R<(Vec<u8>, usize)>, u64),
}

/// What the copy gives back: the bytes it is done with, and the buffers and directories to free or reuse
/// (kept only while the reader is there to take them).
#[derive(Default)]
pub(super) struct Back {
    bytes: u64,
    bufs: Vec<Vec<u8>>,
    dirs: Vec<Arc<OwnedFd>>,
    gone: bool,
}

/// A directory of the source side; given back to the reader when the copy is done with it.
pub(super) struct HostDir {
    fd: Arc<OwnedFd>,
    back: Rc<RefCell<Back>>,
}

/// A file of the source side: opened (the copy reads it when asked), or read whole ahead.
pub(super) enum HostFile {
    Open(OwnedFd),
    Read { data: R<Vec<u8>>, got: usize, len: u64, back: Rc<RefCell<Back>> },
}

impl HostDir {
    fn fd(&self) -> &OwnedFd {
        &self.fd
    }
}

impl Drop for HostDir {
    fn drop(&mut self) {
        let mut b = self.back.borrow_mut();
        if !b.gone {
            b.dirs.push(self.fd.clone());
        }
    }
}

impl Drop for HostFile {
    fn drop(&mut self) {
        if let HostFile::Read { data, len, back, .. } = self {
            let mut b = back.borrow_mut();
            b.bytes += *len;
            if let (Ok(d), false) = (data, b.gone) {
                b.bufs.push(std::mem::take(d));
            }
        }
    }
}

/// The source side of makefs's copy: the host, with what the reader thread did ahead.
pub(super) struct AheadFs<'t> {
    host: HostFs,
    steps: RefCell<Steps<'t>>,
    back: Rc<RefCell<Back>>,
}

/// The reader's steps as the copy takes them (the channels are None once the copy reads the host itself).
struct Steps<'t> {
    batch: std::vec::IntoIter<Step<'t>>,
    rx: Option<Receiver<Vec<Step<'t>>>>,
    back: Option<Sender<Back>>,
}

/// The source side for copying `tree` from the host path `path`, and the reader to run on another
/// thread (it returns when the walk is done or the source side is dropped).
pub(super) fn start<'t>(tree: &'t Node, path: &'t [u8]) -> (AheadFs<'t>, impl FnOnce() + Send + 't) {
    let (tx, rx) = sync_channel(BATCHES);
    let (back_tx, back_rx) = channel();
    let run = move || {
        let mut r = Reader {
            host: HostFs::new(),
            tx,
            batch: Vec::with_capacity(BATCH),
            back: back_rx,
            ahead: 0,
            pool: Vec::new(),
            seen: HashSet::new(),
        };
        // As the copy starts: the top's directory by path, then the top itself.
        let (parent, _) = split(path);
        if let Ok(top) = r.host.open_path_dir(&parent) {
            if tree.in_source && tree.meta.kind == Kind::Dir {
                r.dir(&top, tree);
            }
        }
        r.flush();
    };
    let steps = Steps { batch: Vec::new().into_iter(), rx: Some(rx), back: Some(back_tx) };
    (AheadFs { host: HostFs::new(), steps: RefCell::new(steps), back: Rc::default() }, run)
}

struct Reader<'t> {
    host: HostFs,
    tx: SyncSender<Vec<Step<'t>>>,
    /// Steps not yet handed over.
    batch: Vec<Step<'t>>,
    back: Receiver<Back>,
    /// Bytes read and not yet given back.
    ahead: u64,
    pool: Vec<Vec<u8>>,
    /// Files with more than one name met so far: the copy links their later names, reading nothing.
    seen: HashSet<(u64, u64)>,
}

impl<'t> Reader<'t> {
    /// Adds a step; false: the copy no longer wants steps.
    fn send(&mut self, s: Step<'t>) -> bool {
        self.batch.push(s);
        self.batch.len() < BATCH || self.flush()
    }

    /// Hands the steps so far over (waiting while [`BATCHES`] wait); false: the copy no longer wants them.
    fn flush(&mut self) -> bool {
        self.batch.is_empty() || self.tx.send(std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH))).is_ok()
    }

    /// What the copy gave back: counted, buffers kept for reuse, the rest freed here.
    fn take_back(&mut self, b: Back) {
        self.ahead -= b.bytes;
        for buf in b.bufs {
            if self.pool.len() < POOL && buf.capacity() <= POOL_MAX {
                self.pool.push(buf);
            }
        }
    }

    /// Room for `len` more bytes ahead: what was given back is taken in, and when that is not enough
    /// (and anything is ahead), the steps so far are handed over and the copy's next giving back awaited.
    /// False: the copy no longer wants steps.
    fn room(&mut self, len: u64) -> bool {
        while let Ok(b) = self.back.try_recv() {
            self.take_back(b);
        }
        while self.ahead > 0 && self.ahead + len > BYTES {
            // The copy gives back only what it was handed.
            if !self.flush() {
                return false;
            }
            match self.back.recv() {
                Ok(b) => self.take_back(b),
                Err(_) => return false,
            }
        }
        true
    }

    /// Opens directory `n` in `parent` and walks it as the copy will; false: stop (an error the copy
    /// stops at, or the copy no longer wants steps).
    fn dir(&mut self, parent: &OwnedFd, n: &'t Node) -> bool {
        let fd = self.host.open_dir(parent, &n.name).map(Arc::new);
        let sub = fd.as_ref().ok().cloned();
        if !self.send(Step::Dir(&n.name, fd)) {
            return false;
        }
        let Some(sub) = sub else { return false };
        // Nodes not in the source (an mtree spec's) are made by the copy without reading the host.
        n.children.iter().filter(|c| c.in_source).all(|c| match c.meta.kind {
            Kind::Dir => self.dir(&sub, c),
            Kind::Reg => self.file(&sub, c),
            _ => true,
        })
    }

    fn file(&mut self, d: &OwnedFd, n: &'t Node) -> bool {
        let m = &n.meta;
        if m.nlink > 1 && !self.seen.insert((m.dev, m.ino)) {
            return true;
        }
        let len = n.copy_len.min(m.size);
        let sparse = m.blocks.saturating_mul(512) < m.size;
        let f = match self.host.open_read(d, &n.name) {
            Ok(fd) if len > 0 && len <= WHOLE_MAX && !sparse => {
                if !self.room(len) {
                    return false;
                }
                let mut buf = self.pool.pop().unwrap_or_default();
                let data = read_whole(&self.host, &fd, len, &mut buf).map(|got| (buf, got));
                self.ahead += len;
                Ok(Fetched::Read(data, len))
            }
            r => r.map(Fetched::Open),
        };
        self.send(Step::File(&n.name, f))
    }
}

/// The first `len` bytes of `f` into the start of `buf`, fewer if it ends sooner (as the copy reads a
/// file); how many. A buffer used before is written over: only room it never had is zeroed (all the
/// room it has, so that it is zeroed once).
fn read_whole(host: &HostFs, f: &OwnedFd, len: u64, buf: &mut Vec<u8>) -> R<usize> {
    let len = len as usize;
    if buf.len() < len {
        buf.reserve(len - buf.len());
        buf.resize(buf.capacity(), 0);
    }
    let mut got = 0;
    while got < len {
        let n = host.read_at(f, got as u64, &mut buf[got..len])?;
        if n == 0 {
            break;
        }
        got += n;
    }
    Ok(got)
}

impl<'t> AheadFs<'t> {
    /// The reader's next step, when it is the one the copy asks for (a directory or not, `name`); else
    /// the reader is stopped and None says to do the step directly.
    fn next(&self, dir: bool, name: &[u8]) -> Option<Step<'t>> {
        let mut steps = self.steps.borrow_mut();
        let s = &mut *steps;
        let step = match s.batch.next() {
            Some(step) => Some(step),
            None => {
                // Between batches: what the copy is done with goes back first (the reader may wait
                // for it).
                let b = std::mem::take(&mut *self.back.borrow_mut());
                if let Some(tx) = &s.back {
                    let _ = tx.send(b);
                }
                s.rx.as_ref()?.recv().ok().and_then(|b| {
                    s.batch = b.into_iter();
                    s.batch.next()
                })
            }
        };
        match step {
            Some(Step::Dir(n, r)) if dir && n == name => Some(Step::Dir(n, r)),
            Some(Step::File(n, r)) if !dir && n == name => Some(Step::File(n, r)),
            _ => {
                s.rx = None;
                s.back = None;
                s.batch = Vec::new().into_iter();
                *self.back.borrow_mut() = Back { gone: true, ..Back::default() };
                None
            }
        }
    }

    fn dir(&self, fd: Arc<OwnedFd>) -> HostDir {
        HostDir { fd, back: self.back.clone() }
    }
}

/// A handle of this side as the host's side takes it (a file read ahead is named instead).
fn host_handle<'h>(h: Handle<'h, HostDir, HostFile>) -> Handle<'h, OwnedFd, OwnedFd> {
    match h {
        Handle::Dir(d) => Handle::Dir(d.fd()),
        Handle::File(HostFile::Open(f)) => Handle::File(f),
        Handle::File(HostFile::Read { .. }) | Handle::None => Handle::None,
    }
}

impl Fs for AheadFs<'_> {
    type Dir = HostDir;
    type File = HostFile;

    fn open_path_dir(&self, path: &[u8]) -> R<HostDir> {
        self.host.open_path_dir(path).map(|fd| self.dir(Arc::new(fd)))
    }

    fn open_dir(&self, d: &HostDir, name: &[u8]) -> R<HostDir> {
        match self.next(true, name) {
            Some(Step::Dir(_, r)) => r.map(|fd| self.dir(fd)),
            _ => self.host.open_dir(d.fd(), name).map(|fd| self.dir(Arc::new(fd))),
        }
    }

    fn lstat(&self, d: &HostDir, name: &[u8]) -> R<Meta> {
        self.host.lstat(d.fd(), name)
    }

    fn list(&self, d: &HostDir) -> R<Vec<Vec<u8>>> {
        self.host.list(d.fd())
    }

    fn readlink(&self, d: &HostDir, name: &[u8]) -> R<Vec<u8>> {
        self.host.readlink(d.fd(), name)
    }

    fn open_read(&self, d: &HostDir, name: &[u8]) -> R<HostFile> {
        match self.next(false, name) {
            Some(Step::File(_, r)) => r.map(|f| match f {
                Fetched::Open(fd) => HostFile::Open(fd),
                Fetched::Read(data, len) => match data {
                    Ok((data, got)) => HostFile::Read { data: Ok(data), got, len, back: self.back.clone() },
                    Err(e) => HostFile::Read { data: Err(e), got: 0, len, back: self.back.clone() },
                },
            }),
            _ => self.host.open_read(d.fd(), name).map(HostFile::Open),
        }
    }

    fn data_runs(&self, f: &HostFile, m: &Meta) -> R<Vec<(u64, u64)>> {
        match f {
            HostFile::Open(f) => self.host.data_runs(f, m),
            // Read whole because it has no holes.
            HostFile::Read { .. } => Ok(if m.size == 0 { Vec::new() } else { vec![(0, m.size)] }),
        }
    }

    fn read_at(&self, f: &HostFile, off: u64, buf: &mut [u8]) -> R<usize> {
        match f {
            HostFile::Open(f) => self.host.read_at(f, off, buf),
            HostFile::Read { data: Err(e), .. } => Err(*e),
            HostFile::Read { data: Ok(data), got, .. } => {
                let data = &data[..*got];
                let from = data.get(off.min(data.len() as u64) as usize..).unwrap_or_default();
                let n = from.len().min(buf.len());
                buf[..n].copy_from_slice(&from[..n]);
                Ok(n)
            }
        }
    }

    fn mkdir(&self, d: &HostDir, name: &[u8], perm: u32) -> R<()> {
        self.host.mkdir(d.fd(), name, perm)
    }

    fn create(&self, d: &HostDir, name: &[u8]) -> R<HostFile> {
        self.host.create(d.fd(), name).map(HostFile::Open)
    }

    fn open_trunc(&self, d: &HostDir, name: &[u8]) -> R<HostFile> {
        self.host.open_trunc(d.fd(), name).map(HostFile::Open)
    }

    fn write_at(&self, f: &HostFile, off: u64, buf: &[u8]) -> R<()> {
        match f {
            HostFile::Open(f) => self.host.write_at(f, off, buf),
            HostFile::Read { .. } => Err(Errno::EBADF),
        }
    }

    fn set_len(&self, f: &HostFile, len: u64) -> R<()> {
        match f {
            HostFile::Open(f) => self.host.set_len(f, len),
            HostFile::Read { .. } => Err(Errno::EBADF),
        }
    }

    fn block_size(&self, f: &HostFile) -> u64 {
        match f {
            HostFile::Open(f) => self.host.block_size(f),
            HostFile::Read { .. } => 4096,
        }
    }

    fn symlink(&self, d: &HostDir, name: &[u8], target: &[u8]) -> R<()> {
        self.host.symlink(d.fd(), name, target)
    }

    fn link(&self, top: &HostDir, rel: &[u8], d: &HostDir, name: &[u8]) -> R<()> {
        self.host.link(top.fd(), rel, d.fd(), name)
    }

    fn mknod(&self, d: &HostDir, name: &[u8], kind: Kind, perm: u32, rdev: (u32, u32)) -> R<()> {
        self.host.mknod(d.fd(), name, kind, perm, rdev)
    }

    fn unlink(&self, d: &HostDir, name: &[u8]) -> R<()> {
        self.host.unlink(d.fd(), name)
    }

    fn can_mknod(&self) -> bool {
        self.host.can_mknod()
    }

    fn set_attrs(&self, d: &HostDir, name: &[u8], h: Handle<'_, HostDir, HostFile>, m: &Meta, a: &Attrs) -> R<()> {
        self.host.set_attrs(d.fd(), name, host_handle(h), m, a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kernel_bindings::copy::{copy, scan, CopyError, Options, Stats};
    use std::os::unix::ffi::OsStrExt;
    use std::path::{Path, PathBuf};

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("rumpjs-readahead-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    /// A tree with what the reader treats each its own way: small and empty files, one past
    /// WHOLE_MAX, a sparse one, hard links, a symbolic link, nested and empty directories.
    fn make_tree(t: &Path) {
        for i in 0..300 {
            let d = t.join(format!("d{}/e{}", i % 7, i % 3));
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join(format!("f{i}")), vec![(i % 251) as u8; i * 37 % 9000]).unwrap();
        }
        std::fs::create_dir_all(t.join("empty")).unwrap();
        std::fs::write(t.join("big"), vec![7u8; WHOLE_MAX as usize + 4097]).unwrap();
        let f = std::fs::File::create(t.join("sparse")).unwrap();
        f.set_len(1 << 20).unwrap();
        std::fs::hard_link(t.join("d0/e0/f0"), t.join("link0")).unwrap();
        std::fs::hard_link(t.join("d1/e1/f1"), t.join("d0/link1")).unwrap();
        std::os::unix::fs::symlink("d0/e0/f0", t.join("sym")).unwrap();
    }

    /// A work directory with the tree made in `t`, and the tree scanned.
    fn scanned(name: &str) -> (PathBuf, Node) {
        let w = scratch(name);
        make_tree(&w.join("t"));
        let tree = scan(&HostFs::new(), w.join("t").as_os_str().as_bytes()).unwrap();
        (w, tree)
    }

    /// Every path under `d` with its kind and contents.
    fn manifest(d: &Path) -> Vec<(String, String, Vec<u8>)> {
        let mut out = Vec::new();
        let mut todo = vec![d.to_path_buf()];
        while let Some(p) = todo.pop() {
            for e in std::fs::read_dir(&p).unwrap() {
                let e = e.unwrap();
                let (path, ty) = (e.path(), e.file_type().unwrap());
                let rel = path.strip_prefix(d).unwrap().display().to_string();
                if ty.is_dir() {
                    out.push((rel, "dir".into(), Vec::new()));
                    todo.push(path);
                } else if ty.is_symlink() {
                    out.push((rel, "link".into(), std::fs::read_link(&path).unwrap().as_os_str().as_bytes().to_vec()));
                } else {
                    use std::os::unix::fs::MetadataExt;
                    let links = e.metadata().unwrap().nlink().to_string();
                    out.push((rel, links, std::fs::read(&path).unwrap()));
                }
            }
        }
        out.sort();
        out
    }

    /// The tree at `src` copied to `dst` on the host, read ahead (with `ahead` as the reader's idea of
    /// the tree) or not.
    fn copied(src: &Path, tree: &Node, ahead: Option<&Node>, dst: &Path) -> Result<Stats, CopyError> {
        let (s, d) = (src.as_os_str().as_bytes(), dst.as_os_str().as_bytes());
        let opts = Options::default();
        match ahead {
            None => copy(&HostFs::new(), s, tree, &HostFs::new(), d, &opts),
            Some(a) => std::thread::scope(|sc| {
                let (fs, reader) = start(a, s);
                sc.spawn(reader);
                copy(&fs, s, tree, &HostFs::new(), d, &opts)
            }),
        }
    }

    #[test]
    fn the_copy_gets_what_it_would_have_read_itself() {
        let (w, tree) = scanned("same");
        let a = copied(&w.join("t"), &tree, Some(&tree), &w.join("a")).unwrap();
        let b = copied(&w.join("t"), &tree, None, &w.join("b")).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.hardlinks, 2);
        assert_eq!(manifest(&w.join("a")), manifest(&w.join("t")));
        let _ = std::fs::remove_dir_all(&w);
    }

    #[test]
    fn a_buffer_used_again_holds_the_new_file_only() {
        let w = scratch("reuse");
        std::fs::write(w.join("long"), vec![1u8; 9000]).unwrap();
        std::fs::write(w.join("short"), vec![2u8; 100]).unwrap();
        let h = HostFs::new();
        let d = h.open_path_dir(w.as_os_str().as_bytes()).unwrap();
        let mut buf = Vec::new();
        for (name, asked, want) in
            [("long", 9000, vec![1u8; 9000]), ("short", 200, vec![2u8; 100]), ("long", 10, vec![1; 10])]
        {
            let f = h.open_read(&d, name.as_bytes()).unwrap();
            let got = read_whole(&h, &f, asked, &mut buf).unwrap();
            assert_eq!(&buf[..got], &want[..], "{name}");
        }
        let _ = std::fs::remove_dir_all(&w);
    }

    #[test]
    fn a_file_gone_since_the_scan_fails_the_copy_as_it_did() {
        let (w, tree) = scanned("gone");
        std::fs::remove_file(w.join("t/d3/e2/f122")).unwrap();
        let a = copied(&w.join("t"), &tree, Some(&tree), &w.join("a")).unwrap_err();
        let b = copied(&w.join("t"), &tree, None, &w.join("b")).unwrap_err();
        assert_eq!(a, b);
        assert!(a.to_string().starts_with("open '") && a.path.ends_with("t/d3/e2/f122"), "{a}");
        let _ = std::fs::remove_dir_all(&w);
    }

    #[test]
    fn walks_that_disagree_end_the_read_ahead_not_the_copy() {
        let (w, tree) = scanned("disagree");
        // The reader's tree lacks a directory the copy has, and has its files in another order.
        let mut other = tree.clone();
        other.children.retain(|c| c.name != b"d2");
        other.children.iter_mut().for_each(|c| c.children.reverse());
        let a = copied(&w.join("t"), &tree, Some(&other), &w.join("a")).unwrap();
        assert_eq!(a, copied(&w.join("t"), &tree, None, &w.join("b")).unwrap());
        assert_eq!(manifest(&w.join("a")), manifest(&w.join("t")));
        let _ = std::fs::remove_dir_all(&w);
    }
}
