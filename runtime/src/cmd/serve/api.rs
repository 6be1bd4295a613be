//! The endpoints that only read the kernel: status, directory listings, file contents, downloads and the
//! file-system info report. They run on the HTTP threads with a process of their own (root, cwd `/`), so
//! the file browser answers even while the JavaScript engine is busy. Every path is a kernel path: the
//! kernel is the only file system the API sees.

use super::http::Reader;
use kernel::vfs::{self as v, Kernel, Proc};
use kernel::Errno;
use kernel_bindings::copy::join;
use serde_json::{json, Value};
use std::sync::Arc;

/// Most bytes `/api/read` returns (the viewer's first part of a file).
pub const READ_LIMIT: usize = 256 * 1024;
/// Largest file `/api/download` sends.
pub const DOWNLOAD_LIMIT: u64 = 1 << 30;
/// Most entries `/api/list` returns.
pub const LIST_LIMIT: usize = 10_000;
/// Longest kernel path accepted (NetBSD's PATH_MAX).
pub const PATH_MAX: usize = 1024;

/// A failure with the HTTP status it is answered with.
#[derive(Debug)]
pub struct ApiError {
    pub status: u16,
    pub message: String,
}

pub fn err(status: u16, message: impl Into<String>) -> ApiError {
    ApiError { status, message: message.into() }
}

fn show(p: &[u8]) -> String {
    String::from_utf8_lossy(p).into_owned()
}

/// An errno from the kernel as an HTTP answer: missing things are 404, refusals 403, the rest 400.
fn kerr(path: &[u8], what: &str, e: Errno) -> ApiError {
    let status = match e {
        Errno::ENOENT | Errno::ENOTDIR => 404,
        Errno::EACCES | Errno::EPERM => 403,
        Errno::EIO => 500,
        _ => 400,
    };
    err(status, format!("{what} {}: {e}", show(path)))
}

/// The `path` (or other) query parameter as a kernel path: present, absolute, no NUL, at most PATH_MAX.
pub fn kernel_path(name: &str, p: Option<&[u8]>) -> Result<Vec<u8>, ApiError> {
    let p = p.ok_or_else(|| err(400, format!("missing query parameter '{name}' (a kernel path such as /ffs)")))?;
    if p.is_empty() || p[0] != b'/' {
        return Err(err(400, format!("{name} must be an absolute kernel path (it starts with /): '{}'", show(p))));
    }
    if p.contains(&0) {
        return Err(err(400, format!("{name} contains a NUL byte")));
    }
    if p.len() > PATH_MAX {
        return Err(err(400, format!("{name} is longer than {PATH_MAX} bytes")));
    }
    Ok(p.to_vec())
}

/// The one-letter type the page shows.
pub fn type_letter(mode: u32) -> &'static str {
    match mode & v::S_IFMT {
        v::S_IFREG => "f",
        v::S_IFDIR => "d",
        v::S_IFLNK => "l",
        v::S_IFCHR => "c",
        v::S_IFBLK => "b",
        v::S_IFIFO => "p",
        v::S_IFSOCK => "s",
        v::S_IFWHT => "w",
        _ => "?",
    }
}

fn ms(t: &v::Timespec) -> f64 {
    t.sec as f64 * 1000.0 + (t.nsec / 1_000_000) as f64
}

/// A process of its own for one request: root, cwd `/`, its own descriptors (closed when dropped).
pub fn proc(kernel: &Arc<Kernel>) -> Proc {
    kernel.new_proc(v::Cred::root())
}

/// `GET /api/status`: the boot log and the mounts.
pub fn status(kernel: &Arc<Kernel>, session: &str) -> Value {
    let p = proc(kernel);
    let mounts: Vec<Value> = kernel
        .mounts()
        .iter()
        .filter(|m| !m.is_dead())
        .map(|m| {
            let mut o = json!({ "spec": m.from, "dir": m.on, "type": m.fstype, "readonly": m.is_rdonly() });
            if let Ok(s) = p.statvfs(m.on.as_bytes()) {
                if s.fs.blocks > 0 {
                    o["size"] = json!(s.fs.blocks.saturating_mul(s.fs.frsize));
                    o["free"] = json!(s.fs.bavail.saturating_mul(s.fs.frsize));
                }
            }
            o
        })
        .collect();
    json!({ "dmesg": kernel.state.msgbuf(), "mounts": mounts, "session": session })
}

