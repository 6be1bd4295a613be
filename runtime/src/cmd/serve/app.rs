//! The HTTP side of `rumpjs serve`: each request checked (token, Host header) and answered — the page,
//! the read-only endpoints on the HTTP thread itself ([`super::api`]), commands and evaluations through
//! the [`Engine`].

use super::api;
use super::engine::{Engine, Work};
use super::http::{Request, Response};
use super::{APP_JS, FORMAT_JS, STYLE_CSS};
use kernel::vfs::Kernel;
use serde_json::{json, Value};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// Which Host headers name this server.
pub(super) struct HostCheck {
    pub(super) ip: IpAddr,
    pub(super) port: u16,
}

impl HostCheck {
    fn allows(&self, host: &str) -> bool {
        let h = host.trim().to_ascii_lowercase();
        if let Some(p) = h.strip_prefix("localhost:") {
            return (self.ip.is_loopback() || self.ip.is_unspecified()) && p == self.port.to_string();
        }
        match h.parse::<SocketAddr>() {
            Ok(a) => {
                a.port() == self.port
                    && (self.ip.is_unspecified() || a.ip() == self.ip || self.ip.is_loopback() && a.ip().is_loopback())
            }
            Err(_) => false,
        }
    }
}

/// Constant-time comparison (the time taken does not tell how much of a guess was right).
pub(super) fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let d = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | std::hint::black_box(x ^ y));
    std::hint::black_box(d) == 0
}

/// What every HTTP thread answers with: the token, the addresses that name the server, the kernel, the
/// engine, and the page.
pub(super) struct App {
    pub(super) token: String,
    pub(super) hosts: HostCheck,
    pub(super) kernel: Arc<Kernel>,
    pub(super) engine: Engine,
    pub(super) readonly: bool,
    /// Writes go to an in-memory overlay (--overlay), not to the image files.
    pub(super) overlay: bool,
    pub(super) page: String,
}

fn json_response(status: u16, v: &Value) -> Response {
    Response::new(status, "application/json; charset=utf-8", serde_json::to_vec(v).unwrap_or_default())
}

fn json_error(status: u16, msg: impl Into<String>) -> Response {
    json_response(status, &json!({ "error": msg.into(), "status": status }))
}

impl App {
    pub(super) fn session_text(&self) -> String {
        format!(
            "one kernel and one JavaScript context, shared by every page of this server; {}; commands and \
             JavaScript stop after {} s",
            if self.readonly {
                "read-only (start with --rw or --overlay to change files)"
            } else if self.overlay {
                "read-write on an overlay in memory (the image files do not change)"
            } else {
                "read-write"
            },
            self.engine.timeout.as_secs_f64()
        )
    }

    /// Answers a request, with the headers every answer carries.
    pub(super) fn handle(&self, req: &Request) -> Response {
        self.answer(req)
            .header("X-Content-Type-Options", "nosniff")
            .header("Referrer-Policy", "no-referrer")
            .header("Cache-Control", "no-store")
            .header("X-Frame-Options", "DENY")
    }

    fn answer(&self, req: &Request) -> Response {
        let api = req.path.starts_with("/api/");
        let refuse = |msg: String| if api { json_error(403, msg) } else { Response::text(403, msg) };
        // DNS rebinding: a page of another site whose name now points here sends that name as Host.
        match req.header("host") {
            Some(h) if self.hosts.allows(h) => {}
            h => {
                return refuse(format!(
                    "rumpjs serve: the Host header {} does not name this server ({}:{}); requests for other names are \
                     refused (DNS-rebinding protection). Open the URL rumpjs serve printed.",
                    h.map_or("(missing)".to_string(), |h| format!("'{h}'")),
                    self.hosts.ip,
                    self.hosts.port
                ))
            }
        }
        let header = req.header("x-rumpjs-token").map(str::as_bytes);
        let query = req.param("token");
        let ok = match (req.method.as_str(), header, query) {
            (_, Some(t), _) => same(t, self.token.as_bytes()),
            ("GET" | "HEAD", None, Some(t)) => same(t, self.token.as_bytes()),
            _ => false,
        };
        if !ok {
            return refuse(
                if req.method == "POST" {
                    "rumpjs serve: this request has no valid token: POST requests carry it in the X-Rumpjs-Token header"
                } else {
                    "rumpjs serve: this request has no valid token. Open the URL that rumpjs serve printed at start \
                     (it ends with ?token=…)"
                }
                .to_string(),
            );
        }
        self.route(req)
    }

