//! Globals besides the kernel's: console, process, path, crypto (TextEncoder/TextDecoder, setTimeout and
//! queueMicrotask come from boa_runtime).

use crate::host::output::{self, Stream};
use boa_engine::object::builtins::{JsArray, JsFunction};
use boa_engine::object::{FunctionObjectBuilder, ObjectInitializer};
use boa_engine::property::Attribute;
use boa_engine::{
    js_string, Context, JsData, JsNativeError, JsObject, JsResult, JsString, JsValue, NativeFunction, Source,
};
use boa_gc::{Finalize, Trace};
use boa_runtime::{ConsoleState, Logger};
use kernel_bindings::args::{arg, BufView};
use kernel_bindings::define;
use kernel_bindings::error::invalid_arg_type;
use kernel_bindings::error::KResultExt;

// ---------------------------------------------------------------- console

/// console output through [`crate::host::output`]: log/info/debug to stdout, warn/error to stderr.
#[derive(Debug, Trace, Finalize)]
pub struct OutputLogger;

fn emit(stream: Stream, msg: &str, state: &ConsoleState) {
    let indent = state.indent();
    if indent == 0 {
        output::line(stream, msg);
    } else {
        let pad = " ".repeat(indent);
        let text: String = msg.lines().map(|l| format!("{pad}{l}\n")).collect();
        output::write(stream, text.as_bytes());
    }
}

/// console.log and console.info write to stdout, console.warn and console.error to stderr, as Node's do.
macro_rules! logger_streams {
    ($($method:ident => $stream:ident),*) => {
        impl Logger for OutputLogger {
            $(fn $method(&self, msg: String, state: &ConsoleState, _: &mut Context) -> JsResult<()> {
                emit(Stream::$stream, &msg, state);
                Ok(())
            })*
        }
    };
}
logger_streams!(log => Stdout, info => Stdout, warn => Stderr, error => Stderr);

/// The JavaScript libraries of scripts/lib, built in under [`crate::host::loader::LIB_DIR`].
pub const LIBS: &[(&str, &str)] = &[
    ("inspect.js", include_str!("../../../scripts/lib/inspect.js")),
    ("assert.js", include_str!("../../../scripts/lib/assert.js")),
    ("test.js", include_str!("../../../scripts/lib/test.js")),
    ("commands.js", include_str!("../../../scripts/lib/commands.js")),
    ("format.js", include_str!("../../../scripts/lib/format.js")),
    ("cmdline.js", include_str!("../../../scripts/lib/cmdline.js")),
    ("find.js", include_str!("../../../scripts/lib/find.js")),
    ("assert_strict.js", include_str!("../../../scripts/lib/assert_strict.js")),
];

/// scripts/lib/inspect.js's `format`, loaded the first time a console call needs it.
struct Formatter(JsFunction, boa_engine::JsSymbol);

#[derive(Clone)]
struct Inspector {
    format: JsFunction,
    inspect: JsFunction,
    table: JsFunction,
}

fn formatter(ctx: &mut Context) -> JsResult<(JsFunction, boa_engine::JsSymbol)> {
    if let Some(Formatter(f, s)) = ctx.get_data::<Formatter>() {
        return Ok((f.clone(), s.clone()));
    }
    let format = inspector(ctx)?.format;
    let sym = ctx
        .eval(Source::from_bytes("Symbol.for('nodejs.util.inspect.custom')"))?
        .as_symbol()
        .ok_or_else(|| JsNativeError::error().with_message("Symbol.for"))?;
    ctx.insert_data(Formatter(format.clone(), sym.clone()));
    Ok((format, sym))
}

/// `format`, `inspect` and `table` of scripts/lib/inspect.js, evaluated as a script the first time they
/// are needed (it imports nothing; as a script it can be loaded in the middle of any call, which loading a
/// module, with its jobs, cannot).
fn inspector(ctx: &mut Context) -> JsResult<Inspector> {
    if let Some(i) = ctx.get_data::<Inspector>() {
        return Ok(i.clone());
    }
    let lib = LIBS.iter().find(|(n, _)| *n == "inspect.js").map_or("", |(_, s)| *s);
    let src = lib.replace("export function ", "function ").replace("export default ", "void ");
    let src = format!("(() => {{\n{src}\nreturn {{ format, inspect, table }};\n}})()");
    let ns = ctx.eval(Source::from_bytes(&src).with_path(std::path::Path::new("/rumpjs/lib/inspect.js")))?;
    let get = |ctx: &mut Context, k: &str| -> JsResult<JsFunction> {
        ns.as_object()
            .and_then(|o| o.get(JsString::from(k), ctx).ok())
            .and_then(|v| v.as_function())
            .ok_or_else(|| JsNativeError::error().with_message(format!("inspect.js has no {k}")).into())
    };
    let i = Inspector { format: get(ctx, "format")?, inspect: get(ctx, "inspect")?, table: get(ctx, "table")? };
    ctx.insert_data(i.clone());
    Ok(i)
}

