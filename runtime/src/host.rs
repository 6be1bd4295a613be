//! The host side of the hypercalls, and the permission model: host access is denied by default. A script
//! reaches host files only through images named on the command line (as block devices) and paths granted
//! with `--allow-host PATH` (`rump.mount({image})`, `rump.host.copyIn/copyOut`).

use boa_engine::object::builtins::JsArray;
use boa_engine::{js_string, Context, JsError, JsNativeError, JsObject, JsResult, JsString, JsValue};
use kernel::dev::Dev;
use kernel::hyper::{Hypervisor, StdHypervisor};
use kernel::vfs::{self as v, Proc, Timespec};
use kernel::{Errno, KResult};
use kernel_bindings::args::{arg, opt, opt_bool, options, path, string};
use kernel_bindings::error::{coded, errno_error};
use kernel_bindings::{define, HostPolicy, Op};
use std::io::{IsTerminal, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Host paths a session may reach.
#[derive(Default, Debug)]
pub struct Grants {
    /// Directories or files granted with `--allow-host` (canonical), read and write.
    dirs: Vec<PathBuf>,
    /// Image files named with `--image` (canonical): openable as block devices only.
    images: Vec<PathBuf>,
    /// Directories or files that may be read but not written (a test file's own directory).
    read_only: Vec<PathBuf>,
}

impl Grants {
    pub fn new() -> Grants {
        Grants::default()
    }

    /// Grants `path` (a file or a directory and everything under it). It must exist.
    pub fn allow(&mut self, path: &Path) -> Result<(), String> {
        let c = path.canonicalize().map_err(|e| format!("--allow-host {}: {e}", path.display()))?;
        self.dirs.push(c);
        Ok(())
    }

    /// Grants reading (not writing) `path` and everything under it. It must exist.
    pub fn allow_read(&mut self, path: &Path) -> Result<(), String> {
        let c = path.canonicalize().map_err(|e| format!("{}: {e}", path.display()))?;
        self.read_only.push(c);
        Ok(())
    }

    /// Lets the kernel open `path` as a block device (an image from the command line).
    pub fn allow_image(&mut self, path: &Path) -> Result<PathBuf, String> {
        let c = path.canonicalize().map_err(|e| format!("{}: {e}", path.display()))?;
        self.images.push(c.clone());
        Ok(c)
    }

    pub fn granted(&self) -> &[PathBuf] {
        &self.dirs
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

    /// Checks `p` against the grants; the canonical path, or a message saying how to grant it.
    pub fn check(&self, p: &Path, image: bool) -> Result<PathBuf, String> {
        self.check_access(p, image, true)
    }

    /// As [`Grants::check`], for reading only when `!write` (read-only grants then count too).
    pub fn check_access(&self, p: &Path, image: bool, write: bool) -> Result<PathBuf, String> {
        let deny = || {
            format!(
                "host access to '{}' denied: rumpjs reaches host files only through --image and --allow-host \
                 (run with --allow-host {})",
                p.display(),
                p.display()
            )
        };
        let c = Grants::canonical(p).ok_or_else(deny)?;
        if self.dirs.iter().any(|d| c.starts_with(d))
            || (image && self.images.contains(&c))
            || (!write && self.read_only.iter().any(|d| c.starts_with(d)))
        {
            Ok(c)
        } else {
            Err(deny())
        }
    }
}

/// The policy the bindings consult (`rump.mount({image})`).
pub struct Policy(pub Arc<Mutex<Grants>>);

impl HostPolicy for Policy {
    fn host_path(&self, path: &str, write: bool) -> Result<PathBuf, String> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).check_access(Path::new(path), true, write)
    }
}

/// The real host with the grants enforced at the hypercall too: the kernel cannot open a host file
/// that was not granted, whatever asks it to.
pub struct HostHypervisor {
    inner: Box<dyn Hypervisor>,
    grants: Arc<Mutex<Grants>>,
}

impl HostHypervisor {
    /// The real host (clocks, randomness, console on stderr when `verbose`).
    pub fn new(verbose: bool, grants: Arc<Mutex<Grants>>) -> HostHypervisor {
        HostHypervisor { inner: Box::new(StdHypervisor::new(verbose)), grants }
    }

    /// Another host (e.g. the deterministic one: fixed clock, seeded randomness) behind the same grants.
    pub fn with(inner: Box<dyn Hypervisor>, grants: Arc<Mutex<Grants>>) -> HostHypervisor {
        HostHypervisor { inner, grants }
    }
}

