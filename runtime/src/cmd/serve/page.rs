//! `rumpjs serve`'s default: the page whose kernel runs in the browser (the folder
//! scripts/build-web.sh builds), served as static files, and the `--image` files read-only with byte
//! ranges ([`super::range`]) for that kernel to mount. GET and HEAD only; every request passes the
//! [`Guard`]. The page learns which images to mount from a `<meta name="rumpjs-images">` this server puts
//! into its index.html: `[{url, on, partition?}]`.

use super::guard::Guard;
use super::http::{Body, Request, Response};
use super::range::ServedImage;
use serde_json::json;
use std::path::{Path, PathBuf};

/// What every HTTP thread answers with.
pub(super) struct PageApp {
    pub(super) guard: Guard,
    /// The built page's folder, canonical.
    pub(super) web: PathBuf,
    pub(super) images: Vec<ServedImage>,
    pub(super) partition: Option<String>,
}

/// The files without which a folder is not a built page.
const BUILT: [&str; 4] = ["index.html", "worker.js", "rumpjs.js", "kernel_bg.wasm"];

/// The built page's folder: `--web DIR`, else `$RUMPJS_WEB`, else the workspace's target/web (where
/// scripts/build-web.sh builds it with no argument). Canonical; or the one line that says how to get one.
pub(super) fn find_web(given: Option<&Path>) -> Result<PathBuf, String> {
    let (dir, from) = match (given, std::env::var_os("RUMPJS_WEB")) {
        (Some(d), _) => (d.to_path_buf(), "--web"),
        (None, Some(d)) if !d.is_empty() => (PathBuf::from(d), "$RUMPJS_WEB"),
        _ => {
            let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap_or(Path::new(".."));
            (workspace.join("target/web"), "the default")
        }
    };
    let missing = BUILT.iter().find(|f| !dir.join(f).is_file());
    match (missing, dir.canonicalize()) {
        (None, Ok(d)) => Ok(d),
        (m, _) => Err(format!(
            "no built page in {} ({from}{}): build it with scripts/build-web.sh (it needs the wasm32-unknown-unknown \
             target and wasm-bindgen-cli), name it with --web DIR, or use --server-kernel for the page whose kernel \
             runs in this process",
            dir.display(),
            m.map_or(String::new(), |f| format!("; {f} is missing"))
        )),
    }
}

/// What a file of the page is, by its name.
fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "json" => "application/json; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "ts" => "text/plain; charset=utf-8",
        "gz" => "application/gzip",
        _ => "application/octet-stream",
    }
}

/// `s` safe inside a double-quoted HTML attribute.
fn attribute(s: &str) -> String {
    s.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The page's scripts, its Worker and the images come from this server only; the page's own styles are
/// inline; nothing may frame it. (The Worker, whose console evaluates JavaScript, has no policy of its
/// own: `?image=URL` may name another server.)
const PAGE_POLICY: &str = concat!(
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; ",
    "img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
);

impl PageApp {
    /// Answers a request, with the headers every answer carries.
    pub(super) fn handle(&self, req: &Request) -> Response {
        super::guard::harden(self.answer(req))
    }

    fn answer(&self, req: &Request) -> Response {
        if let Err(msg) = self.guard.check(req) {
            return Response::text(403, msg);
        }
        if req.method != "GET" && req.method != "HEAD" {
            return Response::text(
                405,
                format!("rumpjs serve: {} is not allowed here (the page is read with GET)", req.method),
            )
            .header("Allow", "GET, HEAD");
        }
        let path = req.path.as_str();
        if path == "/" || path == "/index.html" {
            return self.index(req);
        }
        if path.starts_with("/images/") {
            return match self.images.iter().find(|i| i.is_at(path)) {
                Some(i) => i.answer(req),
                None => {
                    Response::text(404, format!("rumpjs serve: no image at {path} (the images are the --image files)"))
                }
            };
        }
        match self.file(path) {
            Some(f) => stream(&f),
            None => Response::text(404, format!("rumpjs serve: nothing at {path}")),
        }
    }

    /// index.html with the images to mount named in it, and the token's cookie when the URL carried it.
    fn index(&self, req: &Request) -> Response {
        let html = match std::fs::read_to_string(self.web.join("index.html")) {
            Ok(h) => h,
            Err(e) => return Response::text(500, format!("rumpjs serve: cannot read the page's index.html: {e}")),
        };
        let images: Vec<_> = self
            .images
            .iter()
            .map(|i| {
                let mut v = json!({ "url": i.url.trim_start_matches('/'), "on": i.mountpoint });
                if let Some(p) = &self.partition {
                    v["partition"] = json!(p);
                }
                v
            })
            .collect();
        let meta = format!("<meta name=\"rumpjs-images\" content=\"{}\">\n", attribute(&json!(images).to_string()));
        // First in the head, where the page's first script (boot.js) finds it.
        let html = match html.find("<head>") {
            Some(i) => format!("{}\n{meta}{}", &html[..i + "<head>".len()], &html[i + "<head>".len()..]),
            None => format!("{meta}{html}"),
        };
        let mut r = Response::new(200, "text/html; charset=utf-8", html).header("Content-Security-Policy", PAGE_POLICY);
        if let Some(c) = self.guard.set_cookie(req) {
            r = r.header("Set-Cookie", c);
        }
        r
    }

    /// The page's file at the URL path `path`: a regular file inside the folder, reached by plain names
    /// (no `.` or `..`, nothing hidden, and no link that leads out of the folder).
    fn file(&self, path: &str) -> Option<PathBuf> {
        let mut p = self.web.clone();
        for seg in path.split('/').filter(|s| !s.is_empty()) {
            if seg.starts_with('.') || seg.contains(['\\', '\0']) {
                return None;
            }
            p.push(seg);
        }
        let p = p.canonicalize().ok()?;
        (p.starts_with(&self.web) && p.is_file()).then_some(p)
    }

    /// What the server says when it stops: how much of each image it sent.
    pub(super) fn summary(&self) -> Vec<String> {
        use std::sync::atomic::Ordering::Relaxed;
        self.images
            .iter()
            .map(|i| {
                format!(
                    "rumpjs serve: {}: {} of its {} bytes sent, in {} requests",
                    i.path.display(),
                    i.sent.load(Relaxed),
                    i.size,
                    i.requests.load(Relaxed)
                )
            })
            .collect()
    }
}

/// A file streamed from disk.
fn stream(path: &Path) -> Response {
    let opened = std::fs::File::open(path).and_then(|f| Ok((f.metadata()?.len(), f)));
    let Ok((len, mut f)) = opened else {
        return Response::text(404, "rumpjs serve: cannot read that file of the page");
    };
    let read = Box::new(move |buf: &mut [u8]| std::io::Read::read(&mut f, buf));
    Response {
        status: 200,
        headers: vec![("Content-Type".into(), content_type(path).into())],
        body: Body::Stream { len, read },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_and_attributes() {
        assert_eq!(content_type(Path::new("kernel_bg.wasm")), "application/wasm");
        assert_eq!(content_type(Path::new("lib/commands.js")), "text/javascript; charset=utf-8");
        assert_eq!(content_type(Path::new("rumpjs.d.ts")), "text/plain; charset=utf-8");
        assert_eq!(attribute(r#"[{"on":"/a&<b>"}]"#), "[{&quot;on&quot;:&quot;/a&amp;&lt;b&gt;&quot;}]");
    }
}