/// console.log's text for `args`, as Node's util.format: strings as they are, other values inspected.
pub fn format_args(args: &[JsValue], ctx: &mut Context) -> JsResult<String> {
    let all_plain = args.iter().all(|a| a.is_string())
        && !(args.len() > 1 && args[0].as_string().is_some_and(|s| s.to_std_string_escaped().contains('%')));
    if all_plain {
        let parts: Vec<String> = args.iter().filter_map(|a| a.as_string()).map(|s| s.to_std_string_escaped()).collect();
        return Ok(parts.join(" "));
    }
    let (f, custom) = formatter(ctx)?;
    // Node's util.inspect.custom, for the arguments themselves (Stats use it).
    let mut shown = Vec::with_capacity(args.len());
    for a in args {
        let mut v = a.clone();
        if let Some(o) = a.as_object() {
            if let Some(m) = o.get(custom.clone(), ctx)?.as_function() {
                v = m.call(a, &[], ctx)?;
            }
        }
        shown.push(v);
    }
    let v = f.call(&JsValue::undefined(), &shown, ctx)?;
    Ok(v.to_string(ctx)?.to_std_string_escaped())
}

/// console.group nesting.
struct GroupDepth(usize);

fn console_to(stream: Stream, a: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let text = format_args(a, ctx)?;
    let depth = ctx.get_data::<GroupDepth>().map_or(0, |d| d.0);
    if depth == 0 {
        output::line(stream, &text);
    } else {
        let pad = "  ".repeat(depth);
        let indented: String = text.split('\n').map(|l| format!("{pad}{l}\n")).collect();
        output::write(stream, indented.as_bytes());
    }
    Ok(JsValue::undefined())
}

fn console_group(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    if !a.is_empty() {
        console_to(Stream::Stdout, a, ctx)?;
    }
    let d = ctx.get_data::<GroupDepth>().map_or(0, |d| d.0);
    ctx.insert_data(GroupDepth(d + 1));
    Ok(JsValue::undefined())
}

fn console_group_end(_: &JsValue, _a: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let d = ctx.get_data::<GroupDepth>().map_or(0, |d| d.0);
    ctx.insert_data(GroupDepth(d.saturating_sub(1)));
    Ok(JsValue::undefined())
}

/// console.table (Node's drawing, from inspect.js); a non-object is logged as console.log would.
fn console_table(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let text = inspector(ctx)?.table.call(&JsValue::undefined(), a, ctx)?;
    if text.is_undefined() {
        return console_to(Stream::Stdout, a, ctx);
    }
    console_to(Stream::Stdout, &[text], ctx)
}

fn console_out(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    console_to(Stream::Stdout, a, ctx)
}

fn console_err(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    console_to(Stream::Stderr, a, ctx)
}

/// console.log/info/debug/dir/table (stdout) and warn/error (stderr) with Node's formatting.
pub fn console_overrides(ctx: &mut Context, console: &JsValue) -> JsResult<()> {
    let Some(c) = console.as_object() else { return Ok(()) };
    for (name, f) in [
        ("log", console_out as kernel_bindings::Fun),
        ("info", console_out),
        ("debug", console_out),
        ("dir", console_out),
        ("warn", console_err),
        ("error", console_err),
        ("group", console_group),
        ("groupCollapsed", console_group),
        ("groupEnd", console_group_end),
        ("table", console_table),
    ] {
        let func = FunctionObjectBuilder::new(ctx.realm(), NativeFunction::from_fn_ptr(f))
            .name(JsString::from(name))
            .length(0)
            .build();
        define(&c, name, func.into());
    }
    Ok(())
}

fn util_format(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    Ok(JsString::from(format_args(a, ctx)?.as_str()).into())
}

fn util_inspect(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    inspector(ctx)?.inspect.call(&JsValue::undefined(), a, ctx)
}

