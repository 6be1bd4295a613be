// The globals beside the syscalls, checked against what Node (and NetBSD's errno.h) give: errno constants
// on `rump` and on real errors, `path` beyond join, console's streams and table, the node: module forms,
// and rump.mount of one partition of a partitioned disk image.
// Usage: rumpjs --allow-host DIR run globals.js DIR/disk-mbr-label.img (cli.rs checks the streams).
import nodePath, { resolve as importedResolve } from 'node:path';
import plainPath from 'path';
import nodeFs from 'node:fs';
import nodeConsole from 'node:console';

const [disk] = process.argv.slice(2);
const assert = (c, msg) => {
  if (!c) throw new Error(`assertion failed: ${msg}`);
};
const show = (v) => (typeof v === 'object' && v !== null ? Object.prototype.toString.call(v) : JSON.stringify(v));
const eq = (a, b, msg) => {
  if (a !== b) throw new Error(`assertion failed: ${msg}: ${show(a)} !== ${show(b)}`);
};
const deq = (a, b, msg) => eq(JSON.stringify(a), JSON.stringify(b), msg); // eq shows both as JSON text
const throws = (f, msg) => {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error(`${msg}: did not throw`);
};

// ---------------------------------------------------------------- errno constants
// NetBSD's sys/sys/errno.h, every name from EPERM to EPROTO (many differ from Linux's numbers).
const netbsd = {
  EPERM: 1, ENOENT: 2, ESRCH: 3, EINTR: 4, EIO: 5, ENXIO: 6, E2BIG: 7, ENOEXEC: 8, EBADF: 9, ECHILD: 10,
  EDEADLK: 11, ENOMEM: 12, EACCES: 13, EFAULT: 14, ENOTBLK: 15, EBUSY: 16, EEXIST: 17, EXDEV: 18,
  ENODEV: 19, ENOTDIR: 20, EISDIR: 21, EINVAL: 22, ENFILE: 23, EMFILE: 24, ENOTTY: 25, ETXTBSY: 26,
  EFBIG: 27, ENOSPC: 28, ESPIPE: 29, EROFS: 30, EMLINK: 31, EPIPE: 32, EDOM: 33, ERANGE: 34, EAGAIN: 35,
  EINPROGRESS: 36, EALREADY: 37, ENOTSOCK: 38, EDESTADDRREQ: 39, EMSGSIZE: 40, EPROTOTYPE: 41,
  ENOPROTOOPT: 42, EPROTONOSUPPORT: 43, ESOCKTNOSUPPORT: 44, EOPNOTSUPP: 45, EPFNOSUPPORT: 46,
  EAFNOSUPPORT: 47, EADDRINUSE: 48, EADDRNOTAVAIL: 49, ENETDOWN: 50, ENETUNREACH: 51, ENETRESET: 52,
  ECONNABORTED: 53, ECONNRESET: 54, ENOBUFS: 55, EISCONN: 56, ENOTCONN: 57, ESHUTDOWN: 58,
  ETOOMANYREFS: 59, ETIMEDOUT: 60, ECONNREFUSED: 61, ELOOP: 62, ENAMETOOLONG: 63, EHOSTDOWN: 64,
  EHOSTUNREACH: 65, ENOTEMPTY: 66, EPROCLIM: 67, EUSERS: 68, EDQUOT: 69, ESTALE: 70, EREMOTE: 71,
  EBADRPC: 72, ERPCMISMATCH: 73, EPROGUNAVAIL: 74, EPROGMISMATCH: 75, EPROCUNAVAIL: 76, ENOLCK: 77,
  ENOSYS: 78, EFTYPE: 79, EAUTH: 80, ENEEDAUTH: 81, EIDRM: 82, ENOMSG: 83, EOVERFLOW: 84, EILSEQ: 85,
  ENOTSUP: 86, ECANCELED: 87, EBADMSG: 88, ENODATA: 89, ENOSR: 90, ENOSTR: 91, ETIME: 92, ENOATTR: 93,
  EMULTIHOP: 94, ENOLINK: 95, EPROTO: 96,
};
for (const [name, n] of Object.entries(netbsd)) {
  eq(rump[name], n, `rump.${name}`);
  eq(rump.constants[name], n, `rump.constants.${name}`);
}
const onRump = Object.keys(rump).filter((k) => /^E[A-Z0-9]+$/.test(k));
deq(onRump.filter((k) => !(k in netbsd)), [], 'errno names on rump that NetBSD does not have');

