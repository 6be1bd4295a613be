// rumpjs: the NetBSD-like kernel of rumpjs (FFS UFS1/UFS2 in both byte orders, tmpfs, kernfs) compiled to
// WebAssembly, with the JavaScript engine that loads it as its hypervisor. The same module in a browser
// (page or Worker) and in Node 20:
//
//   import { boot } from './rumpjs.js';
//   const k = await boot();                  // tmpfs on /tmp, kernfs on /kern, as the CLI boots
//   k.fs.mkdirSync('/ffs');
//   k.mount('ffs', '/ffs', { image, readonly: true, partition: 'a' });
//   k.fs.readFileSync('/ffs/etc/motd', 'utf8'); k.dmesg();
//
// `k.sys` is the kernel's syscall table (the rows of rump.sys), `k.fs` Node's fs over it.
import init, { Rump, syscall_table, constants as kernelConstants, stat_fields, version as kernelVersion } from './kernel.js';
import * as host from './host.js';
import { openImage } from './images.js';
import { makeFs } from './fs.js';

const isNode = typeof process !== 'undefined' && !!process.versions?.node;
let loaded;
let nodeFs = null;

// Compiles the module once: fetched beside this file in a browser, read from disk in Node (or `wasm`:
// bytes, a Response, a URL or a WebAssembly.Module the caller has).
function load(wasm) {
  loaded ??= (async () => {
    let source = wasm;
    if (isNode) nodeFs = await import('node:fs');
    if (isNode && !globalThis.crypto) host.setCrypto((await import('node:crypto')).webcrypto);
    if (source === undefined && isNode) source = nodeFs.readFileSync(new URL('./kernel_bg.wasm', import.meta.url));
    await init(source === undefined ? undefined : { module_or_path: source });
    host.setStatFields(stat_fields());
    const table = syscall_table();
    const constants = Object.freeze(kernelConstants());
    return { table, constants };
  })();
  return loaded;
}

/** Boots a kernel. `options.console(line)` receives its console lines; `options.wasm` overrides where the
 * module comes from. */
export async function boot(options = {}) {
  const { table, constants } = await load(options.wasm);
  const consoleId = host.addConsole(options.console);
  return new Kernel(new Rump(consoleId), table, constants);
}

export const Buffer = host.classes.Buffer;
export const Stats = host.classes.Stats;
export const Dirent = host.classes.Dirent;

class Kernel {
  #r;
  constructor(r, table, constants) {
    this.#r = r;
    const sys = {};
    table.forEach(({ name, length }, i) => {
      const f = { [name](...args) { return r.syscall(i, args); } }[name];
      Object.defineProperty(f, 'length', { value: length });
      sys[name] = f;
    });
    this.sys = Object.freeze(sys);
    this.constants = constants;
    this.fs = makeFs(this.sys, constants, host.classes);
    this.version = kernelVersion();
  }

  /** Mounts `type` on `dir`. With `image` (Uint8Array, ArrayBuffer, Blob/File, URL, or in Node a host path)
   * the image is the device: `readonly`, `overlay` (writes kept in memory, the image untouched),
   * `partition` and the file system's other options. Without it, `spec` names a kernel device. */
  mount(type, dir, options = {}) {
    const { image, readonly = false, overlay = false, spec, ...fsopts } = options ?? {};
    if (image === undefined) {
      return this.#r.mount(type, dir, readonly, spec, fsopts);
    }
    const dev = openImage(image, { readonly: readonly || overlay, nodeFs });
    // A device that cannot be written (a Blob, a URL) keeps a writable mount's changes on an overlay.
    const cow = overlay || typeof dev.write !== 'function';
    const handle = host.addDevice(dev);
    try {
      // The kernel holds the device while it is mounted and lets it go itself (host_dev_release).
      return this.#r.mount_image(type, dir, handle, dev.size, dev.label, readonly, cow, fsopts);
    } catch (e) {
      host.releaseDevice(handle); // a failed mount keeps nothing open
      throw e;
    }
  }

  /** unmount(2) of `dir` (`force`), and an image's device goes with it. */
  unmount(dir, { force = false } = {}) { this.#r.unmount(dir, force); }
  /** [{type, on, from, readonly, flags, fsid}] */
  mounts() { return this.#r.mounts(); }
  /** The kernel message buffer. */
  dmesg() { return this.#r.dmesg(); }
  /** What the file system holding `path` says about itself: {type, on, from, text, fields}. */
  info(path) { return this.#r.info(path); }
  /** File-system types the kernel has. */
  fstypes() { return this.#r.fstypes(); }
  /** The syscalls' one-line signatures, { name: signature }. */
  signatures() { return Object.fromEntries(syscall_table().map((r) => [r.name, r.sig])); }
}
