//! Kernel values to JS values: Stats, Dirent, StatFs, byte buffers and strings.

use crate::KernelHost;
use boa_engine::builtins::object::OrdinaryObject;
use boa_engine::object::builtins::{AlignedVec, JsArrayBuffer, JsUint8Array};
use boa_engine::property::PropertyDescriptor;
use boa_engine::{js_string, Context, JsNativeError, JsObject, JsResult, JsString, JsValue};
use kernel::vfs::{Stat, StatVfsFull, Timespec};

/// Objects the prelude made, kept for the bindings.
pub struct Protos {
    pub stats: JsObject,
    pub dirent: JsObject,
    pub statfs: JsObject,
    pub ktype: boa_engine::JsSymbol,
    pub classes: JsObject,
}

#[inline]
fn put(o: &JsObject, k: JsString, v: JsValue) {
    o.insert_property(k, PropertyDescriptor::builder().value(v).writable(true).enumerable(true).configurable(true));
}

fn ms(t: Timespec) -> JsValue {
    JsValue::from(t.as_millis_f64())
}

/// The kernel's `struct stat` behind a `Stats` object.
#[derive(boa_gc::Trace, boa_gc::Finalize, boa_engine::JsData)]
#[boa_gc(unsafe_empty_trace)]
pub struct StatData(pub Stat);

/// The fields of `Stats`, read by accessors on its prototype (Node's names plus NetBSD's `flags`, `gen`).
pub const STAT_FIELDS: &[&str] = &[
    "dev",
    "mode",
    "nlink",
    "uid",
    "gid",
    "rdev",
    "blksize",
    "ino",
    "size",
    "blocks",
    "atimeMs",
    "mtimeMs",
    "ctimeMs",
    "birthtimeMs",
    "flags",
    "gen",
];

fn stat_field(st: &Stat, i: usize) -> JsValue {
    match i {
        0 => JsValue::from(st.dev as f64),
        1 => JsValue::from(st.mode),
        2 => JsValue::from(st.nlink as f64),
        3 => JsValue::from(st.uid),
        4 => JsValue::from(st.gid),
        5 => JsValue::from(st.rdev as f64),
        6 => JsValue::from(st.blksize),
        7 => JsValue::from(st.ino as f64),
        8 => JsValue::from(st.size as f64),
        9 => JsValue::from(st.blocks as f64),
        10 => ms(st.atime),
        11 => ms(st.mtime),
        12 => ms(st.ctime),
        13 => ms(st.birthtime),
        14 => JsValue::from(st.flags),
        _ => JsValue::from(st.gen),
    }
}

/// Puts the field accessors on `Stats.prototype`: a getter reads the kernel's stat kept in the object
/// (creating a Stats costs one allocation, not sixteen property definitions); a setter makes the field
/// an own data property, as assigning to a Node Stats field does.
pub fn stats_accessors(ctx: &mut Context, proto: &JsObject) -> JsResult<()> {
    use boa_engine::object::FunctionObjectBuilder;
    use boa_engine::NativeFunction;
    for (i, name) in STAT_FIELDS.iter().enumerate() {
        let get = NativeFunction::from_copy_closure(move |this, _, _| {
            let v = this.as_object().and_then(|o| o.downcast_ref::<StatData>().map(|d| stat_field(&d.0, i)));
            Ok(v.unwrap_or_default())
        });
        let set = NativeFunction::from_copy_closure(move |this, a, ctx| {
            if let Some(o) = this.as_object() {
                let v = a.first().cloned().unwrap_or_default();
                o.define_property_or_throw(
                    JsString::from(STAT_FIELDS[i]),
                    PropertyDescriptor::builder().value(v).writable(true).enumerable(true).configurable(true),
                    ctx,
                )?;
            }
            Ok(JsValue::undefined())
        });
        let get = FunctionObjectBuilder::new(ctx.realm(), get).name(JsString::from(format!("get {name}"))).build();
        let set = FunctionObjectBuilder::new(ctx.realm(), set).name(JsString::from(format!("set {name}"))).build();
        proto.define_property_or_throw(
            JsString::from(*name),
            PropertyDescriptor::builder().get(get).set(set).enumerable(true).configurable(true),
            ctx,
        )?;
    }
    Ok(())
}

/// A `Stats` object.
pub fn stats(h: &KernelHost, st: &Stat) -> JsValue {
    JsObject::from_proto_and_data(h.protos.stats.clone(), StatData(st.clone())).into()
}

