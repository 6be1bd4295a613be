//! Argument conversion, in one place. Every binding reads its arguments through these helpers, so a wrong
//! type is always a `TypeError` (Node's `ERR_INVALID_ARG_TYPE`) and a number out of range a `RangeError`
//! (`ERR_OUT_OF_RANGE`), never a panic and never a silent coercion.

use crate::error::{invalid_arg_type, invalid_arg_value, out_of_range};
use boa_engine::object::builtins::{JsArrayBuffer, JsTypedArray};
use boa_engine::{Context, JsNativeError, JsObject, JsResult, JsString, JsValue};
use boa_gc::GcRefMut;

/// A path argument: the bytes the kernel sees and the text errors show.
pub struct PathArg {
    pub bytes: Vec<u8>,
}

impl PathArg {
    /// The path as errors show it.
    pub fn show(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

/// UTF-8 bytes of a JS string (zero work beyond a copy for ASCII).
pub fn string_bytes(s: &JsString) -> Vec<u8> {
    match s.as_str().variant() {
        boa_engine::string::JsStrVariant::Latin1(b) => {
            if b.is_ascii() {
                b.to_vec()
            } else {
                b.iter().map(|&c| c as char).collect::<String>().into_bytes()
            }
        }
        boa_engine::string::JsStrVariant::Utf16(u) => String::from_utf16_lossy(u).into_bytes(),
    }
}

/// A string or Uint8Array path (Node also takes `file:` URLs as strings).
pub fn path(ctx: &mut Context, v: &JsValue, name: &str) -> JsResult<PathArg> {
    let bytes = if let Some(s) = v.as_string() {
        let mut b = string_bytes(&s);
        if b.starts_with(b"file://") {
            b.drain(..7);
        }
        b
    } else if let Some(o) = v.as_object().filter(|o| o.is::<boa_engine::builtins::typed_array::TypedArray>()) {
        let view = BufView::from_object(ctx, &o, name)?;
        let data = view.data(ctx)?;
        data.to_vec()
    } else {
        return Err(invalid_arg_type(ctx, name, "of type string or an instance of Buffer or URL", v));
    };
    if bytes.contains(&0) {
        return Err(invalid_arg_value(ctx, name, "must be a string, Uint8Array, or URL without null bytes", v));
    }
    Ok(PathArg { bytes })
}

/// A string argument (names, encodings); not a path.
pub fn string(ctx: &mut Context, v: &JsValue, name: &str) -> JsResult<String> {
    match v.as_string() {
        Some(s) => Ok(String::from_utf8_lossy(&string_bytes(&s)).into_owned()),
        None => Err(invalid_arg_type(ctx, name, "of type string", v)),
    }
}

/// An optional string argument (undefined or null is `None`).
pub fn opt_string(ctx: &mut Context, v: &JsValue, name: &str) -> JsResult<Option<String>> {
    if v.is_null_or_undefined() {
        Ok(None)
    } else {
        string(ctx, v, name).map(Some)
    }
}

/// An integer number in `[min, max]`.
pub fn int(ctx: &mut Context, v: &JsValue, name: &str, min: i64, max: i64) -> JsResult<i64> {
    let Some(n) = v.as_number() else {
        return Err(invalid_arg_type(ctx, name, "of type number", v));
    };
    if n.fract() != 0.0 || !n.is_finite() {
        return Err(out_of_range(ctx, name, "an integer", v));
    }
    if n < min as f64 || n > max as f64 {
        return Err(out_of_range(ctx, name, &format!(">= {min} && <= {max}"), v));
    }
    Ok(n as i64)
}

/// An integer with a default when undefined.
pub fn int_or(ctx: &mut Context, v: &JsValue, name: &str, min: i64, max: i64, def: i64) -> JsResult<i64> {
    if v.is_undefined() {
        Ok(def)
    } else {
        int(ctx, v, name, min, max)
    }
}

/// Largest integer a JS number holds exactly.
pub const MAX_SAFE: i64 = (1 << 53) - 1;

/// A descriptor as C sees it: any int32 (negative values reach the kernel, which says EBADF; AT_FDCWD
/// is -100).
pub fn sys_fd(ctx: &mut Context, v: &JsValue, name: &str) -> JsResult<i32> {
    Ok(int(ctx, v, name, i32::MIN as i64, i32::MAX as i64)? as i32)
}

/// A descriptor as Node sees it: 0..=2^31-1.
pub fn fd(ctx: &mut Context, v: &JsValue) -> JsResult<i32> {
    Ok(int(ctx, v, "fd", 0, i32::MAX as i64)? as i32)
}

/// A mode: a number, or (as Node accepts) an octal string such as "755".
pub fn mode(ctx: &mut Context, v: &JsValue, name: &str, def: u32) -> JsResult<u32> {
    if v.is_undefined() {
        return Ok(def);
    }
    if let Some(s) = v.as_string() {
        let s = s.to_std_string_escaped();
        return match u32::from_str_radix(s.trim_start_matches("0o"), 8) {
            Ok(m) if m <= 0o7777 => Ok(m),
            _ => Err(invalid_arg_value(ctx, name, "must be a 32-bit unsigned integer or an octal string", v)),
        };
    }
    Ok(int(ctx, v, name, 0, u32::MAX as i64)? as u32)
}

/// An unsigned 32-bit number (flags, ids); `-1` is allowed where C uses it for "unchanged" (`allow_neg1`).
pub fn u32_arg(ctx: &mut Context, v: &JsValue, name: &str, allow_neg1: bool) -> JsResult<u32> {
    let min = if allow_neg1 { -1 } else { 0 };
    Ok(int(ctx, v, name, min, u32::MAX as i64)? as u32)
}

/// An options object: undefined/null give `None`; anything but an object is a TypeError.
pub fn options(ctx: &mut Context, v: &JsValue, name: &str) -> JsResult<Option<JsObject>> {
    if v.is_null_or_undefined() {
        return Ok(None);
    }
    match v.as_object() {
        Some(o) if !o.is_callable() => Ok(Some(o)),
        _ => Err(invalid_arg_type(ctx, name, "of type object", v)),
    }
}

/// Reads `key` of an optional options object (undefined when absent).
pub fn opt(ctx: &mut Context, o: &Option<JsObject>, key: &'static str) -> JsResult<JsValue> {
    match o {
        Some(o) => o.get(JsString::from(key), ctx),
        None => Ok(JsValue::undefined()),
    }
}

/// A boolean option (undefined → `def`; anything but a boolean is a TypeError).
pub fn opt_bool(ctx: &mut Context, o: &Option<JsObject>, key: &'static str, def: bool) -> JsResult<bool> {
    let v = opt(ctx, o, key)?;
    if v.is_undefined() {
        return Ok(def);
    }
    match v.as_boolean() {
        Some(b) => Ok(b),
        None => Err(invalid_arg_type(ctx, &format!("options.{key}"), "of type boolean", &v)),
    }
}

/// A view of bytes a JS typed array holds: the buffer and the byte range.
pub struct BufView {
    buf: JsArrayBuffer,
    off: usize,
    len: usize,
}

impl BufView {
    /// Any TypedArray (Uint8Array first of all) or DataView, as Node's ArrayBufferView arguments;
    /// SharedArrayBuffer-backed views are refused.
    pub fn from_value(ctx: &mut Context, v: &JsValue, name: &str) -> JsResult<BufView> {
        match v.as_object() {
            Some(o) if o.is::<boa_engine::builtins::typed_array::TypedArray>() => BufView::from_object(ctx, &o, name),
            Some(o) if o.is::<boa_engine::builtins::dataview::DataView>() => {
                let dv = boa_engine::object::builtins::JsDataView::from_object(o.clone())?;
                let bufv = dv.buffer(ctx)?;
                let (off, len) = (dv.byte_offset(ctx)? as usize, dv.byte_length(ctx)? as usize);
                BufView::over(ctx, bufv, off, len, name)
            }
            _ => Err(invalid_arg_type(ctx, name, "an instance of Uint8Array", v)),
        }
    }

    fn from_object(ctx: &mut Context, o: &JsObject, name: &str) -> JsResult<BufView> {
        let ta = JsTypedArray::from_object(o.clone())?;
        let bufv = ta.buffer(ctx)?;
        let (off, len) = (ta.byte_offset(ctx)?, ta.byte_length(ctx)?);
        BufView::over(ctx, bufv, off, len, name)
    }

    fn over(ctx: &mut Context, bufv: JsValue, off: usize, len: usize, name: &str) -> JsResult<BufView> {
        let buf = match bufv.as_object().map(JsArrayBuffer::from_object) {
            Some(Ok(b)) => b,
            _ => {
                return Err(invalid_arg_type(ctx, name, "an instance of Uint8Array over an ArrayBuffer", &bufv));
            }
        };
        if buf.data().is_none() {
            return Err(detached(ctx, name));
        }
        Ok(BufView { buf, off, len })
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The bytes, read-only. Do not call back into JS while holding them.
    pub fn data(&self, ctx: &mut Context) -> JsResult<boa_gc::GcRef<'_, [u8]>> {
        let (off, len) = (self.off, self.len);
        match self.buf.data() {
            Some(d) if off + len <= d.len() => Ok(boa_gc::GcRef::map(d, |d| &d[off..off + len])),
            Some(_) => Err(JsNativeError::typ().with_message("typed array is out of bounds").into()),
            None => Err(detached(ctx, "buffer")),
        }
    }

    /// The bytes, writable. Do not call back into JS while holding them.
    pub fn data_mut(&self, ctx: &mut Context) -> JsResult<GcRefMut<'_, [u8]>> {
        let (off, len) = (self.off, self.len);
        match self.buf.data_mut() {
            Some(d) if off + len <= d.len() => Ok(GcRefMut::map(d, |d| &mut d[off..off + len])),
            Some(_) => Err(JsNativeError::typ().with_message("typed array is out of bounds").into()),
            None => Err(detached(ctx, "buffer")),
        }
    }
}

fn detached(ctx: &mut Context, name: &str) -> boa_engine::JsError {
    crate::error::coded(
        ctx,
        JsNativeError::typ(),
        "ERR_INVALID_STATE",
        format!("Invalid state: the \"{name}\" ArrayBuffer is detached"),
    )
}

/// Returns `args[i]` or undefined.
#[inline]
pub fn arg(args: &[JsValue], i: usize) -> JsValue {
    args.get(i).cloned().unwrap_or_default()
}

/// `"name"` as a JsString key.
pub fn key(s: &'static str) -> JsString {
    JsString::from(s)
}
