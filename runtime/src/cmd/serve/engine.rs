//! The engine thread: the one session of `rumpjs serve` (a kernel and a JavaScript context, which is not
//! `Send`) lives here and runs the commands and evaluations HTTP threads send it, one at a time, each
//! with a deadline; [`Engine`] is the handle those threads hold.

use super::{BUDGET, LOOP_LIMIT, OUTPUT_LIMIT, PRELUDE_JS, QUEUE_LIMIT, WAIT_GRACE};
use crate::host::output;
use crate::host::session::{check_syntax, Failure, Run, Session};
use boa_engine::builtins::promise::PromiseState;
use boa_engine::{js_string, JsError, JsObject, JsValue, Source};
use kernel::vfs::Kernel;
use serde_json::{json, Value};
use std::path::Path;
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

pub(super) enum Work {
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
pub(super) struct Engine {
    tx: Mutex<mpsc::Sender<Job>>,
    state: Arc<Mutex<EngineState>>,
    pub(super) timeout: Duration,
}

/// An engine answer that is not one: HTTP status and message.
type EngineError = (u16, String);

impl Engine {
    pub(super) fn wait_limit(&self) -> Duration {
        self.timeout + WAIT_GRACE
    }

    /// Runs `work` on the engine and waits for its answer.
    pub(super) fn call(&self, work: Work) -> Result<Value, EngineError> {
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
    pub(super) fn describe(&self) -> Value {
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
    let lib = Path::new(crate::host::loader::LIB_DIR).join("commands.js");
    let ns = s.loader.clone().import(&lib, &mut s.ctx).map_err(|e| format!("commands.js: {e}"))?;
    let init = api.get(js_string!("init"), &mut s.ctx).map_err(|e| e.to_string())?;
    let init = init.as_function().ok_or("prelude: no init")?;
    init.call(&api.clone().into(), &[ns.into()], &mut s.ctx).map_err(|e| format!("commands.js: {e}"))?;
    s.ctx.runtime_limits_mut().set_loop_iteration_limit(LOOP_LIMIT);
    Ok(api)
}

/// Starts the engine thread: it boots the session and answers jobs until the channel closes. Returns the
/// handle and the kernel, or the boot failure.
pub(super) fn start_engine(
    opts: crate::host::session::SessionOptions,
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
    let spawned = std::thread::Builder::new().name("rumpjs-engine".into()).stack_size(crate::cmd::ENGINE_STACK).spawn(
        move || {
            crate::host::limits::note_stack();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals() {
        assert_eq!(js_literal("a'b\"c\n\u{2028}"), "\"a'b\\\"c\\n\\u2028\"");
        assert_eq!(truncate("héllo".into(), 2), "h… [5 more bytes not shown]");
    }
}
