//! The REPL — the 2012 demo's first screen: boot log, mounts, then JavaScript and the shell-like commands
//! (`.ls -l /ffs`) at one prompt. The commands are scripts/lib/commands.js, shared with the one-shot CLI
//! and the web page; this file only connects them and a Boa session to the line editor (`repl` crate).

use crate::host::session::{check_syntax, Failure, Run, Session};
use boa_engine::builtins::promise::PromiseState;
use boa_engine::object::builtins::JsFunction;
use boa_engine::{js_string, JsError, JsObject, JsValue, Source};
use repl::{Completeness, Evaluator, Outcome};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Boa "clock cycles" between checks for Ctrl-C and the --timeout deadline.
const BUDGET: u32 = 2048;
/// Exit status when a second Ctrl-C ends the process (128 + SIGINT, as a shell reports it).
const SIGINT_EXIT: i32 = 130;

/// Ctrl-C presses (SIGINT while code runs, or the editor's Ctrl-C key) since the current evaluation began.
static INTERRUPTS: AtomicUsize = AtomicUsize::new(0);
/// Whether JavaScript is running (an input, a timer): what a Ctrl-C is meant to stop.
static BUSY: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigint(_sig: libc::c_int) {
    INTERRUPTS.fetch_add(1, Ordering::SeqCst);
}

/// Ctrl-C while JavaScript runs: the terminal is in cooked mode then, so it arrives as SIGINT. The first
/// stops a budgeted evaluation (an input's own code) or an await; code Boa runs unbudgeted (a callback of
/// a built-in such as `[].map`, a timer, a promise job) cannot be stopped from outside, so after a
/// moment a hint says a second Ctrl-C ends rumpjs, and the second does, with the file systems written.
fn install_interrupts() {
    // SAFETY: the handler only increments an atomic, which is async-signal-safe.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_sigint as extern "C" fn(libc::c_int) as usize;
        sa.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut sa.sa_mask);
        libc::sigaction(libc::SIGINT, &sa, std::ptr::null_mut());
    }
    let _ = std::thread::Builder::new().name("rumpjs-interrupt".into()).spawn(|| {
        let mut first: Option<Instant> = None;
        let mut hinted = false;
        loop {
            std::thread::sleep(Duration::from_millis(50));
            let n = INTERRUPTS.load(Ordering::SeqCst);
            if n >= 3 {
                // Whatever the REPL thinks it is doing: three Ctrl-Cs and no prompt back is a hang.
                crate::host::watchdog::end_process("\nrumpjs: ended by Ctrl-C pressed three times", SIGINT_EXIT);
            }
            if !BUSY.load(Ordering::SeqCst) || n == 0 {
                first = None;
                hinted = false;
                continue;
            }
            if n >= 2 {
                crate::host::watchdog::end_process(
                    "\nrumpjs: ended by a second Ctrl-C while JavaScript was running (file systems written)",
                    SIGINT_EXIT,
                );
            }
            let t = *first.get_or_insert_with(Instant::now);
            if !hinted && t.elapsed() > Duration::from_millis(500) {
                hinted = true;
                crate::host::output::flush();
                eprintln!(
                    "\n(Ctrl-C: this code runs where it cannot be interrupted — a callback of a built-in, a timer \
                     or a promise job. Press Ctrl-C again to end rumpjs; the file systems are written first.)"
                );
            }
        }
    });
}

/// JavaScript (or a command) is running from now until this is dropped: a Ctrl-C is meant for it.
struct Busy;

impl Busy {
    fn start() -> Busy {
        INTERRUPTS.store(0, Ordering::SeqCst);
        BUSY.store(true, Ordering::SeqCst);
        Busy
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        BUSY.store(false, Ordering::SeqCst);
    }
}

/// Sleeps towards a timer's time, 20 ms at most, so Ctrl-C and deadlines are seen while waiting.
fn nap_until(at: Instant) {
    let now = Instant::now();
    if at > now {
        std::thread::sleep((at - now).min(Duration::from_millis(20)));
    }
}

