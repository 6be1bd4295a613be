//! One tree copier for everything that copies trees: host to kernel and back (`rump.host.copyIn` and
//! `copyOut`, `rumpjs get` and `put`, `rumpjs makefs`, with the host side in the runtime) and kernel to
//! kernel (`fs.cpSync`). Under its own rules nothing is lost on the way:
//!
//! - every kind of node: regular files, directories, symbolic links (targets verbatim, bytes), fifos and
//!   device nodes (made when the destination allows it — the kernel as root, the host as root — else
//!   reported and skipped; sockets are always reported and skipped);
//! - hard links: a node met again under another name (same source device and inode) becomes a `link` on
//!   the destination, so the link count and the shared data survive;
//! - holes: the source's data regions (SEEK_DATA/SEEK_HOLE on the host, when it has them) are copied block
//!   by block, all-zero blocks are not written, and the file is extended to its size with ftruncate —
//!   a sparse file stays sparse;
//! - modes (set-id and sticky bits included), times (access and modification; birth where the source
//!   has it and the destination can set it), owners (when asked: the kernel as root, the host as root),
//!   file flags (kernel to kernel);
//! - names as bytes (not UTF-8), trees of any depth (every step is relative to an open directory, never
//!   a long path).
//!
//! A copy is two passes: [`scan`] reads the source into a [`Node`] tree (sorted by name, so what is
//! made — and, on a fresh file system, where it is allocated — is the same on every run), then [`copy`]
//! makes it on the destination. makefs edits the tree in between (its mtree spec, its timestamps).
//! Each side is an [`Fs`]: [`KernelFs`] here, the host's in the runtime. What a copy reports as it goes
//! (the runtime's progress bar) is a [`Progress`] the caller supplies. `fs.cpSync` copies under Node's
//! rules instead ([`CpRules`]: hard links and owners not kept, kind clashes and sockets refused).

mod copier;
mod kernel_fs;
mod scan;
mod tree;

pub use copier::{copy, CpRules, Options, Progress, Stats};
pub use kernel_fs::{KFd, KernelFs};
pub use scan::{scan, scan_with};
pub use tree::{Kind, Meta, Node};

use kernel::Errno;
use std::fmt;

/// Results of the primitive operations (host errors carry NetBSD's errno numbers, as the kernel's do).
pub type R<T> = Result<T, Errno>;

/// An open node a caller may already hold when setting attributes.
pub enum Handle<'h, D, F> {
    None,
    Dir(&'h D),
    File(&'h F),
}

/// Which attributes to set.
#[derive(Copy, Clone, Debug)]
pub struct Attrs {
    /// Permission bits (07777).
    pub mode: bool,
    pub owner: bool,
    pub times: bool,
    pub btime: bool,
    pub flags: bool,
}

/// One side of a copy: the host or the kernel. Every operation names a node by an open directory and
/// a name, so depth is never limited by a path's length.
pub trait Fs {
    type Dir;
    type File;
    /// Opens a directory by path (the path a person named: symbolic links in it are followed).
    fn open_path_dir(&self, path: &[u8]) -> R<Self::Dir>;
    /// Opens the directory `name` in `d` (a symbolic link there is not followed, unless [`Fs::follows`]).
    fn open_dir(&self, d: &Self::Dir, name: &[u8]) -> R<Self::Dir>;
    /// The attributes of `name` in `d` (of what a symbolic link points to when [`Fs::follows`]).
    fn lstat(&self, d: &Self::Dir, name: &[u8]) -> R<Meta>;
    /// Whether this side follows symbolic links where it reads (Node's `dereference`): then a scan
    /// never meets a link, and its errors name `stat`.
    fn follows(&self) -> bool {
        false
    }
    /// The names in a directory, without `.` and `..`.
    fn list(&self, d: &Self::Dir) -> R<Vec<Vec<u8>>>;
    fn readlink(&self, d: &Self::Dir, name: &[u8]) -> R<Vec<u8>>;
    fn open_read(&self, d: &Self::Dir, name: &[u8]) -> R<Self::File>;
    /// Where a file has data, as (offset, length) runs; holes are between them.
    fn data_runs(&self, f: &Self::File, m: &Meta) -> R<Vec<(u64, u64)>>;
    fn read_at(&self, f: &Self::File, off: u64, buf: &mut [u8]) -> R<usize>;
    fn mkdir(&self, d: &Self::Dir, name: &[u8], perm: u32) -> R<()>;
    /// Creates a new regular file for writing (EEXIST if the name is taken).
    fn create(&self, d: &Self::Dir, name: &[u8]) -> R<Self::File>;
    /// Opens an existing regular file for writing, emptied.
    fn open_trunc(&self, d: &Self::Dir, name: &[u8]) -> R<Self::File>;
    fn write_at(&self, f: &Self::File, off: u64, buf: &[u8]) -> R<()>;
    fn set_len(&self, f: &Self::File, len: u64) -> R<()>;
    /// The granularity of holes in a file.
    fn block_size(&self, f: &Self::File) -> u64;
    fn symlink(&self, d: &Self::Dir, name: &[u8], target: &[u8]) -> R<()>;
    /// A new name `name` in `d` for the node at `rel` (relative to `top`).
    fn link(&self, top: &Self::Dir, rel: &[u8], d: &Self::Dir, name: &[u8]) -> R<()>;
    fn mknod(&self, d: &Self::Dir, name: &[u8], kind: Kind, perm: u32, rdev: (u32, u32)) -> R<()>;
    fn unlink(&self, d: &Self::Dir, name: &[u8]) -> R<()>;
    /// Whether device nodes can be made here.
    fn can_mknod(&self) -> bool;
    fn set_attrs(&self, d: &Self::Dir, name: &[u8], h: Handle<'_, Self::Dir, Self::File>, m: &Meta, a: &Attrs)
        -> R<()>;
}

// ---------------------------------------------------------------- errors

/// A failed step of a copy: the errno, the call and the path it failed on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyError {
    pub errno: Errno,
    pub call: &'static str,
    pub path: String,
    /// Set when Node's rules ([`CpRules`]) refused a node rather than a call failing: why, and the
    /// source path (`path` is the destination's).
    pub refused: Option<(Refusal, String)>,
}

/// Why Node's `fs.cp` rules refuse to copy a node.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// A directory onto something that is not one (ERR_FS_CP_DIR_TO_NON_DIR).
    DirOverNonDir,
    /// Something that is not a directory onto a directory (ERR_FS_CP_NON_DIR_TO_DIR).
    NonDirOverDir,
    /// The destination exists and neither `force` nor silence was asked (ERR_FS_CP_EEXIST).
    Exists,
    /// A socket (ERR_FS_CP_UNKNOWN).
    Unknown,
}