// Real errors carry NetBSD's number, the name as code, and the same number as rump[code].
fs.mkdirSync('/tmp/g/full/sub', { recursive: true });
fs.writeFileSync('/tmp/g/file', 'x');
fs.writeFileSync('/tmp/g/secret', 'x', { mode: 0o600 });
fs.symlinkSync('loop2', '/tmp/g/loop1');
fs.symlinkSync('loop1', '/tmp/g/loop2');
const cases = [
  ['ENOENT', () => fs.openSync('/tmp/g/missing', 'r'), 'open'],
  ['EEXIST', () => fs.mkdirSync('/tmp/g/full'), 'mkdir'],
  ['ENOTDIR', () => fs.readdirSync('/tmp/g/file'), 'scandir'],
  ['EISDIR', () => fs.openSync('/tmp/g/full', 'w'), 'open'],
  ['ENOTEMPTY', () => fs.rmdirSync('/tmp/g/full'), 'rmdir'],
  ['ELOOP', () => fs.statSync('/tmp/g/loop1'), 'stat'],
  ['ENAMETOOLONG', () => fs.writeFileSync(`/tmp/g/${'n'.repeat(256)}`, ''), 'open'],
  ['EXDEV', () => fs.renameSync('/tmp/g/file', '/kern-moved'), 'rename'],
  ['EBADF', () => fs.closeSync(9999), 'close'],
  ['EACCES', () => {
    rump.setCredentials({ uid: 1000, gid: 1000 });
    try {
      fs.readFileSync('/tmp/g/secret');
    } finally {
      rump.setCredentials({ uid: 0, gid: 0 });
    }
  }, 'open'],
];
for (const [code, f, syscall] of cases) {
  const e = throws(f, code);
  assert(e instanceof Error, `${code} is an Error`);
  eq(e.code, code, `${code} code`);
  eq(e.errno, netbsd[code], `${code} errno`);
  eq(e.errno, rump[e.code], `${code} errno is rump[code]`);
  eq(e.syscall, syscall, `${code} syscall`);
  assert(e.message.startsWith(`${code}: `), `${code} message: ${e.message}`);
}
// The path is added to an error raised after the open, once and as Node words it.
eq(throws(() => fs.readFileSync('/tmp/g/full'), 'EISDIR').message, "EISDIR: illegal operation on a directory, read '/tmp/g/full'", 'EISDIR from read');

