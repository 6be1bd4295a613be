//! The runtime as a library, as the REPL, the test runner and the web server use it: a Session evaluates
//! lines and returns their values, keeps state between them, and reports errors without ending.

use boa_engine::{js_string, JsValue};
use rumpjs::{Failure, Session, SessionOptions};

fn session() -> Session {
    Session::new(&SessionOptions { deterministic: true, ..SessionOptions::default() }).expect("session")
}

#[test]
fn lines_return_values_and_keep_state() {
    let mut s = session();
    let v = s.eval_line("var n = 40; n + 2", "[repl]").unwrap();
    assert_eq!(v.as_number(), Some(42.0));
    let v = s.eval_line("fs.writeFileSync('/tmp/x', 'kept'); n", "[repl]").unwrap();
    assert_eq!(v.as_number(), Some(40.0));
    let v = s.eval_line("fs.readFileSync('/tmp/x', 'utf8')", "[repl]").unwrap();
    assert_eq!(s.inspect(&v), "'kept'");
    let v = s.eval_line("({ a: [1, 2], s: 'x' })", "[repl]").unwrap();
    assert_eq!(s.inspect(&v), "{ a: [ 1, 2 ], s: 'x' }");
}

#[test]
fn errors_are_reported_and_the_session_goes_on() {
    let mut s = session();
    let e = s.eval_line("fs.rmdirSync('/nonexistent')", "[repl]").unwrap_err();
    let text = s.format_error(&e);
    assert!(text.starts_with("Error: ENOENT: no such file or directory, rmdir '/nonexistent'"), "{text}");
    assert!(text.contains("errno: 2"), "{text}");
    let e = s.eval_line("let let", "[repl]").unwrap_err();
    assert!(s.format_error(&e).contains("SyntaxError"));
    assert_eq!(s.eval_line("1 + 1", "[repl]").unwrap().as_number(), Some(2.0));
}

#[test]
fn promises_settle_and_rejections_are_caught() {
    let mut s = session();
    let p = s.eval_line("fs.promises.readFile('/kern/ostype', 'utf8')", "[repl]").unwrap();
    let v = s.settle(&p).unwrap();
    assert_eq!(s.inspect(&v), "'NetBSD\\n'");
    s.eval_line("Promise.reject(new Error('lost'))", "[repl]").unwrap();
    match s.run_jobs() {
        Err(Failure::Unhandled(m)) => assert!(m.contains("Error: lost"), "{m}"),
        other => panic!("expected an unhandled rejection, got {other:?}"),
    }
    // The session is still usable after reporting it.
    assert_eq!(s.eval_line("2 * 3", "[repl]").unwrap().as_number(), Some(6.0));
}

#[test]
fn builtin_modules_can_be_added() {
    let mut s = session();
    let obj = boa_engine::object::ObjectInitializer::new(&mut s.ctx)
        .property(js_string!("answer"), 42, boa_engine::property::Attribute::all())
        .build();
    s.register_module(&["rumpjs:example"], JsValue::from(obj)).unwrap();
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("session-modules");
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("m.js");
    std::fs::write(&f, "import ex, { answer } from 'rumpjs:example';\nglobalThis.got = answer + ex.answer;\n").unwrap();
    s.run_module(&f).unwrap();
    assert_eq!(s.eval_line("got", "[repl]").unwrap().as_number(), Some(84.0));
}
