// Wrong argument types to every native binding: each call must return, or throw an Error that is a
// TypeError/RangeError or carries a `code` (an errno error), or (fs.promises) reject with one. Never a
// panic, never a non-Error throw. The list of bindings comes from rump.signatures(), so new bindings are
// covered without touching this file.

const SKIP = new Set(['process.exit']);

// A regular file, an open descriptor to it and a closed one, made as root before dropping privileges.
fs.mkdirSync('/tmp/fz', { recursive: true });
fs.writeFileSync('/tmp/fz/f', 'fuzz');
fs.chmodSync('/tmp/fz/f', 0o666);
const goodFd = fs.openSync('/tmp/fz/f', 'r+');
const closedFd = fs.openSync('/tmp/fz/f', 'r');
fs.closeSync(closedFd);
const detached = new Uint8Array(8);
structuredClone(detached.buffer, { transfer: [detached.buffer] });
if (detached.byteLength !== 0) throw new Error('could not detach a buffer for the test');

// As an unprivileged user in a root-owned directory, nothing can be created or removed where the
// bad values point (a fifo made there could block a later open forever).
rump.setCredentials({ uid: 65534, gid: 65534 });

const bad = [
  ['undefined', undefined], ['null', null], ['NaN', NaN], ['-1', -1], ['2**53', 2 ** 53], ['1e300', 1e300],
  ['-0', -0], ['1.5', 1.5], ['Infinity', Infinity], ['-2**31-1', -(2 ** 31) - 1], ['{}', {}], ['[]', []],
  ['"abc"', 'abc'], ['""', ''], ['"a\\0b"', 'a\0b'], ['Symbol', Symbol('s')], ['10n', 10n], ['function', () => 1],
  ['true', true], ['detached', detached], ['empty buffer', new Uint8Array(0)], ['closed fd', closedFd],
  ['Date', new Date(0)], ['array of 2', [1, 2]], ['Int32Array', new Int32Array(4)],
  ['huge length', { length: 2 ** 40 }],
];

// A plausible value for a parameter, guessed from its name in the signature.
function good(name) {
  if (/fd$/i.test(name)) return goodFd;
  if (/^(path|from|to|target|dir|prefix|src|dest|existingPath|newPath|oldPath|kernelPath|file|spec)$/.test(name)) return '/tmp/fz/f';
  if (/^(buf|buffer|data|typedArray|chunk)$/.test(name)) return new Uint8Array(16);
  if (name === 'type') return 'tmpfs';
  if (name === 'encoding') return 'utf8';
  if (name === 'algorithm') return 'sha256';
  if (name === 'name') return 'kern.hostname';
  if (name === 'hostPath') return '/nonexistent-host-path';
  if (name === 'times') return null;
  if (name === 'fn' || name === 'callback') return () => {};
  if (name === 'size') return 4;
  if (name === 'max') return 1;
  return 0;
}

function params(sig) {
  const m = /\(([^)]*)\)/.exec(sig);
  if (!m) return [];
  return m[1].split(',').map((p) => p.trim().split(/[\s=|[]/)[0]).filter((p) => /^\w+$/.test(p));
}

function lookup(path) {
  let obj = globalThis;
  const parts = path.split('.');
  for (let i = 0; i < parts.length - 1; i++) obj = obj[parts[i]];
  return [obj, obj[parts[parts.length - 1]]];
}

