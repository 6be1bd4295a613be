//! Kernel values to JS values: Stats, Dirent, StatFs, byte buffers and strings.

use crate::KernelHost;
use boa_engine::builtins::object::OrdinaryObject;
use boa_engine::object::builtins::{AlignedVec, JsArrayBuffer, JsUint8Array};
use boa_engine::object::FunctionObjectBuilder;
use boa_engine::property::PropertyDescriptor;
use boa_engine::property::PropertyKey;
use boa_engine::{js_string, Context, JsNativeError, JsObject, JsResult, JsString, JsSymbol, JsValue, NativeFunction};
use kernel::vfs::{Stat, StatField, StatVfsFull, Timespec};

/// Objects the prelude made, kept for the bindings.
pub struct Protos {
    pub stats: JsObject,
    pub dirent: JsObject,
    pub statfs: JsObject,
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

/// The fields of `Stats`, read by accessors on its prototype (the kernel's [`Stat::FIELDS`]).
pub const STAT_FIELDS: &[&str] = Stat::FIELDS;

fn stat_field(st: &Stat, i: usize) -> JsValue {
    match st.field(i) {
        StatField::Int(v) => JsValue::from(v as f64),
        StatField::Time(t) => ms(t),
    }
}

/// Puts the field accessors on `Stats.prototype`: a getter reads the kernel's stat kept in the object
/// (creating a Stats costs one allocation, not sixteen property definitions); a setter makes the field
/// an own data property, as assigning to a Node Stats field does.
pub fn stats_accessors(ctx: &mut Context, proto: &JsObject) -> JsResult<()> {
    data_fields(ctx, proto, STAT_FIELDS, |d: &StatData, i| stat_field(&d.0, i))
}

/// An accessor on `proto` for each of `fields`: the getter gives `read(data, i)` for field `i` of the
/// object's native data, the setter makes the field an own data property.
fn data_fields<T: boa_engine::NativeObject>(
    ctx: &mut Context,
    proto: &JsObject,
    fields: &'static [&'static str],
    read: fn(&T, usize) -> JsValue,
) -> JsResult<()> {
    for (i, name) in fields.iter().enumerate() {
        let get = data_getter(move |d: &T| read(d, i));
        field_accessor(ctx, proto, (JsString::from(*name).into(), name), get, Some(own_property_setter(fields, i)))?;
    }
    Ok(())
}

/// A getter of what `read` takes from the object's native data (undefined on any other object).
fn data_getter<T: boa_engine::NativeObject>(read: impl Fn(&T) -> JsValue + Copy + 'static) -> NativeFunction {
    NativeFunction::from_copy_closure(move |this, _, _| {
        Ok(this.as_object().and_then(|o| o.downcast_ref::<T>().map(|d| read(&d))).unwrap_or_default())
    })
}

/// A setter that makes field `fields[i]` an own data property of the object assigned to.
fn own_property_setter(fields: &'static [&'static str], i: usize) -> NativeFunction {
    NativeFunction::from_copy_closure(move |this, a, ctx| {
        if let Some(o) = this.as_object() {
            let v = a.first().cloned().unwrap_or_default();
            o.define_property_or_throw(
                JsString::from(fields[i]),
                PropertyDescriptor::builder().value(v).writable(true).enumerable(true).configurable(true),
                ctx,
            )?;
        }
        Ok(JsValue::undefined())
    })
}

/// Defines `key` on a prototype as an enumerable accessor (`label` names its functions).
fn field_accessor(
    ctx: &mut Context,
    proto: &JsObject,
    (key, label): (PropertyKey, &str),
    get: NativeFunction,
    set: Option<NativeFunction>,
) -> JsResult<()> {
    let named = |f: NativeFunction, what: &str, ctx: &mut Context| {
        FunctionObjectBuilder::new(ctx.realm(), f).name(JsString::from(format!("{what} {label}"))).build()
    };
    let mut d = PropertyDescriptor::builder().get(named(get, "get", ctx)).enumerable(true).configurable(true);
    if let Some(set) = set {
        d = d.set(named(set, "set", ctx));
    }
    proto.define_property_or_throw(key, d, ctx)?;
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
    // Node's order: the fields, then the nanosecond times.
    for (i, name) in STAT_FIELDS.iter().enumerate() {
        match st.field(i) {
            StatField::Int(v) => put(&o, JsString::from(*name), big(v)),
            StatField::Time(t) => put(&o, JsString::from(*name), big(ns(t).div_euclid(1_000_000))),
        }
    }
    for (i, name) in STAT_FIELDS.iter().enumerate() {
        if let StatField::Time(t) = st.field(i) {
            put(&o, JsString::from(name.replace("Ms", "Ns")), big(ns(t)));
        }
    }
    o.into()
}

/// What a `Dirent` holds: its name (a string, or a Buffer when asked for), the directory it is in, and
/// its d_type, read by accessors on `Dirent.prototype` (one allocation a Dirent).
#[derive(boa_gc::Trace, boa_gc::Finalize, boa_engine::JsData)]
pub struct DirentData {
    name: JsValue,
    parent: JsValue,
    #[unsafe_ignore_trace]
    dtype: u8,
}

