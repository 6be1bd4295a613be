//! Host paths opened beneath a grant. A grant (`--allow-host`, `--image`, a script's own directory) is
//! opened once, when it is made, and every later open under it walks from that descriptor one name at a
//! time without following a symbolic link (O_NOFOLLOW at each step), as openat2's RESOLVE_BENEATH |
//! RESOLVE_NO_SYMLINKS would. A check on the path string followed by an open of the same string would
//! race with a host process that swaps a directory of the grant for a symbolic link in between; this
//! cannot: a swapped-in link fails the walk (ELOOP or ENOTDIR) instead of leading outside. The walk needs
//! nothing newer than openat(2), so no host lacks it.

use std::ffi::{CString, OsString};
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

/// A granted directory or file, held open since the grant was made.
#[derive(Debug)]
pub struct Root {
    /// The canonical path granted.
    pub path: PathBuf,
    /// The granted directory, or a granted file's directory.
    dir: OwnedFd,
    /// A granted file's name in `dir` (None: the directory and everything under it is granted).
    file: Option<OsString>,
}

fn cstr(b: &[u8]) -> io::Result<CString> {
    CString::new(b).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))
}

fn openat(dir: libc::c_int, name: &[u8], flags: libc::c_int) -> io::Result<OwnedFd> {
    let n = cstr(name)?;
    loop {
        let fd =
            unsafe { libc::openat(dir, n.as_ptr(), flags | libc::O_CLOEXEC | libc::O_NOCTTY, 0o666 as libc::c_uint) };
        if fd >= 0 {
            return Ok(unsafe { OwnedFd::from_raw_fd(fd) });
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

impl Root {
    /// Grants `path` (which must exist): canonicalised and opened now.
    pub fn new(path: &Path) -> io::Result<Root> {
        let c = path.canonicalize()?;
        let dirflags = libc::O_PATH | libc::O_DIRECTORY;
        match openat(libc::AT_FDCWD, c.as_os_str().as_bytes(), dirflags) {
            Ok(dir) => Ok(Root { path: c, dir, file: None }),
            Err(e) if e.raw_os_error() == Some(libc::ENOTDIR) => {
                let (Some(parent), Some(name)) = (c.parent(), c.file_name()) else { return Err(e) };
                let dir = openat(libc::AT_FDCWD, parent.as_os_str().as_bytes(), dirflags)?;
                Ok(Root { path: c.clone(), dir, file: Some(name.to_os_string()) })
            }
            Err(e) => Err(e),
        }
    }

    /// Where `canon` (a canonical path) lies beneath this root, as a path relative to the descriptor
    /// held ("" for a granted directory itself); None when it lies outside.
    pub fn relative(&self, canon: &Path) -> Option<PathBuf> {
        match &self.file {
            None => canon.strip_prefix(&self.path).ok().map(Path::to_path_buf),
            Some(name) => (canon == self.path).then(|| PathBuf::from(name)),
        }
    }

    /// Whether the grant is exactly `canon` (a file or device the user named), not something under it.
    pub fn is(&self, canon: &Path) -> bool {
        self.path == canon
    }

    /// Opens `rel` (from [`Root::relative`]) with `flags` beneath the held descriptor (see [`open_beneath`]).
    pub fn open(&self, rel: &Path, flags: libc::c_int) -> io::Result<OwnedFd> {
        open_beneath(self.dir.as_fd(), rel, flags)
    }
}

/// Opens `rel` with `flags`, walking from `dir` one name at a time without following symbolic links
/// (each directory on the way opened O_PATH | O_NOFOLLOW); `..` and absolute paths are refused. The last
/// name is opened with O_NOFOLLOW too (a symbolic link there is ELOOP); an empty `rel` opens `dir`.
pub fn open_beneath(dir: BorrowedFd<'_>, rel: &Path, flags: libc::c_int) -> io::Result<OwnedFd> {
    let mut names = Vec::new();
    for c in rel.components() {
        match c {
            Component::Normal(n) => names.push(n.as_bytes()),
            Component::CurDir => {}
            _ => return Err(io::Error::from_raw_os_error(libc::EACCES)),
        }
    }
    let Some(last) = names.pop() else {
        return openat(dir.as_raw_fd(), b".", flags);
    };
    let mut cur: Option<OwnedFd> = None;
    for n in names {
        let at = cur.as_ref().map_or(dir.as_raw_fd(), |f| f.as_raw_fd());
        cur = Some(openat(at, n, libc::O_PATH | libc::O_DIRECTORY | libc::O_NOFOLLOW)?);
    }
    let at = cur.as_ref().map_or(dir.as_raw_fd(), |f| f.as_raw_fd());
    openat(at, last, flags | libc::O_NOFOLLOW)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("rumpjs-hostdir-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn opens_beneath_and_never_through_a_link() {
        let d = scratch("walk");
        std::fs::create_dir_all(d.join("g/sub")).unwrap();
        std::fs::create_dir_all(d.join("out")).unwrap();
        std::fs::write(d.join("g/sub/f"), b"in").unwrap();
        std::fs::write(d.join("out/f"), b"secret").unwrap();
        std::os::unix::fs::symlink("../out", d.join("g/link")).unwrap();
        std::os::unix::fs::symlink("sub/f", d.join("g/flink")).unwrap();
        let r = Root::new(&d.join("g")).unwrap();
        let read = |rel: &str| -> io::Result<String> {
            let fd = r.open(Path::new(rel), libc::O_RDONLY)?;
            std::fs::read_to_string(format!("/proc/self/fd/{}", fd.as_raw_fd()))
        };
        assert_eq!(read("sub/f").unwrap(), "in");
        assert_eq!(read("link/f").unwrap_err().raw_os_error(), Some(libc::ENOTDIR));
        assert_eq!(read("flink").unwrap_err().raw_os_error(), Some(libc::ELOOP));
        assert_eq!(read("../out/f").unwrap_err().raw_os_error(), Some(libc::EACCES));
        assert!(r.open(Path::new(""), libc::O_RDONLY | libc::O_DIRECTORY).is_ok());
        assert_eq!(r.relative(&d.join("g/sub/f").canonicalize().unwrap()), Some(PathBuf::from("sub/f")));
        assert_eq!(r.relative(&d.join("out/f").canonicalize().unwrap()), None);
        // A granted file: only itself.
        let f = Root::new(&d.join("g/sub/f")).unwrap();
        let canon = d.join("g/sub/f").canonicalize().unwrap();
        assert!(f.is(&canon));
        assert_eq!(f.relative(&canon), Some(PathBuf::from("f")));
        assert_eq!(f.relative(&canon.with_file_name("g")), None);
        let _ = std::fs::remove_dir_all(&d);
    }
}
