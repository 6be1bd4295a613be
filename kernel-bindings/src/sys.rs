//! `rump.sys`: one native function per kernel syscall, fd-level as C's `rump_sys_*`. Paths are strings (or
//! Uint8Array), buffers are Uint8Array (any TypedArray), results are numbers, strings, Stats objects.

use crate::args::{self, arg, int, int_or, path, string, sys_fd, u32_arg, BufView, PathArg, MAX_SAFE};
use crate::convert::{self, bytes_str, jstr, plain};
use crate::error::{invalid_arg_type, KResultExt, PathResultExt};
use crate::host;
use boa_engine::object::builtins::{JsArray, JsDate};
use boa_engine::{Context, JsResult, JsString, JsValue};
use kernel::vfs::{MountOptions, SysctlValue, Timespec, UtimeSpec};

type R = JsResult<JsValue>;

// The syscall table, `rump.sys.<name>`: the kernel's one table of the syscalls scripts get, each row
// naming the function of that name here.
kernel::syscall_table!(crate::ops);

fn p0(ctx: &mut Context, a: &[JsValue], i: usize) -> JsResult<PathArg> {
    path(ctx, &arg(a, i), "path")
}

fn fd0(ctx: &mut Context, a: &[JsValue], i: usize, name: &str) -> JsResult<i32> {
    sys_fd(ctx, &arg(a, i), name)
}

fn flags(ctx: &mut Context, a: &[JsValue], i: usize) -> JsResult<i32> {
    Ok(int_or(ctx, &arg(a, i), "flags", i32::MIN as i64, i32::MAX as i64, 0)? as i32)
}

fn u32a(ctx: &mut Context, a: &[JsValue], i: usize, name: &str) -> JsResult<u32> {
    u32_arg(ctx, &arg(a, i), name, false)
}

fn id(ctx: &mut Context, a: &[JsValue], i: usize, name: &str) -> JsResult<u32> {
    u32_arg(ctx, &arg(a, i), name, true)
}

fn undef<T>(_: T) -> JsValue {
    JsValue::undefined()
}

/// The byte count to transfer: `nbytes` if given (at most the view's length), else the whole view.
fn nbytes(ctx: &mut Context, v: &JsValue, view: &BufView) -> JsResult<usize> {
    Ok(int_or(ctx, v, "nbytes", 0, view.len() as i64, view.len() as i64)? as usize)
}

fn open(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = p0(ctx, a, 0)?;
    let fl = u32_arg(ctx, &arg(a, 1), "flags", false)?;
    let mode = args::mode(ctx, &arg(a, 2), "mode", 0)?;
    h.proc.open(&p.bytes, fl, mode).jp(ctx, "open", &p).map(JsValue::from)
}

fn openat(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let d = fd0(ctx, a, 0, "dirfd")?;
    let p = p0(ctx, a, 1)?;
    let fl = u32_arg(ctx, &arg(a, 2), "flags", false)?;
    let mode = args::mode(ctx, &arg(a, 3), "mode", 0)?;
    h.proc.openat(d, &p.bytes, fl, mode).jp(ctx, "openat", &p).map(JsValue::from)
}

fn close(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let fd = fd0(ctx, a, 0, "fd")?;
    h.proc.close(fd).js(ctx, "close", None).map(undef)
}

fn read(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let fd = fd0(ctx, a, 0, "fd")?;
    let view = BufView::from_value(ctx, &arg(a, 1), "buf")?;
    let n = nbytes(ctx, &arg(a, 2), &view)?;
    let r = h.proc.read(fd, &mut view.data_mut(ctx)?[..n]);
    r.js(ctx, "read", None).map(|n| JsValue::from(n as f64))
}

fn pread(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let fd = fd0(ctx, a, 0, "fd")?;
    let view = BufView::from_value(ctx, &arg(a, 1), "buf")?;
    let off = int(ctx, &arg(a, 2), "offset", -MAX_SAFE, MAX_SAFE)?;
    let n = nbytes(ctx, &arg(a, 3), &view)?;
    let r = h.proc.pread(fd, &mut view.data_mut(ctx)?[..n], off);
    r.js(ctx, "pread", None).map(|n| JsValue::from(n as f64))
}

