// `k.fs`: Node's fs, the synchronous forms, written over `k.sys` (the kernel's syscall table) — Stats,
// Dirent and Buffer are the shared classes (kernel-bindings/src/prelude.js), errors are the kernel's with
// `code`, `errno` (NetBSD's value), `syscall` and `path`, named for the call Node names (readdir is
// 'scandir', as in Node).

/** The fs object over `sys`, with `c` the kernel's constants and `classes` the shared classes. */
export function makeFs(sys, c, classes) {
  const { Buffer, Dirent, kType } = classes;

  const FLAGS = {
    r: c.O_RDONLY, rs: c.O_RDONLY | c.O_SYNC, sr: c.O_RDONLY | c.O_SYNC,
    'r+': c.O_RDWR, 'rs+': c.O_RDWR | c.O_SYNC, 'sr+': c.O_RDWR | c.O_SYNC,
    w: c.O_TRUNC | c.O_CREAT | c.O_WRONLY, wx: c.O_TRUNC | c.O_CREAT | c.O_WRONLY | c.O_EXCL,
    xw: c.O_TRUNC | c.O_CREAT | c.O_WRONLY | c.O_EXCL,
    'w+': c.O_TRUNC | c.O_CREAT | c.O_RDWR, 'wx+': c.O_TRUNC | c.O_CREAT | c.O_RDWR | c.O_EXCL,
    'xw+': c.O_TRUNC | c.O_CREAT | c.O_RDWR | c.O_EXCL,
    a: c.O_APPEND | c.O_CREAT | c.O_WRONLY, ax: c.O_APPEND | c.O_CREAT | c.O_WRONLY | c.O_EXCL,
    xa: c.O_APPEND | c.O_CREAT | c.O_WRONLY | c.O_EXCL, as: c.O_APPEND | c.O_CREAT | c.O_WRONLY | c.O_SYNC,
    sa: c.O_APPEND | c.O_CREAT | c.O_WRONLY | c.O_SYNC,
    'a+': c.O_APPEND | c.O_CREAT | c.O_RDWR, 'ax+': c.O_APPEND | c.O_CREAT | c.O_RDWR | c.O_EXCL,
    'xa+': c.O_APPEND | c.O_CREAT | c.O_RDWR | c.O_EXCL, 'as+': c.O_APPEND | c.O_CREAT | c.O_RDWR | c.O_SYNC,
    'sa+': c.O_APPEND | c.O_CREAT | c.O_RDWR | c.O_SYNC,
  };
  const flagsOf = (f, def = 'r') => {
    if (f === undefined || f === null) f = def;
    if (typeof f === 'number') return f;
    const n = FLAGS[f];
    if (n === undefined) {
      const e = new TypeError(`The argument 'flags' is invalid. Received ${JSON.stringify(f)}`);
      e.code = 'ERR_INVALID_ARG_VALUE';
      throw e;
    }
    return n;
  };
  const opts = (o, def = {}) => (typeof o === 'string' ? { ...def, encoding: o } : { ...def, ...(o ?? {}) });
  const encode = (buf, encoding) => (encoding && encoding !== 'buffer' ? buf.toString(encoding) : buf);
  const bytesOf = (data, encoding = 'utf8') => {
    if (typeof data === 'string') return Buffer.from(data, encoding);
    if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const e = new TypeError('The "data" argument must be of type string or an instance of Buffer, TypedArray, or DataView.');
    e.code = 'ERR_INVALID_ARG_TYPE';
    throw e;
  };
  const pathText = (p) => (typeof p === 'string' ? p : Buffer.from(p).toString());
  // An error from a syscall, renamed for the fs call Node would name in it (readdir → scandir).
  const as = (syscall, fn) => {
    try {
      return fn();
    } catch (e) {
      if (e && typeof e.errno === 'number' && e.syscall !== syscall) {
        e.message = e.message.replace(`, ${e.syscall}`, `, ${syscall}`);
        e.syscall = syscall;
      }
      throw e;
    }
  };
  const withFd = (fd, fn) => {
    try {
      return fn(fd);
    } finally {
      sys.close(fd);
    }
  };
  // A file of known size in one read (as Node reads a regular file: up to its size); one whose stat
  // says 0 bytes (kernfs, devices) in pieces until end of file.
  const readAll = (fd) => {
    const size = Number(sys.fstat(fd).size);
    if (size > 0) {
      const b = new Buffer(size);
      let n = 0;
      while (n < size) {
        const got = sys.read(fd, b.subarray(n));
        if (got === 0) break;
        n += got;
      }
      return n === size ? b : b.subarray(0, n);
    }
    const chunks = [];
    let total = 0;
    for (;;) {
      const b = new Buffer(65536);
      const n = sys.read(fd, b);
      if (n === 0) break;
      chunks.push(b.subarray(0, n));
      total += n;
    }
    return Buffer.concat(chunks, total);
  };
  const writeAll = (fd, bytes) => {
    let off = 0;
    while (off < bytes.length) off += sys.write(fd, bytes.subarray(off));
  };
  const noEntry = (e) => e && e.code === 'ENOENT';
  const dirents = (dir, withFileTypes, encoding) => {
    const fd = as('scandir', () => sys.open(dir, c.O_RDONLY | c.O_DIRECTORY));
    const ents = withFd(fd, () => as('scandir', () => sys.readdir(fd))).filter((e) => e.name !== '.' && e.name !== '..');
    const parent = pathText(dir);
    return ents.map((e) => {
      const name = encoding === 'buffer' ? Buffer.from(e.name) : e.name;
      if (!withFileTypes) return name;
      const d = Object.create(Dirent.prototype);
      d.name = name;
      d.parentPath = parent;
      d[kType] = e.type === c.DT_UNKNOWN ? typeFromStat(sys.lstat(`${parent}/${e.name}`)) : e.type;
      return d;
    });
  };
  const typeFromStat = (st) => {
    const t = Number(st.mode) & c.S_IFMT;
    return { [c.S_IFREG]: c.DT_REG, [c.S_IFDIR]: c.DT_DIR, [c.S_IFLNK]: c.DT_LNK, [c.S_IFCHR]: c.DT_CHR,
      [c.S_IFBLK]: c.DT_BLK, [c.S_IFIFO]: c.DT_FIFO, [c.S_IFSOCK]: c.DT_SOCK }[t] ?? c.DT_UNKNOWN;
  };
  const statOr = (fn, p, o) => {
    try {
      return fn(p);
    } catch (e) {
      if (o && o.throwIfNoEntry === false && noEntry(e)) return undefined;
      throw e;
    }
  };
  const rmTree = (p) => {
    const st = sys.lstat(p);
    if (st.isDirectory()) {
      for (const name of dirents(p, false)) rmTree(`${pathText(p)}/${name}`);
      sys.rmdir(p);
    } else sys.unlink(p);
  };

  const fs = {
    constants: {
      F_OK: c.F_OK, R_OK: c.R_OK, W_OK: c.W_OK, X_OK: c.X_OK, COPYFILE_EXCL: 1,
      O_RDONLY: c.O_RDONLY, O_WRONLY: c.O_WRONLY, O_RDWR: c.O_RDWR, O_CREAT: c.O_CREAT, O_EXCL: c.O_EXCL,
      O_TRUNC: c.O_TRUNC, O_APPEND: c.O_APPEND, O_DIRECTORY: c.O_DIRECTORY, O_NOFOLLOW: c.O_NOFOLLOW,
      O_SYNC: c.O_SYNC, S_IFMT: c.S_IFMT, S_IFREG: c.S_IFREG, S_IFDIR: c.S_IFDIR, S_IFLNK: c.S_IFLNK,
      S_IFCHR: c.S_IFCHR, S_IFBLK: c.S_IFBLK, S_IFIFO: c.S_IFIFO, S_IFSOCK: c.S_IFSOCK,
    },
    Stats: classes.Stats,
    Dirent,
    openSync: (p, flags, mode = 0o666) => sys.open(p, flagsOf(flags), mode),
    closeSync: (fd) => sys.close(fd),
    readSync(fd, buf, offsetOrOpts, length, position) {
      let offset = offsetOrOpts;
      if (offsetOrOpts && typeof offsetOrOpts === 'object') ({ offset, length, position } = offsetOrOpts);
      offset ??= 0;
      length ??= buf.byteLength - offset;
      const view = new Uint8Array(buf.buffer, buf.byteOffset + offset, length);
      return position === undefined || position === null || position === -1
        ? sys.read(fd, view) : sys.pread(fd, view, Number(position));
    },
    writeSync(fd, data, offsetOrPos, lengthOrEnc, position) {
      let view;
      if (typeof data === 'string') {
        view = Buffer.from(data, typeof lengthOrEnc === 'string' ? lengthOrEnc : 'utf8');
        position = offsetOrPos;
      } else {
        const b = bytesOf(data);
        const off = offsetOrPos ?? 0;
        view = b.subarray(off, lengthOrEnc === undefined ? b.length : off + lengthOrEnc);
      }
      return position === undefined || position === null ? sys.write(fd, view) : sys.pwrite(fd, view, position);
    },
    fstatSync: (fd) => sys.fstat(fd),
    fsyncSync: (fd) => sys.fsync(fd),
    ftruncateSync: (fd, len = 0) => sys.ftruncate(fd, len),
    statSync: (p, o) => statOr(sys.stat, p, o),
    lstatSync: (p, o) => statOr(sys.lstat, p, o),
    statfsSync: (p) => sys.statvfs(p),
    existsSync(p) {
      try {
        sys.stat(p);
        return true;
      } catch {
        return false;
      }
    },
    accessSync: (p, mode = c.F_OK) => sys.access(p, mode),
    readdirSync(p, o) {
      const { withFileTypes = false, encoding = 'utf8' } = opts(o);
      return dirents(p, withFileTypes, encoding);
    },
    readFileSync(p, o) {
      const { encoding, flag } = opts(o, { flag: 'r' });
      const fd = typeof p === 'number' ? p : sys.open(p, flagsOf(flag));
      const data = typeof p === 'number' ? readAll(fd) : withFd(fd, readAll);
      return encode(data, encoding);
    },
    writeFileSync(p, data, o) {
      const { encoding = 'utf8', mode = 0o666, flag = 'w' } = opts(o);
      const bytes = bytesOf(data, encoding);
      if (typeof p === 'number') return writeAll(p, bytes);
      withFd(sys.open(p, flagsOf(flag), mode), (fd) => writeAll(fd, bytes));
    },
    appendFileSync(p, data, o) {
      fs.writeFileSync(p, data, opts(o, { flag: 'a' }));
    },
    mkdirSync(p, o) {
      const { recursive = false, mode = 0o777 } = typeof o === 'number' ? { mode: o } : o ?? {};
      if (!recursive) return void sys.mkdir(p, mode);
      const parts = pathText(p).split('/');
      let first;
      for (let i = 1; i <= parts.length; i++) {
        const dir = parts.slice(0, i).join('/');
        if (dir === '') continue;
        try {
          sys.mkdir(dir, mode);
          first ??= dir;
        } catch (e) {
          if (e.code !== 'EEXIST' || !sys.stat(dir).isDirectory()) throw e;
        }
      }
      return first;
    },
    rmdirSync: (p) => sys.rmdir(p),
    unlinkSync: (p) => sys.unlink(p),
    rmSync(p, o) {
      const { recursive = false, force = false } = o ?? {};
      try {
        if (recursive) rmTree(p);
        else if (sys.lstat(p).isDirectory()) {
          const e = new Error(`Path is a directory: rm returned EISDIR (is a directory) ${pathText(p)}`);
          e.code = 'ERR_FS_EISDIR';
          throw e;
        } else sys.unlink(p);
      } catch (e) {
        if (!(force && noEntry(e))) throw e;
      }
    },
    renameSync: (a, b) => sys.rename(a, b),
    linkSync: (a, b) => sys.link(a, b),
    symlinkSync: (target, p) => sys.symlink(target, p),
    readlinkSync(p, o) {
      const { encoding = 'utf8' } = opts(o);
      return encode(Buffer.from(sys.readlink(p)), encoding === 'utf8' ? 'utf8' : encoding);
    },
    realpathSync: (p) => sys.realpath(p),
    chmodSync: (p, mode) => sys.chmod(p, typeof mode === 'string' ? parseInt(mode, 8) : mode),
    lchmodSync: (p, mode) => sys.lchmod(p, mode),
    fchmodSync: (fd, mode) => sys.fchmod(fd, mode),
    chownSync: (p, uid, gid) => sys.chown(p, uid, gid),
    lchownSync: (p, uid, gid) => sys.lchown(p, uid, gid),
    fchownSync: (fd, uid, gid) => sys.fchown(fd, uid, gid),
    utimesSync: (p, atime, mtime) => sys.utimes(p, [atime, mtime]),
    lutimesSync: (p, atime, mtime) => sys.lutimes(p, [atime, mtime]),
    futimesSync: (fd, atime, mtime) => sys.futimes(fd, [atime, mtime]),
    truncateSync: (p, len = 0) => sys.truncate(p, len),
    // A tree copied inside the kernel: directories made, files copied, symbolic links made again
    // (`verbatimSymlinks`), times kept with `preserveTimestamps`.
    cpSync(src, dst, o) {
      const { recursive = false, preserveTimestamps = false } = o ?? {};
      const st = sys.lstat(src);
      if (st.isDirectory()) {
        if (!recursive) {
          const e = new Error(`Recursive option is required to copy a directory: ${pathText(src)}`);
          e.code = 'ERR_FS_EISDIR';
          throw e;
        }
        fs.mkdirSync(dst, { recursive: true, mode: Number(st.mode) & 0o7777 });
        for (const name of dirents(src, false)) fs.cpSync(`${pathText(src)}/${name}`, `${pathText(dst)}/${name}`, o);
      } else if (st.isSymbolicLink()) sys.symlink(sys.readlink(src), dst);
      else fs.copyFileSync(src, dst);
      if (preserveTimestamps) sys.lutimes(dst, [st.atimeMs / 1000, st.mtimeMs / 1000]);
    },
    copyFileSync(src, dst, mode = 0) {
      const data = fs.readFileSync(src);
      const flag = mode & 1 ? 'wx' : 'w';
      withFd(sys.open(dst, flagsOf(flag), Number(sys.stat(src).mode) & 0o7777), (fd) => writeAll(fd, data));
    },
  };
  return fs;
}
