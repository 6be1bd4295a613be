//! Metadata: stat, access, statfs, modes, owners and times.

use super::*;

pub(super) fn stat_common(a: &[JsValue], ctx: &mut Context, follow: bool) -> R {
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

pub(super) fn stat_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    stat_common(a, ctx, true)
}

pub(super) fn lstat_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    stat_common(a, ctx, false)
}

pub(super) fn fstat_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let fd = fd(ctx, &arg(a, 0))?;
    let o = options(ctx, &arg(a, 1), "options")?;
    let st = h.proc.fstat(fd).js(ctx, "fstat", None)?;
    if opt_bool(ctx, &o, "bigint", false)? {
        return Ok(convert::bigint_stats(&h, &st));
    }
    Ok(convert::stats(&h, &st))
}

pub(super) fn exists_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let Ok(p) = path(ctx, &arg(a, 0), "path") else { return Ok(false.into()) };
    Ok(h.proc.access(&p.bytes, v::F_OK).is_ok().into())
}

pub(super) fn access_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = path(ctx, &arg(a, 0), "path")?;
    let m = int_or(ctx, &arg(a, 1), "mode", 0, 7, 0)? as u32;
    h.proc.access(&p.bytes, m).jp(ctx, "access", &p).map(undef)
}

pub(super) fn statfs_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = path(ctx, &arg(a, 0), "path")?;
    let s = h.proc.statvfs(&p.bytes).jp(ctx, "statfs", &p)?;
    Ok(convert::statfs(&h, &s))
}

pub(super) fn chmod_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = path(ctx, &arg(a, 0), "path")?;
    let m = mode_req(ctx, &arg(a, 1))?;
    h.proc.chmod(&p.bytes, m).jp(ctx, "chmod", &p).map(undef)
}

pub(super) fn mode_req(ctx: &mut Context, val: &JsValue) -> JsResult<u32> {
    if val.is_undefined() {
        return Err(invalid_arg_type(ctx, "mode", "of type number or string", val));
    }
    args::mode(ctx, val, "mode", 0)
}

pub(super) fn lchmod_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = path(ctx, &arg(a, 0), "path")?;
    let m = mode_req(ctx, &arg(a, 1))?;
    h.proc.lchmod(&p.bytes, m).jp(ctx, "lchmod", &p).map(undef)
}

pub(super) fn fchmod_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let fd = fd(ctx, &arg(a, 0))?;
    let m = mode_req(ctx, &arg(a, 1))?;
    h.proc.fchmod(fd, m).js(ctx, "fchmod", None).map(undef)
}

pub(super) fn ids(ctx: &mut Context, a: &[JsValue]) -> JsResult<(u32, u32)> {
    let u = args::u32_arg(ctx, &arg(a, 1), "uid", true)?;
    let g = args::u32_arg(ctx, &arg(a, 2), "gid", true)?;
    Ok((u, g))
}

pub(super) fn chown_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = path(ctx, &arg(a, 0), "path")?;
    let (u, g) = ids(ctx, a)?;
    h.proc.chown(&p.bytes, u, g).jp(ctx, "chown", &p).map(undef)
}

pub(super) fn lchown_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = path(ctx, &arg(a, 0), "path")?;
    let (u, g) = ids(ctx, a)?;
    h.proc.lchown(&p.bytes, u, g).jp(ctx, "lchown", &p).map(undef)
}

pub(super) fn fchown_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let fd = fd(ctx, &arg(a, 0))?;
    let (u, g) = ids(ctx, a)?;
    h.proc.fchown(fd, u, g).js(ctx, "fchown", None).map(undef)
}

/// Node's time argument: seconds (number or numeric string) or a Date.
pub(super) fn node_time(ctx: &mut Context, val: &JsValue, name: &str) -> JsResult<UtimeSpec> {
    if let Some(s) = val.as_string() {
        let t = s.to_std_string_escaped();
        return match t.trim().parse::<f64>() {
            Ok(secs) => crate::sys::secs_to_timespec(ctx, secs, val, name).map(UtimeSpec::Set),
            Err(_) => Err(invalid_arg_type(ctx, name, "of type number or an instance of Date", val)),
        };
    }
    crate::sys::time_arg(ctx, val, name, false)
}

pub(super) fn times(ctx: &mut Context, a: &[JsValue]) -> JsResult<[UtimeSpec; 2]> {
    Ok([node_time(ctx, &arg(a, 1), "atime")?, node_time(ctx, &arg(a, 2), "mtime")?])
}

pub(super) fn utimes_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = path(ctx, &arg(a, 0), "path")?;
    let t = times(ctx, a)?;
    h.proc.utimensat(v::AT_FDCWD, &p.bytes, Some(t), 0).jp(ctx, "utime", &p).map(undef)
}

pub(super) fn lutimes_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = path(ctx, &arg(a, 0), "path")?;
    let t = times(ctx, a)?;
    h.proc.utimensat(v::AT_FDCWD, &p.bytes, Some(t), v::AT_SYMLINK_NOFOLLOW).jp(ctx, "lutime", &p).map(undef)
}

pub(super) fn futimes_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let fd = fd(ctx, &arg(a, 0))?;
    let t = times(ctx, a)?;
    h.proc.futimens(fd, Some(t)).js(ctx, "futime", None).map(undef)
}