fn write(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let fd = fd0(ctx, a, 0, "fd")?;
    let view = BufView::from_value(ctx, &arg(a, 1), "buf")?;
    let n = nbytes(ctx, &arg(a, 2), &view)?;
    let r = h.proc.write(fd, &view.data(ctx)?[..n]);
    r.js(ctx, "write", None).map(|n| JsValue::from(n as f64))
}

fn pwrite(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let fd = fd0(ctx, a, 0, "fd")?;
    let view = BufView::from_value(ctx, &arg(a, 1), "buf")?;
    let off = int(ctx, &arg(a, 2), "offset", -MAX_SAFE, MAX_SAFE)?;
    let n = nbytes(ctx, &arg(a, 3), &view)?;
    let r = h.proc.pwrite(fd, &view.data(ctx)?[..n], off);
    r.js(ctx, "pwrite", None).map(|n| JsValue::from(n as f64))
}

fn lseek(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let fd = fd0(ctx, a, 0, "fd")?;
    let off = int(ctx, &arg(a, 1), "offset", -MAX_SAFE, MAX_SAFE)?;
    let whence = int(ctx, &arg(a, 2), "whence", i32::MIN as i64, i32::MAX as i64)? as i32;
    h.proc.lseek(fd, off, whence).js(ctx, "lseek", None).map(|n| JsValue::from(n as f64))
}

fn fstat(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let fd = fd0(ctx, a, 0, "fd")?;
    let st = h.proc.fstat(fd).js(ctx, "fstat", None)?;
    Ok(convert::stats(&h, &st))
}

fn stat(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = p0(ctx, a, 0)?;
    let st = h.proc.stat(&p.bytes).jp(ctx, "stat", &p)?;
    Ok(convert::stats(&h, &st))
}

fn lstat(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = p0(ctx, a, 0)?;
    let st = h.proc.lstat(&p.bytes).jp(ctx, "lstat", &p)?;
    Ok(convert::stats(&h, &st))
}

fn fstatat(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let d = fd0(ctx, a, 0, "dirfd")?;
    let p = p0(ctx, a, 1)?;
    let fl = flags(ctx, a, 2)?;
    let st = h.proc.fstatat(d, &p.bytes, fl).jp(ctx, "fstatat", &p)?;
    Ok(convert::stats(&h, &st))
}

fn access(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = p0(ctx, a, 0)?;
    let m = u32a(ctx, a, 1, "mode")?;
    h.proc.access(&p.bytes, m).jp(ctx, "access", &p).map(undef)
}

fn faccessat(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let d = fd0(ctx, a, 0, "dirfd")?;
    let p = p0(ctx, a, 1)?;
    let m = u32a(ctx, a, 2, "mode")?;
    let fl = flags(ctx, a, 3)?;
    h.proc.faccessat(d, &p.bytes, m, fl).jp(ctx, "faccessat", &p).map(undef)
}

fn pathconf(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = p0(ctx, a, 0)?;
    let name = int(ctx, &arg(a, 1), "name", i32::MIN as i64, i32::MAX as i64)? as i32;
    h.proc.pathconf(&p.bytes, name).jp(ctx, "pathconf", &p).map(|n| JsValue::from(n as f64))
}

fn mkdir(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = p0(ctx, a, 0)?;
    let m = args::mode(ctx, &arg(a, 1), "mode", 0o777)?;
    h.proc.mkdir(&p.bytes, m).jp(ctx, "mkdir", &p).map(undef)
}

fn mkdirat(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let d = fd0(ctx, a, 0, "dirfd")?;
    let p = p0(ctx, a, 1)?;
    let m = args::mode(ctx, &arg(a, 2), "mode", 0o777)?;
    h.proc.mkdirat(d, &p.bytes, m).jp(ctx, "mkdirat", &p).map(undef)
}

fn rmdir(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = p0(ctx, a, 0)?;
    h.proc.rmdir(&p.bytes).jp(ctx, "rmdir", &p).map(undef)
}

fn unlink(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = p0(ctx, a, 0)?;
    h.proc.unlink(&p.bytes).jp(ctx, "unlink", &p).map(undef)
}

fn unlinkat(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let d = fd0(ctx, a, 0, "dirfd")?;
    let p = p0(ctx, a, 1)?;
    let fl = flags(ctx, a, 2)?;
    h.proc.unlinkat(d, &p.bytes, fl).jp(ctx, "unlinkat", &p).map(undef)
}

