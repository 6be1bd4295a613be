//! `rumpjs test`: the command line of the test runner. The parent ([`runner`]) runs each file in a
//! child process — `rumpjs test --child FILE` — which boots a fresh kernel, evaluates the file (tests
//! register through 'rumpjs:test' / 'node:test'), runs them, and reports events on stdout.

pub mod runner;

use crate::cmd::{with_big_stack, CommonOpts};
use crate::host::output;
use crate::host::session::Session;
use boa_engine::object::builtins::JsFunction;
use boa_engine::{js_string, Context, JsObject, JsResult, JsValue, NativeFunction};
use clap::Args;
use runner::{Reporter, TestOptions, EVENT_MARK};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
pub struct TestArgs {
    /// Test files (*.test.js) or directories to search (default: tests/).
    pub paths: Vec<PathBuf>,
    /// Run only tests whose full name ("suite > test") contains PATTERN, or matches /PATTERN/flags.
    #[arg(long, value_name = "PATTERN")]
    pub filter: Option<String>,
    /// Per-test timeout in seconds (0: none). A test past it fails; one stuck in a synchronous loop is
    /// stopped 5 s later by ending its file's process.
    #[arg(long, value_name = "SECONDS", default_value = "30")]
    pub timeout: f64,
    /// Files run at once, each in its own process and kernel (default: the number of CPUs).
    #[arg(short = 'j', long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Output format: spec (readable) or tap (TAP version 13).
    #[arg(long, value_name = "NAME", default_value = "spec", value_parser = ["spec", "tap"])]
    pub reporter: String,
    /// Show the output of passing tests too.
    #[arg(long)]
    pub show_output: bool,
    /// (internal) Run one file in this process and report events.
    #[arg(long, hide = true, value_name = "FILE")]
    pub child: Option<PathBuf>,
}

/// `rumpjs test …`.
pub fn main(common: &CommonOpts, a: TestArgs) -> i32 {
    if let Some(file) = a.child.clone() {
        return child(common, file, a);
    }
    let files = match runner::discover(&a.paths) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("rumpjs test: {e}");
            return 2;
        }
    };
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("rumpjs test: cannot find my own executable: {e}");
            return 2;
        }
    };
    let mut child_args = Vec::new();
    for i in &common.images {
        child_args.extend(["--image".to_string(), i.clone()]);
    }
    for g in &common.allow_host {
        child_args.extend(["--allow-host".to_string(), g.to_string_lossy().into_owned()]);
    }
    let switches = [
        (common.rw, "--rw"),
        (common.overlay, "--overlay"),
        (common.preserve_all, "--preserve-all"),
        (common.deterministic, "--deterministic"),
        (common.force, "--force"),
        (common.verbose, "--verbose"),
    ];
    child_args.extend(switches.iter().filter(|(on, _)| *on).map(|(_, flag)| flag.to_string()));
    if let Some(p) = &common.partition {
        child_args.extend(["--partition".to_string(), p.clone()]);
    }
    if common.fstype != "ffs" {
        child_args.extend(["--fstype".to_string(), common.fstype.clone()]);
    }
    if let Some(m) = common.max_memory {
        child_args.extend(["--max-memory".to_string(), m.to_string()]);
    }
    if let Some(f) = &common.overlay_file {
        child_args.extend(["--overlay-file".to_string(), f.to_string_lossy().into_owned()]);
    }
    let jobs = a.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    // One overlay file has one writer at a time: the files then run one after another, each going on
    // from the changes of the one before.
    let jobs = if common.overlay_file.is_some() { 1 } else { jobs };
    let opts = TestOptions {
        paths: a.paths.clone(),
        filter: a.filter.clone(),
        timeout_ms: (a.timeout.max(0.0) * 1000.0) as u64,
        jobs,
        reporter: if a.reporter == "tap" { Reporter::Tap } else { Reporter::Spec },
        child_args,
        verbose: a.show_output,
        color: a.reporter == "spec" && std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let stdout = std::io::stdout();
    match runner::run(&exe, &files, &opts, stdout.lock()) {
        Ok(t) if t.failed == 0 => 0,
        Ok(_) => 1,
        Err(e) => {
            eprintln!("rumpjs test: {e}");
            2
        }
    }
}

/// Writes one event line for the parent.
fn emit(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let ev = args.first().cloned().unwrap_or_default();
    if let Some(o) = ev.as_object() {
        let ty = o.get(js_string!("type"), ctx)?;
        if ty.as_string().is_some_and(|t| t.to_std_string_escaped() == "done") {
            // Every test ran: timers still pending (a timed-out test's) must not keep the file running.
            crate::host::jobs::DROP_TIMERS.store(true, std::sync::atomic::Ordering::Relaxed);
            return Ok(JsValue::undefined());
        }
    }
    let json = ev.to_json(ctx)?.map(|j| j.to_string()).unwrap_or_else(|| "{}".into());
    output::own_line(&format!("{EVENT_MARK}{json}"));
    // The parent times tests by these lines: they must not wait in a buffer.
    output::flush();
    Ok(JsValue::undefined())
}

