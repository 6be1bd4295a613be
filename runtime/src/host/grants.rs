//! The permission model: host access is denied by default. A script reaches host files only through
//! images named on the command line (as block devices) and paths granted with `--allow-host PATH`
//! (`rump.mount({image})`, `rump.host.copyIn/copyOut`). The hypercalls check the same grants
//! ([`super::hypervisor`]).

use crate::host::hostdir::Root;
use kernel_bindings::{HostPolicy, ImageGrant};
use std::os::fd::OwnedFd;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

/// How a session lets scripts write an image named with `--image`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageWrites {
    /// `--rw`: the image file is written.
    Allowed,
    /// The default: the file is opened read-only by every path that reaches it.
    Refused,
    /// `--overlay`/`--overlay-file`: opened read-only; a mount that writes gets a copy-on-write overlay.
    Overlay,
}

/// Host paths a session may reach. Each grant is opened when it is made ([`Root`]) and every host file a
/// script reaches is opened beneath one, never by its path string again.
#[derive(Default, Debug)]
pub struct Grants {
    /// Directories or files granted with `--allow-host`, read and write.
    dirs: Vec<Arc<Root>>,
    /// Image files named with `--image`: openable as block devices only.
    images: Vec<(Arc<Root>, ImageWrites)>,
    /// Directories or files that may be read but not written (a test file's own directory).
    read_only: Vec<Arc<Root>>,
    /// Why no host file may be written at all (a read-only `rumpjs serve`), when that is so.
    no_writes: Option<String>,
    /// Overlay files named with `--overlay-file`: openable by the kernel as side files only.
    side_files: Vec<Arc<Root>>,
    /// `--preserve-all`: copies out keep owners and set-ID bits and make device nodes and fifos.
    pub preserve_all: bool,
}

/// A host path some grant lets the session reach.
pub struct Access {
    pub root: Arc<Root>,
    /// The path relative to the grant's open directory.
    pub rel: PathBuf,
    /// The canonical path (for messages and logs; never opened by this string).
    pub canon: PathBuf,
}

impl Access {
    /// Opens it beneath its grant (see [`Root::open`]).
    pub fn open(&self, flags: libc::c_int) -> std::io::Result<OwnedFd> {
        self.root.open(&self.rel, flags)
    }

    /// Whether the user named this very path (`--image PATH`, `--allow-host PATH`), not a directory
    /// above it: only then may a host device be opened as an image.
    pub fn named(&self) -> bool {
        self.root.is(&self.canon)
    }
}

fn root(what: &str, path: &Path) -> Result<Arc<Root>, String> {
    Root::new(path).map(Arc::new).map_err(|e| format!("{what}{}: {e}", path.display()))
}

impl Grants {
    pub fn new() -> Grants {
        Grants::default()
    }

    /// Grants `path` (a file or a directory and everything under it). It must exist.
    pub fn allow(&mut self, path: &Path) -> Result<(), String> {
        self.dirs.push(root("--allow-host ", path)?);
        Ok(())
    }

    /// Grants reading (not writing) `path` and everything under it. It must exist.
    pub fn allow_read(&mut self, path: &Path) -> Result<(), String> {
        self.read_only.push(root("", path)?);
        Ok(())
    }

    /// Lets the kernel open `path` as a block device (an image from the command line), written as
    /// `writes` says. Returns its canonical path.
    pub fn allow_image(&mut self, path: &Path, writes: ImageWrites) -> Result<PathBuf, String> {
        let r = root("", path)?;
        let c = r.path.clone();
        self.images.push((r, writes));
        Ok(c)
    }

    /// Lets the kernel keep an overlay's changes in `path` (`--overlay-file`), made now if missing.
    pub fn allow_side_file(&mut self, path: &Path) -> Result<(), String> {
        let made = std::fs::OpenOptions::new().write(true).create(true).truncate(false).open(path);
        made.map_err(|e| format!("--overlay-file {}: {e}", path.display()))?;
        self.side_files.push(root("--overlay-file ", path)?);
        Ok(())
    }

    /// The overlay file `p` names, when it is one the user named.
    pub fn side_file(&self, p: &Path) -> Option<Access> {
        let canon = Grants::canonical(p)?;
        let r = self.side_files.iter().find(|r| r.is(&canon))?;
        Some(Access { root: r.clone(), rel: r.relative(&canon)?, canon })
    }

