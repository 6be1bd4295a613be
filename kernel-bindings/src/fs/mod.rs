//! Node's `fs`, natively, on the kernel's `Proc` calls: the synchronous API, and `fs.promises` generated
//! from the same table. Arguments go through [`crate::args`], errors through [`crate::error`]. The table,
//! the object's making and the shared helpers are here; the calls by family in files, meta, names and
//! copies.

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

mod copies;
mod files;
mod meta;
mod names;

use copies::*;
use files::*;
use meta::*;
use names::*;

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

/// The calls that have a promise and a callback form: each `*Sync` but existsSync (Node has no
/// promise form of it, and its callback form is deprecated), by the name without `Sync`.
fn async_forms() -> impl Iterator<Item = (&'static str, &'static crate::Op)> {
    FS.iter().filter_map(|op| op.name.strip_suffix("Sync").filter(|n| *n != "exists").map(|n| (n, op)))
}

pub(crate) fn build(ctx: &mut Context) -> JsResult<JsObject> {
    let fs = crate::table(ctx, FS);
    let promises = JsObject::with_object_proto(ctx.intrinsics());
    for (name, op) in async_forms() {
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
    for (name, op) in async_forms() {
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

fn show(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
