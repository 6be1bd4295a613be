//! The `rump` object: `rump.sys`, mounting with host images, credentials, the kernel log, constants.

use crate::args::{self, arg, opt, options, path, string};
use crate::convert::{jstr, plain};
use crate::error::{coded, errno_error, invalid_arg_type, invalid_arg_value, KResultExt, PathResultExt};
use crate::sys::mount_opts;
use crate::{define, host, Op};
use boa_engine::object::builtins::JsArray;
use boa_engine::{Context, JsNativeError, JsObject, JsResult, JsString, JsValue};
use kernel::vfs::{self, Cred, MountOptions};
use kernel::Errno;

type R = JsResult<JsValue>;

/// `rump.<name>` functions (besides `rump.sys`).
pub static RUMP: &[Op] = &[
    Op {
        name: "mount",
        length: 3,
        f: mount,
        sig: "mount(type, dir, {image, readonly, overlay, overlayFile, partition, spec, ...fs options})",
    },
    Op { name: "unmount", length: 1, f: unmount, sig: "unmount(dir, {force})" },
    Op { name: "mounts", length: 0, f: mounts, sig: "mounts() → [{type, on, from, readonly, flags}]" },
    Op { name: "setCredentials", length: 1, f: set_credentials, sig: "setCredentials({uid, gid, groups})" },
    Op { name: "getCredentials", length: 0, f: get_credentials, sig: "getCredentials() → {uid, gid, groups}" },
    Op { name: "dmesg", length: 0, f: dmesg, sig: "dmesg() → the kernel message buffer" },
    Op {
        name: "info",
        length: 1,
        f: info,
        sig:
            "info(path) → {type, on, from, text, fields} of the file system holding path (FFS: the superblock's facts)",
    },
    Op { name: "fstypes", length: 0, f: fstypes, sig: "fstypes() → file-system types the kernel has" },
    Op {
        name: "signatures",
        length: 0,
        f: signatures,
        sig: "signatures() → {'fs.readFileSync': 'readFileSync(…)', …}",
    },
];

/// Every native binding's signature, keyed by its JS path (`fs.promises` names drop `Sync`).
fn signatures(_: &JsValue, _a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let o = JsObject::with_object_proto(ctx.intrinsics());
    for (path, ops) in h.tables.borrow().iter() {
        for op in ops.iter() {
            // fs.promises.<name> and the callback API fs.<name> drop the Sync suffix.
            let (obj, name, sig) = if path == "fs.promises" || path == "fs (callbacks)" {
                let (Some(n), Some((a, b))) = (op.name.strip_suffix("Sync"), op.sig.split_once("Sync")) else {
                    continue;
                };
                if n == "exists" {
                    continue;
                }
                if path == "fs.promises" && n == "open" {
                    ("fs.promises", n.to_string(), format!("{a}{}", b.replace("→ fd", "→ FileHandle")))
                } else if path == "fs.promises" {
                    ("fs.promises", n.to_string(), format!("{a}{b}"))
                } else {
                    let b = b.replacen(')', ", (err, value) => …)", 1).replacen("(, ", "(", 1);
                    ("fs", n.to_string(), format!("{a}{b}"))
                }
            } else {
                (path.as_str(), op.name.to_string(), op.sig.to_string())
            };
            define(&o, &format!("{obj}.{name}"), JsString::from(sig.as_str()).into());
        }
    }
    Ok(o.into())
}

pub(crate) fn build(ctx: &mut Context, sys: JsObject) -> JsResult<JsObject> {
    let rump = crate::table(ctx, RUMP);
    define(&rump, "sys", sys.into());
    let c = constants(ctx);
    // Constants on rump itself (rump.O_RDONLY) and grouped (rump.constants.O_RDONLY).
    for k in c.own_property_keys(ctx)? {
        let v = c.get(k.clone(), ctx)?;
        rump.insert_property(
            k,
            boa_engine::property::PropertyDescriptor::builder()
                .value(v)
                .writable(false)
                .enumerable(true)
                .configurable(false),
        );
    }
    define(&rump, "constants", c.into());
    let h = host(ctx)?;
    define(&rump, "Stats", h.protos.classes.get(JsString::from("Stats"), ctx)?);
    define(&rump, "version", JsString::from(vfs::VERSION).into());
    Ok(rump)
}