impl Hypervisor for HostHypervisor {
    fn open_block_device(&self, host_path: &str, readonly: bool) -> KResult<Dev> {
        let p = self
            .grants
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .check_access(Path::new(host_path), true, !readonly)
            .map_err(|_| Errno::EACCES)?;
        self.inner.open_block_device(&p.to_string_lossy(), readonly)
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
        sig: "copyIn(hostPath, kernelPath, {progress}) → {files, dirs, links, bytes}  (recursive)",
    },
    Op {
        name: "copyOut",
        length: 2,
        f: copy_out,
        sig: "copyOut(kernelPath, hostPath, {progress}) → {files, dirs, links, bytes}  (recursive)",
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

fn io_err(ctx: &mut Context, e: std::io::Error, syscall: &str, p: &Path) -> JsError {
    errno_error(ctx, Errno::from(e), syscall, Some(&p.to_string_lossy()), None)
}

#[derive(Default)]
struct Counts {
    files: u64,
    dirs: u64,
    links: u64,
    bytes: u64,
}

impl Counts {
    fn to_js(&self, ctx: &mut Context) -> JsValue {
        kernel_bindings::convert::plain(
            ctx,
            vec![
                ("files", JsValue::from(self.files as f64)),
                ("dirs", JsValue::from(self.dirs as f64)),
                ("links", JsValue::from(self.links as f64)),
                ("bytes", JsValue::from(self.bytes as f64)),
            ],
        )
    }
}

/// A progress bar on a terminal for copies over 64 MiB (or when asked); hidden otherwise.
fn progress(total: u64, asked: Option<bool>) -> indicatif::ProgressBar {
    let show = asked.unwrap_or(total >= 64 << 20) && std::io::stderr().is_terminal();
    if !show {
        return indicatif::ProgressBar::hidden();
    }
    let pb = indicatif::ProgressBar::new(total);
    if let Ok(st) = indicatif::ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
    ) {
        pb.set_style(st);
    }
    pb
}

fn progress_opt(ctx: &mut Context, a: &[JsValue]) -> JsResult<Option<bool>> {
    let o = options(ctx, &arg(a, 2), "options")?;
    if opt(ctx, &o, "progress")?.is_undefined() {
        Ok(None)
    } else {
        opt_bool(ctx, &o, "progress", false).map(Some)
    }
}

fn host_size(p: &Path) -> u64 {
    match std::fs::symlink_metadata(p) {
        Ok(m) if m.is_dir() => {
            std::fs::read_dir(p).map(|rd| rd.flatten().map(|e| host_size(&e.path())).sum()).unwrap_or(0)
        }
        Ok(m) if m.is_file() => m.len(),
        _ => 0,
    }
}

fn kjoin(dir: &[u8], name: &[u8]) -> Vec<u8> {
    let mut p = dir.to_vec();
    if !p.ends_with(b"/") {
        p.push(b'/');
    }
    p.extend_from_slice(name);
    p
}

fn kshow(p: &[u8]) -> String {
    String::from_utf8_lossy(p).into_owned()
}

fn copy_in(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let h = kernel_bindings::host(ctx)?;
    let hp = string(ctx, &arg(a, 0), "hostPath")?;
    let kp = path(ctx, &arg(a, 1), "kernelPath")?;
    let asked = progress_opt(ctx, a)?;
    let grants = data(ctx)?;
    let src = grants.lock().unwrap_or_else(|e| e.into_inner()).check(Path::new(&hp), false);
    let src = src.map_err(|m| denied(ctx, m, &hp))?;
    let pb = progress(host_size(&src), asked);
    let mut c = Counts::default();
    let r = copy_in_tree(ctx, &h.proc, &src, &kp.bytes, &mut c, &pb);
    pb.finish_and_clear();
    r?;
    Ok(c.to_js(ctx))
}

fn copy_in_tree(
    ctx: &mut Context,
    proc: &Proc,
    src: &Path,
    dst: &[u8],
    c: &mut Counts,
    pb: &indicatif::ProgressBar,
) -> JsResult<()> {
    use std::os::unix::fs::PermissionsExt;
    let m = std::fs::symlink_metadata(src).map_err(|e| io_err(ctx, e, "lstat", src))?;
    let kerr = |ctx: &mut Context, e: Errno, sc: &str, p: &[u8]| errno_error(ctx, e, sc, Some(&kshow(p)), None);
    let mode = m.permissions().mode() & 0o7777;
    if m.is_dir() {
        match proc.mkdir(dst, mode & 0o777 | 0o700) {
            Ok(()) | Err(Errno::EEXIST) => {}
            Err(e) => return Err(kerr(ctx, e, "mkdir", dst)),
        }
        c.dirs += 1;
        let mut names: Vec<_> = std::fs::read_dir(src)
            .map_err(|e| io_err(ctx, e, "scandir", src))?
            .flatten()
            .map(|e| e.file_name())
            .collect();
        names.sort();
        for n in names {
            use std::os::unix::ffi::OsStrExt;
            copy_in_tree(ctx, proc, &src.join(&n), &kjoin(dst, n.as_bytes()), c, pb)?;
        }
        let _ = proc.chmod(dst, mode);
    } else if m.file_type().is_symlink() {
        use std::os::unix::ffi::OsStrExt;
        let t = std::fs::read_link(src).map_err(|e| io_err(ctx, e, "readlink", src))?;
        proc.symlink(t.as_os_str().as_bytes(), dst).map_err(|e| kerr(ctx, e, "symlink", dst))?;
        c.links += 1;
    } else if m.is_file() {
        let mut f = std::fs::File::open(src).map_err(|e| io_err(ctx, e, "open", src))?;
        let fd = proc
            .open(dst, v::O_WRONLY | v::O_CREAT | v::O_TRUNC, mode & 0o777)
            .map_err(|e| kerr(ctx, e, "open", dst))?;
        let mut buf = vec![0u8; 1 << 20];
        let r: JsResult<()> = (|| loop {
            let n = f.read(&mut buf).map_err(|e| io_err(ctx, e, "read", src))?;
            if n == 0 {
                return Ok(());
            }
            let mut off = 0;
            while off < n {
                off += proc.write(fd, &buf[off..n]).map_err(|e| kerr(ctx, e, "write", dst))?;
            }
            c.bytes += n as u64;
            pb.inc(n as u64);
        })();
        let _ = proc.fchmod(fd, mode);
        let _ = proc.close(fd);
        r?;
        c.files += 1;
    }
    Ok(())
}

fn copy_out(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let h = kernel_bindings::host(ctx)?;
    let kp = path(ctx, &arg(a, 0), "kernelPath")?;
    let hp = string(ctx, &arg(a, 1), "hostPath")?;
    let asked = progress_opt(ctx, a)?;
    let grants = data(ctx)?;
    let dst = grants.lock().unwrap_or_else(|e| e.into_inner()).check(Path::new(&hp), false);
    let dst = dst.map_err(|m| denied(ctx, m, &hp))?;
    let total = kernel_size(&h.proc, &kp.bytes);
    let pb = progress(total, asked);
    let mut c = Counts::default();
    let r = copy_out_tree(ctx, &h.proc, &kp.bytes, &dst, &mut c, &pb);
    pb.finish_and_clear();
    r?;
    Ok(c.to_js(ctx))
}

fn kernel_size(proc: &Proc, p: &[u8]) -> u64 {
    match proc.lstat(p) {
        Ok(st) if st.mode & v::S_IFMT == v::S_IFDIR => proc
            .readdir_path(p)
            .map(|es| {
                es.iter()
                    .filter(|e| e.name != b"." && e.name != b"..")
                    .map(|e| kernel_size(proc, &kjoin(p, &e.name)))
                    .sum()
            })
            .unwrap_or(0),
        Ok(st) if st.mode & v::S_IFMT == v::S_IFREG => st.size,
        _ => 0,
    }
}

fn copy_out_tree(
    ctx: &mut Context,
    proc: &Proc,
    src: &[u8],
    dst: &Path,
    c: &mut Counts,
    pb: &indicatif::ProgressBar,
) -> JsResult<()> {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::PermissionsExt;
    let kerr = |ctx: &mut Context, e: Errno, sc: &str, p: &[u8]| errno_error(ctx, e, sc, Some(&kshow(p)), None);
    let st = proc.lstat(src).map_err(|e| kerr(ctx, e, "lstat", src))?;
    let perm = std::fs::Permissions::from_mode(st.mode & 0o777);
    match st.mode & v::S_IFMT {
        v::S_IFDIR => {
            match std::fs::create_dir(dst) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && dst.is_dir() => {}
                Err(e) => return Err(io_err(ctx, e, "mkdir", dst)),
            }
            c.dirs += 1;
            let ents = proc.readdir_path(src).map_err(|e| kerr(ctx, e, "scandir", src))?;
            for e in ents {
                if e.name == b"." || e.name == b".." {
                    continue;
                }
                let name = std::ffi::OsStr::from_bytes(&e.name);
                if Path::new(name).components().count() != 1 || e.name.contains(&b'/') {
                    continue;
                }
                copy_out_tree(ctx, proc, &kjoin(src, &e.name), &dst.join(name), c, pb)?;
            }
            let _ = std::fs::set_permissions(dst, std::fs::Permissions::from_mode((st.mode & 0o777) | 0o700));
        }
        v::S_IFLNK => {
            let t = proc.readlink(src).map_err(|e| kerr(ctx, e, "readlink", src))?;
            let _ = std::fs::remove_file(dst);
            std::os::unix::fs::symlink(std::ffi::OsStr::from_bytes(&t), dst)
                .map_err(|e| io_err(ctx, e, "symlink", dst))?;
            c.links += 1;
        }
        v::S_IFREG => {
            let fd = proc.open(src, v::O_RDONLY, 0).map_err(|e| kerr(ctx, e, "open", src))?;
            let r: JsResult<()> = (|| {
                let mut f = std::fs::File::create(dst).map_err(|e| io_err(ctx, e, "open", dst))?;
                let mut buf = vec![0u8; 1 << 20];
                loop {
                    let n = proc.read(fd, &mut buf).map_err(|e| kerr(ctx, e, "read", src))?;
                    if n == 0 {
                        break;
                    }
                    f.write_all(&buf[..n]).map_err(|e| io_err(ctx, e, "write", dst))?;
                    c.bytes += n as u64;
                    pb.inc(n as u64);
                }
                let _ = f.set_permissions(perm);
                Ok(())
            })();
            let _ = proc.close(fd);
            r?;
            c.files += 1;
        }
        _ => {} // devices, fifos and sockets stay in the kernel
    }
    Ok(())
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
