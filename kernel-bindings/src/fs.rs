//! Node's `fs`, natively, on the kernel's `Proc` calls: the synchronous API, and `fs.promises` generated
//! from the same table. Arguments go through [`crate::args`], errors through [`crate::error`].

use crate::args::{self, arg, fd, int, int_or, opt, opt_bool, options, path, BufView, PathArg, MAX_SAFE};
use crate::convert::{self, alloc, bytes_str, uint8array};
use crate::copy::{self, CopyError, CpRules, KernelFs, Refusal};
use crate::encodings::{decode, encode, encoding, Enc};
use crate::error::{coded, errno_error, invalid_arg_type, invalid_arg_value, KResultExt, PathResultExt};
use crate::{define, host, KernelHost};
use boa_engine::object::builtins::{AlignedVec, JsArray, JsPromise};
use boa_engine::object::FunctionObjectBuilder;
use boa_engine::{Context, JsError, JsNativeError, JsObject, JsResult, JsString, JsValue, NativeFunction};
use kernel::vfs::{self as v, Proc, UtimeSpec};
use kernel::Errno;

type R = JsResult<JsValue>;

crate::ops! {
    /// The `fs` table; `fs.promises.<name without Sync>` is generated from it.
    pub static FS;
    "readFileSync", 2, read_file_sync, "readFileSync(path | fd, encoding | {encoding, flag}) → Uint8Array | string";
    "writeFileSync", 3, write_file_sync, "writeFileSync(path | fd, data, encoding | {encoding, mode, flag})";
    "appendFileSync", 3, append_file_sync, "appendFileSync(path | fd, data, encoding | {encoding, mode, flag})";
    "readdirSync", 2, readdir_sync, "readdirSync(path, {withFileTypes, recursive, encoding}) → [name | Dirent]";
    "statSync", 2, stat_sync, "statSync(path, {throwIfNoEntry, bigint}) → Stats";
    "lstatSync", 2, lstat_sync, "lstatSync(path, {throwIfNoEntry, bigint}) → Stats";
    "fstatSync", 2, fstat_sync, "fstatSync(fd, {bigint}) → Stats";
    "existsSync", 1, exists_sync, "existsSync(path) → boolean";
    "accessSync", 2, access_sync, "accessSync(path, mode = F_OK)";
    "mkdirSync", 2, mkdir_sync, "mkdirSync(path, mode | {recursive, mode}) → first created (recursive)";
    "mkdtempSync", 1, mkdtemp_sync, "mkdtempSync(prefix) → path";
    "rmSync", 2, rm_sync, "rmSync(path, {recursive, force})";
    "rmdirSync", 2, rmdir_sync, "rmdirSync(path, {recursive})";
    "unlinkSync", 1, unlink_sync, "unlinkSync(path)";
    "renameSync", 2, rename_sync, "renameSync(oldPath, newPath)";
    "linkSync", 2, link_sync, "linkSync(existingPath, newPath)";
    "symlinkSync", 3, symlink_sync, "symlinkSync(target, path)";
    "readlinkSync", 2, readlink_sync, "readlinkSync(path) → string";
    "realpathSync", 2, realpath_sync, "realpathSync(path) → string";
    "chmodSync", 2, chmod_sync, "chmodSync(path, mode)";
    "lchmodSync", 2, lchmod_sync, "lchmodSync(path, mode)";
    "fchmodSync", 2, fchmod_sync, "fchmodSync(fd, mode)";
    "chownSync", 3, chown_sync, "chownSync(path, uid, gid)";
    "lchownSync", 3, lchown_sync, "lchownSync(path, uid, gid)";
    "fchownSync", 3, fchown_sync, "fchownSync(fd, uid, gid)";
    "utimesSync", 3, utimes_sync, "utimesSync(path, atime, mtime)  (seconds, Date or numeric string)";
    "lutimesSync", 3, lutimes_sync, "lutimesSync(path, atime, mtime)";
    "futimesSync", 3, futimes_sync, "futimesSync(fd, atime, mtime)";
    "truncateSync", 2, truncate_sync, "truncateSync(path, len = 0)";
    "ftruncateSync", 2, ftruncate_sync, "ftruncateSync(fd, len = 0)";
    "openSync", 3, open_sync, "openSync(path, flags = 'r', mode = 0o666) → fd";
    "closeSync", 1, close_sync, "closeSync(fd)";
    "readSync", 5, read_sync, "readSync(fd, buffer, offset, length, position) → bytes read";
    "writeSync", 5, write_sync, "writeSync(fd, buffer, offset, length, position) | (fd, string, position, encoding)";
    "fsyncSync", 1, fsync_sync, "fsyncSync(fd)";
    "fdatasyncSync", 1, fsync_sync, "fdatasyncSync(fd)";
    "copyFileSync", 3, copy_file_sync, "copyFileSync(src, dest, mode = 0)  (COPYFILE_EXCL)";
    "cpSync", 3, cp_sync, "cpSync(src, dest, {recursive, force, errorOnExist, dereference, preserveTimestamps, filter})";
    "statfsSync", 2, statfs_sync, "statfsSync(path) → StatFs";
}

/// Node's limit on one buffer (kIoMaxLength): bigger files are ERR_FS_FILE_TOO_LARGE.
pub const IO_MAX: u64 = (1 << 31) - 1;
/// Node's fs.constants.COPYFILE_EXCL.
const COPYFILE_EXCL: i64 = 1;

