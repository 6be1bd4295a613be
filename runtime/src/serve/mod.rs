//! `rumpjs serve`: the 2012 demo's web page, served on this machine. The page (web/, built into the
//! binary) shows the boot log and the mounts, runs the REPL's shell-like commands and JavaScript, and
//! browses the kernel's files.
//!
//! **One session for the whole server.** One kernel and one JavaScript context serve every page and tab:
//! what one page does (a variable, `cd`, a mount) the others see. The context is not `Send`, so it lives
//! on a thread of its own (the engine) and HTTP threads send it commands and evaluations over a channel:
//! they run one at a time, in order. The endpoints that only read the kernel (status, list, read,
//! download, info) run on the HTTP threads themselves, each with a process of its own (root, cwd `/`) —
//! the kernel is thread-safe — so the file browser answers even while JavaScript runs.
//!
//! **Security.** Listens on 127.0.0.1 unless `--bind` says otherwise. A random token (192 bits from the
//! OS) is printed inside the page URL, as Jupyter does, and every request must carry it: API calls in the
//! `X-Rumpjs-Token` header (POSTs only there, so a form on another site cannot post even with a leaked
//! token), the page, its files and downloads as `?token=`; compared in constant time. The Host header
//! must name the address listened on (an IP literal or `localhost`), which stops DNS rebinding. The API
//! sees only the kernel's file system; host files are reached only as `run` reaches them (`--image`,
//! `--allow-host`). Read-only unless `--rw`: images are mounted read-only, mounts from the page are forced
//! read-only, and the commands that write (mkdir, rm, cp, put, get, …) are refused. Sizes are bounded
//! (see [`http::Limits`] and the constants here). Every failure is answered with a JSON `{error}` (a text
//! for the page itself).
//!
//! **Time.** Boa has no interrupt. Commands and evaluations run with `Script::evaluate_async_with_budget`,
//! polled with a deadline (`--request-timeout`, 10 s): a loop in a script or in the JS functions it calls
//! is stopped there (its frames are dropped; the context stays usable). What cannot be stopped: a loop
//! inside a callback run by a native built-in (`[1].map(() => { for (;;) {} })`), in a promise job, or a
//! single very long native call. Such a loop still ends after [`LOOP_LIMIT`] iterations of one function;
//! until it ends the engine is busy: commands and evaluations are answered at once with a 503 saying so,
//! the file browser and status keep working, and a restart of the server gives a fresh session.

mod api;
pub mod http;

use crate::cli::CommonOpts;
use crate::output;
use crate::session::{check_syntax, Failure, Run, Session};
use boa_engine::builtins::promise::PromiseState;
use boa_engine::{js_string, JsError, JsObject, JsValue, Source};
use http::{Request, Response};
use kernel::vfs::Kernel;
use serde_json::{json, Value};
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::path::Path;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

/// `rumpjs serve` options (with the [`CommonOpts`] every subcommand takes: --image, --rw, --allow-host, …).
#[derive(clap::Args, Debug, Clone)]
#[command(after_help = SERVE_HELP)]
pub struct ServeArgs {
    /// TCP port to listen on (0: any free port; the URL printed says which).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Address to listen on: 127.0.0.1 (this machine only) unless you name another (0.0.0.0: every
    /// interface; the traffic is plain HTTP).
    #[arg(long, default_value = "127.0.0.1", value_name = "ADDRESS")]
    pub bind: String,
    /// Do not open a web browser at start.
    #[arg(long)]
    pub no_open: bool,
    /// Stop a command or an evaluation after SECONDS (what cannot be stopped: see below).
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub request_timeout: f64,
}

const SERVE_HELP: &str = "\
Session: one kernel and one JavaScript context for the whole server. Every page and tab shares it (variables, \
the working directory, mounts); commands and JavaScript run on it one at a time, in order. The file browser \
reads the kernel directly, so it answers while JavaScript runs.