impl fmt::Display for CopyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} '{}': {} ({})", self.call, self.path, self.errno.message(), self.errno.name())
    }
}

impl std::error::Error for CopyError {}

/// The error of `call` failing with `errno` on `path`.
pub fn cerr(errno: Errno, call: &'static str, path: &[u8]) -> CopyError {
    CopyError { errno, call, path: String::from_utf8_lossy(path).into_owned(), refused: None }
}

// ---------------------------------------------------------------- paths

/// Splits a path into its directory and last name ("/" → ("/", "."), "a" → (".", "a")); trailing
/// slashes are dropped.
pub fn split(path: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut p = path;
    while p.len() > 1 && p.ends_with(b"/") {
        p = &p[..p.len() - 1];
    }
    if p == b"/" {
        return (b"/".to_vec(), b".".to_vec());
    }
    if p.is_empty() {
        return (b".".to_vec(), b".".to_vec());
    }
    match p.iter().rposition(|&c| c == b'/') {
        None => (b".".to_vec(), p.to_vec()),
        Some(0) => (b"/".to_vec(), p[1..].to_vec()),
        Some(i) => (p[..i].to_vec(), p[i + 1..].to_vec()),
    }
}

/// Appends `/name` to a path (no second slash after one that ends it).
pub fn push_name(path: &mut Vec<u8>, name: &[u8]) {
    if !path.ends_with(b"/") {
        path.push(b'/');
    }
    path.extend_from_slice(name);
}

/// `dir/name` (no second slash after one that ends `dir`).
pub fn join(dir: &[u8], name: &[u8]) -> Vec<u8> {
    let mut p = dir.to_vec();
    push_name(&mut p, name);
    p
}

/// Whether every byte is zero (a word at a time).
pub fn is_zero(b: &[u8]) -> bool {
    let (pre, mid, post) = unsafe { b.align_to::<u128>() };
    pre.iter().all(|&x| x == 0) && mid.iter().all(|&x| x == 0) && post.iter().all(|&x| x == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitting() {
        let s = |p: &str| {
            let (a, b) = split(p.as_bytes());
            (String::from_utf8(a).unwrap(), String::from_utf8(b).unwrap())
        };
        assert_eq!(s("/"), ("/".into(), ".".into()));
        assert_eq!(s("/a"), ("/".into(), "a".into()));
        assert_eq!(s("/a/b/"), ("/a".into(), "b".into()));
        assert_eq!(s("a"), (".".into(), "a".into()));
        assert_eq!(s("a//b"), ("a/".into(), "b".into()));
        assert_eq!(join(b"/", b"x"), b"/x");
        assert_eq!(join(b"/a", b"x"), b"/a/x");
        assert_eq!(join(b"/a/", b"x"), b"/a/x");
    }

    #[test]
    fn zero_detection() {
        let mut b = vec![0u8; 4099];
        assert!(is_zero(&b));
        b[4098] = 1;
        assert!(!is_zero(&b));
        assert!(!is_zero(&b[1..]));
        assert!(is_zero(&b[..4098]));
    }
}