fn two_paths(ctx: &mut Context, a: &[JsValue], i: usize, j: usize) -> JsResult<(PathArg, PathArg)> {
    let from = path(ctx, &arg(a, i), "from")?;
    let to = path(ctx, &arg(a, j), "to")?;
    Ok((from, to))
}

fn rename(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let (f, t) = two_paths(ctx, a, 0, 1)?;
    h.proc.rename(&f.bytes, &t.bytes).jp2(ctx, "rename", &f, &t).map(undef)
}

fn renameat(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let fd1 = fd0(ctx, a, 0, "fromfd")?;
    let fd2 = fd0(ctx, a, 2, "tofd")?;
    let (f, t) = two_paths(ctx, a, 1, 3)?;
    h.proc.renameat(fd1, &f.bytes, fd2, &t.bytes).jp2(ctx, "renameat", &f, &t).map(undef)
}

fn link(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let (f, t) = two_paths(ctx, a, 0, 1)?;
    h.proc.link(&f.bytes, &t.bytes).jp2(ctx, "link", &f, &t).map(undef)
}

fn linkat(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let fd1 = fd0(ctx, a, 0, "fromfd")?;
    let fd2 = fd0(ctx, a, 2, "tofd")?;
    let (f, t) = two_paths(ctx, a, 1, 3)?;
    let fl = flags(ctx, a, 4)?;
    h.proc.linkat(fd1, &f.bytes, fd2, &t.bytes, fl).jp2(ctx, "linkat", &f, &t).map(undef)
}

fn symlink(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let target = path(ctx, &arg(a, 0), "target")?;
    let p = p0(ctx, a, 1)?;
    h.proc.symlink(&target.bytes, &p.bytes).jp2(ctx, "symlink", &target, &p).map(undef)
}

fn symlinkat(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let target = path(ctx, &arg(a, 0), "target")?;
    let d = fd0(ctx, a, 1, "dirfd")?;
    let p = p0(ctx, a, 2)?;
    h.proc.symlinkat(&target.bytes, d, &p.bytes).jp2(ctx, "symlinkat", &target, &p).map(undef)
}

fn readlink(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = p0(ctx, a, 0)?;
    h.proc.readlink(&p.bytes).jp(ctx, "readlink", &p).map(|b| bytes_str(&b))
}

fn readlinkat(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let d = fd0(ctx, a, 0, "dirfd")?;
    let p = p0(ctx, a, 1)?;
    h.proc.readlinkat(d, &p.bytes).jp(ctx, "readlinkat", &p).map(|b| bytes_str(&b))
}

/// A device number; -1 is NODEV, as NetBSD's own tests pass it for mknod(S_IFREG).
fn dev_arg(ctx: &mut Context, a: &[JsValue], i: usize) -> JsResult<u64> {
    let d = int_or(ctx, &arg(a, i), "dev", -1, MAX_SAFE, 0)?;
    Ok(if d < 0 { u64::MAX } else { d as u64 })
}

fn mknod(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = p0(ctx, a, 0)?;
    let m = u32a(ctx, a, 1, "mode")?;
    let dev = dev_arg(ctx, a, 2)?;
    h.proc.mknod(&p.bytes, m, dev).jp(ctx, "mknod", &p).map(undef)
}

fn mknodat(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let d = fd0(ctx, a, 0, "dirfd")?;
    let p = p0(ctx, a, 1)?;
    let m = u32a(ctx, a, 2, "mode")?;
    let dev = dev_arg(ctx, a, 3)?;
    h.proc.mknodat(d, &p.bytes, m, dev).jp(ctx, "mknodat", &p).map(undef)
}

fn mkfifo(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = p0(ctx, a, 0)?;
    let m = args::mode(ctx, &arg(a, 1), "mode", 0o666)?;
    h.proc.mkfifo(&p.bytes, m).jp(ctx, "mkfifo", &p).map(undef)
}

fn getdents(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let fd = fd0(ctx, a, 0, "fd")?;
    let view = BufView::from_value(ctx, &arg(a, 1), "buf")?;
    let r = h.proc.getdents(fd, &mut view.data_mut(ctx)?);
    r.js(ctx, "getdents", None).map(|n| JsValue::from(n as f64))
}