/// Whether the running evaluation should stop: Ctrl-C, or past the --timeout deadline.
fn should_stop(deadline: Option<Instant>) -> bool {
    INTERRUPTS.load(Ordering::SeqCst) > 0 || deadline.is_some_and(|d| Instant::now() >= d)
}

/// Commands only the REPL has (the rest come from commands.js).
const REPL_COMMANDS: &[(&str, &str, &str)] = &[
    ("load", ".load FILE", "evaluate a script file (a kernel path, else a host file)"),
    ("exit", ".exit", "leave (so does Ctrl-D)"),
];

const KEYWORDS: &[&str] = &[
    "await",
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "debugger",
    "default",
    "delete",
    "do",
    "else",
    "export",
    "extends",
    "false",
    "finally",
    "for",
    "function",
    "if",
    "import",
    "in",
    "instanceof",
    "let",
    "new",
    "null",
    "return",
    "super",
    "switch",
    "this",
    "throw",
    "true",
    "try",
    "typeof",
    "undefined",
    "var",
    "void",
    "while",
    "with",
    "yield",
];

/// The code to evaluate for an input: `{...}` read as an object literal (as Node's REPL does), and
/// top-level `await` run inside an async function (declarations become globals).
fn prepare(input: &str) -> String {
    let t = input.trim();
    if t.starts_with('{') && t.ends_with('}') {
        let wrapped = format!("({t})");
        if check_syntax(&wrapped).is_ok() {
            return wrapped;
        }
    }
    if check_syntax(t).is_ok() || !t.contains("await") {
        return t.to_string();
    }
    let body = t.trim_end_matches(';');
    for kw in ["const ", "let ", "var "] {
        if let Some(rest) = body.strip_prefix(kw) {
            if let Some((name, value)) = rest.split_once('=') {
                let name = name.trim();
                if !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '$') {
                    return format!("(async () => {{ globalThis.{name} = {value}; }})()");
                }
            }
        }
    }
    let expr = format!("(async () => {{ return ({body}); }})()");
    if check_syntax(&expr).is_ok() {
        return expr;
    }
    format!("(async () => {{ {body} }})()")
}

/// Whether an input is complete (Enter evaluates it) or a statement goes on (Enter adds a line).
pub fn completeness(input: &str) -> Completeness {
    let t = input.trim();
    if t.is_empty() || t.starts_with('.') {
        return Completeness::Complete;
    }
    match check_syntax(&prepare(t)) {
        Ok(()) => Completeness::Complete,
        Err(m)
            if m.contains("abrupt end")
                || m.contains("unterminated template")
                || m.contains("unterminated multiline comment") =>
        {
            Completeness::Incomplete
        }
        Err(_) => Completeness::Complete,
    }
}

pub struct JsRepl {
    pub session: Session,
    color: bool,
    columns: usize,
    commands: Option<(JsFunction, Vec<String>)>,
    inspect: Option<JsFunction>,
    props: Option<JsFunction>,
    /// `--timeout`: how long one input may run before it is stopped (the session goes on).
    timeout: Option<Duration>,
}

impl JsRepl {
    /// A REPL on `session`: its timers run while the prompt waits instead of holding the prompt.
    pub fn new(session: Session, color: bool, timeout: Option<Duration>) -> JsRepl {
        let columns = crate::host::output::columns();
        session.set_wait_for_timers(false);
        JsRepl { session, color, columns, commands: None, inspect: None, props: None, timeout }
    }

    fn lib(&mut self, file: &str, export: &str) -> Result<JsValue, String> {
        let s = &mut self.session;
        let ns = s
            .loader
            .import(&Path::new(crate::host::loader::LIB_DIR).join(file), &mut s.ctx)
            .map_err(|e| s.format_error(&e))?;
        ns.get(js_string!(export), &mut s.ctx).map_err(|e| e.to_string())
    }