/// A value as the REPL shows it (util.inspect: strings quoted; util.inspect.custom honoured).
pub fn inspect_value(v: &JsValue, ctx: &mut Context) -> JsResult<String> {
    let (_, custom) = formatter(ctx)?;
    let inspect = inspector(ctx)?.inspect;
    let mut shown = v.clone();
    if let Some(o) = v.as_object() {
        if let Some(m) = o.get(custom, ctx)?.as_function() {
            shown = m.call(v, &[], ctx)?;
        }
    }
    Ok(inspect.call(&JsValue::undefined(), &[shown], ctx)?.to_string(ctx)?.to_std_string_escaped())
}

/// `util`: format and inspect (from scripts/lib/inspect.js).
pub fn util(ctx: &mut Context) -> JsResult<JsObject> {
    let o = ObjectInitializer::new(ctx)
        .function(NativeFunction::from_fn_ptr(util_format), js_string!("format"), 1)
        .function(NativeFunction::from_fn_ptr(util_inspect), js_string!("inspect"), 2)
        .build();
    Ok(o)
}

/// `[state, value]` of a promise, for the inspector (JavaScript cannot read a promise's state): installed
/// as `Promise[Symbol.for('rumpjs.promiseState')]` so it names no global.
fn promise_state(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    use boa_engine::builtins::promise::PromiseState;
    let Some(p) = a.first().and_then(|v| v.as_promise()) else { return Ok(JsValue::undefined()) };
    let (state, v) = match p.state() {
        PromiseState::Pending => ("pending", JsValue::undefined()),
        PromiseState::Fulfilled(v) => ("fulfilled", v),
        PromiseState::Rejected(v) => ("rejected", v),
    };
    Ok(JsArray::from_iter([JsString::from(state).into(), v], ctx).into())
}

/// Installs [`promise_state`].
pub fn install_promise_state(ctx: &mut Context) -> JsResult<()> {
    let f = FunctionObjectBuilder::new(ctx.realm(), NativeFunction::from_fn_ptr(promise_state))
        .name(js_string!("promiseState"))
        .length(1)
        .build();
    let define = ctx.eval(Source::from_bytes(
        "(f) => Object.defineProperty(Promise, Symbol.for('rumpjs.promiseState'), { value: f })",
    ))?;
    if let Some(d) = define.as_callable() {
        d.call(&JsValue::undefined(), &[f.into()], ctx)?;
    }
    Ok(())
}

// ---------------------------------------------------------------- process

/// What `process` needs from the session.
pub struct ProcessInfo {
    pub argv: Vec<String>,
    pub start: std::time::Instant,
}
kernel_bindings::ops! {
    pub static PROCESS;
    "exit", 1, exit, "exit(code = process.exitCode ?? 0)";
    "cwd", 0, cwd, "cwd() → the kernel's cwd";
    "chdir", 1, chdir, "chdir(path) in the kernel";
    "hrtime", 1, hrtime, "hrtime([prev]) → [s, ns]";
    "uptime", 0, uptime, "uptime() → seconds";
    "umask", 1, umask, "umask([mask]) → old mask";
    "nextTick", 1, next_tick, "nextTick(fn, ...args)";
    "memoryUsage", 0, memory_usage, "memoryUsage() → {rss}";
}

/// Builds `process`.
pub fn process(ctx: &mut Context, info: ProcessInfo) -> JsResult<JsObject> {
    let p = kernel_bindings::table(ctx, PROCESS);
    let argv: Vec<JsValue> = info.argv.iter().map(|a| JsString::from(a.as_str()).into()).collect();
    define(&p, "argv", JsArray::from_iter(argv, ctx).into());
    define(&p, "execArgv", JsArray::new(ctx)?.into());
    define(&p, "platform", js_string!("netbsd").into());
    define(&p, "arch", js_string!("rumpjs").into());
    define(&p, "title", js_string!("rumpjs").into());
    define(&p, "version", JsString::from(concat!("v", env!("CARGO_PKG_VERSION"))).into());
    let versions = kernel_bindings::convert::plain(
        ctx,
        vec![
            ("rumpjs", JsString::from(env!("CARGO_PKG_VERSION")).into()),
            ("boa", js_string!("0.22").into()),
            ("kernel", JsString::from(kernel::vfs::OSRELEASE).into()),
        ],
    );
    define(&p, "versions", versions);
    // The host's environment is host state: scripts see an empty one (as Deno without --allow-env).
    define(&p, "env", JsObject::with_object_proto(ctx.intrinsics()).into());
    define(&p, "exitCode", JsValue::undefined());
    let h = kernel_bindings::host(ctx)?;
    define(&p, "pid", JsValue::from(h.proc.pid()));
    let big = FunctionObjectBuilder::new(ctx.realm(), NativeFunction::from_fn_ptr(hrtime_bigint))
        .name(js_string!("bigint"))
        .length(0)
        .build();
    if let Some(hr) = p.get(js_string!("hrtime"), ctx)?.as_object() {
        define(&hr, "bigint", big.into());
    }
    let stdout = stream_object(ctx, write_stdout, true);
    let stderr = stream_object(ctx, write_stderr, std::io::IsTerminal::is_terminal(&std::io::stderr()));
    define(&p, "stdout", stdout.into());
    define(&p, "stderr", stderr.into());
    ctx.insert_data(info);
    Ok(p)
}