Security: listens on 127.0.0.1 unless --bind says otherwise. The URL printed at start carries a random token \
(192 bits); every request must carry it (?token= for the page and downloads, the X-Rumpjs-Token header for the \
API), and the Host header must name this server (DNS-rebinding protection). The page sees only the kernel's \
files; host files only through --image and --allow-host. Read-only unless --rw: images are mounted read-only, \
mounts made from the page too, and the commands that write (mkdir, rm, cp, put, get, ...) are refused. \
With --overlay the page may write: the changes stay in memory, the image files do not change.

Limits: request head 16 KiB, body 1 MiB, a request must arrive within 10 s, kept-alive connections close after \
30 s idle, 64 connections at once; command output, console output and shown values 1 MiB each; the viewer reads \
the first 256 KiB of a file, downloads are at most 1 GiB, listings 10,000 entries. Commands and JavaScript stop \
after --request-timeout; a loop inside a callback of a native built-in (array.map(...)) or in a promise job \
cannot be stopped: it ends at 50 million iterations of one function, and until then commands and JavaScript \
are answered 503 (the file browser still works).

Stop the server with Ctrl-C or SIGTERM: the file systems are written and unmounted.";

/// Most bytes of command output, console output or an inspected value in one answer.
pub const OUTPUT_LIMIT: usize = 1 << 20;
/// Most requests waiting for the JavaScript engine; more are answered 503 at once.
pub const QUEUE_LIMIT: usize = 16;
/// Loop iterations one JavaScript function may run (Boa's loop-iteration limit): the last resort against
/// a loop the deadline cannot stop.
pub const LOOP_LIMIT: u64 = 50_000_000;
/// How long an HTTP request waits for the engine beyond the request timeout (queueing behind others).
const WAIT_GRACE: Duration = Duration::from_secs(10);
/// Boa "clock cycles" between deadline checks.
const BUDGET: u32 = 2048;

const INDEX_HTML: &str = include_str!("../../../web/index.html");
const STYLE_CSS: &str = include_str!("../../../web/style.css");
const APP_JS: &str = include_str!("../../../web/app.js");
const FORMAT_JS: &str = include_str!("../../../scripts/lib/format.js");
const PRELUDE_JS: &str = include_str!("prelude.js");
/// Where index.html names the token (its style and script links carry it).
const TOKEN_PLACEHOLDER: &str = "__RUMPJS_TOKEN__";

// ---------------------------------------------------------------- the engine thread

enum Work {
    Command { line: String, columns: u32 },
    Eval { code: String },
}

struct Job {
    work: Work,
    reply: mpsc::Sender<Value>,
    queued: Instant,
}

#[derive(Default)]
struct EngineState {
    /// Since when the engine runs a request, and what it is.
    busy: Option<(Instant, String)>,
    /// Requests sent and not answered yet.
    waiting: usize,
    /// Evaluations stopped at their deadline so far.
    stopped: u64,
}

/// The handle HTTP threads use to reach the engine.
struct Engine {
    tx: Mutex<mpsc::Sender<Job>>,
    state: Arc<Mutex<EngineState>>,
    timeout: Duration,
}

/// An engine answer that is not one: HTTP status and message.
type EngineError = (u16, String);

impl Engine {
    fn wait_limit(&self) -> Duration {
        self.timeout + WAIT_GRACE
    }