/// O_*, S_IF*, AT_*, F_*, MNT_*, DT_*, SEEK_*, *_OK, UF_/SF_ flags and every errno name → number
/// (the kernel's table, [`kernel::vfs::named_constants`]).
pub fn constants(ctx: &mut Context) -> JsObject {
    let o = JsObject::with_object_proto(ctx.intrinsics());
    for (k, v) in kernel::vfs::named_constants() {
        define(&o, k, JsValue::from(v));
    }
    o
}

/// `rump.mount(type, dir, options)`: mounts a file system; `image` names a host file (checked against
/// the host policy) registered as a block device, `readonly`, `partition` and the rest become mount
/// options; `spec` names an existing kernel device instead of an image.
fn mount(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let ty = string(ctx, &arg(a, 0), "type")?;
    let dir = path(ctx, &arg(a, 1), "dir")?;
    let o = options(ctx, &arg(a, 2), "options")?;
    let ov_image = opt(ctx, &o, "image")?;
    let image = args::opt_string(ctx, &ov_image, "options.image")?;
    let readonly = args::opt_bool(ctx, &o, "readonly", false)?;
    let force = args::opt_bool(ctx, &o, "force", false)?;
    // A writable copy-on-write view of the image: writes stay in memory, the host file is never written.
    let overlay = args::opt_bool(ctx, &o, "overlay", false)?;
    // ... with its changes kept in a host file too (granted for writing), as --overlay-file.
    let ov_file = opt(ctx, &o, "overlayFile")?;
    let overlay_file = args::opt_string(ctx, &ov_file, "options.overlayFile")?;
    let overlay = overlay || overlay_file.is_some();
    let ov_spec = opt(ctx, &o, "spec")?;
    let spec = args::opt_string(ctx, &ov_spec, "options.spec")?;
    let ov_newfs = opt(ctx, &o, "newfs")?;
    let ours = ["image", "readonly", "force", "spec", "overlay", "overlayFile", "newfs"];
    let fsopts = mount_opts(ctx, &arg(a, 2), "options", &ours)?;
    let mut flags = 0;
    if readonly {
        flags |= vfs::MNT_RDONLY;
    }
    let mopts = MountOptions { readonly, force, opts: fsopts };
    let k = h.proc.kernel().clone();
    let denied = |ctx: &mut Context, m: String, p: &str| {
        let e = coded(ctx, JsNativeError::error(), "ERR_ACCESS_DENIED", m);
        if let Some(o) = e.as_opaque().and_then(|v| v.as_object()) {
            let _ = o.create_data_property_or_throw(JsString::from("path"), JsString::from(p), ctx);
        }
        e
    };
    let r = match (image, spec) {
        _ if !ov_newfs.is_undefined() => {
            let dev = newfs_device(ctx, &k, &ov_newfs)?;
            h.proc.mount_device(&ty, &dir.bytes, flags, dev, &mopts).map(|_| ())
        }
        (Some(img), _) => {
            let grant = h.policy.image(&img, !readonly && !overlay).map_err(|m| denied(ctx, m, &img))?;
            if grant.overlay && !overlay && !readonly {
                k.log(&format!("{img}: mounted on a copy-on-write overlay (this session writes no image)"));
            }
            let overlay = match &overlay_file {
                Some(f) if !readonly => vfs::Overlay::File(
                    h.policy.host_file(f).map_err(|m| denied(ctx, m, f))?.to_string_lossy().into_owned(),
                ),
                _ if overlay || grant.overlay => vfs::Overlay::Memory,
                _ => vfs::Overlay::None,
            };
            let path = grant.path.to_string_lossy().into_owned();
            let image = vfs::Image { path: &path, readonly, overlay };
            match h.proc.attach_image(&ty, &dir.bytes, &image, &mopts) {
                Err(e) if e.stage == vfs::MountStage::Image => {
                    return Err(errno_error(ctx, e.errno, "open", Some(&img), None))
                }
                Err(e) if e.stage == vfs::MountStage::OverlayFile => {
                    let m = e.reason.unwrap_or_else(|| format!("{}: {}", overlay_file.unwrap_or_default(), e.errno));
                    return Err(coded(ctx, JsNativeError::error(), "ERR_INVALID_OVERLAY_FILE", m));
                }
                r => r.map(|_| ()),
            }
        }
        (None, s) => h.proc.mount_why(&ty, &dir.bytes, flags, s.as_deref(), &mopts),
    };
    if let Err(e) = r {
        let msg_path = dir.show();
        let err = errno_error(ctx, e.errno, "mount", Some(&msg_path), None);
        let why = match e.errno {
            Errno::EOPNOTSUPP => Some(format!("{ty} cannot be mounted by this kernel yet")),
            _ => e.reason.clone(),
        };
        if let (Some(why), Some(o)) = (why, err.as_opaque().and_then(|v| v.as_object())) {
            let m = format!("{}: {}, mount '{msg_path}' ({why})", e.errno.name(), e.errno.message());
            let _ = o.set(JsString::from("message"), JsString::from(m.as_str()), false, ctx);
            if let Some(r) = &e.reason {
                let _ = o.set(JsString::from("reason"), JsString::from(r.as_str()), false, ctx);
            }
        }
        return Err(err);
    }
    Ok(JsValue::undefined())
}

