//! Error creation, in one place: kernel errnos become Node-shaped `Error` objects (message
//! `ENOENT: no such file or directory, open '/x'`, `code`, `errno`, `syscall`, `path`, `dest`), wrong
//! arguments become `TypeError`/`RangeError` with Node's `ERR_*` codes.

use boa_engine::{js_string, Context, JsError, JsNativeError, JsObject, JsResult, JsString, JsValue};
use kernel::Errno;

/// A kernel error from syscall `syscall` on `path` (and `dest`, for two-path calls).
pub fn errno_error(ctx: &mut Context, e: Errno, syscall: &str, path: Option<&str>, dest: Option<&str>) -> JsError {
    let mut msg = format!("{}: {}, {}", e.name(), e.message(), syscall);
    if let Some(p) = path {
        msg.push_str(&format!(" '{p}'"));
        if let Some(d) = dest {
            msg.push_str(&format!(" -> '{d}'"));
        }
    }
    let obj = JsNativeError::error().with_message(msg).into_opaque(ctx);
    set(&obj, js_string!("errno"), JsValue::from(e.0), ctx);
    set(&obj, js_string!("code"), JsString::from(e.name()).into(), ctx);
    set(&obj, js_string!("syscall"), JsString::from(syscall).into(), ctx);
    if let Some(p) = path {
        set(&obj, js_string!("path"), JsString::from(p).into(), ctx);
    }
    if let Some(d) = dest {
        set(&obj, js_string!("dest"), JsString::from(d).into(), ctx);
    }
    JsError::from_opaque(obj.into())
}

fn set(obj: &JsObject, key: JsString, v: JsValue, ctx: &mut Context) {
    let _ = obj.create_data_property_or_throw(key, v, ctx);
}

/// An error of kind `native` with a Node `code` property (`ERR_INVALID_ARG_TYPE`, ...).
pub fn coded(ctx: &mut Context, native: JsNativeError, code: &str, msg: String) -> JsError {
    let obj = native.with_message(msg).into_opaque(ctx);
    set(&obj, js_string!("code"), JsString::from(code).into(), ctx);
    JsError::from_opaque(obj.into())
}

/// Node's `ERR_INVALID_ARG_TYPE`: `The "path" argument must be of type string. Received undefined`.
pub fn invalid_arg_type(ctx: &mut Context, name: &str, expected: &str, got: &JsValue) -> JsError {
    let msg = format!("The \"{name}\" argument must be {expected}. Received {}", describe(got));
    coded(ctx, JsNativeError::typ(), "ERR_INVALID_ARG_TYPE", msg)
}

/// Node's `ERR_INVALID_ARG_VALUE`.
pub fn invalid_arg_value(ctx: &mut Context, name: &str, why: &str, got: &JsValue) -> JsError {
    let msg = format!("The argument '{name}' {why}. Received {}", describe(got));
    coded(ctx, JsNativeError::typ(), "ERR_INVALID_ARG_VALUE", msg)
}

/// Node's `ERR_OUT_OF_RANGE`.
pub fn out_of_range(ctx: &mut Context, name: &str, range: &str, got: &JsValue) -> JsError {
    let msg = format!("The value of \"{name}\" is out of range. It must be {range}. Received {}", describe(got));
    coded(ctx, JsNativeError::range(), "ERR_OUT_OF_RANGE", msg)
}

/// How Node shows a received value in argument errors.
pub fn describe(v: &JsValue) -> String {
    if v.is_undefined() {
        return "undefined".into();
    }
    if v.is_null() {
        return "null".into();
    }
    if let Some(b) = v.as_boolean() {
        return format!("type boolean ({b})");
    }
    if let Some(n) = v.as_number() {
        return format!("type number ({})", JsValue::from(n).display());
    }
    if let Some(s) = v.as_string() {
        let mut s = s.to_std_string_escaped();
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
    if v.is_callable() {
        return "function".into();
    }
    if let Some(o) = v.as_object() {
        if o.is_array() {
            return "an instance of Array".into();
        }
        if o.is::<boa_engine::builtins::typed_array::TypedArray>() {
            return "an instance of TypedArray".into();
        }
        return "an instance of Object".into();
    }
    v.type_of().to_string()
}

/// Converts a kernel result, attaching the syscall name and path on error.
pub trait KResultExt<T> {
    fn js(self, ctx: &mut Context, syscall: &str, path: Option<&str>) -> JsResult<T>;
    fn js2(self, ctx: &mut Context, syscall: &str, path: &str, dest: &str) -> JsResult<T>;
}

impl<T> KResultExt<T> for Result<T, Errno> {
    #[inline]
    fn js(self, ctx: &mut Context, syscall: &str, path: Option<&str>) -> JsResult<T> {
        self.map_err(|e| errno_error(ctx, e, syscall, path, None))
    }

    #[inline]
    fn js2(self, ctx: &mut Context, syscall: &str, path: &str, dest: &str) -> JsResult<T> {
        self.map_err(|e| errno_error(ctx, e, syscall, Some(path), Some(dest)))
    }
}

use crate::args::PathArg;

/// Converts a kernel result whose error names a path argument (shown only when there is an error).
pub trait PathResultExt<T> {
    fn jp(self, ctx: &mut Context, syscall: &str, path: &PathArg) -> JsResult<T>;
    fn jp2(self, ctx: &mut Context, syscall: &str, path: &PathArg, dest: &PathArg) -> JsResult<T>;
}

impl<T> PathResultExt<T> for Result<T, Errno> {
    #[inline]
    fn jp(self, ctx: &mut Context, syscall: &str, path: &PathArg) -> JsResult<T> {
        self.map_err(|e| errno_error(ctx, e, syscall, Some(&path.show()), None))
    }

    #[inline]
    fn jp2(self, ctx: &mut Context, syscall: &str, path: &PathArg, dest: &PathArg) -> JsResult<T> {
        self.map_err(|e| errno_error(ctx, e, syscall, Some(&path.show()), Some(&dest.show())))
    }
}
