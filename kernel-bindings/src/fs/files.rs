//! Files: reading and writing whole files and by descriptor, open, close, truncate, fsync.

use super::*;

pub(super) fn read_file_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
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
pub(super) fn with_path(ctx: &mut Context, e: JsError, p: &PathArg) -> JsError {
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

pub(super) fn write_file_common(a: &[JsValue], ctx: &mut Context, def_flags: u32) -> R {
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

pub(super) fn write_file_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    write_file_common(a, ctx, v::O_WRONLY | v::O_CREAT | v::O_TRUNC)
}

pub(super) fn append_file_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    write_file_common(a, ctx, v::O_WRONLY | v::O_CREAT | v::O_APPEND)
}

pub(super) fn open_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = path(ctx, &arg(a, 0), "path")?;
    let fl = open_flags(ctx, &arg(a, 1), v::O_RDONLY)?;
    let mode = args::mode(ctx, &arg(a, 2), "mode", 0o666)?;
    h.proc.open(&p.bytes, fl, mode).jp(ctx, "open", &p).map(JsValue::from)
}

pub(super) fn close_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let fd = fd(ctx, &arg(a, 0))?;
    h.proc.close(fd).js(ctx, "close", None).map(undef)
}

/// (offset, length, position) of readSync/writeSync, from positional arguments or an options object.
pub(super) fn io_range(ctx: &mut Context, a: &[JsValue], view_len: usize) -> JsResult<(usize, usize, Option<i64>)> {
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

pub(super) fn read_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
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

pub(super) fn write_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
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

pub(super) fn fsync_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let fd = fd(ctx, &arg(a, 0))?;
    h.proc.fsync(fd).js(ctx, "fsync", None).map(undef)
}

pub(super) fn truncate_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let t = target(ctx, &arg(a, 0))?;
    let len = int_or(ctx, &arg(a, 1), "len", 0, MAX_SAFE, 0)?;
    match t {
        Target::Path(p) => h.proc.truncate(&p.bytes, len).jp(ctx, "open", &p).map(undef),
        Target::Fd(fd) => h.proc.ftruncate(fd, len).js(ctx, "ftruncate", None).map(undef),
    }
}

pub(super) fn ftruncate_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let fd = fd(ctx, &arg(a, 0))?;
    let len = int_or(ctx, &arg(a, 1), "len", 0, MAX_SAFE, 0)?;
    h.proc.ftruncate(fd, len).js(ctx, "ftruncate", None).map(undef)
}