/// The fields of `Dirent` (Node's `path` is a getter for `parentPath` in the prelude).
const DIRENT_FIELDS: &[&str] = &["name", "parentPath"];

/// Puts `name`, `parentPath` and the d_type (under the prelude's kType symbol, which its is*() methods
/// read) on `Dirent.prototype`, as [`stats_accessors`] does for Stats.
pub fn dirent_accessors(ctx: &mut Context, proto: &JsObject, ktype: &JsSymbol) -> JsResult<()> {
    data_fields(ctx, proto, DIRENT_FIELDS, |d: &DirentData, i| if i == 0 { d.name.clone() } else { d.parent.clone() })?;
    let get = data_getter(|d: &DirentData| JsValue::from(d.dtype));
    field_accessor(ctx, proto, (ktype.clone().into(), "[type]"), get, None)
}

/// A `Dirent` (name, parentPath; is*() from the d_type).
pub fn dirent(h: &KernelHost, name: JsValue, parent: JsValue, dtype: u8) -> JsValue {
    JsObject::from_proto_and_data(h.protos.dirent.clone(), DirentData { name, parent, dtype }).into()
}

/// A `StatFs` (Node's fields, plus NetBSD's names for the rest of statvfs).
pub fn statfs(h: &KernelHost, s: &StatVfsFull) -> JsValue {
    let o = JsObject::from_proto_and_data(h.protos.statfs.clone(), OrdinaryObject);
    let f = &s.fs;
    put(&o, js_string!("type"), JsValue::from(0));
    // Each statvfs count under its own name.
    macro_rules! counts {
        ($($field:ident),*) => {
            [$((stringify!($field), f.$field as f64)),*]
        };
    }
    for (k, v) in counts!(bsize, frsize, iosize, blocks, bfree, bavail, files, ffree, favail, namemax) {
        put(&o, JsString::from(k), JsValue::from(v));
    }
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

/// A JavaScript string.
pub fn jstr(s: &str) -> JsValue {
    JsString::from(s).into()
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

/// A zeroed 64-byte-aligned buffer of `n` bytes, or a RangeError when the host cannot give it. Zeroed by
/// the allocator (alloc_zeroed), which knows memory fresh from the OS is zero already: a large buffer the
/// kernel's read then fills is not written twice.
pub fn alloc(ctx: &mut Context, n: usize) -> JsResult<AlignedVec<u8>> {
    const ALIGN: usize = 64;
    let failed = |ctx: &mut Context| {
        crate::error::coded(
            ctx,
            JsNativeError::range(),
            "ERR_MEMORY_ALLOCATION_FAILED",
            format!("Array buffer allocation failed ({n} bytes)"),
        )
    };
    if n == 0 {
        return Ok(AlignedVec::<u8>::new(ALIGN));
    }
    collect_after_large_buffers(n);
    let Ok(layout) = std::alloc::Layout::from_size_align(n, ALIGN) else { return Err(failed(ctx)) };
    // SAFETY: the layout's size is not zero.
    let p = unsafe { std::alloc::alloc_zeroed(layout) };
    if p.is_null() {
        return Err(failed(ctx));
    }
    // SAFETY: `p` holds `n` initialised (zero) bytes from the global allocator with the layout an
    // AlignedVec of capacity `n` and alignment ALIGN frees its buffer with (size capacity × 1, that
    // alignment): the parts into_raw_parts gives for such a vector.
    Ok(unsafe { AlignedVec::from_raw_parts(p, ALIGN, n, n) })
}

/// Bytes of buffers made between two of the collections collect_after_large_buffers runs.
const BUFFER_BYTES_PER_COLLECTION: usize = 256 << 20;

thread_local! {
    static BUFFER_BYTES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Runs the garbage collector once every BUFFER_BYTES_PER_COLLECTION bytes of buffers. Boa's collector
/// counts only its own heap, where a buffer is a few bytes whatever its size, so a script reading large
/// files one after another (`for (f of files) fs.readFileSync(f)`) would otherwise keep every one it has
/// dropped (the process grows by the sum of the files) and each new buffer would be memory fresh from the
/// host; collected, the dropped buffers' memory is reused.
fn collect_after_large_buffers(n: usize) {
    let due = BUFFER_BYTES.with(|b| {
        let total = b.get().saturating_add(n);
        b.set(if total >= BUFFER_BYTES_PER_COLLECTION { 0 } else { total });
        total >= BUFFER_BYTES_PER_COLLECTION
    });
    if due {
        boa_gc::force_collect();
    }
}

/// Kernel bytes (names, link targets) as a JS string; invalid UTF-8 shows as U+FFFD, as Node does.
pub fn bytes_str(b: &[u8]) -> JsValue {
    match std::str::from_utf8(b) {
        Ok(s) => JsString::from(s).into(),
        Err(_) => JsString::from(String::from_utf8_lossy(b).as_ref()).into(),
    }
}
