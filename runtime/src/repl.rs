//! The REPL — the 2012 demo's first screen: boot log, mounts, then JavaScript and the shell-like commands
//! (`.ls -l /ffs`) at one prompt. The commands are scripts/lib/commands.js, shared with the one-shot CLI
//! and the web page; this file only connects them and a Boa session to the line editor (`repl` crate).

use crate::session::{Failure, Session};
use boa_engine::object::builtins::JsFunction;
use boa_engine::{js_string, JsObject, JsValue, Source};
use repl::{Completeness, Evaluator, Outcome};
use std::path::Path;

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

pub struct JsRepl {
    pub session: Session,
    color: bool,
    columns: usize,
    commands: Option<(JsFunction, Vec<String>)>,
    inspect: Option<JsFunction>,
    props: Option<JsFunction>,
}

impl JsRepl {
    pub fn new(session: Session, color: bool) -> JsRepl {
        let columns = terminal_columns();
        JsRepl { session, color, columns, commands: None, inspect: None, props: None }
    }

    fn lib(&mut self, file: &str, export: &str) -> Result<JsValue, String> {
        let s = &mut self.session;
        let ns = s
            .loader
            .import(&Path::new(crate::loader::LIB_DIR).join(file), &mut s.ctx)
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
        match f.call(&JsValue::undefined(), &[v.clone(), opts.into()], ctx) {
            Ok(s) => s.as_string().map(|s| s.to_std_string_escaped()).unwrap_or_default(),
            Err(_) => self.session.inspect(v),
        }
    }

    /// Runs a shell-like command line (without its leading dot) through commands.js.
    fn command(&mut self, line: &str) -> Outcome {
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

    fn parses(&mut self, code: &str) -> Result<(), String> {
        boa_engine::Script::parse(Source::from_bytes(code), None, &mut self.session.ctx)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// The code to evaluate for an input: `{...}` read as an object literal (as Node's REPL does), and
    /// top-level `await` run inside an async function (declarations become globals).
    fn prepare(&mut self, input: &str) -> String {
        let t = input.trim();
        if t.starts_with('{') && t.ends_with('}') {
            let wrapped = format!("({t})");
            if self.parses(&wrapped).is_ok() {
                return wrapped;
            }
        }
        if self.parses(t).is_ok() || !t.contains("await") {
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
        if self.parses(&expr).is_ok() {
            return expr;
        }
        format!("(async () => {{ {body} }})()")
    }

    fn eval_js(&mut self, input: &str, name: &str) -> Outcome {
        let code = self.prepare(input);
        let r = self.session.eval_line(&code, name);
        let v = match r {
            Ok(v) => v,
            Err(e) => {
                let msg = self.session.format_error(&e);
                self.set_global("_error", &JsValue::undefined());
                return Outcome::Error(format!("Uncaught {msg}"));
            }
        };
        let v = match self.session.settle(&v) {
            Ok(v) => v,
            Err(f) => return Outcome::Error(f.to_string()),
        };
        if let Err(f) = self.session.run_jobs() {
            return Outcome::Error(f.to_string());
        }
        self.set_global("_", &v);
        Outcome::Output(self.show(&v))
    }

    fn set_global(&mut self, k: &str, v: &JsValue) {
        let ctx = &mut self.session.ctx;
        let g = ctx.global_object();
        let _ = g.set(boa_engine::JsString::from(k), v.clone(), false, ctx);
    }

    /// Names a value has (own and inherited properties), for completing `obj.`.
    fn property_names(&mut self, expr: &str) -> Vec<String> {
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

fn terminal_columns() -> usize {
    std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).unwrap_or(80)
}

impl Evaluator for JsRepl {
    fn eval(&mut self, input: &str) -> Outcome {
        let out = self.eval_inner(input);
        // Script output (console.log) goes through the runtime's buffered streams; the editor prints
        // the outcome itself, after it.
        crate::output::flush();
        out
    }

    fn check(&mut self, input: &str) -> Completeness {
        self.check_inner(input)
    }

    fn complete(&mut self, line: &str, pos: usize) -> (usize, Vec<String>) {
        self.complete_inner(line, pos)
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
                "load" => self.load(rest),
                _ => self.command(cmd),
            };
        }
        self.eval_js(t, "REPL")
    }

    fn check_inner(&mut self, input: &str) -> Completeness {
        let t = input.trim();
        if t.is_empty() || t.starts_with('.') {
            return Completeness::Complete;
        }
        let code = self.prepare(t);
        match self.parses(&code) {
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

/// `rumpjs` / `rumpjs repl`.
pub fn main(session: Session) -> i32 {
    use std::io::IsTerminal;
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut r = JsRepl::new(session, color);
    let b = banner(&mut r);
    crate::output::write(crate::output::Stream::Stdout, b.as_bytes());
    crate::output::flush();
    let r = std::rc::Rc::new(std::cell::RefCell::new(r));
    let opts = repl::ReplOptions { color, ..Default::default() };
    let code = match repl::run(r.clone(), opts) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("rumpjs: {e}");
            1
        }
    };
    crate::output::flush();
    code
}

impl From<Failure> for Outcome {
    fn from(f: Failure) -> Outcome {
        Outcome::Error(f.to_string())
    }
}