pub(crate) fn build(ctx: &mut Context) -> JsResult<JsObject> {
    let fs = crate::table(ctx, FS);
    let promises = JsObject::with_object_proto(ctx.intrinsics());
    for op in FS {
        let Some(name) = op.name.strip_suffix("Sync") else { continue };
        if name == "exists" {
            continue;
        }
        let f = op.f;
        let nf = NativeFunction::from_copy_closure(move |this, a, ctx| {
            let p = match f(this, a, ctx) {
                Ok(v) => JsPromise::resolve(v, ctx)?,
                Err(e) => JsPromise::reject(e, ctx)?,
            };
            Ok(p.into())
        });
        let func = FunctionObjectBuilder::new(ctx.realm(), nf).name(JsString::from(name)).length(op.length).build();
        define(&promises, name, func.into());
    }
    define(&fs, "promises", promises.into());
    // fs.promises.open resolves to Node's FileHandle (filehandle.js), not a bare descriptor.
    let install = ctx.eval(boa_engine::Source::from_bytes(include_str!("filehandle.js")))?;
    if let Some(f) = install.as_callable() {
        f.call(&JsValue::undefined(), &[fs.clone().into()], ctx)?;
    }
    // Node's callback API, from the same table: fs.readFile(path, options, (err, value) => …).
    for op in FS {
        let Some(name) = op.name.strip_suffix("Sync") else { continue };
        if name == "exists" {
            continue;
        }
        let f = op.f;
        let nf = NativeFunction::from_copy_closure(move |this, a, ctx| {
            let cb = a.last().and_then(|v| v.as_function());
            let Some(cb) = cb else {
                return Err(invalid_arg_type(ctx, "cb", "of type function", &a.last().cloned().unwrap_or_default()));
            };
            let (err, val) = match f(this, &a[..a.len() - 1], ctx) {
                Ok(v) => (JsValue::null(), v),
                Err(e) => (e.into_opaque(ctx)?, JsValue::undefined()),
            };
            let job = boa_engine::job::PromiseJob::new(move |ctx| cb.call(&JsValue::undefined(), &[err, val], ctx));
            ctx.enqueue_job(job.into());
            Ok(JsValue::undefined())
        });
        let func = FunctionObjectBuilder::new(ctx.realm(), nf).name(JsString::from(name)).length(op.length + 1).build();
        define(&fs, name, func.into());
    }
    let h = host(ctx)?;
    for c in ["Stats", "Dirent", "StatFs"] {
        let v = h.protos.classes.get(JsString::from(c), ctx)?;
        define(&fs, c, v);
    }
    let consts = node_constants(ctx);
    for k in ["F_OK", "R_OK", "W_OK", "X_OK"] {
        let val = consts.get(JsString::from(k), ctx)?;
        define(&fs, k, val);
    }
    define(&fs, "constants", consts.into());
    Ok(fs)
}

/// `fs.constants`: Node's names with the kernel's (NetBSD's) values.
fn node_constants(ctx: &mut Context) -> JsObject {
    let o = JsObject::with_object_proto(ctx.intrinsics());
    let pairs: &[(&str, u32)] = &[
        ("F_OK", v::F_OK),
        ("R_OK", v::R_OK),
        ("W_OK", v::W_OK),
        ("X_OK", v::X_OK),
        ("COPYFILE_EXCL", 1),
        ("COPYFILE_FICLONE", 2),
        ("COPYFILE_FICLONE_FORCE", 4),
        ("O_RDONLY", v::O_RDONLY),
        ("O_WRONLY", v::O_WRONLY),
        ("O_RDWR", v::O_RDWR),
        ("O_CREAT", v::O_CREAT),
        ("O_EXCL", v::O_EXCL),
        ("O_NOCTTY", v::O_NOCTTY),
        ("O_TRUNC", v::O_TRUNC),
        ("O_APPEND", v::O_APPEND),
        ("O_DIRECTORY", v::O_DIRECTORY),
        ("O_NOFOLLOW", v::O_NOFOLLOW),
        ("O_SYNC", v::O_SYNC),
        ("O_DSYNC", v::O_DSYNC),
        ("O_NONBLOCK", v::O_NONBLOCK),
        ("O_DIRECT", v::O_DIRECT),
        ("S_IFMT", v::S_IFMT),
        ("S_IFREG", v::S_IFREG),
        ("S_IFDIR", v::S_IFDIR),
        ("S_IFCHR", v::S_IFCHR),
        ("S_IFBLK", v::S_IFBLK),
        ("S_IFIFO", v::S_IFIFO),
        ("S_IFLNK", v::S_IFLNK),
        ("S_IFSOCK", v::S_IFSOCK),
        ("S_IRWXU", 0o700),
        ("S_IRUSR", 0o400),
        ("S_IWUSR", 0o200),
        ("S_IXUSR", 0o100),
        ("S_IRWXG", 0o070),
        ("S_IRGRP", 0o040),
        ("S_IWGRP", 0o020),
        ("S_IXGRP", 0o010),
        ("S_IRWXO", 0o007),
        ("S_IROTH", 0o004),
        ("S_IWOTH", 0o002),
        ("S_IXOTH", 0o001),
        ("UV_FS_O_FILEMAP", 0),
    ];
    for (k, val) in pairs {
        define(&o, k, JsValue::from(*val));
    }
    o
}

// ---------------------------------------------------------------- helpers

/// Node's flag strings ('r', 'w+', 'ax', ...) or a number.
fn open_flags(ctx: &mut Context, val: &JsValue, def: u32) -> JsResult<u32> {
    if val.is_null_or_undefined() {
        return Ok(def);
    }
    if val.is_number() {
        return Ok(int(ctx, val, "flags", 0, u32::MAX as i64)? as u32);
    }
    let Some(s) = val.as_string() else {
        return Err(invalid_arg_type(ctx, "flags", "of type string or number", val));
    };
    use v::{
        O_APPEND as A, O_CREAT as C, O_EXCL as X, O_RDONLY, O_RDWR as RW, O_SYNC as S, O_TRUNC as T, O_WRONLY as W,
    };
    Ok(match s.to_std_string_escaped().as_str() {
        "r" => O_RDONLY,
        "rs" | "sr" => O_RDONLY | S,
        "r+" => RW,
        "rs+" | "sr+" => RW | S,
        "w" => T | C | W,
        "wx" | "xw" => T | C | W | X,
        "w+" => T | C | RW,
        "wx+" | "xw+" => T | C | RW | X,
        "a" => A | C | W,
        "ax" | "xa" => A | C | W | X,
        "as" | "sa" => A | C | W | S,
        "a+" => A | C | RW,
        "ax+" | "xa+" => A | C | RW | X,
        "as+" | "sa+" => A | C | RW | S,
        _ => return Err(invalid_arg_value(ctx, "flags", "is invalid", val)),
    })
}