// ---------------------------------------------------------------- path
// Expected values are Node's (path.posix), from its documentation and test/parallel/test-path-*.js.
eq(nodePath, path, "import from 'node:path'");
eq(plainPath, path, "import from 'path'");
eq(path.posix, path, 'path.posix');
eq(path.sep, '/', 'sep');
eq(path.delimiter, ':', 'delimiter');
process.chdir('/tmp/g');
eq(path.resolve('x'), '/tmp/g/x', 'resolve against the kernel cwd');
eq(importedResolve('x', '../y'), '/tmp/g/y', 'resolve imported by name');
eq(path.resolve(), '/tmp/g', 'resolve()');
eq(path.resolve('/foo/bar', './baz'), '/foo/bar/baz', 'resolve 1');
eq(path.resolve('/foo/bar', '/tmp/file/'), '/tmp/file', 'resolve 2');
eq(path.resolve('/a/b', '../c', '', '.'), '/a/c', 'resolve 3');
process.chdir('/');
eq(path.normalize('/foo/bar//baz/asdf/quux/..'), '/foo/bar/baz/asdf', 'normalize 1');
eq(path.normalize(''), '.', 'normalize empty');
eq(path.normalize('a/../..'), '..', 'normalize above');
eq(path.normalize('/..'), '/', 'normalize above root');
eq(path.normalize('./'), './', 'normalize keeps the trailing slash');
eq(path.normalize('//a//b//'), '/a/b/', 'normalize slashes');
eq(path.relative('/data/orandea/test/aaa', '/data/orandea/impl/bbb'), '../../impl/bbb', 'relative 1');
eq(path.relative('/a', '/a'), '', 'relative same');
eq(path.relative('/', '/a/b'), 'a/b', 'relative from root');
eq(path.relative('/a/b', '/'), '../..', 'relative to root');
eq(path.relative('/foo/bar', '/foo/barbaz'), '../barbaz', 'relative prefix that is not a parent');
eq(path.dirname('/a/b/c'), '/a/b', 'dirname');
eq(path.dirname('/a/b/'), '/a', 'dirname trailing');
eq(path.dirname('/a'), '/', 'dirname top');
eq(path.dirname('a'), '.', 'dirname relative');
eq(path.dirname('/'), '/', 'dirname root');
eq(path.dirname(''), '.', 'dirname empty');
eq(path.basename('/foo/bar/baz/asdf/quux.html'), 'quux.html', 'basename');
eq(path.basename('/foo/bar/baz/asdf/quux.html', '.html'), 'quux', 'basename ext');
eq(path.basename('/a/b/'), 'b', 'basename trailing');
eq(path.basename('/'), '', 'basename root');
eq(path.extname('index.html'), '.html', 'extname');
eq(path.extname('index.coffee.md'), '.md', 'extname last');
eq(path.extname('index.'), '.', 'extname dot');
eq(path.extname('index'), '', 'extname none');
eq(path.extname('.index'), '', 'extname dotfile');
eq(path.extname('.index.md'), '.md', 'extname dotfile ext');
eq(path.isAbsolute('/foo/bar'), true, 'isAbsolute');
eq(path.isAbsolute('qux/'), false, 'isAbsolute relative');
eq(path.isAbsolute(''), false, 'isAbsolute empty');
deq(path.parse('/home/user/dir/file.txt'), { root: '/', dir: '/home/user/dir', base: 'file.txt', ext: '.txt', name: 'file' }, 'parse');
deq(path.parse('file'), { root: '', dir: '', base: 'file', ext: '', name: 'file' }, 'parse relative');
deq(path.parse('/'), { root: '/', dir: '/', base: '', ext: '', name: '' }, 'parse root');
eq(path.format({ root: '/ignored', dir: '/home/user/dir', base: 'file.txt' }), '/home/user/dir/file.txt', 'format dir+base');
eq(path.format({ root: '/', base: 'file.txt', ext: 'ignored' }), '/file.txt', 'format root+base');
eq(path.format({ root: '/', name: 'file', ext: '.txt' }), '/file.txt', 'format name+ext');
eq(path.format(path.parse('/a/b.c')), '/a/b.c', 'format of parse');
eq(path.join('/foo', 'bar', 'baz/asdf', 'quux', '..'), '/foo/bar/baz/asdf', 'join');
eq(path.join(''), '.', 'join empty');
eq(path.toNamespacedPath('/a/b'), '/a/b', 'toNamespacedPath');
eq(path.matchesGlob('/ffs/a/b.js', '/ffs/*/*.js'), true, 'matchesGlob');
eq(path.matchesGlob('/ffs/a/b.js', '/ffs/*.js'), false, 'matchesGlob does not cross /');
// As Node, resolve checks only the arguments it reaches from the right (resolve(null, '/x') is '/x').
eq(path.resolve(null, '/x'), '/x', 'resolve stops at an absolute path');
for (const [f, args] of [['join', ['/x', 1]], ['resolve', ['/x', null]], ['basename', ['/x', {}]], ['dirname', []], ['relative', [5, '/x']]]) {
  const e = throws(() => path[f](...args), `path.${f}(${args})`);
  assert(e instanceof TypeError, `path.${f} TypeError`);
  eq(e.code, 'ERR_INVALID_ARG_TYPE', `path.${f} code`);
  assert(/must be of type string\. Received (type number \(\d\)|null|undefined|an instance of Object)$/.test(e.message), e.message);
}

