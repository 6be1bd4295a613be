//! The `--image` files of `rumpjs serve`, served read-only over HTTP with byte ranges (RFC 9110 14), so
//! that the page's kernel reads an image block by block and a large one is never sent whole. One range
//! per request: `bytes=FIRST-LAST`, `bytes=FIRST-` or `bytes=-SUFFIX`, answered 206 with its
//! `Content-Range`; a range that is malformed, lies past the end, or comes with others is answered 416
//! (`Content-Range: bytes */SIZE`) rather than with the whole file. No Range: 200 and the whole file.
//! The files are opened read-only at start and only ever read.

use super::http::{Body, Request, Response};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// One `--image` file the server serves.
pub(super) struct ServedImage {
    /// The path the page fetches it at: `/images/N/NAME`.
    pub(super) url: String,
    /// Where the page mounts it (the `PATH:/DIR` of --image; /ffs by default).
    pub(super) mountpoint: String,
    pub(super) path: PathBuf,
    file: Arc<File>,
    pub(super) size: u64,
    /// Bytes of it sent so far, and requests for it.
    pub(super) sent: Arc<AtomicU64>,
    pub(super) requests: AtomicU64,
}

/// `%XX` for everything in a file name that is not plainly safe in a URL path.
fn url_name(name: &str) -> String {
    name.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

impl ServedImage {
    /// Opens image number `n` at `path` read-only: a regular file or a block device.
    pub(super) fn open(n: usize, path: &Path, mountpoint: &str) -> Result<ServedImage, String> {
        let show = path.display();
        let file = File::open(path).map_err(|e| format!("--image {show}: {}", crate::cmd::common::io_text(&e)))?;
        let meta = file.metadata().map_err(|e| format!("--image {show}: {e}"))?;
        if meta.is_dir() {
            return Err(format!("--image {show}: is a directory"));
        }
        // A block device's metadata says 0 bytes; its end says how many.
        let size = match meta.len() {
            0 => std::io::Seek::seek(&mut &file, std::io::SeekFrom::End(0)).unwrap_or(0),
            n => n,
        };
        let name = path.file_name().map_or("image".into(), |n| n.to_string_lossy().into_owned());
        Ok(ServedImage {
            url: format!("/images/{n}/{}", url_name(&name)),
            mountpoint: mountpoint.to_string(),
            path: path.to_path_buf(),
            file: Arc::new(file),
            size,
            sent: Arc::new(AtomicU64::new(0)),
            requests: AtomicU64::new(0),
        })
    }

    /// Whether the (percent-decoded) request path `path` names this image.
    pub(super) fn is_at(&self, path: &str) -> bool {
        super::http::percent_decode(&self.url, false) == path.as_bytes()
    }

    /// Answers a GET or HEAD of this image.
    pub(super) fn answer(&self, req: &Request) -> Response {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let (status, first, len) = match ask(req.header("range"), self.size) {
            Ask::Whole => (200, 0, self.size),
            Ask::Part { first, last } => (206, first, last - first + 1),
            Ask::Refused(why) => {
                return Response::text(
                    416,
                    format!("rumpjs serve: Range {why} (one range of this {} byte image)", self.size),
                )
                .header("Content-Range", format!("bytes */{}", self.size))
                .header("Accept-Ranges", "bytes")
            }
        };
        let (file, sent) = (self.file.clone(), self.sent.clone());
        let mut at = first;
        let read = Box::new(move |buf: &mut [u8]| {
            let n = file.read_at(buf, at)?;
            at += n as u64;
            sent.fetch_add(n as u64, Ordering::Relaxed);
            Ok(n)
        });
        let mut r = Response {
            status,
            headers: vec![("Content-Type".into(), "application/octet-stream".into())],
            body: Body::Stream { len, read },
        }
        .header("Accept-Ranges", "bytes");
        if status == 206 {
            r = r.header("Content-Range", format!("bytes {first}-{}/{}", first + len - 1, self.size));
        }
        r
    }
}

/// What a Range header asks of a file of `size` bytes.
#[derive(Debug, PartialEq)]
enum Ask {
    Whole,
    /// Bytes `first..=last`, inside the file.
    Part {
        first: u64,
        last: u64,
    },
    /// Why the range is refused (416).
    Refused(&'static str),
}

fn ask(range: Option<&str>, size: u64) -> Ask {
    let Some(range) = range else { return Ask::Whole };
    let Some(spec) = range.trim().strip_prefix("bytes=") else {
        return Ask::Refused("must be in bytes (bytes=FIRST-LAST)");
    };
    if spec.contains(',') {
        return Ask::Refused("names more than one range");
    }
    let Some((a, b)) = spec.trim().split_once('-') else { return Ask::Refused("is malformed") };
    let num =
        |s: &str| if !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()) { s.parse::<u64>().ok() } else { None };
    let (first, last) = match (a, b) {
        ("", n) => match num(n) {
            Some(0) | None => return Ask::Refused("is malformed"),
            Some(n) => (size.saturating_sub(n), size.saturating_sub(1)),
        },
        (f, "") => match num(f) {
            Some(f) => (f, size.saturating_sub(1)),
            None => return Ask::Refused("is malformed"),
        },
        (f, l) => match (num(f), num(l)) {
            (Some(f), Some(l)) if f <= l => (f, l.min(size.saturating_sub(1))),
            _ => return Ask::Refused("is malformed"),
        },
    };
    if size == 0 || first >= size {
        return Ask::Refused("starts past the end");
    }
    Ask::Part { first, last }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let part = |first, last| Ask::Part { first, last };
        assert_eq!(ask(None, 100), Ask::Whole);
        assert_eq!(ask(Some("bytes=0-9"), 100), part(0, 9));
        assert_eq!(ask(Some("bytes=90-200"), 100), part(90, 99));
        assert_eq!(ask(Some("bytes=99-99"), 100), part(99, 99));
        assert_eq!(ask(Some("bytes=10-"), 100), part(10, 99));
        assert_eq!(ask(Some("bytes=-10"), 100), part(90, 99));
        assert_eq!(ask(Some("bytes=-1000"), 100), part(0, 99));
        assert_eq!(ask(Some(" bytes=1-2 "), 100), part(1, 2));
        for bad in ["bytes=100-", "bytes=100-200", "bytes=5-4", "bytes=-0", "bytes=x-1", "bytes=1-y", "bytes=+1-2"] {
            assert!(matches!(ask(Some(bad), 100), Ask::Refused(_)), "{bad}");
        }
        for bad in ["bytes=-", "bytes=", "items=0-1", "bytes=0-1,5-6", "bytes 0-1", "bytes=18446744073709551616-"] {
            assert!(matches!(ask(Some(bad), 100), Ask::Refused(_)), "{bad}");
        }
        assert!(matches!(ask(Some("bytes=0-0"), 0), Ask::Refused(_)));
        assert!(matches!(ask(Some("bytes=-5"), 0), Ask::Refused(_)));
    }

    #[test]
    fn names_in_urls() {
        assert_eq!(url_name("disk.img"), "disk.img");
        assert_eq!(url_name("a b/é?.img"), "a%20b%2F%C3%A9%3F.img");
        let dir = std::env::temp_dir().join(format!("rumpjs-range-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a b%.img");
        std::fs::write(&path, b"0123456789").unwrap();
        let i = ServedImage::open(3, &path, "/ffs").unwrap();
        assert_eq!((i.url.as_str(), i.size), ("/images/3/a%20b%25.img", 10));
        // The server decodes request paths before they are matched.
        assert!(i.is_at("/images/3/a b%.img"));
        assert!(!i.is_at("/images/3/a%20b%25.img") && !i.is_at("/images/2/a b%.img"));
        assert!(ServedImage::open(0, &dir, "/ffs").err().unwrap().contains("is a directory"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