fn readdir(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let fd = fd0(ctx, a, 0, "fd")?;
    let max = int_or(ctx, &arg(a, 1), "max", 0, MAX_SAFE, MAX_SAFE)? as usize;
    let ents = h.proc.readdir(fd, max).js(ctx, "getdents", None)?;
    let vals: Vec<JsValue> = ents
        .iter()
        .map(|e| {
            plain(
                ctx,
                vec![
                    ("ino", JsValue::from(e.ino as f64)),
                    ("name", bytes_str(&e.name)),
                    ("type", JsValue::from(e.dtype)),
                ],
            )
        })
        .collect();
    Ok(JsArray::from_iter(vals, ctx).into())
}

fn chmod(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = p0(ctx, a, 0)?;
    let m = u32a(ctx, a, 1, "mode")?;
    h.proc.chmod(&p.bytes, m).jp(ctx, "chmod", &p).map(undef)
}

fn lchmod(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = p0(ctx, a, 0)?;
    let m = u32a(ctx, a, 1, "mode")?;
    h.proc.lchmod(&p.bytes, m).jp(ctx, "lchmod", &p).map(undef)
}

fn fchmodat(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let d = fd0(ctx, a, 0, "dirfd")?;
    let p = p0(ctx, a, 1)?;
    let m = u32a(ctx, a, 2, "mode")?;
    let fl = flags(ctx, a, 3)?;
    h.proc.fchmodat(d, &p.bytes, m, fl).jp(ctx, "fchmodat", &p).map(undef)
}

fn fchmod(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let fd = fd0(ctx, a, 0, "fd")?;
    let m = u32a(ctx, a, 1, "mode")?;
    h.proc.fchmod(fd, m).js(ctx, "fchmod", None).map(undef)
}

fn chown(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = p0(ctx, a, 0)?;
    let (u, g) = (id(ctx, a, 1, "uid")?, id(ctx, a, 2, "gid")?);
    h.proc.chown(&p.bytes, u, g).jp(ctx, "chown", &p).map(undef)
}

fn lchown(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = p0(ctx, a, 0)?;
    let (u, g) = (id(ctx, a, 1, "uid")?, id(ctx, a, 2, "gid")?);
    h.proc.lchown(&p.bytes, u, g).jp(ctx, "lchown", &p).map(undef)
}

fn fchownat(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let d = fd0(ctx, a, 0, "dirfd")?;
    let p = p0(ctx, a, 1)?;
    let (u, g) = (id(ctx, a, 2, "uid")?, id(ctx, a, 3, "gid")?);
    let fl = flags(ctx, a, 4)?;
    h.proc.fchownat(d, &p.bytes, u, g, fl).jp(ctx, "fchownat", &p).map(undef)
}

fn fchown(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let fd = fd0(ctx, a, 0, "fd")?;
    let (u, g) = (id(ctx, a, 1, "uid")?, id(ctx, a, 2, "gid")?);
    h.proc.fchown(fd, u, g).js(ctx, "fchown", None).map(undef)
}

fn chflags(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = p0(ctx, a, 0)?;
    let f = u32a(ctx, a, 1, "flags")?;
    h.proc.chflags(&p.bytes, f).jp(ctx, "chflags", &p).map(undef)
}

fn lchflags(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = p0(ctx, a, 0)?;
    let f = u32a(ctx, a, 1, "flags")?;
    h.proc.lchflags(&p.bytes, f).jp(ctx, "lchflags", &p).map(undef)
}

fn fchflags(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let fd = fd0(ctx, a, 0, "fd")?;
    let f = u32a(ctx, a, 1, "flags")?;
    h.proc.fchflags(fd, f).js(ctx, "fchflags", None).map(undef)
}

/// One time: seconds (fractional) or a Date; `special` allows 'now'/'omit'.
pub fn time_arg(ctx: &mut Context, v: &JsValue, name: &str, special: bool) -> JsResult<UtimeSpec> {
    if special {
        if let Some(s) = v.as_string() {
            match s.to_std_string_escaped().as_str() {
                "now" => return Ok(UtimeSpec::Now),
                "omit" => return Ok(UtimeSpec::Omit),
                _ => {}
            }
        }
    }
    let secs = if let Some(n) = v.as_number() {
        n
    } else if let Some(d) = v.as_object().and_then(|o| JsDate::from_object(o).ok()) {
        d.get_time(ctx)?.as_number().unwrap_or(f64::NAN) / 1000.0
    } else {
        return Err(invalid_arg_type(ctx, name, "of type number or an instance of Date", v));
    };
    secs_to_timespec(ctx, secs, v, name).map(UtimeSpec::Set)
}

