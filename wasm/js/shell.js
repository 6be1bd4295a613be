// What scripts/lib/commands.js (the CLI's and REPL's shell commands, copied unmodified into lib/) needs
// around it in a browser Worker, given as the CLI gives it: its imports 'fs' and 'path' resolved to the
// kernel's fs and path.js by a small module loader (a Worker has no import maps), and the globals `rump`
// (mounts, dmesg, …), `process` (cwd/chdir in the kernel) and `crypto.createHash('sha256')`.
import path from './path.js';
import { Sha256 } from './kernel.js';

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

// crypto.createHash('sha256') as Node's: update(bytes | string) any number of times, then digest('hex') or
// the bytes; the hashing is the kernel module's (the sha2 crate the CLI uses too).
function sha256() {
  const h = new Sha256();
  const hash = {
    update(data) {
      h.update(typeof data === 'string' ? new TextEncoder().encode(data) : data);
      return hash;
    },
    digest(enc) {
      const out = h.digest();
      return enc === 'hex' ? Array.from(out, (x) => x.toString(16).padStart(2, '0')).join('') : out;
    },
  };
  return hash;
}

export { sha256 as createSha256 };