    /// commands.js's `run` and the command names.
    fn commands(&mut self) -> Result<(JsFunction, Vec<String>), String> {
        if let Some(c) = &self.commands {
            return Ok(c.clone());
        }
        let run = self.lib("commands.js", "run")?;
        let names = self.lib("commands.js", "names")?;
        let ctx = &mut self.session.ctx;
        let run = run.as_object().and_then(JsFunction::from_object).ok_or("commands.js has no run()")?;
        let mut list = Vec::new();
        if let Some(arr) = names.as_object() {
            let n = arr.get(js_string!("length"), ctx).map_err(|e| e.to_string())?.to_length(ctx).unwrap_or(0);
            for i in 0..n {
                if let Ok(v) = arr.get(i, ctx) {
                    if let Some(s) = v.as_string() {
                        list.push(s.to_std_string_escaped());
                    }
                }
            }
        }
        self.commands = Some((run, list));
        Ok(self.commands.clone().unwrap_or_else(|| unreachable!()))
    }

    /// A value as the REPL prints it (colours on a terminal).
    fn show(&mut self, v: &JsValue) -> String {
        if self.inspect.is_none() {
            if let Ok(f) = self.lib("inspect.js", "inspect") {
                self.inspect = f.as_object().and_then(JsFunction::from_object);
            }
        }
        let Some(f) = self.inspect.clone() else { return self.session.inspect(v) };
        let ctx = &mut self.session.ctx;
        let opts = JsObject::with_object_proto(ctx.intrinsics());
        let _ = opts.set(js_string!("colors"), self.color, false, ctx);
        // Objects stay on one line while they fit the terminal's width.
        let _ = opts.set(js_string!("breakLength"), self.columns as f64, false, ctx);
        match f.call(&JsValue::undefined(), &[v.clone(), opts.into()], ctx) {
            Ok(s) => s.as_string().map(|s| s.to_std_string_escaped()).unwrap_or_default(),
            Err(_) => self.session.inspect(v),
        }
    }

    /// Runs a shell-like command line (without its leading dot) through commands.js.
    fn command(&mut self, line: &str) -> Outcome {
        let _busy = Busy::start();
        let (run, _) = match self.commands() {
            Ok(c) => c,
            Err(e) => return Outcome::Error(e),
        };
        let ctx = &mut self.session.ctx;
        let opts = JsObject::with_object_proto(ctx.intrinsics());
        let _ = opts.set(js_string!("columns"), self.columns as f64, false, ctx);
        let r = match run.call(&JsValue::undefined(), &[js_string!(line).into(), opts.into()], ctx) {
            Ok(r) => r,
            Err(e) => return Outcome::Error(self.session.format_error(&e)),
        };
        let ctx = &mut self.session.ctx;
        let get = |k: &str, ctx: &mut boa_engine::Context| -> String {
            r.as_object()
                .and_then(|o| o.get(boa_engine::JsString::from(k), ctx).ok())
                .and_then(|v| v.as_string().map(|s| s.to_std_string_escaped()))
                .unwrap_or_default()
        };
        let (out, err) = (get("out", ctx), get("err", ctx));
        let mut text = out.trim_end_matches('\n').to_string();
        if !err.is_empty() {
            if !text.is_empty() {
                text.push('\n');
            }
            let e = err.trim_end_matches('\n');
            text.push_str(&if self.color { format!("\x1b[31m{e}\x1b[0m") } else { e.to_string() });
        }
        if text.is_empty() {
            Outcome::Silent
        } else {
            Outcome::Output(text)
        }
    }

