// Evaluated once per session after the globals: what boa_runtime's web globals lack or throw wrongly.
// - A wrong `this` for TextEncoder/TextDecoder methods throws a bare value there; here a TypeError.
// - TextEncoder.prototype.encodeInto, as the Encoding standard has it.
// - structuredClone and atob fail as Node's DOMExceptions do: name DataCloneError (code 25) or
//   InvalidCharacterError (code 5), not a plain Error.
// - TextDecoder's { fatal: true } and setTimeout/setInterval's check of their callback, as Node has them.
// - Strings longer than Node's limit (2^29 - 24) from repeat, padStart, padEnd and join are a RangeError
//   "Invalid string length", as in Node, before Boa allocates: its repeat asks 24 bytes a repetition at
//   once, so 'a'.repeat(2 ** 30) would otherwise meet the --max-memory stop instead of a catchable error.
(() => {
  const MAX_STRING = 2 ** 29 - 24;
  const tooLong = () => new RangeError('Invalid string length');
  const limit = (proto, name, resultLength) => {
    const f = proto[name];
    const wrapped = {
      [name](...args) {
        if (this !== null && this !== undefined && resultLength(this, args) > MAX_STRING) throw tooLong();
        return Reflect.apply(f, this, args);
      },
    }[name];
    Object.defineProperty(wrapped, 'length', { value: f.length });
    Object.defineProperty(proto, name, { value: wrapped, writable: true, configurable: true, enumerable: false });
  };
  const len = (s) => (typeof s === 'string' ? s.length : 0);
  limit(String.prototype, 'repeat', (s, [n]) => len(String(s)) * (Number(n) || 0));
  limit(String.prototype, 'padStart', (s, [n]) => Number(n) || 0);
  limit(String.prototype, 'padEnd', (s, [n]) => Number(n) || 0);
  // At least (length - 1) separators: a lower bound that needs no look at the elements.
  limit(Array.prototype, 'join', (a, [sep]) => {
    const n = Number(a.length) || 0;
    return n > 1 ? (n - 1) * (sep === undefined ? 1 : len(String(sep))) : 0;
  });
  const asError = (e) => (e instanceof Error ? e : new TypeError(String(e)));
  // Replaces obj[key] (a function) with one that throws what `convert` makes of each error it throws.
  const rethrowing = (obj, key, convert) => {
    const f = obj[key];
    if (typeof f !== 'function') return;
    const wrapped = {
      [key](...args) {
        try {
          return f.apply(this, args);
        } catch (e) {
          throw convert(e);
        }
      },
    }[key];
    Object.defineProperty(obj, key, { value: wrapped, writable: true, configurable: true, enumerable: false });
  };
  const guard = (C, name) => rethrowing(C.prototype, name, asError);
  if (typeof TextEncoder === 'function') {
    guard(TextEncoder, 'encode');
    if (typeof TextEncoder.prototype.encodeInto !== 'function') {
      Object.defineProperty(TextEncoder.prototype, 'encodeInto', {
        value: function encodeInto(source, destination) {
          if (!(destination instanceof Uint8Array)) throw new TypeError('The "destination" argument must be an instance of Uint8Array');
          const s = String(source);
          let read = 0;
          let written = 0;
          for (const ch of s) {
            const cp = ch.codePointAt(0);
            // A lone surrogate is encoded as U+FFFD (3 bytes), as encode() does.
            const n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
            if (written + n > destination.length) break;
            const c = cp >= 0xd800 && cp <= 0xdfff ? 0xfffd : cp;
            if (n === 1) destination[written] = c;
            else if (n === 2) {
              destination[written] = 0xc0 | (c >> 6);
              destination[written + 1] = 0x80 | (c & 63);
            } else if (n === 3) {
              destination[written] = 0xe0 | (c >> 12);
              destination[written + 1] = 0x80 | ((c >> 6) & 63);
              destination[written + 2] = 0x80 | (c & 63);
            } else {
              destination[written] = 0xf0 | (c >> 18);
              destination[written + 1] = 0x80 | ((c >> 12) & 63);
              destination[written + 2] = 0x80 | ((c >> 6) & 63);
              destination[written + 3] = 0x80 | (c & 63);
            }
            written += n;
            read += ch.length;
          }
          return { read, written };
        },
        writable: true,
        configurable: true,
      });
    }
  }
  if (typeof TextDecoder === 'function') {
    guard(TextDecoder, 'decode');
    // { fatal: true }: invalid UTF-8 is Node's TypeError instead of U+FFFD. Checked only when a U+FFFD
    // came out: valid input then encodes back to the same bytes (after a BOM the decoder dropped).
    const Base = TextDecoder;
    const encoder = new TextEncoder();
    const fatalOf = new WeakMap();
    class TextDecoderFatal extends Base {
      constructor(label = 'utf-8', options = undefined) {
        super(label, options);
        fatalOf.set(this, Boolean(options && options.fatal));
      }
      get fatal() {
        return fatalOf.get(this) ?? false;
      }
      decode(input, options) {
        const s = super.decode(input, options);
        if (!fatalOf.get(this) || this.encoding !== 'utf-8' || !s.includes('\ufffd')) return s;
        let b = ArrayBuffer.isView(input)
          ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength)
          : new Uint8Array(input);
        if (!this.ignoreBOM && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) b = b.subarray(3);
        const back = encoder.encode(s);
        if (back.length === b.length && back.every((x, i) => x === b[i])) return s;
        const e = new TypeError('The encoded data was not valid for encoding utf-8');
        e.code = 'ERR_ENCODING_INVALID_ENCODED_DATA';
        throw e;
      }
    }
    Object.defineProperty(TextDecoderFatal, 'name', { value: 'TextDecoder' });
    Object.defineProperty(globalThis, 'TextDecoder', { value: TextDecoderFatal, writable: true, configurable: true, enumerable: false });
  }
  // A timer without a function is Node's ERR_INVALID_ARG_TYPE, not a timer that does nothing.
  for (const key of ['setTimeout', 'setInterval']) {
    const f = globalThis[key];
    if (typeof f !== 'function') continue;
    const wrapped = {
      [key](callback, ...rest) {
        if (typeof callback !== 'function') {
          const got = callback === undefined || callback === null ? String(callback)
            : typeof callback === 'string' ? `type string ('${callback}')` : `type ${typeof callback} (${String(callback)})`;
          const e = new TypeError(`The "callback" argument must be of type function. Received ${got}`);
          e.code = 'ERR_INVALID_ARG_TYPE';
          throw e;
        }
        return f.call(this, callback, ...rest);
      },
    }[key];
    Object.defineProperty(globalThis, key, { value: wrapped, writable: true, configurable: true, enumerable: false });
  }
  const domException = (name, code) => (e) => {
    const d = new Error(e instanceof Error ? String(e.message).replace(/^DataCloneError: /, '') : String(e));
    d.name = name;
    d.code = code;
    return d;
  };
  const rethrowAs = (key, make) =>
    rethrowing(globalThis, key, (e) => (e instanceof TypeError || e instanceof RangeError ? e : make(e)));
  rethrowAs('structuredClone', domException('DataCloneError', 25));
  rethrowAs('atob', domException('InvalidCharacterError', 5));
})();