/// `GET /api/list?path=`: a directory's entries, sorted by name, with lstat's facts (and a link's target).
pub fn list(kernel: &Arc<Kernel>, path: &[u8]) -> Result<Value, ApiError> {
    let p = proc(kernel);
    let st = p.stat(path).map_err(|e| kerr(path, "cannot list", e))?;
    if st.mode & v::S_IFMT != v::S_IFDIR {
        return Err(err(400, format!("cannot list {}: not a directory", show(path))));
    }
    let mut names: Vec<Vec<u8>> = p
        .readdir_path(path)
        .map_err(|e| kerr(path, "cannot list", e))?
        .into_iter()
        .map(|d| d.name)
        .filter(|n| n != b"." && n != b"..")
        .collect();
    names.sort();
    let total = names.len();
    names.truncate(LIST_LIMIT);
    let mut entries = Vec::with_capacity(names.len());
    for name in &names {
        let full = join(path, name);
        let mut e = json!({ "name": show(name) });
        match p.lstat(&full) {
            Ok(st) => {
                e["type"] = json!(type_letter(st.mode));
                e["mode"] = json!(st.mode);
                e["uid"] = json!(st.uid);
                e["gid"] = json!(st.gid);
                e["size"] = json!(st.size);
                e["mtimeMs"] = json!(ms(&st.mtime));
                e["ino"] = json!(st.ino);
                if st.mode & v::S_IFMT == v::S_IFLNK {
                    if let Ok(t) = p.readlink(&full) {
                        e["target"] = json!(show(&t));
                    }
                    if let Ok(t) = p.stat(&full) {
                        e["targetType"] = json!(type_letter(t.mode));
                    }
                }
            }
            // A name whose inode cannot be read (a damaged image) is still listed, with the reason.
            Err(er) => {
                e["type"] = json!("?");
                e["mode"] = json!("??????????");
                e["error"] = json!(er.to_string());
            }
        }
        entries.push(e);
    }
    let mut out = json!({ "path": show(path), "entries": entries });
    if total > names.len() {
        out["truncated"] = json!(total - names.len());
    }
    Ok(out)
}

/// Opens `path` for reading after checking what it is: regular files, and block devices when `devices`;
/// never a FIFO (an open would wait for a writer). The file's size and an open descriptor.
fn open_file(p: &Proc, path: &[u8], devices: bool, what: &str) -> Result<(i32, v::Stat), ApiError> {
    let st = p.stat(path).map_err(|e| kerr(path, what, e))?;
    let t = st.mode & v::S_IFMT;
    if t == v::S_IFDIR {
        return Err(err(400, format!("cannot {what} {}: it is a directory", show(path))));
    }
    if !(t == v::S_IFREG || devices && (t == v::S_IFBLK || t == v::S_IFCHR)) {
        return Err(err(400, format!("cannot {what} {}: not a regular file ({})", show(path), type_letter(st.mode))));
    }
    let fd = p.open(path, v::O_RDONLY | v::O_NONBLOCK, 0).map_err(|e| kerr(path, what, e))?;
    let st = p.fstat(fd).map_err(|e| kerr(path, what, e))?;
    if st.mode & v::S_IFMT != t {
        let _ = p.close(fd);
        return Err(err(409, format!("cannot {what} {}: it changed while being opened", show(path))));
    }
    Ok((fd, st))
}