    fn help(&mut self) -> Outcome {
        let mut out = String::from("Commands (also without the dot in scripts: commands.js):\n");
        let body = match self.command("help") {
            Outcome::Output(s) => s,
            _ => String::new(),
        };
        for l in body.lines() {
            out.push_str(&l.replacen("  ", "  .", 1));
            out.push('\n');
        }
        for (_, usage, help) in REPL_COMMANDS {
            out.push_str(&format!("  {usage:<36} {help}\n"));
        }
        out.push_str(
            "\nAnything else is JavaScript: fs, path, rump (rump.sys.*), crypto, process, console, Buffer are \
             globals;\n`await` works at the prompt; `_` is the last value. Tab completes names, properties and kernel \
             paths.",
        );
        Outcome::Output(out)
    }

    /// `.load FILE`: a kernel path if the kernel has it, otherwise a host file (the person at the prompt
    /// chose it, as with `rumpjs run`).
    fn load(&mut self, file: &str) -> Outcome {
        let file = file.trim();
        if file.is_empty() {
            return Outcome::Error("usage: .load FILE".into());
        }
        let src = match self.kernel_read(file) {
            Some(b) => String::from_utf8_lossy(&b).into_owned(),
            None => match std::fs::read_to_string(file) {
                Ok(s) => s,
                Err(e) => return Outcome::Error(format!(".load: {file}: {e}")),
            },
        };
        self.eval_js(&src, file)
    }

    fn kernel_read(&self, path: &str) -> Option<Vec<u8>> {
        let p = &self.session.proc;
        let fd = p.open(path.as_bytes(), kernel::vfs::O_RDONLY, 0).ok()?;
        let mut out = Vec::new();
        let mut buf = vec![0u8; 64 << 10];
        loop {
            match p.read(fd, &mut buf) {
                Ok(0) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(_) => {
                    let _ = p.close(fd);
                    return None;
                }
            }
            if out.len() > 16 << 20 {
                break;
            }
        }
        let _ = p.close(fd);
        Some(out)
    }

    fn eval_js(&mut self, input: &str, name: &str) -> Outcome {
        let code = prepare(input);
        let deadline = self.timeout.map(|t| Instant::now() + t);
        let _busy = Busy::start();
        self.eval_code(&code, name, deadline)
    }

    fn eval_code(&mut self, code: &str, name: &str, deadline: Option<Instant>) -> Outcome {
        let v = match self.session.eval_budgeted(code, name, BUDGET, &mut || should_stop(deadline)) {
            Run::Done(Ok(v)) => v,
            Run::Done(Err(e)) => {
                self.set_global("_error", &JsValue::undefined());
                return Outcome::Error(format!("Uncaught {}", self.format_error(&e)));
            }
            Run::Stopped => return Outcome::Error(self.stopped(deadline)),
        };
        let v = match self.settle(v, deadline) {
            Ok(v) => v,
            Err(m) => return Outcome::Error(m),
        };
        self.set_global("_", &v);
        Outcome::Output(self.show(&v))
    }

    /// Why an evaluation was stopped.
    fn stopped(&self, deadline: Option<Instant>) -> String {
        match (self.timeout, deadline) {
            (Some(t), Some(d)) if Instant::now() >= d => format!(
                "Uncaught Error: Script execution timed out after {} s (--timeout); the session goes on",
                t.as_secs_f64()
            ),
            _ => "Uncaught Error: Script execution was interrupted by Ctrl-C (SIGINT); the session goes on".into(),
        }
    }

    fn format_error(&mut self, e: &JsError) -> String {
        let m = self.session.format_error(e);
        self.session.trim_stack(m)
    }

    /// Runs the jobs an input queued and, if its value is a promise, the event loop until the promise
    /// settles (timers included), Ctrl-C or the deadline: then the settled value, or the pending promise
    /// when nothing left could settle it. Timers not needed for that keep running at the prompt.
    fn settle(&mut self, v: JsValue, deadline: Option<Instant>) -> Result<JsValue, String> {
        loop {
            if let Err(f) = self.session.run_jobs() {
                return Err(self.session.trim_stack(f.to_string()));
            }
            let Some(p) = v.as_promise() else { return Ok(v) };
            match p.state() {
                PromiseState::Fulfilled(x) => return Ok(x),
                PromiseState::Rejected(e) => {
                    return Err(format!("Uncaught {}", self.format_error(&JsError::from_opaque(e))))
                }
                PromiseState::Pending => {}
            }
            if should_stop(deadline) {
                return Err(self.stopped(deadline));
            }
            let Some(at) = self.session.next_timer() else { return Ok(v) };
            crate::host::output::flush();
            nap_until(at);
        }
    }

