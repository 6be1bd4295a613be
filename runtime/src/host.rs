//! The host side of the hypercalls, and the permission model: host access is denied by default. A script
//! reaches host files only through images named on the command line (as block devices) and paths granted
//! with `--allow-host PATH` (`rump.mount({image})`, `rump.host.copyIn/copyOut`).

use boa_engine::object::builtins::JsArray;
use boa_engine::{js_string, Context, JsError, JsNativeError, JsObject, JsResult, JsString, JsValue};
use kernel::dev::Dev;
use kernel::hyper::{Hypervisor, StdHypervisor};
use kernel::vfs::Timespec;
use kernel::{Errno, KResult};
use kernel_bindings::args::{arg, opt, opt_bool, options, path, string};
use kernel_bindings::error::{coded, errno_error};
use kernel_bindings::{define, HostPolicy, Op};
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
    /// Why no host file may be written at all (a read-only `rumpjs serve`), when that is so.
    no_writes: Option<String>,
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

    /// Refuses every write to the host from now on, whatever is granted, saying `why`.
    pub fn forbid_writes(&mut self, why: &str) {
        self.no_writes = Some(why.to_string());
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
        if let (true, Some(why)) = (write, &self.no_writes) {
            return Err(format!("host access to '{}' denied: {why}", p.display()));
        }
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
fn stats_to_js(ctx: &mut Context, s: &crate::copy::Stats) -> JsValue {
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
fn report_skipped(s: &crate::copy::Stats) {
    for m in &s.skipped {
        crate::output::line(crate::output::Stream::Stderr, &format!("rumpjs: skipped {m}"));
    }
}

fn copy_in(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    use std::os::unix::ffi::OsStrExt;
    let h = kernel_bindings::host(ctx)?;
    let hp = string(ctx, &arg(a, 0), "hostPath")?;
    let kp = path(ctx, &arg(a, 1), "kernelPath")?;
    let asked = progress_opt(ctx, a)?;
    let grants = data(ctx)?;
    // Reading the host: a read-only grant is enough.
    let src = grants.lock().unwrap_or_else(|e| e.into_inner()).check_access(Path::new(&hp), false, false);
    let src = src.map_err(|m| denied(ctx, m, &hp))?;
    let s = crate::copy::copy_in(&h.proc, src.as_os_str().as_bytes(), &kp.bytes, asked)
        .map_err(|e| errno_error(ctx, e.errno, e.call, Some(&e.path), None))?;
    report_skipped(&s);
    Ok(stats_to_js(ctx, &s))
}

fn copy_out(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    use std::os::unix::ffi::OsStrExt;
    let h = kernel_bindings::host(ctx)?;
    let kp = path(ctx, &arg(a, 0), "kernelPath")?;
    let hp = string(ctx, &arg(a, 1), "hostPath")?;
    let asked = progress_opt(ctx, a)?;
    let grants = data(ctx)?;
    let dst = grants.lock().unwrap_or_else(|e| e.into_inner()).check(Path::new(&hp), false);
    let dst = dst.map_err(|m| denied(ctx, m, &hp))?;
    let s = crate::copy::copy_out(&h.proc, &kp.bytes, dst.as_os_str().as_bytes(), asked)
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