/// Seconds since the epoch as a Timespec (RangeError for NaN and beyond ±2^53).
pub fn secs_to_timespec(ctx: &mut Context, secs: f64, v: &JsValue, name: &str) -> JsResult<Timespec> {
    if !secs.is_finite() || secs.abs() > MAX_SAFE as f64 {
        return Err(crate::error::out_of_range(ctx, name, "a finite number of seconds", v));
    }
    let s = secs.floor();
    let ns = (((secs - s) * 1e9).round() as u32).min(999_999_999);
    Ok(Timespec::new(s as i64, ns))
}

/// `[atime, mtime]` or null/undefined (now).
pub fn times_arg(ctx: &mut Context, v: &JsValue, special: bool) -> JsResult<Option<[UtimeSpec; 2]>> {
    if v.is_null_or_undefined() {
        return Ok(None);
    }
    let Some(arr) = v.as_object().filter(|o| o.is_array()) else {
        return Err(invalid_arg_type(ctx, "times", "an Array of two times, or null", v));
    };
    let a0 = arr.get(0, ctx)?;
    let a1 = arr.get(1, ctx)?;
    Ok(Some([time_arg(ctx, &a0, "times[0]", special)?, time_arg(ctx, &a1, "times[1]", special)?]))
}

fn plain_times(t: Option<[UtimeSpec; 2]>) -> Option<[Timespec; 2]> {
    t.map(|t| t.map(|x| if let UtimeSpec::Set(ts) = x { ts } else { Timespec::default() }))
}

fn utimes(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = p0(ctx, a, 0)?;
    let t = plain_times(times_arg(ctx, &arg(a, 1), false)?);
    h.proc.utimes(&p.bytes, t).jp(ctx, "utimes", &p).map(undef)
}

fn lutimes(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = p0(ctx, a, 0)?;
    let t = plain_times(times_arg(ctx, &arg(a, 1), false)?);
    h.proc.lutimes(&p.bytes, t).jp(ctx, "lutimes", &p).map(undef)
}

fn futimes(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let fd = fd0(ctx, a, 0, "fd")?;
    let t = plain_times(times_arg(ctx, &arg(a, 1), false)?);
    h.proc.futimes(fd, t).js(ctx, "futimes", None).map(undef)
}

fn futimens(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let fd = fd0(ctx, a, 0, "fd")?;
    let t = times_arg(ctx, &arg(a, 1), true)?;
    h.proc.futimens(fd, t).js(ctx, "futimens", None).map(undef)
}

fn utimensat(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let d = fd0(ctx, a, 0, "dirfd")?;
    let p = p0(ctx, a, 1)?;
    let t = times_arg(ctx, &arg(a, 2), true)?;
    let fl = flags(ctx, a, 3)?;
    h.proc.utimensat(d, &p.bytes, t, fl).jp(ctx, "utimensat", &p).map(undef)
}

fn len_arg(ctx: &mut Context, a: &[JsValue], i: usize) -> JsResult<i64> {
    int(ctx, &arg(a, i), "length", -MAX_SAFE, MAX_SAFE)
}

fn truncate(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = p0(ctx, a, 0)?;
    let l = len_arg(ctx, a, 1)?;
    h.proc.truncate(&p.bytes, l).jp(ctx, "truncate", &p).map(undef)
}

fn ftruncate(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let fd = fd0(ctx, a, 0, "fd")?;
    let l = len_arg(ctx, a, 1)?;
    h.proc.ftruncate(fd, l).js(ctx, "ftruncate", None).map(undef)
}

fn fsync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let fd = fd0(ctx, a, 0, "fd")?;
    h.proc.fsync(fd).js(ctx, "fsync", None).map(undef)
}

fn sync(_: &JsValue, _a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    h.proc.sync().js(ctx, "sync", None).map(undef)
}

