//! The wasm bindings mirror the CLI's (kernel-bindings) row for row: the same syscalls with the same
//! lengths and signatures, the same Stats fields in the same order, the same constants with the same
//! values. A syscall added to one table and not the other fails here.

use boa_engine::Context;

#[test]
fn syscall_tables_name_the_same_calls() {
    let boa: Vec<(&str, usize, &str)> = kernel_bindings::sys::SYS.iter().map(|o| (o.name, o.length, o.sig)).collect();
    let wasm: Vec<(&str, usize, &str)> = rumpjs_wasm::sys::SYS.iter().map(|o| (o.name, o.length, o.sig)).collect();
    assert_eq!(wasm, boa, "wasm/src/sys.rs and kernel-bindings/src/sys.rs must have the same rows");
    assert!(wasm.len() > 70, "{} syscalls", wasm.len());
}

#[test]
fn stats_fields_are_the_same() {
    assert_eq!(rumpjs_wasm::convert::STAT_FIELDS, kernel_bindings::convert::STAT_FIELDS);
}

#[test]
fn constants_are_the_same() {
    let mut ctx = Context::default();
    let o = kernel_bindings::rump::constants(&mut ctx);
    let mut boa = Vec::new();
    for k in o.own_property_keys(&mut ctx).unwrap() {
        let v = o.get(k.clone(), &mut ctx).unwrap().as_number().unwrap();
        boa.push((k.to_string(), v));
    }
    let wasm: Vec<(String, f64)> =
        rumpjs_wasm::convert::constants().into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    assert_eq!(wasm, boa);
    assert!(wasm.iter().any(|(k, v)| k == "ENOENT" && *v == 2.0), "NetBSD's errno values");
}
