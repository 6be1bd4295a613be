//! The native half of `Buffer` (the class itself is in prelude.js): conversions between strings and
//! bytes in Node's encodings.

use crate::args::{arg, int_or, BufView, MAX_SAFE};
use crate::convert::{alloc, uint8array};
use crate::encodings::{decode_str, encode, encoding};
use crate::error::invalid_arg_type;
use boa_engine::{Context, JsResult, JsValue};

type R = JsResult<JsValue>;

crate::ops! {
    /// The native half of `Buffer` (the class itself is in prelude.js).
    pub(crate) static BUFFER_NATIVES;
    "toString", 4, buffer_to_string, "toString(buf, encoding, start, end)";
    "fromString", 2, buffer_from_string, "fromString(string, encoding)";
    "byteLength", 2, buffer_byte_length, "byteLength(string, encoding)";
}

fn buffer_to_string(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let view = BufView::from_value(ctx, &arg(a, 0), "buffer")?;
    let enc = encoding(ctx, &arg(a, 1))?;
    let len = view.len() as i64;
    let start = int_or(ctx, &arg(a, 2), "start", 0, MAX_SAFE, 0)?.min(len) as usize;
    let end = int_or(ctx, &arg(a, 3), "end", 0, MAX_SAFE, len)?.min(len) as usize;
    let d = view.data(ctx)?;
    Ok(decode_str(&d[start.min(end)..end], enc))
}

fn buffer_from_string(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let sv = arg(a, 0);
    let Some(s) = sv.as_string() else { return Err(invalid_arg_type(ctx, "string", "of type string", &sv)) };
    let enc = encoding(ctx, &arg(a, 1))?;
    let bytes = encode(&s, enc);
    let mut v = alloc(ctx, bytes.len())?;
    v.copy_from_slice(&bytes);
    uint8array(ctx, v)
}

fn buffer_byte_length(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> R {
    let sv = arg(a, 0);
    let Some(s) = sv.as_string() else { return Err(invalid_arg_type(ctx, "string", "of type string", &sv)) };
    let enc = encoding(ctx, &arg(a, 1))?;
    Ok(JsValue::from(encode(&s, enc).len() as f64))
}
