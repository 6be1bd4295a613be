//! The host side of the hypercalls, and the permission model: host access is denied by default. A script
//! reaches host files only through images named on the command line (as block devices) and paths granted
//! with `--allow-host PATH` (`rump.mount({image})`, `rump.host.copyIn/copyOut`).

use crate::host::hostdir::Root;
use boa_engine::object::builtins::JsArray;
use boa_engine::{js_string, Context, JsError, JsNativeError, JsObject, JsResult, JsString, JsValue};
use kernel::dev::{BlockDevice, Dev};
use kernel::hyper::{Hypervisor, StdHypervisor};
use kernel::vfs::Timespec;
use kernel::{Errno, KResult};
use kernel_bindings::args::{arg, opt, opt_bool, options, path, string};
use kernel_bindings::error::{coded, errno_error};
use kernel_bindings::{define, HostPolicy, ImageGrant, Op};
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

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

    fn open_rw(&self, path: &str) -> Result<std::fs::File, String> {
        let a = self.grants().check_access(Path::new(path), false, true)?;
        let fd = a.open(libc::O_RDWR | libc::O_CREAT).map_err(|e| format!("{path}: {e}"))?;
        let f = std::fs::File::from(fd);
        match f.metadata() {
            Ok(m) if m.is_file() => Ok(f),
            Ok(_) => Err(format!("{path}: not a regular file")),
            Err(e) => Err(format!("{path}: {e}")),
        }
    }
}

/// The host files handed out as block devices: (device, inode), whether it writes, and the device for as
/// long as it lives. A file is attached for writing once at a time (EBUSY, as NetBSD refuses to mount a
/// device already mounted): two writers would each overwrite what the other allocated. Read-only
/// attachments beside it are let be (partitions of one disk, a look at what a session is writing).
type Attached = Vec<((u64, u64), bool, Weak<dyn BlockDevice>)>;

/// The real host with the grants enforced at the hypercall too: the kernel cannot open a host file
/// that was not granted, whatever asks it to.
pub struct HostHypervisor {
    inner: Box<dyn Hypervisor>,
    grants: Arc<Mutex<Grants>>,
    attached: Mutex<Attached>,
}

impl HostHypervisor {
    /// The real host (clocks, randomness, console on stderr when `verbose`).
    pub fn new(verbose: bool, grants: Arc<Mutex<Grants>>) -> HostHypervisor {
        HostHypervisor::with(Box::new(StdHypervisor::new(verbose)), grants)
    }

    /// Another host (e.g. the deterministic one: fixed clock, seeded randomness) behind the same grants.
    pub fn with(inner: Box<dyn Hypervisor>, grants: Arc<Mutex<Grants>>) -> HostHypervisor {
        HostHypervisor { inner, grants, attached: Mutex::new(Vec::new()) }
    }
}

impl Hypervisor for HostHypervisor {
    /// rumpuser_open of an image: opened beneath its grant; a regular file, or a host device the user
    /// named itself (never one found inside a granted directory); never attached twice for writing.
    fn open_block_device(&self, host_path: &str, readonly: bool) -> KResult<Dev> {
        use std::os::unix::fs::{FileTypeExt, MetadataExt};
        let a = self
            .grants
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .check_access(Path::new(host_path), true, !readonly)
            .map_err(|_| Errno::EACCES)?;
        // O_NONBLOCK: a fifo in the grant must not hang the open; the type is checked on what was opened.
        let mode = if readonly { libc::O_RDONLY } else { libc::O_RDWR };
        let fd = a.open(mode | libc::O_NONBLOCK).map_err(|e| crate::host::copy::host_errno(&e))?;
        let file = std::fs::File::from(fd);
        let meta = file.metadata().map_err(Errno::from)?;
        let ft = meta.file_type();
        if ft.is_dir() {
            return Err(Errno::EISDIR);
        }
        if (ft.is_block_device() || ft.is_char_device()) && !a.named() {
            return Err(Errno::EACCES);
        }
        if !ft.is_file() && !ft.is_block_device() && !ft.is_char_device() {
            return Err(Errno::ENOTBLK);
        }
        if unsafe { libc::fcntl(file.as_raw_fd(), libc::F_SETFL, 0) } < 0 {
            return Err(Errno::EIO);
        }
        let id = (meta.dev(), meta.ino());
        let mut attached = self.attached.lock().unwrap_or_else(|e| e.into_inner());
        attached.retain(|(_, _, d)| d.strong_count() > 0);
        if !readonly && attached.iter().any(|(i, w, _)| *i == id && *w) {
            return Err(Errno::EBUSY);
        }
        let dev: Dev = Arc::new(kernel::dev::FileDevice::from_file(file, &a.canon, readonly)?);
        attached.push((id, !readonly, Arc::downgrade(&dev)));
        Ok(dev)
    }
    fn wall_clock(&self) -> Timespec {
        self.inner.wall_clock()
    }
    fn monotonic_ns(&self) -> u64 {
        self.inner.monotonic_ns()
    }
    fn random(&self, buf: &mut [u8]) {
        self.inner.random(buf)
    }
    fn console(&self, line: &str) {
        self.inner.console(line)
    }
}

// ---------------------------------------------------------------- rump.host