    /// Runs `work` on the engine and waits for its answer.
    fn call(&self, work: Work) -> Result<Value, EngineError> {
        {
            let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((since, what)) = &st.busy {
                let t = since.elapsed();
                if t > self.timeout + Duration::from_secs(2) {
                    return Err((
                        503,
                        format!(
                            "the JavaScript engine has been busy for {} s with {what}, past the {} s limit: it is running \
                             code that cannot be interrupted (a loop inside a callback of a built-in such as Array.prototype.map, \
                             or in a promise job). Commands and JavaScript are unavailable until it ends; the file browser still \
                             works. Restart rumpjs serve for a fresh session.",
                            t.as_secs(),
                            self.timeout.as_secs_f64()
                        ),
                    ));
                }
            }
            if st.waiting >= QUEUE_LIMIT {
                return Err((
                    503,
                    format!("too many requests are waiting for the JavaScript engine (at most {QUEUE_LIMIT})"),
                ));
            }
            st.waiting += 1;
        }
        let (rtx, rrx) = mpsc::channel();
        let sent =
            self.tx.lock().unwrap_or_else(|e| e.into_inner()).send(Job { work, reply: rtx, queued: Instant::now() });
        let r = match sent {
            Err(_) => Err((500, "the JavaScript engine has stopped (see the server's log)".to_string())),
            Ok(()) => match rrx.recv_timeout(self.wait_limit()) {
                Ok(v) => Ok(v),
                Err(mpsc::RecvTimeoutError::Timeout) => Err((
                    503,
                    format!(
                        "no answer from the JavaScript engine within {} s: it is busy with code that cannot be interrupted, \
                         or with earlier requests. The file browser still works.",
                        self.wait_limit().as_secs()
                    ),
                )),
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    Err((500, "the JavaScript engine stopped while running this request (see the server's log)".to_string()))
                }
            },
        };
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.waiting = st.waiting.saturating_sub(1);
        r
    }

    /// What the engine is doing, for the status.
    fn describe(&self) -> Value {
        let st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match &st.busy {
            Some((since, what)) => {
                json!({ "busy": true, "what": what, "seconds": since.elapsed().as_secs_f64(), "stopped": st.stopped })
            }
            None => json!({ "busy": false, "stopped": st.stopped }),
        }
    }
}

/// Console output captured while the engine runs (the process's output goes here: see
/// [`output::set_sink`]); at most OUTPUT_LIMIT bytes are kept until the next answer takes them.
#[derive(Default)]
struct Captured {
    buf: Vec<u8>,
    dropped: usize,
}

impl Captured {
    fn take(&mut self) -> String {
        let mut s = String::from_utf8_lossy(&self.buf).into_owned();
        if self.dropped > 0 {
            s.push_str(&format!("\n[{} more bytes of console output dropped]\n", self.dropped));
        }
        self.buf.clear();
        self.dropped = 0;
        s
    }
}

struct Worker {
    s: Session,
    /// The object prelude.js returned.
    api: JsObject,
    captured: Arc<Mutex<Captured>>,
    state: Arc<Mutex<EngineState>>,
    timeout: Duration,
}