    /// Refuses every write to the host from now on, whatever is granted, saying `why`.
    pub fn forbid_writes(&mut self, why: &str) {
        self.no_writes = Some(why.to_string());
    }

    pub fn granted(&self) -> Vec<PathBuf> {
        self.dirs.iter().map(|r| r.path.clone()).collect()
    }

    /// The canonical form of `p`, for a path that may not exist yet (its parent must).
    fn canonical(p: &Path) -> Option<PathBuf> {
        let abs = if p.is_absolute() { p.to_path_buf() } else { std::env::current_dir().ok()?.join(p) };
        if let Ok(c) = abs.canonicalize() {
            return Some(c);
        }
        // Not there yet: canonicalise the parent, keep the last name (no `..` allowed in it).
        let name = abs.file_name()?;
        if Path::new(name).components().any(|c| !matches!(c, Component::Normal(_))) {
            return None;
        }
        Some(abs.parent()?.canonicalize().ok()?.join(name))
    }

    /// Checks `p` against the grants for reading and writing.
    pub fn check(&self, p: &Path, image: bool) -> Result<Access, String> {
        self.check_access(p, image, true)
    }

    /// Checks `p` against the grants (for reading only when `!write`: read-only grants then count too;
    /// `image`: an image named with `--image` counts, read-only unless the session has `--rw`). What to
    /// open, or a message saying how to grant it.
    pub fn check_access(&self, p: &Path, image: bool, write: bool) -> Result<Access, String> {
        let deny = || {
            format!(
                "host access to '{}' denied: rumpjs reaches host files only through --image and --allow-host \
                 (run with --allow-host {})",
                p.display(),
                p.display()
            )
        };
        if let (true, Some(why)) = (write, &self.no_writes) {
            return Err(format!("host access to '{}' denied: {why}", p.display()));
        }
        let canon = Grants::canonical(p).ok_or_else(deny)?;
        let access = |root: &Arc<Root>| {
            root.relative(&canon).map(|rel| Access { root: root.clone(), rel, canon: canon.clone() })
        };
        // An image named without --rw stays read-only whatever else grants it (a directory above it).
        if let Some((r, writes)) = self.images.iter().find(|(r, _)| r.is(&canon)) {
            if write && *writes != ImageWrites::Allowed {
                return Err(format!(
                    "'{}' was named with --image without --rw: it is opened read-only (mount it with \
                     {{ readonly: true }} or {{ overlay: true }}, or run with --rw)",
                    p.display()
                ));
            }
            if image {
                return access(r).ok_or_else(deny);
            }
        }
        let reads = if write { &[][..] } else { &self.read_only[..] };
        self.dirs.iter().chain(reads).find_map(access).ok_or_else(deny)
    }

    /// For `rump.mount({ image })`: how the image at `p` may be opened; when writes were asked of an image
    /// the session keeps unwritten (`--overlay`), `overlay` says they go to a copy-on-write layer.
    pub fn image_access(&self, p: &Path, write: bool) -> Result<(Access, bool), String> {
        let canon = Grants::canonical(p);
        let overlaid = self.images.iter().any(|(r, w)| *w == ImageWrites::Overlay && canon.as_deref() == Some(&r.path));
        if write && overlaid {
            return self.check_access(p, true, false).map(|a| (a, true));
        }
        self.check_access(p, true, write).map(|a| (a, false))
    }
}

/// The policy the bindings consult (`rump.mount({ image, overlayFile })`).
pub struct Policy(pub Arc<Mutex<Grants>>);

impl Policy {
    fn grants(&self) -> std::sync::MutexGuard<'_, Grants> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl HostPolicy for Policy {
    fn image(&self, path: &str, write: bool) -> Result<ImageGrant, String> {
        let (a, overlay) = self.grants().image_access(Path::new(path), write)?;
        Ok(ImageGrant { path: a.canon, overlay })
    }

    fn host_file(&self, path: &str) -> Result<PathBuf, String> {
        self.grants().check_access(Path::new(path), false, true).map(|a| a.canon)
    }
}
