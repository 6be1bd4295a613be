// Classes the native bindings give their results: Stats, Dirent, StatFs. Data fields are set by Rust;
// the methods and the lazy Date fields live here, on the prototypes, so creating one costs no JS.
(() => {
  const S_IFMT = 0o170000;
  const kType = Symbol('type');
  const FIELDS = ['dev', 'mode', 'nlink', 'uid', 'gid', 'rdev', 'blksize', 'ino', 'size', 'blocks', 'atimeMs',
    'mtimeMs', 'ctimeMs', 'birthtimeMs', 'flags', 'gen'];
  const lazyDate = (proto, name) => {
    Object.defineProperty(proto, name, {
      configurable: true,
      enumerable: false,
      get() {
        return new Date(this[name + 'Ms']);
      },
      set(v) {
        Object.defineProperty(this, name, { value: v, writable: true, enumerable: true, configurable: true });
      },
    });
  };
  class Stats {
    isFile() { return (this.mode & S_IFMT) === 0o100000; }
    isDirectory() { return (this.mode & S_IFMT) === 0o040000; }
    isSymbolicLink() { return (this.mode & S_IFMT) === 0o120000; }
    isFIFO() { return (this.mode & S_IFMT) === 0o010000; }
    isBlockDevice() { return (this.mode & S_IFMT) === 0o060000; }
    isCharacterDevice() { return (this.mode & S_IFMT) === 0o020000; }
    isSocket() { return (this.mode & S_IFMT) === 0o140000; }
    // The fields are accessors on this prototype (see convert.rs): give JSON and inspectors the values.
    toJSON() {
      const o = {};
      for (const k of FIELDS) o[k] = this[k];
      for (const k of ['atime', 'mtime', 'ctime', 'birthtime']) o[k] = this[k];
      return o;
    }
    // What inspectors show (Node's util.inspect.custom): the values as own properties of a `Stats`.
    [Symbol.for('nodejs.util.inspect.custom')]() {
      return Object.assign(new StatsView(), this.toJSON());
    }
  }
  for (const f of ['atime', 'mtime', 'ctime', 'birthtime']) lazyDate(Stats.prototype, f);
  const StatsView = { Stats: class Stats {} }.Stats;
  class Dirent {
    isFile() { return this[kType] === 8; }
    isDirectory() { return this[kType] === 4; }
    isSymbolicLink() { return this[kType] === 10; }
    isFIFO() { return this[kType] === 1; }
    isBlockDevice() { return this[kType] === 6; }
    isCharacterDevice() { return this[kType] === 2; }
    isSocket() { return this[kType] === 12; }
    get path() { return this.parentPath; }
  }
  class StatFs {}
  return { Stats, Dirent, StatFs, kType };
})()