/// `GET /api/read?path=`: the first READ_LIMIT bytes of a file, and its whole size.
pub fn read(kernel: &Arc<Kernel>, path: &[u8]) -> Result<(Vec<u8>, u64), ApiError> {
    let p = proc(kernel);
    let (fd, st) = open_file(&p, path, true, "read")?;
    let mut buf = vec![0u8; READ_LIMIT];
    let mut n = 0;
    while n < buf.len() {
        match p.pread(fd, &mut buf[n..], n as i64) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) => return Err(kerr(path, "read", e)),
        }
    }
    buf.truncate(n);
    let total = if st.mode & v::S_IFMT == v::S_IFREG { st.size.max(n as u64) } else { n as u64 };
    Ok((buf, total))
}

/// `GET /api/download?path=`: a regular file of at most DOWNLOAD_LIMIT bytes: its size, name and a reader
/// that streams it (the reader owns the process and its descriptor).
pub fn download(kernel: &Arc<Kernel>, path: &[u8]) -> Result<(u64, String, Reader), ApiError> {
    let p = proc(kernel);
    let (fd, st) = open_file(&p, path, false, "download")?;
    if st.size > DOWNLOAD_LIMIT {
        return Err(err(
            413,
            format!(
                "cannot download {}: {} bytes is over the download limit of {} bytes (copy it out with `get` and --allow-host)",
                show(path),
                st.size,
                DOWNLOAD_LIMIT
            ),
        ));
    }
    let name = show(path.rsplit(|&c| c == b'/').next().unwrap_or(b"file"));
    let mut off = 0i64;
    let reader: Reader = Box::new(move |buf: &mut [u8]| {
        let n = p.pread(fd, buf, off).map_err(|e| std::io::Error::other(e.to_string()))?;
        off += n as i64;
        Ok(n)
    });
    Ok((st.size, name, reader))
}

/// `Content-Disposition` for a download named `name`: an ASCII fallback and the UTF-8 name (RFC 6266).
pub fn content_disposition(name: &str) -> String {
    let ascii: String =
        name.chars().map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' }).collect();
    let mut enc = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            enc.push(b as char);
        } else {
            enc.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{enc}")
}

/// `GET /api/info?dir=`: what the file system mounted at (or holding) `dir` says about itself
/// (FileSystem::info: for FFS the superblock's geometry, counts, clean flag, byte order and cache).
pub fn info(kernel: &Arc<Kernel>, dir: &[u8]) -> Result<Value, ApiError> {
    let p = proc(kernel);
    let st = p.statvfs(dir).map_err(|e| kerr(dir, "no file system at", e))?;
    let m = kernel
        .mounts()
        .into_iter()
        .find(|m| m.fsid == st.fsid && !m.is_dead())
        .ok_or_else(|| err(404, format!("no mounted file system holds {}", show(dir))))?;
    let pairs = m.fs.info();
    let w = pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut text = format!("{} on {} ({})\n", m.from, m.on, m.fstype);
    if pairs.is_empty() {
        text.push_str("  (this file system has nothing to report)\n");
    }
    for (k, val) in &pairs {
        text.push_str(&format!("  {k:<w$}  {val}\n"));
    }
    let fields: serde_json::Map<String, Value> = pairs.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
    Ok(json!({ "dir": m.on, "spec": m.from, "type": m.fstype, "text": text, "fields": fields }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_letters() {
        assert_eq!(type_letter(0o060600), "b");
        assert_eq!(type_letter(0o040755), "d");
        assert_eq!(type_letter(0o120777), "l");
    }

    #[test]
    fn paths_are_checked() {
        assert!(kernel_path("path", None).is_err());
        assert!(kernel_path("path", Some(b"ffs")).is_err());
        assert!(kernel_path("path", Some(b"/a\0b")).is_err());
        assert!(kernel_path("path", Some(&[b'/'; PATH_MAX + 1])).is_err());
        assert_eq!(kernel_path("path", Some(b"/ffs/../etc")).unwrap(), b"/ffs/../etc");
    }

    #[test]
    fn download_names() {
        assert_eq!(content_disposition("a b.txt"), "attachment; filename=\"a b.txt\"; filename*=UTF-8''a%20b.txt");
        assert_eq!(content_disposition("é\"x"), "attachment; filename=\"__x\"; filename*=UTF-8''%C3%A9%22x");
    }
}