    /// Runs what the event loop has due, with its output captured (shown above the prompt).
    fn run_due(&mut self) -> String {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let sink = buf.clone();
        crate::host::output::set_sink(Some(Box::new(move |_, b: &[u8]| {
            sink.lock().unwrap_or_else(|e| e.into_inner()).extend_from_slice(b)
        })));
        let busy = Busy::start();
        let r = self.session.run_jobs();
        drop(busy);
        crate::host::output::set_sink(None);
        let mut text = String::from_utf8_lossy(&buf.lock().unwrap_or_else(|e| e.into_inner())).into_owned();
        if let Err(f) = r {
            text.push_str(&self.session.trim_stack(f.to_string()));
            text.push('\n');
        }
        text
    }

    fn set_global(&mut self, k: &str, v: &JsValue) {
        let ctx = &mut self.session.ctx;
        let g = ctx.global_object();
        let _ = g.set(boa_engine::JsString::from(k), v.clone(), false, ctx);
    }

    /// Names a value has (own and inherited properties), for completing `obj.`.
    fn property_names(&mut self, expr: &str) -> Vec<String> {
        let _busy = Busy::start();
        let valid = !expr.is_empty()
            && expr.split('.').all(|p| {
                let mut c = p.chars();
                matches!(c.next(), Some(ch) if ch.is_alphabetic() || ch == '_' || ch == '$')
                    && c.all(|ch| ch.is_alphanumeric() || ch == '_' || ch == '$')
            });
        if !valid {
            return Vec::new();
        }
        if self.props.is_none() {
            let f = self.session.ctx.eval(Source::from_bytes(
                "(o) => { const out = new Set(); for (let p = Object(o); p && out.size < 5000; p = Object.getPrototypeOf(p)) \
                 for (const k of Object.getOwnPropertyNames(p)) if (k !== 'constructor' && !/^__/.test(k)) out.add(k); \
                 return [...out].join('\\n'); }",
            ));
            self.props = f.ok().and_then(|v| v.as_object()).and_then(JsFunction::from_object);
        }
        let Some(f) = self.props.clone() else { return Vec::new() };
        let Ok(v) = self.session.eval_line(expr, "[completion]") else { return Vec::new() };
        if v.is_null_or_undefined() {
            return Vec::new();
        }
        match f.call(&JsValue::undefined(), &[v], &mut self.session.ctx) {
            Ok(s) => s
                .as_string()
                .map(|s| s.to_std_string_escaped().lines().map(str::to_string).collect())
                .unwrap_or_default(),
            Err(_) => Vec::new(),
        }
    }

    /// Kernel paths completing `partial` (relative to the kernel's cwd); directories end in '/'.
    fn complete_path(&self, partial: &str) -> Vec<String> {
        let (dir, base) = match partial.rfind('/') {
            Some(i) => (&partial[..=i], &partial[i + 1..]),
            None => ("", partial),
        };
        let list_dir = if dir.is_empty() { "." } else { dir };
        let p = &self.session.proc;
        let Ok(entries) = p.readdir_path(list_dir.as_bytes()) else { return Vec::new() };
        let mut out: Vec<String> = entries
            .iter()
            .filter(|e| e.name != b"." && e.name != b"..")
            .filter_map(|e| std::str::from_utf8(&e.name).ok())
            .filter(|n| n.starts_with(base) && (!base.is_empty() || !n.starts_with('.')))
            .map(|n| {
                let full = format!("{dir}{n}");
                let is_dir = p.stat(full.as_bytes()).map(|s| s.mode & 0o170000 == 0o040000).unwrap_or(false);
                if is_dir {
                    format!("{full}/")
                } else {
                    full
                }
            })
            .collect();
        out.sort();
        out
    }
}