/// A JS string literal for `s` (JSON, with the two line separators JSON allows and older JS did not).
fn js_literal(s: &str) -> String {
    serde_json::to_string(s)
        .unwrap_or_else(|_| "\"\"".into())
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

fn truncate(mut s: String, limit: usize) -> String {
    if s.len() > limit {
        let mut cut = limit;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        let more = s.len() - cut;
        s.truncate(cut);
        s.push_str(&format!("… [{more} more bytes not shown]"));
    }
    s
}

impl Worker {
    fn set_busy(&self, what: Option<String>) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.busy = what.map(|w| (Instant::now(), w));
    }

    fn take_output(&self) -> String {
        self.captured.lock().unwrap_or_else(|e| e.into_inner()).take()
    }

    /// Evaluates `src` by [`Session::eval_budgeted`] until it ends or the deadline passes.
    fn run_budgeted(&mut self, src: &str, name: &str, deadline: Instant) -> Run {
        let r = self.s.eval_budgeted(src, name, BUDGET, &mut || Instant::now() >= deadline);
        if matches!(r, Run::Stopped) {
            self.state.lock().unwrap_or_else(|e| e.into_inner()).stopped += 1;
        }
        r
    }

    /// Runs the promise jobs that are queued (timers are the prelude's, so this never waits). Unhandled
    /// rejections and errors thrown by jobs are written to the console output; `own` is a promise whose
    /// rejection the caller reports itself.
    fn drain_jobs(&mut self, own: Option<&boa_engine::object::builtins::JsPromise>) {
        for _ in 0..1000 {
            match self.s.run_jobs() {
                Ok(()) => return,
                Err(Failure::Unhandled(m)) => {
                    let ours = own.is_some_and(|p| matches!(p.state(), PromiseState::Rejected(_)));
                    if !ours {
                        let m = self.trim_stack(m);
                        output::line(output::Stream::Stderr, &format!("Uncaught (in promise) {m}"));
                    }
                }
                Err(f) => output::line(output::Stream::Stderr, &self.trim_stack(f.to_string())),
            }
        }
    }

    /// An error as the REPL shows it, without the frames stopped evaluations left below every stack.
    fn format_error(&mut self, e: &JsError) -> String {
        let m = self.s.format_error(e);
        self.trim_stack(m)
    }

    fn trim_stack(&self, text: String) -> String {
        self.s.trim_stack(text)
    }

    fn stopped_message(&self, what: &str) -> String {
        format!(
            "{what} stopped after {} s (rumpjs serve --request-timeout); the session goes on",
            self.timeout.as_secs_f64()
        )
    }

    /// Runs the prelude's due timers.
    fn run_timers(&mut self) {
        self.set_busy(Some("a timer callback".into()));
        let deadline = Instant::now() + self.timeout;
        match self.run_budgeted("__rumpjs_serve__.runDue()", "[timers]", deadline) {
            Run::Done(Ok(_)) => {}
            Run::Done(Err(e)) => {
                let m = self.format_error(&e);
                output::line(output::Stream::Stderr, &format!("Uncaught {m}"));
            }
            Run::Stopped => output::line(output::Stream::Stderr, &self.stopped_message("a timer callback")),
        }
        self.drain_jobs(None);
        self.set_busy(None);
    }

    /// How long until the next timer is due.
    fn next_due(&mut self) -> Option<Duration> {
        let f = self.api.get(js_string!("nextDue"), &mut self.s.ctx).ok()?.as_function()?;
        let ms = f.call(&self.api.clone().into(), &[], &mut self.s.ctx).ok()?.as_number()?;
        (ms >= 0.0).then(|| Duration::from_millis(ms.min(86_400_000.0) as u64))
    }

    fn command(&mut self, line: &str, columns: u32) -> Value {
        let deadline = Instant::now() + self.timeout;
        let src = format!("__rumpjs_serve__.command({}, {OUTPUT_LIMIT}, {columns})", js_literal(line));
        let mut r = match self.run_budgeted(&src, "[command]", deadline) {
            Run::Done(Ok(v)) => {
                let text = v.as_string().map(|s| s.to_std_string_escaped()).unwrap_or_default();
                serde_json::from_str::<Value>(&text)
                    .unwrap_or_else(|_| json!({ "status": 1, "out": "", "err": "the command gave no result\n" }))
            }
            Run::Done(Err(e)) => json!({ "status": 1, "out": "", "err": format!("{}\n", self.format_error(&e)) }),
            Run::Stopped => {
                json!({ "status": 124, "out": "", "err": format!("{}\n", self.stopped_message("the command")) })
            }
        };
        self.drain_jobs(None);
        r["output"] = json!(self.take_output());
        r
    }

    /// The script to run for a line typed in the page, as Node's REPL reads it: `{ a: 1 }` is an object,
    /// and a line with `await` runs in an async function (its value is the awaited one; declarations in it
    /// stay local). The second value tells whether the result is a promise to settle.
    fn prepare(&mut self, code: &str) -> (String, bool) {
        let t = code.trim();
        if t.starts_with('{') && t.ends_with('}') && !t.ends_with(";}") {
            let wrapped = format!("({code}\n)");
            if check_syntax(&wrapped).is_ok() {
                return (wrapped, false);
            }
        }
        if code.contains("await") && check_syntax(code).is_err() {
            let expr = format!("(async () => (\n{code}\n))()");
            if check_syntax(&expr).is_ok() {
                return (expr, true);
            }
            return (format!("(async () => {{\n{code}\n}})()"), true);
        }
        (code.to_string(), false)
    }

    fn eval(&mut self, code: &str) -> Value {
        let deadline = Instant::now() + self.timeout;
        let (src, awaited) = self.prepare(code);
        let mut out = json!({ "ok": false });
        match self.run_budgeted(&src, "[web]", deadline) {
            Run::Done(Ok(v)) => {
                let promise = v.as_promise();
                self.drain_jobs(if awaited { promise.as_ref() } else { None });
                let settled = match (&promise, awaited) {
                    (Some(p), true) => match p.state() {
                        PromiseState::Fulfilled(x) => Ok(x),
                        PromiseState::Rejected(e) => Err(self.format_error(&JsError::from_opaque(e))),
                        PromiseState::Pending => Ok(v.clone()),
                    },
                    _ => Ok(v),
                };
                match settled {
                    Ok(x) => match self.show(&x, deadline) {
                        Ok(shown) => {
                            out["ok"] = json!(true);
                            out["value"] = json!(truncate(shown, OUTPUT_LIMIT));
                        }
                        Err(m) => out["error"] = json!(m),
                    },
                    Err(m) => out["error"] = json!(format!("Uncaught {m}")),
                }
            }
            Run::Done(Err(e)) => {
                let m = self.format_error(&e);
                out["error"] = json!(format!("Uncaught {m}"));
                self.drain_jobs(None);
            }
            Run::Stopped => out["error"] = json!(self.stopped_message("the evaluation")),
        }
        out["output"] = json!(self.take_output());
        out
    }

    /// `v` as the REPL shows it, inspected by a budgeted call (inspecting a huge value takes long): by
    /// the deadline, or (when that has passed) within a second.
    fn show(&mut self, v: &JsValue, deadline: Instant) -> Result<String, String> {
        let hold = self.api.get(js_string!("hold"), &mut self.s.ctx).ok().and_then(|f| f.as_function());
        let Some(hold) = hold else { return Ok(self.s.inspect(v)) };
        if hold.call(&self.api.clone().into(), std::slice::from_ref(v), &mut self.s.ctx).is_err() {
            return Ok(self.s.inspect(v));
        }
        let deadline = deadline.max(Instant::now() + Duration::from_secs(1));
        match self.run_budgeted("__rumpjs_serve__.show()", "[inspect]", deadline) {
            Run::Done(Ok(s)) => match s.as_string() {
                Some(s) => Ok(s.to_std_string_escaped()),
                None => Ok(self.s.inspect(v)),
            },
            Run::Done(Err(e)) => Err(format!("the value cannot be shown: {}", self.format_error(&e))),
            Run::Stopped => Err(self.stopped_message("showing the value")),
        }
    }

    fn handle(&mut self, work: Work) -> Value {
        let what = match &work {
            Work::Command { line, .. } => format!("the command `{}`", truncate(line.clone(), 200)),
            Work::Eval { code } => format!("the evaluation of `{}`", truncate(code.clone(), 200)),
        };
        self.set_busy(Some(what));
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match work {
            Work::Command { line, columns } => self.command(&line, columns),
            Work::Eval { code } => self.eval(&code),
        }));
        self.set_busy(None);
        r.unwrap_or_else(|p| {
            let m = p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()));
            json!({ "error": format!("internal error: {}", m.unwrap_or_else(|| "panic".into())), "status": 1 })
        })
    }
}