/// A `BigIntStats`, as Node's `statSync(path, { bigint: true })` gives: the same object as [`stats`]
/// (so `isFile()` and the rest work) with every number an own BigInt property, and the times also in
/// whole nanoseconds (`atimeNs`, `mtimeNs`, `ctimeNs`, `birthtimeNs`), which a double cannot hold.
pub fn bigint_stats(h: &KernelHost, st: &Stat) -> JsValue {
    use boa_engine::JsBigInt;
    let o = JsObject::from_proto_and_data(h.protos.stats.clone(), StatData(st.clone()));
    let big = |v: i128| JsValue::from(JsBigInt::from(v));
    let ns = |t: Timespec| t.sec as i128 * 1_000_000_000 + t.nsec as i128;
    let ints: [(&str, i128); 12] = [
        ("dev", st.dev as i128),
        ("mode", st.mode as i128),
        ("nlink", st.nlink as i128),
        ("uid", st.uid as i128),
        ("gid", st.gid as i128),
        ("rdev", st.rdev as i128),
        ("blksize", st.blksize as i128),
        ("ino", st.ino as i128),
        ("size", st.size as i128),
        ("blocks", st.blocks as i128),
        ("flags", st.flags as i128),
        ("gen", st.gen as i128),
    ];
    for (k, v) in ints {
        put(&o, JsString::from(k), big(v));
    }
    for (k, t) in [("atime", st.atime), ("mtime", st.mtime), ("ctime", st.ctime), ("birthtime", st.birthtime)] {
        put(&o, JsString::from(format!("{k}Ms")), big(ns(t).div_euclid(1_000_000)));
        put(&o, JsString::from(format!("{k}Ns")), big(ns(t)));
    }
    o.into()
}

/// A `Dirent` (name, parentPath; is*() from the d_type).
pub fn dirent(h: &KernelHost, name: JsValue, parent: JsValue, dtype: u8) -> JsValue {
    let o = JsObject::from_proto_and_data(h.protos.dirent.clone(), OrdinaryObject);
    put(&o, js_string!("name"), name);
    put(&o, js_string!("parentPath"), parent);
    o.insert_property(
        h.protos.ktype.clone(),
        PropertyDescriptor::builder().value(JsValue::from(dtype)).writable(true).enumerable(false).configurable(true),
    );
    o.into()
}

/// A `StatFs` (Node's fields, plus NetBSD's names for the rest of statvfs).
pub fn statfs(h: &KernelHost, s: &StatVfsFull) -> JsValue {
    let o = JsObject::from_proto_and_data(h.protos.statfs.clone(), OrdinaryObject);
    let f = &s.fs;
    put(&o, js_string!("type"), JsValue::from(0));
    put(&o, js_string!("bsize"), JsValue::from(f.bsize as f64));
    put(&o, js_string!("frsize"), JsValue::from(f.frsize as f64));
    put(&o, js_string!("iosize"), JsValue::from(f.iosize as f64));
    put(&o, js_string!("blocks"), JsValue::from(f.blocks as f64));
    put(&o, js_string!("bfree"), JsValue::from(f.bfree as f64));
    put(&o, js_string!("bavail"), JsValue::from(f.bavail as f64));
    put(&o, js_string!("files"), JsValue::from(f.files as f64));
    put(&o, js_string!("ffree"), JsValue::from(f.ffree as f64));
    put(&o, js_string!("favail"), JsValue::from(f.favail as f64));
    put(&o, js_string!("namemax"), JsValue::from(f.namemax as f64));
    put(&o, js_string!("flag"), JsValue::from(s.flag as f64));
    put(&o, js_string!("fsid"), JsValue::from(s.fsid as f64));
    put(&o, js_string!("fstypename"), JsString::from(s.fstypename.as_str()).into());
    put(&o, js_string!("mntonname"), JsString::from(s.mntonname.as_str()).into());
    put(&o, js_string!("mntfromname"), JsString::from(s.mntfromname.as_str()).into());
    o.into()
}

/// A plain object from (key, value) pairs.
pub fn plain(ctx: &mut Context, pairs: Vec<(&'static str, JsValue)>) -> JsValue {
    let o = JsObject::with_object_proto(ctx.intrinsics());
    for (k, v) in pairs {
        put(&o, JsString::from(k), v);
    }
    o.into()
}

/// Bytes the kernel produced, as a `Buffer` (a Uint8Array) without a copy.
pub fn uint8array(ctx: &mut Context, v: AlignedVec<u8>) -> JsResult<JsValue> {
    let buf = JsArrayBuffer::from_byte_block(v, ctx)?;
    let arr: JsObject = JsUint8Array::from_array_buffer(buf, ctx)?.into();
    if let Some(proto) = ctx.get_data::<BufferProto>().map(|p| p.0.clone()) {
        arr.set_prototype(Some(proto));
    }
    Ok(arr.into())
}

/// `Buffer.prototype`, given to the byte arrays the bindings return.
pub struct BufferProto(pub JsObject);

/// A zeroed 64-byte-aligned buffer of `n` bytes, or a RangeError when the host cannot give it.
pub fn alloc(ctx: &mut Context, n: usize) -> JsResult<AlignedVec<u8>> {
    let mut v = AlignedVec::<u8>::new(64);
    if v.try_reserve_exact(n).is_err() {
        return Err(crate::error::coded(
            ctx,
            JsNativeError::range(),
            "ERR_MEMORY_ALLOCATION_FAILED",
            format!("Array buffer allocation failed ({n} bytes)"),
        ));
    }
    // SAFETY: capacity for `n` bytes was reserved above; they are zeroed before the length covers them.
    unsafe {
        std::ptr::write_bytes(v.as_mut_ptr(), 0, n);
        v.set_len(n);
    }
    Ok(v)
}

/// Kernel bytes (names, link targets) as a JS string; invalid UTF-8 shows as U+FFFD, as Node does.
pub fn bytes_str(b: &[u8]) -> JsValue {
    match std::str::from_utf8(b) {
        Ok(s) => JsString::from(s).into(),
        Err(_) => JsString::from(String::from_utf8_lossy(b).as_ref()).into(),
    }
}