/// `rump.host.*`: copying between granted host paths and the kernel.
pub static HOST: &[Op] = &[
    Op {
        name: "copyIn",
        length: 2,
        f: copy_in,
        sig: "copyIn(hostPath, kernelPath, {progress}) → {files, dirs, links, bytes}  (recursive; keeps hard links, holes, times)",
    },
    Op {
        name: "copyOut",
        length: 2,
        f: copy_out,
        sig: "copyOut(kernelPath, hostPath, {progress}) → {files, dirs, links, bytes}  (recursive; keeps hard links, holes, times)",
    },
    Op { name: "grants", length: 0, f: grants, sig: "grants() → host paths granted with --allow-host" },
];

/// Host state the `rump.host` functions reach.
pub struct HostData {
    pub grants: Arc<Mutex<Grants>>,
}

fn data(ctx: &Context) -> JsResult<Arc<Mutex<Grants>>> {
    ctx.get_data::<HostData>()
        .map(|d| d.grants.clone())
        .ok_or_else(|| JsNativeError::error().with_message("no host").into())
}

/// Installs `rump.host` on the `rump` object.
pub fn install(ctx: &mut Context, rump: &JsObject, grants: Arc<Mutex<Grants>>) {
    ctx.insert_data(HostData { grants });
    let host = kernel_bindings::table(ctx, HOST);
    define(rump, "host", host.into());
}

fn denied(ctx: &mut Context, msg: String, p: &str) -> JsError {
    let e = coded(ctx, JsNativeError::error(), "ERR_ACCESS_DENIED", msg);
    if let Some(o) = e.as_opaque().and_then(|v| v.as_object()) {
        let _ = o.create_data_property_or_throw(js_string!("path"), JsString::from(p), ctx);
    }
    e
}

/// The result of a copy: `{files, dirs, links, bytes}` (links: symbolic links), and, not enumerated (so
/// JSON shows the four), `hardLinks`, `specials` (fifos and devices made) and `skipped` (messages).
fn stats_to_js(ctx: &mut Context, s: &crate::host::copy::Stats) -> JsValue {
    use boa_engine::property::PropertyDescriptor;
    let v = kernel_bindings::convert::plain(
        ctx,
        vec![
            ("files", JsValue::from(s.files as f64)),
            ("dirs", JsValue::from(s.dirs as f64)),
            ("links", JsValue::from(s.symlinks as f64)),
            ("bytes", JsValue::from(s.bytes as f64)),
        ],
    );
    let skipped: Vec<JsValue> = s.skipped.iter().map(|m| JsString::from(m.as_str()).into()).collect();
    let skipped: JsValue = JsArray::from_iter(skipped, ctx).into();
    if let Some(o) = v.as_object() {
        for (k, val) in [
            ("hardLinks", JsValue::from(s.hardlinks as f64)),
            ("specials", JsValue::from(s.specials as f64)),
            ("skipped", skipped),
        ] {
            let d = PropertyDescriptor::builder().value(val).writable(true).enumerable(false).configurable(true);
            let _ = o.define_property_or_throw(JsString::from(k), d, ctx);
        }
    }
    v
}

fn progress_opt(ctx: &mut Context, a: &[JsValue]) -> JsResult<Option<bool>> {
    let o = options(ctx, &arg(a, 2), "options")?;
    if opt(ctx, &o, "progress")?.is_undefined() {
        Ok(None)
    } else {
        opt_bool(ctx, &o, "progress", false).map(Some)
    }
}

/// Says on stderr what a copy left out (sockets; devices without the privilege to make them).
fn report_skipped(s: &crate::host::copy::Stats) {
    for m in &s.skipped {
        crate::host::output::line(crate::host::output::Stream::Stderr, &format!("rumpjs: skipped {m}"));
    }
}

fn copy_in(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let h = kernel_bindings::host(ctx)?;
    let hp = string(ctx, &arg(a, 0), "hostPath")?;
    let kp = path(ctx, &arg(a, 1), "kernelPath")?;
    let asked = progress_opt(ctx, a)?;
    let grants = data(ctx)?;
    // Reading the host: a read-only grant is enough.
    let src = grants.lock().unwrap_or_else(|e| e.into_inner()).check_access(Path::new(&hp), false, false);
    let src = src.map_err(|m| denied(ctx, m, &hp))?;
    let s = crate::host::copy::copy_in(&h.proc, &src, &kp.bytes, asked)
        .map_err(|e| errno_error(ctx, e.errno, e.call, Some(&e.path), None))?;
    report_skipped(&s);
    Ok(stats_to_js(ctx, &s))
}

fn copy_out(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let h = kernel_bindings::host(ctx)?;
    let kp = path(ctx, &arg(a, 0), "kernelPath")?;
    let hp = string(ctx, &arg(a, 1), "hostPath")?;
    let asked = progress_opt(ctx, a)?;
    let grants = data(ctx)?;
    let (dst, preserve) = {
        let g = grants.lock().unwrap_or_else(|e| e.into_inner());
        (g.check(Path::new(&hp), false), g.preserve_all)
    };
    let dst = dst.map_err(|m| denied(ctx, m, &hp))?;
    let s = crate::host::copy::copy_out(&h.proc, &kp.bytes, &dst, preserve, asked)
        .map_err(|e| errno_error(ctx, e.errno, e.call, Some(&e.path), None))?;
    report_skipped(&s);
    Ok(stats_to_js(ctx, &s))
}

fn grants(_: &JsValue, _a: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let g = data(ctx)?;
    let list: Vec<JsValue> = g
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .granted()
        .iter()
        .map(|p| JsString::from(p.to_string_lossy().as_ref()).into())
        .collect();
    Ok(JsArray::from_iter(list, ctx).into())
}
