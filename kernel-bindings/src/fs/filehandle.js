// Node's FileHandle: what fs.promises.open resolves to. A thin object over the descriptor; every method is
// the fs call of the same name on `fd` (no logic of its own), settled as a promise.
(fs) => {
  const P = fs.promises;
  const closed = () => Object.assign(new Error('EBADF: bad file descriptor, the file handle is closed'), {
    code: 'EBADF', errno: 9, syscall: 'close',
  });
  class FileHandle {
    #fd;
    constructor(fd) {
      this.#fd = fd;
    }
    get fd() {
      return this.#fd;
    }
    #use() {
      if (this.#fd < 0) throw closed();
      return this.#fd;
    }
    async read(buffer, offset, length, position) {
      if (buffer !== null && typeof buffer === 'object' && !ArrayBuffer.isView(buffer)) {
        ({ buffer, offset, length, position } = buffer);
      }
      buffer ??= new Uint8Array(16384);
      offset ??= 0;
      length ??= buffer.byteLength - offset;
      const bytesRead = fs.readSync(this.#use(), buffer, offset, length, position ?? null);
      return { bytesRead, buffer };
    }
    async write(data, ...rest) {
      const bytesWritten = fs.writeSync(this.#use(), data, ...rest);
      return { bytesWritten, buffer: data };
    }
    async close() {
      if (this.#fd < 0) return;
      const fd = this.#fd;
      this.#fd = -1;
      fs.closeSync(fd);
    }
    async [Symbol.asyncDispose]() {
      return this.close();
    }
    get [Symbol.toStringTag]() {
      return 'FileHandle';
    }
    // The rest: each the fs call named here on the descriptor, with the method's own arguments.
    static {
      const calls = {
        readFile: 'readFileSync', writeFile: 'writeFileSync', appendFile: 'appendFileSync', stat: 'fstatSync',
        truncate: 'ftruncateSync', sync: 'fsyncSync', datasync: 'fdatasyncSync', chmod: 'fchmodSync',
        chown: 'fchownSync', utimes: 'futimesSync',
      };
      for (const [method, call] of Object.entries(calls)) {
        const value = { async [method](...args) { return fs[call](this.#use(), ...args); } }[method];
        Object.defineProperty(this.prototype, method, { value, writable: true, configurable: true });
      }
    }
  }
  const define = (name, f) =>
    Object.defineProperty(P, name, { value: f, writable: true, configurable: true, enumerable: true });
  define('open', async function open(path, flags = 'r', mode = 0o666) {
    return new FileHandle(fs.openSync(path, flags, mode));
  });
  // A FileHandle stands for its descriptor wherever fs.promises takes one (readFile, fstat, ...).
  for (const name of Object.keys(P)) {
    const f = P[name];
    if (name === 'open' || typeof f !== 'function') continue;
    define(name, {
      [name](target, ...rest) {
        return f.call(this, target instanceof FileHandle ? target.fd : target, ...rest);
      },
    }[name]);
  }
  return FileHandle;
}
