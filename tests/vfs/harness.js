// The harness of our VFS conformance suite: NetBSD's tests/fs/vfs (h_fsmacros.h's ATF_TC_FSAPPLY and
// ATF_TC_FSAPPLY_RO) for rumpjs test. A case is written once as a function of an environment (its mount
// point) and registered for every file system: a fresh tmpfs, or a fresh copy-on-write overlay() of a
// committed FFS image (fixtures/ beside it, made by tests/fixtures/make-js-fixtures.sh), per test.

import { test, describe, overlay } from 'rumpjs:test';
import assert from 'assert';

export const FIXTURES = path.join(import.meta.dirname, 'fixtures');

/// A fixture image's host path.
export function fixture(name) {
  return path.join(FIXTURES, name);
}

/// NetBSD's errno numbers (sys/errno.h), written out here so the suite checks the runtime's numbers
/// against NetBSD's rather than against themselves.
export const NETBSD_ERRNO = {
  EPERM: 1, ENOENT: 2, EIO: 5, EBADF: 9, EACCES: 13, EFAULT: 14, EBUSY: 16, EEXIST: 17, EXDEV: 18,
  ENODEV: 19, ENOTDIR: 20, EISDIR: 21, EINVAL: 22, EFBIG: 27, ENOSPC: 28, ESPIPE: 29, EROFS: 30, EMLINK: 31,
  EAGAIN: 35, EOPNOTSUPP: 45, ELOOP: 62, ENAMETOOLONG: 63, ENOTEMPTY: 66, EFTYPE: 79, ENOTSUP: 86,
};

/// Expects fn() to fail with the errno named `code`: the error's `code` is the name and its `errno`
/// NetBSD's number for it.
export function expectErrno(fn, code, message) {
  const errno = NETBSD_ERRNO[code];
  if (errno === undefined) throw new Error(`expectErrno: no NetBSD number for ${code} in tests/vfs/harness.js`);
  try {
    assert.throws(fn, { code, errno }, message);
  } catch (e) {
    throw fromCaller(e);
  }
}

/// Async form of expectErrno for promise-returning calls.
export async function expectErrnoAsync(fn, code, message) {
  try {
    await assert.rejects(fn, { code, errno: NETBSD_ERRNO[code] }, message);
  } catch (e) {
    throw fromCaller(e);
  }
}

/// Drops this library's frames from an assertion's stack, so the report's file:line is the case's.
function fromCaller(e) {
  if (e && typeof e.stack === 'string') {
    e.stack = e.stack
      .split('\n')
      .filter((l) => !/^\s+at /.test(l) || !l.includes('/tests/vfs/harness.js'))
      .join('\n');
  }
  return e;
}

// Shorter names for the constants the cases use.
export const {
  O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_DIRECTORY,
  S_IFMT, S_IFREG, S_IFDIR, S_IFLNK, S_IFIFO, S_IFCHR,
  F_OK, R_OK, W_OK, X_OK, AT_FDCWD, AT_REMOVEDIR,
  F_GETLK, F_SETLK, F_RDLCK, F_WRLCK, F_UNLCK, SEEK_SET, SEEK_END, MNT_RDONLY, MNT_UPDATE,
} = rump;
export const sys = rump.sys;
export const PC_NAME_MAX = 4; // _PC_NAME_MAX
export const PC_NO_TRUNC = 8; // _PC_NO_TRUNC
export const MAXPATHLEN = 1024;

/// Writes `data` to a new file with rump.sys (open/write/close), as the C tests do.
export function writeFile(p, data, mode = 0o666) {
  const fd = sys.open(p, O_RDWR | O_CREAT | O_TRUNC, mode);
  try {
    const b = typeof data === 'string' ? Buffer.from(data) : data;
    assert.strictEqual(sys.write(fd, b), b.length);
  } finally {
    sys.close(fd);
  }
}

/// Creates an empty file (open O_CREAT + close).
export function touch(p, mode = 0o666, flags = 0) {
  sys.close(sys.open(p, O_RDWR | O_CREAT | flags, mode));
}

/// A Stats as plain data (what memcmp of two struct stat compares).
export function statData(s) {
  return s.toJSON();
}