/// Sets the session up for serving: the prelude (timers, process.exit, read-only mounts) and the commands.
fn prepare_session(s: &mut Session, readonly: bool) -> Result<JsObject, String> {
    if readonly {
        // rump.host.copyOut (and any later writer) is refused too, not only the commands that write.
        s.grants
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .forbid_writes("rumpjs serve is read-only and writes no host file; start it with --rw to copy files out");
    }
    let f = s
        .ctx
        .eval(Source::from_bytes(PRELUDE_JS).with_path(Path::new("/rumpjs/serve/prelude.js")))
        .map_err(|e| format!("prelude: {e}"))?;
    let f = f.as_function().ok_or("prelude: not a function")?;
    let api = f
        .call(&JsValue::undefined(), &[JsValue::from(readonly)], &mut s.ctx)
        .map_err(|e| format!("prelude: {e}"))?
        .as_object()
        .ok_or("prelude: no object")?;
    s.ctx
        .global_object()
        .define_property_or_throw(
            js_string!("__rumpjs_serve__"),
            boa_engine::property::PropertyDescriptor::builder()
                .value(api.clone())
                .writable(false)
                .enumerable(false)
                .configurable(false),
            &mut s.ctx,
        )
        .map_err(|e| format!("prelude: {e}"))?;
    let lib = Path::new(crate::loader::LIB_DIR).join("commands.js");
    let ns = s.loader.clone().import(&lib, &mut s.ctx).map_err(|e| format!("commands.js: {e}"))?;
    let init = api.get(js_string!("init"), &mut s.ctx).map_err(|e| e.to_string())?;
    let init = init.as_function().ok_or("prelude: no init")?;
    init.call(&api.clone().into(), &[ns.into()], &mut s.ctx).map_err(|e| format!("commands.js: {e}"))?;
    s.ctx.runtime_limits_mut().set_loop_iteration_limit(LOOP_LIMIT);
    Ok(api)
}

