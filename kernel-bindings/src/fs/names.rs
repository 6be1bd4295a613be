//! Names: directories, removal, rename, links, symbolic links, realpath.

use super::*;

pub(super) fn readdir_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
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
                if let Ok(st) = h.proc.lstat(&copy::join(&dir, &e.name)) {
                    dtype = st.vtype().map_or(v::DT_UNKNOWN, |t| t.dtype());
                }
            }
            let relname = if rel.is_empty() { e.name.clone() } else { copy::join(&rel, &e.name) };
            if with_types {
                let nv = name_val(ctx, &e.name)?;
                out.push(convert::dirent(&h, nv, parent.clone(), dtype));
            } else {
                out.push(name_val(ctx, &relname)?);
            }
            if recursive && dtype == v::DT_DIR {
                queue.push_back((copy::join(&dir, &e.name), relname));
            }
        }
    }
    Ok(JsArray::from_iter(out, ctx).into())
}

/// mkdir -p: the first directory created, if any.
pub(super) fn mkdir_p(h: &KernelHost, p: &[u8], mode: u32) -> Result<Option<Vec<u8>>, (Errno, Vec<u8>)> {
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

pub(super) fn trim_slashes(p: &[u8]) -> &[u8] {
    let mut end = p.len();
    while end > 1 && p[end - 1] == b'/' {
        end -= 1;
    }
    &p[..end]
}

pub(super) fn mkdir_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
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

pub(super) fn mkdtemp_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = path(ctx, &arg(a, 0), "prefix")?;
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    for _ in 0..100 {
        let mut rnd = [0u8; 6];
        h.proc.kernel().hyper().random(&mut rnd).js(ctx, "getrandom", None)?;
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
pub(super) fn rm_tree(proc: &Proc, p: &[u8]) -> Result<(), (Errno, &'static str, Vec<u8>)> {
    let st = proc.lstat(p).map_err(|e| (e, "lstat", p.to_vec()))?;
    if st.mode & v::S_IFMT != v::S_IFDIR {
        return proc.unlink(p).map_err(|e| (e, "unlink", p.to_vec()));
    }
    let ents = proc.readdir_path(p).map_err(|e| (e, "scandir", p.to_vec()))?;
    for e in ents {
        if e.name != b"." && e.name != b".." {
            rm_tree(proc, &copy::join(p, &e.name))?;
        }
    }
    proc.rmdir(p).map_err(|e| (e, "rmdir", p.to_vec()))
}

pub(super) fn rm_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
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

pub(super) fn rmdir_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
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

pub(super) fn unlink_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = path(ctx, &arg(a, 0), "path")?;
    h.proc.unlink(&p.bytes).jp(ctx, "unlink", &p).map(undef)
}

pub(super) fn two(ctx: &mut Context, a: &[JsValue], n1: &str, n2: &str) -> JsResult<(PathArg, PathArg)> {
    let x = path(ctx, &arg(a, 0), n1)?;
    let y = path(ctx, &arg(a, 1), n2)?;
    Ok((x, y))
}

pub(super) fn rename_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let (f, t) = two(ctx, a, "oldPath", "newPath")?;
    h.proc.rename(&f.bytes, &t.bytes).jp2(ctx, "rename", &f, &t).map(undef)
}

pub(super) fn link_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let (f, t) = two(ctx, a, "existingPath", "newPath")?;
    h.proc.link(&f.bytes, &t.bytes).jp2(ctx, "link", &f, &t).map(undef)
}

pub(super) fn symlink_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let (f, t) = two(ctx, a, "target", "path")?;
    let ty = arg(a, 2);
    if !ty.is_null_or_undefined() && !ty.is_string() {
        return Err(invalid_arg_type(ctx, "type", "of type string", &ty));
    }
    h.proc.symlink(&f.bytes, &t.bytes).jp2(ctx, "symlink", &f, &t).map(undef)
}

pub(super) fn readlink_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = path(ctx, &arg(a, 0), "path")?;
    let (enc, _) = enc_opts(ctx, &arg(a, 1), "options")?;
    let t = h.proc.readlink(&p.bytes).jp(ctx, "readlink", &p)?;
    let mut v = AlignedVec::<u8>::new(64);
    v.extend_from_slice(&t);
    decode(ctx, v, if enc == Enc::Buffer && arg(a, 1).is_null_or_undefined() { Enc::Utf8 } else { enc })
}

pub(super) fn realpath_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let p = path(ctx, &arg(a, 0), "path")?;
    h.proc.realpath(&p.bytes).jp(ctx, "realpath", &p).map(|b| bytes_str(&b))
}
