//! `k.sys`: one function per kernel syscall, fd-level as C's `rump_sys_*`, from the kernel's syscall table
//! (kernel/src/syscall_table.rs), the one `rump.sys` is made from: the same names, lengths and
//! signatures, each call's argument conversion as kernel-bindings/src/sys.rs does it.

use crate::args::{Args, JsResult, PathArg, MAX_SAFE};
use crate::convert::{bytes_str, plain, stat_value, statfs};
use crate::host::errno_error;
use js_sys::{Array, Date};
use kernel::vfs::{MountOptions, Proc, SysctlValue, Timespec, UtimeSpec};
use kernel::{Errno, KResult};
use wasm_bindgen::{JsCast, JsValue};

type R = JsResult<JsValue>;

/// One syscall: its JS name and length, the function, and a one-line signature.
pub struct Op {
    pub name: &'static str,
    pub length: usize,
    pub f: fn(&Proc, &Args) -> R,
    pub sig: &'static str,
}

/// A table of syscalls, one row each: `"jsName", length, rust_fn, "one-line signature";` (as
/// kernel-bindings' `ops!`).
macro_rules! ops {
    ($(#[$meta:meta])* $vis:vis static $table:ident; $( $name:literal, $len:literal, $f:ident, $sig:literal; )*) => {
        $(#[$meta])*
        $vis static $table: &[Op] = &[ $( Op { name: $name, length: $len, f: $f, sig: $sig }, )* ];
    };
}

// The syscall table, `k.sys.<name>`: the kernel's one table, as `rump.sys` has it.
kernel::syscall_table!(ops);

/// Kernel results to JS errors naming the syscall (and the paths, shown only on error).
trait KResultExt<T> {
    fn js(self, syscall: &str) -> JsResult<T>;
    fn jp(self, syscall: &str, path: &PathArg) -> JsResult<T>;
    fn jp2(self, syscall: &str, path: &PathArg, dest: &PathArg) -> JsResult<T>;
}

impl<T> KResultExt<T> for Result<T, Errno> {
    fn js(self, syscall: &str) -> JsResult<T> {
        self.map_err(|e| errno_error(e, syscall, None, None))
    }

    fn jp(self, syscall: &str, path: &PathArg) -> JsResult<T> {
        self.map_err(|e| errno_error(e, syscall, Some(&path.show()), None))
    }

    fn jp2(self, syscall: &str, path: &PathArg, dest: &PathArg) -> JsResult<T> {
        self.map_err(|e| errno_error(e, syscall, Some(&path.show()), Some(&dest.show())))
    }
}

fn undef<T>(_: T) -> JsValue {
    JsValue::UNDEFINED
}

fn num<T: Into<f64>>(n: T) -> JsValue {
    JsValue::from_f64(n.into())
}

fn count(n: usize) -> JsValue {
    JsValue::from_f64(n as f64)
}

fn stats(st: kernel::vfs::Stat) -> JsValue {
    let fields: Vec<f64> = (0..crate::convert::STAT_FIELDS.len()).map(|i| stat_value(&st, i)).collect();
    crate::host::stats(&fields)
}

fn open(p: &Proc, a: &Args) -> R {
    let path = a.path(0, "path")?;
    let fl = a.u32(1, "flags", false)?;
    let mode = a.mode(2, "mode", 0)?;
    p.open(&path.bytes, fl, mode).jp("open", &path).map(JsValue::from)
}

fn openat(p: &Proc, a: &Args) -> R {
    let d = a.fd(0, "dirfd")?;
    let path = a.path(1, "path")?;
    let fl = a.u32(2, "flags", false)?;
    let mode = a.mode(3, "mode", 0)?;
    p.openat(d, &path.bytes, fl, mode).jp("openat", &path).map(JsValue::from)
}

fn close(p: &Proc, a: &Args) -> R {
    p.close(a.fd(0, "fd")?).js("close").map(undef)
}

/// Reads into the JS view through a buffer in wasm memory (the view may be any TypedArray).
fn read_into(view: &js_sys::Uint8Array, n: usize, f: impl FnOnce(&mut [u8]) -> KResult<usize>) -> KResult<usize> {
    let mut tmp = vec![0u8; n];
    let got = f(&mut tmp)?;
    view.subarray(0, got as u32).copy_from(&tmp[..got]);
    Ok(got)
}

fn read(p: &Proc, a: &Args) -> R {
    let fd = a.fd(0, "fd")?;
    let view = a.buffer(1, "buf")?;
    let n = a.nbytes(2, &view)?;
    read_into(&view, n, |b| p.read(fd, b)).js("read").map(count)
}

fn pread(p: &Proc, a: &Args) -> R {
    let fd = a.fd(0, "fd")?;
    let view = a.buffer(1, "buf")?;
    let off = a.int(2, "offset", -MAX_SAFE, MAX_SAFE)?;
    let n = a.nbytes(3, &view)?;
    read_into(&view, n, |b| p.pread(fd, b, off)).js("pread").map(count)
}

fn write(p: &Proc, a: &Args) -> R {
    let fd = a.fd(0, "fd")?;
    let view = a.buffer(1, "buf")?;
    let n = a.nbytes(2, &view)?;
    p.write(fd, &view.subarray(0, n as u32).to_vec()).js("write").map(count)
}

fn pwrite(p: &Proc, a: &Args) -> R {
    let fd = a.fd(0, "fd")?;
    let view = a.buffer(1, "buf")?;
    let off = a.int(2, "offset", -MAX_SAFE, MAX_SAFE)?;
    let n = a.nbytes(3, &view)?;
    p.pwrite(fd, &view.subarray(0, n as u32).to_vec(), off).js("pwrite").map(count)
}

fn lseek(p: &Proc, a: &Args) -> R {
    let fd = a.fd(0, "fd")?;
    let off = a.int(1, "offset", -MAX_SAFE, MAX_SAFE)?;
    let whence = a.int(2, "whence", i32::MIN as i64, i32::MAX as i64)? as i32;
    p.lseek(fd, off, whence).js("lseek").map(|n| num(n as f64))
}

fn fstat(p: &Proc, a: &Args) -> R {
    p.fstat(a.fd(0, "fd")?).js("fstat").map(stats)
}

fn stat(p: &Proc, a: &Args) -> R {
    let path = a.path(0, "path")?;
    p.stat(&path.bytes).jp("stat", &path).map(stats)
}

fn lstat(p: &Proc, a: &Args) -> R {
    let path = a.path(0, "path")?;
    p.lstat(&path.bytes).jp("lstat", &path).map(stats)
}

fn fstatat(p: &Proc, a: &Args) -> R {
    let d = a.fd(0, "dirfd")?;
    let path = a.path(1, "path")?;
    let fl = a.flags(2)?;
    p.fstatat(d, &path.bytes, fl).jp("fstatat", &path).map(stats)
}

fn access(p: &Proc, a: &Args) -> R {
    let path = a.path(0, "path")?;
    let m = a.u32(1, "mode", false)?;
    p.access(&path.bytes, m).jp("access", &path).map(undef)
}

fn faccessat(p: &Proc, a: &Args) -> R {
    let d = a.fd(0, "dirfd")?;
    let path = a.path(1, "path")?;
    let m = a.u32(2, "mode", false)?;
    let fl = a.flags(3)?;
    p.faccessat(d, &path.bytes, m, fl).jp("faccessat", &path).map(undef)
}

fn pathconf(p: &Proc, a: &Args) -> R {
    let path = a.path(0, "path")?;
    let name = a.int(1, "name", i32::MIN as i64, i32::MAX as i64)? as i32;
    p.pathconf(&path.bytes, name).jp("pathconf", &path).map(|n| num(n as f64))
}

fn mkdir(p: &Proc, a: &Args) -> R {
    let path = a.path(0, "path")?;
    let m = a.mode(1, "mode", 0o777)?;
    p.mkdir(&path.bytes, m).jp("mkdir", &path).map(undef)
}

fn mkdirat(p: &Proc, a: &Args) -> R {
    let d = a.fd(0, "dirfd")?;
    let path = a.path(1, "path")?;
    let m = a.mode(2, "mode", 0o777)?;
    p.mkdirat(d, &path.bytes, m).jp("mkdirat", &path).map(undef)
}

fn rmdir(p: &Proc, a: &Args) -> R {
    let path = a.path(0, "path")?;
    p.rmdir(&path.bytes).jp("rmdir", &path).map(undef)
}

fn unlink(p: &Proc, a: &Args) -> R {
    let path = a.path(0, "path")?;
    p.unlink(&path.bytes).jp("unlink", &path).map(undef)
}

fn unlinkat(p: &Proc, a: &Args) -> R {
    let d = a.fd(0, "dirfd")?;
    let path = a.path(1, "path")?;
    let fl = a.flags(2)?;
    p.unlinkat(d, &path.bytes, fl).jp("unlinkat", &path).map(undef)
}

fn two_paths(a: &Args, i: usize, j: usize) -> JsResult<(PathArg, PathArg)> {
    Ok((a.path(i, "from")?, a.path(j, "to")?))
}

fn rename(p: &Proc, a: &Args) -> R {
    let (f, t) = two_paths(a, 0, 1)?;
    p.rename(&f.bytes, &t.bytes).jp2("rename", &f, &t).map(undef)
}

fn renameat(p: &Proc, a: &Args) -> R {
    let fd1 = a.fd(0, "fromfd")?;
    let fd2 = a.fd(2, "tofd")?;
    let (f, t) = two_paths(a, 1, 3)?;
    p.renameat(fd1, &f.bytes, fd2, &t.bytes).jp2("renameat", &f, &t).map(undef)
}

fn link(p: &Proc, a: &Args) -> R {
    let (f, t) = two_paths(a, 0, 1)?;
    p.link(&f.bytes, &t.bytes).jp2("link", &f, &t).map(undef)
}

fn linkat(p: &Proc, a: &Args) -> R {
    let fd1 = a.fd(0, "fromfd")?;
    let fd2 = a.fd(2, "tofd")?;
    let (f, t) = two_paths(a, 1, 3)?;
    let fl = a.flags(4)?;
    p.linkat(fd1, &f.bytes, fd2, &t.bytes, fl).jp2("linkat", &f, &t).map(undef)
}

fn symlink(p: &Proc, a: &Args) -> R {
    let target = a.path(0, "target")?;
    let path = a.path(1, "path")?;
    p.symlink(&target.bytes, &path.bytes).jp2("symlink", &target, &path).map(undef)
}

fn symlinkat(p: &Proc, a: &Args) -> R {
    let target = a.path(0, "target")?;
    let d = a.fd(1, "dirfd")?;
    let path = a.path(2, "path")?;
    p.symlinkat(&target.bytes, d, &path.bytes).jp2("symlinkat", &target, &path).map(undef)
}

fn readlink(p: &Proc, a: &Args) -> R {
    let path = a.path(0, "path")?;
    p.readlink(&path.bytes).jp("readlink", &path).map(|b| bytes_str(&b))
}

fn readlinkat(p: &Proc, a: &Args) -> R {
    let d = a.fd(0, "dirfd")?;
    let path = a.path(1, "path")?;
    p.readlinkat(d, &path.bytes).jp("readlinkat", &path).map(|b| bytes_str(&b))
}

/// A device number; -1 is NODEV, as NetBSD's own tests pass it for mknod(S_IFREG).
fn dev_arg(a: &Args, i: usize) -> JsResult<u64> {
    let d = a.int_or(i, "dev", -1, MAX_SAFE, 0)?;
    Ok(if d < 0 { u64::MAX } else { d as u64 })
}

fn mknod(p: &Proc, a: &Args) -> R {
    let path = a.path(0, "path")?;
    let m = a.u32(1, "mode", false)?;
    let dev = dev_arg(a, 2)?;
    p.mknod(&path.bytes, m, dev).jp("mknod", &path).map(undef)
}

fn mknodat(p: &Proc, a: &Args) -> R {
    let d = a.fd(0, "dirfd")?;
    let path = a.path(1, "path")?;
    let m = a.u32(2, "mode", false)?;
    let dev = dev_arg(a, 3)?;
    p.mknodat(d, &path.bytes, m, dev).jp("mknodat", &path).map(undef)
}

fn mkfifo(p: &Proc, a: &Args) -> R {
    let path = a.path(0, "path")?;
    let m = a.mode(1, "mode", 0o666)?;
    p.mkfifo(&path.bytes, m).jp("mkfifo", &path).map(undef)
}

fn getdents(p: &Proc, a: &Args) -> R {
    let fd = a.fd(0, "fd")?;
    let view = a.buffer(1, "buf")?;
    let n = view.length() as usize;
    read_into(&view, n, |b| p.getdents(fd, b)).js("getdents").map(count)
}

fn readdir(p: &Proc, a: &Args) -> R {
    let fd = a.fd(0, "fd")?;
    let max = a.int_or(1, "max", 0, MAX_SAFE, MAX_SAFE)? as usize;
    let ents = p.readdir(fd, max).js("getdents")?;
    let out = Array::new();
    for e in &ents {
        out.push(&plain(&[("ino", num(e.ino as f64)), ("name", bytes_str(&e.name)), ("type", num(e.dtype))])?);
    }
    Ok(out.into())
}

fn chmod(p: &Proc, a: &Args) -> R {
    let path = a.path(0, "path")?;
    let m = a.u32(1, "mode", false)?;
    p.chmod(&path.bytes, m).jp("chmod", &path).map(undef)
}

fn lchmod(p: &Proc, a: &Args) -> R {
    let path = a.path(0, "path")?;
    let m = a.u32(1, "mode", false)?;
    p.lchmod(&path.bytes, m).jp("lchmod", &path).map(undef)
}

fn fchmodat(p: &Proc, a: &Args) -> R {
    let d = a.fd(0, "dirfd")?;
    let path = a.path(1, "path")?;
    let m = a.u32(2, "mode", false)?;
    let fl = a.flags(3)?;
    p.fchmodat(d, &path.bytes, m, fl).jp("fchmodat", &path).map(undef)
}

fn fchmod(p: &Proc, a: &Args) -> R {
    let fd = a.fd(0, "fd")?;
    let m = a.u32(1, "mode", false)?;
    p.fchmod(fd, m).js("fchmod").map(undef)
}

fn ids(a: &Args, i: usize) -> JsResult<(u32, u32)> {
    Ok((a.u32(i, "uid", true)?, a.u32(i + 1, "gid", true)?))
}

fn chown(p: &Proc, a: &Args) -> R {
    let path = a.path(0, "path")?;
    let (u, g) = ids(a, 1)?;
    p.chown(&path.bytes, u, g).jp("chown", &path).map(undef)
}

fn lchown(p: &Proc, a: &Args) -> R {
    let path = a.path(0, "path")?;
    let (u, g) = ids(a, 1)?;
    p.lchown(&path.bytes, u, g).jp("lchown", &path).map(undef)
}

fn fchownat(p: &Proc, a: &Args) -> R {
    let d = a.fd(0, "dirfd")?;
    let path = a.path(1, "path")?;
    let (u, g) = ids(a, 2)?;
    let fl = a.flags(4)?;
    p.fchownat(d, &path.bytes, u, g, fl).jp("fchownat", &path).map(undef)
}

fn fchown(p: &Proc, a: &Args) -> R {
    let fd = a.fd(0, "fd")?;
    let (u, g) = ids(a, 1)?;
    p.fchown(fd, u, g).js("fchown").map(undef)
}

fn chflags(p: &Proc, a: &Args) -> R {
    let path = a.path(0, "path")?;
    let f = a.u32(1, "flags", false)?;
    p.chflags(&path.bytes, f).jp("chflags", &path).map(undef)
}

fn lchflags(p: &Proc, a: &Args) -> R {
    let path = a.path(0, "path")?;
    let f = a.u32(1, "flags", false)?;
    p.lchflags(&path.bytes, f).jp("lchflags", &path).map(undef)
}

fn fchflags(p: &Proc, a: &Args) -> R {
    let fd = a.fd(0, "fd")?;
    let f = a.u32(1, "flags", false)?;
    p.fchflags(fd, f).js("fchflags").map(undef)
}

/// One time: seconds (fractional) or a Date; `special` allows 'now'/'omit'.
fn time_arg(v: &JsValue, name: &str, special: bool) -> JsResult<UtimeSpec> {
    if special {
        match v.as_string().as_deref() {
            Some("now") => return Ok(UtimeSpec::Now),
            Some("omit") => return Ok(UtimeSpec::Omit),
            _ => {}
        }
    }
    let secs = if let Some(n) = v.as_f64() {
        n
    } else if let Some(d) = v.dyn_ref::<Date>() {
        d.get_time() / 1000.0
    } else {
        return Err(crate::args::invalid_arg_type(name, "of type number or an instance of Date", v));
    };
    if !secs.is_finite() || secs.abs() > MAX_SAFE as f64 {
        return Err(crate::args::out_of_range(name, "a finite number of seconds", v));
    }
    let s = secs.floor();
    let ns = (((secs - s) * 1e9).round() as u32).min(999_999_999);
    Ok(UtimeSpec::Set(Timespec::new(s as i64, ns)))
}

/// `[atime, mtime]` or null/undefined (now).
fn times_arg(a: &Args, i: usize, special: bool) -> JsResult<Option<[UtimeSpec; 2]>> {
    let v = a.get(i);
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    let Some(arr) = v.dyn_ref::<Array>() else {
        return Err(crate::args::invalid_arg_type("times", "an Array of two times, or null", &v));
    };
    Ok(Some([time_arg(&arr.get(0), "times[0]", special)?, time_arg(&arr.get(1), "times[1]", special)?]))
}

fn plain_times(t: Option<[UtimeSpec; 2]>) -> Option<[Timespec; 2]> {
    t.map(|t| t.map(|x| if let UtimeSpec::Set(ts) = x { ts } else { Timespec::default() }))
}

fn utimes(p: &Proc, a: &Args) -> R {
    let path = a.path(0, "path")?;
    let t = plain_times(times_arg(a, 1, false)?);
    p.utimes(&path.bytes, t).jp("utimes", &path).map(undef)
}

fn lutimes(p: &Proc, a: &Args) -> R {
    let path = a.path(0, "path")?;
    let t = plain_times(times_arg(a, 1, false)?);
    p.lutimes(&path.bytes, t).jp("lutimes", &path).map(undef)
}

fn futimes(p: &Proc, a: &Args) -> R {
    let fd = a.fd(0, "fd")?;
    let t = plain_times(times_arg(a, 1, false)?);
    p.futimes(fd, t).js("futimes").map(undef)
}

fn futimens(p: &Proc, a: &Args) -> R {
    let fd = a.fd(0, "fd")?;
    let t = times_arg(a, 1, true)?;
    p.futimens(fd, t).js("futimens").map(undef)
}

fn utimensat(p: &Proc, a: &Args) -> R {
    let d = a.fd(0, "dirfd")?;
    let path = a.path(1, "path")?;
    let t = times_arg(a, 2, true)?;
    let fl = a.flags(3)?;
    p.utimensat(d, &path.bytes, t, fl).jp("utimensat", &path).map(undef)
}

fn truncate(p: &Proc, a: &Args) -> R {
    let path = a.path(0, "path")?;
    let l = a.int(1, "length", -MAX_SAFE, MAX_SAFE)?;
    p.truncate(&path.bytes, l).jp("truncate", &path).map(undef)
}

fn ftruncate(p: &Proc, a: &Args) -> R {
    let fd = a.fd(0, "fd")?;
    let l = a.int(1, "length", -MAX_SAFE, MAX_SAFE)?;
    p.ftruncate(fd, l).js("ftruncate").map(undef)
}

fn fsync(p: &Proc, a: &Args) -> R {
    p.fsync(a.fd(0, "fd")?).js("fsync").map(undef)
}

fn sync(p: &Proc, _a: &Args) -> R {
    p.sync().js("sync").map(undef)
}

fn dup(p: &Proc, a: &Args) -> R {
    p.dup(a.fd(0, "fd")?).js("dup").map(JsValue::from)
}

fn dup2(p: &Proc, a: &Args) -> R {
    let o = a.fd(0, "oldfd")?;
    let n = a.fd(1, "newfd")?;
    p.dup2(o, n).js("dup2").map(JsValue::from)
}

fn fcntl(p: &Proc, a: &Args) -> R {
    let fd = a.fd(0, "fd")?;
    let cmd = a.int(1, "cmd", i32::MIN as i64, i32::MAX as i64)? as i32;
    if matches!(cmd, kernel::vfs::F_GETLK | kernel::vfs::F_SETLK | kernel::vfs::F_SETLKW) {
        return fcntl_lock(p, fd, cmd, &a.get(2));
    }
    let v = a.int_or(2, "arg", -MAX_SAFE, MAX_SAFE, 0)?;
    p.fcntl(fd, cmd, v).js("fcntl").map(|n| num(n as f64))
}

/// fcntl(fd, F_GETLK | F_SETLK | F_SETLKW, {type, whence, start, len}): the struct flock as an object
/// (F_GETLK answers with the conflicting lock, or type F_UNLCK).
fn fcntl_lock(p: &Proc, fd: i32, cmd: i32, v: &JsValue) -> R {
    let Some(o) = crate::args::options(v, "flock")? else {
        return Err(crate::args::invalid_arg_type("flock", "an object {type, whence, start, len}", v));
    };
    let o = Some(o);
    let field = |k: &str, min: i64, max: i64| -> JsResult<i64> {
        let val = crate::args::opt(&o, k)?;
        if val.is_undefined() {
            return Ok(0);
        }
        crate::args::int(&val, &format!("flock.{k}"), min, max)
    };
    let ltype = field("type", i16::MIN as i64, i16::MAX as i64)? as i16;
    let whence = field("whence", i16::MIN as i64, i16::MAX as i64)? as i16;
    let start = field("start", -MAX_SAFE, MAX_SAFE)?;
    let len = field("len", -MAX_SAFE, MAX_SAFE)?;
    let mut fl = kernel::vfs::Flock { start, len, pid: 0, ltype, whence };
    p.fcntl_lock(fd, cmd, &mut fl).js("fcntl")?;
    if cmd != kernel::vfs::F_GETLK {
        return Ok(num(0));
    }
    plain(&[
        ("type", num(fl.ltype)),
        ("whence", num(fl.whence)),
        ("start", num(fl.start as f64)),
        ("len", num(fl.len as f64)),
        ("pid", num(fl.pid as f64)),
    ])
}

fn chdir(p: &Proc, a: &Args) -> R {
    let path = a.path(0, "path")?;
    p.chdir(&path.bytes).jp("chdir", &path).map(undef)
}

fn fchdir(p: &Proc, a: &Args) -> R {
    p.fchdir(a.fd(0, "fd")?).js("fchdir").map(undef)
}

fn chroot(p: &Proc, a: &Args) -> R {
    let path = a.path(0, "path")?;
    p.chroot(&path.bytes).jp("chroot", &path).map(undef)
}

fn getcwd(p: &Proc, _a: &Args) -> R {
    p.getcwd().js("getcwd").map(|b| bytes_str(&b))
}

fn realpath(p: &Proc, a: &Args) -> R {
    let path = a.path(0, "path")?;
    p.realpath(&path.bytes).jp("realpath", &path).map(|b| bytes_str(&b))
}

fn statvfs(p: &Proc, a: &Args) -> R {
    let path = a.path(0, "path")?;
    statfs(&p.statvfs(&path.bytes).jp("statvfs", &path)?)
}

fn fstatvfs(p: &Proc, a: &Args) -> R {
    statfs(&p.fstatvfs(a.fd(0, "fd")?).js("fstatvfs")?)
}

fn getvfsstat(p: &Proc, _a: &Args) -> R {
    let out = Array::new();
    for s in p.getvfsstat().js("getvfsstat")? {
        out.push(&statfs(&s)?);
    }
    Ok(out.into())
}

fn mount(p: &Proc, a: &Args) -> R {
    let ty = a.string(0, "type")?;
    let dir = a.path(1, "dir")?;
    let fl = a.int_or(2, "flags", 0, MAX_SAFE, 0)? as u64;
    let spec = a.opt_string(3, "spec")?;
    let opts = MountOptions { opts: crate::convert::mount_opts(&a.get(4), "options", &[])?, ..Default::default() };
    p.mount(&ty, &dir.bytes, fl, spec.as_deref(), &opts).jp("mount", &dir).map(undef)
}

fn unmount(p: &Proc, a: &Args) -> R {
    let dir = a.path(0, "dir")?;
    let fl = a.int_or(1, "flags", 0, MAX_SAFE, 0)? as u64;
    p.unmount(&dir.bytes, fl).jp("unmount", &dir).map(undef)
}

fn umask(p: &Proc, a: &Args) -> R {
    let m = a.mode(0, "mask", u32::MAX)?;
    if m == u32::MAX {
        // umask() without an argument reads the mask, as Node's process.umask() does.
        let old = p.umask(0);
        p.umask(old);
        return Ok(num(old));
    }
    Ok(num(p.umask(m)))
}

fn uname(p: &Proc, _a: &Args) -> R {
    let u = p.uname();
    let s = |v: &str| JsValue::from_str(v);
    plain(&[
        ("sysname", s(&u.sysname)),
        ("nodename", s(&u.nodename)),
        ("release", s(&u.release)),
        ("version", s(&u.version)),
        ("machine", s(&u.machine)),
    ])
}

fn sysctl(p: &Proc, a: &Args) -> R {
    let name = a.string(0, "name")?;
    if a.0.len() > 1 {
        let v = a.string(1, "value")?;
        p.sysctl_set(&name, &v).map_err(|e| errno_error(e, "sysctl", Some(&name), None))?;
    }
    match p.sysctl(&name).map_err(|e| errno_error(e, "sysctl", Some(&name), None))? {
        SysctlValue::Str(s) => Ok(JsValue::from_str(&s)),
        SysctlValue::Int(i) => Ok(num(i as f64)),
    }
}

fn getpid(p: &Proc, _a: &Args) -> R {
    Ok(num(p.pid()))
}

fn getuid(p: &Proc, _a: &Args) -> R {
    Ok(num(p.getcred().uid))
}

fn getgid(p: &Proc, _a: &Args) -> R {
    Ok(num(p.getcred().gid))
}

fn getgroups(p: &Proc, _a: &Args) -> R {
    Ok(p.getcred().groups.into_iter().map(num).collect::<Array>().into())
}