let calls = 0;
const failures = [];
function check(label, e) {
  const ok =
    e instanceof Error &&
    (e instanceof TypeError ||
      e instanceof RangeError ||
      typeof e.code === 'string' ||
      typeof e.errno === 'number' ||
      // a DOMException as Node throws it (DataCloneError, InvalidCharacterError)
      (typeof e.code === 'number' && /Error$/.test(e.name) && e.name !== 'Error'));
  if (!ok) failures.push(`${label}: threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
}

async function call(label, thisObj, f, args) {
  calls++;
  let r;
  try {
    r = f.apply(thisObj, args);
  } catch (e) {
    check(label, e);
    return;
  }
  if (r instanceof Promise) {
    try {
      await r;
    } catch (e) {
      check(label, e);
    }
  }
}

const sigs = rump.signatures();
const names = Object.keys(sigs).filter((n) => !SKIP.has(n));
for (const name of names) {
  const [thisObj, f] = lookup(name);
  if (typeof f !== 'function') {
    failures.push(`${name}: listed in rump.signatures() but not a function`);
    continue;
  }
  const ps = params(sigs[name]);
  const n = Math.max(ps.length, f.length, 1);
  for (const [bname, b] of bad) {
    // every argument bad; one bad among undefined; one bad after plausible ones
    await call(`${name}(${bname} × ${n})`, thisObj, f, Array(n).fill(b));
    for (let i = 0; i < n; i++) {
      const a1 = Array(n).fill(undefined);
      a1[i] = b;
      await call(`${name} arg ${i} = ${bname}`, thisObj, f, a1);
      const a2 = ps.map(good);
      while (a2.length < n) a2.push(undefined);
      a2[i] = b;
      await call(`${name}(${ps.slice(0, i).join(', ')}, ${bname})`, thisObj, f, a2);
    }
  }
  // methods called on the wrong `this`
  await call(`${name} with this = {}`, {}, f, []);
}

// The rest of the API that is not in the tables: path, util, console, Buffer, Hash, TextEncoder and
// TextDecoder, timers, Stats, and the web globals; each with the same bad values as above.
const buf = Buffer.from('0123456789abcdef');
const stats = fs.statSync('/tmp/fz/f');
const hash = crypto.createHash('sha256');
const quiet = { log: console.log, error: console.error, warn: console.warn, info: console.info, table: console.table };
const noop = () => {};
const extra = [];
for (const k of Object.keys(path)) if (typeof path[k] === 'function') extra.push([`path.${k}`, path, path[k]]);
for (const k of ['format', 'inspect']) extra.push([`util.${k}`, null, (await import('util'))[k]]);
for (const k of Object.keys(quiet)) extra.push([`console.${k}`, console, quiet[k]]);
for (const k of ['from', 'alloc', 'allocUnsafe', 'concat', 'byteLength', 'isBuffer', 'compare', 'isEncoding']) {
  if (typeof Buffer[k] === 'function') extra.push([`Buffer.${k}`, Buffer, Buffer[k]]);
}
for (const k of Object.getOwnPropertyNames(Object.getPrototypeOf(buf))) {
  if (k !== 'constructor' && typeof buf[k] === 'function') extra.push([`buffer.${k}`, buf, buf[k]]);
}
for (const k of ['update', 'digest', 'copy']) if (typeof hash[k] === 'function') extra.push([`hash.${k}`, hash, hash[k]]);
for (const k of Object.getOwnPropertyNames(Object.getPrototypeOf(stats))) {
  if (k !== 'constructor' && typeof stats[k] === 'function') extra.push([`stats.${k}`, stats, stats[k]]);
}
const enc = new TextEncoder();
extra.push(['TextEncoder.encode', enc, enc.encode], ['TextEncoder.encodeInto', enc, enc.encodeInto]);
extra.push(['new TextDecoder', null, (...a) => new TextDecoder(...a)], ['TextDecoder.decode', new TextDecoder(), TextDecoder.prototype.decode]);
extra.push(['new TextDecoder().decode', null, (...a) => new TextDecoder(a[0]).decode(a[1])]);
// Timers are cleared at once: a bad delay must not leave one running.
extra.push(['setTimeout', null, (...a) => clearTimeout(setTimeout(...a))], ['setInterval', null, (...a) => clearInterval(setInterval(...a))]);
extra.push(['clearTimeout', null, clearTimeout], ['clearInterval', null, clearInterval], ['queueMicrotask', null, (f) => queueMicrotask(typeof f === 'function' ? noop : f)]);
for (const k of ['structuredClone', 'atob', 'btoa']) if (typeof globalThis[k] === 'function') extra.push([k, null, globalThis[k]]);
let extraCalls = 0;
for (const [name, thisObj, f] of extra) {
  if (typeof f !== 'function') {
    failures.push(`${name}: not a function`);
    continue;
  }
  const n = Math.min(Math.max(f.length, 1), 3);
  for (const [bname, b] of bad) {
    extraCalls++;
    await call(`${name}(${bname} × ${n})`, thisObj, f, Array(n).fill(b));
    for (let i = 0; i < n; i++) {
      const a1 = Array(n).fill(undefined);
      a1[i] = b;
      await call(`${name} arg ${i} = ${bname}`, thisObj, f, a1);
    }
  }
  await call(`${name} with this = {}`, {}, f, []);
}
if (extraCalls === 0) failures.push('no extra functions were called');

// A Hash used after digest, a buffer range past the end.
const h = crypto.createHash('sha256');
h.digest('hex');
await call('hash.update after digest', h, h.update, ['x']);
await call('readSync past the buffer', fs, fs.readSync, [goodFd, new Uint8Array(4), 0, 2 ** 31]);
await call('new ArrayBuffer(2**40)', null, (n) => new ArrayBuffer(n), [2 ** 40]);

if (failures.length) {
  console.error(failures.slice(0, 50).join('\n'));
  console.error(`${failures.length} bad outcomes in ${calls} calls`);
  process.exit(1);
}
console.log(`fuzz ok: ${names.length} bindings and ${extra.length} other functions, ${calls} calls`);