/// Starts the engine thread: it boots the session and answers jobs until the channel closes. Returns the
/// handle and the kernel, or the boot failure.
fn start_engine(
    opts: crate::session::SessionOptions,
    readonly: bool,
    timeout: Duration,
) -> Result<(Engine, Arc<Kernel>), Failure> {
    let captured = Arc::new(Mutex::new(Captured::default()));
    let sink = captured.clone();
    output::set_sink(Some(Box::new(move |_stream, bytes: &[u8]| {
        let mut c = sink.lock().unwrap_or_else(|e| e.into_inner());
        let room = OUTPUT_LIMIT.saturating_sub(c.buf.len());
        let n = room.min(bytes.len());
        c.buf.extend_from_slice(&bytes[..n]);
        c.dropped += bytes.len() - n;
    })));
    let state = Arc::new(Mutex::new(EngineState::default()));
    let (tx, rx) = mpsc::channel::<Job>();
    let (ready_tx, ready_rx) = mpsc::channel();
    let st = state.clone();
    let wait_limit = timeout + WAIT_GRACE;
    let spawned = std::thread::Builder::new().name("rumpjs-engine".into()).stack_size(crate::cli::ENGINE_STACK).spawn(
        move || {
            crate::limits::note_stack();
            let mut s = match Session::new(&opts) {
                Ok(s) => s,
                Err(f) => {
                    let _ = ready_tx.send(Err(f));
                    return;
                }
            };
            let api = match prepare_session(&mut s, readonly) {
                Ok(a) => a,
                Err(m) => {
                    let _ = ready_tx.send(Err(Failure::Host(format!("cannot prepare the session: {m}"))));
                    return;
                }
            };
            let _ = ready_tx.send(Ok(s.kernel.clone()));
            let mut w = Worker { s, api, captured, state: st, timeout };
            loop {
                let wait = w.next_due().unwrap_or(Duration::from_secs(60)).min(Duration::from_secs(60));
                match rx.recv_timeout(wait) {
                    Ok(job) => {
                        if w.next_due() == Some(Duration::ZERO) {
                            w.run_timers();
                        }
                        // Nobody waits for an answer that comes this late.
                        if job.queued.elapsed() > wait_limit {
                            continue;
                        }
                        let v = w.handle(job.work);
                        let _ = job.reply.send(v);
                    }
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        if w.next_due() == Some(Duration::ZERO) {
                            w.run_timers();
                        }
                    }
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                }
            }
            // The server is ending: the process exits without dropping the heap object by object.
            std::mem::forget(w);
        },
    );
    if let Err(e) = spawned {
        return Err(Failure::Host(format!("cannot start the engine thread: {e}")));
    }
    match ready_rx.recv() {
        Ok(Ok(kernel)) => Ok((Engine { tx: Mutex::new(tx), state, timeout }, kernel)),
        Ok(Err(f)) => Err(f),
        Err(_) => Err(Failure::Host("the engine thread ended while booting".into())),
    }
}

// ---------------------------------------------------------------- HTTP

/// Which Host headers name this server.
struct HostCheck {
    ip: IpAddr,
    port: u16,
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
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let d = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | std::hint::black_box(x ^ y));
    std::hint::black_box(d) == 0
}