/// Options that are an encoding string or an object: (encoding, object).
fn enc_opts(ctx: &mut Context, val: &JsValue, name: &str) -> JsResult<(Enc, Option<JsObject>)> {
    if val.is_string() {
        return Ok((encoding(ctx, val)?, None));
    }
    let o = options(ctx, val, name)?;
    let e = opt(ctx, &o, "encoding")?;
    Ok((encoding(ctx, &e)?, o))
}

/// Data to write: a string (in `enc`) or a TypedArray (zero-copy while writing).
enum Data {
    Bytes(Vec<u8>),
    View(BufView),
}

fn data_arg(ctx: &mut Context, val: &JsValue, enc: Enc) -> JsResult<Data> {
    if let Some(s) = val.as_string() {
        return Ok(Data::Bytes(encode(&s, enc)));
    }
    if val.as_object().is_some_and(|o| {
        o.is::<boa_engine::builtins::typed_array::TypedArray>() || o.is::<boa_engine::builtins::dataview::DataView>()
    }) {
        return Ok(Data::View(BufView::from_value(ctx, val, "data")?));
    }
    Err(invalid_arg_type(ctx, "data", "of type string or an instance of Buffer, TypedArray, or DataView", val))
}

/// A path or a descriptor (readFileSync and writeFileSync take both).
enum Target {
    Path(PathArg),
    Fd(i32),
}

fn target(ctx: &mut Context, val: &JsValue) -> JsResult<Target> {
    if val.is_number() {
        return Ok(Target::Fd(fd(ctx, val)?));
    }
    Ok(Target::Path(path(ctx, val, "path")?))
}

fn file_too_large(ctx: &mut Context, size: u64) -> JsError {
    coded(ctx, JsNativeError::range(), "ERR_FS_FILE_TOO_LARGE", format!("File size ({size}) is greater than 2 GiB"))
}

/// Reads the rest of `fd` into one aligned buffer: the size from fstat for regular files (one read
/// straight into the destination), chunks until EOF for the rest.
fn read_all(ctx: &mut Context, h: &KernelHost, fd: i32, fresh: bool) -> JsResult<AlignedVec<u8>> {
    let st = h.proc.fstat(fd).js(ctx, "fstat", None)?;
    if st.mode & v::S_IFMT == v::S_IFREG && st.size > 0 {
        // A descriptor the caller passed may be anywhere in the file; one we just opened is at 0.
        let pos = if fresh { 0 } else { h.proc.lseek(fd, 0, v::SEEK_CUR).unwrap_or(0) as u64 };
        let want = st.size.saturating_sub(pos);
        if want > IO_MAX {
            return Err(file_too_large(ctx, st.size));
        }
        let mut buf = alloc(ctx, want as usize)?;
        let mut got = 0;
        while got < buf.len() {
            let n = h.proc.read(fd, &mut buf[got..]).js(ctx, "read", None)?;
            if n == 0 {
                break;
            }
            got += n;
        }
        buf.truncate(got);
        return Ok(buf);
    }
    let mut buf = AlignedVec::<u8>::new(64);
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let n = h.proc.read(fd, &mut chunk).js(ctx, "read", None)?;
        if n == 0 {
            break;
        }
        if buf.len() as u64 + n as u64 > IO_MAX {
            return Err(file_too_large(ctx, buf.len() as u64 + n as u64));
        }
        if buf.try_reserve(n).is_err() {
            return Err(alloc(ctx, usize::MAX).err().unwrap_or_else(|| JsNativeError::range().into()));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(buf)
}

fn write_all(ctx: &mut Context, h: &KernelHost, fd: i32, data: &Data) -> JsResult<()> {
    let mut off = 0;
    loop {
        let r = match data {
            Data::Bytes(b) => {
                if off >= b.len() {
                    break;
                }
                h.proc.write(fd, &b[off..])
            }
            Data::View(vw) => {
                if off >= vw.len() {
                    break;
                }
                let d = vw.data(ctx)?;
                h.proc.write(fd, &d[off..])
            }
        };
        match r.js(ctx, "write", None)? {
            0 => return Err(errno_error(ctx, Errno::EIO, "write", None, None)),
            n => off += n,
        }
    }
    Ok(())
}

fn undef<T>(_: T) -> JsValue {
    JsValue::undefined()
}

fn join(dir: &[u8], name: &[u8]) -> Vec<u8> {
    let mut p = dir.to_vec();
    if !p.ends_with(b"/") {
        p.push(b'/');
    }
    p.extend_from_slice(name);
    p
}

fn show(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

// ---------------------------------------------------------------- files

fn read_file_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let t = target(ctx, &arg(a, 0))?;
    let (enc, o) = enc_opts(ctx, &arg(a, 1), "options")?;
    let ov_flag = opt(ctx, &o, "flag")?;
    let fl = open_flags(ctx, &ov_flag, v::O_RDONLY)?;
    let data = match t {
        Target::Fd(fd) => read_all(ctx, &h, fd, false)?,
        Target::Path(p) => {
            let fd = h.proc.open(&p.bytes, fl, 0o666).jp(ctx, "open", &p)?;
            let r = read_all(ctx, &h, fd, fl & v::O_APPEND == 0);
            let _ = h.proc.close(fd);
            r.map_err(|e| with_path(ctx, e, &p))?
        }
    };
    decode(ctx, data, enc)
}

/// Adds `path` to an errno error raised without one (read after open, as Node reports EISDIR).
fn with_path(ctx: &mut Context, e: JsError, p: &PathArg) -> JsError {
    if let Some(o) = e.as_opaque().and_then(|v| v.as_object()) {
        if o.has_own_property(JsString::from("errno"), ctx).unwrap_or(false)
            && !o.has_own_property(JsString::from("path"), ctx).unwrap_or(true)
        {
            let _ = o.create_data_property_or_throw(JsString::from("path"), JsString::from(p.show().as_str()), ctx);
            if let Some(m) = o.get(JsString::from("message"), ctx).ok().and_then(|m| m.as_string()) {
                let m = format!("{} '{}'", m.to_std_string_escaped(), p.show());
                let _ = o.set(JsString::from("message"), JsString::from(m.as_str()), false, ctx);
            }
        }
    }
    e
}

fn write_file_common(a: &[JsValue], ctx: &mut Context, def_flags: u32) -> R {
    let h = host(ctx)?;
    let t = target(ctx, &arg(a, 0))?;
    let (enc, o) = enc_opts(ctx, &arg(a, 2), "options")?;
    let enc = if enc == Enc::Buffer { Enc::Utf8 } else { enc };
    let data = data_arg(ctx, &arg(a, 1), enc)?;
    let ov_flag = opt(ctx, &o, "flag")?;
    let fl = open_flags(ctx, &ov_flag, def_flags)?;
    let ov_mode = opt(ctx, &o, "mode")?;
    let mode = args::mode(ctx, &ov_mode, "mode", 0o666)?;
    match t {
        Target::Fd(fd) => write_all(ctx, &h, fd, &data).map(undef),
        Target::Path(p) => {
            let fd = h.proc.open(&p.bytes, fl, mode).jp(ctx, "open", &p)?;
            let r = write_all(ctx, &h, fd, &data);
            let _ = h.proc.close(fd);
            r.map(undef)
        }
    }
}

fn write_file_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    write_file_common(a, ctx, v::O_WRONLY | v::O_CREAT | v::O_TRUNC)
}