fn dup(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let fd = fd0(ctx, a, 0, "fd")?;
    h.proc.dup(fd).js(ctx, "dup", None).map(JsValue::from)
}

fn dup2(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let o = fd0(ctx, a, 0, "oldfd")?;
    let n = fd0(ctx, a, 1, "newfd")?;
    h.proc.dup2(o, n).js(ctx, "dup2", None).map(JsValue::from)
}

fn fcntl(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let fd = fd0(ctx, a, 0, "fd")?;
    let cmd = int(ctx, &arg(a, 1), "cmd", i32::MIN as i64, i32::MAX as i64)? as i32;
    if matches!(cmd, kernel::vfs::F_GETLK | kernel::vfs::F_SETLK | kernel::vfs::F_SETLKW) {
        return fcntl_lock(ctx, &h, fd, cmd, &arg(a, 2));
    }
    let v = int_or(ctx, &arg(a, 2), "arg", -MAX_SAFE, MAX_SAFE, 0)?;
    h.proc.fcntl(fd, cmd, v).js(ctx, "fcntl", None).map(|n| JsValue::from(n as f64))
}

/// fcntl(fd, F_GETLK | F_SETLK | F_SETLKW, {type, whence, start, len}): the struct flock as an object
/// (F_GETLK answers with the conflicting lock, or type F_UNLCK).
fn fcntl_lock(ctx: &mut Context, h: &crate::KernelHost, fd: i32, cmd: i32, v: &JsValue) -> R {
    let Some(o) = args::options(ctx, v, "flock")? else {
        return Err(invalid_arg_type(ctx, "flock", "an object {type, whence, start, len}", v));
    };
    let o = Some(o);
    let field = |ctx: &mut Context, k: &'static str, min: i64, max: i64| -> JsResult<i64> {
        let val = args::opt(ctx, &o, k)?;
        int_or(ctx, &val, &format!("flock.{k}"), min, max, 0)
    };
    let ltype = field(ctx, "type", i16::MIN as i64, i16::MAX as i64)? as i16;
    let whence = field(ctx, "whence", i16::MIN as i64, i16::MAX as i64)? as i16;
    let start = field(ctx, "start", -MAX_SAFE, MAX_SAFE)?;
    let len = field(ctx, "len", -MAX_SAFE, MAX_SAFE)?;
    let mut fl = kernel::vfs::Flock { start, len, pid: 0, ltype, whence };
    h.proc.fcntl_lock(fd, cmd, &mut fl).js(ctx, "fcntl", None)?;
    if cmd != kernel::vfs::F_GETLK {
        return Ok(JsValue::from(0));
    }
    Ok(plain(
        ctx,
        vec![
            ("type", JsValue::from(fl.ltype)),
            ("whence", JsValue::from(fl.whence)),
            ("start", JsValue::from(fl.start as f64)),
            ("len", JsValue::from(fl.len as f64)),
            ("pid", JsValue::from(fl.pid)),
        ],
    ))
}

fn chdir(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = p0(ctx, a, 0)?;
    h.proc.chdir(&p.bytes).jp(ctx, "chdir", &p).map(undef)
}

fn fchdir(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let fd = fd0(ctx, a, 0, "fd")?;
    h.proc.fchdir(fd).js(ctx, "fchdir", None).map(undef)
}

fn chroot(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = p0(ctx, a, 0)?;
    h.proc.chroot(&p.bytes).jp(ctx, "chroot", &p).map(undef)
}

fn getcwd(_: &JsValue, _a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    h.proc.getcwd().js(ctx, "getcwd", None).map(|b| bytes_str(&b))
}

fn realpath(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = p0(ctx, a, 0)?;
    h.proc.realpath(&p.bytes).jp(ctx, "realpath", &p).map(|b| bytes_str(&b))
}

fn statvfs(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = p0(ctx, a, 0)?;
    let s = h.proc.statvfs(&p.bytes).jp(ctx, "statvfs", &p)?;
    Ok(convert::statfs(&h, &s))
}

fn fstatvfs(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let fd = fd0(ctx, a, 0, "fd")?;
    let s = h.proc.fstatvfs(fd).js(ctx, "fstatvfs", None)?;
    Ok(convert::statfs(&h, &s))
}

