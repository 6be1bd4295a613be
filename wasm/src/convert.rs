//! Kernel values to JS values: Stats fields, StatFs, names, plain objects, mount options, constants. The
//! constants and the Stats fields are the kernel's own tables (`vfs::named_constants`, `Stat::FIELDS`),
//! as kernel-bindings has them.

use crate::args::{self, JsResult};
use js_sys::{Object, Reflect};
use kernel::vfs::{Stat, StatField, StatVfsFull};
use wasm_bindgen::JsValue;

/// The fields of `Stats`, in the order `host_stats` receives them: the kernel's [`Stat::FIELDS`], as
/// kernel-bindings has them.
pub const STAT_FIELDS: &[&str] = Stat::FIELDS;

/// Field `i` of [`STAT_FIELDS`] as a JS number.
pub fn stat_value(st: &Stat, i: usize) -> f64 {
    match st.field(i) {
        StatField::Int(v) => v as f64,
        StatField::Time(t) => t.as_millis_f64(),
    }
}

/// A plain object from (key, value) pairs.
pub fn plain(pairs: &[(&str, JsValue)]) -> JsResult<JsValue> {
    let o = Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &JsValue::from_str(k), v)?;
    }
    Ok(o.into())
}

/// Kernel bytes (names, link targets) as a JS string; invalid UTF-8 shows as U+FFFD, as Node does.
pub fn bytes_str(b: &[u8]) -> JsValue {
    JsValue::from_str(&String::from_utf8_lossy(b))
}

/// A `StatFs` (Node's fields, plus NetBSD's names for the rest of statvfs).
pub fn statfs(s: &StatVfsFull) -> JsResult<JsValue> {
    let f = &s.fs;
    let n = |v: u64| JsValue::from_f64(v as f64);
    let o = plain(&[
        ("type", n(0)),
        ("bsize", n(f.bsize)),
        ("frsize", n(f.frsize)),
        ("iosize", n(f.iosize)),
        ("blocks", n(f.blocks)),
        ("bfree", n(f.bfree)),
        ("bavail", n(f.bavail)),
        ("files", n(f.files)),
        ("ffree", n(f.ffree)),
        ("favail", n(f.favail)),
        ("namemax", n(f.namemax)),
        ("flag", n(s.flag)),
        ("fsid", n(s.fsid)),
        ("fstypename", JsValue::from_str(&s.fstypename)),
        ("mntonname", JsValue::from_str(&s.mntonname)),
        ("mntfromname", JsValue::from_str(&s.mntfromname)),
    ])?;
    Ok(crate::host::statfs(o))
}

/// File-system options from an object's own enumerable properties (`{size: '16m', partition: 'a'}`);
/// `true` becomes an option without a value (`rdonly`), `false`/undefined are left out; `skip` names
/// options the caller reads itself.
pub fn mount_opts(v: &JsValue, name: &str, skip: &[&str]) -> JsResult<Vec<(String, String)>> {
    let Some(o) = args::options(v, name)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for k in Object::keys(&o) {
        let key = k.as_string().unwrap_or_default();
        if skip.contains(&key.as_str()) {
            continue;
        }
        let val = Reflect::get(&o, &k)?;
        if val.is_undefined() || val.as_bool() == Some(false) {
            continue;
        }
        let s = if val.as_bool() == Some(true) {
            String::new()
        } else if let Some(s) = val.as_string() {
            s
        } else if let Some(n) = val.as_f64() {
            crate::host::show_number(n)
        } else {
            return Err(args::invalid_arg_type(&format!("{name}.{key}"), "a string, number or boolean", &val));
        };
        out.push((key, s));
    }
    Ok(out)
}

/// O_*, S_IF*, AT_*, F_*, MNT_*, DT_*, SEEK_*, *_OK, UF_/SF_ flags, PATH_MAX and every errno name →
/// number: `k.constants`, as `rump.constants` (the kernel's table).
pub fn constants() -> Vec<(&'static str, f64)> {
    kernel::vfs::named_constants()
}
