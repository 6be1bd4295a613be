//! Node's string encodings of bytes (utf8, latin1, ascii, hex, base64, base64url, utf16le): the one
//! home of each, for `fs`, `Buffer` and the runtime's `crypto`.

use crate::args;
use crate::convert::{bytes_str, uint8array};
use crate::error::{coded, invalid_arg_type};
use boa_engine::object::builtins::AlignedVec;
use boa_engine::{Context, JsNativeError, JsResult, JsString, JsValue};

/// An encoding argument, parsed (`Buffer`: no encoding, bytes stay bytes).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Enc {
    Buffer,
    Utf8,
    Latin1,
    Ascii,
    Hex,
    Base64,
    Base64Url,
    Utf16le,
}

pub fn encoding(ctx: &mut Context, val: &JsValue) -> JsResult<Enc> {
    if val.is_null_or_undefined() {
        return Ok(Enc::Buffer);
    }
    let Some(s) = val.as_string() else {
        return Err(invalid_arg_type(ctx, "encoding", "of type string", val));
    };
    Ok(match s.to_std_string_escaped().to_ascii_lowercase().as_str() {
        "buffer" => Enc::Buffer,
        "utf8" | "utf-8" => Enc::Utf8,
        "latin1" | "binary" => Enc::Latin1,
        "ascii" => Enc::Ascii,
        "hex" => Enc::Hex,
        "base64" => Enc::Base64,
        "base64url" => Enc::Base64Url,
        "utf16le" | "utf-16le" | "ucs2" | "ucs-2" => Enc::Utf16le,
        _ => {
            return Err(coded(
                ctx,
                JsNativeError::typ(),
                "ERR_INVALID_ARG_VALUE",
                format!("The argument 'encoding' is invalid encoding. Received {}", crate::error::describe(val)),
            ))
        }
    })
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Base64 of `b` (RFC 4648): padded, or with `url` the URL-safe alphabet without padding (Node's
/// `base64url`).
pub fn base64_encode(b: &[u8], url: bool) -> String {
    let (table, pad) = if url { (B64URL, false) } else { (B64, true) };
    let mut s = String::with_capacity(b.len().div_ceil(3) * 4);
    for c in b.chunks(3) {
        let n = (c[0] as u32) << 16 | (*c.get(1).unwrap_or(&0) as u32) << 8 | *c.get(2).unwrap_or(&0) as u32;
        let k = c.len() + 1;
        for i in 0..4 {
            if i < k {
                s.push(table[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else if pad {
                s.push('=');
            }
        }
    }
    s
}

/// Bytes of base64 or base64url text, as Node decodes them: characters outside both alphabets are
/// skipped, `=` ends the data.
pub fn base64_decode(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            _ => continue,
        };
        acc = acc << 6 | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

/// Lowercase hex of `b`, two digits a byte (a table lookup, not a format call per byte).
pub fn hex_encode(b: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(b.len() * 2);
    for &x in b {
        s.push(DIGITS[(x >> 4) as usize] as char);
        s.push(DIGITS[(x & 15) as usize] as char);
    }
    s
}

/// Bytes of hex text, as Node decodes it: pairs of digits (either case) up to the first pair that is
/// not one; an odd last digit is dropped.
pub fn hex_decode(s: &str) -> Vec<u8> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    s.as_bytes().chunks_exact(2).map_while(|p| Some(nibble(p[0])? << 4 | nibble(p[1])?)).collect()
}

/// Bytes as a JS value in the given encoding.
pub fn decode(ctx: &mut Context, data: AlignedVec<u8>, enc: Enc) -> JsResult<JsValue> {
    match enc {
        Enc::Buffer => uint8array(ctx, data),
        _ => Ok(decode_str(&data, enc)),
    }
}

/// Bytes as a string in the given encoding (utf8 for `Buffer`).
pub fn decode_str(data: &[u8], enc: Enc) -> JsValue {
    let s = match enc {
        Enc::Buffer | Enc::Utf8 => return bytes_str(data),
        Enc::Latin1 => data.iter().map(|&b| b as char).collect::<String>(),
        Enc::Ascii => data.iter().map(|&b| (b & 0x7f) as char).collect::<String>(),
        Enc::Hex => hex_encode(data),
        Enc::Base64 => base64_encode(data, false),
        Enc::Base64Url => base64_encode(data, true),
        Enc::Utf16le => {
            let u: Vec<u16> = data.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
            return JsString::from(&u[..]).into();
        }
    };
    JsString::from(s.as_str()).into()
}

/// A string in the given encoding, as bytes.
pub fn encode(s: &JsString, enc: Enc) -> Vec<u8> {
    match enc {
        Enc::Buffer | Enc::Utf8 => args::string_bytes(s),
        Enc::Latin1 | Enc::Ascii => s.to_std_string_escaped().chars().map(|c| c as u32 as u8).collect(),
        Enc::Hex => hex_decode(&s.to_std_string_escaped()),
        Enc::Base64 | Enc::Base64Url => base64_decode(&s.to_std_string_escaped()),
        Enc::Utf16le => s.to_std_string_escaped().encode_utf16().flat_map(|u| u.to_le_bytes()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_and_base64_round_trip_as_node_has_them() {
        let all: Vec<u8> = (0..=255u8).collect();
        assert_eq!(hex_decode(&hex_encode(&all)), all);
        assert_eq!(hex_encode(b"\x00\xff\x10"), "00ff10");
        assert_eq!(hex_decode("0aFFzz12"), vec![0x0a, 0xff], "stops at the first pair that is not hex");
        assert_eq!(hex_decode("abc"), vec![0xab], "an odd last digit is dropped");
        assert_eq!(base64_encode(b"hello", false), "aGVsbG8=");
        assert_eq!(base64_encode(&[0xfb, 0xff], true), "-_8");
        assert_eq!(base64_decode("aGVs bG8="), b"hello");
        assert_eq!(base64_decode(&base64_encode(&all, true)), all);
    }
}
