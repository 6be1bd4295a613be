//! The JavaScript face of the rumpjs kernel.
//!
//! Every kernel syscall is one entry of a table of native functions ([`sys::SYS`], as Deno's ops):
//! arguments are converted by [`args`], kernel errors become Node-shaped `Error` objects in [`error`],
//! results become JS values in [`convert`]. `rump.sys.<name>` is that table as it is; the `fs` module
//! ([`fs::FS`]) is Node's API written natively on the same `Proc` calls and the same conversion and error
//! helpers, and `fs.promises` is generated from the `fs` table. [`copy`] is the one tree copier (`fs.cpSync`
//! here, the runtime's copies between the host and the kernel). Nothing here knows about the CLI.

/// A binding table, one row per native function: `"jsName", length, rust_fn, "one-line signature";`.
/// The rows make the `rump.sys`/`fs`/`Buffer`/`process` objects, `rump.signatures()`, the docs' tables
/// and `.help`.
#[macro_export]
macro_rules! ops {
    ($(#[$meta:meta])* $vis:vis static $table:ident; $( $name:literal, $len:literal, $f:ident, $sig:literal; )*) => {
        $(#[$meta])*
        $vis static $table: &[$crate::Op] = &[ $( $crate::Op { name: $name, length: $len, f: $f, sig: $sig }, )* ];
    };
}

pub mod args;
mod buffer;
pub mod convert;
pub mod copy;
pub mod encodings;
pub mod error;
pub mod fs;
pub mod rump;
pub mod sys;

use boa_engine::object::FunctionObjectBuilder;
use boa_engine::property::{Attribute, PropertyDescriptor};
use boa_engine::{
    js_string, Context, JsError, JsNativeError, JsObject, JsResult, JsString, JsValue, NativeFunction, Source,
};
use kernel::vfs::Proc;
use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;

/// A native binding: `fn(this, args, ctx)`.
pub type Fun = fn(&JsValue, &[JsValue], &mut Context) -> JsResult<JsValue>;

/// One entry of a binding table.
#[derive(Clone, Copy)]
pub struct Op {
    /// The JS name (`open`, `readFileSync`).
    pub name: &'static str,
    /// The JS `length` (number of declared parameters).
    pub length: usize,
    pub f: Fun,
    /// One-line signature for docs and `.help`.
    pub sig: &'static str,
}

/// What the host (the runtime) lets scripts reach outside the kernel. The bindings ask it before
/// opening a host file (an image or an overlay file given to `rump.mount`).
pub trait HostPolicy {
    /// The host path of the image `path` names (to be opened for writing when `write`), or a message
    /// saying why it may not be.
    fn image(&self, path: &str, write: bool) -> Result<ImageGrant, String>;
    /// The host path of the file `path` names, to be opened for reading and writing (made if missing:
    /// an overlay file), or a message saying why it may not be.
    fn host_file(&self, path: &str) -> Result<PathBuf, String>;
}

/// An image a script may mount.
pub struct ImageGrant {
    pub path: PathBuf,
    /// Writes must stay in memory on a copy-on-write overlay: the session promised not to write it.
    pub overlay: bool,
}

/// A policy that denies every host path.
pub struct DenyAll;

impl HostPolicy for DenyAll {
    fn image(&self, path: &str, _write: bool) -> Result<ImageGrant, String> {
        Err(format!("host access to '{path}' denied"))
    }
    fn host_file(&self, path: &str) -> Result<PathBuf, String> {
        Err(format!("host access to '{path}' denied"))
    }
}

/// Everything the bindings reach from a native function: the process, the host policy, the prototypes.
pub struct KernelHost {
    pub proc: Arc<Proc>,
    pub policy: Rc<dyn HostPolicy>,
    pub protos: convert::Protos,
    /// Every binding table installed: (JS path of its object, ops), for `rump.signatures()` and tests.
    pub(crate) tables: RefCell<Vec<(String, &'static [Op])>>,
}

/// Records a binding table installed at `path` (e.g. `"process"`), so `rump.signatures()` lists it.
pub fn add_table(ctx: &Context, path: &str, ops: &'static [Op]) {
    if let Some(h) = ctx.get_data::<Rc<KernelHost>>() {
        h.tables.borrow_mut().push((path.to_string(), ops));
    }
}

/// The kernel host of a context with the bindings installed.
#[inline]
pub fn host(ctx: &Context) -> JsResult<Rc<KernelHost>> {
    ctx.get_data::<Rc<KernelHost>>()
        .cloned()
        .ok_or_else(|| JsNativeError::error().with_message("the kernel bindings are not installed").into())
}

/// The objects `install` made: each is a global and the default export of its module.
pub struct Bindings {
    pub rump: JsObject,
    pub fs: JsObject,
}

/// Installs `rump` and `fs` as globals of `ctx`, bound to `proc`.
pub fn install(ctx: &mut Context, proc: Arc<Proc>, policy: Rc<dyn HostPolicy>) -> JsResult<Bindings> {
    let prelude = ctx.eval(Source::from_bytes(include_str!("prelude.js")))?;
    let prelude = prelude.as_function().ok_or_else(|| JsNativeError::error().with_message("prelude"))?;
    let natives = table(ctx, buffer::BUFFER_NATIVES);
    let classes = prelude.call(&JsValue::undefined(), &[natives.into()], ctx)?;
    let classes = classes.as_object().ok_or_else(|| JsNativeError::error().with_message("prelude"))?;
    let proto = |ctx: &mut Context, name: &str| -> JsResult<JsObject> {
        let c = classes.get(JsString::from(name), ctx)?;
        let c = c.as_object().ok_or_else(|| JsNativeError::error().with_message("prelude class"))?;
        c.get(js_string!("prototype"), ctx)?
            .as_object()
            .ok_or_else(|| JsError::from(JsNativeError::error().with_message("prelude prototype")))
    };
    let ktype = classes.get(js_string!("kType"), ctx)?.as_symbol().ok_or_else(JsNativeError::error)?;
    let stats_proto = proto(ctx, "Stats")?;
    convert::stats_accessors(ctx, &stats_proto)?;
    let dirent_proto = proto(ctx, "Dirent")?;
    convert::dirent_accessors(ctx, &dirent_proto, &ktype)?;
    let protos = convert::Protos {
        stats: stats_proto,
        dirent: dirent_proto,
        statfs: proto(ctx, "StatFs")?,
        classes: classes.clone(),
    };
    ctx.insert_data(Rc::new(KernelHost { proc, policy, protos, tables: RefCell::new(Vec::new()) }));
    for (path, ops) in tables() {
        add_table(ctx, path, ops);
    }
    add_table(ctx, "fs.promises", fs::FS);
    add_table(ctx, "fs (callbacks)", fs::FS);

    let sys = table(ctx, sys::SYS);
    let rump = rump::build(ctx, sys)?;
    let fs = fs::build(ctx)?;
    let buffer = classes.get(js_string!("Buffer"), ctx)?;
    if let Some(b) = buffer.as_object() {
        let proto = b.get(js_string!("prototype"), ctx)?;
        if let Some(p) = proto.as_object() {
            ctx.insert_data(convert::BufferProto(p));
        }
    }
    ctx.register_global_property(js_string!("Buffer"), buffer, Attribute::WRITABLE | Attribute::CONFIGURABLE)?;
    ctx.register_global_property(js_string!("rump"), rump.clone(), Attribute::WRITABLE | Attribute::CONFIGURABLE)?;
    ctx.register_global_property(js_string!("fs"), fs.clone(), Attribute::WRITABLE | Attribute::CONFIGURABLE)?;
    Ok(Bindings { rump, fs })
}

/// A function object for `op`.
pub fn function(ctx: &mut Context, op: &Op) -> JsValue {
    FunctionObjectBuilder::new(ctx.realm(), NativeFunction::from_fn_ptr(op.f))
        .name(JsString::from(op.name))
        .length(op.length)
        .build()
        .into()
}

/// An object holding one function per entry of `ops`.
pub fn table(ctx: &mut Context, ops: &[Op]) -> JsObject {
    let o = JsObject::with_object_proto(ctx.intrinsics());
    for op in ops {
        let f = function(ctx, op);
        define(&o, op.name, f);
    }
    o
}

/// Defines a writable, enumerable, configurable data property.
pub fn define(o: &JsObject, name: &str, v: JsValue) {
    o.insert_property(
        JsString::from(name),
        PropertyDescriptor::builder().value(v).writable(true).enumerable(true).configurable(true),
    );
}

/// Every binding table: (JS path of the object, ops). Tests iterate over these so new bindings are
/// covered automatically.
pub fn tables() -> Vec<(&'static str, &'static [Op])> {
    vec![("rump.sys", sys::SYS), ("rump", rump::RUMP), ("fs", fs::FS)]
}