/// Largest file system `options.newfs` makes (it lives in memory).
const NEWFS_MAX: u64 = 4 << 30;

/// `options.newfs` of `rump.mount('ffs', …)`: a fresh FFS made in memory, as NetBSD's md(4) and
/// newfs(8) make one — `size` (bytes, or newfs's suffixes: '16m'), `version` 1 or 2 (2), `byteOrder`
/// 'le' or 'be' ('le'), `bsize`, `fsize`, `density`, `volname`; newfs's defaults for what is not given.
fn newfs_device(ctx: &mut Context, k: &std::sync::Arc<kernel::Kernel>, v: &JsValue) -> JsResult<kernel::dev::Dev> {
    use kernel::fs::ffs::{endian::ByteOrder, newfs};
    let o = options(ctx, v, "options.newfs")?;
    let sv = opt(ctx, &o, "size")?;
    let size = match sv.as_string() {
        Some(s) => vfs::parse_size(&s.to_std_string_escaped())
            .ok_or_else(|| invalid_arg_value(ctx, "options.newfs.size", "is not a size (bytes, 16k, 64m, 2g)", &sv))?,
        None => args::int(ctx, &sv, "options.newfs.size", 1, NEWFS_MAX as i64)? as u64,
    };
    if size > NEWFS_MAX {
        return Err(invalid_arg_value(ctx, "options.newfs.size", "is over 4 GiB", &sv));
    }
    let mut opts = newfs::NewfsOptions::default();
    let version = opt(ctx, &o, "version")?;
    opts.ufs = args::int_or(ctx, &version, "options.newfs.version", 1, 2, 2)? as u8;
    let order = opt(ctx, &o, "byteOrder")?;
    opts.order = match args::opt_string(ctx, &order, "options.newfs.byteOrder")?.as_deref() {
        None | Some("le") => ByteOrder::Little,
        Some("be") => ByteOrder::Big,
        Some(_) => return Err(invalid_arg_value(ctx, "options.newfs.byteOrder", "is not 'le' or 'be'", &order)),
    };
    for (key, field) in [("bsize", &mut opts.bsize), ("fsize", &mut opts.fsize), ("density", &mut opts.density)] {
        let v = opt(ctx, &o, key)?;
        if !v.is_undefined() {
            *field = args::u32_arg(ctx, &v, key, false)?;
        }
    }
    let vol = opt(ctx, &o, "volname")?;
    if let Some(n) = args::opt_string(ctx, &vol, "options.newfs.volname")? {
        opts.volname = n;
    }
    if let Err(why) = newfs::check(&opts, size) {
        return Err(invalid_arg_value(ctx, "options.newfs", &why, v));
    }
    let dev = kernel::dev::MemDevice::zeroed(size as usize);
    newfs::newfs(&dev, &opts, k.hyper().as_ref()).js(ctx, "newfs", None)?;
    Ok(std::sync::Arc::new(dev))
}

/// `rump.unmount(dir, { force })`: unmount(2), and an image's device goes with its mount.
fn unmount(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let dir = path(ctx, &arg(a, 0), "dir")?;
    let o = options(ctx, &arg(a, 1), "options")?;
    let force = args::opt_bool(ctx, &o, "force", false)?;
    h.proc.unmount_device(&dir.bytes, if force { vfs::MNT_FORCE } else { 0 }).jp(ctx, "unmount", &dir)?;
    Ok(JsValue::undefined())
}