fn event(ctx: &mut Context, ty: &str, error: Option<JsValue>) -> JsValue {
    let o = JsObject::with_object_proto(ctx.intrinsics());
    let _ = o.set(js_string!("type"), js_string!(ty), false, ctx);
    if let Some(e) = error {
        let _ = o.set(js_string!("error"), e, false, ctx);
    }
    o.into()
}

/// The child: one file, a fresh kernel.
fn child(common: &CommonOpts, file: PathBuf, a: TestArgs) -> i32 {
    let abs = std::fs::canonicalize(&file).unwrap_or_else(|_| file.clone());
    let mut opts = common.session_options(vec!["rumpjs".to_string(), abs.to_string_lossy().into_owned()]);
    // A test reads what sits beside it (fixture images) without a grant of its own; writing there needs
    // --allow-host like anything else.
    if let Some(dir) = abs.parent() {
        opts.read_host.push(dir.to_path_buf());
    }
    let timeout_ms = (a.timeout.max(0.0) * 1000.0) as u64;
    let filter = a.filter.clone();
    with_big_stack(move || {
        let mut s = match Session::new(&opts) {
            Ok(s) => s,
            Err(f) => {
                eprintln!("{f}");
                return 2;
            }
        };
        let code = run_child(&mut s, &abs, filter, timeout_ms);
        crate::host::session::shutdown(&s.kernel);
        output::flush();
        std::mem::forget(s);
        code
    })
}

fn run_child(s: &mut Session, file: &Path, filter: Option<String>, timeout_ms: u64) -> i32 {
    let emit_fn = NativeFunction::from_fn_ptr(emit).to_js_function(s.ctx.realm());
    let send = |s: &mut Session, v: JsValue| {
        let _ = emit_fn.call(&JsValue::undefined(), &[v], &mut s.ctx);
        output::flush();
    };
    // Evaluate the file: its tests register themselves.
    if let Err(f) = s.run_module(file) {
        let ctx = &mut s.ctx;
        let err = JsObject::with_object_proto(ctx.intrinsics());
        let text = f.to_string();
        let _ = err.set(js_string!("name"), js_string!("Error"), false, ctx);
        let _ = err.set(js_string!("message"), js_string!(text.as_str()), false, ctx);
        let ev = event(ctx, "load-error", Some(err.into()));
        send(s, ev);
        let ev = event(&mut s.ctx, "end", None);
        send(s, ev);
        return 1;
    }
    let lib = Path::new(crate::host::loader::LIB_DIR).join("test.js");
    let ns = match s.loader.import(&lib, &mut s.ctx) {
        Ok(ns) => ns,
        Err(e) => {
            eprintln!("rumpjs test: the test library did not load: {}", s.format_error(&e));
            return 2;
        }
    };
    let run = ns.get(js_string!("run"), &mut s.ctx).ok().and_then(|v| v.as_object()).and_then(JsFunction::from_object);
    let Some(run) = run else {
        eprintln!("rumpjs test: the test library has no run()");
        return 2;
    };
    let ctx = &mut s.ctx;
    let opts = JsObject::with_object_proto(ctx.intrinsics());
    if let Some(f) = &filter {
        let _ = opts.set(js_string!("filter"), js_string!(f.as_str()), false, ctx);
    }
    let _ = opts.set(js_string!("timeout"), timeout_ms as f64, false, ctx);
    let _ = opts.set(js_string!("emit"), emit_fn.clone(), false, ctx);
    let p = match run.call(&JsValue::undefined(), &[opts.into()], ctx) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("rumpjs test: {}", s.format_error(&e));
            return 2;
        }
    };
    // An unhandled rejection stops the event loop so it can be reported: report it (to the test that
    // is running, in the parent) and go on with the rest of the tests.
    let code = loop {
        match s.settle(&p) {
            Ok(_) => break 0,
            Err(crate::host::session::Failure::Unhandled(msg)) => {
                let ctx = &mut s.ctx;
                let err = JsObject::with_object_proto(ctx.intrinsics());
                let _ = err.set(js_string!("name"), js_string!("Error"), false, ctx);
                let text = format!("unhandled promise rejection: {msg}");
                let _ = err.set(js_string!("message"), js_string!(text.as_str()), false, ctx);
                let ev = event(ctx, "unhandled", Some(err.into()));
                send(s, ev);
            }
            Err(f) => {
                // Uncatchable (a stack overflow): the test that was running fails, in the parent.
                eprintln!("{f}");
                break 1;
            }
        }
    };
    let ev = event(&mut s.ctx, "end", None);
    send(s, ev);
    code
}
