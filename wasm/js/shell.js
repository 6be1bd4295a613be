// What scripts/lib/commands.js (the CLI's and REPL's shell commands, copied unmodified into lib/) needs
// around it in a browser Worker, given as the CLI gives it: its imports 'fs' and 'path' resolved to the
// kernel's fs and path.js by a small module loader (a Worker has no import maps), and the globals `rump`
// (mounts, dmesg, …), `process` (cwd/chdir in the kernel) and `crypto.createHash('sha256')`.
// No static import of the kernel's module, and commands.js loaded and run before the kernel boots
// (fetchCommands, while the kernel module still compiles): its 'fs' reaches the kernel's fs only when a
// command runs, by then set by startCommands.
import path from './path.js';

globalThis.__rumpjs = { fs: null, path };
// 'fs' and 'path' as commands.js imports them. 'fs' forwards to the kernel's fs of the moment.
const SHIMS = {
  fs: `export default new Proxy({}, {
  get: (_, name) => globalThis.__rumpjs.fs[name],
  has: (_, name) => name in globalThis.__rumpjs.fs,
  ownKeys: () => Reflect.ownKeys(globalThis.__rumpjs.fs),
  getOwnPropertyDescriptor: (_, name) => ({ ...Reflect.getOwnPropertyDescriptor(globalThis.__rumpjs.fs, name), configurable: true }),
});`,
  path: 'export default globalThis.__rumpjs.path;',
};

// A module's source: from `early` (a promise of url → text, what was fetched before), or fetched.
async function source(url, early) {
  const known = (await early).get(url);
  if (typeof known === 'string') return known;
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status} ${res.statusText}`);
  return res.text();
}

// Loads the module at `url` with its static imports resolved: `shims` maps a bare name to a module's
// source; a relative import is loaded the same way, all of one module's imports at once. Each module
// becomes a data: URL (a blob: URL is loaded through the browser's process, a round trip a module).
async function load(url, shims, early, seen = new Map()) {
  if (seen.has(url)) return seen.get(url);
  const pending = (async () => {
    const src = await source(url, early);
    const re = /(\b(?:import|export)\b[^'";]*?\bfrom\s*|\bimport\s*)(['"])([^'"]+)\2/g;
    const specs = [...new Set([...src.matchAll(re)].map((m) => m[3]))];
    const resolved = await Promise.all(specs.map((s) => {
      if (s in shims) return moduleUrl(shims[s]);
      if (s.startsWith('.')) return load(new URL(s, url).href, shims, early, seen);
      throw new Error(`${url}: cannot resolve '${s}'`);
    }));
    const urls = new Map(specs.map((s, i) => [s, resolved[i]]));
    return moduleUrl(src.replace(re, (m, head, q, s) => `${head}${q}${urls.get(s)}${q}`));
  })();
  seen.set(url, pending);
  return pending;
}

// encodeURIComponent leaves ' as it is, and the URL goes between quotes in its importer.
const moduleUrl = (src) => 'data:text/javascript;charset=utf-8,' + encodeURIComponent(src).replace(/'/g, '%27');

/** Loads and runs commands.js and what it imports from `libUrl` (a folder URL), taking the sources in
 * `early` (a promise of url → text: what was fetched before) from there; the promise of the module, for
 * startCommands. */
export function fetchCommands(libUrl, early = Promise.resolve(new Map())) {
  return load(new URL('commands.js', libUrl).href, SHIMS, early).then((url) => import(url));
}

/** Sets up the globals for kernel `k`; commands.js's module (`loaded`: what fetchCommands gave). */
export async function startCommands(k, loaded) {
  const { Sha256 } = await import('./kernel.js');
  globalThis.__rumpjs.fs = k.fs;
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
        return sha256(Sha256);
      },
    },
  });
  return loaded;
}

// crypto.createHash('sha256') as Node's: update(bytes | string) any number of times, then digest('hex') or
// the bytes; the hashing is the kernel module's (the sha2 crate the CLI uses too).
function sha256(Sha256) {
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