struct App {
    token: String,
    hosts: HostCheck,
    kernel: Arc<Kernel>,
    engine: Engine,
    readonly: bool,
    /// Writes go to an in-memory overlay (--overlay), not to the image files.
    overlay: bool,
    page: String,
}

fn json_response(status: u16, v: &Value) -> Response {
    Response::new(status, "application/json; charset=utf-8", serde_json::to_vec(v).unwrap_or_default())
}

fn json_error(status: u16, msg: impl Into<String>) -> Response {
    json_response(status, &json!({ "error": msg.into(), "status": status }))
}

impl App {
    fn session_text(&self) -> String {
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
    fn handle(&self, req: &Request) -> Response {
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
                        body: http::Body::Stream { len, read },
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

// ---------------------------------------------------------------- start and stop

/// A token of 192 random bits from the OS, in hex.
fn new_token() -> Result<String, String> {
    let mut b = [0u8; 24];
    getrandom::fill(&mut b).map_err(|e| format!("cannot get random bytes from the OS: {e}"))?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

static SIGNAL: AtomicI32 = AtomicI32::new(0);

#[cfg(unix)]
fn catch_signals() {
    extern "C" fn on_signal(sig: libc::c_int) {
        SIGNAL.store(sig, Ordering::SeqCst);
    }
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGINT, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGTERM, on_signal as *const () as libc::sighandler_t);
    }
}

#[cfg(not(unix))]
fn catch_signals() {}

/// Opens the page in a browser, as Jupyter does: through a private file that redirects to the URL, so
/// the token is not on a command line other users can read.
fn open_browser(url: &str) {
    #[cfg(target_os = "linux")]
    let opener =
        (std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some()).then_some("xdg-open");
    #[cfg(target_os = "macos")]
    let opener = Some("open");
    #[cfg(not(any(target_os = "linux", target_os = "macos")))]
    let opener: Option<&str> = None;
    let Some(opener) = opener else { return };
    let path = std::env::temp_dir().join(format!("rumpjs-serve-{}.html", std::process::id()));
    let html = format!(
        "<!doctype html><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"0;url={url}\">\
         <title>rumpjs serve</title><a href=\"{url}\">open rumpjs</a>\n"
    );
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    let _ = std::fs::remove_file(&path);
    let written = o.open(&path).and_then(|mut f| std::io::Write::write_all(&mut f, html.as_bytes()));
    if written.is_err() {
        return;
    }
    let started = std::process::Command::new(opener)
        .arg(&path)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if started.is_err() {
        let _ = std::fs::remove_file(&path);
        return;
    }
    let _ = std::thread::Builder::new().name("rumpjs-open".into()).spawn(move || {
        std::thread::sleep(Duration::from_secs(60));
        let _ = std::fs::remove_file(&path);
    });
}

/// Prints a line on the process's real stdout (script output is captured while serving).
fn say(line: &str) {
    use std::io::Write;
    let mut o = std::io::stdout().lock();
    let _ = writeln!(o, "{line}");
    let _ = o.flush();
}

/// `rumpjs serve`: boots the session, listens, prints the URL and serves until SIGINT or SIGTERM, then
/// writes and unmounts the file systems. The exit code.
pub fn main(common: &CommonOpts, args: ServeArgs) -> i32 {
    let fail = |m: String| {
        eprintln!("rumpjs serve: {m}");
        2
    };
    if !(args.request_timeout > 0.0 && args.request_timeout <= 3600.0) {
        return fail(format!("--request-timeout must be between 0 and 3600 seconds, not {}", args.request_timeout));
    }
    let ip: IpAddr = match args.bind.as_str() {
        "localhost" => IpAddr::from([127, 0, 0, 1]),
        b => match b.trim_start_matches('[').trim_end_matches(']').parse() {
            Ok(ip) => ip,
            Err(_) => return fail(format!("--bind {b}: not an IP address (e.g. 127.0.0.1, ::1 or 0.0.0.0)")),
        },
    };
    let listener = match TcpListener::bind(SocketAddr::new(ip, args.port)) {
        Ok(l) => l,
        Err(e) => {
            return fail(format!(
                "cannot listen on {}: {e} (choose another --port; 0 picks a free one)",
                SocketAddr::new(ip, args.port)
            ))
        }
    };
    let port = match listener.local_addr() {
        Ok(a) => a.port(),
        Err(e) => return fail(format!("cannot listen: {e}")),
    };
    let token = match new_token() {
        Ok(t) => t,
        Err(m) => return fail(m),
    };
    let timeout = Duration::from_secs_f64(args.request_timeout);
    let mut opts = common.session_options(vec!["rumpjs".into(), "serve".into()]);
    opts.imports_from_cwd = true;
    // With no --image, the embedded demo image on /ffs, as the 2012 page and the REPL have it.
    opts.demo = true;
    // --overlay: the images are read-write in memory and the files never change, so the page may write.
    let readonly = !(common.rw || common.overlay || common.overlay_file.is_some());
    let (engine, kernel) = match start_engine(opts, readonly, timeout) {
        Ok(x) => x,
        Err(f) => {
            output::set_sink(None);
            eprintln!("{f}");
            return f.exit_code();
        }
    };
    crate::watchdog::set_kernel(kernel.clone());
    crate::watchdog::start(common.timeout.unwrap_or(0.0));
    catch_signals();
    let host = if ip.is_unspecified() { IpAddr::from([127, 0, 0, 1]) } else { ip };
    let url = format!("http://{}/?token={token}", SocketAddr::new(host, port));
    let page = INDEX_HTML.replace(TOKEN_PLACEHOLDER, &token);
    let app = Arc::new(App {
        token,
        hosts: HostCheck { ip, port },
        kernel: kernel.clone(),
        engine,
        readonly,
        overlay: common.overlay || common.overlay_file.is_some(),
        page,
    });
    let handler: Arc<http::Handler> = {
        let app = app.clone();
        Arc::new(move |req: &Request| app.handle(req))
    };
    let limits = http::Limits::default();
    if std::thread::Builder::new()
        .name("rumpjs-accept".into())
        .spawn(move || http::serve(listener, limits, handler))
        .is_err()
    {
        return fail("cannot start the listening thread".into());
    }
    say(&format!("rumpjs serve: {}.", app.session_text()));
    say("Open this URL (its token lets the page in):");
    say(&format!("    {url}"));
    say("Stop the server with Ctrl-C.");
    if !ip.is_loopback() {
        eprintln!(
            "rumpjs serve: warning: listening on {ip}, not only on this machine; the token is all that keeps others out, \
             and plain HTTP does not hide it on the network"
        );
    }
    if !args.no_open {
        open_browser(&url);
    }
    while SIGNAL.load(Ordering::SeqCst) == 0 {
        std::thread::sleep(Duration::from_millis(100));
    }
    say("rumpjs serve: stopping: writing and unmounting the file systems");
    // The engine may be inside a system call holding the locks a sync needs: wait a while, not for ever.
    let (tx, rx) = mpsc::channel();
    let k = kernel.clone();
    let _ = std::thread::Builder::new().name("rumpjs-shutdown".into()).spawn(move || {
        crate::session::shutdown(&k);
        let _ = tx.send(());
    });
    let code = match rx.recv_timeout(Duration::from_secs(10)) {
        Ok(()) => 0,
        Err(_) => {
            eprintln!("rumpjs serve: the file systems could not be unmounted within 10 s (the engine is busy)");
            1
        }
    };
    output::set_sink(None);
    output::flush();
    code
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

    #[test]
    fn tokens() {
        let a = new_token().unwrap();
        let b = new_token().unwrap();
        assert_eq!(a.len(), 48);
        assert_ne!(a, b);
        assert!(same(a.as_bytes(), a.clone().as_bytes()));
        assert!(!same(a.as_bytes(), b.as_bytes()));
        assert!(!same(a.as_bytes(), &a.as_bytes()[1..]));
    }

    #[test]
    fn literals() {
        assert_eq!(js_literal("a'b\"c\n\u{2028}"), "\"a'b\\\"c\\n\\u2028\"");
        assert_eq!(truncate("héllo".into(), 2), "h… [5 more bytes not shown]");
    }
}