fn append_file_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    write_file_common(a, ctx, v::O_WRONLY | v::O_CREAT | v::O_APPEND)
}

fn open_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = path(ctx, &arg(a, 0), "path")?;
    let fl = open_flags(ctx, &arg(a, 1), v::O_RDONLY)?;
    let mode = args::mode(ctx, &arg(a, 2), "mode", 0o666)?;
    h.proc.open(&p.bytes, fl, mode).jp(ctx, "open", &p).map(JsValue::from)
}

fn close_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let fd = fd(ctx, &arg(a, 0))?;
    h.proc.close(fd).js(ctx, "close", None).map(undef)
}

/// (offset, length, position) of readSync/writeSync, from positional arguments or an options object.
fn io_range(ctx: &mut Context, a: &[JsValue], view_len: usize) -> JsResult<(usize, usize, Option<i64>)> {
    let (ov, lv, pv) = match arg(a, 2).as_object().filter(|o| !o.is::<boa_engine::builtins::typed_array::TypedArray>())
    {
        Some(o) => {
            let o = Some(o);
            (opt(ctx, &o, "offset")?, opt(ctx, &o, "length")?, opt(ctx, &o, "position")?)
        }
        None => (arg(a, 2), arg(a, 3), arg(a, 4)),
    };
    let off = int_or(ctx, &ov, "offset", 0, view_len as i64, 0)? as usize;
    let len = int_or(ctx, &lv, "length", 0, (view_len - off) as i64, (view_len - off) as i64)? as usize;
    let pos = if pv.is_null_or_undefined() {
        None
    } else {
        match int(ctx, &pv, "position", -1, MAX_SAFE)? {
            -1 => None,
            p => Some(p),
        }
    };
    Ok((off, len, pos))
}

fn read_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let fd = fd(ctx, &arg(a, 0))?;
    let view = BufView::from_value(ctx, &arg(a, 1), "buffer")?;
    let (off, len, pos) = io_range(ctx, a, view.len())?;
    let r = {
        let mut d = view.data_mut(ctx)?;
        let b = &mut d[off..off + len];
        match pos {
            Some(p) => h.proc.pread(fd, b, p),
            None => h.proc.read(fd, b),
        }
    };
    r.js(ctx, "read", None).map(|n| JsValue::from(n as f64))
}

fn write_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let fd = fd(ctx, &arg(a, 0))?;
    let dv = arg(a, 1);
    let r = if let Some(s) = dv.as_string() {
        // writeSync(fd, string, position, encoding)
        let pv = arg(a, 2);
        let pos = if pv.is_null_or_undefined() { None } else { Some(int(ctx, &pv, "position", -1, MAX_SAFE)?) };
        let enc = match encoding(ctx, &arg(a, 3))? {
            Enc::Buffer => Enc::Utf8,
            e => e,
        };
        let b = encode(&s, enc);
        match pos {
            Some(p) if p >= 0 => h.proc.pwrite(fd, &b, p),
            _ => h.proc.write(fd, &b),
        }
    } else {
        let view = BufView::from_value(ctx, &dv, "buffer")?;
        let (off, len, pos) = io_range(ctx, a, view.len())?;
        let d = view.data(ctx)?;
        let b = &d[off..off + len];
        match pos {
            Some(p) => h.proc.pwrite(fd, b, p),
            None => h.proc.write(fd, b),
        }
    };
    r.js(ctx, "write", None).map(|n| JsValue::from(n as f64))
}

fn fsync_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let fd = fd(ctx, &arg(a, 0))?;
    h.proc.fsync(fd).js(ctx, "fsync", None).map(undef)
}

fn truncate_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let t = target(ctx, &arg(a, 0))?;
    let len = int_or(ctx, &arg(a, 1), "len", 0, MAX_SAFE, 0)?;
    match t {
        Target::Path(p) => h.proc.truncate(&p.bytes, len).jp(ctx, "open", &p).map(undef),
        Target::Fd(fd) => h.proc.ftruncate(fd, len).js(ctx, "ftruncate", None).map(undef),
    }
}

fn ftruncate_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let fd = fd(ctx, &arg(a, 0))?;
    let len = int_or(ctx, &arg(a, 1), "len", 0, MAX_SAFE, 0)?;
    h.proc.ftruncate(fd, len).js(ctx, "ftruncate", None).map(undef)
}

// ---------------------------------------------------------------- metadata

