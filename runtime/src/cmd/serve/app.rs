//! The HTTP side of `rumpjs serve`: each request checked (token, Host header) and answered — the page,
//! the read-only endpoints on the HTTP thread itself ([`super::api`]), commands and evaluations through
//! the [`Engine`].

use super::api;
use super::engine::{Engine, Work};
use super::guard::Guard;
use super::http::{Request, Response};
use super::{APP_JS, FORMAT_JS, STYLE_CSS};
use kernel::vfs::Kernel;
use serde_json::{json, Value};
use std::sync::Arc;

/// What every HTTP thread answers with: who may ask, the kernel, the engine, and the page.
pub(super) struct App {
    pub(super) guard: Guard,
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
        super::guard::harden(self.answer(req))
    }

    fn answer(&self, req: &Request) -> Response {
        let api = req.path.starts_with("/api/");
        if let Err(msg) = self.guard.check(req) {
            return if api { json_error(403, msg) } else { Response::text(403, msg) };
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