fn mounts(_: &JsValue, _a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let list: Vec<JsValue> = h
        .proc
        .kernel()
        .mounts()
        .iter()
        .filter(|m| !m.is_dead())
        .map(|m| {
            let mut v = identity(m);
            v.extend([
                ("readonly", JsValue::from(m.is_rdonly())),
                ("flags", JsValue::from(m.flags() as f64)),
                ("fsid", JsValue::from(m.fsid as f64)),
            ]);
            plain(ctx, v)
        })
        .collect();
    Ok(JsArray::from_iter(list, ctx).into())
}

fn set_credentials(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let Some(o) = options(ctx, &arg(a, 0), "credentials")? else {
        return Err(invalid_arg_type(ctx, "credentials", "of type object", &arg(a, 0)));
    };
    let o = Some(o);
    let ov_uid = opt(ctx, &o, "uid")?;
    let uid = args::u32_arg(ctx, &ov_uid, "credentials.uid", false)?;
    let gv = opt(ctx, &o, "gid")?;
    let gid = if gv.is_undefined() { uid } else { args::u32_arg(ctx, &gv, "credentials.gid", false)? };
    let gs = opt(ctx, &o, "groups")?;
    let mut groups = vec![gid];
    if !gs.is_undefined() {
        let Some(arr) = gs.as_object().filter(|a| a.is_array()) else {
            return Err(invalid_arg_type(ctx, "credentials.groups", "an Array of numbers", &gs));
        };
        let n = arr.get(JsString::from("length"), ctx)?.to_length(ctx)?;
        if n > vfs::NGROUPS_MAX as u64 {
            return Err(crate::error::errno_error(ctx, Errno::EINVAL, "setgroups", None, None));
        }
        groups.clear();
        for i in 0..n {
            let v = arr.get(i, ctx)?;
            groups.push(args::u32_arg(ctx, &v, "credentials.groups[]", false)?);
        }
    }
    h.proc.setcred(Cred { uid, gid, groups }).js(ctx, "setgroups", None)?;
    Ok(JsValue::undefined())
}

fn get_credentials(_: &JsValue, _a: &[JsValue], ctx: &mut Context) -> R {
    let c = host(ctx)?.proc.getcred();
    let groups = JsArray::from_iter(c.groups.into_iter().map(JsValue::from), ctx);
    Ok(plain(ctx, vec![("uid", c.uid.into()), ("gid", c.gid.into()), ("groups", groups.into())]))
}

fn dmesg(_: &JsValue, _a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    Ok(JsString::from(h.proc.kernel().state.msgbuf().as_str()).into())
}

/// What the file system holding `path` says about itself (FileSystem::info): for FFS the superblock's
/// geometry, counts, clean flag, byte order and cache; as fields and as aligned text.
fn info(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = path(ctx, &arg(a, 0), "path")?;
    let st = h.proc.statvfs(&p.bytes).jp(ctx, "statvfs", &p)?;
    let Some(m) = h.proc.kernel().mounts().into_iter().find(|m| m.fsid == st.fsid && !m.is_dead()) else {
        return Err(crate::error::errno_error(ctx, Errno::ENOENT, "statvfs", Some(&p.show()), None));
    };
    let pairs = m.fs.info();
    let w = pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut text = format!("{} on {} ({})\n", m.from, m.on, m.fstype);
    for (k, v) in &pairs {
        text.push_str(&format!("  {k:<w$}  {v}\n"));
    }
    let fields = JsObject::with_object_proto(ctx.intrinsics());
    for (k, v) in &pairs {
        fields.create_data_property_or_throw(JsString::from(k.as_str()), JsString::from(v.as_str()), ctx)?;
    }
    let mut v = identity(&m);
    v.extend([("text", jstr(&text)), ("fields", fields.into())]);
    Ok(plain(ctx, v))
}

/// What names a mount in `mounts()` and `info()`: its type, where it is, and what is mounted.
fn identity(m: &vfs::Mount) -> Vec<(&'static str, JsValue)> {
    vec![("type", jstr(&m.fstype)), ("on", jstr(&m.on)), ("from", jstr(&m.from))]
}

fn fstypes(_: &JsValue, _a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let t: Vec<JsValue> = h.proc.kernel().fstypes().into_iter().map(|s| JsString::from(s).into()).collect();
    Ok(JsArray::from_iter(t, ctx).into())
}
