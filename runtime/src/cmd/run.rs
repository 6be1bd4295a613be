//! `rumpjs run SCRIPT` and `rumpjs -e CODE` / `-p CODE`: one script in a fresh session.

use super::common::report;
use super::{with_big_stack, CommonOpts};
use crate::host::output::{self, Stream};
use crate::host::session::Session;
use std::path::PathBuf;

/// Ends a session at process exit: the kernel is shut down (file systems written and unmounted) and
/// the output flushed; the JavaScript heap is left for the OS to take back (dropping a large heap object
/// by object only delays the exit).
fn finish(s: Session) {
    crate::host::session::shutdown(&s.kernel);
    output::flush();
    std::mem::forget(s);
}

/// The exit code a finished script asked for with `process.exitCode`.
fn exit_code(s: &mut Session) -> i32 {
    let ctx = &mut s.ctx;
    let p = ctx.global_object().get(boa_engine::js_string!("process"), ctx).unwrap_or_default();
    let Some(p) = p.as_object() else { return 0 };
    let c = p.get(boa_engine::js_string!("exitCode"), ctx).unwrap_or_default();
    c.as_number().map_or(0, |n| n as i32)
}

/// `rumpjs run SCRIPT [ARGS…]`.
pub fn run(common: &CommonOpts, script: PathBuf, args: Vec<String>) -> i32 {
    let abs = std::fs::canonicalize(&script).unwrap_or_else(|_| script.clone());
    let mut argv = vec!["rumpjs".to_string(), abs.to_string_lossy().into_owned()];
    argv.extend(args);
    let opts = common.session_options(argv);
    in_session(common, opts, move |s| s.run_module(&script))
}

/// Boots a session of `opts` on a thread with a big stack, under the watchdog, runs `body` in it, and
/// ends it as Node ends: the exit code of the failure, or of process.exit/exitCode.
fn in_session(
    common: &CommonOpts,
    opts: crate::host::session::SessionOptions,
    body: impl FnOnce(&mut Session) -> Result<(), crate::host::session::Failure> + Send + 'static,
) -> i32 {
    crate::host::watchdog::start(common.timeout.unwrap_or(0.0));
    with_big_stack(move || {
        let mut s = match Session::new(&opts) {
            Ok(s) => s,
            Err(f) => return report(&f),
        };
        crate::host::watchdog::set_kernel(s.kernel.clone());
        let code = match body(&mut s) {
            Ok(()) => exit_code(&mut s),
            Err(f) => report(&f),
        };
        finish(s);
        code
    })
}

/// Whether `code` reads as an ES module (it imports or exports at top level).
fn looks_like_module(code: &str) -> bool {
    code.lines().any(|l| {
        let l = l.trim_start();
        (l.starts_with("import ") || l.starts_with("import{") || l.starts_with("export ")) && !l.starts_with("import(")
    }) || code.contains("await ")
}

/// `rumpjs -e CODE` / `-p CODE`.
pub fn eval(common: &CommonOpts, code: String, print: bool, args: Vec<String>) -> i32 {
    let mut argv = vec!["rumpjs".to_string()];
    argv.extend(args);
    let mut opts = common.session_options(argv);
    opts.imports_from_cwd = true;
    in_session(common, opts, move |s| {
        let name = PathBuf::from("[eval]");
        if looks_like_module(&code) && !print {
            s.run_module_source(&code, &name)
        } else {
            match s.eval_script(&code, "[eval]") {
                Ok(v) => {
                    // As Node's -p: console.log of the value (strings as they are, the rest inspected).
                    if print {
                        let shown = crate::host::globals::format_args(&[v], &mut s.ctx)
                            .map_err(|e| crate::host::session::Failure::Uncaught(s.format_error(&e)))?;
                        output::line(Stream::Stdout, &shown);
                    }
                    Ok(())
                }
                Err(f) => Err(f),
            }
        }
    })
}
