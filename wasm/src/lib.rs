//! The rumpjs kernel as WebAssembly, for a web page or Node: the JavaScript engine running the module is
//! the hypervisor ([`host`]), images are JS objects read block by block, and the syscalls are one table
//! ([`sys::SYS`], the same rows as kernel-bindings' `rump.sys`). wasm/js/rumpjs.js builds the package's
//! API on this: `boot()`, `k.sys`, the Node-shaped `k.fs`, `k.mount`, `k.dmesg`.

pub mod args;
pub mod convert;
pub mod host;
pub mod sys;

use args::{Args, JsResult};
use js_sys::{Array, Object, Reflect};
use kernel::dev::{Dev, OverlayDevice};
use kernel::vfs::{self, Cred, MountOptions, MountStage, Proc};
use kernel::{Errno, Kernel};
use std::sync::Arc;
use wasm_bindgen::prelude::*;

/// A booted kernel and its one process.
#[wasm_bindgen]
pub struct Rump {
    kernel: Arc<Kernel>,
    proc: Arc<Proc>,
}

#[wasm_bindgen]
impl Rump {
    /// Boots a kernel as the CLI does: rumpfs root, tmpfs on /tmp, kernfs on /kern. `console` routes its
    /// console lines (host.js's table of callbacks).
    #[wasm_bindgen(constructor)]
    pub fn new(console: u32) -> JsResult<Rump> {
        let hyper = Arc::new(host::JsHypervisor { id: console });
        let kernel = Kernel::boot_default(hyper).map_err(|e| host::errno_error(e, "boot", None, None))?;
        let proc = Arc::new(kernel.new_proc(Cred::root()));
        for (ty, dir) in [("tmpfs", "/tmp"), ("kernfs", "/kern")] {
            proc.mkdir(dir.as_bytes(), 0o755).map_err(|e| host::errno_error(e, "mkdir", Some(dir), None))?;
            proc.mount(ty, dir.as_bytes(), 0, None, &MountOptions::default())
                .map_err(|e| host::errno_error(e, "mount", Some(dir), None))?;
        }
        Ok(Rump { kernel, proc })
    }

    /// Syscall `index` of [`sys::SYS`] with `args`.
    pub fn syscall(&self, index: usize, args: Box<[JsValue]>) -> JsResult<JsValue> {
        let op = sys::SYS.get(index).ok_or_else(|| host::errno_error(Errno::ENOSYS, "syscall", None, None))?;
        (op.f)(&self.proc, &Args(&args))
    }

    /// mount(2) of `fstype` on `dir` without an image (tmpfs, kernfs, or `spec`: a kernel device), as
    /// `rump.mount` without `image`; `options` are the file system's.
    pub fn mount(
        &self,
        fstype: &str,
        dir: &str,
        readonly: bool,
        spec: Option<String>,
        options: JsValue,
    ) -> JsResult<()> {
        let opts = convert::mount_opts(&options, "options", &[])?;
        let mopts = MountOptions { readonly, force: false, opts };
        let flags = if readonly { vfs::MNT_RDONLY } else { 0 };
        self.proc
            .mount_why(fstype, dir.as_bytes(), flags, spec.as_deref(), &mopts)
            .map_err(|e| mount_error(&e, fstype, dir))
    }

    /// Mounts the device `handle` of host.js's table (`size` bytes, `label` in logs and `mounts()`) on
    /// `dir`: read-only, or on a copy-on-write overlay in memory, or writable; `options` are the file
    /// system's (`partition`, ...). As `rump.mount({image})`: a failure says which errno and why.
    #[allow(clippy::too_many_arguments)]
    pub fn mount_image(
        &self,
        fstype: &str,
        dir: &str,
        handle: u32,
        size: f64,
        label: String,
        readonly: bool,
        overlay: bool,
        options: JsValue,
    ) -> JsResult<String> {
        if !(size.is_finite() && size >= 0.0 && size <= args::MAX_SAFE as f64) {
            return Err(args::out_of_range("size", "a byte count", &JsValue::from_f64(size)));
        }
        let opts = convert::mount_opts(&options, "options", &[])?;
        let base: Dev = Arc::new(host::JsDevice { handle, size: size as u64, readonly: readonly || overlay, label });
        let dev: Dev = if overlay && !readonly { Arc::new(OverlayDevice::new(base)) } else { base };
        let mopts = MountOptions { readonly, force: false, opts };
        let flags = if readonly { vfs::MNT_RDONLY } else { 0 };
        self.proc.mount_device(fstype, dir.as_bytes(), flags, dev, &mopts).map_err(|e| mount_error(&e, fstype, dir))
    }

    /// unmount(2) of `dir`, and the image's device goes with its last mount.
    pub fn unmount(&self, dir: &str, force: bool) -> JsResult<()> {
        let flags = if force { vfs::MNT_FORCE } else { 0 };
        self.proc.unmount_device(dir.as_bytes(), flags).map_err(|e| host::errno_error(e, "unmount", Some(dir), None))
    }