/// A tree as plain data (path → mode, link count, size, content digest, link target), to compare two
/// trees or one tree at two times. Directories the caller may not search are listed as they are.
export function snapshot(root) {
  const out = {};
  const walk = (rel) => {
    const p = rel ? `${root}/${rel}` : root;
    const st = fs.lstatSync(p);
    const e = { mode: st.mode.toString(8), nlink: st.nlink, uid: st.uid, gid: st.gid };
    if (st.isFile()) {
      e.size = st.size;
      e.sha = crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex').slice(0, 16);
    } else if (st.isSymbolicLink()) {
      e.target = fs.readlinkSync(p);
      e.size = st.size;
    }
    out[rel || '.'] = e;
    if (st.isDirectory()) for (const n of fs.readdirSync(p).sort()) walk(rel ? `${rel}/${n}` : n);
  };
  walk('');
  return out;
}

/// The file systems the read-write cases run on: tmpfs; a fresh overlay of an image made by NetBSD's
/// makefs (`image`; `inodes` is what it has: create_many scales to it, as NetBSD scales it for msdosfs
/// and sysvbfs); a fresh file system of FSTEST_IMGSIZE made by our newfs in memory (`newfs`), in each
/// version and byte order and from small blocks to large.
const newfs = (version, byteOrder, bsize, fsize) => ({ size: 10 << 20, version, byteOrder, bsize, fsize, density: 2048 });
export const RW_FILESYSTEMS = [
  { name: 'tmpfs', type: 'tmpfs' },
  { name: 'ffs (UFS1, little-endian)', type: 'ffs', image: 'ufs1-le.img', inodes: 1024 },
  { name: 'ffs (UFS2, big-endian)', type: 'ffs', image: 'ufs2-be.img', inodes: 1024 },
  { name: 'ffs (newfs UFS1, little-endian, 4K)', type: 'ffs', newfs: newfs(1, 'le', 4096, 512) },
  { name: 'ffs (newfs UFS1, big-endian, 16K)', type: 'ffs', newfs: newfs(1, 'be', 16384, 2048) },
  { name: 'ffs (newfs UFS2, little-endian, 8K)', type: 'ffs', newfs: newfs(2, 'le', 8192, 1024) },
  { name: 'ffs (newfs UFS2, big-endian, 32K)', type: 'ffs', newfs: newfs(2, 'be', 32768, 4096) },
];

/// The read-only fixtures: t_ro.c's filegen made by makefs.
export const RO_IMAGES = [
  { name: 'ffs read-only image (UFS1, big-endian)', type: 'ffs', image: 't_ro-ufs1-be.img' },
  { name: 'ffs read-only image (UFS2, little-endian)', type: 'ffs', image: 't_ro-ufs2-le.img' },
];

let mounts = 0;

/// What a case gets: its mount point and helpers (FSTEST_ENTER/EXIT, paths under it).
export class Env {
  constructor(fsys, mp, t) {
    this.fs = fsys;
    this.fstype = fsys.type;
    this.mp = mp;
    this.t = t;
  }

  /// mp/rel
  path(rel) {
    return `${this.mp}/${rel}`;
  }

  /// FSTEST_ENTER: chdir to the mount point.
  enter() {
    sys.chdir(this.mp);
  }

  /// FSTEST_EXIT: chdir out again (so the file system can be unmounted).
  exit() {
    sys.chdir('/');
  }

  /// Acts as another user until the case ends (rump_sys_setuid in an rforked process, in the C tests).
  as(uid, gid = uid, groups = [gid]) {
    rump.setCredentials({ uid, gid, groups });
  }

  /// Back to root.
  root() {
    rump.setCredentials({ uid: 0, gid: 0, groups: [0] });
  }

  /// Runs fn as another user, then returns to root whatever happens.
  asUser(uid, gid, fn) {
    this.as(uid, gid);
    try {
      return fn();
    } finally {
      this.root();
    }
  }
}

/// Mounts a fresh file system of the kind `fsys` describes and returns its mount point.
function mountFresh(fsys, t, opts) {
  const dir = `/mnt/${fsys.image ? fsys.image.replace(/\.img$/, '') : fsys.type}.${mounts++}`;
  if (fsys.newfs) {
    // Its device stays registered across the unmount cleanup() checks with; rump.unmount releases it.
    fs.mkdirSync(dir, { recursive: true });
    rump.mount(fsys.type, dir, { newfs: fsys.newfs });
    return { dir, own: false, release: true };
  }
  if (fsys.type === 'tmpfs') {
    fs.mkdirSync(dir, { recursive: true });
    rump.mount('tmpfs', dir, Object.assign({}, opts && opts.tmpfsOptions));
    return { dir, own: true };
  }
  if (opts && opts.readonly) {
    fs.mkdirSync(dir, { recursive: true });
    rump.mount(fsys.type, dir, { image: fixture(fsys.image), readonly: true });
    return { dir, own: true };
  }
  // overlay() from rumpjs:test: a writable copy-on-write view, unmounted when the test ends.
  return { dir: overlay(fixture(fsys.image), { type: fsys.type, dir }), own: false };
}