fn stat_common(a: &[JsValue], ctx: &mut Context, follow: bool) -> R {
    let h = host(ctx)?;
    let p = path(ctx, &arg(a, 0), "path")?;
    let o = options(ctx, &arg(a, 1), "options")?;
    let r = if follow { h.proc.stat(&p.bytes) } else { h.proc.lstat(&p.bytes) };
    match r {
        Ok(st) if opt_bool(ctx, &o, "bigint", false)? => Ok(convert::bigint_stats(&h, &st)),
        Ok(st) => Ok(convert::stats(&h, &st)),
        Err(Errno::ENOENT | Errno::ENOTDIR) if !opt_bool(ctx, &o, "throwIfNoEntry", true)? => Ok(JsValue::undefined()),
        Err(e) => Err(errno_error(ctx, e, if follow { "stat" } else { "lstat" }, Some(&p.show()), None)),
    }
}

fn stat_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    stat_common(a, ctx, true)
}

fn lstat_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    stat_common(a, ctx, false)
}

fn fstat_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let fd = fd(ctx, &arg(a, 0))?;
    let o = options(ctx, &arg(a, 1), "options")?;
    let st = h.proc.fstat(fd).js(ctx, "fstat", None)?;
    if opt_bool(ctx, &o, "bigint", false)? {
        return Ok(convert::bigint_stats(&h, &st));
    }
    Ok(convert::stats(&h, &st))
}

fn exists_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let Ok(p) = path(ctx, &arg(a, 0), "path") else { return Ok(false.into()) };
    Ok(h.proc.access(&p.bytes, v::F_OK).is_ok().into())
}

fn access_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = path(ctx, &arg(a, 0), "path")?;
    let m = int_or(ctx, &arg(a, 1), "mode", 0, 7, 0)? as u32;
    h.proc.access(&p.bytes, m).jp(ctx, "access", &p).map(undef)
}

fn statfs_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = path(ctx, &arg(a, 0), "path")?;
    let s = h.proc.statvfs(&p.bytes).jp(ctx, "statfs", &p)?;
    Ok(convert::statfs(&h, &s))
}

fn chmod_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = path(ctx, &arg(a, 0), "path")?;
    let m = mode_req(ctx, &arg(a, 1))?;
    h.proc.chmod(&p.bytes, m).jp(ctx, "chmod", &p).map(undef)
}

fn mode_req(ctx: &mut Context, val: &JsValue) -> JsResult<u32> {
    if val.is_undefined() {
        return Err(invalid_arg_type(ctx, "mode", "of type number or string", val));
    }
    args::mode(ctx, val, "mode", 0)
}

fn lchmod_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = path(ctx, &arg(a, 0), "path")?;
    let m = mode_req(ctx, &arg(a, 1))?;
    h.proc.lchmod(&p.bytes, m).jp(ctx, "lchmod", &p).map(undef)
}

fn fchmod_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let fd = fd(ctx, &arg(a, 0))?;
    let m = mode_req(ctx, &arg(a, 1))?;
    h.proc.fchmod(fd, m).js(ctx, "fchmod", None).map(undef)
}

fn ids(ctx: &mut Context, a: &[JsValue]) -> JsResult<(u32, u32)> {
    let u = args::u32_arg(ctx, &arg(a, 1), "uid", true)?;
    let g = args::u32_arg(ctx, &arg(a, 2), "gid", true)?;
    Ok((u, g))
}

fn chown_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = path(ctx, &arg(a, 0), "path")?;
    let (u, g) = ids(ctx, a)?;
    h.proc.chown(&p.bytes, u, g).jp(ctx, "chown", &p).map(undef)
}

fn lchown_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = path(ctx, &arg(a, 0), "path")?;
    let (u, g) = ids(ctx, a)?;
    h.proc.lchown(&p.bytes, u, g).jp(ctx, "lchown", &p).map(undef)
}

fn fchown_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let fd = fd(ctx, &arg(a, 0))?;
    let (u, g) = ids(ctx, a)?;
    h.proc.fchown(fd, u, g).js(ctx, "fchown", None).map(undef)
}

/// Node's time argument: seconds (number or numeric string) or a Date.
fn node_time(ctx: &mut Context, val: &JsValue, name: &str) -> JsResult<UtimeSpec> {
    if let Some(s) = val.as_string() {
        let t = s.to_std_string_escaped();
        return match t.trim().parse::<f64>() {
            Ok(secs) => crate::sys::secs_to_timespec(ctx, secs, val, name).map(UtimeSpec::Set),
            Err(_) => Err(invalid_arg_type(ctx, name, "of type number or an instance of Date", val)),
        };
    }
    crate::sys::time_arg(ctx, val, name, false)
}

fn times(ctx: &mut Context, a: &[JsValue]) -> JsResult<[UtimeSpec; 2]> {
    Ok([node_time(ctx, &arg(a, 1), "atime")?, node_time(ctx, &arg(a, 2), "mtime")?])
}

fn utimes_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = path(ctx, &arg(a, 0), "path")?;
    let t = times(ctx, a)?;
    h.proc.utimensat(v::AT_FDCWD, &p.bytes, Some(t), 0).jp(ctx, "utime", &p).map(undef)
}

fn lutimes_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = path(ctx, &arg(a, 0), "path")?;
    let t = times(ctx, a)?;
    h.proc.utimensat(v::AT_FDCWD, &p.bytes, Some(t), v::AT_SYMLINK_NOFOLLOW).jp(ctx, "lutime", &p).map(undef)
}

fn futimes_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let fd = fd(ctx, &arg(a, 0))?;
    let t = times(ctx, a)?;
    h.proc.futimens(fd, Some(t)).js(ctx, "futime", None).map(undef)
}

// ---------------------------------------------------------------- names