fn stream_object(ctx: &mut Context, f: kernel_bindings::Fun, tty: bool) -> JsObject {
    let o = ObjectInitializer::new(ctx).function(NativeFunction::from_fn_ptr(f), js_string!("write"), 1).build();
    let tty = tty && std::io::IsTerminal::is_terminal(&std::io::stdout());
    define(&o, "isTTY", tty.into());
    define(&o, "columns", JsValue::from(crate::host::output::columns() as u32));
    o
}

fn write_to(stream: Stream, a: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let v = arg(a, 0);
    if let Some(s) = v.as_string() {
        output::write(stream, &kernel_bindings::args::string_bytes(&s));
    } else {
        let view = BufView::from_value(ctx, &v, "chunk")?;
        let d = view.data(ctx)?;
        output::write(stream, &d);
    }
    Ok(true.into())
}

fn write_stdout(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    write_to(Stream::Stdout, a, ctx)
}

fn write_stderr(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    write_to(Stream::Stderr, a, ctx)
}

/// `process.exit(code)`: flushes output and ends the process, as Node does.
fn exit(this: &JsValue, a: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let mut v = arg(a, 0);
    if v.is_undefined() {
        if let Some(o) = this.as_object() {
            v = o.get(js_string!("exitCode"), ctx)?;
        }
    }
    let code = if v.is_null_or_undefined() { 0 } else { kernel_bindings::args::int(ctx, &v, "code", -255, 255)? };
    if let Ok(h) = kernel_bindings::host(ctx) {
        crate::host::session::shutdown(h.proc.kernel());
    }
    output::exit(code as i32)
}

fn cwd(_: &JsValue, _a: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let h = kernel_bindings::host(ctx)?;
    match h.proc.getcwd() {
        Ok(b) => Ok(kernel_bindings::convert::bytes_str(&b)),
        Err(e) => Err(kernel_bindings::error::errno_error(ctx, e, "uv_cwd", None, None)),
    }
}

fn chdir(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let h = kernel_bindings::host(ctx)?;
    let p = kernel_bindings::args::path(ctx, &arg(a, 0), "directory")?;
    h.proc.chdir(&p.bytes).map_err(|e| kernel_bindings::error::errno_error(ctx, e, "chdir", Some(&p.show()), None))?;
    Ok(JsValue::undefined())
}

fn elapsed(ctx: &Context) -> std::time::Duration {
    ctx.get_data::<ProcessInfo>().map(|i| i.start.elapsed()).unwrap_or_default()
}

fn hrtime(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let d = elapsed(ctx);
    let (mut s, mut ns) = (d.as_secs() as f64, d.subsec_nanos() as f64);
    let prev = arg(a, 0);
    if let Some(o) = prev.as_object().filter(|o| o.is_array()) {
        let ps = o.get(0, ctx)?.to_number(ctx)?;
        let pn = o.get(1, ctx)?.to_number(ctx)?;
        s -= ps;
        ns -= pn;
        if ns < 0.0 {
            s -= 1.0;
            ns += 1e9;
        }
    } else if !prev.is_undefined() {
        return Err(invalid_arg_type(ctx, "time", "an instance of Array", &prev));
    }
    Ok(JsArray::from_iter([JsValue::from(s), JsValue::from(ns)], ctx).into())
}

fn hrtime_bigint(_: &JsValue, _a: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let ns = elapsed(ctx).as_nanos() as i64;
    Ok(JsValue::from(boa_engine::JsBigInt::from(ns)))
}

fn uptime(_: &JsValue, _a: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    Ok(JsValue::from(elapsed(ctx).as_secs_f64()))
}

