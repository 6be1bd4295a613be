// What scripts/lib/commands.js (the CLI's and REPL's shell commands, copied unmodified into lib/) needs
// around it in a browser Worker, given as the CLI gives it: its imports 'fs' and 'path' resolved to the
// kernel's fs and path.js by a small module loader (a Worker has no import maps), and the globals `rump`
// (mounts, dmesg, …), `process` (cwd/chdir in the kernel) and `crypto.createHash('sha256')`.
import path from './path.js';

// Loads the module at `url` with its static imports resolved: `shims` maps a bare name to a module's
// source; a relative import is loaded the same way. Each module becomes a blob: URL.
async function load(url, shims, seen = new Map()) {
  if (seen.has(url)) return seen.get(url);
  const pending = (async () => {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`${url}: ${res.status} ${res.statusText}`);
    const src = await res.text();
    const re = /(\b(?:import|export)\b[^'";]*?\bfrom\s*|\bimport\s*)(['"])([^'"]+)\2/g;
    const specs = new Set([...src.matchAll(re)].map((m) => m[3]));
    const urls = new Map();
    for (const s of specs) {
      if (s in shims) urls.set(s, blobUrl(shims[s]));
      else if (s.startsWith('.')) urls.set(s, await load(new URL(s, url).href, shims, seen));
      else throw new Error(`${url}: cannot resolve '${s}'`);
    }
    return blobUrl(src.replace(re, (m, head, q, s) => `${head}${q}${urls.get(s)}${q}`));
  })();
  seen.set(url, pending);
  return pending;
}

const blobUrl = (src) => URL.createObjectURL(new Blob([src], { type: 'text/javascript' }));

/** Sets up the globals for kernel `k` and imports commands.js from `libUrl` (a folder URL). */
export async function loadCommands(k, libUrl) {
  globalThis.__rumpjs = { fs: k.fs, path };
  globalThis.rump = {
    mounts: () => k.mounts(),
    mount: (type, dir, options) => k.mount(type, dir, options),
    unmount: (dir, options) => k.unmount(dir, options),
    dmesg: () => k.dmesg(),
    fstypes: () => k.fstypes(),
    info: (p) => k.info(p),
    sys: k.sys,
    host: {},
  };
  globalThis.process = { cwd: () => k.sys.getcwd(), chdir: (d) => k.sys.chdir(d), env: {}, argv: [] };
  const webCrypto = globalThis.crypto;
  Object.defineProperty(globalThis, 'crypto', {
    configurable: true,
    value: {
      getRandomValues: (a) => webCrypto.getRandomValues(a),
      randomUUID: () => webCrypto.randomUUID(),
      subtle: webCrypto?.subtle,
      createHash: (alg) => {
        if (alg !== 'sha256') throw new Error(`Digest method not supported: ${alg}`);
        return sha256();
      },
    },
  });
  const shims = {
    fs: 'export default globalThis.__rumpjs.fs;',
    path: 'export default globalThis.__rumpjs.path;',
  };
  return import(await load(new URL('commands.js', libUrl).href, shims));
}

// SHA-256 (FIPS 180-4), synchronous as Node's createHash: update(bytes | string), digest('hex').
function sha256() {
  const K = new Uint32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
    0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
    0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
    0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2]);
  const H = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  const W = new Uint32Array(64);
  const block = new Uint8Array(64);
  let fill = 0;
  let total = 0;
  const rotr = (x, n) => (x >>> n) | (x << (32 - n));
  const compress = (b) => {
    for (let i = 0; i < 16; i++) W[i] = (b[4 * i] << 24) | (b[4 * i + 1] << 16) | (b[4 * i + 2] << 8) | b[4 * i + 3];
    for (let i = 16; i < 64; i++) {
      const s0 = rotr(W[i - 15], 7) ^ rotr(W[i - 15], 18) ^ (W[i - 15] >>> 3);
      const s1 = rotr(W[i - 2], 17) ^ rotr(W[i - 2], 19) ^ (W[i - 2] >>> 10);
      W[i] = (W[i - 16] + s0 + W[i - 7] + s1) | 0;
    }
    let [a, b2, c, d, e, f, g, h] = H;
    for (let i = 0; i < 64; i++) {
      const t1 = (h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + W[i]) | 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b2) ^ (a & c) ^ (b2 & c))) | 0;
      h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b2; b2 = a; a = (t1 + t2) | 0;
    }
    H[0] += a; H[1] += b2; H[2] += c; H[3] += d; H[4] += e; H[5] += f; H[6] += g; H[7] += h;
  };
  const hash = {
    update(data) {
      const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      total += bytes.length;
      let i = 0;
      while (i < bytes.length) {
        const n = Math.min(64 - fill, bytes.length - i);
        block.set(bytes.subarray(i, i + n), fill);
        fill += n;
        i += n;
        if (fill === 64) { compress(block); fill = 0; }
      }
      return hash;
    },
    digest(enc) {
      const bits = total * 8;
      hash.update(new Uint8Array([0x80]));
      while (fill !== 56) hash.update(new Uint8Array([0]));
      const len = new Uint8Array(8);
      new DataView(len.buffer).setUint32(0, Math.floor(bits / 2 ** 32));
      new DataView(len.buffer).setUint32(4, bits >>> 0);
      hash.update(len);
      const out = new Uint8Array(32);
      H.forEach((v, i) => new DataView(out.buffer).setUint32(4 * i, v));
      return enc === 'hex' ? Array.from(out, (x) => x.toString(16).padStart(2, '0')).join('') : out;
    },
  };
  return hash;
}
export { sha256 as createSha256 };