fn readdir_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = path(ctx, &arg(a, 0), "path")?;
    let (enc, o) = enc_opts(ctx, &arg(a, 1), "options")?;
    let with_types = opt_bool(ctx, &o, "withFileTypes", false)?;
    let recursive = opt_bool(ctx, &o, "recursive", false)?;
    // Names are strings unless 'buffer' is asked for by name (the default encoding is utf8 here).
    let as_buffer = enc == Enc::Buffer && (arg(a, 1).is_string() || !opt(ctx, &o, "encoding")?.is_undefined());
    let name_val = |ctx: &mut Context, b: &[u8]| -> R {
        if as_buffer {
            let mut v = AlignedVec::<u8>::new(64);
            v.extend_from_slice(b);
            uint8array(ctx, v)
        } else {
            Ok(bytes_str(b))
        }
    };
    let mut out: Vec<JsValue> = Vec::new();
    // (directory to read, its path relative to `p`)
    let mut queue: std::collections::VecDeque<(Vec<u8>, Vec<u8>)> = std::collections::VecDeque::new();
    queue.push_back((p.bytes.clone(), Vec::new()));
    let mut first = true;
    while let Some((dir, rel)) = queue.pop_front() {
        let ents = match h.proc.readdir_path(&dir) {
            Ok(e) => e,
            Err(e) if !first && matches!(e, Errno::ENOENT | Errno::ENOTDIR | Errno::EACCES) => continue,
            Err(e) => return Err(errno_error(ctx, e, "scandir", Some(&show(&dir)), None)),
        };
        first = false;
        let parent = bytes_str(&dir);
        for e in ents {
            if e.name == b"." || e.name == b".." {
                continue;
            }
            let mut dtype = e.dtype;
            if dtype == v::DT_UNKNOWN && (with_types || recursive) {
                if let Ok(st) = h.proc.lstat(&join(&dir, &e.name)) {
                    dtype = st.vtype().map_or(v::DT_UNKNOWN, |t| t.dtype());
                }
            }
            let relname = if rel.is_empty() { e.name.clone() } else { join(&rel, &e.name) };
            if with_types {
                let nv = name_val(ctx, &e.name)?;
                out.push(convert::dirent(&h, nv, parent.clone(), dtype));
            } else {
                out.push(name_val(ctx, &relname)?);
            }
            if recursive && dtype == v::DT_DIR {
                queue.push_back((join(&dir, &e.name), relname));
            }
        }
    }
    Ok(JsArray::from_iter(out, ctx).into())
}

/// mkdir -p: the first directory created, if any.
fn mkdir_p(h: &KernelHost, p: &[u8], mode: u32) -> Result<Option<Vec<u8>>, (Errno, Vec<u8>)> {
    match h.proc.mkdir(p, mode) {
        Ok(()) => Ok(Some(p.to_vec())),
        Err(Errno::EEXIST) => match h.proc.stat(p) {
            Ok(st) if st.mode & v::S_IFMT == v::S_IFDIR => Ok(None),
            Ok(_) => Err((Errno::EEXIST, p.to_vec())),
            Err(e) => Err((e, p.to_vec())),
        },
        Err(Errno::ENOENT) => {
            let trimmed = trim_slashes(p);
            let Some(i) = trimmed.iter().rposition(|&c| c == b'/') else {
                return Err((Errno::ENOENT, p.to_vec()));
            };
            let parent = if i == 0 { &b"/"[..] } else { &trimmed[..i] };
            let first = mkdir_p(h, parent, mode)?;
            match h.proc.mkdir(p, mode) {
                Ok(()) => Ok(first.or_else(|| Some(p.to_vec()))),
                Err(Errno::EEXIST) => Ok(first),
                Err(e) => Err((e, p.to_vec())),
            }
        }
        Err(e) => Err((e, p.to_vec())),
    }
}

fn trim_slashes(p: &[u8]) -> &[u8] {
    let mut end = p.len();
    while end > 1 && p[end - 1] == b'/' {
        end -= 1;
    }
    &p[..end]
}

fn mkdir_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = path(ctx, &arg(a, 0), "path")?;
    let ov = arg(a, 1);
    let (recursive, mode) = if ov.is_number() || ov.is_string() {
        (false, args::mode(ctx, &ov, "mode", 0o777)?)
    } else {
        let o = options(ctx, &ov, "options")?;
        let ov_mode = opt(ctx, &o, "mode")?;
        (opt_bool(ctx, &o, "recursive", false)?, args::mode(ctx, &ov_mode, "mode", 0o777)?)
    };
    if !recursive {
        return h.proc.mkdir(&p.bytes, mode).jp(ctx, "mkdir", &p).map(undef);
    }
    match mkdir_p(&h, &p.bytes, mode) {
        Ok(Some(first)) => Ok(bytes_str(&first)),
        Ok(None) => Ok(JsValue::undefined()),
        Err((e, at)) => Err(errno_error(ctx, e, "mkdir", Some(&show(&at)), None)),
    }
}

fn mkdtemp_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = path(ctx, &arg(a, 0), "prefix")?;
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    for _ in 0..100 {
        let mut rnd = [0u8; 6];
        h.proc.kernel().hyper().random(&mut rnd);
        let mut name = p.bytes.clone();
        name.extend(rnd.iter().map(|b| CHARS[*b as usize % CHARS.len()]));
        match h.proc.mkdir(&name, 0o700) {
            Ok(()) => return Ok(bytes_str(&name)),
            Err(Errno::EEXIST) => continue,
            Err(e) => return Err(errno_error(ctx, e, "mkdtemp", Some(&format!("{}XXXXXX", p.show())), None)),
        }
    }
    Err(errno_error(ctx, Errno::EEXIST, "mkdtemp", Some(&format!("{}XXXXXX", p.show())), None))
}

/// rm -r: removes `p` and everything under it; the failing path comes back with the errno.
fn rm_tree(proc: &Proc, p: &[u8]) -> Result<(), (Errno, &'static str, Vec<u8>)> {
    let st = proc.lstat(p).map_err(|e| (e, "lstat", p.to_vec()))?;
    if st.mode & v::S_IFMT != v::S_IFDIR {
        return proc.unlink(p).map_err(|e| (e, "unlink", p.to_vec()));
    }
    let ents = proc.readdir_path(p).map_err(|e| (e, "scandir", p.to_vec()))?;
    for e in ents {
        if e.name != b"." && e.name != b".." {
            rm_tree(proc, &join(p, &e.name))?;
        }
    }
    proc.rmdir(p).map_err(|e| (e, "rmdir", p.to_vec()))
}