// ---------------------------------------------------------------- console
eq(nodeConsole, console, "import from 'node:console'");
eq(nodeFs, fs, "import from 'node:fs'");
console.log('log %s=%d %o', 'n', 42, [1]);
console.info('info line');
console.warn('warn %s %i', 'to stderr', 7.9);
console.error('error line', { code: 'EX' });
console.table([{ name: 'a', size: 1 }, { name: 'b', size: 22 }]);
console.group('group head');
console.log('inside the group');
console.groupEnd();
console.log('after the group');

// ---------------------------------------------------------------- rump.mount with a partition
if (disk) {
  fs.mkdirSync('/mnt/a', { recursive: true });
  fs.mkdirSync('/mnt/e');
  fs.mkdirSync('/mnt/z');
  rump.mount('ffs', '/mnt/a', { image: disk, partition: 'a', readonly: true });
  rump.mount('ffs', '/mnt/e', { image: disk, partition: 'e', overlay: true });
  const a = rump.mounts().find((m) => m.on === '/mnt/a');
  const e = rump.mounts().find((m) => m.on === '/mnt/e');
  eq(a.type, 'ffs', 'partition a mounted');
  eq(a.readonly, true, 'partition a read-only');
  eq(e.readonly, false, 'partition e on an overlay is writable');
  assert(a.from !== e.from, 'each partition its own device');
  // Both partitions hold the same tree (tests/fixtures/ffs/disk-{a,e}.manifest) in different file systems.
  eq(fs.readFileSync('/mnt/a/hello.txt', 'utf8'), fs.readFileSync('/mnt/e/hello.txt', 'utf8'), 'same file');
  const [sa, se] = [fs.statfsSync('/mnt/a'), fs.statfsSync('/mnt/e')];
  assert(sa.fsid !== se.fsid && sa.files !== se.files, 'different file systems');
  assert(fs.statSync('/mnt/a').dev !== fs.statSync('/mnt/e').dev, 'different st_dev');
  eq(throws(() => fs.writeFileSync('/mnt/a/new', 'x'), 'write to read-only a').code, 'EROFS', 'EROFS on a');
  fs.writeFileSync('/mnt/e/new', 'on the overlay');
  eq(fs.readFileSync('/mnt/e/new', 'utf8'), 'on the overlay', 'overlay write');
  eq(fs.existsSync('/mnt/a/new'), false, 'a does not see e');
  const bad = throws(() => rump.mount('ffs', '/mnt/z', { image: disk, partition: 'z' }), 'partition z');
  eq(bad.code, 'EINVAL', 'missing partition');
  eq(bad.errno, rump.EINVAL, 'missing partition errno');
  assert(bad.message.includes('partition "z" not found') && bad.message.includes('disklabel e'), bad.message);
  const none = throws(() => rump.mount('ffs', '/mnt/z', { image: disk }), 'no partition');
  eq(none.code, 'EINVAL', 'no partition named');
  assert(none.message.includes('several file systems found') && none.message.includes('disklabel a'), none.message);
  rump.unmount('/mnt/a');
  rump.unmount('/mnt/e');
  // By table entry: MBR entry 1 holds the disklabel, whose 'a' is then picked.
  rump.mount('ffs', '/mnt/a', { image: disk, partition: 'a', readonly: true });
  eq(fs.existsSync('/mnt/a/new'), false, 'the overlay write did not reach the image');
  rump.unmount('/mnt/a');
}
console.log('globals ok');
