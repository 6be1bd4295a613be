//! Copies: copyFileSync and cpSync (the one tree copier under Node's rules).

use super::*;

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

pub(super) fn copy_file_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let h = host(ctx)?;
    let (s, d) = two(ctx, a, "src", "dest")?;
    let mode = int_or(ctx, &arg(a, 2), "mode", 0, 7, 0)?;
    match copy_file(&h.proc, &s.bytes, &d.bytes, mode & COPYFILE_EXCL != 0) {
        Ok(()) => Ok(JsValue::undefined()),
        Err((e, _, _)) => Err(errno_error(ctx, e, "copyfile", Some(&s.show()), Some(&d.show()))),
    }
}

pub(super) fn cp_err(ctx: &mut Context, code: &str, msg: String, e: Errno, p: &[u8]) -> JsError {
    let err = errno_error(ctx, e, "cp", Some(&show(p)), None);
    if let Some(o) = err.as_opaque().and_then(|v| v.as_object()) {
        let _ = o.set(JsString::from("code"), JsString::from(code), false, ctx);
        let _ = o.set(JsString::from("message"), JsString::from(msg.as_str()), false, ctx);
    }
    err
}

/// A copier's failure as Node's cp reports it: a refusal of its rules with its code, anything else as
/// the failed call's error.
pub(super) fn cp_error(ctx: &mut Context, e: CopyError) -> JsError {
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
pub(super) enum CpFail {
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
pub(super) fn cp(
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

pub(super) fn cp_sync(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
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
