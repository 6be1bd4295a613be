//! Argument conversion for the wasm syscall table, as kernel-bindings/src/args.rs does it for Boa: a wrong
//! type is a `TypeError` with Node's `ERR_INVALID_ARG_TYPE`, a number out of range a `RangeError`
//! (`ERR_OUT_OF_RANGE`), never a panic and never a silent coercion. The errors themselves are made in
//! JavaScript (host.js), so they are the page's own `Error` objects.

use crate::host;
use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

pub type JsResult<T> = Result<T, JsValue>;

/// Largest integer a JS number holds exactly.
pub const MAX_SAFE: i64 = (1 << 53) - 1;

/// The arguments of one call.
pub struct Args<'a>(pub &'a [JsValue]);

/// A path argument: the bytes the kernel sees.
pub struct PathArg {
    pub bytes: Vec<u8>,
}

impl PathArg {
    /// The path as errors show it.
    pub fn show(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

impl Args<'_> {
    /// Argument `i`, or undefined.
    pub fn get(&self, i: usize) -> JsValue {
        self.0.get(i).cloned().unwrap_or(JsValue::UNDEFINED)
    }

    /// A string or Uint8Array path (a `file://` string loses its scheme, as Node's URLs do).
    pub fn path(&self, i: usize, name: &str) -> JsResult<PathArg> {
        let v = self.get(i);
        let bytes = if let Some(s) = v.as_string() {
            let mut b = s.into_bytes();
            if b.starts_with(b"file://") {
                b.drain(..7);
            }
            b
        } else if let Some(view) = view(&v) {
            view.to_vec()
        } else {
            return Err(invalid_arg_type(name, "of type string or an instance of Buffer or URL", &v));
        };
        if bytes.contains(&0) {
            return Err(invalid_arg_value(name, "must be a string, Uint8Array, or URL without null bytes", &v));
        }
        Ok(PathArg { bytes })
    }

    /// A string (names, values); not a path.
    pub fn string(&self, i: usize, name: &str) -> JsResult<String> {
        let v = self.get(i);
        v.as_string().ok_or_else(|| invalid_arg_type(name, "of type string", &v))
    }

    /// An optional string (undefined or null is `None`).
    pub fn opt_string(&self, i: usize, name: &str) -> JsResult<Option<String>> {
        let v = self.get(i);
        if v.is_undefined() || v.is_null() {
            return Ok(None);
        }
        self.string(i, name).map(Some)
    }

    /// An integer in `[min, max]`.
    pub fn int(&self, i: usize, name: &str, min: i64, max: i64) -> JsResult<i64> {
        int(&self.get(i), name, min, max)
    }

    /// An integer with a default when undefined.
    pub fn int_or(&self, i: usize, name: &str, min: i64, max: i64, def: i64) -> JsResult<i64> {
        let v = self.get(i);
        if v.is_undefined() {
            return Ok(def);
        }
        int(&v, name, min, max)
    }

    /// A descriptor as C sees it: any int32 (the kernel says EBADF; AT_FDCWD is -100).
    pub fn fd(&self, i: usize, name: &str) -> JsResult<i32> {
        Ok(self.int(i, name, i32::MIN as i64, i32::MAX as i64)? as i32)
    }

    /// An int32 flags word, 0 when undefined.
    pub fn flags(&self, i: usize) -> JsResult<i32> {
        Ok(self.int_or(i, "flags", i32::MIN as i64, i32::MAX as i64, 0)? as i32)
    }

    /// An unsigned 32-bit number; `-1` where C uses it for "unchanged" (`allow_neg1`).
    pub fn u32(&self, i: usize, name: &str, allow_neg1: bool) -> JsResult<u32> {
        let min = if allow_neg1 { -1 } else { 0 };
        Ok(self.int(i, name, min, u32::MAX as i64)? as u32)
    }

    /// A mode: a number, or (as Node accepts) an octal string such as "755"; `def` when undefined.
    pub fn mode(&self, i: usize, name: &str, def: u32) -> JsResult<u32> {
        let v = self.get(i);
        if v.is_undefined() {
            return Ok(def);
        }
        if let Some(s) = v.as_string() {
            return match u32::from_str_radix(s.trim_start_matches("0o"), 8) {
                Ok(m) if m <= 0o7777 => Ok(m),
                _ => Err(invalid_arg_value(name, "must be a 32-bit unsigned integer or an octal string", &v)),
            };
        }
        Ok(int(&v, name, 0, u32::MAX as i64)? as u32)
    }

    /// A TypedArray or DataView argument, as a Uint8Array over the same bytes.
    pub fn buffer(&self, i: usize, name: &str) -> JsResult<Uint8Array> {
        let v = self.get(i);
        view(&v).ok_or_else(|| invalid_arg_type(name, "an instance of Uint8Array", &v))
    }

    /// How many bytes to move: `nbytes` (argument `i`, at most the view's length) or the whole view.
    pub fn nbytes(&self, i: usize, view: &Uint8Array) -> JsResult<usize> {
        let len = view.length() as i64;
        Ok(self.int_or(i, "nbytes", 0, len, len)? as usize)
    }

    /// An options object (undefined/null is `None`; anything else but an object is a TypeError).
    pub fn options(&self, i: usize, name: &str) -> JsResult<Option<js_sys::Object>> {
        options(&self.get(i), name)
    }
}

/// An integer number in `[min, max]`.
pub fn int(v: &JsValue, name: &str, min: i64, max: i64) -> JsResult<i64> {
    let Some(n) = v.as_f64() else {
        return Err(invalid_arg_type(name, "of type number", v));
    };
    if n.fract() != 0.0 || !n.is_finite() {
        return Err(out_of_range(name, "an integer", v));
    }
    if n < min as f64 || n > max as f64 {
        return Err(out_of_range(name, &format!(">= {min} && <= {max}"), v));
    }
    Ok(n as i64)
}

/// An options object: undefined/null give `None`; anything but an object is a TypeError.
pub fn options(v: &JsValue, name: &str) -> JsResult<Option<js_sys::Object>> {
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    if v.is_object() && !v.is_function() {
        return Ok(Some(v.clone().unchecked_into()));
    }
    Err(invalid_arg_type(name, "of type object", v))
}

/// `o[key]`, undefined when `o` is `None` or the key is missing.
pub fn opt(o: &Option<js_sys::Object>, key: &str) -> JsResult<JsValue> {
    match o {
        Some(o) => Reflect::get(o, &JsValue::from_str(key)),
        None => Ok(JsValue::UNDEFINED),
    }
}

/// Any ArrayBufferView (TypedArray or DataView) as a Uint8Array over the same bytes.
fn view(v: &JsValue) -> Option<Uint8Array> {
    if !js_sys::ArrayBuffer::is_view(v) {
        return None;
    }
    if let Some(u) = v.dyn_ref::<Uint8Array>() {
        return Some(u.clone());
    }
    let get = |k: &str| Reflect::get(v, &JsValue::from_str(k)).ok();
    let buffer = get("buffer")?;
    let off = get("byteOffset")?.as_f64()? as u32;
    let len = get("byteLength")?.as_f64()? as u32;
    Some(Uint8Array::new_with_byte_offset_and_length(&buffer, off, len))
}

/// Node's `ERR_INVALID_ARG_TYPE`: `The "path" argument must be of type string. Received undefined`.
pub fn invalid_arg_type(name: &str, expected: &str, got: &JsValue) -> JsValue {
    let msg = format!("The \"{name}\" argument must be {expected}. Received {}", describe(got));
    host::coded_error("TypeError", "ERR_INVALID_ARG_TYPE", &msg)
}

/// Node's `ERR_INVALID_ARG_VALUE`.
pub fn invalid_arg_value(name: &str, why: &str, got: &JsValue) -> JsValue {
    let msg = format!("The argument '{name}' {why}. Received {}", describe(got));
    host::coded_error("TypeError", "ERR_INVALID_ARG_VALUE", &msg)
}

/// Node's `ERR_OUT_OF_RANGE`.
pub fn out_of_range(name: &str, range: &str, got: &JsValue) -> JsValue {
    let msg = format!("The value of \"{name}\" is out of range. It must be {range}. Received {}", describe(got));
    host::coded_error("RangeError", "ERR_OUT_OF_RANGE", &msg)
}

/// How Node shows a received value in argument errors (kernel-bindings/src/error.rs's `describe`).
pub fn describe(v: &JsValue) -> String {
    if v.is_undefined() {
        return "undefined".into();
    }
    if v.is_null() {
        return "null".into();
    }
    if let Some(b) = v.as_bool() {
        return format!("type boolean ({b})");
    }
    if let Some(n) = v.as_f64() {
        return format!("type number ({})", host::show_number(n));
    }
    if let Some(mut s) = v.as_string() {
        if s.chars().count() > 28 {
            s = s.chars().take(25).collect::<String>() + "...";
        }
        return format!("type string ('{s}')");
    }
    if v.is_symbol() {
        return "type symbol".into();
    }
    if v.is_bigint() {
        return "type bigint".into();
    }
    if v.is_function() {
        return "function".into();
    }
    if js_sys::Array::is_array(v) {
        return "an instance of Array".into();
    }
    if js_sys::ArrayBuffer::is_view(v) {
        return "an instance of TypedArray".into();
    }
    "an instance of Object".into()
}