/// After a passing case on a device: it unmounts without force (anything left open is EBUSY), and the
/// device mounted again read-only shows the same tree.
function checkOnDevice(m) {
  const tree = snapshot(m.dir);
  const dev = rump.mounts().find((x) => x.on === m.dir).from;
  try {
    sys.unmount(m.dir, 0);
  } catch (e) {
    if (e.code === 'EBUSY') e.message += ' (the case left the file system busy: a descriptor still open?)';
    throw e;
  }
  rump.mount('ffs', m.dir, { spec: dev, readonly: true });
  assert.deepStrictEqual(snapshot(m.dir), tree, 'the tree after an unmount and a mount of the device');
}

/// Undoes what a case may have left: credentials, umask, cwd; unmounts what mountFresh mounted itself.
/// After a passing case the unmount must succeed without force (NetBSD's FSTEST_DESTRUCTOR fails a
/// case that leaves the file system busy).
function cleanup(m, passed) {
  rump.setCredentials({ uid: 0, gid: 0, groups: [0] });
  sys.chdir('/');
  if (!m.own) {
    // An overlay or a fresh FFS: what the case left must be on the device. Unmounted with the syscall
    // (which, unlike rump.unmount, leaves the device registered) and mounted again read-only from it,
    // the tree is the same; overlay()'s own cleanup, or ours for a fresh FFS, unmounts it after.
    try {
      if (passed) checkOnDevice(m);
    } finally {
      if (m.release) rump.unmount(m.dir, { force: true });
    }
    return;
  }
  if (passed) {
    try {
      rump.unmount(m.dir);
    } catch (e) {
      if (e.code === 'EBUSY') e.message += ' (the case left the file system busy: a descriptor still open?)';
      throw e;
    }
  } else {
    try {
      rump.unmount(m.dir, { force: true });
    } catch {
      // The case's own failure is what gets reported.
    }
  }
}

/// Registers `name` (e.g. 't_vnops:rename_dir') for every read-write file system (ATF_TC_FSAPPLY).
/// fn(env) may be async. Options: { only: [fs names], skip: {fsName: reason}, tmpfsOptions, timeout }.
export function fsapply(name, fn, opts = {}) {
  for (const fsys of RW_FILESYSTEMS) {
    if (opts.only && !opts.only.includes(fsys.type)) continue;
    const why = opts.skip && opts.skip[fsys.type];
    const topts = opts.timeout ? { timeout: opts.timeout } : {};
    describe(fsys.name, () => {
      if (why) {
        test.skip(name, topts, () => {});
        return;
      }
      test(name, topts, async (t) => {
        const m = mountFresh(fsys, t, opts);
        let passed = false;
        try {
          await fn(new Env(fsys, m.dir, t));
          passed = true;
        } finally {
          cleanup(m, passed);
        }
      });
    });
  }
}

/// ATF_TC_FSAPPLY_RO: for every read-write file system, a fresh one is populated by `gen(env)` and
/// updated to read-only (MNT_UPDATE | MNT_RDONLY, as h_fsmacros.h does) before `fn(env)` runs; then
/// the same case on the read-only FFS fixtures (made by makefs holding what filegen makes).
export function fsapplyRO(name, gen, fn) {
  for (const fsys of RW_FILESYSTEMS) {
    describe(`${fsys.name}, updated to read-only`, () => {
      test(name, async (t) => {
        const m = mountFresh(fsys, t);
        let passed = false;
        try {
          const env = new Env(fsys, m.dir, t);
          await gen(env);
          sys.chdir('/');
          sys.mount(fsys.type, m.dir, MNT_UPDATE | MNT_RDONLY);
          assert.ok(rump.mounts().find((x) => x.on === m.dir).readonly, 'the mount is read-only now');
          await fn(env);
          passed = true;
        } finally {
          cleanup(m, passed);
        }
      });
    });
  }
  for (const fsys of RO_IMAGES) {
    describe(fsys.name, () => {
      test(name, async (t) => {
        const m = mountFresh(fsys, t, { readonly: true });
        let passed = false;
        try {
          await fn(new Env(fsys, m.dir, t));
          passed = true;
        } finally {
          cleanup(m, passed);
        }
      });
    });
  }
}