/// Where an unterminated string literal starts in `head` (completion inside `'…` completes paths).
fn open_string(head: &str) -> Option<usize> {
    let mut quote: Option<(char, usize)> = None;
    let mut escaped = false;
    for (i, c) in head.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match (quote, c) {
            (Some(_), '\\') => escaped = true,
            (Some((q, _)), c) if c == q => quote = None,
            (None, '\'' | '"' | '`') => quote = Some((c, i)),
            _ => {}
        }
    }
    quote.map(|(_, i)| i)
}

impl Evaluator for JsRepl {
    fn eval(&mut self, input: &str) -> Outcome {
        let out = self.eval_inner(input);
        // Script output (console.log) goes through the runtime's buffered streams; the editor prints
        // the outcome itself, after it.
        crate::host::output::flush();
        out
    }

    fn check(&mut self, input: &str) -> Completeness {
        completeness(input)
    }

    fn complete(&mut self, line: &str, pos: usize) -> (usize, Vec<String>) {
        self.complete_inner(line, pos)
    }

    fn next_background(&mut self) -> Option<Instant> {
        self.session.next_timer()
    }

    fn run_background(&mut self) -> String {
        self.run_due()
    }

    /// The input ended (Ctrl-D, or a piped stdin): the timers still pending run out first, as Node's
    /// event loop does after its REPL closes (Ctrl-C stops the wait).
    fn at_end(&mut self) -> String {
        let mut out = String::new();
        // Ctrl-D at a terminal leaves at once, as in Node's REPL; a piped script's timers run out first.
        if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
            return out;
        }
        INTERRUPTS.store(0, Ordering::SeqCst);
        while let Some(at) = self.session.next_timer() {
            if INTERRUPTS.load(Ordering::SeqCst) > 0 {
                break;
            }
            if at > Instant::now() {
                nap_until(at);
                continue;
            }
            out.push_str(&self.run_due());
        }
        out
    }

    fn prompt(&mut self) -> String {
        let cwd =
            self.session.proc.getcwd().map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_else(|_| "?".into());
        format!("rump:{cwd}> ")
    }
}

impl JsRepl {
    fn eval_inner(&mut self, input: &str) -> Outcome {
        let t = input.trim();
        if let Some(cmd) = t.strip_prefix('.') {
            let (word, rest) = cmd.split_once(char::is_whitespace).unwrap_or((cmd, ""));
            return match word {
                "exit" | "quit" => Outcome::Exit(0),
                "help" if rest.trim().is_empty() => self.help(),
                // The REPL's own commands are not commands.js's: their help is here.
                "help" if REPL_COMMANDS.iter().any(|(n, _, _)| *n == rest.trim().trim_start_matches('.')) => {
                    let name = rest.trim().trim_start_matches('.');
                    let (_, usage, help) =
                        REPL_COMMANDS.iter().find(|(n, _, _)| *n == name).copied().unwrap_or_default();
                    Outcome::Output(format!("{usage}\n  {help}"))
                }
                "load" => self.load(rest),
                _ => self.command(cmd),
            };
        }
        self.eval_js(t, "REPL")
    }