fn rm_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = path(ctx, &arg(a, 0), "path")?;
    let o = options(ctx, &arg(a, 1), "options")?;
    let recursive = opt_bool(ctx, &o, "recursive", false)?;
    let force = opt_bool(ctx, &o, "force", false)?;
    let st = match h.proc.lstat(&p.bytes) {
        Ok(st) => st,
        Err(Errno::ENOENT) if force => return Ok(JsValue::undefined()),
        Err(e) => return Err(errno_error(ctx, e, "rm", Some(&p.show()), None)),
    };
    if st.mode & v::S_IFMT == v::S_IFDIR && !recursive {
        let e = errno_error(ctx, Errno::EISDIR, "rm", Some(&p.show()), None);
        if let Some(o) = e.as_opaque().and_then(|v| v.as_object()) {
            let m = format!("Path is a directory: rm returned EISDIR (is a directory) {}", p.show());
            let _ = o.set(JsString::from("code"), JsString::from("ERR_FS_EISDIR"), false, ctx);
            let _ = o.set(JsString::from("message"), JsString::from(m.as_str()), false, ctx);
        }
        return Err(e);
    }
    match rm_tree(&h.proc, &p.bytes) {
        Ok(()) => Ok(JsValue::undefined()),
        Err((Errno::ENOENT, _, _)) if force => Ok(JsValue::undefined()),
        Err((e, sc, at)) => Err(errno_error(ctx, e, sc, Some(&show(&at)), None)),
    }
}

fn rmdir_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = path(ctx, &arg(a, 0), "path")?;
    let o = options(ctx, &arg(a, 1), "options")?;
    if opt_bool(ctx, &o, "recursive", false)? {
        return match rm_tree(&h.proc, &p.bytes) {
            Ok(()) => Ok(JsValue::undefined()),
            Err((e, sc, at)) => Err(errno_error(ctx, e, sc, Some(&show(&at)), None)),
        };
    }
    h.proc.rmdir(&p.bytes).jp(ctx, "rmdir", &p).map(undef)
}

fn unlink_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = path(ctx, &arg(a, 0), "path")?;
    h.proc.unlink(&p.bytes).jp(ctx, "unlink", &p).map(undef)
}

fn two(ctx: &mut Context, a: &[JsValue], n1: &str, n2: &str) -> JsResult<(PathArg, PathArg)> {
    let x = path(ctx, &arg(a, 0), n1)?;
    let y = path(ctx, &arg(a, 1), n2)?;
    Ok((x, y))
}

fn rename_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let (f, t) = two(ctx, a, "oldPath", "newPath")?;
    h.proc.rename(&f.bytes, &t.bytes).jp2(ctx, "rename", &f, &t).map(undef)
}

fn link_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let (f, t) = two(ctx, a, "existingPath", "newPath")?;
    h.proc.link(&f.bytes, &t.bytes).jp2(ctx, "link", &f, &t).map(undef)
}

fn symlink_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let (f, t) = two(ctx, a, "target", "path")?;
    let ty = arg(a, 2);
    if !ty.is_null_or_undefined() && !ty.is_string() {
        return Err(invalid_arg_type(ctx, "type", "of type string", &ty));
    }
    h.proc.symlink(&f.bytes, &t.bytes).jp2(ctx, "symlink", &f, &t).map(undef)
}

fn readlink_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = path(ctx, &arg(a, 0), "path")?;
    let (enc, _) = enc_opts(ctx, &arg(a, 1), "options")?;
    let t = h.proc.readlink(&p.bytes).jp(ctx, "readlink", &p)?;
    let mut v = AlignedVec::<u8>::new(64);
    v.extend_from_slice(&t);
    decode(ctx, v, if enc == Enc::Buffer && arg(a, 1).is_null_or_undefined() { Enc::Utf8 } else { enc })
}

fn realpath_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = path(ctx, &arg(a, 0), "path")?;
    h.proc.realpath(&p.bytes).jp(ctx, "realpath", &p).map(|b| bytes_str(&b))
}

// ---------------------------------------------------------------- copies

/// Copies one regular file's bytes and permission bits (`excl`: fail if `dst` exists).
pub fn copy_file(proc: &Proc, src: &[u8], dst: &[u8], excl: bool) -> Result<(), (Errno, &'static str, Vec<u8>)> {
    let sfd = proc.open(src, v::O_RDONLY, 0).map_err(|e| (e, "open", src.to_vec()))?;
    let r = (|| {
        let st = proc.fstat(sfd).map_err(|e| (e, "fstat", src.to_vec()))?;
        if st.mode & v::S_IFMT == v::S_IFDIR {
            return Err((Errno::EISDIR, "copyfile", src.to_vec()));
        }
        let mut fl = v::O_WRONLY | v::O_CREAT | v::O_TRUNC;
        if excl {
            fl |= v::O_EXCL;
        }
        let dfd = proc.open(dst, fl, st.mode & 0o777).map_err(|e| (e, "copyfile", dst.to_vec()))?;
        let r = (|| {
            let mut buf = vec![0u8; 1 << 20];
            loop {
                let n = proc.read(sfd, &mut buf).map_err(|e| (e, "read", src.to_vec()))?;
                if n == 0 {
                    break;
                }
                let mut off = 0;
                while off < n {
                    off += proc.write(dfd, &buf[off..n]).map_err(|e| (e, "write", dst.to_vec()))?;
                }
            }
            let _ = proc.fchmod(dfd, st.mode & v::ALLPERMS);
            Ok(())
        })();
        let _ = proc.close(dfd);
        r
    })();
    let _ = proc.close(sfd);
    r
}

fn copy_file_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let (s, d) = two(ctx, a, "src", "dest")?;
    let mode = int_or(ctx, &arg(a, 2), "mode", 0, 7, 0)?;
    match copy_file(&h.proc, &s.bytes, &d.bytes, mode & COPYFILE_EXCL != 0) {
        Ok(()) => Ok(JsValue::undefined()),
        Err((e, _, _)) => Err(errno_error(ctx, e, "copyfile", Some(&s.show()), Some(&d.show()))),
    }
}

