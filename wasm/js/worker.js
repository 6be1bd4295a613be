// The page's kernel, in a Worker: a Worker can read a File synchronously (FileReaderSync), so a dropped
// image is read block by block as the kernel asks, never whole. The page sends requests
// { id, op, ...args } and gets { id, value } or { id, error }; console lines come as { log }.
//
// The first prompt waits on the kernel module (compiled by the page's boot.js, or here), the package's JS,
// the console's commands and the demo image. Each is asked for as soon as this file runs, all at once: no
// static import here, and every module of the package's graph imported at once (static imports would
// bring it a level at a time, a round trip each).
const here = (p) => new URL(p, import.meta.url);
const [pkg, shell] = ['./rumpjs.js', './shell.js', './kernel.js', './host.js', './classes.js', './images.js',
  './fs.js', './path.js'].map((m) => import(m));
// The console's commands: the files build-web.sh copies into lib/, also in one file for one request
// (lib.txt: each file after a line `/*@rumpjs-lib NAME*/`); a file not in it is fetched from lib/.
const early = fetch(here('./lib.txt'))
  .then((r) => (r.ok ? r.text() : ''))
  .catch(() => '')
  .then((text) => {
    const parts = text.split(/^\/\*@rumpjs-lib ([\w.-]+)\*\/\n/m);
    const files = new Map();
    for (let i = 1; i + 1 < parts.length; i += 2) files.set(here(`./lib/${parts[i]}`).href, parts[i + 1]);
    return files;
  });
const lib = shell.then((s) => s.fetchCommands(here('./lib/'), early));
// Unhandled until boot awaits them: a failure is reported there, not as an unhandled rejection.
for (const p of [pkg, lib]) p.catch(() => {});
// The kernel module as boot.js compiled it (null: it could not).
let fromPage;
const pageModule = new Promise((resolve) => {
  fromPage = resolve;
});

let k;
let commands;

// The kernel module, compiled while it downloads (from its bytes where the server does not say
// application/wasm).
async function compile(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status} ${res.statusText}`);
  try {
    return await WebAssembly.compileStreaming(res.clone());
  } catch {
    return WebAssembly.compile(await res.arrayBuffer());
  }
}

// The demo image, gzipped beside this file.
async function fetchDemo() {
  const res = await fetch(here('./demo.img.gz'));
  if (!res.ok) throw new Error(`demo.img.gz: ${res.status} ${res.statusText}`);
  return new Uint8Array(await new Response(res.body.pipeThrough(new DecompressionStream('gzip'))).arrayBuffer());
}

const ops = {
  // The kernel booted, the console's commands ready and, with `demo`, the demo image on /ffs (fetched
  // while the kernel loads): what the page needs for its first prompt.
  async boot({ demo, wasmFromPage }) {
    const image = demo ? fetchDemo() : null;
    const wasm = () => compile(here('./kernel_bg.wasm'));
    const t0 = performance.now();
    const [{ boot }, module] = await Promise.all([pkg, wasmFromPage ? pageModule.then((m) => m ?? wasm()) : wasm()]);
    k = await boot({ wasm: module, console: (line) => postMessage({ log: line }) });
    const ms = performance.now() - t0;
    k.fs.mkdirSync('/ffs');
    commands = await (await shell).startCommands(k, lib);
    const status = demo ? await ops.mount({ image: await image }) : ops.status();
    return { ms, version: k.version, status };
  },

  // An image on /ffs (or `on`): a File (read in place), bytes, a URL (?image=, or an image rumpjs serve
  // names; read by Range requests where the server answers them: images.js), or the demo image.
  async mount({ image, url, demo, partition, writable, on = '/ffs' }) {
    if (demo) image = await fetchDemo();
    if (url) image = new URL(url, self.location.href);
    if (k.mounts().some((m) => m.on === on)) k.unmount(on);
    k.fs.mkdirSync(on, { recursive: true });
    k.mount('ffs', on, { image, readonly: !writable, overlay: !!writable, ...(partition ? { partition } : {}) });
    return ops.status();
  },

  status() {
    const mounts = k.mounts().map((m) => {
      try {
        const s = k.sys.statvfs(m.on);
        return { ...m, size: s.blocks * s.frsize, free: s.bavail * s.frsize };
      } catch {
        return m;
      }
    });
    return { dmesg: k.dmesg(), mounts };
  },

  // A console line through commands.js, as the REPL runs it.
  run({ line, columns }) {
    return commands.run(line, { columns: columns ?? 80 });
  },

  // JavaScript evaluated by this engine with fs, rump and path in scope; the value as the REPL shows it.
  evaluate({ code }) {
    const f = new Function('fs', 'rump', 'path', 'code', 'return eval(code)');
    const v = f(k.fs, globalThis.rump, globalThis.__rumpjs.path, code);
    return commands.default.inspect(v);
  },

  // A directory for the file browser: each entry's name and lstat.
  list({ dir }) {
    return k.fs.readdirSync(dir).sort().map((name) => {
      const st = k.fs.lstatSync(`${dir === '/' ? '' : dir}/${name}`);
      return { name, mode: st.mode, uid: st.uid, gid: st.gid, size: st.size, mtimeMs: st.mtimeMs };
    });
  },

  // The image mounted on /ffs as it is now (with what was written to it, on its overlay): the file system
  // synced, then its whole device read, a piece at a time, into a Blob.
  image() {
    const m = k.mounts().find((x) => x.on === '/ffs');
    if (!m) throw new Error('no image is mounted on /ffs');
    k.sys.sync();
    const fd = k.fs.openSync(m.from, 'r');
    try {
      const size = k.sys.lseek(fd, 0, k.constants.SEEK_END); // a device's stat says 0 bytes
      const parts = [];
      for (let off = 0; off < size;) {
        const buf = new Uint8Array(Math.min(4 << 20, size - off));
        const n = k.fs.readSync(fd, buf, 0, buf.length, off);
        if (n === 0) throw new Error(`${m.from}: short read at ${off} of ${size}`);
        parts.push(n === buf.length ? buf : buf.subarray(0, n));
        off += n;
      }
      return new Blob(parts, { type: 'application/octet-stream' });
    } finally {
      k.fs.closeSync(fd);
    }
  },

  // A file's bytes (at most `max`), for the viewer and downloads.
  read({ path, max }) {
    const fd = k.fs.openSync(path, 'r');
    try {
      const size = k.fs.fstatSync(fd).size;
      const buf = new Uint8Array(Math.min(size, max ?? size));
      let n = 0;
      while (n < buf.length) {
        const got = k.fs.readSync(fd, buf, n, buf.length - n, n);
        if (got === 0) break;
        n += got;
      }
      return { bytes: buf.subarray(0, n), size };
    } finally {
      k.fs.closeSync(fd);
    }
  },
};

self.onmessage = async ({ data: { id, op, ...args } }) => {
  if (op === 'module') {
    fromPage(args.module);
    return;
  }
  try {
    const value = await ops[op](args);
    postMessage({ id, value });
  } catch (e) {
    postMessage({ id, error: e && e.message ? e.message : String(e), code: e && e.code });
  }
};