    /// `[{type, on, from, readonly, flags, fsid}]`, in mount order.
    pub fn mounts(&self) -> JsResult<JsValue> {
        let out = Array::new();
        for m in self.kernel.mounts().iter().filter(|m| !m.is_dead()) {
            out.push(&convert::plain(&[
                ("type", m.fstype.as_str().into()),
                ("on", m.on.as_str().into()),
                ("from", m.from.as_str().into()),
                ("readonly", m.is_rdonly().into()),
                ("flags", (m.flags() as f64).into()),
                ("fsid", (m.fsid as f64).into()),
            ])?);
        }
        Ok(out.into())
    }

    /// The kernel message buffer.
    pub fn dmesg(&self) -> String {
        self.kernel.state.msgbuf()
    }

    /// What the file system holding `path` says about itself (FileSystem::info), as `rump.info`: for
    /// FFS the superblock's geometry, counts, clean flag, byte order and cache; as fields and as text.
    pub fn info(&self, path: &str) -> JsResult<JsValue> {
        let st = self.proc.statvfs(path.as_bytes()).map_err(|e| host::errno_error(e, "statvfs", Some(path), None))?;
        let Some(m) = self.kernel.mounts().into_iter().find(|m| m.fsid == st.fsid && !m.is_dead()) else {
            return Err(host::errno_error(Errno::ENOENT, "statvfs", Some(path), None));
        };
        let pairs = m.fs.info();
        let w = pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        let mut text = format!("{} on {} ({})\n", m.from, m.on, m.fstype);
        let fields = Object::new();
        for (k, v) in &pairs {
            text.push_str(&format!("  {k:<w$}  {v}\n"));
            Reflect::set(&fields, &k.as_str().into(), &v.as_str().into())?;
        }
        convert::plain(&[
            ("type", m.fstype.as_str().into()),
            ("on", m.on.as_str().into()),
            ("from", m.from.as_str().into()),
            ("text", text.into()),
            ("fields", fields.into()),
        ])
    }

    /// File-system types the kernel has.
    pub fn fstypes(&self) -> Vec<String> {
        self.kernel.fstypes().into_iter().map(String::from).collect()
    }
}

/// A failed mount as `rump.mount` reports it: the errno, and why in the message (what the file system
/// logged while it tried) and in `reason`.
fn mount_error(e: &vfs::MountError, fstype: &str, dir: &str) -> JsValue {
    let err = host::errno_error(e.errno, "mount", Some(dir), None);
    let why = match e.errno {
        Errno::EOPNOTSUPP => Some(format!("{fstype} cannot be mounted by this kernel yet")),
        _ => e.reason.clone(),
    };
    if let Some(why) = why.filter(|_| e.stage == MountStage::Mount) {
        let m = format!("{}: {}, mount '{dir}' ({why})", e.errno.name(), e.errno.message());
        let _ = Reflect::set(&err, &"message".into(), &m.into());
        if let Some(r) = &e.reason {
            let _ = Reflect::set(&err, &"reason".into(), &r.into());
        }
    }
    err
}

/// The syscall table: `[{name, length, sig}]`, index = the `index` of [`Rump::syscall`].
#[wasm_bindgen]
pub fn syscall_table() -> JsResult<JsValue> {
    let out = Array::new();
    for op in sys::SYS {
        out.push(&convert::plain(&[
            ("name", op.name.into()),
            ("length", (op.length as f64).into()),
            ("sig", op.sig.into()),
        ])?);
    }
    Ok(out.into())
}

/// `{O_RDONLY: 0, …, ENOENT: 2, …}`, as `rump.constants`.
#[wasm_bindgen]
pub fn constants() -> JsResult<JsValue> {
    let o = Object::new();
    for (k, v) in convert::constants() {
        Reflect::set(&o, &k.into(), &v.into())?;
    }
    Ok(o.into())
}

/// The names of `Stats`' fields, in the order host.js's `host_stats` receives them.
#[wasm_bindgen]
pub fn stat_fields() -> Vec<String> {
    convert::STAT_FIELDS.iter().map(|s| s.to_string()).collect()
}

/// The kernel's version string (`uname -v`).
#[wasm_bindgen]
pub fn version() -> String {
    vfs::VERSION.to_string()
}

/// SHA-256, as the CLI's `crypto.createHash('sha256')` computes it (the same sha2 crate): the page's
/// console needs it synchronously, which the browser's `crypto.subtle` is not.
#[wasm_bindgen]
#[derive(Default)]
pub struct Sha256(sha2::Sha256);

#[wasm_bindgen]
impl Sha256 {
    #[wasm_bindgen(constructor)]
    pub fn new() -> Sha256 {
        Sha256::default()
    }

    pub fn update(&mut self, bytes: &[u8]) {
        sha2::Digest::update(&mut self.0, bytes);
    }

    /// The 32-byte digest (the hasher is used up).
    pub fn digest(self) -> Vec<u8> {
        sha2::Digest::finalize(self.0).to_vec()
    }
}
