// Classes the native bindings give their results: Stats, Dirent, StatFs, Buffer. Data fields are set by
// Rust; the methods and the lazy Date fields live here, on the prototypes, so creating one costs no JS.
// `natives` holds Buffer's encoding functions (fs.rs BUFFER_NATIVES).
((natives) => {
  const S_IFMT = 0o170000;
  const kType = Symbol('type');
  const FIELDS = ['dev', 'mode', 'nlink', 'uid', 'gid', 'rdev', 'blksize', 'ino', 'size', 'blocks', 'atimeMs',
    'mtimeMs', 'ctimeMs', 'birthtimeMs', 'flags', 'gen'];
  const lazyDate = (proto, name) => {
    Object.defineProperty(proto, name, {
      configurable: true,
      enumerable: false,
      get() {
        return new Date(Number(this[name + 'Ms'])); // a BigIntStats holds BigInts
      },
      set(v) {
        Object.defineProperty(this, name, { value: v, writable: true, enumerable: true, configurable: true });
      },
    });
  };
  class Stats {
    isFile() { return (Number(this.mode) & S_IFMT) === 0o100000; }
    isDirectory() { return (Number(this.mode) & S_IFMT) === 0o040000; }
    isSymbolicLink() { return (Number(this.mode) & S_IFMT) === 0o120000; }
    isFIFO() { return (Number(this.mode) & S_IFMT) === 0o010000; }
    isBlockDevice() { return (Number(this.mode) & S_IFMT) === 0o060000; }
    isCharacterDevice() { return (Number(this.mode) & S_IFMT) === 0o020000; }
    isSocket() { return (Number(this.mode) & S_IFMT) === 0o140000; }
    // The fields are accessors on this prototype (see convert.rs): give JSON and inspectors the values.
    toJSON() {
      const o = {};
      for (const k of FIELDS) o[k] = this[k];
      for (const k of ['atime', 'mtime', 'ctime', 'birthtime']) o[k] = this[k];
      if (typeof this.mode === 'bigint') for (const k of ['atimeNs', 'mtimeNs', 'ctimeNs', 'birthtimeNs']) o[k] = this[k];
      return o;
    }
    // What inspectors show (Node's util.inspect.custom): the values as own properties of a `Stats`.
    [Symbol.for('nodejs.util.inspect.custom')]() {
      return Object.assign(typeof this.mode === 'bigint' ? new BigIntStatsView() : new StatsView(), this.toJSON());
    }
  }
  for (const f of ['atime', 'mtime', 'ctime', 'birthtime']) lazyDate(Stats.prototype, f);
  const StatsView = { Stats: class Stats {} }.Stats;
  const BigIntStatsView = { BigIntStats: class BigIntStats {} }.BigIntStats;
  class Dirent {
    isFile() { return this[kType] === 8; }
    isDirectory() { return this[kType] === 4; }
    isSymbolicLink() { return this[kType] === 10; }
    isFIFO() { return this[kType] === 1; }
    isBlockDevice() { return this[kType] === 6; }
    isCharacterDevice() { return this[kType] === 2; }
    isSocket() { return this[kType] === 12; }
    get path() { return this.parentPath; }
    // name, parentPath and the type are accessors on this prototype (see convert.rs), as for Stats.
    toJSON() { return { name: this.name, parentPath: this.parentPath, path: this.parentPath }; }
    [Symbol.for('nodejs.util.inspect.custom')]() {
      return Object.assign(new DirentView(), this.toJSON(), { [kType]: this[kType] });
    }
  }
  const DirentView = { Dirent: class Dirent {} }.Dirent;
  class StatFs {}

  const dv = (b) => new DataView(b.buffer, b.byteOffset, b.byteLength);
  // Node's Buffer, the part scripts use most: a Uint8Array with encodings. The bindings return Buffers.
  class Buffer extends Uint8Array {
    static from(value, encodingOrOffset, length) {
      if (typeof value === 'string') return natives.fromString(value, encodingOrOffset ?? 'utf8');
      if (value instanceof ArrayBuffer) return new Buffer(value, encodingOrOffset ?? 0, length ?? value.byteLength - (encodingOrOffset ?? 0));
      if (ArrayBuffer.isView(value)) return new Buffer(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
      if (value && typeof value === 'object' && value.type === 'Buffer' && Array.isArray(value.data)) return new Buffer(value.data);
      if (value && typeof value.length === 'number') return new Buffer(Array.from(value));
      const e = new TypeError('The first argument must be of type string or an instance of Buffer, ArrayBuffer, or Array or an Array-like Object.');
      e.code = 'ERR_INVALID_ARG_TYPE';
      throw e;
    }
    static alloc(size, fill, encoding) {
      const b = new Buffer(size);
      if (fill !== undefined) b.fill(typeof fill === 'string' ? Buffer.from(fill, encoding)[0] ?? 0 : fill);
      return b;
    }
    static allocUnsafe(size) { return new Buffer(size); }
    static isBuffer(b) { return b instanceof Buffer; }
    static isEncoding(e) {
      return ['utf8', 'utf-8', 'latin1', 'binary', 'ascii', 'hex', 'base64', 'base64url', 'utf16le', 'ucs2'].includes(String(e).toLowerCase());
    }
    static byteLength(v, encoding) { return typeof v === 'string' ? natives.byteLength(v, encoding ?? 'utf8') : v.byteLength; }
    static concat(list, total) {
      const n = total ?? list.reduce((s, b) => s + b.length, 0);
      const out = new Buffer(n);
      let off = 0;
      for (const b of list) {
        if (off >= n) break;
        out.set(b.length <= n - off ? b : b.subarray(0, n - off), off);
        off += b.length;
      }
      return out;
    }
    static compare(a, b) { return a.compare(b); }
    toString(encoding, start, end) { return natives.toString(this, encoding ?? 'utf8', start, end); }
    toJSON() { return { type: 'Buffer', data: Array.from(this) }; }
    equals(other) { return this.compare(other) === 0; }
    compare(other) {
      const n = Math.min(this.length, other.length);
      for (let i = 0; i < n; i++) if (this[i] !== other[i]) return this[i] < other[i] ? -1 : 1;
      return this.length === other.length ? 0 : this.length < other.length ? -1 : 1;
    }
    slice(start, end) { return this.subarray(start, end); }
    write(string, offset = 0, length, encoding) {
      if (typeof offset === 'string') [encoding, offset] = [offset, 0];
      const b = natives.fromString(string, encoding ?? 'utf8');
      const n = Math.min(b.length, this.length - offset, length ?? Infinity);
      this.set(b.subarray(0, n), offset);
      return n;
    }
    readUInt8(o = 0) { return dv(this).getUint8(o); }
    readUInt16LE(o = 0) { return dv(this).getUint16(o, true); }
    readUInt16BE(o = 0) { return dv(this).getUint16(o, false); }
    readUInt32LE(o = 0) { return dv(this).getUint32(o, true); }
    readUInt32BE(o = 0) { return dv(this).getUint32(o, false); }
    readInt32LE(o = 0) { return dv(this).getInt32(o, true); }
    readBigUInt64LE(o = 0) { return dv(this).getBigUint64(o, true); }
    writeUInt8(v, o = 0) { dv(this).setUint8(o, v); return o + 1; }
    writeUInt16LE(v, o = 0) { dv(this).setUint16(o, v, true); return o + 2; }
    writeUInt32LE(v, o = 0) { dv(this).setUint32(o, v, true); return o + 4; }
    writeUInt32BE(v, o = 0) { dv(this).setUint32(o, v, false); return o + 4; }
  }
  for (const m of ['readUInt8', 'readUInt16LE', 'readUInt16BE', 'readUInt32LE', 'readUInt32BE']) {
    Buffer.prototype[m.replace('UInt', 'Uint')] = Buffer.prototype[m];
  }
  return { Stats, Dirent, StatFs, Buffer, kType };
})