fn umask(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let h = kernel_bindings::host(ctx)?;
    let v = arg(a, 0);
    if v.is_undefined() {
        let old = h.proc.umask(0);
        h.proc.umask(old);
        return Ok(JsValue::from(old));
    }
    let m = kernel_bindings::args::mode(ctx, &v, "mask", 0)?;
    Ok(JsValue::from(h.proc.umask(m)))
}

fn next_tick(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let f = arg(a, 0);
    let Some(func) = f.as_function() else {
        return Err(invalid_arg_type(ctx, "callback", "of type function", &f));
    };
    let rest: Vec<JsValue> = a.iter().skip(1).cloned().collect();
    let job = boa_engine::job::PromiseJob::new(move |ctx| func.call(&JsValue::undefined(), &rest, ctx));
    ctx.enqueue_job(job.into());
    Ok(JsValue::undefined())
}

fn memory_usage(_: &JsValue, _a: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    // The process's own resident set (host state about this process, not host files).
    let rss = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1).and_then(|x| x.parse::<f64>().ok()))
        .map_or(0.0, |pages| pages * 4096.0);
    Ok(kernel_bindings::convert::plain(ctx, vec![("rss", JsValue::from(rss))]))
}

// ---------------------------------------------------------------- path

/// Builds `path` (JavaScript, embedded).
pub fn path(ctx: &mut Context) -> JsResult<JsObject> {
    let v = ctx.eval(Source::from_bytes(include_str!("path.js")))?;
    v.as_object().ok_or_else(|| JsNativeError::error().with_message("path.js").into())
}

// ---------------------------------------------------------------- crypto

enum Hasher {
    Sha256(sha2::Sha256),
    Sha512(sha2::Sha512),
    Sha1(sha1::Sha1),
    Md5(md5::Md5),
}

#[derive(Trace, Finalize, JsData)]
#[boa_gc(unsafe_empty_trace)]
struct HashState {
    #[unsafe_ignore_trace]
    h: Option<Box<Hasher>>,
}
kernel_bindings::ops! {
    pub static CRYPTO;
    "createHash", 1, create_hash, "createHash('sha256' | 'sha512' | 'sha1' | 'md5') → Hash";
    "getHashes", 0, get_hashes, "getHashes() → names";
    "randomBytes", 1, random_bytes, "randomBytes(n) → Uint8Array";
    "randomUUID", 0, random_uuid, "randomUUID() → string";
    "getRandomValues", 1, get_random_values, "getRandomValues(typedArray)";
}

struct HashProto(JsObject);

/// Builds `crypto`.
pub fn crypto(ctx: &mut Context) -> JsResult<JsObject> {
    let proto = ObjectInitializer::new(ctx)
        .function(NativeFunction::from_fn_ptr(hash_update), js_string!("update"), 2)
        .function(NativeFunction::from_fn_ptr(hash_digest), js_string!("digest"), 1)
        .build();
    ctx.insert_data(HashProto(proto));
    Ok(kernel_bindings::table(ctx, CRYPTO))
}

fn create_hash(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    use sha2::Digest;
    let alg = kernel_bindings::args::string(ctx, &arg(a, 0), "algorithm")?;
    let h = match alg.to_ascii_lowercase().as_str() {
        "sha256" | "sha-256" => Hasher::Sha256(sha2::Sha256::new()),
        "sha512" | "sha-512" => Hasher::Sha512(sha2::Sha512::new()),
        "sha1" | "sha-1" => Hasher::Sha1(sha1::Sha1::new()),
        "md5" => Hasher::Md5(md5::Md5::new()),
        _ => {
            let m = format!("Invalid digest: {alg} (supported: md5, sha1, sha256, sha512)");
            return Err(kernel_bindings::error::coded(ctx, JsNativeError::typ(), "ERR_CRYPTO_INVALID_DIGEST", m));
        }
    };
    let proto = ctx.get_data::<HashProto>().map(|p| p.0.clone());
    Ok(JsObject::from_proto_and_data(proto, HashState { h: Some(Box::new(h)) }).into())
}

fn get_hashes(_: &JsValue, _a: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let v: Vec<JsValue> = ["md5", "sha1", "sha256", "sha512"].iter().map(|s| JsString::from(*s).into()).collect();
    Ok(JsArray::from_iter(v, ctx).into())
}