fn getvfsstat(_: &JsValue, _a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let all = h.proc.getvfsstat().js(ctx, "getvfsstat", None)?;
    let vals: Vec<JsValue> = all.iter().map(|s| convert::statfs(&h, s)).collect();
    Ok(JsArray::from_iter(vals, ctx).into())
}

/// File-system options from an object's own enumerable properties (`{size: '16m', partition: 'a'}`);
/// `true` becomes an option without a value (`rdonly`), `false`/undefined are left out.
pub fn mount_opts(ctx: &mut Context, v: &JsValue, name: &str, skip: &[&str]) -> JsResult<Vec<(String, String)>> {
    let Some(o) = args::options(ctx, v, name)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for k in o.own_property_keys(ctx)? {
        let key = k.to_string();
        if skip.contains(&key.as_str()) {
            continue;
        }
        let val = o.get(k, ctx)?;
        if val.is_undefined() || val.as_boolean() == Some(false) {
            continue;
        }
        let s = if val.as_boolean() == Some(true) {
            String::new()
        } else if val.is_string() || val.is_number() {
            val.to_string(ctx)?.to_std_string_escaped()
        } else {
            return Err(invalid_arg_type(ctx, &format!("{name}.{key}"), "a string, number or boolean", &val));
        };
        out.push((key, s));
    }
    Ok(out)
}

fn mount(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let ty = string(ctx, &arg(a, 0), "type")?;
    let dir = path(ctx, &arg(a, 1), "dir")?;
    let fl = int_or(ctx, &arg(a, 2), "flags", 0, MAX_SAFE, 0)? as u64;
    let spec = args::opt_string(ctx, &arg(a, 3), "spec")?;
    let opts = MountOptions { opts: mount_opts(ctx, &arg(a, 4), "options", &[])?, ..Default::default() };
    h.proc.mount(&ty, &dir.bytes, fl, spec.as_deref(), &opts).jp(ctx, "mount", &dir).map(undef)
}

fn unmount(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let dir = path(ctx, &arg(a, 0), "dir")?;
    let fl = int_or(ctx, &arg(a, 1), "flags", 0, MAX_SAFE, 0)? as u64;
    h.proc.unmount(&dir.bytes, fl).jp(ctx, "unmount", &dir).map(undef)
}

fn umask(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let m = args::mode(ctx, &arg(a, 0), "mask", u32::MAX)?;
    if m == u32::MAX {
        // umask() without an argument reads the mask, as Node's process.umask() does.
        let old = h.proc.umask(0);
        h.proc.umask(old);
        return Ok(JsValue::from(old));
    }
    Ok(JsValue::from(h.proc.umask(m)))
}

fn uname(_: &JsValue, _a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let u = h.proc.uname();
    Ok(plain(
        ctx,
        vec![
            ("sysname", jstr(&u.sysname)),
            ("nodename", jstr(&u.nodename)),
            ("release", jstr(&u.release)),
            ("version", jstr(&u.version)),
            ("machine", jstr(&u.machine)),
        ],
    ))
}

fn sysctl(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let name = string(ctx, &arg(a, 0), "name")?;
    if a.len() > 1 {
        let v = string(ctx, &arg(a, 1), "value")?;
        h.proc.sysctl_set(&name, &v).js(ctx, "sysctl", Some(&name))?;
    }
    match h.proc.sysctl(&name).js(ctx, "sysctl", Some(&name))? {
        SysctlValue::Str(s) => Ok(JsString::from(s.as_str()).into()),
        SysctlValue::Int(i) => Ok(JsValue::from(i as f64)),
    }
}

fn getpid(_: &JsValue, _a: &[JsValue], ctx: &mut Context) -> R {
    Ok(JsValue::from(host(ctx)?.proc.pid()))
}

fn getuid(_: &JsValue, _a: &[JsValue], ctx: &mut Context) -> R {
    Ok(JsValue::from(host(ctx)?.proc.getcred().uid))
}

fn getgid(_: &JsValue, _a: &[JsValue], ctx: &mut Context) -> R {
    Ok(JsValue::from(host(ctx)?.proc.getcred().gid))
}

fn getgroups(_: &JsValue, _a: &[JsValue], ctx: &mut Context) -> R {
    let g = host(ctx)?.proc.getcred().groups;
    Ok(JsArray::from_iter(g.into_iter().map(JsValue::from), ctx).into())
}