fn cp_err(ctx: &mut Context, code: &str, msg: String, e: Errno, p: &[u8]) -> JsError {
    let err = errno_error(ctx, e, "cp", Some(&show(p)), None);
    if let Some(o) = err.as_opaque().and_then(|v| v.as_object()) {
        let _ = o.set(JsString::from("code"), JsString::from(code), false, ctx);
        let _ = o.set(JsString::from("message"), JsString::from(msg.as_str()), false, ctx);
    }
    err
}

/// A copier's failure as Node's cp reports it: a refusal of its rules with its code, anything else as
/// the failed call's error.
fn cp_error(ctx: &mut Context, e: CopyError) -> JsError {
    let Some((why, src)) = &e.refused else {
        return errno_error(ctx, e.errno, e.call, Some(&e.path), None);
    };
    let dst = &e.path;
    let (code, msg, at) = match why {
        Refusal::DirOverNonDir => {
            ("ERR_FS_CP_DIR_TO_NON_DIR", format!("Cannot overwrite non-directory {dst} with directory {src}"), dst)
        }
        Refusal::NonDirOverDir => {
            ("ERR_FS_CP_NON_DIR_TO_DIR", format!("Cannot overwrite directory {dst} with non-directory {src}"), dst)
        }
        Refusal::Exists => {
            ("ERR_FS_CP_EEXIST", format!("Target already exists: cp returned EEXIST ({dst} already exists)"), dst)
        }
        Refusal::Unknown => ("ERR_FS_CP_UNKNOWN", format!("Cannot copy an unknown file type: {src}"), src),
    };
    cp_err(ctx, code, msg, e.errno, at.as_bytes())
}

/// What a scan under cpSync's `filter` ends with: the filter's exception, or the copier's error.
enum CpFail {
    Thrown(JsError),
    Copy(CopyError),
}

impl From<CopyError> for CpFail {
    fn from(e: CopyError) -> CpFail {
        CpFail::Copy(e)
    }
}

/// Copies `src` to `dst` in the kernel with the one tree copier under Node's rules: `filter(src, dest)`
/// is asked about every node before it is read, `dereference` copies what links point to.
fn cp(
    ctx: &mut Context,
    h: &KernelHost,
    (src, dst): (&[u8], &[u8]),
    recursive: bool,
    dereference: bool,
    filter: Option<boa_engine::object::builtins::JsFunction>,
    rules: CpRules,
) -> JsResult<()> {
    let keep = |ctx: &mut Context, s: &[u8], d: &[u8]| -> JsResult<bool> {
        match &filter {
            Some(f) => Ok(f.call(&JsValue::undefined(), &[bytes_str(s), bytes_str(d)], ctx)?.to_boolean()),
            None => Ok(true),
        }
    };
    if !keep(ctx, src, dst)? {
        return Ok(());
    }
    let from = if dereference { KernelFs::following(&h.proc) } else { KernelFs::new(&h.proc) };
    if !recursive {
        // A directory is refused before anything of it is read (an error of stat is the scan's to say).
        let st = if dereference { h.proc.stat(src) } else { h.proc.lstat(src) };
        if st.is_ok_and(|st| st.mode & v::S_IFMT == v::S_IFDIR) {
            let m = format!("Recursive option is required to copy a directory: cp returned EISDIR ({} is a directory (not copied)) {}", show(src), show(src));
            return Err(cp_err(ctx, "ERR_FS_EISDIR", m, Errno::EISDIR, src));
        }
    }
    let tree = copy::scan_with(&from, src, &mut |rel| {
        keep(ctx, &copy::join(src, rel), &copy::join(dst, rel)).map_err(CpFail::Thrown)
    });
    let tree = match tree {
        Ok(t) => t,
        Err(CpFail::Thrown(e)) => return Err(e),
        Err(CpFail::Copy(e)) => return Err(cp_error(ctx, e)),
    };
    let opts = copy::Options { cp: Some(rules), ..copy::Options::default() };
    match copy::copy(&from, src, &tree, &KernelFs::new(&h.proc), dst, &opts) {
        Ok(_) => Ok(()),
        Err(e) => Err(cp_error(ctx, e)),
    }
}

fn cp_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let (s, d) = two(ctx, a, "src", "dest")?;
    let o = options(ctx, &arg(a, 2), "options")?;
    let fv = opt(ctx, &o, "filter")?;
    let filter = if fv.is_undefined() {
        None
    } else {
        match fv.as_function() {
            Some(f) => Some(f),
            None => return Err(invalid_arg_type(ctx, "options.filter", "of type function", &fv)),
        }
    };
    let recursive = opt_bool(ctx, &o, "recursive", false)?;
    let force = opt_bool(ctx, &o, "force", true)?;
    let error_on_exist = opt_bool(ctx, &o, "errorOnExist", false)?;
    let dereference = opt_bool(ctx, &o, "dereference", false)?;
    let preserve_timestamps = opt_bool(ctx, &o, "preserveTimestamps", false)?;
    let rules = CpRules { force, error_on_exist, preserve_timestamps };
    let rs = h.proc.realpath(&s.bytes).unwrap_or_else(|_| s.bytes.clone());
    let rd = h.proc.realpath(&d.bytes).unwrap_or_else(|_| d.bytes.clone());
    if rs == rd {
        let m = format!("src and dest cannot be the same {}", show(&rd));
        return Err(cp_err(ctx, "ERR_FS_CP_EINVAL", m, Errno::EINVAL, &s.bytes));
    }
    if rd.starts_with(&rs) && rd.get(rs.len()) == Some(&b'/') {
        let m = format!("cannot copy {} to a subdirectory of self {}", s.show(), d.show());
        return Err(cp_err(ctx, "ERR_FS_CP_EINVAL", m, Errno::EINVAL, &s.bytes));
    }
    cp(ctx, &h, (&s.bytes, &d.bytes), recursive, dereference, filter, rules).map(undef)
}