fn hash_update(this: &JsValue, a: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    use sha2::Digest;
    let data = arg(a, 0);
    let owned;
    let view;
    let guard;
    let bytes: &[u8] = if let Some(s) = data.as_string() {
        owned = kernel_bindings::args::string_bytes(&s);
        &owned
    } else {
        view = BufView::from_value(ctx, &data, "data")?;
        guard = view.data(ctx)?;
        &guard
    };
    let obj = this.as_object().ok_or_else(|| JsNativeError::typ().with_message("update: not a Hash"))?;
    let mut st =
        obj.downcast_mut::<HashState>().ok_or_else(|| JsNativeError::typ().with_message("update: not a Hash"))?;
    match st.h.as_deref_mut() {
        Some(Hasher::Sha256(h)) => h.update(bytes),
        Some(Hasher::Sha512(h)) => h.update(bytes),
        Some(Hasher::Sha1(h)) => h.update(bytes),
        Some(Hasher::Md5(h)) => h.update(bytes),
        None => {
            drop(st);
            return Err(kernel_bindings::error::coded(
                ctx,
                JsNativeError::error(),
                "ERR_CRYPTO_HASH_FINALIZED",
                "Digest already called".into(),
            ));
        }
    }
    drop(st);
    Ok(this.clone())
}

fn hash_digest(this: &JsValue, a: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    use sha2::Digest;
    let obj = this.as_object().ok_or_else(|| JsNativeError::typ().with_message("digest: not a Hash"))?;
    let h = {
        let mut st =
            obj.downcast_mut::<HashState>().ok_or_else(|| JsNativeError::typ().with_message("digest: not a Hash"))?;
        st.h.take().map(|b| *b)
    };
    let out: Vec<u8> = match h {
        Some(Hasher::Sha256(h)) => h.finalize().to_vec(),
        Some(Hasher::Sha512(h)) => h.finalize().to_vec(),
        Some(Hasher::Sha1(h)) => h.finalize().to_vec(),
        Some(Hasher::Md5(h)) => h.finalize().to_vec(),
        None => {
            return Err(kernel_bindings::error::coded(
                ctx,
                JsNativeError::error(),
                "ERR_CRYPTO_HASH_FINALIZED",
                "Digest already called".into(),
            ))
        }
    };
    let enc = arg(a, 0);
    if enc.is_undefined() {
        let mut v = kernel_bindings::convert::alloc(ctx, out.len())?;
        v.copy_from_slice(&out);
        return kernel_bindings::convert::uint8array(ctx, v);
    }
    let e = kernel_bindings::args::string(ctx, &enc, "encoding")?;
    let s = match e.as_str() {
        "hex" => kernel_bindings::encodings::hex_encode(&out),
        "base64" => kernel_bindings::encodings::base64_encode(&out, false),
        "latin1" | "binary" => out.iter().map(|&b| b as char).collect(),
        _ => return Err(invalid_arg_type(ctx, "encoding", "'hex', 'base64' or 'latin1'", &enc)),
    };
    Ok(JsString::from(s.as_str()).into())
}

fn random_bytes(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let n = kernel_bindings::args::int(ctx, &arg(a, 0), "size", 0, 1 << 30)? as usize;
    let mut v = kernel_bindings::convert::alloc(ctx, n)?;
    kernel_bindings::host(ctx)?.proc.kernel().hyper().random(&mut v).js(ctx, "getrandom", None)?;
    kernel_bindings::convert::uint8array(ctx, v)
}

fn random_uuid(_: &JsValue, _a: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let mut b = [0u8; 16];
    kernel_bindings::host(ctx)?.proc.kernel().hyper().random(&mut b).js(ctx, "getrandom", None)?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = kernel_bindings::encodings::hex_encode(&b);
    let s = format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32]);
    Ok(JsString::from(s.as_str()).into())
}

fn get_random_values(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let v = arg(a, 0);
    let view = BufView::from_value(ctx, &v, "typedArray")?;
    if view.len() > 65536 {
        return Err(kernel_bindings::error::coded(
            ctx,
            JsNativeError::range(),
            "ERR_OUT_OF_RANGE",
            "getRandomValues: at most 65536 bytes".into(),
        ));
    }
    let h = kernel_bindings::host(ctx)?;
    let r = h.proc.kernel().hyper().random(&mut view.data_mut(ctx)?);
    r.js(ctx, "getrandom", None)?;
    Ok(v)
}

/// Registers a global with the usual attributes.
pub fn global(ctx: &mut Context, name: &str, v: impl Into<JsValue>) -> JsResult<()> {
    ctx.register_global_property(JsString::from(name), v.into(), Attribute::WRITABLE | Attribute::CONFIGURABLE)
}