    fn route(&self, req: &Request) -> Response {
        let get = req.method == "GET" || req.method == "HEAD";
        let post = req.method == "POST";
        let path = req.path.as_str();
        match path {
            "/" | "/index.html" if get => Response::new(200, "text/html; charset=utf-8", self.page.clone()).header(
                "Content-Security-Policy",
                "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; \
                 base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
            ),
            "/style.css" if get => Response::new(200, "text/css; charset=utf-8", STYLE_CSS),
            "/app.js" if get => Response::new(200, "text/javascript; charset=utf-8", APP_JS),
            "/format.js" if get => Response::new(200, "text/javascript; charset=utf-8", FORMAT_JS),
            "/api/status" if get => {
                let mut v = api::status(&self.kernel, &self.session_text());
                v["engine"] = self.engine.describe();
                v["readonly"] = json!(self.readonly);
                // How long a command or evaluation may take, and an answer wait (the page waits longer).
                v["requestTimeout"] = json!(self.engine.timeout.as_secs_f64());
                v["answerWithin"] = json!(self.engine.wait_limit().as_secs_f64());
                json_response(200, &v)
            }
            "/api/command" if post => {
                let body = match body_json(req, "{\"line\": \"ls /ffs\"}") {
                    Ok(b) => b,
                    Err(r) => return r,
                };
                let Some(line) = body.get("line").and_then(Value::as_str) else {
                    return json_error(
                        400,
                        "the body needs a string 'line' (the command line), e.g. {\"line\": \"ls /ffs\"}",
                    );
                };
                let columns = body.get("columns").and_then(Value::as_u64).unwrap_or(80).clamp(20, 400) as u32;
                self.engine_answer(Work::Command { line: line.to_string(), columns })
            }
            "/api/eval" if post => {
                let body = match body_json(req, "{\"code\": \"1 + 1\"}") {
                    Ok(b) => b,
                    Err(r) => return r,
                };
                let Some(code) = body.get("code").and_then(Value::as_str) else {
                    return json_error(400, "the body needs a string 'code' (JavaScript), e.g. {\"code\": \"1 + 1\"}");
                };
                self.engine_answer(Work::Eval { code: code.to_string() })
            }
            "/api/list" if get => {
                match api::kernel_path("path", req.param("path")).and_then(|p| api::list(&self.kernel, &p)) {
                    Ok(v) => json_response(200, &v),
                    Err(e) => json_error(e.status, e.message),
                }
            }
            "/api/read" if get => {
                match api::kernel_path("path", req.param("path")).and_then(|p| api::read(&self.kernel, &p)) {
                    Ok((bytes, total)) => {
                        Response::new(200, "application/octet-stream", bytes).header("X-Total-Size", total.to_string())
                    }
                    Err(e) => json_error(e.status, e.message),
                }
            }
            "/api/download" if get => {
                match api::kernel_path("path", req.param("path")).and_then(|p| api::download(&self.kernel, &p)) {
                    Ok((len, name, read)) => Response {
                        status: 200,
                        headers: vec![
                            ("Content-Type".into(), "application/octet-stream".into()),
                            ("Content-Disposition".into(), api::content_disposition(&name)),
                        ],
                        body: super::http::Body::Stream { len, read },
                    },
                    // A download is a navigation: the browser shows this text.
                    Err(e) => Response::text(e.status, format!("rumpjs serve: {}", e.message)),
                }
            }
            "/api/info" if get => {
                match api::kernel_path("dir", req.param("dir")).and_then(|p| api::info(&self.kernel, &p)) {
                    Ok(v) => json_response(200, &v),
                    Err(e) => json_error(e.status, e.message),
                }
            }
            "/" | "/index.html" | "/style.css" | "/app.js" | "/format.js" | "/api/status" | "/api/list"
            | "/api/read" | "/api/download" | "/api/info" => {
                json_error(405, format!("{} is not allowed on {path} (use GET)", req.method))
                    .header("Allow", "GET, HEAD")
            }
            "/api/command" | "/api/eval" => {
                json_error(405, format!("{} is not allowed on {path} (use POST with a JSON body)", req.method))
                    .header("Allow", "POST")
            }
            _ if path.starts_with("/api/") => json_error(
                404,
                format!(
                    "no such endpoint {path} (there are /api/status, command, eval, list, read, download and info)"
                ),
            ),
            _ => Response::text(404, format!("rumpjs serve: nothing at {path}")),
        }
    }

    fn engine_answer(&self, work: Work) -> Response {
        match self.engine.call(work) {
            Ok(v) if v.get("error").is_some() && v.get("ok").is_none() => json_response(500, &v),
            Ok(v) => json_response(200, &v),
            Err((status, msg)) => json_error(status, msg),
        }
    }
}

fn body_json(req: &Request, example: &str) -> Result<Value, Response> {
    serde_json::from_slice::<Value>(&req.body)
        .ok()
        .filter(Value::is_object)
        .ok_or_else(|| json_error(400, format!("the request body must be a JSON object, e.g. {example}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_check() {
        let h = HostCheck { ip: "127.0.0.1".parse().unwrap(), port: 8080 };
        assert!(h.allows("127.0.0.1:8080"));
        assert!(h.allows("localhost:8080"));
        assert!(h.allows("LOCALHOST:8080"));
        assert!(h.allows("[::1]:8080"));
        assert!(!h.allows("127.0.0.1:8081"));
        assert!(!h.allows("127.0.0.1"));
        assert!(!h.allows("evil.example:8080"));
        assert!(!h.allows("localhost.evil.example:8080"));
        assert!(!h.allows("192.168.1.2:8080"));
        let any = HostCheck { ip: "0.0.0.0".parse().unwrap(), port: 80 };
        assert!(any.allows("10.1.2.3:80"));
        assert!(any.allows("localhost:80"));
        assert!(!any.allows("rebind.example:80"));
        let one = HostCheck { ip: "10.0.0.5".parse().unwrap(), port: 80 };
        assert!(one.allows("10.0.0.5:80"));
        assert!(!one.allows("localhost:80"));
        assert!(!one.allows("10.0.0.6:80"));
    }
}