    fn complete_inner(&mut self, line: &str, pos: usize) -> (usize, Vec<String>) {
        let pos = pos.min(line.len());
        let head = &line[..pos];
        let lead = head.len() - head.trim_start().len();
        if head[lead..].starts_with('.') {
            let body = &head[lead..];
            if !body.contains(char::is_whitespace) {
                let mut names: Vec<String> = self.commands().map(|(_, n)| n).unwrap_or_default();
                names.extend(REPL_COMMANDS.iter().map(|(n, _, _)| n.to_string()));
                let mut c: Vec<String> =
                    names.into_iter().map(|n| format!(".{n}")).filter(|n| n.starts_with(body)).collect();
                c.sort();
                c.dedup();
                return (lead, c);
            }
            let start = head.rfind(char::is_whitespace).map_or(0, |i| i + 1);
            return (start, self.complete_path(&head[start..]));
        }
        if let Some(q) = open_string(head) {
            return (q + 1, self.complete_path(&head[q + 1..]));
        }
        let (start, word) = repl::word_before(line, pos);
        if let Some(dot) = word.rfind('.') {
            let (obj, prefix) = (&word[..dot], &word[dot + 1..]);
            let mut c: Vec<String> = self
                .property_names(obj)
                .into_iter()
                .filter(|n| n.starts_with(prefix))
                .map(|n| format!("{obj}.{n}"))
                .collect();
            c.sort();
            return (start, c);
        }
        let mut names = self.property_names("globalThis");
        names.extend(KEYWORDS.iter().map(|s| s.to_string()));
        let mut c: Vec<String> = names.into_iter().filter(|n| n.starts_with(word) && !word.is_empty()).collect();
        c.sort();
        c.dedup();
        (start, c)
    }
}

/// The boot screen: the kernel's message buffer, the mounts, how to go on.
pub fn banner(r: &mut JsRepl) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "rumpjs {} — a NetBSD rump kernel hosted by the Boa JavaScript engine\n\n",
        env!("CARGO_PKG_VERSION")
    ));
    out.push_str(&r.session.kernel.state.msgbuf());
    out.push('\n');
    if let Outcome::Output(m) = r.command("mount") {
        out.push_str(&m);
        out.push('\n');
    }
    out.push_str(
        "\nType .help for commands (.ls -l /ffs, .cat /ffs/README, .df, .dmesg ...), or JavaScript \
                  (fs.readdirSync('/ffs')).\n.exit or Ctrl-D leaves.\n",
    );
    out
}

/// `rumpjs repl` (and `rumpjs` alone): the demo image unless --image names others.
pub fn main(common: &super::CommonOpts) -> i32 {
    let mut opts = common.session_options(vec!["rumpjs".to_string()]);
    opts.demo = true;
    opts.imports_from_cwd = true;
    // --timeout limits each input (the REPL stops it and goes on), not the session.
    let timeout = common.timeout.filter(|t| *t > 0.0 && t.is_finite()).map(std::time::Duration::from_secs_f64);
    super::with_big_stack(move || {
        let s = match Session::new(&opts) {
            Ok(s) => s,
            Err(f) => return super::common::report(&f),
        };
        crate::host::watchdog::set_kernel(s.kernel.clone());
        let kernel = s.kernel.clone();
        let code = run(s, timeout);
        crate::host::session::shutdown(&kernel);
        crate::host::output::flush();
        code
    })
}

/// The REPL on `session` until its input ends. `timeout` (--timeout) limits each input, not the session.
pub fn run(session: Session, timeout: Option<Duration>) -> i32 {
    use std::io::IsTerminal;
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut r = JsRepl::new(session, color, timeout);
    let b = banner(&mut r);
    crate::host::output::write(crate::host::output::Stream::Stdout, b.as_bytes());
    crate::host::output::flush();
    install_interrupts();
    let on_interrupt: Arc<dyn Fn() + Send + Sync> = Arc::new(|| {
        INTERRUPTS.fetch_add(1, Ordering::SeqCst);
    });
    let opts = repl::ReplOptions {
        color,
        on_interrupt: Some(on_interrupt),
        check: Some(Arc::new(completeness)),
        ..Default::default()
    };
    let code = match repl::run(&mut r, opts) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("rumpjs: {e}");
            1
        }
    };
    crate::host::output::flush();
    code
}

impl From<Failure> for Outcome {
    fn from(f: Failure) -> Outcome {
        Outcome::Error(f.to_string())
    }
}
