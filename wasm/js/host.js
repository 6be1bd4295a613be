// The hypervisor's JavaScript side: what the kernel module imports (wasm/src/host.rs names each import and
// why). Clock, randomness, console lines, the table of block devices the page handed in, and the error and
// Stats objects the syscalls return. Runs unchanged in a browser (page or Worker) and in Node 20.
import makeClasses from './classes.js';

// Buffer's encodings for the shared classes (kernel-bindings/src/prelude.js, copied in as classes.js).
const utf8 = new TextEncoder();
const encodings = {
  fromString(s, enc) {
    const e = String(enc).toLowerCase();
    let bytes;
    if (e === 'utf8' || e === 'utf-8') bytes = utf8.encode(s);
    else if (e === 'latin1' || e === 'binary' || e === 'ascii') bytes = Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
    else if (e === 'hex') bytes = Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));
    else if (e === 'base64' || e === 'base64url') {
      const b = atob(s.replace(/-/g, '+').replace(/_/g, '/').replace(/[^A-Za-z0-9+/]/g, ''));
      bytes = Uint8Array.from(b, (c) => c.charCodeAt(0));
    } else if (e === 'utf16le' || e === 'ucs2' || e === 'ucs-2' || e === 'utf-16le') {
      bytes = new Uint8Array(s.length * 2);
      for (let i = 0; i < s.length; i++) { const c = s.charCodeAt(i); bytes[2 * i] = c & 0xff; bytes[2 * i + 1] = c >> 8; }
    } else throw Object.assign(new TypeError(`Unknown encoding: ${enc}`), { code: 'ERR_UNKNOWN_ENCODING' });
    return new classes.Buffer(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  },
  toString(b, enc, start = 0, end = b.length) {
    const v = b.subarray(start, end);
    const e = String(enc).toLowerCase();
    if (e === 'utf8' || e === 'utf-8') return new TextDecoder().decode(v);
    if (e === 'latin1' || e === 'binary') return Array.from(v, (c) => String.fromCharCode(c)).join('');
    if (e === 'ascii') return Array.from(v, (c) => String.fromCharCode(c & 0x7f)).join('');
    if (e === 'hex') return Array.from(v, (c) => c.toString(16).padStart(2, '0')).join('');
    if (e === 'base64' || e === 'base64url') {
      let s = '';
      for (let i = 0; i < v.length; i += 0x8000) s += String.fromCharCode(...v.subarray(i, i + 0x8000));
      const b64 = btoa(s);
      return e === 'base64' ? b64 : b64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    }
    if (e === 'utf16le' || e === 'ucs2' || e === 'ucs-2' || e === 'utf-16le') {
      let s = '';
      for (let i = 0; i + 1 < v.length; i += 2) s += String.fromCharCode(v[i] | (v[i + 1] << 8));
      return s;
    }
    throw Object.assign(new TypeError(`Unknown encoding: ${enc}`), { code: 'ERR_UNKNOWN_ENCODING' });
  },
  byteLength(s, enc) { return encodings.fromString(s, enc).length; },
};

export const classes = makeClasses(encodings);

let statFields = [];
/** Set once the module is loaded: the kernel's Stats field order (stat_fields()). */
export function setStatFields(names) { statFields = names; }

export function host_wall_clock_ms() { return Date.now(); }

const perf = globalThis.performance;
export function host_monotonic_ms() { return perf ? perf.now() : Date.now(); }

// crypto.getRandomValues takes at most 65,536 bytes a call. No generator is an error, never a fallback.
let webCrypto = globalThis.crypto;
/** Node before 19 has Web Crypto only as node:crypto's `webcrypto` (the same generator). */
export function setCrypto(c) { webCrypto = c; }
export function host_random(buf) {
  const c = webCrypto;
  if (!c || typeof c.getRandomValues !== 'function') throw new Error('no crypto.getRandomValues on this host');
  for (let i = 0; i < buf.length; i += 65536) c.getRandomValues(buf.subarray(i, i + 65536));
}

const consoles = new Map();
let nextConsole = 1;
/** A console id for a kernel: its lines go to `fn` (or nowhere). */
export function addConsole(fn) {
  const id = nextConsole++;
  consoles.set(id, typeof fn === 'function' ? fn : null);
  return id;
}
export function host_console(id, line) {
  const fn = consoles.get(id);
  if (fn) fn(line);
}

// Block devices the page handed in: { size, label, read(offset, length) → Uint8Array, write(offset, bytes),
// readInto?(offset, target) }. The kernel holds a handle; handles are never reused.
const devices = new Map();
let nextDevice = 1;
export function addDevice(dev) {
  const h = nextDevice++;
  devices.set(h, dev);
  return h;
}
export function releaseDevice(h) {
  const d = devices.get(h);
  devices.delete(h);
  if (d && typeof d.close === 'function') d.close();
}
export function host_dev_read(h, off, buf) {
  const d = devices.get(h);
  if (!d) throw new Error(`no device ${h}`);
  if (d.readInto) return d.readInto(off, buf);
  const got = d.read(off, buf.length);
  if (!got || got.length !== buf.length) throw new Error(`short read at ${off} of ${d.label}`);
  buf.set(got);
}
export function host_dev_write(h, off, buf) {
  const d = devices.get(h);
  if (!d || typeof d.write !== 'function') throw new Error(`device ${h} is not writable`);
  d.write(off, buf);
}
export function host_dev_release(h) { releaseDevice(h); }

const kinds = { Error, TypeError, RangeError };
export function host_coded_error(kind, code, message) {
  const e = new (kinds[kind] ?? Error)(message);
  e.code = code;
  return e;
}
export function host_errno_error(errno, code, message, syscall, path, dest) {
  const e = new Error(message);
  e.errno = errno;
  e.code = code;
  e.syscall = syscall;
  if (path !== undefined) e.path = path;
  if (dest !== undefined) e.dest = dest;
  return e;
}
export function host_stats(fields) {
  const s = new classes.Stats();
  for (let i = 0; i < statFields.length; i++) s[statFields[i]] = fields[i];
  return s;
}
export function host_statfs(fields) { return Object.assign(new classes.StatFs(), fields); }
export function host_show_number(n) { return String(n); }
